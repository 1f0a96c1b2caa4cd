"""Report drafts awaiting [Import], responses set later, and the current cycle chosen in chat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import aiosqlite

from bot.domain.audit import AuditAction
from bot.domain.model import RecNumber, Response
from bot.domain.reports import DraftGone
from storage import audit, expiring
from storage.catalog import bump as bump_revision  # the catalog's one revision counter
from storage.db import Database

CURRENT_CYCLE_KEY = "setting:current_cycle"


class ReportRepository:
    """The SQL behind bot.domain.reports.ReportStore."""

    def __init__(self, database: Database) -> None:
        """Use the shared database."""
        self._db = database

    async def save_draft(
        self, user_id: int, content: str, cycle: int | None, now: dt.datetime, ttl: dt.timedelta
    ) -> int:
        """Keep a previewed report until it expires; its id (never reused)."""
        expires_at = now + ttl
        async with self._db.transaction() as db:
            await expiring.expire(db, now)
            cursor = await db.execute(
                "INSERT INTO report_drafts (user_id, cycle, content, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (user_id, cycle, content, expires_at.isoformat()),
            )
            return int(cursor.lastrowid or 0)

    async def draft(
        self, draft_id: int, user_id: int, now: dt.datetime
    ) -> tuple[str, int | None] | None:
        """A user's unexpired draft: its content and cycle."""
        async with self._db.connection.execute(
            "SELECT content, cycle FROM report_drafts WHERE id = ? AND user_id = ? "
            "AND expires_at > ?",
            (draft_id, user_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (str(row[0]), row[1]) if row else None

    async def set_draft_cycle(self, draft_id: int, user_id: int, cycle: int) -> None:
        """The cycle a coordinator chose for a draft."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE report_drafts SET cycle = ? WHERE id = ? AND user_id = ?",
                (cycle, draft_id, user_id),
            )

    async def claim(self, draft_id: int, user_id: int, now: dt.datetime) -> tuple[str, int] | None:
        """Take a draft away (None: used, expired, someone else's, or without a cycle): of two
        taps on [Import], one finds it."""
        async with (
            self._db.transaction() as db,
            db.execute(
                "DELETE FROM report_drafts WHERE id = ? AND user_id = ? AND expires_at > ? "
                "AND cycle IS NOT NULL RETURNING content, cycle",
                (draft_id, user_id, now.isoformat()),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None or row[1] is None:
            return None
        return str(row[0]), int(row[1])

    async def claim_in(
        self, draft_id: int, user_id: int, now: dt.datetime, db: aiosqlite.Connection
    ) -> None:
        """Take a draft away inside the import's own transaction; DraftGone (rolling the import
        back) when it was used, expired, is someone else's or has no cycle."""
        async with db.execute(
            "DELETE FROM report_drafts WHERE id = ? AND user_id = ? AND expires_at > ? "
            "AND cycle IS NOT NULL RETURNING id",
            (draft_id, user_id, now.isoformat()),
        ) as cursor:
            if await cursor.fetchone() is None:
                raise DraftGone

    async def record_import(self, actor: int, detail: str, now: dt.datetime) -> None:
        """Audit an imported report."""
        async with self._db.transaction() as db:
            await audit.record(db, now, actor, AuditAction.IMPORT_REPORT, None, detail)

    async def set_responses(
        self,
        cycle: int,
        changes: Sequence[tuple[RecNumber, Response]],
        actor: int,
        detail: str,
        now: dt.datetime,
    ) -> None:
        """Store responses in one transaction with their audit entry."""
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE recommendations SET response = ?, updated_at = ? "
                "WHERE cycle = ? AND paragraph = ? AND item = ? AND response != ?",
                [
                    (r.value, now.isoformat(), cycle, n.paragraph, n.item, r.value)
                    for n, r in changes
                ],
            )
            await audit.record(db, now, actor, AuditAction.SET_RESPONSES, None, detail)
            await bump_revision(db)

    async def current_cycle(self) -> int | None:
        """The cycle a coordinator made current, if any."""
        async with self._db.connection.execute(
            "SELECT value FROM meta WHERE key = ?", (CURRENT_CYCLE_KEY,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row and str(row[0]).isdigit() else None

    async def set_current_cycle(self, cycle: int, actor: int, now: dt.datetime) -> None:
        """Make a cycle current (the catalog is rebuilt: its revision moves), audited."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (CURRENT_CYCLE_KEY, str(cycle)),
            )
            await audit.record(db, now, actor, AuditAction.SET_CURRENT_CYCLE, None, str(cycle))
            await bump_revision(db)
