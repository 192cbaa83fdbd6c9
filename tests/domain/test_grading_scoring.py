"""How typed answers are scored: which words are key terms, what they weigh, what caps a verdict.

Each test states one rule in its name and checks it on the deck's cards or on backs of the
same kind.
"""

from __future__ import annotations

import pytest

from bot.domain.grading import (
    CORRECT_SCORE,
    MAX_ANSWER_CHARS,
    UNSURE_SCORE,
    GradeResult,
    Verdict,
    grade_typed_answer,
)

C, U, W = Verdict.CORRECT, Verdict.UNSURE, Verdict.WRONG


def words(text: str) -> list[str]:
    return text.split()


SECURITY = "Configure IAM roles, encrypt data, and network safety measures"
COLD_STARTS = (
    "Warm starts reuse the existing container, while cold starts initiate a new one, "
    "causing a delay"
)
ADVANTAGE = "Scalability and cost efficiency"
WORKFLOW = "orchestrates multiple services and tasks into a serverless workflow"


# --- Caps on the verdict ----------------------------------------------------------------------


def test_missing_service_name_is_at_most_a_close_call() -> None:
    # Without IAM the answer still covers 76.5% of the weight: right, were it not for the name.
    result = grade_typed_answer(
        "configure roles, encrypt data, and network safety measures", SECURITY
    )
    assert result.score >= CORRECT_SCORE
    assert result.verdict is U
    assert result.missing_terms == ("IAM",)


def test_missing_ordinary_word_with_the_same_share_is_right() -> None:
    result = grade_typed_answer("configure IAM roles, encrypt data, network safety", SECURITY)
    assert result.verdict is C
    assert result.missing_terms == ("measures",)


def test_three_of_four_terms_is_right() -> None:
    result = grade_typed_answer("warm starts reuse", "Warm starts reuse containers")
    assert result.score == CORRECT_SCORE
    assert result.verdict is C


def test_two_of_four_terms_is_a_close_call() -> None:
    result = grade_typed_answer("warm starts", "Warm starts reuse containers")
    assert result.score == 50.0
    assert result.verdict is U


def test_two_of_three_terms_is_a_close_call() -> None:
    result = grade_typed_answer("cost efficiency", ADVANTAGE)
    assert result.verdict is U
    assert result.missing_terms == ("Scalability",)


def test_a_third_of_the_terms_is_a_close_call_and_less_is_wrong() -> None:
    back = "Speeds up content delivery with caching"
    assert grade_typed_answer("content", back).verdict is W  # 1 of 4: 25%
    one_of_three = grade_typed_answer("content", "Content delivery caching")
    assert one_of_three.score >= UNSURE_SCORE
    assert one_of_three.verdict is U


def test_a_back_that_repeats_a_word_needs_every_word_after_the_repeat() -> None:
    # "starts" comes twice; "initiate", "new", "one", "causing" and "delay" come after.
    result = grade_typed_answer("warm starts reuse the existing container, cold", COLD_STARTS)
    assert result.verdict is U
    assert result.missing_terms == ("initiate", "new", "one", "causing", "delay")


def test_a_long_word_with_another_first_letter_is_a_near_miss_and_a_close_call() -> None:
    # Typos rarely hit the first letter: "redistribution" is close to "distribution" but
    # another word, so the answer is a close call although 80% of the terms are found.
    back = "Weighted routing for dynamic load distribution"
    result = grade_typed_answer("weighted routing for dynamic load redistribution", back)
    assert result.score >= CORRECT_SCORE
    assert result.verdict is U


def test_a_garbled_short_word_is_simply_missing() -> None:
    # Words under five letters are too short to call a near miss: "lode" is just not "load".
    result = grade_typed_answer(
        "weighted routing for dynamic lode distribution",
        "Weighted routing for dynamic load distribution",
    )
    assert result.verdict is C
    assert result.missing_terms == ("load",)


# --- Length -----------------------------------------------------------------------------------

# The back has 4 words, so an answer of up to 3 * 4 + 5 = 17 words is not rambling.
PADDING = " really"


