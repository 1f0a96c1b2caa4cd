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
from storage.db import DatabaseTooNew
from storage.instance import DatabaseInUse, single_instance


def main(argv: list[str] | None = None) -> int:
    """`bot.py` runs the bot; `bot.py import FILE [--cycle N]` loads data into the database."""
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    imp = sub.add_parser("import", help="import recommendations or Khmer translations")
    imp.add_argument("files", nargs="+", type=Path, help="CSV or XLSX files")
    imp.add_argument("--cycle", type=int, help="the cycle, for files without a cycle column")
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    try:
        settings = Settings.from_env(os.environ, require_token=args.command != "import")
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "import":
            return asyncio.run(_import(settings, args.files, args.cycle))
        from bot.app import serve

        # Only the bot takes the lock: `import` is meant to run beside it.
        with single_instance(settings.database_path):
            asyncio.run(serve(settings))
    except (DatabaseTooNew, DatabaseInUse) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
