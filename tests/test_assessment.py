"""The overall-colour rule and round comparison."""

import pytest

from bot.domain.assessment import Colour, Distribution, Overall, change, overall

R, OR, G, U = Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN


@pytest.mark.parametrize(
    ("colours", "expected"),
    [
        ([R, R, OR], Overall.RED),
        ([R, OR, OR, G], Overall.ORANGE),  # lower median of red < orange < green
        ([OR, G, G], Overall.GREEN),
        ([R, R, OR, G, G], Overall.CONTESTED),  # red and green each over a third: a split
        ([R, G, G], Overall.CONTESTED),
        ([R, G, G, G], Overall.GREEN),  # one red in four is not a split
        ([R, OR, G, G, G, G, G], Overall.GREEN),  # one red among seven is not a split
        ([R, G], Overall.NOT_ENOUGH),
        ([U, U, U, R, OR], Overall.NOT_ENOUGH),  # "don't know" is not a colour
        ([], Overall.NOT_ENOUGH),
    ],
)
def test_overall_colour(colours: list[Colour], expected: Overall) -> None:
    assert overall(Distribution.of(colours), min_ratings=3) == expected


def test_distribution_line_and_counts() -> None:
    dist = Distribution.of([R, R, R, OR, OR, OR, OR, OR, G, U, U])
    assert dist.line() == "🔴 3 · 🟠 5 · 🟢 1 · ❔ 2"
    assert (dist.total, dist.coloured) == (11, 9)


def test_progression_and_regression() -> None:
    assert change(Overall.RED, Overall.ORANGE) == 1
    assert change(Overall.GREEN, Overall.ORANGE) == -1
    assert change(Overall.ORANGE, Overall.ORANGE) == 0
    assert change(Overall.CONTESTED, Overall.GREEN) == 0
