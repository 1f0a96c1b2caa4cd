"""Reading what people type after a command or put in a button: Khmer digits and the Khmer
colon are ordinary digits and colons, and no input, however odd, raises."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.numbers import MultipleCycles, extract_cycle
from bot.domain.text import KHMER_DIGITS, normalize

KHMER_COLON = "៖"
_COLONS = str.maketrans({KHMER_COLON: ":", "：": ":"})  # Khmer and full-width colons
# Ids and round numbers: ASCII digits only (str.isdigit also accepts '²', which int() refuses),
# and at most 15 of them (SQLite integers stop at 19 digits; Telegram ids have at most 13).
_WHOLE = re.compile(r"[0-9]{1,15}")
# A bare four-digit number is no recommendation number (those are paragraph.item): a year.
_YEAR = re.compile(r"\s*[0-9]{4}\s*")
# The round word before a round's number is the number alone: 'round 2', 'វគ្គទី២', 'វគ្គ 2',
# also glued to the Khmer word after it ('វគ្គទី១ដីធ្លី': Khmer writes words without spaces).
_ROUND = re.compile(r"(?:\bround|វគ្គ(?:ទី)?)\s*([0-9០-៩]{1,15})(?![0-9០-៩a-z_])", re.IGNORECASE)


def normalise(text: str) -> str:
    """The text every command parser reads: NFC, Khmer digits as 0-9, Khmer colons as ':'."""
    return unicodedata.normalize("NFC", text).translate(KHMER_DIGITS).translate(_COLONS)


def arguments(text: str) -> str:
    """What follows the command word ('/export 2 csv' -> '2 csv'), line breaks kept."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def whole_number(word: str) -> int | None:
    """A whole number written in ASCII or Khmer digits (at most 15), else None."""
    word = normalise(word)
    return int(word) if _WHOLE.fullmatch(word) else None


def bare_year(text: str) -> bool:
    """Whether the text is four digits alone ('2030', '២០៣០'): a word to search, such as a
    year in a recommendation's text, not a number to look up."""
    return _YEAR.fullmatch(normalise(text)) is not None


def whole_numbers(text: str) -> list[int]:
    """The words of the text that are whole numbers, in order: '/compare ១ 2' -> [1, 2]."""
    return [n for word in text.split() if (n := whole_number(word)) is not None]


# The bot's languages by the words people type for them (/language km, /language ខ្មែរ).
LANGUAGE_WORDS: Mapping[str, str] = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "អង់គ្លេស": "en",
    "ភាសាអង់គ្លេស": "en",
    "km": "km",
    "kh": "km",
    "khmer": "km",
    "ខ្មែរ": "km",
    "ភាសាខ្មែរ": "km",
}

# The options files take (/export 1 xlsx themes, /compare 1 2 csv), in English and Khmer.
FILE_OPTIONS: Mapping[str, str] = {
    "csv": "csv",
    "xlsx": "xlsx",
    "excel": "xlsx",
    "theme": "themes",
    "themes": "themes",
    "ប្រធានបទ": "themes",
    "តាមប្រធានបទ": "themes",
}

# Formats people ask for that the bot does not make: after /export, one of these is a format
# refused, while any other unknown word is answered as a misspelt format or working group.
OTHER_FILE_FORMATS: frozenset[str] = frozenset(
    {"doc", "docx", "html", "jpg", "json", "ods", "odt", "pdf", "png", "ppt", "pptx", "rtf"}
    | {"tsv", "txt", "word", "xls", "xml", "zip"}
)


@dataclass(frozen=True)
class Words:
    """What follows a command, read: its whole numbers, the options it knows (by their
    meaning), and the other words as typed (Khmer digits and colons made ASCII)."""

    numbers: tuple[int, ...]
    options: frozenset[str]
    rest: tuple[str, ...]
    # Each option word as typed with its meaning, in order: (Excel, xlsx), (csv, csv).
    typed: tuple[tuple[str, str], ...] = field(default=(), compare=False)


def read(command: str, options: Mapping[str, str] = FILE_OPTIONS) -> Words:
    """Read a command's words ('/export ១ xlsx ប្រធានបទ' -> 1, {xlsx, themes}): numbers in
    ASCII or Khmer digits (after the round word or not: 'វគ្គទី២' is 2), option words in
    English or Khmer, any case."""
    numbers: list[int] = []
    found: list[tuple[str, str]] = []
    rest: list[str] = []
    for word in _ROUND.sub(r" \1 ", normalise(arguments(command))).split():
        number = whole_number(word)
        meant = options.get(word.casefold())
        if number is not None:
            numbers.append(number)
        elif meant is not None:
            found.append((word, meant))
        else:
            rest.append(word)
    options_found = frozenset(meant for _, meant in found)
    return Words(tuple(numbers), options_found, tuple(rest), tuple(found))


def round_word(text: str) -> int | None:
    """The round a text names alone ('round 2', 'វគ្គទី២', 'វគ្គ ២'), else None."""
    asked, rest = round_and_rest(text)
    return asked if not rest.strip() else None


def round_and_rest(text: str) -> tuple[int | None, str]:
    """The first round a text names ('វគ្គទី១ដីធ្លី' -> 1) and the text without it, as typed;
    (None, the text) when it names none."""
    found = _ROUND.search(unicodedata.normalize("NFC", text))
    if found is None:
        return None, text
    typed = found.string
    return whole_number(found.group(1)), f"{typed[: found.start()]} {typed[found.end() :]}"


def cycle_word(word: str) -> int | None:
    """The cycle one word names alone ('c2', 'c២', 'cycle2', 'វដ្តទី២', 'ជុំទី២'), else None."""
    try:
        found, rest = extract_cycle(normalize(word))
    except MultipleCycles:
        return None
    return found if not rest.strip() else None


def language_word(text: str) -> str | None:
    """The bot language a word names (km, ខ្មែរ, Khmer, en, អង់គ្លេស…), else None."""
    return LANGUAGE_WORDS.get(" ".join(normalise(text).casefold().split()))


def name_after_colon(text: str) -> tuple[str, str] | None:
    """Split 'c2 land : Mid-term review' (or with '៖') at the first colon; None without one.

    The name after the colon is kept as typed (its Khmer digits stay Khmer).
    """
    found = re.search(f"[:{KHMER_COLON}：]", text)
    if found is None:
        return None
    return text[: found.start()], text[found.end() :].strip()
