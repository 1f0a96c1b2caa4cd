"""Importing recommendation and translation files: formats, bad rows, idempotence."""

import datetime as dt
import io
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.domain import importer
from bot.domain.importer import RecommendationRow, UnreadableFile, parse_file
from bot.domain.model import RecNumber, Response, TranslationStatus
from bot.services import Services

BUNDLED_CYCLE2 = Path(__file__).resolve().parent.parent / "data" / "upr" / "cambodia_cycle2.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_own_format_with_bad_rows_reported_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c3.csv",
        (
            "cycle,number,text,recommending_states,response,source\n"
            "3,110.1,Ratify the Optional Protocol,France,accepted,WG report\n"
            "3,110.2,,Japan,accepted,\n"
            "3,110.x,Some text,Japan,accepted,\n"
            "3,110.3,Some text,,noted,\n"
            "3,110.4,Some text,Japan,maybe,\n"
            "3,110.1,Duplicate,Japan,noted,\n"
            "\n"
            ",110.5,No cycle,Japan,noted,\n"
            "3,110.6,Protect land rights,Japan;Viet Nam,supported,\n"
        ),
    )
    parsed = parse_file(path)
    assert parsed.kind == "recommendations"
    assert [(r.line, str(r.number)) for r in parsed.recommendations] == [
        (2, "110.1"),
        (10, "110.6"),
    ]
    assert parsed.recommendations[1].states == ("Japan", "Viet Nam")
    assert parsed.recommendations[1].response is Response.ACCEPTED
    assert [(e.line, e.english()) for e in parsed.errors] == [
        (3, "the recommendation text is empty"),
        (4, "'110.x' is not a number like 118.6"),
        (5, "no recommending State"),
        (6, "unknown response 'maybe': use accepted, noted, rejected or pending"),
        (7, "110.1 (cycle 3) already appears on line 2"),
        (9, "no cycle: add a cycle column or give the cycle when importing"),
    ]


def test_upr_info_style_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Recommendation",
            "Recommending State",
            "State under Review",
            "Session",
            "Response",
            "Action Category",
            "Paragraph",
        ]
    )
    sheet.append(
        [
            "Ratify CED",
            "Spain",
            "Cambodia",
            "32nd session",
            "Supported",
            "Category 5 - specific action",
            "110.7",
        ]
    )
    sheet.append(["Abolish the death penalty", "Italy", "Cambodia", "32", "Noted", "4", "110.8"])
    sheet.append(["Not ours", "Italy", "Thailand", "32", "Noted", "4", "110.9"])
    sheet.append(["Bad category", "Italy", "Cambodia", "32", "Noted", "9", "110.10"])
    book.save(tmp_path / "upr-info.xlsx")
    parsed = parse_file(tmp_path / "upr-info.xlsx")
    assert [
        (r.cycle, str(r.number), r.response, r.action_category) for r in parsed.recommendations
    ] == [
        (3, "110.7", Response.ACCEPTED, 5),
        (3, "110.8", Response.NOTED, 4),
    ]
    assert [(e.line, e.english()) for e in parsed.errors] == [
        (5, "action category '9' is not 1 to 5"),
    ]


def test_uhri_style_number_inside_text_and_comma_separated_states(tmp_path: Path) -> None:
    path = write(
        tmp_path / "uhri.csv",
        (
            "Recommendation;Recommending States;Position;Document symbol;SDGs\n"
            '"119.21 Investigate the use of force against protesters";Czech Republic;Noted;'
            "A/HRC/26/16;16.3, 16.10\n"
            '"118.7 Ratify CED";"France, Germany";Supported;A/HRC/26/16;\n'
        ),
    )
    parsed = parse_file(path)
    assert parsed.errors == []
    first, second = parsed.recommendations
    assert (first.cycle, str(first.number), first.text_en) == (
        2,
        "119.21",
        "Investigate the use of force against protesters",
    )
    assert first.sdg_targets == ("16.3", "16.10")
    assert second.states == ("France", "Germany")


