"""The catalog held compactly: read in chunks, repeated values shared, lookups by bisection."""

import datetime as dt

import pytest

from bot.domain.catalog import SearchRequest
from bot.domain.importer import TranslationRow
from bot.domain.model import RecNumber, Response, TranslationStatus
from bot.domain.numbers import NumberRange
from bot.domain.text import normalize
from bot.services import Services
from storage import catalog as storage_catalog


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


async def test_repeated_states_themes_and_sources_are_one_object_each(
    services: Services,
) -> None:
    recs = (await services.catalog_repository.snapshot()).recommendations
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
