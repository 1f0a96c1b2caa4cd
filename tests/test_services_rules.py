"""The domain services' rules without Telegram: who may do what, and what each answer holds."""

from __future__ import annotations

import datetime as dt
import logging
import string
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.domain.assessment import Card, Colour, Distribution, Overall, Rating
from bot.domain.catalog import Catalog
from bot.domain.coalition import Coalition
from bot.domain.membership import (
    InviteInvalid,
    NotAllowed,
    Person,
    Role,
    UnknownGroup,
    WorkingGroup,
    find_group,
    looks_like_code,
    new_invite_code,
)
from bot.domain.outbox import Content, DeliveryStatus
from bot.domain.rounds import Assessments, BadScope, Scope, Tapped, closing_time, parse_scope
from bot.services import Services
from tests.conftest import FakeClock

BOSS, MEMBER, OTHER, INACTIVE, GUEST = 1, 2, 3, 4, 5
R, OR, G, U = Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
async def coalition(services: Services) -> Coalition:
    """A coordinator, members of two active organisations, one of an inactive one, a guest."""
    coalition = services.coalition
    await coalition.repository.seed_coordinators([BOSS], "en")
    for user_id, short in ((MEMBER, "adhoc"), (OTHER, "CCHR"), (INACTIVE, "Gone")):
        invite = await coalition.add_organisation(BOSS, short, f"{short} name")
        await coalition.join(user_id, f"Rep {short}", "en", invite.code)
    await coalition.set_active(BOSS, 3, False)
    await coalition.repository.seen(GUEST, "Guest", "en")
    return coalition


@pytest.fixture
def assessments(services: Services, coalition: Coalition) -> Assessments:
    return services.assessments


def rec(services: Services, number: str, cycle: int = 2) -> int:
    return next(
        r.id
        for r in services.catalog.recommendations
        if r.cycle == cycle and str(r.number) == number
    )


async def round_of(assessments: Assessments, clock: FakeClock, items: list[int]) -> int:
    """A round on `items`, opened by the coordinator (straight through the repository)."""
    return await assessments.repository.open_round(
        "R", 2, "s", items, None, actor=BOSS, now=clock.now()
    )


# --- roles ------------------------------------------------------------------------------------
async def test_each_user_has_the_role_the_readme_gives(coalition: Coalition) -> None:
    roles = [await coalition.role(u) for u in (BOSS, MEMBER, INACTIVE, GUEST, 999)]
    assert roles == [Role.COORDINATOR, Role.MEMBER, Role.GUEST, Role.GUEST, Role.GUEST]
    assert Person(1, "x", is_coordinator=True, organisation_id=None).role is Role.COORDINATOR
    assert Person(1, "x", organisation_id=0, organisation_active=True).role is Role.MEMBER
    assert Person(1, "x", organisation_id=None, organisation_active=True).role is Role.GUEST


COORDINATOR_ONLY: list[tuple[str, Callable[[Coalition, int], Awaitable[object]]]] = [
    ("add_organisation", lambda c, u: c.add_organisation(u, "NEW", "New")),
    ("invite", lambda c, u: c.invite(u, 1)),
    ("revoke", lambda c, u: c.revoke(u, 1)),
    ("organisations", lambda c, u: c.organisations(u)),
    ("organisation", lambda c, u: c.organisation(u, 1)),
    ("set_active", lambda c, u: c.set_active(u, 1, False)),
    ("toggle_group", lambda c, u: c.toggle_group(u, 1, 6)),
    ("remove_representative", lambda c, u: c.remove_representative(u, 1, MEMBER)),
    ("erase", lambda c, u: c.erase(u, 1)),
    ("set_coordinator", lambda c, u: c.set_coordinator(u, u, True)),
    ("unreachable", lambda c, u: c.unreachable(u)),
    ("audit_log", lambda c, u: c.audit_log(u)),
    ("link_chat", lambda c, u: c.link_chat(u, -1, 0, 6, "Group")),
    ("unlink_chat", lambda c, u: c.unlink_chat(u, -1, None)),
]


async def test_coordinator_actions_refuse_everyone_else_and_change_nothing(
    coalition: Coalition,
) -> None:
    await coalition.link_chat(BOSS, -1, 0, 6, "Group")
    for action, call in COORDINATOR_ONLY:
        before = await coalition.repository.audit_log(limit=100)
        for user_id in (MEMBER, INACTIVE, GUEST, 999):
            with pytest.raises(NotAllowed):
                await call(coalition, user_id)
        assert await coalition.repository.audit_log(limit=100) == before, action
        await call(coalition, BOSS)  # and the coordinator may


async def test_the_bot_itself_unlinks_a_chat_it_was_removed_from(coalition: Coalition) -> None:
    await coalition.link_chat(BOSS, -1, 0, 6, "Group")
    assert await coalition.linked_group(-1, 0) == 6
    assert await coalition.linked_group(-1, 5) is None
    assert await coalition.linked_group(-2, 0) is None
    gone = await coalition.unlink_chat(0, -1, None)
    assert [(c.chat_id, c.working_group_id) for c in gone] == [(-1, 6)]


