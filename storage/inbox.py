"""The inbox: updates fetched from Telegram, kept until handled so a crash cannot lose them."""

from __future__ import annotations

import json

from storage.db import Database, Writer


class InboxRepository:
    """Raw updates by id; a handled update keeps only its id, until Telegram forgets it too."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def add(self, updates: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Store fetched updates; return those not seen before (the rest are already known).
        One trip to the database for the whole batch."""

        def work(db: Writer) -> list[tuple[int, str]]:
            return [
                (update_id, body)
                for update_id, body in updates
                if db.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, body) VALUES (?, ?)",
                    (update_id, body),
                ).rowcount
                == 1
            ]

        return await self._db.atomic(work)

    async def handled_among(self, update_ids: list[int]) -> list[int]:
        """Those of these updates that were handled (the others are new, or waiting)."""
        async with self._db.connection.execute(
            "SELECT update_id FROM inbox WHERE handled = 1 "
            "AND update_id IN (SELECT value FROM json_each(?))",
            (json.dumps(update_ids),),
        ) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]

    async def mark_handled(self, update_ids: list[int]) -> None:
        """These updates were handled: drop their content, keep their ids against repeats."""
        await self._db.atomic(
            lambda db: db.executemany(
                "UPDATE inbox SET handled = 1, body = '' WHERE update_id = ?",
                [(update_id,) for update_id in update_ids],
            )
        )

    async def forget_handled_below(self, offset: int) -> None:
        """Telegram will not send updates below `offset` again: their ids are no longer needed."""
        await self._db.atomic(  # one trip to the database's thread
            lambda db: db.execute(
                "DELETE FROM inbox WHERE handled = 1 AND update_id < ?", (offset,)
            )
        )

    async def pending(self) -> list[tuple[int, str]]:
        """Updates fetched but not handled (the bot stopped or crashed first), oldest first."""
        async with self._db.connection.execute(
            "SELECT update_id, body FROM inbox WHERE handled = 0 ORDER BY update_id"
        ) as cursor:
            return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]
