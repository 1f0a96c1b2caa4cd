"""A round's export is read and written off the event loop and off the shared connection's
thread: while its reasons cells are read, or a big file is being written, other chats are
answered."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from bot.domain.assessment import Colour
from bot.services import Services
from handlers import round_results
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, MEMBER, FakeClock
from tests.fake_telegram import FakeTelegram

T = TypeVar("T")


async def closed_round(services: Services, clock: FakeClock) -> int:
    """A closed round of five recommendations that one organisation rated: its id."""
    repo = services.assessments.repository
    recs = [r.id for r in services.catalog.recommendations if r.cycle == 2][:5]
    org = (await services.coalition.add_organisation(COORDINATOR_ID, "O1", "Org 1")).organisation
    round_id = await repo.open_round(
        "R", 2, "c2", recs, None, actor=COORDINATOR_ID, now=clock.now()
    )
    for rec in recs:
        await repo.rate(round_id, rec, org.id, Colour.GREEN, clock.now())
        await repo.set_reason(round_id, rec, org.id, "No law yet.", clock.now())
    await services.assessments.set_open(COORDINATOR_ID, round_id, False)
    return round_id


def hold_reads_apart(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> tuple[threading.Event, threading.Event]:
    """Make every read apart (an export's counts and cells) wait for the test, as long as a big
    one takes: (reading: one has started, read: set it to let them go on)."""
    database = services.database
    read_apart = database.read_apart
    reading, read = threading.Event(), threading.Event()

    async def held(work: Callable[[sqlite3.Connection], T]) -> T:
        def slow(conn: sqlite3.Connection) -> T:
            reading.set()
            read.wait(10)
            return work(conn)

        return await read_apart(slow)

    monkeypatch.setattr(database, "read_apart", held)
    return reading, read


async def test_a_lookup_is_answered_while_an_exports_reasons_are_read(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = bot.bot_data["services"]
    round_id = await closed_round(services, clock)
    reading, read = hold_reads_apart(services, monkeypatch)
    await tg.send(f"/export {round_id} xlsx", user=COORDINATOR)
    assert await asyncio.to_thread(reading.wait, 10)

    card = await tg.reply_to(MEMBER, "118.6")  # the update went through the database meanwhile
    assert card.text.startswith("<b>118.6</b>")
    assert not [c for c in tg.calls if c.method == "sendDocument"]

    read.set()
    sent = await tg.next_call("sendDocument")
    assert sent.error is None


async def test_a_lookup_is_answered_while_an_export_is_being_written(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = bot.bot_data["services"]
    round_id = await closed_round(services, clock)

    # The file's writing waits for the test: as long as a big export would take.
    writing, written = threading.Event(), threading.Event()
    write = round_results._export_file

    def held(*args: object) -> bytes:
        writing.set()
        written.wait(10)
        return write(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(round_results, "_export_file", held)
    await tg.send(f"/export {round_id} xlsx", user=COORDINATOR)
    assert await asyncio.to_thread(writing.wait, 10)

    card = await tg.reply_to(MEMBER, "118.6")  # answered while the file is written
    assert card.text.startswith("<b>118.6</b>")
    assert not [c for c in tg.calls if c.method == "sendDocument"]

    written.set()
    sent = await tg.next_call("sendDocument")
    assert sent.error is None


async def test_the_round_panel_and_pictures_counts_wait_for_no_export(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round's counts (the panel, the results picture's bars per working group) are short
    reads on the shared connection: exports holding worker threads do not hold them up."""
    services: Services = bot.bot_data["services"]
    round_id = await closed_round(services, clock)
    reading, read = hold_reads_apart(services, monkeypatch)
    await tg.send(f"/export {round_id} xlsx", user=COORDINATOR)
    assert await asyncio.to_thread(reading.wait, 10)

    assessments = services.assessments
    panel = await asyncio.wait_for(assessments.panel(COORDINATOR_ID, round_id), 5)
    assert panel is not None
    assert panel.ratings == 5
    round_ = await assessments.repository.round(round_id)
    assert round_ is not None
    await asyncio.wait_for(assessments.group_colours(round_, services.catalog), 5)
    assert not [c for c in tg.calls if c.method == "sendDocument"]

    read.set()
    sent = await tg.next_call("sendDocument")
    assert sent.error is None
