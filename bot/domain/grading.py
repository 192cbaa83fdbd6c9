"""Grading of typed answers against a card's back.

Card backs are short sentences, so an answer is judged on the back's *key terms* (its content
words) rather than on the sentence as a whole: word order, case, punctuation, articles,
hyphens, simple plurals and small typos in ordinary words do not matter, but names of services
and other proper nouns have to be right, and numbers, versions ("3.11"), identifiers
("p3.2xlarge", "us-east-1") and the unit written after a number ("15 minutes") have to match
exactly.

The score is the weighted share of key terms the answer contains (names and numbers count
double, generic words half). At ``CORRECT_SCORE`` it is CORRECT and at ``UNSURE_SCORE`` UNSURE,
except that a missing name or number, a near miss (a badly garbled word), or a rambling answer
is at most UNSURE, and naming a service, number or unit the back does not mention costs one
level: "port 80" for "port 443" is WRONG.

An answer that says the opposite of the back is WRONG however many terms it shares: it
negates where the back does not, or the other way round ("not", "no", "without", "don't"); it
uses the other side of an opposite pair ("in" for "out", "decrease" for "increase",
"asynchronous" for "synchronous"); or it puts a negating prefix on a word of the back
("non-blocking", "unencrypted", "inconsistent"). UNSURE answers are meant to be shown next to
the back so the user can judge them.

Being a bag of terms, grading cannot tell which clause a term sits in: swapping the two sides
of a "while" comparison goes unnoticed, and synonyms count as missing terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum

from rapidfuzz import fuzz, process

__all__ = [
    "CORRECT_SCORE",
    "CRITICAL_TERM_SIMILARITY",
    "MAX_ANSWER_CHARS",
    "NEAR_MISS_SIMILARITY",
    "TERM_SIMILARITY",
    "UNSURE_SCORE",
    "GradeResult",
    "Verdict",
    "grade_typed_answer",
]

# --- Thresholds -------------------------------------------------------------------------------

# Answers (and backs) are cut to this many characters before matching. Backs are at most a
# couple of sentences, so nothing useful lies beyond it, and it bounds the fuzzy-matching work.
MAX_ANSWER_CHARS = 500

# Minimum rapidfuzz ratio (0..100) for an answer word to count as an ordinary key term despite
# typos. 80 tolerates one slip in a 5-letter word or two in a 10-letter one ("eficiency",
# "scalibility") while keeping "online"/"offline" (77) apart.
TERM_SIMILARITY = 80.0

# Service and proper names must be spelt nearly right: 88 lets "cloudwach" (95) and "sagmaker"
# (94) through but not a different service that merely shares a prefix ("cloudtrail" vs
# "cloudwatch" is 60).
CRITICAL_TERM_SIMILARITY = 88.0

# A missing term with a word at least this similar in the answer that still was not accepted
# as it is a near miss: usually an opposite ("offline" for "online" is 77, "decreased" for
# "increased" 89) or a badly garbled spelling. Either way the answer is at best UNSURE. Terms
# shorter than _NEAR_MISS_MIN_LEN are too short to judge.
NEAR_MISS_SIMILARITY = 75.0
_NEAR_MISS_MIN_LEN = 5

# Tokens this short, and tokens containing digits ("s3", "ec2", "443", "3.11"), only match
# exactly: a single edit turns them into another word, number or service.
_EXACT_ONLY_MAX_LEN = 3

# Weighted share of the back's key terms (0..100) an answer must cover to be CORRECT. Three of
# four equally weighted terms is enough; two of three is not.
CORRECT_SCORE = 75.0

# Below CORRECT_SCORE but at least this much is UNSURE: the answer names a real part of the
# back, and the user is shown the back and judges it. Below it the answer is WRONG.
UNSURE_SCORE = 30.0

# Answers with more than this many times the back's word count (plus slack) are rambling or
# pasted; they are never CORRECT, and their score shrinks in proportion to the excess so that a
# dump of the whole deck cannot pass.
_LENGTH_FACTOR = 3
_LENGTH_SLACK = 5

# Relative importance of key terms when computing the score.
_CRITICAL_WEIGHT = 2.0
_ORDINARY_WEIGHT = 1.0
_WEAK_WEIGHT = 0.5

# --- Vocabulary -------------------------------------------------------------------------------


def _words(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


# Function words carry no answer content. Vendor prefixes are here too: "CloudWatch" and
# "AWS CloudWatch" are the same answer. Words of _NEGATIONS and _OPPOSITES that are here
# ("in", "out", "up", "before") are still read for what they oppose.
_STOPWORDS = _words(
    "a an the and or but of to for in on at by with from into onto via as per is are was",
    "were be been being am it its this that these those there their them they which who",
    "whom what when where how why while whereas so such than then also both each either can",
    "could will would should shall may might must do does did done has have had having i",
    "you your we our us my me he she his her very just about above across after along among",
    "around before between during over through under within up out off use uses used using",
    "aws amazon",
)

# Generic words that appear across many backs in an ML deck; missing one costs less.
_WEAK_TERMS = _words(
    "model ml machine learning data provide ensure allow help implement enable based"
)

# Names of AWS services and technical acronyms. In a back they are always critical; in an
# answer, one that the back does not contain means the answer names something else. Names
# that double as everyday words ("Glue", "Batch", "Step Functions") are left out; they count as
# critical when a back capitalises them mid-sentence.
_KNOWN_NAMES = _words(
    "sagemaker cloudwatch cloudtrail cloudfront cloudformation s3 ec2 ecs eks ecr fargate",
    "iam kms vpc cdn api gpu cpu tpu inferentia trainium kinesis dynamodb rds aurora",
    "redshift athena emr sqs sns eventbridge bedrock rekognition textract quicksight xray",
    "ebs efs fsx elb alb nlb lambda docker kubernetes mwaa airflow lakeformation",
)

# Acronyms that may be written out in full instead (words as normalised: singular).
_ACRONYM_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "api": ("application", "programming", "interface"),
    "cdn": ("content", "delivery", "network"),
    "cpu": ("central", "processing", "unit"),
    "elb": ("elastic", "load", "balancing"),
    "gpu": ("graphic", "processing", "unit"),
    "iam": ("identity", "access", "management"),
    "kms": ("key", "management", "service"),
    "vpc": ("virtual", "private", "cloud"),
}

# Upper-case words that are not names worth insisting on in an ML deck.
_NOT_CRITICAL = _words("ml ai")

# Words that negate what they go with. An answer with one where the back has none, or the
# other way round, says the opposite of the back. They are not key terms themselves.
_NEGATIONS = _words(
    "not no never none nothing neither nor cannot without dont doesnt didnt isnt arent",
    "wasnt werent cant couldnt wont wouldnt shouldnt hasnt havent hadnt mustnt",
)


# Words whose other side reverses the meaning. A form of five letters or more also stands for
# longer words it begins ("increas" for "increased", "increasing"); shorter forms match whole
# words only, so "min" is not "minute" and "out" is not "output".
_OPPOSITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("in",), ("out",)),
    (("up",), ("down",)),
    (("min", "minim"), ("max", "maxim")),
    (("before",), ("after",)),
    (("enabl",), ("disabl",)),
    (("increas",), ("decreas", "reduc")),
    (("synchron",), ("asynchron",)),
    (("public",), ("privat",)),
    (("horizontal",), ("vertical",)),
    (("online",), ("offline",)),
    (("inbound",), ("outbound",)),
    (("encrypt",), ("decrypt",)),
    (("allow",), ("deny",)),
    # "low cost" answers "lower costs" even where the back says "high" too; "higher" does not.
    (("high", "higher"), ("low", "lower")),
    (("higher",), ("lower",)),
    (("more",), ("less", "fewer")),
    (("stateful",), ("stateless",)),
)
_PREFIX_FORM_LEN = 5

# Prefixes that negate the word they start: "non-blocking", "unencrypted", "inconsistent". The
# rest of the word must be at least _NEGATED_BASE_LEN letters ("import" is not "port" negated),
# and "in-" with a hyphen makes a compound, not a negation ("in-memory").
_NEGATING_PREFIXES = _words("anti de dis il im in ir non un")
_NEGATED_BASE_LEN = 5
_COMPOUND_PREFIX = "in"

# Longest first, so "ation" wins over "ion". The fuzzy comparison absorbs what is left over
# ("distribut" vs "distribute"), so this only has to be roughly right.
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "edly", "ed", "ly")
_MIN_ROOT_LEN = 4

# A word, with hyphens and apostrophes inside it, and dots between digits: "3.11", "p3.2xlarge".
_WORD_RE = re.compile(r"[^\W_]+(?:(?:['’\-‐‑]|(?<=\d)\.(?=\d))[^\W_]+)*")
_JOINERS_RE = re.compile(r"['’\-‐‑]")
_SENTENCE_END_RE = re.compile(r"[.;:!?]")


class Verdict(StrEnum):
    """Outcome of grading a typed answer."""

    CORRECT = "correct"
    UNSURE = "unsure"
    WRONG = "wrong"


@dataclass(frozen=True, slots=True)
class GradeResult:
    """A verdict with its score (0..100), the accepted answer it was closest to (``None`` when
    wrong) and the back's key terms the answer did not contain, as written on the card."""

    verdict: Verdict
    score: float
    matched: str | None
    missing_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str
    surface: str
    stop: bool
    sentence_start: bool
    # The pieces of a hyphenated word ("cost-efficiency" -> "cost", "efficiency").
    parts: tuple[str, ...]
    # The word right after a number: its unit ("15 minutes", "5 GB").
    unit: bool


