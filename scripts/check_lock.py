"""Say what a lock file misses of pyproject.toml's dependencies (exit 1), or nothing (exit 0).

Usage, in the project folder: `python scripts/check_lock.py LOCK [EXTRA]`. scripts/venv.sh runs it
after each install and a test runs it on both lock files. Fix a failure with `scripts/lock`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # the bot's own venv has no `packaging`, but pip always carries one
    from pip._vendor.packaging.requirements import Requirement


def normalise(name: str) -> str:
    """A package name as the index compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def missing(lock: Path, extras: set[str]) -> list[str]:
    """Requirements of pyproject.toml (with `extras`) that `lock` does not pin or pins too old."""
    pins = {
        normalise(name): version
        for name, version in re.findall(
            r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock.read_text(), re.MULTILINE
        )
    }
    problems: list[str] = []

    def check(req: Requirement, wanted: set[str]) -> None:
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in wanted | {""}):
            return
        version = pins.get(normalise(req.name))
        if version is None:
            problems.append(f"{req} is not in {lock.name}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req}: {lock.name} has {version}")
        if req.extras:  # e.g. python-telegram-bot[job-queue] brings APScheduler
            for text in metadata.requires(req.name) or []:
                check(Requirement(text), set(req.extras))

    with Path("pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    texts = list(project["dependencies"])
    for extra in extras:
        texts += project["optional-dependencies"][extra]
    for text in texts:
        check(Requirement(text), set())
    return problems


if __name__ == "__main__":
    problems = missing(Path(sys.argv[1]), set(sys.argv[2:]))
    if problems:
        print("error: pyproject.toml and the lock files disagree:", file=sys.stderr)
        print(*(f"  {p}" for p in problems), sep="\n", file=sys.stderr)
        print("Run scripts/lock to refresh them, then commit both .lock files.", file=sys.stderr)
        sys.exit(1)
