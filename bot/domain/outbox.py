"""The outbox: every message the bot sends on its own initiative, as a durable row.

A delivery is written in the same transaction as the event that causes it (`stage` inside
`along`), and one sender drains the table within Telegram's limits (bot/outbox_sender.py).
Plain Python: the storage writes the rows, the composition root talks to Telegram.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.clock import Clock

if TYPE_CHECKING:
    from bot.domain.repositories import OutboxStore

T = TypeVar("T")


class Job(StrEnum):
    """What a delivery belongs to."""

    NOTICE = "notice"
    PROMPT = "prompt"
    BROADCAST = "broadcast"
    NUDGE = "nudge"


class DeliveryStatus(StrEnum):
    """Where a delivery is: WAITING → SENDING → SENT, or FAILED / BLOCKED / CANCELLED."""

    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


FINISHED = frozenset(
    {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BLOCKED, DeliveryStatus.CANCELLED}
)


class InvalidContent(ValueError):
    """Stored content that does not describe a message."""


@dataclass(frozen=True)
class Button:
    """An inline button: callback `data` (<= 64 bytes) or a `url`."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Content:
    """What one recipient gets, already in their language.

    `text` is HTML when `entities` is None, else plain text with Telegram's entities; with a
    `photo` or `document` (a Telegram file_id) it is the caption. `picture` names a picture
    drawn when it is sent (not stored: "results:3:group:2", see bot/domain/round_notices.py),
    in the delivery's language; the text goes with it as its caption when short enough.
    """

    text: str
    entities: tuple[dict[str, Any], ...] | None = None
    photo: str | None = None
    document: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    force_reply: str | None = None  # the reply field's placeholder: the recipient is asked
    silent: bool = False
    pin: bool = False
    picture: str | None = None

    def to_json(self) -> str:
        """The content as JSON (what the deliveries table stores)."""
        return json.dumps(
            {
                "text": self.text,
                "entities": list(self.entities) if self.entities is not None else None,
                "photo": self.photo,
                "document": self.document,
                "picture": self.picture,
                "buttons": [
                    [{"label": b.label, "data": b.data, "url": b.url} for b in row]
                    for row in self.buttons
                ],
                "force_reply": self.force_reply,
                "silent": self.silent,
                "pin": self.pin,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> Content:
        """Read what `to_json` wrote; InvalidContent for anything else."""
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise InvalidContent("not JSON") from exc
        if not isinstance(value, dict):
            raise InvalidContent("not an object")
        entities = value.get("entities")
        if entities is not None and not (
            isinstance(entities, list) and all(isinstance(e, dict) for e in entities)
        ):
            raise InvalidContent("entities must be a list of objects")
        rows = value.get("buttons", [])
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise InvalidContent("buttons must be a list of rows")
        return cls(
            text=_typed(value, "text", str),
            entities=tuple(entities) if entities is not None else None,
            photo=_optional(value, "photo", str),
            document=_optional(value, "document", str),
            picture=_optional(value, "picture", str),
            buttons=tuple(tuple(_button(b) for b in row) for row in rows),
            force_reply=_optional(value, "force_reply", str),
            silent=_typed(value, "silent", bool, False),
            pin=_typed(value, "pin", bool, False),
        )


def _button(raw: object) -> Button:
    if not isinstance(raw, dict):
        raise InvalidContent("a button must be an object")
    return Button(
        _typed(raw, "label", str), _optional(raw, "data", str), _optional(raw, "url", str)
    )


def _typed(value: dict[str, Any], key: str, kind: type[T], default: T | None = None) -> T:
    item = value.get(key, default)
    if not isinstance(item, kind):
        raise InvalidContent(f"{key} must be {kind.__name__}")
    return item


def _optional(value: dict[str, Any], key: str, kind: type[T]) -> T | None:
    item = value.get(key)
    if item is not None and not isinstance(item, kind):
        raise InvalidContent(f"{key} must be {kind.__name__} or null")
    return item


@dataclass(frozen=True)
class Outgoing:
    """A message to send: to whom, what, for which job, not before when."""

    chat_id: int
    content: Content
    job: Job
    topic_id: int | None = None
    language: str | None = None
    reference: str | None = None  # what it belongs to: "broadcast:12", "prompt:3:118", …
    not_before: dt.datetime | None = None  # aware UTC; None: as soon as possible
    organisation_id: int | None = None  # for reports of who could not be reached


@dataclass(frozen=True)
class Unpinned:
    """A group chat where a message was sent but could not be pinned (the bot may not pin)."""

    reference: str
    chat_id: int
    title: str  # the chat's title when it was linked, or ""


@dataclass(frozen=True)
class Delivery:
    """One row of the deliveries table."""

    id: int
    chat_id: int
    content: Content
    job: Job
    topic_id: int | None
    language: str | None
    reference: str | None
    not_before: dt.datetime | None
    organisation_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime
    message_id: int | None
    last_error: str | None
    sent_at: dt.datetime | None
    created_at: dt.datetime | None = None


@dataclass
class _Scope:
    rows: list[Outgoing] = field(default_factory=list)


_staging: ContextVar[_Scope | None] = ContextVar("outbox_staging", default=None)


class NotStaging(RuntimeError):
    """`stage` was called outside an `along()` scope."""


def stage(*outgoing: Outgoing) -> None:
    """Add deliveries to the current staging scope: the next transaction to commit writes them."""
    scope = _staging.get()
    if scope is None:
        raise NotStaging("stage() needs an `async with along(...)` scope")
    scope.rows.extend(outgoing)


def staged() -> list[Outgoing]:
    """The deliveries staged and not yet written (storage writes them before its COMMIT)."""
    scope = _staging.get()
    return list(scope.rows) if scope is not None else []


def written(count: int) -> None:
    """The first `count` staged deliveries were committed."""
    scope = _staging.get()
    if scope is not None:
        del scope.rows[:count]


@asynccontextmanager
async def along(
    flush: Callable[[Sequence[Outgoing]], Awaitable[object]],
) -> AsyncIterator[None]:
    """A staging scope: what is staged inside is written with the first committing transaction;
    on an error the unwritten rest is dropped; on a normal exit `flush` writes the rest."""
    scope = _Scope()
    token = _staging.set(scope)
    try:
        yield
    finally:
        _staging.reset(token)
    if scope.rows:
        await flush(list(scope.rows))


@dataclass(frozen=True)
class OutboxFigures:
    """The outbox's length for /status."""

    waiting: int
    failed_last_day: int


class Outbox:
    """The domain side of the outbox: write deliveries, withdraw them, read their progress."""

    def __init__(self, store: OutboxStore, clock: Clock) -> None:
        """Use a store and the injected clock."""
        self.store = store
        self.clock = clock
        self._listeners: list[Callable[[], None]] = []

    def on_new(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever new deliveries were written (the sender wakes up)."""
        self._listeners.append(listener)

    def notify(self) -> None:
        """Tell the listeners that new deliveries may be due."""
        for listener in self._listeners:
            listener()

    async def send(self, *outgoing: Outgoing) -> list[int]:
        """Write deliveries in their own transaction (callers without an event); their ids."""
        ids = await self.store.add(outgoing, self.clock.now())
        self.notify()
        return ids

    def along(self) -> AbstractAsyncContextManager[None]:
        """A staging scope whose leftovers this outbox writes (see `along`)."""
        return along(self._flush)

    async def _flush(self, outgoing: Sequence[Outgoing]) -> None:
        await self.send(*outgoing)

    async def cancel(self, reference: str) -> int:
        """Withdraw the waiting deliveries of `reference` at once; how many."""
        return await self.store.cancel(reference, self.clock.now())

    async def progress(self, reference: str) -> dict[DeliveryStatus, int]:
        """How many deliveries of `reference` are in each status."""
        return await self.store.progress(reference)

    async def waiting(self) -> int:
        """Deliveries not yet finished (waiting or being sent)."""
        return await self.store.waiting()

    async def figures(self) -> OutboxFigures:
        """Waiting deliveries and those that failed in the last day (for /status)."""
        now = self.clock.now()
        failed = await self.store.failed_since(now - dt.timedelta(days=1))
        return OutboxFigures(await self.store.waiting(), failed)

    async def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery by id."""
        return await self.store.get(delivery_id)

    async def by_message(self, chat_id: int, message_id: int) -> Delivery | None:
        """The delivery that became this Telegram message."""
        return await self.store.by_message(chat_id, message_id)
