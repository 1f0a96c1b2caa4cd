"""Wiring: the one place that knows Telegram, the domain and storage together."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.constants import ParseMode
from telegram.ext import Application, BaseUpdateProcessor, ContextTypes, Defaults

import handlers
from bot.delivery import FairProcessor, Poller, PollingBot, Stopped, until_done
from bot.domain.clock import PacingClock, SystemClock
from bot.flood import ChatRateLimiter
from bot.http_client import AiohttpRequest
from bot.outbox_sender import OutboxLimits, Sender
from bot.services import Services
from bot.settings import Settings
from handlers import (
    broadcasts,
    chats,
    group_rating,
    guard,
    nudges,
    operations,
    round_notices,
    round_results,
)
from handlers.common import BotApplication, BotContext

log = logging.getLogger(__name__)
NUDGE_SWEEP_SECONDS = 60.0
MENU_SWEEP_SECONDS = 60.0


def build_application(
    settings: Settings,
    services: Services,
    processor: BaseUpdateProcessor,
    limiter: ChatRateLimiter | None = None,
) -> BotApplication:
    """The PTB Application with every handler and job registered (updates come from a Poller)."""
    base_url = settings.base_url or "https://api.telegram.org"
    bot = PollingBot(
        settings.token,
        base_url=f"{base_url}/bot",
        base_file_url=f"{base_url}/file/bot",
        request=AiohttpRequest(connection_pool_size=256),
        get_updates_request=AiohttpRequest(),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone),
        # Telegram's flood limits, kept per chat: a 429 in one chat does not stall the others.
        rate_limiter=limiter or ChatRateLimiter(),
    )
    builder = (
        Application.builder()
        .bot(bot)
        .updater(None)
        .context_types(ContextTypes(context=BotContext))
        # Updates are handled concurrently, a bounded number per chat: one slow reply (a
        # rate-limited group) must not hold up everyone's taps. Storage serialises transactions.
        .concurrent_updates(processor)
    )
    app: BotApplication = builder.build()  # type: ignore[assignment]
    app.bot_data["services"] = services
    handlers.register(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            refresh_catalog,
            interval=settings.catalog_refresh_seconds,
            first=settings.catalog_refresh_seconds,
            name="refresh-catalog",
        )
        app.job_queue.run_daily(
            operations.daily_backup,
            time=settings.backup_time.replace(tzinfo=settings.timezone),
            name="backup",
        )
        # Rounds past their closing date are closed by a sweep the database schedules.
        app.job_queue.run_repeating(
            group_rating.close_due_rounds,
            interval=settings.card_edit_seconds,
            first=settings.card_edit_seconds,
            name="close-due-rounds",
        )
        # Nudges and the Monday summary: the database knows what was sent, so this sweep may
        # run any number of times; its first run catches up a day missed while the bot was down.
        app.job_queue.run_repeating(
            nudges.sweep, interval=NUDGE_SWEEP_SECONDS, first=1.0, name="nudges"
        )
        # The database owns the outbox's schedule: this only wakes the sender to look at it
        # (and tells who opened a round which groups did not pin its notice, once).
        app.job_queue.run_repeating(
            outbox_sweep,
            interval=settings.card_edit_seconds,
            first=settings.card_edit_seconds,
            name="outbox-sweep",
        )
        # Broadcasts: the database owns the schedule, this sweep hands what is due to the
        # outbox; the coordinators' progress messages are edited at most once a period.
        app.job_queue.run_repeating(
            broadcasts.sweep_broadcasts, interval=15, first=1, name="broadcast-sweep"
        )
        app.job_queue.run_repeating(
            broadcasts.show_progress,
            interval=settings.card_edit_seconds,
            first=settings.card_edit_seconds,
            name="broadcast-progress",
        )
        # Members' and coordinators' own command menus follow their roles: the database knows
        # which menu Telegram has, so this sweep publishes only what changed (a promotion or a
        # join also runs it at once).
        app.job_queue.run_repeating(
            command_menus, interval=MENU_SWEEP_SECONDS, first=MENU_SWEEP_SECONDS, name="menus"
        )
        # Rating cards' live counts are redrawn in batches (Telegram: ~20 edits/min a group).
        app.job_queue.run_repeating(
            group_rating.flush_cards,
            interval=settings.card_edit_seconds,
            first=settings.card_edit_seconds,
            name="flush-rating-cards",
        )
    return app


async def outbox_sweep(context: BotContext) -> None:
    """Job: wake the outbox's sender (an idempotent look at what is due); report the group
    chats that did not pin a round's notice (once each)."""
    context.services.outbox.notify()
    await round_notices.report_unpinned(context)


