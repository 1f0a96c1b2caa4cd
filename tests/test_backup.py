"""Backups: consistent copies taken while the bot writes, rotation, before migrations."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import sqlite3
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import running
from bot.domain.assessment import Colour
from bot.domain.services import BackupFailed
from bot.main import main
from bot.services import Services
from bot.settings import Settings, SettingsError
from handlers.common import BotApplication
from storage.backup import Backups, integrity_problem
from storage.db import Database
from storage.instance import single_instance
from storage.migrations import MIGRATIONS
from tests.conftest import COORDINATOR, COORDINATOR_ID, MEMBER, FakeClock, make_settings
from tests.fake_telegram import FakeTelegram


def count(path: Path, table: str) -> int:
    """Rows in a table of a database file."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(n)


async def test_a_backup_taken_while_ratings_are_written_holds_every_earlier_rating(
    db_path: Path, tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(token="x", database_path=db_path, backup_dir=tmp_path / "backups")
    services = await Services.start(settings, clock)
    try:
        members = services.coalition.repository
        orgs = [
            await members.add_organisation(f"O{n}", f"Org {n}", actor=0, now=clock.now())
            for n in range(5)
        ]
        recs = [r.id for r in services.catalog.recommendations][:100]
        ratings = services.assessments.repository
        round_id = await ratings.open_round("R", 2, "all", recs, None, actor=0, now=clock.now())
        committed = 0
        busy = asyncio.Event()

        async def tap() -> None:  # members rating, one transaction per tap, all along
            nonlocal committed
            for rec in recs:
                for org in orgs:
                    await ratings.rate(round_id, rec, org, Colour.GREEN, clock.now())
                    committed += 1
                    if committed == 200:
                        busy.set()

        taps = asyncio.create_task(tap())
        await busy.wait()
        before = committed
        path = await services.backup()
        during = committed - before
        await taps
    finally:
        await services.close()
    assert integrity_problem(path) is None
    assert count(path, "ratings") >= before
    assert during > 0  # the taps went on while the copy was made
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent == tmp_path / "backups"
    assert path.name == "bot-20261123-020000.sqlite3"


def test_rotation_keeps_exactly_backup_keep(db_path: Path, tmp_path: Path) -> None:
    backups = Backups(db_path, tmp_path / "b", keep=3)
    start = dt.datetime(2026, 11, 1, 19, 0, tzinfo=dt.UTC)
    taken = [backups.take(start + dt.timedelta(days=n)) for n in range(5)]
    (tmp_path / "b" / "notes.txt").write_text("not a backup")
    (tmp_path / "b" / "bot-replaced-20261101-000000.sqlite3").write_text("kept by a restore")
    backups.take(start + dt.timedelta(days=5))
    assert [p.name for p in backups.existing()] == [
        "bot-20261104-190000.sqlite3",
        "bot-20261105-190000.sqlite3",
        "bot-20261106-190000.sqlite3",
    ]
    assert not taken[0].exists()
    assert (tmp_path / "b" / "notes.txt").exists()
    assert (tmp_path / "b" / "bot-replaced-20261101-000000.sqlite3").exists()


def test_a_copy_that_is_not_a_database_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    broken = tmp_path / "bot.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    backups = Backups(broken, tmp_path / "b", keep=3)
    with pytest.raises(BackupFailed):
        backups.take(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert list((tmp_path / "b").iterdir()) == []


async def test_a_failed_migration_leaves_the_backup_and_the_old_database(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An upgrade whose new migration fails half-way, after a first statement that worked.
    broken = "INSERT INTO organisations (short_name, name, created_at) VALUES ('X', 'X', '');\n"
    monkeypatch.setattr("storage.db.MIGRATIONS", [*MIGRATIONS, broken + "SELECT nonsense();"])
    organisations = count(db_path, "organisations")
    backups = Backups(db_path, tmp_path / "b", keep=14)
    at = dt.datetime(2026, 11, 30, 1, 2, 3, tzinfo=dt.UTC)
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(db_path, backups, at)
    [backup] = backups.existing()
    assert backup.name == f"bot-20261130-010203-before-schema-{len(MIGRATIONS) + 1}.sqlite3"
    for path in (backup, db_path):
        assert integrity_problem(path) is None
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        assert count(path, "organisations") == organisations


async def test_no_backup_when_nothing_is_migrated(db_path: Path, tmp_path: Path) -> None:
    backups = Backups(db_path, tmp_path / "b", keep=14)
    fresh = Backups(tmp_path / "new.sqlite3", tmp_path / "b", keep=14)
    for database in (
        await Database.open(db_path, backups),
        await Database.open(fresh.database, fresh),
    ):
        await database.close()
    assert backups.existing() == []
    assert fresh.existing() == []


async def test_the_daily_backup_runs_at_backup_time_into_the_default_folder(
    bot: BotApplication, db_path: Path
) -> None:
    assert bot.job_queue is not None
    [job] = bot.job_queue.get_jobs_by_name("backup")
    assert job.next_t is not None
    local = job.next_t.astimezone(ZoneInfo("Asia/Phnom_Penh"))
    assert (local.hour, local.minute) == (2, 0)
    await job.run(bot)
    [backup] = (db_path.parent / "backups").iterdir()
    assert integrity_problem(backup) is None


def test_backup_settings() -> None:
    settings = Settings.from_env(
        {"BACKUP_DIR": "/srv/copies", "BACKUP_TIME": "03:30", "BACKUP_KEEP": "30"},
        require_token=False,
    )
    assert settings.backup_folder == Path("/srv/copies")
    assert settings.backup_time == dt.time(3, 30)
    assert settings.backup_keep == 30
    assert Settings(token="x").backup_folder == Path("var/backups")
    for bad in ({"BACKUP_TIME": "25:00"}, {"BACKUP_TIME": "2am"}, {"BACKUP_KEEP": "0"}):
        with pytest.raises(SettingsError, match="BACKUP_"):
            Settings.from_env(bad, require_token=False)


def restore_cli(
    db_path: Path, backup: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`bot.py restore BACKUP` on `db_path`: its exit status and what it printed."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_PATH", str(db_path))
        status = main(["restore", str(backup)])
    out, err = capsys.readouterr()
    return status, out + err


def add_organisation(db_path: Path, short_name: str) -> None:
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO organisations (short_name, name, created_at) VALUES (?, ?, '')",
            (short_name, short_name),
        )


def test_restore_puts_the_backup_in_place_and_keeps_the_old_database(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_organisation(db_path, "ADHOC")
    backup = Backups(db_path, tmp_path / "b", keep=3).take(
        dt.datetime(2026, 11, 29, 19, 0, tzinfo=dt.UTC)
    )
    add_organisation(db_path, "LICADHO")  # after the backup: the restore takes it away
    status, said = restore_cli(db_path, backup, capsys)
    assert status == 0, said
    first, second = said.splitlines()
    assert first == (
        f"restored {backup} (taken 2026-11-29 19:00 UTC): 1 organisations, 0 rounds, 0 ratings"
    )
    [aside] = tmp_path.glob("bot-replaced-*.sqlite3")
    assert second == f"the database it replaced is kept as {aside}"
    assert count(db_path, "organisations") == 1
    assert count(aside, "organisations") == 2
    assert integrity_problem(db_path) is None
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_restore_refuses_a_running_bot_a_damaged_file_and_a_newer_schema(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = Backups(db_path, tmp_path / "b", keep=3).take(
        dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    )
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(backup.read_bytes()[:20_000])
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(backup.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    add_organisation(db_path, "ADHOC")
    before = db_path.read_bytes()

    with single_instance(db_path):
        status, said = restore_cli(db_path, backup, capsys)
    assert (status, said.split(" is already running")[0]) == (
        2,
        f"error: another bot (process {os.getpid()})",
    )
    status, said = restore_cli(db_path, damaged, capsys)
    assert status == 2
    assert said.startswith(f"error: {damaged} is damaged: ")
    status, said = restore_cli(db_path, newer, capsys)
    assert status == 2
    assert said.startswith(f"error: {newer} comes from a newer version of the bot")
    status, said = restore_cli(db_path, empty, capsys)
    assert (status, said) == (2, f"error: {empty} is not a database of this bot\n")
    assert db_path.read_bytes() == before
    assert list(tmp_path.glob("bot-replaced-*")) == []


async def test_status_shows_coordinators_the_version_database_and_last_backup(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await tg.reply_to(COORDINATOR, "/status")
    lines = reply.text.splitlines()
    assert lines[0] == "<b>Bot status</b>"
    assert lines[1].startswith("Version 0.1.0, running since ")
    assert lines[2].startswith("Database: ")
    assert lines[3] == "No backup yet: the first runs at 02:00."
    assert bot.job_queue is not None
    [job] = bot.job_queue.get_jobs_by_name("backup")
    await job.run(bot)
    reply = await tg.reply_to(COORDINATOR, "/status")
    assert re.fullmatch(r"Last backup: .+, \d+\.\d MB \(1 kept\)\.", reply.text.splitlines()[3])
    reply = await tg.reply_to(MEMBER, "/status")
    assert reply.text == "Only coordinators can do this."


async def test_a_failed_backup_is_told_to_coordinators_privately(
    tg: FakeTelegram, db_path: Path, tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "a-file").write_text("")
    settings = make_settings(tg, db_path, backup_dir=tmp_path / "a-file" / "backups")
    async with running(settings, clock, poll_timeout=1) as app:
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name("backup")
        await job.run(app)
        told = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert told.params["text"].startswith("The daily backup failed: ")
    assert told.params["text"].endswith(
        "The bot keeps running; ask whoever runs the server to check its disk."
    )


def test_backups_and_restores_carry_no_inbox(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An update waiting in the inbox holds a member's words: not in backups, and never handled
    again after a restore (Telegram moved on long ago)."""

    def put_in_inbox(path: Path) -> None:
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            conn.execute(
                "INSERT INTO inbox (update_id, body) VALUES (7, ?)",
                ('{"update_id": 7, "message": {"text": "secret words"}}',),
            )

    put_in_inbox(db_path)
    backup = Backups(db_path, tmp_path / "b", keep=3).take(
        dt.datetime(2026, 11, 29, 19, 0, tzinfo=dt.UTC)
    )
    assert count(backup, "inbox") == 0
    assert b"secret words" not in backup.read_bytes()
    put_in_inbox(backup)  # a copy made some other way, with its inbox
    status, said = restore_cli(db_path, backup, capsys)
    assert status == 0, said
    assert count(db_path, "inbox") == 0
