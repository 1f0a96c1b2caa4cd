"""Action strategies: the service's rules and the repository's promises, on real SQLite files."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.domain.audit import AuditAction
from bot.domain.membership import NotAllowed
from bot.domain.milestones import Milestone
from bot.domain.model import RecNumber
from bot.domain.strategy import (
    ActionDraft,
    ActionStatus,
    BadAction,
    StatusChange,
    UnknownAction,
    due_order,
)
from bot.domain.timeframes import Kind, Timeframe, Unreadable
from bot.services import Services
from tests.conftest import FakeClock

BOSS, REP, OTHER_REP, GUEST = 1, 2, 3, 5
HOUR = dt.timedelta(hours=1)


@pytest.fixture
async def setup(services: Services, clock: FakeClock) -> tuple[int, int, int]:
    """A coordinator, two organisations with a representative each; (group, org, other org)."""
    repo = services.coalition.repository
    await repo.seed_coordinators([BOSS], "en")
    orgs = []
    for user_id, short in ((REP, "ADHOC"), (OTHER_REP, "CCHR")):
        org_id = await repo.add_organisation(short, f"{short} long", actor=BOSS, now=clock.now())
        await repo.create_invite(
            org_id, f"hash-{short}", actor=BOSS, now=clock.now(), expires=clock.now() + HOUR
        )
        await repo.redeem_invite(f"hash-{short}", user_id, short, "en", clock.now())
        orgs.append(org_id)
    group = (await services.coalition.working_groups())[0]
    return group.id, orgs[0], orgs[1]


def draft(group: int, org: int, **changes: object) -> ActionDraft:
    base = ActionDraft(
        working_group_id=group,
        cycle=2,
        recommendations="118.6, 119.1-119.3",
        other_mechanisms="CEDAW 2019 para 12",
        sdg_targets="5.2; 16.3",
        activity="Radio talk show on\nland rights",
        indicator="Two shows aired",
        resources="USD 500",
        partners="Ministry of Women's Affairs",
        timeframe="Q2 2026",
        risks="Airtime refused → use social media",
        organisation_ids=(org,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_a_coordinator_adds_an_action_that_survives_a_restart(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, _ = setup
    added = await services.strategies.add(BOSS, draft(group, org), services.catalog)
    await services.close()

    restarted = await Services.start(services.settings, clock)
    try:
        action = await restarted.strategies.action(added.id)
        numbers = [
            str(restarted.catalog.by_id[r].number) for r in action.fields.recommendation_ids
        ]
        assert numbers == ["118.6", "119.1", "119.2", "119.3"]
        assert {restarted.catalog.by_id[r].cycle for r in action.fields.recommendation_ids} == {2}
        assert action.fields.activity == "Radio talk show on land rights"  # one line
        assert (action.fields.sdg_targets, action.fields.risks) == (
            "5.2; 16.3",
            "Airtime refused → use social media",
        )
        assert action.fields.organisation_ids == (org,)
        timeframe = action.fields.timeframe
        assert isinstance(timeframe, Timeframe)
        assert (timeframe.original, timeframe.kind) == ("Q2 2026", Kind.QUARTER)
        assert (timeframe.start_day, timeframe.due_day) == (
            dt.date(2026, 4, 1),
            dt.date(2026, 6, 30),
        )
        assert (action.status, action.history) == (ActionStatus.NOT_STARTED, ())
        assert action == added
        log = await restarted.coalition.repository.audit_log()
        assert (log[0].action, log[0].detail) == (AuditAction.ADD_ACTION, f"action {added.id}")
    finally:
        await restarted.close()


async def test_recommendation_numbers_are_read_in_the_actions_cycle(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    first = await services.strategies.add(
        BOSS, draft(group, org, cycle=1, recommendations="៨២.១"), services.catalog
    )
    [rec_id] = first.fields.recommendation_ids
    assert services.catalog.by_id[rec_id].key == (1, RecNumber(82, 1))
    with pytest.raises(BadAction) as missing:  # 82.x is cycle 1's paragraph, not cycle 2's
        await services.strategies.add(
            BOSS, draft(group, org, recommendations="118.1, 82.1-82.3"), services.catalog
        )
    assert missing.value.values == {"cycle": "2", "numbers": "82.1-82.3"}
    with pytest.raises(BadAction) as other_cycle:
        await services.strategies.add(
            BOSS, draft(group, org, recommendations="c1 82.1"), services.catalog
        )
    assert other_cycle.value.values == {"named": "1", "cycle": "2"}
    for bad in ("", "soon", "118.6.7"):
        with pytest.raises(BadAction):
            await services.strategies.add(
                BOSS, draft(group, org, recommendations=bad), services.catalog
            )


@pytest.mark.parametrize(
    "changes",
    [
        {"activity": "  "},
        {"working_group_id": 999},
        {"organisation_ids": (999,)},
        {"cycle": 0},
        {"indicator": "x" * 1001},
    ],
)
async def test_a_bad_action_is_refused_and_nothing_is_stored(
    services: Services, setup: tuple[int, int, int], changes: dict[str, object]
) -> None:
    group, org, _ = setup
    with pytest.raises(BadAction):
        await services.strategies.add(BOSS, draft(group, org, **changes), services.catalog)
    assert (await services.strategies.for_group(group)).actions == ()


async def test_only_coordinators_add_and_edit_actions(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    for user in (REP, GUEST):
        with pytest.raises(NotAllowed):
            await services.strategies.add(user, draft(group, org), services.catalog)
    action = await services.strategies.add(BOSS, draft(group, org), services.catalog)
    with pytest.raises(NotAllowed):
        await services.strategies.edit(REP, action.id, draft(group, org), services.catalog)
    with pytest.raises(UnknownAction):
        await services.strategies.edit(BOSS, 999, draft(group, org), services.catalog)


async def test_status_changes_keep_their_history_and_edits_keep_the_status(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, other = setup
    action = await services.strategies.add(BOSS, draft(group, org), services.catalog)
    started = clock.now()
    await services.strategies.set_status(
        REP, action.id, ActionStatus.IN_PROGRESS, "Draft sent to\nthe ministry"
    )
    clock.advance(days=3)
    await services.strategies.set_status(BOSS, action.id, ActionStatus.BLOCKED, "No reply")
    with pytest.raises(NotAllowed):  # not a responsible organisation
        await services.strategies.set_status(OTHER_REP, action.id, ActionStatus.DONE)
    with pytest.raises(NotAllowed):
        await services.strategies.set_status(GUEST, action.id, ActionStatus.DONE)
    with pytest.raises(BadAction):
        await services.strategies.set_status(REP, action.id, ActionStatus.DONE, "n" * 301)

    edited = await services.strategies.edit(
        BOSS,
        action.id,
        draft(group, other, recommendations="119.28", timeframe="by the mid-term report"),
        services.catalog,
    )
    assert edited.status is ActionStatus.BLOCKED
    assert edited.history == (
        StatusChange(ActionStatus.IN_PROGRESS, REP, started, "Draft sent to the ministry"),
        StatusChange(ActionStatus.BLOCKED, BOSS, clock.now(), "No reply"),
    )
    assert edited.fields.organisation_ids == (other,)
    assert [services.catalog.by_id[r].number for r in edited.fields.recommendation_ids] == [
        RecNumber(119, 28)
    ]
    assert edited.fields.timeframe.original == "by the mid-term report"
    # now the other organisation answers for it, and the first one no longer can
    await services.strategies.set_status(OTHER_REP, action.id, ActionStatus.DONE, "Law passed")
    with pytest.raises(NotAllowed):
        await services.strategies.set_status(REP, action.id, ActionStatus.IN_PROGRESS)
    done = await services.strategies.action(action.id)
    assert (done.status, done.status.is_open, len(done.history)) == (ActionStatus.DONE, False, 3)
    log = await services.coalition.repository.audit_log()
    assert log[0].action is AuditAction.EDIT_ACTION


async def test_a_groups_actions_come_by_due_date_unreadable_last(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    groups = await services.coalition.working_groups()
    other_group = groups[1].id
    for timeframe in ("TBD", "2027", "31 March 2026", "Jan–Jun 2026", "short-term"):
        await services.strategies.add(
            BOSS, draft(group, org, timeframe=timeframe), services.catalog
        )
    await services.strategies.add(
        BOSS,
        draft(group, org, cycle=1, recommendations="82.1", timeframe="2025"),
        services.catalog,
    )
    await services.strategies.add(BOSS, draft(other_group, org), services.catalog)
    blocked = (await services.strategies.for_group(group)).actions[0]
    await services.strategies.set_status(REP, blocked.id, ActionStatus.BLOCKED)

    strategy = await services.strategies.for_group(group, cycle=2)
    words = [a.fields.timeframe.original for a in strategy.actions]
    # cycle 2's milestones: short-term runs from its review (28 Jan 2014) a year on
    assert words == ["short-term", "31 March 2026", "Jan–Jun 2026", "2027", "TBD"]
    assert strategy.counts == {ActionStatus.BLOCKED: 1, ActionStatus.NOT_STARTED: 4}
    everything = await services.strategies.for_group(group)
    assert [a.fields.timeframe.original for a in everything.actions][:2] == ["short-term", "2025"]
    assert list(everything.actions) == sorted(everything.actions, key=due_order)

    unreadable = await services.strategies.unreadable(BOSS)
    assert [a.fields.timeframe.original for a in unreadable] == ["TBD"]
    problem = unreadable[0].fields.timeframe
    assert isinstance(problem, Unreadable)
    assert problem.reason.startswith("Write a timeframe like")
    with pytest.raises(NotAllowed):
        await services.strategies.unreadable(REP)


async def test_an_unreadable_timeframe_keeps_its_reason_values_in_storage(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    action = await services.strategies.add(
        BOSS,
        draft(group, org, cycle=1, recommendations="82.1", timeframe="medium-term"),
        services.catalog,
    )
    stored = await services.strategies.action(action.id)
    assert isinstance(action.fields.timeframe, Unreadable)
    assert stored.fields.timeframe == Unreadable(
        "medium-term", action.fields.timeframe.reason, {"cycle": "1"}
    )
    assert stored.due is None


async def test_erasing_an_organisation_takes_it_off_its_actions(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, other = setup
    action = await services.strategies.add(
        BOSS, draft(group, org, organisation_ids=(org, other, org)), services.catalog
    )
    assert action.fields.organisation_ids == (org, other)
    await services.coalition.repository.erase_organisation(org, actor=BOSS, now=clock.now())
    assert (await services.strategies.action(action.id)).fields.organisation_ids == (other,)


async def test_a_corrected_milestone_moves_the_timeframes_that_resolve_through_it(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    by_mid_term = await services.strategies.add(
        BOSS, draft(group, org, timeframe="by the mid-term report"), services.catalog
    )
    fixed = await services.strategies.add(BOSS, draft(group, org), services.catalog)  # Q2 2026
    no_mid_term = await services.strategies.add(
        BOSS,
        draft(group, org, cycle=1, recommendations="82.1", timeframe="medium-term"),
        services.catalog,
    )
    assert isinstance(no_mid_term.fields.timeframe, Unreadable)

    entry, moved = await services.strategies.correct_milestone(
        BOSS, 2, Milestone.MID_TERM, "2017-07-15", note="State's report"
    )
    assert (entry.cycle, moved) == (2, 1)
    moved_to = (await services.strategies.action(by_mid_term.id)).fields.timeframe
    assert isinstance(moved_to, Timeframe)
    assert (moved_to.original, moved_to.due_day) == (
        "by the mid-term report",
        dt.date(2017, 7, 15),
    )
    assert await services.strategies.action(fixed.id) == fixed

    _, moved = await services.strategies.correct_milestone(BOSS, 1, Milestone.MID_TERM, "2012")
    assert moved == 1
    readable = (await services.strategies.action(no_mid_term.id)).fields.timeframe
    assert isinstance(readable, Timeframe)
    assert readable.due_day == dt.date(2012, 1, 1)
    with pytest.raises(NotAllowed):
        await services.strategies.correct_milestone(REP, 1, Milestone.MID_TERM, "2013")


async def test_a_restart_reads_timeframes_again_with_the_milestones_it_ships(
    services: Services, setup: tuple[int, int, int], clock: FakeClock
) -> None:
    group, org, _ = setup
    action = await services.strategies.add(
        BOSS, draft(group, org, timeframe="before the next review"), services.catalog
    )
    async with services.database.transaction() as db:  # as an older release had read it
        await db.execute(
            "UPDATE actions SET due_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (action.id,)
        )
        await db.execute("UPDATE meta SET value = 'older' WHERE key = 'timeframes:read-with'")
    await services.close()
    restarted = await Services.start(services.settings, clock)
    try:
        assert await restarted.strategies.action(action.id) == action
        assert await restarted.strategies.reread_timeframes() == 0
    finally:
        await restarted.close()
