"""Command line: run the bot or a cluster, apply migrations, sync commands, check, import
and export decks, copy the database, practise offline."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError, load_settings
from bot.domain.answers import Mode
from bot.domain.decks import (
    MAX_DECK_FILE_BYTES,
    MEDIA_DIR_SUFFIX,
    Deck,
    DeckError,
    deck_to_yaml,
    load_deck_file,
    load_decks,
    parse_deck,
)
from bot.domain.words import plural
from bot.storage import Database, MigrationError, StorageUnavailable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Flashcard quiz bot for Discord study servers."
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and serve (the default)")
    sub.add_parser("migrate", help="apply database migrations and print the schema version")
    sub.add_parser("sync", help="run the bot once with a forced global command sync")
    cluster = sub.add_parser(
        "cluster", help="run N local processes that split the shards; restart any that dies"
    )
    cluster.add_argument("--processes", type=int, required=True, help="how many processes")

    decks = sub.add_parser("decks", help="deck tools")
    deck_sub = decks.add_subparsers(dest="decks_command", required=True)
    check = deck_sub.add_parser("check", help="validate deck files")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: DECKS_DIR)")
    into = deck_sub.add_parser(
        "import",
        help="turn a CSV/TSV, Anki (.apkg, .colpkg, collection.anki2, text export), Markdown or "
        "Red trivia (.yaml) file into a deck in DECKS_DIR, and summarise the import",
    )
    into.add_argument("file", type=Path, help="the file to import")
    into.add_argument("--id", dest="deck_id", help="the deck id (default: a slug of the title)")
    into.add_argument("--title", help="the deck title (default: from the file, or its name)")
    into.add_argument("--force", action="store_true", help="overwrite a deck file of that id")
    into.add_argument(
        "--deck", dest="anki_deck", help="of an Anki collection, import this deck (and subdecks)"
    )

    out = deck_sub.add_parser(
        "export",
        help="write a deck as a deck file: a zip with its media folder when it shows pictures",
    )
    out.add_argument("deck", help="the deck id")
    out.add_argument(
        "--guild", type=int, help="a deck imported into this server (read from the database)"
    )
    out.add_argument("--out", type=Path, help="where to write (default: ./<id>.yaml or .zip)")
    out.add_argument("--force", action="store_true", help="overwrite the file if it exists")

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser(
        "copy",
        help="copy every table of one database into another, empty one (SQLite to "
        "PostgreSQL or back), then print both sides' row counts",
    )
    copy.add_argument("source", help="the database to copy, e.g. sqlite:///data/quizbot.sqlite3")
    copy.add_argument("target", help="an empty database, e.g. postgresql://user@host:5432/quizbot")

    practice = sub.add_parser("practice", help="a terminal quiz, no Discord needed")
    practice.add_argument("--deck", help="deck id (default: the only deck, or the first)")
    practice.add_argument(
        "--mode", choices=(Mode.MULTIPLE_CHOICE, Mode.FLASHCARD), default=Mode.MULTIPLE_CHOICE
    )
    practice.add_argument("--count", type=int, default=10, help="number of questions (1-50)")
    practice.add_argument("--topic", help="only cards of this topic")
    practice.add_argument("--seed", help="fix the card order and options (for repeatable runs)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "db":
        return copy_database(args.source, args.target)
    try:
        settings = load_settings()
        if command == "decks" and args.decks_command == "import":
            return import_deck_file(
                args.file,
                settings.decks_dir,
                deck_id=args.deck_id,
                title=args.title,
                force=args.force,
                anki_deck=args.anki_deck,
            )
        if command == "decks" and args.decks_command == "export":
            return asyncio.run(
                export_deck(
                    args.deck,
                    settings.decks_dir,
                    out=args.out,
                    guild_id=args.guild,
                    database_url=settings.database_url,
                    force=args.force,
                )
            )
        if command == "decks":
            return check_decks(args.paths or [settings.decks_dir])
        if command == "cluster":
            from bot.cluster import run_cluster

            return asyncio.run(run_cluster(settings, args.processes))
        if command == "migrate":
            return asyncio.run(_migrate(settings.database_url, settings.database_wait))
        if command == "practice":
            from bot.practice import run_practice

            return asyncio.run(
                run_practice(
                    settings,
                    deck_id=args.deck,
                    mode=Mode(args.mode),
                    count=args.count,
                    topic=args.topic,
                    seed=args.seed,
                )
            )
        from bot.launcher import run_bot

        return asyncio.run(run_bot(settings, force_global_sync=command == "sync"))
    except (ConfigError, MigrationError, StorageUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # includes aiohttp's connection errors
        print(f"error: cannot reach Discord ({exc}). Check the network and retry.", file=sys.stderr)
        return 1


async def _migrate(url: str, wait: float) -> int:
    async with await Database.connect(url, wait=wait) as db:
        print(f"{db.location}: schema version {await db.schema_version()}")
    return 0


def copy_database(source: str, target: str) -> int:
    """`db copy`: 0 when every table's row count is the same on both sides, 1 when one
    differs, 2 when the copy was refused or did not finish (then nothing of it is written)."""
    from bot.storage.copy import CopyError, copy_database, describe

    progress = TextProgress(sys.stderr)
    try:
        report = asyncio.run(copy_database(source, target, progress=progress))
    except CopyError as exc:
        progress.end()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress.end()
        print(
            "error: the copy was interrupted; nothing of it was written to the target (its "
            "transaction rolled back), so the same command can run again",
            file=sys.stderr,
        )
        return 130
    progress.end()
    for line in report.lines():
        print(line)
    if not report.matches:
        print(f"error: the row counts of {describe(target)} differ from the source's")
        return 1
    print(f"copied {describe(source)} into {describe(target)}")
    return 0


class TextProgress:
    """A one-line progress bar per table on a terminal; a line per finished table otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.open = False

    def __call__(self, table: str, done: int, total: int) -> None:
        if self.live:
            filled = self.WIDTH if total == 0 else self.WIDTH * done // total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.stream.write(f"\r{table:<24} [{bar}] {done:>12,} / {total:,}")
            self.open = True
            if done >= total:
                self.end()
        elif done >= total:
            self.stream.write(f"{table:<24} {done:>12,} rows\n")
        self.stream.flush()

    def end(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


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
            print(f"ok  {deck.id}: {plural(len(deck.cards), 'card')}  ({deck.path})")
            for topic, count in deck.topic_counts().items():
                print(f"      {count:4d}  {topic}")
            untagged = sum(1 for card in deck.cards if card.topic is None)
            if untagged:
                print(f"      {untagged:4d}  (no topic)")
        for error in errors:
            failed = True
            print(f"ERROR {error}")
    return 1 if failed else 0


async def export_deck(
    deck_id: str,
    decks_dir: Path,
    *,
    out: Path | None,
    guild_id: int | None,
    database_url: str,
    force: bool,
) -> int:
    """Write a deck (of the decks folder, or a server's) as `/decks export` gives it: the
    YAML deck file, or a zip of it and its media folder when its cards show pictures."""
    from bot.importers.deck_zip import deck_pictures

    pictures: dict[str, bytes | Path] = {}
    if guild_id is None:
        result = load_decks(decks_dir)
        deck = result.decks.get(deck_id)
        if deck is None:
            known = ", ".join(sorted(result.decks)) or "none"
            print(
                f"error: {decks_dir} has no deck {deck_id!r} (its decks: {known})", file=sys.stderr
            )
            return 1
        for name in deck_pictures(deck):
            path = deck.picture(name)
            if path is not None:
                pictures[name] = path
    else:
        from bot.storage.server_decks import deck_from_json

        async with await Database.connect(database_url) as db:
            stored = await db.decks.get(guild_id, deck_id)
            if stored is None:
                print(f"error: server {guild_id} has no deck {deck_id!r}", file=sys.stderr)
                return 1
            deck = deck_from_json(stored.deck_json, label=f"server deck {deck_id}")
            for name in deck_pictures(deck):
                picture = await db.pictures.get(guild_id, deck_id, name)
                if picture is not None:
                    pictures[name] = picture.data
    return _write_export(deck, pictures, out, force=force)


def _write_export(
    deck: Deck, pictures: dict[str, bytes | Path], out: Path | None, *, force: bool
) -> int:
    from bot.importers.deck_zip import DeckArchiveWriter, archive_name, deck_pictures

    names = deck_pictures(deck)
    target = out or Path(archive_name(deck) if names else f"{deck.id}.yaml")
    if target.exists() and not force:
        print(f"error: {target} already exists; pass --force to overwrite it.", file=sys.stderr)
        return 1
    handle, temporary = tempfile.mkstemp(
        dir=target.parent if str(target.parent) else ".", prefix=".export-", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as written:
            if not names:
                written.write(deck_to_yaml(deck).encode("utf-8"))
            else:
                writer = DeckArchiveWriter(written, deck)
                for name in names:
                    source = pictures.get(name)
                    if source is not None:
                        writer.add(
                            name, source if isinstance(source, bytes) else source.read_bytes()
                        )
                writer.close()
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        print(f"error: cannot write {target}: {error.strerror or error}", file=sys.stderr)
        return 1
    kept = sum(1 for name in names if name in pictures)
    print(f"wrote {target}: {plural(len(deck.cards), 'card')}, {plural(kept, 'picture')}")
    return 0


def import_deck_file(
    path: Path,
    decks_dir: Path,
    *,
    deck_id: str | None,
    title: str | None,
    force: bool,
    anki_deck: str | None = None,
) -> int:
    """Write `path` as a YAML deck into `decks_dir`, its pictures into the deck's media
    folder beside it; print what was skipped. 1 on failure, and then nothing is written."""
    from bot.importers import ANKI_SUFFIXES, CLI_LIMITS, DeckImportError

    try:
        size = path.stat().st_size
        if size > CLI_LIMITS.max_file_bytes:  # refused without reading it
            raise DeckImportError.single(
                str(path), f"it is {size:,} bytes, more than {CLI_LIMITS.max_file_bytes:,}."
            )
        # Pictures (of Anki files) are copied into a hidden folder beside the decks,
        # renamed into place last; a failed import leaves no folder it made behind.
        created = not decks_dir.exists()
        staging = None
        if path.suffix.casefold() in (*ANKI_SUFFIXES, ".zip", ".md", ".markdown", ".txt"):
            decks_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=decks_dir, prefix=".import-media-"))
    except OSError as error:
        print(f"error: {path}: cannot read the file: {error.strerror or error}", file=sys.stderr)
        return 1
    except DeckImportError as error:
        for line in error.lines():
            print(f"error: {path}: {line}", file=sys.stderr)
        return 1
    try:
        status = _import_into(
            path, decks_dir, staging, deck_id=deck_id, title=title, force=force, anki_deck=anki_deck
        )
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if status and created and decks_dir.exists() and not any(decks_dir.iterdir()):
        decks_dir.rmdir()
    return status


