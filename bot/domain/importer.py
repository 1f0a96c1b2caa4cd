"""Reading recommendation and translation files (CSV or XLSX) into checked rows.

Accepts the project's own format and the column names of exports from the UPR Info database and
OHCHR's Universal Human Rights Index. Every bad row is reported with its line and reason; good
rows are returned for the caller to store in one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.i18n import Localizer
from bot.domain.model import RecNumber, Response, TranslationStatus
from bot.domain.states import resolve_state
from bot.domain.text import normalize, written_text


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


MAX_TEXT = 6000
MAX_FILE_ROWS = 100_000
MAX_LINES = 1_048_576  # a spreadsheet's own limit
MAX_FILE_BYTES = 100_000_000  # a CSV file, or what an XLSX file unpacks to
MAX_XLSX_PARTS = 1000
# openpyxl reads an XLSX file's shared strings whole, before any row: 90 MB of tiny strings
# cost minutes and half a gigabyte. 20 MB is hundreds of thousands of real cells.
MAX_SHARED_STRINGS_BYTES = 20_000_000
MAX_MANIFEST_BYTES = 1_000_000  # [Content_Types].xml: a few kilobytes in a real file
MAX_COLUMNS = 100  # columns beyond are not read (a file may claim 16,384)

# Header spellings, normalised (lower case, punctuation as spaces), for each field we read.
_HEADERS: dict[str, tuple[str, ...]] = {
    "cycle": ("cycle", "upr cycle", "review cycle"),
    "number": (
        "number",
        "no",
        "paragraph",
        "paragraph number",
        "recommendation number",
        "rec number",
        "rec no",
        "ref",
        "reference",
        "para",
        "recommendation no",
    ),
    "text": (
        "text",
        "recommendation",
        "recommendation text",
        "text of recommendation",
        "full text",
        "recommendation english",
        "text en",
        "english text",
        "text english",
    ),
    "text_km": (
        "text km",
        "khmer",
        "khmer text",
        "text khmer",
        "translation",
        "recommendation km",
        "recommendation khmer",
    ),
    "states": (
        "recommending states",
        "recommending state",
        "recommending state s",
        "state",
        "states",
        "recommended by",
        "recommending country",
        "from",
        "recommending states sr",
    ),
    "response": (
        "response",
        "position",
        "sur response",
        "response position",
        "sur position",
        "status of response",
    ),
    "status": ("status", "translation status"),
    "translator": ("translator", "translated by"),
    "reviewer": ("reviewer", "reviewed by"),
    "translated_at": ("translated at", "translated on", "drafted at"),
    "reviewed_at": ("reviewed at", "reviewed on"),
    "sdg": ("sdg targets", "sdg target", "sdgs", "sdg"),
    "action_category": ("action category", "action", "category"),
    "session": ("session", "upr session", "wg session"),
    "document": ("document symbol", "document", "symbol", "report symbol"),
    "sur": ("state under review", "sur", "under review", "country under review"),
    "source": ("source",),
}
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "supported": Response.ACCEPTED,
    "accept": Response.ACCEPTED,
    "support": Response.ACCEPTED,
    "enjoys the support": Response.ACCEPTED,
    "noted": Response.NOTED,
    "note": Response.NOTED,
    "not supported": Response.NOTED,
    "rejected": Response.REJECTED,
    "pending": Response.PENDING,
    "": Response.PENDING,
    "to be examined": Response.PENDING,
    "under consideration": Response.PENDING,
}
# Cambodia's Working Group sessions and report symbols, for exports that give no cycle.
_SESSION_CYCLE = {6: 1, 18: 2, 32: 3, 46: 4}
_DOCUMENT_CYCLE = {"a/hrc/13/4": 1, "a/hrc/26/16": 2, "a/hrc/41/17": 3}
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,4}\.\d{1,4})[\s.:)\-]+(.*)$", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RowError:
    """Why one line of a file was not loaded; `message` is a gettext msgid with `params`."""

    line: int
    message: str
    params: dict[str, str] = field(default_factory=dict)
    sheet: str = ""  # in a workbook of several sheets: which one

    def english(self) -> str:
        """The reason in English, for the command line."""
        return self.message.format(**self.params)

    def translated(self, l10n: Localizer) -> str:
        """The reason in the reader's language."""
        return l10n.message(self.message, self.params)


