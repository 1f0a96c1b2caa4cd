"""The XLSX export looks like the coalition's table: named sheets, a bold frozen header,
wrapped text, sensible widths, the colour cell filled with its colour (read back with openpyxl)."""

import io

from openpyxl import load_workbook

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, open_round

RED, ORANGE = "🔴 Red: no progress", "🟠 Orange: some progress"
GREEN, NOT_ENOUGH = "🟢 Green: fully implemented", "… Not enough ratings"


async def test_the_xlsx_export_has_named_sheets_a_frozen_header_and_coloured_cells(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 3, "land")
    await open_round(tg, "c2 118.63, 118.64, 118.65, 118.66", "Mid-term")
    items = await services.assessments.items(1)
    numbers = {str(services.catalog.by_id[i].number): i for i in items}
    for colour, number in ((Colour.RED, "118.63"), (Colour.ORANGE, "118.64")):
        for rep in reps:
            await services.assessments.rate(rep["id"], 1, numbers[number], colour)
    for rep in reps:
        await services.assessments.rate(rep["id"], 1, numbers["118.65"], Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)

    await tg.send("/export 1 xlsx", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    book = load_workbook(io.BytesIO(doc.params["document"]["content"]))
    # The whole table on a sheet named after the round, then a sheet per working group.
    assert book.sheetnames[0] == "Mid-term"
    assert "Land and natural resources" in book.sheetnames
    assert "Gender and women's rights" in book.sheetnames
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert not sheet["B2"].font.bold
        assert sheet["B2"].alignment.wrap_text
        assert sheet.column_dimensions["B"].width == 60  # the recommendation's text: wide
        assert 6 <= sheet.column_dimensions["E"].width < 10  # a count: narrow
    land = book["Land and natural resources"]
    assert [row[0].value for row in land.iter_rows(min_row=2)] == ["Land and natural resources"]

    # By theme, the coalition's colours: each colour cell filled with its colour.
    await tg.send("/export 1 xlsx themes", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    whole = load_workbook(io.BytesIO(doc.params["document"]["content"]))["Mid-term"]
    fills = {
        row[2].value: row[2].fill.fgColor.rgb for row in whole.iter_rows(min_row=2) if row[2].value
    }
    assert fills == {
        RED: "FFEA9999",
        ORANGE: "FFF9CB9C",
        GREEN: "FFB6D7A8",
        NOT_ENOUGH: "00000000",  # not a colour: not filled
    }
