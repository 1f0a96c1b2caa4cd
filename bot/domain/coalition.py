"""Membership services: every action checks the caller's role first, then writes with audit."""

from __future__ import annotations

import csv
import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain.clock import Clock
from bot.domain.membership import (
    AlreadyRepresents,
    AuditEntry,
    AuditPage,
    GroupChat,
    InviteInvalid,
    NotAllowed,
    Organisation,
    Person,
    Role,
    WorkingGroup,
    hash_code,
    looks_like_code,
    new_invite_code,
)
from bot.domain.outbox import stage
from bot.domain.repositories import JoinAnnounce, MembershipStore
from bot.domain.text import one_line

if TYPE_CHECKING:
    from bot.domain.outbox import Outbox
    from bot.domain.round_notices import JoinNotices


@dataclass(frozen=True)
class Invite:
    """A new invite: the code goes into a deep link once and is never stored in clear."""

    id: int
    code: str
    organisation: Organisation
    expires: dt.datetime


class Joined(enum.StrEnum):
    """What opening an invite link did: joined, or refused and why."""

    JOINED = "joined"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    INVALID = "invalid"  # unknown, mistyped, or its organisation is inactive
    ALREADY = "already"  # the user represents another organisation


_REFUSED = {reason.value: reason for reason in (Joined.EXPIRED, Joined.USED, Joined.REVOKED)}


@dataclass(frozen=True)
class Joining:
    """An invite link's outcome: the organisation now represented, or the one already is."""

    result: Joined
    short_name: str = ""
    name: str = ""


class ByLink(enum.StrEnum):
    """What the bot added to a group through a working group's link did with the chat."""

    LINKED = "linked"
    INVALID = "unknown"  # forged, mistyped, or not a link the bot made
    USED = "used"
    EXPIRED = "expired"
    NOT_COORDINATOR = "not coordinator"  # added by someone else: nothing linked, link kept


@dataclass(frozen=True)
class GroupLink:
    """A working group for /groups: its linked chats' titles and a fresh token for
    t.me/<bot>?startgroup=<token> (shown once, stored only hashed)."""

    group: WorkingGroup
    token: str
    chats: tuple[str, ...]


@dataclass(frozen=True)
class GroupLinks:
    """One page of /groups: its working groups, the page (clamped into range), how many."""

    links: tuple[GroupLink, ...]
    page: int
    pages: int


@dataclass(frozen=True)
class LinkedByLink:
    """The outcome of the bot added to a group with a working group's link."""

    result: ByLink
    group: WorkingGroup | None = None


@dataclass(frozen=True)
class Linked:
    """A chat linked from its button: the working group, or None when it no longer exists."""

    group: WorkingGroup | None


