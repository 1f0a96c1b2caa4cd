"""The working groups' action strategies: actions, their recommendations and responsible
organisations, and each action's status history."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import aiosqlite

from bot.domain.action_flow import FlowDraft, Step
from bot.domain.audit import AuditAction
from bot.domain.strategy import Action, ActionDraft, ActionFields, ActionStatus, StatusChange
from bot.domain.timeframes import Kind, ReadTimeframe, Recurrence, Timeframe, Unreadable
from storage import audit, expiring
from storage.db import Database

_COLUMNS = (
    "a.id, a.working_group_id, a.cycle, a.other_mechanisms, a.sdg_targets, a.activity, "
    "a.indicator, a.resources, a.partners, a.risks, a.timeframe, a.timeframe_kind, "
    "a.starts_at, a.due_at, a.recurrence, a.timeframe_around, a.timeframe_problem, "
    "a.timeframe_values, a.status, a.created_at, a.updated_at"
)

# The organisations a coordinator ticked or unticked, kept in the draft's JSON with its fields.
_TOGGLED = "_toggled"


def _timeframe_values(timeframe: ReadTimeframe) -> tuple[object, ...]:
    """(words, kind, starts_at, due_at, recurrence, around, problem, problem values)."""
    if isinstance(timeframe, Timeframe):
        return (
            timeframe.original,
            timeframe.kind.value,
            timeframe.start.isoformat(),
            timeframe.due.isoformat(),
            timeframe.recurrence.value if timeframe.recurrence else None,
            int(timeframe.around),
            None,
            None,
        )
    values = json.dumps(dict(timeframe.values), sort_keys=True)
    return (timeframe.original, None, None, None, None, 0, timeframe.reason, values)


def _read_timeframe(row: tuple[Any, ...]) -> ReadTimeframe:
    words, kind, starts, due, recurrence, around, problem, values = row
    if kind is None:
        return Unreadable(words, problem, json.loads(values or "{}"))
    return Timeframe(
        words,
        Kind(kind),
        dt.datetime.fromisoformat(starts),
        dt.datetime.fromisoformat(due),
        Recurrence(recurrence) if recurrence else None,
        bool(around),
    )


class StrategyRepository:
    """Reads and writes actions and their status history."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def add_action(
        self, fields: ActionFields, *, actor: int, now: dt.datetime, draft_id: int | None = None
    ) -> int:
        """Store a new action (not started), audited, forgetting the draft it came from in the
        same transaction; its id."""
        async with self._db.transaction() as db:
            action_id = await _insert(db, fields, actor, now)
            await _write_fields(db, action_id, fields, now)
            await audit.record(db, now, actor, AuditAction.ADD_ACTION, None, _detail(action_id))
            await db.execute("DELETE FROM action_drafts WHERE id = ?", (draft_id,))
        return action_id

    async def update_action(
        self,
        action_id: int,
        fields: ActionFields,
        *,
        actor: int,
        now: dt.datetime,
        draft_id: int | None = None,
        change: StatusChange | None = None,
        detail: str = "",
    ) -> None:
        """Replace an action's fields, audited (`detail`: which field), with a history entry
        if given and forgetting the draft; its status and history stay."""
        async with self._db.transaction() as db:
            await _move(db, action_id, fields)
            await _write_fields(db, action_id, fields, now)
            what = f"{_detail(action_id)}: {detail}" if detail else _detail(action_id)
            await audit.record(db, now, actor, AuditAction.EDIT_ACTION, None, what)
            if change is not None:
                await _history(db, action_id, change)
            await db.execute("DELETE FROM action_drafts WHERE id = ?", (draft_id,))

    async def keep_draft(
        self, draft: FlowDraft, now: dt.datetime, expires: dt.datetime
    ) -> FlowDraft:
        """Store a draft (id 0: a new one, replacing the user's earlier drafts); as stored."""
        stored = {**draft.values.as_dict(), _TOGGLED: list(draft.toggled)}
        values = json.dumps(stored, ensure_ascii=False, sort_keys=True)
        async with self._db.transaction() as db:
            await expiring.expire(db, now)
            if draft.id == 0:
                await db.execute("DELETE FROM action_drafts WHERE user_id = ?", (draft.user_id,))
                cursor = await db.execute(
                    "INSERT INTO action_drafts (user_id, chat_id, action_id, step, draft, "
                    "prompt_id, asked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        draft.user_id,
                        draft.chat_id,
                        draft.action_id,
                        draft.step.value,
                        values,
                        draft.prompt_id,
                        now.isoformat(),
                        expires.isoformat(),
                    ),
                )
                return replace(draft, id=int(cursor.lastrowid or 0))
            await db.execute(
                "UPDATE action_drafts SET step = ?, draft = ?, prompt_id = ?, asked_at = ?, "
                "expires_at = ? WHERE id = ?",
                (
                    draft.step.value,
                    values,
                    draft.prompt_id,
                    now.isoformat(),
                    expires.isoformat(),
                    draft.id,
                ),
            )
        return draft

    async def draft(self, draft_id: int, now: dt.datetime) -> FlowDraft | None:
        """A draft not yet expired, or None."""
        found = await self._drafts("id = ? AND expires_at > ?", (draft_id, now.isoformat()))
        return found[0] if found else None

    async def waiting_draft(
        self,
        user_id: int,
        chat_id: int,
        prompt_id: int | None,
        now: dt.datetime,
        asked_since: dt.datetime | None,
    ) -> FlowDraft | None:
        """The user's draft in this chat whose prompt is `prompt_id`, or (None) whose step was
        asked since `asked_since`; None when there is none."""
        where = "user_id = ? AND chat_id = ? AND expires_at > ? AND "
        params: tuple[object, ...] = (user_id, chat_id, now.isoformat())
        if prompt_id is not None:
            found = await self._drafts(where + "prompt_id = ?", (*params, prompt_id))
        else:
            since = (asked_since or now).isoformat()
            found = await self._drafts(where + "asked_at >= ?", (*params, since))
        return found[0] if found else None

    async def set_draft_prompt(self, draft_id: int, user_id: int, prompt_id: int) -> None:
        """Remember the message that asked for the draft's step."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE action_drafts SET prompt_id = ? WHERE id = ? AND user_id = ?",
                (prompt_id, draft_id, user_id),
            )

    async def forget_draft(self, draft_id: int) -> None:
        """Forget a draft (cancelled, or its action gone)."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM action_drafts WHERE id = ?", (draft_id,))

    async def set_draft_asked(self, draft_id: int, asked_at: dt.datetime) -> None:
        """Move back when the draft's step was asked (a plain message then no longer answers
        it; a reply to its prompt still does)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE action_drafts SET asked_at = ? WHERE id = ?",
                (asked_at.isoformat(), draft_id),
            )

    async def _drafts(self, where: str, params: tuple[object, ...]) -> list[FlowDraft]:
        async with self._db.connection.execute(
            "SELECT id, user_id, chat_id, action_id, step, draft, prompt_id "  # noqa: S608
            f"FROM action_drafts WHERE {where} ORDER BY id DESC",  # (our own constant SQL)
            params,
        ) as cursor:
            rows = await cursor.fetchall()
        drafts = []
        for d_id, user, chat, action, step, values, p in rows:
            data = json.loads(values)
            toggled = tuple(int(o) for o in data.get(_TOGGLED, ()))
            values_of = ActionDraft.from_dict(data)
            drafts.append(FlowDraft(d_id, user, chat, action, Step(step), values_of, p, toggled))
        return drafts

    async def import_actions(
        self,
        inserts: Sequence[ActionFields],
        updates: Sequence[tuple[int, ActionFields]],
        *,
        actor: int,
        now: dt.datetime,
    ) -> None:
        """Add and update actions from a file in one transaction, audited once."""
        async with self._db.transaction() as db:
            for fields in inserts:
                await _write_fields(db, await _insert(db, fields, actor, now), fields, now)
            for action_id, fields in updates:
                await _move(db, action_id, fields)
                await _write_fields(db, action_id, fields, now)
            detail = f"{len(inserts)} added, {len(updates)} updated"
            await audit.record(db, now, actor, AuditAction.IMPORT_STRATEGY, None, detail)

    async def change_status(self, action_id: int, change: StatusChange) -> None:
        """Set the action's status and append the change to its history."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE actions SET status = ?, updated_at = ? WHERE id = ?",
                (change.status.value, change.at.isoformat(), action_id),
            )
            await _history(db, action_id, change)

    async def occurrence_done(self, action_id: int, change: StatusChange) -> None:
        """Append a recurring action's occurrence answered Done to its history; the action's
        own status stays (it goes on to the next occurrence)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE actions SET updated_at = ? WHERE id = ?",
                (change.at.isoformat(), action_id),
            )
            await _history(db, action_id, change)

    async def add_note(self, action_id: int, change: StatusChange, *, since: dt.datetime) -> None:
        """Keep a note on the action's latest entry if the actor made it after `since` with no
        note; else as a new entry (a note is never replaced)."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE action_history SET note = ? WHERE id = (SELECT max(id) FROM "
                "action_history WHERE action_id = ?) AND actor_id = ? AND note = '' "
                "AND at >= ?",
                (change.note, action_id, change.actor, since.isoformat()),
            )
            if cursor.rowcount == 0:
                await _history(db, action_id, change)

    async def reschedule(self, action_id: int, timeframe: Timeframe, change: StatusChange) -> None:
        """Store a new timeframe and its history entry together."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE actions SET timeframe = ?, timeframe_kind = ?, starts_at = ?, "
                "due_at = ?, recurrence = ?, timeframe_around = ?, timeframe_problem = ?, "
                "timeframe_values = ?, updated_at = ? WHERE id = ?",
                (*_timeframe_values(timeframe), change.at.isoformat(), action_id),
            )
            await _history(db, action_id, change)

    async def action(self, action_id: int) -> Action | None:
        """One action, or None."""
        found = await self._load("a.id = ?", (action_id,))
        return found[0] if found else None

    async def actions(self, group_id: int, cycle: int | None = None) -> list[Action]:
        """A working group's actions (of one cycle, or all), by due date, unreadable last."""
        if cycle is None:
            return await self._load("a.working_group_id = ?", (group_id,))
        return await self._load("a.working_group_id = ? AND a.cycle = ?", (group_id, cycle))

    async def unreadable(self) -> list[Action]:
        """Every action whose timeframe could not be read."""
        return await self._load("a.timeframe_kind IS NULL", ())

    async def serving_count(self, recommendation_id: int) -> int:
        """How many actions serve this recommendation (one query)."""
        async with self._db.connection.execute(
            "SELECT count(*) FROM action_recommendations WHERE recommendation_id = ?",
            (recommendation_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def serving(self, recommendation_id: int) -> list[Action]:
        """The actions that serve this recommendation, by due date, unreadable last."""
        return await self._load(
            "a.id IN (SELECT action_id FROM action_recommendations WHERE recommendation_id = ?)",
            (recommendation_id,),
        )

    async def timeframes(self) -> list[tuple[int, int, ReadTimeframe]]:
        """Every action's id, cycle and timeframe as stored."""
        async with self._db.connection.execute(
            "SELECT id, cycle, timeframe, timeframe_kind, starts_at, due_at, recurrence, "
            "timeframe_around, timeframe_problem, timeframe_values FROM actions ORDER BY id"
        ) as cursor:
            return [(r[0], r[1], _read_timeframe(r[2:])) for r in await cursor.fetchall()]

    async def set_timeframes(self, changes: Sequence[tuple[int, ReadTimeframe]]) -> None:
        """Store timeframes read again (the words stay; what they mean changed)."""
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE actions SET timeframe = ?, timeframe_kind = ?, starts_at = ?, "
                "due_at = ?, recurrence = ?, timeframe_around = ?, timeframe_problem = ?, "
                "timeframe_values = ? WHERE id = ?",
                [(*_timeframe_values(timeframe), action_id) for action_id, timeframe in changes],
            )

    async def _load(self, where: str, params: tuple[object, ...]) -> list[Action]:
        """The actions matching a fixed condition (our own SQL text, values as parameters), with
        their links and history, in one read transaction."""
        conn = self._db.connection
        chosen = f"SELECT a.id FROM actions AS a WHERE {where}"  # noqa: S608 (constant SQL)
        async with self._db.transaction():
            async with conn.execute(
                f"SELECT {_COLUMNS} FROM actions AS a WHERE {where} "  # noqa: S608 (constant SQL)
                "ORDER BY a.due_at IS NULL, a.due_at, a.id",
                params,
            ) as cursor:
                rows = await cursor.fetchall()
            links: dict[str, dict[int, list[int]]] = {}
            for table, column in _LINKS:
                found = links[table] = defaultdict(list)
                async with conn.execute(
                    f"SELECT action_id, {column} FROM {table} "  # noqa: S608 (constant SQL)
                    f"WHERE action_id IN ({chosen}) ORDER BY action_id, position",
                    params,
                ) as cursor:
                    for action_id, linked in await cursor.fetchall():
                        found[action_id].append(linked)
            history: dict[int, list[StatusChange]] = defaultdict(list)
            async with conn.execute(
                "SELECT action_id, status, actor_id, at, note, occurrence "  # noqa: S608
                f"FROM action_history WHERE action_id IN ({chosen}) ORDER BY id",
                params,
            ) as cursor:
                for a_id, status, actor, at, note, occurrence in await cursor.fetchall():
                    history[a_id].append(
                        StatusChange(
                            ActionStatus(status),
                            actor,
                            dt.datetime.fromisoformat(at),
                            note,
                            dt.date.fromisoformat(occurrence) if occurrence else None,
                        )
                    )
        recommendations, organisations = (links[table] for table, _ in _LINKS)
        return [
            _action(
                row,
                tuple(recommendations[row[0]]),
                tuple(organisations[row[0]]),
                history[row[0]],
            )
            for row in rows
        ]


_LINKS = (
    ("action_recommendations", "recommendation_id"),
    ("action_organisations", "organisation_id"),
)


async def _insert(
    db: aiosqlite.Connection, fields: ActionFields, actor: int, now: dt.datetime
) -> int:
    """A new action's row (its fields are written next); its id."""
    cursor = await db.execute(
        "INSERT INTO actions (working_group_id, cycle, status, created_by, created_at, "
        "updated_at, activity) VALUES (?, ?, ?, ?, ?, ?, '')",
        (
            fields.working_group_id,
            fields.cycle,
            ActionStatus.NOT_STARTED.value,
            actor,
            now.isoformat(),
            now.isoformat(),
        ),
    )
    return int(cursor.lastrowid or 0)


async def _move(db: aiosqlite.Connection, action_id: int, fields: ActionFields) -> None:
    await db.execute(
        "UPDATE actions SET working_group_id = ?, cycle = ? WHERE id = ?",
        (fields.working_group_id, fields.cycle, action_id),
    )


async def _history(db: aiosqlite.Connection, action_id: int, change: StatusChange) -> None:
    await db.execute(
        "INSERT INTO action_history (action_id, status, actor_id, at, note, occurrence) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            action_id,
            change.status.value,
            change.actor,
            change.at.isoformat(),
            change.note,
            change.occurrence.isoformat() if change.occurrence else None,
        ),
    )


