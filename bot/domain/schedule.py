"""When a broadcast goes out: a moment typed in English or Khmer, or a recurrence.

Times are read and shown in the coalition's time zone (Phnom Penh) and stored as aware UTC.
Phnom Penh has no daylight saving, but nothing here assumes it: a local time is turned into
UTC per date, so a zone with DST keeps the wall-clock time across its changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.arguments import normalise
from bot.domain.text import normalize


class WhenError(ValueError):
    """The typed moment cannot be used; subclasses say why."""


class UnreadableWhen(WhenError):
    """The text is not a date and time the bot understands."""


class MissingTime(WhenError):
    """A date was given without the time of day."""


class PastWhen(WhenError):
    """The moment has already passed."""


_MONTHS = {
    # English names and their short forms
    **{name.casefold(): i for i, name in enumerate(calendar.month_name) if name},
    **{name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
    # Khmer month names (solar calendar, as written on documents)
    "មករា": 1,
    "កុម្ភៈ": 2,
    "កុម្ភះ": 2,
    "មីនា": 3,
    "មេសា": 4,
    "ឧសភា": 5,
    "មិថុនា": 6,
    "កក្កដា": 7,
    "សីហា": 8,
    "កញ្ញា": 9,
    "តុលា": 10,
    "វិច្ឆិកា": 11,
    "ធ្នូ": 12,
}
_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DMY_DATE = re.compile(r"(?<![\d:])(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\d:])")
# "7 Dec", "7 December 2026", "ថ្ងៃទី៧ ខែធ្នូ ឆ្នាំ២០២៦", "Dec 7, 2026"
_DAY_MONTH = re.compile(
    rf"(?:ថ្ងៃទី\s*)?(?<![\d:])(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:ខែ\s*)?({_MONTH})\.?"
    rf"(?:,?\s*(?:ឆ្នាំ\s*)?(\d{{4}}))?(?!\w)"
)
_MONTH_DAY = re.compile(
    rf"(?<!\w)({_MONTH})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])(?:,?\s*(\d{{4}}))?"
)
_TODAY = ("today", "ថ្ងៃនេះ")
_TOMORROW = ("tomorrow", "ថ្ងៃស្អែក", "ស្អែក")
_NOW = ("now", "right now", "ឥឡូវនេះ", "ឥឡូវ")
# A time of day: "9", "09:00", "9.30", "9am", "9 pm", "ម៉ោង៩", "ម៉ោង ៣ រសៀល", "21h30".
_TIME = re.compile(
    r"(?:at\s*|នៅ\s*)?(?:ម៉ោង\s*)?(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*"
    r"(a\.?m\.?|p\.?m\.?|ព្រឹក|ថ្ងៃត្រង់|រសៀល|ល្ងាច|យប់)?"
)
_AFTERNOON = ("pm", "p.m.", "p.m", "រសៀល", "ល្ងាច", "យប់")
_MORNING = ("am", "a.m.", "a.m", "ព្រឹក")
_FILLER = re.compile(r"\b(?:at|on)\b|នៅ|,")


def _time_of_day(text: str) -> dt.time | None:
    """The time in a normalised fragment that holds only a time, or None if it is not one."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute, part = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if hour > 23 or minute > 59 or (part is not None and hour > 12):
        return None
    if part in _AFTERNOON and hour < 12:
        hour += 12
    elif part in _MORNING and hour == 12:
        hour = 0
    elif part is not None and part not in _MORNING and hour < 11:
        hour += 12  # ថ្ងៃត្រង់ (midday): "ម៉ោង១ ថ្ងៃត្រង់" is 13:00
    return dt.time(hour, minute)


def parse_time_of_day(text: str) -> dt.time:
    """A time of day typed in English or Khmer ('09:00', '9am', 'ម៉ោង៣រសៀល'); UnreadableWhen."""
    found = _time_of_day(normalize(normalise(text)))
    if found is None:
        raise UnreadableWhen(text)
    return found


def _year_for(day: int, month: int, today: dt.date) -> dt.date:
    """A day and month without a year: this year's, or next year's once this year's is past."""
    try:
        candidate = dt.date(today.year, month, day)
        if candidate < today:
            candidate = dt.date(today.year + 1, month, day)
    except ValueError:
        raise UnreadableWhen(f"{day}/{month}") from None
    return candidate


def _make_date(year: str | None, month: int, day: int, today: dt.date) -> dt.date:
    if year is None:
        return _year_for(day, month, today)
    try:
        return dt.date(int(year), month, day)
    except ValueError:
        raise UnreadableWhen(f"{year}-{month}-{day}") from None


def _take_date(text: str, today: dt.date) -> tuple[dt.date | None, str]:
    """The date a normalised text names (or None) and the text without it."""
    found: list[tuple[dt.date, re.Match[str]]] = []
    for match in _ISO_DATE.finditer(text):
        year, month, day = match.groups()
        found.append((_make_date(year, int(month), int(day), today), match))
    for match in _DMY_DATE.finditer(text):
        day, month, year = match.groups()
        found.append((_make_date(year, int(month), int(day), today), match))
    for match in _DAY_MONTH.finditer(text):
        day, month, year = match.groups()
        found.append((_make_date(year, _MONTHS[month], int(day), today), match))
    for match in _MONTH_DAY.finditer(text):
        month, day, year = match.groups()
        found.append((_make_date(year, _MONTHS[month], int(day), today), match))
    for word in sorted((*_TODAY, *_TOMORROW), key=len, reverse=True):
        start = text.find(word)
        if start >= 0 and not found:
            offset = 1 if word in _TOMORROW else 0
            return today + dt.timedelta(days=offset), text[:start] + " " + text[
                start + len(word) :
            ]
    if not found:
        return None, text
    if len(found) > 1:
        raise UnreadableWhen(text)
    date, match = found[0]
    return date, text[: match.start()] + " " + text[match.end() :]