@dataclass(frozen=True)
class RecommendationRow:
    """A checked recommendation ready to store."""

    line: int
    cycle: int
    number: RecNumber
    text_en: str
    states: tuple[str, ...]
    response: Response
    sdg_targets: tuple[str, ...] = ()
    action_category: int | None = None
    source: str = ""


@dataclass(frozen=True)
class TranslationRow:
    """A checked Khmer translation ready to store."""

    line: int
    cycle: int
    number: RecNumber
    text_km: str
    status: TranslationStatus
    translator: str
    reviewer: str = ""
    translated_at: dt.datetime | None = None  # provenance from an export; None: now
    reviewed_at: dt.datetime | None = None


@dataclass
class ParsedFile:
    """The good rows of a file and the reasons for the bad ones."""

    kind: str  # "recommendations" or "translations"
    recommendations: list[RecommendationRow] = field(default_factory=list)
    translations: list[TranslationRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (format, encoding, size, or no recognisable columns):
    `message` is a gettext msgid with `params`, translated where it is shown; `detail` is what
    the library said, in English, for the command line only. `str()` is the English reason."""

    def __init__(self, message: str, *, detail: str = "", **params: str) -> None:
        english = message.format(**params)
        super().__init__(f"{english} ({detail})" if detail else english)
        self.message = message
        self.params = params
        self.detail = detail

    def translated(self, l10n: Localizer) -> str:
        """The reason in the reader's language (without the library's English words)."""
        return l10n.message(self.message, self.params)


def parse_file(
    path: Path, *, default_cycle: int | None = None, zone: dt.tzinfo = dt.UTC
) -> ParsedFile:
    """Read a CSV or XLSX file of recommendations or of Khmer translations (a date without
    its offset is in `zone`, the coalition's time zone)."""
    return parse_table(_read_table(path), default_cycle=default_cycle, zone=zone)


def parse_table(
    table: Iterable[list[str]], *, default_cycle: int | None = None, zone: dt.tzinfo = dt.UTC
) -> ParsedFile:
    """Check every row of a table whose first non-empty row is the header (a date without
    its offset is in `zone`).

    The table is read lazily and refused (UnreadableFile) as soon as it has too many rows, so a
    hostile file is never read to its end.
    """
    rows = _bounded(enumerate(table, start=1))
    _, header = next(((n, r) for n, r in rows if any(c.strip() for c in r)), (0, []))
    columns = _map_columns(header)
    # A translations export carries the English text too, never the recommending States.
    if "text_km" in columns and "states" not in columns:
        kind = "translations"
    elif "text" in columns:
        kind = "recommendations"
    else:
        raise UnreadableFile(
            N_(
                "no column with the recommendation text: expected a header such as "
                "'text' or 'recommendation' (or 'text_km' for Khmer translations)"
            )
        )
    parsed = ParsedFile(kind)
    seen: dict[tuple[int, RecNumber], int] = {}
    data_rows = 0
    for line, raw in rows:
        if not any(c.strip() for c in raw):
            continue
        data_rows += 1
        if data_rows > MAX_FILE_ROWS:
            raise UnreadableFile(
                N_(
                    "more than {limit} rows (line {line}); nothing was imported: split the "
                    "file into smaller ones"
                ),
                limit=f"{MAX_FILE_ROWS:,}",
                line=str(line),
            )
        cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in columns.items()}
        try:
            row = (
                _recommendation(line, cells, default_cycle)
                if kind == "recommendations"
                else _translation(line, cells, default_cycle, zone)
            )
        except _BadRow as bad:
            parsed.errors.append(RowError(line, bad.message, bad.params))
            continue
        if row is None:
            continue
        key = (row.cycle, row.number)
        if key in seen:
            parsed.errors.append(
                RowError(
                    line,
                    N_("{number} (cycle {cycle}) already appears on line {first}"),
                    {"number": str(row.number), "cycle": str(row.cycle), "first": str(seen[key])},
                )
            )
            continue
        seen[key] = line
        if isinstance(row, RecommendationRow):
            parsed.recommendations.append(row)
        else:
            parsed.translations.append(row)
    return parsed


