"""The results picture: bars of the right colours at the right widths, Khmer shaped, no tofu."""

import io
import os
from functools import cache

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from bot import charts
from bot.domain.assessment import Overall

ORDER = (Overall.GREEN, Overall.ORANGE, Overall.RED, Overall.CONTESTED, Overall.NOT_ENOUGH)
EN = [
    charts.Category(label, charts.OVERALL_RGB[value])
    for label, value in zip(
        ["Green", "Orange", "Red", "Contested", "Not enough ratings"], ORDER, strict=True
    )
]
KM = [
    charts.Category(label, charts.OVERALL_RGB[value])
    for label, value in zip(
        ["បៃតង", "ទឹកក្រូច", "ក្រហម", "មតិខុសគ្នាខ្លាំង", "ការវាយតម្លៃមិនគ្រប់គ្រាន់"],
        ORDER,
        strict=True,
    )
]
KHMER_TITLE = "ការពិនិត្យពាក់កណ្តាលអាណត្តិ៖ លទ្ធផលតាមក្រុមការងារ ស្ត្រី"


def picture(png: bytes, name: str) -> Image.Image:
    """Decode the PNG (and keep a copy to look at when PICTURES_DIR is set)."""
    if folder := os.environ.get("PICTURES_DIR"):
        with open(os.path.join(folder, name), "wb") as out:
            out.write(png)
    assert png.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(png)).convert("RGB")


def runs(image: Image.Image, y: int) -> list[tuple[tuple[int, int, int], int]]:
    """The colour runs (colour, width) along row y between the margins, with the digits written
    in a segment counted as that segment (a run shorter than 12 pixels joins its neighbours)."""
    pixels = [image.getpixel((x, y)) for x in range(charts.WIDTH)]
    found: list[list[object]] = []
    for pixel in pixels:
        if found and found[-1][0] == pixel:
            found[-1][1] = int(str(found[-1][1])) + 1
        else:
            found.append([pixel, 1])
    merged: list[tuple[tuple[int, int, int], int]] = []
    for colour, width in found:
        if merged and (int(str(width)) < 12 or merged[-1][0] == colour):
            merged[-1] = (merged[-1][0], merged[-1][1] + int(str(width)))
        else:
            merged.append((colour, int(str(width))))  # type: ignore[arg-type]
    return merged


