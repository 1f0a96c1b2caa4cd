"""Time, injected: the domain never calls datetime.now() itself, nor sleeps on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    """Gives the current moment as an aware UTC datetime."""

    def now(self) -> dt.datetime:
        """The current moment, aware, in UTC."""
        ...


class Pacer(Protocol):
    """Elapsed seconds and waiting, for code that paces itself (flood limits, the outbox)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes back."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this long (a test's clock moves itself forward instead)."""
        ...


class PacingClock(Clock, Pacer, Protocol):
    """A clock that also paces."""


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current moment, aware, in UTC."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes back."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait this long."""
        await asyncio.sleep(seconds)
