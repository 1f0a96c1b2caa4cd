"""One bot per database: an exclusive lock on `<database>.lock`, held for the process's life.

`flock` locks belong to the open file, so the operating system releases them when the process
ends in any way (including kill -9): a stale lock file never blocks a restart. `bot.py restore`
takes it too (no bot may run while its database is replaced); `bot.py import` does not: it is
meant to run beside the bot, which picks imports up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class DatabaseInUse(RuntimeError):
    """Another process holds the database's lock: a bot is already running on it."""


def lock_path(database: Path) -> Path:
    """The lock file beside a database's real file (found the same through a symlink or `..`)."""
    real = database.resolve()
    return real.with_name(real.name + ".lock")


@contextlib.contextmanager
def single_instance(database: Path) -> Iterator[None]:
    """Hold the database's lock until the block ends; raise DatabaseInUse if another holds it."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DatabaseInUse(
                f"another bot (process {holder}) is already running on {database}; "
                f"stop it first (its lock is {path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