def bars_in(png: bytes) -> list[dict[tuple[int, int, int], float]]:
    """Each bar of a picture, top to bottom, as its colours' shares of the bar's width."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == charts.WIDTH
    blocks: list[list[int]] = [[]]
    for y in range(image.height):
        if image.getpixel((45, y)) != (255, 255, 255):
            blocks[-1].append(y)
        elif blocks[-1]:
            blocks.append([])
    bars = []
    for block in blocks:
        if len(block) < 40:  # a legend's swatch or a letter, not a bar
            continue
        shares: dict[tuple[int, int, int], float] = {}
        for colour, width in runs(image, block[0] + 2):
            if colour != (255, 255, 255):
                shares[colour] = shares.get(colour, 0) + width / (charts.WIDTH - 80)
        bars.append(shares)
    return bars


def bar_rows(image: Image.Image, colour: tuple[int, int, int]) -> list[int]:
    """The first block of rows whose pixel just inside the left margin has this colour: the
    first bar (the legend's swatches come later)."""
    rows: list[int] = []
    for y in range(image.height):
        if image.getpixel((45, y)) == colour:
            rows.append(y)
        elif rows:
            break
    return rows


@pytest.mark.parametrize(("language", "categories"), [("en", EN), ("km", KM)])
def test_segments_have_their_colours_at_their_shares(
    language: str, categories: list[charts.Category]
) -> None:
    title = "Mid-term review 2026: results by theme" if language == "en" else KHMER_TITLE
    png = charts.bar_chart(
        title,
        categories,
        [charts.Bar("Land" if language == "en" else "ដីធ្លី", (3, 5, 2, 1, 4))],
        subtitle="3 of 3",
        totals=(3, 5, 2, 1, 4),
    )
    image = picture(png, f"results-{language}.png")
    green = charts.OVERALL_RGB[Overall.GREEN]
    rows = bar_rows(image, green)
    assert len(rows) >= 40  # the bar's height, once
    middle = rows[len(rows) // 2] - 8  # above the written count
    segments = [(c, w) for c, w in runs(image, middle) if c != (255, 255, 255)]
    assert [c for c, _ in segments] == [charts.OVERALL_RGB[v] for v in ORDER]
    inner = charts.WIDTH - 80
    for (_, width), count in zip(segments, (3, 5, 2, 1, 4), strict=True):
        assert abs(width - inner * count / 15) <= 2
    # The legend's swatches, below the bar, in every colour.
    below = {
        image.getpixel((x, y)) for x in range(40, 1000) for y in range(rows[-1] + 30, image.height)
    }
    assert {c.rgb for c in categories} <= below


def test_an_empty_category_draws_no_segment_and_counts_are_written() -> None:
    png = charts.bar_chart("Counts", EN, [charts.Bar("Labour", (1, 0, 6, 0, 2))])
    image = picture(png, "results-gaps.png")
    rows = bar_rows(image, charts.OVERALL_RGB[Overall.GREEN])
    top, bottom = rows[0], rows[-1]
    segments = [(c, w) for c, w in runs(image, top + 2) if c != (255, 255, 255)]
    assert [c for c, _ in segments] == [
        charts.OVERALL_RGB[Overall.GREEN],
        charts.OVERALL_RGB[Overall.RED],
        charts.OVERALL_RGB[Overall.NOT_ENOUGH],
    ]
    # "6" is written in white in the middle of the red segment.
    red_left = 40 + round(920 / 9)
    red_right = 40 + round(920 * 7 / 9)
    white = [
        (x, y)
        for x in range(red_left, red_right)
        for y in range(top, bottom)
        if image.getpixel((x, y)) == (255, 255, 255)
    ]
    assert white
    assert abs(sum(x for x, _ in white) / len(white) - (red_left + red_right) / 2) < 6


@cache
def _font(engine: ImageFont.Layout) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(charts.font_file()), 40, layout_engine=engine)


def _ink(text: str, engine: ImageFont.Layout) -> Image.Image:
    font = _font(engine)
    image = Image.new("L", (1400, 120), 0)
    ImageDraw.Draw(image).text((10, 20), text, font=font, fill=255)
    return image


def test_khmer_is_shaped_not_drawn_letter_by_letter() -> None:
    assert charts.shaping(), "Pillow lacks Raqm (libfribidi): Khmer would not be shaped"
    shaped = _ink(KHMER_TITLE, ImageFont.Layout.RAQM)
    unshaped = _ink(KHMER_TITLE, ImageFont.Layout.BASIC)
    assert ImageChops.difference(shaped, unshaped).getbbox() is not None
    # Subscript consonants stack under their base: the shaped line is narrower.
    shaped_box, unshaped_box = shaped.getbbox(), unshaped.getbbox()
    assert shaped_box is not None
    assert unshaped_box is not None
    assert shaped_box[2] < unshaped_box[2] - 40


def test_the_font_has_every_khmer_letter_of_the_labels() -> None:
    notdef = _ink("漢", ImageFont.Layout.RAQM)  # a letter the font lacks: the tofu box
    assert notdef.getbbox() is not None
    letters = {c for c in KHMER_TITLE + "".join(c.label for c in KM) if c.strip()}
    for letter in letters:
        ink = _ink(letter, ImageFont.Layout.RAQM)
        assert ImageChops.difference(ink, notdef).getbbox() is not None, hex(ord(letter))


def test_the_khmer_title_is_drawn() -> None:
    image = picture(
        charts.bar_chart(KHMER_TITLE, KM, [charts.Bar("ការងារ", (1, 1, 1, 0, 0))]), "title-km.png"
    )
    title = image.crop((40, 40, charts.WIDTH - 40, 86)).convert("L")
    dark = sum(1 for p in title.get_flattened_data() if p < 100)
    assert dark > 2000  # a whole line of letters, not a few boxes


def test_characters_the_font_lacks_are_left_out_not_drawn_as_boxes() -> None:
    assert charts.drawable(KHMER_TITLE) == KHMER_TITLE
    assert charts.drawable("Mid-term 🎉 «A» → «B» · 3…") == "Mid-term  «A» – «B» · 3…"


def test_a_machine_without_raqm_is_told_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    charts.warn_if_unshaped()
    assert not caplog.records  # this machine shapes Khmer
    monkeypatch.setattr(charts, "shaping", lambda: False)
    charts.warn_if_unshaped()
    assert "Khmer in result pictures will not be shaped" in caplog.text
