"""A Khmer coordinator who sends a bad strategy file reads why in Khmer: a broken XLSX, a CSV
with bad rows, a file too large (the real Application, the fake Bot API server)."""

from __future__ import annotations

import re

import pytest

from bot.domain import importer
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with
from tests.test_strategy_file import HEADER_KM, row

# Names the reader knows as they are: the file's own name, the formats, an organisation.
NAMES = ("ផែនការ-ដីធ្លី.xlsx", "ផែនការ.csv", ".xlsx", ".csv", "CSV", "XLSX", "NOPE", "land")
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str) -> list[str]:
    """The ASCII words left once names and numbers are set aside."""
    for name in NAMES:
        text = text.replace(name, "")
    return ASCII_WORD.findall(text)


async def report(tg: FakeTelegram, name: str, content: bytes) -> str:
    await tg.send_document(name, content, user=COORDINATOR)
    answer = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    return str(answer.params["text"])


def csv_file(lines: list[list[str]]) -> bytes:
    return "".join(",".join(f'"{c}"' for c in line) + "\r\n" for line in lines).encode()


async def test_a_khmer_coordinator_reads_every_import_problem_in_khmer(
    tg: FakeTelegram, bot: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1, "land")
    await services.set_language(COORDINATOR_ID, "km")

    broken = await report(tg, "ផែនការ-ដីធ្លី.xlsx", b"PK\x03\x04 not really a workbook")
    assert "ផែនការ-ដីធ្លី.xlsx" in broken
    assert english_words(broken) == [], broken

    bad_rows = csv_file(
        [
            HEADER_KM,
            row("land", "118.6", "កម្មវិធីវិទ្យុ", "2027", "ORG0"),
            row("land", "118.7", "សេចក្តីថ្លែងការណ៍រួម", "2027", "NOPE"),  # no such organisation
            row("land", "999.9", "សិក្ខាសាលា", "2027", "ORG0"),  # no such recommendation
        ]
    )
    rows = await report(tg, "ផែនការ.csv", bad_rows)
    assert len(rows.splitlines()) == 3
    for line in rows.splitlines():
        assert english_words(line) == [], line

    unclosed = b'"\xe1\x9e\x9f",x\r\n"never closed\r\n'
    quoted = await report(tg, "ផែនការ.csv", unclosed)
    assert english_words(quoted) == [], quoted

    too_large = await report(tg, "ផែនការ.csv", b"x" * (5 * 1024 * 1024 + 1))
    assert english_words(too_large) == [], too_large
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 1000)  # a file over the import's own limit
    over = await report(tg, "ផែនការ.csv", bad_rows + b" " * 1000)
    assert "ផែនការ.csv" in over
    assert english_words(over) == [], over


async def test_the_same_reasons_stay_english_for_an_english_coordinator(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    broken = await report(tg, "plan.xlsx", b"PK\x03\x04 not really a workbook")
    assert broken.endswith("plan.xlsx: not a readable .xlsx file")  # the library's words: CLI
