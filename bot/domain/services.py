"""What handlers reach through the context: the domain's services, and the types they return."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.domain.access import Gate
from bot.domain.broadcasts import Broadcasts
from bot.domain.catalog import Catalog, SearchRequest
from bot.domain.clock import Clock
from bot.domain.coalition import Coalition
from bot.domain.group_lists import GroupLists
from bot.domain.i18n import Translations
from bot.domain.importer import ImportReport, ParsedFile, RowError
from bot.domain.menus import Menus
from bot.domain.milestones import Milestones
from bot.domain.nudges import Nudges
from bot.domain.outbox import Outbox
from bot.domain.ratelimit import RateLimiter
from bot.domain.reports import Reports
from bot.domain.round_notices import PinReports
from bot.domain.rounds import Assessments
from bot.domain.strategy import Strategies
from bot.domain.strategy_file import ParsedStrategy
from bot.domain.translations import Translating
from bot.domain.welcome import Welcomes


class BackupFailed(RuntimeError):
    """A backup could not be made or did not pass the integrity check."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file: when it was taken and its size."""

    path: Path
    taken_at: dt.datetime
    size: int


class RecentSearches:
    """Searches behind 'next page' buttons, kept in memory only (never the user's words on disk).

    Callback data holds 64 bytes, too little for a query; a button carries a short token instead.
    After a restart the token is unknown and the member is asked to search again.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        """Remember at most `capacity` searches, forgetting the oldest first."""
        self._capacity = capacity
        self._items: OrderedDict[str, SearchRequest] = OrderedDict()

    def remember(self, request: SearchRequest) -> str:
        """Store a search and return its token."""
        token = secrets.token_urlsafe(6)
        self._items[token] = request
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return token

    def recall(self, token: str) -> SearchRequest | None:
        """The search behind a token, or None if it was forgotten."""
        request = self._items.get(token)
        if request is not None:
            self._items.move_to_end(token)
        return request


@dataclass(frozen=True)
class Status:
    """What coordinators see in /status."""

    version: str
    started_at: dt.datetime
    database_bytes: int
    last_backup: BackupInfo | None
    backups_kept: int
    outbox_waiting: int = 0  # messages the bot sends on its own, not yet sent
    outbox_failed_day: int = 0  # … given up in the last day (failed or blocked)


@dataclass(frozen=True)
class ImportOutcome:
    """A file's checked rows and what storing them changed."""

    parsed: ParsedFile
    report: ImportReport


@dataclass(frozen=True)
class StrategyOutcome:
    """A strategy file's checked rows and what storing them changed."""

    parsed: ParsedStrategy
    report: ImportReport
    unreadable: tuple[RowError, ...] = ()  # stored, but the timeframe could not be read: why


class Policy(Protocol):
    """The settings handlers read (the frozen Settings of the composition root satisfies it)."""

    @property
    def timezone(self) -> dt.tzinfo:
        """Where dates are shown and days begin."""
        ...

    @property
    def backup_time(self) -> dt.time:
        """When the daily backup runs, in `timezone`."""
        ...

    @property
    def backup_keep(self) -> int:
        """How many backups are kept."""
        ...

    @property
    def nudge_time(self) -> dt.time:
        """When nudges and the weekly summary go out, in `timezone`."""
        ...

    @property
    def nudge_days_before(self) -> tuple[int, ...]:
        """How many days before a due day actions are nudged."""
        ...

    @property
    def default_language(self) -> str:
        """The language of those whose Telegram language is neither English nor Khmer."""
        ...


class DomainServices(Protocol):
    """Everything a handler may call: domain services only, never a repository."""

    @property
    def settings(self) -> Policy:
        """The settings handlers read."""
        ...

    @property
    def clock(self) -> Clock:
        """The injected clock."""
        ...

    @property
    def translations(self) -> Translations:
        """Every language's catalog."""
        ...

    @property
    def coalition(self) -> Coalition:
        """Organisations, people, invites and linked chats."""
        ...

    @property
    def group_lists(self) -> GroupLists:
        """Each working group's list of recommendations."""
        ...

    @property
    def assessments(self) -> Assessments:
        """Rounds and ratings."""
        ...

    @property
    def milestones(self) -> Milestones:
        """Each cycle's milestones, shipped and corrected."""
        ...

    @property
    def outbox(self) -> Outbox:
        """What the bot sends on its own initiative."""
        ...

    @property
    def pin_reports(self) -> PinReports:
        """Who is told which group chats did not pin a round's notice."""
        ...

    @property
    def broadcasts(self) -> Broadcasts:
        """Coordinators' broadcasts."""
        ...

    @property
    def strategies(self) -> Strategies:
        """The working groups' action strategies."""
        ...

    @property
    def nudges(self) -> Nudges:
        """Nudges about actions' timeframes, their answers, the weekly summary."""
        ...

    @property
    def access(self) -> Gate:
        """Who may use what."""
        ...

    @property
    def menus(self) -> Menus:
        """Each member's and coordinator's command menu, kept in step with roles."""
        ...

    @property
    def welcomes(self) -> Welcomes:
        """What /start shows each role."""
        ...

    @property
    def searches(self) -> RecentSearches:
        """Searches behind 'next page' buttons."""
        ...

    @property
    def rate_limiter(self) -> RateLimiter:
        """Each user's messages a minute."""
        ...

    @property
    def reason_prompts(self) -> RateLimiter:
        """At most one 'why?' prompt a minute."""
        ...

    @property
    def translating(self) -> Translating:
        """Translators, Khmer drafts and reviews, coverage and exports."""
        ...

    @property
    def reports(self) -> Reports:
        """Loading a cycle from its Working Group report; responses; the current cycle."""
        ...

    @property
    def catalog(self) -> Catalog:
        """The current catalog snapshot."""
        ...

    async def search_ready(self) -> bool:
        """True when word searches can be answered (after a short wait for the start-up
        index)."""
        ...

    async def refresh_catalog(self) -> bool:
        """Rebuild the catalog if the database changed."""
        ...

    async def import_file(self, path: Path, *, cycle: int | None = None) -> ImportOutcome:
        """Check a file and store its good rows in one transaction."""
        ...

    async def import_strategy(
        self, path: Path, actor: int, *, group: str = "", cycle: int | None = None
    ) -> StrategyOutcome:
        """Check an action-strategy file and store its good rows together."""
        ...

    async def export_strategy(
        self, actor: int, fmt: str, *, group: str = "", language: str = "en"
    ) -> bytes:
        """A working group's strategy (or every group's) as CSV or XLSX bytes."""
        ...

    async def backup(self) -> Path:
        """Take a backup now; its path."""
        ...

    async def status(self, user_id: int) -> Status:
        """The bot's version, uptime, database size and backups (coordinators only)."""
        ...

    async def is_coordinator(self, user_id: int) -> bool:
        """True for coordinators."""
        ...

    async def language_of(self, user_id: int, telegram_code: str | None) -> str:
        """The user's chosen language, else their Telegram language, else the stored one."""
        ...

    async def known_language(self, user_id: int) -> str | None:
        """The language stored for someone the bot has met (chosen or their Telegram's)."""
        ...

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember a user's language choice."""
        ...

    async def set_theme(self, recommendation_id: int, theme_id: int, assigned: bool) -> None:
        """Put a recommendation in a theme or take it out (a coordinator's edit)."""
        ...
