"""Reading recommendation numbers the way coalitions write them."""

import pytest

from bot.domain.model import RecNumber
from bot.domain.numbers import (
    MalformedNumber,
    MultipleCycles,
    NumberRange,
    cycle_after_numbers,
    extract_cycle,
    parse_numbers,
    without_numbers,
)
from bot.domain.text import normalize
from bot.services import Services


def n(text: str) -> RecNumber:
    return RecNumber.parse(text)


def single(text: str) -> NumberRange:
    return NumberRange(n(text), n(text))


@pytest.mark.parametrize(
    ("text", "ranges", "cycle"),
    [
        ("118.6", [single("118.6")], None),
        ("118.6 c2", [single("118.6")], 2),
        ("c2 118.6", [single("118.6")], 2),
        ("118.6 cycle 3", [single("118.6")], 3),
        ("១១៨.៦", [single("118.6")], None),
        ("វដ្ត២ ១១៨.៦", [single("118.6")], 2),
        ("118.6 វដ្តទី ៤", [single("118.6")], 4),
        ("118.6 ជុំទី៤", [single("118.6")], 4),  # official Khmer usage: "UPR ជុំទី៤"
        ("ជុំ ៤ 118.6", [single("118.6")], 4),
        ("118.6 វដ្តទី៤", [single("118.6")], 4),
        ("118.6 c4", [single("118.6")], 4),
        ("118.6, 118.7", [single("118.6"), single("118.7")], None),
        ("118.6; 118.7 and 119.1", [single("118.6"), single("118.7"), single("119.1")], None),
        ("118.1-118.4", [NumberRange(n("118.1"), n("118.4"))], None),
        ("118.9 – 11", [NumberRange(n("118.9"), n("118.11"))], None),
        ("118.9—11", [NumberRange(n("118.9"), n("118.11"))], None),
        ("119.21 to 27", [NumberRange(n("119.21"), n("119.27"))], None),
        ("118.1 ដល់ 118.4", [NumberRange(n("118.1"), n("118.4"))], None),
        ("118.4-118.1", [NumberRange(n("118.1"), n("118.4"))], None),
        ("118.170-119.2", [NumberRange(n("118.170"), n("119.2"))], None),
        ("what is 110.45?", [single("110.45")], None),
        ("118.06", [single("118.6")], None),
    ],
)
def test_numbers_are_read(text: str, ranges: list[NumberRange], cycle: int | None) -> None:
    query = parse_numbers(text)
    assert query is not None
    assert list(query.ranges) == ranges
    assert query.cycle == cycle


@pytest.mark.parametrize("text", ["land", "trade unions", "2 optional protocols", "c2 land", "ដី"])
def test_words_are_not_numbers(text: str) -> None:
    assert parse_numbers(text) is None


@pytest.mark.parametrize("text", ["118.6.7", "118", "999999.1", "118.6 7", "1.2.3.4"])
def test_digit_soup_is_malformed(text: str) -> None:
    with pytest.raises(MalformedNumber):
        parse_numbers(text)


def test_two_cycles_are_refused() -> None:
    with pytest.raises(MultipleCycles):
        parse_numbers("118.6 c1 c2")


def test_number_order_is_numeric_not_textual() -> None:
    assert n("118.9") < n("118.10") < n("119.1")
    assert str(n("118.010")) == "118.10"


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("119.3, c1 82.1", True),  # pasted from two cycles: c1 cannot name 119.3's cycle
        ("119.3 cycle 1", True),
        ("១១៩.៣ វដ្ត១", True),
        ("c1 82.1-82.9", False),
        ("cycle 1: 82.1, 82.2", False),
        ("វដ្តទី ១ ៨២.១", False),
        ("119.3, 119.4", False),  # no cycle at all
        ("c1", False),  # no number at all
        ("land c2", False),
    ],
)
def test_a_cycle_after_numbers_is_noticed(text: str, after: bool) -> None:
    assert cycle_after_numbers(text) is after


def test_a_cycle_marker_is_a_filter_not_words_to_search(services: Services) -> None:
    for text in ("c1 land rights", "land វដ្តទី ១ rights", "cycle 1 land rights"):
        request = services.catalog.parse_search(text)
        assert (request.cycle, request.text) == (1, "land rights")


def test_khmer_cycle_words_filter_a_word_search(services: Services) -> None:
    for text in ("ជុំទី១ ដីធ្លី", "UPR ជុំ ១ ដីធ្លី", "វដ្តទី១ ដីធ្លី", "ដីធ្លី cycle 1", "c1 ដីធ្លី"):
        request = services.catalog.parse_search(text)
        assert (request.cycle, request.text.removeprefix("upr ")) == (1, "ដីធ្លី"), text


@pytest.mark.parametrize(
    ("text", "cycle", "rest"),
    [
        ("c87 land", None, "c87 land"),  # ILO's Convention 87: a word
        ("c 87", None, "c 87"),
        ("ilo c87 c2", 2, "ilo c87  "),  # one cycle, one word: not two cycles
        ("c2 land", 2, "  land"),
        ("cycle 87", 87, " "),  # written out, a cycle (the bot says it has none)
        ("វដ្ត៨៧", 87, " "),
        ("ជុំទី ៨៧ ដីធ្លី", 87, "  ដីធ្លី"),
    ],
)
def test_c_and_a_number_is_a_cycle_only_when_the_catalog_has_it(
    text: str, cycle: int | None, rest: str
) -> None:
    assert extract_cycle(normalize(text), frozenset({1, 2, 3, 4})) == (cycle, rest)
    assert extract_cycle(normalize("c87 land")) == (87, "  land")  # no catalog to ask


def test_the_catalog_knows_its_cycles_and_reads_c87_as_a_word(services: Services) -> None:
    assert services.catalog.known_cycles == frozenset({1, 2, 3, 4})  # data/cycles.csv
    request = services.catalog.parse_search("C87 land")
    assert (request.cycle, request.text, request.typed) == (None, "c87 land", "C87 land")
    request = services.catalog.parse_search("c4 C87")
    assert (request.cycle, request.text, request.typed) == (4, "c87", "C87")


def test_without_numbers_blanks_each_number_and_range_and_keeps_the_rest() -> None:
    assert without_numbers("118.6, land 119.2-4 c2") == " , land   c2"
    assert without_numbers("ដីធ្លី 118.6 to 9") == "ដីធ្លី  "
