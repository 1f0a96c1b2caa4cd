"""Every file the bot writes survives hostile text: no broken XLSX, no live formula."""

import csv
import gc
import io

import pytest
from openpyxl import load_workbook

from bot.domain.assessment import Colour
from bot.domain.spreadsheet import MAX_CELL, cell_text, collector_paused, csv_cell, table
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import open_round, rep

# (organisation short name, reason) -> (what the cell must hold, is it a would-be formula)
HOSTILE = [
    ("A\x00B", "no\x00law", "AB: 🔴 nolaw", False),
    ("C\x0bD", "x\x0by", "CD: 🔴 xy", False),
    ("E\x1fF", "x\x1fy", "EF: 🔴 xy", False),
    ("G\ufffeH", "x\ufffey", "GH: 🔴 xy", False),
    ("I\uffffJ", "x\uffffy", "IJ: 🔴 xy", False),
    ("=1+1", "=1+1", "=1+1: 🔴 =1+1", True),
    ("+1", "+1", "+1: 🔴 +1", True),
    ("-1", "-1", "-1: 🔴 -1", True),
    ("@SUM(A1)", "@SUM(A1)", "@SUM(A1): 🔴 @SUM(A1)", True),
    ("\tx", "\tx", "\tx: 🔴 \tx", True),
    ("\rx", "a\rb", "\nx: 🔴 a\nb", False),  # a bare CR is a line break (XML reads it so)
]


async def test_hostile_names_and_reasons_in_the_coordinators_export(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await open_round(tg, "c2 land", "Hostile")
    items = sorted(
        await services.assessments.repository.items(1),
        key=lambda rec_id: services.catalog.by_id[rec_id].number,
    )
    expected: dict[str, tuple[str, bool]] = {}  # recommendation cell -> reasons cell
    # Written past the domain's one_line (as by an older version or by hand): the export
    # must still be safe whatever the database holds.
    now = services.clock.now()
    for n, (short, reason, cell, formula) in enumerate(HOSTILE):
        org_id = await services.coalition.repository.add_organisation(
            short, f"Org {n}", actor=COORDINATOR_ID, now=now
        )
        invite = await services.coalition.invite(COORDINATOR_ID, org_id)
        person = rep(n)
        await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        # Each organisation rates its own recommendation: its name starts that reasons cell.
        await services.assessments.rate(person["id"], 1, items[n], Colour.RED)
        await services.assessments.repository.set_reason(1, items[n], org_id, reason, now)
        rec = services.catalog.by_id[items[n]]
        expected[f"{rec.number} – {rec.text_en}"] = (cell, formula)

    # By theme: every block has the coalition-wide reasons (working groups' blocks count only
    # their member organisations, and these organisations are in none).
    await tg.send("/export 1 xlsx themes", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    seen = 0
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type in ("s", "n") for c in row)  # text or empty: never a formula
        assert all(c.data_type == "s" for c in row if isinstance(c.value, str))
        key = next((k for k in expected if str(row[1].value).startswith(k)), None)
        if key is None:
            assert row[3].value is None  # nobody rated it
            continue
        cell, formula = expected[key]
        assert row[3].value == cell
        assert row[3].quotePrefix is formula  # Excel and LibreOffice keep it text when edited
        assert [c.value for c in row[4:]] == [1, 0, 0, 0]
        seen += 1
    assert seen >= len(HOSTILE)

    await tg.send("/export 1 csv themes", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    text = doc.params["document"]["content"].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    seen = 0
    for row in rows[1:]:
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)
        key = next((k for k in expected if row[1].startswith(k)), None)
        if key is None:
            continue
        cell, formula = expected[key]
        assert row[3] == ("'" + cell if formula else cell)
        assert row[4:] == ["1", "0", "0", "0"]
        seen += 1
    assert seen >= len(HOSTILE)


def test_the_sanitiser_removes_what_xml_forbids_and_keeps_the_rest() -> None:
    assert cell_text("a\ud800b\udfffc") == "abc"  # lone surrogates
    assert cell_text("\x00\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff") == ""
    assert cell_text("tab\tline\nកម្ពុជា 🔴 \x7f") == "tab\tline\nកម្ពុជា 🔴 \x7f"
    assert cell_text("a\r\nb") == "a\nb"
    long = cell_text("x" * (MAX_CELL + 10))
    assert len(long) == MAX_CELL
    assert long.endswith("…")
    assert csv_cell("＝1+1") == "'＝1+1"  # full-width signs are formulas in some Excels
    assert csv_cell("\x00=1+1") == "'=1+1"  # cleaned first, then checked
    assert csv_cell("1-1") == "1-1"
    book = load_workbook(io.BytesIO(table([["a\ud800", '=HYPERLINK("x")']], "xlsx"))).active
    assert [(c.value, c.data_type) for c in book[1]] == [("a", "s"), ('=HYPERLINK("x")', "s")]


def test_the_collector_is_paused_while_tables_are_built_and_back_after_the_last() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # an overlapping build
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first is still building
    assert gc.isenabled()
    with pytest.raises(ValueError, match="broken"), collector_paused():
        raise ValueError("broken")  # a failed build turns it back on too
    assert gc.isenabled()
    gc.disable()  # someone else had it off: it stays off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_long_would_be_formula_is_cut_to_excels_limit_with_its_apostrophe() -> None:
    for start in ("=", "+SUM(1)", "＝"):
        cell = csv_cell(start + "x" * 40_000)
        assert len(cell) == MAX_CELL
        assert cell.startswith("'" + start)
        assert cell.endswith("…")
    assert csv_cell("=" + "x" * (MAX_CELL - 2)) == "'=" + "x" * (MAX_CELL - 2)  # fits: whole
