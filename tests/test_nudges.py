"""Nudges about actions' timeframes: the schedule, exactly once across sweeps and restarts, the
recipients, the answers, and the coordinators' weekly summary (real SQLite, fake clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.membership import NotAllowed
from bot.domain.nudges import Answer, Purpose, latest_nudge
from bot.domain.outbox import Content
from bot.domain.strategy import ActionDraft, ActionStatus
from bot.services import Services
from handlers.nudges import NudgeRenderer
from tests.conftest import FakeClock

BOSS, REP, KHMER_REP, GUEST = 1, 2, 3, 5
CHAT = -100500
HOUR = dt.timedelta(hours=1)
DAYS = (14, 3)


def pp(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A Phnom Penh moment (UTC+7), in UTC."""
    local = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute)
    return (local - dt.timedelta(hours=7)).replace(tzinfo=dt.UTC)


def test_the_latest_nudge_on_or_before_a_day() -> None:
    due = dt.date(2026, 12, 31)
    day = dt.date.fromisoformat
    assert latest_nudge(due, day("2026-12-16"), DAYS) is None
    assert latest_nudge(due, day("2026-12-17"), DAYS) == ("before-14", day("2026-12-17"))
    assert latest_nudge(due, day("2026-12-27"), DAYS) == ("before-14", day("2026-12-17"))
    assert latest_nudge(due, day("2026-12-28"), DAYS) == ("before-3", day("2026-12-28"))
    assert latest_nudge(due, day("2026-12-31"), DAYS) == ("due", due)
    assert latest_nudge(due, day("2027-01-06"), DAYS) == ("due", due)
    assert latest_nudge(due, day("2027-01-07"), DAYS) == ("overdue-1", day("2027-01-07"))
    assert latest_nudge(due, day("2027-01-20"), DAYS) == ("overdue-2", day("2027-01-14"))
    assert latest_nudge(due, day("2026-12-30"), ()) is None


@pytest.fixture
async def coalition(services: Services, clock: FakeClock) -> dict[str, int]:
    """A coordinator; ADHOC (English representative) and CCHR (Khmer representative); the
    first working group linked to CHAT."""
    repo = services.coalition.repository
    await repo.seed_coordinators([BOSS], "en")
    ids = {}
    for user_id, short, language in ((REP, "ADHOC", "en"), (KHMER_REP, "CCHR", "km")):
        org_id = await repo.add_organisation(short, f"{short} long", actor=BOSS, now=clock.now())
        await repo.create_invite(
            org_id, f"hash-{short}", actor=BOSS, now=clock.now(), expires=clock.now() + HOUR
        )
        await repo.redeem_invite(f"hash-{short}", user_id, short, language, clock.now())
        ids[short] = org_id
    group = (await services.coalition.working_groups())[0]
    await services.coalition.link_chat(BOSS, CHAT, 0, group.id, "Land")
    ids["group"] = group.id
    return ids


async def add(
    services: Services, ids: dict[str, int], activity: str, timeframe: str, org: str
) -> int:
    draft = ActionDraft(
        working_group_id=ids["group"],
        cycle=2,
        recommendations="118.6",
        activity=activity,
        timeframe=timeframe,
        organisation_ids=(ids[org],),
    )
    return (await services.strategies.add(BOSS, draft, services.catalog)).id


async def sweep(services: Services) -> list[tuple[int, Content]]:
    """Run a sweep; the nudge messages it wrote (chat, content), in order."""
    database = services.database.connection
    async with database.execute("SELECT coalesce(max(id), 0) FROM deliveries") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await services.nudges.sweep(NudgeRenderer(services.translations))
    async with database.execute(
        "SELECT chat_id, content FROM deliveries WHERE id > ? AND reference LIKE 'nudge:%' "
        "ORDER BY id",
        (row[0],),
    ) as cursor:
        return [(r[0], Content.from_json(r[1])) for r in await cursor.fetchall()]


def chats(sent: list[tuple[int, Content]]) -> list[int]:
    return [chat for chat, _ in sent]


async def restart(services: Services, clock: FakeClock) -> Services:
    await services.close()
    return await Services.start(services.settings, clock)


