"""Membership end to end: invites, roles, organisations, group chats — and the attacks on them."""

import re
from pathlib import Path

import pytest

from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    GROUP,
    KHMER_MEMBER,
    MEMBER,
    FakeClock,
    make_settings,
    until,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press

GUEST = {"id": 444, "is_bot": False, "first_name": "Vanna", "language_code": "en"}


async def add_org(tg: FakeTelegram, short: str = "ADHOC") -> tuple[StoredMessage, str]:
    reply = await tg.reply_to(COORDINATOR, f"/addorg {short} Cambodian Human Rights Association")
    match = re.search(r"https://t\.me/upr_test_bot\?start=([A-Za-z0-9_-]+)", reply.text)
    assert match, reply.text
    groups = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])  # its working groups
    assert "tap to add or remove" in groups.params["text"]
    return reply, match.group(1)


async def join(tg: FakeTelegram, user: dict, code: str) -> StoredMessage:  # type: ignore[type-arg]
    """A representative opens the invite; the coordinator is told (tests/test_membership_notices_bot.py)."""
    welcome = await tg.reply_to(user, f"/start {code}")
    told = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert told.params["text"].startswith(f"{user['first_name']} joined ")
    return welcome


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def test_invite_makes_a_representative_once(tg: FakeTelegram, bot: BotApplication) -> None:
    invite, code = await add_org(tg)
    assert invite.text.startswith("<b>Invite for ADHOC</b>")
    assert "Valid once, until" in invite.text
    assert buttons(invite) == [{"text": "Revoke this invite", "callback_data": "iv:1"}]
    welcome = await tg.reply_to(MEMBER, f"/start {code}")
    assert welcome.text.startswith("Welcome! You now represent ADHOC (Cambodian Human Rights")
    me = await tg.reply_to(MEMBER, "/me")
    assert "You represent ADHOC (Cambodian Human Rights Association)." in me.text
    reused = await tg.reply_to(GUEST, f"/start {code}")
    assert (
        reused.text == "This invite link has already been used. Ask a coordinator for a new one."
    )
    me = await tg.reply_to(GUEST, "/me")
    assert "You are a guest" in me.text
    stored = await services_of(bot).coalition.repository.person(GUEST["id"])
    assert stored is None  # guests leave nothing behind


