"""The recommendations' texts are read from the database when shown, not held by the catalog:
a text saved since is shown at once, a text gone since is handled."""

import dataclasses
import datetime as dt

from bot.domain import search
from bot.domain.catalog import Catalog
from bot.domain.importer import TranslationRow
from bot.domain.model import RecNumber, Recommendation, TranslationStatus
from bot.domain.translations import Purpose
from bot.services import Services
from handlers import render
from tests.conftest import COORDINATOR_ID

# 118.6 in Khmer (tests/test_translations_bot.py), with a word no other text has (cashew).
DRAFT = "ផ្តល់សច្ចាប័នលើអនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិពលករចំណាកស្រុក និងសមាជិកគ្រួសាររបស់ពួកគេ ស្វាយចន្ទី"


def recommendation(services: Services, number: str) -> Recommendation:
    """A recommendation of cycle 2 in the services' catalog."""
    rec = services.catalog.get(2, RecNumber.parse(number))
    assert rec is not None
    return rec


async def test_a_card_read_before_a_translation_is_saved_shows_it_at_once_and_after_a_restart(
    coordinated: Services,
) -> None:
    services = coordinated
    catalog = services.catalog
    km = services.translations.localizer("km")
    rec = recommendation(services, "118.6")
    assert rec.khmer is None
    assert rec.text_en in render.card(km, catalog, rec)  # read once: kept as the last read
    await services.translating.store.ask(
        COORDINATOR_ID, rec.id, Purpose.TRANSLATE, services.clock.now() + dt.timedelta(hours=1)
    )
    saved = await services.translating.submit(COORDINATOR_ID, "Dara", DRAFT)
    assert saved is not None
    assert saved.status is TranslationStatus.DRAFT
    shown = services.catalog.by_id[rec.id]
    assert shown.khmer is not None
    assert shown.khmer.text == DRAFT
    assert render.escape(DRAFT) in render.card(km, services.catalog, shown)
    found = services.catalog.search(services.catalog.parse_search("ស្វាយចន្ទី"))
    assert [r.id for r in found.recommendations] == [rec.id]
    # What a restart reads: the same recommendation, its text read from the database file.
    snapshot = await services.catalog_repository.snapshot()
    again = Catalog(snapshot.recommendations, snapshot.themes, snapshot.cycles, catalog.glossary)
    assert again.by_id[rec.id] == shown == dataclasses.replace(rec, khmer=shown.khmer)


async def test_a_text_deleted_from_the_database_since_the_catalog_was_read_is_shown_missing(
    coordinated: Services,
) -> None:
    services = coordinated
    km = services.translations.localizer("km")
    rec, gone = recommendation(services, "118.6"), recommendation(services, "118.1")
    row = TranslationRow(1, 2, rec.number, DRAFT, TranslationStatus.REVIEWED, "Dara")
    report = await services.catalog_repository.import_translations([row], services.clock.now())
    assert not report.errors
    assert await services.refresh_catalog()  # read again: nothing of its texts read yet
    # Deleted behind the catalog's back (as a restore or another process might): the catalog
    # still lists them until it is read again, and shows what the database has now.
    async with services.database.transaction() as db:
        await db.execute("DELETE FROM translations WHERE recommendation_id = ?", (rec.id,))
        await db.execute(
            "DELETE FROM recommendation_themes WHERE recommendation_id = ?", (gone.id,)
        )
        await db.execute("DELETE FROM recommendations WHERE id = ?", (gone.id,))
    catalog = services.catalog
    untranslated = catalog.by_id[rec.id]
    assert untranslated.khmer is None
    assert dataclasses.replace(untranslated, khmer=rec.khmer) == rec
    assert render.escape(rec.text_en) in render.card(km, catalog, untranslated)
    empty = catalog.by_id[gone.id]
    assert empty == dataclasses.replace(gone, text_en="")
    assert "118.1" in render.card(km, catalog, empty)
    page, _ = render.result_page(
        km, catalog, catalog.search(catalog.parse_search("118.1")), 0, "t"
    )
    assert page


def test_the_index_holds_khmer_a_byte_a_letter_and_finds_a_piece_where_the_text_has_it() -> None:
    texts = ["", "ការពារសិទ្ធិដីធ្លី", "ab ក\u19e0ខ é\x01\x1f;0 ស\u17ffក", "\x00\u19e1ក"]
    pieces = [
        "ក",
        "សិទ្ធិ",
        "ដីធ្លី",
        "\u19e0ខ",
        "ក\u19e0",
        "\u19e0",
        "\u17ffក",
        "\x01",
        ";0",
        "ab",
        "0",
    ]
    for text in texts:
        packed = search._pack(text)
        assert search._unpack(packed) == text
        if all(" " <= c <= "~" or "\u1780" <= c <= "\u17ff" for c in text):
            assert len(packed) == len(text)
        for piece in pieces:
            assert (search._pack(piece) in packed) is (piece in text), (text, piece)
