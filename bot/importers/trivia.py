"""Red-DiscordBot trivia lists: YAML mapping each question to its accepted answers.

    AUTHOR: Someone
    What is the capital of France?:
    - Paris
    Who wrote Hamlet?:
    - William Shakespeare
    - Shakespeare

The first answer is the card's back and the others its accepted answers. Every value is
read as text (`1969` and `Yes` stay as written), and aliases are refused: they let a small
file stand for a huge one.
"""

from __future__ import annotations

from typing import Final

import yaml

from bot.importers.model import DeckImportError, RawCard, RawDeck, Skipped

FORMAT: Final = "Red trivia list"
_LOADER: Final = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_MAX_DEPTH: Final = 3
# Keys of a trivia list that are no question.
_AUTHOR: Final = "AUTHOR"
_CONFIG: Final = "CONFIG"


def _check_events(text: str, filename: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise DeckImportError.single(
                filename, "it uses YAML aliases (`*name`); a trivia list needs none."
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                raise DeckImportError.single(
                    filename, "it nests lists deeper than a trivia list ever does."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_trivia(text: str, filename: str) -> RawDeck:
    try:
        _check_events(text, filename)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - BaseLoader builds plain text only
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DeckImportError.single(
            filename, f"it is not valid YAML{where}: {getattr(error, 'problem', None) or error}."
        ) from None
    if not isinstance(data, dict):
        raise DeckImportError.single(
            filename,
            "it is not a trivia list: a trivia list maps each question to a list of answers.",
        )
    if "cards" in data and "id" in data:
        raise DeckImportError.single(
            filename,
            "it is already a deck file of this bot, not a Red trivia list; put it in the "
            "decks folder instead.",
        )
    deck = RawDeck(format=FORMAT)
    author = data.get(_AUTHOR)
    if isinstance(author, str) and author.strip():
        deck.notes.append(f"The list's author is {' '.join(author.split())[:100]}.")
    deck.notes.append(
        "A trivia list is answered by typing: play it with `mode: typed`. Multiple choice "
        "takes its wrong options from the other questions' answers."
    )
    for number, (question, answers) in enumerate(data.items(), start=1):
        if question in (_AUTHOR, _CONFIG):
            continue
        where = f"question {number}"
        listed = answers if isinstance(answers, list) else [answers]
        texts = [" ".join(a.split()) for a in listed if isinstance(a, str) and a.strip()]
        if any(not isinstance(a, str) for a in listed):
            deck.skipped.append(Skipped(where, "an answer is not text"))
            continue
        if not isinstance(question, str) or not texts:
            deck.skipped.append(Skipped(where, "no answer"))
            continue
        deck.cards.append(RawCard(question, texts[0], None, where, tuple(texts[1:])))
    return deck
