"""Telegram's limits and faults: per-chat 429s, floods, an unreachable Telegram, kill -9."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.error import Forbidden, RetryAfter, TimedOut

from bot.app import running
from bot.delivery import Stopped
from bot.flood import ChatRateLimiter
from bot.settings import Settings
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, GROUP, KHMER_MEMBER, MEMBER, FakeClock, make_settings
from tests.fake_telegram import FakeTelegram, FloodLimits

ROOT = Path(__file__).resolve().parent.parent


def person(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"P{user_id}", "language_code": "en"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def logged(caplog: pytest.LogCaptureFixture, text: str, count: int = 1) -> None:
    """Wait (at most 10 s) until `text` was logged `count` times."""
    deadline = time.monotonic() + 10
    while sum(text in r.getMessage() for r in caplog.records) < count:
        assert time.monotonic() < deadline, f"never logged {count}× {text!r}"
        await asyncio.sleep(0.01)


async def test_a_429_in_one_chat_does_not_delay_another(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    tg.limits = FloodLimits.telegram()
    async with running(make_settings(tg, db_path), clock, poll_timeout=1):
        tg.flood_wait(MEMBER["id"], 2)
        await tg.send("118.6 c2", user=MEMBER)
        refused = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
        assert refused.error == "Too Many Requests: retry after 2"
        started = time.monotonic()
        other = await tg.reply_to(KHMER_MEMBER, "118.6 c2")
        assert time.monotonic() - started < 1.0  # the 429 paused MEMBER's chat only
        assert other.text.startswith("<b>118.6</b>")
        retried = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
        assert retried.error is None  # sent once Telegram's wait was over
        assert time.monotonic() - started > 1.0
    assert tg.unconsumed_errors() == []


async def test_a_group_flood_does_not_delay_a_private_lookup(
    tg: FakeTelegram, db_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """20 accounts each send 15 /find in one group (Telegram: 20 messages a minute there)."""
    tg.limits = FloodLimits.telegram()
    caplog.set_level(logging.INFO)
    flooders = [person(5000 + i) for i in range(20)]
    async with running(make_settings(tg, db_path), clock, poll_timeout=1, stop_grace=0.2):
        for _ in range(15):
            for flooder in flooders:
                await tg.send("/find land", user=flooder, chat=GROUP)
        for _ in range(20):  # the group's minute is used up: the flood is now queued
            await tg.next_call("sendMessage", chat_id=GROUP["id"])
        started = time.monotonic()
        reply = await tg.reply_to(MEMBER, "118.6 c2", timeout=30)
        latency = time.monotonic() - started
        assert reply.text.startswith("<b>118.6</b>")
        print(f"private lookup during the group flood answered in {latency:.3f} s")
        assert latency < 2.0
        await logged(caplog, f"chat {GROUP['id']} is flooding")
    assert tg.unconsumed_errors() == []  # the bot itself never went over the group's limit
    assert not [c for c in tg.calls if c.method == "sendMessage" and not c.consumed]
    assert not any("land" in r.getMessage() for r in caplog.records)  # no user text logged


async def test_a_burst_of_votes_in_one_group_is_not_dropped(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    """Button presses queue deeper than messages: a whole group voting at once loses nothing."""
    async with running(make_settings(tg, db_path), clock, poll_timeout=1):
        card = await tg.reply_to(MEMBER, "/find land", chat=GROUP)
        ids = await asyncio.gather(
            *(tg.press(card, "no-such-button", user=person(6000 + i)) for i in range(60))
        )
        answered = {
            (await tg.next_call("answerCallbackQuery")).params["callback_query_id"] for _ in ids
        }
        assert answered == set(ids)


async def test_the_bot_waits_for_telegram_at_start(
    db_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    port = free_port()
    tg = FakeTelegram()
    settings = Settings(token=tg.token, base_url=f"http://127.0.0.1:{port}", database_path=db_path)

    async def session() -> str:
        async with running(settings, clock, poll_timeout=1, first_retry=0.05):
            return (await tg.reply_to(MEMBER, "118.6 c2")).text

    started = asyncio.create_task(session())
    await logged(caplog, "connecting: Telegram is not reachable (NetworkError)", 3)
    # Then it is up, but its first answers are errors.
    tg.fail_next("getMe", 502, times=2)
    tg.fail_next("setMyCommands", 500)
    tg.fail_next("getUpdates", 502, times=2)
    await tg.start(port)
    try:
        assert (await asyncio.wait_for(started, 10)).startswith("<b>118.6</b>")
    finally:
        await tg.stop()
    await logged(caplog, "publishing commands: Telegram is not reachable (NetworkError)")
    await logged(caplog, "fetching updates: Telegram is not reachable (NetworkError)", 2)


async def test_stopping_while_telegram_is_unreachable(db_path: Path, clock: FakeClock) -> None:
    settings = Settings(
        token="1:x" * 3, base_url=f"http://127.0.0.1:{free_port()}", database_path=db_path
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, stop.set)
    with pytest.raises(Stopped):
        async with running(settings, clock, first_retry=0.05, stop=stop):
            pytest.fail("Telegram was never there")


# --- the real program, as a process ----------------------------------------------------------


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`python bot.py` with this environment, its output going to `log`."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "bot.py",
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "LOG_LEVEL": "DEBUG", **env},
            stdout=out,
            stderr=out,
        )


def read(log: Path) -> str:
    return log.read_text(errors="replace")


async def output_contains(log: Path, text: str) -> None:
    deadline = time.monotonic() + 60  # a start on a busy machine: bot.py imports a lot
    while text not in read(log):
        assert time.monotonic() < deadline, f"{text!r} never appeared in {read(log)}"
        await asyncio.sleep(0.02)


async def test_the_token_never_reaches_the_log(
    tg: FakeTelegram, template_db: Path, tmp_path: Path
) -> None:
    """Bad TELEGRAM_BASE_URLs: unreachable, garbage, a server answering 404, one answering 401."""
    secret = "987654:SECRET-token-that-must-never-be-printed"
    cases = {
        "unreachable": f"http://127.0.0.1:{free_port()}",
        "garbage": f"::{secret}::",
        "not-found": f"{tg.url}/nowhere",
        "unauthorized": tg.url,  # the fake answers 401 to any other token
    }
    logs = {name: tmp_path / f"{name}.log" for name in cases}
    procs = {}
    for name, url in cases.items():
        db = tmp_path / f"{name}.sqlite3"
        shutil.copy(template_db, db)
        env = {"BOT_TOKEN": secret, "TELEGRAM_BASE_URL": url, "DATABASE_PATH": str(db)}
        procs[name] = await start_bot(env, logs[name])
    await output_contains(logs["unreachable"], "Telegram is not reachable")
    procs["unreachable"].send_signal(signal.SIGTERM)
    codes = {name: await asyncio.wait_for(p.wait(), 60) for name, p in procs.items()}
    assert codes == {"unreachable": 0, "garbage": 2, "not-found": 2, "unauthorized": 2}
    assert "TELEGRAM_BASE_URL must be the address" in read(logs["garbage"])
    assert "Telegram did not accept BOT_TOKEN" in read(logs["not-found"])
    assert "Telegram did not accept BOT_TOKEN" in read(logs["unauthorized"])
    for name, log in logs.items():
        text = read(log)
        assert "SECRET-token" not in text, (name, text)


async def test_updates_fetched_before_a_kill_9_are_answered_after_restart(
    tg: FakeTelegram, db_path: Path, tmp_path: Path
) -> None:
    """30 lookups; 10 answered, 20 being handled when the process is killed; all answered."""
    env = {"BOT_TOKEN": tg.token, "TELEGRAM_BASE_URL": tg.url, "DATABASE_PATH": str(db_path)}
    log = tmp_path / "bot.log"
    users = [person(7000 + i) for i in range(30)]
    tg.stall("sendMessage", after=10)
    first = await start_bot(env, log)
    try:
        for user in users:
            await tg.send("118.6 c2", user=user)
        await tg.stalled("sendMessage", 20, timeout=60)
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
    tg.abandon("sendMessage")  # the killed process's requests never reached Telegram
    answered_before = {c.params["chat_id"] for c in tg.calls if c.method == "sendMessage"}
    assert len(answered_before) == 10

    second = await start_bot(env, log)
    try:
        answered: set[int] = set()
        while answered != {u["id"] for u in users}:  # next_call fails the test after 60 s
            answered.add(int((await tg.next_call("sendMessage", timeout=60)).params["chat_id"]))
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0
    assert "update(s) fetched before the last stop" in read(log)


async def test_an_action_that_changed_data_is_not_repeated_after_a_kill_9(
    tg: FakeTelegram, db_path: Path, tmp_path: Path
) -> None:
    """Killed while the answers are being sent: the round and the organisation exist once,
    their answers are lost (at most once); a look-up still being answered is answered."""
    env = {
        "BOT_TOKEN": tg.token,
        "TELEGRAM_BASE_URL": tg.url,
        "DATABASE_PATH": str(db_path),
        "COORDINATOR_IDS": str(COORDINATOR["id"]),
    }
    log = tmp_path / "bot.log"
    tg.stall("sendMessage")
    first = await start_bot(env, log)
    try:
        await tg.send("/openround c2 land : Kill test", user=COORDINATOR)
        await tg.send("/addorg KILL Killed organisation", user=COORDINATOR)
        await tg.stalled("sendMessage", 2, timeout=20)
        await tg.send("118.6 c2", user=person(7100))
        await tg.stalled("sendMessage", 3, timeout=20)
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
    tg.abandon("sendMessage")

    second = await start_bot(env, log)
    try:
        answer = await tg.next_call("sendMessage", timeout=60)
        assert answer.params["chat_id"] == "7100"
        await tg.send("/help", user=COORDINATOR)  # handled after any replay: a sync point
        await tg.next_call("sendMessage", chat_id=str(COORDINATOR["id"]), timeout=20)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0
    assert [c for c in tg.calls if c.method == "sendMessage" and not c.consumed] == []
    with sqlite3.connect(db_path) as db:
        rounds = db.execute("SELECT name FROM round_drafts").fetchall()  # awaiting [Open]
        organisations = db.execute("SELECT short_name FROM organisations").fetchall()
    assert rounds == [("Kill test",)]
    assert organisations == [("KILL",)]


async def test_the_fake_server_fails_like_telegram(tg: FakeTelegram, bot: BotApplication) -> None:
    """Bodies up to Telegram's 50 MB, 403 from blocked users, answers slower than the timeout."""
    export = b"organisation,colour\n" * 200_000  # 3.8 MiB, like a 300-organisation export
    sent = await bot.bot.send_document(MEMBER["id"], document=export, filename="round.csv")
    assert tg.documents[(MEMBER["id"], sent.message_id)] == ("round.csv", export)
    await tg.next_call("sendDocument")

    tg.blocked.add(MEMBER["id"])
    with pytest.raises(Forbidden):
        await bot.bot.send_document(MEMBER["id"], document=b"x", filename="x.csv")
    refused = await tg.next_call("sendDocument")
    assert refused.error == "Forbidden: bot was blocked by the user"

    tg.delay_next("getMe", 1.0)
    with pytest.raises(TimedOut):
        await bot.bot.get_me(read_timeout=0.2)


