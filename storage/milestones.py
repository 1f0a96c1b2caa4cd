"""Coordinators' corrections of the cycles' milestones (the shipped ones are data files)."""

from __future__ import annotations

import datetime as dt

from bot.domain.audit import AuditAction
from bot.domain.milestones import Milestone, MilestoneDate, MilestoneEntry
from storage import audit
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