# --- invites ----------------------------------------------------------------------------------
async def test_an_invite_is_valid_for_the_invite_lifetime(
    coalition: Coalition, clock: FakeClock
) -> None:
    invite = await coalition.invite(BOSS, 1)
    assert invite.expires == clock.now() + coalition.invite_ttl
    assert coalition.invite_ttl == dt.timedelta(hours=72)
    assert (invite.organisation.id, invite.organisation.short_name) == (1, "adhoc")
    assert await coalition.revoke(BOSS, invite.id) is True
    with pytest.raises(InviteInvalid) as revoked:
        await coalition.join(GUEST, "Guest", "en", invite.code)
    assert revoked.value.reason == "revoked"


async def test_text_that_is_not_shaped_like_a_code_never_reaches_the_database(
    coalition: Coalition,
) -> None:
    for text in ("", "short", "x" * 65, "a" * 23 + "!", "'; DROP TABLE invites; --xxxxx"):
        with pytest.raises(InviteInvalid) as refused:
            await coalition.join(GUEST, "Guest", "en", text)
        assert refused.value.reason == "unknown"


def test_invite_codes_are_long_random_and_url_safe() -> None:
    codes = {new_invite_code() for _ in range(50)}
    assert len(codes) == 50
    allowed = set(string.ascii_letters + string.digits + "-_")
    assert all(len(c) == 24 and set(c) <= allowed and looks_like_code(c) for c in codes)
    assert looks_like_code("a" * 16)
    assert looks_like_code("a-_" * 21 + "a")
    assert not looks_like_code("a" * 15)
    assert not looks_like_code("a" * 65)
    assert not looks_like_code("a" * 20 + " ")


async def test_own_organisation_is_for_representatives(coalition: Coalition) -> None:
    own = await coalition.own_organisation(MEMBER)
    assert own is not None
    assert own.short_name == "adhoc"
    assert await coalition.own_organisation(GUEST) is None
    assert await coalition.own_organisation(999) is None


def test_a_working_group_is_named_in_the_readers_language() -> None:
    group = WorkingGroup(1, "land", "Land", "ដីធ្លី")
    assert (group.name("en"), group.name("km")) == ("Land", "ដីធ្លី")


def test_a_working_group_is_found_by_its_short_name_or_the_start_of_its_names() -> None:
    land = WorkingGroup(1, "land", "Land and natural resources", "ដីធ្លី និងធនធានធម្មជាតិ")
    labour = WorkingGroup(2, "labour", "Labour rights", "សិទ្ធិការងារ")
    rights = WorkingGroup(3, "land-rights", "Land rights defenders", "អ្នកការពារ សិទ្ធិដីធ្លី")
    groups = [land, labour, rights]
    assert find_group(groups, "") is None
    assert find_group(groups, " \u200b ") is None
    assert find_group(groups, "LAND") is land  # the short name wins over names starting "Land"
    assert find_group(groups, "land-rights") is rights
    assert find_group(groups, "Land  AND natural") is land
    assert find_group(groups, "labour\u200brights") is labour
    assert find_group(groups, "ដីធ្លី") is land
    assert find_group(groups, "អ្នកការពារ") is rights
    women = WorkingGroup(5, "women", "Women's rights", "សិទ្ធិស្ត្រី")  # subscript TA
    assert find_group([*groups, women], "សិទ្ធិស្ដ្រី") is women  # typed with subscript DA
    for text in ("rights", "Land rights x", "lab"):
        with pytest.raises(UnknownGroup):
            find_group(groups, text)
    with pytest.raises(UnknownGroup) as ambiguous:  # "Land rights…" and "Land and…", no "land"
        find_group([rights, WorkingGroup(4, "forests", "Land and forests", "ព្រៃឈើ")], "Land")
    assert ambiguous.value.words == "Land"
    with pytest.raises(UnknownGroup) as unknown:
        find_group(groups, "  no such\n group ")
    assert unknown.value.words == "no such group"


# --- rating -----------------------------------------------------------------------------------
async def test_only_representatives_of_active_organisations_rate(
    assessments: Assessments, services: Services
) -> None:
    for user_id in (BOSS, INACTIVE, GUEST, 999):
        with pytest.raises(NotAllowed):
            await assessments.rater(user_id)
    assert await assessments.rater(MEMBER) == (1, "adhoc")
    assert await assessments.rater(OTHER) == (2, "CCHR")


