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
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupFailed(RuntimeError):
    """A backup could not be made or did not pass the integrity check."""


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
        return sorted(self.folder.glob(f"{self.database.stem}-*.sqlite3"), key=lambda p: p.name)
