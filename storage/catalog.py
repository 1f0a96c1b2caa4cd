"""The recommendation catalog: recommendations, themes, translations, cycles."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.domain.compact import CompactRecommendations
from bot.domain.importer import (
    N_,
    ImportReport,
    RecommendationRow,
    RowError,
    TranslationRow,
)
from bot.domain.model import (
    Cycle,
    Recommendation,
    Response,
    Theme,
    TranslationStatus,
)
from bot.domain.repositories import TextSource
from bot.domain.themes import ThemeRule, assign
from storage import group_lists
from storage.catalog_cache import CatalogCache, key_of
from storage.db import Database, triggers_in_place
from storage.migrations import CATALOG_TRIGGERS
from storage.search_index import TemporaryRowStore
from storage.texts import texts_of

_CHUNK = 2000  # recommendations read at a time into the catalog
_SEP = "\x1f"  # unit separator: State names never contain it, unlike ',' or ';'


@dataclass(frozen=True)
class Snapshot:
    """Everything the Catalog is built from, read in one go."""

    recommendations: Sequence[Recommendation]
    themes: tuple[Theme, ...]
    cycles: tuple[Cycle, ...]
    revision: int
    # Keeps these rows for the next start (CatalogCache): to be run in a worker thread once
    # the catalog is built; None when they came from there, or there is nowhere to keep them.
    keep: Callable[[], None] | None = None
    # Removes the kept file these rows came from (their catalog could not be built from
    # them); None when they were read from the database.
    forget: Callable[[], None] | None = None


class CatalogRepository:
    """Reads and writes the catalog; every write bumps the catalog revision."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def revision(self) -> int:
        """The catalog revision: changes whenever anything the catalog shows changes."""
        return int(await self.meta("catalog_revision") or 0)

    async def meta(self, key: str) -> str | None:
        """A metadata value, or None."""
        async with self._db.connection.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value."""
        async with self._db.transaction() as db:
            await _set_meta(db, key, value)

    async def snapshot(self) -> Snapshot:
        """Read the whole catalog, consistently, in one read transaction.

        Recommendations are read in display order (latest cycle first, then by number) a
        chunk at a time and stored compactly as they come (repeated States, themes, targets
        and sources shared), so the rows of 50,000 are never all held, and the catalog keeps
        them as they are, their rows in a temporary file (`TemporaryRowStore`). Their texts are
        not read: the catalog reads them from the database file when they are shown
        (`DatabaseTexts`).

        The rows read at a revision are kept in a file beside the database (`CatalogCache`,
        written by the snapshot's `keep`, in a worker thread, once the catalog is built): the
        next start at the same revision and history copies them in instead.
        """
        conn = self._db.connection
        source = texts_of(self._db)
        cache = CatalogCache(self._db.path) if source is not None and self._db.path else None
        async with self._db.transaction():
            revision = int(await self.meta("catalog_revision") or 0)
            generation = await self.meta("catalog_generation")
            if not await triggers_in_place(conn, CATALOG_TRIGGERS):  # dropped by hand
                for statement in CATALOG_TRIGGERS.values():
                    await conn.execute(statement)
                generation = None
            if generation is None:  # a database from before it (or never changed): one now
                generation = secrets.token_hex(8)
                await _set_meta(conn, "catalog_generation", generation)
            key = key_of(revision, generation)
            kept = await asyncio.to_thread(cache.load, key) if cache is not None else None
            keep = forget = None
            if kept is not None and cache is not None:
                state, store = kept
                recs = CompactRecommendations.restored(state, source, store)
                forget = cache.forget
            else:
                recs, store = await self._read_recommendations(source)
                if cache is not None:
                    keep = functools.partial(cache.save, key, recs.state(), store)
            async with conn.execute(
                "SELECT id, slug, name_en, name_km FROM themes ORDER BY position"
            ) as cursor:
                themes = tuple([Theme(r[0], r[1], r[2], r[3]) for r in await cursor.fetchall()])
            async with conn.execute("SELECT cycle, review_date FROM cycles") as cursor:
                cycles = tuple(
                    [
                        Cycle(r[0], dt.date.fromisoformat(r[1]) if r[1] else None)
                        for r in await cursor.fetchall()
                    ]
                )
        return Snapshot(recs, themes, cycles, revision, keep, forget)

    async def _read_recommendations(
        self, source: TextSource | None
    ) -> tuple[CompactRecommendations, TemporaryRowStore]:
        """Every recommendation, read in display order a chunk at a time and compacted as it
        comes (in the snapshot's transaction)."""
        conn = self._db.connection
        store = TemporaryRowStore()
        recs = CompactRecommendations(texts=source, rows=store)
        held = source is None  # else only whether a Khmer text exists is read
        compact = _Compact()
        async with conn.execute(
            "SELECT DISTINCT cycle FROM recommendations ORDER BY cycle DESC"
        ) as cursor:
            cycles_held = [row[0] for row in await cursor.fetchall()]
        for cycle in cycles_held:
            last = (-1, -1)
            while True:
                async with conn.execute(
                    "SELECT r.id, r.cycle, r.paragraph, r.item, iif(?, r.text_en, ''), "
                    "iif(?, t.text_km, iif(t.status IS NULL, NULL, '')), "
                    "r.recommending_states, r.response, r.sdg_targets, r.action_category, "
                    "r.source, t.status, t.translator FROM recommendations AS r "
                    "LEFT JOIN translations AS t ON t.recommendation_id = r.id "
                    "WHERE r.cycle = ? AND (r.paragraph, r.item) > (?, ?) "
                    "ORDER BY r.paragraph, r.item LIMIT ?",
                    (held, held, cycle, *last, _CHUNK),
                ) as cursor:
                    rows = list(await cursor.fetchall())
                if not rows:
                    break
                first = (rows[0][2], rows[0][3])
                last = (rows[-1][2], rows[-1][3])
                themes_by_rec: dict[int, list[int]] = defaultdict(list)
                async with conn.execute(
                    "SELECT rt.recommendation_id, rt.theme_id "
                    "FROM recommendation_themes AS rt "
                    "JOIN themes AS t ON t.id = rt.theme_id WHERE rt.assigned = 1 "
                    "AND rt.recommendation_id IN (SELECT id FROM recommendations "
                    "WHERE cycle = ? AND (paragraph, item) >= (?, ?) "
                    "AND (paragraph, item) <= (?, ?)) ORDER BY t.position",
                    (cycle, *first, *last),
                ) as cursor:
                    for row in await cursor.fetchall():
                        themes_by_rec[row[0]].append(row[1])
                for row in rows:
                    compact.add(recs, row, themes_by_rec)
        recs.settle()
        return recs, store

    async def sync_cycles(self, cycles: Sequence[Cycle]) -> None:
        """Record known review dates (the cycles themselves come with their recommendations)."""
        async with self._db.transaction() as db:
            for cycle in cycles:
                await db.execute(
                    "INSERT INTO cycles (cycle, review_date) VALUES (?, ?) "
                    "ON CONFLICT (cycle) DO UPDATE SET review_date = excluded.review_date",
                    (cycle.number, cycle.review_date.isoformat() if cycle.review_date else None),
                )
            await bump(db)

    async def sync_themes(self, rules: Sequence[ThemeRule]) -> None:
        """Create or rename themes from the rules and re-run rule assignment on everything."""
        async with self._db.transaction() as db:
            for position, rule in enumerate(rules):
                await db.execute(
                    "INSERT INTO themes (slug, name_en, name_km, position) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (slug) DO UPDATE SET name_en = excluded.name_en, "
                    "name_km = excluded.name_km, position = excluded.position",
                    (rule.slug, rule.name_en, rule.name_km, position),
                )
            async with db.execute(
                "SELECT r.id, r.text_en, COALESCE(t.text_km, '') FROM recommendations AS r "
                "LEFT JOIN translations AS t ON t.recommendation_id = r.id"
            ) as cursor:
                texts = [(r[0], r[1], r[2]) for r in await cursor.fetchall()]
            await db.execute("DELETE FROM recommendation_themes WHERE source = 'rule'")
            await _add_rule_themes(
                db,
                [(t[0], sorted(assign(list(rules), t[1], t[2]))) for t in texts],
                await _theme_ids(db),
            )
            await group_lists.resync(db)
            await bump(db)

    async def import_recommendations(
        self,
        rows: Sequence[RecommendationRow],
        rules: Sequence[ThemeRule],
        now: dt.datetime,
        within: Callable[[aiosqlite.Connection], Awaitable[None]] | None = None,
    ) -> ImportReport:
        """Add new and update changed recommendations, all or nothing; keep hand-made edits;
        `within` runs in the same transaction (what it raises rolls the import back).

        The slow part (comparing with what is stored, and the rule themes of what changed) is
        done before the write lock is taken, so a large file keeps voters waiting for a moment
        only, never until their taps fail.
        """
        stamp = now.isoformat()
        cycles = sorted({row.cycle for row in rows})
        revision = await self.revision()
        plan = _plan(rows, await _existing(self._db.connection, cycles), stamp)
        themes = await asyncio.to_thread(_rule_slugs, rows, plan.touched, list(rules))
        async with self._db.transaction() as db:
            if await self.revision() != revision:  # changed meanwhile (an edit): compare again
                plan = _plan(rows, await _existing(db, cycles), stamp)
                themes |= _rule_slugs(rows, plan.touched - themes.keys(), list(rules))
            await db.executemany(
                "INSERT INTO cycles (cycle) VALUES (?) ON CONFLICT (cycle) DO NOTHING",
                [(c,) for c in cycles],
            )
            await db.executemany(
                "INSERT INTO recommendations (cycle, paragraph, item, text_en, "
                "recommending_states, response, sdg_targets, action_category, source, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                plan.inserts,
            )
            await db.executemany(
                "UPDATE recommendations SET text_en = ?, recommending_states = ?, "
                "response = ?, sdg_targets = ?, action_category = ?, source = ?, "
                "updated_at = ? WHERE id = ?",
                plan.updates,
            )
            if plan.touched:
                await db.executemany(  # new rows have no themes yet: only changed ones lose theirs
                    "DELETE FROM recommendation_themes WHERE recommendation_id = ? "
                    "AND source = 'rule'",
                    [(update[-1],) for update in plan.updates],
                )
                ids = await _ids(db, cycles)
                await _add_rule_themes(
                    db, [(ids[key], themes[key]) for key in plan.touched], await _theme_ids(db)
                )
                await group_lists.resync(db)
                await bump(db)
            if within is not None:
                await within(db)
        return ImportReport(len(plan.inserts), len(plan.updates), plan.unchanged)

    async def import_translations(
        self, rows: Sequence[TranslationRow], now: dt.datetime, *, whole: bool = False
    ) -> ImportReport:
        """Store Khmer translations for known recommendations, all or nothing (compared before
        the write lock is taken, written in one short transaction); `whole`: nothing at all
        when a row names an unknown recommendation."""
        revision = await self.revision()
        plan = await _translation_plan(self._db.connection, rows, now)
        async with self._db.transaction() as db:
            if await self.revision() != revision:  # changed meanwhile: compare again
                plan = await _translation_plan(db, rows, now)
            upserts, report = plan
            if whole and report.errors:
                upserts = []
            await db.executemany(
                "INSERT INTO translations (recommendation_id, text_km, status, translator, "
                "updated_at, reviewer, translated_at, reviewed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (recommendation_id) DO "
                "UPDATE SET text_km = excluded.text_km, status = excluded.status, "
                # whose draft it is (never reviewed by its author) follows the translator's name
                "translator_id = CASE WHEN translator = excluded.translator "
                "THEN translator_id END, "
                "reviewer_id = CASE WHEN reviewer = excluded.reviewer THEN reviewer_id END, "
                "translator = excluded.translator, updated_at = excluded.updated_at, "
                "reviewer = excluded.reviewer, translated_at = excluded.translated_at, "
                "reviewed_at = excluded.reviewed_at",
                upserts,
            )
            if upserts:
                await bump(db)
        return report

    async def set_theme(self, recommendation_id: int, theme_id: int, assigned: bool) -> None:
        """A coordinator's choice: put a recommendation in a theme or take it out, for good."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO recommendation_themes (recommendation_id, theme_id, source, "
                "assigned) VALUES (?, ?, 'coordinator', ?) ON CONFLICT (recommendation_id, "
                "theme_id) DO UPDATE SET source = 'coordinator', assigned = excluded.assigned",
                (recommendation_id, theme_id, int(assigned)),
            )
            await group_lists.resync(db)
            await bump(db)


async def _set_meta(db: aiosqlite.Connection, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def bump(db: aiosqlite.Connection) -> None:
    """Bump the catalog revision: the running bots rebuild their catalog. (The writes that
    changed it drew a new catalog generation too: migration 37's triggers.)"""
    await db.execute(
        "INSERT INTO meta (key, value) VALUES ('catalog_revision', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


async def _theme_ids(db: aiosqlite.Connection) -> dict[str, int]:
    async with db.execute("SELECT slug, id FROM themes") as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


async def _existing(
    db: aiosqlite.Connection, cycles: Sequence[int]
) -> dict[tuple[int, int, int], tuple[object, ...]]:
    """(cycle, paragraph, item) -> (id, stored values) for every recommendation of the cycles."""
    found: dict[tuple[int, int, int], tuple[object, ...]] = {}
    for cycle in cycles:
        async with db.execute(
            "SELECT cycle, paragraph, item, id, text_en, recommending_states, response, "
            "sdg_targets, action_category, source FROM recommendations WHERE cycle = ?",
            (cycle,),
        ) as cursor:
            for r in await cursor.fetchall():
                found[(r[0], r[1], r[2])] = tuple(r)[3:]
    return found


Key = tuple[int, int, int]  # (cycle, paragraph, item)


@dataclass(frozen=True)
class _Plan:
    """What storing a file changes: rows to insert, rows to update, how many are unchanged."""

    inserts: list[tuple[object, ...]]
    updates: list[tuple[object, ...]]
    unchanged: int
    touched: set[Key]


def _plan(
    rows: Sequence[RecommendationRow], existing: dict[Key, tuple[object, ...]], stamp: str
) -> _Plan:
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    unchanged, touched = 0, set()
    for row in rows:
        key = (row.cycle, row.number.paragraph, row.number.item)
        values = (
            row.text_en,
            _SEP.join(row.states),
            row.response.value,
            ";".join(row.sdg_targets),
            row.action_category,
            row.source,
        )
        found = existing.get(key)
        if found is None:
            inserts.append((*key, *values, stamp))
        elif found[1:] == values:
            unchanged += 1
            continue
        else:
            updates.append((*values, stamp, found[0]))
        touched.add(key)
    return _Plan(inserts, updates, unchanged, touched)


def _rule_slugs(
    rows: Sequence[RecommendationRow], keys: set[Key], rules: list[ThemeRule]
) -> dict[Key, list[str]]:
    """The rule themes of the rows with these keys (from their English text)."""
    return {
        key: sorted(assign(rules, row.text_en, ""))
        for row in rows
        if (key := (row.cycle, row.number.paragraph, row.number.item)) in keys
    }


async def _translation_plan(
    db: aiosqlite.Connection, rows: Sequence[TranslationRow], now: dt.datetime
) -> tuple[list[tuple[object, ...]], ImportReport]:
    """The translations to write, and the report (unknown numbers are rows in error)."""
    stored: dict[Key, tuple[int, str | None, str | None, str | None, str | None]] = {}
    for cycle in sorted({row.cycle for row in rows}):
        async with db.execute(
            "SELECT r.paragraph, r.item, r.id, t.text_km, t.status, t.translator, t.reviewer "
            "FROM recommendations AS r LEFT JOIN translations AS t "
            "ON t.recommendation_id = r.id WHERE r.cycle = ?",
            (cycle,),
        ) as cursor:
            for r in await cursor.fetchall():
                stored[(cycle, r[0], r[1])] = (r[2], r[3], r[4], r[5], r[6])
    upserts: list[tuple[object, ...]] = []
    added = updated = unchanged = 0
    errors: list[RowError] = []
    for row in rows:
        found = stored.get((row.cycle, row.number.paragraph, row.number.item))
        if found is None:
            errors.append(
                RowError(
                    row.line,
                    N_("there is no recommendation {number} in cycle {cycle}"),
                    {"number": str(row.number), "cycle": str(row.cycle)},
                )
            )
            continue
        if found[1:] == (row.text_km, row.status.value, row.translator, row.reviewer):
            unchanged += 1
            continue
        reviewed = row.status is TranslationStatus.REVIEWED
        upserts.append(
            (
                found[0],
                row.text_km,
                row.status.value,
                row.translator,
                now.isoformat(),
                row.reviewer,
                (row.translated_at or now).isoformat(),
                (row.reviewed_at or now).isoformat() if reviewed else None,
            )
        )
        if found[1] is None:
            added += 1
        else:
            updated += 1
    return upserts, ImportReport(added, updated, unchanged, tuple(errors))


async def _ids(db: aiosqlite.Connection, cycles: Sequence[int]) -> dict[Key, int]:
    """(cycle, paragraph, item) -> id for every recommendation of the cycles."""
    found: dict[Key, int] = {}
    for cycle in cycles:
        async with db.execute(
            "SELECT cycle, paragraph, item, id FROM recommendations WHERE cycle = ?", (cycle,)
        ) as cursor:
            for r in await cursor.fetchall():
                found[(r[0], r[1], r[2])] = r[3]
    return found


async def _add_rule_themes(
    db: aiosqlite.Connection,
    slugs: Sequence[tuple[int, Sequence[str]]],
    theme_ids: dict[str, int],
) -> None:
    """Add the rule themes of (recommendation id, theme slugs) rows whose old ones are gone.

    A coordinator's row for the same theme wins and is left alone.
    """
    await db.executemany(
        "INSERT INTO recommendation_themes (recommendation_id, theme_id, source, assigned) "
        "VALUES (?, ?, 'rule', 1) ON CONFLICT DO NOTHING",
        [
            (rec_id, theme_ids[slug])
            for rec_id, found in slugs
            for slug in found
            if slug in theme_ids
        ],
    )


class _Compact:
    """Makes recommendations from rows, one object for each value many of them repeat (their
    States, themes, targets, source, translator): 50,000 hold a few hundred distinct ones."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self._states: dict[str, tuple[str, ...]] = {}
        self._targets: dict[str, tuple[str, ...]] = {}
        self._themes: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._strings: dict[str, str] = {}

    def add(
        self,
        recs: CompactRecommendations,
        row: aiosqlite.Row,
        themes_by_rec: dict[int, list[int]],
    ) -> None:
        """Add the recommendation of one snapshot row, from its values (no Recommendation is
        made: the catalog makes one when it is read)."""
        (
            rec_id,
            cycle,
            paragraph,
            item,
            text_en,
            text_km,
            states,
            response,
            sdg,
            category,
            source,
            status,
            translator,
        ) = row
        strings = self._strings
        states_raw = self._states.get(states)
        if states_raw is None:
            if len(self._states) >= _LISTS_KEPT:  # thousands of distinct lists in an archive
                self._states.clear()
            names = (strings.setdefault(n, n) for n in states.split(_SEP))
            states_raw = self._states[states] = tuple(names)
        targets = self._targets.get(sdg)
        if targets is None:
            targets = self._targets[sdg] = tuple(t for t in sdg.split(";") if t)
        themes = tuple(themes_by_rec.get(rec_id, ()))
        recs.append_values(
            rec_id,
            cycle,
            paragraph,
            item,
            _RESPONSES[response],
            category,
            states_raw,
            self._themes.setdefault(themes, themes),
            targets,
            strings.setdefault(source, source),
            None if text_km is None else (_STATUSES[status], translator),
            text_en,
            text_km,
        )


_LISTS_KEPT = 4096  # lists of States as read kept, to give one object to those repeated
_RESPONSES = {r.value: r for r in Response}
_STATUSES = {s.value: s for s in TranslationStatus}
