"""One SQLite connection: WAL, foreign keys, explicit transactions, forward-only migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite
from aiosqlite.context import contextmanager

from bot.domain import outbox
from storage.backup import Backups
from storage.migrations import MIGRATIONS, REASON_TRIGGERS, REBUILDS, TRIM_REASONS
from storage.outbox import insert as insert_deliveries

log = logging.getLogger(__name__)
_BUSY_WAIT_MS = 30_000
_CHECKPOINT_WAIT_MS = 1_000
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Tables whose writes never change what a `Memo` keeps (people, organisations, rounds, chats):
# a burst of taps, the inbox, the outbox and the conversation state that expires leave the
# memos warm. A write to any other table, or any statement not recognised as a read or as one
# of these writes, empties every memo: forgetting a table here costs speed, never correctness.
# (No foreign key or trigger lets a write to one of them reach a table a memo reads:
# tests/test_tap_memo.py.)
NO_FACTS = frozenset(
    {
        "inbox",
        "ratings",
        "rating_history",
        "deliveries",
        # storage/expiring.py's conversation state
        "reason_prompts",
        "pending_reasons",
        "skipped_recommendations",
        "list_prompts",
        "action_prompts",
        "round_drafts",
        "action_drafts",
        "milestone_prompts",
        "translation_prompts",
        "translation_skips",
        "report_drafts",
    }
)
_TARGET = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+(\w+)",
    re.IGNORECASE,
)
_READ = re.compile(r"\s*(?:SELECT|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def changes_facts(sql: str) -> bool:
    """Might this statement change what a memo keeps? (Reads and the `NO_FACTS` tables'
    writes cannot; anything else might.)"""
    if _READ.match(sql):
        return False
    target = _TARGET.match(sql)
    return target is None or target.group(1).lower() not in NO_FACTS


@dataclass
class Handling:
    """The Telegram update being handled; `marked` once the inbox knows it took effect."""

    update_id: int
    marked: bool = False


# Set by the delivery code around each update's handlers: the first transaction that changes
# data also marks the update handled in the inbox, so a replay after kill -9 cannot repeat it.
handling: ContextVar[Handling | None] = ContextVar("handling", default=None)


class _ReadCursor(aiosqlite.Cursor):
    """A cursor whose rows were all read in the same worker-thread step as its statement."""

    def __init__(
        self, conn: aiosqlite.Connection, cursor: sqlite3.Cursor, rows: list[sqlite3.Row]
    ) -> None:
        """Wrap `cursor` and the rows it already gave."""
        super().__init__(conn, cursor)
        self._rows = deque(rows)

    async def fetchone(self) -> sqlite3.Row | None:
        """The next prefetched row."""
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[sqlite3.Row]:
        """Up to `size` (or `arraysize`) prefetched rows."""
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[sqlite3.Row]:
        """Every prefetched row left."""
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        """Nothing to do: the statement was closed where it ran (no second trip for it)."""


def _execute_and_read(
    conn: sqlite3.Connection, sql: str, parameters: Any
) -> tuple[sqlite3.Cursor, list[sqlite3.Row], int]:
    cursor = conn.execute(sql, parameters)
    rows = cursor.fetchall()
    cursor.close()  # here, in the same trip: its rowcount and lastrowid stay readable
    return cursor, rows, _data_version(conn)


def _data_version(conn: sqlite3.Connection) -> int:
    """Changes when another process (`bot.py import` runs beside the bot) committed."""
    row = conn.execute("PRAGMA data_version").fetchone()
    return int(row[0]) if row else 0


class Writer:
    """The connection as `Database.atomic` hands it to its work, in the database's thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Write through SQLite's own connection."""
        self._conn = conn
        # Did a statement run that may change what memos keep? (Read back on the event loop.)
        self.facts = False

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run one statement."""
        self.facts = self.facts or changes_facts(sql)
        return self._conn.execute(sql, tuple(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """Run one statement for each row of parameters."""
        self.facts = self.facts or changes_facts(sql)
        return self._conn.executemany(sql, rows)

    def changes(self) -> int:
        """Rows changed since the connection opened (SQLite's total_changes())."""
        return self._conn.total_changes

    @property
    def sqlite(self) -> sqlite3.Connection:
        """SQLite's own connection."""
        return self._conn


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, but a statement runs and is read to its end in one step.

    Every coroutine shares the one connection. With aiosqlite's own cursors, a write could run
    between a SELECT's first row and its next ones, and SQLite shows a statement still being
    read the changes its own connection makes: a row moved between groups of an index was
    counted twice (seen: 21 deliveries of 20). Reading whole results at once closes that gap.

    It also counts the statements that may change what a `Memo` keeps (`version`).
    """

    version = 0
    _data_version = -1

    def saw(self, sql: str) -> None:
        """A statement is about to run: memos forget what it may change."""
        if changes_facts(sql):
            self.version += 1

    def committed_elsewhere(self, data_version: int) -> None:
        """SQLite's data_version after a statement: when another process committed since
        the last one, memos forget everything."""
        if data_version != self._data_version:
            self._data_version = data_version
            self.version += 1

    @contextmanager
    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        """Run `sql` and read all its rows in the connection's thread, atomically."""
        self.saw(sql)
        cursor, rows, data_version = await self._execute(  # type: ignore[no-untyped-call]
            _execute_and_read, self._conn, sql, [] if parameters is None else parameters
        )
        self.committed_elsewhere(data_version)
        return _ReadCursor(self, cursor, rows)

    @contextmanager
    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        """Run `sql` once for each row of parameters."""
        self.saw(sql)
        cursor = await self._execute(self._conn.executemany, sql, parameters)  # type: ignore[no-untyped-call]
        return aiosqlite.Cursor(self, cursor)

    @property
    def sqlite(self) -> sqlite3.Connection:
        """SQLite's own connection, for work run in this connection's thread (`run`)."""
        return self._conn

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` in the connection's thread: one trip, however many statements."""
        result: T = await self._execute(work)  # type: ignore[no-untyped-call]
        return result


class DatabaseTooNew(RuntimeError):
    """The database was written by a newer version of the bot; refuse to touch it."""


class Database:
    """The bot's SQLite database, opened once and shared by the repositories."""

    def __init__(self, connection: _Connection) -> None:
        """Wrap an open connection; use `Database.open`."""
        self.connection = connection
        # One connection serves every coroutine: transactions must not interleave on it.
        self._lock = asyncio.Lock()
        # What time staged deliveries are written at (the composition root injects its clock).
        self.now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        # Called after a commit that wrote staged deliveries (the outbox wakes its sender).
        self.on_staged: Callable[[], None] = lambda: None
        # The file, for reads on a connection of their own (`read_apart`); None: the shared one.
        self.path: Path | None = None
        # Run when the database is closed (readers with connections of their own close them).
        self.on_close: list[Callable[[], None]] = []
        # An erasure's checkpoint a reader kept from finishing: tried again after long reads.
        self._checkpoint_owed = False

    @classmethod
    async def open(
        cls, path: Path, backups: Backups | None = None, now: dt.datetime | None = None
    ) -> Database:
        """Open (creating folders and file as needed) and migrate the database.

        With `backups`, a database that needs migrating is first backed up (named after the
        schema version it is about to get), so an upgrade can always be undone.
        """
        path = await asyncio.to_thread(path.absolute)  # read apart by it whatever the folder
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = _Connection(
            lambda: sqlite3.connect(path, isolation_level=None), iter_chunk_size=64
        )
        await connection
        # Plain tuples: sqlite3.Row costs ~1 µs a row, which a full round's 100,000 ratings feel.
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        # A writer waits for another's transaction rather than failing: the largest import
        # (100,000 rows) holds the write lock a few seconds on a slow machine.
        await connection.execute(f"PRAGMA busy_timeout = {_BUSY_WAIT_MS:d}")
        await connection.execute("PRAGMA synchronous = NORMAL")
        # Deleted data is overwritten, not left in free pages (erasing an organisation).
        await connection.execute("PRAGMA secure_delete = ON")
        database = cls(connection)
        database.path = path
        try:
            version = await database.schema_version()
            if backups is not None and 0 < version < len(MIGRATIONS):
                at = now or dt.datetime.now(dt.UTC)
                copy = await asyncio.to_thread(
                    backups.take, at, f"before-schema-{len(MIGRATIONS)}"
                )
                log.info("backed up before migrating: %s", copy.name)
            await database.migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        """Close the connection (and those of `on_close`)."""
        for close in self.on_close:
            close()
        await self.connection.close()

    async def read_here(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a short read on the shared connection, in its thread (one trip): it waits for
        no worker thread an export may be holding."""
        sqlite = self.connection.sqlite
        return await self.connection.run(lambda: work(sqlite))

    async def read_apart(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a long read (an export's aggregates) on a connection of its own in a worker
        thread, in one snapshot: the shared connection's thread, which every chat's update
        needs, is not held up meanwhile (WAL lets readers run beside the writer)."""
        path = self.path
        if path is None:  # no file to open twice: the shared connection's thread
            return await self.read_here(work)

        def read() -> T:
            # Read-only: the file cannot be written through it, its own temporary tables can.
            uri = f"{path.as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            try:
                conn.execute(f"PRAGMA busy_timeout = {_BUSY_WAIT_MS:d}")
                conn.execute("BEGIN")
                return work(conn)
            finally:
                conn.close()

        result = await asyncio.to_thread(read)
        if self._checkpoint_owed and await self.checkpoint():  # this reader held it up
            log.info("an erasure's checkpoint, put off by a reader, is done")
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back whole on any error; the first that changes
        data while an update is handled also marks that update handled, in the same commit.
        Deliveries staged for the outbox (`bot.domain.outbox.stage`) are written in it too."""
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            current = handling.get()
            version = self.connection.version
            try:
                before = await self._changes() if current and not current.marked else None
                yield self.connection
                staged = outbox.staged()
                if staged:
                    await insert_deliveries(self.connection, staged, self.now())
                if current and before is not None and await self._changes() != before:
                    await self.connection.execute(
                        "UPDATE inbox SET handled = 1, body = '' WHERE update_id = ?",
                        (current.update_id,),
                    )
                else:
                    current = None
            except BaseException:
                await self.connection.execute("ROLLBACK")
                self._settled(version)
                raise
            await self.connection.execute("COMMIT")
            self._settled(version)
            if staged:
                outbox.written(len(staged))
                self.on_staged()
            if current:
                current.marked = True

    def _settled(self, version: int) -> None:
        """A transaction ended: if it ran a statement that may change what memos keep, they
        also forget what they read while it was open (uncommitted, perhaps rolled back)."""
        if self.connection.version != version:
            self.connection.version += 1

    async def atomic(self, work: Callable[[Writer], T]) -> T:
        """Run `work` as one transaction in one trip to the database's thread: BEGIN
        IMMEDIATE, the work, the inbox mark of the update being handled (as `transaction`
        does), COMMIT — or ROLLBACK on any error. For what runs on every tap."""
        writer = Writer(self.connection.sqlite)
        if outbox.staged():  # deliveries to write in the same commit: the general way
            async with self.transaction():
                try:
                    return await self.connection.run(lambda: work(writer))
                finally:
                    if writer.facts:
                        self.connection.version += 1
        current = handling.get()
        update_id = current.update_id if current and not current.marked else None

        def transact() -> tuple[T, bool, int]:
            writer.execute("BEGIN IMMEDIATE")
            try:
                before = writer.changes()
                result = work(writer)
                marked = update_id is not None and writer.changes() != before
                if marked:
                    writer.execute(
                        "UPDATE inbox SET handled = 1, body = '' WHERE update_id = ?",
                        (update_id,),
                    )
            except BaseException:
                writer.execute("ROLLBACK")
                raise
            writer.execute("COMMIT")
            return result, marked, _data_version(writer.sqlite)

        async with self._lock:
            version = self.connection.version
            try:
                result, marked, data_version = await self.connection.run(transact)
                self.connection.committed_elsewhere(data_version)
            finally:
                if writer.facts:
                    self.connection.version += 1
                self._settled(version)
        if marked and current is not None:
            current.marked = True
        return result

    async def _changes(self) -> int:
        async with self.connection.execute("SELECT total_changes()") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and empty it (after an erasure, so nothing
        erased stays readable in the WAL); False if a reader kept it from finishing."""
        async with self._lock:
            # Waiting for other processes' readers stalls the whole bot: a second at most.
            await self.connection.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_WAIT_MS:d}")
            try:
                async with self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") as c:
                    row = await c.fetchone()
            except sqlite3.OperationalError:  # a statement of ours still reading
                row = None
            finally:
                await self.connection.execute(f"PRAGMA busy_timeout = {_BUSY_WAIT_MS:d}")
        done = row is not None and row[0] == 0
        self._checkpoint_owed = not done
        return done

    async def schema_version(self) -> int:
        """The number of migrations this database has seen."""
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the migrations this database has not seen, each atomically."""
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise DatabaseTooNew(
                f"the database is at schema version {version}, this bot knows only "
                f"{len(MIGRATIONS)}: upgrade the bot instead of opening it with an old one"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            rebuild = number in REBUILDS
            if rebuild:  # only outside a transaction can foreign keys be switched
                await self.connection.execute("PRAGMA foreign_keys = OFF")
            try:
                async with self.transaction() as db:
                    for statement in _statements(script):
                        await db.execute(statement)
                    if rebuild:
                        async with db.execute("PRAGMA foreign_key_check") as cursor:
                            if await cursor.fetchone() is not None:
                                raise RuntimeError(f"migration {number} broke a reference")
                    await db.execute(f"PRAGMA user_version = {number:d}")
            finally:
                if rebuild:
                    await self.connection.execute("PRAGMA foreign_keys = ON")
            log.info("database migrated to schema version %d", number)
        await self._reason_triggers_in_place()

    async def _reason_triggers_in_place(self) -> None:
        """The triggers that trim a stored reason (migration 38), made again if one was dropped
        by hand, and what was stored meanwhile trimmed: the reasons cells rely on them."""
        if await triggers_in_place(self.connection, REASON_TRIGGERS):
            return
        async with self.transaction() as db:
            for statement in REASON_TRIGGERS.values():
                await db.execute(statement)
            await db.execute(TRIM_REASONS)
        log.warning("the triggers that trim stored reasons were missing: made again")


async def triggers_in_place(db: aiosqlite.Connection, names: Iterable[str]) -> bool:
    """Whether every trigger of these names is in the schema (one may be dropped by hand)."""
    wanted = set(names)
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'") as cursor:
        return wanted <= {row[0] for row in await cursor.fetchall()}


class Memo(Generic[K, T]):
    """Reads many updates repeat (who someone is, a round, a chat's language), kept until the
    database runs a statement that may change them (`changes_facts`), so a change — a member
    removed, an organisation deactivated, a round closed — is seen by the very next read."""

    def __init__(self, database: Database, size: int = 20_000) -> None:
        """Keep at most `size` values read from `database`."""
        self._db = database
        self._size = size
        self._values: dict[K, T] = {}
        self._version = -1

    async def get(self, key: K, load: Callable[[], Awaitable[T]]) -> T:
        """The value kept for `key`, else `load()`'s (kept unless a change ran meanwhile)."""
        version = self._db.connection.version
        if version != self._version:
            self._values.clear()
            self._version = version
        if key in self._values:
            return self._values[key]
        value = await load()
        if self._db.connection.version == version:
            if len(self._values) >= self._size:
                self._values.clear()
            self._values[key] = value
        return value


def _statements(script: str) -> list[str]:
    """Split a script into statements the way SQLite itself sees their ends."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip() + ";")
    return [s for s in statements if s.strip(" ;\n")]
