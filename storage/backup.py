"""Backups of the SQLite database: consistent online copies, checked, private, rotated.

A copy is made with `VACUUM INTO` on a connection of its own: it reads one snapshot of the
database while the bot goes on writing (WAL: readers never block writers), and it leaves out free
pages, so data erased before the copy is not in it. Each copy is written under a temporary name,
checked with `PRAGMA integrity_check`, made readable by the bot's user only, then renamed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.domain.services import BackupFailed, BackupInfo
from storage.catalog_cache import SUFFIX as KEPT_SUFFIX


def integrity_problem(path: Path) -> str | None:
    """None when `path` is a sound SQLite database, else what is wrong with it."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows != [("ok",)]:
        return "; ".join(str(row[0]) for row in rows[:5])
    return None


@dataclass(frozen=True)
class Backups:
    """The backups of one database: `<folder>/<database name>-<UTC time>[-<reason>].sqlite3`."""

    database: Path
    folder: Path
    keep: int

    def take(self, at: dt.datetime, reason: str = "") -> Path:
        """Copy the database now (blocking: run it in a thread), check it, rotate; its path."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = at.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
        final = (
            self.folder / f"{self.database.stem}-{stamp}{'-' + reason if reason else ''}.sqlite3"
        )
        partial = final.with_name(final.name + ".partial")
        partial.unlink(missing_ok=True)
        # Created empty and private first: VACUUM INTO fills an empty file and keeps its mode.
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        try:
            with contextlib.closing(sqlite3.connect(self.database)) as source:
                source.execute("VACUUM INTO ?", (str(partial),))
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise BackupFailed(str(exc)) from exc
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            _forget_inbox(copy)
        problem = integrity_problem(partial)
        if problem is not None:
            partial.unlink(missing_ok=True)
            raise BackupFailed(f"the copy failed the integrity check: {problem}")
        os.replace(partial, final)
        for old in self.existing()[: -self.keep]:
            old.unlink()
        return final

    def existing(self) -> list[Path]:
        """The finished backups, oldest first."""
        if not self.folder.is_dir():
            return []
        # Only names `take` gives (a database kept aside by a restore is not a backup).
        pattern = f"{self.database.stem}-{'[0-9]' * 8}-{'[0-9]' * 6}*.sqlite3"
        return sorted(self.folder.glob(pattern), key=lambda p: p.name)


def _forget_inbox(conn: sqlite3.Connection) -> None:
    """Empty the copy's inbox: its updates hold message texts (kept out of backups), and after a
    restore they would be handled a second time, long after Telegram moved on."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'inbox'").fetchone():
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("DELETE FROM inbox")
        conn.commit()


def describe(path: Path) -> BackupInfo:
    """A backup file: when it was taken and its size."""
    return BackupInfo(path, taken_at(path), path.stat().st_size)


class RestoreRefused(RuntimeError):
    """The file cannot be restored; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class Restored:
    """What a restore put in place, and where the database it replaced was kept."""

    taken_at: dt.datetime
    organisations: int
    rounds: int
    ratings: int
    kept_aside: Path | None


def restore(backup: Path, database: Path, known_schema: int, now: dt.datetime) -> Restored:
    """Put `backup` in place of `database` (the bot must be stopped), keeping the old one aside.

    Refused, with nothing changed, for a file that fails the integrity check, is not this bot's
    database, or comes from a newer version of the bot than `known_schema`.
    """
    if not backup.is_file():
        raise RestoreRefused(f"{backup} is not a file")
    problem = integrity_problem(backup)
    if problem is not None:
        raise RestoreRefused(f"{backup} is damaged: {problem}")
    with contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version == 0:
            raise RestoreRefused(f"{backup} is not a database of this bot")
        if version > known_schema:
            raise RestoreRefused(
                f"{backup} comes from a newer version of the bot (schema {version}, this one "
                f"knows {known_schema}): upgrade the bot first"
            )
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        organisations, rounds, ratings = (
            int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
            if table in tables
            else 0  # a backup from before this table existed
            for table in ("organisations", "rounds", "ratings")
        )
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    incoming = database.with_name(f"{database.name}.restoring")
    incoming.unlink(missing_ok=True)
    os.close(os.open(incoming, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(incoming)) as target,
        ):
            source.backup(target)
            _forget_inbox(target)  # a backup from before backups left the inbox out
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    kept_aside = None
    if database.exists():
        # The database and its WAL move together: the kept copy opens with all it had.
        kept_aside = database.with_name(f"{database.stem}-replaced-{stamp}{database.suffix}")
        for suffix in ("-wal", "-shm", ""):
            part = Path(f"{database}{suffix}")
            if part.exists():
                os.replace(part, f"{kept_aside}{suffix}")
    os.replace(incoming, database)
    # The rows kept for the next start are those of the database replaced (the restored one's
    # generation would not match them anyway: storage/catalog_cache.py).
    Path(f"{database}{KEPT_SUFFIX}").unlink(missing_ok=True)
    return Restored(taken_at(backup), organisations, rounds, ratings, kept_aside)


def taken_at(backup: Path) -> dt.datetime:
    """When a backup was taken: from its name if the bot named it, else its file's time."""
    match = re.search(r"-(\d{8}-\d{6})", backup.name)
    if match:
        return dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(backup.stat().st_mtime, dt.UTC)
