"""The mutation ledger: mutmut's verdicts kept in the repository, per function and its code.

mutants/ is mutmut's scratch folder (not in git), lost with the checkout that ran it. The ledger,
scripts/mutation_ledger.json (one function per line, so merges rarely conflict), keeps for every
function of the modules in pyproject's [tool.mutmut] `only_mutate` whose mutants were all judged:
the hash mutmut gives the function's code, the commit it was judged on, and one letter per mutant
in mutmut's numbering (k killed, t killed by timeout, s survived, n no test reaches it, x another
exit code). A verdict counts only while the function's code keeps that hash, so the score
(scripts/mutation_score.py) is always the score of today's code, and whatever changed since is
shown as not judged.

    record            store the functions that mutants/*.meta has judged completely (on the code
                      the checkout has now; a function edited since its run is left out)
    pending [GLOB…]   today's mutants not judged yet, for `mutmut run $(… pending 'GLOB')`
    alive [GLOB…]     judged mutants left alive, to judge again after a new test
    carry COMMIT FUNCTION…
                      keep an earlier run's finding "every mutant killed or equivalent" for
                      functions (`module function`, as in the ledger) whose code at COMMIT is
                      today's code: letters `c`, shown apart in the score; judging the function
                      again replaces them (`pending --carried` lists them)
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "scripts" / "mutation_ledger.json"
KILLED = {1, 3, 37}  # a test failed, pytest's internal error, the type checker refused it
TIMEOUT = {36, -24, 24}  # the mutant made the tests hang: killed, as mutmut counts it
NO_TEST = {5, 33}


CARRIED = "c"  # killed or equivalent in an earlier run whose per-mutant verdicts were lost


def letter(code: int) -> str:
    """One mutmut exit code as the ledger's letter."""
    if code in KILLED:
        return "k"
    if code in TIMEOUT:
        return "t"
    if code == 0:
        return "s"
    return "n" if code in NO_TEST else "x"


def modules() -> list[str]:
    """The modules mutmut mutates, as configured in pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def prefix(module: str) -> str:
    """The start of every mutant name of a module: `bot.domain.rounds.`."""
    return module.removesuffix(".py").replace("/", ".") + "."


@dataclass(frozen=True)
class Entry:
    """One function's verdicts: its code's hash, the commit judged, a letter per mutant."""

    hash: str
    commit: str
    letters: str


def load() -> dict[str, Entry]:
    """The ledger, keyed `module function` (`bot/domain/rounds.py xǁAssessmentsǁtap`)."""
    if not LEDGER.exists():
        return {}
    raw = json.loads(LEDGER.read_text(encoding="utf-8"))
    return {key: Entry(*value) for key, value in raw.items()}


def save(ledger: dict[str, Entry]) -> None:
    """Write the ledger sorted, one function per line."""
    lines = [
        f"{json.dumps(key, ensure_ascii=False)}: "
        f"{json.dumps([e.hash, e.commit, e.letters], ensure_ascii=False)}"
        for key, e in sorted(ledger.items())
    ]
    LEDGER.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


@dataclass(frozen=True)
class Mutants:
    """Today's mutants of one module, generated in memory: code, names per function, hashes."""

    code: str
    names: dict[str, list[str]]  # function -> its mutants' full names, in mutmut's numbering
    hashes: dict[str, str]


