"""Reading an action's timeframe as people write it, in English or Khmer, into a start and a due
date: '31 March 2026', '៣១ មីនា ២០២៦', 'Q2 2026', 'Jan–Jun 2026', 'short-term', 'before the
mid-term report', 'every quarter'. Pure: no I/O, no clock; never raises on any text.

How the cycle's milestones resolve terms and goalposts (decided here, shown in README):
- short-term: from the review to one year after it (or to the adoption, if that is later);
- medium-term: from the end of the short term to the mid-term;
- long-term: from the mid-term to the next review;
- "before adoption" / "by the mid-term report" / "before the next review": due on that milestone,
  starting at the milestone before it;
- "by 2027", "until June 2026", "before the end of Q3": due on the period's last day; "before
  2027", "before June 2026": due on the day before the period starts;
- recurring ("every quarter") and ongoing: over the span written with them, else from the
  adoption to the next review; "ongoing until the next review": from the adoption to that
  milestone.
- "beginning of 2027" / ដើមឆ្នាំ២០២៧: its first quarter; "mid-2026" / ពាក់កណ្តាលឆ្នាំ២០២៦: by 30 June;
  "end of 2026" / ចុងឆ្នាំ២០២៦: by 31 December; numeric days are day first (៣១-០៣-២០២៦), as
  Cambodian official papers write them.
A milestone known only roughly ("around 2026") counts from its earliest day: a nudge had better
come early than late, and coordinators correct the milestone when the real date is known.
A day is stored as its first moment in Phnom Penh, in UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.domain.importer import N_
from bot.domain.milestones import CycleMilestones, Milestone, MilestoneDate
from bot.domain.text import normalize, one_line

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
MAX_TIMEFRAME = 200
FIRST_YEAR, LAST_YEAR = 1990, 2100
# A Buddhist-era year (២៥៧០) is refused, not converted: in Cambodia the era's year turns at
# Visak Bochea, so 2570 BE is part 2026 and part 2027 of the common calendar.
BUDDHIST_ERA = 543


class Kind(enum.StrEnum):
    """What form of timeframe was written. The value is what storage keeps."""

    DATE = "date"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"
    RANGE = "range"
    TERM = "term"
    GOALPOST = "goalpost"
    RECURRING = "recurring"
    ONGOING = "ongoing"


class Recurrence(enum.StrEnum):
    """How often a recurring action comes back."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


def moment(day: dt.date) -> dt.datetime:
    """The first moment of a Phnom Penh day, in UTC (how timeframes store days)."""
    return dt.datetime.combine(day, dt.time(), PHNOM_PENH).astimezone(dt.UTC)


def local_day(at: dt.datetime) -> dt.date:
    """The Phnom Penh day a stored moment falls on."""
    return at.astimezone(PHNOM_PENH).date()


@dataclass(frozen=True)
class Timeframe:
    """A readable timeframe: the words as written, and the days they mean."""

    original: str
    kind: Kind
    start: dt.datetime
    due: dt.datetime
    recurrence: Recurrence | None = None
    around: bool = False  # resolved through a milestone known only roughly

    @property
    def start_day(self) -> dt.date:
        """The first day, in Phnom Penh."""
        return local_day(self.start)

    @property
    def due_day(self) -> dt.date:
        """The due day, in Phnom Penh."""
        return local_day(self.due)

    @property
    def occurrences(self) -> tuple[dt.date, ...]:
        """The days it is due: see `occurrences`."""
        return occurrences(self.kind, self.recurrence, self.start_day, self.due_day)


_MONTHS_APART = {
    Recurrence.MONTHLY: 1,
    Recurrence.QUARTERLY: 3,
    Recurrence.HALF_YEARLY: 6,
    Recurrence.YEARLY: 12,
}
MAX_OCCURRENCES = 600


