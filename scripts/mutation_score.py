"""The mutation score per module from mutmut's results in mutants/, and what was not killed.

Run after `mutmut run` (scripts/mutate does both). A timeout counts as killed (the mutant made
the tests hang), as mutmut's own badge counts it. Surviving mutants that cannot change what the
code does are "equivalent": one class is recognised here (a change of letter case in SQL that
leaves its quoted values alone: SQLite reads keywords and names case-blind); the others are in
scripts/equivalent_mutants.txt with the reason each is equivalent. The score is given both
raw (killed / tested) and without the equivalent mutants (killed / (tested - equivalent)).
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 36, 37, -24, 24}  # failed test, pytest internal error, timeout, type check
TIMEOUT = {36, -24, 24}
SKIPPED = {34}
NAMES = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}
_QUOTED = re.compile(r"'[^']*'")  # a value inside SQL: its case matters
EQUIVALENT_FILE = ROOT / "scripts" / "equivalent_mutants.txt"


def known_equivalents() -> list[tuple[str, str, str]]:
    """(function, mutated line, reason) from the list kept by hand: `function | line | reason`."""
    found = []
    for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            function, mutated, reason = (part.strip() for part in line.split(" | ", 2))
            found.append((function, mutated, reason))
    return found


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The removed and the added lines of a unified diff, without their markers."""
    lines = diff.splitlines()
    removed = [x[1:].strip() for x in lines if x.startswith("-") and not x.startswith("---")]
    added = [x[1:].strip() for x in lines if x.startswith("+") and not x.startswith("+++")]
    return removed, added


def why_equivalent(
    module: str, name: str, diff: str, known: list[tuple[str, str, str]]
) -> str | None:
    """The reason a surviving mutant is equivalent, or None."""
    removed, added = changed_lines(diff)
    if (
        module.startswith("storage/")
        and removed
        and len(removed) == len(added)
        and all(
            a.lower() == b.lower() and _QUOTED.findall(a) == _QUOTED.findall(b)
            for a, b in zip(removed, added, strict=True)
        )
    ):
        return "SQL keywords and names are case-blind in SQLite"
    function = re.sub(r"__mutmut_\d+$", "", name)
    for known_function, mutated, reason in known:
        if function == known_function and mutated in added:
            return reason
    return None


def main() -> int:
    """Print one line per module, the total, then every mutant not killed.

    With --alive, print only the names of the mutants left alive (to re-check them after new
    tests: `mutmut run $(scripts/mutation_score.py --alive)`).
    """
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # only once results exist

    if "--alive" in sys.argv:
        for module in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
            "mutmut"
        ]["only_mutate"]:
            meta = ROOT / "mutants" / f"{module}.meta"
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            print("\n".join(n for n, c in codes.items() if c is not None and c not in KILLED))
        return 0

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    known = known_equivalents()
    total: Counter[str] = Counter()
    equivalent: list[tuple[str, str, str]] = []
    left: list[tuple[str, str, str]] = []
    print(
        f"{'module':24} {'killed':>6} {'tested':>6} {'equiv.':>6}  {'raw':>7}  {'w/o equiv.':>10}"
    )
    for module in config["tool"]["mutmut"]["only_mutate"]:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            print(f"{module}: no results (run mutmut first)")
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            if code in SKIPPED:
                continue
            if code is None:  # not judged yet (an interrupted run): left out of the score
                counts["unchecked"] += 1
                continue
            counts["tested"] += 1
            if code in KILLED:
                counts["killed"] += 1
                counts["timeout"] += code in TIMEOUT
                continue
            diff = get_diff_for_mutant(name, path=module)
            reason = why_equivalent(module, name, diff, known) if code == 0 else None
            if reason:
                counts["equivalent"] += 1
                equivalent.append((name, reason, diff))
            else:
                left.append((name, NAMES.get(code, f"exit {code}"), diff))
        total.update(counts)
        print(line(module, counts))
    print(line("all", total))
    print(f"\nNot killed and not known to be equivalent: {len(left)}")
    for name, status, diff in left:
        removed, added = changed_lines(diff)
        print(f"  {status:10} {name}\n    - {' / '.join(removed)}\n    + {' / '.join(added)}")
    reasons = Counter(reason for _, reason, _ in equivalent)
    print(f"\nEquivalent: {len(equivalent)}")
    for reason, count in reasons.most_common():
        print(f"  {count:4}  {reason}")
    return 0


def line(label: str, counts: Counter[str]) -> str:
    """One row of the table: counts, raw score, score without the equivalent mutants."""
    killed, tested, equivalent = counts["killed"], counts["tested"], counts["equivalent"]
    raw = f"{100 * killed / tested:6.1f} %" if tested else "      -"
    net = f"{100 * killed / (tested - equivalent):6.1f} %" if tested > equivalent else "      -"
    timeouts = f"  ({counts['timeout']} by timeout)" if counts["timeout"] else ""
    if counts["unchecked"]:
        timeouts += f"  [{counts['unchecked']} not judged yet]"
    return f"{label:24} {killed:6} {tested:6} {equivalent:6}  {raw}  {net:>10}{timeouts}"


if __name__ == "__main__":
    sys.exit(main())
