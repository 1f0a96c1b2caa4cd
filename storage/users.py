"""Users: only what the bot needs to answer them (Telegram id and chosen language)."""

from __future__ import annotations

from storage.db import Database


class UserRepository:
    """Remembers each user's chosen language."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        # Read on every update; changed only through set_language. Bounded: reset when full.
        self._cache: dict[int, str] = {}

    async def language(self, user_id: int) -> str | None:
        """The language the user chose with /language, or None if they never chose."""
        if user_id in self._cache:
            return self._cache[user_id]
        async with self._db.connection.execute(
            "SELECT language FROM users WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] is None:
            return None
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[user_id] = str(row[0])
        return self._cache[user_id]

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, language) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
                (user_id, language),
            )
        self._cache[user_id] = language