def generate(module: str) -> Mutants:
    """Generate a module's mutants as `mutmut run` would, without touching mutants/."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    mutated = mutate_file_contents(module, (ROOT / module).read_text(encoding="utf-8"))
    names: dict[str, list[str]] = {}
    for name in mutated.mutant_names:
        function = name.rpartition("__mutmut_")[0]
        names.setdefault(function, []).append(prefix(module) + name)
    for function, found in names.items():
        found.sort(key=lambda n: int(n.rpartition("__mutmut_")[2]))
        if [int(n.rpartition("__mutmut_")[2]) for n in found] != list(range(1, len(found) + 1)):
            raise SystemExit(f"{module} {function}: mutants not numbered 1..n")
    return Mutants(mutated.code, names, dict(mutated.hash_by_function_name))


def git(*args: str) -> str:
    """What a git command prints, run on our own checkout."""
    return subprocess.run(  # noqa: S603 - git, on our own checkout
        [shutil.which("git") or "git", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def record() -> int:
    """Store every function whose mutants mutants/*.meta has all judged, on today's code."""
    from mutmut.mutation.file_mutation import compute_function_hashes

    ledger, commit, stored = load(), git("rev-parse", "--short=9", "HEAD").strip(), 0
    for module in modules():
        meta_path = ROOT / "mutants" / f"{module}.meta"
        if not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        codes: dict[str, int | None] = meta["exit_code_by_key"]
        today = compute_function_hashes((ROOT / module).read_text(encoding="utf-8"))
        for function, run_hash in meta["hash_by_function_name"].items():
            if today.get(function) != run_hash:
                continue  # edited since mutmut ran it: its verdicts are of other code
            start = prefix(module) + function + "__mutmut_"
            found = sorted(
                (
                    (int(name[len(start) :]), code)
                    for name, code in codes.items()
                    if name.startswith(start) and name[len(start) :].isdigit()
                ),
            )
            if not found or any(code is None for _, code in found):
                continue
            letters = "".join(letter(code) for _, code in found if code is not None)
            key = f"{module} {function}"
            old = ledger.get(key)
            if old is None or (old.hash, old.letters) != (run_hash, letters):
                ledger[key] = Entry(run_hash, commit, letters)
                stored += 1
    save(ledger)
    print(f"{stored} functions recorded in {LEDGER.relative_to(ROOT)}", file=sys.stderr)
    return 0


def selected(patterns: list[str]) -> Iterator[tuple[str, Mutants]]:
    """The modules a glob of mutant names can reach, with their mutants (all without a glob)."""
    literals = [re.split(r"[*?[]", p)[0] for p in patterns]
    for module in modules():
        start = prefix(module)
        if not patterns or any(s.startswith(start) or start.startswith(s) for s in literals):
            yield module, generate(module)


def matches(name: str, patterns: list[str]) -> bool:
    """Whether a mutant name matches one of the globs (every name without a glob)."""
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def pending(patterns: list[str]) -> int:
    """Print today's mutants (matching the globs) that the ledger has no verdict for; with
    --carried, also those carried from an earlier run."""
    carried = "--carried" in patterns
    patterns = [p for p in patterns if p != "--carried"]
    ledger = load()
    for module, mutants in selected(patterns):
        for function, names in mutants.names.items():
            entry = ledger.get(f"{module} {function}")
            if (
                entry is None
                or entry.hash != mutants.hashes.get(function)
                or (carried and CARRIED in entry.letters)
            ):
                found = [n for n in names if matches(n, patterns)]
                if found:
                    print("\n".join(found))
    return 0


def alive(patterns: list[str]) -> int:
    """Print the judged mutants (matching the globs) that no test killed."""
    ledger = load()
    for module, mutants in selected(patterns):
        for function, names in mutants.names.items():
            entry = ledger.get(f"{module} {function}")
            if entry is not None and entry.hash == mutants.hashes.get(function):
                found = [
                    n
                    for n, mark in zip(names, entry.letters, strict=True)
                    if mark not in "ktc" and matches(n, patterns)
                ]
                if found:
                    print("\n".join(found))
    return 0


def carry(argv: list[str]) -> int:
    """Carry an earlier run's "all killed or equivalent" to functions unchanged since COMMIT."""
    from mutmut.mutation.file_mutation import compute_function_hashes

    commit, keys = argv[0], argv[1:]
    ledger, by_module = load(), dict[str, list[str]]()
    for key in keys:
        module, function = key.split(" ", 1)
        by_module.setdefault(module, []).append(function)
    for module, functions in by_module.items():
        then = git("show", f"{commit}:{module}")
        old, mutants = compute_function_hashes(then), generate(module)
        for function in functions:
            key, today = f"{module} {function}", mutants.hashes.get(function)
            if today is None or old.get(function) != today:
                print(f"not carried (changed since {commit}): {key}", file=sys.stderr)
                continue
            entry = ledger.get(key)
            if entry is not None and entry.hash == today:
                print(f"not carried (judged on today's code already): {key}", file=sys.stderr)
                continue
            ledger[key] = Entry(today, commit[:9], CARRIED * len(mutants.names[function]))
            print(f"carried: {key} ({len(mutants.names[function])})", file=sys.stderr)
    save(ledger)
    return 0


def main(argv: list[str]) -> int:
    """Dispatch the command line."""
    commands = {"record": lambda _: record(), "pending": pending, "alive": alive, "carry": carry}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
