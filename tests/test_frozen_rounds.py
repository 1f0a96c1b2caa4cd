"""A closed round's tables are frozen at the close: later changes to the groups, their lists or
the organisations do not rewrite a published judgement; reopening thaws it."""

from __future__ import annotations

import pytest

from bot.domain.assessment import Colour, Distribution
from bot.services import Services
from tests.conftest import COORDINATOR_ID, FakeClock

R, OR, G = Colour.RED, Colour.ORANGE, Colour.GREEN


@pytest.fixture
def services(coordinated: Services) -> Services:
    """The services with one coordinator, without Telegram."""
    return coordinated


async def land_setup(services: Services, clock: FakeClock) -> tuple[int, int, list[int]]:
    """Three organisations of the land group rate 118.63 red, orange, green in round 1."""
    coalition, repo = services.coalition, services.assessments.repository
    land = next(g.id for g in await coalition.working_groups() if g.slug == "land")
    rec = next(
        r for r in services.catalog.recommendations if r.cycle == 2 and str(r.number) == "118.63"
    )
    orgs = []
    for n in range(3):
        org = (
            await coalition.add_organisation(COORDINATOR_ID, f"O{n}", f"Org {n}")
        ).organisation.id
        await coalition.toggle_group(COORDINATOR_ID, org, land)
        orgs.append(org)
    round_id = await repo.open_round("R", 2, "c2 118.63", [rec.id], None, actor=1, now=clock.now())
    for org, colour in zip(orgs, [R, OR, G], strict=True):
        await repo.rate(round_id, rec.id, org, colour, clock.now())
    return land, rec.id, orgs


async def land_table(services: Services, land: int) -> list[tuple[int, Distribution]]:
    groups = await services.coalition.working_groups()
    _, _, blocks = await services.assessments.group_tables(
        COORDINATOR_ID, 1, services.catalog, groups
    )
    return [(row.recommendation.id, row.distribution) for row in blocks[land]]


async def test_a_published_round_keeps_its_groups_lists_and_participation(
    services: Services, clock: FakeClock
) -> None:
    land, rec, orgs = await land_setup(services, clock)
    coalition, assessments = services.coalition, services.assessments
    repo = assessments.repository
    await assessments.set_open(COORDINATOR_ID, 1, False)
    await assessments.publish(COORDINATOR_ID, 1)
    frozen = [(rec, Distribution.of([R, OR, G]))]
    assert await land_table(services, land) == frozen
    assert await repo.participation(1, land) == (3, 3)

    # After publication: one organisation leaves the group, one is erased, two new ones join,
    # and the number leaves the group's list. The published judgement does not move.
    await coalition.toggle_group(COORDINATOR_ID, orgs[0], land)
    await coalition.erase(COORDINATOR_ID, orgs[1])
    for n in (3, 4):
        org = (
            await coalition.add_organisation(COORDINATOR_ID, f"O{n}", f"Org {n}")
        ).organisation.id
        await coalition.toggle_group(COORDINATOR_ID, org, land)
    await services.group_lists.edit(COORDINATOR_ID, land, "118.63", False, services.catalog)
    assert await land_table(services, land) == frozen
    assert (await repo.group_distributions(1))[land] == dict(frozen)  # the pictures' aggregate
    assert await repo.participation(1, land) == (3, 3)
    assert await repo.participation(1) == (3, 3)

    # Reopened, the round is live again; closing it again freezes what is true then.
    await assessments.set_open(COORDINATOR_ID, 1, True)
    assert await land_table(services, land) == []
    assert await repo.participation(1, land) == (1, 3)
    assert await repo.participation(1) == (2, 4)
    await services.group_lists.edit(COORDINATOR_ID, land, "118.63", True, services.catalog)
    clock.advance(days=1)
    await assessments.close_due()  # no date: stays open
    await assessments.set_open(COORDINATOR_ID, 1, False)
    await coalition.toggle_group(COORDINATOR_ID, orgs[2], land)
    assert await land_table(services, land) == [(rec, Distribution.of([G]))]
    assert await repo.participation(1, land) == (1, 3)


async def test_a_round_closed_by_its_date_is_frozen_too(
    services: Services, clock: FakeClock
) -> None:
    land, rec, orgs = await land_setup(services, clock)
    async with services.database.transaction() as db:
        await db.execute(
            "UPDATE rounds SET closes_at = ? WHERE id = 1", (clock.now().isoformat(),)
        )
    await services.assessments.close_due()
    await services.coalition.toggle_group(COORDINATOR_ID, orgs[0], land)
    assert await land_table(services, land) == [(rec, Distribution.of([R, OR, G]))]
    assert await services.assessments.repository.participation(1, land) == (3, 3)


async def test_participation_counts_only_eligible_organisations_that_rated(
    services: Services, clock: FakeClock
) -> None:
    land, rec, orgs = await land_setup(services, clock)
    await services.coalition.set_active(COORDINATOR_ID, orgs[0], False)
    repo = services.assessments.repository
    assert await repo.participation(1) == (2, 2)  # was "3 of 2"
    assert await repo.participation(1, land) == (2, 2)
    # Its rating still counts in the colours: it was given while the organisation was active.
    assert await land_table(services, land) == [(rec, Distribution.of([R, OR, G]))]
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.coalition.set_active(COORDINATOR_ID, orgs[0], True)
    assert await repo.participation(1) == (2, 2)


async def test_paused_organisations_that_rated_are_counted_apart_live_and_as_at_the_close(
    services: Services, clock: FakeClock
) -> None:
    land, rec, orgs = await land_setup(services, clock)
    coalition, assessments = services.coalition, services.assessments
    other = (await coalition.add_organisation(COORDINATOR_ID, "X", "Outside land")).organisation
    await assessments.repository.rate(1, rec, other.id, R, clock.now())  # in no group
    assert await assessments.paused_raters(1) == 0
    await coalition.set_active(COORDINATOR_ID, orgs[0], False)  # a land member
    await coalition.set_active(COORDINATOR_ID, other.id, False)
    await coalition.set_active(COORDINATOR_ID, orgs[1], False)
    await coalition.set_active(COORDINATOR_ID, orgs[1], True)  # paused and back: not counted
    # Open: as they are now; the coalition's count is not the first group's.
    assert await assessments.paused_raters(1) == 2
    assert await assessments.paused_raters(1, land) == 1
    assert await assessments.paused_raters(1, land + 1) == 0
    assert await assessments.paused_raters(2) == 0  # another round
    # Closed: as at the close, whoever is paused or reactivated afterwards.
    await assessments.set_open(COORDINATOR_ID, 1, False)
    await coalition.set_active(COORDINATOR_ID, orgs[0], True)
    await coalition.set_active(COORDINATOR_ID, orgs[2], False)
    assert await assessments.paused_raters(1) == 2
    assert await assessments.paused_raters(1, land) == 1
    assert await assessments.paused_raters(1, land + 1) == 0
