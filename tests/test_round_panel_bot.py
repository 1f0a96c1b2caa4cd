"""The round panel in /rounds: a coordinator opens one round's panel (what it is, who is how
far), closes, reopens, publishes (warned when few organisations took part) after a question,
reminds those behind without ever double-sending; members rate or read results from buttons."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.assessment import Colour, Round
from bot.domain.audit import AuditAction
from bot.domain.i18n import Translations
from bot.domain.round_notices import reference
from bot.domain.rounds import Panel, RoundChange
from bot.services import Services
from handlers import round_admin
from handlers.callbacks import RoundAction, RoundButton
from handlers.common import BotApplication
from tests import test_round_notices_bot
from tests.conftest import COORDINATOR, GROUP, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram
from tests.round_panel import confirmed, labels, round_panel
from tests.test_lookup_bot import button, edited, press
from tests.test_round_notices_bot import notices
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

bot = test_round_notices_bot.bot  # the real bot with round notices on: reminders go out


@pytest.fixture
async def quiet_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot without round notices (nothing else arrives in the chats)."""
    settings = make_settings(tg, db_path, round_notices=False)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def test_the_panel_shows_progress_and_acts_only_after_its_question(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 3)
    await open_round(tg, "c2 118.1-118.3 until 2026-12-31", "Mid-term")
    first, second, _ = await services.assessments.items(1)
    await services.assessments.rate(reps[0]["id"], 1, first, Colour.RED)
    await services.assessments.rate(reps[0]["id"], 1, second, Colour.GREEN)

    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert labels(listing) == ["1. Mid-term", "➕ New round"]
    panel = await round_panel(tg, 1)
    assert panel.text == (
        "<b>1. Mid-term</b>\n"
        "Cycle 2 · 3 recommendations · open · closes December 31, 2026 (Phnom Penh) · "
        "1 of 3 organisations took part\n"
        "Scope: Cycle 2 · 118.1–118.3\n"
        "ORG0 2/3 · ORG1 0/3 · ORG2 0/3"
    )
    assert labels(panel) == [
        "Close",
        "🔔 Remind those behind",
        "Results",
        "CSV",
        "XLSX",
        "◀ All rounds",  # no Delete: it has ratings
    ]

    # Close asks first; Back changes nothing.
    assert await press(tg, panel, button(panel, "Close"), COORDINATOR) == ""
    question = await edited(tg, panel)
    assert question.text.endswith(
        "\n\n<b>Close this round? Ratings freeze: members can no longer change them. "
        "You can reopen it.</b>"
    )
    assert labels(question) == ["Yes, close", "Back"]
    await press(tg, question, button(question, "Back"), COORDINATOR)
    panel = await edited(tg, question)
    assert "Close" in labels(panel)
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert round_.open

    answer, panel = await confirmed(tg, panel, "Close", "Yes, close")
    assert answer == "Closed."
    assert " · closed · 1 of 3 organisations took part" in panel.text
    assert labels(panel)[:2] == ["Reopen", "Publish"]

    # One organisation of three rated: publishing warns, and asks to publish anyway.
    assert await press(tg, panel, button(panel, "Publish"), COORDINATOR) == ""
    question = await edited(tg, panel)
    assert question.text.endswith(
        "<b>Publish the results? Members see them, and the working groups and "
        "representatives are told.\nOnly 1 of 3 organisations rated (33 %). 3 of 3 "
        "recommendations have “not enough ratings”. Publish anyway?</b>"
    )
    answer = await press(tg, question, button(question, "Publish anyway"), COORDINATOR)
    assert answer == "Published."
    panel = await edited(tg, question)
    assert " · closed · published · " in panel.text
    assert labels(panel)[0:2] == ["Reopen", "Results"]

    answer, panel = await confirmed(tg, panel, "Reopen", "Yes, reopen")
    assert answer == "Reopened."
    assert " · open · " in panel.text
    await press(tg, panel, button(panel, "◀ All rounds"), COORDINATOR)
    listing = await edited(tg, panel)
    assert listing.text.startswith("1. Mid-term · Cycle 2 · 3 recommendations · open")
    assert labels(listing) == ["1. Mid-term", "➕ New round"]