def test_cycle_from_the_command_line_when_the_file_has_none(tmp_path: Path) -> None:
    path = write(tmp_path / "c4.csv", "number,text,state,response\n120.1,Text,Japan,pending\n")
    assert parse_file(path).errors[0].english().startswith("no cycle")
    parsed = parse_file(path, default_cycle=4)
    assert parsed.recommendations[0].cycle == 4
    assert parsed.recommendations[0].response is Response.PENDING


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        parse_file(write(tmp_path / "x.csv", "foo,bar\n1,2\n"))
    with pytest.raises(UnreadableFile):
        parse_file(write(tmp_path / "x.pdf", "%PDF"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("text,number\ncafé,1.1\n".encode("latin-1"))
    with pytest.raises(UnreadableFile):
        parse_file(latin1)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(UnreadableFile):
        parse_file(broken)


def test_translation_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "km.csv",
        (
            "cycle,number,text_km,status,translator\n"
            "2,118.6,ផ្តល់សច្ចាប័នលើអនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិពលករចំណាកស្រុក,reviewed,CCHR\n"
            "2,118.7,Not Khmer at all,draft,\n"
            "2,118.8,ការពារ,final,\n"
        ),
    )
    parsed = parse_file(path)
    assert parsed.kind == "translations"
    assert [(t.line, t.status) for t in parsed.translations] == [(2, TranslationStatus.REVIEWED)]
    assert [e.line for e in parsed.errors] == [3, 4]


async def test_import_is_idempotent_and_keeps_edits(services: Services, tmp_path: Path) -> None:
    catalog = services.catalog
    rec = catalog.get(2, RecNumber(118, 6))
    assert rec is not None
    labour = next(t for t in catalog.themes if t.slug == "labour")
    land = next(t for t in catalog.themes if t.slug == "land")
    assert labour.id in rec.theme_ids
    assert land.id not in rec.theme_ids
    await services.set_theme(rec.id, labour.id, assigned=False)
    await services.set_theme(rec.id, land.id, assigned=True)
    translation = write(
        tmp_path / "km.csv",
        (
            "cycle,number,text_km,status,translator\n"
            "2,118.6,ផ្តល់សច្ចាប័នលើអនុសញ្ញាស្តីពីពលករចំណាកស្រុក,draft,Dara\n"
            "2,999.1,ការពារ,draft,Dara\n"
        ),
    )
    outcome = await services.import_file(translation)
    assert (outcome.report.added, [e.line for e in outcome.report.errors]) == (1, [3])

    again = await services.import_file(BUNDLED_CYCLE2)
    assert (again.report.added, again.report.updated, again.report.unchanged) == (0, 0, 205)
    changed = write(
        tmp_path / "fix.csv",
        (
            "cycle,number,text,recommending_states,response\n"
            "2,118.6,Ratify the migrant workers convention (corrected text),Ecuador,accepted\n"
        ),
    )
    fixed = await services.import_file(changed)
    assert (fixed.report.added, fixed.report.updated) == (0, 1)

    after = services.catalog.get(2, RecNumber(118, 6))
    assert after is not None
    assert after.id == rec.id
    assert after.text_en.endswith("(corrected text)")
    assert land.id in after.theme_ids
    assert labour.id not in after.theme_ids
    assert after.khmer is not None
    assert after.khmer.translator == "Dara"
    assert len(services.catalog.recommendations) == 296
    # A Khmer word now finds the translated text directly.
    found = services.catalog.search(services.catalog.parse_search("ពលករចំណាកស្រុក"))
    assert after in found.recommendations


async def test_a_failing_import_leaves_nothing_half_written(services: Services) -> None:
    good = RecommendationRow(2, 3, RecNumber(110, 1), "A new text", ("Japan",), Response.ACCEPTED)
    bad = RecommendationRow(
        3, 3, RecNumber(110, 2), "Another", ("Japan",), Response.ACCEPTED, action_category=9
    )  # violates the database's CHECK
    before = await services.catalog_repository.revision()
    with pytest.raises(Exception, match="CHECK"):
        await services.catalog_repository.import_recommendations(
            [good, bad], services.rules, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    assert await services.catalog_repository.revision() == before
    snapshot = await services.catalog_repository.snapshot()
    assert len(snapshot.recommendations) == 296
    assert {c.number for c in snapshot.cycles} == {1, 2, 3, 4}  # dates known, none added


def xlsx_with_sheet(path: Path, rows: Iterator[bytes], dimension: str = "A1") -> Path:
    """A real workbook whose first sheet's XML is streamed from `rows` (deflated as written)."""
    template = io.BytesIO()
    book = Workbook()
    book.active.append(["x"])
    book.save(template)
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            if part.filename != "xl/worksheets/sheet1.xml":
                target.writestr(part, source.read(part))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="' + dimension.encode() + b'"/><sheetData>'
                b'<row r="1"><c t="inlineStr"><is><t>text</t></is></c>'
                b'<c t="inlineStr"><is><t>number</t></is></c></row>'
            )
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def repeated(row: bytes, count: int) -> Iterator[bytes]:
    block = 10_000
    for start in range(0, count, block):
        yield row * min(block, count - start)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    row = b'<row><c t="inlineStr"><is><t>Ratify the Convention</t></is></c></row>'
    bomb = xlsx_with_sheet(tmp_path / "bomb.xlsx", repeated(row, 1_600_000))  # 110 MB unpacked
    assert bomb.stat().st_size < 1_000_000
    started = time.perf_counter()
    with pytest.raises(UnreadableFile, match=r"unpacks to 1\d\d\.\d MB"):
        parse_file(bomb)
    # Generous bound for shared machines: unpacking the sheet takes minutes and 1.6 GB.
    assert time.perf_counter() - started < 10  # refused before openpyxl reads the sheet


def test_a_sheet_claiming_every_column_is_not_padded_to_it(tmp_path: Path) -> None:
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c r="XFD1"><v>1</v></c></row>'
    wide = xlsx_with_sheet(tmp_path / "wide.xlsx", repeated(row, 5000), "A1:XFD1048576")
    started = time.perf_counter()
    parsed = parse_file(wide)
    # Generous bound for shared machines: padding to 16,384 cells a row takes minutes.
    assert time.perf_counter() - started < 10  # 5,000 rows, not 5,000 x 16,384 cells
    assert len(parsed.errors) == 5000


def test_too_many_rows_refuse_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit (100,000) is lowered to keep the test fast; the files are read only that far.
    monkeypatch.setattr(importer, "MAX_FILE_ROWS", 1000)
    lines = ["cycle,number,text,recommending_states,response"]
    lines += [f"3,{1 + n // 1000}.{n % 1000 + 1},Text,France,accepted" for n in range(200_000)]
    # A broken tail proves reading stops at the cap: a reader that went on would report it.
    big = write(tmp_path / "big.csv", "\n".join(lines) + '\n3,9.9,"never closed\n')
    row = b'<row><c t="inlineStr"><is><t>Text</t></is></c><c t="inlineStr"><is><t>1.1</t></is></c></row>'
    sheet = xlsx_with_sheet(tmp_path / "big.xlsx", iter([*repeated(row, 200_000), b"<row><c"]))
    for path in (big, sheet):
        with pytest.raises(UnreadableFile, match=r"more than 1,000 rows \(line 1002\)"):
            parse_file(path)


def test_broken_csv_quoting_and_giant_cells_are_refused_with_the_line(tmp_path: Path) -> None:
    header = "cycle,number,text,recommending_states,response\n"
    unterminated = write(
        tmp_path / "quote.csv",
        header + '3,110.1,Ratify,France,accepted\n3,110.2,"Protect land,Japan,noted\n'
        "3,110.3,Other,Japan,noted\n",
    )
    with pytest.raises(UnreadableFile, match=r"line 3: a quotation mark .* never closed"):
        parse_file(unterminated)
    giant = write(tmp_path / "giant.csv", header + "3,110.1," + "x" * 200_000 + ",France,noted\n")
    with pytest.raises(UnreadableFile, match=r"line 2: a cell is longer than 131,072 characters"):
        parse_file(giant)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(
            st.lists(
                st.one_of(st.text(max_size=30), st.sampled_from(['"', '""', "118.6", "\r", ";"])),
                max_size=6,
            ),
            max_size=20,
        ).map(
            lambda rows: (
                "cycle,number,text,recommending_states,response\n"
                + "\n".join(",".join(row) for row in rows)
            ).encode("utf-8", "surrogatepass")
        ),
    ),
    st.sampled_from([".csv", ".tsv", ".xlsx"]),
)
def test_any_bytes_are_imported_or_refused_whole(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        try:
            parsed = parse_file(path)
        except UnreadableFile:
            return
        assert all(isinstance(e.english(), str) for e in parsed.errors)


def xlsx_with_shared_strings(path: Path, entries: int, part: str) -> Path:
    """A minimal workbook whose shared-strings table (at `part`) holds `entries` tiny texts."""
    ns = "http://schemas.openxmlformats.org"
    main = f"{ns}/spreadsheetml/2006/main"
    relations = f"{ns}/officeDocument/2006/relationships"
    types = f"{ns}/package/2006/content-types"
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": f'<Types xmlns="{types}">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{spreadsheet}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{spreadsheet}.worksheet+xml"/>'
        f'<Override PartName="/{part}" ContentType="{spreadsheet}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{relations}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{relations}/sharedStrings" Target="/{part}"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData><row r="1">'
        '<c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>',
        part: f'<sst xmlns="{main}">' + "<si><t>a</t></si>" * entries + "</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_an_xlsx_with_a_huge_table_of_shared_texts_is_refused_before_openpyxl_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openpyxl loads the whole table first: 5.5M tiny texts cost minutes, so the size is
    checked first, wherever the file's list of parts puts the table."""
    monkeypatch.setattr(importer, "MAX_SHARED_STRINGS_BYTES", 20_000)
    small = xlsx_with_shared_strings(tmp_path / "small.xlsx", 100, "xl/sharedStrings.xml")
    with pytest.raises(UnreadableFile, match="no column"):  # read as ever: no header row
        parse_file(small, default_cycle=2)
    for part in ("xl/sharedStrings.xml", "xl/elsewhere/texts.xml"):
        big = xlsx_with_shared_strings(tmp_path / "big.xlsx", 2000, part)
        with pytest.raises(UnreadableFile, match=r"table of shared texts unpacks to 0\.0 MB"):
            parse_file(big, default_cycle=2)
