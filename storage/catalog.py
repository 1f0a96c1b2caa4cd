"""The recommendation catalog: recommendations, themes, translations, cycles."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.importer import N_, RecommendationRow, RowError, TranslationRow
from bot.model import (
    Cycle,
    RecNumber,
    Recommendation,
    Response,
    Theme,
    Translation,
    TranslationStatus,
)
from bot.themes import ThemeRule, assign
from storage import group_lists
from storage.db import Database

_SEP = "\x1f"  # unit separator: State names never contain it, unlike ',' or ';'


@dataclass(frozen=True)
class Snapshot:
    """Everything the Catalog is built from, read in one go."""

    recommendations: tuple[Recommendation, ...]
    themes: tuple[Theme, ...]
    cycles: tuple[Cycle, ...]
    revision: int


@dataclass(frozen=True)
class ImportReport:
    """What an import changed; `errors` are rows refused while storing."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()


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
        """Read the whole catalog, consistently, in one read transaction."""
        conn = self._db.connection
        async with self._db.transaction():
            themes_by_rec: dict[int, list[int]] = defaultdict(list)
            async with conn.execute(
                "SELECT rt.recommendation_id, rt.theme_id FROM recommendation_themes AS rt "
                "JOIN themes AS t ON t.id = rt.theme_id WHERE rt.assigned = 1 "
                "ORDER BY t.position"
            ) as cursor:
                for row in await cursor.fetchall():
                    themes_by_rec[row[0]].append(row[1])
            async with conn.execute(
                "SELECT r.id, r.cycle, r.paragraph, r.item, r.text_en, r.recommending_states, "
                "r.response, r.sdg_targets, r.action_category, r.source, t.text_km, t.status, "
                "t.translator FROM recommendations AS r "
                "LEFT JOIN translations AS t ON t.recommendation_id = r.id"
            ) as cursor:
                recs = tuple(
                    [_recommendation(row, themes_by_rec) for row in await cursor.fetchall()]
                )
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
            async with conn.execute(
                "SELECT value FROM meta WHERE key = 'catalog_revision'"
            ) as cursor:
                revision = await cursor.fetchone()
        return Snapshot(recs, themes, cycles, int(revision[0]) if revision else 0)

    async def sync_cycles(self, cycles: Sequence[Cycle]) -> None:
        """Record known review dates (the cycles themselves come with their recommendations)."""
        async with self._db.transaction() as db:
            for cycle in cycles:
                await db.execute(
                    "INSERT INTO cycles (cycle, review_date) VALUES (?, ?) "
                    "ON CONFLICT (cycle) DO UPDATE SET review_date = excluded.review_date",
                    (cycle.number, cycle.review_date.isoformat() if cycle.review_date else None),
                )
            await _bump(db)

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
            await _assign_rule_themes(db, texts, list(rules), await _theme_ids(db))
            await group_lists.resync(db)
            await _bump(db)

    async def import_recommendations(
        self, rows: Sequence[RecommendationRow], rules: Sequence[ThemeRule], now: dt.datetime
    ) -> ImportReport:
        """Add new and update changed recommendations, all or nothing; keep hand-made edits."""
        stamp = now.isoformat()
        async with self._db.transaction() as db:
            cycles = sorted({row.cycle for row in rows})
            await db.executemany(
                "INSERT INTO cycles (cycle) VALUES (?) ON CONFLICT (cycle) DO NOTHING",
                [(c,) for c in cycles],
            )
            existing = await _existing(db, cycles)
            inserts, updates, unchanged = [], [], 0
            for row in rows:
                values = (
                    row.text_en,
                    _SEP.join(row.states),
                    row.response.value,
                    ";".join(row.sdg_targets),
                    row.action_category,
                    row.source,
                )
                found = existing.get((row.cycle, row.number.paragraph, row.number.item))
                if found is None:
                    inserts.append((row.cycle, row.number.paragraph, row.number.item, *values))
                elif found[1:] == values:
                    unchanged += 1
                else:
                    updates.append((*values, stamp, found[0]))
            await db.executemany(
                "INSERT INTO recommendations (cycle, paragraph, item, text_en, "
                "recommending_states, response, sdg_targets, action_category, source, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*values, stamp) for values in inserts],
            )
            await db.executemany(
                "UPDATE recommendations SET text_en = ?, recommending_states = ?, "
                "response = ?, sdg_targets = ?, action_category = ?, source = ?, "
                "updated_at = ? WHERE id = ?",
                updates,
            )
            if inserts or updates:
                ids = {key: found[0] for key, found in (await _existing(db, cycles)).items()}
                touched = {(i[0], i[1], i[2]) for i in inserts} | {
                    key for key, found in existing.items() if found[0] in {u[-1] for u in updates}
                }
                changed = [
                    (ids[key], row.text_en)
                    for row in rows
                    if (key := (row.cycle, row.number.paragraph, row.number.item)) in touched
                ]
                await _assign_rule_themes(db, changed, list(rules), await _theme_ids(db))
                await group_lists.resync(db)
                await _bump(db)
        return ImportReport(len(inserts), len(updates), unchanged)

    async def import_translations(
        self, rows: Sequence[TranslationRow], now: dt.datetime
    ) -> ImportReport:
        """Store Khmer translations for known recommendations, all or nothing."""
        added = updated = unchanged = 0
        errors: list[RowError] = []
        async with self._db.transaction() as db:
            for row in rows:
                async with db.execute(
                    "SELECT r.id, t.text_km, t.status, t.translator FROM recommendations AS r "
                    "LEFT JOIN translations AS t ON t.recommendation_id = r.id "
                    "WHERE r.cycle = ? AND r.paragraph = ? AND r.item = ?",
                    (row.cycle, row.number.paragraph, row.number.item),
                ) as cursor:
                    found = await cursor.fetchone()
                if found is None:
                    errors.append(
                        RowError(
                            row.line,
                            N_("there is no recommendation {number} in cycle {cycle}"),
                            {"number": str(row.number), "cycle": str(row.cycle)},
                        )
                    )
                    continue
                if (found[1], found[2], found[3]) == (
                    row.text_km,
                    row.status.value,
                    row.translator,
                ):
                    unchanged += 1
                    continue
                await db.execute(
                    "INSERT INTO translations (recommendation_id, text_km, status, translator, "
                    "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (recommendation_id) DO "
                    "UPDATE SET text_km = excluded.text_km, status = excluded.status, "
                    "translator = excluded.translator, updated_at = excluded.updated_at",
                    (found[0], row.text_km, row.status.value, row.translator, now.isoformat()),
                )
                if found[1] is None:
                    added += 1
                else:
                    updated += 1
            if added or updated:
                await _bump(db)
        return ImportReport(added, updated, unchanged, tuple(errors))

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
            await _bump(db)


