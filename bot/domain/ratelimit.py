"""Per-user flood limits: one account must not be able to exhaust the bot."""

from __future__ import annotations

from collections import deque

from bot.domain.clock import Clock


class RateLimiter:
    """A sliding window of `limit` actions per `window` seconds for each user, in memory."""

    def __init__(
        self, clock: Clock, limit: int, window: float = 60.0, max_users: int = 50_000
    ) -> None:
        """Allow `limit` actions per user per `window` seconds of `clock`'s time."""
        self._clock = clock
        self.limit = limit
        self.window = window
        self._max_users = max_users
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def ready(self, user_id: int) -> bool:
        """Whether `allow` would allow one more action now (counts nothing)."""
        since = self._clock.now().timestamp() - self.window
        return sum(1 for t in self._seen.get(user_id, ()) if t > since) < self.limit

    def allow(self, user_id: int) -> bool:
        """Count one action; False when the user is over the limit."""
        now = self._clock.now().timestamp()
        times = self._seen.get(user_id)
        if times is None:
            if len(self._seen) >= self._max_users:  # forget the idle, keep memory bounded
                self._seen = {
                    u: t for u, t in self._seen.items() if t and t[-1] > now - self.window
                }
            times = self._seen.setdefault(user_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def should_warn(self, user_id: int) -> bool:
        """True once per window for a user over the limit, so the warning itself cannot flood."""
        now = self._clock.now().timestamp()
        last = self._warned.get(user_id)
        if last is not None and last > now - self.window:
            return False
        self._warned[user_id] = now
        return True
