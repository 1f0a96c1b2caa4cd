"""The catalog's rows kept between starts (storage/catalog_cache.py): a restart at the same
revision shows exactly what reading the database shows; any change, another history at the
same revision, another version of the code, or a damaged or half-written file, and the
database is read again."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import services as services_module
from bot.app import running
from bot.domain.catalog import Catalog
from bot.domain.compact import CompactState
from bot.domain.model import Translation, TranslationStatus
from bot.services import Services
from bot.settings import Settings
from storage import catalog_cache
from storage.catalog import Snapshot
from storage.migrations import CATALOG_TRIGGERS, REASON_TRIGGERS
from storage.translations import TranslationRepository
from tests.conftest import FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram

SEARCHES = ("land", "torture", "France", "ដីធ្លី", "c3 women", "rejected")


def kept_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + catalog_cache.SUFFIX)


async def started(db_path: Path, clock: FakeClock) -> Services:
    return await Services.start(Settings(token="x", database_path=db_path), clock)


def everything(catalog: Catalog) -> dict[str, object]:
    """All a catalog shows: every recommendation whole (texts, Khmer, States, themes), in
    order; each found by id and by number; the cycles; what a few searches find."""
    recs = list(catalog.recommendations)
    return {
        "recommendations": recs,
        "by id": [catalog.by_id[r.id] for r in recs[::37]],
        "by number": [catalog.get(r.cycle, r.number) for r in recs[::41]],
        "cycles": catalog.cycles,
        "searches": [
            [r.id for r in catalog.search(catalog.parse_search(q)).recommendations]
            for q in SEARCHES
        ],
    }


async def snapshot_and_keep(services: Services) -> Snapshot:
    """A snapshot, its rows kept (after those of the start, kept in the background)."""
    await services.rows_kept()
    snapshot = await services.catalog_repository.snapshot()
    if snapshot.keep is not None:
        snapshot.keep()
    return snapshot


async def test_a_restart_shows_from_the_kept_rows_what_the_database_shows(
    db_path: Path, clock: FakeClock
) -> None:
    first = await started(db_path, clock)
    first.catalog.build_index()
    read = everything(first.catalog)
    await first.close()  # the rows are kept as it closes, at the latest
    assert kept_file(db_path).exists()

    again = await started(db_path, clock)
    try:
        # Taken from the file: nothing to keep again.
        assert (await again.catalog_repository.snapshot()).keep is None
        again.catalog.build_index()
        assert everything(again.catalog) == read
        assert len(read["recommendations"]) > 200  # type: ignore[arg-type]
    finally:
        await again.close()


async def test_a_change_to_the_catalog_is_read_from_the_database_not_the_kept_rows(
    services: Services,
) -> None:
    repository = services.catalog_repository
    await snapshot_and_keep(services)
    assert (await repository.snapshot()).keep is None  # kept: taken from the file
    rec = services.catalog.recommendations[0]
    theme = next(t for t in services.catalog.themes if t.id not in rec.theme_ids)
    await repository.set_theme(rec.id, theme.id, True)
    changed = await snapshot_and_keep(services)
    assert changed.keep is not None  # read again, and kept again
    assert theme.id in changed.recommendations[0].theme_ids
    restored = await repository.snapshot()
    assert restored.keep is None
    assert theme.id in restored.recommendations[0].theme_ids
    assert list(restored.recommendations) == list(changed.recommendations)


async def test_a_translation_saved_in_chat_is_not_lost_by_a_restart(
    db_path: Path, clock: FakeClock
) -> None:
    """A Khmer text saved while the bot runs bumps the revision: the next start reads the
    database (the kept rows would say the recommendation has no translation)."""
    first = await started(db_path, clock)
    rec = next(r for r in first.catalog.recommendations if r.khmer is None)
    await first.close()
    second = await started(db_path, clock)
    revision = await TranslationRepository(second.database).save(
        rec.id, "សេចក្តីផ្តើម", TranslationStatus.DRAFT, 7, "Dara", clock.now()
    )
    assert revision is not None
    await second.close()
    third = await started(db_path, clock)
    try:
        shown = third.catalog.by_id[rec.id]
        assert shown.khmer == Translation("សេចក្តីផ្តើម", TranslationStatus.DRAFT, "Dara")
    finally:
        await third.close()


async def test_a_backup_restored_reaches_the_same_revision_by_another_history(
    db_path: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """Kept at revision r+1 after change A; the database put back as it was at r, then
    change B: revision r+1 again, but other rows. They are read, not taken from the file."""
    backup = tmp_path / "backup.sqlite3"
    services = await started(db_path, clock)
    rec = services.catalog.recommendations[0]
    theme_a, theme_b = [t for t in services.catalog.themes if t.id not in rec.theme_ids][:2]
    await services.database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, backup)
    await services.catalog_repository.set_theme(rec.id, theme_a.id, True)
    await services.close()
    services = await started(db_path, clock)  # rows with theme A kept at r+1
    revision = services.catalog.revision
    await services.close()

    shutil.copy(backup, db_path)
    for side in ("-wal", "-shm"):
        db_path.with_name(db_path.name + side).unlink(missing_ok=True)
    services = await started(db_path, clock)
    try:
        await services.catalog_repository.set_theme(rec.id, theme_b.id, True)
        snapshot = await services.catalog_repository.snapshot()
        assert snapshot.revision == revision  # the same revision...
        assert snapshot.keep is not None  # ...read from the database
        shown = snapshot.recommendations[0]
        assert theme_b.id in shown.theme_ids
        assert theme_a.id not in shown.theme_ids
    finally:
        await services.close()


async def test_rows_kept_by_another_version_of_the_code_are_read_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = services.catalog_repository
    await snapshot_and_keep(services)
    monkeypatch.setattr(catalog_cache, "_code", lambda: "another version")
    assert (await repository.snapshot()).keep is not None


@pytest.mark.parametrize("damage", ["garbage", "truncated", "rows missing", "state broken"])
async def test_a_damaged_file_is_read_again_and_replaced(
    services: Services, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    repository = services.catalog_repository
    kept = await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    if damage == "garbage":
        path.write_bytes(b"not a database" * 1000)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        conn = sqlite3.connect(path)
        if damage == "rows missing":
            conn.execute("DELETE FROM rows WHERE position % 2 = 1")
        else:
            conn.execute("UPDATE kept SET state = '{\"count\": [1, 2]}'")
        conn.commit()
        conn.close()
    with caplog.at_level(logging.WARNING):
        again = await snapshot_and_keep(services)
    assert again.keep is not None  # read from the database
    assert list(again.recommendations) == list(kept.recommendations)
    assert (await repository.snapshot()).keep is None  # the file is good again


async def test_a_file_that_cannot_be_written_leaves_the_last_one_and_nothing_half_written(
    services: Services, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk, say: logged; the last file stays whole and the partial one goes; a start
    killed while writing (kill -9) leaves a partial file the next one removes."""
    repository = services.catalog_repository
    await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    before = path.read_bytes()
    killed = path.with_name(path.name + ".1a2b3c4d.partial")
    killed.write_bytes(b"half of a file")
    path.with_name(killed.name + "-journal").write_bytes(b"its journal")
    rec = services.catalog.recommendations[0]
    theme = next(t for t in services.catalog.themes if t.id not in rec.theme_ids)
    await repository.set_theme(rec.id, theme.id, True)

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(catalog_cache.os, "replace", full)
    with caplog.at_level(logging.WARNING):
        await snapshot_and_keep(services)
    assert "could not be kept" in caplog.text
    assert "No space left" in caplog.text
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.glob("*.partial*")) == []
    monkeypatch.undo()
    changed = await snapshot_and_keep(services)  # written this time
    assert changed.keep is not None
    restored = await repository.snapshot()
    assert restored.keep is None
    assert theme.id in restored.recommendations[0].theme_ids


