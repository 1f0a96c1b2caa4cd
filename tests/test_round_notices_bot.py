"""Everyone is told: a round's opening, its close by date and its publication become one
outbox delivery per linked working-group chat and per representative (and, for a close by
date, per coordinator), in their language, staged with the event, once per round and kind."""

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import running
from bot.domain.assessment import Colour
from bot.domain.outbox import Content
from bot.services import Services
from bot.settings import Settings, SettingsError
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.round_panel import confirmed, round_panel
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_outbox_bot import drained
from tests.test_rounds_bot import GUEST, coalition_with, flush, link_land_group, open_round


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: FakeClock) -> AsyncIterator[BotApplication]:
    """The real bot with round notices on (the default outside tests)."""
    settings = make_settings(tg, db_path, round_notices=True)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def notices(services: Services, reference: str) -> list[tuple[int, str, str | None]]:
    """(chat, text, first button's data) of each delivery of one reference, by chat."""
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference = ? ORDER BY chat_id",
        (reference,),
    ) as cursor:
        rows = await cursor.fetchall()
    found = []
    for chat_id, raw in rows:
        content = Content.from_json(raw)
        data = content.buttons[0][0].data if content.buttons else None
        found.append((int(chat_id), content.text, data))
    return found


async def delivered(tg: FakeTelegram, told: list[tuple[int, str, str | None]]) -> StoredMessage:
    """Wait for the sender to deliver these notices (in any order); the first one, as sent."""
    first = None
    for chat, text, _ in told:
        call = await tg.next_call("sendMessage", chat_id=chat)
        assert call.params["text"] == text
        first = first or tg.messages[(chat, call.result["message_id"])]
    assert first is not None
    return first


