"""Languages per person and per group chat: a person keeps their own language whatever their
role; a group chat's language is used for everything the bot posts there."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.domain.broadcast import Audience, AudienceKind
from bot.domain.text import is_khmer
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram
from tests.round_panel import confirmed, round_panel
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_round_notices_bot import notices
from tests.test_rounds_bot import coalition_with, link_land_group, open_round, rep

ENGLISH_GUEST: dict[str, Any] = {
    "id": 4001,
    "is_bot": False,
    "first_name": "Lina",
    "language_code": "en",
}
KHMER_GUEST: dict[str, Any] = {
    "id": 4002,
    "is_bot": False,
    "first_name": "Dara",
    "language_code": "km",
}
RUSSIAN_GUEST: dict[str, Any] = {
    "id": 4003,
    "is_bot": False,
    "first_name": "Ivan",
    "language_code": "ru",
}
GROUP_ID = -100500
assert GROUP["id"] == GROUP_ID
NEWCOMER: dict[str, Any] = {
    "id": 4004,
    "is_bot": False,
    "first_name": "Sophea",
    "language_code": "en",
}


async def test_a_seeded_or_promoted_coordinator_keeps_their_own_language(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path, default_language="km")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        services: Services = app.bot_data["services"]
        # Seeded from COORDINATOR_IDS, Telegram in English: what the bot sends first (notices)
        # is in English once the bot has heard from them, not the default stored over it.
        reply = await tg.reply_to(COORDINATOR, "/rounds")
        assert reply.text == "No assessment round yet."
        assert await services.language_of(COORDINATOR_ID, None) == "en"
        # Promoted in reply to one of their messages: their Telegram language (km or en, else
        # the default), stored for what the bot sends them first.
        for guest, expected in ((ENGLISH_GUEST, "en"), (KHMER_GUEST, "km"), (RUSSIAN_GUEST, "km")):
            said = {"message_id": 9, "date": 0, "chat": GROUP, "from": guest, "text": "hi"}
            reply = await tg.reply_to(COORDINATOR, "/promote", GROUP, reply_to_message=said)
            assert in_khmer(reply.text)  # the group's language: DEFAULT_LANGUAGE
            await tg.next_call("setMyCommands")
            assert await services.language_of(guest["id"], None) == expected, guest
        # Promoted by id before the bot ever heard from them: the default until they write.
        await tg.reply_to(COORDINATOR, "/promote 4004")
        assert await services.language_of(4004, None) == "km"
        await tg.reply_to(NEWCOMER, "/rounds")
        assert await services.language_of(4004, None) == "en"
        # A language chosen with /language survives demotion and promotion.
        await services.set_language(ENGLISH_GUEST["id"], "km")
        await tg.reply_to(COORDINATOR, f"/demote {ENGLISH_GUEST['id']}")
        await tg.reply_to(COORDINATOR, f"/promote {ENGLISH_GUEST['id']}")
        assert await services.language_of(ENGLISH_GUEST["id"], None) == "km"
        assert await services.language_of(ENGLISH_GUEST["id"], "en") == "km"


def in_khmer(text: str) -> bool:
    """Written in Khmer: more Khmer letters than Latin ones (names and numbers aside)."""
    khmer = sum(1 for c in text if is_khmer(c))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return khmer > latin


def in_english(text: str) -> bool:
    """Written in English: no Khmer letter at all."""
    return not any(is_khmer(c) for c in text)


@pytest.fixture
async def noticing_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot with round notices on, DEFAULT_LANGUAGE English."""
    settings = make_settings(tg, db_path, round_notices=True)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def test_a_khmer_group_chat_gets_khmer_while_its_english_members_stay_english(
    tg: FakeTelegram, noticing_bot: BotApplication
) -> None:
    bot = noticing_bot
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")  # their Telegram is in English
    await link_land_group(tg)
    said = await tg.reply_to(COORDINATOR, "/language ខ្មែរ", chat=GROUP)
    assert in_khmer(said.text)
    await open_round(tg, "c2 land", "Mid-term")
    # The opening notice: Khmer in the group, English to each representative.
    told = {chat: text for chat, text, _ in await notices(services, "round:1:opened")}
    assert in_khmer(told[GROUP_ID])
    assert in_english(told[reps[0]["id"]])
    assert in_english(told[reps[1]["id"]])
    for chat in told:  # as the outbox sends them
        call = await tg.next_call("sendMessage", chat_id=chat)
        assert call.params["text"] == told[chat]
    # Command replies in the group are the chat's, whoever (English) asks.
    for command in ("/rounds", "/strategy", "/grouprecs", "/results 1"):
        reply = await tg.reply_to(reps[0], command, chat=GROUP)
        assert in_khmer(reply.text), (command, reply.text)
    reply = await tg.reply_to(reps[0], "/openround c2 : Not mine", chat=GROUP)  # a refusal
    assert in_khmer(reply.text)
    # The rating cards are Khmer; a tap's answer and the private prompt are the member's.
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP_ID, call.result["message_id"])]
    assert in_khmer(card.text.split("\n")[-1])  # the count line (the text may be English)
    for _ in range(5):  # the other four cards and "N more: send /rate again"
        more = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert in_khmer(more.params["text"])
    answer = await press(tg, card, buttons(card)[0]["callback_data"], reps[0])
    assert in_english(answer)
    assert answer
    prompt = await tg.next_call("sendMessage", chat_id=reps[0]["id"])
    assert in_english(prompt.params["text"])
    # A button pressed in the group redraws its message in the chat's language.
    listing = await tg.reply_to(reps[1], "/find land", chat=GROUP)
    assert in_khmer(listing.text.split("\n")[0]), listing.text
    await press(tg, listing, buttons(listing)[-1]["callback_data"], reps[1])
    page = await edited(tg, listing)
    assert in_khmer(page.text.split("\n")[0]), page.text
    private = await tg.reply_to(reps[1], "/rounds")
    assert in_english(private.text)
    # Broadcasts and nudge digests reach the chat in its language (the chat is a recipient
    # with its language, as notices are).
    reach = await services.broadcasts.reach(COORDINATOR_ID, Audience(AudienceKind.CHATS))
    assert {(r.chat_id, r.language) for r in reach.recipients} == {(GROUP["id"], "km")}


