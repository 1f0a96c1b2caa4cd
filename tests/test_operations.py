"""Operations: one bot per database, start-up scripts, what the log says."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from storage.instance import DatabaseInUse, single_instance
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


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