async def test_opening_a_round_tells_each_linked_chat_and_each_representative(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await services.set_language(reps[1]["id"], "km")
    await open_round(tg, "c2 land until 2026-12-31", "Mid-term")
    told = await notices(services, "round:1:opened")
    assert [chat for chat, _, _ in told] == [GROUP["id"], reps[0]["id"], reps[1]["id"]]
    assert told[0][1:] == (
        "New assessment «Mid-term»: 14 recommendations for this working group, closes "
        "December 31, 2026 (Phnom Penh). Tap Rate now to post the cards here.",
        "rr:1",
    )
    assert told[1][1] == (
        "New assessment «Mid-term»: 14 recommendations for your organisation to rate, closes "
        "December 31, 2026 (Phnom Penh)."
    )
    assert "«Mid-term»" in told[2][1]
    assert "វាយតម្លៃ" in told[2][1]  # in the representative's language

    # The sender delivers them; [Rate now] under the group's notice posts the cards there.
    notice = await delivered(tg, told)
    assert notice.chat_id == GROUP["id"]
    assert await press(tg, notice, "rr:1", reps[0]) == ""
    card = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert card.params["text"].startswith("<b>118.63</b>")


async def test_closing_by_date_and_publishing_tell_everyone_once(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63 until 2026-11-30", "Short")
    assert await notices(services, "round:1:closed") == []
    clock.advance(days=8)
    await flush(bot)  # the job closes what is due
    closed = await notices(services, "round:1:closed")
    assert [chat for chat, _, _ in closed] == [GROUP["id"], COORDINATOR_ID, reps[0]["id"]]
    await delivered(tg, await notices(services, "round:1:opened") + closed)
    assert closed[1][1] == (
        "Round 1 «Short» has closed on its closing date. Publish its results from /rounds."
    )
    await flush(bot)
    assert len(await notices(services, "round:1:closed")) == 3  # once

    await confirmed(tg, await round_panel(tg, 1), "Publish", "Publish anyway")  # none rated
    published = await notices(services, "round:1:published")
    assert [(chat, text) for chat, text, _ in published] == [
        (GROUP["id"], "The results of the assessment «Short» are published."),
        (reps[0]["id"], "The results of the assessment «Short» are published."),
    ]
    # Reopened, closed and published again: nobody is told twice.
    for chat, text, _ in published:  # each with the results picture, the text its caption
        assert (await tg.next_call("sendPhoto", chat_id=chat)).params["caption"] == text
    await services.assessments.set_open(COORDINATOR_ID, 1, True)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    assert len(await notices(services, "round:1:published")) == 2


async def test_reminders_before_the_close_go_to_organisations_not_finished_once(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3 until 2026-12-05", "Soon")
    await delivered(tg, await notices(services, "round:1:opened"))
    items = await services.assessments.items(1)
    for rec in items:
        await services.assessments.rate(reps[0]["id"], 1, rec, Colour.GREEN)
    await services.assessments.rate(reps[1]["id"], 1, items[0], Colour.RED)
    await flush(bot)
    assert await notices(services, "round:1:reminder-3") == []
    clock.advance(days=10)  # December 3rd: three days before the close
    await flush(bot)
    await flush(bot)
    reminders = await notices(services, "round:1:reminder-3")
    assert reminders == [
        (
            reps[1]["id"],
            "Reminder: the assessment «Soon» closes December 5, 2026 (Phnom Penh). Your "
            "organisation has rated 1 of 3: 2 left.",
            "rr:1",
        )
    ]
    await delivered(tg, reminders)
    clock.advance(days=2)  # the last day
    await flush(bot)
    last = await notices(services, "round:1:reminder-1")
    assert [chat for chat, _, _ in last] == [reps[1]["id"]]
    await delivered(tg, last)


def test_notices_and_reminder_days_are_settings() -> None:
    defaults = Settings.from_env({}, require_token=False)
    assert (defaults.round_notices, defaults.round_reminder_days) == (True, (3, 1))
    chosen = Settings.from_env(
        {"ROUND_NOTICES": "0", "ROUND_REMINDER_DAYS": "1, 7"}, require_token=False
    )
    assert (chosen.round_notices, chosen.round_reminder_days) == (False, (7, 1))
    with pytest.raises(SettingsError, match="ROUND_REMINDER_DAYS"):
        Settings.from_env({"ROUND_REMINDER_DAYS": "three"}, require_token=False)


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet of an XLSX file, as one string."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


async def published_round(
    tg: FakeTelegram, bot: BotApplication
) -> tuple[list[dict[str, Any]], dict[int, StoredMessage]]:
    """Two land organisations (the second's representative reads Khmer) rate, with a reason,
    in a round the coordinator then closes and publishes; its notices, delivered, by chat."""
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await services.set_language(reps[1]["id"], "km")
    await open_round(tg, "c2 118.63", "Short")
    await delivered(tg, await notices(services, "round:1:opened"))
    [rec] = await services.assessments.items(1)
    await services.assessments.rate(reps[0]["id"], 1, rec, Colour.GREEN)
    await services.assessments.set_reason(reps[0]["id"], 1, rec, "The law passed")
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    told = await notices(services, "round:1:published")
    sent = {}
    for chat, text, _ in told:  # the results picture, the text and buttons its caption
        call = await tg.next_call("sendPhoto", chat_id=chat)
        assert call.params["caption"] == text
        sent[chat] = tg.messages[(chat, call.result["message_id"])]
    return reps, sent


async def test_the_published_notice_shows_the_results_and_sends_the_table_privately(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps, sent = await published_round(tg, bot)
    in_group, khmer = sent[GROUP["id"]], sent[reps[1]["id"]]
    assert [b["text"] for b in buttons(in_group)] == ["📊 View results", "📥 XLSX"]
    assert [b["text"] for b in buttons(khmer)] == ["📊 មើលលទ្ធផល", "📥 XLSX"]
    assert khmer.text.startswith("លទ្ធផល")

    # In the group: that working group's results, there, for everyone to see.
    assert await press(tg, in_group, button(in_group, "📊 View results"), reps[0]) == ""
    summary = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert summary.params["text"].startswith("<b>Short</b>\n1 of 2 organisations of «Land")
    await tg.next_call("sendMessage", chat_id=GROUP["id"])  # the table's first page

    # The table is sent privately: a member's without names, a coordinator's with them.
    for who, named in ((reps[0], False), (COORDINATOR, True)):
        answer = await press(tg, in_group, button(in_group, "📥 XLSX"), who)
        assert answer == "I sent you the table in our private chat."
        call = await tg.next_call("sendDocument", chat_id=who["id"])
        name, content = tg.documents[(who["id"], call.result["message_id"])]
        assert name == "round-1-en.xlsx"
        cells = workbook_text(content)
        assert "The law passed" in cells
        assert ("ORG0" in cells) is named, cells
    assert not [
        c for c in tg.calls if c.method == "sendDocument" and c.params["chat_id"] == "-100500"
    ]

    # In private, in the member's language; one who never opened a private chat is told how.
    await press(tg, khmer, button(khmer, "📥 XLSX"), reps[1])
    call = await tg.next_call("sendDocument", chat_id=reps[1]["id"])
    assert call.params["document"]["filename"] == "round-1-km.xlsx"
    tg.blocked.add(reps[1]["id"])
    answer = await press(tg, in_group, button(in_group, "📥 XLSX"), reps[1])
    assert answer.startswith("សូមបើកការជជែកឯកជនជាមួយខ្ញុំជាមុនសិន")
    assert (await tg.next_call("sendDocument", chat_id=reps[1]["id"])).error is not None

    # Guests get nothing; once publication is withdrawn (reopened), members neither.
    assert (await press(tg, in_group, button(in_group, "📥 XLSX"), GUEST)).startswith(
        "This is for the coalition's member organisations"
    )
    services: Services = bot.bot_data["services"]
    await services.assessments.set_open(COORDINATOR_ID, 1, True)
    for label in ("📊 View results", "📥 XLSX"):
        assert await press(tg, in_group, button(in_group, label), reps[0]) == (
            "Results are shown to members once coordinators publish a closed round."
        )


async def test_the_published_notice_survives_a_restart_before_its_delivery(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path, round_notices=True)
    limiter = loose_limiter()
    async with running(settings, clock, poll_timeout=1, limiter=limiter, stop_grace=0.1) as first:
        services: Services = first.bot_data["services"]
        reps = await coalition_with(first, 1, "land")
        await link_land_group(tg)
        await open_round(tg, "c2 118.63", "Short")
        await delivered(tg, await notices(services, "round:1:opened"))
        await services.assessments.set_open(COORDINATOR_ID, 1, False)
        tg.stall("sendPhoto")  # Telegram hangs: the notices are not delivered
        await services.assessments.publish(COORDINATOR_ID, 1)
        await tg.stalled("sendPhoto", 2)
    tg.abandon("sendPhoto")
    async with running(settings, clock, poll_timeout=1, limiter=limiter):
        for chat in (GROUP["id"], reps[0]["id"]):
            call = await tg.next_call("sendPhoto", chat_id=chat)
            assert call.params["caption"].startswith("The results of the assessment «Short»")
            assert [
                b["callback_data"] for b in call.params["reply_markup"]["inline_keyboard"][0]
            ] == [
                "pnv:1",
                "pnx:1",
            ]


OTHER_CHAT = {"id": -100600, "type": "supergroup", "title": "Land (provinces)"}


async def unpinned_rows(services: Services, count: int) -> None:
    """Wait until the sender has recorded `count` refused pins."""
    for _ in range(500):
        async with services.database.connection.execute("SELECT COUNT(*) FROM unpinned") as c:
            row = await c.fetchone()
        if row is not None and row[0] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the refused pin was never recorded")


async def run_job(bot: BotApplication, name: str) -> None:
    [job] = bot.job_queue.get_jobs_by_name(name)  # type: ignore[union-attr]
    await job.run(bot)


async def open_and_pin(tg: FakeTelegram, scope: str, name: str) -> StoredMessage:
    """/openround, then [📌 Open and pin in groups]: the message saying it is open."""
    preview = await tg.reply_to(COORDINATOR, f"/openround {scope} : {name}")
    assert [b["text"] for b in buttons(preview)] == [
        "Open",
        "Cancel",
        "📌 Open and pin in groups",
    ]
    assert (
        await press(tg, preview, button(preview, "📌 Open and pin in groups"), COORDINATOR) == ""
    )
    return await edited(tg, preview)


async def test_open_and_pin_pins_where_it_may_and_says_once_where_it_could_not(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    await services.coalition.link_chat(
        COORDINATOR_ID, OTHER_CHAT["id"], 0, land, "Land (provinces)"
    )
    await tg.bot_membership(GROUP, by=COORDINATOR, old="member", new="administrator")
    assert tg.admins == {GROUP["id"]}
    # Only a coordinator may press it (a forged press changes nothing).
    preview = await tg.reply_to(COORDINATOR, "/openround c2 land : Mid-term")
    forged = button(preview, "📌 Open and pin in groups")
    assert await press(tg, preview, forged, reps[0]) == "Only coordinators can do this."
    assert await services.assessments.rounds() == []
    await press(tg, preview, button(preview, "Cancel"), COORDINATOR)
    await edited(tg, preview)

    opened = await open_and_pin(tg, "c2 land", "Mid-term")
    assert opened.text.startswith("Round 1 «Mid-term» is open")
    told = await notices(services, "round:1:opened")
    for chat in (GROUP["id"], OTHER_CHAT["id"]):
        sent = await tg.next_call("sendMessage", chat_id=chat)
        pin = await tg.next_call("pinChatMessage", chat_id=chat)
        assert pin.params["message_id"] == str(sent.result["message_id"])
        assert pin.params["disable_notification"] == "true"  # the notice itself notified
    assert pin.error == "Bad Request: not enough rights to manage pinned messages in the chat"
    assert [key[0] for key in tg.pinned] == [GROUP["id"]]
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # privately: never pinned
    assert len(told) == 3
    await unpinned_rows(services, 1)
    await drained(services)
    async with services.database.connection.execute(
        "SELECT status FROM deliveries WHERE reference = 'round:1:opened'"
    ) as cursor:
        assert {r[0] for r in await cursor.fetchall()} == {"sent"}  # the notice stays sent

    # The coordinator is told once, naming the chat; the sweep never says it again.
    await run_job(bot, "outbox-sweep")
    await run_job(bot, "outbox-sweep")
    report = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert report.params["text"] == (
        "Round 1 «Mid-term» is open, but I could not pin its notice in: «Land (provinces)». The "
        "notice was sent; to let me pin, make me an administrator allowed to pin messages there."
    )
    assert len(await notices(services, "round:1:unpinned")) == 1

    # Plain [Open]: nothing is pinned, nothing to report.
    pins = len(tg.pinned)
    await open_round(tg, "c2 118.63", "Plain")
    await delivered(tg, await notices(services, "round:2:opened"))
    await run_job(bot, "outbox-sweep")
    assert "pinChatMessage" not in [c.method for c in tg.calls if not c.consumed]
    assert len(tg.pinned) == pins


async def test_open_and_pin_survives_a_restart_before_the_delivery_in_khmer(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path, round_notices=True)
    limiter = loose_limiter()
    async with running(settings, clock, poll_timeout=1, limiter=limiter, stop_grace=0.1) as first:
        services: Services = first.bot_data["services"]
        await coalition_with(first, 1, "land")
        await link_land_group(tg)
        await services.set_language(COORDINATOR_ID, "km")
        preview = await tg.reply_to(COORDINATOR, "/openround c2 land : Mid-term")
        tg.stall("sendMessage")  # Telegram hangs from the tap on: nothing is delivered
        await press(tg, preview, button(preview, "📌 បើក ហើយខ្ទាស់ក្នុងក្រុម"), COORDINATOR)
        await tg.stalled("sendMessage", 2)
    tg.abandon("sendMessage")
    assert "pinChatMessage" not in [c.method for c in tg.calls]
    async with running(settings, clock, poll_timeout=1, limiter=limiter) as again:
        sent = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        assert sent.params["text"].startswith("New assessment «Mid-term»")
        pin = await tg.next_call("pinChatMessage", chat_id=GROUP["id"])
        assert pin.params["message_id"] == str(sent.result["message_id"])
        await unpinned_rows(again.bot_data["services"], 1)  # the bot is no admin there
        await run_job(again, "outbox-sweep")
        report = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
        assert report.params["text"].startswith("វគ្គទី១ «Mid-term» បានបើកហើយ")
