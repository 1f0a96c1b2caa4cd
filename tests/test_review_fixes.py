"""Fixes from the coordinator review of issue 8: each rule here failed before its fix."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.domain.assessment import Colour
from bot.domain.audit import AuditAction, AuditNames, render_detail
from bot.domain.i18n import Translations
from bot.domain.spreadsheet import table
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_group_lists_bot import reply_with_numbers
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round


@pytest.fixture
def services(coordinated: Services) -> Services:
    """The services with one coordinator, without Telegram."""
    return coordinated


async def test_only_a_chosen_language_is_stored_as_chosen(services: Services) -> None:
    coalition = services.coalition
    # Promoted before ever writing to the bot: Telegram's Khmer still applies afterwards.
    await coalition.set_coordinator(COORDINATOR_ID, 501, True)
    assert await services.language_of(501, "km") == "km"
    # Seen, then joining with an invite, in English: a later Khmer Telegram is followed.
    await coalition.repository.seen(502, "Dara", await services.language_of(502, "en"))
    invite = await coalition.add_organisation(COORDINATOR_ID, "O1", "Org 1")
    await coalition.join(502, "Dara", await services.language_of(502, "en"), invite.code)
    assert await services.language_of(502, "km") == "km"
    # A choice made with /language wins over Telegram's.
    await services.set_language(502, "en")
    assert await services.language_of(502, "km") == "en"
    await coalition.repository.seen(502, "Dara", "km")
    assert await services.language_of(502, "km") == "en"
    # A message the bot sends first (no Telegram language at hand) uses the last one seen.
    await coalition.set_coordinator(COORDINATOR_ID, 503, True)
    await coalition.repository.seen(503, "Sok", await services.language_of(503, "km"))
    assert await services.language_of(503, None) == "km"


def test_an_xlsx_export_keeps_numbers_as_numbers_and_names_its_sheet() -> None:
    rows: list[list[str | int]] = [["Group", "🔴"], ["Land", 3], ["Women", 2], ["=1+1", 0]]
    book = load_workbook(io.BytesIO(table(rows, "xlsx", sheet="Mid-term: 2026 [draft]/a*b?c\\d")))
    sheet = book.active
    assert sheet.title == "Mid-term 2026 draftabcd"
    assert [c.value for c in sheet["B"]] == ["🔴", 3, 2, 0]
    assert sheet["B2"].data_type == "n"
    assert sheet["A4"].value == "=1+1"
    assert sheet["A4"].data_type == "s"  # text, not a formula
    assert load_workbook(io.BytesIO(table(rows, "xlsx", sheet="x" * 40))).active.title == "x" * 31
    assert table(rows, "csv").decode("utf-8-sig").splitlines()[1] == "Land,3"


async def test_results_and_exports_answer_what_was_asked(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 3, "land")
    await open_round(tg, "c2 118.63", "Mid-term")
    rec = next(
        r for r in services.catalog.recommendations if r.cycle == 2 and str(r.number) == "118.63"
    )
    for n, colour in enumerate([Colour.RED, Colour.ORANGE, Colour.GREEN]):
        await services.assessments.rate(reps[n]["id"], 1, rec.id, colour)
    # /rounds says "1 recommendation", not "1 recommendations".
    listed = await tg.reply_to(COORDINATOR, "/rounds")
    assert "Cycle 2 · 1 recommendation · open ·" in listed.text
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)

    for command in ("/results 99", "/export 99 xlsx", "/compare 1 99"):
        missing = await tg.reply_to(reps[0], command)
        assert missing.text == "There is no round 99. See /rounds."
    refused = await tg.reply_to(COORDINATOR, "/export 1 pdf")
    assert refused.text == "I cannot make «pdf» files. Formats: csv, xlsx."
    # One working group's block, named as /results takes it.
    await tg.send("/export 1 csv land", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    assert doc.params["document"]["filename"] == "round-1-land-en.csv"  # named after the group
    rows = list(csv.reader(io.StringIO(doc.params["document"]["content"].decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Land and natural resources"]
    assert rows[1][4:8] == ["1", "1", "1", "0"]
    # A working group with none of the round's recommendations: said, no header-only file.
    empty = await tg.reply_to(COORDINATOR, "/export 1 csv elections")
    assert empty.text == (
        "Nothing to export: none of the recommendations of «Mid-term» is on the list of "
        "«Elections». "
        "A coordinator adds recommendations to a working group's list with /grouprecs."
    )
    # A misspelt working group after the format: no such group, and the groups are listed.
    unknown = await tg.reply_to(COORDINATOR, "/export 1 csv ដីធ្លិ")
    assert unknown.text.startswith("I don't know the group «ដីធ្លិ». The groups are: ")
    assert "Land and natural resources" in unknown.text


async def test_a_pasted_reply_keeps_each_number_in_its_cycle_and_names_what_was_not_listed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    chooser = await tg.reply_to(COORDINATOR, "/grouprecs")
    await press(tg, chooser, button(chooser, "Land and natural resources"), COORDINATOR)
    view = await edited(tg, chooser)
    # "c1" after cycle-2 numbers does not make them cycle 1: the reply is refused, not misread.
    mixed = "១១៨.១-១១៨.៣, 119.3, c1 ៨២.១-៨២.២"
    answer = await reply_with_numbers(tg, view, "➕ Add numbers", COORDINATOR, mixed)
    assert answer.text == (
        "A cycle (like c1) comes after some numbers: send the numbers of each cycle in a "
        "separate reply, starting with its cycle (for example c1 82.1-82.9)."
    )
    # Removing numbers that are not on the list names them.
    answer = await reply_with_numbers(tg, view, "➖ Remove numbers", COORDINATOR, "118.6, 118.63")
    assert answer.text.startswith(
        "1 recommendation of cycle 2 removed from the list.\nNot on the list: 118.6."
    )


async def test_the_audit_log_names_working_groups(tg: FakeTelegram, bot: BotApplication) -> None:
    await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    log = await tg.reply_to(COORDINATOR, "/audit")
    assert "· put organisation in working group · ORG0 · Land and natural resources\n" in (
        log.text + "\n"
    )
    assert "· linked chat to working group · a group chat → Land and natural resources" in log.text
    khmer = Translations.load("en").localizer("km")
    names = AuditNames(groups={6: ("Land", "ដីធ្លី")})
    tz = ZoneInfo("Asia/Phnom_Penh")
    assert render_detail(khmer, AuditAction.JOIN_GROUP, "6", names, tz) == "ដីធ្លី"
    deleted = render_detail(khmer, AuditAction.JOIN_GROUP, "99", names, tz)  # a deleted group
    assert deleted != "99"
    assert re.search("[\u1780-\u17ff]", deleted)
    gone = render_detail(khmer, AuditAction.UNLINK_CHAT, "-100500", names, tz)  # title unknown
    assert "100500" not in gone
