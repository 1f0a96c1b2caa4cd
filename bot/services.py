"""The services built from storage: the one implementation of the domain's `DomainServices`."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bot.domain import bundled, timeframes
from bot.domain.access import Gate
from bot.domain.broadcasts import Broadcasts
from bot.domain.catalog import Catalog
from bot.domain.clock import Clock
from bot.domain.coalition import Coalition, load_working_groups
from bot.domain.group_lists import GroupLists
from bot.domain.i18n import LANGUAGES, Translations
from bot.domain.importer import (
    ImportReport,
    ParsedFile,
    TranslationRow,
    UnreadableFile,
    parse_file,
    read_sheets,
)
from bot.domain.membership import Role, find_group
from bot.domain.menus import Menus
from bot.domain.milestones import Milestones, read_milestones
from bot.domain.model import Translation
from bot.domain.nudges import Nudges
from bot.domain.outbox import Button, Outbox
from bot.domain.ratelimit import RateLimiter
from bot.domain.reports import Reports
from bot.domain.round_notices import JoinNotices, PinReports, RoundNotices
from bot.domain.rounds import Assessments
from bot.domain.services import ImportOutcome, RecentSearches, Status, StrategyOutcome
from bot.domain.spreadsheet import table, workbook
from bot.domain.strategy import Action, Strategies
from bot.domain.strategy_file import export_rows, parse_strategy
from bot.domain.themes import ThemeRule, load_rules
from bot.domain.translations import Translating, check_rows
from bot.domain.welcome import Welcomes
from bot.pdf_text import read_pdf
from bot.settings import Settings
from handlers.callbacks import (
    GotIt,
    NoticeResult,
    OrgButton,
    OrgView,
    RateRound,
    ResultsNotice,
)
from storage.assessment import AssessmentRepository
from storage.backup import Backups, describe
from storage.broadcasts import BroadcastRepository
from storage.catalog import CatalogRepository, Snapshot
from storage.db import Database
from storage.group_lists import GroupListRepository
from storage.inbox import InboxRepository
from storage.membership import MembershipRepository
from storage.menus import MenuRepository
from storage.milestones import MilestoneRepository
from storage.nudges import NudgeRepository
from storage.outbox import OutboxRepository
from storage.reports import ReportRepository
from storage.search_index import TemporaryIndexStore
from storage.strategy import StrategyRepository
from storage.translations import TranslationRepository
from storage.users import UserRepository

log = logging.getLogger(__name__)

# How long a word search waits for the start-up index before the member is told to try again.
INDEX_RETRY = dt.timedelta(minutes=1)  # a failed word index is built again at most this often
SEARCH_WAIT = 2.0


class Services:
    """Everything a handler needs, built once at start-up from the storage repositories."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        translations: Translations,
        rules: list[ThemeRule],
        catalog: Catalog,
    ) -> None:
        """Use `Services.start`."""
        self.settings = settings
        self.database = database
        self.clock = clock
        self.translations = translations
        self.rules = rules
        self.catalog_repository = CatalogRepository(database)
        self.users = UserRepository(database)
        self.inbox = InboxRepository(database)
        self.outbox = Outbox(OutboxRepository(database), clock)
        database.now = clock.now
        database.on_staged = self.outbox.notify
        broadcast_store = BroadcastRepository(database)
        joins = JoinNotices(
            broadcast_store.reach,
            translations,
            settings.default_language,
            functools.partial(_set_groups, translations),
        )
        self.coalition = Coalition(
            MembershipRepository(database),
            clock,
            dt.timedelta(hours=settings.invite_ttl_hours),
            settings.default_language,
            (joins, self.outbox),
        )
        self.group_lists = GroupLists(GroupListRepository(database), self.coalition, clock)
        self.reason_prompts = RateLimiter(clock, 1)
        notices = RoundNotices(
            broadcast_store.reach,
            translations,
            settings.timezone,
            settings.default_language,
            functools.partial(_rate_now, translations),
            settings.round_reminder_days,
            functools.partial(_results_buttons, translations),
        )
        rounds = AssessmentRepository(database)
        self.pin_reports = PinReports(
            self.outbox.store,
            rounds,
            self.outbox,
            broadcast_store.reach,
            translations,
            settings.default_language,
            clock,
        )
        self.assessments = Assessments(
            rounds,
            self.coalition,
            self.group_lists,
            clock,
            settings.min_ratings,
            self.reason_prompts,
            (notices, self.outbox) if settings.round_notices else None,
        )
        self.milestones = Milestones(
            MilestoneRepository(database),
            self.coalition,
            clock,
            read_milestones(bundled.MILESTONES_FILE),
        )
        self.strategies = Strategies(
            StrategyRepository(database), self.coalition, self.milestones, clock
        )
        self.nudges = Nudges(
            NudgeRepository(database),
            self.strategies,
            self.coalition,
            self.outbox,
            clock,
            timezone=settings.timezone,
            at=settings.nudge_time,
            days_before=settings.nudge_days_before,
        )
        self.translating = Translating(
            TranslationRepository(database),
            self.coalition,
            clock,
            self._khmer_saved,
            self._english_of,
            lambda: self._catalog.glossary,
            lambda: self._catalog.current_cycle,
        )
        self.access = Gate(self.coalition, self.assessments, self.translating.store.is_translator)
        self.menus = Menus(MenuRepository(database))
        self.welcomes = Welcomes(self.coalition, self.assessments, self._chose, LANGUAGES)
        self.broadcasts = Broadcasts(
            broadcast_store,
            self.outbox,
            self.coalition,
            clock,
            settings.timezone,
            settings.default_language,
            functools.partial(_got_it, translations),
        )
        self.backups = backups_of(settings)
        self.started_at = clock.now()
        self.searches = RecentSearches()
        self.rate_limiter = RateLimiter(clock, settings.rate_limit_per_minute)
        self._catalog = catalog
        self._refresh_lock = asyncio.Lock()
        # Khmer texts saved in chat while a refresh reads the database, to put in its catalog.
        self._saved_meanwhile: list[tuple[int, Translation | None, int]] | None = None
        # The word index of the start-up catalog, built in a worker thread after start-up
        # (True once built; False if it failed: tried again when someone searches).
        self._indexing: asyncio.Task[bool] | None = None
        self._keeping: asyncio.Task[None] | None = None  # the rows kept for the next start
        self._index_failed_at: dt.datetime | None = None
        self.search_wait = SEARCH_WAIT
        self.report_store = ReportRepository(database)
        self.reports = Reports(
            self.report_store,
            clock,
            lambda: self._catalog,
            read_pdf,
            lambda rows, draft, user: self.catalog_repository.import_recommendations(
                rows,
                self.rules,
                self.clock.now(),
                functools.partial(self.report_store.claim_in, draft, user, self.clock.now()),
            ),
            self.refresh_catalog,
        )

    @classmethod
    async def start(cls, settings: Settings, clock: Clock) -> Services:
        """Open the database, load bundled data on first start (or when it changed), index."""
        translations = Translations.load(settings.default_language)
        database = await Database.open(settings.database_path, backups_of(settings), clock.now())
        try:
            rules = load_rules(bundled.THEMES_FILE)
            repository = CatalogRepository(database)
            await _load_bundled(repository, rules, clock)
            members = MembershipRepository(database)
            groups_hash = bundled.fingerprint(bundled.WORKING_GROUPS_FILE)
            if await repository.meta("bundled:working_groups") != groups_hash:
                await members.sync_working_groups(load_working_groups(bundled.WORKING_GROUPS_FILE))
                await repository.set_meta("bundled:working_groups", groups_hash)
            await members.seed_coordinators(
                sorted(settings.coordinator_ids), settings.default_language
            )
            glossary = bundled.load_glossary()
            chosen = await ReportRepository(database).current_cycle()
            snapshot, catalog = await _built(
                repository,
                lambda snapshot: Catalog(
                    snapshot.recommendations,
                    snapshot.themes,
                    snapshot.cycles,
                    glossary,
                    current_cycle=chosen or settings.current_cycle,
                    revision=snapshot.revision,
                    index_now=False,
                    index_store=TemporaryIndexStore,
                    theme_words={rule.slug: rule.khmer for rule in rules},
                ),
            )
            services = cls(settings, database, clock, translations, rules, catalog)
            services._indexing = asyncio.create_task(services._build_index())
            services._keep(snapshot.keep)
            # Milestones shipped with this release, or a better reader, may move timeframes:
            # read them again only when either changed (a coordinator's correction does it then).
            read_with = bundled.fingerprint(bundled.MILESTONES_FILE, Path(timeframes.__file__))
            if await repository.meta("timeframes:read-with") != read_with:
                await services.strategies.reread_timeframes()
                await repository.set_meta("timeframes:read-with", read_with)
        except BaseException:
            await database.close()
            raise
        return services

    async def close(self) -> None:
        """Close the database (after the start-up index, if it is still being built)."""
        if self._indexing is not None:
            await self._indexing
        await self.rows_kept()
        await self.database.close()

    def _keep(self, keep: Callable[[], None] | None) -> None:
        """Keep a snapshot's rows for the next start, in a worker thread, after any keeping
        still under way (one file: the newest snapshot's is written last)."""
        if keep is None:
            return
        before = self._keeping

        async def keeping() -> None:
            if before is not None:
                await before
            try:
                await asyncio.to_thread(keep)
            except Exception:  # only ever a copy: the next start reads the database
                log.exception("the catalog's rows could not be kept for the next start")

        self._keeping = asyncio.create_task(keeping())

    async def rows_kept(self) -> None:
        """Wait until the catalog's rows are kept for the next start (if they are being)."""
        if self._keeping is not None:
            await self._keeping

    async def search_ready(self) -> bool:
        """True when word searches can be answered, waiting up to `search_wait` seconds for
        the start-up index (built again, at most once a minute, if it failed)."""
        if self._catalog.index_ready() or self._indexing is None:
            return True
        if self._indexing.done() and not self._indexing.result():
            failed = self._index_failed_at
            if failed is not None and self.clock.now() - failed < INDEX_RETRY:
                return False
            self._indexing = asyncio.create_task(self._build_index())
        try:
            return await asyncio.wait_for(asyncio.shield(self._indexing), self.search_wait)
        except TimeoutError:
            return False

    async def _build_index(self) -> bool:
        """Build the catalog's word index in a worker thread; False, said in the log, if it
        failed (its working files did not fit, say: the message names the folder)."""
        try:
            await asyncio.to_thread(self._catalog.build_index)
        except Exception:
            self._index_failed_at = self.clock.now()
            log.exception(
                "word search is unavailable: its index could not be built; it is tried again "
                "when someone searches, at most once a minute"
            )
            return False
        return True

    @property
    def catalog(self) -> Catalog:
        """The current catalog snapshot."""
        return self._catalog

    def _khmer_saved(self, rec_id: int, khmer: Translation | None, revision: int | None) -> None:
        """A Khmer text saved in chat: shown and searchable at once, without a rebuild (the
        refresh job rebuilds only if something else changed the catalog meanwhile)."""
        self._catalog.update_khmer(rec_id, khmer)
        if revision is not None and revision == self._catalog.revision + 1:
            self._catalog.revision = revision
        if revision is not None and self._saved_meanwhile is not None:
            self._saved_meanwhile.append((rec_id, khmer, revision))

    def _english_of(self, rec_id: int) -> str | None:
        rec = self._catalog.by_id.get(rec_id)
        return rec.text_en if rec is not None else None

    async def refresh_catalog(self) -> bool:
        """Rebuild the catalog if the database changed (another process may have imported)."""
        async with self._refresh_lock:
            if await self.catalog_repository.revision() == self._catalog.revision:
                return False
            saved: list[tuple[int, Translation | None, int]] = []
            self._saved_meanwhile = saved
            try:
                # A cycle a coordinator made current in chat outranks the CURRENT_CYCLE setting.
                chosen = await self.report_store.current_cycle()
                glossary = self._catalog.glossary
                snapshot, catalog = await _built(
                    self.catalog_repository,
                    lambda snapshot: Catalog(
                        snapshot.recommendations,
                        snapshot.themes,
                        snapshot.cycles,
                        glossary,
                        current_cycle=chosen or self.settings.current_cycle,
                        revision=snapshot.revision,
                        index_store=TemporaryIndexStore,
                        theme_words={rule.slug: rule.khmer for rule in self.rules},
                    ),
                )
            finally:
                self._saved_meanwhile = None
            self._catalog = catalog
            self._keep(snapshot.keep)
            # Texts saved in chat after the snapshot was read would be lost with the old
            # catalog until the next refresh: put them in the new one too.
            for rec_id, khmer, revision in saved:
                if revision > snapshot.revision:
                    self._khmer_saved(rec_id, khmer, revision)
            log.info("catalog reloaded: %d recommendations", len(snapshot.recommendations))
            return True

    async def import_file(self, path: Path, *, cycle: int | None = None) -> ImportOutcome:
        """Check a file and store its good rows in one transaction."""
        zone = self.settings.timezone
        parsed = self._checked(
            await asyncio.to_thread(parse_file, path, default_cycle=cycle, zone=zone)
        )
        now = self.clock.now()
        if parsed.kind == "translations":
            report = await self.catalog_repository.import_translations(parsed.translations, now)
        else:
            report = await self.catalog_repository.import_recommendations(
                parsed.recommendations, self.rules, now
            )
        await self.refresh_catalog()
        return ImportOutcome(parsed, report)

    def _checked(self, parsed: ParsedFile) -> ParsedFile:
        """A translations file's Khmer texts checked as /translate checks a typed one: the
        refused rows become errors by their line."""
        if parsed.kind != "translations":
            return parsed

        def english(row: TranslationRow) -> str | None:
            rec = self._catalog.get(row.cycle, row.number)
            return rec.text_en if rec is not None else None

        parsed.translations, refused = check_rows(parsed.translations, english)
        parsed.errors = sorted([*parsed.errors, *refused], key=lambda error: error.line)
        return parsed

    async def import_translations(self, path: Path, actor: int) -> ImportOutcome | None:
        """A translations file sent in chat (what /translations exports: its text_km column),
        stored all or nothing: nothing when any row is refused (coordinators only). None when
        the file is not a translations file (it may be a strategy)."""
        await self.coalition.require_coordinator(actor)
        try:
            parsed = await asyncio.to_thread(parse_file, path, zone=self.settings.timezone)
        except UnreadableFile:
            return None
        if parsed.kind != "translations":
            return None
        parsed = self._checked(parsed)
        if parsed.errors:
            return ImportOutcome(parsed, ImportReport())
        report = await self.catalog_repository.import_translations(
            parsed.translations, self.clock.now(), whole=True
        )
        if not report.errors:
            await self.refresh_catalog()
        return ImportOutcome(parsed, report)

    async def import_strategy(
        self, path: Path, actor: int, *, group: str = "", cycle: int | None = None
    ) -> StrategyOutcome:
        """Check an action-strategy file (the template's layout) and store its good rows
        together; `group` and `cycle` serve files without those columns. UnknownGroup for a
        group these words do not name, UnreadableFile for a file that cannot be read."""
        groups = await self.coalition.working_groups()
        chosen = find_group(groups, group)
        organisations = await self.coalition.repository.organisations()
        parsed = await asyncio.to_thread(
            lambda: parse_strategy(
                read_sheets(path), groups, organisations, group=chosen, cycle=cycle
            )
        )
        report = await self.strategies.import_rows(actor, parsed.rows, self.catalog)
        unreadable = await self.strategies.unreadable_rows(actor, parsed.rows)
        return StrategyOutcome(parsed, report, tuple(unreadable))

    async def export_strategy(
        self, actor: int, fmt: str, *, group: str = "", language: str = "en"
    ) -> bytes:
        """One working group's strategy (or every group's) as CSV or XLSX bytes in the
        template's layout, with status, last update and notes. UnknownGroup as above."""
        groups = await self.coalition.working_groups()
        chosen = find_group(groups, group)
        actions = await self.strategies.export(actor, chosen.id if chosen else None)
        organisations = await self.coalition.repository.organisations()
        l10n = self.translations.localizer(language)

        def rows(of: list[Action]) -> list[list[str | int]]:
            return export_rows(
                of, groups, organisations, self.catalog.by_id, l10n, self.settings.timezone
            )

        if fmt == "csv" or chosen is not None:
            sheet = chosen.slug if chosen else "strategy"
            return await asyncio.to_thread(table, rows(actions), fmt, sheet=sheet)
        # Every group: one sheet each (named by its short name), as groups keep strategies.
        sheets = [
            (g.slug, rows(mine))
            for g in groups
            if (mine := [a for a in actions if a.fields.working_group_id == g.id])
        ]
        return await asyncio.to_thread(workbook, sheets or [("strategy", rows([]))])

    async def backup(self) -> Path:
        """Take a backup now (the database stays writable meanwhile); its path."""
        path = await asyncio.to_thread(self.backups.take, self.clock.now())
        log.info("backup written: %s (%d bytes)", path.name, path.stat().st_size)
        return path

    async def status(self, user_id: int) -> Status:
        """The bot's version, uptime, database size and backups (coordinators only)."""
        await self.coalition.require_coordinator(user_id)
        try:
            version = metadata.version("upr-coalition-bot")
        except metadata.PackageNotFoundError:
            version = "?"
        database = self.settings.database_path
        sizes = [Path(f"{database}{s}") for s in ("", "-wal")]
        backups = await asyncio.to_thread(self.backups.existing)
        outbox = await self.outbox.figures()
        return Status(
            version,
            self.started_at,
            sum(p.stat().st_size for p in sizes if p.exists()),
            await asyncio.to_thread(describe, backups[-1]) if backups else None,
            len(backups),
            outbox.waiting,
            outbox.failed_last_day,
        )

    async def is_coordinator(self, user_id: int) -> bool:
        """True for coordinators (seeded from COORDINATOR_IDS, promoted, not demoted)."""
        return await self.coalition.role(user_id) is Role.COORDINATOR

    async def language_of(self, user_id: int, telegram_code: str | None) -> str:
        """The user's chosen language, else their Telegram language, else the one stored when
        the bot recorded them (for messages the bot sends first), else the default."""
        stored = await self.users.language(user_id)
        if stored is not None and (stored[1] or telegram_code is None):
            return stored[0]
        return self.translations.pick(telegram_code)

    async def known_language(self, user_id: int) -> str | None:
        """The language stored for someone the bot has met (chosen or their Telegram's)."""
        stored = await self.users.language(user_id)
        return stored[0] if stored is not None else None

    async def _chose(self, user_id: int) -> bool:
        """Whether the user chose their language with /language."""
        stored = await self.users.language(user_id)
        return stored is not None and stored[1]

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember a user's language choice."""
        await self.users.set_language(user_id, language)

    async def set_theme(self, recommendation_id: int, theme_id: int, assigned: bool) -> None:
        """Put a recommendation in a theme or take it out (a coordinator's edit)."""
        await self.catalog_repository.set_theme(recommendation_id, theme_id, assigned)
        await self.refresh_catalog()


