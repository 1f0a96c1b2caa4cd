"""Users: only what the bot needs to answer them (Telegram id and chosen language)."""

from __future__ import annotations

from storage.db import Database


class UserRepository:
    """Remembers each user's chosen language."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        # Read on every update; a choice changes only through set_language. Bounded.
        self._cache: dict[int, str] = {}

    async def language(self, user_id: int) -> tuple[str, bool] | None:
        """(the stored language, whether the user chose it with /language), or None if the bot
        never stored them. Not chosen: the fallback stored when the bot first recorded them."""
        if user_id in self._cache:
            return self._cache[user_id], True
        async with self._db.connection.execute(
            "SELECT language, language_chosen FROM users WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        if row[1]:  # only a choice is cached: it changes only through set_language
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[user_id] = str(row[0])
        return str(row[0]), bool(row[1])

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, language, language_chosen) VALUES (?, ?, 1) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, "
                "language_chosen = 1",
                (user_id, language),
            )
        self._cache[user_id] = language
