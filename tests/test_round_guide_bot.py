"""Opening a round through buttons: /openround alone (or ➕ New round in /rounds) asks for the
cycle, the response, the themes, the closing date and the name, one step at a time, keeps each
step in the round's draft (a restart loses nothing), refuses a button of another step, and ends
in the same preview with [Open] [Cancel] as the typed scope."""

from pathlib import Path

from bot.app import running
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.round_panel import labels
from tests.test_lookup_bot import button, edited, press
from tests.test_round_opening_bot import rounds_in
from tests.test_rounds_bot import coalition_with

LAND = "Land and natural resources"


async def step(tg: FakeTelegram, message: StoredMessage, label: str) -> StoredMessage:
    """Press a button of the guide: the message redrawn as the next step."""
    assert await press(tg, message, button(message, label), COORDINATOR) == ""
    return await edited(tg, message)


async def test_a_round_opened_through_buttons_ends_in_the_typed_preview(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 2, "land")
    guide = await tg.reply_to(COORDINATOR, "/openround")
    assert guide.text == "<b>New round</b>\nStep 1 of 5: which cycle?"
    assert labels(guide) == ["Cycle 2", "Cycle 1", "✖ Cancel"]
    guide = await step(tg, guide, "Cycle 2")
    assert guide.text == "<b>New round</b>\nCycle 2\nStep 2 of 5: which recommendations?"
    guide = await step(tg, guide, "✅ Accepted")
    assert guide.text.endswith("Step 3 of 5: which themes? Tap one or several, then Done.")
    guide = await step(tg, guide, LAND)
    assert f"✓ {LAND}" in labels(guide)
    guide = await step(tg, guide, "Done")
    assert guide.text == (
        "<b>New round</b>\nCycle 2 · ✅ Accepted · Land and natural resources\n"
        "Step 4 of 5: when does the round close? (end of that day, Phnom Penh)"
    )
    assert labels(guide)[:3] == [
        "2 weeks: December 7, 2026",
        "1 month: December 23, 2026",
        "3 months: February 23, 2027",
    ]
    guide = await step(tg, guide, "Type a date")
    assert guide.text.endswith(
        "Step 4 of 5: send the closing date as YEAR-MONTH-DAY, for example 2027-03-31."
    )
    # A date that has passed is refused, the step stays.
    again = await tg.reply_to(COORDINATOR, "2020-01-01")
    assert again.text.startswith("The closing date 2020-01-01 has already passed")
    named = await tg.reply_to(COORDINATOR, "2027-03-31")
    assert named.text.endswith("Step 5 of 5: send the round's name, or use the one offered.")
    assert "closes March 31, 2027 (Phnom Penh)" in named.text
    preview = await tg.reply_to(COORDINATOR, "Mid-term review")
    # The same preview as /openround c2 land accepted until 2027-03-31 : Mid-term review
    assert preview.text == (
        "<b>Open this round?</b>\n«Mid-term review»\n"
        "Cycle 2 · Land and natural resources · ✅ Accepted · "
        "closes March 31, 2027 (Phnom Penh) · 10 recommendations"
    )
    assert labels(preview) == ["Open", "Cancel", "📌 Open and pin in groups"]
    assert await rounds_in(bot) == []
    assert await press(tg, preview, button(preview, "Open"), COORDINATOR) == ""
    opened = await edited(tg, preview)
    assert opened.text.startswith("Round 1 «Mid-term review» is open: 10 recommendations")
    assert await rounds_in(bot) == ["Mid-term review"]


