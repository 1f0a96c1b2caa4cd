"""The outbox's sender: one task drains due deliveries within Telegram's limits.

Pacing is by the injected clock: at most `per_second` messages a second overall (evenly spaced,
so answers to users find a free slot within 1/`per_second` s), one every 1/`chat_per_second` s
into one chat, `group_per_minute` into one group in any minute. Its requests go through the
same PTB rate limiter as every answer, marked as background: the limiter gives answers the next
free slot first (bot/flood.py), so the sender takes only what answers leave.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
import re
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.content import send_content
from bot.domain.clock import PacingClock
from bot.domain.coalition import Coalition
from bot.domain.outbox import Delivery, DeliveryStatus, Outbox
from bot.flood import background

log = logging.getLogger(__name__)

BATCH = 200  # due rows read at a time
GIVE_UP = dt.timedelta(minutes=60)  # 5xx / timeouts: retried this long, then FAILED
PACING = 60.0  # waits up to this long are pacing (by the clock), longer ones the schedule
CATCH_UP = 3  # slots a late sender may make up at once
IN_FLIGHT = 16  # sends awaiting Telegram at once: what a kill -9 can duplicate
FIRST_BACKOFF = 2.0  # seconds; doubles each attempt, with jitter
MAX_BACKOFF = 300.0  # an outage of minutes: every row is tried again within 5 (±50 %) minutes
# Telegram's refusals of an uploaded photo itself (its size, its dimensions, its format).
_PICTURE_REFUSED = re.compile(r"PHOTO_|IMAGE_PROCESS_FAILED|wrong file|no photo", re.IGNORECASE)


# Draws the picture a content names, in a language: (picture, language) -> PNG, or None.
Draw = Callable[[str, str], Awaitable[bytes | None]]


@dataclass(frozen=True)
class OutboxLimits:
    """The sender's pace (OUTBOX_* settings)."""

    per_second: int = 30
    group_per_minute: int = 20
    chat_per_second: int = 1


