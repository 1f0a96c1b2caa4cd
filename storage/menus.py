"""Which command menu Telegram has for each member's and coordinator's private chat."""

from __future__ import annotations

from bot.domain.membership import Role
from bot.domain.menus import MenuHolder
from storage.db import Database


class MenuRepository:
    """Roles and chosen languages as the menus need them, and the published fingerprints."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database

    async def menu_holders(self, user_id: int | None = None) -> list[MenuHolder]:
        """Coordinators, representatives of active organisations, translators, and whoever has
        a published menu (it may have to be taken back): everyone, or only `user_id`."""
        async with self._db.connection.execute(
            "SELECT p.user_id, COALESCE(u.is_coordinator, 0), COALESCE(o.active, 0), "
            "CASE WHEN u.language_chosen = 1 THEN u.language END, m.fingerprint, "
            "p.user_id IN (SELECT user_id FROM translators) "
            "FROM (SELECT user_id FROM users UNION SELECT user_id FROM translators "
            "UNION SELECT user_id FROM command_menus) AS p "
            "LEFT JOIN users AS u ON u.user_id = p.user_id "
            "LEFT JOIN organisations AS o ON o.id = u.organisation_id "
            "LEFT JOIN command_menus AS m ON m.user_id = p.user_id "
            "WHERE (u.is_coordinator = 1 OR o.active = 1 OR m.user_id IS NOT NULL "
            "OR p.user_id IN (SELECT user_id FROM translators)) "
            "AND (? IS NULL OR p.user_id = ?) "
            "ORDER BY p.user_id",
            (user_id, user_id),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            MenuHolder(
                row[0],
                Role.COORDINATOR if row[1] else Role.MEMBER if row[2] else Role.GUEST,
                row[3],
                row[4],
                bool(row[5]),
            )
            for row in rows
        ]

    async def set_menu(self, user_id: int, fingerprint: str | None) -> None:
        """Remember the menu Telegram now has for the user (None: none)."""
        async with self._db.transaction() as db:
            if fingerprint is None:
                await db.execute("DELETE FROM command_menus WHERE user_id = ?", (user_id,))
            else:
                await db.execute(
                    "INSERT INTO command_menus (user_id, fingerprint) VALUES (?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET fingerprint = excluded.fingerprint",
                    (user_id, fingerprint),
                )
