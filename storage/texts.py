"""The recommendations' texts, read from the database file when they are shown."""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

from storage.db import Database

_CACHE_KIB = 2048  # SQLite's page cache for these reads (the shared connection has its own)
_BUSY_WAIT_MS = 2000  # a reader in WAL mode waits only while a crashed writer is recovered
_READERS: weakref.WeakKeyDictionary[Database, DatabaseTexts] = weakref.WeakKeyDictionary()


def texts_of(database: Database) -> DatabaseTexts | None:
    """The one reader of a database's texts (every snapshot of it shares it; closed with the
    database); None for a database with no file of its own to open again (a snapshot then
    holds its texts)."""
    if database.path is None:
        return None
    texts = _READERS.get(database)
    if texts is None:
        texts = _READERS[database] = DatabaseTexts(database.path)
        database.on_close.append(texts.close)
    return texts


class DatabaseTexts:
    """Implements the domain's TextSource: English and Khmer texts by recommendation id, on a
    read-only connection of its own, opened in this process when first asked and shared by
    the threads that read (the event loop, the index's build, an export) one at a time."""

    def __init__(self, path: Path) -> None:
        """Read from the database at this path."""
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """Each id's English text and Khmer text (None: none); an id not stored is left out."""
        if not ids:
            return {}
        with self._lock:
            conn = self._opened()
            if len(ids) == 1:
                rows = conn.execute(
                    "SELECT r.id, r.text_en, t.text_km FROM recommendations AS r "
                    "LEFT JOIN translations AS t ON t.recommendation_id = r.id WHERE r.id = ?",
                    (ids[0],),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT r.id, r.text_en, t.text_km FROM recommendations AS r "
                    "LEFT JOIN translations AS t ON t.recommendation_id = r.id "
                    "WHERE r.id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(ids)),),
                ).fetchall()
        return {rec_id: (text_en, text_km) for rec_id, text_en, text_km in rows}

    def _opened(self) -> sqlite3.Connection:
        if self._connection is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_WAIT_MS:d}")
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB:d}")
            self._connection = conn
        return self._connection

    def close(self) -> None:
        """Close the connection (opened again if asked once more)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
