"""Fixtures: a fresh fake Bot API server and a real bot on a real SQLite file, per test."""

from __future__ import annotations

import asyncio
import datetime as dt
import gettext
import math
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import running
from bot.flood import ChatRateLimiter, Window
from bot.services import Services
from bot.settings import Settings
from handlers.common import BotApplication
from tests.fake_telegram import FakeTelegram

COORDINATOR_ID = 111
MEMBER = {"id": 222, "is_bot": False, "first_name": "Sokha", "language_code": "en"}
KHMER_MEMBER = {"id": 333, "is_bot": False, "first_name": "Dara", "language_code": "km"}
COORDINATOR = {"id": COORDINATOR_ID, "is_bot": False, "first_name": "Coord", "language_code": "en"}
GROUP = {"id": -100500, "type": "supergroup", "title": "Land working group"}


class Words(gettext.NullTranslations):
    """A reader's language whose translations are given by hand."""

    def __init__(self, words: dict[str, str]) -> None:
        super().__init__()
        self.words = words

    def gettext(self, message: str) -> str:
        return self.words.get(message, message)


class FakeClock:
    """A clock the tests move by hand; whoever paces itself by it moves it (virtual time)."""

    def __init__(self, now: dt.datetime) -> None:
        self.current = now
        self._start = now

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)

    def monotonic(self) -> float:
        return (self.current - self._start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Time passes at once: the pacing is exact and the test does not wait."""
        # Rounded up to the microsecond a datetime holds, so a short wait still moves time.
        self.current += dt.timedelta(microseconds=math.ceil(max(seconds, 0.0) * 1e6))
        await asyncio.sleep(0)


async def until(check: Callable[[], Awaitable[object]], what: str) -> None:
    """Wait (up to 5 s) until `check()` gives something true: for what the bot stores just
    after sending, which a test's reply could otherwise outrun."""
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} never happened")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the bundled data loaded once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "bot.sqlite3"

    async def build() -> None:
        services = await Services.start(
            Settings(token="x", database_path=path),
            FakeClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        )
        await services.database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await services.close()

    asyncio.run(build())
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    shutil.copy(template_db, path)
    return path


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def make_settings(tg: FakeTelegram, db_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "token": tg.token,
        "base_url": tg.url,
        "database_path": db_path,
        "coordinator_ids": frozenset({COORDINATOR_ID}),
        # Round notices go out through the outbox; their own tests turn them on
        # (tests/test_round_notices_bot.py), the others read the bot's answers undisturbed.
        "round_notices": False,
    }
    values.update(overrides)
    return Settings(**values)


def loose_limiter() -> ChatRateLimiter:
    """Telegram's limits, but private chats unpaced: tests type faster than people do."""
    return ChatRateLimiter(private=Window(1_000, 1.0))


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: FakeClock) -> AsyncIterator[BotApplication]:
    """The real Application, polling the fake server; fails the test on any refused call."""
    async with running(
        make_settings(tg, db_path), clock, poll_timeout=1, limiter=loose_limiter()
    ) as app:
        yield app
    assert tg.unconsumed_errors() == []


@pytest.fixture
async def services(db_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    """The services on a real SQLite copy of the bundled data, without Telegram."""
    started = await Services.start(Settings(token="x", database_path=db_path), clock)
    yield started
    await started.close()


@pytest.fixture
async def coordinated(db_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    """The services with one coordinator (COORDINATOR_ID), without Telegram."""
    settings = Settings(
        token="x", database_path=db_path, coordinator_ids=frozenset({COORDINATOR_ID})
    )
    started = await Services.start(settings, clock)
    yield started
    await started.close()