async def test_the_bot_answers_the_same_card_after_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    """Through Telegram: 118.6 before and after a restart that takes the kept rows."""
    member = {"id": 501, "is_bot": False, "first_name": "Sokha", "language_code": "km"}
    cards = []
    for _ in range(2):
        async with running(make_settings(tg, db_path), clock, limiter=loose_limiter()):
            reply = await tg.reply_to(member, "118.6")
            cards.append(reply.text)
    assert kept_file(db_path).exists()
    assert cards[0] == cards[1]
    assert "118.6" in cards[0]


def test_a_state_round_trips_through_the_file_format() -> None:
    """Every field of what is kept comes back as it was (a new field must be kept too)."""
    state = catalog_cache.CompactState(
        count=3,
        last=(-4, 1180006),
        in_display_order=True,
        spans={4: (0, 2), 3: (2, 3)},
        states=[("France", "Japan", "Kenya", "Peru")],
        themes=[(), (1, 5)],
        targets=[("5.1", "16.3")],
        strings=["France", "Japan", "ប្រទេសកម្ពុជា"],
    )
    plain = catalog_cache._plain(state)
    assert catalog_cache._state(plain) == state
    assert {f.name for f in dataclasses.fields(state)} == set(plain)


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE recommendations SET recommending_states = 'Atlantis' WHERE id = :id",
        "DELETE FROM recommendation_themes WHERE recommendation_id = :id",
        "INSERT INTO translations (recommendation_id, text_km, status, translator, "
        "translated_at, updated_at) VALUES (:id, 'ក', 'reviewed', 'Dara', '2026', '2026') "
        "ON CONFLICT DO UPDATE SET translator = 'Dara'",
        "UPDATE themes SET position = -position",
        "DELETE FROM recommendations WHERE id = :id",
    ],
)
async def test_an_edit_made_by_hand_is_seen_after_a_restart(services: Services, edit: str) -> None:
    """The database edited with the sqlite3 shell (or by an older version of the bot), with
    no revision bumped: the next start reads what the database now says."""
    await snapshot_and_keep(services)
    rec = services.catalog.recommendations[0]
    shell = sqlite3.connect(services.database.path or "")
    shell.execute("PRAGMA foreign_keys = ON")
    shell.execute(edit, {"id": rec.id})
    shell.commit()
    shell.close()
    again = await services.catalog_repository.snapshot()
    assert again.keep is not None  # read from the database
    shown = {r.id: r for r in again.recommendations}
    if "recommending_states" in edit:
        assert shown[rec.id].states_raw == ("Atlantis",)
    elif "recommendation_themes" in edit:
        assert shown[rec.id].theme_ids == ()
    elif "translations" in edit:
        assert shown[rec.id].khmer is not None
        assert shown[rec.id].khmer.translator == "Dara"
    elif "DELETE FROM recommendations" in edit:
        assert rec.id not in shown


