"""Reading a UPR Working Group report PDF: Cambodia's two reports give the verified CSVs exactly;
nine other States' reports (different layouts) give contiguous numbers, a State on every
recommendation and no page furniture in any text."""

from __future__ import annotations

import csv
import functools
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfWriter

from bot.domain.model import Response
from bot.domain.report_pdf import NotAReport, Report, ordinal, read_report
from bot.pdf_text import UnreadablePdf, pages_of, read_pdf

ROOT = Path(__file__).resolve().parent.parent
CAMBODIA = ROOT / "data" / "upr" / "sources"
OTHERS = Path(__file__).resolve().parent / "data" / "upr_reports"


@functools.cache
def report(path: Path) -> Report:
    """Each PDF is read once per test run (pypdf's layout mode takes about a second)."""
    return read_report(pages_of(path.read_bytes()))


def csv_rows(cycle: int) -> list[dict[str, str]]:
    with (ROOT / "data" / "upr" / f"cambodia_cycle{cycle}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cycle_2_report_reproduces_the_verified_csv() -> None:
    got = report(CAMBODIA / "A_HRC_26_16_cambodia_2014.pdf")
    rows = csv_rows(2)
    assert [(str(r.number), r.text, ";".join(r.states)) for r in got.recommendations] == [
        (row["number"], row["text"], row["recommending_states"]) for row in rows
    ]
    assert (got.symbol, got.state, got.session, got.cycle) == ("A/HRC/26/16", "Cambodia", 18, 2)
    assert [(p.number, p.response, p.count) for p in got.paragraphs] == [
        (118, Response.ACCEPTED, 171),
        (119, Response.PENDING, 34),
    ]
    assert len(got.states) == 72
    # The PDF prints 118.09 between 118.108 and 118.110: read as 118.109 and said so.
    assert [(d.params["printed"], d.params["number"]) for d in got.doubts] == [
        ("118.09", "118.109")
    ]


def test_cycle_1_report_reproduces_the_verified_csv() -> None:
    got = report(CAMBODIA / "A_HRC_13_4_cambodia_2010.pdf")
    rows = csv_rows(1)
    # The CSV's one edit of the source (SOURCES.md): a space the PDF itself lacks in 82.56.
    expected = [
        (row["number"], row["text"].replace("organizations does", "organizationsdoes"))
        for row in rows
    ]
    assert [(str(r.number), r.text) for r in got.recommendations] == expected
    assert [";".join(r.states) for r in got.recommendations] == [
        row["recommending_states"] for row in rows
    ]
    assert (got.symbol, got.session, got.cycle) == ("A/HRC/13/4", 6, 1)
    # The report states no response (paragraph 83: "will be included in the outcome report").
    assert {r.response for r in got.recommendations} == {Response.PENDING}
    assert got.doubts == ()


# file, State under review, symbol, (paragraph, response, count) as each report prints them
OTHER_REPORTS = [
    (
        "belize2013.pdf",
        "Belize",
        "A/HRC/25/13",
        [(97, "accepted", 33), (98, "accepted", 26), (99, "pending", 44)],
    ),
    ("bhutan2014.pdf", "Bhutan", "A/HRC/27/8", [(118, "accepted", 103), (120, "pending", 60)]),
    ("bruneidarussalam2014.pdf", "Brunei Darussalam", "A/HRC/27/11", [(113, "pending", 189)]),
    ("burundi2013.pdf", "Burundi", "A/HRC/23/9", [(126, "pending", 174)]),
    ("cameroon2013.pdf", "Cameroon", "A/HRC/24/15", [(131, "pending", 171)]),
    ("chile2014.pdf", "Chile", "A/HRC/26/5", [(121, "pending", 184), (122, "noted", 1)]),
    (
        "ethiopia2014.pdf",
        "Ethiopia",
        "A/HRC/27/14",
        [(155, "accepted", 170), (156, "accepted", 11), (157, "pending", 18), (158, "noted", 53)],
    ),
    ("uruguay2014.pdf", "Uruguay", "A/HRC/26/7", [(123, "accepted", 187), (124, "noted", 1)]),
    ("vietnam2014.pdf", "Viet Nam", "A/HRC/26/6", [(143, "pending", 227)]),
]

FURNITURE = re.compile(r"A/HRC|GE\.\d|\*\d{4,}\*|∗|\*\*|Conclusions and recommendations have not")


@pytest.mark.parametrize(("name", "state", "symbol", "paragraphs"), OTHER_REPORTS)
def test_other_states_reports_read_whole_and_clean(
    name: str, state: str, symbol: str, paragraphs: list[tuple[int, str, int]]
) -> None:
    got = report(OTHERS / name)
    assert (got.state, got.symbol, got.cycle) == (state, symbol, 2)
    assert [(p.number, p.response.value, p.count) for p in got.paragraphs] == paragraphs
    for para in got.paragraphs:  # contiguous: 1, 2, 3… in each paragraph, in order
        items = [r.number.item for r in got.recommendations if r.number.paragraph == para.number]
        assert items == list(range(1, para.count + 1))
    for rec in got.recommendations:
        assert rec.states, rec.number
        assert all(s[:1].isupper() and "\n" not in s for s in rec.states), rec
        assert not FURNITURE.search(rec.text), (rec.number, rec.text)
        assert "  " not in rec.text
        assert rec.text == rec.text.strip()
        # A page number glued to a text would end it in digits, or start a text with them.
        assert not re.search(r"\s\d{1,2}$", rec.text) or rec.text.endswith(
            ("under 5", "age of 18")
        )
        assert not re.match(r"\d", rec.text), rec
        assert rec.text[:1].isupper() or rec.text.startswith("("), rec


def test_states_split_across_lines_and_several_trailing_states() -> None:
    chile = {str(r.number): r for r in report(OTHERS / "chile2014.pdf").recommendations}
    assert chile["121.183"].states == ("Bolivia (Plurinational State of)",)
    assert chile["121.183"].text.endswith("right to leave and return to his/her country")
    assert chile["121.178"].states == ("Iran (Islamic Republic of)",)
    ethiopia = {str(r.number): r for r in report(OTHERS / "ethiopia2014.pdf").recommendations}
    assert ethiopia["157.5"].states == ("Philippines", "Uruguay")
    assert ethiopia["157.5"].text == (
        "Consider ratifying ILO Convention No. 189 (2011) concerning Decent Work for Domestic Workers"
    )
    burundi = report(OTHERS / "burundi2013.pdf")
    assert {d.params["printed"] for d in burundi.doubts} == {"127.10", "127.120"}


def test_a_text_without_the_section_is_not_a_report() -> None:
    with pytest.raises(NotAReport):
        read_report([["Minutes of the meeting", "1. Opening", "2. Any other business"]])
    heading_only = [["  II. Conclusions and/or recommendations", "", "  5. Nothing to list here."]]
    with pytest.raises(NotAReport):
        read_report(heading_only)


def test_ordinals() -> None:
    assert [
        ordinal(w) for w in ("sixth", "eighteenth", "forty-sixth", "Twenty–sixth", "46th")
    ] == [
        6,
        18,
        46,
        26,
        46,
    ]
    assert ordinal("several") is None


def pdf_of_blank_pages(pages: int, password: str = "") -> bytes:
    """A PDF of blank pages, locked with a password when one is given."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_hostile_files_are_refused_with_a_reason() -> None:
    with pytest.raises(UnreadablePdf) as not_pdf:
        await read_pdf(b"PK\x03\x04 this is a zip named .pdf")
    assert not_pdf.value.message == "It is not a PDF file."
    with pytest.raises(UnreadablePdf) as encrypted:
        await read_pdf(pdf_of_blank_pages(1, password="secret"))
    assert "password" in encrypted.value.message
    with pytest.raises(UnreadablePdf) as many:
        await read_pdf(pdf_of_blank_pages(12), max_pages=10)
    assert many.value.params == {"limit": "10"}
    with pytest.raises(UnreadablePdf) as broken:
        await read_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 1000)
    assert broken.value.message.startswith("The PDF is damaged")
    with pytest.raises(UnreadablePdf) as slow:
        await read_pdf((CAMBODIA / "A_HRC_13_4_cambodia_2010.pdf").read_bytes(), seconds=0.05)
    assert slow.value.params == {"seconds": "0"}
    assert await read_pdf(pdf_of_blank_pages(2)) == [[""], [""]]
