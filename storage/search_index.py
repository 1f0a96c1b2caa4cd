"""Where a catalog snapshot keeps its rows and its postings (the word index, the filters):
private temporary SQLite files, deleted when they are closed."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import weakref
from array import array
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager

_CACHE_KIB = 2048  # SQLite's page cache for the index: what it holds in memory at most
_PAGE_BYTES = 16384  # a segment's bits (4 KiB) fit in a page
_ROW_BYTES = 11 * 8  # a row's eleven ints, 64 bits each


# Where SQLite's Unix build looks after SQLITE_TMPDIR and TMPDIR (named, not written to, here).
_SQLITE_FOLDERS = ("/var/tmp", "/usr/tmp", "/tmp")  # noqa: S108


class TemporaryFilesFull(OSError):
    """SQLite's temporary folder has no room for the catalog's working files."""


def temporary_folder() -> str:
    """The folder SQLite puts its temporary files in (as its Unix build chooses it)."""
    for folder in (
        os.environ.get("SQLITE_TMPDIR"),
        os.environ.get("TMPDIR"),
        *_SQLITE_FOLDERS,
    ):
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return "."


@contextmanager
def _writing(conn: sqlite3.Connection) -> Iterator[None]:
    """A write in one transaction; a full disk is said in words an operator can act on."""
    conn.execute("BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
            raise TemporaryFilesFull(
                f"the catalog's working files do not fit in {temporary_folder()}: free some "
                "room there, or set SQLITE_TMPDIR (or TMPDIR) to a folder with room (about "
                "10 MiB for 50,000 recommendations)"
            ) from exc
        raise


def _temporary(*schema: str) -> sqlite3.Connection:
    """A private temporary database (SQLite's file with no name: unlinked as soon as it is
    made, so nothing is left behind even by kill -9), its pages beyond the cache on disk."""
    conn = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA page_size = {_PAGE_BYTES:d}")
    conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB:d}")
    conn.execute("PRAGMA journal_mode = MEMORY")  # a write that does not fit is undone
    conn.execute("PRAGMA synchronous = OFF")
    for statement in schema:
        conn.execute(statement)
    return conn


def _size(conn: sqlite3.Connection, lock: threading.Lock) -> int:
    """How many bytes a temporary database holds (in its cache and its file)."""
    with lock:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return int(pages) * _PAGE_BYTES


class TemporaryRowStore:
    """Implements the domain's RowStore in a private temporary database, each row's ints in
    one blob (64 bits each); one connection, shared by the threads one at a time."""

    def __init__(self) -> None:
        """Make the empty store."""
        conn = _temporary(
            "CREATE TABLE rows (position INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
            "ints BLOB NOT NULL)"
        )
        self._conn = conn
        self._count = 0
        self._indexed = False
        self._lock = threading.Lock()
        weakref.finalize(self, conn.close)

    @classmethod
    def copied_from(cls, source: sqlite3.Connection) -> TemporaryRowStore:
        """A store holding the rows another database keeps (`copy_to`'s): copied page by
        page into a private temporary database (sqlite3.Error if it holds none). Their index
        of ids is made again when first asked, not copied."""
        store = cls()
        with store._lock:
            source.backup(store._conn)
            store._conn.execute("DROP INDEX IF EXISTS rows_id")
            store._conn.execute("DROP TABLE IF EXISTS kept")
            store._count = store._conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        return store

    def copy_to(self, target: sqlite3.Connection) -> None:
        """Copy these rows into another (empty) database."""
        with self._lock:
            self._conn.backup(target)

    def digest(self, extra: str, flat: array[int] | None = None) -> str:
        """SHA-256 of every row (position, id, ints) in order, and of `extra`: what was kept
        is what was written (a bit flipped in a file changes it). With `flat`, every row's
        ints are added to it, one row after another (ValueError if a row is not whole, or a
        position is missing)."""
        digest = hashlib.sha256(extra.encode())
        with self._lock:
            rows = self._conn.execute("SELECT position, id, ints FROM rows ORDER BY position")
            for expected, (position, rec_id, ints) in enumerate(rows):
                digest.update(f"{position}:{rec_id}:{len(ints)}:".encode())
                digest.update(ints)
                if flat is not None:
                    if position != expected or len(ints) != _ROW_BYTES:
                        raise ValueError("a row is missing or not whole")
                    flat.frombytes(ints)
        return digest.hexdigest()

    def size_bytes(self) -> int:
        """How many bytes the rows take (in the cache and the file)."""
        return _size(self._conn, self._lock)

    def add_rows(self, rows: Sequence[tuple[int, ...]]) -> None:
        """Keep these rows at the next positions."""
        with self._lock, _writing(self._conn):
            self._conn.executemany(
                "INSERT INTO rows (position, id, ints) VALUES (?, ?, ?)",
                (
                    (self._count + i, row[0], array("q", row).tobytes())
                    for i, row in enumerate(rows)
                ),
            )
        self._count += len(rows)

    def rows(self, positions: Sequence[int]) -> list[tuple[int, ...]]:
        """The rows at these positions, in this order."""
        with self._lock:
            if len(positions) == 1:
                found = self._conn.execute(
                    "SELECT ints FROM rows WHERE position = ?", (positions[0],)
                ).fetchone()
                return [_ints(found[0])]
            by_position = dict(
                self._conn.execute(
                    "SELECT position, ints FROM rows "
                    "WHERE position IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(positions)),),
                ).fetchall()
            )
        return [_ints(by_position[i]) for i in positions]

    def span(self, start: int, stop: int) -> list[tuple[int, ...]]:
        """The rows at positions start..stop-1, in order."""
        with self._lock:
            found = self._conn.execute(
                "SELECT ints FROM rows WHERE position >= ? AND position < ? ORDER BY position",
                (start, stop),
            ).fetchall()
        return [_ints(ints) for (ints,) in found]

    def position_of(self, rec_id: int) -> int | None:
        """The position of the row with this id (the ids indexed when first asked)."""
        with self._lock:
            if not self._indexed:
                self._conn.execute("CREATE INDEX rows_id ON rows (id)")
                self._indexed = True
            row = self._conn.execute(
                "SELECT position FROM rows WHERE id = ?", (rec_id,)
            ).fetchone()
        return None if row is None else int(row[0])


def _ints(blob: bytes) -> tuple[int, ...]:
    values = array("q")
    values.frombytes(blob)
    return tuple(values)


class TemporaryIndexStore:
    """Implements the domain's IndexStore in a private temporary database: one connection,
    shared by the threads one at a time."""

    def __init__(self) -> None:
        """Make the empty store."""
        conn = _temporary(
            "CREATE TABLE postings (key TEXT NOT NULL, segment INTEGER NOT NULL, "
            "bits BLOB NOT NULL, PRIMARY KEY (key, segment))",
            "CREATE TABLE khmer (doc INTEGER PRIMARY KEY, text BLOB NOT NULL)",
        )
        self._conn = conn
        self._lock = threading.Lock()
        weakref.finalize(self, conn.close)

    def size_bytes(self) -> int:
        """How many bytes the postings and texts take (in the cache and the file)."""
        return _size(self._conn, self._lock)

    def put(self, rows: Iterable[tuple[str, int, bytes | None]]) -> None:
        """Store rows, each replacing its key's segment (None: the segment is taken out)."""
        rows = list(rows)
        with self._lock, _writing(self._conn):
            self._conn.executemany(
                "DELETE FROM postings WHERE key = ? AND segment = ?",
                [(key, segment) for key, segment, bits in rows if bits is None],
            )
            self._conn.executemany(
                "INSERT INTO postings (key, segment, bits) VALUES (?, ?, ?) "
                "ON CONFLICT (key, segment) DO UPDATE SET bits = excluded.bits",
                [row for row in rows if row[2] is not None],
            )

    def drop(self, keys: Iterable[str]) -> None:
        """Take out every segment of these keys."""
        with self._lock, _writing(self._conn):
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
        with self._lock, _writing(self._conn):
            self._conn.executemany(
                "DELETE FROM khmer WHERE doc = ?", [(doc,) for doc, text in texts if not text]
            )
            self._conn.executemany(
                "INSERT OR REPLACE INTO khmer (doc, text) VALUES (?, ?)",
                [(doc, text) for doc, text in texts if text],
            )

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
