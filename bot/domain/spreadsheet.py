"""The one table writer for every file the bot produces (CSV and XLSX), and the sanitiser every
cell goes through: nothing a member types can break the file or run in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

# What XML 1.0 forbids (C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF):
# openpyxl refuses some of them, and Excel and LibreOffice refuse a file holding the others.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A cell starting with one of these is a formula to some spreadsheet (the full-width forms
# count too: some East Asian versions of Excel read them as the ASCII ones).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# What a worksheet's name may not hold (Excel refuses the file otherwise).
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# The most one cell holds in Excel; beyond it Excel calls the whole file damaged.
MAX_CELL = 32_767


def cell_text(value: str) -> str:
    """The text as a cell may hold it: forbidden characters removed, line breaks as LF (XML
    reads a bare CR as LF anyway), cut to Excel's limit."""
    text = _FORBIDDEN.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would evaluate this text if it were typed into a cell."""
    return text.startswith(_FORMULA_START)


def csv_cell(value: str) -> str:
    """A cell for a CSV file: clean, and a would-be formula prefixed with an apostrophe."""
    text = cell_text(value)
    return "'" + text if looks_like_formula(text) else text


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: no []:*?/\\ nor forbidden characters, at most 31."""
    title = " ".join(_SHEET_FORBIDDEN.sub("", cell_text(name)).split()).strip("'")
    return title[:31] or "Sheet"


def table(rows: Sequence[Sequence[str | int]], fmt: str, *, sheet: str = "") -> bytes:
    """A table as CSV (UTF-8 with BOM, for Excel) or XLSX bytes (its sheet named `sheet`);
    every text cell sanitised, numbers kept as numbers."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [csv_cell(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
        )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return workbook([(sheet, rows)])


def workbook(sheets: Sequence[tuple[str, Sequence[Sequence[str | int]]]]) -> bytes:
    """XLSX bytes with one worksheet per (name, rows), every cell as `table` writes it."""
    from openpyxl import Workbook  # only exports need it
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for sheet, rows in sheets:
        worksheet = book.create_sheet(sheet_title(sheet) if sheet else None)
        for row in rows:
            cells = []
            for value in row:
                if not isinstance(value, str):  # a count: a number, so SUM works
                    cells.append(WriteOnlyCell(worksheet, value=value))
                    continue
                cell = WriteOnlyCell(worksheet, value=cell_text(value) or None)
                if cell.value is not None:
                    # Always text, never a formula or a number; a would-be formula is also
                    # marked "quoted" so that editing the cell in Excel or LibreOffice keeps it
                    # text.
                    cell.data_type = "s"
                    cell.quotePrefix = looks_like_formula(cell.value)
                cells.append(cell)
            worksheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