def _import_into(
    path: Path,
    decks_dir: Path,
    staging: Path | None,
    *,
    deck_id: str | None,
    title: str | None,
    force: bool,
    anki_deck: str | None,
) -> int:
    from bot.importers import DeckImportError, import_deck
    from bot.importers.model import CLI_LIMITS

    try:
        result = import_deck(
            path,
            path.name,
            limits=CLI_LIMITS,
            deck_id=deck_id,
            title=title,
            deck=anki_deck,
            media_dir=staging,
        )
    except OSError as error:
        print(f"error: {path}: cannot read the file: {error.strerror or error}", file=sys.stderr)
        return 1
    except DeckImportError as error:
        for line in error.lines():
            print(f"error: {path}: {line}", file=sys.stderr)
        return 1
    deck = result.deck
    text = deck_to_yaml(deck)
    target = decks_dir / f"{deck.id}.yaml"
    # The bot must be able to load what is written: same size limit, same parser.
    if len(text.encode("utf-8")) > MAX_DECK_FILE_BYTES:
        print(
            f"error: {path}: the deck would be {len(text.encode()):,} bytes of YAML, more than "
            f"a deck file may be ({MAX_DECK_FILE_BYTES:,}). Split the file.",
            file=sys.stderr,
        )
        return 1
    parse_deck(text, filename=str(target), expected_id=deck.id)
    if target.exists() and not force:
        print(
            f"error: {target} already exists; pass --force to overwrite it, or choose "
            "another --id.",
            file=sys.stderr,
        )
        return 1
    media = target.with_name(target.stem + MEDIA_DIR_SUFFIX)
    if staging is not None:  # pictures copied for cards skipped after all stay behind
        shown = {n for card in deck.cards for n in (card.front_image, card.back_image) if n}
        for copied in staging.iterdir():
            if copied.name not in shown:
                copied.unlink()
    try:
        _write_with_media(target, text, staging, media, keep=result.summary.pictures > 0)
    except OSError as error:
        print(f"error: cannot write {target}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    for line in result.summary.lines():
        print(line)
    return 0


def _write_with_media(
    target: Path, text: str, staging: Path | None, media: Path, *, keep: bool
) -> None:
    """Put the pictures copied into `staging` in place as the deck's media folder, then
    write the deck file; an earlier media folder of that deck goes. When anything fails,
    the earlier folder and file are as they were."""
    old = media.with_name(f".old-{media.name}")
    shutil.rmtree(old, ignore_errors=True)
    moved = False
    try:
        if media.exists():
            media.rename(old)
        if keep and staging is not None:
            staging.rename(media)
            moved = True
        _write_atomically(target, text)
    except BaseException:
        if moved:
            shutil.rmtree(media, ignore_errors=True)
        if old.exists() and not media.exists():
            old.rename(media)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_atomically(target: Path, text: str) -> None:
    """Write beside the target, then rename: a failure never leaves half a deck behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