def local_moment(date: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """A wall-clock date and time in `tz` as aware UTC (a time skipped by DST moves forward)."""
    return dt.datetime.combine(date, time, tzinfo=tz).astimezone(dt.UTC)


def parse_when(text: str, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The moment a coordinator typed, as aware UTC: 'now', 'tomorrow 9:00', '2026-12-07 09:00',
    '7 Dec 09:00', 'ថ្ងៃស្អែក ម៉ោង៩', '៧ ធ្នូ ២០២៦ ០៩:០០'. Read in `tz`; raises UnreadableWhen,
    MissingTime, or PastWhen for a moment before `now`."""
    normalized = normalize(normalise(text))
    if normalized in _NOW:
        return now
    today = now.astimezone(tz).date()
    date, rest = _take_date(normalized, today)
    rest = re.sub(r"\s+", " ", _FILLER.sub(" ", rest)).strip()
    if not rest:
        if date is None:
            raise UnreadableWhen(text)
        raise MissingTime(text)
    time = _time_of_day(rest)
    if time is None:
        raise UnreadableWhen(text)
    moment = local_moment(date or today, time, tz)
    if date is None and moment <= now:
        moment = local_moment(today + dt.timedelta(days=1), time, tz)  # "9:00": the next one
    if moment < now:
        raise PastWhen(text)
    return moment


def parse_date(text: str, now: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """A date typed in English or Khmer (a recurrence's end), not before today in `tz`."""
    today = now.astimezone(tz).date()
    date, rest = _take_date(normalize(normalise(text)), today)
    if date is None or rest.strip(" ,"):
        raise UnreadableWhen(text)
    if date < today:
        raise PastWhen(text)
    return date


class Frequency(StrEnum):
    """How often a recurring broadcast repeats. The value is stored: never change one."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Recurrence:
    """Every day, on chosen weekdays (0 = Monday), or on a day of the month, at a local time,
    until an end date (inclusive). A day of the month a month lacks (31 in April) falls on the
    month's last day."""

    frequency: Frequency
    at: dt.time
    weekdays: frozenset[int] = field(default_factory=frozenset)
    day_of_month: int | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("a recurrence's time is a wall-clock time, without a zone")
        if self.frequency is Frequency.WEEKLY and (
            not self.weekdays or not self.weekdays <= set(range(7))
        ):
            raise ValueError("a weekly recurrence needs weekdays 0-6")
        if self.frequency is Frequency.MONTHLY and not 1 <= (self.day_of_month or 0) <= 31:
            raise ValueError("a monthly recurrence needs a day of the month 1-31")

    def _falls_on(self, date: dt.date) -> bool:
        if self.frequency is Frequency.WEEKLY:
            return date.weekday() in self.weekdays
        if self.frequency is Frequency.MONTHLY:
            last = calendar.monthrange(date.year, date.month)[1]
            return date.day == min(self.day_of_month or 1, last)
        return True

    def _dates(self, start: dt.date, step: int) -> Iterator[dt.date]:
        date = start
        while dt.date.min + dt.timedelta(days=1) < date < dt.date.max - dt.timedelta(days=1):
            if self._falls_on(date):
                yield date
            date += dt.timedelta(days=step)

    def next_times(self, after: dt.datetime, n: int, tz: dt.tzinfo) -> list[dt.datetime]:
        """The next `n` send times strictly after `after`, as aware UTC (fewer once `until`
        is passed)."""
        times: list[dt.datetime] = []
        start = after.astimezone(tz).date() - dt.timedelta(days=1)
        for date in self._dates(start, 1):
            if len(times) >= n or (self.until is not None and date > self.until):
                break
            moment = local_moment(date, self.at, tz)
            if moment > after:
                times.append(moment)
        return times

    def last_due(self, after: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
        """The latest send time in (after, now], or None: a recurring broadcast that missed
        several occurrences (the bot was down) sends this one, not a pile."""
        start = now.astimezone(tz).date() + dt.timedelta(days=1)
        for date in self._dates(start, -1):
            moment = local_moment(date, self.at, tz)
            if moment <= after:
                return None
            if moment <= now and (self.until is None or date <= self.until):
                return moment
        return None  # pragma: no cover - the calendar ran out

    def to_json(self) -> str:
        """The recurrence as stored."""
        return json.dumps(
            {
                "frequency": self.frequency.value,
                "at": self.at.strftime("%H:%M"),
                "weekdays": sorted(self.weekdays),
                "day_of_month": self.day_of_month,
                "until": self.until.isoformat() if self.until else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Recurrence:
        """A stored recurrence read back (ValueError when malformed)."""
        data = json.loads(text)
        return cls(
            frequency=Frequency(data["frequency"]),
            at=dt.time.fromisoformat(data["at"]),
            weekdays=frozenset(int(d) for d in data["weekdays"]),
            day_of_month=data["day_of_month"],
            until=dt.date.fromisoformat(data["until"]) if data["until"] else None,
        )


def occurrence_key(moment: dt.datetime) -> str:
    """An occurrence's name in delivery references: its UTC minute, e.g. '202612070200'."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M")
