"""The catalog's rows kept between starts: a file beside the database holding what a snapshot
read and compacted (its rows of ints, and the values their codes stand for), for the catalog
revision it was read at. A restart at that revision copies it in instead of reading and
compacting every recommendation again (most of the time to the first answer at 50,000).

Only ever a copy: any doubt (no file, another revision or history, another version of the code
that wrote it, a damaged file) and the snapshot is read from the database as before, and the
file is written again. It holds nothing the database does not (the catalog is public: numbers,
States, themes, sources, translators' names), and is replaced, never edited, by a rename."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import stat
from array import array
from pathlib import Path
from typing import Any

from bot.domain.compact import CompactState, check
from storage.search_index import TemporaryRowStore

log = logging.getLogger(__name__)

SUFFIX = ".catalog"  # beside the database: bot.sqlite3 -> bot.sqlite3.catalog
MAX_BYTES = 1 << 30  # about 100 bytes a recommendation: ten million fit; a larger file is not one
_TABLES = {("table", "rows"), ("table", "kept")}  # what a kept file holds
_SCHEMA = _TABLES | {("index", "rows_id")}  # and may hold (an older version's index of ids)


class CatalogCache:
    """The file that keeps one snapshot's rows between starts."""

    def __init__(self, database: Path) -> None:
        """The file beside this database (none is made until `save`)."""
        self.path = database.with_name(database.name + SUFFIX)

    def load(self, key: str) -> tuple[CompactState, TemporaryRowStore] | None:
        """The state and rows kept for `key` (`key_of`), the rows copied into a temporary
        store of their own; None when the file keeps another key, or is not whole as written
        (its digest of the rows and state differs), or cannot be read."""
        _remove_left_behind(self.path)
        try:
            found = self.path.stat()
        except OSError:  # none (the first start), or unreadable
            return None
        if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_BYTES:  # a FIFO would hang
            log.warning("%s is not a file this bot kept: the catalog is read again", self.path)
            return None
        try:
            return self._read(key)
        except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError) as error:
            log.warning("the catalog's kept rows cannot be used (%s): read again", error)
            return None

    def _read(self, key: str) -> tuple[CompactState, TemporaryRowStore] | None:
        # Immutable: it is only ever replaced, never changed where it is (a journal beside it,
        # of someone's write, is not this file's).
        source = sqlite3.connect(f"{self.path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            schema = set(source.execute("SELECT type, name FROM sqlite_master"))
            if not _TABLES <= schema <= _SCHEMA:
                raise ValueError("not a file this bot kept")  # a view could read for ever
            found = source.execute("SELECT key, state, digest FROM kept").fetchone()
            if found is None or found[0] != key:  # another revision, history or version
                return None
            rows = TemporaryRowStore.copied_from(source)
        finally:
            source.close()
        flat = array("q")
        if rows.digest(found[1], flat) != found[2]:
            raise ValueError("its digest differs: damaged")
        state = _state(json.loads(found[1]))
        check(state, flat)  # rows no code of this bot would have written: not used
        return state, rows

    def save(self, key: str, state: CompactState, rows: TemporaryRowStore) -> None:
        """Keep this state and these rows for `key`, with a digest of both: written beside
        (locked while it is written), synced, then renamed over the file (a crash leaves the
        old file or the new one, never half of one). A failure (a full disk) is logged: the
        next start reads the database, as without it. (Leftovers are removed by `load`, which
        every snapshot runs first.)"""
        partial = self.path.with_name(f"{self.path.name}.{secrets.token_hex(8)}.partial")
        plain = json.dumps(_plain(state))
        try:
            fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            log.warning("the catalog's rows could not be kept for the next start: %s", error)
            return
        try:
            # Held until the file is renamed or removed: a partial file nobody holds is one a
            # killed process left (kill -9 releases it), and the next start removes it.
            _lock(fd, partial)
            target = sqlite3.connect(partial, isolation_level=None)
            try:
                target.execute("PRAGMA journal_mode = OFF")  # a failed file is thrown away
                rows.copy_to(target)
                target.execute(
                    "CREATE TABLE kept (key TEXT NOT NULL, state TEXT NOT NULL, "
                    "digest TEXT NOT NULL)"
                )
                target.execute(
                    "INSERT INTO kept (key, state, digest) VALUES (?, ?, ?)",
                    (key, plain, rows.digest(plain)),
                )
            finally:
                target.close()
            os.fsync(fd)
            for side in ("-journal", "-wal", "-shm"):  # of someone's write to the old file
                Path(f"{self.path}{side}").unlink(missing_ok=True)
            os.replace(partial, self.path)
        except (OSError, sqlite3.Error) as error:
            log.warning("the catalog's rows could not be kept for the next start: %s", error)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def forget(self) -> None:
        """Remove the file (its rows could not be used)."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def _lock(fd: int, partial: Path) -> None:
    """Lock a partial file being made (OSError if another start removed it meanwhile, before
    the lock: its name would then be a new file nobody holds)."""
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if os.fstat(fd).st_ino != partial.stat().st_ino:
        raise OSError("its partial file was taken away while it was made")


def _remove_left_behind(path: Path) -> None:
    """Remove the partial files nobody is writing (a process killed while it wrote: its lock
    went with it), each on its own (one that cannot be removed stops nothing else)."""
    found = path.parent.glob(f"{glob.escape(path.name)}.*.partial*")
    for left in sorted(found, key=lambda f: not f.name.endswith(".partial")):  # files first
        with contextlib.suppress(OSError):
            if left.is_symlink():  # never one this bot made: removed, not followed
                left.unlink()
            elif left.name.endswith(".partial"):
                fd = os.open(left, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW)
                try:
                    if stat.S_ISREG(os.fstat(fd).st_mode):
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: in use
                        left.unlink()
                finally:
                    os.close(fd)
            elif not left.with_name(left.name.rpartition("-")[0]).exists():
                left.unlink()  # a journal (of an older version) whose file is gone


def key_of(revision: int, generation: str) -> str:
    """What a kept file must match to be used: the catalog revision and history it was read
    at, and the code that compacted and kept it (another version may code rows otherwise)."""
    return f"{revision}:{generation}:{_code()}"


def _fingerprint() -> str:
    """A fingerprint of the code that decides what the file holds: every module of the domain
    and of storage (a new version of the bot reads its rows again, once, rather than trust a
    list of the modules that matter). Taken when this module is imported: the code running,
    not what an upgrade may have put on disk since."""
    from bot import domain

    digest = hashlib.sha256()
    for package in (Path(str(domain.__file__)).parent, Path(__file__).parent):
        for module in sorted(package.glob("*.py")):
            digest.update(module.name.encode())
            digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


_CODE = _fingerprint()


def _code() -> str:
    return _CODE


def _plain(state: CompactState) -> dict[str, object]:
    return {
        "count": state.count,
        "last": list(state.last),
        "in_display_order": state.in_display_order,
        "spans": [[cycle, start, stop] for cycle, (start, stop) in state.spans.items()],
        "states": state.states,
        "themes": state.themes,
        "targets": state.targets,
        "strings": state.strings,
    }


def _state(plain: dict[str, Any]) -> CompactState:
    """The state a file kept (ValueError, TypeError or KeyError if it is not one)."""
    count, (first, second) = int(plain["count"]), plain["last"]
    strings = [str(s) for s in plain["strings"]]
    one = {s: s for s in strings}  # a State's name is one object wherever it is listed
    return CompactState(
        count=count,
        last=(int(first), int(second)),
        in_display_order=bool(plain["in_display_order"]),
        spans={int(c): (int(start), int(stop)) for c, start, stop in plain["spans"]},
        states=[tuple(one.setdefault(str(n), str(n)) for n in names) for names in plain["states"]],
        themes=[tuple(int(t) for t in ids) for ids in plain["themes"]],
        targets=[tuple(str(t) for t in found) for found in plain["targets"]],
        strings=strings,
    )
