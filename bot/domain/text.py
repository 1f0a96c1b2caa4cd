"""Text normalisation shared by parsing, search and import (Khmer-aware)."""

from __future__ import annotations

import functools
import re
import unicodedata

from icu4py.breakers import WordBreaker

COENG = "\u17d2"  # the Khmer sign that puts the next consonant under the one before
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
# Zero-width characters Khmer writers use as invisible word breaks; they must not split matches.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-"})
_SPACES = re.compile(r"\s+")

# Shown to others, these would let a user's text fake lines of the bot's own or reorder it:
# direction marks, embeddings, overrides and isolates, and invisible joiners (Khmer's
# zero-width space and non-joiner stay: writers use them between words).
_DIRECTION = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
_HIDDEN = dict.fromkeys((*_DIRECTION, 0x200D, 0x2060, 0xFEFF, 0x180E, 0x00AD))

KHMER_RANGE = (0x1780, 0x17FF)
_KHMER_RUN = re.compile(r"[\u1780-\u17dd\u17f0-\u17f9\u19e0-\u19ff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


# Khmer spelling variants that look alike on screen: subscript RO typed before another
# subscript (ស្រ្តី for ស្ត្រី), NIKAHIT typed before vowel U (ំុ for ុំ), QOO type two (ឲ្យ).
_COENG_RO_FIRST = re.compile("(\u17d2\u179a)(\u17d2[\u1780-\u17a2])")
_NIKAHIT_FIRST = re.compile("\u17c6([\u17bb\u17bc])")
_KHMER_LETTERS = str.maketrans({"\u17b2": "\u17b1"})
# Every character-for-character change of `normalize` in one translate pass (the tables share
# no character, and none maps to a character another one changes).
_ONE_PASS = {**_INVISIBLE, **KHMER_DIGITS, **_APOSTROPHES, **_DASHES, **_KHMER_LETTERS}


_CHANGED = re.compile("[" + re.escape("".join(map(chr, _ONE_PASS))) + "]")


def normalize(text: str) -> str:
    """NFC, lower case, Khmer digits as ASCII, invisible marks dropped, dashes and quotes unified,
    Khmer spelling variants in one form. A text already in that form comes back as the same
    object (the search index then shares it with the catalog instead of holding a copy)."""
    original = text
    text = unicodedata.normalize("NFC", text)
    if _CHANGED.search(text):  # most texts have none: a search is cheaper than a translate
        text = text.translate(_ONE_PASS)
    # Khmer writers use subscript TA and subscript DA interchangeably (ស្តី / ស្ដី).
    text = text.replace("\u17d2\u178a", "\u17d2\u178f").casefold()
    if _has_khmer(text):
        text = _COENG_RO_FIRST.sub(r"\2\1", text)
        text = _NIKAHIT_FIRST.sub("\\1\u17c6", text)
    text = " ".join(text.split())  # whitespace runs as one space, none at the ends
    return original if text == original else text


_KHMER_CHAR = re.compile("[\u1780-\u17ff]")


def _has_khmer(text: str) -> bool:
    return _KHMER_CHAR.search(text) is not None


def one_line(text: str) -> str:
    """User text the bot keeps and shows to others: line breaks and tabs as single spaces,
    no control, direction or invisible characters (but ZWSP and ZWNJ), trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_HIDDEN)
    text = "".join(
        " " if c.isspace() else c
        for c in text
        if c.isspace() or unicodedata.category(c) != "Cc"  # Cc: the C0 and C1 controls
    )
    return _SPACES.sub(" ", text).strip()


def visible_text(text: str) -> str:
    """A text without invisible characters (zero-width spaces and joiners, the byte-order mark,
    soft hyphens, bidi marks and overrides and other format controls)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def written_text(text: str) -> str:
    """A Khmer text as the bot stores it, typed in chat or imported from a file: invisible
    characters dropped, one paragraph with single spaces."""
    return " ".join(visible_text(text).split())


def is_blank(text: str) -> bool:
    """True for text with nothing visible: whitespace, controls and invisible marks only."""
    return not one_line(text).translate(_INVISIBLE)


def is_khmer(char: str) -> bool:
    """True for a character of the Khmer block."""
    return KHMER_RANGE[0] <= ord(char) <= KHMER_RANGE[1]


def khmer_runs(normalized: str) -> list[str]:
    """The unbroken runs of Khmer script in a normalised text (Khmer writes no spaces)."""
    return _KHMER_RUN.findall(normalized)


@functools.lru_cache(maxsize=4096)
def khmer_words(run: str) -> tuple[str, ...]:
    """The words of an unspaced Khmer run, by ICU's dictionary-based Khmer word breaker."""
    return tuple(w for w in WordBreaker(run, "km") if _KHMER_RUN.fullmatch(w))


# Prefixes that turn a verb or adjective into a noun: a query with or without them is the same.
KHMER_NOUN_PREFIXES = ("សេចក្តី", "ការ", "ភាព")


def without_noun_prefix(word: str) -> str:
    """A Khmer word without its ការ/សេចក្តី/ភាព prefix (the word itself when it has none or
    when too little would be left)."""
    for prefix in KHMER_NOUN_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return word


def latin_words(normalized: str) -> list[str]:
    """The Latin-script words of a normalised text."""
    return _LATIN_WORD.findall(normalized)


@functools.lru_cache(maxsize=1 << 16)
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


def cut_whole(text: str, limit: int, *, at_word: bool = False) -> str:
    """At most `limit` characters of a text, never cutting a letter cluster (no Khmer
    subscript or vowel sign left without its base, nor its base without them); with
    `at_word`, at the end of its last whole word (ICU's word breaker) when that keeps more than
    half; no spaces at the end."""
    if len(text) <= limit:
        return text
    end = limit
    while end > 0 and (_combining(text[end]) or text[end - 1] == COENG):
        end -= 1
    if at_word:
        ends = [e for _, e in WordBreaker(text, "km").segments() if e <= end]
        if ends and ends[-1] > limit // 2:
            end = ends[-1]
    return text[:end].rstrip()


def _combining(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary before `limit` characters and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