async def test_rating_through_the_service_names_the_organisation(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    item = rec(services, "118.6")
    round_id = await assessments.repository.open_round(
        "R", 2, "s", [item], None, actor=BOSS, now=clock.now()
    )
    assert await assessments.rate(MEMBER, round_id, item, R) == (True, "adhoc")
    assert await assessments.rate(MEMBER, round_id, item, G) == (False, "adhoc")
    await assessments.set_reason(MEMBER, round_id, item, "x" * 600)
    own = await assessments.repository.own(round_id, 1)
    assert own[item].reason == "x" * 500
    with pytest.raises(NotAllowed):
        await assessments.set_reason(GUEST, round_id, item, "guest")


async def test_the_current_round_is_the_newest_open_one(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    assert await assessments.current_round() is None
    repo = assessments.repository
    first = await repo.open_round("A", 2, "s", [1], None, actor=BOSS, now=clock.now())
    second = await repo.open_round("B", 2, "s", [1], None, actor=BOSS, now=clock.now())
    assert (await assessments.current_round()).id == second  # type: ignore[union-attr]
    await repo.set_open(second, False, actor=BOSS, now=clock.now())
    assert (await assessments.current_round()).id == first  # type: ignore[union-attr]


async def test_next_unrated_skips_what_the_organisation_did_or_put_off(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = [rec(services, f"118.{n}") for n in (1, 2, 3)]
    round_id = await assessments.repository.open_round(
        "R", 2, "s", items, None, actor=BOSS, now=clock.now()
    )
    assert await assessments.next_unrated(MEMBER, round_id, set()) == items[0]
    await assessments.rate(MEMBER, round_id, items[0], U)  # "don't know" is an answer
    await assessments.rate(OTHER, round_id, items[1], R)  # another organisation's rating
    assert await assessments.next_unrated(MEMBER, round_id, set()) == items[1]
    assert await assessments.next_unrated(MEMBER, round_id, {items[1]}) == items[2]
    assert await assessments.next_unrated(MEMBER, round_id, {items[1], items[2]}) is None
    with pytest.raises(NotAllowed):
        await assessments.next_unrated(GUEST, round_id, set())


async def test_what_is_left_to_rate_and_what_was_given_is_the_organisations_own(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = [rec(services, f"118.{n}") for n in (1, 2, 3)]
    round_id = await round_of(assessments, clock, items)
    other = await round_of(assessments, clock, items)
    assert await assessments.unrated(MEMBER, round_id) == 3
    await assessments.rate(MEMBER, round_id, items[0], U)  # "don't know" is an answer
    await assessments.rate(MEMBER, round_id, items[2], G)
    await assessments.rate(OTHER, round_id, items[1], R)  # another organisation's rating
    await assessments.rate(MEMBER, other, items[1], R)  # the same one, in another round
    assert await assessments.unrated(MEMBER, round_id) == 1
    assert await assessments.unrated(OTHER, round_id) == 2
    assert await assessments.own(round_id, 1) == {
        items[0]: Rating(items[0], None, U, ""),
        items[2]: Rating(items[2], None, G, ""),
    }
    assert await assessments.own(other, 1) == {items[1]: Rating(items[1], None, R, "")}
    with pytest.raises(NotAllowed):
        await assessments.unrated(GUEST, round_id)


async def test_the_latest_closed_round_is_the_newest_closed_one(
    assessments: Assessments, clock: FakeClock
) -> None:
    assert await assessments.latest_closed() is None
    first, second, _newest = [await round_of(assessments, clock, [1]) for _ in range(3)]
    assert await assessments.latest_closed() is None  # all open
    for round_id in (first, second):
        await assessments.set_open(BOSS, round_id, False)
    assert (await assessments.latest_closed()).id == second  # type: ignore[union-attr]
    await assessments.set_open(BOSS, second, True)
    assert (await assessments.latest_closed()).id == first  # type: ignore[union-attr]


async def test_a_group_card_is_posted_once_and_redrawn_when_its_counts_change(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = [rec(services, "118.1"), rec(services, "118.2")]
    round_id = await round_of(assessments, clock, items)
    card = Card(-100, 7, round_id, items[0])
    await assessments.add_card(card)
    assert await assessments.posted(round_id, -100) == {items[0]}
    assert await assessments.posted(round_id, -200) == set()  # another chat
    assert await assessments.posted(await round_of(assessments, clock, items), -100) == set()
    assert await assessments.cards_to_redraw() == []
    await assessments.rate(MEMBER, round_id, items[0], G)
    [due] = await assessments.cards_to_redraw()
    assert (due.chat_id, due.message_id, due.recommendation_id) == (-100, 7, items[0])
    await assessments.mark_drawn(due)
    assert await assessments.cards_to_redraw() == []


# --- results ----------------------------------------------------------------------------------
async def rated_round(
    assessments: Assessments, services: Services, clock: FakeClock, *, publish: bool
) -> int:
    """118.6 rated 🟠 (an organisation since erased), 🟢 (CCHR), 🔴 (adhoc, with a reason);
    118.2 by nobody."""
    items = [rec(services, "118.6"), rec(services, "118.2")]
    round_id = await assessments.repository.open_round(
        "R", 2, "s", items, None, actor=BOSS, now=clock.now()
    )
    gone = await assessments.coalition.repository.add_organisation(
        "Erased", "Erased", actor=BOSS, now=clock.now()
    )
    await assessments.repository.rate(round_id, items[0], gone, OR, clock.now())
    await assessments.coalition.erase(BOSS, gone)
    await assessments.rate(OTHER, round_id, items[0], G)
    await assessments.rate(MEMBER, round_id, items[0], R)
    await assessments.set_reason(MEMBER, round_id, items[0], "No law.")
    if publish:
        await assessments.set_open(BOSS, round_id, False)
        await assessments.publish(BOSS, round_id)
    return round_id


async def test_results_are_for_coordinators_and_for_members_once_published(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    draft = await rated_round(assessments, services, clock, publish=False)
    published = await rated_round(assessments, services, clock, publish=True)
    allowed = {
        (user_id, round_id)
        for user_id in (BOSS, MEMBER, INACTIVE, GUEST, 999)
        for round_id in (draft, published)
        if user_id == BOSS or (user_id == MEMBER and round_id == published)
    }
    for user_id in (BOSS, MEMBER, INACTIVE, GUEST, 999):
        for round_id in (draft, published, 99):
            if (user_id, round_id) in allowed:
                await assessments.results(user_id, round_id, services.catalog)
            else:
                with pytest.raises(NotAllowed):
                    await assessments.results(user_id, round_id, services.catalog)


async def test_a_recommendation_gone_from_the_catalogue_leaves_the_rest_of_the_table(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = [rec(services, f"118.{n}") for n in (1, 2, 3)]
    round_id = await round_of(assessments, clock, items)
    full = services.catalog
    reimported = Catalog(  # 118.1 withdrawn by a later import
        [r for r in full.recommendations if r.id != items[0]],
        full.themes,
        full.cycles,
        full.glossary,
    )
    _, rows = await assessments.results(BOSS, round_id, reimported)
    assert [str(row.recommendation.number) for row in rows] == ["118.2", "118.3"]


async def test_results_name_organisations_only_to_a_coordinator_in_private(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    round_id = await rated_round(assessments, services, clock, publish=True)
    found, rows = await assessments.results(BOSS, round_id, services.catalog)
    assert found.id == round_id
    assert [str(r.recommendation.number) for r in rows] == ["118.2", "118.6"]
    assert (rows[0].distribution, rows[0].overall, rows[0].reasons) == (
        Distribution(),
        Overall.NOT_ENOUGH,
        (),
    )
    assert rows[1].distribution == Distribution(red=1, orange=1, green=1)
    # Alphabetical whatever the letter case, the erased organisation's rating last.
    assert rows[1].reasons == (("adhoc", R, "No law."), ("CCHR", G, ""), (None, OR, ""))
    _, in_group = await assessments.results(BOSS, round_id, services.catalog, private=False)
    _, member = await assessments.results(MEMBER, round_id, services.catalog)
    for view in (in_group, member):
        assert set(view[1].reasons) == {(None, R, "No law."), (None, G, ""), (None, OR, "")}


async def test_the_overall_colour_uses_the_minimum_number_of_ratings(
    services: Services, coalition: Coalition, clock: FakeClock
) -> None:
    lenient = Assessments(
        services.assessments.repository, coalition, services.group_lists, clock, min_ratings=1
    )
    round_id = await rated_round(lenient, services, clock, publish=True)
    _, rows = await lenient.results(MEMBER, round_id, services.catalog)
    assert rows[1].overall is Overall.CONTESTED  # 🔴 🟠 🟢: a split, not "not enough"
    latest = await lenient.latest(rows[1].recommendation.id)
    assert latest is not None
    assert (latest[0].id, latest[1], latest[2]) == (
        round_id,
        Overall.CONTESTED,
        rows[1].distribution,
    )
    assert await lenient.latest(rec(services, "118.9")) is None


async def test_compare_lists_only_recommendations_whose_colour_moved(
    services: Services, coalition: Coalition, clock: FakeClock
) -> None:
    assessments = Assessments(
        services.assessments.repository, coalition, services.group_lists, clock, min_ratings=1
    )
    items = [rec(services, n) for n in ("118.1", "118.2", "118.3")]
    rounds = []
    for colours in ((R, G, OR), (G, G, R)):
        round_id = await assessments.repository.open_round(
            "R", 2, "s", items, None, actor=BOSS, now=clock.now()
        )
        for item, colour in zip(items, colours, strict=True):
            await assessments.rate(MEMBER, round_id, item, colour)
        await assessments.set_open(BOSS, round_id, False)
        await assessments.publish(BOSS, round_id)
        rounds.append(round_id)
    changes = await assessments.compare(MEMBER, rounds[0], rounds[1], services.catalog)
    assert [(str(r.number), a, b, moved) for r, a, b, moved in changes] == [
        ("118.1", Overall.RED, Overall.GREEN, 1),
        ("118.3", Overall.ORANGE, Overall.RED, -1),
    ]
    with pytest.raises(NotAllowed):
        await assessments.compare(GUEST, rounds[0], rounds[1], services.catalog)


# --- the scope of a round ---------------------------------------------------------------------
def test_a_scope_reads_cycle_response_themes_numbers_and_closing_date(
    services: Services,
) -> None:
    catalog = services.catalog
    scope = parse_scope(
        "c2 accepted land 118.1-118.80 until 2026-12-31", catalog, PHNOM_PENH, TODAY
    )
    assert scope.closes_at == dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)  # 23:59 there
    assert scope.cycle == 2
    assert scope.description == "c2 accepted land 118.1-118.80"
    found = [catalog.by_id[i] for i in scope.recommendation_ids]
    assert found == sorted(found, key=lambda r: r.number)
    land = next(t.id for t in catalog.themes if t.slug == "land")
    assert found
    assert all(
        r.cycle == 2
        and r.response.value == "accepted"
        and land in r.theme_ids
        and str(r.number).startswith("118.")
        and r.number.item <= 80
        for r in found
    )


def test_a_scope_without_filters_takes_the_whole_current_cycle(services: Services) -> None:
    catalog = services.catalog
    scope = parse_scope("everything", catalog, PHNOM_PENH, TODAY)
    assert (scope.cycle, scope.closes_at) == (2, None)
    assert len(scope.recommendation_ids) == len(
        [r for r in catalog.recommendations if r.cycle == 2]
    )
    assert len(parse_scope("c1", catalog, PHNOM_PENH, TODAY).recommendation_ids) == 91
    noted = parse_scope("noted c2", catalog, PHNOM_PENH, TODAY)
    assert set(noted.recommendation_ids) == {
        r.id
        for r in catalog.recommendations
        if r.cycle == 2 and r.response.counts_as.value == "noted"
    }


def test_several_themes_make_one_list_without_repeats(services: Services) -> None:
    catalog = services.catalog
    women = set(parse_scope("c2 women", catalog, PHNOM_PENH, TODAY).recommendation_ids)
    children = set(parse_scope("c2 children", catalog, PHNOM_PENH, TODAY).recommendation_ids)
    both = parse_scope("c2 women children", catalog, PHNOM_PENH, TODAY).recommendation_ids
    assert women & children  # some recommendations are in both themes
    assert len(both) == len(set(both))
    assert set(both) == women | children


def test_numbers_in_a_scope_may_name_their_cycle(services: Services) -> None:
    scope = parse_scope("82.1-82.3 cycle 1", services.catalog, PHNOM_PENH, TODAY)
    assert scope.cycle == 1
    assert [str(services.catalog.by_id[i].number) for i in scope.recommendation_ids] == [
        "82.1",
        "82.2",
        "82.3",
    ]


def test_a_scope_that_matches_nothing_is_refused(services: Services) -> None:
    for text in ("c2 118.900-118.950", "c9", "c2 accepted 82.1"):
        with pytest.raises(BadScope):
            parse_scope(text, services.catalog, PHNOM_PENH, TODAY)


async def test_coordinator_actions_do_what_they_say(
    coalition: Coalition, services: Services, clock: FakeClock
) -> None:
    assert await coalition.remove_representative(BOSS, 2, MEMBER) is False  # not of that one
    assert await coalition.remove_representative(BOSS, 1, MEMBER) is True
    assert await coalition.own_organisation(MEMBER) is None
    clock.advance(minutes=5)
    assert await coalition.set_coordinator(BOSS, 999, True) is True  # never seen before
    assert await coalition.role(999) is Role.COORDINATOR
    [entry] = await coalition.audit_log(BOSS, limit=1)
    assert (entry.at, entry.actor_id, entry.action, entry.detail) == (
        clock.now(),
        BOSS,
        "promote",
        "999",
    )
    async with services.database.connection.execute(
        "SELECT language FROM users WHERE user_id = 999"
    ) as cursor:
        assert await cursor.fetchone() == ("en",)
    await coalition.link_chat(BOSS, -1, 0, 6, "Group")
    await coalition.link_chat(BOSS, -1, 5, 7, "Topic")
    gone = await coalition.unlink_chat(BOSS, -1, 5)
    assert [(c.thread_id, c.working_group_id) for c in gone] == [(5, 7)]
    assert await coalition.linked_group(-1, 0) == 6
    for _ in range(30):
        await coalition.toggle_group(BOSS, 1, 6)
    assert len(await coalition.audit_log(BOSS)) == 30  # the latest thirty by default


async def test_a_round_keeps_its_closing_time(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    closes = clock.now() + dt.timedelta(days=2)
    scope = Scope(2, (rec(services, "118.6"),), "c2 118.6", closes)
    round_id = await assessments.open_round(BOSS, "Dated", scope)
    found = await assessments.repository.round(round_id)
    assert found is not None
    assert (found.name, found.scope, found.closes_at, found.size) == (
        "Dated",
        "c2 118.6",
        closes,
        1,
    )
    with pytest.raises(NotAllowed):
        await assessments.open_round(MEMBER, "Sneaky", scope)


async def test_a_recommendation_the_catalog_no_longer_has_is_left_out(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = [rec(services, "118.9"), rec(services, "118.6")]
    round_id = await assessments.repository.open_round(
        "R", 2, "s", items, None, actor=BOSS, now=clock.now()
    )
    older = SimpleNamespace(by_id={items[1]: services.catalog.by_id[items[1]]})
    _, rows = await assessments.results(BOSS, round_id, older)  # type: ignore[arg-type]
    assert [r.recommendation.id for r in rows] == [items[1]]


def test_a_closing_date_is_the_end_of_that_day_in_phnom_penh() -> None:
    end = dt.datetime(2026, 11, 23, 16, 59, tzinfo=dt.UTC)  # 23:59 at UTC+7
    assert closing_time("2026-11-23", PHNOM_PENH, TODAY) == end  # today is still possible
    assert closing_time("2026-11-23", PHNOM_PENH, TODAY).tzinfo is dt.UTC  # stored as UTC
    assert closing_time("២០២៦-១១-២៣", PHNOM_PENH, TODAY) == end
    assert closing_time("2026-1-5", PHNOM_PENH, dt.date(2026, 1, 1)) == dt.datetime(
        2026, 1, 5, 16, 59, tzinfo=dt.UTC
    )
    with pytest.raises(BadScope) as passed:
        closing_time("2026-11-22", PHNOM_PENH, TODAY)
    assert (passed.value.message, passed.value.params) == (
        "The closing date {date} has already passed: choose a later date.",
        {"date": "2026-11-22"},
    )
    assert str(passed.value) == passed.value.message
    for word in ("2026-02-30", "9999-99-99", "tomorrow", "2026-12-31x", "x" * 50):
        with pytest.raises(BadScope) as unreadable:
            closing_time(word, PHNOM_PENH, TODAY)
        assert unreadable.value.params == {"date": word[:40]}
        assert unreadable.value.message.startswith("“{date}” is not a date I can read.")
    west = ZoneInfo("America/Los_Angeles")
    with pytest.raises(BadScope):
        closing_time("9999-12-31", west, TODAY)  # past the last UTC date Python knows


async def test_rounds_past_their_date_are_closed_by_the_service(
    assessments: Assessments,
    services: Services,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = rec(services, "118.6")
    due = clock.now() + dt.timedelta(hours=1)
    dated = await assessments.open_round(BOSS, "Dated", Scope(2, (item,), "s", due))
    undated = await assessments.open_round(BOSS, "Undated", Scope(2, (item,), "s", None))
    await assessments.close_due()
    assert [r.open for r in await assessments.repository.rounds()] == [True, True]
    clock.advance(hours=1)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        await assessments.close_due()
    assert caplog.messages == [f"round {dated} closed: its closing date has passed"]
    assert {r.id: r.open for r in await assessments.repository.rounds()} == {
        undated: True,
        dated: False,
    }


async def test_a_reason_can_be_deleted_and_a_long_one_is_cut(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    item = rec(services, "118.6")
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (item,), "s", None))
    assert await assessments.delete_reason(MEMBER, round_id, item) is False  # no rating
    await assessments.rate(MEMBER, round_id, item, R)
    assert await assessments.delete_reason(MEMBER, round_id, item) is False  # no reason
    assert await assessments.set_reason(MEMBER, round_id, item, "x" * 500) is False
    assert await assessments.set_reason(MEMBER, round_id, item, "y" * 501) is True
    assert (await assessments.repository.own(round_id, 1))[item].reason == "y" * 500
    await assessments.rate(OTHER, round_id, item, G)
    await assessments.set_reason(OTHER, round_id, item, "kept")
    assert await assessments.delete_reason(MEMBER, round_id, item) is True
    assert (await assessments.repository.own(round_id, 1))[item].reason == ""
    assert (await assessments.repository.own(round_id, 2))[item].reason == "kept"
    with pytest.raises(NotAllowed):
        await assessments.delete_reason(GUEST, round_id, item)


async def test_a_working_groups_comparison_counts_only_its_organisations(
    services: Services, coalition: Coalition, clock: FakeClock
) -> None:
    assessments = Assessments(
        services.assessments.repository, coalition, services.group_lists, clock, min_ratings=1
    )
    await coalition.toggle_group(BOSS, 1, 6)  # MEMBER's organisation is in group 6, OTHER's not
    item = min(await services.group_lists.recommendation_ids(6))
    rounds = []
    # Group 6 alone: 🔴 then 🟢. The whole coalition: contested both times (no change).
    for member_colour, other_colour in ((R, G), (G, R)):
        round_id = await assessments.open_round(BOSS, "R", Scope(2, (item,), "s", None))
        await assessments.rate(MEMBER, round_id, item, member_colour)
        await assessments.rate(OTHER, round_id, item, other_colour)
        await assessments.set_open(BOSS, round_id, False)
        await assessments.publish(BOSS, round_id)
        rounds.append(round_id)
    changes = await assessments.compare(MEMBER, *rounds, services.catalog, group_id=6)
    assert [(r.id, a, b, moved) for r, a, b, moved in changes] == [
        (item, Overall.RED, Overall.GREEN, 1)
    ]
    assert await assessments.compare(MEMBER, *rounds, services.catalog) == []


async def test_each_working_groups_table_counts_its_own_list_and_organisations(
    services: Services, coalition: Coalition, clock: FakeClock
) -> None:
    assessments = Assessments(
        services.assessments.repository, coalition, services.group_lists, clock, min_ratings=1
    )
    await coalition.toggle_group(BOSS, 1, 6)  # MEMBER's organisation is in group 6, OTHER's not
    await coalition.toggle_group(BOSS, 2, 7)  # OTHER's is in group 7
    listed = await services.group_lists.recommendation_ids(6)
    inside = min(listed)
    outside = min(r.id for r in services.catalog.recommendations if r.id not in listed)
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (inside, outside), "s", None))
    await assessments.rate(MEMBER, round_id, inside, R)
    await assessments.set_reason(MEMBER, round_id, inside, "why")
    await assessments.rate(OTHER, round_id, inside, G)
    await assessments.rate(OTHER, round_id, outside, G)
    groups = [g for g in await coalition.working_groups() if g.id in (6, 7)]
    round_, rows, by_group = await assessments.group_tables(
        BOSS, round_id, services.catalog, groups
    )
    assert round_.id == round_id
    coalition_rows = {r.recommendation.id: r for r in rows}
    assert coalition_rows[inside].distribution == Distribution(red=1, green=1)
    assert coalition_rows[outside].distribution == Distribution(green=1)
    assert set(by_group) == {6, 7}
    [own] = by_group[6]  # only its list, only its organisations
    assert (own.recommendation.id, own.distribution, own.overall) == (
        inside,
        Distribution(red=1),
        Overall.RED,
    )
    assert (own.reasons, own.coalition) == ((("adhoc", R, "why"),), Overall.CONTESTED)
    for row in by_group[7]:
        assert row.recommendation.id in await services.group_lists.recommendation_ids(7)
        assert row.distribution == Distribution(
            green=int(row.recommendation.id in (inside, outside))
        )
    assert coalition_rows[inside].reasons == (("adhoc", R, "why"), ("CCHR", G, ""))
    # The pictures' one aggregate gives each group's own distributions, as its table does.
    aggregated = await assessments.repository.group_distributions(round_id)
    for group in groups:
        own_rows = {r.recommendation.id: r.distribution for r in by_group[group.id]}
        assert aggregated.get(group.id, {}) == own_rows
    _, group_rows = await assessments.results(BOSS, round_id, services.catalog, group_id=6)
    assert group_rows == by_group[6]
    assert await assessments.distribution(round_id, inside) == Distribution(red=1, green=1)
    assert await assessments.distribution(round_id, inside, 6) == Distribution(red=1)
    assert await assessments.distribution(round_id, outside, 6) == Distribution()
    # The round concerns group 6 only (group 7's list holds neither recommendation): OTHER's
    # organisation rated, but is outside the round's audience and its denominator.
    assert await assessments.participation(round_id) == (1, 1)
    assert await assessments.participation(round_id, 6) == (1, 1)
    assert await assessments.participation(round_id, 8) == (0, 0)  # a group with no one in it
    _, unnamed, unnamed_groups = await assessments.group_tables(
        BOSS, round_id, services.catalog, groups, private=False
    )
    assert {o for r in unnamed for o, _, _ in r.reasons} == {None}
    assert unnamed_groups[6][0].reasons == ((None, R, "why"),)
    with pytest.raises(NotAllowed):
        await assessments.group_tables(GUEST, round_id, services.catalog, groups)


async def test_round_changes_are_logged_without_content(
    assessments: Assessments, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    item = rec(services, "118.6")
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        round_id = await assessments.open_round(BOSS, "Secret", Scope(2, (item,), "s", None))
        await assessments.set_open(BOSS, round_id, False)
        assert await assessments.publish(BOSS, round_id) is True
        await assessments.set_open(BOSS, round_id, True)
        assert await assessments.publish(BOSS, round_id) is False  # open: not published, no log
    assert caplog.messages == [
        f"round {round_id} opened: 1 recommendations",
        f"round {round_id} closed",
        f"round {round_id} published",
        f"round {round_id} reopened",
    ]


async def test_skipped_recommendations_come_back_after_the_others_or_a_week(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    items = tuple(rec(services, f"118.{n}") for n in (1, 2))
    round_id = await assessments.open_round(BOSS, "R", Scope(2, items, "s", None))
    assert await assessments.next_to_rate(MEMBER, round_id) == items[0]
    await assessments.skip(MEMBER, round_id, items[0])
    assert await assessments.next_to_rate(MEMBER, round_id) == items[1]
    assert await assessments.next_to_rate(OTHER, round_id) == items[0]  # skips are personal
    await assessments.rate(MEMBER, round_id, items[1], R)
    assert await assessments.next_to_rate(MEMBER, round_id) is None  # only the skipped one left
    assert await assessments.next_to_rate(MEMBER, round_id) == items[0]  # ...offered again
    await assessments.skip(MEMBER, round_id, items[0])
    clock.advance(days=7)
    assert await assessments.next_to_rate(MEMBER, round_id) == items[0]  # a week is over
    with pytest.raises(NotAllowed):
        await assessments.skip(GUEST, round_id, items[0])


async def test_a_reason_prompt_is_answered_within_a_day(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    item = rec(services, "118.6")
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (item,), "s", None))
    delivery = await assessments.ask_reason(MEMBER, round_id, item, Content("Why?"), "en")
    assert await assessments.prompt_unsent(MEMBER)
    assert await assessments.prompted(MEMBER, 77) is None  # not sent yet: no message id
    await services.outbox.store.mark_sent(delivery, 77, clock.now())
    assert not await assessments.prompt_unsent(MEMBER)
    assert await assessments.prompted(MEMBER, 77) == (round_id, item)
    assert await assessments.prompted(MEMBER, 78) is None
    assert await assessments.prompted(OTHER, 77) is None
    clock.advance(hours=23, minutes=59)
    assert await assessments.prompted(MEMBER, 77) == (round_id, item)
    clock.advance(minutes=1)
    assert await assessments.prompted(MEMBER, 77) is None


async def test_a_waiting_prompt_goes_out_with_the_current_colour(
    assessments: Assessments, services: Services, clock: FakeClock
) -> None:
    """The colour changed before the outbox sent the prompt: it goes out saying the new one;
    once sent, its message id comes back to be edited (unless it already says that)."""
    item = rec(services, "118.6")
    round_id = await round_of(assessments, clock, [item])
    await assessments.rate(MEMBER, round_id, item, R)
    delivery = await assessments.ask_reason(MEMBER, round_id, item, Content("🔴 why?"), "en")
    assert await assessments.recolour_prompt(MEMBER, round_id, item, Content("🟢 why?")) is None
    waiting = await services.outbox.delivery(delivery)
    assert waiting is not None
    assert (waiting.status, waiting.content.text) == (DeliveryStatus.WAITING, "🟢 why?")
    await services.outbox.store.mark_sent(delivery, 77, clock.now())
    assert await assessments.recolour_prompt(MEMBER, round_id, item, Content("🟢 why?")) is None
    assert await assessments.recolour_prompt(MEMBER, round_id, item, Content("🟠 why?")) == 77
    assert await assessments.recolour_prompt(OTHER, round_id, item, Content("🟠 why?")) is None


async def test_a_rating_tap_is_one_call_that_says_what_came_of_it(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    item = rec(services, "118.1")
    round_id = await round_of(assessments, clock, [item])
    first = await assessments.tap(MEMBER, round_id, item, R, in_group=True)
    assert (first.result, first.organisation) == (Tapped.RECORDED, "adhoc")
    assert await assessments.distribution(round_id, item) == Distribution(red=1)
    assert first.ask_reason  # a group card: ask in private…
    assert first.round is None  # …and no card to redraw here
    again = await assessments.tap(OTHER, round_id, item, G, in_group=True)
    assert again.ask_reason  # the limit is per person
    changed = await assessments.tap(MEMBER, round_id, item, G, in_group=False)
    assert (changed.result, changed.ask_reason) == (Tapped.CHANGED, False)
    assert await assessments.distribution(round_id, item) == Distribution(green=2)
    assert changed.round is not None  # a private card redraws
    assert changed.round.id == round_id
    assert (await assessments.tap(GUEST, round_id, item, R, in_group=True)).result is (
        Tapped.NOT_A_RATER
    )
    assert (await assessments.tap(MEMBER, round_id, 10**9, R, in_group=True)).result is (
        Tapped.NOT_IN_ROUND
    )
    await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.tap(MEMBER, round_id, item, R, in_group=True)
    assert (closed.result, closed.organisation) == (Tapped.CLOSED, "")
    assert await assessments.distribution(round_id, item) == Distribution(green=2)


@pytest.mark.parametrize("own_limiter", [False, True])
async def test_a_burst_of_first_taps_asks_for_a_reason_once_a_minute(
    services: Services, assessments: Assessments, clock: FakeClock, own_limiter: bool
) -> None:
    if own_limiter:  # built without the services' limiter: the same once a minute
        assessments = Assessments(
            assessments.repository, assessments.coalition, services.group_lists, clock, 1
        )
    items = [rec(services, n) for n in ("118.1", "118.2")]
    round_id = await round_of(assessments, clock, items)
    taps = [await assessments.tap(MEMBER, round_id, i, R, in_group=True) for i in items]
    assert [t.ask_reason for t in taps] == [True, False]
    clock.advance(seconds=61)
    later = await assessments.tap(MEMBER, round_id, items[1], G, in_group=True)
    assert not later.ask_reason  # a change, not a first rating
