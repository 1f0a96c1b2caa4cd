"""Timeframes as people write them, in English and Khmer, read into a start and a due day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain import bundled
from bot.domain.milestones import (
    CycleMilestones,
    Milestone,
    MilestoneDate,
    MilestoneEntry,
    MilestoneTable,
    read_milestones,
)
from bot.domain.timeframes import (
    PHNOM_PENH,
    Kind,
    Recurrence,
    Timeframe,
    Unreadable,
    local_day,
    moment,
    read_timeframe,
)

D = dt.date
TABLE = MilestoneTable.build(read_milestones(bundled.MILESTONES_FILE))
CYCLE4 = TABLE.of(4)  # review 8 May 2024, adoption autumn 2024, mid-term ~2026, next ~2028
CYCLE3 = TABLE.of(3)  # review 30 Jan 2019, adoption 5 Jul 2019, mid-term 2021, next 8 May 2024
UNKNOWN = CycleMilestones(9, {})
Q, M, W = Recurrence.QUARTERLY, Recurrence.MONTHLY, Recurrence.WEEKLY
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
MONTHS_KM = ["មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា"]
MONTHS_KM += ["កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"]

READABLE = [
    # dates
    ("2026-03-31", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("31 March 2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("March 31, 2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("31st Mar. 2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("31/03/2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("៣១ មីនា ២០២៦", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("ថ្ងៃទី៣១ ខែមីនា ឆ្នាំ២០២៦", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("ថ្ងៃទី 1 ខែកុម្ភៈ ឆ្នាំ 2027", Kind.DATE, D(2027, 2, 1), D(2027, 2, 1), None),
    ("ថ្ងៃទី៣១ ខែ០៣ ឆ្នាំ២០២៦", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("៣១-០៣-២០២៦", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("31-03-2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("ថ្ងៃអង្គារ ទី៣១ ខែមីនា ឆ្នាំ២០២៦", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    ("Tuesday, 31 March 2026", Kind.DATE, D(2026, 3, 31), D(2026, 3, 31), None),
    # months, quarters, halves, years
    ("ខែ០៦ ឆ្នាំ២០២៦", Kind.MONTH, D(2026, 6, 1), D(2026, 6, 30), None),
    ("ខែកុម្ភះ ឆ្នាំ២០២៧", Kind.MONTH, D(2027, 2, 1), D(2027, 2, 28), None),  # misspelt
    ("ត្រីមាសទីពីរ ឆ្នាំ២០២៦", Kind.QUARTER, D(2026, 4, 1), D(2026, 6, 30), None),
    ("ត្រីមាសទីបួន ២០២៦", Kind.QUARTER, D(2026, 10, 1), D(2026, 12, 31), None),
    ("ឆមាសទីមួយ ឆ្នាំ២០២៧", Kind.HALF, D(2027, 1, 1), D(2027, 6, 30), None),
    ("ដើមឆ្នាំ២០២៧", Kind.QUARTER, D(2027, 1, 1), D(2027, 3, 31), None),
    ("beginning of 2027", Kind.QUARTER, D(2027, 1, 1), D(2027, 3, 31), None),
    ("early 2027", Kind.QUARTER, D(2027, 1, 1), D(2027, 3, 31), None),
    ("ក្នុងអំឡុងឆ្នាំ២០២៦", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    ("during 2026", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    ("ប្រហែលឆ្នាំ២០២៦", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    ("around 2026", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    ("March 2026", Kind.MONTH, D(2026, 3, 1), D(2026, 3, 31), None),
    ("ខែមីនា ឆ្នាំ២០២៦", Kind.MONTH, D(2026, 3, 1), D(2026, 3, 31), None),
    ("Feb 2028", Kind.MONTH, D(2028, 2, 1), D(2028, 2, 29), None),
    ("2026-09", Kind.MONTH, D(2026, 9, 1), D(2026, 9, 30), None),
    ("Q2 2026", Kind.QUARTER, D(2026, 4, 1), D(2026, 6, 30), None),
    ("in Q4 2026", Kind.QUARTER, D(2026, 10, 1), D(2026, 12, 31), None),
    ("second quarter of 2026", Kind.QUARTER, D(2026, 4, 1), D(2026, 6, 30), None),
    ("ត្រីមាសទី២ ឆ្នាំ២០២៦", Kind.QUARTER, D(2026, 4, 1), D(2026, 6, 30), None),
    ("H2 2026", Kind.HALF, D(2026, 7, 1), D(2026, 12, 31), None),
    ("first half of 2027", Kind.HALF, D(2027, 1, 1), D(2027, 6, 30), None),
    ("ឆមាសទី១ ឆ្នាំ២០២៧", Kind.HALF, D(2027, 1, 1), D(2027, 6, 30), None),
    ("2026", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    ("ឆ្នាំ២០២៦", Kind.YEAR, D(2026, 1, 1), D(2026, 12, 31), None),
    # ranges: en dash, hyphen, 'to', ដល់
    ("Jan–Jun 2026", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("Jan - Jun 2026", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("from January to June 2026", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("between March and May 2027", Kind.RANGE, D(2027, 3, 1), D(2027, 5, 31), None),
    ("ពីខែមករា ដល់ខែមិថុនា ឆ្នាំ២០២៦", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("មករា–មិថុនា ២០២៦", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("Nov 2026 – Feb 2027", Kind.RANGE, D(2026, 11, 1), D(2027, 2, 28), None),
    ("Nov–Feb 2027", Kind.RANGE, D(2026, 11, 1), D(2027, 2, 28), None),
    ("Q1-Q2 2026", Kind.RANGE, D(2026, 1, 1), D(2026, 6, 30), None),
    ("2026–2027", Kind.RANGE, D(2026, 1, 1), D(2027, 12, 31), None),
    ("2026-01-15 to 2026-06-30", Kind.RANGE, D(2026, 1, 15), D(2026, 6, 30), None),
    ("1 July 2026 until 15 Aug 2026", Kind.RANGE, D(2026, 7, 1), D(2026, 8, 15), None),
    # deadlines: due on the day, started when the cycle's actions start (its adoption)
    ("by 30 June 2026", Kind.DATE, D(2024, 9, 1), D(2026, 6, 30), None),
    ("before end of 2026", Kind.YEAR, D(2024, 9, 1), D(2026, 12, 31), None),
    ("by June 2026", Kind.MONTH, D(2024, 9, 1), D(2026, 6, 30), None),
    ("until 2027", Kind.YEAR, D(2024, 9, 1), D(2027, 12, 31), None),
    ("before the end of June 2026", Kind.MONTH, D(2024, 9, 1), D(2026, 6, 30), None),
    ("ចុងឆ្នាំ២០២៦", Kind.YEAR, D(2024, 9, 1), D(2026, 12, 31), None),
    ("ត្រឹមចុងខែមិថុនា ២០២៦", Kind.MONTH, D(2024, 9, 1), D(2026, 6, 30), None),
    ("ដល់ខែមិថុនា ២០២៦", Kind.MONTH, D(2024, 9, 1), D(2026, 6, 30), None),
    ("ពាក់កណ្តាលឆ្នាំ២០២៦", Kind.HALF, D(2024, 9, 1), D(2026, 6, 30), None),
    ("mid-2026", Kind.HALF, D(2024, 9, 1), D(2026, 6, 30), None),
    # "before X": due the day before X starts
    ("before 2027", Kind.YEAR, D(2024, 9, 1), D(2026, 12, 31), None),
    ("មុនឆ្នាំ២០២៧", Kind.YEAR, D(2024, 9, 1), D(2026, 12, 31), None),
    ("before June 2026", Kind.MONTH, D(2024, 9, 1), D(2026, 5, 31), None),
    ("មុនខែមិថុនា ឆ្នាំ២០២៦", Kind.MONTH, D(2024, 9, 1), D(2026, 5, 31), None),
    ("before Q3 2026", Kind.QUARTER, D(2024, 9, 1), D(2026, 6, 30), None),
    ("prior to 1 July 2026", Kind.DATE, D(2024, 9, 1), D(2026, 6, 30), None),
    # terms, through the cycle's milestones
    ("short-term", Kind.TERM, D(2024, 5, 8), D(2025, 5, 8), None),
    ("Short term", Kind.TERM, D(2024, 5, 8), D(2025, 5, 8), None),
    ("medium-term", Kind.TERM, D(2025, 5, 8), D(2026, 1, 1), None),
    ("mid-term", Kind.TERM, D(2025, 5, 8), D(2026, 1, 1), None),
    ("long-term", Kind.TERM, D(2026, 1, 1), D(2028, 1, 1), None),
    ("រយៈពេលខ្លី", Kind.TERM, D(2024, 5, 8), D(2025, 5, 8), None),
    ("រយៈពេលមធ្យម", Kind.TERM, D(2025, 5, 8), D(2026, 1, 1), None),
    ("រយៈពេលវែង", Kind.TERM, D(2026, 1, 1), D(2028, 1, 1), None),
    # goalposts
    ("before adoption", Kind.GOALPOST, D(2024, 5, 8), D(2024, 9, 1), None),
    ("by the adoption of the outcome report", Kind.GOALPOST, D(2024, 5, 8), D(2024, 9, 1), None),
    ("by the mid-term report", Kind.GOALPOST, D(2024, 9, 1), D(2026, 1, 1), None),
    ("Before the next review", Kind.GOALPOST, D(2026, 1, 1), D(2028, 1, 1), None),
    ("by the end of the cycle", Kind.GOALPOST, D(2026, 1, 1), D(2028, 1, 1), None),
    ("មុនការអនុម័ត", Kind.GOALPOST, D(2024, 5, 8), D(2024, 9, 1), None),
    ("ត្រឹមរបាយការណ៍ពាក់កណ្ដាលអាណត្តិ", Kind.GOALPOST, D(2024, 9, 1), D(2026, 1, 1), None),
    ("មុនការពិនិត្យលើកក្រោយ", Kind.GOALPOST, D(2026, 1, 1), D(2028, 1, 1), None),
    ("មុនពេលរបាយការណ៍ពាក់កណ្តាលអាណត្តិ", Kind.GOALPOST, D(2024, 9, 1), D(2026, 1, 1), None),
    # the glossary's words: mid-term = ពាក់កណ្តាលជុំ (ជុំ is the cycle); វដ្ត is still read
    ("ត្រឹមរបាយការណ៍ពាក់កណ្តាលជុំ", Kind.GOALPOST, D(2024, 9, 1), D(2026, 1, 1), None),
    ("មុនពេលរបាយការណ៍ពាក់កណ្តាលវដ្ត", Kind.GOALPOST, D(2024, 9, 1), D(2026, 1, 1), None),
    ("ពាក់កណ្តាលជុំ", Kind.TERM, D(2025, 5, 8), D(2026, 1, 1), None),
    ("មុនជុំបន្ទាប់", Kind.GOALPOST, D(2026, 1, 1), D(2028, 1, 1), None),
    # recurring and ongoing: over the span written with them, else adoption to next review
    ("every quarter", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("Quarterly", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("monthly", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), M),
    ("ongoing", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    ("ប្រចាំត្រីមាស", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("ប្រចាំសប្ដាហ៍", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), W),
    ("ជាប្រចាំ", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    ("monthly from Jan to Jun 2026", Kind.RECURRING, D(2026, 1, 1), D(2026, 6, 30), M),
    ("every quarter in 2026", Kind.RECURRING, D(2026, 1, 1), D(2026, 12, 31), Q),
    ("every quarter until the mid-term", Kind.RECURRING, D(2024, 9, 1), D(2026, 1, 1), Q),
    ("Jan–Jun 2026 (ongoing)", Kind.ONGOING, D(2026, 1, 1), D(2026, 6, 30), None),
    ("ជារៀងរាល់ខែ", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), M),
    ("ជារៀងរាល់ត្រីមាស", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("ប្រចាំ ៣ ខែ", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("រៀងរាល់ ៣ ខែម្ដង", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("every 3 months", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
    ("ជាបន្ត", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    ("បន្តរហូត", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    # ongoing or recurring up to a goalpost: from the adoption, not from the milestone before
    ("ongoing until the next review", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    ("ជាប្រចាំរហូតដល់ការពិនិត្យលើកក្រោយ", Kind.ONGOING, D(2024, 9, 1), D(2028, 1, 1), None),
    ("quarterly before the next review", Kind.RECURRING, D(2024, 9, 1), D(2028, 1, 1), Q),
]


@pytest.mark.parametrize(("text", "kind", "start", "due", "recurrence"), READABLE)
def test_a_readable_timeframe_gives_its_days(
    text: str, kind: Kind, start: dt.date, due: dt.date, recurrence: Recurrence | None
) -> None:
    found = read_timeframe(text, CYCLE4)
    assert isinstance(found, Timeframe), found
    assert (found.kind, found.start_day, found.due_day, found.recurrence) == (
        kind,
        start,
        due,
        recurrence,
    )
    assert found.original == text  # the words are kept as written


def test_days_are_phnom_penh_days_stored_in_utc() -> None:
    found = read_timeframe("31 March 2026", CYCLE4)
    assert isinstance(found, Timeframe)
    assert found.due == dt.datetime(2026, 3, 30, 17, 0, tzinfo=dt.UTC)
    assert found.due.utcoffset() == dt.timedelta(0)
    assert found.due.astimezone(PHNOM_PENH).date() == D(2026, 3, 31)


def test_a_milestone_known_roughly_makes_the_timeframe_approximate() -> None:
    rough = read_timeframe("by the mid-term report", CYCLE4)
    exact = read_timeframe("before the next review", CYCLE3)
    assert isinstance(rough, Timeframe)
    assert isinstance(exact, Timeframe)
    assert (rough.around, exact.around) == (True, False)
    assert exact.due_day == D(2024, 5, 8)


def test_terms_follow_the_milestones_of_the_actions_cycle() -> None:
    terms = [read_timeframe(t, CYCLE3) for t in ("short-term", "medium-term", "long-term")]
    assert [(t.start_day, t.due_day) for t in terms if isinstance(t, Timeframe)] == [
        (D(2019, 1, 30), D(2020, 1, 30)),  # a year on from the review (after the adoption)
        (D(2020, 1, 30), D(2021, 1, 1)),  # to the mid-term ("two years on", 2021)
        (D(2021, 1, 1), D(2024, 5, 8)),  # to the next review
    ]


def test_a_late_adoption_stretches_the_short_term() -> None:
    late = MilestoneTable.build(
        read_milestones(bundled.MILESTONES_FILE),
        [MilestoneEntry(4, Milestone.ADOPTION, None)],  # a coordinator: not known
    )
    assert late.of(4).date(Milestone.ADOPTION) is None
    later = MilestoneTable.build(
        read_milestones(bundled.MILESTONES_FILE),
        [MilestoneEntry(4, Milestone.ADOPTION, MilestoneDate.parse("2025-07-01"))],
    ).of(4)
    short = read_timeframe("short-term", later)
    assert isinstance(short, Timeframe)
    assert short.due_day == D(2025, 7, 1)
    without = read_timeframe("every quarter", late.of(4))
    assert isinstance(without, Timeframe)
    assert without.start_day == D(2024, 5, 8)  # no adoption known: from the review


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "No timeframe was given."),
        ("   ", "No timeframe was given."),
        ("TBD", "Write a timeframe like"),
        ("as soon as possible", "Write a timeframe like"),
        ("March", "Add the year"),
        ("Jan–Jun", "Add the year"),
        ("ខែមីនា", "Add the year"),
        ("31 February 2026", "There is no such date."),
        ("2026-13", "There is no such date."),
        ("Q2 3026", "There is no such date."),
        ("2027 – 2026", "ends before it starts"),
        ("from March 2026", "needs an end"),
        ("x" * 201, "too long"),
        ("ថ្ងៃច័ន្ទ", "Write a timeframe like"),  # Monday: Khmer the parser does not know
        ("ឆ្នាំ២៥៧០", "Buddhist-era year"),  # 2570 BE: the bot does not guess 2026 or 2027
        ("by 2569", "Buddhist-era year"),
        ("every 2 months", "Write a timeframe like"),
    ],
)
def test_an_unreadable_timeframe_is_kept_with_its_reason(text: str, reason: str) -> None:
    found = read_timeframe(text, CYCLE4)
    assert isinstance(found, Unreadable), found
    assert reason in found.reason
    assert found.original == text.strip()[:200]


@pytest.mark.parametrize(
    "text", ["short-term", "long-term", "before adoption", "by the mid-term report", "ongoing"]
)
def test_terms_and_goalposts_need_the_cycles_milestones(text: str) -> None:
    found = read_timeframe(text, UNKNOWN)
    assert isinstance(found, Unreadable)
    assert found.values == {"cycle": "9"}
    assert "{cycle}" in found.reason


def test_a_mid_term_needs_a_mid_term_milestone() -> None:
    found = read_timeframe("medium-term", TABLE.of(1))  # cycle 1 had no mid-term
    assert isinstance(found, Unreadable)
    assert read_timeframe("31 March 2026", UNKNOWN) == read_timeframe("31 March 2026", CYCLE4)


# --- properties -----------------------------------------------------------------------------
TIMEFRAME_WORDS = st.sampled_from(
    [t[0] for t in READABLE]
    + ["by", "to", "-", "–", "q", "h", "every", "the", "of", "ខែ", "ឆ្នាំ", "ដល់", "ទី", "0", "99"]
)
SOUP = st.lists(TIMEFRAME_WORDS | st.text(max_size=8), max_size=6).map(" ".join)
MILESTONES = st.sampled_from([CYCLE4, CYCLE3, UNKNOWN, TABLE.of(1), TABLE.of(2)])


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=250) | SOUP, MILESTONES)
@example("2026-02-29 - 9999", CYCLE4)
@example("0000-01-01", CYCLE4)
@example("Dec 2100 - Jan", CYCLE4)
def test_any_text_reads_without_raising_and_starts_before_it_is_due(
    text: str, milestones: CycleMilestones
) -> None:
    found = read_timeframe(text, milestones)
    if isinstance(found, Timeframe):
        assert found.start <= found.due
        assert found.start.utcoffset() == found.due.utcoffset() == dt.timedelta(0)
    else:
        assert found.reason


def _khmer_digits(text: str) -> str:
    return text.translate(KHMER_DIGITS)


@settings(deadline=None, max_examples=200)
@given(SOUP, MILESTONES)
def test_khmer_digits_read_like_ascii_digits(text: str, milestones: CycleMilestones) -> None:
    ascii_read = read_timeframe(text, milestones)
    khmer_read = read_timeframe(_khmer_digits(text), milestones)
    assert _without_original(ascii_read) == _without_original(khmer_read)


def _without_original(found: Timeframe | Unreadable) -> tuple[object, ...]:
    if isinstance(found, Timeframe):
        return (found.kind, found.start, found.due, found.recurrence, found.around)
    return (found.reason, dict(found.values))


DAYS = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))
MONTHS_EN_LIST = ["January", "February", "March", "April", "May", "June", "July"]
MONTHS_EN_LIST += ["August", "September", "October", "November", "December"]


def _written(day: dt.date, form: int) -> str:
    """A day as people and the bot (Babel, English and Khmer) write it."""
    month_en, month_km = MONTHS_EN_LIST[day.month - 1], MONTHS_KM[day.month - 1]
    return [
        day.isoformat(),
        f"{day.day} {month_en} {day.year}",
        f"{month_en} {day.day}, {day.year}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day} {month_km} {day.year}",
        _khmer_digits(f"ថ្ងៃទី{day.day} ខែ{month_km} ឆ្នាំ{day.year}"),
    ][form]


@settings(deadline=None, max_examples=200)
@given(DAYS, st.integers(min_value=0, max_value=5))
def test_a_formatted_day_reads_back_as_that_day(day: dt.date, form: int) -> None:
    found = read_timeframe(_written(day, form), CYCLE4)
    assert isinstance(found, Timeframe), found
    assert (found.kind, found.start_day, found.due_day) == (Kind.DATE, day, day)
    assert local_day(moment(day)) == day


@settings(deadline=None, max_examples=100)
@given(DAYS)
def test_babels_long_dates_read_back_in_both_languages(day: dt.date) -> None:
    from babel.dates import format_date

    for language in ("en", "km"):
        written = format_date(day, format="long", locale=language)
        found = read_timeframe(written, CYCLE4)
        assert isinstance(found, Timeframe), (written, found)
        assert found.due_day == day


def test_the_khmer_month_names_are_babels() -> None:
    from babel.dates import get_month_names

    assert list(get_month_names("wide", locale="km").values()) == MONTHS_KM
    assert not re.search(r"[a-z]", " ".join(MONTHS_KM))
