"""Languages per person and per group chat: a person keeps their own language whatever their
role; a group chat's language is used for everything the bot posts there."""

from pathlib import Path
from typing import Any

from bot.app import running
from bot.services import Services
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram

ENGLISH_GUEST: dict[str, Any] = {"id": 4001, "is_bot": False, "first_name": "Lina", "language_code": "en"}
KHMER_GUEST: dict[str, Any] = {"id": 4002, "is_bot": False, "first_name": "Dara", "language_code": "km"}
RUSSIAN_GUEST: dict[str, Any] = {"id": 4003, "is_bot": False, "first_name": "Ivan", "language_code": "ru"}
NEWCOMER: dict[str, Any] = {"id": 4004, "is_bot": False, "first_name": "Sophea", "language_code": "en"}


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
            assert reply.text.endswith("is now a coordinator.")
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
