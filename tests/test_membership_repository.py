"""The membership repository directly: each promise it makes, on a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.domain.assessment import Card
from bot.domain.coalition import load_working_groups
from bot.domain.membership import (
    AlreadyRepresents,
    DuplicateOrganisation,
    GroupChat,
    InviteInvalid,
    LastCoordinator,
    UnknownGroup,
    UnknownOrganisation,
    hash_code,
)
from bot.services import Services
from storage.membership import MembershipRepository
from tests.conftest import FakeClock

BOSS = 111
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def repo(services: Services) -> MembershipRepository:
    return services.coalition.repository


async def actions(repo: MembershipRepository) -> list[tuple[int, str, str, str]]:
    """The audit log, oldest first: (actor, action, organisation, detail)."""
    entries = await repo.audit_log(limit=1000)
    return [(e.actor_id, e.action, e.organisation, e.detail) for e in reversed(entries)]


async def org_with_rep(
    repo: MembershipRepository, clock: FakeClock, short: str, user_id: int, name: str = "Rep"
) -> int:
    org_id = await repo.add_organisation(short, f"{short} long name", actor=BOSS, now=clock.now())
    await repo.create_invite(
        org_id, f"hash-{short}", actor=BOSS, now=clock.now(), expires=clock.now() + HOUR
    )
    await repo.redeem_invite(f"hash-{short}", user_id, name, "en", clock.now())
    return org_id


# --- people -----------------------------------------------------------------------------------
async def test_a_new_user_is_stored_with_a_name_cut_to_64_characters(
    repo: MembershipRepository,
) -> None:
    assert await repo.person(5) is None
    await repo.seen(5, "N" * 70, "km")
    person = await repo.person(5)
    assert person is not None
    assert (person.user_id, person.display_name, person.is_coordinator) == (5, "N" * 64, False)
    assert (person.organisation_id, person.organisation_active, person.unreachable_since) == (
        None,
        False,
        None,
    )
    assert person.organisation_short_name == ""
    await repo.seen(5, "Renamed", "en")
    assert (await repo.person(5)).display_name == "Renamed"  # type: ignore[union-attr]


async def test_blocking_is_dated_once_and_forgotten_when_they_write_again(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    await org_with_rep(repo, clock, "ADHOC", 5)
    first = clock.now()
    await repo.mark_unreachable(5, first)
    await repo.mark_unreachable(5, first + HOUR)  # a second failure keeps the first date
    assert [(p.user_id, p.unreachable_since) for p in await repo.unreachable()] == [(5, first)]
    await repo.seen(5, "Rep", "en")
    assert await repo.unreachable() == []


async def test_unreachable_lists_representatives_and_coordinators_not_guests(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    await org_with_rep(repo, clock, "ADHOC", 7)
    await repo.seen(8, "Guest", "en")
    await repo.set_coordinator(6, True, actor=BOSS, now=clock.now(), language="en")
    for user_id in (8, 7, 6):
        await repo.mark_unreachable(user_id, clock.now())
    assert [p.user_id for p in await repo.unreachable()] == [6, 7]


async def test_coordinators_from_the_settings_are_made_once_each(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    assert await repo.seed_coordinators([2, 1], "en") == [1, 2]
    assert [p.user_id for p in await repo.coordinators()] == [1, 2]
    await repo.set_coordinator(2, False, actor=1, now=clock.now(), language="en")
    assert await repo.seed_coordinators([1, 2, 3], "km") == [3]  # 2's demotion is respected
    assert [p.user_id for p in await repo.coordinators()] == [1, 3]
    assert await repo.seed_coordinators([1, 2, 3], "en") == []


async def test_promotion_and_demotion_say_whether_anything_changed(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    assert await repo.set_coordinator(1, True, actor=BOSS, now=now, language="en") is True
    assert await repo.set_coordinator(1, True, actor=BOSS, now=now, language="en") is False
    with pytest.raises(LastCoordinator):
        await repo.set_coordinator(1, False, actor=BOSS, now=now, language="en")
    assert await repo.set_coordinator(2, True, actor=1, now=now, language="km") is True
    assert await repo.set_coordinator(1, False, actor=2, now=now, language="en") is True
    assert await repo.set_coordinator(1, False, actor=2, now=now, language="en") is False
    person = await repo.person(2)
    assert person is not None
    assert person.is_coordinator
    assert await actions(repo) == [
        (BOSS, "promote", "", "1"),
        (1, "promote", "", "2"),
        (2, "demote", "", "1"),
    ]


# --- organisations ----------------------------------------------------------------------------
async def test_organisations_are_listed_by_short_name_with_their_people_and_groups(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    cchr = await org_with_rep(repo, clock, "cchr", 10, "Zed")
    await repo.create_invite(
        cchr, "second", actor=BOSS, now=clock.now(), expires=clock.now() + HOUR
    )
    await repo.redeem_invite("second", 11, "Amy", "en", clock.now())
    adhoc = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    groups = [g.id for g in await repo.working_groups()]
    for group in (groups[3], groups[1]):
        await repo.toggle_group(cchr, group, actor=BOSS, now=clock.now())
    listed = await repo.organisations()
    assert [(o.id, o.short_name, o.active) for o in listed] == [
        (adhoc, "ADHOC", True),
        (cchr, "cchr", True),
    ]
    assert listed[1].group_ids == (groups[1], groups[3])
    assert [(p.user_id, p.display_name) for p in listed[1].representatives] == [
        (11, "Amy"),
        (10, "Zed"),
    ]
    assert (listed[0].group_ids, listed[0].representatives) == ((), ())
    assert (await repo.organisation(cchr)).name == "cchr long name"
    with pytest.raises(UnknownOrganisation, match=r"^999$"):
        await repo.organisation(999)
    with pytest.raises(DuplicateOrganisation, match=r"^ADHOC$"):  # names it, for the logs
        await repo.add_organisation("ADHOC", "Again", actor=BOSS, now=clock.now())


async def test_deactivation_makes_representatives_guests_until_reactivated(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await org_with_rep(repo, clock, "ADHOC", 5)
    await repo.set_active(org_id, False, actor=BOSS, now=clock.now())
    person = await repo.person(5)
    assert person is not None
    assert (person.organisation_id, person.organisation_active, person.role) == (
        org_id,
        False,
        "guest",
    )
    assert person.organisation_short_name == "ADHOC"
    await repo.set_active(org_id, True, actor=BOSS, now=clock.now())
    assert (await repo.person(5)).role == "member"  # type: ignore[union-attr]
    with pytest.raises(UnknownOrganisation, match=r"^999$"):
        await repo.set_active(999, True, actor=BOSS, now=clock.now())
    assert (await actions(repo))[-2:] == [
        (BOSS, "deactivate", "ADHOC", ""),
        (BOSS, "activate", "ADHOC", ""),
    ]


async def test_pausing_an_organisation_redraws_only_the_open_cards_it_counts_in(
    repo: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    rounds, now = services.assessments.repository, clock.now()
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=now)
    await repo.toggle_group(org_id, 6, actor=BOSS, now=now)
    closed = await rounds.open_round("Old", 2, "c2", [5], None, actor=BOSS, now=now)
    await rounds.set_open(closed, False, actor=BOSS, now=now)
    current = await rounds.open_round("New", 2, "c2", [5], None, actor=BOSS, now=now)
    cards = {10: (current, None), 11: (current, 6), 12: (current, 7), 13: (closed, None)}
    for message_id, (round_id, group) in cards.items():
        await rounds.add_card(Card(-5, message_id, round_id, 5, working_group_id=group))
    assert await rounds.cards_to_redraw() == []
    await repo.set_active(org_id, False, actor=BOSS, now=now)
    # the open round's whole-cycle card and its own group's card; not another group's, nor
    # a closed round's
    assert sorted(c.message_id for c in await rounds.cards_to_redraw()) == [10, 11]


async def test_a_group_gaining_or_losing_an_organisation_redraws_its_open_cards(
    repo: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    rounds, now = services.assessments.repository, clock.now()
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=now)
    closed = await rounds.open_round("Old", 2, "c2", [5], None, actor=BOSS, now=now)
    await rounds.set_open(closed, False, actor=BOSS, now=now)
    current = await rounds.open_round("New", 2, "c2", [5], None, actor=BOSS, now=now)
    cards = {10: (current, None), 11: (current, 6), 12: (current, 7), 13: (closed, 6)}
    for message_id, (round_id, group) in cards.items():
        await rounds.add_card(Card(-5, message_id, round_id, 5, working_group_id=group))
    for _ in ("joins", "leaves"):
        await repo.toggle_group(org_id, 6, actor=BOSS, now=now)
        # the open round's card of that group and the coalition's; not another group's, nor
        # a closed round's
        due = await rounds.cards_to_redraw()
        assert sorted(c.message_id for c in due) == [10, 11]
        for card in due:
            await rounds.mark_drawn(card)


async def test_a_working_group_is_joined_then_left(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    assert await repo.toggle_group(org_id, 6, actor=BOSS, now=clock.now()) is True
    assert await repo.organisations_by_group() == {6: {org_id}}
    assert await repo.toggle_group(org_id, 6, actor=BOSS, now=clock.now()) is False
    assert (await repo.organisation(org_id)).group_ids == ()
    with pytest.raises(UnknownOrganisation, match=r"^999$"):
        await repo.toggle_group(999, 6, actor=BOSS, now=clock.now())
    with pytest.raises(UnknownGroup) as no_group:  # a forged button: no foreign-key failure
        await repo.toggle_group(org_id, 999, actor=BOSS, now=clock.now())
    assert (no_group.value.words, str(no_group.value)) == ("999", "999")
    assert await repo.organisations_by_group() == {}
    assert [a[1:] for a in await actions(repo)][-2:] == [
        ("join group", "ADHOC", "6"),
        ("leave group", "ADHOC", "6"),
    ]


async def test_removing_a_representative_is_done_once(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await org_with_rep(repo, clock, "ADHOC", 5)
    other = await org_with_rep(repo, clock, "CCHR", 6)
    assert await repo.remove_representative(org_id, 6, actor=BOSS, now=clock.now()) is False
    assert await repo.remove_representative(org_id, 5, actor=BOSS, now=clock.now()) is True
    assert await repo.remove_representative(org_id, 5, actor=BOSS, now=clock.now()) is False
    assert (await repo.person(5)).organisation_id is None  # type: ignore[union-attr]
    assert (await repo.person(6)).organisation_id == other  # type: ignore[union-attr]
    removals = [a for a in await actions(repo) if a[1] == "remove representative"]
    assert removals == [(BOSS, "remove representative", "ADHOC", "5")]


async def test_erasing_an_organisation_leaves_no_name_behind(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await org_with_rep(repo, clock, "ADHOC", 5, "Sokha")
    await org_with_rep(repo, clock, "CCHR", 6, "Dara")
    assert await repo.erase_organisation(org_id, actor=BOSS, now=clock.now()) == "ADHOC long name"
    person = await repo.person(5)
    assert person is not None
    assert (person.organisation_id, person.display_name) == (None, "")
    assert (await repo.person(6)).display_name == "Dara"  # type: ignore[union-attr]
    log = await actions(repo)
    assert (BOSS, "add organisation", "", "") in log  # its name blanked, the entry kept
    assert (BOSS, "add organisation", "CCHR", "CCHR long name") in log
    assert log[-1] == (BOSS, "erase organisation", "", "")
    async with repo._db.connection.execute(
        "SELECT organisation_id FROM audit_log WHERE action = 'erase organisation'"
    ) as cursor:
        assert await cursor.fetchall() == [(org_id,)]  # which entries to blank if asked again
    with pytest.raises(UnknownOrganisation):
        await repo.erase_organisation(org_id, actor=BOSS, now=clock.now())


# --- invites ----------------------------------------------------------------------------------
async def test_an_invite_is_redeemed_once_and_names_its_organisation(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    code = hash_code("the code")
    await repo.create_invite(org_id, code, actor=BOSS, now=clock.now(), expires=clock.now() + HOUR)
    await repo.seen(5, "old", "en")
    await repo.mark_unreachable(5, clock.now())
    assert await repo.redeem_invite(code, 5, "S" * 80, "en", clock.now()) == org_id
    person = await repo.person(5)
    assert person is not None
    assert (person.organisation_id, person.display_name, person.unreachable_since) == (
        org_id,
        "S" * 64,
        None,
    )
    with pytest.raises(InviteInvalid) as used:
        await repo.redeem_invite(code, 6, "B", "en", clock.now())
    assert (used.value.reason, str(used.value)) == ("used", "used")
    with pytest.raises(InviteInvalid) as unknown:
        await repo.redeem_invite(hash_code("other"), 6, "B", "en", clock.now())
    assert unknown.value.reason == "unknown"
    assert (await actions(repo))[-2:] == [
        (BOSS, "create invite", "ADHOC", ""),  # no detail: the code is never logged
        (5, "join with invite", "ADHOC", ""),
    ]
    with pytest.raises(UnknownOrganisation, match=r"^999$"):
        await repo.create_invite(999, "x", actor=BOSS, now=clock.now(), expires=clock.now())


async def test_an_invite_expires_at_its_time_exactly(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    expires = clock.now() + HOUR
    for code in ("late", "in time"):
        await repo.create_invite(org_id, code, actor=BOSS, now=clock.now(), expires=expires)
    with pytest.raises(InviteInvalid) as late:
        await repo.redeem_invite("late", 5, "A", "en", expires)
    assert late.value.reason == "expired"
    second = dt.timedelta(seconds=1)
    assert await repo.redeem_invite("in time", 5, "A", "en", expires - second) == org_id


async def test_open_invites_are_counted_until_used_revoked_or_expired(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    now, expires = clock.now(), clock.now() + HOUR
    assert await repo.pending_invites(now) == 0
    for code in ("a", "b", "c", "d"):
        await repo.create_invite(org_id, code, actor=BOSS, now=now, expires=expires)
    await repo.redeem_invite("a", 5, "A", "en", now)
    await repo.revoke_invite(2, actor=BOSS, now=now)
    assert await repo.pending_invites(now) == 2
    assert await repo.pending_invites(expires - dt.timedelta(seconds=1)) == 2
    assert await repo.pending_invites(expires) == 0  # expired at its time exactly


async def test_revoked_invites_and_inactive_organisations_are_refused(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    org_id = await repo.add_organisation("ADHOC", "Adhoc", actor=BOSS, now=clock.now())
    later = clock.now() + HOUR
    first = await repo.create_invite(org_id, "one", actor=BOSS, now=clock.now(), expires=later)
    second = await repo.create_invite(org_id, "two", actor=BOSS, now=clock.now(), expires=later)
    assert (first, second) == (1, 2)
    assert await repo.revoke_invite(first, actor=BOSS, now=clock.now()) is True
    assert await repo.revoke_invite(first, actor=BOSS, now=clock.now()) is False
    assert await repo.revoke_invite(99, actor=BOSS, now=clock.now()) is False
    with pytest.raises(InviteInvalid) as revoked:
        await repo.redeem_invite("one", 5, "A", "en", clock.now())
    assert revoked.value.reason == "revoked"
    await repo.set_active(org_id, False, actor=BOSS, now=clock.now())
    with pytest.raises(InviteInvalid) as inactive:
        await repo.redeem_invite("two", 5, "A", "en", clock.now())
    assert inactive.value.reason == "revoked"
    await repo.set_active(org_id, True, actor=BOSS, now=clock.now())
    await repo.redeem_invite("two", 5, "A", "en", clock.now())
    assert await repo.revoke_invite(second, actor=BOSS, now=clock.now()) is False  # used
    assert [a for a in await actions(repo) if a[1] == "revoke invite"] == [
        (BOSS, "revoke invite", "ADHOC", "")
    ]


async def test_one_person_represents_one_organisation(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    adhoc = await org_with_rep(repo, clock, "ADHOC", 5)
    cchr = await repo.add_organisation("CCHR", "Cchr", actor=BOSS, now=clock.now())
    later = clock.now() + HOUR
    await repo.create_invite(cchr, "cchr", actor=BOSS, now=clock.now(), expires=later)
    await repo.create_invite(adhoc, "again", actor=BOSS, now=clock.now(), expires=later)
    with pytest.raises(AlreadyRepresents) as refused:
        await repo.redeem_invite("cchr", 5, "A", "en", clock.now())
    assert (refused.value.short_name, str(refused.value)) == ("ADHOC", "ADHOC")
    assert await repo.redeem_invite("again", 5, "A", "en", clock.now()) == adhoc  # same one: fine


# --- working groups and chats -----------------------------------------------------------------
async def test_working_groups_follow_the_data_file_order_and_names(
    repo: MembershipRepository, services: Services
) -> None:
    rows = load_working_groups(Path("data/working_groups.csv"))
    renamed = [(s, f"{en}!", f"{km}!", themes[:1]) for s, en, km, themes in reversed(rows)]
    await repo.sync_working_groups(renamed)
    groups = await repo.working_groups()
    assert [(g.slug, g.name("en"), g.name("km")) for g in groups] == [r[:3] for r in renamed]
    theme_ids = {t.slug: t.id for t in services.catalog.themes}
    assert [g.theme_ids for g in groups] == [
        tuple(sorted(theme_ids[t] for t in r[3])) for r in renamed
    ]


async def test_a_working_groups_themes_are_its_own_not_another_ids(
    repo: MembershipRepository, services: Services
) -> None:
    rows = load_working_groups(Path("data/working_groups.csv"))
    slugs = [t.slug for t in services.catalog.themes][-2:]
    await repo.sync_working_groups(
        [(s, en, km, slugs if n == 0 else []) for n, (s, en, km, _) in enumerate(rows)]
    )
    groups = await repo.working_groups()
    theme_ids = {t.slug: t.id for t in services.catalog.themes}
    assert groups[0].theme_ids == tuple(sorted(theme_ids[t] for t in slugs))
    assert [g.theme_ids for g in groups[1:]] == [()] * (len(groups) - 1)


async def test_a_chat_link_is_replaced_and_unlinked_per_topic(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    await repo.link_chat(-1, 0, 6, "T" * 200, actor=BOSS, now=now)
    await repo.link_chat(-1, 0, 7, "Land", actor=BOSS, now=now)  # replaces the first link
    await repo.link_chat(-1, 5, 8, "Topic", actor=BOSS, now=now)
    await repo.link_chat(-2, 0, 6, "Other", actor=BOSS, now=now)
    assert await repo.chats() == [
        GroupChat(-2, 0, 6, "Other"),
        GroupChat(-1, 0, 7, "Land"),
        GroupChat(-1, 5, 8, "Topic"),
    ]
    assert await repo.unlink_chat(-1, 9, actor=BOSS, now=now) == []
    assert await repo.unlink_chat(-1, 5, actor=BOSS, now=now) == [GroupChat(-1, 5, 8, "Topic")]
    await repo.link_chat(-1, 5, 8, "Topic", actor=BOSS, now=now)
    gone = await repo.unlink_chat(-1, None, actor=BOSS, now=now)
    assert [(c.chat_id, c.thread_id) for c in gone] == [(-1, 0), (-1, 5)]
    assert await repo.chats() == [GroupChat(-2, 0, 6, "Other")]
    await repo.migrate_chat(-2, -3)
    assert await repo.chats() == [GroupChat(-3, 0, 6, "Other")]
    log = [a for a in await actions(repo) if a[1] in ("link chat", "unlink chat")]
    assert log[:2] == [(BOSS, "link chat", "", "-1/0:6"), (BOSS, "link chat", "", "-1/0:7")]
    assert [a[1:] for a in log if a[1] == "unlink chat"] == [("unlink chat", "", "-1")] * 2


async def test_unlinking_gives_back_each_link_whole_with_its_language(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    await repo.link_chat(-1, 5, 8, "Topic", actor=BOSS, now=now)
    assert await repo.set_chat_language(-1, 5, "km")
    gone = await repo.unlink_chat(-1, None, actor=BOSS, now=now)
    assert gone == [GroupChat(-1, 5, 8, "Topic", "km")]


async def test_a_chat_the_bot_lost_is_named_by_a_title_it_had_else_by_its_id(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    await repo.link_chat(-1, 0, 6, "", actor=BOSS, now=now)  # Telegram gave no title
    await repo.link_chat(-1, 5, 7, "Land topic", actor=BOSS, now=now)
    await repo.link_chat(-2, 0, 6, "", actor=BOSS, now=now)
    await repo.link_chat(-3, 0, 6, "Kept", actor=BOSS, now=now)
    await repo.unlink_chat(-1, None, actor=0, now=now)  # actor 0: the bot was removed
    await repo.unlink_chat(-2, None, actor=0, now=now)
    await repo.unlink_chat(-3, None, actor=BOSS, now=now)  # a coordinator's /unlinkgroup
    assert await repo.lost_chats() == ["-2", "Land topic"]
    assert (await repo.audit_names()).chats == {-1: "Land topic", -2: "-2"}
    await repo.link_chat(-2, 0, 6, "Back", actor=BOSS, now=now)  # linked again: not lost
    assert await repo.lost_chats() == ["Land topic"]


async def test_a_group_link_links_its_chat_once_before_it_expires(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    later = now + HOUR
    await repo.create_group_link(6, "old", actor=BOSS, now=now - HOUR, expires=now)
    await repo.create_group_link(6, "land", actor=BOSS, now=now, expires=later)
    await repo.create_group_link(7, "late", actor=BOSS, now=now, expires=later)
    async with repo._db.connection.execute("SELECT token_hash FROM group_links") as cursor:
        assert sorted(r[0] for r in await cursor.fetchall()) == ["land", "late"]  # "old" gone
    await repo.link_chat(-1, 0, 8, "Lost", actor=0, now=now)
    await repo.unlink_chat(-1, None, actor=0, now=now)
    assert await repo.link_with_token("nope", -1, 0, "T", actor=BOSS, now=now) == (
        "unknown",
        None,
    )
    assert await repo.link_with_token("land", -1, 3, "T" * 200, actor=BOSS, now=now) == (
        "linked",
        6,
    )
    assert await repo.chats() == [GroupChat(-1, 3, 6, "T" * 128)]
    assert await repo.lost_chats() == []  # linked again: no longer lost
    assert await repo.link_with_token("land", -2, 0, "T", actor=BOSS, now=now) == ("used", None)
    assert await repo.link_with_token("late", -2, 0, "T", actor=BOSS, now=later) == (
        "expired",
        None,
    )
    assert await repo.link_with_token(
        "late", -2, 0, "T", actor=BOSS, now=later - dt.timedelta(seconds=1)
    ) == ("linked", 7)
    assert [c.chat_id for c in await repo.chats()] == [-1, -2]
    async with repo._db.connection.execute(
        "SELECT token_hash, used_at, used_in FROM group_links ORDER BY token_hash"
    ) as cursor:
        assert await cursor.fetchall() == [
            ("land", now.isoformat(), -1),
            ("late", (later - dt.timedelta(seconds=1)).isoformat(), -2),
        ]
    assert [a[1:] for a in await actions(repo) if a[1] == "link chat"][-2:] == [
        ("link chat", "", "-1/3:6"),
        ("link chat", "", "-2/0:7"),
    ]


async def test_a_long_chat_title_is_cut(repo: MembershipRepository, clock: FakeClock) -> None:
    await repo.link_chat(-1, 0, 6, "T" * 200, actor=BOSS, now=clock.now())
    assert await repo.chats() == [GroupChat(-1, 0, 6, "T" * 128)]


async def test_the_audit_log_reads_people_rounds_chats_and_groups_by_their_ids(
    repo: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    await repo.seen(5, "Sokha", "km")
    await repo.seen(6, "", "en")  # no name: the log shows the id
    round_id = await services.assessments.repository.open_round(
        "Land round", 2, "c2", [1], None, actor=BOSS, now=now
    )
    await repo.link_chat(-1, 0, 6, "", actor=BOSS, now=now)
    names = await repo.audit_names()
    assert names.people == {5: "Sokha"}  # the coordinator from the settings has no name yet
    assert names.rounds == {round_id: "Land round"}
    assert names.chats == {-1: ""}  # linked without a title: nothing to show but the id
    groups = await repo.working_groups()
    assert names.groups == {g.id: (g.name_en, g.name_km) for g in groups}
    assert len(names.groups) == len(groups) > 0


async def test_the_audit_log_pages_newest_first(
    repo: MembershipRepository, clock: FakeClock
) -> None:
    for n in range(5):
        clock.advance(minutes=1)
        await repo.add_organisation(f"O{n}", f"Org {n}", actor=BOSS, now=clock.now())
    for n in range(20):
        await repo.seen(1000 + n, "x", "en")  # not audited
        await repo.set_active(1, n % 2 == 1, actor=BOSS, now=clock.now())
    assert len(await repo.audit_log()) == 20  # the latest twenty by default
    page = await repo.audit_log(limit=2, offset=21)
    assert [(e.organisation, e.detail, e.at) for e in page] == [
        ("O3", "Org 3", clock.now() - dt.timedelta(minutes=1)),
        ("O2", "Org 2", clock.now() - dt.timedelta(minutes=2)),
    ]


async def test_an_erasure_says_when_a_reader_kept_it_in_the_wal(
    repo: MembershipRepository, clock: FakeClock, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = await repo.add_organisation("A", "A", actor=BOSS, now=clock.now())
    second = await repo.add_organisation("B", "B", actor=BOSS, now=clock.now())
    with caplog.at_level(logging.WARNING, logger="storage.membership"):
        await repo.erase_organisation(first, actor=BOSS, now=clock.now())
        assert caplog.messages == []
        reader = sqlite3.connect(db_path)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM organisations").fetchone()  # holds a snapshot
            await repo.erase_organisation(second, actor=BOSS, now=clock.now())
        finally:
            reader.close()
    assert caplog.messages == ["an erasure could not be checkpointed yet: a reader holds the WAL"]


async def test_an_erasure_a_long_read_held_up_is_checkpointed_when_the_read_ends(
    services: Services, repo: MembershipRepository, clock: FakeClock, db_path: Path
) -> None:
    """An export reading apart holds the WAL: the erasure's checkpoint is put off, then done
    as that read ends, so the erased name does not stay readable in the WAL."""
    org = await repo.add_organisation("ZZSECRET", "Secret", actor=BOSS, now=clock.now())
    database = services.database
    reading, erased = threading.Event(), threading.Event()

    def long_read(conn: sqlite3.Connection) -> int:
        count = conn.execute("SELECT COUNT(*) FROM organisations").fetchone()[0]
        reading.set()  # the snapshot is held: the erasure comes now
        erased.wait(10)
        return int(count)

    export = asyncio.ensure_future(database.read_apart(long_read))
    assert await asyncio.to_thread(reading.wait, 10)
    await repo.erase_organisation(org, actor=BOSS, now=clock.now())
    wal = db_path.with_name(db_path.name + "-wal")
    assert b"ZZSECRET" in await asyncio.to_thread(wal.read_bytes)  # put off: a reader holds it
    erased.set()
    assert await export == 1
    assert await asyncio.to_thread(wal.read_bytes) == b""  # checkpointed as the read ended
    assert b"ZZSECRET" not in await asyncio.to_thread(db_path.read_bytes)
