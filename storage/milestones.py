"""Coordinators' corrections of the cycles' milestones (the shipped ones are data files)."""

from __future__ import annotations

import datetime as dt

from bot.domain.audit import AuditAction
from bot.domain.milestones import Milestone, MilestoneDate, MilestoneEntry
from storage import audit, expiring
from storage.db import Database


class MilestoneRepository:
    """Reads and writes the milestone corrections."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def corrections(self) -> list[MilestoneEntry]:
        """Every correction, one per cycle and milestone (the latest)."""
        async with self._db.connection.execute(
            "SELECT cycle, milestone, date, around, note, corrected_by, corrected_at "
            "FROM milestone_corrections ORDER BY cycle, milestone"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            MilestoneEntry(
                cycle,
                Milestone(milestone),
                MilestoneDate.parse(date, around=bool(around)) if date else None,
                note,
                corrected_by,
                dt.datetime.fromisoformat(corrected_at),
            )
            for cycle, milestone, date, around, note, corrected_by, corrected_at in rows
        ]

    async def correct(self, entry: MilestoneEntry, *, actor: int, now: dt.datetime) -> None:
        """Store a correction (replacing an earlier one of that milestone), audited."""
        date = entry.date.text if entry.date else None
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO milestone_corrections (cycle, milestone, date, around, note, "
                "corrected_by, corrected_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (cycle, milestone) DO UPDATE SET date = excluded.date, "
                "around = excluded.around, note = excluded.note, "
                "corrected_by = excluded.corrected_by, corrected_at = excluded.corrected_at",
                (
                    entry.cycle,
                    entry.milestone.value,
                    date,
                    int(bool(entry.date and entry.date.around)),
                    entry.note,
                    actor,
                    now.isoformat(),
                ),
            )
            detail = f"c{entry.cycle} {entry.milestone.value}: {date or '-'}"
            await audit.record(db, now, actor, AuditAction.CORRECT_MILESTONE, None, detail)

    async def remember_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        cycle: int,
        milestone: Milestone,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember a prompt whose reply is a milestone's new date."""
        await expiring.remember(
            self._db,
            now,
            (
                "INSERT OR REPLACE INTO milestone_prompts (user_id, chat_id, message_id, cycle, "
                "milestone, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, chat_id, message_id, cycle, milestone.value, expires.isoformat()),
            ),
        )

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, Milestone] | None:
        """The cycle and milestone of a prompt not yet expired, or None."""
        async with self._db.connection.execute(
            "SELECT cycle, milestone FROM milestone_prompts WHERE user_id = ? AND chat_id = ? "
            "AND message_id = ? AND expires_at > ?",
            (user_id, chat_id, message_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), Milestone(row[1])) if row else None

    async def forget_prompt(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Forget a prompt once answered."""
        async with self._db.transaction() as db:
            await db.execute(
                "DELETE FROM milestone_prompts WHERE user_id = ? AND chat_id = ? "
                "AND message_id = ?",
                (user_id, chat_id, message_id),
            )
