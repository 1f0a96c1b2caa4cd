"""Pictures of results: horizontal stacked bars drawn with Pillow, in the reader's language.

Plain rendering (labels come translated): no Telegram, no database. Khmer needs complex text
layout (subscript consonants, vowels around the base): Pillow's Raqm engine shapes it with
HarfBuzz when the system's FriBiDi library is there (README "Dependencies"); the font is Noto
Sans Khmer, shipped as a Python package (Khmer and Latin glyphs), so no system font is needed.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import fontpkg_noto_sans_khmer

from bot.domain.assessment import Overall

if TYPE_CHECKING:  # Pillow is imported when the first picture is drawn (it weighs ~7 MiB)
    from PIL import ImageDraw, ImageFont

logger = logging.getLogger(__name__)

RGB = tuple[int, int, int]

# A published colour's segment; ❔ "don't know" ratings are not a colour of their own: a
# recommendation rated mostly ❔ ends as "not enough ratings".
OVERALL_RGB: dict[Overall, RGB] = {
    Overall.GREEN: (67, 160, 71),
    Overall.ORANGE: (245, 156, 26),
    Overall.RED: (211, 47, 47),
    Overall.CONTESTED: (126, 87, 194),
    Overall.NOT_ENOUGH: (189, 189, 189),
}
UP_RGB: RGB = (46, 125, 50)
STAYED_RGB: RGB = (120, 144, 156)
DOWN_RGB: RGB = (183, 28, 28)
NOT_COMPARABLE_RGB: RGB = (230, 230, 230)

WIDTH = 1000
_MARGIN = 40
_BAR = 44  # a bar's height
_BACKGROUND: RGB = (255, 255, 255)
_INK: RGB = (33, 33, 33)
_GREY_INK: RGB = (97, 97, 97)


@dataclass(frozen=True)
class Category:
    """One kind of segment: its legend label and colour."""

    label: str
    rgb: RGB


@dataclass(frozen=True)
class Bar:
    """One labelled bar: a count per category (in the chart's category order)."""

    label: str
    counts: tuple[int, ...]


def font_file() -> Path:
    """The shipped Noto Sans Khmer font file (a variable font: weight is an axis)."""
    root = Path(fontpkg_noto_sans_khmer.ROOT)
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
    return root / str(meta["files"][0]["path"])


def shaping() -> bool:
    """Whether Khmer is shaped (Pillow's Raqm layout, which needs the system's FriBiDi).

    Before the first picture (at start-up) it is asked in a child process, so that the bot
    does not load Pillow and its libraries until it draws.
    """
    if "PIL.ImageFont" not in sys.modules:
        child = subprocess.run(  # noqa: S603 - this interpreter, a fixed check
            [sys.executable, "-c", _RAQM_CHECK], check=False, capture_output=True
        )
        return child.returncode == 0
    from PIL import features

    return bool(features.check_feature("raqm"))


_RAQM_CHECK = "from PIL import features; raise SystemExit(not features.check_feature('raqm'))"


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    engine = ImageFont.Layout.RAQM if shaping() else ImageFont.Layout.BASIC
    font = ImageFont.truetype(str(font_file()), size, layout_engine=engine)
    weight = 700.0 if bold else 400.0
    font.set_variation_by_axes(
        [
            weight if "weight" in str(axis["name"]).casefold() else float(axis["default"] or 0)
            for axis in font.get_variation_axes()
        ]
    )
    return font


@cache
def _has_glyph(character: str) -> bool:
    """Whether the font draws this character (a character it lacks comes out as the .notdef
    box, "tofu"): spaces, combining signs and format characters always pass."""
    if unicodedata.category(character)[0] in "MZC":
        return True
    font = _font(20)
    return bytes(font.getmask(character)) != bytes(font.getmask(_NOT_IN_FONT))


_NOT_IN_FONT = "\u6f22"  # 漢: no CJK in Noto Sans Khmer, so its box is .notdef


def drawable(text: str) -> str:
    """The text without the characters the font lacks (an emoji in a round's name), so the
    picture shows no empty boxes; the arrow becomes a dash."""
    text = text.replace("→", "–")
    return "".join(c for c in text if _has_glyph(c))


def warn_if_unshaped() -> None:
    """Log once at start-up when Khmer in pictures would come out unshaped."""
    if not shaping():
        logger.warning(
            "Pillow has no Raqm text layout (is libfribidi installed?): Khmer in result "
            "pictures will not be shaped"
        )


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Lines of at most `width` pixels, broken at spaces (Khmer without spaces: by characters)."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while draw.textlength(line, font=font) > width and len(line) > 1:
            cut = len(line)
            while cut > 1 and draw.textlength(line[:cut], font=font) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def bar_chart(
    title: str,
    categories: Sequence[Category],
    bars: Sequence[Bar],
    *,
    subtitle: str = "",
    totals: Sequence[int] | None = None,
    number: Callable[[int], str] = str,
) -> bytes:
    """A PNG: the title, then per bar its label and a full-width stacked bar of its counts'
    shares (the count written in each segment wide enough), then the legend (with each
    category's total when given: bars may overlap, as themes do); `number` writes each count
    in the reader's digits."""
    from PIL import Image, ImageDraw

    title_font, label_font, small = _font(30, bold=True), _font(22), _font(19)
    inner = WIDTH - 2 * _MARGIN
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    title_lines = _wrap(scratch, drawable(title), title_font, inner)
    subtitle_lines = [  # its lines break where it says, then where they must
        line
        for part in subtitle.split("\n")
        for line in _wrap(scratch, drawable(part), small, inner)
    ]
    labels = [
        _wrap(scratch, drawable(f"{bar.label} ({number(sum(bar.counts))})"), label_font, inner)
        for bar in bars
    ]
    title_step, label_step, small_step = 46, 34, 30  # line heights: room for Khmer subscripts
    legend = [
        drawable(
            f"{category.label}: {number(totals[i])}" if totals is not None else category.label
        )
        for i, category in enumerate(categories)
    ]
    legend_rows = _legend_rows(scratch, legend, small, inner)
    height = (
        _MARGIN
        + title_step * len(title_lines)
        + small_step * len(subtitle_lines)
        + 16
        + sum(label_step * len(lines) + _BAR + 22 for lines in labels)
        + 10
        + small_step * len(legend_rows)
        + _MARGIN
    )
    image = Image.new("RGB", (WIDTH, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = _MARGIN
    for line in title_lines:
        draw.text((_MARGIN, y), line, font=title_font, fill=_INK)
        y += title_step
    for line in subtitle_lines:
        draw.text((_MARGIN, y), line, font=small, fill=_GREY_INK)
        y += small_step
    y += 16
    for bar, lines in zip(bars, labels, strict=True):
        for line in lines:
            draw.text((_MARGIN, y), line, font=label_font, fill=_INK)
            y += label_step
        _draw_bar(draw, bar, categories, (_MARGIN, y, _MARGIN + inner, y + _BAR), small, number)
        y += _BAR + 22
    y += 10
    for row in legend_rows:
        x = _MARGIN
        for index, text in row:
            draw.rectangle((x, y + 6, x + 18, y + 24), fill=categories[index].rgb)
            draw.text((x + 26, y), text, font=small, fill=_INK)
            x += 26 + int(draw.textlength(text, font=small)) + 28
        y += small_step
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _draw_bar(
    draw: ImageDraw.ImageDraw,
    bar: Bar,
    categories: Sequence[Category],
    box: tuple[int, int, int, int],
    font: ImageFont.FreeTypeFont,
    number: Callable[[int], str],
) -> None:
    left, top, right, bottom = box
    total = sum(bar.counts)
    if total == 0:
        draw.rectangle(box, outline=OVERALL_RGB[Overall.NOT_ENOUGH])
        return
    done = 0
    for index, count in enumerate(bar.counts):
        if not count:
            continue
        start = left + round((right - left) * done / total)
        done += count
        end = left + round((right - left) * done / total)
        rgb = categories[index].rgb
        draw.rectangle((start, top, end - 1, bottom), fill=rgb)
        text = number(count)
        if draw.textlength(text, font=font) + 8 <= end - start:
            ink = _INK if sum(rgb) > 500 else (255, 255, 255)
            draw.text(
                ((start + end) / 2, (top + bottom) / 2), text, font=font, fill=ink, anchor="mm"
            )


def _legend_rows(
    draw: ImageDraw.ImageDraw, texts: list[str], font: ImageFont.FreeTypeFont, width: int
) -> list[list[tuple[int, str]]]:
    """The legend's entries (category index, text) in rows that fit the width."""
    rows: list[list[tuple[int, str]]] = [[]]
    x = 0
    for index, text in enumerate(texts):
        step = 26 + int(draw.textlength(text, font=font)) + 28
        if x and x + step > width:
            rows.append([])
            x = 0
        rows[-1].append((index, text))
        x += step
    return rows
