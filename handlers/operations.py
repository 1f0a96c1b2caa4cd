"""Operations: the daily backup job."""

from __future__ import annotations

import logging

from handlers.common import BotContext
from storage.backup import BackupFailed

log = logging.getLogger(__name__)


async def daily_backup(context: BotContext) -> None:
    """Job: back the database up (BACKUP_TIME) and rotate; a failure is logged."""
    try:
        await context.services.backup()
    except (BackupFailed, OSError):
        log.exception("backup failed")