def _got_it(
    translations: Translations, broadcast_id: int, occurrence: str, language: str
) -> Button:
    """The "✓ Got it" button under a broadcast, in the reader's language."""
    label = "✓ " + translations.localizer(language).gettext("Got it")
    return Button(label, GotIt(broadcast_id, occurrence).pack())


def _rate_now(translations: Translations, round_id: int, language: str) -> Button:
    """The [Rate now] button under a round's notice, in the reader's language."""
    label = translations.localizer(language).gettext("Rate now")
    return Button(label, RateRound(round_id).pack())


def _results_buttons(
    translations: Translations, round_id: int, language: str
) -> tuple[Button, ...]:
    """[📊 View results] [📥 XLSX] under a published-results notice, in the reader's language."""
    label = "📊 " + translations.localizer(language).gettext("View results")
    return (
        Button(label, ResultsNotice(round_id, NoticeResult.VIEW).pack()),
        Button("📥 XLSX", ResultsNotice(round_id, NoticeResult.XLSX).pack()),
    )


def _set_groups(translations: Translations, org_id: int, language: str) -> Button:
    """[Set working groups] under "Dara joined ADHOC": the organisation's group buttons."""
    label = translations.localizer(language).gettext("Set working groups")
    return Button(label, OrgButton(OrgView.GROUPS, org_id).pack())


