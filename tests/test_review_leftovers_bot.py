"""The last review's leftovers: a paused organisation in a round's participation line, a group's
/results with nothing on its list, /export's unknown words, refused command menus, /start's
reads, and presses over the flood limit."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import running
from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    KHMER_MEMBER,
    MEMBER,
    FakeClock,
    make_settings,
)
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import press
from tests.test_many_groups_bot import hundred_groups
from tests.test_onboarding_bot import data_of, run_menu_job
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

LAND = "Land and natural resources"
PAUSED_TOO = "The ratings of 1 organisation whose membership is paused count too."


async def _summary(tg: FakeTelegram, user: dict[str, Any], command: str) -> str:
    """/results N: its summary's text (the table's first page that follows is passed)."""
    summary = await tg.reply_to(user, command)
    await tg.next_call("sendMessage", chat_id=user["id"])
    return summary.text


async def test_a_paused_organisations_ratings_count_in_the_export_and_its_participation_line(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")
    services: Services = bot.bot_data["services"]
    await open_round(tg, "c2 land", "Review")
    rec_id = min(await services.assessments.repository.items(1))
    number = str(services.catalog.by_id[rec_id].number)
    await services.assessments.rate(reps[0]["id"], 1, rec_id, Colour.RED)
    await services.assessments.rate(reps[1]["id"], 1, rec_id, Colour.GREEN)
    paused = await services.coalition.own_organisation(reps[0]["id"])
    assert paused is not None
    await services.coalition.set_active(COORDINATOR_ID, paused.id, False)  # ORG0 paused

    # The export counts ORG0's rating: two organisations' ratings on the recommendation.
    await tg.send("/export 1 xlsx", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    [row] = [r for r in rows if r[0] == "Whole coalition" and r[1].startswith(f"{number} ")]
    assert row[3:8] == ["ORG0: 🔴; ORG1: 🟢", 1, 0, 1, 0]
    [row] = [r for r in rows if r[0] == LAND and r[1].startswith(f"{number} ")]
    assert row[4:8] == [1, 0, 1, 0]
    # The participation line accounts for the same two: one took part, one is paused.
    summary = await _summary(tg, COORDINATOR, "/results 1")
    assert summary.startswith(f"<b>Review</b>\n1 of 2 organisations took part. {PAUSED_TOO}")
    summary = await _summary(tg, COORDINATOR, "/results 1 land")
    assert summary.startswith(
        f"<b>Review</b>\n1 of 2 organisations of «{LAND}» took part. {PAUSED_TOO}"
    )

    # Closed and published: as at the close, whatever happens to ORG0 afterwards.
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    await services.coalition.set_active(COORDINATOR_ID, paused.id, True)
    summary = await _summary(tg, reps[1], "/results 1")
    assert summary.startswith(f"<b>Review</b>\n1 of 2 organisations took part. {PAUSED_TOO}")
    # Without a paused organisation's rating, the line is as before.
    await open_round(tg, "c2 land", "Next")
    await services.assessments.rate(reps[1]["id"], 2, rec_id, Colour.GREEN)
    summary = await _summary(tg, COORDINATOR, "/results 2")
    assert summary.startswith("<b>Next</b>\n1 of 3 organisations took part.\n")


async def test_a_groups_results_with_nothing_on_its_list_say_so_instead_of_an_empty_page(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    services: Services = bot.bot_data["services"]
    await open_round(tg, "c2 118.6", "Labour")  # 118.6 is not on the land group's list
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    said = (
        f"«{LAND}» has no results in «Labour»: none of the round's recommendations is on the "
        "working group's list. A coordinator adds recommendations to a working group's list "
        "with /grouprecs."
    )
    before = len(tg.calls)
    answer = await tg.reply_to(COORDINATOR, "/results 1", chat=GROUP)
    assert answer.text == said
    answer = await tg.reply_to(COORDINATOR, "/results 1 land")
    assert answer.text == said
    # Nothing else: no picture, no summary, no empty page.
    sent = [c for c in tg.calls[before:] if c.method in ("sendMessage", "sendPhoto")]
    assert len(sent) == 2
    # In Khmer, in the group's language.
    await tg.send("/language km", user=COORDINATOR, chat=GROUP)
    await tg.next_call("sendMessage", chat_id=GROUP["id"])
    answer = await tg.reply_to(COORDINATOR, "/results 1", chat=GROUP)
    assert answer.text == (
        "«ដីធ្លី និងធនធានធម្មជាតិ» មិនមានលទ្ធផលក្នុង «Labour» ទេ៖ គ្មានអនុសាសន៍ណាមួយនៃវគ្គវាយតម្លៃនេះ "
        "នៅក្នុងបញ្ជីអនុសាសន៍របស់ក្រុមការងារទេ។ អ្នកសម្របសម្រួលអាចបន្ថែមអនុសាសន៍ទៅក្នុង"
        "បញ្ជីអនុសាសន៍របស់ក្រុមការងារ ដោយប្រើ /grouprecs។"
    )


async def test_export_names_the_words_it_cannot_use_instead_of_ignoring_them(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await hundred_groups(services)  # round 1, published; a hundred and more working groups
    total = len(await services.coalition.working_groups())
    before = len(tg.calls)
    answer = await tg.reply_to(COORDINATOR, "/export 1 xlsx themes land")
    assert answer.text.startswith(
        "I cannot use «land» here: after the round's number, /export takes a format and either "
        "«themes» or one working group. Formats: csv, xlsx. Working groups: "
    )
    assert answer.text.count(" (") == 21
    # The groups named: twenty and how many more, within one message.
    assert answer.text.endswith(f"and {total - 20} more working groups (all in /help).")
    assert len(answer.text) <= 4096
    answer = await tg.reply_to(COORDINATOR, "/export 1 2 csv")  # a second round: not taken
    assert answer.text.startswith("I cannot use «2» here: ")
    assert not [c for c in tg.calls[before:] if c.method == "sendDocument"]  # no file
    await services.set_language(COORDINATOR_ID, "km")
    answer = await tg.reply_to(COORDINATOR, "/export ១ xlsx ប្រធានបទ ដីធ្លី")
    assert answer.text.startswith("ខ្ញុំមិនអាចប្រើ «ដីធ្លី» នៅទីនេះបានទេ៖ ")
    assert len(answer.text) <= 4096
    # What goes together still works: by theme, or one working group (with members).
    await tg.send("/export 1 xlsx themes", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    assert doc.params["document"]["filename"] == "round-1-themes-km.xlsx"
    await tg.send("/export 1 csv wg000", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    assert doc.params["document"]["filename"] == "round-1-wg000-km.csv"


async def test_a_refused_command_menu_waits_for_a_change_or_a_message_not_every_minute(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    stranger: dict[str, Any] = {"id": 6666, "is_bot": False, "first_name": "Vy"}
    stranger["language_code"] = "en"

    def tries() -> int:  # the bot's setMyCommands calls for the stranger's private chat
        calls = [
            c
            for c in tg.calls
            if c.method == "setMyCommands"
            and (c.params.get("scope") or {}).get("chat_id") == stranger["id"]
        ]
        for call in calls:
            call.consumed = True  # "chat not found" is what this test is about
        return len(calls)

    tg.unknown_chats.add(stranger["id"])  # promoted, but never opened the bot
    await services.coalition.set_coordinator(COORDINATOR_ID, stranger["id"], True)
    await run_menu_job(bot)
    assert tries() == 1  # refused at its first language
    for _ in range(3):  # the job runs every minute: nothing changed, nothing tried
        await run_menu_job(bot)
    assert tries() == 1
    # Something about them changes (their language): tried once more, refused again.
    await services.set_language(stranger["id"], "km")
    await run_menu_job(bot)
    await run_menu_job(bot)
    assert tries() == 2
    # They open the bot and write to it: the next run gives them their menu.
    tg.unknown_chats.discard(stranger["id"])
    await tg.reply_to(stranger, "/me")
    await run_menu_job(bot)
    assert tries() == 5  # one per language
    assert "audit" in tg.menu(stranger)
    await run_menu_job(bot)
    assert tries() == 5


async def test_start_reads_what_is_left_only_for_the_three_open_rounds_it_names(
    tg: FakeTelegram, bot: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    [member] = await coalition_with(bot, 1, "land")
    services: Services = bot.bot_data["services"]
    for n in range(1, 6):
        await open_round(tg, "c2 land", f"R{n}")
    read = services.assessments.left_to_rate
    asked: list[int] = []

    async def counted(user_id: int, round_id: int) -> tuple[int, int] | None:
        asked.append(round_id)
        return await read(user_id, round_id)

    monkeypatch.setattr(services.assessments, "left_to_rate", counted)
    welcome = await tg.reply_to(member, "/start")
    assert asked == [5, 4, 3]  # the newest three, the ones named: not every open round
    assert "«R5»: 14 to rate" in welcome.text
    assert "«R3»: 14 to rate" in welcome.text
    assert "«R2»" not in welcome.text
    assert "And 2 more open rounds: see /rounds." in welcome.text


@pytest.fixture
async def strict_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The bot with its flood limit at three updates a minute per person."""
    async with running(
        make_settings(tg, db_path, rate_limit_per_minute=3), clock, poll_timeout=1
    ) as app:
        yield app
    assert tg.unconsumed_errors() == []


