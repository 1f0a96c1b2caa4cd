"""The catalog held compactly: read in chunks, repeated values shared, lookups by bisection."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.domain.catalog import Catalog, SearchRequest
from bot.domain.compact import BLOCK, CompactRecommendations
from bot.domain.importer import TranslationRow
from bot.domain.model import RecNumber, Recommendation, Response, Translation, TranslationStatus
from bot.domain.numbers import NumberRange
from bot.domain.search import Glossary
from bot.domain.text import normalize
from bot.services import Services
from storage import catalog as storage_catalog
from storage.catalog_cache import CatalogCache


async def test_a_snapshot_read_in_small_chunks_is_the_whole_catalog(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        TranslationRow(n, 2, RecNumber(118, n), f"សិទ្ធិ {n}", TranslationStatus.DRAFT, "Dara")
        for n in (1, 2, 9)
    ]
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert not (await services.catalog_repository.import_translations(rows, now)).errors
    whole = await services.catalog_repository.snapshot()
    monkeypatch.setattr(storage_catalog, "_CHUNK", 7)
    chunked = await services.catalog_repository.snapshot()
    assert len(chunked.recommendations) == len(whole.recommendations) == 296
    assert tuple(chunked.recommendations) == tuple(whole.recommendations)
    assert sum(bool(r.theme_ids) for r in chunked.recommendations) > 250
    assert sum(r.khmer is not None for r in chunked.recommendations) == 3


@pytest.mark.parametrize("kept", [False, True])
async def test_repeated_states_themes_and_sources_are_one_object_each(
    services: Services, kept: bool
) -> None:
    """Read from the database, or from the rows kept between starts (storage/catalog_cache.py)."""
    await services.rows_kept()
    if not kept:
        CatalogCache(services.database.path or Path()).forget()
    snapshot = await services.catalog_repository.snapshot()
    assert (snapshot.keep is None) == kept
    recs = snapshot.recommendations
    for field in ("states_raw", "theme_ids", "sdg_targets", "source"):
        values = [getattr(r, field) for r in recs]
        assert len({id(v) for v in values}) == len(set(values)), field
    names = [name for r in recs for name in r.states_raw]
    assert len({id(n) for n in names}) == len(set(names))


async def test_number_lookups_agree_with_a_scan_of_every_recommendation(
    services: Services,
) -> None:
    catalog = services.catalog
    recs = catalog.recommendations
    assert len(catalog.by_id) == len(recs)
    assert set(catalog.by_id) == {r.id for r in recs}
    for rec in recs:
        assert catalog.get(rec.cycle, rec.number) == rec
        assert catalog.by_id[rec.id] == rec
        assert catalog.lookup_cycles(rec.number) == tuple(
            sorted(r.cycle for r in recs if r.number == rec.number)
        )
    assert catalog.get(2, RecNumber(999, 1)) is None
    assert catalog.get(9, RecNumber(118, 6)) is None
    assert catalog.by_id.get(10**9) is None
    assert catalog.by_id.get("1") is None  # type: ignore[call-overload]
    with pytest.raises(KeyError):
        catalog.by_id[-1]
    for cycle, start, end in ((2, "118.1", "118.12"), (1, "60.1", "60.9"), (2, "1.1", "99.1")):
        rng = NumberRange(RecNumber.parse(start), RecNumber.parse(end))
        found, missing = catalog.in_ranges(cycle, [rng])
        expected = sorted(
            (r for r in recs if r.cycle == cycle and rng.start <= r.number <= rng.end),
            key=lambda r: r.number,
        )
        assert found == expected
        assert missing == ([] if expected else [f"{start}-{end}"])


async def test_filters_agree_with_a_scan_however_often_they_are_asked(
    services: Services,
) -> None:
    catalog = services.catalog
    recs = catalog.recommendations
    by_state = catalog.counts_by_state()
    state = max(by_state, key=lambda s: by_state[s])
    counts = catalog.counts_by_theme()
    theme = max(counts, key=lambda t: counts[t])
    requests = [
        SearchRequest(cycle=2),
        SearchRequest(response=Response.NOTED),
        SearchRequest(cycle=1, response=Response.ACCEPTED),
        SearchRequest(state=state),
        SearchRequest(theme_id=theme, cycle=2),
        SearchRequest(theme_id=theme, response=Response.NOTED, cycle=2),
    ]
    for _ in range(3):  # more filters than are kept made: each made again as asked
        for request in requests:
            found = list(catalog.search(request).recommendations)
            expected = [
                r
                for r in recs
                if request.cycle in (None, r.cycle)
                and request.theme_id in (None, *r.theme_ids)
                and (request.state is None or state in {s.key for s in catalog.states_of(r)})
                and request.response in (None, r.response.counts_as, r.response)
            ]
            assert found == expected, request
            assert found


def test_a_text_already_normalised_is_not_copied() -> None:
    khmer = "ការពារសិទ្ធិដីធ្លី"
    assert normalize(khmer) is khmer  # the index holds the catalog's own text, not a copy
    assert normalize("Land") == "land"


def _archive(size: int) -> list[Recommendation]:
    """`size` recommendations over two cycles, every third with a Khmer text."""
    return [
        Recommendation(
            id=1000 + i,
            cycle=1 + i % 2,
            number=RecNumber(100 + i // 10, i % 10 + 1),
            text_en=f"Protect the rights of group {i} é{'x' * (i % 7)}",
            states_raw=("France",) if i % 2 else ("Japan", "Brazil"),
            response=Response.ACCEPTED if i % 3 else Response.NOTED,
            theme_ids=(i % 4,) if i % 5 else (),
            khmer=Translation(f"សិទ្ធិក្រុម{i}", TranslationStatus.REVIEWED, "Dara")
            if i % 3 == 0
            else None,
            sdg_targets=("16.3",) if i % 4 else (),
            action_category=i % 5 + 1 if i % 2 else None,
            source=f"source {i % 3}",
        )
        for i in range(size)
    ]


def test_recommendations_stored_compactly_read_back_whole() -> None:
    recs = _archive(3 * BLOCK + 5)
    stored = CompactRecommendations(recs)
    assert list(stored) == recs
    assert stored[-1] == recs[-1]
    assert stored[BLOCK - 2 : BLOCK + 3] == tuple(recs[BLOCK - 2 : BLOCK + 3])
    with pytest.raises(IndexError):
        stored[len(recs)]
    khmer = Translation("ថ្មី", TranslationStatus.DRAFT, "Sok")
    stored.replace_texts(3, "A new text", khmer)  # inside a compressed block
    stored.replace_texts(len(recs) - 1, "Last", None)  # in the block not yet full
    assert stored[3] == dataclasses.replace(recs[3], text_en="A new text", khmer=khmer)
    assert stored[len(recs) - 1] == dataclasses.replace(recs[-1], text_en="Last", khmer=None)
    assert [stored[i] for i in (2, 4)] == [recs[2], recs[4]]


def test_an_updated_recommendation_is_shown_and_found_by_its_new_words_only() -> None:
    catalog = Catalog(_archive(3 * BLOCK), [], [], Glossary())
    rec = catalog.recommendations[5]  # in the first compressed block
    assert [r.id for r in catalog.search(catalog.parse_search("group 7")).recommendations][:1]
    updated = dataclasses.replace(rec, text_en="Abolish forced evictions")
    catalog.update(updated)
    assert catalog.by_id[rec.id] == catalog.get(rec.cycle, rec.number) == updated
    found = catalog.search(catalog.parse_search("evictions")).recommendations
    assert [r.id for r in found] == [rec.id]
    old_word = rec.text_en.split()[-2]  # its group number, in no other text
    assert rec.id not in {
        r.id for r in catalog.search(catalog.parse_search(old_word)).recommendations
    }
    assert catalog.recommendations[4] == catalog.by_id[catalog.recommendations[4].id]
