"""An export is one moment: its counts, the whole coalition's reasons cells and each working
group's are read in one snapshot, so a rating written while the file is being built (an open
round, people still rating) shows in all of them or in none."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

import storage.assessment
from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, open_round


async def test_a_rating_written_while_an_export_is_read_is_in_none_of_its_tables(
    tg: FakeTelegram, bot: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await open_round(tg, "c2 118.129", "Open")
    [rec] = await services.assessments.repository.items(1)
    await services.assessments.rate(reps[0]["id"], 1, rec, Colour.RED)
    await services.assessments.set_reason(reps[0]["id"], 1, rec, "No titles.")
    path = services.database.path
    assert path is not None
    real: Callable[..., Any] = storage.assessment._reasons_cells
    writes = []

    def written_meanwhile(*args: Any) -> Any:
        """ORG1 rates 🟠 with a reason, committed by another connection, after the export's
        first read and before its cells are written."""
        if not writes:
            with sqlite3.connect(path) as other:
                other.execute(
                    "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                    "reason, updated_at) SELECT 1, ?, id, 'orange', 'Some titles.', "
                    "'2026-12-01T00:00:00+00:00' FROM organisations WHERE short_name = 'ORG1'",
                    (rec,),
                )
            writes.append(rec)
        return real(*args)

    monkeypatch.setattr(storage.assessment, "_reasons_cells", written_meanwhile)

    async def exported() -> list[tuple[Any, ...]]:
        await tg.send("/export 1 xlsx", user=COORDINATOR)
        doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
        book = load_workbook(io.BytesIO(doc.params["document"]["content"]))
        rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
        return [row for row in rows if str(row[1]).startswith("118.129 – ")]

    before = await exported()
    assert writes == [rec]  # the rating was committed while the file was read
    # The whole coalition's row and the working group's: the same moment, before the rating.
    assert [row[0] for row in before] == ["Whole coalition", "Land and natural resources"]
    for row in before:
        assert row[3:8] == ("ORG0: 🔴 No titles.", 1, 0, 0, 0)
    after = await exported()  # the next file has it everywhere
    assert len(after) == 2
    for row in after:
        assert row[3:8] == ("ORG0: 🔴 No titles.; ORG1: 🟠 Some titles.", 1, 1, 0, 0)
