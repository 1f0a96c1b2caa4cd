"""The mutation score per module from mutmut's results in mutants/, and what was not killed.

Run after `mutmut run` (scripts/mutate does both). Score = killed / (mutants - skipped), where a
timeout counts as killed (the mutant made the tests hang) as mutmut's own badge counts it.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3, 36, 37, -24, 24}  # failed test, pytest internal error, timeout, type check
SKIPPED = {34}
NAMES = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


def main() -> int:
    """Print one line per module, the total, and every mutant not killed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    modules = config["tool"]["mutmut"]["only_mutate"]
    total: Counter[str] = Counter()
    left: list[tuple[str, str]] = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.exists():
            print(f"{module}: no results (run mutmut first)")
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            if code in SKIPPED:
                counts["skipped"] += 1
            elif code in KILLED:
                counts["killed"] += 1
            else:
                counts["left"] += 1
                left.append((name, NAMES.get(code, f"exit {code}")))
        tested = counts["killed"] + counts["left"]
        total.update(counts)
        print(f"{module:24} {counts['killed']:4} of {tested:4} killed  {score(counts)}")
    print(
        f"{'all':24} {total['killed']:4} of {total['killed'] + total['left']:4} killed  "
        f"{score(total)}"
    )
    for name, status in left:
        print(f"  {status:12} {name}")
    return 0


def score(counts: Counter[str]) -> str:
    """'93.4 %' (or '-' with nothing tested)."""
    tested = counts["killed"] + counts["left"]
    return f"{100 * counts['killed'] / tested:5.1f} %" if tested else "    -"


if __name__ == "__main__":
    sys.exit(main())
