"""Organisations, people, roles, working groups, group chats, invites and the audit log.

Every change a coordinator makes is written to the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence

import aiosqlite

from bot.domain.audit import AuditAction, AuditNames
from bot.domain.membership import (
    AlreadyRepresents,
    AuditEntry,
    DuplicateOrganisation,
    GroupChat,
    InviteInvalid,
    LastCoordinator,
    Organisation,
    Person,
    UnknownGroup,
    UnknownOrganisation,
    WorkingGroup,
)
from bot.domain.repositories import JoinAnnounce
from bot.domain.round_notices import joined_reference
from storage import audit, group_lists
from storage.db import Database, Memo

log = logging.getLogger(__name__)

_PERSON = (
    "SELECT u.user_id, u.display_name, u.is_coordinator, u.organisation_id, "
    "COALESCE(o.active, 0) AS active, u.unreachable_since, COALESCE(o.short_name, '') "
    "FROM users AS u "
    "LEFT JOIN organisations AS o ON o.id = u.organisation_id"
)


class MembershipRepository:
    """Reads and writes the coalition's membership."""

    def __init__(self, database: Database) -> None:
        """Use an open database."""
        self._db = database
        self._people: Memo[int, Person | None] = Memo(database)
        self._chats: Memo[None, tuple[GroupChat, ...]] = Memo(database)

    # --- people ----------------------------------------------------------------------------
    async def person(self, user_id: int) -> Person | None:
        """The user, or None if the bot never stored them (read on every press: kept until
        a change that may touch it)."""
        return await self._people.get(user_id, lambda: self._read_person(user_id))

    async def _read_person(self, user_id: int) -> Person | None:
        async with self._db.connection.execute(
            f"{_PERSON} WHERE u.user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _person(row) if row else None

    async def seen(self, user_id: int, display_name: str, language: str) -> None:
        """Record a user who talks to the bot (name for coordinators; reachable again)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, language, display_name) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, "
                "unreachable_since = NULL, language = CASE WHEN language_chosen = 1 "
                "THEN language ELSE excluded.language END",
                (user_id, language, display_name[:64]),
            )

    async def seed_coordinators(self, user_ids: Sequence[int], language: str) -> list[int]:
        """Make COORDINATOR_IDS coordinators, once each: a later demotion is respected."""
        async with self._db.transaction() as db:
            async with db.execute("SELECT value FROM meta WHERE key = 'seeded_coordinators'") as c:
                row = await c.fetchone()
            done = set(json.loads(row[0])) if row else set()
            new = sorted(set(user_ids) - done)
            for user_id in new:
                await db.execute(
                    "INSERT INTO users (user_id, language, is_coordinator) VALUES (?, ?, 1) "
                    "ON CONFLICT (user_id) DO UPDATE SET is_coordinator = 1",
                    (user_id, language),
                )
            await db.execute(
                "INSERT INTO meta (key, value) VALUES ('seeded_coordinators', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (json.dumps(sorted(done | set(new))),),
            )
        return new

    async def set_coordinator(
        self, user_id: int, flag: bool, *, actor: int, now: dt.datetime, language: str
    ) -> bool:
        """Promote or demote; never demote the last coordinator. False (and no audit entry)
        when the person already had that role."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT is_coordinator FROM users WHERE user_id = ?", (user_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if bool(row and row[0]) == flag:
                return False
            if not flag:
                async with db.execute(
                    "SELECT COUNT(*) FROM users WHERE is_coordinator = 1 AND user_id != ?",
                    (user_id,),
                ) as cursor:
                    row = await cursor.fetchone()
                if not row or row[0] == 0:
                    raise LastCoordinator
            await db.execute(
                "INSERT INTO users (user_id, language, is_coordinator) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET is_coordinator = excluded.is_coordinator",
                (user_id, language, int(flag)),
            )
            await audit.record(
                db,
                now,
                actor,
                AuditAction.PROMOTE if flag else AuditAction.DEMOTE,
                None,
                str(user_id),
            )
        return True

    async def coordinators(self) -> list[Person]:
        """Every coordinator (to tell them what happens to the bot)."""
        async with self._db.connection.execute(
            f"{_PERSON} WHERE u.is_coordinator = 1 ORDER BY u.user_id"
        ) as cursor:
            return [_person(row) for row in await cursor.fetchall()]

    async def mark_unreachable(self, user_id: int, now: dt.datetime) -> None:
        """The user blocked the bot: stop writing to them until they write again."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE users SET unreachable_since = ? WHERE user_id = ? "
                "AND unreachable_since IS NULL",
                (now.isoformat(), user_id),
            )

    async def unreachable(self) -> list[Person]:
        """Representatives and coordinators who blocked the bot."""
        async with self._db.connection.execute(
            f"{_PERSON} WHERE u.unreachable_since IS NOT NULL "
            "AND (u.organisation_id IS NOT NULL OR u.is_coordinator = 1) ORDER BY u.user_id"
        ) as cursor:
            return [_person(row) for row in await cursor.fetchall()]

    # --- organisations ---------------------------------------------------------------------
    async def add_organisation(
        self, short_name: str, name: str, *, actor: int, now: dt.datetime
    ) -> int:
        """Create an organisation; its short name must be new."""
        async with self._db.transaction() as db:
            try:
                cursor = await db.execute(
                    "INSERT INTO organisations (short_name, name, created_at) VALUES (?, ?, ?)",
                    (short_name, name, now.isoformat()),
                )
            except aiosqlite.IntegrityError:
                raise DuplicateOrganisation(short_name) from None
            org_id = int(cursor.lastrowid or 0)
            await audit.record(db, now, actor, AuditAction.ADD_ORGANISATION, org_id, name)
        return org_id

    async def organisations(self) -> list[Organisation]:
        """Every organisation with its representatives and groups, by short name."""
        conn = self._db.connection
        groups: dict[int, list[int]] = defaultdict(list)
        async with conn.execute(
            "SELECT organisation_id, working_group_id FROM organisation_groups"
        ) as cursor:
            for row in await cursor.fetchall():
                groups[row[0]].append(row[1])
        reps: dict[int, list[Person]] = defaultdict(list)
        async with conn.execute(
            f"{_PERSON} WHERE u.organisation_id IS NOT NULL ORDER BY u.display_name"
        ) as cursor:
            for row in await cursor.fetchall():
                person = _person(row)
                reps[person.organisation_id or 0].append(person)
        async with conn.execute(
            "SELECT id, short_name, name, active FROM organisations "
            "ORDER BY short_name COLLATE NOCASE"
        ) as cursor:
            return [
                Organisation(
                    r[0], r[1], r[2], bool(r[3]), tuple(sorted(groups[r[0]])), tuple(reps[r[0]])
                )
                for r in await cursor.fetchall()
            ]

    async def organisation(self, org_id: int) -> Organisation:
        """One organisation, or UnknownOrganisation."""
        for org in await self.organisations():
            if org.id == org_id:
                return org
        raise UnknownOrganisation(str(org_id))

    async def set_active(self, org_id: int, active: bool, *, actor: int, now: dt.datetime) -> None:
        """Deactivate (its representatives become guests) or reactivate an organisation."""
        async with self._db.transaction() as db:
            await _require_org(db, org_id)
            await db.execute(
                "UPDATE organisations SET active = ? WHERE id = ?", (int(active), org_id)
            )
            # The open rounds' group cards it counts in show a new total: redrawn like a rating.
            await _redraw_cards(
                db,
                "working_group_id IN (SELECT working_group_id FROM organisation_groups "
                "WHERE organisation_id = ?)",
                org_id,
            )
            await audit.record(
                db,
                now,
                actor,
                AuditAction.ACTIVATE if active else AuditAction.DEACTIVATE,
                org_id,
                "",
            )

    async def toggle_group(
        self, org_id: int, group_id: int, *, actor: int, now: dt.datetime
    ) -> bool:
        """Put an organisation in a working group or take it out; True if now in it.
        UnknownGroup if there is no such group."""
        async with self._db.transaction() as db:
            await _require_org(db, org_id)
            async with db.execute("SELECT 1 FROM working_groups WHERE id = ?", (group_id,)) as c:
                if await c.fetchone() is None:
                    raise UnknownGroup(str(group_id))
            cursor = await db.execute(
                "DELETE FROM organisation_groups WHERE organisation_id = ? "
                "AND working_group_id = ?",
                (org_id, group_id),
            )
            joined = cursor.rowcount == 0
            if joined:
                await db.execute(
                    "INSERT INTO organisation_groups (organisation_id, working_group_id) "
                    "VALUES (?, ?)",
                    (org_id, group_id),
                )
            # That group's open cards count one organisation more or fewer; the coalition's
            # may too (an audience follows the groups' lists).
            await _redraw_cards(db, "working_group_id = ?", group_id)
            await audit.record(
                db,
                now,
                actor,
                AuditAction.JOIN_GROUP if joined else AuditAction.LEAVE_GROUP,
                org_id,
                str(group_id),
            )
        return joined

    async def remove_representative(
        self, org_id: int, user_id: int, *, actor: int, now: dt.datetime
    ) -> bool:
        """Detach a representative from their organisation; False if they were not one."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE users SET organisation_id = NULL WHERE user_id = ? "
                "AND organisation_id = ?",
                (user_id, org_id),
            )
            if cursor.rowcount:
                await audit.record(
                    db, now, actor, AuditAction.REMOVE_REPRESENTATIVE, org_id, str(user_id)
                )
            return bool(cursor.rowcount)

    async def erase_organisation(self, org_id: int, *, actor: int, now: dt.datetime) -> str:
        """Delete an organisation and every trace of its name; return the name it had."""
        async with self._db.transaction() as db:
            name = await _require_org(db, org_id)
            # Representatives become guests and their names are forgotten.
            await db.execute(
                "UPDATE users SET organisation_id = NULL, display_name = '' "
                "WHERE organisation_id = ?",
                (org_id,),
            )
            await db.execute("DELETE FROM organisations WHERE id = ?", (org_id,))
            # "Dara joined ADHOC": the notices naming it and its representative go too.
            await db.execute(
                "DELETE FROM deliveries WHERE reference = ?", (joined_reference(org_id),)
            )
            await db.execute(
                "UPDATE audit_log SET detail = '' WHERE organisation_id = ?", (org_id,)
            )
            await audit.record(db, now, actor, AuditAction.ERASE_ORGANISATION, org_id, "")
        # secure_delete overwrote the rows; the old page versions in the WAL go too.
        if not await self._db.checkpoint():
            log.warning("an erasure could not be checkpointed yet: a reader holds the WAL")
        return name

    # --- invites ---------------------------------------------------------------------------
    async def create_invite(
        self, org_id: int, code_hash: str, *, actor: int, now: dt.datetime, expires: dt.datetime
    ) -> int:
        """Store a new invite (hashed) for an active organisation."""
        async with self._db.transaction() as db:
            await _require_org(db, org_id)
            cursor = await db.execute(
                "INSERT INTO invites (code_hash, organisation_id, created_by, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (code_hash, org_id, actor, now.isoformat(), expires.isoformat()),
            )
            await audit.record(db, now, actor, AuditAction.CREATE_INVITE, org_id, "")
            return int(cursor.lastrowid or 0)

    async def pending_invites(self, now: dt.datetime) -> int:
        """How many invites are still open: not used, not revoked, not expired."""
        async with self._db.connection.execute(
            "SELECT COUNT(*) FROM invites WHERE used_at IS NULL AND revoked_at IS NULL "
            "AND expires_at > ?",
            (now.isoformat(),),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def revoke_invite(self, invite_id: int, *, actor: int, now: dt.datetime) -> bool:
        """Revoke an unused invite; False if it was already used, revoked or unknown."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT organisation_id FROM invites WHERE id = ? AND used_at IS NULL "
                "AND revoked_at IS NULL",
                (invite_id,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            await db.execute(
                "UPDATE invites SET revoked_at = ? WHERE id = ?", (now.isoformat(), invite_id)
            )
            await audit.record(db, now, actor, AuditAction.REVOKE_INVITE, row[0], "")
            return True

    async def redeem_invite(
        self,
        code_hash: str,
        user_id: int,
        display_name: str,
        language: str,
        now: dt.datetime,
        announce: JoinAnnounce | None = None,
    ) -> int:
        """Make the user the representative the invite was for; return the organisation id
        (`announce` stages the coordinators' notice in the same transaction)."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT i.id, i.organisation_id, i.expires_at, i.used_at, i.revoked_at, "
                "o.active, o.short_name FROM invites AS i "
                "JOIN organisations AS o ON o.id = i.organisation_id WHERE i.code_hash = ?",
                (code_hash,),
            ) as cursor:
                invite = await cursor.fetchone()
            if invite is None:
                raise InviteInvalid("unknown")
            invite_id, org_id, expires_at, used_at, revoked_at, active, short_name = invite
            if used_at is not None:
                raise InviteInvalid("used")
            if revoked_at is not None or not active:
                raise InviteInvalid("revoked")
            if dt.datetime.fromisoformat(expires_at) <= now:
                raise InviteInvalid("expired")
            async with db.execute(
                "SELECT o.id, o.short_name FROM users AS u JOIN organisations AS o "
                "ON o.id = u.organisation_id WHERE u.user_id = ?",
                (user_id,),
            ) as cursor:
                current = await cursor.fetchone()
            if current is not None and current[0] != org_id:
                raise AlreadyRepresents(current[1])
            await db.execute(
                "INSERT INTO users (user_id, language, display_name, organisation_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "organisation_id = excluded.organisation_id, display_name = "
                "excluded.display_name, unreachable_since = NULL",
                (user_id, language, display_name[:64], org_id),
            )
            await db.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?",
                (now.isoformat(), user_id, invite_id),
            )
            await audit.record(db, now, user_id, AuditAction.JOIN_WITH_INVITE, org_id, "")
            if announce is not None:
                announce(int(org_id), str(short_name))
            return int(org_id)

    # --- working groups and their chats ----------------------------------------------------
    async def sync_working_groups(self, rows: Sequence[tuple[str, str, str, list[str]]]) -> None:
        """Create or rename working groups (slug, English, Khmer, theme slugs) from data."""
        async with self._db.transaction() as db:
            for position, (slug, name_en, name_km, themes) in enumerate(rows):
                await db.execute(
                    "INSERT INTO working_groups (slug, name_en, name_km, position) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET "
                    "name_en = excluded.name_en, name_km = excluded.name_km, "
                    "position = excluded.position",
                    (slug, name_en, name_km, position),
                )
                await db.execute(
                    "DELETE FROM working_group_themes WHERE working_group_id = "
                    "(SELECT id FROM working_groups WHERE slug = ?)",
                    (slug,),
                )
                await db.executemany(
                    "INSERT INTO working_group_themes (working_group_id, theme_id) "
                    "SELECT g.id, t.id FROM working_groups AS g, themes AS t "
                    "WHERE g.slug = ? AND t.slug = ?",
                    [(slug, theme) for theme in themes],
                )
            await group_lists.resync(db)

    async def working_groups(self) -> list[WorkingGroup]:
        """Every working group, in the order of the data file."""
        themes: dict[int, list[int]] = defaultdict(list)
        async with self._db.connection.execute(
            "SELECT working_group_id, theme_id FROM working_group_themes"
        ) as cursor:
            for row in await cursor.fetchall():
                themes[row[0]].append(row[1])
        async with self._db.connection.execute(
            "SELECT id, slug, name_en, name_km FROM working_groups ORDER BY position"
        ) as cursor:
            return [
                WorkingGroup(r[0], r[1], r[2], r[3], tuple(sorted(themes[r[0]])))
                for r in await cursor.fetchall()
            ]

    async def organisations_by_group(self) -> dict[int, set[int]]:
        """Each working group's member organisations (an organisation may be in several)."""
        found: dict[int, set[int]] = defaultdict(set)
        async with self._db.connection.execute(
            "SELECT working_group_id, organisation_id FROM organisation_groups"
        ) as cursor:
            for row in await cursor.fetchall():
                found[row[0]].add(row[1])
        return dict(found)

    async def link_chat(
        self,
        chat_id: int,
        thread_id: int,
        group_id: int,
        title: str,
        *,
        actor: int,
        now: dt.datetime,
    ) -> None:
        """Link a chat (or forum topic) to a working group, replacing an earlier link."""
        async with self._db.transaction() as db:
            await _link(db, chat_id, thread_id, group_id, title, actor=actor, now=now)

    async def create_group_link(
        self, group_id: int, token_hash: str, *, actor: int, now: dt.datetime, expires: dt.datetime
    ) -> None:
        """Store an "add the bot to your group" token (hashed) for a working group; expired
        ones are forgotten."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM group_links WHERE expires_at <= ?", (now.isoformat(),))
            await db.execute(
                "INSERT INTO group_links (token_hash, working_group_id, created_by, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (token_hash, group_id, actor, now.isoformat(), expires.isoformat()),
            )

    async def link_with_token(
        self,
        token_hash: str,
        chat_id: int,
        thread_id: int,
        title: str,
        *,
        actor: int,
        now: dt.datetime,
    ) -> tuple[str, int | None]:
        """Link the chat to the token's working group and use the token up, in one
        transaction: ("linked", group id), or ("unknown" | "used" | "expired", None)."""
        async with self._db.transaction() as db:
            async with db.execute(
                "SELECT id, working_group_id, expires_at, used_at FROM group_links "
                "WHERE token_hash = ?",
                (token_hash,),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return "unknown", None
            if row[3] is not None:
                return "used", None
            if dt.datetime.fromisoformat(row[2]) <= now:
                return "expired", None
            await db.execute(
                "UPDATE group_links SET used_at = ?, used_in = ? WHERE id = ?",
                (now.isoformat(), chat_id, row[0]),
            )
            await _link(db, chat_id, thread_id, int(row[1]), title, actor=actor, now=now)
            return "linked", int(row[1])

    async def unlink_chat(
        self, chat_id: int, thread_id: int | None, *, actor: int, now: dt.datetime
    ) -> list[GroupChat]:
        """Remove the links of a chat (one topic, or all when thread_id is None)."""
        async with self._db.transaction() as db:
            links = await _links(db, chat_id)
            gone = [c for c in links if thread_id is None or c.thread_id == thread_id]
            for link in gone:
                await db.execute(
                    "DELETE FROM group_chats WHERE chat_id = ? AND thread_id = ?",
                    (link.chat_id, link.thread_id),
                )
            if gone:
                await audit.record(db, now, actor, AuditAction.UNLINK_CHAT, None, str(chat_id))
            if gone and not actor:  # the bot lost the chat: named until it is linked again
                await db.execute(
                    "INSERT OR REPLACE INTO lost_chats (chat_id, title, lost_at) VALUES (?, ?, ?)",
                    (
                        chat_id,
                        next((c.title for c in gone if c.title), str(chat_id)),
                        now.isoformat(),
                    ),
                )
            return gone

    async def lost_chats(self) -> list[str]:
        """The names of the group chats the bot lost while they were linked."""
        async with self._db.connection.execute(
            "SELECT title FROM lost_chats ORDER BY title COLLATE NOCASE"
        ) as cursor:
            return [str(r[0]) for r in await cursor.fetchall()]

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its chat id changed, its links follow."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE OR REPLACE group_chats SET chat_id = ? WHERE chat_id = ?",
                (new_id, old_id),
            )

    async def chats(self) -> list[GroupChat]:
        """Every linked chat (read for a group's language on every press there: kept until a
        change that may touch it)."""
        return list(await self._chats.get(None, self._read_chats))

    async def _read_chats(self) -> tuple[GroupChat, ...]:
        async with self._db.connection.execute(
            "SELECT chat_id, thread_id, working_group_id, title, language FROM group_chats "
            "ORDER BY working_group_id, chat_id"
        ) as cursor:
            return tuple(GroupChat(r[0], r[1], r[2], r[3], r[4]) for r in await cursor.fetchall())

    async def set_chat_language(self, chat_id: int, thread_id: int, language: str) -> bool:
        """Set a linked chat's (or topic's) language; False when it is not linked."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "UPDATE group_chats SET language = ? WHERE chat_id = ? AND thread_id = ?",
                (language, chat_id, thread_id),
            )
            return cursor.rowcount > 0

    # --- audit -----------------------------------------------------------------------------
    async def audit_names(self) -> AuditNames:
        """What the log's ids stand for: people's names, round titles, chats' titles (linked
        or lost), working groups' names."""
        db = self._db.connection
        async with db.execute(
            "SELECT user_id, display_name FROM users WHERE display_name != ''"
        ) as cursor:
            people = {row[0]: row[1] for row in await cursor.fetchall()}
        async with db.execute("SELECT id, name FROM rounds") as cursor:
            rounds = {row[0]: row[1] for row in await cursor.fetchall()}
        async with db.execute(
            "SELECT chat_id, title FROM lost_chats UNION ALL "
            "SELECT chat_id, title FROM group_chats"  # a linked chat's title wins
        ) as cursor:
            chats = {row[0]: row[1] or "" for row in await cursor.fetchall()}
        groups = {g.id: (g.name_en, g.name_km) for g in await self.working_groups()}
        return AuditNames(people, rounds, chats, groups)

    async def audit_log(self, limit: int = 20, offset: int = 0) -> list[AuditEntry]:
        """The latest coordinator actions, newest first."""
        async with self._db.connection.execute(
            "SELECT a.at, a.actor_id, a.action, COALESCE(o.short_name, ''), a.detail "
            "FROM audit_log AS a LEFT JOIN organisations AS o ON o.id = a.organisation_id "
            "ORDER BY a.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ) as cursor:
            return [
                AuditEntry(dt.datetime.fromisoformat(r[0]), r[1], AuditAction(r[2]), r[3], r[4])
                for r in await cursor.fetchall()
            ]


async def _redraw_cards(db: aiosqlite.Connection, groups: str, param: int) -> None:
    """Have the open rounds' cards of the coalition and of the working groups `groups` selects
    redrawn (their totals change), as a rating does; `groups` is a constant SQL condition."""
    await db.execute(
        "UPDATE rating_cards SET drawn_history_id = -1 WHERE round_id IN (SELECT id "  # noqa: S608 (constants only)
        f"FROM rounds WHERE status = 'open') AND (working_group_id IS NULL OR {groups})",
        (param,),
    )


async def _require_org(db: aiosqlite.Connection, org_id: int) -> str:
    async with db.execute("SELECT name FROM organisations WHERE id = ?", (org_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise UnknownOrganisation(str(org_id))
    return str(row[0])


async def _links(db: aiosqlite.Connection, chat_id: int) -> list[GroupChat]:
    async with db.execute(
        "SELECT chat_id, thread_id, working_group_id, title, language FROM group_chats "
        "WHERE chat_id = ?",
        (chat_id,),
    ) as cursor:
        return [GroupChat(r[0], r[1], r[2], r[3], r[4]) for r in await cursor.fetchall()]


async def _link(
    db: aiosqlite.Connection,
    chat_id: int,
    thread_id: int,
    group_id: int,
    title: str,
    *,
    actor: int,
    now: dt.datetime,
) -> None:
    """Link a chat (or topic) inside the caller's transaction, with its audit entry."""
    await db.execute(
        "INSERT INTO group_chats (chat_id, thread_id, working_group_id, title, "
        "linked_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE "
        "SET working_group_id = excluded.working_group_id, title = excluded.title",
        (chat_id, thread_id, group_id, title[:128], now.isoformat()),
    )
    await db.execute("DELETE FROM lost_chats WHERE chat_id = ?", (chat_id,))
    await audit.record(
        db, now, actor, AuditAction.LINK_CHAT, None, f"{chat_id}/{thread_id}:{group_id}"
    )


def _person(row: aiosqlite.Row) -> Person:
    return Person(
        user_id=row[0],
        display_name=row[1],
        is_coordinator=bool(row[2]),
        organisation_id=row[3],
        organisation_active=bool(row[4]),
        unreachable_since=dt.datetime.fromisoformat(row[5]) if row[5] else None,
        organisation_short_name=row[6],
    )
