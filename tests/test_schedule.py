"""When broadcasts go out: typed moments in English and Khmer, and recurrences (tables and
Hypothesis properties)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    Frequency,
    MissingTime,
    PastWhen,
    Recurrence,
    UnreadableWhen,
    occurrence_key,
    parse_date,
    parse_time_of_day,
    parse_when,
)

PP = ZoneInfo("Asia/Phnom_Penh")
# Monday 23 November 2026, 09:00 in Phnom Penh (02:00 UTC).
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def pp(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Phnom Penh wall-clock moment as UTC."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=PP).astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("now", NOW),
        ("ឥឡូវនេះ", NOW),
        ("tomorrow 9:00", pp(2026, 11, 24, 9, 0)),
        ("Tomorrow at 9am", pp(2026, 11, 24, 9, 0)),
        ("tomorrow 3pm", pp(2026, 11, 24, 15, 0)),
        ("today 17:30", pp(2026, 11, 23, 17, 30)),
        ("2026-12-07 09:00", pp(2026, 12, 7, 9, 0)),
        ("7 Dec 09:00", pp(2026, 12, 7, 9, 0)),
        ("7 December 2026 09:00", pp(2026, 12, 7, 9, 0)),
        ("Dec 7, 2026 at 14:15", pp(2026, 12, 7, 14, 15)),
        ("07/12/2026 09:00", pp(2026, 12, 7, 9, 0)),
        ("7 Jan 8:00", pp(2027, 1, 7, 8, 0)),  # January has passed this year: next year's
        ("16:00", pp(2026, 11, 23, 16, 0)),
        ("8:00", pp(2026, 11, 24, 8, 0)),  # 08:00 has passed today: tomorrow's
        ("ថ្ងៃស្អែក ម៉ោង៩", pp(2026, 11, 24, 9, 0)),
        ("ស្អែក ម៉ោង ៣ រសៀល", pp(2026, 11, 24, 15, 0)),
        ("ថ្ងៃនេះ ម៉ោង៧ល្ងាច", pp(2026, 11, 23, 19, 0)),
        ("៧ ធ្នូ ២០២៦ ០៩:០០", pp(2026, 12, 7, 9, 0)),
        ("ថ្ងៃទី៧ ខែធ្នូ ឆ្នាំ២០២៦ ម៉ោង៩ព្រឹក", pp(2026, 12, 7, 9, 0)),
        ("២០២៦-១២-០៧ ០៩:៣០", pp(2026, 12, 7, 9, 30)),
    ],
)
def test_typed_moments_read_in_phnom_penh_time(typed: str, expected: dt.datetime) -> None:
    assert parse_when(typed, NOW, PP) == expected


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("yesterday 9:00", UnreadableWhen),
        ("soon", UnreadableWhen),
        ("", UnreadableWhen),
        ("tomorrow 25:00", UnreadableWhen),
        ("tomorrow 9:75", UnreadableWhen),
        ("31 Feb 2027 09:00", UnreadableWhen),
        ("2026-12-07 2026-12-08 09:00", UnreadableWhen),
        ("2026-12-07", MissingTime),
        ("ថ្ងៃស្អែក", MissingTime),
        ("today 8:00", PastWhen),
        ("2026-11-22 10:00", PastWhen),
        ("២០២៥-០១-០១ ០៩:០០", PastWhen),
    ],
)
def test_unreadable_incomplete_and_past_moments_refused(
    typed: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        parse_when(typed, NOW, PP)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", dt.time(9)),
        ("9", dt.time(9)),
        ("9pm", dt.time(21)),
        ("12am", dt.time(0)),
        ("ម៉ោង៩", dt.time(9)),
        ("ម៉ោង ៣:៣០ រសៀល", dt.time(15, 30)),
        ("ម៉ោង១២ ថ្ងៃត្រង់", dt.time(12)),
    ],
)
def test_time_of_day(typed: str, expected: dt.time) -> None:
    assert parse_time_of_day(typed) == expected


def test_time_of_day_refuses_nonsense() -> None:
    with pytest.raises(UnreadableWhen):
        parse_time_of_day("13pm")


def test_end_dates() -> None:
    assert parse_date("31 Dec 2026", NOW, PP) == dt.date(2026, 12, 31)
    assert parse_date("៣១ ធ្នូ", NOW, PP) == dt.date(2026, 12, 31)
    with pytest.raises(PastWhen):
        parse_date("2026-11-01", NOW, PP)
    with pytest.raises(UnreadableWhen):
        parse_date("31 Dec 9:00", NOW, PP)


MONDAYS = Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0}))


def test_every_monday_at_nine() -> None:
    assert MONDAYS.next_times(NOW, 3, PP) == [
        pp(2026, 11, 30, 9, 0),  # 09:00 today is not strictly after now
        pp(2026, 12, 7, 9, 0),
        pp(2026, 12, 14, 9, 0),
    ]


def test_daily_until_an_end_date() -> None:
    daily = Recurrence(Frequency.DAILY, dt.time(18, 30), until=dt.date(2026, 11, 25))
    assert daily.next_times(NOW, 10, PP) == [
        pp(2026, 11, 23, 18, 30),
        pp(2026, 11, 24, 18, 30),
        pp(2026, 11, 25, 18, 30),
    ]


def test_monthly_on_the_31st_falls_on_short_months_last_day() -> None:
    monthly = Recurrence(Frequency.MONTHLY, dt.time(8), day_of_month=31)
    assert monthly.next_times(NOW, 4, PP) == [
        pp(2026, 11, 30, 8, 0),
        pp(2026, 12, 31, 8, 0),
        pp(2027, 1, 31, 8, 0),
        pp(2027, 2, 28, 8, 0),
    ]


def test_missed_occurrences_send_one_not_a_pile() -> None:
    # Last sent on Monday 23 November; the bot was down until Wednesday 16 December.
    last_sent = pp(2026, 11, 23, 9, 0)
    now = pp(2026, 12, 16, 12, 0)
    assert MONDAYS.last_due(last_sent, now, PP) == pp(2026, 12, 14, 9, 0)
    assert MONDAYS.last_due(pp(2026, 12, 14, 9, 0), now, PP) is None
    assert MONDAYS.last_due(last_sent, pp(2026, 11, 30, 8, 59), PP) is None
    assert MONDAYS.last_due(last_sent, pp(2026, 11, 30, 9, 0), PP) == pp(2026, 11, 30, 9, 0)


def test_nothing_due_after_the_end_date() -> None:
    ended = Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0}), until=dt.date(2026, 12, 1))
    assert ended.last_due(pp(2026, 11, 30, 9, 0), pp(2027, 3, 1, 0, 0), PP) is None
    assert ended.last_due(pp(2026, 11, 1), pp(2027, 3, 1), PP) == pp(2026, 11, 30, 9, 0)


def test_wall_clock_time_kept_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # summer time began on 29 March 2026
    daily = Recurrence(Frequency.DAILY, dt.time(9))
    times = daily.next_times(dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC), 3, berlin)
    assert [(t.day, t.hour) for t in times] == [(28, 8), (29, 7), (30, 7)]  # UTC
    assert {t.astimezone(berlin).hour for t in times} == {9}


def test_recurrence_round_trips_and_rejects_bad_shapes() -> None:
    rule = Recurrence(
        Frequency.WEEKLY, dt.time(9, 15), frozenset({0, 3}), until=dt.date(2027, 1, 1)
    )
    assert Recurrence.from_json(rule.to_json()) == rule
    with pytest.raises(ValueError, match="weekdays"):
        Recurrence(Frequency.WEEKLY, dt.time(9))
    with pytest.raises(ValueError, match="day of the month"):
        Recurrence(Frequency.MONTHLY, dt.time(9), day_of_month=32)


def test_occurrence_key_is_the_utc_minute() -> None:
    assert occurrence_key(pp(2026, 12, 7, 9, 0)) == "202612070200"


# --- properties -------------------------------------------------------------------------------
rules = settings(deadline=None, max_examples=100)
ZONES = st.sampled_from(
    [PP, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("UTC")]
)


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    frequency = draw(st.sampled_from(list(Frequency)))
    at = dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    until = draw(st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)))
    if frequency is Frequency.WEEKLY:
        days = draw(st.frozensets(st.integers(0, 6), min_size=1))
        return Recurrence(frequency, at, days, until=until)
    if frequency is Frequency.MONTHLY:
        return Recurrence(frequency, at, day_of_month=draw(st.integers(1, 31)), until=until)
    return Recurrence(frequency, at, until=until)


moments = st.datetimes(
    dt.datetime(2025, 1, 1),  # noqa: DTZ001 - Hypothesis bounds are naive; zones come below
    dt.datetime(2028, 6, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)


@rules
@given(recurrences(), moments, ZONES)
@example(  # 02:00 on 9 March 2025 does not exist in New York: it is sent at 03:00
    Recurrence(Frequency.DAILY, dt.time(2)),
    dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    ZoneInfo("America/New_York"),
)
def test_next_times_increase_and_keep_the_rule(
    rule: Recurrence, after: dt.datetime, tz: ZoneInfo
) -> None:
    times = rule.next_times(after, 12, tz)
    assert all(a < b for a, b in zip([after, *times], times, strict=False))
    for moment in times:
        local = moment.astimezone(tz)
        # A wall-clock time DST skips is moved forward by the gap; every other one is exact.
        if local.replace(tzinfo=None).time() != rule.at:
            wall = dt.datetime.combine(local.date(), rule.at, tzinfo=tz)
            assert wall.astimezone(dt.UTC) == moment
        if rule.frequency is Frequency.WEEKLY:
            assert local.weekday() in rule.weekdays
        if rule.frequency is Frequency.MONTHLY:
            assert rule.day_of_month is not None
            assert local.day == rule.day_of_month or (
                local.day < rule.day_of_month
                and (local + dt.timedelta(days=1)).month != local.month
            )
        assert rule.until is None or local.date() <= rule.until
    if rule.until is None:
        assert len(times) == 12


@rules
@given(recurrences(), moments, st.integers(0, 24 * 90), ZONES)
def test_last_due_is_the_latest_of_the_missed_ones(
    rule: Recurrence, after: dt.datetime, hours_down: int, tz: ZoneInfo
) -> None:
    now = after + dt.timedelta(hours=hours_down)
    missed = [t for t in rule.next_times(after, 200, tz) if t <= now]
    assert rule.last_due(after, now, tz) == (missed[-1] if missed else None)
