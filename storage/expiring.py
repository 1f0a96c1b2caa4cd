"""Conversation state kept across restarts until it expires: the reason prompts and skips of
the private rating flow, the working groups' list prompts, the draft rounds awaiting [Open].
Ids only, never a message's text (a draft round keeps the name it will open with)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import aiosqlite

from storage.db import Database, Writer

Statement = tuple[str, Sequence[object]]


# What has expired: deleted before each write of conversation state (no longer read anyway).
_EXPIRED = (
    "DELETE FROM reason_prompts WHERE expires_at <= ?",
    "DELETE FROM pending_reasons WHERE expires_at <= ?",
    "DELETE FROM skipped_recommendations WHERE expires_at <= ?",
    "DELETE FROM list_prompts WHERE expires_at <= ?",
    "DELETE FROM action_prompts WHERE expires_at <= ?",
    "DELETE FROM round_drafts WHERE expires_at <= ?",
    "DELETE FROM action_drafts WHERE expires_at <= ?",
    "DELETE FROM milestone_prompts WHERE expires_at <= ?",
    "DELETE FROM translation_prompts WHERE expires_at <= ?",
    "DELETE FROM translation_skips WHERE expires_at <= ?",
    "DELETE FROM report_drafts WHERE expires_at <= ?",
)


async def expire(db: aiosqlite.Connection, now: dt.datetime) -> None:
    """Delete the prompts and skips whose time is up (they are no longer read anyway)."""
    for sql in _EXPIRED:
        await db.execute(sql, (now.isoformat(),))


def expire_at_once(db: Writer, now: dt.datetime) -> None:
    """`expire`, inside `Database.atomic`'s work."""
    for sql in _EXPIRED:
        db.execute(sql, (now.isoformat(),))


async def remember(database: Database, now: dt.datetime, *statements: Statement) -> None:
    """Write some conversation state in one transaction (one trip to the database), first
    clearing what has expired."""

    def work(db: Writer) -> None:
        expire_at_once(db, now)
        for sql, params in statements:
            db.execute(sql, params)

    await database.atomic(work)
