"""Reading recommendation numbers as coalitions write them: 118.6, ១១៨.៦, 118.1-4, 119.21 to 27."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from bot.domain.model import RecNumber
from bot.domain.text import normalize

# Where a number ends: no digit and no Latin letter follows ('c2x' is no cycle). A Khmer letter
# may follow: Khmer writes words without spaces ('ជុំទី១ដីធ្លី'), and `\b` never falls between a
# digit and a Khmer letter (both are word characters).
_NUMBER_END = r"(?![\da-z_])"
# 'cycle 4', 'c4', and in Khmer 'វដ្តទី៤' or 'ជុំទី៤' / 'ជុំ ៤' (official Khmer usage: "UPR ជុំទី៤").
# 'c87' may be a word too (ILO Convention C87): the short form names a cycle for a search only
# when the catalog has that cycle (`extract_cycle`'s `cycles`).
_CYCLE = re.compile(
    rf"(?:\bcycle\s*|(?P<short>\bc\s?)|(?:វដ្ត|ជុំ)(?:ទី)?\s*)(\d{{1,2}}){_NUMBER_END}"
)
_ITEM = re.compile(
    r"(?<![\d.])(\d+)\.(\d+)"
    rf"(?:\s*(?:-|~|\bto\b|ដល់)\s*(?:(\d+)\.)?(\d+){_NUMBER_END})?"
    r"(?![\d]|\.\d)"
)
_DIGIT = re.compile(r"\d")


class MalformedNumber(ValueError):
    """The text looks like a number lookup but cannot be read as one."""


class MultipleCycles(ValueError):
    """The text names more than one cycle."""


@dataclass(frozen=True)
class NumberRange:
    """An inclusive range of numbers in one cycle; a single number has start == end."""

    start: RecNumber
    end: RecNumber


@dataclass(frozen=True)
class NumberQuery:
    """What a member asked for by number: ranges, and a cycle or None for the current one."""

    ranges: tuple[NumberRange, ...]
    cycle: int | None


def extract_cycle(normalized: str, cycles: Container[int] | None = None) -> tuple[int | None, str]:
    """Find one cycle marker ('c2', 'cycle 2', 'វដ្ត២'); return it and the text without it.
    With `cycles` (the catalog's), 'c' and a number of none of them is a word ('c87')."""

    def marker(match: re.Match[str]) -> bool:
        return cycles is None or not match.group("short") or int(match.group(2)) in cycles

    found = {int(m.group(2)) for m in _CYCLE.finditer(normalized) if marker(m)}
    if len(found) > 1:
        raise MultipleCycles(sorted(found))
    rest = _CYCLE.sub(lambda m: " " if marker(m) else m.group(0), normalized)
    return (found.pop() if found else None), rest


def without_numbers(normalized: str) -> str:
    """The normalised text with its recommendation numbers and ranges blanked out."""
    return _ITEM.sub(" ", normalized)


def cycle_after_numbers(text: str) -> bool:
    """True when a cycle marker follows a number ('119.3, c1 82.1'): in a pasted list it
    cannot name the cycle of the numbers before it."""
    normalized = normalize(text)
    marker = _CYCLE.search(normalized)
    number = _ITEM.search(_CYCLE.sub(lambda m: " " * len(m.group(0)), normalized))
    return marker is not None and number is not None and number.start() < marker.start()


def parse_numbers(text: str) -> NumberQuery | None:
    """A NumberQuery when the text names numbers, None when it is a word search.

    Raises MalformedNumber for digit soup such as '118.6.7' or '118'.
    """
    cycle, rest = extract_cycle(normalize(text))
    ranges: list[NumberRange] = []
    for match in _ITEM.finditer(rest):
        para, item, end_para, end_item = match.groups()
        try:
            start = RecNumber.parse(f"{para}.{item}")
            end = RecNumber.parse(f"{end_para or para}.{end_item}") if end_item else start
        except ValueError as exc:
            raise MalformedNumber(match.group(0)) from exc
        ranges.append(NumberRange(min(start, end), max(start, end)))
    leftover = _ITEM.sub(" ", rest)
    if ranges:
        if _DIGIT.search(leftover):
            raise MalformedNumber(text)
        return NumberQuery(tuple(ranges), cycle)
    if _DIGIT.search(leftover) and not re.search(r"[a-z\u1780-\u17dd]{2,}", leftover):
        raise MalformedNumber(text)
    return None