async def test_a_bit_flipped_anywhere_in_the_file_never_shows_other_rows(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever byte of the kept file is damaged, the catalog is what the database says:
    the file's digest of its rows and state no longer matches, and it is read again."""
    kept = await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    good = path.read_bytes()
    expected = list(kept.recommendations)
    for offset in range(100, len(good), len(good) // 23):
        damaged = bytearray(good)
        damaged[offset] ^= 0x10
        path.write_bytes(bytes(damaged))
        with caplog.at_level(logging.WARNING):
            snapshot = await services.catalog_repository.snapshot()
        assert list(snapshot.recommendations) == expected, offset
        path.write_bytes(good)


def kept_state(db_path: Path) -> tuple[catalog_cache.CatalogCache, str, CompactState]:
    cache = catalog_cache.CatalogCache(db_path)
    conn = sqlite3.connect(cache.path)
    key = conn.execute("SELECT key FROM kept").fetchone()[0]
    conn.close()
    loaded = cache.load(key)
    assert loaded is not None
    return cache, key, loaded[0]


@pytest.mark.parametrize(
    "hostile",
    [
        {"strings": []},  # codes name nothing
        {"strings": ["x"]},
        {"themes": []},
        {"targets": []},
        {"spans": {}},
        {"spans": {9: (0, 1)}},
        {"count": 1},
        {"in_display_order": False},
        {"states": []},
    ],
)
async def test_rows_no_code_of_this_bot_would_write_are_never_shown(
    db_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, hostile: dict[str, object]
) -> None:
    """A file whose digest holds (made by someone with the rows' code, or by a bug) but whose
    rows the state cannot stand for: the database is read, and the file written again."""
    first = await started(db_path, clock)
    read = list(first.catalog.recommendations)
    await first.close()
    cache, key, state = kept_state(db_path)
    loaded = cache.load(key)
    assert loaded is not None
    cache.save(key, dataclasses.replace(state, **hostile), loaded[1])  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        again = await started(db_path, clock)
    try:
        assert "cannot be used" in caplog.text
        assert list(again.catalog.recommendations) == read
    finally:
        await again.close()
    assert cache.load(key) is not None  # kept again, whole


async def test_rows_a_catalog_cannot_be_made_of_are_dropped_and_the_database_read(
    db_path: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kept rows the catalog fails on (a bug in an older version, say): the start logs it,
    removes the file and reads the database."""
    first = await started(db_path, clock)
    read = list(first.catalog.recommendations)
    await first.close()
    built = []

    def failing_on_kept_rows(*args: object, **kwargs: object) -> Catalog:
        built.append(1)
        if len(built) == 1:
            raise IndexError("a code names nothing")
        return Catalog(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services_module, "Catalog", failing_on_kept_rows)
    with caplog.at_level(logging.ERROR):
        again = await started(db_path, clock)
    try:
        assert "could not be made of its kept rows" in caplog.text
        assert list(again.catalog.recommendations) == read
        assert len(built) == 2
    finally:
        await again.close()
    assert kept_file(db_path).exists()  # kept again, from the database


async def test_something_other_than_a_file_in_its_place_is_never_read(
    services: Services,
) -> None:
    """A FIFO (opening it would wait for ever) or a folder where the file goes: the
    database is read; a folder is not replaced, and nothing hangs."""
    path = kept_file(services.database.path or Path())
    await services.rows_kept()
    path.unlink()
    os.mkfifo(path)
    snapshot = await asyncio.wait_for(services.catalog_repository.snapshot(), 10)
    assert snapshot.keep is not None
    path.unlink()
    path.mkdir()
    snapshot = await asyncio.wait_for(services.catalog_repository.snapshot(), 10)
    assert snapshot.keep is not None
    snapshot.keep()
    assert path.is_dir()


async def test_a_leftover_that_cannot_be_removed_does_not_stop_keeping(
    services: Services,
) -> None:
    """A folder named like a partial file, and a partial file another process is writing
    (locked): left alone, and the rows are kept all the same."""
    path = kept_file(services.database.path or Path())
    await services.rows_kept()
    stuck = path.with_name(path.name + ".deadbeef.partial")
    stuck.mkdir()
    writing = path.with_name(path.name + ".0badf00d.partial")
    fd = os.open(writing, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        rec = services.catalog.recommendations[0]
        theme = next(t for t in services.catalog.themes if t.id not in rec.theme_ids)
        await services.catalog_repository.set_theme(rec.id, theme.id, True)
        await snapshot_and_keep(services)
        assert writing.exists()  # another writer's: not removed
        restored = await services.catalog_repository.snapshot()
        assert restored.keep is None
        assert theme.id in restored.recommendations[0].theme_ids
    finally:
        os.close(fd)
    await snapshot_and_keep(services)
    assert not writing.exists()  # nobody's any more: removed
    assert stuck.is_dir()


@pytest.mark.parametrize("how", ["bot.py restore", "copied by hand"])
async def test_a_backup_restored_from_before_the_triggers_shows_its_own_rows(
    db_path: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A backup of schema 36 (no triggers yet), its copy edited by hand, then upgraded: the
    kept rows are the edited copy's; the backup put back, and a start: the backup's rows
    (`bot.py restore` removes the kept file; migration 37 draws a new generation)."""
    from bot.main import main as cli

    services = await started(db_path, clock)
    rec = services.catalog.recommendations[0]
    await services.close()
    backup = tmp_path / "backup.sqlite3"
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in CATALOG_TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP INDEX ratings_colours")  # migration 38's
    for name in REASON_TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("PRAGMA user_version = 36")
    conn.commit()
    conn.close()
    shutil.copy(db_path, backup)
    conn = sqlite3.connect(db_path)
    conn.execute(
        "UPDATE recommendations SET recommending_states = 'Atlantis' WHERE id = ?", (rec.id,)
    )
    conn.commit()
    conn.close()
    kept_file(db_path).unlink()
    services = await started(db_path, clock)  # migrated; the edited rows kept
    assert services.catalog.by_id[rec.id].states_raw == ("Atlantis",)
    await services.close()
    assert kept_file(db_path).exists()

    if how == "bot.py restore":
        monkeypatch.setenv("DATABASE_PATH", str(db_path))
        assert await asyncio.to_thread(cli, ["restore", str(backup)]) == 0
        assert not kept_file(db_path).exists()
    else:
        shutil.copy(backup, db_path)
        for side in ("-wal", "-shm"):
            db_path.with_name(db_path.name + side).unlink(missing_ok=True)
        assert kept_file(db_path).exists()
    services = await started(db_path, clock)
    try:
        assert services.catalog.by_id[rec.id].states_raw == rec.states_raw
    finally:
        await services.close()


async def test_a_trigger_dropped_by_hand_is_made_again_and_its_edits_seen(
    services: Services,
) -> None:
    await snapshot_and_keep(services)
    rec = services.catalog.recommendations[0]
    shell = sqlite3.connect(services.database.path or "")
    shell.execute("DROP TRIGGER recommendations_update_generation")
    shell.execute(
        "UPDATE recommendations SET recommending_states = 'Atlantis' WHERE id = ?", (rec.id,)
    )
    shell.commit()
    shell.close()
    again = await snapshot_and_keep(services)
    assert again.keep is not None
    assert {r.id: r for r in again.recommendations}[rec.id].states_raw == ("Atlantis",)
    shell = sqlite3.connect(services.database.path or "")
    names = {n for (n,) in shell.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    shell.close()
    assert names >= set(CATALOG_TRIGGERS)


async def test_a_file_whose_rows_became_a_view_read_for_ever_is_not_read(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Its key kept, its `rows` a view that never ends: the start does not hang; the
    database is read and the file written again."""
    kept = await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE rows RENAME TO old_rows")
    conn.execute(
        "CREATE VIEW rows AS WITH RECURSIVE n(position) AS (SELECT 0 UNION ALL "
        "SELECT position + 1 FROM n) SELECT position, 1 AS id, x'00' AS ints FROM n"
    )
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING):
        again = await asyncio.wait_for(snapshot_and_keep(services), 10)
    assert "not a file this bot kept" in caplog.text
    assert again.keep is not None
    assert list(again.recommendations) == list(kept.recommendations)
    assert (await services.catalog_repository.snapshot()).keep is None  # kept again


async def test_a_journal_left_beside_the_file_neither_stops_reading_it_nor_keeping(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone's write to the file killed midway leaves a journal beside it: the file is
    read as it is (it is only ever replaced), and the journal goes with the next file."""
    await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    journal = path.with_name(path.name + "-journal")
    journal.write_bytes(b"a hot journal of someone's write")
    with caplog.at_level(logging.WARNING):
        assert (await services.catalog_repository.snapshot()).keep is None
    assert caplog.text == ""
    rec = services.catalog.recommendations[0]
    theme = next(t for t in services.catalog.themes if t.id not in rec.theme_ids)
    await services.catalog_repository.set_theme(rec.id, theme.id, True)
    await snapshot_and_keep(services)
    assert not journal.exists()
    assert (await services.catalog_repository.snapshot()).keep is None


async def test_a_partial_file_taken_away_before_it_is_locked_is_not_used(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another start removed this one's partial file between its making and its locking: the
    file made then at that name is nobody's, so this one gives up (the last file stays)."""
    await snapshot_and_keep(services)
    path = kept_file(services.database.path or Path())
    before = path.read_bytes()
    rec = services.catalog.recommendations[0]
    theme = next(t for t in services.catalog.themes if t.id not in rec.theme_ids)
    await services.catalog_repository.set_theme(rec.id, theme.id, True)
    flock = fcntl.flock

    def taken_away(fd: int, operation: int) -> None:
        for left in path.parent.glob("*.partial"):
            left.unlink()
            left.write_bytes(b"")  # a new file at the name, as SQLite would make
        flock(fd, operation)

    monkeypatch.setattr(catalog_cache.fcntl, "flock", taken_away)
    with caplog.at_level(logging.WARNING):
        await snapshot_and_keep(services)
    assert "taken away" in caplog.text
    assert path.read_bytes() == before


async def test_a_symlink_named_like_a_partial_file_is_removed_not_followed(
    services: Services, tmp_path: Path
) -> None:
    path = kept_file(services.database.path or Path())
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = path.with_name(path.name + ".cafe.partial")
    link.symlink_to(target)
    await snapshot_and_keep(services)
    assert not link.is_symlink()
    assert target.read_text() == "keep me"