async def command_menus(context: BotContext) -> None:
    """Job: bring every member's and coordinator's command menu in step with their role."""
    await handlers.sync_menus(context.bot, context.services)


async def refresh_catalog(context: BotContext) -> None:
    """Pick up imports made by another process (`python bot.py import …`)."""
    await context.services.refresh_catalog()


@asynccontextmanager
async def running(
    settings: Settings,
    clock: PacingClock | None = None,
    *,
    poll_timeout: int = 10,
    limiter: ChatRateLimiter | None = None,
    first_retry: float = 1.0,
    stop_grace: float = 5.0,
    stop: asyncio.Event | None = None,
    chat_queue: int = 16,
    button_queue: int = 200,
    group_button_queue: int = 2_000,
) -> AsyncIterator[BotApplication]:
    """Start everything (database, catalog, Telegram polling) and stop it all on exit.

    Both `main()` and the tests start the bot through here, so they start it the same way.
    While Telegram cannot be reached, each step is retried with growing pauses until it can
    (or `stop` is set: then `Stopped` is raised). On exit, running handlers get `stop_grace`
    seconds; what is left stays in the inbox for the next start. A chat's messages beyond
    `chat_queue` waiting (button presses: `button_queue`, in a group `group_button_queue`)
    are dropped.
    """
    pacing: PacingClock = clock or SystemClock()
    services = await Services.start(settings, pacing)
    poller: Poller | None = None

    def handled(update_id: int) -> None:
        if poller is not None:
            poller.handled(update_id)

    processor = FairProcessor(
        handled,
        lambda update: guard.tell_busy(update, app),
        queue=chat_queue,
        button_queue=button_queue,
        group_button_queue=group_button_queue,
    )
    app = build_application(settings, services, processor, limiter)
    bot: PollingBot = app.bot  # type: ignore[assignment]
    poller = Poller(
        bot,
        app.update_queue,
        services.inbox,
        timeout=poll_timeout,
        first_delay=first_retry,
        lean_presses=handlers.LEAN_PRESSES,
    )
    sender = Sender(
        bot,
        services.outbox,
        services.coalition,
        pacing,
        OutboxLimits(
            settings.outbox_per_second,
            settings.outbox_group_per_minute,
            settings.outbox_chat_per_second,
        ),
        give_up=dt.timedelta(minutes=settings.outbox_give_up_minutes),
        group_lost=lambda chat_id: chats.group_lost(services, chat_id, None, only_if_linked=True),
        person_refused=lambda delivery: group_rating.private_chat_hint(
            services, app.bot.username, delivery
        ),
        draw=lambda picture, language: round_results.notice_picture(
            services, picture, language or settings.default_language
        ),
    )
    try:
        await until_done(bot.initialize, "connecting", first_retry, stop)
        async with app:
            await until_done(
                lambda: handlers.publish_commands(
                    app.bot, services.translations, settings.default_language
                ),
                "publishing commands",
                first_retry,
                stop,
            )
            await handlers.sync_menus(app.bot, services)  # what the job did not finish last time
            # Polling is refused while a webhook is set: remove any (pending updates are kept).
            await until_done(bot.delete_webhook, "removing any webhook", first_retry, stop)
            await app.start()
            await poller.start()
            await sender.start()
            app.bot_data["sender"] = sender  # for tests and the benchmark
            log.info("bot @%s is running", app.bot.username)
            try:
                yield app
            finally:
                await poller.stop()
                await processor.drain(stop_grace)
                await sender.stop(stop_grace)
                await app.stop()
                await poller.flush()
    finally:
        await bot.shutdown()
        await services.close()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running(settings, stop=stop):
            await stop.wait()
    except Stopped:
        log.info("stopped before Telegram could be reached")
        return
    log.info("bot stopped")
