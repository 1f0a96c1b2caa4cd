"""Recurring actions are nudged before each occurrence, Done marks one occurrence done and the
nudges go on to the next; ongoing actions get no date nudges but stay in the Monday summary
(the occurrences and the schedule directly; exactly once through the fake Bot API server
across two occurrences and a restart)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import running
from bot.domain.nudges import Answer, next_nudge
from bot.domain.strategy import ActionDraft, ActionStatus
from bot.domain.timeframes import Kind, Recurrence, Timeframe, occurrences, read_timeframe
from bot.services import Services
from handlers.nudges import NudgeRenderer
from tests.conftest import COORDINATOR_ID, GROUP, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, press
from tests.test_nudges import pp
from tests.test_nudges_bot import idle, linked_land_action, run_sweep
from tests.test_timeframes import CYCLE4

D = dt.date
DAYS = (14, 3)


def _days(words: str) -> tuple[dt.date, ...]:
    read = read_timeframe(words, CYCLE4)
    assert isinstance(read, Timeframe), read
    return read.occurrences


def test_the_occurrences_of_recurring_timeframes() -> None:
    assert _days("monthly from Jan to Mar 2026") == (
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
    )
    assert _days("every quarter in 2026") == (
        *(D(2026, 3, 31), D(2026, 6, 30)),
        *(D(2026, 9, 30), D(2026, 12, 31)),
    )
    # Over the cycle (adoption 1 Sep 2024 to the next review 1 Jan 2028): calendar quarters.
    quarters = _days("every quarter")
    assert (quarters[0], quarters[-1], len(quarters)) == (D(2024, 9, 30), D(2027, 12, 31), 14)
    assert _days("every year in December") == tuple(D(y, 12, 31) for y in range(2024, 2028))
    assert _days("រៀងរាល់ឆ្នាំ ក្នុងខែធ្នូ") == _days("every year in December")
    assert _days("every year in March") == tuple(D(y, 3, 31) for y in range(2025, 2028))
    assert _days("weekly in March 2026")[-2:] == (D(2026, 3, 24), D(2026, 3, 31))
    assert _days("ongoing") == ()  # no occurrences: no date nudges
    assert _days("31 March 2026") == (D(2026, 3, 31),)  # a one-off action: its due day
    # A recurrence whose span holds no period's end is due at the span's end.
    assert occurrences(Kind.RECURRING, Recurrence.YEARLY, D(2026, 2, 1), D(2026, 5, 1)) == (
        D(2026, 5, 1),
    )


def test_each_occurrence_is_nudged_before_and_on_its_day_and_a_done_one_no_more() -> None:
    days = (D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31))
    none: set[dt.date] = set()
    assert next_nudge(days, none, D(2026, 1, 16), DAYS) is None
    assert next_nudge(days, none, D(2026, 1, 17), DAYS) == ("before-14", D(2026, 1, 17), days[0])
    assert next_nudge(days, none, D(2026, 1, 31), DAYS) == ("due", days[0], days[0])
    # The next occurrence's nudges take over; no weekly overdue for one that is not the last.
    assert next_nudge(days, none, D(2026, 2, 13), DAYS) == ("due", days[0], days[0])
    assert next_nudge(days, none, D(2026, 2, 14), DAYS) == ("before-14", D(2026, 2, 14), days[1])
    # Done for January: its remaining nudges are not sent; February's come as before.
    done = {days[0]}
    assert next_nudge(days, done, D(2026, 1, 28), DAYS) is None
    assert next_nudge(days, done, D(2026, 2, 25), DAYS) == ("before-3", D(2026, 2, 25), days[1])
    # The last occurrence is nudged weekly while overdue.
    assert next_nudge(days, none, D(2026, 4, 7), DAYS) == ("overdue-1", D(2026, 4, 7), days[2])
    # A weekly action is not nudged 14 days ahead of each week (only 3 days before).
    weeks = (D(2026, 3, 3), D(2026, 3, 10), D(2026, 3, 17))
    assert next_nudge(weeks, none, D(2026, 3, 14), DAYS) == ("before-3", D(2026, 3, 14), weeks[2])
    assert next_nudge((), none, D(2026, 3, 14), DAYS) is None  # ongoing


async def test_a_recurring_action_is_nudged_once_per_occurrence_across_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        reps, action = await linked_land_action(
            bot, 1, "Monthly radio show", "monthly from January to March 2027"
        )
        clock.current = pp("2027-01-17")  # 14 days before the first occurrence
        await run_sweep(bot)
        await run_sweep(bot)
        await idle(bot)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services = bot.bot_data["services"]
        await run_sweep(bot)  # after a restart: nothing again
        await idle(bot)
        [january] = _nudges(tg)
        assert "Due in 14 days, on January 31, 2027." in january.text
        # Done on this nudge marks January done; the action goes on.
        answer = await press(tg, january, button(january, "✅ Done"), reps[0])
        assert answer == "✅ done for January 31, 2027"
        found = await services.strategies.action(action.id)
        assert found.status is ActionStatus.NOT_STARTED
        assert found.history[-1].occurrence == dt.date(2027, 1, 31)
        assert found.done_occurrences == {dt.date(2027, 1, 31)}

        clock.current = pp("2027-01-28")  # 3 days before January: done, so nothing
        await run_sweep(bot)
        clock.current = pp("2027-01-31")
        await run_sweep(bot)
        await idle(bot)
        assert len(_nudges(tg)) == 1

        clock.current = pp("2027-02-14")  # 14 days before the second occurrence
        await run_sweep(bot)
        await idle(bot)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        await run_sweep(bot)
        await idle(bot)
        first, february = _nudges(tg)
        assert first.message_id == january.message_id
        assert "Due in 14 days, on February 28, 2027." in february.text
    assert tg.unconsumed_errors() == []


async def test_ongoing_actions_get_no_date_nudges_and_stay_in_the_monday_summary(
    services: Services, clock: FakeClock
) -> None:
    await services.coalition.repository.seed_coordinators([COORDINATOR_ID], "en")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    await services.coalition.link_chat(COORDINATOR_ID, GROUP["id"], 0, land, "Land")
    draft = ActionDraft(land, 2, "118.6", activity="Monitoring", timeframe="Jan–Jun 2027 ongoing")
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    assert action.occurrences == ()
    week = dt.date(2027, 6, 28)  # the span's end is this week: still no nudge
    summary = await services.nudges.summary(week, week + dt.timedelta(days=2))
    assert [a.id for a in summary.ongoing] == [action.id]
    assert summary.due_this_week == ()
    assert summary.overdue == ()
    for day in ("2027-06-16", "2027-06-30", "2027-07-07"):
        clock.current = pp(day)
        result = await services.nudges.sweep(NudgeRenderer(services.translations))
        assert result.nudges == 0


async def test_done_on_the_last_occurrence_is_the_action_done(
    services: Services, clock: FakeClock
) -> None:
    await services.coalition.repository.seed_coordinators([COORDINATOR_ID], "en")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    draft = ActionDraft(land, 2, "118.6", activity="Report", timeframe="every quarter in 2027")
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    clock.current = pp("2027-03-20")
    answered = await services.nudges.answer(COORDINATOR_ID, action.id, Answer.DONE)
    assert answered.occurrence == dt.date(2027, 3, 31)  # the one being nudged about
    again = await services.nudges.answer(
        COORDINATOR_ID, action.id, Answer.DONE, dt.date(2027, 3, 31)
    )
    assert len(again.action.history) == 1  # the same occurrence twice: recorded once
    clock.current = pp("2027-12-25")
    last = await services.nudges.answer(COORDINATOR_ID, action.id, Answer.DONE)
    assert last.action.status is ActionStatus.DONE


def _nudges(tg: FakeTelegram) -> list[StoredMessage]:
    """The nudges sent to the group's chat."""
    return [
        tg.messages[(GROUP["id"], c.result["message_id"])]
        for c in tg.calls
        if c.method == "sendMessage"
        and str(c.params["chat_id"]) == str(GROUP["id"])
        and "Due in" in str(c.params.get("text", ""))
    ]
