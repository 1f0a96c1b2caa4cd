"""Assessment rounds, ratings (with history) and the rating cards posted in group chats."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bot.assessment import Colour, Distribution
from storage.db import Database


class RoundClosed(Exception):
    """The round is closed: its ratings are frozen."""


class NotInRound(Exception):
    """The recommendation is not (or no longer) in the round."""


@dataclass(frozen=True)
class Round:
    """An assessment round as coordinators opened it."""

    id: int
    name: str
    cycle: int
    scope: str
    closes_at: dt.datetime | None
    open: bool
    published: bool
    size: int


@dataclass(frozen=True)
class Rating:
    """One organisation's answer (organisation None once the organisation was erased)."""

    recommendation_id: int
    organisation: str | None
    colour: Colour
    reason: str


@dataclass(frozen=True)
class Card:
    """A rating card in a group chat."""

    chat_id: int
    message_id: int
    round_id: int
    recommendation_id: int


class AssessmentRepository:
    """Reads and writes rounds and ratings."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def open_round(
        self,
        name: str,
        cycle: int,
        scope: str,
        recommendation_ids: Sequence[int],
        closes_at: dt.datetime | None,
        *,
        actor: int,
        now: dt.datetime,
    ) -> int:
        """Create an open round over a fixed list of recommendations."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO rounds (name, cycle, scope, closes_at, status, created_by, "
                "created_at) VALUES (?, ?, ?, ?, 'open', ?, ?)",
                (
                    name,
                    cycle,
                    scope,
                    closes_at.isoformat() if closes_at else None,
                    actor,
                    now.isoformat(),
                ),
            )
            round_id = int(cursor.lastrowid or 0)
            await db.executemany(
                "INSERT INTO round_items (round_id, recommendation_id) VALUES (?, ?)",
                [(round_id, rec_id) for rec_id in recommendation_ids],
            )
            await _audit(db, now, actor, "open round", f"{round_id}: {name}")
        return round_id

    async def rounds(self) -> list[Round]:
        """Every round, newest first."""
        async with self._db.connection.execute(
            "SELECT r.id, r.name, r.cycle, r.scope, r.closes_at, r.status, r.published_at, "
            "(SELECT COUNT(*) FROM round_items AS i WHERE i.round_id = r.id) "
            "FROM rounds AS r ORDER BY r.id DESC"
        ) as cursor:
            return [
                Round(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    dt.datetime.fromisoformat(r[4]) if r[4] else None,
                    r[5] == "open",
                    r[6] is not None,
                    r[7],
                )
                async for r in cursor
            ]

    async def round(self, round_id: int) -> Round | None:
        """One round, or None."""
        return next((r for r in await self.rounds() if r.id == round_id), None)

    async def items(self, round_id: int) -> list[int]:
        """The recommendations of a round."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM round_items WHERE round_id = ?", (round_id,)
        ) as cursor:
            return [row[0] async for row in cursor]

    async def set_open(
        self, round_id: int, is_open: bool, *, actor: int, now: dt.datetime
    ) -> None:
        """Close (freeze) or reopen a round; reopening withdraws its publication."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE rounds SET status = ?, published_at = CASE WHEN ? THEN NULL "
                "ELSE published_at END WHERE id = ?",
                ("open" if is_open else "closed", int(is_open), round_id),
            )
            await _audit(
                db, now, actor, "reopen round" if is_open else "close round", str(round_id)
            )

    async def publish(self, round_id: int, *, actor: int, now: dt.datetime) -> bool:
        """Publish a closed round's results to members; False if the round is open."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE rounds SET published_at = ? WHERE id = ? AND status = 'closed'",
                (now.isoformat(), round_id),
            )
            if cursor.rowcount:
                await _audit(db, now, actor, "publish round", str(round_id))
            return bool(cursor.rowcount)

    async def close_due(self, now: dt.datetime) -> list[int]:
        """Close the open rounds whose closing date has passed; return their ids."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT id FROM rounds WHERE status = 'open' AND closes_at IS NOT NULL "
                "AND closes_at <= ?",
                (now.isoformat(),),
            ) as cursor:
                due = [row[0] async for row in cursor]
            for round_id in due:
                await db.execute("UPDATE rounds SET status = 'closed' WHERE id = ?", (round_id,))
                await _audit(db, now, 0, "close round", str(round_id))
        return due

    async def rate(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        colour: Colour,
        now: dt.datetime,
    ) -> bool:
        """Record or change an organisation's rating; True if it was new. Kept in history."""
        async with self._db.transaction() as db:
            await _require_open_item(db, round_id, recommendation_id)
            async with db.execute(
                "SELECT colour, reason FROM ratings WHERE round_id = ? AND recommendation_id = ? "
                "AND organisation_id = ?",
                (round_id, recommendation_id, organisation_id),
            ) as cursor:
                before = await cursor.fetchone()
            if before is not None and before[0] == colour.value:
                return False  # a double tap: nothing changes, nothing to record
            await db.execute(
                "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, recommendation_id, "
                "organisation_id) DO UPDATE SET colour = excluded.colour, "
                "updated_at = excluded.updated_at",
                (round_id, recommendation_id, organisation_id, colour.value, now.isoformat()),
            )
            await db.execute(
                "INSERT INTO rating_history (round_id, recommendation_id, organisation_id, "
                "colour, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    round_id,
                    recommendation_id,
                    organisation_id,
                    colour.value,
                    before[1] if before else "",
                    now.isoformat(),
                ),
            )
            return before is None

    async def set_reason(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        reason: str,
        now: dt.datetime,
    ) -> None:
        """Attach a reason to the organisation's rating (kept in history too)."""
        async with self._db.transaction() as db:
            await _require_open_item(db, round_id, recommendation_id)
            cursor = await db.execute(
                "UPDATE ratings SET reason = ?, updated_at = ? WHERE round_id = ? "
                "AND recommendation_id = ? AND organisation_id = ?",
                (reason, now.isoformat(), round_id, recommendation_id, organisation_id),
            )
            if not cursor.rowcount:
                raise NotInRound
            await db.execute(
                "INSERT INTO rating_history (round_id, recommendation_id, organisation_id, "
                "colour, reason, at) SELECT round_id, recommendation_id, organisation_id, "
                "colour, reason, ? FROM ratings WHERE round_id = ? AND recommendation_id = ? "
                "AND organisation_id = ?",
                (now.isoformat(), round_id, recommendation_id, organisation_id),
            )

    async def ratings(self, round_id: int) -> list[Rating]:
        """Every rating of a round with the organisation's short name (coordinators' view)."""
        async with self._db.connection.execute(
            "SELECT r.recommendation_id, o.short_name, r.colour, r.reason FROM ratings AS r "
            "LEFT JOIN organisations AS o ON o.id = r.organisation_id WHERE r.round_id = ? "
            "ORDER BY o.short_name COLLATE NOCASE",
            (round_id,),
        ) as cursor:
            return [Rating(row[0], row[1], Colour(row[2]), row[3]) async for row in cursor]

    async def distributions(self, round_id: int) -> dict[int, Distribution]:
        """Per recommendation, how many organisations gave each answer."""
        counts: dict[int, list[Colour]] = defaultdict(list)
        async with self._db.connection.execute(
            "SELECT recommendation_id, colour FROM ratings WHERE round_id = ?", (round_id,)
        ) as cursor:
            async for row in cursor:
                counts[row[0]].append(Colour(row[1]))
        return {rec: Distribution.of(colours) for rec, colours in counts.items()}

    async def distribution(self, round_id: int, recommendation_id: int) -> Distribution:
        """One recommendation's distribution."""
        async with self._db.connection.execute(
            "SELECT colour FROM ratings WHERE round_id = ? AND recommendation_id = ?",
            (round_id, recommendation_id),
        ) as cursor:
            return Distribution.of([Colour(row[0]) async for row in cursor])

    async def participation(self, round_id: int) -> tuple[int, int]:
        """(organisations that rated at least once, active organisations)."""
        async with self._db.connection.execute(
            "SELECT (SELECT COUNT(DISTINCT organisation_id) FROM ratings WHERE round_id = ? "
            "AND organisation_id IS NOT NULL), (SELECT COUNT(*) FROM organisations "
            "WHERE active = 1)",
            (round_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def own(self, round_id: int, organisation_id: int) -> dict[int, Rating]:
        """An organisation's ratings in a round, by recommendation."""
        async with self._db.connection.execute(
            "SELECT recommendation_id, colour, reason FROM ratings WHERE round_id = ? "
            "AND organisation_id = ?",
            (round_id, organisation_id),
        ) as cursor:
            return {row[0]: Rating(row[0], None, Colour(row[1]), row[2]) async for row in cursor}

    async def add_card(self, card: Card) -> None:
        """Remember a card posted in a group chat."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO rating_cards (chat_id, message_id, round_id, "
                "recommendation_id) VALUES (?, ?, ?, ?)",
                (card.chat_id, card.message_id, card.round_id, card.recommendation_id),
            )

    async def posted(self, round_id: int, chat_id: int) -> set[int]:
        """The recommendations already posted as cards in a chat for a round."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM rating_cards WHERE round_id = ? AND chat_id = ?",
            (round_id, chat_id),
        ) as cursor:
            return {row[0] async for row in cursor}

    async def mark_dirty(self, round_id: int, recommendation_id: int) -> None:
        """Every card of this recommendation needs its count redrawn."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE rating_cards SET dirty = 1 WHERE round_id = ? AND recommendation_id = ?",
                (round_id, recommendation_id),
            )

    async def take_dirty(self) -> list[Card]:
        """The cards to redraw now (marked clean in the same transaction)."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT chat_id, message_id, round_id, recommendation_id FROM rating_cards "
                "WHERE dirty = 1"
            ) as cursor:
                cards = [Card(r[0], r[1], r[2], r[3]) async for r in cursor]
            await db.execute("UPDATE rating_cards SET dirty = 0 WHERE dirty = 1")
        return cards

    async def latest_published(self, recommendation_id: int) -> tuple[Round, Distribution] | None:
        """The most recent published round that rated this recommendation, and its counts."""
        async with self._db.connection.execute(
            "SELECT r.id FROM rounds AS r JOIN round_items AS i ON i.round_id = r.id "
            "WHERE i.recommendation_id = ? AND r.published_at IS NOT NULL "
            "ORDER BY r.published_at DESC LIMIT 1",
            (recommendation_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        found = await self.round(int(row[0]))
        if found is None:
            return None
        return found, await self.distribution(found.id, recommendation_id)


async def _require_open_item(db: aiosqlite.Connection, round_id: int, rec_id: int) -> None:
    async with db.execute(
        "SELECT r.status, i.recommendation_id FROM rounds AS r LEFT JOIN round_items AS i "
        "ON i.round_id = r.id AND i.recommendation_id = ? WHERE r.id = ?",
        (rec_id, round_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[1] is None:
        raise NotInRound
    if row[0] != "open":
        raise RoundClosed


async def _audit(
    db: aiosqlite.Connection, now: dt.datetime, actor: int, action: str, detail: str
) -> None:
    await db.execute(
        "INSERT INTO audit_log (at, actor_id, action, organisation_id, detail) "
        "VALUES (?, ?, ?, NULL, ?)",
        (now.isoformat(), actor, action, detail),
    )