@functools.lru_cache(maxsize=8192)  # pure, and every sweep asks again for every action
def occurrences(
    kind: Kind, recurrence: Recurrence | None, start: dt.date, due: dt.date
) -> tuple[dt.date, ...]:
    """The days an action is due, in order: a one-off action's due day; none for an ongoing
    one; for a recurring one, the last day of each of its periods within its span — calendar
    months, quarters, halves or years (ending with the span's month when the span ends on a
    month's last day, as `every year in December` does), weeks counted back from the span's
    end — or the span's end when no period ends within it."""
    if kind is Kind.ONGOING:
        return ()
    if kind is not Kind.RECURRING or recurrence is None:
        return (due,)
    found: list[dt.date] = []
    if recurrence is Recurrence.WEEKLY:
        day = due
        while day >= start and len(found) < MAX_OCCURRENCES:
            found.append(day)
            day -= dt.timedelta(weeks=1)
        return tuple(reversed(found))
    step = _MONTHS_APART[recurrence]
    anchor = due.month if due == _last_day(due.replace(day=1)) else 12
    month = dt.date(start.year, start.month, 1)
    while month <= due:
        end = _last_day(month)
        if (month.month - anchor) % step == 0 and start <= end <= due:
            found.append(end)
        month = end + dt.timedelta(days=1)
    return tuple(found[-MAX_OCCURRENCES:]) or (due,)


@dataclass(frozen=True)
class Unreadable:
    """A timeframe the bot could not read: kept as written, with why (a gettext msgid and its
    values), never nudged, listed for coordinators to fix."""

    original: str
    reason: str
    values: Mapping[str, str] = field(default_factory=dict)


ReadTimeframe = Timeframe | Unreadable

_GENERIC = N_(
    "Write a timeframe like 31 March 2026, Q2 2026, Jan–Jun 2026, short-term, before the "
    "mid-term report or every quarter."
)
_NO_YEAR = N_("Add the year to the timeframe.")
_NO_DATE = N_("There is no such date.")
_BACKWARDS = N_("The timeframe ends before it starts.")
_NO_END = N_("The timeframe needs an end: add a date, a term or a goalpost.")
_NO_MILESTONE = N_(
    "The milestones of cycle {cycle} this timeframe needs are not known yet: a coordinator can "
    "add them."
)
_BUDDHIST_ERA = N_(
    "{year} looks like a Buddhist-era year: write the year of the common calendar (the "
    "Buddhist-era year minus 543, so {common})."
)
_EMPTY = N_("No timeframe was given.")
_TOO_LONG = N_("The timeframe is too long.")


