"""Decks: loading and validating a big deck, and the memory ten of them take.

Speed: the bot's `load_deck_file` (read, parse with the C safe loader, look for repeated
keys, validate every card) against plain `yaml.load` of the same file with the same C
loader (`yaml.CSafeLoader`), alternating, median of the repeats.

Memory: each side runs in a fresh process that imports the bot's start-up modules, then
either builds the bot's deck catalog from ten such decks (`bot.launcher.load_catalog`, what
start-up does) or keeps the ten plain `yaml.load` results. Peak is the process's maximum
resident set (`ru_maxrss`), held is the resident set after loading and a collection.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench._common import Report, Table, median, mib, ms, probe, ratio, times
from bot.domain.decks import MAX_DECK_FILE_BYTES, load_deck_file

NAME = "decks"
TOPICS = 20
C_LOADER = yaml.CSafeLoader


def deck_text(deck_id: str, cards: int) -> str:
    """A valid deck of ``cards`` short cards (every tenth with an explanation and answers).

    Cards are short on purpose: the bot refuses deck files over 5 MiB, so 50,000 cards
    fit only at about 100 bytes each.
    """
    lines = [
        f"id: {deck_id}",
        f"title: Generated deck {deck_id}",
        "description: Generated cards for the benchmark.",
        "topics:",
        *(f"  - Topic {t}" for t in range(TOPICS)),
        "cards:",
    ]
    for i in range(cards):
        lines += [
            f"  - front: What is term {i}?",
            f"    back: Meaning {i * 7919 % 100_003} of set {i % 97}",
            f"    topic: Topic {i % TOPICS}",
        ]
        if i % 10 == 0:
            lines += [f"    explanation: Set {i % 97} holds it.", f"    accept: [meaning {i}]"]
    return "\n".join(lines) + "\n"


def write_decks(directory: Path, count: int, cards: int) -> list[Path]:
    paths = []
    for number in range(count):
        deck_id = f"generated-{number:02d}"
        path = directory / f"{deck_id}.yaml"
        path.write_text(deck_text(deck_id, cards), encoding="utf-8")
        paths.append(path)
    return paths


def _plain_load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=C_LOADER)


def _time_loads(path: Path, repeats: int) -> tuple[list[float], list[float], int]:
    bot_times: list[float] = []
    plain_times: list[float] = []
    cards = 0
    for _ in range(repeats):
        for which in ("plain", "bot"):
            gc.collect()
            started = time.perf_counter()
            if which == "bot":
                cards = len(load_deck_file(path).cards)
            else:
                _plain_load(path)
            elapsed = time.perf_counter() - started
            (bot_times if which == "bot" else plain_times).append(elapsed)
    return bot_times, plain_times, cards


# -- the memory probe, run as `python -m bench.decks hold bot|yaml DIR` ------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hold(kind: str, directory: Path) -> dict[str, Any]:
    from bot.config import Settings
    from bot.launcher import load_catalog

    gc.collect()
    before = _rss_bytes()
    if kind == "bot":
        held: Any = load_catalog(Settings(decks_dir=directory))
        count = sum(len(deck.cards) for deck in held.decks.values())
    else:
        held = [_plain_load(path) for path in sorted(directory.glob("*.yaml"))]
        count = sum(len(data["cards"]) for data in held)
    gc.collect()
    return {
        "before": before,
        "held": _rss_bytes(),
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cards": count,
    }


def run(quick: bool) -> Report:
    cards, repeats, held_decks = (5_000, 3, 10) if quick else (50_000, 3, 10)
    report = Report(
        name=NAME,
        title="Decks: load and validate, and memory",
        command=f"python -m bench decks{' --quick' if quick else ''}",
        sizes={"cards per deck": cards, "repeats": repeats, "decks held": held_decks},
    )
    with tempfile.TemporaryDirectory(prefix="bench-decks-") as tmp:
        directory = Path(tmp)
        paths = write_decks(directory, held_decks, cards)
        size = paths[0].stat().st_size
        bot_times, plain_times, loaded = _time_loads(paths[0], repeats)
        assert loaded == cards, f"the bot loaded {loaded} of {cards} cards"
        memory = {
            kind: probe("bench.decks", "hold", kind, str(directory)) for kind in ("yaml", "bot")
        }
    bot_s, plain_s = median(bot_times), median(plain_times)
    load_ratio = ratio(bot_s, plain_s)
    report.tables.append(
        Table(
            f"One {cards:,}-card deck ({size / 2**20:.2f} MiB of YAML; the bot's cap is "
            f"{MAX_DECK_FILE_BYTES / 2**20:.0f} MiB), median of {repeats}",
            ["load", "time", "cards per second", "vs yaml.load"],
            [
                [
                    "bot: `load_deck_file` (parse + validate)",
                    ms(bot_s),
                    f"{cards / bot_s:,.0f}",
                    times(load_ratio),
                ],
                [
                    "`yaml.load(text, Loader=yaml.CSafeLoader)`",
                    ms(plain_s),
                    f"{cards / plain_s:,.0f}",
                    "1.00×",
                ],
            ],
        )
    )
    rows = []
    for kind, label in (("bot", "bot's deck catalog"), ("yaml", "plain `yaml.load` data")):
        m = memory[kind]
        rows.append(
            [
                label,
                mib(m["peak"]),
                mib(m["held"]),
                mib(m["before"]),
                mib(m["held"] - m["before"]),
                f"{(m['held'] - m['before']) / m['cards']:,.0f} B",
                times(
                    ratio(
                        m["held"] - m["before"], memory["yaml"]["held"] - memory["yaml"]["before"]
                    )
                ),
            ]
        )
    report.tables.append(
        Table(
            f"Memory of a process holding {held_decks} such decks "
            f"({held_decks * cards:,} cards), each in a fresh process",
            [
                "held as",
                "peak RSS",
                "RSS held",
                "RSS before loading",
                "decks' share",
                "per card",
                "vs plain data",
            ],
            rows,
        )
    )
    report.notes.append(
        "Before loading, both processes have imported the bot's start-up modules "
        "(`bot.launcher`, hence discord.py); the decks' share is the resident set added by "
        "loading and holding them."
    )
    report.data = {
        "deck_bytes": size,
        "bot_seconds": bot_times,
        "plain_seconds": plain_times,
        "load_ratio": load_ratio,
        "memory": memory,
    }
    return report


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "hold" and argv[1] in ("bot", "yaml"):
        print(json.dumps(_hold(argv[1], Path(argv[2]))))
        return 0
    print("usage: python -m bench.decks hold bot|yaml DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
