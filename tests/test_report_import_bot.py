"""A coordinator loads a cycle by sending the UN Working Group report to the bot: preview,
[Import], and a member finds the new recommendations at once. Hostile files are refused."""

from __future__ import annotations

import io
import sqlite3
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import EncodedStreamObject, NameObject

from bot.app import BotApplication, running
from handlers.callbacks import CurrentCycle, ReportDraft
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    MEMBER,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_report_pdf import pdf_of_blank_pages as _pdf

REPORT = Path(__file__).resolve().parent.parent / "data" / "upr" / "sources"
CYCLE_2 = REPORT / "A_HRC_26_16_cambodia_2014.pdf"
BELIZE = Path(__file__).resolve().parent / "data" / "upr_reports" / "belize2013.pdf"


@pytest.fixture
async def bot_without_cycle_2(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The bot on a database whose cycle 2 is not loaded yet."""
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM recommendations WHERE cycle = 2")
    async with running(
        make_settings(tg, db_path), clock, poll_timeout=1, limiter=loose_limiter()
    ) as app:
        yield app


async def preview_of(tg: FakeTelegram, name: str, content: bytes) -> StoredMessage:
    await tg.send_document(name, content, user=COORDINATOR)
    reading = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert reading.params["text"] == "Reading the report… this takes a few seconds."
    call = await tg.next_call("sendMessage", timeout=60, chat_id=COORDINATOR_ID)
    return tg.messages[(COORDINATOR_ID, call.result["message_id"])]


def buttons(message: StoredMessage) -> list[tuple[str, str]]:
    markup = message.reply_markup or {}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_a_coordinator_loads_cycle_2_from_its_report_and_a_member_finds_it_at_once(
    tg: FakeTelegram, bot_without_cycle_2: BotApplication
) -> None:
    before = await tg.reply_to(MEMBER, "119.21 c2")
    assert "Investigate impartially" not in before.text

    preview = await preview_of(tg, "A_HRC_26_16.pdf", CYCLE_2.read_bytes())
    text = preview.text
    assert "Working Group report A/HRC/26/16 (Cambodia)." in text
    assert "Cycle 2: 205 recommendations (171 accepted, 34 pending) from 72 States." in text
    assert "• paragraph 118: 171 accepted\n• paragraph 119: 34 pending" in text
    assert "\nFirst:\n118.1 Ratify the first Optional Protocol" in text
    assert "\nLast:\n119.32 " in text
    assert "Compared with the bot: 205 new, 0 changed, 0 unchanged." in text
    assert "• 118.09 is printed where 118.109 belongs: read as 118.109." in text
    [(go_label, go), (cancel_label, _)] = buttons(preview)
    assert (go_label, cancel_label) == ("✅ Import", "✖️ Cancel")

    # A tap on [Import] from someone else, or a forged draft, imports nothing.
    forged = ReportDraft(draft=9999, go=True).pack()
    query = await tg.press(preview, forged, user=COORDINATOR)
    alert = await tg.next_call("answerCallbackQuery", callback_query_id=query)
    assert alert.params["text"] == "This button no longer works. Please send your question again."
    member_tap = await tg.press(preview, go, user=MEMBER)
    refused = await tg.next_call("answerCallbackQuery", callback_query_id=member_tap)
    assert refused.params["text"] == "Only coordinators can do this."

    # Two taps on [Import] at once: one imports, the other is told.
    first = await tg.press(preview, go, user=COORDINATOR)
    second = await tg.press(preview, go, user=COORDINATOR)
    answers = [
        (await tg.next_call("answerCallbackQuery", timeout=30, callback_query_id=q)).params
        for q in (first, second)
    ]
    assert sorted(bool(a.get("text")) for a in answers) == [False, True]
    done = await tg.next_call("editMessageText", timeout=30, chat_id=COORDINATOR_ID)
    assert done.params["text"].startswith(
        "Imported cycle 2: 205 added, 0 updated, 0 unchanged. Members can look them up now."
    )

    card = await tg.reply_to(MEMBER, "119.21 c2")
    assert "Investigate impartially cases of use of excessive force" in card.text
    assert "Recommending State: Czechia" in card.text
    assert "Response: ⏳ Pending" in card.text

    # Sending it again changes nothing (idempotent).
    again = await preview_of(tg, "A_HRC_26_16.pdf", CYCLE_2.read_bytes())
    assert "Compared with the bot: 0 new, 0 changed, 205 unchanged." in again.text

    # Responses given later, pasted: all or nothing, bad numbers named.
    bad = await tg.reply_to(COORDINATOR, "/responses c2 noted: 119.1-119.34, 119.40")
    assert bad.text.startswith("Not in cycle 2: 119.40. Nothing was changed.")
    card = await tg.reply_to(MEMBER, "119.21 c2")
    assert "Response: ⏳ Pending" in card.text
    ok = await tg.reply_to(
        COORDINATOR, "/responses c2 noted: ១១៩.១-១១៩.៣៤; rejected: 118.5, 118.22"
    )
    assert ok.text == "Responses stored for cycle 2: 34 noted, 2 rejected (36 changed)."
    card = await tg.reply_to(MEMBER, "119.21 c2")
    assert "noted" in card.text.lower()


async def test_the_current_cycle_is_switched_from_chat(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    cycles = await tg.reply_to(COORDINATOR, "/cycles")
    assert "A number without a cycle means cycle 2." in cycles.text
    make_1 = CurrentCycle(cycle=1).pack()
    assert ("Make cycle 1 current", make_1) in buttons(cycles)
    member_view = await tg.reply_to(MEMBER, "/cycles")
    assert not any(data.startswith("cc") for _, data in buttons(member_view))
    await tg.press(cycles, make_1, user=COORDINATOR)
    said = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert said.params["text"] == (
        "Cycle 1 is now the current cycle: a number without a cycle means cycle 1."
    )
    card = await tg.reply_to(MEMBER, "82.32")
    assert "82.32" in card.text
    assert "cycle 1" in card.text.lower()


def _bomb(megabytes: int = 300) -> bytes:
    """A small PDF whose page unpacks to hundreds of megabytes."""
    packer = zlib.compressobj(9)
    chunk = b"0 0 m\n" * (1024 * 1024 // 6)
    data = b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    stream = EncodedStreamObject()
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream._data = data
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_hostile_pdfs_are_refused_with_a_reason_and_nothing_is_stored(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    cases = [
        ("notes.pdf", b"PK\x03\x04 a zip named .pdf", "It is not a PDF file."),
        ("locked.pdf", _pdf(1, password="secret"), "protected with a password"),
        ("long.pdf", _pdf(201), "more than 200 pages"),
        ("bomb.pdf", _bomb(), "damaged or uses features I cannot read"),
        ("minutes.pdf", _pdf(2), "does not look like a UPR Working Group report"),
    ]
    for name, content, reason in cases:
        await tg.send_document(name, content, user=COORDINATOR)
        await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # "Reading the report…"
        answer = await tg.next_call("sendMessage", timeout=60, chat_id=COORDINATOR_ID)
        assert reason in answer.params["text"], name
    await tg.send_document("huge.pdf", b"%PDF-1.7\n" + b" " * (10 * 1024 * 1024), user=COORDINATOR)
    answer = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert answer.params["text"] == "This file is too large (at most 10 MB)."
    await tg.send_document("A_HRC_26_16.pdf", CYCLE_2.read_bytes(), user=MEMBER)
    refused = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    assert refused.params["text"].startswith(
        "Only coordinators can load recommendations from a report."
    )
    card = await tg.reply_to(MEMBER, "/cycles")
    assert "Cycle 2 (reviewed January 28, 2014): 205 recommendations" in card.text


async def test_another_states_report_is_previewed_with_a_warning_and_can_be_cancelled(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    preview = await preview_of(tg, "belize2013.pdf", BELIZE.read_bytes())
    assert "Working Group report A/HRC/25/13 (Belize)." in preview.text
    assert "Cycle 2: 103 recommendations (59 accepted, 44 pending) from 38 States." in preview.text
    assert "• This report is about Belize, not Cambodia." in preview.text
    [(_, go), (_, cancel)] = buttons(preview)
    await tg.press(preview, cancel, user=COORDINATOR)
    edited = await tg.next_call("editMessageText", chat_id=COORDINATOR_ID)
    assert edited.params["text"] == "Cancelled: nothing was imported."
    late = await tg.press(preview, go, user=COORDINATOR)
    alert = await tg.next_call("answerCallbackQuery", callback_query_id=late)
    # Its buttons are gone with the preview: a late tap is refused.
    assert alert.params["text"] == "This button no longer works. Please send your question again."
    card = await tg.reply_to(MEMBER, "97.19 c2")
    assert "Recommending State" not in card.text  # not a card: Belize was not imported
