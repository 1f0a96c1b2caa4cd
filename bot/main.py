"""Command line: run the bot, or import recommendation / translation files."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram.error import InvalidToken

from bot.domain.clock import SystemClock
from bot.domain.importer import ImportReport, RowError, UnreadableFile
from bot.domain.membership import UnknownGroup
from bot.domain.strategy import CLI
from bot.http_client import UnusableProxy
from bot.services import Services
from bot.settings import Settings, SettingsError
from storage.backup import RestoreRefused, restore
from storage.db import DatabaseTooNew
from storage.instance import DatabaseInUse, single_instance
from storage.migrations import MIGRATIONS
from storage.search_index import TemporaryFilesFull


def main(argv: list[str] | None = None) -> int:
    """`bot.py` runs the bot; `import FILE [--cycle N]` loads data; `restore FILE` a backup."""
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    imp = sub.add_parser("import", help="import recommendations or Khmer translations")
    imp.add_argument("files", nargs="+", type=Path, help="CSV or XLSX files")
    imp.add_argument("--cycle", type=int, help="the cycle, for files without a cycle column")
    imp_strategy = sub.add_parser(
        "import-strategy", help="import working groups' action strategies (template layout)"
    )
    imp_strategy.add_argument("files", nargs="+", type=Path, help="CSV or XLSX files")
    imp_strategy.add_argument("--group", default="", help="the working group, for files without")
    imp_strategy.add_argument(
        "--cycle", type=int, help="the cycle, for files without a cycle column"
    )
    exp_strategy = sub.add_parser("export-strategy", help="export action strategies")
    exp_strategy.add_argument("file", type=Path, help="a .csv or .xlsx file to write")
    exp_strategy.add_argument("--group", default="", help="one working group (default: all)")
    exp_strategy.add_argument("--language", choices=("en", "km"), default="en")
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
        if args.command == "import-strategy":
            return asyncio.run(_import_strategy(settings, args.files, args.group, args.cycle))
        if args.command == "export-strategy":
            return asyncio.run(_export_strategy(settings, args.file, args.group, args.language))
        if args.command == "restore":
            # The lock makes sure no bot runs on the database while it is replaced.
            with single_instance(settings.database_path):
                return _restore(settings, args.file)
        from bot.app import serve
        from bot.charts import warn_if_unshaped

        warn_if_unshaped()  # Khmer in result pictures needs the system's FriBiDi
        # The bot and restore take the lock; `import` does not: it is meant to run beside the bot.
        with single_instance(settings.database_path):
            asyncio.run(serve(settings))
    except (
        DatabaseTooNew,
        DatabaseInUse,
        RestoreRefused,
        TemporaryFilesFull,
        UnusableProxy,
    ) as exc:
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


async def _import_strategy(
    settings: Settings, files: list[Path], group: str, cycle: int | None
) -> int:
    services = await Services.start(settings, SystemClock())
    status = 0
    try:
        for path in files:
            try:
                outcome = await services.import_strategy(path, CLI, group=group, cycle=cycle)
            except (UnreadableFile, UnknownGroup, OSError) as exc:
                print(f"{path}: cannot import: {_why(exc)}", file=sys.stderr)
                status = 1
                continue
            if not _print_report(path, "actions", outcome.report, outcome.parsed.errors):
                status = 1
            _print_unreadable(outcome.unreadable)
    finally:
        await services.close()
    return status


async def _export_strategy(settings: Settings, path: Path, group: str, language: str) -> int:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        print(f"{path}: name a .csv or .xlsx file", file=sys.stderr)
        return 2
    services = await Services.start(settings, SystemClock())
    try:
        data = await services.export_strategy(CLI, fmt, group=group, language=language)
    except UnknownGroup as exc:
        print(f"error: {_why(exc)}", file=sys.stderr)
        return 2
    finally:
        await services.close()
    await asyncio.to_thread(path.write_bytes, data)
    print(f"{path}: written")
    return 0


def _print_report(
    path: Path, kind: str, report: ImportReport, rejected: Sequence[RowError]
) -> bool:
    """Print what a file changed and each rejected line; True when no line was rejected."""
    errors = [*rejected, *report.errors]
    print(
        f"{path}: {kind}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(errors)} rejected"
    )
    for error in sorted(errors, key=lambda e: (e.sheet, e.line)):
        print(f"  {_where(error)}: {error.english()}")
    return not errors


def _print_unreadable(unreadable: Sequence[RowError]) -> None:
    """Print each stored action whose timeframe could not be read, by line, with the advice."""
    if unreadable:
        print(f"  {len(unreadable)} timeframes could not be read (stored; never nudged):")
    for error in sorted(unreadable, key=lambda e: (e.sheet, e.line)):
        print(f"  {_where(error)}: timeframe not read: {error.english()}")


def _where(error: RowError) -> str:
    return f"{error.sheet}, line {error.line}" if error.sheet else f"line {error.line}"


def _why(exc: Exception) -> str:
    if isinstance(exc, UnknownGroup):
        return f"no single working group is called {exc.words!r}"
    return str(exc)


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
            if not _print_report(path, outcome.parsed.kind, outcome.report, outcome.parsed.errors):
                status = 1
    finally:
        await services.close()
    return status
