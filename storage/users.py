"""Users: only what the bot needs to answer them (Telegram id and chosen language)."""

from __future__ import annotations

from storage.db import Database, Memo


class UserRepository:
    """Remembers each user's chosen language."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        # Read on every update: kept until a change that may touch it.
        self._languages: Memo[int, tuple[str, bool] | None] = Memo(database)

    async def language(self, user_id: int) -> tuple[str, bool] | None:
        """(the stored language, whether the user chose it with /language), or None if the bot
        never stored them. Not chosen: the fallback stored when the bot first recorded them."""
        return await self._languages.get(user_id, lambda: self._read_language(user_id))

    async def _read_language(self, user_id: int) -> tuple[str, bool] | None:
        async with self._db.connection.execute(
            "SELECT language, language_chosen FROM users WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return (str(row[0]), bool(row[1])) if row is not None else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, language, language_chosen) VALUES (?, ?, 1) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, "
                "language_chosen = 1",
                (user_id, language),
            )