async def test_the_fake_server_enforces_telegrams_limits(tg: FakeTelegram) -> None:
    """A client that does not pace itself gets 429 with retry_after: per chat, group, overall."""
    tg.limits = FloodLimits(private=(2, 60.0), group=(3, 60.0), overall=(8, 60.0))

    async def sends(session: aiohttp.ClientSession, chat_id: int, count: int) -> list[Any]:
        outcomes = []
        for _ in range(count):
            async with session.post(
                f"{tg.url}/bot{tg.token}/sendMessage", data={"chat_id": chat_id, "text": "hi"}
            ) as response:
                body = await response.json()
                outcomes.append(body.get("parameters", {}).get("retry_after", response.status))
        return outcomes

    async with aiohttp.ClientSession() as session:
        assert await sends(session, MEMBER["id"], 3) == [200, 200, 60]
        assert await sends(session, GROUP["id"], 4) == [200, 200, 200, 60]
        assert await sends(session, KHMER_MEMBER["id"], 3) == [200, 200, 60]  # 7 sent
        assert await sends(session, 4242, 2) == [200, 60]  # the bot's 8 a minute are spent


async def test_429s_for_several_chats_pause_the_whole_bot() -> None:
    """Telegram does not say a 429 is about the whole bot: 429s from three chats at once are."""
    limiter = ChatRateLimiter(max_retries=0)

    async def refused() -> bool:
        raise RetryAfter(1)

    async def sent() -> bool:
        return True

    async def send(chat_id: int, request: Callable[[], Awaitable[bool]]) -> Any:
        return await limiter.process_request(
            request, (), {}, "sendMessage", {"chat_id": chat_id}, None
        )

    for chat_id in (1, 2):
        with pytest.raises(RetryAfter):
            await send(chat_id, refused)
    started = time.monotonic()
    assert await send(4, sent)
    assert time.monotonic() - started < 0.5  # two chats: their own business
    with pytest.raises(RetryAfter):
        await send(3, refused)
    assert await send(5, sent)
    assert time.monotonic() - started > 0.9  # the third: everyone waited