class _Problem(Exception):
    """Why a timeframe cannot be read (internal: read_timeframe returns Unreadable instead)."""

    def __init__(self, reason: str, **values: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


# --- Khmer words become the English tokens the grammar below reads ---------------------------
_MONTHS_KM = (
    *("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា"),
    *("កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"),
)
_MONTHS_EN = (
    *("january", "february", "march", "april", "may", "june", "july", "august"),
    *("september", "october", "november", "december"),
)
_WEEKDAYS_KM = ("ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ")
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS_KM = {"មួយ": 1, "ពីរ": 2, "បី": 3, "បួន": 4}
_KHMER_WORDS: dict[str, str] = {
    "របាយការណ៍ពាក់កណ្តាលអាណត្តិ": " mid-term report ",
    "ពាក់កណ្តាលអាណត្តិ": " mid-term ",
    "របាយការណ៍ពាក់កណ្តាលជុំ": " mid-term report ",  # the glossary's words (ជុំ = cycle)
    "ពាក់កណ្តាលជុំ": " mid-term ",
    "របាយការណ៍ពាក់កណ្តាលវដ្ត": " mid-term report ",
    "ពាក់កណ្តាលវដ្ត": " mid-term ",
    "ជុំបន្ទាប់": " next review ",
    "ការត្រួតពិនិត្យលើកក្រោយ": " next review ",
    "ការពិនិត្យលើកក្រោយ": " next review ",
    "ពិនិត្យលើកក្រោយ": " next review ",
    "វដ្តបន្ទាប់": " next review ",
    "ការអនុម័ត": " adoption ",
    "អនុម័ត": " adoption ",
    "រយៈពេលខ្លី": " short-term ",
    "រយៈពេលមធ្យម": " medium-term ",
    "រយៈពេលវែង": " long-term ",
    "ពាក់កណ្តាលឆ្នាំ": " mid-year ",
    "មុនពេល": " before ",
    "ចុង": " end of ",
    "ដើម": " beginning of ",
    "ក្នុងអំឡុងពេល": " during ",
    "ក្នុងអំឡុង": " during ",
    "អំឡុងពេល": " during ",
    "អំឡុង": " during ",
    "ប្រហែល": " around ",
    "រៀងរាល់សប្តាហ៍": " weekly ",
    "រៀងរាល់ខែ": " monthly ",
    "រៀងរាល់ត្រីមាស": " quarterly ",
    "រៀងរាល់ឆ្នាំ": " yearly ",
    "ប្រចាំសប្តាហ៍": " weekly ",
    "ប្រចាំខែ": " monthly ",
    "ប្រចាំត្រីមាស": " quarterly ",
    "ប្រចាំឆមាស": " half-yearly ",
    "ប្រចាំឆ្នាំ": " yearly ",
    "ជាប្រចាំ": " ongoing ",
    "ជាបន្តបន្ទាប់": " ongoing ",
    "បន្តរហូតដល់": " ongoing until ",
    "បន្តរហូត": " ongoing ",
    "បន្ត": " ongoing ",
    "ជា": " ",  # 'ជារៀងរាល់ខែ', 'ជាបន្ត': 'as' before a recurrence
    "ត្រីមាសទី": " q",
    "ត្រីមាស": " q",
    "ឆមាសទី": " h",
    "ឆមាស": " h",
    "រហូតដល់": " until ",
    "ដល់": " to ",
    "ពី": " from ",
    "មុន": " before ",
    "ត្រឹម": " by ",
    "ក្នុង": " in ",
    "ថ្ងៃទី": " ",
    "ថ្ងៃ": " ",
    "ខែ": " ",
    "ឆ្នាំ": " ",
    "នៃ": " ",
    "ទី": " ",
    "កុម្ភ": " february ",  # written without its final visarga
    "កុម្ភះ": " february ",  # or with a reahmuk for it
    **{km: f" {en} " for km, en in zip(_MONTHS_KM, _MONTHS_EN, strict=True)},
    **{f"ថ្ងៃ{km}": f" {en} " for km, en in zip(_WEEKDAYS_KM, _WEEKDAYS_EN, strict=True)},
    **{f"ត្រីមាសទី{km}": f" q{n} " for km, n in _ORDINALS_KM.items()},
    **{f"ឆមាសទី{km}": f" h{n} " for km, n in _ORDINALS_KM.items() if n <= 2},
}
# Keys as normalize() spells them (subscript TA for DA, no zero-width spaces).
_KHMER = {normalize(km): en for km, en in _KHMER_WORDS.items()}
_KHMER_WORD = re.compile("|".join(map(re.escape, sorted(_KHMER, key=len, reverse=True))))
_KHMER_LEFT = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
# 'ប្រចាំ ៣ ខែ', 'រៀងរាល់ ៣ ខែម្តង': every 3 months; 'ខែ០៣ ឆ្នាំ២០២៦': a month by its number
_EVERY_MONTHS_KM = re.compile(normalize(r"(?:ប្រចាំ|រៀងរាល់|រាល់) ?(\d{1,2}) ?ខែ(?: ?ម្តង)?"))
_MONTH_NUMBER_KM = re.compile(normalize(r"ខែ ?(\d{1,2})(?!\d)"))

# --- the English grammar ------------------------------------------------------------------
_MONTH_NAMES = {name: n for n, full in enumerate(_MONTHS_EN, start=1) for name in (full, full[:3])}
_MONTH_NAMES["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + ")"
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
_ORDINAL |= {"4th": 4}
_YEAR = r"(\d{4})"
_POINTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("ymd", r"(\d{4})-(\d{1,2})-(\d{1,2})"),
        ("dmy", r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"),  # day first, as Cambodian papers
        ("ym", r"(\d{4})-(\d{1,2})"),
        ("my", r"(\d{1,2})/(\d{4})"),
        ("d month", rf"(\d{{1,2}})(?:st|nd|rd|th)? {_MONTH}(?: {_YEAR})?"),
        ("month d", rf"{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?(?: {_YEAR})?"),
        ("month", rf"{_MONTH}(?: {_YEAR})?"),
        ("quarter", rf"(?:q ?|quarter )([1-4])(?: {_YEAR})?"),
        ("year quarter", rf"{_YEAR} q ?([1-4])"),
        ("nth quarter", rf"(first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: {_YEAR})?"),
        ("half", rf"h ?([12])(?: {_YEAR})?"),
        ("nth half", rf"(first|second|1st|2nd) half(?: {_YEAR})?"),
        ("year", _YEAR),
    )
)
_DEADLINE = re.compile(
    r"^(?:by|before|until|till|to|prior to|no later than|not later than|latest by|due)"
    r"(?: the)?(?: end)?(?: of)? "
)
# 'before 2027' (but not 'before the end of 2027'): due the day before the period starts
_BEFORE_START = re.compile(r"^(?:before|prior to) (?!(?:the )?end\b)(?:the )?")

