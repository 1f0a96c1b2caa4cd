"""The word index kept in its store: the same answers across segments, in memory and in the
temporary SQLite file, before and after updates."""

from __future__ import annotations

import threading

import pytest

from bot.domain.catalog import Catalog
from bot.domain.model import RecNumber, Translation, TranslationStatus
from bot.domain.search import SEGMENT, Glossary, MemoryIndexStore, SearchIndex, Term, build_terms
from bot.services import Services
from storage.search_index import TemporaryIndexStore

SIZE = 2 * SEGMENT + 700  # three segments, the last one partly filled
NEEDLES = (0, 5, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT + 3, SIZE - 1)
LAND = "ការពារដីធ្លីសហគមន៍"


def documents() -> list[tuple[str, str]]:
    """Short texts; 'needle' and a Khmer word at both sides of each segment's border."""
    docs = [(f"common word{i % 7}", "") for i in range(SIZE)]
    for i in NEEDLES:
        docs[i] = (f"a needle here, common word{i % 7}", f"{LAND} ELC {i}")
    return docs


def words(query: str) -> list[Term]:
    return build_terms(query, Glossary(), frozenset())


def khmer(piece: str) -> list[Term]:
    return [Term("x", khmer=frozenset({piece}))]


@pytest.mark.parametrize("store", [MemoryIndexStore, TemporaryIndexStore])
def test_an_index_of_three_segments_finds_and_updates_across_their_borders(
    store: type[MemoryIndexStore] | type[TemporaryIndexStore],
) -> None:
    index = SearchIndex(documents(), ["ដីធ្លី"], ["a needle"], store())
    assert index.size == SIZE
    assert tuple(index.search(words("needle")).docs) == NEEDLES
    assert tuple(index.search(words("needl")).docs) == NEEDLES  # a prefix, across segments
    assert tuple(index.search(khmer("ដីធ្លី")).docs) == NEEDLES  # a glossary word, built
    assert tuple(index.search(khmer("សហគមន៍")).docs) == NEEDLES  # found when asked
    assert tuple(index.search(khmer("ធ្លីស")).docs) == NEEDLES
    assert tuple(index.search(words("elc")).docs) == NEEDLES  # Latin words of Khmer texts
    hits = index.search(words("needle word3"))
    both = tuple(i for i in NEEDLES if i % 7 == 3)
    assert tuple(hits.docs[: len(both)]) == both
    assert len(hits.docs) == len(NEEDLES) + sum(1 for i in range(SIZE) if i % 7 == 3) - len(both)
    assert tuple(index.search(words("needle"), allowed={5, SEGMENT, 9}).docs) == (5, SEGMENT)

    moved = SEGMENT + 100
    index.update(moved, "a needle moved here", f"ELC {LAND}")
    index.update(SEGMENT, "common", "")
    index.update(SIZE, "the last needle", "សហគមន៍ ដីធ្លី")  # added at the end
    expected = tuple(sorted({*NEEDLES, moved, SIZE} - {SEGMENT}))
    assert index.size == SIZE + 1
    assert tuple(index.search(words("needle")).docs) == expected
    assert tuple(index.search(khmer("ដីធ្លី")).docs) == expected
    assert tuple(index.search(khmer("សហគមន៍")).docs) == expected
    assert tuple(index.search(khmer("ធ្លីស")).docs) == tuple(i for i in expected if i != SIZE)
    assert tuple(index.search(words("elc")).docs) == tuple(i for i in expected if i != SIZE)
    assert tuple(index.search(words("here")).docs) == tuple(i for i in expected if i != SIZE)


def test_the_temporary_store_keeps_rows_texts_and_finds_pieces_as_bytes() -> None:
    store = TemporaryIndexStore()
    store.put([("w:land", 0, b"r\x01"), ("w:land", 2, b"r\x02"), ("g:ab", 1, b"r\x04")])
    store.put([("w:land", 0, b"r\x08"), ("g:ab", 1, None)])
    assert store.segments(["w:land", "g:ab", "w:none"]) == {
        "w:land": [(0, b"r\x08"), (2, b"r\x02")]
    }
    assert store.segments(["w:land"], 2) == {"w:land": [(2, b"r\x02")]}
    store.drop(["w:land"])
    assert store.segments(["w:land"]) == {}
    store.put_texts([(3, b"ab\x00\x01cd"), (7, b"xcd"), (9, b"cdz")])
    store.put_texts([(9, b"")])
    assert (store.text(3), store.text(9)) == (b"ab\x00\x01cd", b"")
    assert store.holding(b"cd", None) == [3, 7]
    assert store.holding(b"\x00\x01c", None) == [3]  # bytes after a zero byte still compared
    assert store.holding(b"cd", [7, 9]) == [7]
    assert store.holding(b"zz", None) == []


async def test_a_translation_saved_while_the_index_is_built_waits_for_nothing(
    services: Services,
) -> None:
    now = services.catalog
    catalog = Catalog(now.recommendations, now.themes, now.cycles, now.glossary, index_now=False)
    rec = catalog.get(2, RecNumber(118, 6))
    assert rec is not None
    text = "ការពារអ្នកនេសាទតាមឆ្នេរសមុទ្រ"
    with catalog._indexing:  # as the start-up build holds it, in its worker thread
        saving = threading.Thread(
            target=catalog.update_khmer,
            args=(rec.id, Translation(text, TranslationStatus.DRAFT, "Dara")),
        )
        saving.start()
        saving.join(timeout=5)
        assert not saving.is_alive()  # the event loop would have waited for the whole build
        assert catalog.by_id[rec.id].khmer == Translation(text, TranslationStatus.DRAFT, "Dara")
    catalog.build_index()
    found = catalog.search(catalog.parse_search("អ្នកនេសាទ")).recommendations
    assert [r.id for r in found] == [rec.id]


async def test_texts_saved_one_during_and_one_after_a_build_are_found_in_the_order_saved(
    services: Services,
) -> None:
    now = services.catalog
    catalog = Catalog(now.recommendations, now.themes, now.cycles, now.glossary)
    rec = catalog.get(2, RecNumber(118, 6))
    assert rec is not None
    first, second = "ស្វាយចន្ទីឆ្ងាញ់", "ដំឡូងមីឆ្ងាញ់"
    with catalog._indexing:  # as a build finishing while the first is saved: it waits
        catalog.update_khmer(rec.id, Translation(first, TranslationStatus.DRAFT, "Dara"))
    catalog.update_khmer(rec.id, Translation(second, TranslationStatus.DRAFT, "Dara"))

    def found(query: str) -> list[int]:
        return [r.id for r in catalog.search(catalog.parse_search(query)).recommendations]

    assert found("ដំឡូងមី") == [rec.id]
    assert found("ស្វាយចន្ទី") == []
    assert catalog.by_id[rec.id].khmer == Translation(second, TranslationStatus.DRAFT, "Dara")
