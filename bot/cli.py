"""Command line: run the bot, apply migrations, check decks, practise offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, load_settings
from bot.domain.decks import DeckError, load_deck_file, load_decks
from bot.storage import Database, MigrationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Flashcard quiz bot for Discord study servers."
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and serve (the default)")
    sub.add_parser("migrate", help="apply database migrations and print the schema version")
    sub.add_parser("sync", help="run the bot once with a forced global command sync")

    decks = sub.add_parser("decks", help="deck tools")
    deck_sub = decks.add_subparsers(dest="decks_command", required=True)
    check = deck_sub.add_parser("check", help="validate deck files")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: DECKS_DIR)")

    practice = sub.add_parser("practice", help="a terminal quiz, no Discord needed")
    practice.add_argument("--deck", help="deck id (default: the only deck, or the first)")
    practice.add_argument(
        "--mode", choices=("multiple-choice", "flashcard"), default="multiple-choice"
    )
    practice.add_argument("--count", type=int, default=10, help="number of questions (1-50)")
    practice.add_argument("--topic", help="only cards of this topic")
    practice.add_argument("--seed", help="fix the card order and options (for repeatable runs)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        if command == "decks":
            return check_decks(args.paths or [settings.decks_dir])
        if command == "migrate":
            return asyncio.run(_migrate(settings.database_path))
        if command == "practice":
            from bot.practice import run_practice

            return asyncio.run(
                run_practice(
                    settings,
                    deck_id=args.deck,
                    mode=args.mode,
                    count=args.count,
                    topic=args.topic,
                    seed=args.seed,
                )
            )
        from bot.launcher import run_bot

        return asyncio.run(run_bot(settings, force_global_sync=command == "sync"))
    except (ConfigError, MigrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # includes aiohttp's connection errors
        print(f"error: cannot reach Discord ({exc}). Check the network and retry.", file=sys.stderr)
        return 1


async def _migrate(path: Path) -> int:
    async with await Database.open(path) as db:
        print(f"{path}: schema version {await db.schema_version()}")
    return 0


def check_decks(paths: Sequence[Path]) -> int:
    """Validate decks and print each one's card count per topic; 1 if any is invalid."""
    failed = False
    for path in paths:
        if path.is_dir():
            result = load_decks(path)
            decks = list(result.decks.values())
            errors = list(result.errors)
            if not decks and not errors:
                print(f"{path}: no deck files (*.yaml) found")
                failed = True
        else:
            decks, errors = [], []
            try:
                decks.append(load_deck_file(path))
            except DeckError as exc:
                errors.append(exc)
        for deck in decks:
            print(f"ok  {deck.id}: {len(deck.cards)} cards  ({deck.path})")
            for topic, count in deck.topic_counts().items():
                print(f"      {count:4d}  {topic}")
            untagged = sum(1 for card in deck.cards if card.topic is None)
            if untagged:
                print(f"      {untagged:4d}  (no topic)")
        for error in errors:
            failed = True
            print(f"ERROR {error}")
    return 1 if failed else 0
