"""Each user action is one domain call returning what came of it, refusals included: opening,
closing, publishing and reopening a round, opening an invite link, linking a chat. Real SQLite,
no Telegram."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.domain.assessment import Colour
from bot.domain.coalition import Coalition, Joined, Joining
from bot.domain.membership import NotAllowed
from bot.domain.rounds import Assessments, Opened, Opening, RoundChange
from bot.services import Services
from tests.conftest import FakeClock

BOSS, MEMBER, GUEST = 1, 2, 5
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")


@pytest.fixture
async def coalition(services: Services) -> Coalition:
    """A coordinator, the representative of ADHOC (in the land group, 6), a guest."""
    coalition = services.coalition
    await coalition.repository.seed_coordinators([BOSS], "en")
    invite = await coalition.add_organisation(BOSS, "ADHOC", "Cambodian Human Rights")
    await coalition.join(MEMBER, "Rep", "en", invite.code)
    await coalition.toggle_group(BOSS, 1, 6)
    await coalition.repository.seen(GUEST, "Guest", "en")
    return coalition


@pytest.fixture
def assessments(services: Services, coalition: Coalition) -> Assessments:
    return services.assessments


async def open_(services: Services, actor: int, text: str) -> Opened:
    return await services.assessments.open(actor, text, services.catalog, PHNOM_PENH)


async def test_opening_a_round_is_one_call_that_says_what_came_of_it(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    opened = await open_(services, BOSS, "c2 118.1-118.3 : Mid-term review ២០២៦")
    assert (opened.result, opened.round_id, opened.name) == (
        Opening.OPENED,
        1,
        "Mid-term review ២០២៦",
    )
    assert opened.scope is not None
    assert (opened.scope.cycle, len(opened.scope.recommendation_ids)) == (2, 3)
    [stored] = await assessments.rounds()
    assert (stored.id, stored.name, stored.open, stored.size) == (
        1,
        "Mid-term review ២០២៦",
        True,
        3,
    )

    # No name, no colon, or a name too long: how to write it; nothing is opened.
    for text in ("c2 land", "c2 land :  ", "c2 land : " + "x" * 121, ""):
        assert await open_(services, BOSS, text) == Opened(Opening.NO_NAME), text
    assert (await open_(services, BOSS, "c2 118.1 : " + "x" * 120)).result is Opening.OPENED

    # A scope that cannot be read: the message to translate and its placeholders.
    passed = await open_(services, BOSS, "c2 land until 2026-11-22 : Late")
    assert (passed.result, passed.problem, dict(passed.params)) == (
        Opening.BAD_SCOPE,
        "The closing date {date} has already passed: choose a later date.",
        {"date": "2026-11-22"},
    )
    two = await open_(services, BOSS, "c1 c2 : Two cycles")
    assert (two.result, two.problem) == (Opening.BAD_SCOPE, "Name one cycle only, for example c2.")
    # Today in Phnom Penh may still close a round.
    today = await open_(services, BOSS, "c2 land until 2026-11-23 : Today")
    assert today.result is Opening.OPENED
    assert len(await assessments.rounds()) == 3
    # At 20:00 UTC it is already the next day in Phnom Penh: that date has passed.
    clock.advance(hours=18)
    late = await open_(services, BOSS, "c2 land until 2026-11-23 : Too late")
    assert (late.result, dict(late.params)) == (Opening.BAD_SCOPE, {"date": "2026-11-23"})

    for actor in (MEMBER, GUEST, 999):
        with pytest.raises(NotAllowed):
            await open_(services, actor, "c2 land : Not mine")
    assert len(await assessments.rounds()) == 3


async def test_a_round_button_is_one_call_that_returns_the_rounds_to_redraw(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    await open_(services, BOSS, "c2 118.1-118.3 : First")
    await open_(services, BOSS, "c2 118.1 : Second")
    [rec] = await assessments.items(2)
    await assessments.rate(MEMBER, 2, rec, Colour.RED)

    closed = await assessments.change(BOSS, 2, RoundChange.CLOSE)
    assert closed.overview is not None
    assert closed.overview.coordinator is True
    assert [
        (line.round.id, line.round.open, line.rated, line.total) for line in closed.overview.lines
    ] == [(2, False, 1, 1), (1, True, 0, 1)]

    published = await assessments.change(BOSS, 2, RoundChange.PUBLISH)
    assert published.overview is not None
    assert [(line.round.id, line.round.published) for line in published.overview.lines] == [
        (2, True),
        (1, False),
    ]
    reopened = await assessments.change(BOSS, 2, RoundChange.REOPEN)
    assert reopened.overview is not None
    assert reopened.overview.lines[0].round.open is True

    # A round that no longer exists: nothing is changed or audited.
    before = await services.coalition.audit_log(BOSS, limit=100)
    assert (await assessments.change(BOSS, 99, RoundChange.CLOSE)).overview is None
    for actor in (MEMBER, GUEST, 999):
        with pytest.raises(NotAllowed):
            await assessments.change(actor, 1, RoundChange.CLOSE)
    assert await services.coalition.audit_log(BOSS, limit=100) == before
    first = await assessments.round(1)
    assert first is not None
    assert first.open is True


async def test_the_rounds_overview_gives_buttons_only_to_coordinators(
    services: Services, assessments: Assessments
) -> None:
    assert (await assessments.overview(BOSS)).lines == ()
    await open_(services, BOSS, "c2 118.1 : Only")
    for user_id, coordinator in ((BOSS, True), (MEMBER, False), (GUEST, False)):
        overview = await assessments.overview(user_id)
        assert overview.coordinator is coordinator
        assert [(line.round.name, line.rated, line.total) for line in overview.lines] == [
            ("Only", 0, 1)
        ]


async def test_an_invite_link_is_one_call_that_says_what_came_of_it(
    coalition: Coalition, clock: FakeClock
) -> None:
    invite = await coalition.invite(BOSS, 1)
    assert await coalition.redeem(10, "New rep", "km", invite.code) == Joining(
        Joined.JOINED, "ADHOC", "Cambodian Human Rights"
    )
    joined = await coalition.own_organisation(10)
    assert joined is not None
    assert joined.short_name == "ADHOC"
    assert await coalition.redeem(11, "Late", "en", invite.code) == Joining(Joined.USED)

    other = await coalition.add_organisation(BOSS, "CCHR", "Cambodian Center")
    assert await coalition.redeem(MEMBER, "Rep", "en", other.code) == Joining(
        Joined.ALREADY, "ADHOC"
    )
    revoked = await coalition.invite(BOSS, 2)
    await coalition.revoke(BOSS, revoked.id)
    assert await coalition.redeem(12, "X", "en", revoked.code) == Joining(Joined.REVOKED)
    for junk in ("", "short", "a" * 23 + "!", "a" * 24):
        assert await coalition.redeem(12, "X", "en", junk) == Joining(Joined.INVALID), junk
    cancelled = await coalition.invite(BOSS, 2)
    await coalition.set_active(BOSS, 2, False)  # deactivating cancels its invites
    assert await coalition.redeem(12, "X", "en", cancelled.code) == Joining(Joined.REVOKED)
    await coalition.set_active(BOSS, 2, True)
    late = await coalition.invite(BOSS, 2)
    clock.advance(hours=72, seconds=1)
    assert await coalition.redeem(12, "X", "en", late.code) == Joining(Joined.EXPIRED)
    assert await coalition.own_organisation(12) is None


async def test_linking_a_chat_is_one_call_that_names_the_group(coalition: Coalition) -> None:
    groups = await coalition.link_choices(BOSS)
    assert [g.id for g in groups] == [g.id for g in await coalition.working_groups()]
    land = next(g for g in groups if g.id == 6)
    linked = await coalition.link(BOSS, -100, 4, 6, "Land group")
    assert linked.group == land
    assert await coalition.linked_group(-100, 4) == 6
    # A group that no longer exists: nothing is linked.
    assert (await coalition.link(BOSS, -200, 0, 999, "Gone")).group is None
    assert await coalition.linked_group(-200, 0) is None
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await coalition.link_choices(actor)
        with pytest.raises(NotAllowed):
            await coalition.link(actor, -300, 0, 6, "Not theirs")
    assert await coalition.linked_group(-300, 0) is None