@dataclass(frozen=True, slots=True)
class _Term:
    norm: str
    surface: str
    weight: float
    critical: bool
    exact: bool


@dataclass(frozen=True, slots=True)
class _Target:
    text: str
    key: tuple[str, ...]
    terms: tuple[_Term, ...]
    # Adjacent key terms joined, with the terms they stand for ("stepfunction").
    compounds: tuple[tuple[str, str, str], ...]
    token_count: int
    polarity: frozenset[tuple[str, bool]]


@dataclass(frozen=True, slots=True)
class _Answer:
    key: tuple[str, ...]
    words: frozenset[str]
    # Single words first, then adjacent words joined; the first ``single_count`` are words.
    candidates: tuple[str, ...]
    single_count: int
    roots: tuple[str, ...]
    named: frozenset[str]
    token_count: int
    polarity: frozenset[tuple[str, bool]]


class _Match(Enum):
    FOUND = "found"
    MISSING = "missing"
    # Missing, but the answer has a word close to it: often its opposite ("offline" for
    # "online", "asynchronous" for "synchronous").
    NEAR_MISS = "near_miss"


def _stem(word: str) -> str:
    """Strip simple English plurals so "logs"/"log" and "batches"/"batch" compare equal."""
    if word in _KNOWN_NAMES:
        return word  # "kubernetes", "ecs"
    if word.endswith("s") and word[:-1] in _KNOWN_NAMES:
        return word[:-1]  # "GPUs", "APIs": the -us/-is rule below would keep them
    if len(word) < 4 or word[-1] != "s" or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _root(word: str) -> str:
    """Drop one common derivational suffix so "shift"/"shifting" and "store"/"storing" are
    close enough for the fuzzy comparison; short words are left alone."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_ROOT_LEN:
            return word[: -len(suffix)]
    return word


def _tokenize(text: str) -> list[_Token]:
    text = unicodedata.normalize("NFKC", text[:MAX_ANSWER_CHARS])
    tokens: list[_Token] = []
    previous_end = 0
    after_number = False
    for match in _WORD_RE.finditer(text):
        gap = text[previous_end : match.start()]
        sentence_start = not tokens or _SENTENCE_END_RE.search(gap) is not None
        previous_end = match.end()
        surface = match.group()
        folded = surface.casefold()
        # Hyphens and apostrophes join rather than split: "re-training" == "retraining".
        joined = _JOINERS_RE.sub("", folded)
        norm = _stem(joined)
        parts = tuple(_stem(part) for part in _JOINERS_RE.split(folded))
        number = _is_number(norm)
        tokens.append(
            _Token(
                norm=norm,
                surface=surface,
                stop=joined in _STOPWORDS or norm in _STOPWORDS or norm in _NEGATIONS,
                sentence_start=sentence_start,
                parts=parts if len(parts) > 1 else (),
                unit=after_number and not number,
            )
        )
        after_number = number
    return tokens


def _is_number(norm: str) -> bool:
    return norm.replace(".", "").isdigit()


def _has_digit(norm: str) -> bool:
    return any(ch.isdigit() for ch in norm)


def _negated_base(token: _Token) -> str | None:
    """The root of the word a token negates with a prefix ("nonblocking" -> "block")."""
    if token.parts[:1] == (_COMPOUND_PREFIX,):
        return None
    root = _root(token.norm)
    for prefix in _NEGATING_PREFIXES:
        if root.startswith(prefix) and len(root) - len(prefix) >= _NEGATED_BASE_LEN:
            return root[len(prefix) :]
    return None


def _has_form(words: frozenset[str], forms: tuple[str, ...]) -> bool:
    return any(
        word in forms
        or any(len(form) >= _PREFIX_FORM_LEN and word.startswith(form) for form in forms)
        for word in words
    )


def _polarity(tokens: Sequence[_Token]) -> frozenset[tuple[str, bool]]:
    """What a text says on each question of polarity, as (question, side) marks.

    Questions are "not/" (does it negate), each opposite pair ("in/out": which side), and each
    word root ("block": said plainly, or negated as in "non-blocking"). Keys of pairs hold a
    "/", which no word does, so they never meet a word's root.
    """
    words = frozenset(
        [t.norm for t in tokens]
        + [part for t in tokens if _negated_base(t) is None for part in t.parts]
    )
    marks = {("not/", any(word in _NEGATIONS for word in words))}
    for index, (left, right) in enumerate(_OPPOSITES):
        for side, forms in ((False, left), (True, right)):
            if _has_form(words, forms):
                marks.add((f"{index}/", side))
    for token in tokens:
        base = _negated_base(token)
        marks.add((_root(token.norm), False) if base is None else (base, True))
    return frozenset(marks)


def _contradicts(answer: frozenset[tuple[str, bool]], back: frozenset[tuple[str, bool]]) -> bool:
    """Whether the answer takes only the other side of something the back takes one side of.

    A back that names both sides ("warm starts ... cold starts") can be answered with either
    in part, so only the sides a back takes alone are held against the answer.
    """
    return any(
        (key, not side) not in back and (key, side) not in answer and (key, not side) in answer
        for key, side in back
    )


def _is_exact_only(norm: str) -> bool:
    return len(norm) <= _EXACT_ONLY_MAX_LEN or _has_digit(norm)


def _looks_like_name(token: _Token) -> bool:
    """Whether a back token is a service or proper name, a number or a unit that an answer has
    to get right."""
    norm = token.norm
    if norm in _NOT_CRITICAL:
        return False
    if norm in _KNOWN_NAMES or _has_digit(norm) or token.unit:
        return True  # SageMaker, S3, EC2, 443, 3.11, "minutes" in "15 minutes"
    surface = _JOINERS_RE.sub("", token.surface)
    if len(surface) < 2:
        return False
    if surface.isupper():
        return True  # IAM
    if any(ch.isupper() for ch in surface[1:]) and any(ch.islower() for ch in surface):
        return True  # CamelCase: CloudWatch, DynamoDB, and plurals of capitals: GPUs, LLMs
    # Any other capitalised word except the first of a sentence: Lambda, Step Functions.
    return surface[0].isupper() and not token.sentence_start


def _analyse_target(text: str) -> _Target:
    tokens = _tokenize(text)
    # A back made only of function words ("It is") is graded on all of its words.
    chosen = [t for t in tokens if not t.stop] or tokens
    terms: dict[str, _Term] = {}
    for token in chosen:
        if token.norm in terms:
            continue
        critical = _looks_like_name(token)
        if critical:
            weight = _CRITICAL_WEIGHT
        elif token.norm in _WEAK_TERMS:
            weight = _WEAK_WEIGHT
        else:
            weight = _ORDINARY_WEIGHT
        exact = token.unit or _is_exact_only(token.norm)
        terms[token.norm] = _Term(token.norm, token.surface, weight, critical, exact)
    compounds = tuple(
        (first.norm + second.norm, first.norm, second.norm)
        for first, second in zip(chosen, chosen[1:], strict=False)
    )
    return _Target(
        text=text,
        key=tuple(t.norm for t in chosen),
        terms=tuple(terms.values()),
        compounds=compounds,
        token_count=len(tokens),
        polarity=_polarity(tokens),
    )


def _analyse_answer(text: str) -> _Answer:
    tokens = _tokenize(text)
    norms = [t.norm for t in tokens]
    content = [t.norm for t in tokens if not t.stop]
    # "non-blocking" must not supply "blocking" on its own.
    pieces = [
        part
        for t in tokens
        if _negated_base(t) is None
        for part in t.parts
        if part not in _STOPWORDS
    ]
    # Adjacent words joined ("cloud watch", "one by one") so that compounds still match.
    pairs = ["".join(norms[i : i + 2]) for i in range(len(norms) - 1)]
    triples = ["".join(norms[i : i + 3]) for i in range(len(norms) - 2)]
    singles = list(dict.fromkeys(content + pieces))
    candidates = tuple(singles + [j for j in dict.fromkeys(pairs + triples) if j not in singles])
    # An acronym in the answer stands for its written-out words too ("CDN").
    expanded = [w for c in content for w in _ACRONYM_EXPANSIONS.get(c, ())]
    # Service names, numbers and units the answer mentions, to spot one the back does not
    # contain. Joined pairs only count when they spell a known name ("cloud trail"), not for
    # any digit they carry.
    named = frozenset(
        [t.norm for t in tokens if not t.stop and (t.norm in _KNOWN_NAMES or _has_digit(t.norm))]
        + [t.norm for t in tokens if t.unit and not t.stop]
        + [n for n in pairs if n in _KNOWN_NAMES]
    )
    return _Answer(
        key=tuple(content or norms),
        words=frozenset(candidates).union(expanded),
        candidates=candidates,
        single_count=len(singles),
        roots=tuple(_root(c) for c in candidates),
        named=named,
        token_count=len(tokens),
        polarity=_polarity(tokens),
    )


def _match_term(term: _Term, answer: _Answer) -> _Match:
    """Whether the answer contains one key term, allowing for typos and inflection."""
    if term.norm in answer.words:
        return _Match.FOUND
    expansion = _ACRONYM_EXPANSIONS.get(term.norm)
    if expansion is not None and all(word in answer.words for word in expansion):
        return _Match.FOUND
    if term.exact:
        return _Match.MISSING
    if term.critical:
        # Names do not inflect, so only their spelling is compared.
        searches = [(term.norm, answer.candidates)]
        cutoff = CRITICAL_TERM_SIMILARITY
    else:
        searches = [(term.norm, answer.candidates), (_root(term.norm), answer.roots)]
        cutoff = TERM_SIMILARITY
    result = _Match.MISSING
    for query, choices in searches:
        for _choice, score, index in process.extract(
            query,
            choices,
            scorer=fuzz.ratio,
            score_cutoff=min(cutoff, NEAR_MISS_SIMILARITY),
            limit=5,
        ):
            candidate = answer.candidates[index]
            if _is_exact_only(candidate):
                continue
            # Typos rarely hit the first letter, while opposites often differ exactly there:
            # "asynchronous"/"synchronous", "decreasing"/"increasing".
            if score >= cutoff and candidate[0] == term.norm[0]:
                return _Match.FOUND
            # Joined neighbours are too arbitrary to count as a near miss.
            if len(term.norm) >= _NEAR_MISS_MIN_LEN and index < answer.single_count:
                result = _Match.NEAR_MISS
    return result


def _names_something_else(name: str, target: _Target) -> bool:
    """Whether a service name in the answer matches none of the target's terms, nor two
    adjacent ones written as one ("CloudWatch" for "Cloud Watch")."""
    norms = {term.norm for term in target.terms}
    if name in norms or name in {joined for joined, _first, _second in target.compounds}:
        return False
    expansion = _ACRONYM_EXPANSIONS.get(name)
    if expansion is not None and norms.issuperset(expansion):
        return False
    return _is_exact_only(name) or not any(
        not _is_exact_only(norm) and fuzz.ratio(name, norm) >= CRITICAL_TERM_SIMILARITY
        for norm in norms
    )


_RANK = {Verdict.WRONG: 0, Verdict.UNSURE: 1, Verdict.CORRECT: 2}
_BY_RANK = {rank: verdict for verdict, rank in _RANK.items()}


def _grade_against(answer: _Answer, target: _Target) -> GradeResult:
    # A compound in the answer covers both halves of a two-word name in the back.
    compounded = {
        norm
        for joined, first, second in target.compounds
        if joined in answer.words
        for norm in (first, second)
    }
    total = 0.0
    covered = 0.0
    missing: list[str] = []
    missing_critical = near_miss = False
    for term in target.terms:
        total += term.weight
        match = _Match.FOUND if term.norm in compounded else _match_term(term, answer)
        # A term counts fully once it clears its similarity threshold; partial credit for
        # typos would make a correct but misspelt answer look like a partial one.
        if match is _Match.FOUND:
            covered += term.weight
            continue
        missing.append(term.surface)
        missing_critical = missing_critical or term.critical
        near_miss = near_miss or match is _Match.NEAR_MISS
    extra_names = any(_names_something_else(name, target) for name in answer.named)

    limit = _LENGTH_FACTOR * target.token_count + _LENGTH_SLACK
    too_long = answer.token_count > limit
    score = 100.0 * covered / total if total else 0.0
    if too_long:
        score *= limit / answer.token_count

    if score >= CORRECT_SCORE:
        rank = _RANK[Verdict.CORRECT]
    elif score >= UNSURE_SCORE:
        rank = _RANK[Verdict.UNSURE]
    else:
        rank = _RANK[Verdict.WRONG]
    if missing_critical or near_miss or too_long:
        rank = min(rank, _RANK[Verdict.UNSURE])
    if extra_names:
        # Naming a service the back does not mention costs one level, so substituting one
        # ("CloudTrail" for "CloudWatch") is WRONG while an extra aside is at most UNSURE.
        rank = max(rank - 1, _RANK[Verdict.WRONG])
    if _contradicts(answer.polarity, target.polarity):
        rank = _RANK[Verdict.WRONG]
    verdict = _BY_RANK[rank]
    matched = None if verdict is Verdict.WRONG else target.text
    return GradeResult(verdict, round(score, 1), matched, tuple(missing))


def grade_typed_answer(answer: str, back: str, accept: Sequence[str] = ()) -> GradeResult:
    """Grade a typed ``answer`` against a card's ``back`` and its extra accepted answers.

    An answer equal to the back or to an ``accept`` entry after normalisation is CORRECT;
    otherwise the best result over all of them is returned.
    """
    if isinstance(accept, str):
        accept = (accept,)  # a lone string is a Sequence[str] too, of single letters
    targets = [_analyse_target(text) for text in (back, *accept) if text.strip()]
    parsed = _analyse_answer(answer)
    if not parsed.key or not targets:
        missing = tuple(t.surface for t in targets[0].terms) if targets else ()
        return GradeResult(Verdict.WRONG, 0.0, None, missing)
    for target in targets:
        if parsed.key == target.key and not _contradicts(parsed.polarity, target.polarity):
            return GradeResult(Verdict.CORRECT, 100.0, target.text, ())
    results = [_grade_against(parsed, target) for target in targets]
    return max(results, key=lambda r: (_RANK[r.verdict], r.score))
