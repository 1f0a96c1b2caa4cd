"""The one table writer for every file the bot produces (CSV and XLSX), and the sanitiser every
cell goes through: nothing a member types can break the file or run in a spreadsheet."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import re
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.domain.text import cut_whole

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


def minute(at: dt.datetime | None, tz: dt.tzinfo) -> str:
    """A moment as a spreadsheet reads it, in the coalition's time, to the minute:
    '2026-11-23 09:00' ('' for none)."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def cell_text(value: str) -> str:
    """The text as a cell may hold it: forbidden characters removed, line breaks as LF (XML
    reads a bare CR as LF anyway), cut to Excel's limit."""
    text = _FORBIDDEN.sub("", value)
    if "\r" in text:  # rare: most cells are spared two passes
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would evaluate this text if it were typed into a cell."""
    return text.startswith(_FORMULA_START)


def csv_cell(value: str) -> str:
    """A cell for a CSV file: clean, and a would-be formula prefixed with an apostrophe (cut
    with it to Excel's limit)."""
    text = cell_text(value)
    return cell_text("'" + text) if looks_like_formula(text) else text


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: no []:*?/\\ nor forbidden characters, at most 31."""
    title = " ".join(_SHEET_FORBIDDEN.sub("", cell_text(name)).split()).strip("'")
    return cut_whole(title, 31, at_word=True) or "Sheet"


class _Pause:
    """How many large builds run now, and whether the collector ran before the first."""

    lock = threading.Lock()
    builds = 0
    was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a large table is built: its hundreds of
    thousands of new tuples hold no cycles, yet would start full collections that scan the whole
    heap (a third of an export's time). On again after the last of overlapping builds, if it was
    on before the first; memory is still freed as it is released."""
    with _Pause.lock:
        if _Pause.builds == 0:
            _Pause.was_enabled = gc.isenabled()
            gc.disable()
        _Pause.builds += 1
    try:
        yield
    finally:
        with _Pause.lock:
            _Pause.builds -= 1
            if _Pause.builds == 0 and _Pause.was_enabled:
                gc.enable()


Rows = Sequence[Sequence[str | int]]
MIN_WIDTH, MAX_WIDTH = 6, 60  # a column's width in characters: sized to its text, within these


def table(
    rows: Rows,
    fmt: str,
    *,
    sheet: str = "",
    more: Sequence[tuple[str, Rows]] = (),
    fills: Mapping[str, str] | None = None,
) -> bytes:
    """A table as CSV (UTF-8 with BOM, for Excel) or XLSX bytes (`workbook`): its sheet named
    `sheet`, then the `more` (name, rows) sheets; every text cell sanitised, numbers kept as
    numbers."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [csv_cell(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
        )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return workbook([(sheet, rows), *more], fills)


def workbook(sheets: Sequence[tuple[str, Rows]], fills: Mapping[str, str] | None = None) -> bytes:
    """XLSX bytes with one worksheet per (name, rows): a bold frozen header, wrapped text,
    columns sized to their text, a cell whose whole text is a key of `fills` filled with that
    ARGB colour; text sanitised and never a formula, numbers kept as numbers."""
    from openpyxl import Workbook  # only exports need it

    book = Workbook(write_only=True)
    titles: set[str] = set()
    for name, rows in sheets:
        title = sheet_title(name) if name else "Sheet"
        for n in range(2, 100):  # Excel refuses two sheets of one name (case aside)
            if title.casefold() not in titles:
                break
            title = sheet_title(name)[: 31 - len(f" ({n})")] + f" ({n})"
        titles.add(title.casefold())
        _write_sheet(book.create_sheet(title), rows, fills or {})
    return _saved(book)


def _saved(book: Any) -> bytes:
    """A workbook's XLSX bytes, as `Workbook.save` writes them but deflated at zlib's fastest
    level: the same file, a few tenths larger, written in a third of the compression time (of an
    export's 30 MB of XML)."""
    from openpyxl.writer.excel import ExcelWriter

    out = io.BytesIO()
    book.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # as `save` does
    archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1)
    ExcelWriter(book, archive).save()  # writes every part, then closes the archive
    return out.getvalue()


def _write_sheet(worksheet: Any, rows: Rows, fills: Mapping[str, str]) -> None:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in rows:
        for i, value in enumerate(row):
            text = str(value)
            longest = max(map(len, text.split("\n"))) if "\n" in text else len(text)
            widths[i] = max(widths.get(i, MIN_WIDTH), min(longest + 2, MAX_WIDTH))
    for i, width in widths.items():  # before any row: a write-only sheet needs them first
        worksheet.column_dimensions[get_column_letter(i + 1)].width = width
    worksheet.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    painted = {text: PatternFill("solid", start_color=argb) for text, argb in fills.items()}
    # Each kind of cell's style made once (openpyxl looks a style up each time one is set):
    # (header, text, a would-be formula, its fill).
    styles: dict[tuple[bool, bool, bool, str | None], Any] = {}

    def style(header: bool, text: bool, quoted: bool, fill: str | None) -> Any:
        key = (header, text, quoted, fill)
        if key not in styles:
            model = Cell(worksheet)
            if text:
                # Always text, never a formula or a number; a would-be formula is also marked
                # "quoted" so that editing it in Excel or LibreOffice keeps it text.
                model.quotePrefix = quoted
                model.alignment = wrap
                if fill is not None:
                    model.fill = painted[fill]
            if header:
                model.font = bold
            styles[key] = model._style
        return styles[key]

    for number, row in enumerate(rows):
        cells = []
        header = number == 0
        for value in row:
            if not isinstance(value, str):  # a count: a number, so SUM works
                if not header:  # unstyled: as it is (a Cell would cost openpyxl an exception)
                    cells.append(value)
                    continue
                cell = Cell(worksheet, 1, 1, value, style(header, False, False, None))
            else:
                clean = cell_text(value) or None
                if clean is None:
                    cell = Cell(worksheet, 1, 1, None, style(header, False, False, None))
                else:
                    kind = style(
                        header,
                        True,
                        looks_like_formula(clean),
                        value if value in painted else None,
                    )
                    # Text as it is: openpyxl's value setter would scan it once more, and
                    # call a text starting with '=' a formula.
                    cell = Cell(worksheet, 1, 1, None, kind)
                    cell._value = clean
                    cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
