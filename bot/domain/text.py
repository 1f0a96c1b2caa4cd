"""Text normalisation shared by parsing, search and import (Khmer-aware)."""

from __future__ import annotations

import re
import unicodedata

KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
# Zero-width characters Khmer writers use as invisible word breaks; they must not split matches.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-"})
_SPACES = re.compile(r"\s+")

KHMER_RANGE = (0x1780, 0x17FF)
_KHMER_RUN = re.compile(r"[\u1780-\u17dd\u17f0-\u17f9\u19e0-\u19ff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def normalize(text: str) -> str:
    """NFC, lower case, Khmer digits as ASCII, invisible marks dropped, dashes and quotes unified."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_INVISIBLE).translate(KHMER_DIGITS).translate(_APOSTROPHES)
    # Khmer writers use subscript TA and subscript DA interchangeably (ស្តី / ស្ដី).
    text = text.translate(_DASHES).replace("\u17d2\u178a", "\u17d2\u178f").casefold()
    return _SPACES.sub(" ", text).strip()


def is_khmer(char: str) -> bool:
    """True for a character of the Khmer block."""
    return KHMER_RANGE[0] <= ord(char) <= KHMER_RANGE[1]


def khmer_runs(normalized: str) -> list[str]:
    """The unbroken runs of Khmer script in a normalised text (Khmer writes no spaces)."""
    return _KHMER_RUN.findall(normalized)


def latin_words(normalized: str) -> list[str]:
    """The Latin-script words of a normalised text."""
    return _LATIN_WORD.findall(normalized)


def stem(word: str) -> str:
    """A light English stemmer: enough to match 'unions' with 'union', 'children' with 'child'."""
    word = word.removesuffix("'s").replace("'", "")
    irregular = _IRREGULAR.get(word)
    if irregular:
        return irregular
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_IRREGULAR = {
    "children": "child",
    "women": "woman",
    "men": "man",
    "people": "person",
    "persons": "person",
    "peoples": "person",
}


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary before `limit` characters and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