async def test_publishing_with_enough_participation_asks_without_a_warning(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 6)
    await open_round(tg, "c2 118.1", "Enough")
    [rec] = await services.assessments.items(1)
    for person in reps[:3]:  # enough colours (MIN_RATINGS 3) for its one recommendation
        await services.assessments.rate(person["id"], 1, rec, Colour.RED)
    panel = await round_panel(tg, 1)
    _, panel = await confirmed(tg, panel, "Close", "Yes, close")
    assert await press(tg, panel, button(panel, "Publish"), COORDINATOR) == ""
    question = await edited(tg, panel)  # 3 of 6 is half: no warning
    assert "Only " not in question.text
    assert labels(question) == ["Yes, publish", "Back"]
    await press(tg, question, button(question, "Yes, publish"), COORDINATOR)
    await edited(tg, question)
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert round_.published


async def test_when_everyone_rated_the_warning_names_only_the_missing_ratings(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """Both organisations rated, but too few for a colour: no "Only 2 of 2 (100 %)"."""
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3", "All took part")
    for rec in await services.assessments.items(1):
        for person in reps:
            await services.assessments.rate(person["id"], 1, rec, Colour.GREEN)
    panel = await round_panel(tg, 1)
    _, panel = await confirmed(tg, panel, "Close", "Yes, close")
    assert await press(tg, panel, button(panel, "Publish"), COORDINATOR) == ""
    question = await edited(tg, panel)
    assert question.text.endswith(
        "are told.\n3 of 3 recommendations have “not enough ratings”. Publish anyway?</b>"
    )
    assert labels(question) == ["Publish anyway", "Back"]


def test_the_publish_warning_has_only_the_clauses_that_hold() -> None:
    """Few organisations, most recommendations without a colour, or both; in both languages."""
    round_ = Round(1, "R", 2, "c2", None, open=False, published=False, size=10)
    few = Panel(round_, (), rated=2, total=5, not_enough=0)
    unrated = Panel(round_, (), rated=5, total=5, not_enough=6)
    both = Panel(round_, (), rated=1, total=5, not_enough=9)
    translations = Translations.load("en")
    en, km = translations.localizer("en"), translations.localizer("km")
    warning = round_admin._publish_warning
    assert warning(en, few) == "Only 2 of 5 organisations rated (40 %). Publish anyway?"
    assert warning(en, unrated) == (
        "6 of 10 recommendations have “not enough ratings”. Publish anyway?"
    )
    assert warning(en, both) == (
        "Only 1 of 5 organisations rated (20 %). 9 of 10 recommendations have “not enough "
        "ratings”. Publish anyway?"
    )
    assert warning(km, few) == (
        "មានតែអង្គការ ២ ក្នុងចំណោម ៥ ប៉ុណ្ណោះដែលបានវាយតម្លៃ (៤០ %)។ នៅតែផ្សព្វផ្សាយឬ?"
    )
    assert warning(km, unrated) == (
        "អនុសាសន៍ ៦ ក្នុងចំណោម ១០ មាន «ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់»។ នៅតែផ្សព្វផ្សាយឬ?"
    )
    assert warning(km, both) == (
        "មានតែអង្គការ ១ ក្នុងចំណោម ៥ ប៉ុណ្ណោះដែលបានវាយតម្លៃ (២០ %)។ "
        "អនុសាសន៍ ៩ ក្នុងចំណោម ១០ មាន «ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់»។ នៅតែផ្សព្វផ្សាយឬ?"
    )


async def test_two_presses_of_yes_publish_publish_once(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 2)
    await link_land_group(tg)
    await open_round(tg, "c2 118.1", "Twice")
    await services.assessments.change(COORDINATOR["id"], 1, RoundChange.CLOSE)
    panel = await round_panel(tg, 1)
    await press(tg, panel, button(panel, "Publish"), COORDINATOR)
    question = await edited(tg, panel)
    yes = button(question, "Publish anyway")
    first, second = await asyncio.gather(
        tg.press(question, yes, user=COORDINATOR), tg.press(question, yes, user=COORDINATOR)
    )
    answers = sorted(
        [
            str((await tg.next_call("answerCallbackQuery", callback_query_id=q)).params["text"])
            for q in (first, second)
        ]
    )
    assert answers == ["Published.", "This round is already published."]
    published = await notices(services, reference(1, "published"))
    assert len(published) == len({chat for chat, _, _ in published}) > 0  # once to each chat
    log = await services.coalition.audit_log(COORDINATOR["id"])
    assert [e.action for e in log].count(AuditAction.PUBLISH_ROUND) == 1


async def test_in_a_group_rounds_show_no_organisation_and_no_panel(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Group")
    [rec, *_] = await services.assessments.items(1)
    await services.assessments.rate(reps[0]["id"], 1, rec, Colour.RED)
    for who in (COORDINATOR, reps[0]):
        listed = await tg.reply_to(who, "/rounds", chat=GROUP)
        assert "ORG" not in listed.text
        assert "your organisation" not in listed.text
        [only] = labels(listed)  # the members' view: no panel, no ➕ New round
        assert only.startswith("Rate now")
    # An older panel button in the group (or a forged one) opens nothing there.
    panel = RoundButton(1, RoundAction.PANEL).pack()
    assert "private" in await press(tg, tg.carrying(listed, panel), panel, COORDINATOR)


async def test_a_stale_panel_says_why_it_does_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1", "Stale")
    old = await round_panel(tg, 1)
    panel = await round_panel(tg, 1)
    answer, panel = await confirmed(tg, panel, "Close", "Yes, close")
    assert answer == "Closed."
    # The older panel still offers Close: asked again, it says why and shows the round as it is.
    assert (
        await press(tg, old, button(old, "Close"), COORDINATOR) == "This round is already closed."
    )
    redrawn = await edited(tg, old)
    assert labels(redrawn)[:2] == ["Reopen", "Publish"]


async def test_remind_those_behind_tells_each_unfinished_organisation_once_an_hour(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 3)
    khmer = {"id": 6301, "is_bot": False, "first_name": "Sokha", "language_code": "km"}
    org1 = await services.coalition.own_organisation(reps[1]["id"])
    assert org1 is not None
    invite = await services.coalition.invite(COORDINATOR["id"], org1.id)
    await services.coalition.join(khmer["id"], khmer["first_name"], "km", invite.code)
    await open_round(tg, "c2 118.1-118.2 until 2026-12-31", "Behind")
    for rec in await services.assessments.items(1):
        await services.assessments.rate(reps[0]["id"], 1, rec, Colour.RED)  # ORG0 finished
    await services.assessments.rate(reps[1]["id"], 1, rec, Colour.RED)  # ORG1: 1 of 2

    panel = await round_panel(tg, 1)
    answer = await press(tg, panel, button(panel, "🔔 Remind those behind"), COORDINATOR)
    assert answer == "Reminded 2 organisations (3 people)."
    panel = await edited(tg, panel)
    assert "\nLast reminder: " in panel.text
    told = await notices(services, "round:1:reminder-now")
    assert [(chat, text) for chat, text, _ in told] == [
        (
            reps[1]["id"],
            "Reminder: the assessment «Behind» closes December 31, 2026 (Phnom Penh). "
            "Your organisation has rated 1 of 2: 1 left.",
        ),
        (
            reps[2]["id"],
            "Reminder: the assessment «Behind» closes December 31, 2026 (Phnom Penh). "
            "Your organisation has rated 0 of 2: 2 left.",
        ),
        (
            khmer["id"],
            "រំលឹក៖ វគ្គវាយតម្លៃ «Behind» បិទនៅថ្ងៃទី៣១ ខែធ្នូ ឆ្នាំ២០២៦ (តាមម៉ោងភ្នំពេញ)។ "
            "អង្គការរបស់អ្នកបានវាយតម្លៃ ១ ក្នុងចំណោម ២៖ នៅសល់ ១។",
        ),
    ]
    assert all(data == "rr:1" for _, _, data in told)  # [Rate now]

    # Pressed again within the hour: nothing is sent twice, and it says when the last went.
    clock.advance(minutes=59)
    again = await press(tg, panel, button(panel, "🔔 Remind those behind"), COORDINATOR)
    assert again.startswith("The last reminder went at ")
    assert "(Phnom Penh): nothing was sent again." in again
    assert len(await notices(services, "round:1:reminder-now")) == 3
    clock.advance(minutes=2)
    again = await press(tg, panel, button(panel, "🔔 Remind those behind"), COORDINATOR)
    assert again == "Reminded 2 organisations (3 people)."
    await edited(tg, panel)
    assert len(await notices(services, "round:1:reminder-now")) == 6


async def test_members_rate_and_read_results_from_buttons_in_rounds(
    tg: FakeTelegram, quiet_bot: BotApplication
) -> None:
    services: Services = quiet_bot.bot_data["services"]
    [member] = await coalition_with(quiet_bot, 1)
    await open_round(tg, "c2 118.1", "Published")
    await open_round(tg, "c2 118.2", "Closed")
    await open_round(tg, "c2 118.3", "Open")
    [rec] = await services.assessments.items(1)
    await services.assessments.rate(member["id"], 1, rec, Colour.GREEN)
    for round_id in (1, 2):
        await services.assessments.set_open(COORDINATOR["id"], round_id, False)
    await services.assessments.publish(COORDINATOR["id"], 1)

    listing = await tg.reply_to(member, "/rounds")
    assert "2. Closed" not in listing.text  # closed and unpublished: nothing for members
    assert labels(listing) == ["Rate now: 3. Open", "Results: 1. Published"]
    assert await press(tg, listing, button(listing, "Rate now: 3. Open"), member) == ""
    card = await tg.next_call("sendMessage", chat_id=member["id"])
    assert card.params["text"].startswith("<b>118.3</b> · Cycle 2 · Open")
    assert await press(tg, listing, button(listing, "Results: 1. Published"), member) == ""
    summary = await tg.next_call("sendMessage", chat_id=member["id"])
    assert summary.params["text"].startswith("<b>Published</b>\n1 of 1 organisations took part.")
    await tg.next_call("sendMessage", chat_id=member["id"])  # the table's first page
    # A coordinator's panel button, forged by a member, is refused.
    forged = tg.carrying(listing, "rau:2")
    assert await press(tg, forged, "rau:2", member) == "Only coordinators can do this."
    round_ = await services.assessments.round(2)
    assert round_ is not None
    assert not round_.published


async def test_the_panel_in_khmer(tg: FakeTelegram, bot: BotApplication) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1", "Khmer")
    await services.set_language(COORDINATOR["id"], "km")
    panel = await round_panel(tg, 1)
    assert labels(panel)[:2] == ["បិទ", "🔔 រំលឹកអង្គការដែលនៅយឺត"]
    assert await press(tg, panel, button(panel, "🔔 រំលឹកអង្គការដែលនៅយឺត"), COORDINATOR) == (
        "បានរំលឹកអង្គការ ២ (មនុស្ស ២ នាក់)។"
    )
    await edited(tg, panel)


async def test_at_a_thousand_organisations_the_panel_and_the_list_fit_in_a_message(
    tg: FakeTelegram, quiet_bot: BotApplication
) -> None:
    services: Services = quiet_bot.bot_data["services"]
    async with services.database.transaction() as db:  # set-up only: a thousand, in bulk
        await db.executemany(
            "INSERT INTO organisations (short_name, name, created_at) VALUES (?, ?, ?)",
            [(f"NGO{n:04}", f"Org {n}", "2026-01-01T00:00:00+00:00") for n in range(1000)],
        )
    await open_round(tg, "c2 118.1-118.3", "Mid-term")

    listing = await tg.reply_to(COORDINATOR, "/rounds")  # Telegram refuses over 4,096
    assert listing.text.startswith("1. Mid-term · ")
    assert "NGO0000 0/3 · NGO0001 0/3 · " in listing.text
    assert listing.text.endswith(" more")
    panel = await round_panel(tg, 1)
    assert len(panel.text) <= 4096
    assert "NGO0000 0/3 · NGO0001 0/3 · " in panel.text
    shown = panel.text.count(" 0/3")
    assert panel.text.endswith(f" · … and {1000 - shown} more")

    km = services.translations.localizer("km")
    khmer = round_admin._progress(km, (("NGO1", 1, 3), ("NGO2", 0, 3)), limit=14)
    assert khmer == "NGO1 ១/៣ · … និង ១ ទៀត"
