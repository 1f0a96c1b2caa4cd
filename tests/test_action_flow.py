"""Adding and editing an action step by step: the domain's rules and typed outcomes, with
nothing running but a real SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.action_flow import Choice, Stage, Step
from bot.domain.membership import NotAllowed
from bot.domain.milestones import BadMilestoneDate, Milestone
from bot.domain.timeframes import Unreadable
from bot.services import Services
from tests.conftest import FakeClock
from tests.test_strategy import BOSS, REP, draft, setup

__all__ = ["setup"]  # the fixture, used by name
CHAT = BOSS  # the coordinator's private chat


async def test_a_new_action_is_written_only_at_save(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, _ = setup
    strategies, catalog = services.strategies, services.catalog
    with pytest.raises(NotAllowed):
        await strategies.start_adding(REP, REP, group, catalog)
    started = await strategies.start_adding(BOSS, CHAT, group, catalog)
    assert started.stage is Stage.ASK
    assert started.draft is not None
    draft_id = started.draft.id
    await strategies.prompted(BOSS, draft_id, 500)
    # Numbers written with another cycle put the action in that cycle.
    moved = await strategies.answer_step(BOSS, CHAT, 500, "c1 82.1", catalog)
    assert moved is not None
    assert moved.draft is not None
    assert (moved.stage, moved.draft.step, moved.draft.values.cycle) == (
        Stage.ASK,
        Step.ACTIVITY,
        1,
    )
    # A plain message answers only soon after the question.
    clock.advance(minutes=16)
    assert await strategies.answer_step(BOSS, CHAT, None, "Radio show", catalog) is None
    await strategies.prompted(BOSS, draft_id, 501)
    asked = await strategies.answer_step(BOSS, CHAT, 501, "   ", catalog)
    assert asked is not None
    assert (asked.stage, asked.problem) == (Stage.ASK, "Write the action or activity.")
    timeframe = await strategies.answer_step(BOSS, CHAT, 501, "Radio show", catalog)
    assert timeframe is not None
    assert timeframe.draft is not None
    assert timeframe.draft.step is Step.TIMEFRAME
    read = await strategies.answer_step(BOSS, CHAT, None, "the year after next", catalog)
    assert read is not None
    assert read.stage is Stage.CHOOSE  # unreadable words are kept, with the warning
    assert read.understood is not None
    assert isinstance(read.understood, Unreadable)
    # Another coordinator's or a forged draft id does nothing.
    assert (
        await strategies.press_step(BOSS, draft_id + 99, Choice.DONE, None, catalog)
    ).stage is (Stage.GONE)
    chosen = await strategies.press_step(BOSS, draft_id, Choice.ORGANISATION, org, catalog)
    assert chosen.draft is not None
    assert chosen.draft.values.organisation_ids == (org,)
    unknown = await strategies.press_step(BOSS, draft_id, Choice.ORGANISATION, 9999, catalog)
    assert unknown.problem == "There is no such organisation."
    step = await strategies.press_step(BOSS, draft_id, Choice.DONE, None, catalog)
    while step.stage is Stage.ASK:  # the optional fields, skipped
        step = await strategies.press_step(BOSS, draft_id, Choice.SKIP, None, catalog)
    assert step.stage is Stage.SUMMARY
    assert (await strategies.for_group(group)).actions == ()
    saved = await strategies.press_step(BOSS, draft_id, Choice.SAVE, None, catalog)
    assert saved.stage is Stage.SAVED
    assert saved.action is not None
    assert (saved.action.fields.cycle, saved.action.fields.activity) == (1, "Radio show")
    again = await strategies.press_step(BOSS, draft_id, Choice.SAVE, None, catalog)
    assert again.stage is Stage.GONE
    assert len((await strategies.for_group(group)).actions) == 1


async def test_an_edit_is_stored_at_once_with_its_field_in_the_audit_log(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, other = setup
    strategies, catalog = services.strategies, services.catalog
    action = await strategies.add(BOSS, draft(group, org), catalog)
    with pytest.raises(NotAllowed):
        await strategies.start_editing(REP, REP, action.id, Step.INDICATOR, catalog)
    started = await strategies.start_editing(BOSS, CHAT, action.id, Step.RECOMMENDATIONS, catalog)
    assert started.draft is not None
    await strategies.prompted(BOSS, started.draft.id, 700)
    other_cycle = await strategies.answer_step(BOSS, CHAT, 700, "c1 82.1", catalog)
    assert other_cycle is not None
    assert other_cycle.problem == (
        "These numbers name cycle {named}, but the action belongs to cycle {cycle}."
    )
    done = await strategies.answer_step(BOSS, CHAT, 700, "118.7", catalog)
    assert done is not None
    assert done.stage is Stage.SAVED
    assert done.edited is Step.RECOMMENDATIONS
    assert done.action is not None
    assert len(done.action.fields.recommendation_ids) == 1
    assert done.action.fields.indicator == action.fields.indicator  # the rest stays
    organisations = await strategies.start_editing(
        BOSS, CHAT, action.id, Step.ORGANISATIONS, catalog
    )
    assert organisations.stage is Stage.CHOOSE
    assert organisations.draft is not None
    draft_id = organisations.draft.id
    await strategies.press_step(BOSS, draft_id, Choice.ORGANISATION, other, catalog)
    await strategies.press_step(BOSS, draft_id, Choice.ORGANISATION, org, catalog)
    stored = await strategies.press_step(BOSS, draft_id, Choice.DONE, None, catalog)
    assert stored.action is not None
    assert stored.action.fields.organisation_ids == (other,)
    # A question left unanswered for more than a day is forgotten.
    late = await strategies.start_editing(BOSS, CHAT, action.id, Step.PARTNERS, catalog)
    assert late.draft is not None
    await strategies.prompted(BOSS, late.draft.id, 701)
    clock.advance(days=1, seconds=1)
    assert await strategies.answer_step(BOSS, CHAT, 701, "UNDP", catalog) is None
    entries = await services.coalition.audit_log(BOSS)
    details = [e.detail for e in entries]
    assert f"action {action.id}: recommendations" in details


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2027-06-30", "2027-06-30"),
        ("30 June 2027", "2027-06-30"),
        ("៣០ មិថុនា ២០២៧", "2027-06-30"),
        ("២០២៧-០៦-៣០", "2027-06-30"),
        ("June 2027", "2027-06"),
        ("2027", "2027"),
    ],
)
async def test_a_milestone_date_is_read_as_coordinators_type_it(
    services: Services, setup: tuple[int, int, int], typed: str, stored: str
) -> None:
    entry, _ = await services.strategies.correct_milestone(BOSS, 4, Milestone.MID_TERM, typed)
    assert entry.date is not None
    assert entry.date.text == stored


async def test_a_milestone_prompt_keeps_waiting_after_a_bad_date(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    strategies = services.strategies
    with pytest.raises(NotAllowed):
        await strategies.ask_milestone(REP, REP, 10, 4, Milestone.ADOPTION)
    with pytest.raises(BadMilestoneDate):
        await strategies.correct_milestone(BOSS, 4, Milestone.ADOPTION, "Q3 2027")
    await strategies.ask_milestone(BOSS, CHAT, 10, 4, Milestone.ADOPTION)
    bad = await strategies.answer_milestone(BOSS, CHAT, 10, "soon")
    assert bad is not None
    assert bad.problem is not None
    good = await strategies.answer_milestone(BOSS, CHAT, 10, "5 October 2024")
    assert good is not None
    assert good.entry is not None
    assert good.entry.date is not None
    assert good.entry.date.earliest == dt.date(2024, 10, 5)
    assert await strategies.answer_milestone(BOSS, CHAT, 10, "2024") is None  # answered
    await strategies.ask_milestone(BOSS, CHAT, 11, 4, Milestone.ADOPTION)
    clock.advance(days=2)
    assert await strategies.answer_milestone(BOSS, CHAT, 11, "2024") is None  # expired


HOSTILE = (
    "<script>alert(1)</script>",
    "118",
    "118.6.7",
    "c99 118.6",
    "c1 c2 118.6",
    "៩៩៩.៩",
    "\u200b\u200b",
    "\u202e118.6",
    "a\x00b\x07c",
    "x" * 4096,
    "🙂" * 300,
    "99999999999999999999.1",
    "before the next-next review of 2570",
)


async def test_hostile_answers_are_refused_or_kept_as_text_never_a_crash(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, _, _ = setup
    strategies, catalog = services.strategies, services.catalog
    prompt = 900
    for step in (Step.RECOMMENDATIONS, Step.ACTIVITY, Step.TIMEFRAME):
        for text in HOSTILE:
            started = await strategies.start_adding(BOSS, CHAT, group, catalog)
            assert started.draft is not None
            draft_id = started.draft.id
            for answer in {Step.RECOMMENDATIONS: [], Step.ACTIVITY: ["118.6"]}.get(
                step, ["118.6", "Radio"]
            ):
                prompt += 1
                await strategies.prompted(BOSS, draft_id, prompt)
                await strategies.answer_step(BOSS, CHAT, prompt, answer, catalog)
            prompt += 1
            await strategies.prompted(BOSS, draft_id, prompt)
            outcome = await strategies.answer_step(BOSS, CHAT, prompt, text, catalog)
            assert outcome is not None
            assert outcome.draft is not None
            if outcome.problem is None:  # kept: as one line of plain text, within the limit
                assert outcome.draft.step is not step
                kept = (outcome.draft.values.recommendations, outcome.draft.values.activity)
                assert all(len(v) <= 1000 and "\n" not in v for v in kept)
            else:
                assert outcome.draft.step is step  # the same question waits
    assert (await strategies.for_group(group)).actions == ()
