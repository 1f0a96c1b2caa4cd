"""The mutation score per module of today's code, from the mutation ledger, and what is not killed.

The verdicts come from scripts/mutation_ledger.json (`mutation_ledger.py record` after a
`mutmut run`); a function changed since its verdict counts as not judged. A timeout counts as
killed (the mutant made the tests hang), as mutmut's own badge counts it. Surviving mutants that cannot change what the
code does are "equivalent": one class is recognised here (a change of letter case in SQL that
leaves its quoted values alone: SQLite reads keywords and names case-blind); the others are in
scripts/equivalent_mutants.txt with the reason each is equivalent. The score is given both
raw (killed / tested) and without the equivalent mutants (killed / (tested - equivalent)).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst

ROOT = Path(__file__).resolve().parent.parent
STATUS = {"s": "survived", "n": "no tests", "x": "other exit"}  # the ledger's letters
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
    """Print one line per module from the ledger, on today's code, then every mutant left alive.

    Today's mutants are generated in memory; a function counts as judged while its code has the
    hash the ledger recorded (scripts/mutation_ledger.py). With --alive, print only the names of
    the judged mutants left alive and not known to be equivalent (to judge them again after a
    new test: `mutmut run $(scripts/mutation_score.py --alive)`, then `mutation_ledger.py record`).
    """
    import libcst

    sys.path.insert(0, str(ROOT / "scripts"))
    import mutation_ledger

    ledger = mutation_ledger.load()
    known = known_equivalents()
    total: Counter[str] = Counter()
    equivalent: list[tuple[str, str, str]] = []
    left: list[tuple[str, str, str]] = []
    commits: dict[str, set[str]] = {}
    if "--alive" not in sys.argv:
        print(
            f"{'module':24} {'killed':>6} {'judged':>6} {'equiv.':>6}  {'raw':>7}  {'w/o equiv.':>10}"
        )
    for module in mutation_ledger.modules():
        mutants = mutation_ledger.generate(module)
        tree = libcst.parse_module(mutants.code)
        counts: Counter[str] = Counter()
        for function, names in mutants.names.items():
            entry = ledger.get(f"{module} {function}")
            if entry is None or entry.hash != mutants.hashes.get(function):
                counts["unchecked"] += len(names)
                continue
            commits.setdefault(module, set()).add(entry.commit)
            for name, mark in zip(names, entry.letters, strict=True):
                counts["tested"] += 1
                if mark in "kt":
                    counts["killed"] += 1
                    counts["timeout"] += mark == "t"
                    continue
                diff = mutant_diff(tree, name, module)
                if mark == "c":  # killed or equivalent in an earlier run, not judged again
                    counts["carried"] += 1
                    if why_equivalent(module, name, diff, known):
                        counts["equivalent"] += 1
                    else:
                        counts["killed"] += 1
                    continue
                reason = why_equivalent(module, name, diff, known) if mark == "s" else None
                if reason:
                    counts["equivalent"] += 1
                    equivalent.append((name, reason, diff))
                else:
                    left.append((name, STATUS[mark], diff))
        total.update(counts)
        if "--alive" not in sys.argv:
            print(line(module, counts))
    if "--alive" in sys.argv:
        print("\n".join(name for name, _, _ in left))
        return 0
    print(line("all", total))
    for module, found in commits.items():
        print(f"  {module}: judged on {', '.join(sorted(found))}")
    print(f"\nNot killed and not known to be equivalent: {len(left)}")
    for name, status, diff in left:
        removed, added = changed_lines(diff)
        print(f"  {status:10} {name}\n    - {' / '.join(removed)}\n    + {' / '.join(added)}")
    reasons = Counter(reason for _, reason, _ in equivalent)
    print(f"\nEquivalent: {len(equivalent)}")
    for reason, count in reasons.most_common():
        print(f"  {count:4}  {reason}")
    return 0


def mutant_diff(tree: libcst.Module, name: str, path: str) -> str:
    """The unified diff a mutant makes to its function, from the module mutmut generated."""
    import libcst
    from mutmut.mutation.diff_apply import read_mutant_function, read_original_function

    functions = (read_original_function(tree, name), read_mutant_function(tree, name))
    original, mutant = (libcst.Module([f]).code.strip() for f in functions)
    return "\n".join(
        difflib.unified_diff(
            original.split("\n"), mutant.split("\n"), fromfile=path, tofile=path, lineterm=""
        )
    )


def line(label: str, counts: Counter[str]) -> str:
    """One row of the table: counts, raw score, score without the equivalent mutants."""
    killed, tested, equivalent = counts["killed"], counts["tested"], counts["equivalent"]
    raw = f"{100 * killed / tested:6.1f} %" if tested else "      -"
    net = f"{100 * killed / (tested - equivalent):6.1f} %" if tested > equivalent else "      -"
    timeouts = f"  ({counts['timeout']} by timeout)" if counts["timeout"] else ""
    if counts["carried"]:
        timeouts += f"  ({counts['carried']} carried from an earlier run)"
    if counts["unchecked"]:
        timeouts += f"  [{counts['unchecked']} not judged yet]"
    return f"{label:24} {killed:6} {tested:6} {equivalent:6}  {raw}  {net:>10}{timeouts}"


if __name__ == "__main__":
    sys.exit(main())
