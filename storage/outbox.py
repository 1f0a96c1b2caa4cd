"""The deliveries table: the outbox's rows, from staged to sent (or given up)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.domain.outbox import Content, Delivery, DeliveryStatus, Job, Outgoing, Unpinned

if TYPE_CHECKING:
    from storage.db import Database, Writer

_COLUMNS = (
    "id, chat_id, content, job, topic_id, language, reference, not_before, organisation_id, "
    "status, attempts, next_attempt_at, message_id, last_error, sent_at, created_at"
)


def stamp(moment: dt.datetime) -> str:
    """A time as the table stores it: UTC, with microseconds, so text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _time(raw: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(raw) if raw is not None else None


async def insert(
    db: aiosqlite.Connection, outgoing: Sequence[Outgoing], now: dt.datetime
) -> list[int]:
    """Write deliveries inside the caller's transaction; their ids."""
    ids = []
    for item in outgoing:
        cursor = await db.execute(_INSERT, _values(item, now))
        ids.append(int(cursor.lastrowid or 0))
    return ids


def insert_at_once(db: Writer, outgoing: Sequence[Outgoing], now: dt.datetime) -> list[int]:
    """`insert`, inside `Database.atomic`'s work."""
    return [int(db.execute(_INSERT, _values(item, now)).lastrowid or 0) for item in outgoing]


_INSERT = (
    "INSERT INTO deliveries (chat_id, topic_id, job, content, language, reference, "
    "organisation_id, not_before, next_attempt_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _values(item: Outgoing, now: dt.datetime) -> tuple[object, ...]:
    due = item.not_before if item.not_before is not None else now
    return (
        item.chat_id,
        item.topic_id,
        item.job.value,
        item.content.to_json(),
        item.language,
        item.reference,
        item.organisation_id,
        stamp(item.not_before) if item.not_before is not None else None,
        stamp(due),
        stamp(now),
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row[0]),
        chat_id=int(row[1]),
        content=Content.from_json(row[2]),
        job=Job(row[3]),
        topic_id=row[4],
        language=row[5],
        reference=row[6],
        not_before=_time(row[7]),
        organisation_id=row[8],
        status=DeliveryStatus(row[9]),
        attempts=int(row[10]),
        next_attempt_at=dt.datetime.fromisoformat(row[11]),
        message_id=row[12],
        last_error=row[13],
        sent_at=_time(row[14]),
        created_at=_time(row[15]),
    )


class OutboxRepository:
    """Implements the domain's OutboxStore on SQLite."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def add(self, outgoing: Sequence[Outgoing], now: dt.datetime) -> list[int]:
        """Write deliveries (waiting, due at their `not_before` or now); their ids."""
        async with self._db.transaction() as db:
            return await insert(db, outgoing, now)

    async def _select(self, where: str, params: tuple[Any, ...]) -> list[Delivery]:
        async with self._db.connection.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE {where}",  # noqa: S608 (constant SQL)
            params,
        ) as cursor:
            return [_delivery(row) for row in await cursor.fetchall()]

    async def due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        """Waiting deliveries whose time has come, oldest first."""
        return await self._select(
            "status = 'waiting' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (stamp(now), limit),
        )

    async def next_due(self) -> dt.datetime | None:
        """When the next waiting delivery comes due, or None."""
        async with self._db.connection.execute(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'waiting'"
        ) as cursor:
            row = await cursor.fetchone()
        return _time(row[0]) if row else None

    async def _update(self, sql: str, params: tuple[Any, ...]) -> int:
        async with self._db.transaction() as db:
            cursor = await db.execute(sql, params)
            return int(cursor.rowcount)

    async def mark_sending(self, delivery_id: int, now: dt.datetime) -> None:
        """The delivery is being sent now (one attempt more)."""
        await self._update(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1 "
            "WHERE id = ? AND status = 'waiting'",
            (delivery_id,),
        )

    async def mark_sent(self, delivery_id: int, message_id: int, now: dt.datetime) -> None:
        """Telegram took it: its message id."""
        await self._update(
            "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, "
            "finished_at = ? WHERE id = ?",
            (message_id, stamp(now), stamp(now), delivery_id),
        )

    async def mark(
        self, sending: Sequence[int], sent: Sequence[tuple[int, int]], now: dt.datetime
    ) -> None:
        """`mark_sending` and `mark_sent` for many rows, in one transaction."""
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1 "
                "WHERE id = ? AND status = 'waiting'",
                [(i,) for i in sending],
            )
            await db.executemany(
                "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, "
                "finished_at = ? WHERE id = ?",
                [(message_id, stamp(now), stamp(now), i) for i, message_id in sent],
            )

    async def retry_later(
        self, delivery_id: int, at: dt.datetime, error: str, *, attempted: bool = True
    ) -> None:
        """Back to waiting until `at` (`attempted`: the attempt counts)."""
        await self._update(
            "UPDATE deliveries SET status = 'waiting', next_attempt_at = ?, last_error = ?, "
            "attempts = attempts - ? WHERE id = ? AND status IN ('sending', 'waiting')",
            (stamp(at), error[:500], 0 if attempted else 1, delivery_id),
        )

    async def fail(
        self, delivery_id: int, status: DeliveryStatus, error: str, now: dt.datetime
    ) -> None:
        """Give up: FAILED or BLOCKED, with the reason."""
        await self._update(
            "UPDATE deliveries SET status = ?, last_error = ?, finished_at = ? WHERE id = ?",
            (status.value, error[:500], stamp(now), delivery_id),
        )

    async def annotate(self, delivery_id: int, note: str) -> None:
        """Note something about a delivery that went out (e.g. sent to the general chat)."""
        await self._update(
            "UPDATE deliveries SET last_error = ? WHERE id = ?", (note[:500], delivery_id)
        )

    async def migrate_chat(self, old_id: int, new_id: int, delivery_id: int) -> None:
        """A group got a new id: that delivery and the ones waiting for it go there."""
        await self._update(
            "UPDATE deliveries SET chat_id = ? WHERE chat_id = ? "
            "AND (status = 'waiting' OR id = ?)",
            (new_id, old_id, delivery_id),
        )

    async def requeue_sending(self) -> int:
        """After a restart: deliveries left SENDING are retried (their outcome is unknown)."""
        return await self._update(
            "UPDATE deliveries SET status = 'waiting' WHERE status = 'sending'", ()
        )

    async def cancel(self, reference: str, now: dt.datetime) -> int:
        """Withdraw the waiting deliveries of `reference`; how many."""
        return await self._update(
            "UPDATE deliveries SET status = 'cancelled', finished_at = ? "
            "WHERE reference = ? AND status = 'waiting'",
            (stamp(now), reference),
        )

    async def progress(self, reference: str) -> dict[DeliveryStatus, int]:
        """How many deliveries of `reference` are in each status."""
        async with self._db.connection.execute(
            "SELECT status, COUNT(*) FROM deliveries WHERE reference = ? GROUP BY status",
            (reference,),
        ) as cursor:
            return {DeliveryStatus(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def get(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        found = await self._select("id = ?", (delivery_id,))
        return found[0] if found else None

    async def by_message(self, chat_id: int, message_id: int) -> Delivery | None:
        """The delivery Telegram gave this message id."""
        found = await self._select(
            "chat_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1", (chat_id, message_id)
        )
        return found[0] if found else None

    async def waiting(self) -> int:
        """Deliveries waiting or being sent."""
        async with self._db.connection.execute(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('waiting', 'sending')"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def failed_since(self, since: dt.datetime) -> int:
        """Deliveries given up (failed or blocked) since then."""
        async with self._db.connection.execute(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('failed', 'blocked') "
            "AND finished_at >= ?",
            (stamp(since),),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def pin_refused(self, delivery_id: int, error: str, now: dt.datetime) -> None:
        """A sent message that could not be pinned (once per delivery)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO unpinned (delivery_id, reference, chat_id, error, at) "
                "SELECT id, reference, chat_id, ?, ? FROM deliveries WHERE id = ?",
                (error[:500], stamp(now), delivery_id),
            )

    async def unpinned(self) -> list[Unpinned]:
        """Chats not pinned and not reported yet, of references with nothing left to send to
        a group chat (so one report names them all)."""
        async with self._db.connection.execute(
            "SELECT u.reference, u.chat_id, COALESCE(MAX(g.title), '') FROM unpinned AS u "
            "LEFT JOIN group_chats AS g ON g.chat_id = u.chat_id "
            "WHERE u.reported_at IS NULL AND u.reference IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM deliveries AS d WHERE d.reference = u.reference AND d.chat_id < 0 "
            "AND d.status IN ('waiting', 'sending')) "
            "GROUP BY u.reference, u.chat_id ORDER BY u.reference, u.chat_id"
        ) as cursor:
            return [Unpinned(r[0], int(r[1]), r[2]) for r in await cursor.fetchall()]

    async def pins_reported(self, reference: str, now: dt.datetime) -> None:
        """Whoever asked was told (the notice is staged in this transaction)."""
        await self._update(
            "UPDATE unpinned SET reported_at = ? WHERE reference = ? AND reported_at IS NULL",
            (stamp(now), reference),
        )
