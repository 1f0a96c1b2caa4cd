"""Outgoing pace: Telegram's flood limits kept per chat, so one chat's 429 never stalls another."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import logging
import os
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.domain.clock import Pacer, SystemClock

log = logging.getLogger(__name__)

# PTB 22 warns each time it builds a RetryAfter unless durations are opted in to timedeltas
# (PTB 23's behaviour); the bot reads no other duration attribute.
os.environ.setdefault("PTB_TIMEDELTA", "1")

# Sends land at Telegram a little later than we count them: keep this much clear of each limit
# (a hundredth of the overall 1-second window, 50 ms of the longer per-chat windows).
MARGIN = 0.05

# Set by the outbox's sender for its requests: answers to users take the overall budget first.
background: ContextVar[bool] = ContextVar("background", default=False)


@dataclass(frozen=True)
class Window:
    """At most `count` messages in any `seconds`."""

    count: int
    seconds: float


# Telegram's FAQ: "avoid sending more than one message per second" to one chat ("short bursts"
# are allowed; edits of a message the user just pressed are not counted); "no more than 20
# messages per minute" to a group, edits included; about 30 messages a second overall.
PRIVATE = Window(5, 5.0)
GROUP = Window(20, 60.0)
OVERALL = Window(30, 1.0)


class _Sliding:
    """The times of the last messages under one window."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.times: deque[float] = deque()
        self.margin = min(MARGIN, window.seconds / 100)

    def landed(self, started: float, landed: float) -> None:
        """Count a message from when Telegram answered instead of when it left: it arrived in
        between, so requests that were slow on the way never look bunched to Telegram."""
        with contextlib.suppress(ValueError):
            self.times.remove(started)
            bisect.insort(self.times, landed)

    def wait(self, now: float, reserve: int = 0) -> float:
        """Seconds until one more message fits (0: now), keeping `reserve` places free."""
        horizon = now - self.window.seconds - self.margin
        while self.times and self.times[0] <= horizon:
            self.times.popleft()
        room = self.window.count - reserve
        if room <= 0:  # answers are waiting for every place: look again shortly
            return self.window.seconds / self.window.count
        if len(self.times) < room:
            return 0.0
        return self.times[max(0, len(self.times) - room)] - horizon


class ChatRateLimiter(BaseRateLimiter[None]):
    """Paces messages per chat and overall; a 429 delays the chat it names, not the whole bot.

    Telegram's 429 does not say whether it concerns one chat or the whole bot: a 429 for a
    request without a chat, or 429s for several chats within a second, pause everything.
    Requests made in `background` (the outbox's sender, which paces each chat itself) share the
    overall window but yield every free place to an answer waiting for one, and a 429 is
    returned to them at once (the sender reschedules that delivery) instead of being retried.
    """

    def __init__(
        self,
        private: Window = PRIVATE,
        group: Window = GROUP,
        overall: Window = OVERALL,
        max_retries: int = 3,
        clock: Pacer | None = None,
    ) -> None:
        """Limits per private chat, per group and overall; retries after at most `max_retries` 429s."""
        self._private = private
        self._group = group
        self._overall = _Sliding(overall)
        self._max_retries = max_retries
        self._clock = clock or SystemClock()
        self._answers_waiting = 0  # answers (not background) waiting for the overall window
        self._chats: dict[int | str, _Sliding] = {}
        self._paused: dict[int | str | None, float] = {}  # None: the whole bot
        self._recent_429: deque[tuple[float, int | str]] = deque()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's and the bot's turn, send; after a 429 wait as told and retry."""
        chat = _chat_of(data)
        behind = background.get()
        # Edits in a private chat count only towards the bot's overall pace.
        paced = not behind and not (isinstance(chat, int) and chat > 0 and not _sends(endpoint))
        retries = 0 if behind else self._max_retries
        for attempt in range(retries + 1):
            windows, started = await self._turn(chat, paced, behind)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
                scope = self._pause(chat, seconds)
                if attempt == retries:
                    log.warning("%s: still flood-limited after %d retries", endpoint, retries)
                    raise
                log.info("%s: flood-limited; %s waits %.0f s", endpoint, scope, seconds)
            finally:
                landed = self._clock.monotonic()
                for window in windows:
                    window.landed(started, landed)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _turn(
        self, chat: int | str | None, paced: bool, behind: bool = False
    ) -> tuple[list[_Sliding], float]:
        """Return once a message to `chat` is within every limit, counting it as sent; the
        windows it counts in and when."""
        counted = False
        try:
            while True:
                now = self._clock.monotonic()
                wait = max(self._paused.get(None, 0.0), self._paused.get(chat, 0.0)) - now
                windows = [self._overall] if chat is not None else []
                if chat is not None and paced:
                    windows.append(self._window(chat))
                reserve = self._answers_waiting if behind else 0
                wait = max([wait, *(w.wait(now, reserve) for w in windows)])
                if wait <= 0:
                    for window in windows:
                        window.times.append(now)
                    return windows, now
                if not behind and not counted and chat is not None:
                    counted = True
                    self._answers_waiting += 1
                await self._clock.sleep(max(wait, 0.001))
        finally:
            if counted:
                self._answers_waiting -= 1

    def _window(self, chat: int | str) -> _Sliding:
        window = self._chats.get(chat)
        if window is None:
            if len(self._chats) >= 10_000:  # forget idle chats: memory stays bounded
                now = self._clock.monotonic()
                for key in [k for k, w in self._chats.items() if w.wait(now) == 0 and not w.times]:
                    del self._chats[key]
                for paused in [k for k, until in self._paused.items() if until <= now]:
                    del self._paused[paused]
            is_group = isinstance(chat, str) or chat < 0
            window = _Sliding(self._group if is_group else self._private)
            self._chats[chat] = window
        return window

    def _pause(self, chat: int | str | None, seconds: float) -> str:
        """Pause the chat, or the whole bot when the 429 is not about one chat; say which."""
        now = self._clock.monotonic()
        if chat is not None:
            self._recent_429.append((now, chat))
            while self._recent_429 and self._recent_429[0][0] < now - 1.0:
                self._recent_429.popleft()
        scope = None if chat is None or len({c for _, c in self._recent_429}) >= 3 else chat
        self._paused[scope] = max(self._paused.get(scope, 0.0), now + seconds)
        return "the whole bot" if scope is None else "one chat"


def _sends(endpoint: str) -> bool:
    """A new message (not an edit, an answer or a read)."""
    return endpoint.startswith(("send", "copy", "forward"))


def _chat_of(data: dict[str, Any]) -> int | str | None:
    """The chat a request writes to: an int id, an @channel name, or None."""
    chat = data.get("chat_id")
    if chat is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat)
    return str(chat)
