"""Opening a round as a coordinator lives it: what was understood before anything happens,
[Open] or [Cancel], a draft that survives a restart, the closing date shown, a mistaken round
deleted, and round buttons that say why they cannot do what a stale message offers."""

from pathlib import Path

from bot.app import running
from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram
from tests.round_panel import confirmed, labels, round_panel
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import coalition_with, open_round


async def rounds_in(bot: BotApplication) -> list[str]:
    services: Services = bot.bot_data["services"]
    return [r.name for r in await services.assessments.rounds()]


async def test_openround_says_what_it_understood_and_opens_only_on_open(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 2, "land")
    preview = await tg.reply_to(
        COORDINATOR, "/openround c2 land accepted until 2027-03-31 : Mid-term review"
    )
    assert preview.text == (
        "<b>Open this round?</b>\n«Mid-term review»\n"
        "Cycle 2 · Land and natural resources · ✅ Accepted · "
        "closes March 31, 2027 (Phnom Penh) · 10 recommendations"
    )
    assert [b["text"] for b in buttons(preview)] == ["Open", "Cancel", "📌 Open and pin in groups"]
    assert await rounds_in(bot) == []  # nothing happens before [Open]

    assert await press(tg, preview, button(preview, "Open"), COORDINATOR) == ""
    opened = await edited(tg, preview)
    assert opened.text.startswith("Round 1 «Mid-term review» is open: 10 recommendations")
    assert buttons(opened) == []
    assert await rounds_in(bot) == ["Mid-term review"]

    other = await tg.reply_to(COORDINATOR, "/openround c2 ដីធ្លី កត់សម្គាល់ : Khmer words")
    assert "Cycle 2 · Land and natural resources · 📝 Noted · no closing date · 4 rec" in (
        other.text
    )
    await press(tg, other, button(other, "Cancel"), COORDINATOR)
    cancelled = await edited(tg, other)
    assert cancelled.text == "Cancelled: no round was opened."
    # The cycle as Cambodia's official usage writes it: UPR ជុំទី២ (the old វដ្តទី២ too).
    for cycle in ("UPR ជុំទី២", "ជុំ ២", "វដ្តទី២"):
        khmer = await tg.reply_to(COORDINATOR, f"/openround {cycle} ដីធ្លី កត់សម្គាល់ ៖ Khmer")
        assert "Cycle 2 · Land and natural resources · 📝 Noted" in khmer.text
        await press(tg, khmer, button(khmer, "Cancel"), COORDINATOR)
        await edited(tg, khmer)
    assert await rounds_in(bot) == ["Mid-term review"]

    # Unknown words are refused with the nearest known one, never dropped.
    typo = await tg.reply_to(COORDINATOR, "/openround c2 lnd : Typo")
    assert typo.text == "I do not know “lnd” in a scope. Did you mean “land”?"
    both = await tg.reply_to(COORDINATOR, "/openround c2 land accepted noted : Both")
    assert "✅ Accepted · 📝 Noted · no closing date · 14 recommendations" in both.text
    assert await rounds_in(bot) == ["Mid-term review"]


