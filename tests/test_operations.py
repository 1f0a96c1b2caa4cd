"""Operations: one bot per database, start-up scripts, what the log says."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.app import running
from bot.main import configure_logging
from storage.instance import DatabaseInUse, single_instance
from tests.conftest import COORDINATOR, FakeClock, make_settings
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash") or "/bin/bash"


def bot_env(tg: FakeTelegram, db_path: Path) -> dict[str, str]:
    """A minimal environment for `bot.py` in a child process, on the fake server."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "BOT_TOKEN": tg.token,
        "TELEGRAM_BASE_URL": tg.url,
        "DATABASE_PATH": str(db_path),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


async def run_bot_py(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run `python bot.py ARGS` to its end; its exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_second_bot_on_one_database_is_refused_and_import_still_works(
    tg: FakeTelegram, db_path: Path, tmp_path: Path
) -> None:
    env = bot_env(tg, db_path)
    first = await asyncio.create_subprocess_exec(
        sys.executable, "bot.py", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert first.stderr is not None
        log = ""
        while "is running" not in log:
            line = await asyncio.wait_for(first.stderr.readline(), 30)
            assert line, f"the first bot stopped: {log}"
            log += line.decode()

        status, _, err = await run_bot_py(env)
        assert status == 2
        assert f"another bot (process {first.pid}) is already running" in err
        assert "Traceback" not in err

        # Imports are made beside the running bot, which picks them up.
        rows = tmp_path / "cycle9.csv"
        rows.write_text(
            "cycle,number,text,recommending_states,response\n"
            "9,150.1,Ratify the Convention against Enforced Disappearance,Chile,accepted\n",
            encoding="utf-8",
        )
        status, out, err = await run_bot_py(env, "import", str(rows))
        assert status == 0, err
        assert "1 added" in out
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()

    # kill -9 leaves the lock file behind, but not the lock: the next start is not blocked.
    assert (db_path.parent / f"{db_path.name}.lock").exists()
    with single_instance(db_path), pytest.raises(DatabaseInUse), single_instance(db_path):
        pass


async def test_the_log_has_round_events_and_nothing_per_job_run(
    tg: FakeTelegram, db_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("INFO")
    caplog.set_level(logging.INFO)
    settings = make_settings(tg, db_path, card_edit_seconds=0.1)
    async with running(settings, clock, poll_timeout=1) as app:
        assert app.job_queue is not None
        runs = 0
        five_runs = asyncio.Event()

        def count(event: JobExecutionEvent) -> None:
            nonlocal runs
            runs += 1
            if runs == 5:
                five_runs.set()

        app.job_queue.scheduler.add_listener(count, EVENT_JOB_EXECUTED)
        preview = await tg.reply_to(
            COORDINATOR, "/openround c2 118.1-118.2 until 2026-11-30 : Short round"
        )
        await press(tg, preview, button(preview, "Open"), COORDINATOR)
        assert (await edited(tg, preview)).text.startswith("Round 1 ")
        clock.advance(days=8)  # the next run of the card job closes the round
        await asyncio.wait_for(five_runs.wait(), 30)

        def closed() -> bool:
            return any(r.getMessage().startswith("round 1 closed") for r in caplog.records)

        # On a busy machine the scheduler may skip a run of the card job (it says so at
        # WARNING): five runs of the other jobs can come first. Wait for the close itself.
        for _ in range(600):
            if closed():
                break
            await asyncio.sleep(0.05)
    # (A WARNING may say a run was skipped on a busy machine: that one an operator wants.)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line for line in lines if line.startswith("round ")] == [
        "round 1 opened: 2 recommendations",
        "round 1 closed: its closing date has passed",
    ]
    assert len(lines) == len(set(lines)), lines  # five job runs, and no line repeats


def script_copy(tmp_path: Path) -> Path:
    """scripts/run-bot and what it needs, in a folder of their own (with no .venv yet)."""
    (tmp_path / "scripts").mkdir()
    for name in ("scripts/run-bot", "scripts/venv.sh", "requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def run_script(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the copy's scripts/run-bot with nothing in the environment but PATH and `env`."""
    return subprocess.run(  # noqa: S603
        [BASH, str(root / "scripts" / "run-bot"), *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_bot_without_a_token_says_so_and_installs_nothing(tmp_path: Path) -> None:
    root = script_copy(tmp_path)
    result = run_script(root)
    assert result.returncode == 2
    assert result.stderr.startswith("error: BOT_TOKEN is not set. Talk to @BotFather")
    assert not (root / ".venv").exists()


def test_run_bot_installs_only_when_the_lock_or_pyproject_changed(tmp_path: Path) -> None:
    root = script_copy(tmp_path)
    # A stand-in for the venv's python that notes how it was called.
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\ncat > /dev/null\n')
    python.chmod(0o755)
    calls = python.parent / "calls"

    def started(*args: str, **env: str) -> list[str]:
        calls.write_text("")
        result = run_script(root, *args, **env)
        assert result.returncode == 0, result.stderr
        return calls.read_text().splitlines()

    first = started(BOT_TOKEN="1:x")
    assert [c for c in first if " pip " in f" {c} "] == [
        "-m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock",
        "-m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .",
    ]
    assert first[-1] == "bot.py"
    assert started(BOT_TOKEN="1:x") == ["bot.py"]  # a restart: no pip, no network
    assert started("import", "cycle4.csv") == ["bot.py import cycle4.csv"]  # no token needed
    with (root / "pyproject.toml").open("a") as file:
        file.write("\n# a change\n")
    assert len(started(BOT_TOKEN="1:x")) == 4  # two installs, the lock check, the bot
    assert started(BOT_TOKEN="1:x") == ["bot.py"]


def check_lock(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run scripts/check_lock.py in `cwd` (which holds a pyproject.toml)."""
    return subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "scripts" / "check_lock.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_lock_files_pin_everything_pyproject_asks_for(tmp_path: Path) -> None:
    # Fails when a dependency was added to pyproject.toml without `scripts/lock`.
    assert check_lock(ROOT, "requirements.lock").stderr == ""
    assert check_lock(ROOT, "requirements-test.lock", "test").stderr == ""

    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    lock = (ROOT / "requirements-test.lock").read_text()
    without_apscheduler = re.sub(r"(?m)^apscheduler==.*\n(    .*\n)*", "", lock)
    (tmp_path / "requirements-test.lock").write_text(without_apscheduler)
    result = check_lock(tmp_path, "requirements-test.lock", "test")
    assert result.returncode == 1
    _, problem, advice = result.stderr.splitlines()
    assert problem.startswith("  apscheduler")  # python-telegram-bot[job-queue] needs it
    assert problem.endswith(" is not in requirements-test.lock")
    assert advice == "Run scripts/lock to refresh them, then commit both .lock files."


def test_the_database_lock_holds_through_a_symlink_or_another_path(tmp_path: Path) -> None:
    real = tmp_path / "data" / "bot.db"
    real.parent.mkdir()
    real.touch()
    alias = tmp_path / "alias.db"
    alias.symlink_to(real)
    roundabout = tmp_path / "data" / ".." / "data" / "bot.db"
    with single_instance(real):
        for other in (alias, roundabout):
            with pytest.raises(DatabaseInUse), single_instance(other):
                pass


async def test_a_socks_proxy_is_refused_at_start_in_one_line(
    tg: FakeTelegram, db_path: Path
) -> None:
    """The bot never goes around a proxy it was given: one it cannot use stops it, saying
    which variable (no traceback)."""
    env = {**bot_env(tg, db_path), "HTTPS_PROXY": "socks5://127.0.0.1:1080"}
    status, _, err = await run_bot_py(env)
    assert status == 2
    assert "error: HTTPS_PROXY is a socks5 proxy" in err
    assert "Traceback" not in err
