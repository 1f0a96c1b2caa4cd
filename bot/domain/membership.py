"""The coalition's people: organisations, representatives, roles, working groups (no Telegram)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.audit import AuditAction, AuditNames


class Role(enum.StrEnum):
    """What a user may do: coordinators run the process, members rate, guests only look up."""

    COORDINATOR = "coordinator"
    MEMBER = "member"
    GUEST = "guest"


@dataclass(frozen=True)
class Person:
    """A Telegram user as the coalition knows them: the minimum, nothing more."""

    user_id: int
    display_name: str
    is_coordinator: bool = False
    organisation_id: int | None = None
    organisation_active: bool = False
    unreachable_since: dt.datetime | None = None
    organisation_short_name: str = ""

    @property
    def role(self) -> Role:
        """Coordinator, member (of an active organisation) or guest."""
        if self.is_coordinator:
            return Role.COORDINATOR
        if self.organisation_id is not None and self.organisation_active:
            return Role.MEMBER
        return Role.GUEST


@dataclass(frozen=True)
class WorkingGroup:
    """A thematic working group, named in both languages, linked to themes."""

    id: int
    slug: str
    name_en: str
    name_km: str
    theme_ids: tuple[int, ...] = ()

    def name(self, language: str) -> str:
        """The name in the reader's language."""
        return self.name_km if language == "km" else self.name_en


class UnknownGroup(ValueError):
    """Words that name no working group (or more than one)."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace("\u200b", " ")
    # Khmer writers use subscript TA and subscript DA interchangeably (ស្ត្រី / ស្ដ្រី).
    return text.replace("\u17d2\u178a", "\u17d2\u178f").casefold().split()


def find_group(groups: Sequence[WorkingGroup], text: str) -> WorkingGroup | None:
    """The group these words name: its short name, or its English or Khmer name or their first
    words (`land`, `ដីធ្លី`, `Land and natural resources`), any case. None for no words;
    UnknownGroup when no single group matches."""
    words = _words(text)
    if not words:
        return None
    exact = [g for g in groups if words == _words(g.slug)]
    found = exact or [
        g
        for g in groups
        if any(_words(name)[: len(words)] == words for name in (g.name_en, g.name_km))
    ]
    if len(found) != 1:
        raise UnknownGroup(" ".join(text.split()))
    return found[0]


@dataclass(frozen=True)
class Organisation:
    """A member CSO with its representatives and working groups."""

    id: int
    short_name: str
    name: str
    active: bool
    group_ids: tuple[int, ...] = ()
    representatives: tuple[Person, ...] = ()


@dataclass(frozen=True)
class GroupChat:
    """A chat (or one forum topic, thread_id > 0) linked to a working group."""

    chat_id: int
    thread_id: int
    working_group_id: int
    title: str
    language: str | None = None  # chosen by a coordinator; None: the default language


@dataclass(frozen=True)
class AuditEntry:
    """One coordinator action, as coordinators can read it back."""

    at: dt.datetime
    actor_id: int
    action: AuditAction
    organisation: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first, with the names its ids stand for."""

    entries: tuple[AuditEntry, ...]
    names: AuditNames
    page: int
    more: bool  # an older page follows


class MembershipError(Exception):
    """A membership action that cannot be done; handlers turn each kind into a reply."""


class NotAllowed(MembershipError):
    """The caller's role does not allow this."""


class CoordinatorsDoNotRate(NotAllowed):
    """A coordinator (with no organisation of their own) tried to rate: representatives do."""


class MembershipPaused(NotAllowed):
    """The caller represents an organisation whose membership is paused (deactivated)."""


class LastCoordinator(MembershipError):
    """Demoting the only coordinator would leave nobody to run the coalition."""


class DuplicateOrganisation(MembershipError):
    """An organisation with this short name exists already."""


class UnknownOrganisation(MembershipError):
    """No organisation by that name or id."""


class AlreadyRepresents(MembershipError):
    """The user already represents an organisation; one user, one organisation."""

    def __init__(self, short_name: str) -> None:
        super().__init__(short_name)
        self.short_name = short_name


class InviteInvalid(MembershipError):
    """The invite code is unknown, used, revoked or expired: `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_invite_code() -> str:
    """An unguessable single-use code for a t.me deep link (144 random bits, URL-safe)."""
    return secrets.token_urlsafe(18)


def hash_code(code: str) -> str:
    """What is stored of an invite code: its SHA-256, never the code itself."""
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    """True for text shaped like one of our invite codes (guards the database from junk)."""
    return 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)
