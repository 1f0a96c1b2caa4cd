"""Membership in fewer taps: /addorg answers with the invite and the working-group buttons;
coordinators are told when an invite is used ("Dara joined ADHOC — [Set working groups]"),
through the outbox, in their language, written with the redeem — a restart between the two
loses nothing."""

import hashlib
from pathlib import Path
from typing import Any

from bot.app import running
from bot.domain.outbox import Content
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_membership_bot import add_org

DARA = {
    "id": 555,
    "is_bot": False,
    "first_name": "Dara",
    "last_name": "Chanthou",
    "language_code": "km",
}
KHMER_COORDINATOR_ID = 112


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def joined_notices(services: Services) -> list[tuple[int, Content]]:
    """(chat, content) of every "… joined …" delivery, by chat."""
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference LIKE 'joined:%' ORDER BY chat_id"
    ) as cursor:
        return [(int(r[0]), Content.from_json(r[1])) for r in await cursor.fetchall()]


async def next_private(tg: FakeTelegram, user_id: int) -> StoredMessage:
    call = await tg.next_call("sendMessage", chat_id=user_id)
    assert call.error is None, call.error
    return tg.messages[(user_id, call.result["message_id"])]


async def test_addorg_answers_with_the_invite_and_the_working_group_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await tg.send("/addorg ADHOC Cambodian Human Rights Association", user=COORDINATOR)
    invite = await next_private(tg, COORDINATOR_ID)
    assert "https://t.me/upr_test_bot?start=" in invite.text
    assert [b["text"] for b in buttons(invite)] == ["Revoke this invite"]  # forwardable as is
    groups = await next_private(tg, COORDINATOR_ID)
    assert groups.text == "Working groups of ADHOC: tap to add or remove."
    # Several at once, then Done: the organisation's panel lists them.
    for name in ("Land and natural resources", "Labour rights"):
        await press(tg, groups, button(groups, name), COORDINATOR)
        groups = await edited(tg, groups)
    ticked = [b["text"] for b in buttons(groups) if b["text"].startswith("✓ ")]
    assert ticked == ["✓ Land and natural resources", "✓ Labour rights"]
    await press(tg, groups, button(groups, "Done"), COORDINATOR)
    panel = await edited(tg, groups)
    assert "Land and natural resources; Labour rights" in panel.text
    org = (await services_of(bot).coalition.repository.organisations())[0]
    assert len(org.group_ids) == 2

    # In Khmer too.
    await services_of(bot).set_language(COORDINATOR_ID, "km")
    await tg.send("/addorg CCHR Cambodian Center for Human Rights", user=COORDINATOR)
    await next_private(tg, COORDINATOR_ID)
    groups = await next_private(tg, COORDINATOR_ID)
    assert groups.text == "ក្រុមការងាររបស់ CCHR៖ ចុចដើម្បីបន្ថែម ឬដកចេញ។"
    assert "ដីធ្លី និងធនធានធម្មជាតិ" in [b["text"] for b in buttons(groups)]