def _detail(action_id: int) -> str:
    return f"action {action_id}"


async def _write_fields(
    db: aiosqlite.Connection, action_id: int, fields: ActionFields, now: dt.datetime
) -> None:
    await db.execute(
        "UPDATE actions SET other_mechanisms = ?, sdg_targets = ?, activity = ?, indicator = ?, "
        "resources = ?, partners = ?, risks = ?, timeframe = ?, timeframe_kind = ?, "
        "starts_at = ?, due_at = ?, recurrence = ?, timeframe_around = ?, "
        "timeframe_problem = ?, timeframe_values = ?, updated_at = ? WHERE id = ?",
        (
            fields.other_mechanisms,
            fields.sdg_targets,
            fields.activity,
            fields.indicator,
            fields.resources,
            fields.partners,
            fields.risks,
            *_timeframe_values(fields.timeframe),
            now.isoformat(),
            action_id,
        ),
    )
    await db.execute("DELETE FROM action_recommendations WHERE action_id = ?", (action_id,))
    await db.executemany(
        "INSERT INTO action_recommendations (action_id, recommendation_id, position) "
        "VALUES (?, ?, ?)",
        [(action_id, rec_id, n) for n, rec_id in enumerate(fields.recommendation_ids)],
    )
    await db.execute("DELETE FROM action_organisations WHERE action_id = ?", (action_id,))
    await db.executemany(
        "INSERT INTO action_organisations (action_id, organisation_id, position) VALUES (?, ?, ?)",
        [(action_id, org_id, n) for n, org_id in enumerate(fields.organisation_ids)],
    )


def _action(
    row: aiosqlite.Row,
    recommendation_ids: tuple[int, ...],
    organisation_ids: tuple[int, ...],
    history: list[StatusChange],
) -> Action:
    a_id, group_id, cycle, mechanisms, sdg, activity, indicator, resources, partners, risks = row[
        :10
    ]
    status, created, updated = row[18:21]
    fields = ActionFields(
        working_group_id=group_id,
        cycle=cycle,
        recommendation_ids=recommendation_ids,
        other_mechanisms=mechanisms,
        sdg_targets=sdg,
        activity=activity,
        indicator=indicator,
        resources=resources,
        partners=partners,
        timeframe=_read_timeframe(row[10:18]),
        risks=risks,
        organisation_ids=organisation_ids,
    )
    return Action(
        a_id,
        fields,
        ActionStatus(status),
        tuple(history),
        dt.datetime.fromisoformat(created),
        dt.datetime.fromisoformat(updated),
    )
