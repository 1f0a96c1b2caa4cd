"""Each member's and coordinator's private-chat command menu: which one they should have, which
one Telegram has (the database remembers it), and an idempotent sync between the two."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.membership import Role

if TYPE_CHECKING:
    from bot.domain.repositories import MenuStore

# Gives one user's private chat the menu of this role, in this chosen language (None: by their
# Telegram's), or takes it back (Role.GUEST); False when Telegram would not take it.
Publisher = Callable[[int, Role, "str | None", bool], Awaitable[bool]]
# What a role's menu is, in a chosen language, with a translator's commands or not: changes when
# the commands or their texts change.
Fingerprint = Callable[[Role, "str | None", bool], str]


@dataclass(frozen=True)
class MenuHolder:
    """Someone who should have a menu of their own, or had one."""

    user_id: int
    role: Role
    language: str | None  # chosen with /language; None: their Telegram's decides
    published: str | None  # the fingerprint of the menu Telegram has for them; None: none
    translator: bool = False  # appointed a translator: /translate and /translations too


class Menus:
    """Keeps Telegram's per-person menus in step with roles: promoted, demoted, joined, left."""

    def __init__(self, repository: MenuStore) -> None:
        """Use the store that knows roles and what was published."""
        self.repository = repository
        self._lock = asyncio.Lock()  # one sync at a time: a job and a promotion may overlap
        # The menu Telegram refused each person (None: taking theirs back), e.g. someone who
        # never opened the bot: not tried again until it changes or they write to the bot.
        # Kept in memory only: a restart tries each of them once more.
        self._refused: dict[int, str | None] = {}

    async def sync(
        self, fingerprint: Fingerprint, publish: Publisher, user_id: int | None = None
    ) -> int:
        """Publish the menus that differ from what Telegram has (only those: running it twice
        changes nothing), everyone's or only `user_id`'s; return how many changed. One
        Telegram refused is tried again once it changes (a role, a language) or the person
        wrote to the bot (`heard_from`), not at every run."""
        changed = 0
        async with self._lock:
            for holder in await self.repository.menu_holders(user_id):
                wanted = (
                    None
                    if holder.role is Role.GUEST and not holder.translator
                    else fingerprint(holder.role, holder.language, holder.translator)
                )
                refused = self._refused.get(holder.user_id, holder.published)
                if wanted in (holder.published, refused):
                    continue
                if await publish(holder.user_id, holder.role, holder.language, holder.translator):
                    self._refused.pop(holder.user_id, None)
                    await self.repository.set_menu(holder.user_id, wanted)
                    changed += 1
                else:
                    self._refused[holder.user_id] = wanted
        return changed

    def heard_from(self, user_id: int) -> None:
        """The person wrote to the bot: a menu Telegram refused them may be taken now."""
        self._refused.pop(user_id, None)
