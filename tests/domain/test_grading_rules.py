"""The rules of typed-answer grading, one table row per (back, typed answer, verdict).

Backs are the shipped deck's cards (decks/aws-mla-c01-deployment.yaml). The deck has no
numbers, units or versions, so those rows use backs of the same kind from the field report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.domain.grading import Verdict, grade_typed_answer

C, U, W = Verdict.CORRECT, Verdict.UNSURE, Verdict.WRONG

DECK = Path(__file__).resolve().parents[2] / "decks" / "aws-mla-c01-deployment.yaml"

AB_TEST = "Deploy multiple endpoints and route traffic proportionally to assess performance"
ADVANTAGE = "Scalability and cost efficiency"
ALARMS = "Set up CloudWatch alarms and logs for performance metrics"
API_GATEWAY = "Acts as an interface to invoke ML models hosted on AWS"
CANARY = "Gradually routes traffic to a new model version to test changes and minimize risks"
CLOUDFRONT = "Speeds up content delivery and reduces latency with a global CDN"
COLD_STARTS = (
    "Warm starts reuse the existing container, while cold starts initiate a new one, "
    "causing a delay"
)
CONTAINERS = "Ensures consistency across environments and simplifies scalability"
DRIFT = "Model drift; implement regular re-training and monitoring"
ELB = (
    "Distributes incoming traffic across multiple instances to ensure availability and reliability"
)
EXPLAIN = "Understand and validate model predictions to ensure transparency and fairness"
INFERENTIA = "Uses dedicated chips optimized for high-performance ML tasks at lower costs"
LAMBDA = "Optimize memory and runtime for lower costs and higher throughput"
LOAD = "Handling increasing load and maintaining low latency"
LOGGING = "AWS CloudWatch and Amazon S3 logs"
MULTI_MODEL = "Hosts multiple models on a single endpoint to optimize costs and resource use"
RETRAINING = (
    "Online retraining updates a model incrementally with new data, "
    "while offline retraining requires retraining from scratch"
)
S3_CONNECT = "Use S3 for retrieving and storing model artifacts"
SCALING_COSTS = "Increased costs and possible inconsistencies in system state between replicas"
SECURITY = "Configure IAM roles, encrypt data, and network safety measures"
STEP = "Orchestrates multiple services and tasks into a serverless workflow"
SYNC = (
    "Synchronous processes requests one at a time, "
    "while asynchronous queues requests for later processing"
)

PORT = "TCP port 443"
SCALE_OUT = "Scale out horizontally"
AT_REST = "The data is encrypted at rest"
NOT_AT_REST = "The data is not encrypted at rest"
PYTHON = "Upgrade to Python 3.11"
TIMEOUT = "Timeout of 15 minutes"
REGION = "Deploy to us-east-1"
INSTANCE = "Use ml.p3.2xlarge instances"

# (rule, back, typed, verdict). Each rule has rows that hold it both ways.
RULES: list[tuple[str, str, str, Verdict]] = [
    # Case, punctuation, articles and spacing are forgiven.
    ("case-and-punctuation-forgiven", SCALE_OUT, "Scale out, horizontally!", C),
    ("case-and-punctuation-forgiven", DRIFT, "Model drift: implement regular retraining.", C),
    # but not inside a number: "4.43" is another number than "443".
    ("case-and-punctuation-forgiven", PORT, "TCP port 4.43", W),
    ("case-and-punctuation-forgiven", ALARMS, "SET UP CLOUDWATCH ALARMS AND LOGS FOR METRICS", C),
    ("articles-forgiven", AT_REST, "data is encrypted at rest", C),
    ("articles-forgiven", NOT_AT_REST, "the data is never encrypted at rest", C),
    ("articles-forgiven", PORT, "the port 443 of TCP", C),
    ("articles-forgiven", AT_REST, "the data is encrypted", U),
    # Word order is forgiven.
    ("word-order-forgiven", PORT, "port 443 over TCP", C),
    (
        "word-order-forgiven",
        LAMBDA,
        "optimise runtime and memory for lower cost, higher throughput",
        C,
    ),
    ("word-order-forgiven", S3_CONNECT, "storing and retrieving model artifacts in S3", C),
    ("word-order-forgiven", PORT, "port TCP", U),
    # Small typos in ordinary words are forgiven; in names and numbers they are not.
    (
        "typo-forgiven-in-ordinary-words-not-names",
        CANARY,
        "gradualy routes trafic to a new model version to test changes",
        C,
    ),
    (
        "typo-forgiven-in-ordinary-words-not-names",
        S3_CONNECT,
        "use S3 for retreiving and storing model artefacts",
        C,
    ),
    ("typo-forgiven-in-ordinary-words-not-names", LOGGING, "cloudwach and s3 logs", C),
    (
        "typo-forgiven-in-ordinary-words-not-names",
        S3_CONNECT,
        "use S4 for retrieving and storing model artifacts",
        W,
    ),
    ("typo-forgiven-in-ordinary-words-not-names", LOGGING, "cloudwatch and ec2 logs", W),
    # Numbers match exactly: a different number is wrong, a missing one a close call.
    ("number-exact", PORT, "TCP port 443", C),
    ("number-exact", PORT, "tcp port 80", W),
    ("number-exact", PORT, "TCP port 4430", W),
    ("number-exact", PORT, "TCP port", U),
    ("number-exact", TIMEOUT, "timeout of 16 minutes", W),
    (
        "number-exact",
        AB_TEST,
        "deploy 2 endpoints and route traffic proportionally to assess performance",
        U,
    ),
    # Versions match exactly.
    ("version-exact", PYTHON, "upgrade to python 3.11", C),
    ("version-exact", PYTHON, "upgrade to python 3.12", W),
    ("version-exact", PYTHON, "upgrade to python 3.1", W),
    # The unit after a number matches exactly.
    ("unit-exact", TIMEOUT, "a 15 minute timeout", C),
    ("unit-exact", TIMEOUT, "timeout of 15 seconds", W),
    ("unit-exact", TIMEOUT, "timeout of 15", U),
    # Identifiers match exactly.
    ("identifier-exact", REGION, "deploy to us-east-1", C),
    ("identifier-exact", REGION, "deploy to us-east-2", W),
    ("identifier-exact", INSTANCE, "use ml.p3.2xlarge instance", C),
    ("identifier-exact", INSTANCE, "use ml.p3.8xlarge instances", W),
    # Opposite pairs: the other side of a pair is wrong, the same side right.
    ("opposite-in-out", SCALE_OUT, "scale in horizontally", W),
    ("opposite-in-out", SCALE_OUT, "scale-out horizontally", C),
    ("opposite-in-out", ELB, "distributes outgoing traffic across multiple instances", U),
    (
        "opposite-up-down",
        CLOUDFRONT,
        "speeds down content delivery and reduces latency with a global CDN",
        W,
    ),
    ("opposite-up-down", ALARMS, "set down cloudwatch alarms and logs for performance metrics", W),
    (
        "opposite-up-down",
        CLOUDFRONT,
        "global cdn speeding up delivery of content and reducing latency",
        C,
    ),
    (
        "opposite-min-max",
        CANARY,
        "gradually routes traffic to a new model version to test changes and maximize risks",
        W,
    ),
    (
        "opposite-min-max",
        CANARY,
        "gradually route traffic to new model versions to test changes and minimise risk",
        C,
    ),
    ("opposite-increase-decrease", LOAD, "handling decreasing load and maintaining low latency", W),
    (
        "opposite-increase-decrease",
        CLOUDFRONT,
        "speeds up content delivery and increases latency with a global CDN",
        W,
    ),
    ("opposite-increase-decrease", LOAD, "handle increasing loads, maintain low latency", C),
    (
        "opposite-increase-decrease",
        SCALING_COSTS,
        "decreased costs and possible inconsistencies in system state between replicas",
        W,
    ),
    ("opposite-high-low", LOAD, "handling increasing load and maintaining high latency", W),
    (
        "opposite-high-low",
        INFERENTIA,
        "dedicated chips optimized for high performance ML tasks at higher costs",
        W,
    ),
    (
        "opposite-high-low",
        INFERENTIA,
        "dedicated chips optimized for high performance ML tasks at lower cost",
        C,
    ),
    ("opposite-synchronous-asynchronous", "Synchronous inference", "asynchronous inference", W),
    ("opposite-synchronous-asynchronous", "Asynchronous inference", "synchronous inference", W),
    ("opposite-synchronous-asynchronous", "Synchronous inference", "synchronous inferences", C),
    ("opposite-online-offline", "Online inference", "offline inference", W),
    ("opposite-online-offline", "Online inference", "inference online", C),
    (
        "opposite-public-private",
        "Public endpoints for inference",
        "private endpoints for inference",
        W,
    ),
    (
        "opposite-public-private",
        API_GATEWAY,
        "acts as a private interface to invoke ml models hosted on aws",
        C,
    ),
    ("opposite-horizontal-vertical", SCALE_OUT, "scale out vertically", W),
    ("opposite-horizontal-vertical", SCALE_OUT, "horizontally scale out", C),
    (
        "opposite-encrypt-decrypt",
        SECURITY,
        "configure IAM roles, decrypt data, and network safety measures",
        W,
    ),
    (
        "opposite-encrypt-decrypt",
        SECURITY,
        "configure iam roles, encrypt data and network safety",
        C,
    ),
    # Where the back names both sides, taking one side is only part of the answer.
    ("both-sides-in-back-part-answer", SYNC, "asynchronous processes requests one at a time", U),
    (
        "both-sides-in-back-part-answer",
        RETRAINING,
        "offline retraining updates a model incrementally with new data",
        U,
    ),
    ("both-sides-in-back-part-answer", COLD_STARTS, "warm starts reuse the existing container", U),
    (
        "both-sides-in-back-part-answer",
        SYNC,
        "synchronous processes requests one at a time, asynchronous queues them to process later",
        C,
    ),
    # Negation: negating where the back does not, or not negating where it does, is wrong.
    ("negation-must-match-the-back", AT_REST, "The data is not encrypted at rest", W),
    ("negation-must-match-the-back", NOT_AT_REST, "The data is encrypted at rest", W),
    ("negation-must-match-the-back", DRIFT, "model drift, no retraining or monitoring", W),
    (
        "negation-must-match-the-back",
        SECURITY,
        "configure IAM roles, don't encrypt data, network safety measures",
        W,
    ),
    (
        "negation-must-match-the-back",
        MULTI_MODEL,
        "hosts multiple models on a single endpoint without optimizing costs and resource use",
        W,
    ),
    ("negation-must-match-the-back", NOT_AT_REST, "data never encrypted at rest", C),
    (
        "negation-must-match-the-back",
        MULTI_MODEL,
        "host multiple models on a single endpoint to optimize cost and resource usage",
        C,
    ),
    # A negating prefix on a word of the back is its opposite.
    ("negating-prefix-is-opposite", AT_REST, "the data is unencrypted at rest", W),
    (
        "negating-prefix-is-opposite",
        CONTAINERS,
        "ensures inconsistency across environments and simplifies scalability",
        W,
    ),
    (
        "negating-prefix-is-opposite",
        SCALING_COSTS,
        "increased costs and possible consistencies in system state between replicas",
        W,
    ),
    (
        "negating-prefix-is-opposite",
        DRIFT,
        "model drift; implement irregular retraining and monitoring",
        W,
    ),
    (
        "negating-prefix-is-opposite",
        EXPLAIN,
        "misunderstand and invalidate model predictions to ensure transparency and fairness",
        W,
    ),
    (
        "negating-prefix-is-opposite",
        STEP,
        "orchestrates multiple services and tasks into a non-serverless workflow",
        W,
    ),
    (
        "negating-prefix-is-opposite",
        CONTAINERS,
        "ensures consistency across environments, simplifies scaling",
        C,
    ),
    (
        "negating-prefix-is-opposite",
        SCALING_COSTS,
        "higher costs, possible inconsistencies in system state between replicas",
        C,
    ),
    (
        "negating-prefix-is-opposite",
        STEP,
        "orchestrate multiple services and tasks into a serverless workflow",
        C,
    ),
]


@pytest.mark.parametrize(
    ("rule", "back", "typed", "expected"),
    RULES,
    ids=[f"{i:02d}-{row[0]}" for i, row in enumerate(RULES)],
)
def test_rule(rule: str, back: str, typed: str, expected: Verdict) -> None:
    result = grade_typed_answer(typed, back)
    assert result.verdict is expected, (rule, result)


def test_rule_table_holds_each_rule_both_ways() -> None:
    assert len(RULES) >= 60
    verdicts: dict[str, set[Verdict]] = {}
    for rule, _back, _typed, verdict in RULES:
        verdicts.setdefault(rule, set()).add(verdict)
    one_way = [rule for rule, seen in verdicts.items() if len(seen) < 2]
    # A rule that holds only one way says nothing about the other: each rule has rows where
    # it lets the answer through and rows where it does not.
    assert not one_way, one_way


def test_rule_table_backs_are_on_the_shipped_deck() -> None:
    deck = yaml.safe_load(DECK.read_text(encoding="utf-8"))
    backs = {card["back"] for card in deck["cards"]}
    field_report = {PORT, SCALE_OUT, AT_REST, NOT_AT_REST, PYTHON, TIMEOUT, REGION, INSTANCE}
    others = {back for _rule, back, _typed, _verdict in RULES} - backs - field_report
    # A few short backs state a single pair's sides on their own ("Online inference").
    assert all(len(back.split()) <= 4 for back in others), others
