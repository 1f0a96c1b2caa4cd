"""A round's scope as a coordinator writes it: every word understood or refused with a
suggestion, Khmer words and theme names, both responses. Real catalog, nothing running."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.catalog import Catalog
from bot.domain.model import Response
from bot.domain.rounds import BadScope, parse_scope
from bot.services import Services

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def catalog(services: Services) -> Catalog:
    return services.catalog


def ids(text: str, catalog: Catalog) -> set[int]:
    return set(parse_scope(text, catalog, PHNOM_PENH, TODAY).recommendation_ids)


def test_an_unknown_word_is_refused_with_the_nearest_known_one(catalog: Catalog) -> None:
    with pytest.raises(BadScope) as refused:
        parse_scope("c2 lnd", catalog, PHNOM_PENH, TODAY)
    assert (
        refused.value.message == "I do not know “{word}” in a scope. Did you mean “{suggestion}”?"
    )
    assert dict(refused.value.params) == {"word": "lnd", "suggestion": "land"}
    with pytest.raises(BadScope) as refused:
        parse_scope("c2 acepted land", catalog, PHNOM_PENH, TODAY)
    assert dict(refused.value.params) == {"word": "acepted", "suggestion": "accepted"}
    with pytest.raises(BadScope) as refused:
        parse_scope("c2 land zzqx", catalog, PHNOM_PENH, TODAY)
    assert dict(refused.value.params) == {"word": "zzqx"}
    assert refused.value.message.startswith("I do not know “{word}” in a scope. Write a cycle")


def test_khmer_theme_names_and_words_mean_their_english_ones(catalog: Catalog) -> None:
    land = ids("c2 land", catalog)
    assert ids("c2 ដីធ្លី", catalog) == land
    assert ids("c2 ដីធ្លី និងធនធានធម្មជាតិ", catalog) == land  # the theme's full Khmer name
    assert ids("c2 Land and natural resources", catalog) == land  # and its English name
    assert ids("c2 land ទទួលយក", catalog) == ids("c2 land accepted", catalog)
    assert ids("c2 land កត់សម្គាល់", catalog) == ids("c2 land noted", catalog)
    assert ids("c2 ដីធ្លីទទួលយក", catalog) == ids("c2 land accepted", catalog)  # no space
    with pytest.raises(BadScope) as refused:
        parse_scope("c2 ដីធ្លីក", catalog, PHNOM_PENH, TODAY)
    assert refused.value.params["word"] == "ដីធ្លីក"


def test_accepted_and_noted_together_mean_both(catalog: Catalog) -> None:
    accepted, noted = ids("c2 land accepted", catalog), ids("c2 land noted", catalog)
    assert accepted
    assert noted
    assert not accepted & noted
    both = parse_scope("c2 land accepted noted", catalog, PHNOM_PENH, TODAY)
    assert set(both.recommendation_ids) == accepted | noted == ids("c2 land", catalog)
    assert both.responses == (Response.ACCEPTED, Response.NOTED)
    one = parse_scope("c2 land accepted 118.1-118.80", catalog, PHNOM_PENH, TODAY)
    land = next(t.id for t in catalog.themes if t.slug == "land")
    assert (one.responses, one.theme_ids, one.numbers) == (
        (Response.ACCEPTED,),
        (land,),
        ("118.1–118.80",),
    )
    # A word that merely contains 'accepted' is not the response.
    with pytest.raises(BadScope):
        parse_scope("c2 unaccepted", catalog, PHNOM_PENH, TODAY)
