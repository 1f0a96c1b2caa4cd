"""Every command that takes arguments reads Khmer ones (Khmer digits, the Khmer colon ៖, Khmer
words for themes, groups, options, languages, dates) exactly as it reads the English ones: each
row sends both and the bot must answer the same."""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import running
from bot.domain.milestones import MilestoneDate
from bot.domain.rounds import closing_time
from bot.domain.schedule import parse_date, parse_time_of_day, parse_when
from handlers.common import BotApplication, BotContext
from tests.conftest import (
    COORDINATOR,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
    until,
)
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

User = dict[str, Any]
_SENDS = ("sendMessage", "sendDocument", "sendPhoto")
_MEMBER: User = {}  # the representative, filled in by the test
# (who, where, as typed in English, as typed in Khmer, what undoes the first before the second)
ROWS: list[tuple[str, bool, str, str, str]] = [
    ("coordinator", False, "/find 118.6", "/find ១១៨.៦", ""),
    ("coordinator", False, "/find c2 118.1-118.3", "/find វដ្តទី២ ១១៨.១-១១៨.៣", ""),
    ("member", False, "/rate 2", "/rate ២", ""),
    ("coordinator", False, "/results 1", "/results ១", ""),
    ("coordinator", False, "/results 1 land", "/results ១ ដីធ្លី", ""),
    ("coordinator", False, "/export 1 csv themes", "/export ១ CSV ប្រធានបទ", ""),
    ("coordinator", False, "/export 1 csv land", "/export ១ csv ដីធ្លី", ""),
    ("coordinator", False, "/compare 1 2", "/compare ១ ២", ""),
    ("coordinator", False, "/compare 1 2 land", "/compare ១ ២ ដីធ្លី", ""),
    (
        "coordinator",
        False,
        "/openround c2 accepted land 118.1-118.60 until 2026-12-31 : Mid-term 2026",
        "/openround វដ្តទី២ ទទួលយក ដីធ្លី ១១៨.១-១១៨.៦០ រហូតដល់ ២០២៦-១២-៣១ ៖ Mid-term 2026",
        "",
    ),
    ("coordinator", False, "/promote 12345", "/promote ១២៣៤៥", "/demote 12345"),
    ("coordinator", False, "/language km", "/language ខ្មែរ", "/language en"),
    ("coordinator", False, "/language en", "/language អង់គ្លេស", "/language km"),
    ("coordinator", True, "/language km", "/language ភាសាខ្មែរ", "/language en"),
    ("coordinator", True, "/rate 9", "/rate ៩", ""),
]


def _seen(call: Any) -> tuple[str, str]:
    """What a sent message shows: its text or caption, or a file's name and bytes."""
    if call.method == "sendDocument":
        return (
            call.method,
            f"{call.params['document']['filename']}:{call.params['document']['content']!r}",
        )
    return call.method, str(call.params.get("text") or call.params.get("caption") or "")


async def _answer(
    tg: FakeTelegram, handled: set[int], user: User, text: str, group: bool
) -> list[tuple[str, str]]:
    """Send a command and return everything the bot sent to that chat while handling it."""
    chat = GROUP if group else None
    chat_id = (chat or user)["id"]
    start = len(tg.calls)
    update_id = await tg.send(text, user=user, chat=chat)

    async def done() -> bool:
        return update_id in handled

    await until(done, f"{text} handled")
    return [
        _seen(c)
        for c in tg.calls[start:]
        if c.method in _SENDS and str(c.params.get("chat_id")) == str(chat_id)
    ]


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: FakeClock) -> AsyncIterator[BotApplication]:
    """The real bot without the per-account flood limit (the table sends fifty commands)."""
    settings = make_settings(tg, db_path, rate_limit_per_minute=100_000)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def test_every_command_reads_khmer_arguments_as_english_ones(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.1-118.3", "One")
    await open_round(tg, "c2 118.1-118.3", "Two")
    handled: set[int] = set()

    async def record(update: Update, context: BotContext) -> None:
        handled.add(update.update_id)

    bot.add_handler(TypeHandler(Update, record), group=99)  # after every other handler
    people = {"coordinator": COORDINATOR, "member": member}
    for who, group, english, khmer, undo in ROWS:
        user = people[who]
        expected = await _answer(tg, handled, user, english, group)
        assert expected, english
        if undo:
            await _answer(tg, handled, user, undo, group)
        assert await _answer(tg, handled, user, khmer, group) == expected, khmer


TZ = ZoneInfo("Asia/Phnom_Penh")
NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("english", "khmer"),
    [
        ("2026-12-07 09:30", "២០២៦-១២-០៧ ០៩៖៣០"),
        ("7 Dec 9:30", "៧ ធ្នូ ៩៖៣០"),
        ("tomorrow 9", "ស្អែក ម៉ោង៩"),
    ],
)
def test_broadcast_moments_read_khmer_digits_and_colons(english: str, khmer: str) -> None:
    assert parse_when(khmer, NOW, TZ) == parse_when(english, NOW, TZ)


def test_dates_and_times_typed_in_khmer() -> None:
    assert parse_time_of_day("០៨៖១៥") == parse_time_of_day("08:15") == dt.time(8, 15)
    assert parse_date("២០២៧-០១-៣១", NOW, TZ) == parse_date("2027-01-31", NOW, TZ)
    assert MilestoneDate.parse("២០២៨-០៣/២០២៨-០៥") == MilestoneDate.parse("2028-03/2028-05")
    today = NOW.date()
    assert closing_time("២០២៦-១២-៣១", TZ, today) == closing_time("2026-12-31", TZ, today)