async def test_an_english_group_chat_in_a_khmer_coalition(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path, default_language="km")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        khmer_rep = rep(7, "km")
        services: Services = app.bot_data["services"]
        invite = await services.coalition.add_organisation(COORDINATOR_ID, "ORG7", "Org 7")
        await services.coalition.join(khmer_rep["id"], "Dara", "km", invite.code)
        chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=GROUP)  # in the default
        await press(tg, chooser, button(chooser, "ដីធ្លី និងធនធានធម្មជាតិ"), COORDINATOR)
        reply = await tg.reply_to(khmer_rep, "/rounds", chat=GROUP)
        assert in_khmer(reply.text)  # not chosen: DEFAULT_LANGUAGE
        said = await tg.reply_to(COORDINATOR, "/language en", chat=GROUP)
        assert said.text == "This chat's language is now English."
        reply = await tg.reply_to(khmer_rep, "/rounds", chat=GROUP)
        assert in_english(reply.text)
        reply = await tg.reply_to(khmer_rep, "/rounds")
        assert in_khmer(reply.text)
        # Only a coordinator sets it, only in a linked chat; said in the chat's language.
        refused = await tg.reply_to(khmer_rep, "/language km", chat=GROUP)
        assert in_english(refused.text)
        assert await services.coalition.language_for(GROUP_ID) == "en"


async def test_the_invite_welcome_offers_both_languages_at_once(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    invite = await services.coalition.add_organisation(COORDINATOR_ID, "ADHOC", "Human Rights")
    welcome = await tg.reply_to(ENGLISH_GUEST, f"/start {invite.code}")
    assert welcome.text.startswith("Welcome! You now represent ADHOC (Human Rights)")
    assert welcome.text.endswith("Choose your language:")
    assert [b["text"] for b in buttons(welcome)] == ["English", "ខ្មែរ"]
    answer = await press(tg, welcome, button(welcome, "ខ្មែរ"), ENGLISH_GUEST)
    assert in_khmer(answer)
    confirmed = await tg.next_call("sendMessage", chat_id=ENGLISH_GUEST["id"])
    assert in_khmer(confirmed.params["text"])
    me = await tg.reply_to(ENGLISH_GUEST, "/me")
    assert in_khmer(me.text.replace("ADHOC", "").replace("Human Rights", ""))
    # A link that fails offers no buttons: there is nothing to welcome to.
    again = await tg.reply_to(KHMER_GUEST, f"/start {invite.code}")
    assert buttons(again) == []


async def test_audit_and_round_actions_read_in_the_readers_language(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    km = services.translations.localizer("km")
    await services.coalition.set_coordinator(COORDINATOR_ID, KHMER_GUEST["id"], True)
    await services.set_language(KHMER_GUEST["id"], "km")
    await tg.reply_to(KHMER_GUEST, "/start")  # the bot knows the Khmer coordinator's name
    await open_round(tg, "c2 118.1-118.3", "One")  # by the English coordinator
    panel = await round_panel(tg, 1, KHMER_GUEST)
    assert in_khmer(panel.text.replace("One", ""))
    answer, panel = await confirmed(
        tg, panel, km.gettext("Close"), km.gettext("Yes, close"), KHMER_GUEST
    )
    assert answer == km.gettext("Closed.")
    # The English coordinator reads the same round and the log in English…
    english_panel = await round_panel(tg, 1, COORDINATOR)
    assert in_english(english_panel.text)
    assert "closed" in english_panel.text
    log = await tg.reply_to(COORDINATOR, "/audit")
    assert "Dara · closed assessment round · round 1 «One»" in log.text
    assert "Coord · opened assessment round · round 1 «One»" in log.text
    assert in_english(log.text.replace("Dara", ""))
    # …the Khmer one in Khmer, whoever acted.
    log = await tg.reply_to(KHMER_GUEST, "/audit")
    assert f"Coord · {km.gettext('opened assessment round')}" in log.text
    assert f"Dara · {km.gettext('closed assessment round')}" in log.text
    assert "opened" not in log.text