async def test_the_guide_survives_a_restart_and_refuses_a_button_of_another_step(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        await coalition_with(bot, 1)
        guide = await tg.reply_to(COORDINATOR, "/openround")
        cycle_1 = button(guide, "Cycle 1")
        guide = await step(tg, guide, "Cycle 2")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        guide = await step(tg, guide, "All responses")
        # The first step's button, on an older copy of the message, is refused.
        stale = await press(tg, tg.carrying(guide, cycle_1), cycle_1, COORDINATOR)
        assert stale == (
            "This button belongs to an earlier step or to a round already opened or cancelled: "
            "send /openround again."
        )
        # A theme that was never offered (forged data) too.
        draft = button(guide, "✖ Cancel").split(":")[1]
        forged = f"rg:{draft}:t:99999"
        assert (await press(tg, tg.carrying(guide, forged), forged, COORDINATOR)).startswith(
            "This button belongs to an earlier step"
        )
        guide = await step(tg, guide, "All themes")
        guide = await step(tg, guide, "2 weeks: December 7, 2026")
        offered = next(label for label in labels(guide) if label.startswith("Use «"))
        assert offered == "Use «Cycle 2, November 2026»"
        old = button(guide, offered)
        preview = await step(tg, guide, offered)
        assert preview.text.startswith(
            "<b>Open this round?</b>\n«Cycle 2, November 2026»\nCycle 2 · "
        )
        assert "closes December 7, 2026 (Phnom Penh)" in preview.text
        # The finished guide's buttons are gone; an old one says so.
        assert (await press(tg, tg.carrying(preview, old), old, COORDINATOR)).startswith(
            "This button belongs to an earlier step"
        )
        await press(tg, preview, button(preview, "Open"), COORDINATOR)
        await edited(tg, preview)
        assert await rounds_in(bot) == ["Cycle 2, November 2026"]
    assert tg.unconsumed_errors() == []


async def test_new_round_from_rounds_in_khmer_and_cancel(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await services.set_language(COORDINATOR["id"], "km")
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert labels(listing) == ["➕ វគ្គវាយតម្លៃថ្មី"]
    assert await press(tg, listing, button(listing, "➕ វគ្គវាយតម្លៃថ្មី"), COORDINATOR) == ""
    call = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    guide = tg.messages[(COORDINATOR["id"], call.result["message_id"])]
    assert guide.text == "<b>វគ្គវាយតម្លៃថ្មី</b>\nជំហានទី១ នៃ ៥៖ តើជុំណា?"
    guide = await step(tg, guide, "ជុំទី២")
    guide = await step(tg, guide, "✖ បោះបង់")
    assert guide.text == "បានបោះបង់៖ មិនបានបើកវគ្គវាយតម្លៃទេ។"
    assert await rounds_in(bot) == []


async def test_the_name_offered_is_in_the_coordinators_language(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1)
    await services.set_language(COORDINATOR["id"], "km")
    guide = await tg.reply_to(COORDINATOR, "/openround")
    guide = await step(tg, guide, "ជុំទី២")
    guide = await step(tg, guide, "✅ បានទទួលយក")
    guide = await step(tg, guide, "គ្រប់ប្រធានបទ")
    guide = await step(tg, guide, labels(guide)[0])  # 2 weeks
    offered = "ប្រើ «ជុំទី២ បានទទួលយក ខែវិច្ឆិកា ឆ្នាំ២០២៦»"
    assert offered in labels(guide), labels(guide)
    preview = await step(tg, guide, offered)
    assert preview.text.split("\n")[1] == "«ជុំទី២ បានទទួលយក ខែវិច្ឆិកា ឆ្នាំ២០២៦»"
    await press(tg, preview, button(preview, "បើក"), COORDINATOR)
    await edited(tg, preview)
    assert await rounds_in(bot) == ["ជុំទី២ បានទទួលយក ខែវិច្ឆិកា ឆ្នាំ២០២៦"]
    # In English, the same choices offer the English name; noted has its own.
    await services.set_language(COORDINATOR["id"], "en")
    guide = await tg.reply_to(COORDINATOR, "/openround")
    guide = await step(tg, guide, "Cycle 1")
    guide = await step(tg, guide, "📝 Noted")
    guide = await step(tg, guide, "All themes")
    guide = await step(tg, guide, labels(guide)[0])
    assert "Use «Cycle 1 noted, November 2026»" in labels(guide), labels(guide)
