"""Time, injected: the domain never calls datetime.now() itself."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Gives the current moment as an aware UTC datetime."""

    def now(self) -> dt.datetime:
        """The current moment, aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current moment, aware, in UTC."""
        return dt.datetime.now(dt.UTC)