def load_working_groups(path: Path) -> list[tuple[str, str, str, list[str]]]:
    """Working groups from the data file: slug, English and Khmer names, theme slugs."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (
                row["slug"],
                row["name_en"],
                row["name_km"],
                [t.strip() for t in row["themes"].split(";") if t.strip()],
            )
            for row in csv.DictReader(handle)
        ]


class Coalition:
    """Organisations, representatives, roles, working groups and their chats."""

    def __init__(
        self,
        repository: MembershipStore,
        clock: Clock,
        invite_ttl: dt.timedelta,
        default_language: str,
        join_notices: tuple[JoinNotices, Outbox] | None = None,
    ) -> None:
        """Wire the repository and the clock; with `join_notices`, coordinators are told
        through the outbox when an invite is used."""
        self.repository = repository
        self.clock = clock
        self.invite_ttl = invite_ttl
        self.default_language = default_language
        self.join_notices = join_notices

    async def role(self, user_id: int) -> Role:
        """The user's role now (checked on every command and every button press)."""
        person = await self.repository.person(user_id)
        return person.role if person else Role.GUEST

    async def person(self, user_id: int) -> Person | None:
        """The stored user, if any."""
        return await self.repository.person(user_id)

    async def seen(self, user_id: int, display_name: str, language: str) -> None:
        """Record a user who talks to the bot (name for coordinators; reachable again)."""
        await self.repository.seen(user_id, one_line(display_name), language)

    async def coordinators(self) -> list[Person]:
        """Every coordinator (to tell them what happens to the bot)."""
        return await self.repository.coordinators()

    async def mark_unreachable(self, user_id: int) -> None:
        """The user blocked the bot: stop writing to them until they write again."""
        await self.repository.mark_unreachable(user_id, self.clock.now())

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its links follow it to the new id."""
        await self.repository.migrate_chat(old_id, new_id)

    async def require_coordinator(self, user_id: int) -> None:
        """Raise NotAllowed unless the user is a coordinator."""
        if await self.role(user_id) is not Role.COORDINATOR:
            raise NotAllowed

    async def add_organisation(self, actor: int, short_name: str, name: str) -> Invite:
        """Create an organisation and its first invite."""
        await self.require_coordinator(actor)
        org_id = await self.repository.add_organisation(
            one_line(short_name), one_line(name), actor=actor, now=self.clock.now()
        )
        return await self.invite(actor, org_id)

    async def invite(self, actor: int, org_id: int) -> Invite:
        """A fresh single-use invite for an organisation, valid for the invite lifetime."""
        await self.require_coordinator(actor)
        code = new_invite_code()
        now = self.clock.now()
        expires = now + self.invite_ttl
        invite_id = await self.repository.create_invite(
            org_id, hash_code(code), actor=actor, now=now, expires=expires
        )
        return Invite(invite_id, code, await self.repository.organisation(org_id), expires)

    async def revoke(self, actor: int, invite_id: int) -> bool:
        """Revoke an unused invite."""
        await self.require_coordinator(actor)
        return await self.repository.revoke_invite(invite_id, actor=actor, now=self.clock.now())

    async def join(
        self,
        user_id: int,
        display_name: str,
        language: str,
        code: str,
        announce: JoinAnnounce | None = None,
    ) -> Organisation:
        """Redeem an invite code: the user becomes the organisation's representative
        (`announce` stages what that tells, in the same transaction)."""
        if not looks_like_code(code):
            raise InviteInvalid("unknown")
        org_id = await self.repository.redeem_invite(
            hash_code(code),
            user_id,
            one_line(display_name),
            language,
            self.clock.now(),
            announce=announce,
        )
        return await self.repository.organisation(org_id)

    async def redeem(
        self, user_id: int, display_name: str, language: str, code: str, first_name: str = ""
    ) -> Joining:
        """An invite link opened: the user now represents its organisation, or why not; the
        coordinators are told ("Dara joined ADHOC", the Telegram `first_name` only)."""
        try:
            if self.join_notices is None or not looks_like_code(code):
                org = await self.join(user_id, display_name, language, code)
            else:
                notices, outbox = self.join_notices
                told = await notices.coordinators()
                name = one_line(first_name or display_name)

                def announce(org_id: int, short_name: str) -> None:
                    stage(*notices.joined(told, name, org_id, short_name))

                async with outbox.along():
                    org = await self.join(user_id, display_name, language, code, announce)
        except InviteInvalid as exc:
            return Joining(_REFUSED.get(exc.reason, Joined.INVALID))
        except AlreadyRepresents as exc:
            return Joining(Joined.ALREADY, exc.short_name)
        return Joining(Joined.JOINED, org.short_name, org.name)

    async def organisations(self, actor: int) -> list[Organisation]:
        """Every organisation with representatives: coordinators only."""
        await self.require_coordinator(actor)
        return await self.repository.organisations()

    async def organisation(self, actor: int, org_id: int) -> Organisation:
        """One organisation with its representatives: coordinators only."""
        await self.require_coordinator(actor)
        return await self.repository.organisation(org_id)

    async def own_organisation(self, user_id: int) -> Organisation | None:
        """The organisation the user represents (for /me)."""
        person = await self.repository.person(user_id)
        if person is None or person.organisation_id is None:
            return None
        return await self.repository.organisation(person.organisation_id)

    async def set_active(self, actor: int, org_id: int, active: bool) -> None:
        """Deactivate or reactivate an organisation."""
        await self.require_coordinator(actor)
        await self.repository.set_active(org_id, active, actor=actor, now=self.clock.now())

    async def toggle_group(self, actor: int, org_id: int, group_id: int) -> bool:
        """Put an organisation in a working group or take it out."""
        await self.require_coordinator(actor)
        return await self.repository.toggle_group(
            org_id, group_id, actor=actor, now=self.clock.now()
        )

    async def remove_representative(self, actor: int, org_id: int, user_id: int) -> bool:
        """Detach a representative."""
        await self.require_coordinator(actor)
        return await self.repository.remove_representative(
            org_id, user_id, actor=actor, now=self.clock.now()
        )

    async def erase(self, actor: int, org_id: int) -> str:
        """Erase an organisation entirely; returns its former name for the confirmation."""
        await self.require_coordinator(actor)
        return await self.repository.erase_organisation(org_id, actor=actor, now=self.clock.now())

    async def set_coordinator(
        self, actor: int, user_id: int, flag: bool, language: str | None = None
    ) -> bool:
        """Promote or demote a coordinator (never the last one); False if nothing changed.

        `language`: the person's Telegram language when known (a /promote in reply to them);
        it is stored only for someone the bot never recorded (else the default, until they
        write): a known person's language, chosen or their Telegram's, is kept.
        """
        await self.require_coordinator(actor)
        return await self.repository.set_coordinator(
            user_id,
            flag,
            actor=actor,
            now=self.clock.now(),
            language=language or self.default_language,
        )

    async def unreachable(self, actor: int) -> tuple[list[Person], list[str]]:
        """Who blocked the bot, and the group chats it lost: coordinators only."""
        await self.require_coordinator(actor)
        return await self.repository.unreachable(), await self.repository.lost_chats()

    async def audit_log(self, actor: int, limit: int = 30) -> list[AuditEntry]:
        """The latest coordinator actions: coordinators only."""
        await self.require_coordinator(actor)
        return await self.repository.audit_log(limit=limit)

    async def audit_page(self, actor: int, page: int, size: int = 15) -> AuditPage:
        """One page of the audit log, newest first, with the names behind its ids:
        coordinators only."""
        await self.require_coordinator(actor)
        page = max(page, 0)
        entries = await self.repository.audit_log(limit=size + 1, offset=page * size)
        names = await self.repository.audit_names()
        return AuditPage(tuple(entries[:size]), names, page, len(entries) > size)

    async def working_groups(self) -> list[WorkingGroup]:
        """Every working group."""
        return await self.repository.working_groups()

    async def linked_group(self, chat_id: int, thread_id: int) -> int | None:
        """The working group a chat (or forum topic) is linked to, if any."""
        return next(
            (
                c.working_group_id
                for c in await self.repository.chats()
                if c.chat_id == chat_id and c.thread_id == thread_id
            ),
            None,
        )

    async def chat_language(self, chat_id: int, thread_id: int) -> str | None:
        """The language a coordinator chose for a linked chat (or topic), if any."""
        return next(
            (
                c.language
                for c in await self.repository.chats()
                if c.chat_id == chat_id and c.thread_id == thread_id
            ),
            None,
        )

    async def language_for(self, chat_id: int, thread_id: int = 0) -> str:
        """The language everything the bot sends to a group chat (or forum topic) is in: the
        one a coordinator chose there (a topic's, else its chat's), else DEFAULT_LANGUAGE."""
        chats = await self.repository.chats()
        for thread in dict.fromkeys((thread_id, 0)):
            found = next(
                (c.language for c in chats if c.chat_id == chat_id and c.thread_id == thread),
                None,
            )
            if found:
                return found
        return self.default_language

    async def set_chat_language(
        self, actor: int, chat_id: int, thread_id: int, language: str
    ) -> bool:
        """A coordinator sets a linked chat's language; False when the chat is not linked."""
        await self.require_coordinator(actor)
        return await self.repository.set_chat_language(chat_id, thread_id, language)

    async def link_choices(self, actor: int) -> list[WorkingGroup]:
        """The working groups a chat can be linked to (coordinators only)."""
        await self.require_coordinator(actor)
        return await self.repository.working_groups()

    async def link(
        self, actor: int, chat_id: int, thread_id: int, group_id: int, title: str
    ) -> Linked:
        """Link a chat or topic from its button (coordinators only), unless the group is gone."""
        group = next((g for g in await self.repository.working_groups() if g.id == group_id), None)
        if group is not None:
            await self.link_chat(actor, chat_id, thread_id, group.id, title)
        return Linked(group)

    async def link_chat(
        self, actor: int, chat_id: int, thread_id: int, group_id: int, title: str
    ) -> None:
        """Link a chat or forum topic to a working group."""
        await self.require_coordinator(actor)
        await self.repository.link_chat(
            chat_id, thread_id, group_id, one_line(title), actor=actor, now=self.clock.now()
        )

    async def group_links(self, actor: int, page: int = 0, size: int = 20) -> GroupLinks:
        """One page of the working groups (`size` a page), each with its linked chats and a
        fresh "add the bot to your group" token (coordinators only): single-use, valid for the
        invite lifetime, stored hashed, made only for the groups on that page."""
        await self.require_coordinator(actor)
        groups = await self.repository.working_groups()
        pages = max(1, -(-len(groups) // size))
        page = min(max(page, 0), pages - 1)
        now = self.clock.now()
        chats = await self.repository.chats()
        links = []
        for group in groups[page * size : (page + 1) * size]:
            token = new_invite_code()
            await self.repository.create_group_link(
                group.id, hash_code(token), actor=actor, now=now, expires=now + self.invite_ttl
            )
            titles = tuple(
                c.title or str(c.chat_id) for c in chats if c.working_group_id == group.id
            )
            links.append(GroupLink(group, token, titles))
        return GroupLinks(tuple(links), page, pages)

    async def link_by_token(
        self, actor: int, chat_id: int, thread_id: int, token: str, title: str
    ) -> LinkedByLink:
        """The bot was added to a group with a working group's link (Telegram sends
        /start <token> there): a coordinator's adding links the chat to that group at once."""
        if not looks_like_code(token):
            return LinkedByLink(ByLink.INVALID)
        if await self.role(actor) is not Role.COORDINATOR:
            return LinkedByLink(ByLink.NOT_COORDINATOR)
        result, group_id = await self.repository.link_with_token(
            hash_code(token),
            chat_id,
            thread_id,
            one_line(title),
            actor=actor,
            now=self.clock.now(),
        )
        groups = await self.repository.working_groups()
        return LinkedByLink(ByLink(result), next((g for g in groups if g.id == group_id), None))

    async def links_of(self, chat_id: int) -> list[GroupChat]:
        """The working-group links of one chat (each of its topics)."""
        return [c for c in await self.repository.chats() if c.chat_id == chat_id]

    async def unlink_chat(
        self, actor: int, chat_id: int, thread_id: int | None
    ) -> list[GroupChat]:
        """Remove a chat's links (by a coordinator, or by the bot itself when removed: actor 0)."""
        if actor:
            await self.require_coordinator(actor)
        return await self.repository.unlink_chat(
            chat_id, thread_id, actor=actor, now=self.clock.now()
        )
