"""Each cycle's milestones (review, adoption, mid-term, next review): shipped as data, corrected
by coordinators. Timeframes such as "by the mid-term report" resolve through them."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain.arguments import normalise
from bot.domain.clock import Clock
from bot.domain.importer import N_
from bot.domain.text import one_line

if TYPE_CHECKING:  # the protocol module imports this one's types
    from bot.domain.coalition import Coalition
    from bot.domain.repositories import MilestoneStore

MAX_NOTE = 300


class Milestone(enum.StrEnum):
    """A goalpost of a cycle, in the order they happen. The value is what storage keeps."""

    REVIEW = "review"
    ADOPTION = "adoption"
    MID_TERM = "mid_term"
    NEXT_REVIEW = "next_review"


class Precision(enum.StrEnum):
    """How precisely a milestone's date is known: to the day, the month or the year."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class BadMilestoneDate(ValueError):
    """A milestone date that cannot be read; the message is a gettext msgid."""


_PART = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def _part(text: str) -> tuple[dt.date, dt.date, Precision]:
    """'2024-05-08', '2024-09' or '2026' as its first and last day and its precision."""
    match = _PART.fullmatch(text.strip())
    if match is None:
        raise BadMilestoneDate(N_("Write a date like 2024-05-08, 2024-09 or 2026."))
    year = int(match.group(1))
    month, day = (int(g) if g else None for g in match.groups()[1:])
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31), Precision.YEAR
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, 1), dt.date(year, month, last), Precision.MONTH
        return dt.date(year, month, day), dt.date(year, month, day), Precision.DAY
    except ValueError as exc:
        raise BadMilestoneDate(N_("There is no such date.")) from exc


@dataclass(frozen=True)
class MilestoneDate:
    """When a milestone happens, as precisely as it is known: a day, a month, a year, or a span
    of them ('2028/2029'); `around` when even that is only expected."""

    earliest: dt.date
    latest: dt.date
    precision: Precision
    around: bool = False
    text: str = ""

    @classmethod
    def parse(cls, text: str, *, around: bool = False) -> MilestoneDate:
        """Read '2024-05-08', '2010-03', '2026', or a span of two such ('2024-09/2024-11')."""
        text = normalise(text).strip()
        first, slash, last = text.partition("/")
        start, end, precision = _part(first)
        if slash:
            _, end, last_precision = _part(last)
            if last_precision is not precision:
                raise BadMilestoneDate(N_("Both ends of a span need the same precision."))
        if end < start:
            raise BadMilestoneDate(N_("A span must end after it starts."))
        canonical = _canonical(start, precision)
        if slash:
            canonical += "/" + _canonical(end, precision)
        return cls(start, end, precision, around, canonical)

    def __str__(self) -> str:
        return self.text


def _canonical(day: dt.date, precision: Precision) -> str:
    if precision is Precision.YEAR:
        return f"{day.year:04d}"
    if precision is Precision.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@dataclass(frozen=True)
class MilestoneEntry:
    """One milestone of one cycle: its date (None: not known), a note on where it comes from,
    and who corrected it when (None for the shipped data)."""

    cycle: int
    milestone: Milestone
    date: MilestoneDate | None
    note: str = ""
    corrected_by: int | None = None
    corrected_at: dt.datetime | None = None


@dataclass(frozen=True)
class CycleMilestones:
    """The milestones of one cycle, as far as they are known."""

    cycle: int
    entries: Mapping[Milestone, MilestoneEntry]

    def date(self, milestone: Milestone) -> MilestoneDate | None:
        """The milestone's date, or None when it is not known."""
        entry = self.entries.get(milestone)
        return entry.date if entry else None


@dataclass(frozen=True)
class MilestoneTable:
    """Every cycle's milestones: the shipped data with coordinators' corrections on top."""

    cycles: Mapping[int, CycleMilestones]

    @classmethod
    def build(cls, *layers: Iterable[MilestoneEntry]) -> MilestoneTable:
        """Later layers win, entry by entry (shipped data first, then corrections)."""
        merged: dict[int, dict[Milestone, MilestoneEntry]] = {}
        for layer in layers:
            for entry in layer:
                merged.setdefault(entry.cycle, {})[entry.milestone] = entry
        return cls(
            {
                cycle: CycleMilestones(cycle, {m: entries[m] for m in Milestone if m in entries})
                for cycle, entries in sorted(merged.items())
            }
        )

    def of(self, cycle: int) -> CycleMilestones:
        """One cycle's milestones (none known for a cycle the table does not have)."""
        return self.cycles.get(cycle) or CycleMilestones(cycle, {})


def read_milestones(path: Path) -> list[MilestoneEntry]:
    """The shipped milestones file (cycle, milestone, date, around, note); errors name the line."""
    entries = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                date = row["date"].strip()
                entries.append(
                    MilestoneEntry(
                        int(row["cycle"]),
                        Milestone(row["milestone"].strip()),
                        MilestoneDate.parse(date, around=row["around"].strip() == "yes")
                        if date
                        else None,
                        row["note"].strip(),
                    )
                )
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path.name} line {line}: {exc}") from exc
    return entries


class Milestones:
    """The milestones table: shipped data and coordinators' corrections."""

    def __init__(
        self,
        repository: MilestoneStore,
        coalition: Coalition,
        clock: Clock,
        shipped: Sequence[MilestoneEntry],
    ) -> None:
        """Wire storage, the role check, the clock and the shipped data."""
        self.repository = repository
        self.coalition = coalition
        self.clock = clock
        self.shipped = tuple(shipped)

    async def table(self) -> MilestoneTable:
        """Every cycle's milestones as they stand now (corrections win)."""
        return MilestoneTable.build(self.shipped, await self.repository.corrections())

    async def correct(
        self,
        actor: int,
        cycle: int,
        milestone: Milestone,
        date: str,
        *,
        around: bool = False,
        note: str = "",
    ) -> MilestoneEntry:
        """Set a milestone's date (an empty date: not known), coordinators only. Callers go
        through Strategies.correct_milestone, which moves the timeframes that depend on it.

        Raises NotAllowed, or BadMilestoneDate for a date it cannot read or a cycle below 1.
        """
        await self.coalition.require_coordinator(actor)
        if cycle < 1:
            raise BadMilestoneDate(N_("There is no such cycle."))
        parsed = MilestoneDate.parse(date, around=around) if date.strip() else None
        now = self.clock.now()
        entry = MilestoneEntry(
            cycle,
            milestone,
            parsed,
            one_line(note)[:MAX_NOTE],
            corrected_by=actor,
            corrected_at=now,
        )
        await self.repository.correct(entry, actor=actor, now=now)
        return entry