async def test_before_due_overdue_answered_and_rescheduled_exactly_once(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    ids = coalition
    radio = await add(services, ids, "Radio show on land rights", "31 December 2026", "ADHOC")
    report = await add(services, ids, "Shadow report", "31 December 2026", "CCHR")
    await add(services, ids, "Someday", "whenever it suits", "ADHOC")  # unreadable: never

    assert await sweep(services) == []  # due in 38 days
    clock.current = pp("2026-12-17", 8, 59)
    assert await sweep(services) == []  # 14 days before, not yet nine o'clock
    clock.current = pp("2026-12-17")
    sent = await sweep(services)
    # The group's chat gets one digest of both actions; each organisation its own action.
    assert sorted(chats(sent)) == sorted([CHAT, REP, KHMER_REP])
    by_chat = dict(sent)
    assert "Radio show" in by_chat[CHAT].text
    assert "Shadow report" in by_chat[CHAT].text
    assert "Due in 14 days" in by_chat[REP].text
    assert "Shadow" not in by_chat[REP].text
    assert "ថ្ងៃ" in by_chat[KHMER_REP].text
    assert "Radio" not in by_chat[KHMER_REP].text
    assert len(by_chat[CHAT].buttons) == 2  # a row of four buttons per action
    assert len(by_chat[REP].buttons) == 2
    assert len(by_chat[REP].buttons[0]) == 2
    assert await sweep(services) == []  # a second sweep: nothing twice

    services = await restart(services, clock)
    assert await sweep(services) == []  # nor after a restart

    # Down from the 27th to the 29th at noon: the 28th's nudge (3 days before) comes once.
    clock.current = pp("2026-12-29", 12)
    services = await restart(services, clock)
    sent = await sweep(services)
    assert sorted(chats(sent)) == sorted([CHAT, REP, KHMER_REP])
    assert "Due in 2 days" in dict(sent)[REP].text
    assert await sweep(services) == []

    # Only the responsible organisations and coordinators answer.
    with pytest.raises(NotAllowed):
        await services.nudges.answer(KHMER_REP, radio, Answer.IN_PROGRESS)
    with pytest.raises(NotAllowed):
        await services.nudges.answer(GUEST, radio, Answer.DONE)
    answered = await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    assert answered.recorded
    assert answered.action.status is ActionStatus.IN_PROGRESS
    await services.nudges.prompted(REP, REP, 900, radio, Purpose.NOTE)
    noted = await services.nudges.reply(REP, REP, 900, "Draft sent to the ministry")
    assert noted is not None
    assert noted.action.history[-1].note == "Draft sent to the ministry"
    assert noted.action.history[-1].actor == REP
    assert await services.nudges.reply(REP, REP, 900, "again") is None  # answered once

    clock.current = pp("2026-12-31")
    sent = await sweep(services)  # due today: both (in progress is still open)
    assert sorted(chats(sent)) == sorted([CHAT, REP, KHMER_REP])
    assert "Due today" in dict(sent)[REP].text
    await services.nudges.answer(KHMER_REP, report, Answer.DONE)  # Done stops its nudges

    # A new date: asked for, read, the old one kept in the history.
    clock.current = pp("2026-12-31", 10)
    asked = await services.nudges.answer(REP, radio, Answer.NEW_DATE)
    assert not asked.recorded
    await services.nudges.prompted(REP, CHAT, 901, radio, Purpose.DATE)
    bad = await services.nudges.reply(REP, CHAT, 901, "soonish")
    assert bad is not None
    assert bad.problem is not None
    moved = await services.nudges.reply(REP, CHAT, 901, "15 January 2027")
    assert moved is not None
    assert moved.problem is None
    assert moved.action.fields.timeframe.original == "15 January 2027"
    assert "31 December 2026 → 15 January 2027" in moved.action.history[-1].note

    services = await restart(services, clock)
    clock.current = pp("2027-01-01")
    sent = await sweep(services)  # 14 days before the new date; nothing for the done report
    assert sorted(chats(sent)) == sorted([CHAT, REP])
    clock.current = pp("2027-01-07")
    assert await sweep(services) == []  # a week after the old date: not overdue any more
    clock.current = pp("2027-01-22")
    sent = await sweep(services)
    assert sorted(chats(sent)) == sorted([CHAT, REP])
    assert "Overdue by 7 days" in dict(sent)[REP].text
    assert await sweep(services) == []
    await services.close()


async def test_nobody_is_nudged_for_inactive_organisations_or_unlinked_groups(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    ids = coalition
    await add(services, ids, "Radio show", "31 December 2026", "CCHR")
    await services.coalition.set_active(BOSS, ids["CCHR"], False)
    await services.coalition.unlink_chat(BOSS, CHAT, None)
    clock.current = pp("2026-12-31")
    assert await sweep(services) == []
    # Linked again: the chat gets it (the representative of the inactive one still not).
    await services.coalition.link_chat(BOSS, CHAT, 0, ids["group"], "Land")
    assert chats(await sweep(services)) == [CHAT]


async def summaries(services: Services) -> list[tuple[int, str]]:
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference LIKE 'summary:%' ORDER BY id"
    ) as cursor:
        return [(r[0], Content.from_json(r[1]).text) for r in await cursor.fetchall()]


async def test_the_coordinators_monday_summary_once_a_week(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    ids = coalition
    await services.nudges.sweep(NudgeRenderer(services.translations))
    assert await summaries(services) == []  # no strategy yet: nothing to tell
    radio = await add(services, ids, "Radio show", "2 December 2026", "ADHOC")
    await add(services, ids, "Shadow report", "20 November 2026", "CCHR")
    blocked = await add(services, ids, "Meet the ministry", "Q2 2027", "ADHOC")
    await services.strategies.set_status(REP, blocked, ActionStatus.BLOCKED, "No reply yet")
    clock.current = pp("2026-11-30", 8, 59)  # Monday, before nine: last week's was empty
    await services.nudges.sweep(NudgeRenderer(services.translations))
    assert await summaries(services) == []
    clock.current = pp("2026-11-30", 9)
    await services.nudges.sweep(NudgeRenderer(services.translations))
    await services.nudges.sweep(NudgeRenderer(services.translations))
    [(chat, week)] = await summaries(services)  # this week's, once
    assert chat == BOSS
    assert "Shadow report" in week
    assert "Due this week" in week
    assert "Radio show" in week
    assert "Overdue" in week
    assert "10 days" in week
    assert "Blocked" in week
    assert "No reply yet" in week
    assert "Nudged, no answer yet" in week  # the radio show was nudged 3 days before
    await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    summary = await services.nudges.summary(dt.date(2026, 11, 30), dt.date(2026, 11, 30))
    assert radio not in [a.id for a in summary.unanswered]


async def test_a_nudge_whose_time_came_before_the_action_changed_is_not_sent(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    clock.current = pp("2026-12-31", 10)
    # Added after nine o'clock, due in 10 days: the "14 days before" moment is past.
    radio = await add(services, coalition, "Radio show", "10 January 2027", "ADHOC")
    assert await sweep(services) == []
    clock.current = pp("2027-01-07")  # 3 days before
    assert sorted(chats(await sweep(services))) == sorted([CHAT, REP])
    # Moved a week later by its representative: no "14 days before" straight away.
    clock.current = pp("2027-01-07", 11)
    await services.nudges.prompted(REP, REP, 902, radio, Purpose.DATE)
    await services.nudges.reply(REP, REP, 902, "17 January 2027")
    assert await sweep(services) == []
    clock.current = pp("2027-01-14")
    assert "Due in 3 days" in dict(await sweep(services))[REP].text


async def test_the_monday_summary_shows_the_answers_and_counts_a_series_answered_once(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    radio = await add(services, coalition, "Radio show", "31 December 2026", "ADHOC")
    statement = await add(services, coalition, "Joint statement", "31 December 2026", "ADHOC")
    clock.current = pp("2026-12-17")  # 14 days before: both nudged
    await sweep(services)
    clock.current = pp("2026-12-17", 10)
    await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    await services.nudges.prompted(REP, REP, 903, radio, Purpose.NOTE)
    await services.nudges.reply(REP, REP, 903, "Draft sent to the ministry")
    clock.current = pp("2026-12-21")  # Monday
    await services.nudges.sweep(NudgeRenderer(services.translations))
    monday = (await summaries(services))[-1][1]
    answers, _, unanswered = monday.partition("Nudged, no answer yet")
    assert "Answers since last week" in answers
    assert "⏳" in answers
    assert "Draft sent to the ministry" in answers
    assert "ADHOC" in answers
    assert "December 17" in answers
    assert "Joint statement" in unanswered
    assert "Radio show" not in unanswered
    clock.current = pp("2026-12-28")  # nudged again 3 days before: still answered
    await sweep(services)
    summary = await services.nudges.summary(dt.date(2026, 12, 28), dt.date(2026, 12, 28))
    assert [a.id for a in summary.unanswered] == [statement]
    assert summary.answers == ()  # the answer came before last week's summary


async def test_a_note_too_long_is_refused_and_the_prompt_stays(
    services: Services, coalition: dict[str, int]
) -> None:
    radio = await add(services, coalition, "Radio show", "31 December 2026", "ADHOC")
    await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    await services.nudges.prompted(REP, REP, 904, radio, Purpose.NOTE)
    refused = await services.nudges.reply(REP, REP, 904, "<b>" + "x" * 5000)
    assert refused is not None
    assert refused.problem is not None
    assert refused.values == {"limit": "300"}
    kept = await services.nudges.reply(REP, REP, 904, "Draft sent")
    assert kept is not None
    assert kept.problem is None
    assert [c.note for c in kept.action.history] == ["Draft sent"]


async def test_a_stale_button_does_not_reopen_a_closed_action_nor_repeat_an_answer(
    services: Services, coalition: dict[str, int]
) -> None:
    radio = await add(services, coalition, "Radio show", "31 December 2026", "ADHOC")
    dropped = await add(services, coalition, "Old idea", "31 December 2026", "ADHOC")
    await services.strategies.set_status(BOSS, dropped, ActionStatus.DROPPED)
    stale = await services.nudges.answer(REP, dropped, Answer.IN_PROGRESS)
    assert not stale.recorded
    assert stale.closed
    assert stale.action.status is ActionStatus.DROPPED
    await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    again = await services.nudges.answer(REP, radio, Answer.IN_PROGRESS)
    assert again.recorded
    await services.nudges.answer(REP, radio, Answer.DONE)
    twice = await services.nudges.answer(REP, radio, Answer.DONE)
    assert twice.closed
    history = (await services.strategies.action(radio)).history
    assert [c.status for c in history] == [ActionStatus.IN_PROGRESS, ActionStatus.DONE]


async def test_a_caught_up_due_day_nudge_says_how_overdue_and_a_past_new_date_is_refused(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    radio = await add(services, coalition, "Radio show", "31 December 2026", "ADHOC")
    clock.current = pp("2027-01-02", 10)  # down on the due day: caught up two days later
    sent = dict(await sweep(services))
    assert "Overdue by 2 days (due December 31, 2026)" in sent[REP].text
    assert "Due today" not in sent[REP].text
    await services.nudges.prompted(REP, REP, 905, radio, Purpose.DATE)
    past = await services.nudges.reply(REP, REP, 905, "1 January 2020")
    assert past is not None
    assert past.problem is not None
    assert past.action.fields.timeframe.original == "31 December 2026"
    moved = await services.nudges.reply(REP, REP, 905, "2 January 2027")  # today is fine
    assert moved is not None
    assert moved.problem is None
    assert moved.action.fields.timeframe.original == "2 January 2027"


async def test_the_first_summary_waits_for_monday_unless_a_monday_was_missed(
    services: Services, coalition: dict[str, int], clock: FakeClock
) -> None:
    clock.current = pp("2026-11-30")  # Monday: no strategy yet
    await services.nudges.sweep(NudgeRenderer(services.translations))
    clock.current = pp("2026-12-03")  # Thursday: the first strategy
    await add(services, coalition, "Radio show", "4 December 2026", "ADHOC")
    await services.nudges.sweep(NudgeRenderer(services.translations))
    assert await summaries(services) == []
    clock.current = pp("2026-12-07", 8, 59)
    await services.nudges.sweep(NudgeRenderer(services.translations))
    assert await summaries(services) == []
    clock.current = pp("2026-12-07")
    await services.nudges.sweep(NudgeRenderer(services.translations))
    assert len(await summaries(services)) == 1
    clock.current = pp("2026-12-15", 14)  # down on Monday the 14th: caught up on Tuesday
    await services.nudges.sweep(NudgeRenderer(services.translations))
    [_, (_, caught_up)] = await summaries(services)
    assert "the week of December 14" in caught_up
