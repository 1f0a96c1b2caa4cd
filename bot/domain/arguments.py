"""Reading what people type after a command or put in a button: Khmer digits and the Khmer
colon are ordinary digits and colons, and no input, however odd, raises."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.text import KHMER_DIGITS

KHMER_COLON = "៖"
_COLONS = str.maketrans({KHMER_COLON: ":", "：": ":"})  # Khmer and full-width colons
# Ids and round numbers: ASCII digits only (str.isdigit also accepts '²', which int() refuses),
# and at most 15 of them (SQLite integers stop at 19 digits; Telegram ids have at most 13).
_WHOLE = re.compile(r"[0-9]{1,15}")


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


def whole_numbers(text: str) -> list[int]:
    """The words of the text that are whole numbers, in order: '/compare ១ 2' -> [1, 2]."""
    return [n for word in text.split() if (n := whole_number(word)) is not None]


def name_after_colon(text: str) -> tuple[str, str] | None:
    """Split 'c2 land : Mid-term review' (or with '៖') at the first colon; None without one.

    The name after the colon is kept as typed (its Khmer digits stay Khmer).
    """
    found = re.search(f"[:{KHMER_COLON}：]", text)
    if found is None:
        return None
    return text[: found.start()], text[found.end() :].strip()
