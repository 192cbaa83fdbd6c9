"""`python -m bench [--quick] [name ...]`: run benchmarks, print their tables, write JSON.

Each benchmark writes bench/results/<name>.json; the run also writes
bench/results/summary.md, the tables in the form the README shows them.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
import time
import traceback

from bench._common import RESULTS_DIR, Report, machine, secs, write_json

# In the order `make bench` runs them; storage goes last, it is the longest.
BENCHMARKS = ("latency", "fanout", "shards", "decks", "startup", "charts", "storage")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    return parser


def main() -> int:
    args = _parser().parse_args()
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # discord.py reports each 429 it waits out; the fan-out benchmark counts them instead.
    logging.getLogger("discord").setLevel(logging.ERROR)
    about = machine()
    print(
        f"{about['date']} · {about['cpus']} CPUs · Python {about['python']} · {about['platform']}"
    )
    print(f"sizes: {'quick' if args.quick else 'full'}\n")
    reports: list[Report] = []
    started = time.perf_counter()
    failed: list[str] = []
    for name in args.names or BENCHMARKS:
        print(f"== {name} ...", flush=True)
        began = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            report: Report = module.run(args.quick)
        except Exception:
            # One broken benchmark (or a bot that does not start) must not cost the others.
            traceback.print_exc()
            print(f"== {name} FAILED after {secs(time.perf_counter() - began)}\n", flush=True)
            failed.append(name)
            continue
        report.seconds = time.perf_counter() - began
        path = write_json(report)
        print(report.markdown())
        print(f"\n(written to {path.relative_to(RESULTS_DIR.parents[1])})\n", flush=True)
        reports.append(report)
        gc.collect()
    total = time.perf_counter() - started
    targets = [target for report in reports for target in report.targets]
    met = sum(target.met for target in targets)
    print(f"== {met} of {len(targets)} targets met; all benchmarks took {secs(total)}")
    if failed:
        print(f"== FAILED: {', '.join(failed)}")
    header = (
        f"Measured {about['date']} on {about['cpus']} CPUs ({about['processor']}), "
        f"Python {about['python']}, {'quick' if args.quick else 'full'} sizes; "
        f"the run took {secs(total)}."
    )
    summary = "\n\n".join([header] + [report.markdown() for report in reports]) + "\n"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "summary.md").write_text(summary)
    if failed:
        # A failed benchmark may leave a worker thread (a database's, a bot's) that would
        # keep the interpreter from exiting; everything worth keeping is written by now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