_END_OF = re.compile(r"^(?:the )?end (?:of )?")
_WEEKDAY = re.compile(r"\b(?:" + "|".join(_WEEKDAYS_EN) + r") (?=\d)")
_EARLY = re.compile(r"\b(?:(?:the )?(?:beginning|start) of (?:the )?(?:year )?|early )(\d{4})\b")
_MIDDLE = re.compile(r"\b(?:mid-|mid |mid-year |middle of (?:the )?(?:year )?)(\d{4})\b")
_OPEN = re.compile(r"^(?:from|starting|starting from|start|beginning|as of|since) ")
_LOOSE = re.compile(r"^(?:in|during|within|around|approximately|approx|about|~|at|for) ")
_RANGE = re.compile(r" ?(?:\bto\b|\buntil\b|\btill\b|\bthrough\b|\band\b|-) ?")
_TERM = re.compile(r"^(short|medium|mid|long)(?: |-)?term(?: actions?| goals?)?$")
_GOALPOST = re.compile(
    r"^(?:(?:by|before|until|till|prior to|at|for) )?(?:the )?"
    r"(?:(?:outcome )?(adoption)(?: of (?:the )?(?:outcome|report|outcome report|upr report))?"
    r"|(mid-?term|mid term)(?: (?:upr )?(?:report|review|point))?"
    r"|(next (?:review|upr|cycle|upr review|upr cycle))"
    r"|end of (?:the )?(cycle))$"
)
_RECURRENCE = re.compile(
    r"\b(?:(?:every|each) (week|month|quarter|year|six months|half-year|half year"
    r"|(?:1|one|3|three|6|12|twelve) months)"
    r"|(weekly|monthly|quarterly|half-yearly|biannually|bi-annually|yearly|annually|annual)"
    r"|(ongoing|on-going|continuous|continuously|continuing|regularly|throughout the cycle"
    r"|throughout))\b"
)
_EVERY = {
    "week": Recurrence.WEEKLY,
    "weekly": Recurrence.WEEKLY,
    "month": Recurrence.MONTHLY,
    "monthly": Recurrence.MONTHLY,
    "quarter": Recurrence.QUARTERLY,
    "quarterly": Recurrence.QUARTERLY,
    "1 months": Recurrence.MONTHLY,
    "one months": Recurrence.MONTHLY,
    "3 months": Recurrence.QUARTERLY,
    "three months": Recurrence.QUARTERLY,
    "6 months": Recurrence.HALF_YEARLY,
    "12 months": Recurrence.YEARLY,
    "twelve months": Recurrence.YEARLY,
    "six months": Recurrence.HALF_YEARLY,
    "half-year": Recurrence.HALF_YEARLY,
    "half year": Recurrence.HALF_YEARLY,
    "half-yearly": Recurrence.HALF_YEARLY,
    "biannually": Recurrence.HALF_YEARLY,
    "bi-annually": Recurrence.HALF_YEARLY,
    "year": Recurrence.YEARLY,
    "yearly": Recurrence.YEARLY,
    "annually": Recurrence.YEARLY,
    "annual": Recurrence.YEARLY,
}


