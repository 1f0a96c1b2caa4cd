"""The word index's store: a private temporary SQLite file, deleted when it is closed."""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Collection, Iterable, Sequence

_CACHE_KIB = 2048  # SQLite's page cache for the index: what it holds in memory at most
_PAGE_BYTES = 16384  # a segment's bits (4 KiB) fit in a page


class TemporaryIndexStore:
    """Implements the domain's IndexStore in a private temporary database (SQLite's file with
    no name: unlinked as soon as it is made, so nothing is left behind even by kill -9). Its
    pages beyond the cache are on disk; one connection, shared by the threads one at a time."""

    def __init__(self) -> None:
        """Make the empty store."""
        conn = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA page_size = {_PAGE_BYTES:d}")
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB:d}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(
            "CREATE TABLE postings (key TEXT NOT NULL, segment INTEGER NOT NULL, "
            "bits BLOB NOT NULL, PRIMARY KEY (key, segment))"
        )
        conn.execute("CREATE TABLE khmer (doc INTEGER PRIMARY KEY, text BLOB NOT NULL)")
        self._conn = conn
        self._lock = threading.Lock()
        weakref.finalize(self, conn.close)

    def put(self, rows: Iterable[tuple[str, int, bytes | None]]) -> None:
        """Store rows, each replacing its key's segment (None: the segment is taken out)."""
        rows = list(rows)
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "DELETE FROM postings WHERE key = ? AND segment = ?",
                [(key, segment) for key, segment, bits in rows if bits is None],
            )
            self._conn.executemany(
                "INSERT INTO postings (key, segment, bits) VALUES (?, ?, ?) "
                "ON CONFLICT (key, segment) DO UPDATE SET bits = excluded.bits",
                [row for row in rows if row[2] is not None],
            )
            self._conn.execute("COMMIT")

    def drop(self, keys: Iterable[str]) -> None:
        """Take out every segment of these keys."""
        with self._lock:
            self._conn.executemany("DELETE FROM postings WHERE key = ?", [(k,) for k in keys])

    def segments(
        self, keys: Collection[str], segment: int | None = None
    ) -> dict[str, list[tuple[int, bytes]]]:
        """Each key's stored segments (all, or only this one), in segment order; keys with
        none are left out."""
        found: dict[str, list[tuple[int, bytes]]] = {}
        if not keys:
            return found
        with self._lock:
            if len(keys) == 1 and segment is None:
                (key,) = keys
                rows = self._conn.execute(
                    "SELECT key, segment, bits FROM postings WHERE key = ? ORDER BY segment",
                    (key,),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT key, segment, bits FROM postings "
                    "WHERE key IN (SELECT value FROM json_each(?1)) "
                    "AND (?2 IS NULL OR segment = ?2) ORDER BY key, segment",
                    (json.dumps(list(keys)), segment),
                ).fetchall()
        for key, number, bits in rows:
            found.setdefault(key, []).append((number, bits))
        return found

    def put_texts(self, texts: Iterable[tuple[int, bytes]]) -> None:
        """Store documents' packed Khmer texts (an empty one is taken out)."""
        texts = list(texts)
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "DELETE FROM khmer WHERE doc = ?", [(doc,) for doc, text in texts if not text]
            )
            self._conn.executemany(
                "INSERT OR REPLACE INTO khmer (doc, text) VALUES (?, ?)",
                [(doc, text) for doc, text in texts if text],
            )
            self._conn.execute("COMMIT")

    def text(self, doc: int) -> bytes:
        """A document's packed Khmer text (empty: none)."""
        with self._lock:
            row = self._conn.execute("SELECT text FROM khmer WHERE doc = ?", (doc,)).fetchone()
        return bytes(row[0]) if row else b""

    def holding(self, piece: bytes, docs: Sequence[int] | None) -> list[int]:
        """Those of these documents (None: of all) whose text holds the piece, ascending
        (SQLite's instr() on blobs compares bytes)."""
        with self._lock:
            if docs is None:
                rows = self._conn.execute(
                    "SELECT doc FROM khmer WHERE instr(text, ?) > 0 ORDER BY doc", (piece,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT doc FROM khmer WHERE doc IN (SELECT value FROM json_each(?)) "
                    "AND instr(text, ?) > 0 ORDER BY doc",
                    (json.dumps(list(docs)), piece),
                ).fetchall()
        return [doc for (doc,) in rows]