def test_an_answer_up_to_three_times_the_back_plus_five_words_is_not_rambling() -> None:
    answer = ADVANTAGE + PADDING * 13  # 17 words
    result = grade_typed_answer(answer, ADVANTAGE)
    assert result == GradeResult(C, 100.0, ADVANTAGE, ())


def test_one_word_past_the_length_limit_is_at_most_a_close_call() -> None:
    answer = ADVANTAGE + PADDING * 14  # 18 words
    result = grade_typed_answer(answer, ADVANTAGE)
    assert result.verdict is U
    assert result.score == round(100.0 * 17 / 18, 1)


def test_a_rambling_answer_loses_score_in_proportion_to_its_length() -> None:
    answer = ADVANTAGE + PADDING * 30  # 34 words, twice the limit
    assert grade_typed_answer(answer, ADVANTAGE).score == 50.0


def test_only_the_first_characters_of_an_answer_are_read() -> None:
    answer = "x" * MAX_ANSWER_CHARS + " scalability and cost efficiency"
    assert grade_typed_answer(answer, ADVANTAGE).verdict is W


# --- Blank backs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "back", ["", "   ", "!!!", " - ", "\u200b"], ids=["empty", "spaces", "marks", "dash", "zwsp"]
)
@pytest.mark.parametrize(
    "answer", ["", "!!!", "scalability", "   "], ids=["empty", "marks", "word", "spaces"]
)
def test_a_blank_back_judges_every_answer_wrong(back: str, answer: str) -> None:
    result = grade_typed_answer(answer, back)
    assert result == GradeResult(W, 0.0, None, ())


def test_a_blank_back_with_an_accepted_answer_is_graded_on_that() -> None:
    result = grade_typed_answer("scalability", "  ", ["Scalability"])
    assert result == GradeResult(C, 100.0, "Scalability", ())
    assert grade_typed_answer("latency", "", ["Scalability"]).verdict is W


# --- What is a name ---------------------------------------------------------------------------


def test_a_capitalised_word_mid_sentence_is_a_name() -> None:
    result = grade_typed_answer(WORKFLOW, "Orchestrates multiple services and tasks with Glue")
    assert result.verdict is U
    assert result.missing_terms == ("Glue",)


def test_a_capitalised_word_after_a_full_stop_is_not_a_name() -> None:
    back = "Serverless workflow. Orchestrates multiple services and tasks"
    result = grade_typed_answer("serverless workflow, multiple services and tasks", back)
    assert result.verdict is C
    assert result.missing_terms == ("Orchestrates",)


def test_a_capitalised_word_in_a_later_sentence_is_a_name() -> None:
    back = "Serverless workflow. Orchestrates multiple services and tasks with Glue"
    result = grade_typed_answer(
        "serverless workflow orchestrates multiple services and tasks", back
    )
    assert result.verdict is U
    assert result.missing_terms == ("Glue",)


def test_a_capitalised_first_word_is_not_a_name() -> None:
    result = grade_typed_answer(WORKFLOW, "Glue " + WORKFLOW)
    assert result.verdict is C
    assert result.missing_terms == ("Glue",)


@pytest.mark.parametrize("acronym", ["ASR", "LLMs", "QA"])
def test_an_all_capitals_word_is_a_name_even_first(acronym: str) -> None:
    result = grade_typed_answer(WORKFLOW, f"{acronym} {WORKFLOW}")
    assert result.verdict is U
    assert result.missing_terms == (acronym,)


@pytest.mark.parametrize("name", ["DataBrew", "iPython"])
def test_a_camel_case_word_is_a_name_even_first(name: str) -> None:
    result = grade_typed_answer(WORKFLOW, f"{name} {WORKFLOW}")
    assert result.verdict is U
    assert result.missing_terms == (name,)


def test_a_single_capital_letter_is_not_a_name() -> None:
    result = grade_typed_answer(WORKFLOW, f"{WORKFLOW} for plan B")
    assert result.verdict is C


@pytest.mark.parametrize("word", ["ML", "AI"])
def test_ml_and_ai_are_not_names_to_insist_on(word: str) -> None:
    back = f"Orchestrates multiple {word} services and tasks into a serverless workflow"
    assert grade_typed_answer(WORKFLOW, back).verdict is C


