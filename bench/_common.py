"""What every benchmark shares: percentiles, tables, targets and the JSON it writes.

Numbers that decide a target are ratios against a baseline measured in the same run,
so a noisy or slow machine moves both sides alike; nothing here asserts a threshold.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max and the count, the shape every latency table uses."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline > 0 else math.inf


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:,.2f} s"


def times(value: float) -> str:
    return f"{value:,.2f}×"


def mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.1f} MiB"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(self.headers) + " |",
            "| " + " | ".join("---" for _ in self.headers) + " |",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return f"**{self.title}**\n\n" + "\n".join(lines)


@dataclass
class Target:
    """A target from the spec and whether this run met it, with the numbers that decide it."""

    name: str
    met: bool
    detail: str

    def line(self) -> str:
        return f"- {'met' if self.met else 'NOT met'}: {self.name} ({self.detail})"


@dataclass
class Report:
    name: str
    title: str
    command: str
    sizes: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = math.nan

    def markdown(self) -> str:
        sizes = ", ".join(
            f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
            for key, value in self.sizes.items()
        )
        parts = [f"### {self.title}", f"`{self.command}` ({sizes}; took {secs(self.seconds)})"]
        parts += [table.markdown() for table in self.tables]
        if self.targets:
            parts.append("\n".join(target.line() for target in self.targets))
        if self.notes:
            parts.append("\n".join(f"- {note}" for note in self.notes))
        return "\n\n".join(parts)


def probe(module: str, *args: str) -> dict[str, Any]:
    """Run `python -m module args...` in a fresh interpreter (memory and import time
    measured from a clean start) and read the JSON object its last line prints."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=REPO,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def _plain(value: Any) -> Any:
    """JSON has no NaN or infinity; write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def write_json(report: Report, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report.name}.json"
    body = {"machine": machine(), **asdict(report)}
    path.write_text(json.dumps(_plain(body), indent=2, ensure_ascii=False) + "\n")
    return path
