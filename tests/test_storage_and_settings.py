"""Database lifecycle, settings and the command line."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import Settings, SettingsError
from storage.db import Database, DatabaseTooNew
from storage.migrations import MIGRATIONS
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parent.parent


async def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "sub" / "new.sqlite3")
    try:
        async with db.connection.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == len(MIGRATIONS)  # type: ignore[index]
        async with db.connection.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with db.connection.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    finally:
        await db.close()


async def test_database_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(DatabaseTooNew):
        await Database.open(path)


async def test_a_write_between_a_reads_rows_does_not_change_what_it_reads(tmp_path: Path) -> None:
    """Coroutines share one connection; a SELECT is read whole before another statement runs.

    The outbox counted 21 deliveries of 20 when the sender moved a row from one status group to
    a later one while `progress` was still reading its GROUP BY (seen on CI under load).
    """
    db = await Database.open(tmp_path / "atomic.sqlite3")
    try:
        connection = db.connection
        await connection.execute("CREATE TABLE t (reference TEXT, status TEXT)")
        await connection.execute("CREATE INDEX t_by ON t (reference, status)")
        await connection.executemany(
            "INSERT INTO t VALUES ('r', ?)", [("waiting",)] * 19 + [("sending",)]
        )
        async with connection.execute(
            "SELECT status, COUNT(*) FROM t WHERE reference = 'r' GROUP BY status"
        ) as cursor:
            # The sender's write lands after the first group was counted, before the next.
            await connection.execute("UPDATE t SET status = 'waiting' WHERE status = 'sending'")
            rows = await cursor.fetchall()
        assert [tuple(row) for row in rows] == [("sending", 1), ("waiting", 19)]
    finally:
        await db.close()


def test_settings_from_environment() -> None:
    settings = Settings.from_env(
        {
            "BOT_TOKEN": "123:secret",
            "COORDINATOR_IDS": "1, 2,3",
            "DEFAULT_LANGUAGE": "km",
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/",
            "CURRENT_CYCLE": "4",
        }
    )
    assert settings.coordinator_ids == frozenset({1, 2, 3})
    assert settings.base_url == "http://127.0.0.1:8081"
    assert settings.default_language == "km"
    assert settings.current_cycle == 4
    assert str(settings.timezone) == "Asia/Phnom_Penh"
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOT_TOKEN", ""),
        ("COORDINATOR_IDS", "12,abc"),
        ("TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("CURRENT_CYCLE", "zero"),
    ],
)
def test_bad_settings_are_explained(name: str, value: str) -> None:
    env = {"BOT_TOKEN": "1:x", name: value}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def run_cli(*args: str, tmp_path: Path, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_PATH")}
    env["DATABASE_PATH"] = str(tmp_path / "cli.sqlite3")
    if token:
        env["BOT_TOKEN"] = token
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_running_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli(tmp_path=tmp_path)
    assert result.returncode == 2
    assert "BotFather" in result.stderr


def test_import_command_reports_bad_rows(tmp_path: Path) -> None:
    data = tmp_path / "c3.csv"
    data.write_text(
        "cycle,number,text,recommending_states,response\n"
        "3,110.1,Protect journalists,Norway,accepted\n"
        "3,110.2,Protect defenders,,accepted\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(data), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "1 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "line 3: no recommending State" in result.stdout
    again = run_cli("import", str(data), tmp_path=tmp_path)
    assert "0 added, 0 updated, 1 unchanged, 1 rejected" in again.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        count = conn.execute("SELECT COUNT(*) FROM recommendations WHERE cycle = 3").fetchone()
    assert count == (1,)


async def test_services_that_fail_to_start_close_their_database(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("cannot wire the services")

    monkeypatch.setattr("bot.services.Coalition", broken)
    closed: list[Database] = []
    close = Database.close

    async def recorded(self: Database) -> None:
        closed.append(self)
        await close(self)

    monkeypatch.setattr(Database, "close", recorded)
    with pytest.raises(RuntimeError, match="cannot wire"):
        await Services.start(Settings(token="x", database_path=db_path), clock)
    assert len(closed) == 1