def test_a_known_service_in_lower_case_is_a_name() -> None:
    result = grade_typed_answer(WORKFLOW, f"with sagemaker {WORKFLOW}")
    assert result.verdict is U
    assert result.missing_terms == ("sagemaker",)


def test_a_name_counts_double() -> None:
    result = grade_typed_answer("glue", "Orchestrates tasks with Glue")
    assert result.score == 50.0  # Glue 2 of orchestrates 1, tasks 1, Glue 2


def test_a_generic_word_counts_half() -> None:
    result = grade_typed_answer("scalability efficiency", "Scalability model efficiency")
    assert result.score == 80.0  # 2 of 2.5
    assert result.verdict is C


# --- Acronyms ---------------------------------------------------------------------------------

ACRONYMS = [
    ("API", "application programming interface"),
    ("CDN", "content delivery network"),
    ("CPU", "central processing unit"),
    ("ELB", "elastic load balancing"),
    ("GPU", "graphics processing unit"),
    ("IAM", "identity and access management"),
    ("KMS", "key management service"),
    ("VPC", "virtual private cloud"),
]


@pytest.mark.parametrize(("acronym", "expansion"), ACRONYMS)
def test_an_acronym_on_the_card_may_be_written_out(acronym: str, expansion: str) -> None:
    back = f"Secure inference endpoints with {acronym}"
    result = grade_typed_answer(f"secure inference endpoints with {expansion}", back)
    assert result.verdict is C, result


@pytest.mark.parametrize(("acronym", "expansion"), ACRONYMS)
def test_an_acronym_stands_for_what_the_card_writes_out(acronym: str, expansion: str) -> None:
    back = f"Secure inference endpoints with {expansion.title()}"
    result = grade_typed_answer(f"secure inference endpoints with {acronym}", back)
    assert result.verdict is C, result


def test_iam_is_no_other_service_than_identity_and_access_management() -> None:
    back = "Identity and Access Management roles and encrypted data"
    assert grade_typed_answer("IAM roles and encrypted data", back).verdict is C


def test_half_an_expansion_does_not_stand_for_the_acronym() -> None:
    back = "Secure inference endpoints with KMS"
    result = grade_typed_answer("secure inference endpoints with key management", back)
    assert result.verdict is U
    assert result.missing_terms == ("KMS",)


# --- Services the back does not mention ------------------------------------------------------

SERVICES = words(
    "sagemaker cloudwatch cloudtrail cloudfront cloudformation s3 ec2 ecs eks ecr fargate iam kms"
    " vpc cdn api gpu cpu tpu inferentia trainium kinesis dynamodb rds aurora redshift athena"
    " emr sqs sns eventbridge bedrock rekognition textract quicksight xray ebs efs fsx elb alb"
    " nlb lambda docker kubernetes mwaa airflow lakeformation"
)


@pytest.mark.parametrize("service", SERVICES)
def test_naming_a_service_the_back_does_not_mention_costs_a_level(service: str) -> None:
    result = grade_typed_answer(f"scalability and cost efficiency with {service}", ADVANTAGE)
    assert result.verdict is U, result


def test_a_service_name_written_in_two_words_is_that_service() -> None:
    assert grade_typed_answer("cloud trail logs", "CloudWatch logs").verdict is W
    assert grade_typed_answer("cloud watch logs", "CloudWatch logs").verdict is C


def test_a_misspelt_service_of_the_back_is_not_another_service() -> None:
    assert grade_typed_answer("cloudwach logs and s3", "CloudWatch logs and S3").verdict is C


def test_a_different_service_sharing_a_prefix_is_another_service() -> None:
    result = grade_typed_answer("cloudtrail logs and s3", "CloudWatch logs and S3")
    assert result.verdict is W


# --- Function words, generic words and negations ---------------------------------------------

FUNCTION_WORDS = words(
    "a an the and or but of to for in on at by with from into onto via as per"
    " is are was were be been being am it its this that these those there their them they"
    " which who whom what when where how why while whereas so such than then also both each"
    " either can could will would should shall may might must do does did done has have had"
    " having i you your we our us my me he she his her very just about above across after"
    " along among around before between during over through under within up out off"
    " use uses used using aws amazon"
)


