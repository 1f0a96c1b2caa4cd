"""Property-based tests (Hypothesis) of the pure rules: the overall colour and number parsing."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.assessment import Colour, Distribution, Overall, overall
from bot.domain.model import RecNumber
from bot.domain.numbers import NumberRange, parse_numbers
from bot.domain.text import normalize

# No deadline: a loaded machine (or mutmut) must not turn slowness into failures.
rules = settings(deadline=None, max_examples=100)

RANK = {Colour.RED: 0, Colour.ORANGE: 1, Colour.GREEN: 2}
AS_OVERALL = {c: Overall(c.value) for c in RANK}
KHMER = "០១២៣៤៥៦៧៨៩"

# Ratings: lists of answers, "don't know" included; min_ratings as MIN_RATINGS may be set.
answers = st.lists(st.sampled_from(list(Colour)), max_size=40)
min_ratings = st.integers(min_value=0, max_value=8)


def lower_median(colours: list[Colour]) -> Colour:
    """The README's rule, written independently: the lower of the two middle colours."""
    coloured = sorted((c for c in colours if c in RANK), key=RANK.__getitem__)
    return coloured[(len(coloured) - 1) // 2]


def contested(colours: list[Colour]) -> bool:
    """README: red and green each have at least a third of the colours."""
    coloured = [c for c in colours if c in RANK]
    return 3 * coloured.count(Colour.RED) >= len(coloured) <= 3 * coloured.count(Colour.GREEN)


# --- the overall colour -----------------------------------------------------------------------
@rules
@given(answers, min_ratings)
@example([Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.GREEN], 3)
def test_overall_is_not_enough_contested_or_the_lower_median(
    colours: list[Colour], minimum: int
) -> None:
    result = overall(Distribution.of(colours), minimum)
    given_colours = [c for c in colours if c in RANK]
    if len(given_colours) < max(1, minimum):
        assert result is Overall.NOT_ENOUGH
    elif contested(colours):
        assert result is Overall.CONTESTED
    else:
        assert result is AS_OVERALL[lower_median(colours)]
        # ...which is always a colour that some organisation gave.
        assert Colour(result.value) in given_colours


@rules
@given(answers, min_ratings)
def test_dont_know_answers_never_change_the_overall_colour(
    colours: list[Colour], minimum: int
) -> None:
    without = [c for c in colours if c is not Colour.UNKNOWN]
    assert overall(Distribution.of(colours), minimum) == overall(Distribution.of(without), minimum)


@rules
@given(answers, min_ratings)
def test_the_order_of_the_ratings_does_not_matter(colours: list[Colour], minimum: int) -> None:
    assert overall(Distribution.of(colours), minimum) == overall(
        Distribution.of(list(reversed(colours))), minimum
    )


IMPROVEMENTS = [
    (Colour.RED, Colour.ORANGE),
    (Colour.ORANGE, Colour.GREEN),
    (Colour.RED, Colour.GREEN),
]


@st.composite
def one_improvement(draw: st.DrawFn) -> tuple[list[Colour], list[Colour]]:
    """Ratings, and the same ratings with one of them moved up the scale."""
    before, better = draw(st.sampled_from(IMPROVEMENTS))
    colours = [*draw(answers), before]
    colours = draw(st.permutations(colours))
    index = colours.index(before)
    return colours, [*colours[:index], better, *colours[index + 1 :]]


@rules
@given(one_improvement(), min_ratings)
def test_one_better_rating_never_makes_the_colour_worse(
    change: tuple[list[Colour], list[Colour]], minimum: int
) -> None:
    """Monotonic, precisely: red < orange < green is a scale, "contested" is a flag off it.

    When one organisation moves its rating up the scale (🔴→🟠, 🟠→🟢, 🔴→🟢):
    - the lower median never goes down;
    - if the overall colour is a colour before and after, it never goes down;
    - a green stays green, and nothing but a red can become red;
    - "not enough ratings" neither appears nor goes (the number of colours is the same).
    "Contested" is not on the scale: it can appear (🔴/🟠 → contested, when green reaches a third)
    and go (contested → 🟠/🟢, when red falls under a third); see the test below.
    """
    before, after = change
    assert RANK[lower_median(after)] >= RANK[lower_median(before)]
    old = overall(Distribution.of(before), minimum)
    new = overall(Distribution.of(after), minimum)
    if old in AS_OVERALL.values() and new in AS_OVERALL.values():
        assert RANK[Colour(new.value)] >= RANK[Colour(old.value)]
    if old is Overall.GREEN:
        assert new is Overall.GREEN
    if new is Overall.RED:
        assert old is Overall.RED
    assert (old is Overall.NOT_ENOUGH) == (new is Overall.NOT_ENOUGH)


def test_contested_is_a_flag_that_one_better_rating_can_raise_or_lower() -> None:
    r, o, g = Colour.RED, Colour.ORANGE, Colour.GREEN

    def of(colours: list[Colour]) -> Overall:
        return overall(Distribution.of(colours), 3)

    # Green reaches a third while red keeps a third: a split appears.
    assert of([r, r, r, o, o, g]) is Overall.RED
    assert of([r, r, r, o, g, g]) is Overall.CONTESTED
    assert of([r, r, o, o, o, g]) is Overall.ORANGE
    assert of([r, r, o, o, g, g]) is Overall.CONTESTED
    # Red falls under a third: the split is gone.
    assert of([r, r, o, g, g]) is Overall.CONTESTED
    assert of([r, o, o, g, g]) is Overall.ORANGE
    assert of([r, g, g]) is Overall.CONTESTED
    assert of([g, g, g]) is Overall.GREEN


@rules
@given(answers)
def test_more_required_ratings_only_turn_a_result_into_not_enough(colours: list[Colour]) -> None:
    dist = Distribution.of(colours)
    for minimum in range(1, 8):
        stricter = overall(dist, minimum + 1)
        assert stricter in (overall(dist, minimum), Overall.NOT_ENOUGH)


@rules
@given(answers)
def test_a_distribution_counts_every_answer_once(colours: list[Colour]) -> None:
    dist = Distribution.of(colours)
    assert [dist.count(c) for c in Colour] == [colours.count(c) for c in Colour]
    assert dist.total == len(colours)
    assert dist.coloured == len([c for c in colours if c in RANK])


# --- numbers and ranges -----------------------------------------------------------------------
paragraphs = st.integers(min_value=1, max_value=9999)
items = st.integers(min_value=0, max_value=9999)
numbers = st.builds(RecNumber, paragraphs, items)
cycles = st.integers(min_value=1, max_value=99)


@st.composite
def digits(draw: st.DrawFn, value: int) -> str:
    """A number written with Latin or Khmer digits, mixed as careless typing mixes them."""
    return "".join(KHMER[int(d)] if draw(st.booleans()) else d for d in str(value))


@st.composite
def written(draw: st.DrawFn, number: RecNumber) -> str:
    """118.6 as a member may write it: either script, the item with leading zeros or not."""
    zeros = draw(st.integers(min_value=0, max_value=4 - len(str(number.item))))
    item = "0" * zeros + str(number.item)
    return f"{draw(digits(number.paragraph))}.{''.join(draw(digits(int(d))) for d in item)}"


@st.composite
def cycle_marker(draw: st.DrawFn, cycle: int) -> str:
    """Every way of naming a cycle the README shows: c2, cycle 2, វដ្ត២ (and វដ្តទី ២)."""
    form = draw(st.sampled_from(["c{}", "c {}", "cycle {}", "Cycle {}", "វដ្ត{}", "វដ្តទី {}"]))
    return form.format(draw(digits(cycle)))


def test_khmer_digits_read_as_their_values() -> None:
    assert normalize(KHMER) == "0123456789"
    for value, khmer in enumerate(KHMER):
        assert normalize(f"១{khmer}.{khmer}") == f"1{value}.{value}"


@rules
@given(st.data(), numbers, st.none() | cycles, st.booleans())
def test_a_number_reads_back_whatever_the_script_and_cycle_marker(
    data: st.DataObject, number: RecNumber, cycle: int | None, marker_first: bool
) -> None:
    text = data.draw(written(number))
    if cycle is not None:
        marker = data.draw(cycle_marker(cycle))
        text = f"{marker} {text}" if marker_first else f"{text} {marker}"
    query = parse_numbers(text)
    assert query is not None, text
    assert query.ranges == (NumberRange(number, number),)
    assert query.cycle == cycle


LIST_SEPARATORS = [", ", ",", "; ", " and ", " "]
RANGE_SEPARATORS = ["-", " - ", "–", " – ", "—", "~", " to ", " ដល់ "]


@st.composite
def ranges(draw: st.DrawFn) -> tuple[str, NumberRange]:
    """A range as written (118.1-118.4, 118.9 – 11, 119.21 to 27…) and what it means."""
    first, second = draw(numbers), draw(numbers)
    separator = draw(st.sampled_from(RANGE_SEPARATORS))
    if first.paragraph == second.paragraph and draw(st.booleans()):
        end = draw(digits(second.item))  # 118.9 – 11: the paragraph is understood
    else:
        end = draw(written(second))
    return f"{draw(written(first))}{separator}{end}", NumberRange(
        min(first, second), max(first, second)
    )


@rules
@given(st.lists(ranges(), min_size=1, max_size=5), st.sampled_from(LIST_SEPARATORS), cycles)
def test_lists_of_ranges_read_back_in_order(
    parts: list[tuple[str, NumberRange]], separator: str, cycle: int
) -> None:
    text = separator.join(written for written, _ in parts) + f" c{cycle}"
    query = parse_numbers(text)
    assert query is not None, text
    assert list(query.ranges) == [meant for _, meant in parts]
    assert query.cycle == cycle


@settings(deadline=None, max_examples=200)
@given(st.lists(numbers, min_size=1, max_size=8), st.none() | cycles)
def test_a_query_printed_the_canonical_way_parses_to_itself(
    found: list[RecNumber], cycle: int | None
) -> None:
    pairs = sorted(zip(found[::2], found[1::2] or found[:1], strict=False))
    meant = tuple(NumberRange(min(a, b), max(a, b)) for a, b in pairs)
    text = ", ".join(str(r.start) if r.start == r.end else f"{r.start}-{r.end}" for r in meant) + (
        f" cycle {cycle}" if cycle else ""
    )
    query = parse_numbers(text)
    assert query is not None
    assert (query.ranges, query.cycle) == (meant, cycle)


@rules
@given(numbers)
def test_a_number_prints_and_parses_back_to_itself(number: RecNumber) -> None:
    assert RecNumber.parse(str(number)) == number