async def _set_meta(db: aiosqlite.Connection, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def _bump(db: aiosqlite.Connection) -> None:
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


async def _assign_rule_themes(
    db: aiosqlite.Connection,
    texts: Sequence[tuple[int, ...] | tuple[object, ...]],
    rules: list[ThemeRule],
    theme_ids: dict[str, int],
) -> None:
    """Recompute rule themes for (id, English text[, Khmer text]) rows.

    Rule rows are replaced; a coordinator's row for the same theme wins and is left alone.
    """
    await db.executemany(
        "DELETE FROM recommendation_themes WHERE recommendation_id = ? AND source = 'rule'",
        [(t[0],) for t in texts],
    )
    await db.executemany(
        "INSERT INTO recommendation_themes (recommendation_id, theme_id, source, assigned) "
        "VALUES (?, ?, 'rule', 1) ON CONFLICT DO NOTHING",
        [
            (t[0], theme_ids[slug])
            for t in texts
            for slug in sorted(assign(rules, str(t[1]), str(t[2]) if len(t) > 2 else ""))
            if slug in theme_ids
        ],
    )


def _recommendation(row: aiosqlite.Row, themes_by_rec: dict[int, list[int]]) -> Recommendation:
    (
        rec_id,
        cycle,
        paragraph,
        item,
        text_en,
        states,
        response,
        sdg,
        category,
        source,
        text_km,
        status,
        translator,
    ) = row
    khmer = None
    if text_km is not None:
        khmer = Translation(text_km, TranslationStatus(status), translator)
    return Recommendation(
        id=rec_id,
        cycle=cycle,
        number=RecNumber(paragraph, item),
        text_en=text_en,
        states_raw=tuple(states.split(_SEP)),
        response=Response(response),
        theme_ids=tuple(themes_by_rec.get(rec_id, ())),
        khmer=khmer,
        sdg_targets=tuple(t for t in sdg.split(";") if t),
        action_category=category,
        source=source,
    )
