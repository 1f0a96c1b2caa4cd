"""Publishing asks twice when few organisations rated, or when most recommendations have
"not enough ratings" even though many organisations rated something."""

from bot.domain.assessment import Round
from bot.domain.rounds import Panel

ROUND = Round(1, "Mid-term", 2, "c2 land", None, open=False, published=False, size=14)


def test_low_participation_counts_organisations_and_recommendations_without_a_colour() -> None:
    assert Panel(ROUND, (), rated=2, total=5, not_enough=0).low_participation
    # Everyone rated one recommendation: 13 of 14 have "not enough ratings".
    assert Panel(ROUND, (), rated=5, total=5, not_enough=13).low_participation
    assert Panel(ROUND, (), rated=5, total=5, not_enough=8).low_participation
    assert not Panel(ROUND, (), rated=5, total=5, not_enough=7).low_participation
    assert not Panel(ROUND, (), rated=3, total=5, not_enough=0).low_participation
