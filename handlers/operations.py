"""Operations: the daily backup job and /status for coordinators."""

from __future__ import annotations

import logging

from telegram import Message, User

from bot.domain.i18n import Localizer
from bot.domain.services import BackupFailed
from handlers.common import BotContext, answering_not_allowed, tell_coordinators
from handlers.render import escape

log = logging.getLogger(__name__)


def _megabytes(l10n: Localizer, size: int) -> str:
    """A size in megabytes, one decimal, in the reader's digits."""
    return l10n.digits(f"{size / 1_000_000:.1f}")


async def daily_backup(context: BotContext) -> None:
    """Job: back the database up (BACKUP_TIME) and rotate; coordinators hear of a failure."""
    try:
        await context.services.backup()
    except (BackupFailed, OSError) as exc:
        log.exception("backup failed")
        error = str(exc)
        services = context.services
        async with services.outbox.along():
            await tell_coordinators(
                services,
                lambda l10n: escape(
                    l10n.gettext(
                        "The daily backup failed: {error}. The bot keeps running; ask whoever "
                        "runs the server to check its disk."
                    ).format(error=error)
                ),
            )


@answering_not_allowed
async def status(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/status (coordinators): version, uptime, database size, last backup."""
    services = context.services
    now = await services.status(user.id)
    tz = services.settings.timezone
    lines = [
        "<b>" + escape(l10n.gettext("Bot status")) + "</b>",
        l10n.gettext("Version {version}, running since {when}.").format(
            version=now.version, when=l10n.datetime(now.started_at, tz)
        ),
        l10n.gettext("Database: {size} MB.").format(size=_megabytes(l10n, now.database_bytes)),
    ]
    if now.last_backup is None:
        lines.append(
            l10n.gettext("No backup yet: the first runs at {time}.").format(
                time=l10n.time(services.settings.backup_time)
            )
        )
    else:
        lines.append(
            l10n.gettext("Last backup: {when}, {size} MB ({kept} kept).").format(
                when=l10n.datetime(now.last_backup.taken_at, tz),
                size=_megabytes(l10n, now.last_backup.size),
                kept=l10n.number(now.backups_kept),
            )
        )
    lines.append(
        l10n.gettext(
            "Messages the bot sends on its own: {waiting} waiting, {failed} not delivered in "
            "the last day."
        ).format(
            waiting=l10n.number(now.outbox_waiting), failed=l10n.number(now.outbox_failed_day)
        )
    )
    await message.reply_text(
        "\n".join(escape(line) if i else line for i, line in enumerate(lines))
    )