class Sender:
    """Drains the deliveries table; woken by new rows and by the job queue's sweep."""

    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        coalition: Coalition,
        clock: PacingClock,
        limits: OutboxLimits,
        *,
        give_up: dt.timedelta = GIVE_UP,
        group_lost: Callable[[int], Awaitable[None]] | None = None,
        person_refused: Callable[[Delivery], Awaitable[None]] | None = None,
        draw: Draw | None = None,
    ) -> None:
        """Send through `bot`; mark the unreachable in `coalition` (`group_lost` for a group
        chat, then `person_refused` for a private one's refused delivery); pace by `clock`;
        `draw` the pictures contents name."""
        self._draw = draw
        # While rows are due: each picture drawn once, uploaded once, then sent by file_id.
        self._drawn: dict[tuple[str, str], bytes | None] = {}
        self._file_ids: dict[tuple[str, str], str] = {}
        self._drawing: dict[tuple[str, str], asyncio.Lock] = {}
        self._bot = bot
        self._outbox = outbox
        self._store = outbox.store
        self._coalition = coalition
        self._clock = clock
        self._limits = limits
        self._give_up = give_up
        self._group_lost = group_lost
        self._person_refused = person_refused
        self._losing = asyncio.Lock()  # one group's refusals in flight together: one notice
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flying: set[asyncio.Task[None]] = set()
        self._claimed: set[int] = set()  # ids being sent (their rows may still say waiting)
        # Ids that came back during this pass: its list of due rows is stale for them.
        self._finished: set[int] = set()
        # Rows marked sending / sent are written together, one transaction for all that came
        # in while the previous one was written (a group commit: SQLite's cost is per commit).
        self._to_mark: tuple[list[int], list[tuple[int, int]]] = ([], [])
        self._marked: list[asyncio.Future[None]] = []
        self._writer: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(max(1, min(limits.per_second, IN_FLIGHT)))
        self._next_slot = 0.0  # monotonic: the next overall slot
        self._chat_next: dict[int, float] = {}  # monotonic: a chat's next slot
        self._group_sent: dict[int, deque[float]] = {}
        self.sent = 0  # for tests and the benchmark

    async def start(self) -> None:
        """Retry what a crash left being sent (its outcome is unknown), then run."""
        again = await self._store.requeue_sending()
        if again:
            log.info("outbox: %d delivery(ies) interrupted by a stop are sent again", again)
        self._outbox.on_new(self.wake)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking rows; give sends in flight `grace` seconds (the rest are retried later)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._flying:
            _, late = await asyncio.wait(self._flying, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _record(
        self, *, sending: int | None = None, sent: tuple[int, int] | None = None
    ) -> None:
        """Mark a row sending (before its request leaves) or sent; return once written."""
        if sending is not None:
            self._to_mark[0].append(sending)
        if sent is not None:
            self._to_mark[1].append(sent)
        done = asyncio.get_running_loop().create_future()
        self._marked.append(done)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._marked:
            (sending, sent), waiting = self._to_mark, self._marked
            self._to_mark, self._marked = ([], []), []
            try:
                await self._store.mark(sending, sent, self._clock.now())
            except Exception as exc:
                for future in waiting:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future in waiting:
                if not future.done():
                    future.set_result(None)

    def wake(self) -> None:
        """Look for due deliveries now (new rows, or the sweep)."""
        self._wake.set()

    async def _run(self) -> None:
        background.set(True)  # the rate limiter serves answers to users first
        while True:
            self._wake.clear()
            try:
                sent, paced, wait = await self._pass()
            except Exception:
                log.exception("outbox: a pass failed; trying again in a minute")
                sent, paced, wait = 0, None, 60.0
            if sent:
                continue
            if paced is not None:  # due rows wait for their chat's slot: by the clock
                await self._pause(max(paced, 0.001))
            elif wait is not None and wait <= PACING:
                await self._pause(wait)  # a 429's or a back-off's short wait: the clock too
            else:
                await self._idle(wait)

    async def _pass(self) -> tuple[int, float | None, float | None]:
        """Start sending every due delivery whose chat has a free slot; (started, seconds until
        a due row's chat frees up, seconds until the next row comes due)."""
        now = self._clock.now()
        self._finished.clear()
        rows = await self._store.due(now, BATCH)
        started, soonest = 0, math.inf
        for delivery in rows:
            if delivery.id in self._claimed or delivery.id in self._finished:
                continue
            ready = self._ready_at(delivery.chat_id)
            moment = self._clock.monotonic()
            if ready > moment:
                soonest = min(soonest, ready - moment)
                continue
            if self._next_slot > moment:
                await self._clock.sleep(self._next_slot - moment)
            await self._slots.acquire()
            moment = self._clock.monotonic()
            # Evenly spaced; a sleep that overslept is caught up (a little, not a burst).
            interval = 1.0 / self._limits.per_second
            self._next_slot = max(self._next_slot, moment - CATCH_UP * interval) + interval
            self._take(delivery.chat_id, moment)
            self._claimed.add(delivery.id)
            task = asyncio.create_task(self._deliver(delivery, moment))
            self._flying.add(task)
            task.add_done_callback(self._flying.discard)
            started += 1
        if started or rows:
            return started, soonest if soonest < math.inf else None, None
        if not self._flying:  # drained: the next pictures are drawn afresh
            self._drawn.clear()
            self._file_ids.clear()
            self._drawing.clear()
        following = await self._store.next_due()
        if following is None:
            return 0, None, None
        return 0, None, max(0.0, (following - self._clock.now()).total_seconds())

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds` by the clock, or less if woken."""
        await self._until_woken(self._clock.sleep(seconds))

    async def _idle(self, seconds: float | None) -> None:
        """Nothing to send: wait for new rows or the sweep (the database owns the schedule)."""
        timeout = 60.0 if seconds is None else min(max(seconds, 0.05), 60.0)
        await self._until_woken(asyncio.sleep(timeout))

    async def _until_woken(self, pause: Coroutine[Any, Any, None]) -> None:
        tasks = {asyncio.ensure_future(pause), asyncio.ensure_future(self._wake.wait())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _ready_at(self, chat_id: int) -> float:
        ready = self._chat_next.get(chat_id, 0.0)
        sent = self._group_sent.get(chat_id)
        if sent is not None and len(sent) >= self._limits.group_per_minute:
            ready = max(ready, sent[-self._limits.group_per_minute] + 60.0)
        return ready

    def _take(self, chat_id: int, moment: float) -> None:
        if len(self._chat_next) > 10_000:  # forget chats whose slot is long free
            for chat in [c for c, t in self._chat_next.items() if t < moment]:
                del self._chat_next[chat]
            for chat in [c for c, s in self._group_sent.items() if s[-1] < moment - 60.0]:
                del self._group_sent[chat]
        self._chat_next[chat_id] = moment + 1.0 / self._limits.chat_per_second
        if chat_id < 0:
            sent = self._group_sent.setdefault(chat_id, deque())
            sent.append(moment)
            while len(sent) > self._limits.group_per_minute:
                sent.popleft()

    def _landed(self, chat_id: int, moment: float) -> None:
        """Count a send from when Telegram answered (it arrived before that), not from when it
        started: requests in flight can arrive bunched, and the limits are Telegram's clock."""
        now = self._clock.monotonic()
        self._chat_next[chat_id] = max(
            self._chat_next.get(chat_id, 0.0), now + 1.0 / self._limits.chat_per_second
        )
        sent = self._group_sent.get(chat_id)
        if sent is not None and moment in sent:
            sent[sent.index(moment)] = now

    async def _deliver(self, delivery: Delivery, moment: float) -> None:
        try:
            # Marked before the request leaves: after a crash, SENDING rows are sent again.
            await self._record(sending=delivery.id)
            await self._attempt(delivery)
        except Exception:
            log.exception("outbox: delivery %d failed unexpectedly", delivery.id)
            await self._store.fail(
                delivery.id, DeliveryStatus.FAILED, "internal error", self._clock.now()
            )
        finally:
            self._landed(delivery.chat_id, moment)
            self._claimed.discard(delivery.id)
            self._finished.add(delivery.id)
            self._slots.release()
            self._wake.set()  # a retry may be due soon, or its chat is free again

    async def _attempt(self, delivery: Delivery) -> None:
        topic = delivery.topic_id
        note = None
        try:
            try:
                message = await self._send(delivery, topic)
            except BadRequest as exc:
                if topic is None or "thread not found" not in exc.message.lower():
                    raise
                # The forum topic was deleted: the group's general chat gets it instead.
                note = "topic not found: sent to the general chat"
                log.info("outbox: delivery %d: %s", delivery.id, note)
                message = await self._send(delivery, None)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            # That chat waits as told; the limiter pauses everyone if the limit was global.
            self._chat_next[delivery.chat_id] = self._clock.monotonic() + seconds
            at = self._clock.now() + dt.timedelta(seconds=seconds)
            await self._store.retry_later(delivery.id, at, "429 flood limit", attempted=False)
            return
        except ChatMigrated as exc:
            await self._migrated(delivery, int(exc.new_chat_id))
            return
        except Forbidden as exc:
            await self._blocked(delivery, exc.message)
            return
        except BadRequest as exc:
            text = exc.message.lower()
            if "chat not found" in text or "kicked" in text or "blocked" in text:
                await self._blocked(delivery, exc.message)
            else:  # Telegram refuses this message: sending it again cannot help
                log.warning("outbox: delivery %d refused: %s", delivery.id, exc.message)
                await self._store.fail(
                    delivery.id, DeliveryStatus.FAILED, exc.message, self._clock.now()
                )
            return
        except (NetworkError, TelegramError) as exc:  # 5xx, timeouts: try again later
            await self._later(delivery, f"{type(exc).__name__}: {exc.message}")
            return
        await self._record(sent=(delivery.id, message.message_id))
        if note is not None:
            await self._store.annotate(delivery.id, note)
        self.sent += 1
        if delivery.content.pin and delivery.chat_id < 0:
            await self._pin(delivery, message.message_id)

    async def _pin(self, delivery: Delivery, message_id: int) -> None:
        """Pin a group's message without a second notification (the message itself notified).
        A refusal (the bot is not an admin who may pin) is recorded once, never retried: the
        message stays sent, and whoever asked is told which chats did not pin (a sweep)."""
        try:
            await self._bot.pin_chat_message(
                delivery.chat_id, message_id, disable_notification=True
            )
        except TelegramError as exc:
            log.info("outbox: delivery %d not pinned: %s", delivery.id, exc.message)
            await self._store.pin_refused(delivery.id, exc.message, self._clock.now())

    async def _blocked(self, delivery: Delivery, error: str) -> None:
        """403 / chat not found / kicked: never retried; a person is marked unreachable, a group
        chat loses its links (the coordinators are told)."""
        if delivery.chat_id > 0:  # first: once the row is final, the person is marked
            await self._coalition.mark_unreachable(delivery.chat_id)
        elif self._group_lost is not None:
            async with self._losing:
                await self._group_lost(delivery.chat_id)
        await self._store.fail(delivery.id, DeliveryStatus.BLOCKED, error, self._clock.now())
        log.info("outbox: delivery %d: chat unreachable", delivery.id)
        if delivery.chat_id > 0 and self._person_refused is not None:
            try:
                await self._person_refused(delivery)
            except Exception:  # the row is final: a failing follow-up must not undo that
                log.exception("outbox: delivery %d: follow-up of the refusal failed", delivery.id)

    async def _migrated(self, delivery: Delivery, new_id: int) -> None:
        """The group became a supergroup: its links and its waiting rows follow it to the new
        id, and this row is sent there at once (the refusal is not an attempt)."""
        await self._coalition.migrate_chat(delivery.chat_id, new_id)
        await self._store.migrate_chat(delivery.chat_id, new_id, delivery.id)
        log.info("outbox: delivery %d: the group became a supergroup", delivery.id)
        await self._store.retry_later(
            delivery.id, self._clock.now(), "group became a supergroup", attempted=False
        )

    async def _later(self, delivery: Delivery, error: str) -> None:
        """Capped exponential back-off with jitter; FAILED once it was due `give_up` ago."""
        attempts = delivery.attempts + 1
        now = self._clock.now()
        due = max(filter(None, (delivery.created_at, delivery.not_before)), default=now)
        if now - due >= self._give_up:
            log.warning("outbox: delivery %d failed after %d attempts", delivery.id, attempts)
            await self._store.fail(delivery.id, DeliveryStatus.FAILED, error, now)
            return
        delay = min(FIRST_BACKOFF * 2 ** min(attempts - 1, 20), MAX_BACKOFF)
        delay *= 0.5 + random.random()  # noqa: S311 (jitter, not a secret)
        await self._store.retry_later(delivery.id, now + dt.timedelta(seconds=delay), error)

    async def _send(self, delivery: Delivery, topic: int | None) -> Message:
        """One Telegram call for the content (text, photo or document); a content naming a
        picture is drawn and uploaded once, its other recipients get it by file_id."""
        content = delivery.content
        if content.picture is None or self._draw is None:
            return await send_content(self._bot, delivery.chat_id, content, topic)
        key = (content.picture, delivery.language or "")
        if key not in self._file_ids:
            async with self._drawing.setdefault(key, asyncio.Lock()):
                if key not in self._file_ids:  # the first upload, or the one after a failure
                    return await self._upload(delivery, topic, key)
        picture = self._file_ids[key]
        return await send_content(self._bot, delivery.chat_id, content, topic, picture)

    async def _upload(
        self, delivery: Delivery, topic: int | None, key: tuple[str, str]
    ) -> Message:
        if key not in self._drawn and self._draw is not None:
            try:
                self._drawn[key] = await self._draw(*key)
            except Exception:  # the text still goes, without its picture
                log.exception("outbox: delivery %d: its picture could not be drawn", delivery.id)
                self._drawn[key] = None
        png = self._drawn[key]
        try:
            message = await send_content(self._bot, delivery.chat_id, delivery.content, topic, png)
        except BadRequest as exc:
            if png is None or not _PICTURE_REFUSED.search(exc.message):
                raise
            # Telegram refuses the picture itself: the text goes alone, now and to the others.
            log.warning("outbox: delivery %d: its picture refused: %s", delivery.id, exc.message)
            self._drawn[key] = png = None
            message = await send_content(self._bot, delivery.chat_id, delivery.content, topic)
        if png is not None and message.photo:
            self._file_ids[key] = message.photo[-1].file_id
        return message
