"""Recall of the Khmer query test set (tests/search_queries.py), in Khmer and in English."""

import re

from bot.domain.catalog import Catalog, SearchRequest
from bot.services import Services
from tests.search_queries import QUERIES, Query

GOAL = 0.95


def must_find(catalog: Catalog, query: Query) -> set[str]:
    """What the query must find, judged from the English texts (and the State's own list)."""
    if query.state is not None:
        pool = catalog.search(SearchRequest(state=query.state)).recommendations
    else:
        pool = catalog.recommendations
    pattern = re.compile(query.must_find, re.IGNORECASE)
    return {
        f"{r.cycle}:{r.number}"
        for r in pool
        if pattern.search(r.text_en) and query.cycle in (None, r.cycle)
    }


def found(catalog: Catalog, text: str) -> set[str]:
    """What a query finds among its best answers (those matching the most of its words)."""
    result = catalog.search(catalog.parse_search(text))
    best = result.best or len(result.recommendations)
    return {f"{r.cycle}:{r.number}" for r in result.recommendations[:best]}


def recall(catalog: Catalog, language: str) -> tuple[float, list[str]]:
    """Found / must find, over the whole set; and the queries that missed something."""
    wanted = hits = 0
    misses = []
    for query in QUERIES:
        expected = must_find(catalog, query)
        got = found(catalog, query.khmer if language == "km" else query.english)
        wanted += len(expected)
        hits += len(expected & got)
        if expected - got:
            misses.append(f"{query.khmer} / {query.english}: {sorted(expected - got)}")
    return hits / wanted, misses


def test_the_query_set_is_big_and_each_query_must_find_something(services: Services) -> None:
    assert len(QUERIES) >= 60
    for query in QUERIES:
        assert must_find(services.catalog, query), query


def test_khmer_recall_is_at_least_95_percent(services: Services) -> None:
    score, misses = recall(services.catalog, "km")
    assert score >= GOAL, (score, misses)


def test_english_recall_is_at_least_95_percent(services: Services) -> None:
    score, misses = recall(services.catalog, "en")
    assert score >= GOAL, (score, misses)