async def test_a_used_invite_tells_each_coordinator_in_their_language(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await services.coalition.set_coordinator(COORDINATOR_ID, KHMER_COORDINATOR_ID, True)
    await services.set_language(KHMER_COORDINATOR_ID, "km")
    _, code = await add_org(tg)
    await tg.send(f"/start {code}", user=DARA)
    told = {}
    for user_id in (COORDINATOR_ID, KHMER_COORDINATOR_ID):
        told[user_id] = await next_private(tg, user_id)
    assert told[COORDINATOR_ID].text == "Dara joined ADHOC. Which working groups is ADHOC in?"
    assert told[KHMER_COORDINATOR_ID].text.startswith("Dara បានចូលជាតំណាងរបស់ ADHOC")
    assert "Chanthou" not in told[COORDINATOR_ID].text  # the first name only
    assert button(told[KHMER_COORDINATOR_ID], "កំណត់ក្រុមការងារ") == "ow:1"
    # Written with the redeem: one per coordinator, and a used code tells nobody again.
    assert [chat for chat, _ in await joined_notices(services)] == [111, 112]
    welcome = await next_private(tg, DARA["id"])
    assert welcome.text.startswith("សូមស្វាគមន៍!")
    for refused in (code, "A" * 24):
        await tg.send(f"/start {refused}", user=COORDINATOR)
        await next_private(tg, COORDINATOR_ID)
    assert len(await joined_notices(services)) == 2

    # [Set working groups] opens the organisation's groups; only coordinators may press it.
    notice = told[COORDINATOR_ID]
    assert await press(tg, notice, "ow:1", DARA) == "មានតែអ្នកសម្របសម្រួលទេ ដែលអាចធ្វើការនេះបាន។"
    await press(tg, notice, button(notice, "Set working groups"), COORDINATOR)
    groups = await edited(tg, notice)
    assert groups.text == "Working groups of ADHOC: tap to add or remove."
    await press(tg, groups, button(groups, "Land and natural resources"), COORDINATOR)
    await edited(tg, groups)
    org = await services.coalition.repository.organisation(1)
    assert len(org.group_ids) == 1


async def test_the_notice_of_a_used_invite_survives_a_restart_before_its_delivery(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    limiter = loose_limiter()
    async with running(settings, clock, poll_timeout=1, limiter=limiter, stop_grace=0.1) as first:
        _, code = await add_org(tg)
        tg.stall("sendMessage")  # Telegram hangs: nothing the bot sends arrives
        await tg.send(f"/start {code}", user=DARA)
        await tg.stalled("sendMessage", 2)  # the welcome and the coordinator's notice
        assert len(await joined_notices(services_of(first))) == 1
    tg.abandon("sendMessage")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()):
        notice = await next_private(tg, COORDINATOR_ID)
        assert notice.text == "Dara joined ADHOC. Which working groups is ADHOC in?"
        assert button(notice, "Set working groups") == "ow:1"


NEW_GROUP = {"id": -100777, "type": "supergroup", "title": "Land WG Battambang"}
OTHER_GROUP = {"id": -100778, "type": "supergroup", "title": "Somewhere else"}


async def added_with(
    tg: FakeTelegram, chat: dict[str, Any], user: dict[str, Any], token: str
) -> StoredMessage:
    """`user` adds the bot to `chat` with a startgroup link: Telegram sends /start <token>."""
    return await tg.reply_to(user, f"/start@upr_test_bot {token}", chat=chat)


async def test_a_working_groups_link_adds_the_bot_and_links_the_chat_in_one_step(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock, db_path: Path
) -> None:
    services = services_of(bot)
    await tg.send("/groups", user=COORDINATOR)
    listing = await next_private(tg, COORDINATOR_ID)
    assert listing.text.startswith("<b>Working groups and their chats</b>\n• Gender")
    assert "• Land and natural resources: no chat yet" in listing.text
    tokens = {b["text"]: b["url"].rpartition("=")[2] for b in buttons(listing)}
    land = tokens["➕ Land and natural resources"]
    assert buttons(listing)[5]["url"] == f"https://t.me/upr_test_bot?startgroup={land}"
    # Stored only as SHA-256, like invite codes.
    await services.database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert land.encode() not in raw
    assert hashlib.sha256(land.encode()).hexdigest().encode() in raw

    # The coordinator adds the bot with it: the chat is linked at once.
    await tg.bot_membership(NEW_GROUP, by=COORDINATOR, old="left", new="member")
    await next_private(tg, COORDINATOR_ID)  # "I was added to the group …"
    reply = await added_with(tg, NEW_GROUP, COORDINATOR, land)
    assert (
        reply.text
        == "This chat is now the chat of the working group «Land and natural resources»."
    )
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    assert await services.coalition.linked_group(NEW_GROUP["id"], 0) == groups["land"]
    entries = await services.coalition.audit_log(COORDINATOR_ID)
    assert (entries[0].action.value, entries[0].actor_id) == ("link chat", COORDINATOR_ID)

    # Used once; forged or mistyped links link nothing.
    for token, answer in (
        (land, "This link to add me was already used."),
        ("A" * 24, "This link to add me is not valid."),
        ("x", "This link to add me is not valid."),
    ):
        reply = await added_with(tg, OTHER_GROUP, COORDINATOR, token)
        assert reply.text.startswith(answer), reply.text
    assert await services.coalition.linked_group(OTHER_GROUP["id"], 0) is None

    # Someone who is not a coordinator (here in Khmer): refused in the chat's language (the
    # default, English: everyone in the group reads it), the link stays usable.
    labour = tokens["➕ Labour rights"]
    reply = await added_with(tg, OTHER_GROUP, DARA, labour)
    assert reply.text.startswith("Only a coordinator can link this chat")
    assert await services.coalition.linked_group(OTHER_GROUP["id"], 0) is None
    reply = await added_with(tg, OTHER_GROUP, COORDINATOR, labour)
    assert reply.text == "This chat is now the chat of the working group «Labour rights»."

    # Links expire with INVITE_TTL_HOURS; /groups then lists the chats linked.
    clock.advance(hours=73)
    reply = await added_with(tg, OTHER_GROUP, COORDINATOR, tokens["➕ Elections"])
    assert reply.text.startswith("This link to add me has expired.")
    listing = await tg.reply_to(COORDINATOR, "/groups")
    assert "• Land and natural resources: «Land WG Battambang»" in listing.text


async def test_the_groups_listing_is_for_coordinators_in_khmer_too_and_survives_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as first:
        await services_of(first).set_language(COORDINATOR_ID, "km")
        listing = await tg.reply_to(COORDINATOR, "/groups")
        assert listing.text.startswith("<b>ក្រុមការងារ និងក្រុមជជែករបស់ពួកវា</b>")
        assert "ដីធ្លី និងធនធានធម្មជាតិ: មិនទាន់មានក្រុមជជែក" in listing.text
        token = {b["text"]: b["url"].rpartition("=")[2] for b in buttons(listing)}[
            "➕ ដីធ្លី និងធនធានធម្មជាតិ"
        ]
        refused = await tg.reply_to(DARA, "/groups")
        assert refused.text == "មានតែអ្នកសម្របសម្រួលទេ ដែលអាចធ្វើការនេះបាន។"
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as again:
        reply = await added_with(tg, NEW_GROUP, COORDINATOR, token)  # in the chat's language
        assert (
            reply.text
            == "This chat is now the chat of the working group «Land and natural resources»."
        )
        assert await services_of(again).coalition.linked_group(NEW_GROUP["id"], 0) is not None
