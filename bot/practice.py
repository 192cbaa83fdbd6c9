"""`python -m bot practice`: a terminal quiz on the same domain code and database."""

from __future__ import annotations

import secrets
import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings
from bot.domain.answers import Letter, Mode, SelfGrade, is_correct, points_for
from bot.domain.decks import Deck, load_decks
from bot.domain.playable import UnplayableError, check_playable, needs_text_answers
from bot.domain.questions import build_multiple_choice, draw_cards
from bot.domain.words import plural
from bot.storage import Database, NewAnswer

LOCAL_USER_ID = 0  # Discord ids are never 0, so the terminal user cannot collide with a member
LOCAL_USER_NAME = "local practice"
GRADES = {str(number): grade for number, grade in enumerate(SelfGrade, start=1)}


def _pick_deck(decks: dict[str, Deck], deck_id: str | None, out: TextIO) -> Deck | None:
    if deck_id is None:
        if not decks:
            return None
        return decks[sorted(decks)[0]]
    if deck_id in decks:
        return decks[deck_id]
    print(f"No deck with id {deck_id!r}. Decks: {', '.join(sorted(decks)) or 'none'}", file=out)
    return None


def _ask(prompt: str, stdin: TextIO, out: TextIO) -> str | None:
    """Read one line; None at end of input (the session then stops cleanly)."""
    out.write(prompt)
    out.flush()
    line = stdin.readline()
    if not line:
        out.write("\n")
        return None
    return line.strip()


async def run_practice(
    settings: Settings,
    *,
    deck_id: str | None,
    mode: Mode,
    count: int,
    topic: str | None,
    seed: str | None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> int:
    if not 1 <= count <= 50:
        print("--count must be between 1 and 50.", file=out)
        return 2
    result = load_decks(settings.decks_dir)
    for error in result.errors:
        print(f"skipped a broken deck: {error}", file=sys.stderr)
    deck = _pick_deck(result.decks, deck_id, out)
    if deck is None:
        if not result.decks:
            print(f"No decks found in {settings.decks_dir}.", file=out)
        return 2
    if topic is not None and topic not in deck.topics:
        print(f"Deck {deck.id} has no topic {topic!r}. Topics: {', '.join(deck.topics)}", file=out)
        return 2
    try:
        check_playable(deck, mode, topic=topic)
    except UnplayableError as error:
        if mode == Mode.MULTIPLE_CHOICE:
            error = error.suggesting("Try --mode flashcard.")
        print(error.message, file=out)
        return 2

    session_id = f"practice:{seed or secrets.token_hex(8)}:{secrets.token_hex(4)}"
    cards = draw_cards(
        deck,
        count=count,
        topic=topic,
        seed=seed or session_id,
        text_answers=needs_text_answers(mode),
    )
    print(f"{deck.title} - {plural(len(cards), 'card')}, {mode}. Type q to stop.", file=out)
    if len(cards) < count:
        matching = plural(len(cards), "card matches", "cards match")
        print(f"(only {matching}, so the session is shorter)", file=out)

    right = answered = 0
    async with await Database.connect(settings.database_url, wait=settings.database_wait) as db:
        await db.members.upsert_user(LOCAL_USER_ID, LOCAL_USER_NAME, datetime.now(UTC))
        for index, card in enumerate(cards):
            print(f"\nQ{index + 1}/{len(cards)}  {card.front}", file=out)
            if card.front_image:  # a terminal cannot show it; say where it is
                print(f"  (picture: {deck.picture(card.front_image)})", file=out)
            started = time.monotonic()
            grade: SelfGrade | None = None
            if mode == Mode.MULTIPLE_CHOICE:
                question = build_multiple_choice(deck, card, seed=seed or session_id)
                for letter, option in zip(Letter, question.options, strict=True):
                    print(f"  {letter}. {option}", file=out)
                reply = None
                while reply is None or reply not in tuple(Letter):
                    reply = _ask("Your answer (A-D): ", stdin, out)
                    if reply is None or reply.lower() == "q":
                        break
                    reply = reply.upper()
                if reply is None or reply.lower() == "q":
                    break
                correct = is_correct(Letter(reply), correct_index=question.correct_index)
                verdict = "Right!" if correct else "Wrong."
                print(f"{verdict} The answer is {question.correct_letter}. {card.back}", file=out)
            else:
                if _ask("Press Enter to show the answer: ", stdin, out) is None:
                    break
                print(f"  {card.back}", file=out)
                if card.back_image:
                    print(f"  (picture: {deck.picture(card.back_image)})", file=out)
                reply = None
                while reply is None or reply not in GRADES:
                    reply = _ask(
                        "How well did you know it? 1 again, 2 hard, 3 good, 4 easy: ", stdin, out
                    )
                    if reply is None or reply.lower() == "q":
                        break
                if reply is None or reply.lower() == "q":
                    break
                grade = GRADES[reply]
                correct = is_correct(grade)
            if card.explanation:
                print(f"  {card.explanation}", file=out)
            await db.answers.record(
                NewAnswer(
                    user_id=LOCAL_USER_ID,
                    guild_id=None,
                    deck_id=deck.id,
                    card_id=card.id,
                    mode=mode,
                    correct=correct,
                    grade=grade,
                    points=points_for(mode, correct),
                    answered_at=datetime.now(UTC),
                    response_ms=int((time.monotonic() - started) * 1000),
                    session_id=session_id,
                    question_index=index,
                ),
            )
            answered += 1
            right += int(correct)
    if answered:
        print(f"\nDone: {right}/{answered} right ({right * 100 // answered}%).", file=out)
    else:
        print("\nNo answers recorded.", file=out)
    return 0