def backups_of(settings: Settings) -> Backups:
    """The database's backups as the settings place and rotate them."""
    return Backups(settings.database_path, settings.backup_folder, settings.backup_keep)


async def _load_bundled(
    repository: CatalogRepository, rules: list[ThemeRule], clock: Clock
) -> None:
    # Each part is (re)loaded only when its files changed, so restarts cost nothing and a new
    # release's corrected data arrives without touching coordinators' edits.
    cycles_hash = bundled.fingerprint(bundled.CYCLES_FILE)
    if await repository.meta("bundled:cycles") != cycles_hash:
        await repository.sync_cycles(bundled.load_cycles())
        await repository.set_meta("bundled:cycles", cycles_hash)
    themes_hash = bundled.fingerprint(bundled.THEMES_FILE)
    if await repository.meta("bundled:themes") != themes_hash:
        await repository.sync_themes(rules)
        await repository.set_meta("bundled:themes", themes_hash)
    data_hash = bundled.fingerprint(*bundled.RECOMMENDATION_FILES)
    if await repository.meta("bundled:recommendations") != data_hash:
        for path in bundled.RECOMMENDATION_FILES:
            parsed = parse_file(path)
            if parsed.errors:
                raise RuntimeError(f"bundled file {path.name} has bad rows: {parsed.errors[:3]}")
            await repository.import_recommendations(parsed.recommendations, rules, clock.now())
        await repository.set_meta("bundled:recommendations", data_hash)
        log.info("bundled recommendations loaded")


async def _built(
    repository: CatalogRepository, build: Callable[[Snapshot], Catalog]
) -> tuple[Snapshot, Catalog]:
    """A snapshot and the catalog `build` makes of it, in a worker thread; if it cannot be
    made of rows kept from an earlier start, the kept file is removed and the database read."""
    snapshot = await repository.snapshot()
    try:
        return snapshot, await asyncio.to_thread(build, snapshot)
    except Exception:
        if snapshot.forget is None:
            raise
        log.exception("the catalog could not be made of its kept rows: read again")
    await asyncio.to_thread(snapshot.forget)
    snapshot = await repository.snapshot()
    return snapshot, await asyncio.to_thread(build, snapshot)