@pytest.mark.parametrize("word", FUNCTION_WORDS)
def test_function_words_and_vendor_prefixes_are_not_key_terms(word: str) -> None:
    back = f"Scalability {word} efficiency"
    result = grade_typed_answer("scalability, efficiency", back)
    assert result.verdict is C, result


GENERIC_WORDS = words(
    "model ml machine learning data provide ensure allow help implement enable based"
)


@pytest.mark.parametrize("word", GENERIC_WORDS)
def test_generic_words_count_half(word: str) -> None:
    result = grade_typed_answer("scalability efficiency", f"Scalability {word} efficiency")
    assert result.score == 80.0, result


NEGATIONS = words(
    "not no never none nothing neither nor cannot without don't doesn't didn't isn't aren't"
    " wasn't weren't can't couldn't won't wouldn't shouldn't hasn't haven't hadn't mustn't"
)


@pytest.mark.parametrize("negation", NEGATIONS)
def test_any_negation_the_back_lacks_makes_the_answer_wrong(negation: str) -> None:
    result = grade_typed_answer(f"data {negation} encrypted at rest", "Data encrypted at rest")
    assert result.verdict is W, result


@pytest.mark.parametrize("negation", ["dont", "doesnt", "cant", "isnt"])
def test_a_negation_typed_without_its_apostrophe_is_a_negation(negation: str) -> None:
    result = grade_typed_answer(f"data {negation} encrypted at rest", "Data encrypted at rest")
    assert result.verdict is W, result


def test_a_negation_is_not_a_key_term_of_a_negated_back() -> None:
    result = grade_typed_answer("data never encrypted at rest", "Data not encrypted at rest")
    assert result == GradeResult(C, 100.0, "Data not encrypted at rest", ())


def test_non_blocking_does_not_supply_blocking() -> None:
    # The back names both sides, so this is no contradiction: it is "blocking" missing.
    back = "Blocking calls wait, non-blocking calls return at once"
    result = grade_typed_answer("non-blocking calls return at once", back)
    assert result.verdict is U
    assert result.missing_terms == ("Blocking", "wait")


def test_a_hyphen_after_in_makes_a_compound_not_a_negation() -> None:
    result = grade_typed_answer("keep features in-memory", "Keep features in memory")
    assert result.verdict is C
    assert grade_typed_answer("keep features in memory", "Keep in-memory features").verdict is C


def test_a_negating_prefix_needs_a_whole_word_after_it() -> None:
    # "import" is not "port" negated, nor "undo" "do".
    assert grade_typed_answer("import TCP port 443", "TCP port 443").verdict is C
    assert grade_typed_answer("Unit tests for the endpoint", "Test the endpoint").verdict is C


# --- Word forms -------------------------------------------------------------------------------

SAME_WORD = [
    ("distribution", "distributions"),
    ("batch", "batches"),
    ("policy", "policies"),
    ("process", "processes"),
    ("class", "classes"),
    ("status", "status"),
    ("analysis", "analysis"),
    ("GPUs", "gpu"),
    ("APIs", "api"),
    ("shift", "shifting"),
    ("store", "storing"),
    ("deploy", "deployment"),
    ("deploy", "deployments"),
    ("retrain", "retrainings"),
    ("distinct", "distinctly"),
    ("repeat", "repeatedly"),
    ("configure", "configured"),
    ("try", "tries"),
    ("tie", "ties"),
    ("box", "boxes"),
    ("cost-efficiency", "cost efficiency"),
    ("re-training", "retraining"),
]


@pytest.mark.parametrize(("on_card", "typed"), SAME_WORD)
def test_plurals_and_derived_forms_are_the_same_term(on_card: str, typed: str) -> None:
    back = f"Weighted routing and {on_card}"
    result = grade_typed_answer(f"weighted routing and {typed}", back)
    assert result.verdict is C, result
    assert result.missing_terms == ()


# --- Compounds, typos and near misses ---------------------------------------------------------


def test_words_written_together_cover_a_three_word_compound() -> None:
    back = "One-by-one predictions"
    assert grade_typed_answer("one by one predictions", back).verdict is C
    assert grade_typed_answer("predictions, one by one", back).verdict is C
    # Three words joined, not four, even where the back joins its neighbours too.
    back = "Predictions arrive one-by-one"
    assert grade_typed_answer("one by one quickly, predictions arrive", back).verdict is C


