"""Command line: run the bot, or import recommendation / translation files."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from telegram.error import InvalidToken

from bot.domain.clock import SystemClock
from bot.domain.importer import UnreadableFile
from bot.services import Services
from bot.settings import Settings, SettingsError
from storage.backup import RestoreRefused, restore
from storage.db import DatabaseTooNew
from storage.instance import DatabaseInUse, single_instance
from storage.migrations import MIGRATIONS


def main(argv: list[str] | None = None) -> int:
    """`bot.py` runs the bot; `import FILE [--cycle N]` loads data; `restore FILE` a backup."""
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    imp = sub.add_parser("import", help="import recommendations or Khmer translations")
    imp.add_argument("files", nargs="+", type=Path, help="CSV or XLSX files")
    imp.add_argument("--cycle", type=int, help="the cycle, for files without a cycle column")
    res = sub.add_parser("restore", help="replace the database with a backup (bot stopped)")
    res.add_argument("file", type=Path, help="a backup, e.g. var/backups/upr-bot-….sqlite3")
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    hide_in_logs(os.environ.get("BOT_TOKEN", "").strip())
    try:
        settings = Settings.from_env(os.environ, require_token=args.command in (None, "run"))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "import":
            return asyncio.run(_import(settings, args.files, args.cycle))
        if args.command == "restore":
            # The lock makes sure no bot runs on the database while it is replaced.
            with single_instance(settings.database_path):
                return _restore(settings, args.file)
        from bot.app import serve

        # The bot and restore take the lock; `import` does not: it is meant to run beside the bot.
        with single_instance(settings.database_path):
            asyncio.run(serve(settings))
    except (DatabaseTooNew, DatabaseInUse, RestoreRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:  # its text would carry the token: say what to check instead
        print(
            "error: Telegram did not accept BOT_TOKEN, or TELEGRAM_BASE_URL does not point at "
            "a Bot API server. Check both (the token comes from @BotFather).",
            file=sys.stderr,
        )
        return 2
    except Exception:
        logging.getLogger(__name__).critical("the bot stopped on an error", exc_info=True)
        return 1
    return 0


def _restore(settings: Settings, backup: Path) -> int:
    done = restore(backup, settings.database_path, len(MIGRATIONS), SystemClock().now())
    print(
        f"restored {backup} (taken {done.taken_at:%Y-%m-%d %H:%M} UTC): "
        f"{done.organisations} organisations, {done.rounds} rounds, {done.ratings} ratings"
    )
    if done.kept_aside is not None:
        print(f"the database it replaced is kept as {done.kept_aside}")
    return 0


class _Redacting(logging.Formatter):
    """Formats as before, then blanks out the secrets (in messages and tracebacks alike)."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = self._inner.format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
        return text


def hide_in_logs(token: str) -> None:
    """The bot token never reaches a log line, whichever library writes it."""
    # The part after the colon is the secret; the bot's id before it is public.
    secrets = [s for s in (token, token.partition(":")[2]) if len(s) >= 8]
    if not secrets:
        return
    logging.captureWarnings(True)  # warnings too go through the log, so through this filter
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_Redacting(handler.formatter or logging.Formatter(), secrets))


def configure_logging(level: str) -> None:
    """Log to stderr what an operator needs, without the libraries' per-request/per-job lines."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and Telegram URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs two INFO lines each time a job runs: every few seconds, all day.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _import(settings: Settings, files: list[Path], cycle: int | None) -> int:
    services = await Services.start(settings, SystemClock())
    status = 0
    try:
        for path in files:
            try:
                outcome = await services.import_file(path, cycle=cycle)
            except (UnreadableFile, OSError) as exc:
                print(f"{path}: cannot import: {exc}", file=sys.stderr)
                status = 1
                continue
            errors = [*outcome.parsed.errors, *outcome.report.errors]
            report = outcome.report
            print(
                f"{path}: {outcome.parsed.kind}: {report.added} added, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(errors)} rejected"
            )
            for error in sorted(errors, key=lambda e: e.line):
                print(f"  line {error.line}: {error.english()}")
            if errors:
                status = 1
    finally:
        await services.close()
    return status
