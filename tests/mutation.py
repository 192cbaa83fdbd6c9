"""Mutation testing of the domain: `make mutation` (or `python -m tests.mutation [FILE ...]`).

mutmut changes the code of bot/domain one small edit at a time (a mutant) and runs the fast
domain tests (tests/domain) against each; a mutant that no test notices "survives". This
runs mutmut on the files given (all of bot/domain by default), then prints per file how many
mutants the tests killed, and writes every survivor with its diff to mutants/survivors.txt.

Counting: any failing test run kills the mutant, including one that cannot even import or
collect the tests (pytest exit code 2) and one stopped for running too long (a mutant that
loops forever). A mutant that no domain test reaches survives. mutmut does not mutate
module-level code nor functions with a decorator other than @staticmethod or @classmethod
(properties, cached functions): the report names those functions per file. A survivor that no test can
ever kill, because it does not change what the code does, may be listed in
tests/domain/equivalent_mutants.txt, one a line: the mutant's name, then why it is
equivalent. The scores are printed both raw and with those listed equivalents left out.

mutmut is run afresh each time (the mutants/ folder is rebuilt), so the report covers only
the files of this run. `--report` prints the report of the last run without running again.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Path("bot/domain")
MUTANTS = Path("mutants")
EQUIVALENTS = Path("tests/domain/equivalent_mutants.txt")
SURVIVORS = MUTANTS / "survivors.txt"
RUN_LOG = MUTANTS / "mutmut-run.log"

# mutmut's own codes besides a test run's exit code: None not run, 33 no test covers the
# mutated function, 34 skipped, 5 pytest found no test to run.
NOT_RUN = {None, 34}
NOT_REACHED = {5, 33}
TIMEOUTS = {36, -24, 24, 152, 255}


@dataclass
class FileScore:
    path: str
    killed: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    import_or_collect_errors: int = 0
    timeouts: int = 0

    @property
    def judged(self) -> int:
        return len(self.killed) + len(self.survived)


def module_of(path: Path) -> str:
    return ".".join(path.with_suffix("").parts)


def domain_files(requested: Iterable[str]) -> list[Path]:
    files = [Path(f) for f in requested]
    if not files:
        return sorted(p for p in DOMAIN.glob("*.py") if p.name != "__init__.py")
    for f in files:
        if f.suffix != ".py" or f.parent != DOMAIN or not f.exists():
            sys.exit(
                f"mutation: {f} is not a file of {DOMAIN}/ (give paths like bot/domain/streaks.py)"
            )
    return files


def run_mutmut(files: list[Path], jobs: int) -> None:
    if MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    MUTANTS.mkdir()
    mutmut = Path(sys.executable).with_name("mutmut")
    patterns = [module_of(f) + ".*" for f in files]
    print(
        f"mutmut: {len(files)} file(s), {jobs} at a time; its output goes to {RUN_LOG}", flush=True
    )
    with RUN_LOG.open("w") as log:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", str(jobs), *patterns],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
    if done.returncode != 0:
        tail = RUN_LOG.read_text(errors="replace").splitlines()[-30:]
        print("\n".join(tail))
        sys.exit(f"mutation: mutmut failed (exit code {done.returncode}); see {RUN_LOG}")


def load_equivalents() -> dict[str, str]:
    reasons: dict[str, str] = {}
    if not EQUIVALENTS.exists():
        return reasons
    for number, line in enumerate(EQUIVALENTS.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"mutation: {EQUIVALENTS}:{number}: {name} has no reason why it is equivalent")
        reasons[name] = reason.strip()
    return reasons


def score_file(path: Path) -> FileScore | None:
    meta = MUTANTS / (str(path) + ".meta")
    if not meta.exists():
        return None
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    score = FileScore(str(path))
    for name, code in sorted(codes.items()):
        if code in NOT_RUN:
            score.not_run.append(name)
        elif code == 0 or code in NOT_REACHED:
            score.survived.append(name)
        else:
            score.killed.append(name)
            score.import_or_collect_errors += code == 2
            score.timeouts += code in TIMEOUTS
    return score


def unmutated_functions(path: Path) -> list[str]:
    """Functions mutmut leaves alone: those with a decorator other than a lone
    @staticmethod or @classmethod (properties, caches), since it mutates through the
    function object the decorator receives at import."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
            only = node.decorator_list[0] if len(node.decorator_list) == 1 else None
            if not (isinstance(only, ast.Name) and only.id in ("staticmethod", "classmethod")):
                names.append(node.name)
    return names


def percent(part: int, whole: int) -> str:
    # Rounded down, so 99.6% never shows as a perfect 100%.
    return f"{100 * part // whole}%" if whole else "-"


def diff_of(name: str) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        return get_diff_for_mutant(name)
    except Exception as error:  # the report must not die on one unreadable mutant
        return f"(no diff: {error})"


def report(files: list[Path]) -> int:
    equivalents = load_equivalents()
    scores = [s for s in (score_file(f) for f in files) if s is not None]
    if not scores:
        sys.exit("mutation: no results in mutants/; run `make mutation` first")
    header = f"{'file':<28} {'mutants':>7} {'killed':>6} {'survived':>8} {'equivalent':>10} {'raw':>5} {'w/o equiv.':>10}"
    print()
    print(header)
    print("-" * len(header))
    lines: list[str] = []
    stale: list[str] = []
    listed_in_run = {
        n for n in equivalents if any(n.startswith(module_of(Path(s.path)) + ".") for s in scores)
    }
    for s in scores:
        equivalent = [n for n in s.survived if n in equivalents]
        stale += [n for n in s.killed if n in equivalents]
        listed_in_run -= set(s.killed) | set(s.survived) | set(s.not_run)
        total = s.judged
        print(
            f"{s.path:<28} {total:>7} {len(s.killed):>6} {len(s.survived):>8} {len(equivalent):>10}"
            f" {percent(len(s.killed), total):>5} {percent(len(s.killed), total - len(equivalent)):>10}"
        )
        extras = []
        if s.import_or_collect_errors:
            extras.append(f"{s.import_or_collect_errors} killed by an import or collection error")
        if s.timeouts:
            extras.append(f"{s.timeouts} killed by the time limit")
        if s.not_run:
            extras.append(f"{len(s.not_run)} NOT RUN (incomplete run)")
        skipped = unmutated_functions(Path(s.path))
        if skipped:
            extras.append(f"not mutated (decorated): {', '.join(skipped)}")
        if extras:
            print(f"{'':<28} ({'; '.join(extras)})")
        for name in s.survived:
            tag = f"EQUIVALENT: {equivalents[name]}" if name in equivalents else "SURVIVED"
            lines += [f"# {name}  {tag}", diff_of(name), ""]
    SURVIVORS.write_text("\n".join(lines) + "\n")
    print()
    print("raw: killed / mutants; w/o equiv.: killed / (mutants - surviving listed equivalents)")
    print(f"survivors with their diffs: {SURVIVORS}")
    for name in stale:
        print(f"warning: {name} is listed in {EQUIVALENTS} but a test kills it: remove the line")
    for name in sorted(listed_in_run):
        print(f"warning: {name} is listed in {EQUIVALENTS} but no such mutant exists now")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", help="files of bot/domain (default: all)")
    parser.add_argument(
        "--report", action="store_true", help="report the last run, do not run mutmut"
    )
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    args = parser.parse_args()
    os.chdir(ROOT)
    files = domain_files(args.files)
    if not args.report:
        run_mutmut(files, args.jobs)
    return report(files)


if __name__ == "__main__":
    sys.exit(main())
