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
import functools
import glob
import hashlib
import json
import logging
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from bot.domain.compact import CompactState
from storage.search_index import TemporaryRowStore

log = logging.getLogger(__name__)

SUFFIX = ".catalog"  # beside the database: bot.sqlite3 -> bot.sqlite3.catalog


class CatalogCache:
    """The file that keeps one snapshot's rows between starts."""

    def __init__(self, database: Path) -> None:
        """The file beside this database (none is made until `save`)."""
        self.path = database.with_name(database.name + SUFFIX)

    def load(self, key: str) -> tuple[CompactState, TemporaryRowStore] | None:
        """The state and rows kept for `key` (`key_of`), the rows copied into a temporary
        store of their own; None when the file keeps another key or cannot be read."""
        if not self.path.exists():
            return None
        try:
            source = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            found = source.execute("SELECT key, state FROM kept").fetchone()
            if found is None or found[0] != key:
                return None
            state = _state(json.loads(found[1]))
            rows = TemporaryRowStore.copied_from(source)
        except (sqlite3.Error, ValueError, TypeError, KeyError, IndexError) as error:
            log.warning("the catalog's kept rows could not be read (%s): read again", error)
            return None
        finally:
            source.close()
        if rows.count() != state.count:
            log.warning("the catalog's kept rows are incomplete: read again")
            return None
        return state, rows

    def save(self, key: str, state: CompactState, rows: TemporaryRowStore) -> None:
        """Keep this state and these rows for `key`: written beside, synced, then renamed over
        the file (a crash leaves the old file or the new one, never half of one). A failure
        (a full disk) is logged: the next start reads the database, as without it."""
        # Named by process and at random: two snapshots kept at once write files of their own.
        partial = self.path.with_name(
            f"{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial"
        )
        try:
            _remove_left_behind(self.path)
            target = sqlite3.connect(partial, isolation_level=None)
            try:
                rows.copy_to(target)
                target.execute("PRAGMA synchronous = FULL")
                target.execute("BEGIN")
                target.execute("CREATE TABLE kept (key TEXT NOT NULL, state TEXT NOT NULL)")
                target.execute(
                    "INSERT INTO kept (key, state) VALUES (?, ?)", (key, json.dumps(_plain(state)))
                )
                target.execute("COMMIT")
            finally:
                target.close()
            os.replace(partial, self.path)
        except (OSError, sqlite3.Error) as error:
            log.warning("the catalog's rows could not be kept for the next start: %s", error)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)


def _remove_left_behind(path: Path) -> None:
    """Remove the partial files of processes that are gone (killed while writing)."""
    for left in path.parent.glob(f"{glob.escape(path.name)}.*.partial"):
        pid = left.name[len(path.name) + 1 :].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            left.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether a process of this id is running (a signal 0 reaches it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: running
        return True
    return True


def key_of(revision: int, generation: str) -> str:
    """What a kept file must match to be used: the catalog revision and history it was read
    at, and the code that compacted and kept it (another version may code rows otherwise)."""
    return f"{revision}:{generation}:{_code()}"


@functools.cache
def _code() -> str:
    """A fingerprint of the code that decides what the file holds: every module of the domain
    and of storage (a new version of the bot reads its rows again, once, rather than trust a
    list of the modules that matter)."""
    from bot import domain

    digest = hashlib.sha256()
    for package in (Path(str(domain.__file__)).parent, Path(__file__).parent):
        for module in sorted(package.glob("*.py")):
            digest.update(module.name.encode())
            digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


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
    return CompactState(
        count=count,
        last=(int(first), int(second)),
        in_display_order=bool(plain["in_display_order"]),
        spans={int(c): (int(start), int(stop)) for c, start, stop in plain["spans"]},
        states=[tuple(str(n) for n in names) for names in plain["states"]],
        themes=[tuple(int(t) for t in ids) for ids in plain["themes"]],
        targets=[tuple(str(t) for t in found) for found in plain["targets"]],
        strings=strings,
    )
