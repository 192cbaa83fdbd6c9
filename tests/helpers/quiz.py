"""Driving `/quiz` and `/review` against the loopback Discord: start, press, read the screens."""

from __future__ import annotations

import re
from typing import Any

from bot.domain.decks import load_deck_file
from tests.conftest import StudyServer
from tests.fakediscord import FakeDiscord, InteractionHandle, Member
from tests.harness import SHIPPED_DECKS

ALREADY_ANSWERED = "You already answered this question; it was counted once."
DECK = load_deck_file(SHIPPED_DECKS / "aws-mla-c01-deployment.yaml")
BACK_OF = {card.front: card.back for card in DECK.cards}
OPTION = re.compile(r"^(?:✅ |❌ )?\*\*([ABCD])\.\*\* (.+)$", re.MULTILINE)


SMALL_DECK = """\
id: small
title: Small deck
description: Four cards with one topic each, so a topic picks one card.
topics: [logs, cdn, drift, storage]
cards:
  - front: Key logging tools for monitoring ML models on AWS
    back: AWS CloudWatch and Amazon S3 logs
    topic: logs
  - front: Benefits of using Amazon CloudFront in ML deployments
    back: Speeds up content delivery and reduces latency with a global CDN
    topic: cdn
  - front: Common challenge in deploying ML models and its solution
    back: Model drift; implement regular re-training and monitoring
    topic: drift
    explanation: Data changes over time, so a model's accuracy decays unless it is retrained.
  - front: Role of Amazon S3 in model deployment
    back: Storing model artifacts and data for inference
    topic: storage
    accept: [model artifacts]
"""


def front_of(message: dict[str, Any]) -> str:
    description = message["embeds"][0]["description"]
    return description.split("\n")[0].strip("*")


def options_of(message: dict[str, Any]) -> dict[str, str]:
    return dict(OPTION.findall(message["embeds"][0]["description"]))


def right_letter(message: dict[str, Any]) -> str:
    back = BACK_OF[front_of(message)]
    return next(letter for letter, text in options_of(message).items() if text == back)


def wrong_letter(message: dict[str, Any]) -> str:
    return next(letter for letter in "ABCD" if letter != right_letter(message))


def labels(message: dict[str, Any]) -> list[str]:
    return [c["label"] for row in message.get("components", []) for c in row["components"]]


async def start_quiz(
    fake: FakeDiscord, server: StudyServer, user: Member, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash("quiz", options, user=user, channel=server.channel)
    await it.wait_response()
    return it


async def press(
    fake: FakeDiscord, message: dict[str, Any], target: str, user: Member
) -> InteractionHandle:
    it = await fake.click(message, target, user=user)
    await it.wait_response()
    return it


async def slash(
    fake: FakeDiscord, server: StudyServer, user: Member, name: str, **options: Any
) -> InteractionHandle:
    it = await fake.invoke_slash(name, options, user=user, channel=server.channel)
    await it.wait_response()
    return it


async def grade_cards(
    fake: FakeDiscord, message: dict[str, Any], user: Member, grades: list[str]
) -> dict[str, Any]:
    for number, grade in enumerate(grades):
        if number:
            message = (await press(fake, message, "Next", user)).message
        message = (await press(fake, message, "Show answer", user)).message
        message = (await press(fake, message, grade, user)).message
    return message
