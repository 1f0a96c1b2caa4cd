"""Each working group's own list of recommendations: seeded from its themes, edited by hand."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection

import aiosqlite

from bot.domain.audit import AuditAction
from storage import audit, expiring
from storage.db import Database

# A burst of ➕ presses must not grow the table: a person's oldest list prompts beyond this go.
LIST_PROMPTS_PER_PERSON = 20


async def resync(db: aiosqlite.Connection) -> None:
    """Recompute the entries that come from the groups' themes; hand edits stay as they are.

    Called in the transaction of every change to recommendations, their themes or the groups'
    themes. A hand-made row (added or removed) holds its key, so the theme row is skipped.
    """
    await db.execute("DELETE FROM working_group_recommendations WHERE source = 'theme'")
    await db.execute(
        "INSERT INTO working_group_recommendations (working_group_id, recommendation_id, "
        "source, included) SELECT DISTINCT g.working_group_id, rt.recommendation_id, 'theme', 1 "
        "FROM working_group_themes AS g JOIN recommendation_themes AS rt "
        "ON rt.theme_id = g.theme_id AND rt.assigned = 1 WHERE 1 ON CONFLICT DO NOTHING"
    )


class GroupListRepository:
    """Reads and edits the working groups' lists and who may edit them."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def recommendation_ids(self, group_id: int) -> set[int]:
        """The recommendations on one group's list (every cycle)."""
        async with self._db.connection.execute(
            "SELECT recommendation_id FROM working_group_recommendations "
            "WHERE working_group_id = ? AND included = 1",
            (group_id,),
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def all_lists(self) -> dict[int, set[int]]:
        """Every group's list, by group id."""
        lists: dict[int, set[int]] = defaultdict(set)
        async with self._db.connection.execute(
            "SELECT working_group_id, recommendation_id FROM working_group_recommendations "
            "WHERE included = 1"
        ) as cursor:
            for row in await cursor.fetchall():
                lists[row[0]].add(row[1])
        return dict(lists)

    async def members_may_edit(self, group_id: int) -> bool:
        """Whether the group's own members may edit its list."""
        async with self._db.connection.execute(
            "SELECT members_edit_list FROM working_groups WHERE id = ?", (group_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def edit(
        self,
        group_id: int,
        recommendation_ids: Collection[int],
        included: bool,
        *,
        actor: int,
        now: dt.datetime,
        detail: str,
    ) -> int:
        """Add (or remove) recommendations by hand, for good; return how many changed."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT recommendation_id FROM working_group_recommendations "
                "WHERE working_group_id = ? AND included = 1",
                (group_id,),
            ) as cursor:
                before = {row[0] for row in await cursor.fetchall()}
            wanted = set(recommendation_ids)
            changed = len(wanted - before) if included else len(wanted & before)
            await db.executemany(
                "INSERT INTO working_group_recommendations (working_group_id, "
                "recommendation_id, source, included) VALUES (?, ?, 'coordinator', ?) "
                "ON CONFLICT (working_group_id, recommendation_id) DO UPDATE SET "
                "source = 'coordinator', included = excluded.included",
                [(group_id, rec_id, int(included)) for rec_id in sorted(wanted)],
            )
            action = (
                AuditAction.ADD_TO_GROUP_LIST if included else AuditAction.REMOVE_FROM_GROUP_LIST
            )
            await audit.record(db, now, actor, action, None, detail[:300])
        return changed

    async def set_members_may_edit(
        self, group_id: int, flag: bool, *, actor: int, now: dt.datetime
    ) -> None:
        """Allow or forbid the group's members to edit its list."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE working_groups SET members_edit_list = ? WHERE id = ?",
                (int(flag), group_id),
            )
            await audit.record(
                db,
                now,
                actor,
                AuditAction.MEMBERS_EDIT_GROUP_LIST
                if flag
                else AuditAction.COORDINATORS_EDIT_GROUP_LIST,
                None,
                str(group_id),
            )

    async def add_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        group_id: int,
        include: bool,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember that this person's reply to this bot message edits this group's list."""
        await expiring.remember(
            self._db,
            now,
            (
                "INSERT OR REPLACE INTO list_prompts (user_id, chat_id, message_id, "
                "working_group_id, include, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, chat_id, message_id, group_id, int(include), expires.isoformat()),
            ),
            (
                "DELETE FROM list_prompts WHERE user_id = ? AND rowid NOT IN (SELECT rowid "
                "FROM list_prompts WHERE user_id = ? ORDER BY rowid DESC LIMIT ?)",
                (user_id, user_id, LIST_PROMPTS_PER_PERSON),
            ),
        )

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, bool] | None:
        """(group, add?) a reply to this message edits the list of, unless expired."""
        async with self._db.connection.execute(
            "SELECT working_group_id, include FROM list_prompts WHERE user_id = ? "
            "AND chat_id = ? AND message_id = ? AND expires_at > ?",
            (user_id, chat_id, message_id, now.isoformat()),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), bool(row[1])) if row else None
