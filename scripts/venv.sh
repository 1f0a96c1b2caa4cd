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
  .venv/bin/python scripts/check_lock.py "$lock" $extra || return
  echo "$want" >"$stamp"
}