def _bounded(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Rows up to a spreadsheet's own limit: more lines, even blank ones, is not a table."""
    for line, row in rows:
        if line > MAX_LINES:
            raise UnreadableFile(
                N_("more than {limit} lines; nothing was imported"), limit=f"{MAX_LINES:,}"
            )
        yield line, row


class _BadRow(Exception):
    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _recommendation(
    line: int, cells: dict[str, str], default_cycle: int | None
) -> RecommendationRow | None:
    sur = cells.get("sur", "")
    if sur and resolve_state(sur).key != "KH":
        return None  # a multi-country export: rows for other States are not ours
    text = _clean(cells.get("text", ""))
    number_text = cells.get("number", "")
    if not number_text:
        match = _LEADING_NUMBER.match(text)
        if match:
            number_text, text = match.group(1), _clean(match.group(2))
    number = _number(number_text)
    if not text:
        raise _BadRow(N_("the recommendation text is empty"))
    states = _states(cells.get("states", ""))
    if not states:
        raise _BadRow(N_("no recommending State"))
    response_raw = normalize(cells.get("response", ""))
    response = _RESPONSES.get(response_raw)
    if response is None:
        raise _BadRow(
            N_("unknown response {value}: use accepted, noted, rejected or pending"),
            value=repr(cells.get("response", "")),
        )
    category = None
    raw_category = cells.get("action_category", "")
    if raw_category:
        digit = re.search(r"[1-5]", raw_category)
        if not digit:
            raise _BadRow(N_("action category {value} is not 1 to 5"), value=repr(raw_category))
        category = int(digit.group())
    sdg = tuple(t.strip() for t in re.split(r"[;,]", cells.get("sdg", "")) if t.strip())
    return RecommendationRow(
        line,
        _cycle(cells, default_cycle),
        number,
        text,
        states,
        response,
        sdg,
        category,
        _clean(cells.get("source", "")),
    )


def _translation(
    line: int, cells: dict[str, str], default_cycle: int | None, zone: dt.tzinfo
) -> TranslationRow | None:
    typed = _clean(cells.get("text_km", ""))
    if not typed:  # not translated yet (an export lists every recommendation): nothing to store
        return None
    text = written_text(typed)  # as a text typed to /translate is stored
    if not text:
        raise _BadRow(N_("the Khmer text has only invisible characters"))
    if not any("\u1780" <= ch <= "\u17ff" for ch in text):
        raise _BadRow(N_("the Khmer text has no Khmer letters"))
    status_raw = normalize(cells.get("status", "")) or "draft"
    try:
        status = TranslationStatus(status_raw)
    except ValueError:
        raise _BadRow(
            N_("unknown status {value}: use draft or reviewed"),
            value=repr(cells.get("status", "")),
        ) from None
    return TranslationRow(
        line,
        _cycle(cells, default_cycle),
        _number(cells.get("number", "")),
        text,
        status,
        _clean(cells.get("translator", ""))[:200],
        _clean(cells.get("reviewer", ""))[:200],
        _when(cells.get("translated_at", ""), zone),
        _when(cells.get("reviewed_at", ""), zone),
    )


def _when(cell: str, zone: dt.tzinfo) -> dt.datetime | None:
    """A date or moment as an export writes it ('2026-11-23 09:00' in `zone`; an older
    export's ISO moment with its offset), or nothing."""
    text = cell.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _BadRow(
            N_("unreadable date {value}: write it as 2026-11-30 or 2026-11-30T09:00"),
            value=repr(text),
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _clean(text: str) -> str:
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise _BadRow(N_("the text is longer than {limit} characters"), limit=str(MAX_TEXT))
    return text


def _number(text: str) -> RecNumber:
    if not text:
        raise _BadRow(N_("no recommendation number"))
    try:
        return RecNumber.parse(normalize(text).removeprefix("rec").strip())
    except ValueError:
        raise _BadRow(N_("{value} is not a number like 118.6"), value=repr(text)) from None


def _cycle(cells: dict[str, str], default_cycle: int | None) -> int:
    raw = cells.get("cycle", "")
    if raw:
        digits = re.search(r"\d+", normalize(raw))
        if not digits or not 0 < int(digits.group()) < 100:
            raise _BadRow(N_("cycle {value} is not a cycle number"), value=repr(raw))
        return int(digits.group())
    session = re.search(r"\d+", cells.get("session", ""))
    if session and int(session.group()) in _SESSION_CYCLE:
        return _SESSION_CYCLE[int(session.group())]
    document = normalize(cells.get("document", "")).split(" ")[0]
    if document in _DOCUMENT_CYCLE:
        return _DOCUMENT_CYCLE[document]
    if default_cycle is not None:
        return default_cycle
    raise _BadRow(N_("no cycle: add a cycle column or give the cycle when importing"))


def _states(raw: str) -> tuple[str, ...]:
    parts = [p.strip() for p in raw.split(";")]
    if len(parts) == 1 and "," in raw:
        candidates = [p.strip() for p in raw.split(",")]
        if all(len(resolve_state(p).key) == 2 for p in candidates if p):
            parts = candidates
    unique: dict[str, None] = {}
    for part in parts:
        cleaned = " ".join(part.split())
        if cleaned:
            unique.setdefault(cleaned, None)
    return tuple(unique)


def _map_columns(header: list[str]) -> dict[str, int]:
    return map_columns(header, _HEADERS)


def header_key(cell: str) -> str:
    """A header cell as the column tables spell it: lower case, punctuation as spaces."""
    return " ".join(re.sub(r"[^0-9a-z\u1780-\u17ff]+", " ", normalize(cell)).split())


def map_columns(header: list[str], headers: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Each field's column in a header row, by the spellings in `headers` (first one wins)."""
    lookup = {alias: name for name, aliases in headers.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        name = lookup.get(key) or lookup.get(key.replace("recommending_", "recommending "))
        if name and name not in columns:
            columns[name] = index
    return columns


def read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """A CSV or XLSX file's rows (an XLSX file's first sheet) with their line numbers, read
    lazily with every import's limits; UnreadableFile when the file cannot be read."""
    return _bounded(enumerate(_read_table(path), start=1))


def _read_table(path: Path) -> Iterator[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(path)
    raise UnreadableFile(N_("{file}: only .csv and .xlsx files can be imported"), file=path.name)


def _read_csv(path: Path) -> Iterator[list[str]]:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(
            N_("{file}: {size} MB is larger than an import may be"),
            file=path.name,
            size=_megabytes(size),
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            N_("{file}: not UTF-8 text; save the file as CSV UTF-8"), file=path.name
        ) from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    return _csv_rows(path.name, text, dialect)


def _csv_rows(
    name: str, text: str, dialect: type[csv.Dialect] | csv.Dialect
) -> Iterator[list[str]]:
    # Strict: a quotation mark that is never closed would otherwise swallow the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason, detail = str(exc), ""
            values = {"file": name, "line": str(start)}
            if "field larger than field limit" in reason:
                message = N_(
                    "{file}: line {line}: a cell is longer than {limit} characters; nothing was "
                    "imported"
                )
                values["limit"] = f"{csv.field_size_limit():,}"
            elif "unexpected end of data" in reason:
                message = N_(
                    '{file}: line {line}: a quotation mark (") is opened here and never '
                    "closed; nothing was imported"
                )
            else:
                message = N_(
                    "{file}: line {line}: this line is not valid CSV; nothing was imported"
                )
                detail = reason
            raise UnreadableFile(message, detail=detail, **values) from None
        yield row


def read_sheets(path: Path) -> Iterator[tuple[str, Iterator[tuple[int, list[str]]]]]:
    """Each sheet of an XLSX file with its title and numbered rows (a CSV file is one sheet
    without a title), read lazily with every import's limits: read each sheet's rows before
    asking for the next sheet."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        yield "", read_table(path)
        return
    _check_xlsx(path)
    for title, rows in _xlsx_sheets(path):
        yield title, _bounded(enumerate(rows, start=1))


def _read_xlsx(path: Path) -> Iterator[list[str]]:
    _check_xlsx(path)
    return _xlsx_rows(path)


def _check_xlsx(path: Path) -> None:
    """Refuse, before unpacking anything, an XLSX file larger than an import may be."""
    # Check what the archive unpacks to before openpyxl opens it: a small zip bomb can hold
    # gigabytes. zipfile stops each part at its declared size, so the declared sizes hold.
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            too_big = unpacked > MAX_FILE_BYTES or len(parts) > MAX_XLSX_PARTS
            strings = 0 if too_big else _shared_strings_size(archive)
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, SyntaxError) as exc:
        raise _not_xlsx(path, exc) from None
    if too_big:
        raise UnreadableFile(
            N_(
                "{file}: unpacks to {size} MB in {parts} parts, more than an import may be; "
                "nothing was imported"
            ),
            file=path.name,
            size=_megabytes(unpacked),
            parts=str(len(parts)),
        )
    if strings > MAX_SHARED_STRINGS_BYTES:
        raise UnreadableFile(
            N_(
                "{file}: its table of shared texts unpacks to {size} MB, more than the {limit} "
                "MB an import may hold; nothing was imported"
            ),
            file=path.name,
            size=_megabytes(strings),
            limit=_megabytes(MAX_SHARED_STRINGS_BYTES),
        )


def _not_xlsx(path: Path, exc: Exception) -> UnreadableFile:
    """A file openpyxl (or zipfile) cannot read: the library's words stay for the CLI only."""
    return UnreadableFile(N_("{file}: not a readable .xlsx file"), detail=str(exc), file=path.name)


def _shared_strings_size(archive: zipfile.ZipFile) -> int:
    """What the shared-strings parts unpack to, found as openpyxl finds them (by content type)."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    sizes = {part.filename: part.file_size for part in archive.infolist()}
    if sizes.get(ARC_CONTENT_TYPES, 0) > MAX_MANIFEST_BYTES:
        raise UnreadableFile(
            N_("{file}: its list of parts is too large to be real"),
            file=Path(archive.filename or "").name,
        )
    if ARC_CONTENT_TYPES not in sizes:
        return 0  # openpyxl refuses it
    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    return sum(sizes.get(t.PartName.lstrip("/"), 0) for t in manifest.findall(SHARED_STRINGS))


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    with contextlib.closing(_xlsx_sheets(path)) as sheets:  # the first sheet only
        first = next(sheets, None)
        if first is not None:
            yield from first[1]


def _xlsx_sheets(path: Path) -> Generator[tuple[str, Iterator[list[str]]], None, None]:
    """Each sheet's title and rows; a sheet's rows must be read before the next sheet's."""
    # Imported here: only imports of .xlsx need openpyxl.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _not_xlsx(path, exc) from None
    try:
        for sheet in workbook.worksheets:
            yield sheet.title, _sheet_rows(path, sheet)
    finally:
        workbook.close()


def _sheet_rows(path: Path, sheet: object) -> Iterator[list[str]]:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if not isinstance(sheet, ReadOnlyWorksheet):  # a chart sheet: no cells
        return
    # The size the file claims is not trusted: rows are not padded to it.
    sheet.reset_dimensions()
    # Rows are read one at a time, and only as far as the caller reads them.
    rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a sheet damaged half-way through
            raise _not_xlsx(path, exc) from None
        yield list(_cells(row))


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f}"


def _cells(row: tuple[object, ...]) -> Iterator[str]:
    for value in row:
        if value is None:
            yield ""
        elif isinstance(value, float) and value.is_integer():
            yield str(int(value))
        else:
            yield str(value)


@dataclass(frozen=True)
class ImportReport:
    """What an import changed; `errors` are rows refused while storing."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()
