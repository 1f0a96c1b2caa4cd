"""Broadcasts: drafts, the broadcasts themselves, their occurrences and acknowledgements,
and who an audience reaches. Creating, editing, cancelling and sending are audited."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence

from bot.domain.audit import AuditAction
from bot.domain.broadcast import (
    AUDIT_OF_STATUS,
    DRAFT_TTL,
    AlreadyStarted,
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Draft,
    Options,
    Reach,
    Recipient,
    Version,
)
from bot.domain.schedule import Recurrence, occurrence_key
from storage import audit
from storage.db import Database

_BROADCAST = (
    "SELECT id, author_id, audience, versions, silent, pin, ack, send_at, recurrence, status, "
    "created_at, last_occurrence, report_chat, report_message FROM broadcasts"
)
_PEOPLE = (
    "SELECT u.user_id, u.language, u.organisation_id, u.unreachable_since FROM users AS u "
    "JOIN organisations AS o ON o.id = u.organisation_id AND o.active = 1"
)


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _broadcast(row: sqlite3.Row | tuple[object, ...]) -> Broadcast:
    (id_, author, audience, versions, silent, pin, ack, send_at, recurrence, status) = row[:10]
    created, last, report_chat, report_message = row[10:]
    return Broadcast(
        id=int(str(id_)),
        author_id=int(str(author)),
        audience=Audience.from_dict(json.loads(str(audience))),
        versions=tuple(Version.from_dict(v) for v in json.loads(str(versions))),
        options=Options(bool(silent), bool(pin), bool(ack)),
        send_at=_time(send_at if isinstance(send_at, str) else None),
        recurrence=Recurrence.from_json(recurrence) if isinstance(recurrence, str) else None,
        status=BroadcastStatus(str(status)),
        created_at=dt.datetime.fromisoformat(str(created)),
        last_occurrence=_time(last if isinstance(last, str) else None),
        report_chat=report_chat if isinstance(report_chat, int) else None,
        report_message=report_message if isinstance(report_message, int) else None,
    )


def _marks(values: Iterable[int]) -> tuple[str, list[int]]:
    items = sorted(values)
    return ",".join("?" * len(items)), items


class BroadcastRepository:
    """Reads and writes broadcasts."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    # --- drafts ----------------------------------------------------------------------------
    async def draft(self, user_id: int, now: dt.datetime) -> Draft | None:
        """The user's draft unless it expired."""
        async with self._db.connection.execute(
            "SELECT body FROM broadcast_drafts WHERE user_id = ? AND expires_at > ?",
            (user_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return Draft.from_json(row[0]) if row else None

    async def save_draft(self, user_id: int, draft: Draft, now: dt.datetime) -> None:
        """Store the user's draft; it expires a day after its last change. Expired drafts of
        anyone are dropped on the way."""
        async with self._db.transaction() as db:
            await db.execute(
                "DELETE FROM broadcast_drafts WHERE expires_at <= ?", (now.isoformat(),)
            )
            await db.execute(
                "INSERT INTO broadcast_drafts (user_id, body, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, "
                "expires_at = excluded.expires_at",
                (user_id, draft.to_json(), (now + DRAFT_TTL).isoformat()),
            )

    async def drop_draft(self, user_id: int) -> None:
        """Forget the user's draft."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM broadcast_drafts WHERE user_id = ?", (user_id,))

    # --- audiences -------------------------------------------------------------------------
    async def reach(self, audience: Audience) -> Reach:
        """The chats an audience reaches now (each once), the people in it who blocked the
        bot, and the organisations in it none of whose representatives can be reached."""
        chats: list[Recipient] = []
        people: Sequence[tuple[int, str, int | None, str | None]] = []
        organisations: list[tuple[int, str]] = []
        db = self._db.connection
        kind = audience.kind
        if kind is AudienceKind.CHATS or (kind is AudienceKind.GROUPS and audience.group_chats):
            query = "SELECT chat_id, thread_id, language FROM group_chats"
            params: list[int] = []
            if kind is AudienceKind.GROUPS:
                marks, params = _marks(audience.group_ids)
                query += f" WHERE working_group_id IN ({marks})"
            async with db.execute(query + " ORDER BY chat_id, thread_id", params) as cursor:
                chats = [
                    Recipient(chat, thread or None, language, group=True)
                    for chat, thread, language in await cursor.fetchall()
                ]
        org_filter: tuple[str, list[int]] | None = None
        if kind is AudienceKind.MEMBERS:
            org_filter = ("", [])
        elif kind is AudienceKind.ORGANISATIONS:
            marks, ids = _marks(audience.organisation_ids)
            org_filter = (f" AND o.id IN ({marks})", ids)
        elif kind is AudienceKind.GROUPS and audience.group_members:
            marks, ids = _marks(audience.group_ids)
            org_filter = (
                " AND o.id IN (SELECT organisation_id FROM organisation_groups "  # noqa: S608 (only ? marks)
                f"WHERE working_group_id IN ({marks}))",
                ids,
            )
        if org_filter is not None:
            where, ids = org_filter
            async with db.execute(f"{_PEOPLE}{where} ORDER BY u.user_id", ids) as cursor:
                people = [tuple(r) for r in await cursor.fetchall()]
            async with db.execute(
                f"SELECT o.id, o.short_name FROM organisations AS o WHERE o.active = 1{where} "  # noqa: S608 (only ? marks)
                "ORDER BY o.short_name COLLATE NOCASE",
                ids,
            ) as cursor:
                organisations = [(r[0], r[1]) for r in await cursor.fetchall()]
        elif kind is AudienceKind.COORDINATORS:
            async with db.execute(
                "SELECT user_id, language, NULL, unreachable_since FROM users "
                "WHERE is_coordinator = 1 ORDER BY user_id"
            ) as cursor:
                people = [tuple(r) for r in await cursor.fetchall()]
        reachable = [p for p in people if p[3] is None]
        reached_orgs = {p[2] for p in reachable}
        unique: dict[tuple[int, int | None], Recipient] = {}
        for recipient in (*chats, *(Recipient(p[0], None, p[1], p[2]) for p in reachable)):
            unique.setdefault((recipient.chat_id, recipient.topic_id), recipient)
        missed = [(org_id, name) for org_id, name in organisations if org_id not in reached_orgs]
        return Reach(
            tuple(unique.values()),
            len(people) - len(reachable),
            tuple(name for _, name in missed),
            tuple(org_id for org_id, _ in missed),
        )

    # --- broadcasts ------------------------------------------------------------------------
    async def create(self, draft: Draft, *, actor: int, now: dt.datetime) -> int:
        """Store a confirmed broadcast, scheduled."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO broadcasts (author_id, audience, versions, silent, pin, ack, "
                "send_at, recurrence, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (actor, *_fields(draft), BroadcastStatus.SCHEDULED.value, now.isoformat()),
            )
            broadcast_id = int(cursor.lastrowid or 0)
            await audit.record(
                db, now, actor, AuditAction.CREATE_BROADCAST, None, str(broadcast_id)
            )
        return broadcast_id

    async def update(
        self, broadcast_id: int, draft: Draft, *, actor: int, now: dt.datetime
    ) -> bool:
        """Replace a scheduled broadcast's audience, message, time and options; False when it
        is no longer scheduled."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcasts SET audience = ?, versions = ?, silent = ?, pin = ?, ack = ?, "
                "send_at = ?, recurrence = ? WHERE id = ? AND status = ?",
                (*_fields(draft), broadcast_id, BroadcastStatus.SCHEDULED.value),
            )
            if cursor.rowcount == 0:
                return False
            await audit.record(db, now, actor, AuditAction.EDIT_BROADCAST, None, str(broadcast_id))
        return True

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast, or None."""
        async with self._db.connection.execute(
            f"{_BROADCAST} WHERE id = ?", (broadcast_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _broadcast(row) if row else None

    async def scheduled(self) -> list[Broadcast]:
        """Every broadcast still waiting for a (next) time."""
        async with self._db.connection.execute(
            f"{_BROADCAST} WHERE status = ? ORDER BY id", (BroadcastStatus.SCHEDULED.value,)
        ) as cursor:
            return [_broadcast(r) for r in await cursor.fetchall()]

    async def listing(self, since: dt.datetime) -> list[Broadcast]:
        """Scheduled broadcasts, and the others created or sent since `since`, newest first."""
        async with self._db.connection.execute(
            f"{_BROADCAST} WHERE status = ? OR created_at >= ? OR last_occurrence >= ? "
            "ORDER BY id DESC LIMIT 20",
            (BroadcastStatus.SCHEDULED.value, since.isoformat(), since.isoformat()),
        ) as cursor:
            return [_broadcast(r) for r in await cursor.fetchall()]

    async def start_occurrence(
        self,
        broadcast_id: int,
        occurrence: dt.datetime,
        *,
        finished: bool,
        unreached: Sequence[int],
        now: dt.datetime,
    ) -> None:
        """Record that an occurrence was handed to the outbox (its deliveries, staged, commit
        with it); AlreadyStarted when it was already, and nothing is written."""
        async with self._db.transaction() as db:
            try:
                await db.execute(
                    "INSERT INTO broadcast_occurrences (broadcast_id, occurrence, unreached, "
                    "started_at) VALUES (?, ?, ?, ?)",
                    (
                        broadcast_id,
                        occurrence.isoformat(),
                        json.dumps(sorted(unreached)),
                        now.isoformat(),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyStarted(broadcast_id) from None
            await db.execute(
                "UPDATE broadcasts SET last_occurrence = ?, status = ?, "
                "watching = report_message IS NOT NULL WHERE id = ?",
                (
                    occurrence.isoformat(),
                    (BroadcastStatus.SENT if finished else BroadcastStatus.SCHEDULED).value,
                    broadcast_id,
                ),
            )
            await audit.record(
                db,
                now,
                0,
                AuditAction.SEND_BROADCAST,
                None,
                f"{broadcast_id}:{occurrence_key(occurrence)}",
            )

    async def finish(self, broadcast_id: int) -> None:
        """A recurring broadcast past its end date: nothing more to send."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET status = ? WHERE id = ? AND status = ?",
                (BroadcastStatus.SENT.value, broadcast_id, BroadcastStatus.SCHEDULED.value),
            )

    async def occurrences(self, broadcast_id: int) -> list[dt.datetime]:
        """The occurrences handed to the outbox so far, oldest first."""
        async with self._db.connection.execute(
            "SELECT occurrence FROM broadcast_occurrences WHERE broadcast_id = ? "
            "ORDER BY occurrence",
            (broadcast_id,),
        ) as cursor:
            return [dt.datetime.fromisoformat(r[0]) for r in await cursor.fetchall()]

    async def set_status(
        self, broadcast_id: int, status: BroadcastStatus, *, actor: int, now: dt.datetime
    ) -> bool:
        """Cancel a scheduled broadcast, or delete a sent one (audited); False when its state
        does not allow it."""
        allowed = (
            (BroadcastStatus.SCHEDULED,)
            if status is BroadcastStatus.CANCELLED
            else (BroadcastStatus.SCHEDULED, BroadcastStatus.SENT)
        )
        marks = ",".join("?" * len(allowed))
        async with self._db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE broadcasts SET status = ? WHERE id = ? AND status IN ({marks})",  # noqa: S608 (only ? marks)
                (status.value, broadcast_id, *(s.value for s in allowed)),
            )
            if cursor.rowcount == 0:
                return False
            await audit.record(db, now, actor, AUDIT_OF_STATUS[status], None, str(broadcast_id))
        return True

    async def set_report_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """The coordinator's message that shows this broadcast's progress."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE broadcasts SET report_chat = ?, report_message = ?, "
                "watching = last_occurrence IS NOT NULL WHERE id = ?",
                (chat_id, message_id, broadcast_id),
            )

    async def watched(self) -> list[int]:
        """Broadcasts whose progress message is still being updated."""
        async with self._db.connection.execute(
            "SELECT id FROM broadcasts WHERE watching = 1 ORDER BY id"
        ) as cursor:
            return [r[0] for r in await cursor.fetchall()]

    async def unwatch(self, broadcast_id: int) -> None:
        """The final report was shown."""
        async with self._db.transaction() as db:
            await db.execute("UPDATE broadcasts SET watching = 0 WHERE id = ?", (broadcast_id,))

    async def acknowledge(
        self, broadcast_id: int, occurrence: str, user_id: int, now: dt.datetime
    ) -> bool:
        """Record a "✓ Got it"; True the first time this person pressed it for this occurrence."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO broadcast_acks (broadcast_id, occurrence, user_id, at) "
                "SELECT id, ?, ?, ? FROM broadcasts WHERE id = ?",
                (occurrence, user_id, now.isoformat(), broadcast_id),
            )
            return cursor.rowcount > 0

    async def acknowledgements(self, broadcast_id: int, occurrence: dt.datetime | None) -> int:
        """How many people pressed "✓ Got it" for an occurrence."""
        if occurrence is None:
            return 0
        async with self._db.connection.execute(
            "SELECT COUNT(*) FROM broadcast_acks WHERE broadcast_id = ? AND occurrence = ?",
            (broadcast_id, occurrence_key(occurrence)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def unreached(self, broadcast_id: int) -> tuple[str, ...]:
        """Organisations of the latest occurrence nobody of which could be reached: none
        reachable when it started, or their deliveries blocked or failed."""
        async with self._db.connection.execute(
            "SELECT unreached, occurrence FROM broadcast_occurrences WHERE broadcast_id = ? "
            "ORDER BY occurrence DESC LIMIT 1",
            (broadcast_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return ()
        missed = [int(i) for i in json.loads(row[0])]
        marks, _ = _marks(missed)
        prefix = f"broadcast:{broadcast_id}:{occurrence_key(dt.datetime.fromisoformat(row[1]))}"
        async with self._db.connection.execute(
            "SELECT o.short_name FROM deliveries AS d "  # noqa: S608 (only ? marks)
            "JOIN organisations AS o ON o.id = d.organisation_id WHERE d.reference = ? "
            "GROUP BY o.id HAVING SUM(d.status = 'sent') = 0 "
            "AND SUM(d.status IN ('blocked', 'failed')) > 0 "
            f"UNION SELECT short_name FROM organisations WHERE id IN ({marks}) "
            "UNION SELECT l.title FROM deliveries AS d JOIN lost_chats AS l "
            "ON l.chat_id = d.chat_id WHERE d.reference = ? GROUP BY d.chat_id "
            "HAVING SUM(d.status = 'sent') = 0 AND SUM(d.status IN ('blocked', 'failed')) > 0",
            (prefix, *missed, prefix),
        ) as cursor:
            names = {r[0] for r in await cursor.fetchall()}
        return tuple(sorted(names, key=str.casefold))

    async def sent_messages(self, broadcast_id: int) -> list[tuple[int, int]]:
        """Every (chat, message) a broadcast became, to delete it from every chat."""
        async with self._db.connection.execute(
            "SELECT chat_id, message_id FROM deliveries WHERE reference LIKE ? "
            "AND message_id IS NOT NULL ORDER BY id",
            (f"broadcast:{broadcast_id}:%",),
        ) as cursor:
            return [(r[0], r[1]) for r in await cursor.fetchall()]


def _fields(draft: Draft) -> tuple[object, ...]:
    return (
        json.dumps(draft.audience.as_dict()),
        json.dumps([v.as_dict() for v in draft.versions], ensure_ascii=False),
        int(draft.options.silent),
        int(draft.options.pin),
        int(draft.options.ack),
        draft.send_at.isoformat() if draft.send_at else None,
        draft.recurrence.to_json() if draft.recurrence else None,
    )
