"""Command line: run the bot, or import recommendation / translation files."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.importer import UnreadableFile
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
