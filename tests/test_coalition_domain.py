"""The Coalition service on a real SQLite file: roles checked first, chats and people kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.coalition import ByLink, Coalition, Invite, Joined, LinkedByLink
from bot.domain.membership import GroupChat, NotAllowed, Role, looks_like_code
from bot.services import Services
from bot.settings import Settings
from tests.conftest import FakeClock

BOSS = 111
REP = 222
STRANGER = 999
CHAT = -100500


@pytest.fixture
async def started(db_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    """The services with one coordinator (BOSS) from the settings."""
    settings = Settings(token="x", database_path=db_path, coordinator_ids=frozenset({BOSS}))
    started = await Services.start(settings, clock)
    yield started
    await started.close()


@pytest.fixture
def coalition(started: Services) -> Coalition:
    """The Coalition service of `started`."""
    return started.coalition


async def member(coalition: Coalition, short: str = "ADHOC", user_id: int = REP) -> Invite:
    """An organisation whose representative is user_id."""
    invite = await coalition.add_organisation(BOSS, short, f"{short} long name")
    joining = await coalition.redeem(user_id, "Sokha", "en", invite.code)
    assert joining.result is Joined.JOINED
    return invite


async def test_roles_follow_the_store(coalition: Coalition) -> None:
    await member(coalition)
    assert await coalition.role(BOSS) is Role.COORDINATOR
    assert await coalition.role(REP) is Role.MEMBER
    assert await coalition.role(STRANGER) is Role.GUEST
    await coalition.require_coordinator(BOSS)
    with pytest.raises(NotAllowed):
        await coalition.require_coordinator(REP)


async def test_an_invite_expires_after_the_configured_lifetime(
    coalition: Coalition, clock: FakeClock
) -> None:
    invite = await coalition.add_organisation(BOSS, "LICADHO", "LICADHO long name")
    assert invite.expires == clock.now() + coalition.invite_ttl
    assert invite.organisation.short_name == "LICADHO"
    clock.current = invite.expires + dt.timedelta(seconds=1)
    assert (await coalition.redeem(REP, "Sokha", "en", invite.code)).result is Joined.EXPIRED


async def test_redeeming_names_the_organisation_or_the_reason(coalition: Coalition) -> None:
    invite = await coalition.add_organisation(BOSS, "ADHOC", "Cambodian Human Rights")
    joining = await coalition.redeem(REP, "Sokha", "en", invite.code)
    assert (joining.result, joining.short_name, joining.name) == (
        Joined.JOINED,
        "ADHOC",
        "Cambodian Human Rights",
    )
    assert (await coalition.redeem(STRANGER, "X", "en", invite.code)).result is Joined.USED
    assert (await coalition.redeem(STRANGER, "X", "en", "not a code")).result is Joined.INVALID
    other = await coalition.add_organisation(BOSS, "CCHR", "CCHR long name")
    already = await coalition.redeem(REP, "Sokha", "en", other.code)
    assert (already.result, already.short_name) == (Joined.ALREADY, "ADHOC")
    revoked = await coalition.invite(BOSS, other.organisation.id)
    assert await coalition.revoke(BOSS, revoked.id)
    assert (await coalition.redeem(STRANGER, "X", "en", revoked.code)).result is Joined.REVOKED


async def test_every_coordinator_action_refuses_a_member(coalition: Coalition) -> None:
    invite = await member(coalition)
    org = invite.organisation.id
    group = (await coalition.working_groups())[0].id
    refused = [
        coalition.add_organisation(REP, "X", "X"),
        coalition.invite(REP, org),
        coalition.revoke(REP, invite.id),
        coalition.organisations(REP),
        coalition.organisation(REP, org),
        coalition.set_active(REP, org, False),
        coalition.toggle_group(REP, org, group),
        coalition.remove_representative(REP, org, REP),
        coalition.erase(REP, org),
        coalition.set_coordinator(REP, REP, True),
        coalition.unreachable(REP),
        coalition.audit_log(REP),
        coalition.set_chat_language(REP, CHAT, 0, "km"),
        coalition.link_choices(REP),
        coalition.link(REP, CHAT, 0, group, "Land"),
        coalition.link_chat(REP, CHAT, 0, group, "Land"),
        coalition.unlink_chat(REP, CHAT, None),
    ]
    for call in refused:
        with pytest.raises(NotAllowed):
            await call
    assert await coalition.role(REP) is Role.MEMBER
    assert await coalition.links_of(CHAT) == []
    assert (await coalition.organisation(BOSS, org)).active


async def test_a_linked_chat_and_topic_keep_their_group_and_language(
    coalition: Coalition,
) -> None:
    first, second = (await coalition.working_groups())[:2]
    assert (await coalition.link(BOSS, CHAT, 0, first.id, "Land\nchat")).group == first
    await coalition.link_chat(BOSS, CHAT, 7, second.id, "Topic")
    assert await coalition.linked_group(CHAT, 0) == first.id
    assert await coalition.linked_group(CHAT, 7) == second.id
    assert await coalition.linked_group(CHAT, 8) is None
    assert await coalition.linked_group(-1, 0) is None
    assert await coalition.chat_language(CHAT, 0) is None
    assert await coalition.chat_language(-1, 7) is None
    assert await coalition.set_chat_language(BOSS, CHAT, 7, "km")
    assert await coalition.chat_language(CHAT, 7) == "km"
    assert await coalition.chat_language(CHAT, 0) is None
    assert not await coalition.set_chat_language(BOSS, -1, 0, "km")
    assert [(c.thread_id, c.title) for c in await coalition.links_of(CHAT)] == [
        (0, "Land chat"),
        (7, "Topic"),
    ]
    assert await coalition.links_of(-1) == []


async def test_a_group_that_no_longer_exists_is_not_linked(coalition: Coalition) -> None:
    missing = max(g.id for g in await coalition.working_groups()) + 1
    assert (await coalition.link(BOSS, CHAT, 0, missing, "Land")).group is None
    assert await coalition.links_of(CHAT) == []


async def test_a_migrated_chat_keeps_its_links_under_the_new_id(coalition: Coalition) -> None:
    group = (await coalition.working_groups())[0]
    await coalition.link_chat(BOSS, -5, 0, group.id, "Old group")
    await coalition.set_chat_language(BOSS, -5, 0, "km")
    await coalition.migrate_chat(-5, CHAT)
    assert await coalition.links_of(-5) == []
    assert await coalition.links_of(CHAT) == [GroupChat(CHAT, 0, group.id, "Old group", "km")]


async def test_unlinking_by_a_coordinator_forgets_the_chat_and_by_the_bot_names_it_lost(
    coalition: Coalition,
) -> None:
    group = (await coalition.working_groups())[0]
    await coalition.link_chat(BOSS, CHAT, 0, group.id, "Land chat")
    await coalition.link_chat(BOSS, CHAT, 3, group.id, "Topic")
    gone = await coalition.unlink_chat(BOSS, CHAT, 3)
    assert [c.thread_id for c in gone] == [3]
    assert [c.thread_id for c in await coalition.links_of(CHAT)] == [0]
    assert await coalition.unreachable(BOSS) == ([], [])
    assert [c.thread_id for c in await coalition.unlink_chat(0, CHAT, None)] == [0]
    assert await coalition.unreachable(BOSS) == ([], ["Land chat"])
    await coalition.link_chat(BOSS, CHAT, 0, group.id, "Land chat")
    assert await coalition.unreachable(BOSS) == ([], [])


async def test_a_person_who_blocked_the_bot_is_reachable_again_when_they_write(
    coalition: Coalition, clock: FakeClock
) -> None:
    await member(coalition)
    await coalition.mark_unreachable(REP)
    people, _ = await coalition.unreachable(BOSS)
    assert [(p.user_id, p.unreachable_since) for p in people] == [(REP, clock.now())]
    await coalition.seen(REP, "Sokha\nSam", "km")
    assert await coalition.unreachable(BOSS) == ([], [])
    person = await coalition.person(REP)
    assert person is not None
    assert person.display_name == "Sokha Sam"
    assert (await coalition.own_organisation(REP)) is not None
    assert await coalition.own_organisation(STRANGER) is None


async def test_coordinators_are_listed_and_promotion_reports_a_change(
    coalition: Coalition,
) -> None:
    await member(coalition)
    assert [p.user_id for p in await coalition.coordinators()] == [BOSS]
    assert await coalition.set_coordinator(BOSS, REP, True)
    assert not await coalition.set_coordinator(BOSS, REP, True)
    assert [p.user_id for p in await coalition.coordinators()] == [BOSS, REP]
    assert await coalition.set_coordinator(REP, BOSS, False)
    assert await coalition.role(BOSS) is Role.GUEST


async def test_an_inactive_organisations_representative_is_a_guest_until_reactivated(
    coalition: Coalition,
) -> None:
    org = (await member(coalition)).organisation.id
    await coalition.set_active(BOSS, org, False)
    assert await coalition.role(REP) is Role.GUEST
    await coalition.set_active(BOSS, org, True)
    assert await coalition.role(REP) is Role.MEMBER
    assert await coalition.remove_representative(BOSS, org, REP)
    assert await coalition.role(REP) is Role.GUEST
    assert not await coalition.remove_representative(BOSS, org, REP)


async def test_the_audit_log_is_newest_first_and_limited(coalition: Coalition) -> None:
    for short in ("A1", "A2", "A3"):
        await coalition.add_organisation(BOSS, short, f"{short} name")
    latest = await coalition.audit_log(BOSS, limit=2)
    assert len(latest) == 2
    assert latest[0].organisation == "A3"


async def test_groups_give_each_working_group_a_fresh_link_and_its_chats(
    coalition: Coalition,
) -> None:
    groups = await coalition.working_groups()
    await coalition.link_chat(BOSS, CHAT, 0, groups[0].id, "Land chat")
    await coalition.link_chat(BOSS, -7, 0, groups[0].id, "")  # Telegram gave no title
    await coalition.link_chat(BOSS, -8, 0, groups[1].id, "Other")
    with pytest.raises(NotAllowed):
        await coalition.group_links(REP)
    shown = await coalition.group_links(BOSS)
    links = shown.links
    assert (shown.page, shown.pages) == (0, 1)
    assert [link.group for link in links] == groups
    assert links[0].chats == ("Land chat", "-7")  # an untitled chat by its id
    assert links[1].chats == ("Other",)
    assert all(link.chats == () for link in links[2:])
    assert len({link.token for link in links}) == len(links)  # one token each
    assert all(looks_like_code(link.token) for link in links)


async def test_a_coordinator_adding_the_bot_with_a_groups_link_links_the_chat_once(
    coalition: Coalition, clock: FakeClock
) -> None:
    await member(coalition)
    first, second = (await coalition.group_links(BOSS)).links[:2]
    assert (await coalition.link_by_token(BOSS, CHAT, 0, "not a code!", "T")).result is (
        ByLink.INVALID
    )
    assert (await coalition.link_by_token(BOSS, CHAT, 0, "A" * 24, "T")) == LinkedByLink(
        ByLink.INVALID  # shaped like a code, but not one the bot made
    )
    refused = await coalition.link_by_token(REP, CHAT, 0, first.token, "T")
    assert refused == LinkedByLink(ByLink.NOT_COORDINATOR)
    assert await coalition.links_of(CHAT) == []  # the link is kept for a coordinator
    linked = await coalition.link_by_token(BOSS, CHAT, 4, first.token, "Land\nchat")
    assert linked == LinkedByLink(ByLink.LINKED, first.group)
    assert await coalition.links_of(CHAT) == [GroupChat(CHAT, 4, first.group.id, "Land chat")]
    again = await coalition.link_by_token(BOSS, -9, 0, first.token, "T")
    assert again == LinkedByLink(ByLink.USED)
    assert await coalition.links_of(-9) == []
    clock.current += coalition.invite_ttl  # expired at its time exactly
    late = await coalition.link_by_token(BOSS, -9, 0, second.token, "T")
    assert late == LinkedByLink(ByLink.EXPIRED)
    assert await coalition.links_of(-9) == []


async def test_the_audit_log_is_read_by_pages_with_the_names_behind_its_ids(
    coalition: Coalition,
) -> None:
    for short in ("A1", "A2", "A3"):
        await coalition.add_organisation(BOSS, short, f"{short} name")
    group = (await coalition.working_groups())[0]
    await coalition.link_chat(BOSS, CHAT, 0, group.id, "Land chat")
    with pytest.raises(NotAllowed):
        await coalition.audit_page(REP, 0)
    first = await coalition.audit_page(BOSS, 0, size=2)
    assert [e.action for e in first.entries] == ["link chat", "create invite"]
    assert (first.page, first.more) == (0, True)
    assert first.names.chats == {CHAT: "Land chat"}
    assert first.names.groups[group.id] == (group.name_en, group.name_km)
    assert await coalition.audit_page(BOSS, -3, size=2) == first  # no page before the first
    second = await coalition.audit_page(BOSS, 1, size=2)
    assert [e.organisation for e in second.entries] == ["A3", "A2"]
    assert (second.page, second.more) == (1, True)
    last = await coalition.audit_page(BOSS, 3, size=2)
    assert [e.organisation for e in last.entries] == ["A1"]
    assert (last.page, last.more) == (3, False)
    assert (await coalition.audit_page(BOSS, 0, size=7)).more is False  # exactly seven entries


async def test_an_audit_page_holds_fifteen_entries_unless_told_otherwise(
    coalition: Coalition,
) -> None:
    for n in range(11):  # two entries each: the organisation and its invite
        await coalition.add_organisation(BOSS, f"A{n:02}", "name")
    first = await coalition.audit_page(BOSS, 0)
    assert (len(first.entries), first.more) == (15, True)
    second = await coalition.audit_page(BOSS, 1)
    assert (len(second.entries), second.more) == (7, False)
    whole = await coalition.audit_page(BOSS, 0, size=30)
    assert (len(whole.entries), whole.more) == (22, False)
    assert whole.entries[:15] == first.entries


async def test_a_group_chat_speaks_its_topics_language_else_its_chats_else_the_default(
    coalition: Coalition, clock: FakeClock
) -> None:
    group = (await coalition.working_groups())[0]
    await coalition.link_chat(BOSS, CHAT, 0, group.id, "Land chat")
    await coalition.link_chat(BOSS, CHAT, 1, group.id, "Topic one")
    await coalition.link_chat(BOSS, CHAT, 7, group.id, "Topic seven")
    await coalition.link_chat(BOSS, -1, 0, group.id, "Other chat")
    assert await coalition.language_for(CHAT, 7) == "en"  # nothing chosen: the default
    await coalition.set_chat_language(BOSS, CHAT, 0, "km")
    await coalition.set_chat_language(BOSS, CHAT, 1, "en")
    assert await coalition.language_for(CHAT) == "km"  # the chat itself, not its topic 1
    assert await coalition.language_for(CHAT, 7) == "km"  # a topic without one: its chat's
    assert await coalition.language_for(CHAT, 9) == "km"  # a topic never linked: its chat's
    assert await coalition.language_for(CHAT, 1) == "en"
    assert await coalition.language_for(-1) == "en"  # another chat keeps the default
    assert await coalition.language_for(-2, 7) == "en"  # a chat never linked
    khmer_first = Coalition(coalition.repository, clock, coalition.invite_ttl, "km")
    assert await khmer_first.language_for(-1) == "km"
    assert await khmer_first.language_for(CHAT, 1) == "en"  # the topic's own, not the default


async def test_a_new_coordinator_keeps_the_language_given_else_gets_the_default(
    started: Services,
) -> None:
    coalition = started.coalition
    assert await coalition.set_coordinator(BOSS, 5, True, "km")  # never met: /promote in reply
    assert await coalition.set_coordinator(BOSS, 6, True)  # never met, no language known
    assert await started.users.language(5) == ("km", False)
    assert await started.users.language(6) == ("en", False)


async def test_the_coordinators_are_told_who_joined_by_first_name_else_display_name(
    started: Services, clock: FakeClock
) -> None:
    coalition = started.coalition
    first = await coalition.add_organisation(BOSS, "ADHOC", "ADHOC long name")
    second = await coalition.add_organisation(BOSS, "CCHR", "CCHR long name")
    joined = await coalition.redeem(REP, "Sokha Sam", "km", first.code, "Sokha")
    assert (joined.result, joined.short_name) == (Joined.JOINED, "ADHOC")
    assert (await coalition.redeem(6, "Dara\nChan", "en", second.code)).result is Joined.JOINED
    assert (await coalition.redeem(7, "Vanna", "en", "not a code")).result is Joined.INVALID
    told = await started.outbox.store.due(clock.now(), 10)
    assert [(d.chat_id, d.content.text) for d in told] == [
        (BOSS, "Sokha joined ADHOC. Which working groups is ADHOC in?"),
        (BOSS, "Dara Chan joined CCHR. Which working groups is CCHR in?"),
    ]


async def test_without_notices_an_invite_still_makes_its_representative(
    started: Services, clock: FakeClock
) -> None:
    quiet = Coalition(started.coalition.repository, clock, dt.timedelta(hours=1), "en")
    invite = await quiet.add_organisation(BOSS, "ADHOC", "ADHOC long name")
    joined = await quiet.redeem(REP, "Sokha\nSam", "km", invite.code, "Sokha")
    assert (joined.result, joined.short_name, joined.name) == (
        Joined.JOINED,
        "ADHOC",
        "ADHOC long name",
    )
    person = await quiet.person(REP)
    assert person is not None
    assert (person.organisation_id, person.display_name) == (invite.organisation.id, "Sokha Sam")
    assert await started.users.language(REP) == ("km", False)
    assert (await quiet.redeem(6, "X", "en", invite.code)).result is Joined.USED
    assert await started.outbox.store.due(clock.now(), 10) == []  # nobody told


async def test_erasing_an_organisation_withdraws_the_notice_naming_it_and_its_representative(
    started: Services, clock: FakeClock
) -> None:
    coalition = started.coalition
    adhoc = await member(coalition, "ADHOC")
    await member(coalition, "CCHR", user_id=6)
    await coalition.erase(BOSS, adhoc.organisation.id)
    told = await started.outbox.store.due(clock.now(), 10)
    assert [d.content.text for d in told] == [
        "Sokha joined CCHR. Which working groups is CCHR in?"
    ]


async def test_groups_come_twenty_a_page_the_page_clamped_into_range(
    coalition: Coalition,
) -> None:
    shipped = await coalition.working_groups()
    extra = [(f"extra{n}", f"Extra {n}", f"Extra {n}", []) for n in range(25 - len(shipped))]
    await coalition.repository.sync_working_groups(
        [(g.slug, g.name_en, g.name_km, []) for g in shipped] + extra
    )
    groups = await coalition.working_groups()
    assert len(groups) == 25
    first = await coalition.group_links(BOSS)  # the first page, twenty a page
    assert (first.page, first.pages) == (0, 2)
    assert [link.group for link in first.links] == groups[:20]
    second = await coalition.group_links(BOSS, 1)
    assert (second.page, [link.group for link in second.links]) == (1, groups[20:])
    assert (await coalition.group_links(BOSS, 9)).page == 1  # past the last: the last
    assert (await coalition.group_links(BOSS, -1)).page == 0
