"""The audit log's one writer: every coordinator action, in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.domain.audit import AuditAction


async def record(
    db: aiosqlite.Connection,
    now: dt.datetime,
    actor: int,
    action: AuditAction,
    org_id: int | None,
    detail: str,
) -> None:
    """Append one entry (actor 0 is the bot itself, e.g. a round closing on its date)."""
    await db.execute(
        "INSERT INTO audit_log (at, actor_id, action, organisation_id, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (now.isoformat(), actor, action.value, org_id, detail),
    )
