# Sourced by scripts/run-bot and scripts/test: `ensure_venv LOCK [EXTRA]` makes .venv hold what
# LOCK pins (hash-checked) plus the project itself, and checks that LOCK covers pyproject.toml
# (its dependencies and the EXTRA). A stamp in .venv keeps the hash of LOCK and pyproject.toml at
# the last install: when neither changed nothing is installed, so a restart needs no network.
# After changing dependencies in pyproject.toml run scripts/lock to refresh the lock files.

ensure_venv() {
  local lock=$1 extra=${2:-} stamp=".venv/.installed-from-$1" want
  want=$(cat "$lock" pyproject.toml | sha256sum)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "Installing from $lock into .venv" >&2
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || return
  fi
  local pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
  # Every package (pip and setuptools too) at the locked version, each file checked by its hash;
  # then the project itself, whose dependencies are all in the lock already.
  "${pip[@]}" --require-hashes -r "$lock" || return
  "${pip[@]}" --no-deps --no-build-isolation -e . || return
  .venv/bin/python -I - "$lock" "$extra" <<'PY' || return
"""Fail when pyproject.toml asks for a package or version that the lock file does not install."""

import sys
import tomllib
from importlib import metadata

from pip._vendor.packaging.requirements import Requirement  # pip is always in the venv

lock, extras = sys.argv[1], {sys.argv[2]} if sys.argv[2] else set()
problems = []


def check_one(req: Requirement, wanted: set[str]) -> None:
    """Check one requirement (and those of the extras it names) against what is installed."""
    if req.marker and not any(req.marker.evaluate({"extra": e}) for e in wanted | {""}):
        return
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        problems.append(f"{req} is not in {lock}")
        return
    if not req.specifier.contains(version, prereleases=True):
        problems.append(f"{req}: {lock} has {version}")
    if req.extras:
        for text in metadata.requires(req.name) or []:
            check_one(Requirement(text), set(req.extras))


with open("pyproject.toml", "rb") as file:
    project = tomllib.load(file)["project"]
for e in extras:
    project["dependencies"] += project["optional-dependencies"][e]
for text in project["dependencies"]:
    check_one(Requirement(text), set())
if problems:
    print("error: pyproject.toml and the lock files disagree:", *problems, sep="\n  ", file=sys.stderr)
    print("Run scripts/lock to refresh them, then commit both .lock files.", file=sys.stderr)
    sys.exit(1)
PY
  echo "$want" >"$stamp"
}