def test_a_two_word_name_written_as_one_word_covers_both() -> None:
    result = grade_typed_answer("orchestrate with stepfunctions", "Orchestrate with Step Functions")
    assert result.verdict is C


def test_a_name_written_as_one_word_is_the_two_word_name_of_the_back() -> None:
    result = grade_typed_answer("set up cloudwatch alarms", "Set up Cloud Watch alarms")
    assert result == GradeResult(C, 100.0, "Set up Cloud Watch alarms", ())


def test_a_function_word_does_not_supply_a_key_term_it_begins() -> None:
    # "through" is a function word; "throughput" is not a typo of it.
    result = grade_typed_answer("higher through", "Higher throughput")
    assert result.verdict is U
    assert result.missing_terms == ("throughput",)


def test_one_slip_in_a_five_letter_word_is_a_typo() -> None:
    assert grade_typed_answer(
        "betch processes data in chunks", "Batch processes data in chunks"
    ) == (GradeResult(C, 100.0, "Batch processes data in chunks", ()))


def test_a_five_letter_word_with_another_first_letter_is_a_near_miss() -> None:
    back = "Batch processes data in chunks quickly"
    result = grade_typed_answer("patch processes data in chunks quickly", back)
    assert result.score >= CORRECT_SCORE
    assert result.verdict is U


def test_words_joined_across_a_space_are_no_near_miss() -> None:
    # "to scale" joined is close to "autoscale" but is no attempt at it: just a missing term.
    back = "Autoscale endpoints by traffic demand quickly"
    result = grade_typed_answer("to scale endpoints by traffic demand quickly", back)
    assert result.verdict is C
    assert result.missing_terms == ("Autoscale",)


def test_words_of_three_letters_only_match_exactly() -> None:
    result = grade_typed_answer("scalability and cot efficiency", ADVANTAGE)
    assert result.verdict is U
    assert result.missing_terms == ("cost",)


def test_a_word_with_a_digit_is_no_typo_but_another_spelling_still_counts() -> None:
    # "efficiency2" is not taken for "efficiency" (and names a number the back lacks), while
    # "eficiency" further on is a typo of it: every term is found.
    result = grade_typed_answer("scalability, cost, efficiency2 or eficiency", ADVANTAGE)
    assert result.score == 100.0
    assert result.verdict is U


def test_a_name_on_the_card_misspelt_up_to_the_similarity_limit_is_that_name() -> None:
    # Cards carry typos too. "lakeformation" is 88% like the card's "Lakefornatin".
    back = "Use Lakefornatin blueprints"
    assert grade_typed_answer("use lakeformation blueprints", back).verdict is C
    assert (
        grade_typed_answer(
            "deploy with sagemaker endpoints", "Deploy with Sagemker endpoints"
        ).verdict
        is C
    )


def test_a_name_without_the_version_of_the_back_is_another_name() -> None:
    result = grade_typed_answer("inferentia chips for inference", "Inferentia2 chips for inference")
    assert result.verdict is W
    assert result.missing_terms == ("Inferentia2",)


def test_a_negating_prefix_needs_five_letters_after_it() -> None:
    # "import" is not "port" negated: it is just another word, and "port" is missing.
    assert grade_typed_answer("open the import", "Open the port").verdict is U
    # "invalid" is "valid" negated.
    assert grade_typed_answer("the data is invalid", "The data is valid").verdict is W


def test_a_hyphenated_part_takes_a_side_of_an_opposite_pair() -> None:
    assert grade_typed_answer("scale in horizontally", "Scale-out horizontally").verdict is W
    assert grade_typed_answer("scale out horizontally", "Scale-out horizontally").verdict is C


def test_the_unit_after_a_decimal_number_matches_exactly() -> None:
    assert grade_typed_answer("timeout of 1.5 minutes", "Timeout of 1.5 seconds").verdict is W
    assert grade_typed_answer("a 1.5 second timeout", "Timeout of 1.5 seconds").verdict is C
