"""Translators, Khmer drafts and reviews with their provenance, and the prompts of /translate."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.domain.audit import AuditAction
from bot.domain.model import RecNumber, TranslationStatus
from bot.domain.translations import CycleCoverage, ExportRow, Purpose, Stored, Worker
from storage import audit, catalog
from storage.db import Database

_STORED = (
    "SELECT recommendation_id, text_km, status, translator, translator_id, translated_at, "
    "reviewer, reviewer_id, reviewed_at FROM translations"
)


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _stored(row: aiosqlite.Row | tuple[object, ...]) -> Stored:
    return Stored(
        int(str(row[0])),
        str(row[1]),
        TranslationStatus(str(row[2])),
        str(row[3] or ""),
        int(str(row[4])) if row[4] is not None else None,
        _moment(str(row[5]) if row[5] else None),
        str(row[6] or ""),
        int(str(row[7])) if row[7] is not None else None,
        _moment(str(row[8]) if row[8] else None),
    )


class TranslationRepository:
    """Implements bot.domain.translations.TranslationStore on SQLite."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        # Who may have a /translate prompt waiting (a superset: ids are added before their
        # prompt is written, never removed): every rating tap in a group asks, and almost
        # nobody has one, so most asks need no trip. Re-read (added to) when the database
        # changed elsewhere (`version`): another process's prompts are seen too.
        self._may_wait: set[int] = set()
        self._may_wait_version = -1

    async def is_translator(self, user_id: int) -> bool:
        """Whether the person was appointed a translator."""
        async with self._db.connection.execute(
            "SELECT 1 FROM translators WHERE user_id = ?", (user_id,)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def translators(self) -> list[tuple[int, str]]:
        """Every appointed translator: (user id, name), by name."""
        async with self._db.connection.execute(
            "SELECT t.user_id, COALESCE(NULLIF(u.display_name, ''), t.display_name) AS name "
            "FROM translators AS t LEFT JOIN users AS u ON u.user_id = t.user_id "
            "ORDER BY name COLLATE NOCASE, t.user_id"
        ) as cursor:
            return [(int(r[0]), str(r[1] or "")) for r in await cursor.fetchall()]

    async def candidates(self) -> list[tuple[int, str]]:
        """Everyone but coordinators with a known name who is not a translator yet, by name."""
        async with self._db.connection.execute(
            "SELECT user_id, display_name FROM users WHERE display_name != '' "
            "AND (is_coordinator = 0) "
            "AND user_id NOT IN (SELECT user_id FROM translators) "
            "ORDER BY display_name COLLATE NOCASE, user_id"
        ) as cursor:
            return [(int(r[0]), str(r[1])) for r in await cursor.fetchall()]

    async def appoint(
        self, actor: int, user_id: int, now: dt.datetime, flag: bool, name: str = ""
    ) -> bool:
        """Appoint (flag) or remove a translator, audited; False when nothing changed. The
        name given (else the one the bot knows) is kept for /translators."""
        async with self._db.transaction() as db:
            if flag:
                cursor = await db.execute(
                    "INSERT INTO translators (user_id, display_name, appointed_by, appointed_at) "
                    "VALUES (?, COALESCE(NULLIF(?, ''), "
                    "(SELECT display_name FROM users WHERE user_id = ?), ''), ?, ?) "
                    "ON CONFLICT (user_id) DO NOTHING",
                    (user_id, name[:64], user_id, actor, now.isoformat()),
                )
            else:
                cursor = await db.execute("DELETE FROM translators WHERE user_id = ?", (user_id,))
                await db.execute("DELETE FROM translation_prompts WHERE user_id = ?", (user_id,))
            if cursor.rowcount == 0:
                return False
            action = AuditAction.APPOINT_TRANSLATOR if flag else AuditAction.REMOVE_TRANSLATOR
            await audit.record(db, now, actor, action, None, str(user_id))
        return True

    async def seen(self, user_id: int, name: str) -> None:
        """Keep a translator's current Telegram name (nothing for anyone else)."""
        async with self._db.connection.execute(
            "SELECT display_name FROM translators WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or not name or row[0] == name[:64]:
            return  # not a translator, or nothing new: no write
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE translators SET display_name = ? WHERE user_id = ?", (name[:64], user_id)
            )

    async def next_untranslated(
        self, user_id: int, current_cycle: int | None, now: dt.datetime
    ) -> int | None:
        """The next recommendation without Khmer text: in an open round first, then in an
        action strategy, then in the current cycle, then the rest (latest cycle first), by
        number; not one this person skipped, nor one another translator is typing."""
        async with self._db.connection.execute(
            "SELECT r.id FROM recommendations AS r "
            "WHERE NOT EXISTS (SELECT 1 FROM translations AS t WHERE t.recommendation_id = r.id) "
            "AND r.id NOT IN (SELECT recommendation_id FROM translation_skips "
            "  WHERE user_id = ? AND purpose = 'translate' AND expires_at > ?) "
            "AND r.id NOT IN (SELECT recommendation_id FROM translation_prompts "
            "  WHERE user_id != ? AND purpose = 'translate' AND expires_at > ?) "
            "ORDER BY CASE "
            "  WHEN EXISTS (SELECT 1 FROM round_items AS i JOIN rounds AS o ON o.id = i.round_id "
            "    WHERE i.recommendation_id = r.id AND o.status = 'open') THEN 0 "
            "  WHEN EXISTS (SELECT 1 FROM action_recommendations AS a "
            "    WHERE a.recommendation_id = r.id) THEN 1 "
            "  WHEN r.cycle = ? THEN 2 ELSE 3 END, "
            "r.cycle DESC, r.paragraph, r.item LIMIT 1",
            (user_id, now.isoformat(), user_id, now.isoformat(), current_cycle or -1),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def drafts_to_review(
        self, user_id: int, own_too: bool, now: dt.datetime
    ) -> tuple[int | None, int]:
        """The oldest draft this person may review and how many they may review."""
        async with self._db.connection.execute(
            "SELECT t.recommendation_id FROM translations AS t "
            "WHERE t.status = 'draft' AND (? OR t.translator_id IS NULL OR t.translator_id != ?) "
            "AND t.recommendation_id NOT IN (SELECT recommendation_id FROM translation_skips "
            "  WHERE user_id = ? AND purpose = 'review' AND expires_at > ?) "
            "ORDER BY t.translated_at, t.recommendation_id",
            (int(own_too), user_id, user_id, now.isoformat()),
        ) as cursor:
            rows = list(await cursor.fetchall())
        return (int(rows[0][0]) if rows else None), len(rows)

    async def stored(self, recommendation_id: int) -> Stored | None:
        """A recommendation's Khmer text with its provenance."""
        async with self._db.connection.execute(
            f"{_STORED} WHERE recommendation_id = ?", (recommendation_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _stored(row) if row else None

    async def ask(
        self, user_id: int, recommendation_id: int, purpose: Purpose, expires: dt.datetime
    ) -> None:
        """Remember that this person's next message is this text."""
        self._may_wait.add(user_id)
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO translation_prompts (user_id, recommendation_id, purpose, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "recommendation_id = excluded.recommendation_id, purpose = excluded.purpose, "
                "expires_at = excluded.expires_at",
                (user_id, recommendation_id, purpose.value, expires.isoformat()),
            )

    async def asked(self, user_id: int, now: dt.datetime) -> tuple[int, Purpose] | None:
        """What this person's next message is for, while it has not expired."""
        version = self._db.connection.version
        if version != self._may_wait_version:
            async with self._db.connection.execute(
                "SELECT user_id FROM translation_prompts"
            ) as cursor:
                self._may_wait.update(int(row[0]) for row in await cursor.fetchall())
            self._may_wait_version = version
        if user_id not in self._may_wait:
            return None
        async with self._db.connection.execute(
            "SELECT recommendation_id, purpose FROM translation_prompts "
            "WHERE user_id = ? AND expires_at > ?",
            (user_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), Purpose(str(row[1]))) if row else None

    async def forget(self, user_id: int) -> None:
        """Stop waiting for this person's text."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM translation_prompts WHERE user_id = ?", (user_id,))

    async def skip(
        self, user_id: int, recommendation_id: int, purpose: Purpose, expires: dt.datetime
    ) -> None:
        """Do not offer this text to this person again until `expires`."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO translation_skips (user_id, recommendation_id, purpose, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, recommendation_id, purpose) DO "
                "UPDATE SET expires_at = excluded.expires_at",
                (user_id, recommendation_id, purpose.value, expires.isoformat()),
            )

    async def save(
        self,
        recommendation_id: int,
        text: str | None,
        status: TranslationStatus,
        user_id: int,
        name: str,
        now: dt.datetime,
    ) -> int | None:
        """Store a draft, or review one (`text` None keeps the draft's text); the new catalog
        revision, or None when a review finds no draft any more."""
        stamp = now.isoformat()
        async with self._db.transaction() as db:
            if status is TranslationStatus.DRAFT:
                await db.execute(
                    "INSERT INTO translations (recommendation_id, text_km, status, translator, "
                    "translator_id, translated_at, updated_at) VALUES (?, ?, 'draft', ?, ?, ?, ?) "
                    "ON CONFLICT (recommendation_id) DO UPDATE SET text_km = excluded.text_km, "
                    "status = 'draft', translator = excluded.translator, "
                    "translator_id = excluded.translator_id, "
                    "translated_at = excluded.translated_at, updated_at = excluded.updated_at, "
                    "reviewer = '', reviewer_id = NULL, reviewed_at = NULL",
                    (recommendation_id, text, name, user_id, stamp, stamp),
                )
            else:
                cursor = await db.execute(
                    "UPDATE translations SET status = 'reviewed', "
                    "text_km = COALESCE(?, text_km), reviewer = ?, reviewer_id = ?, "
                    "reviewed_at = ?, updated_at = ? "
                    "WHERE recommendation_id = ? AND status = 'draft'",
                    (text, name, user_id, stamp, stamp, recommendation_id),
                )
                if cursor.rowcount == 0:
                    return None
            await db.execute(
                "UPDATE translators SET display_name = ? WHERE user_id = ?", (name[:64], user_id)
            )
            await db.execute("DELETE FROM translation_prompts WHERE user_id = ?", (user_id,))
            return await _bump(db)

    async def coverage(self) -> list[CycleCoverage]:
        """Per cycle: recommendations, reviewed and draft Khmer texts."""
        async with self._db.connection.execute(
            "SELECT r.cycle, COUNT(*), "
            "COALESCE(SUM(t.status = 'reviewed'), 0), COALESCE(SUM(t.status = 'draft'), 0) "
            "FROM recommendations AS r "
            "LEFT JOIN translations AS t ON t.recommendation_id = r.id "
            "GROUP BY r.cycle ORDER BY r.cycle"
        ) as cursor:
            return [
                CycleCoverage(int(r[0]), int(r[1]), int(r[2]), int(r[3]))
                for r in await cursor.fetchall()
            ]

    async def workers(self, since: dt.datetime) -> list[Worker]:
        """Who drafted or reviewed since then, with their counts, busiest first."""
        counts: dict[str, list[int]] = {}
        async with self._db.connection.execute(
            "SELECT translator, COUNT(*) FROM translations WHERE translated_at >= ? "
            "AND translator != '' GROUP BY translator",
            (since.isoformat(),),
        ) as cursor:
            for name, count in await cursor.fetchall():
                counts.setdefault(str(name), [0, 0])[0] += int(count)
        async with self._db.connection.execute(
            "SELECT reviewer, COUNT(*) FROM translations WHERE reviewed_at >= ? "
            "AND reviewer != '' GROUP BY reviewer",
            (since.isoformat(),),
        ) as cursor:
            for name, count in await cursor.fetchall():
                counts.setdefault(str(name), [0, 0])[1] += int(count)
        workers = [Worker(name, c[0], c[1]) for name, c in counts.items()]
        return sorted(workers, key=lambda w: (-(w.drafts + w.reviews), w.name))

    async def export_rows(self) -> list[ExportRow]:
        """Every recommendation with its Khmer text and provenance, by cycle and number."""
        async with self._db.connection.execute(
            "SELECT r.cycle, r.paragraph, r.item, r.text_en, t.recommendation_id, t.text_km, "
            "t.status, t.translator, t.translator_id, t.translated_at, t.reviewer, "
            "t.reviewer_id, t.reviewed_at FROM recommendations AS r "
            "LEFT JOIN translations AS t ON t.recommendation_id = r.id "
            "ORDER BY r.cycle, r.paragraph, r.item"
        ) as cursor:
            return [
                ExportRow(
                    int(r[0]),
                    RecNumber(int(r[1]), int(r[2])),
                    str(r[3]),
                    _stored(tuple(r)[4:]) if r[4] is not None else None,
                )
                for r in await cursor.fetchall()
            ]


async def _bump(db: aiosqlite.Connection) -> int:
    """Bump the catalog revision (the catalog shows Khmer texts); the new revision."""
    await catalog.bump(db)
    async with db.execute("SELECT value FROM meta WHERE key = 'catalog_revision'") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
