"""Wiring: the one place that knows Telegram, the domain and storage together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ContextTypes, Defaults

import handlers
from bot.clock import Clock, SystemClock
from bot.polling import ReadableUpdates
from bot.services import Services
from bot.settings import Settings
from handlers import operations, rounds
from handlers.common import BotApplication, BotContext

log = logging.getLogger(__name__)


def build_application(settings: Settings, services: Services) -> BotApplication:
    """The PTB Application with every handler and job registered."""
    builder = (
        Application.builder()
        .token(settings.token)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        # Telegram's flood limits (30 messages/s, 20/min per group) are respected for us.
        .rate_limiter(AIORateLimiter(max_retries=2))
        # Updates are handled concurrently: one slow reply (a rate-limited group) must not hold
        # up everyone's taps. Storage serialises its own transactions.
        .concurrent_updates(True)
        # An update PTB cannot parse must not stop polling for everyone.
        .get_updates_request(ReadableUpdates())
    )
    if settings.base_url:
        builder = builder.base_url(f"{settings.base_url}/bot").base_file_url(
            f"{settings.base_url}/file/bot"
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
        # Rating cards' live counts are redrawn in batches (Telegram: ~20 edits/min a group).
        app.job_queue.run_repeating(
            rounds.flush_cards,
            interval=settings.card_edit_seconds,
            first=settings.card_edit_seconds,
            name="flush-rating-cards",
        )
    return app


async def refresh_catalog(context: BotContext) -> None:
    """Pick up imports made by another process (`python bot.py import …`)."""
    await context.services.refresh_catalog()


@asynccontextmanager
async def running(
    settings: Settings,
    clock: Clock | None = None,
    *,
    poll_interval: float = 0.0,
    poll_timeout: int = 10,
) -> AsyncIterator[BotApplication]:
    """Start everything (database, catalog, Telegram polling) and stop it all on exit.

    Both `main()` and the tests start the bot through here, so they start it the same way.
    """
    services = await Services.start(settings, clock or SystemClock())
    try:
        app = build_application(settings, services)
        async with app:
            coordinators = await services.coalition.repository.coordinators()
            await handlers.publish_commands(
                app.bot, services.translations, [c.user_id for c in coordinators]
            )
            await app.start()
            if app.updater is None:
                raise RuntimeError("the Application was built without an updater")
            await app.updater.start_polling(
                poll_interval=poll_interval,
                timeout=poll_timeout,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("bot @%s is running", app.bot.username)
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        await services.close()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(settings):
        await stop.wait()
    log.info("bot stopped")