async def test_expired_guessed_and_revoked_codes(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    invite, code = await add_org(tg)
    clock.advance(hours=73)
    reply = await tg.reply_to(MEMBER, f"/start {code}")
    assert reply.text == "This invite link has expired. Ask a coordinator for a new one."
    for guess in ("A" * 24, code[:-1] + ("A" if code[-1] != "A" else "B"), "x", "'; DROP TABLE--"):
        reply = await tg.reply_to(MEMBER, f"/start {guess}")
        assert reply.text.startswith("This invite link is not valid."), guess
    fresh, code2 = await add_org(tg, "LICADHO")
    assert (
        await press(tg, fresh, button(fresh, "Revoke this invite"), COORDINATOR)
        == "Invite revoked."
    )
    revoked = await edited(tg, fresh)
    assert revoked.text.endswith("<b>Revoked.</b>")
    reply = await tg.reply_to(MEMBER, f"/start {code2}")
    assert reply.text == "This invite link was cancelled. Ask a coordinator for a new one."
    # A member pressing a forwarded revoke button changes nothing.
    assert (
        await press(tg, tg.carrying(invite, "iv:1"), "iv:1", MEMBER)
        == "Only coordinators can do this."
    )
    me = await tg.reply_to(MEMBER, "/me")
    assert "You are a guest" in me.text


async def test_khmer_reader_joins_in_khmer(tg: FakeTelegram, bot: BotApplication) -> None:
    _, code = await add_org(tg)
    welcome = await tg.reply_to(KHMER_MEMBER, f"/start {code}")
    assert welcome.text.startswith("សូមស្វាគមន៍! ឥឡូវនេះ អ្នកជាតំណាងរបស់ ADHOC")
    me = await tg.reply_to(KHMER_MEMBER, "/me")
    assert "អ្នកជាតំណាងរបស់ ADHOC" in me.text
    reply = await tg.reply_to(KHMER_MEMBER, f"/start {code}")
    assert reply.text.startswith("លិង្កអញ្ជើញនេះត្រូវបានប្រើរួចហើយ")


async def test_one_person_one_organisation(tg: FakeTelegram, bot: BotApplication) -> None:
    _, code = await add_org(tg, "ADHOC")
    _, code2 = await add_org(tg, "CCHR")
    await tg.reply_to(MEMBER, f"/start {code}")
    reply = await tg.reply_to(MEMBER, f"/start {code2}")
    assert reply.text.startswith("You already represent ADHOC.")


async def test_guests_cannot_act_as_coordinators(tg: FakeTelegram, bot: BotApplication) -> None:
    await add_org(tg)
    for command in (
        "/addorg X Y",
        "/orgs",
        "/promote 444",
        "/demote 111",
        "/audit",
        "/unreachable",
    ):
        reply = await tg.reply_to(GUEST, command)
        assert reply.text == "Only coordinators can do this.", command
    assert "/addorg" not in await tg.full_help(GUEST)
    assert "/addorg" in await tg.full_help(COORDINATOR, parts=2)  # it takes two messages
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    for forged in ("og:1", "ox:1", "oa:1:0", "ou:1:111", "ot:1:1", "oi:1", "om"):
        assert (
            await press(tg, tg.carrying(listing, forged), forged, GUEST)
            == "Only coordinators can do this."
        )
    assert len(await services_of(bot).coalition.repository.organisations()) == 1


async def test_coordinator_manages_an_organisation(tg: FakeTelegram, bot: BotApplication) -> None:
    _, code = await add_org(tg)
    await join(tg, MEMBER, code)
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    assert listing.text == "1 member organisation. Tap one to manage it."
    await press(tg, listing, button(listing, "ADHOC (1)"), COORDINATOR)
    panel = await edited(tg, listing)
    assert "Sokha · 222" in panel.text
    # Working groups
    await press(tg, panel, button(panel, "Working groups"), COORDINATOR)
    groups = await edited(tg, panel)
    await press(tg, groups, button(groups, "Land and natural resources"), COORDINATOR)
    groups = await edited(tg, groups)
    assert "✓ Land and natural resources" in [b["text"] for b in buttons(groups)]
    await press(tg, groups, button(groups, "Done"), COORDINATOR)
    panel = await edited(tg, groups)
    assert "Land and natural resources" in panel.text
    me = await tg.reply_to(MEMBER, "/me")
    assert "Working groups: Land and natural resources" in me.text
    # Deactivate: the representative is a guest until reactivated.
    await press(tg, panel, button(panel, "Deactivate"), COORDINATOR)
    panel = await edited(tg, panel)
    assert "Inactive" in panel.text
    assert await services_of(bot).coalition.role(MEMBER["id"]) == "guest"
    await press(tg, panel, button(panel, "Reactivate"), COORDINATOR)
    panel = await edited(tg, panel)
    assert await services_of(bot).coalition.role(MEMBER["id"]) == "member"
    # Remove the representative.
    await press(tg, panel, button(panel, "Remove a representative"), COORDINATOR)
    reps = await edited(tg, panel)
    await press(
        tg,
        tg.carrying(reps, buttons(reps)[0]["callback_data"]),
        buttons(reps)[0]["callback_data"],
        COORDINATOR,
    )
    panel = await edited(tg, reps)
    assert "none yet: send them an invite" in panel.text
    me = await tg.reply_to(MEMBER, "/me")
    assert "You are a guest" in me.text


async def test_erasing_an_organisation_asks_first_and_leaves_no_name(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    _, code = await add_org(tg)
    await join(tg, MEMBER, code)
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    await press(tg, listing, button(listing, "ADHOC (1)"), COORDINATOR)
    panel = await edited(tg, listing)
    await press(tg, panel, button(panel, "Erase all its data…"), COORDINATOR)
    confirm = await edited(tg, panel)
    assert confirm.text.startswith("Erase ADHOC entirely?")
    assert confirm.text.endswith(  # erasure cannot reach into backups already taken
        "Backups already taken still hold its data; the last of them is deleted after 14 days."
    )
    await press(tg, confirm, button(confirm, "Cancel"), COORDINATOR)
    panel = await edited(tg, confirm)
    assert panel.text.startswith("<b>ADHOC</b>")
    await press(tg, panel, button(panel, "Erase all its data…"), COORDINATOR)
    confirm = await edited(tg, panel)
    assert await press(tg, confirm, button(confirm, "Yes, erase ADHOC"), COORDINATOR) == "Erased."
    done = await edited(tg, confirm)
    assert done.text.startswith("Cambodian Human Rights Association and all its data were erased.")
    repository = services_of(bot).coalition.repository
    assert await repository.organisations() == []
    person = await repository.person(MEMBER["id"])
    assert person is not None
    assert (person.organisation_id, person.display_name) == (None, "")
    log = (await tg.reply_to(COORDINATOR, "/audit")).text
    assert "erased organisation" in log
    assert "ADHOC" not in log
    assert "Cambodian Human Rights Association" not in log
    assert (
        await press(tg, tg.carrying(confirm, "og:1"), "og:1", COORDINATOR)
        == "This organisation no longer exists."
    )


async def test_a_button_for_a_working_group_or_round_that_does_not_exist_is_answered(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    added = await tg.reply_to(COORDINATOR, "/addorg NEWO New organisation")
    forged = "ot:1:999"
    assert (
        await press(tg, tg.carrying(added, forged), forged, COORDINATOR)
        == "This working group no longer exists."
    )
    # So is a forged "rate in this round" button for a round that does not exist.
    assert (
        await press(tg, tg.carrying(added, "rr:999"), "rr:999", COORDINATOR)
        == "This round no longer exists."
    )


async def test_promote_demote_and_the_last_coordinator(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await tg.reply_to(COORDINATOR, "/demote 111")
    assert reply.text == "You cannot remove the last coordinator: promote someone else first."
    reply = await tg.reply_to(COORDINATOR, "/promote 222")
    assert reply.text == "222 is now a coordinator."
    assert "addorg" in tg.menu(MEMBER, language="km")  # the coordinator menu, in each language
    assert "addorg" in tg.menu(MEMBER)
    assert "You are a coordinator." in (await tg.reply_to(MEMBER, "/me")).text
    reply = await tg.reply_to(MEMBER, "/demote 111")
    assert reply.text == "111 is no longer a coordinator."
    reply = await tg.reply_to(COORDINATOR, "/promote 111")
    assert reply.text == "Only coordinators can do this."
    reply = await tg.reply_to(MEMBER, "/demote 222")
    assert reply.text.startswith("You cannot remove the last coordinator")
    reply = await tg.reply_to(MEMBER, "/promote")
    assert reply.text.startswith("Give the person's Telegram id")


async def test_demotion_survives_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    from bot.app import running

    async with running(make_settings(tg, db_path), clock, poll_timeout=1):
        await tg.reply_to(COORDINATOR, "/promote 222")
        await tg.reply_to(MEMBER, "/demote 111")
    async with running(make_settings(tg, db_path), clock, poll_timeout=1):
        reply = await tg.reply_to(COORDINATOR, "/orgs")
        assert reply.text == "Only coordinators can do this."


async def test_group_chats_are_linked_by_the_coordinator_who_asked(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await tg.bot_membership(GROUP, by=COORDINATOR, old="left", new="member")
    note = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert note.params["text"].startswith("I was added to the group «Land working group».")
    reply = await tg.reply_to(MEMBER, "/linkgroup", chat=GROUP)
    assert reply.text == "Only coordinators can do this."
    chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=GROUP)
    land = button(chooser, "Land and natural resources")
    assert land == "lg:6"
    assert (
        await press(tg, tg.carrying(chooser, land), land, MEMBER)
        == "Only coordinators can do this."
    )
    # Another coordinator cannot press the buttons one coordinator asked for in a group.
    await tg.reply_to(COORDINATOR, f"/promote {GUEST['id']}")
    assert await press(tg, tg.carrying(chooser, land), land, GUEST) == (
        "This button is for the coordinator who asked for it."
    )
    await press(tg, tg.carrying(chooser, land), land, COORDINATOR)
    linked = await edited(tg, chooser)
    assert (
        linked.text
        == "This chat is now the chat of the working group «Land and natural resources»."
    )
    repository = services_of(bot).coalition.repository
    assert [(c.chat_id, c.thread_id, c.working_group_id) for c in await repository.chats()] == [
        (GROUP["id"], 0, 6)
    ]

    # A forum topic of another supergroup links on its own.
    forum = {"id": -100777, "type": "supergroup", "title": "Coalition", "is_forum": True}
    chooser = await tg.reply_to(
        COORDINATOR, "/linkgroup", chat=forum, message_thread_id=5, is_topic_message=True
    )
    await press(tg, chooser, button(chooser, "Labour rights"), COORDINATOR)
    await edited(tg, chooser)
    assert (forum["id"], 5, 10) in [
        (c.chat_id, c.thread_id, c.working_group_id) for c in await repository.chats()
    ]

    # The group becomes a supergroup: a new chat id, the same link.
    await tg.push_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": GROUP["id"], "type": "group", "title": "Land"},
                "from": COORDINATOR,
                "migrate_to_chat_id": -100900,
            }
        }
    )

    # The group's update and a private one are handled side by side: wait for the link to move.
    async def moved_link() -> bool:
        chats = await repository.chats()
        return (-100900, 0, 6) in [(c.chat_id, c.thread_id, c.working_group_id) for c in chats]

    await until(moved_link, "the link following the group to its supergroup")
    assert GROUP["id"] not in [c.chat_id for c in await repository.chats()]
    reply = await tg.reply_to(COORDINATOR, "/help")
    assert "/linkgroup" not in reply.text  # a coordinator's private help: none of the groups'

    # The bot is removed: the link goes, and coordinators are told which group lost its chat.
    moved = {"id": -100900, "type": "supergroup", "title": "Land working group"}
    await tg.bot_membership(moved, by=COORDINATOR, old="member", new="kicked")
    note = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert note.params["text"] == (
        "I was removed from the group «Land working group». It is no longer linked to: Land "
        "and natural resources."
    )
    assert -100900 not in [c.chat_id for c in await repository.chats()]


async def test_unreachable_members_are_marked_and_listed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    _, code = await add_org(tg)
    await join(tg, MEMBER, code)
    tg.blocked.add(MEMBER["id"])
    await tg.send("/me", user=MEMBER)
    refused = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    assert refused.error is not None
    reply = await tg.reply_to(COORDINATOR, "/unreachable")
    assert "Sokha · 222 · ⚠ blocked the bot on" in reply.text
    tg.blocked.clear()
    await tg.reply_to(MEMBER, "/me")  # writing again makes them reachable
    reply = await tg.reply_to(COORDINATOR, "/unreachable")
    assert reply.text == "Everyone can be reached."


@pytest.fixture
async def strict_bot(tg: FakeTelegram, db_path: Path, clock: FakeClock):  # type: ignore[no-untyped-def]
    from bot.app import running

    async with running(
        make_settings(tg, db_path, rate_limit_per_minute=3), clock, poll_timeout=1
    ) as app:
        yield app


async def test_one_account_cannot_flood_the_bot(
    tg: FakeTelegram, strict_bot: BotApplication
) -> None:
    for text in ("118.1", "118.2", "118.3"):
        reply = await tg.reply_to(MEMBER, text)
        assert reply.text.startswith(f"<b>{text}</b>")
    warning = await tg.reply_to(MEMBER, "118.4")
    assert warning.text == "You are sending too fast. Please wait a minute and try again."
    await tg.send("118.5", user=MEMBER)  # silently dropped: no second warning
    other = await tg.reply_to(KHMER_MEMBER, "118.6")  # other users are not affected
    assert other.text.startswith("<b>118.6</b>")
    assert all(not c.params.get("text", "").startswith("<b>118.5") for c in tg.calls)


async def test_the_flood_limit_lifts_when_the_clock_moves_on(
    tg: FakeTelegram, strict_bot: BotApplication, clock: FakeClock
) -> None:
    for text in ("118.1", "118.2", "118.3"):
        await tg.reply_to(MEMBER, text)
    warning = await tg.reply_to(MEMBER, "118.4")
    assert warning.text == "You are sending too fast. Please wait a minute and try again."
    clock.advance(seconds=61)  # the limit reads the injected clock: no test sleeps a minute
    reply = await tg.reply_to(MEMBER, "118.5")
    assert reply.text.startswith("<b>118.5</b>")


async def test_membership_details_stay_out_of_group_chats(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    for command in ("/orgs", "/audit", "/unreachable"):
        reply = await tg.reply_to(COORDINATOR, command, chat=GROUP)
        assert reply.text == "For privacy, this is shown only in a private chat with me."


async def test_audit_log_lists_coordinator_actions(tg: FakeTelegram, bot: BotApplication) -> None:
    await add_org(tg)
    await tg.reply_to(COORDINATOR, "/promote 222")
    log = await tg.reply_to(COORDINATOR, "/audit")
    lines = log.text.split("\n")
    assert lines[0] == "<b>Latest coordinator actions</b>"
    assert "(Phnom Penh) · Coord · made coordinator · someone (id 222)" in lines[1]
    assert "(Phnom Penh) · Coord · created invite · ADHOC" in lines[2]
    assert "· Coord · added organisation · ADHOC · Cambodian Human Rights Association" in lines[3]