async def test_the_preview_shows_the_name_the_round_keeps(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.1 : Mid\u202eterm")
    assert "«Midterm»" in preview.text
    await press(tg, preview, button(preview, "Open"), COORDINATOR)
    assert (await edited(tg, preview)).text.startswith("Round 1 «Midterm» is open")


async def test_a_draft_round_survives_a_restart_and_expires_after_a_day(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()):
        preview = await tg.reply_to(COORDINATOR, "/openround c2 118.1-118.3 : After restart")
        stale = await tg.reply_to(COORDINATOR, "/openround c2 118.1 : Too late")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        await press(tg, preview, button(preview, "Open"), COORDINATOR)
        assert (await edited(tg, preview)).text.startswith("Round 1 «After restart» is open")
        clock.advance(days=1, seconds=1)
        assert await press(tg, stale, button(stale, "Open"), COORDINATOR) == (
            "This draft is no longer there: send /openround again."
        )
        await edited(tg, stale)
        assert await rounds_in(bot) == ["After restart"]
    assert tg.unconsumed_errors() == []


async def test_a_draft_whose_closing_date_passed_meanwhile_does_not_open(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    preview = await tg.reply_to(COORDINATOR, "/openround c2 118.1 until 2026-11-23 : Today")
    clock.advance(hours=20)  # the next day in Phnom Penh
    assert await press(tg, preview, button(preview, "Open"), COORDINATOR) == (
        "The closing date of this round passed before it was opened: send /openround again "
        "with a later date."
    )
    assert (await edited(tg, preview)).text.startswith("The closing date of this round passed")
    assert await rounds_in(bot) == []


async def test_the_closing_date_is_shown_in_rounds_and_on_cards(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.2 until 2026-12-31", "Dated")
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert "open · closes December 31, 2026 (Phnom Penh) · 0 of 1" in listing.text
    card = await tg.reply_to(member, "/rate")
    assert card.text.startswith(
        "<b>118.1</b> · Cycle 2 · Dated · closes December 31, 2026 (Phnom Penh)\n"
    )


async def test_a_round_nobody_rated_in_can_be_deleted_after_confirmation(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.2", "Rated")
    await open_round(tg, "c2 118.1", "Mistake")
    [rec, _] = await services.assessments.items(1)
    await services.assessments.rate(member["id"], 1, rec, Colour.RED)

    assert "Delete" not in labels(await round_panel(tg, 1))  # it has a rating
    panel = await round_panel(tg, 2)
    await press(tg, panel, button(panel, "Delete"), COORDINATOR)
    question = await edited(tg, panel)
    assert question.text.startswith("Delete round 2 «Mistake»? Nobody has rated in it yet.")
    await press(tg, question, button(question, "Back"), COORDINATOR)
    panel = await edited(tg, question)
    assert panel.text.startswith("<b>2. Mistake</b>")
    await press(tg, panel, button(panel, "Delete"), COORDINATOR)
    question = await edited(tg, panel)
    assert await press(tg, question, button(question, "Yes, delete round 2"), COORDINATOR) == (
        "Deleted."
    )
    listing = await edited(tg, question)
    assert listing.text.startswith("1. Rated")
    assert "Mistake" not in listing.text
    assert await rounds_in(bot) == ["Rated"]
    [entry, *_] = await services.coalition.audit_log(COORDINATOR_ID, limit=5)
    assert (entry.action.value, entry.detail) == ("delete round", "2: Mistake")


async def test_a_stale_round_button_says_why_it_did_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1", "Stale")
    _, first = await confirmed(tg, await round_panel(tg, 1), "Close", "Yes, close")
    second = await round_panel(tg, 1)  # offers Reopen and Publish
    third = await round_panel(tg, 1)
    await press(tg, third, button(third, "Reopen"), COORDINATOR)
    third = await edited(tg, third)  # the question, still answerable
    await confirmed(tg, first, "Reopen", "Yes, reopen")
    # The older messages still offer Publish and Reopen for a round that is open again.
    assert await press(tg, second, button(second, "Publish"), COORDINATOR) == (
        "Close the round before publishing: results are published once ratings are frozen."
    )
    redrawn = await edited(tg, second)  # redrawn as it is now
    assert "Close" in labels(redrawn)
    assert await press(tg, third, button(third, "Yes, reopen"), COORDINATOR) == (
        "This round is already open."
    )
    await edited(tg, third)


async def test_help_explains_the_round_buttons_to_coordinators(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    text = await tg.full_help(COORDINATOR, parts=2)  # a coordinator's full help: two messages
    assert "In /rounds, each round's button opens its panel" in text
    assert "Delete removes a round nobody has rated in yet" in text


async def test_rate_asks_which_round_when_several_are_open(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.2", "First")
    card = await tg.reply_to(member, "/rate")  # one open round: no question
    assert card.text.startswith("<b>118.1</b> · Cycle 2 · First")
    await open_round(tg, "c2 118.3-118.4", "Second")
    question = await tg.reply_to(member, "/rate")
    assert question.text == "Several rounds are open: which one do you want to rate?"
    assert [b["text"] for b in buttons(question)] == ["2. Second", "1. First"]
    assert await press(tg, question, button(question, "2. Second"), member) == ""
    call = await tg.next_call("sendMessage", chat_id=member["id"])
    assert call.params["text"].startswith("<b>118.3</b> · Cycle 2 · Second")
    # A number picks the round at once; a round that is not open is said so.
    card = await tg.reply_to(member, "/rate 1")
    assert card.text.startswith("<b>118.1</b> · Cycle 2 · First")
    reply = await tg.reply_to(member, "/rate 7")
    assert reply.text == "Round 7 is not open."
    assert [b["text"] for b in buttons(reply)] == ["2. Second", "1. First"]