@dataclass(frozen=True)
class _Point:
    """One written day, month, quarter, half or year, its year possibly left to the context."""

    kind: Kind
    year: int | None
    month: int = 0  # the first month of a quarter or half
    months: int = 1  # how many months it covers (0: one day)
    day: int = 0

    def span(self, year: int) -> tuple[dt.date, dt.date]:
        """Its first and last day in this year."""
        if FIRST_YEAR + BUDDHIST_ERA <= year <= LAST_YEAR + BUDDHIST_ERA:
            raise _Problem(_BUDDHIST_ERA, year=str(year), common=str(year - BUDDHIST_ERA))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise _Problem(_NO_DATE)
        try:
            if self.kind is Kind.DATE:
                day = dt.date(year, self.month, self.day)
                return day, day
            if self.kind is Kind.YEAR:
                return dt.date(year, 1, 1), dt.date(year, 12, 31)
            first = dt.date(year, self.month, 1)
        except ValueError as exc:
            raise _Problem(_NO_DATE) from exc
        last = self.month + self.months - 2  # the last month, counted from 0 in this year
        return first, _last_day(dt.date(year + last // 12, last % 12 + 1, 1))


def _last_day(month_start: dt.date) -> dt.date:
    following = (month_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _year(text: str | None) -> int | None:
    return int(text) if text else None


def _point(text: str) -> _Point | None:
    """One written point in time, or None when the text is not one."""
    for name, pattern in _POINTS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        g = match.groups()
        if name == "ymd":
            return _Point(Kind.DATE, int(g[0]), int(g[1]), 0, int(g[2]))
        if name == "dmy":
            return _Point(Kind.DATE, int(g[3]), int(g[2]), 0, int(g[0]))
        if name in ("ym", "my"):
            year, month = (g[0], g[1]) if name == "ym" else (g[1], g[0])
            if not 1 <= int(month) <= 12:
                raise _Problem(_NO_DATE)
            return _Point(Kind.MONTH, int(year), int(month))
        if name == "d month":
            return _Point(Kind.DATE, _year(g[2]), _MONTH_NAMES[g[1]], 0, int(g[0]))
        if name == "month d":
            return _Point(Kind.DATE, _year(g[2]), _MONTH_NAMES[g[0]], 0, int(g[1]))
        if name == "month":
            return _Point(Kind.MONTH, _year(g[1]), _MONTH_NAMES[g[0]])
        if name in ("quarter", "year quarter", "nth quarter"):
            number, year = (g[1], g[0]) if name == "year quarter" else (g[0], g[1])
            quarter = _ORDINAL.get(number) or int(number)
            return _Point(Kind.QUARTER, _year(year), 3 * quarter - 2, 3)
        if name in ("half", "nth half"):
            half = _ORDINAL.get(g[0]) or int(g[0])
            return _Point(Kind.HALF, _year(g[1]), 6 * half - 5, 6)
        return _Point(Kind.YEAR, int(g[0]), 1, 12)
    return None


@dataclass(frozen=True)
class _Span:
    start: dt.date
    due: dt.date
    kind: Kind
    around: bool = False


def _dates(text: str) -> _Span | None:
    """A point or a range of two ('jan-jun 2026', '2026-01-01 to 2026-06-30'), or None."""
    point = _point(text)
    if point is not None:
        if point.year is None:
            raise _Problem(_NO_YEAR)
        start, end = point.span(point.year)
        return _Span(start, end, point.kind)
    text = text.removeprefix("between ")
    for separator in _RANGE.finditer(text):
        left, right = _point(text[: separator.start()]), _point(text[separator.end() :])
        if left is None or right is None:
            continue
        if right.year is None:
            raise _Problem(_NO_YEAR)
        start = left.span(left.year or right.year)[0]
        end = right.span(right.year)[1]
        if left.year is None and start > end:  # 'nov-feb 2027': November of the year before
            start = left.span(right.year - 1)[0]
        if start > end:
            raise _Problem(_BACKWARDS)
        return _Span(start, end, Kind.RANGE)
    return None


def _need(milestones: CycleMilestones, milestone: Milestone) -> MilestoneDate:
    found = milestones.date(milestone)
    if found is None:
        raise _Problem(_NO_MILESTONE, cycle=str(milestones.cycle))
    return found


def _opening(milestones: CycleMilestones) -> dt.date | None:
    """When a cycle's actions begin: its adoption, else its review (None: not known)."""
    found = milestones.date(Milestone.ADOPTION) or milestones.date(Milestone.REVIEW)
    return found.earliest if found else None


def _window(milestones: CycleMilestones) -> _Span:
    """The whole implementation period: from the adoption to the next review."""
    end = _need(milestones, Milestone.NEXT_REVIEW)
    start = _opening(milestones) or end.earliest
    return _Span(min(start, end.earliest), end.earliest, Kind.ONGOING, end.around)


def _term(name: str, milestones: CycleMilestones) -> _Span:
    review = _need(milestones, Milestone.REVIEW)
    adoption = milestones.date(Milestone.ADOPTION)
    year_on = review.earliest + dt.timedelta(days=365)
    short_end = max(year_on, adoption.earliest) if adoption else year_on
    if name == "short":
        return _Span(review.earliest, short_end, Kind.TERM, review.around)
    mid_term = _need(milestones, Milestone.MID_TERM)
    if name in ("medium", "mid"):
        start = short_end if short_end <= mid_term.earliest else review.earliest
        return _Span(min(start, mid_term.earliest), mid_term.earliest, Kind.TERM, mid_term.around)
    end = _need(milestones, Milestone.NEXT_REVIEW)
    start = min(mid_term.earliest, end.earliest)
    return _Span(start, end.earliest, Kind.TERM, mid_term.around or end.around)


_BEFORE = {
    Milestone.ADOPTION: Milestone.REVIEW,
    Milestone.MID_TERM: Milestone.ADOPTION,
    Milestone.NEXT_REVIEW: Milestone.MID_TERM,
}


def _goalpost(match: re.Match[str], milestones: CycleMilestones) -> _Span:
    adoption, mid_term, _next, _end = match.groups()
    target = (
        Milestone.ADOPTION
        if adoption
        else Milestone.MID_TERM
        if mid_term
        else Milestone.NEXT_REVIEW
    )
    due = _need(milestones, target)
    previous = milestones.date(_BEFORE[target]) or milestones.date(Milestone.REVIEW)
    start = min(previous.earliest, due.earliest) if previous else due.earliest
    return _Span(start, due.earliest, Kind.GOALPOST, due.around)


def _span(text: str, milestones: CycleMilestones) -> _Span:
    """What the words (without any recurrence) mean; _Problem when they cannot be read."""
    text = text.strip()
    if not text:
        raise _Problem(_GENERIC)
    term = _TERM.fullmatch(text)
    if term:
        return _term(term.group(1), milestones)
    goalpost = _GOALPOST.fullmatch(text)
    if goalpost:
        return _goalpost(goalpost, milestones)
    before = _BEFORE_START.match(text)
    deadline = before or _DEADLINE.match(text) or _END_OF.match(text)
    if deadline:
        inner = _span(text[deadline.end() :], milestones)
        # 'before 2027' is due on the last day of 2026; 'by 2027' on the last day of 2027
        due = inner.start - dt.timedelta(days=1) if before else inner.due
        opening = _opening(milestones)
        start = opening if opening is not None and opening <= due else due
        return _Span(start, due, inner.kind, inner.around)
    opened = _OPEN.match(text)
    if opened:
        text = text[opened.end() :]
        if _point(text) is not None:  # 'from March 2026' and no end
            raise _Problem(_NO_END)
    text = _LOOSE.sub("", text, count=1)
    found = _dates(text)
    if found is None:
        raise _Problem(_GENERIC)
    return found


def _in_month(month: int, window: _Span) -> _Span:
    """The implementation period, up to the last end of this month within it: a recurrence
    written with a month ('every year in December') comes back at the end of that month."""
    due = _last_day(dt.date(window.due.year, month, 1))
    if due > window.due:
        due = _last_day(dt.date(window.due.year - 1, month, 1))
    return _Span(window.start, max(due, window.start), Kind.RECURRING, window.around)


def _month_number(match: re.Match[str]) -> str:
    number = int(match.group(1))
    return f" {_MONTHS_EN[number - 1]} " if 1 <= number <= 12 else match.group(0)


def _english(text: str) -> str:
    """Normalised words with Khmer replaced by the English tokens the grammar reads."""
    text = _EVERY_MONTHS_KM.sub(r" every \1 months ", normalize(text))
    text = _MONTH_NUMBER_KM.sub(_month_number, text)
    text = _KHMER_WORD.sub(lambda m: _KHMER[m.group(0)], text)
    text = re.sub(r"(\d)(?=[a-z])(?!st\b|nd\b|rd\b|th\b)", r"\1 ", text)  # '2026q2'
    text = re.sub(r"(?<=[a-z])(\d{4})", r" \1", text)  # 'march2026'
    text = re.sub(r"[,;()]|\.(?!\d)", " ", re.sub(r"\s+", " ", text))
    text = _WEEKDAY.sub("", re.sub(r"\s+", " ", text))  # 'Tuesday, 31 March 2026'
    text = _EARLY.sub(r"q1 \1", text)  # the beginning of a year: its first quarter
    text = _MIDDLE.sub(r"end of h1 \1", text)  # the middle of a year: by 30 June
    text = re.sub(r"\b(?:the|of)\b(?= \d)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def read_timeframe(text: str, milestones: CycleMilestones) -> ReadTimeframe:
    """The timeframe these words give in the cycle whose milestones these are, or why not."""
    original = one_line(text)
    if not original:
        return Unreadable(original, _EMPTY)
    if len(original) > MAX_TIMEFRAME:
        return Unreadable(original[:MAX_TIMEFRAME], _TOO_LONG)
    words = _english(original)
    if _KHMER_LEFT.search(words):  # Khmer words the grammar does not know
        return Unreadable(original, _GENERIC)
    try:
        recurrence = _RECURRENCE.search(words)
        if recurrence is None:
            span = _span(words, milestones)
            return _timeframe(original, span, span.kind, None)
        every, often, ongoing = recurrence.groups()
        rest = (words[: recurrence.start()] + " " + words[recurrence.end() :]).strip()
        rest = re.sub(r"^(?:from|in|during|for|over)\b ?", "", rest)
        month = _point(rest) if rest and not ongoing else None
        if month is not None and month.kind is Kind.MONTH and month.year is None:
            span = _in_month(month.month, _window(milestones))  # 'every year in December'
        else:
            span = _span(rest, milestones) if rest else _window(milestones)
        opening = _opening(milestones)
        if opening is not None and _GOALPOST.fullmatch(rest):  # from the adoption to a goalpost
            span = _Span(min(opening, span.due), span.due, span.kind, span.around)
        kind = Kind.ONGOING if ongoing else Kind.RECURRING
        return _timeframe(original, span, kind, None if ongoing else _EVERY[every or often])
    except _Problem as problem:
        return Unreadable(original, problem.reason, problem.values)


def _timeframe(original: str, span: _Span, kind: Kind, recurrence: Recurrence | None) -> Timeframe:
    return Timeframe(
        original,
        kind,
        moment(min(span.start, span.due)),
        moment(span.due),
        recurrence,
        span.around,
    )
