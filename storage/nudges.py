"""Nudges: the open actions a sweep reads, whom to nudge, the nudges and weekly summaries
recorded (once each), and the prompts whose reply is a note or a new date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from bot.domain.nudges import Nudge, OpenAction, Recipient, Targets
from bot.domain.strategy import ActionStatus
from bot.domain.timeframes import Kind, Recurrence
from storage import expiring
from storage.db import Database

_KINDS = {kind.value: kind for kind in Kind}  # a sweep reads thousands: a dict, not Kind()


class NudgeRepository:
    """Reads and writes what the nudges need."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def open_actions(self) -> list[OpenAction]:
        """Every open action with a readable due date, with its timeframe's kind, recurrence and
        start, and the occurrences answered Done."""
        conn = self._db.connection
        async with self._db.transaction():
            async with conn.execute(
                "SELECT id, working_group_id, activity, due_at, updated_at, status, "
                "timeframe_kind, recurrence, starts_at FROM actions "
                "WHERE due_at IS NOT NULL AND status NOT IN ('done', 'dropped') "
                "ORDER BY due_at, id"
            ) as cursor:
                rows = await cursor.fetchall()
            done: dict[int, set[dt.date]] = defaultdict(set)
            async with conn.execute(
                "SELECT h.action_id, h.occurrence FROM action_history AS h "
                "JOIN actions AS a ON a.id = h.action_id WHERE h.occurrence IS NOT NULL "
                "AND h.status = 'done' AND a.recurrence IS NOT NULL"
            ) as cursor:
                for action_id, day in await cursor.fetchall():
                    done[action_id].add(dt.date.fromisoformat(day))
            organisations: dict[int, list[int]] = defaultdict(list)
            async with conn.execute(
                "SELECT action_id, organisation_id FROM action_organisations "
                "ORDER BY action_id, position"
            ) as cursor:
                for action_id, org_id in await cursor.fetchall():
                    organisations[action_id].append(org_id)
        return [
            OpenAction(
                row[0],
                row[1],
                row[2],
                dt.datetime.fromisoformat(row[3]),
                dt.datetime.fromisoformat(row[4]),
                ActionStatus(row[5]),
                tuple(organisations.get(row[0], ())),
                _KINDS[row[6]],
                Recurrence(row[7]) if row[7] else None,
                dt.datetime.fromisoformat(row[8]) if row[7] else None,  # for occurrences only
                frozenset(done.get(row[0], ())),
            )
            for row in rows
        ]

    async def targets(self) -> Targets:
        """Linked chats by working group; reachable representatives of active organisations."""
        conn = self._db.connection
        chats: dict[int, list[Recipient]] = defaultdict(list)
        representatives: dict[int, list[Recipient]] = defaultdict(list)
        async with conn.execute(
            "SELECT chat_id, thread_id, working_group_id, language FROM group_chats "
            "ORDER BY working_group_id, chat_id, thread_id"
        ) as cursor:
            for chat_id, thread_id, group_id, language in await cursor.fetchall():
                chats[group_id].append(
                    Recipient(chat_id, thread_id or None, language or "", None, group_id)
                )
        async with conn.execute(
            "SELECT u.user_id, u.language, u.organisation_id FROM users AS u "
            "JOIN organisations AS o ON o.id = u.organisation_id "
            "WHERE o.active = 1 AND u.unreachable_since IS NULL ORDER BY u.user_id"
        ) as cursor:
            for user_id, language, org_id in await cursor.fetchall():
                representatives[org_id].append(Recipient(user_id, None, language, org_id))
        return Targets(
            {k: tuple(v) for k, v in chats.items()},
            {k: tuple(v) for k, v in representatives.items()},
        )

    async def recorded(self, since: dt.date) -> set[tuple[int, str, dt.date]]:
        """The nudges recorded for days from `since` on: (action, kind, day)."""
        async with self._db.connection.execute(
            "SELECT action_id, kind, day FROM nudges WHERE day >= ?", (since.isoformat(),)
        ) as cursor:
            return {(r[0], r[1], dt.date.fromisoformat(r[2])) for r in await cursor.fetchall()}

    async def record(self, nudges: Sequence[Nudge], now: dt.datetime) -> None:
        """Record nudges in one transaction (deliveries staged for them commit with it);
        a nudge recorded before makes it fail whole."""
        async with self._db.transaction() as db:
            await db.executemany(
                "INSERT INTO nudges (action_id, kind, day, created_at) VALUES (?, ?, ?, ?)",
                [(n.action_id, n.kind, n.day.isoformat(), now.isoformat()) for n in nudges],
            )

    async def nudged(self) -> dict[int, list[tuple[str, dt.date, dt.datetime]]]:
        """Each action's recorded nudges: (kind, day, when recorded)."""
        found: dict[int, list[tuple[str, dt.date, dt.datetime]]] = defaultdict(list)
        async with self._db.connection.execute(
            "SELECT action_id, kind, day, created_at FROM nudges ORDER BY action_id, created_at"
        ) as cursor:
            for action_id, kind, day, at in await cursor.fetchall():
                found[action_id].append(
                    (kind, dt.date.fromisoformat(day), dt.datetime.fromisoformat(at))
                )
        return dict(found)

    async def summary_sent(self, week: dt.date) -> bool:
        """Whether the weekly summary of the week starting `week` was sent."""
        async with self._db.connection.execute(
            "SELECT 1 FROM weekly_summaries WHERE week = ?", (week.isoformat(),)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def record_summary(self, week: dt.date, now: dt.datetime) -> None:
        """Record the week's summary as sent (deliveries staged for it commit with it)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO weekly_summaries (week, sent_at) VALUES (?, ?)",
                (week.isoformat(), now.isoformat()),
            )

    async def languages(self, user_ids: Sequence[int]) -> dict[int, str]:
        """The stored language of each of these users that has one."""
        marks = ", ".join("?" * len(user_ids))
        async with self._db.connection.execute(
            f"SELECT user_id, language FROM users WHERE user_id IN ({marks})",  # noqa: S608
            tuple(user_ids),
        ) as cursor:
            return {r[0]: r[1] for r in await cursor.fetchall()}

    async def remember_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        action_id: int,
        purpose: str,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember a prompt whose reply is a note or a new date for an action."""
        await expiring.remember(
            self._db,
            now,
            (
                "INSERT OR REPLACE INTO action_prompts (user_id, chat_id, message_id, "
                "action_id, purpose, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, chat_id, message_id, action_id, purpose, expires.isoformat()),
            ),
        )

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, str] | None:
        """The action and purpose of a prompt not yet expired, or None."""
        async with self._db.connection.execute(
            "SELECT action_id, purpose FROM action_prompts WHERE user_id = ? AND chat_id = ? "
            "AND message_id = ? AND expires_at > ?",
            (user_id, chat_id, message_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    async def forget_prompt(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Forget a prompt once answered."""
        async with self._db.transaction() as db:
            await db.execute(
                "DELETE FROM action_prompts WHERE user_id = ? AND chat_id = ? AND message_id = ?",
                (user_id, chat_id, message_id),
            )
