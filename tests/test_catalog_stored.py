"""A catalog whose rows and postings are kept in temporary files answers as one held in
memory, and as a plain scan of its recommendations says, across segments."""

from __future__ import annotations

import random

import pytest

from bot.domain.catalog import Catalog, SearchRequest
from bot.domain.compact import CompactRecommendations
from bot.domain.model import Cycle, RecNumber, Recommendation, Response, Theme
from bot.domain.search import SEGMENT, Glossary
from bot.domain.states import resolve_state
from storage.search_index import TemporaryIndexStore, TemporaryRowStore

THEMES = tuple(Theme(i, f"t{i}", f"Theme {i}", f"ប្រធានបទ {i}") for i in range(1, 6))
STATES = ("France", "Japan", "Viet Nam", "Brazil", "Norway", "Kenya")
RESPONSES = (Response.ACCEPTED, Response.NOTED, Response.REJECTED, Response.PENDING)


def recommendations() -> list[Recommendation]:
    """Two cycles, 1.3 segments of recommendations, shuffled (the catalog orders them)."""
    rng = random.Random(3)
    recs = []
    for i in range(SEGMENT + SEGMENT // 3):
        cycle = 3 if i % 3 else 2
        recs.append(
            Recommendation(
                id=10_000 + i * 7,
                cycle=cycle,
                number=RecNumber(100 + i // 50, i % 50 + 1),
                text_en=f"Protect {'land' if i % 5 == 0 else 'water'} rights, item {i}",
                # A joint recommendation of five States now and then: kept another way.
                states_raw=tuple(rng.sample(STATES, 5 if i % 997 == 0 else 1 + i % 2)),
                response=RESPONSES[i % 4],
                theme_ids=tuple(sorted(rng.sample(range(1, 6), i % 3))),
            )
        )
    rng.shuffle(recs)
    return recs


def catalog(recs: list[Recommendation], stored: bool) -> Catalog:
    ordered = sorted(recs, key=lambda r: (-r.cycle, r.number))
    rows = CompactRecommendations(ordered, rows=TemporaryRowStore()) if stored else recs
    return Catalog(
        rows,
        THEMES,
        (Cycle(2, None), Cycle(3, None)),
        Glossary(),
        index_store=TemporaryIndexStore if stored else None,
    )


@pytest.fixture(scope="module")
def both() -> tuple[list[Recommendation], Catalog, Catalog]:
    recs = recommendations()
    return recs, catalog(recs, stored=False), catalog(recs, stored=True)


def test_lookups_counts_and_filters_agree_with_a_scan(
    both: tuple[list[Recommendation], Catalog, Catalog],
) -> None:
    recs, held, stored = both
    display = sorted(recs, key=lambda r: (-r.cycle, r.number))
    for cat in (held, stored):
        assert tuple(cat.recommendations) == tuple(display)
        assert cat.counts_by_cycle() == {
            2: sum(r.cycle == 2 for r in recs),
            3: sum(r.cycle == 3 for r in recs),
        }
        assert cat.counts_by_theme() == {
            t.id: sum(t.id in r.theme_ids for r in recs) for t in THEMES
        }
        assert cat.counts_by_state() == {
            resolve_state(s).key: sum(s in r.states_raw for r in recs) for s in STATES
        }
        for rec in random.Random(5).sample(recs, 60):
            assert cat.get(rec.cycle, rec.number) == rec
            assert cat.by_id[rec.id] == rec
        assert cat.by_id.get(10_001) is None
        assert len(cat.by_id) == len(recs)
        assert sorted(cat.by_id) == sorted(r.id for r in recs)


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(cycle=3),
        SearchRequest(state=resolve_state("Japan").key),
        SearchRequest(theme_id=4),
        SearchRequest(response=Response.NOTED),
        SearchRequest("land", cycle=2, state=resolve_state("Kenya").key),
        SearchRequest("land", theme_id=2, response=Response.ACCEPTED),
    ],
)
def test_searches_with_filters_find_what_a_scan_finds_in_display_order(
    both: tuple[list[Recommendation], Catalog, Catalog], request_: SearchRequest
) -> None:
    recs, held, stored = both
    display = sorted(recs, key=lambda r: (-r.cycle, r.number))

    def allowed(r: Recommendation) -> bool:
        noted = (Response.NOTED, Response.REJECTED)
        return (
            (request_.cycle is None or r.cycle == request_.cycle)
            and (
                request_.state is None
                or request_.state in {resolve_state(s).key for s in r.states_raw}
            )
            and (request_.theme_id is None or request_.theme_id in r.theme_ids)
            and (
                request_.response is None
                or r.response
                in (noted if request_.response is Response.NOTED else (request_.response,))
            )
            and (not request_.text or request_.text in r.text_en)
        )

    expected = [r.id for r in display if allowed(r)]
    assert expected
    for cat in (held, stored):
        found = cat.search(request_).recommendations
        assert [r.id for r in found] == expected


def test_the_temporary_row_store_keeps_rows_in_order_and_finds_ids() -> None:
    store = TemporaryRowStore()
    store.add_rows([(30, 1, -1), (10, 2, 5)])
    assert store.position_of(10) == 1
    store.add_rows([(20, 3, 1 << 40)])  # rows added after the ids were first looked up
    assert store.position_of(20) == 2
    assert store.position_of(99) is None
    assert store.rows([2, 0]) == [(20, 3, 1 << 40), (30, 1, -1)]
    assert store.rows([1]) == [(10, 2, 5)]
    assert store.span(1, 3) == [(10, 2, 5), (20, 3, 1 << 40)]