@pytest.mark.parametrize(
    ("user", "notice", "short"),
    [
        (
            MEMBER,
            "You are sending too fast. Please wait a minute and try again.",
            "Too fast: wait a minute.",
        ),
        (KHMER_MEMBER, "អ្នកផ្ញើលឿនពេក។ សូមរង់ចាំមួយនាទី ហើយព្យាយាមម្តងទៀត។", "លឿនពេក៖ សូមរង់ចាំមួយនាទី។"),
    ],
)
async def test_every_press_over_the_flood_limit_gets_a_short_answer_in_the_users_language(
    tg: FakeTelegram,
    strict_bot: BotApplication,
    user: dict[str, Any],
    notice: str,
    short: str,
) -> None:
    welcome = await tg.reply_to(user, "/start")  # a guest's: look-up examples as buttons
    example = data_of(welcome, "118.6")
    for _ in range(2):  # within the limit: answered with the card
        assert await press(tg, welcome, example, user) == ""
        await tg.next_call("sendMessage", chat_id=user["id"])
    before = len(tg.calls)
    query_id = await tg.press(welcome, example, user=user)  # over it: told once, as an alert
    first = await tg.next_call("answerCallbackQuery", callback_query_id=query_id)
    assert (first.params["text"], first.params.get("show_alert")) == (notice, "true")
    for _ in range(3):  # each later press: a short answer, not an empty one
        query_id = await tg.press(welcome, example, user=user)
        answer = await tg.next_call("answerCallbackQuery", callback_query_id=query_id)
        assert answer.params.get("text") == short
        assert answer.params.get("show_alert") in (None, "false")
    assert [c.method for c in tg.calls[before:]] == ["answerCallbackQuery"] * 4  # no message
