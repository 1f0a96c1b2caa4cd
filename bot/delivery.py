"""Incoming updates: fetched, stored before Telegram forgets them, and handled fairly per chat.

Telegram forgets an update once `getUpdates` is called with a higher offset. Each fetched batch
is written to the database first (the inbox), then acknowledged; an update leaves the inbox once
handled. After a crash the inbox is replayed, so every update Telegram delivered is handled at
least once — except that an update whose handling changed data was marked handled in the same
transaction as that change (storage.db.handling): actions that change data happen at most once,
pure look-ups at least once. Handling is bounded per chat, so a flood in one chat cannot hold everyone's slots.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseUpdateProcessor, ExtBot

from bot.domain.clock import Pacer, SystemClock
from storage.db import Handling, handling
from storage.inbox import InboxRepository

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BACKOFF = 60.0
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Stopped(Exception):
    """The bot was asked to stop while it was still waiting for Telegram."""


async def until_done(
    action: Callable[[], Awaitable[T]],
    what: str,
    first_delay: float = 1.0,
    stop: asyncio.Event | None = None,
) -> T:
    """Run `action` until Telegram answers, waiting 1, 2, 4 … 60 s between tries; log each.

    Only network trouble, 5xx answers and flood waits are retried: a rejected token is not.
    """
    delay = first_delay
    while True:
        try:
            return await action()
        except (NetworkError, RetryAfter) as exc:
            log.warning(
                "%s: Telegram is not reachable (%s); retrying in %.1f s",
                what,
                type(exc).__name__,
                delay,
            )
        if await _stopped_within(stop, delay):
            raise Stopped(what)
        delay = min(delay * 2, MAX_BACKOFF)


async def _stopped_within(stop: asyncio.Event | None, seconds: float) -> bool:
    """Sleep `seconds`, or less if `stop` is set meanwhile; True if it was."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


class PollingBot(ExtBot[None]):
    """PTB's bot, able to fetch updates as raw JSON (to store them before parsing them)."""

    async def fetch_updates(
        self, offset: int, wait_seconds: int, allowed_updates: list[str]
    ) -> list[dict[str, Any]]:
        """`getUpdates` with long polling; the updates exactly as Telegram sent them."""
        data = {
            "offset": offset,
            "timeout": wait_seconds,
            "limit": 100,
            "allowed_updates": allowed_updates,
        }
        result = await self._post("getUpdates", data, read_timeout=5.0 + wait_seconds)
        return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


class _Gate:
    """At most `size` holders; later comers queue in order, and all are let go on stop."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.running = 0
        self.waiting: deque[asyncio.Future[bool]] = deque()

    async def enter(self) -> bool:
        """Wait for a place; False if the processor is stopping instead."""
        if self.running < self.size:
            self.running += 1
            return True
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        return await future

    def leave(self) -> None:
        """Hand the place to the next in line, or free it."""
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(True)
                return
        self.running -= 1

    def release_all(self) -> None:
        """Stopping: everyone still waiting gives up."""
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_result(False)


@dataclass
class _Lane:
    gate: _Gate
    # One person's presses in a chat run one at a time, in order: the last press wins.
    senders: dict[int, _Gate] = field(default_factory=dict)
    dropped: int = 0
    last_notice: float = field(default=-1e9)
    last_log: float = field(default=-1e9)


class FairProcessor(BaseUpdateProcessor):
    """Handles updates concurrently, but at most `per_chat` messages at once from one chat.

    Up to `queue` more wait their turn. Button presses (quick: they are answered outside the
    chat's flood limit, and a burst of votes must lose none) have their own lane per chat:
    `per_chat_buttons` at once, `button_queue` waiting (`group_button_queue` in a group chat,
    where a whole working group votes at once); one person's presses in a chat run one
    at a time, in the order made (the last press wins). What a chat sends beyond that is dropped
    (logged, never its content); a private sender is told once a minute to try again, and
    every dropped button press at once (a cheap answer that stops its spinner). An update
    counts as handled (and leaves the inbox) when its handlers finished or it was dropped; on
    stop, what is still waiting or outlives the grace period is left in the inbox for the
    next start.
    """

    def __init__(
        self,
        on_handled: Callable[[int], None],
        on_busy: Callable[[Update], Coroutine[Any, Any, None]],
        *,
        per_chat: int = 4,
        queue: int = 16,
        per_chat_buttons: int = 16,
        button_queue: int = 200,
        group_button_queue: int = 2_000,
        total: int = 64,
        clock: Pacer | None = None,
    ) -> None:
        """Report handled update ids to `on_handled`; `on_busy` tells a sender to wait."""
        # PTB's own bound would hold its slots while a chat waits in its lane: ours replace it.
        super().__init__(max_concurrent_updates=1_000_000)
        self._on_handled = on_handled
        self._on_busy = on_busy
        self._sizes = {False: (per_chat, queue), True: (per_chat_buttons, button_queue)}
        self._group_buttons = (per_chat_buttons, group_button_queue)
        self._total = _Gate(total)
        self._clock = clock or SystemClock()
        self._lanes: dict[tuple[int, bool], _Lane] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    async def initialize(self) -> None:
        """Accept updates (again)."""
        self._stopping = False

    async def shutdown(self) -> None:
        """Nothing left to release: `drain` did it."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Queue the update in its chat's lane, then run it within the overall bound."""
        key = _lane_key(update)
        if self._stopping or key is None:
            await self._through([self._total], update, coroutine)
            return
        button = _is_button(update)
        running, queue = self._group_buttons if button and key < 0 else self._sizes[button]
        lane_key = (key, button)
        lane = self._lanes.setdefault(lane_key, _Lane(_Gate(running)))
        if lane.gate.running + len(lane.gate.waiting) >= running + queue:
            _close(coroutine)
            self._drop(key, lane, update)
            return
        sender = _sender(update) if button else None
        gates = [lane.gate, self._total]
        if sender is not None:
            gates.insert(1, lane.senders.setdefault(sender, _Gate(1)))
        try:
            await self._through(gates, update, coroutine)
        finally:
            if sender is not None and _idle(gates[1]) and lane.senders.get(sender) is gates[1]:
                del lane.senders[sender]
            if _idle(lane.gate) and self._lanes.get(lane_key) is lane:
                del self._lanes[lane_key]

    async def _through(
        self, gates: list[_Gate], update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Pass each gate in turn, run the update, free the gates."""
        entered: list[_Gate] = []
        try:
            for gate in gates:
                if self._stopping or not await gate.enter():
                    _close(coroutine)
                    return
                entered.append(gate)
            await self._run(update, coroutine)
        finally:
            for gate in reversed(entered):
                gate.leave()

    async def _run(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._stopping:
            _close(coroutine)
            return
        # Run in the task PTB made for this update (no second task): its context is its own.
        task = asyncio.current_task()
        current = Handling(update.update_id) if isinstance(update, Update) else None
        token = handling.set(current)  # its data changes and its inbox mark commit together
        if task is not None:  # `drain` cancels it if it outlives the grace period
            self._tasks.add(task)
        try:
            await coroutine
        except asyncio.CancelledError:
            raise  # stopped mid-way: left in the inbox, replayed on the next start
        except Exception:
            log.exception("handling update failed")
        finally:
            if task is not None:
                self._tasks.discard(task)
            handling.reset(token)
        if current is None or not current.marked:  # else its transaction marked it already
            self._handled(update)

    def _drop(self, key: int, lane: _Lane, update: object) -> None:
        now = self._clock.monotonic()
        lane.dropped += 1
        if now - lane.last_log >= 60:
            log.info("chat %d is flooding: %d update(s) dropped", key, lane.dropped)
            lane.last_log, lane.dropped = now, 0
        # A press's spinner turns until it is answered: each one is (cheap, outside the chat's
        # flood limit). A private sender is told once a minute.
        button = _is_button(update)
        if isinstance(update, Update) and (button or (key > 0 and now - lane.last_notice >= 60)):
            if not button:
                lane.last_notice = now
            self._spawn(self._on_busy(update))
        self._handled(update)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not tell a sender to wait", exc_info=task.exception())

    def _handled(self, update: object) -> None:
        if isinstance(update, Update):
            self._on_handled(update.update_id)

    async def drain(self, grace: float) -> None:
        """Stop taking updates; give running ones `grace` seconds, then cancel them."""
        self._stopping = True
        self._total.release_all()
        for lane in self._lanes.values():
            lane.gate.release_all()
            for gate in lane.senders.values():
                gate.release_all()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.info("stopping: %d update(s) left for the next start", len(pending))
                await asyncio.wait(pending)


def _lane_key(update: object) -> int | None:
    """The chat an update belongs to (its sender's, for inline queries)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def _sender(update: object) -> int | None:
    """Who sent an update, if anyone."""
    user = update.effective_user if isinstance(update, Update) else None
    return user.id if user is not None else None


def _idle(gate: _Gate) -> bool:
    return gate.running == 0 and not gate.waiting


def _is_button(update: object) -> bool:
    return isinstance(update, Update) and update.callback_query is not None


def _close(coroutine: Awaitable[Any]) -> None:
    """Discard a handler coroutine that will not run (so Python does not warn about it)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()


class Poller:
    """Fetches updates into the inbox, acknowledges them, hands them to the Application."""

    def __init__(
        self,
        bot: PollingBot,
        queue: asyncio.Queue[object],
        inbox: InboxRepository,
        *,
        timeout: int = 10,
        first_delay: float = 1.0,
        lean_presses: frozenset[str] = frozenset(),
    ) -> None:
        """Poll with `bot` into `queue` (the Application's), keeping updates in `inbox`.
        `lean_presses`: the callback-data prefixes whose handlers read, of the pressed
        message's keyboard, only whether it offers the pressed button (see `pressed_only`)."""
        self._bot = bot
        self._lean = lean_presses
        self._queue = queue
        self._inbox = inbox
        self._timeout = timeout
        self._first_delay = first_delay
        self._handled: list[int] = []
        self._flush_wanted = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._late: set[asyncio.Task[None]] = set()  # answers to presses fetched again

    def handled(self, update_id: int) -> None:
        """An update was handled: it may leave the inbox."""
        self._handled.append(update_id)
        self._flush_wanted.set()

    async def start(self) -> None:
        """Replay what the inbox kept from before a stop or crash, then poll."""
        pending = await self._inbox.pending()
        if pending:
            log.info("replaying %d update(s) fetched before the last stop", len(pending))
        for update_id, body in pending:
            self._dispatch(update_id, body)
        self._tasks = [
            asyncio.create_task(self._poll(), name="poll-telegram"),
            asyncio.create_task(self._flush_forever(), name="inbox-flush"),
        ]

    async def stop(self) -> None:
        """Stop fetching (between two database writes, never inside one)."""
        self._stop.set()
        self._flush_wanted.set()
        await asyncio.gather(*self._tasks)

    async def flush(self) -> None:
        """Mark the handled updates in the inbox."""
        done, self._handled = self._handled, []
        if done:
            await self._inbox.mark_handled(done)

    async def _flush_forever(self) -> None:
        while not self._stop.is_set():
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("could not mark handled updates; will retry")

    async def _poll(self) -> None:
        offset = 0  # Telegram's default: its oldest unacknowledged update
        forgotten_below = 0
        delay = self._first_delay
        allowed = list(Update.ALL_TYPES)
        while not self._stop.is_set():
            fetch = asyncio.create_task(self._bot.fetch_updates(offset, self._timeout, allowed))
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait([fetch, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if self._stop.is_set():
                fetch.cancel()
                await asyncio.wait([fetch])
                if not fetch.cancelled():
                    fetch.exception()  # retrieved: nobody needs it now
                return
            try:
                updates = fetch.result()
                # Telegram has now forgotten everything below `offset`: so may the inbox.
                if offset > forgotten_below:
                    await self._inbox.forget_handled_below(offset)
                    forgotten_below = offset
                if updates:
                    by_id = {u["update_id"]: u for u in updates}
                    # ASCII JSON: a lone surrogate (valid JSON, not UTF-8) must not stop the inbox.
                    fresh = await self._inbox.add([(i, json.dumps(u)) for i, u in by_id.items()])
                    offset = max(by_id) + 1
                    for update_id, body in fresh:  # handled from what was fetched: no re-parse
                        self._dispatch(update_id, body, by_id[update_id])
                    if len(fresh) < len(by_id):
                        await self._answer_repeats(by_id, {update_id for update_id, _ in fresh})
                delay = self._first_delay
            except TelegramError as exc:
                log.warning(
                    "fetching updates: Telegram is not reachable (%s); retrying in %.1f s",
                    type(exc).__name__,
                    delay,
                )
                if await _stopped_within(self._stop, delay):
                    return
                delay = min(delay * 2, MAX_BACKOFF)
            except Exception:
                log.exception("fetching updates failed; retrying in %.1f s", delay)
                if await _stopped_within(self._stop, delay):
                    return
                delay = min(delay * 2, MAX_BACKOFF)

    async def _answer_repeats(self, by_id: dict[int, Any], fresh: set[int]) -> None:
        """Presses handled before a crash and fetched again: their answer may never have
        reached Telegram (the button would spin), so each gets an empty one, in the background
        (Telegram refuses one already answered: that is fine)."""
        presses = [i for i, u in by_id.items() if i not in fresh and "callback_query" in u]
        for update_id in await self._inbox.handled_among(presses) if presses else ():
            query_id = by_id[update_id]["callback_query"].get("id")
            if isinstance(query_id, str):
                task = asyncio.create_task(self._answer_late(query_id))
                self._late.add(task)
                task.add_done_callback(self._late.discard)

    async def _answer_late(self, query_id: str) -> None:
        try:
            await self._bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.debug("a repeated press could not be answered: %s", type(exc).__name__)

    def _dispatch(self, update_id: int, body: str, raw: Any = None) -> None:
        """Hand one update to the Application: `raw` is `body` already parsed (else read)."""
        try:
            raw = json.loads(body) if raw is None else raw
            if self._lean:
                pressed_only(raw, self._lean)
            # ASCII JSON writes every surrogate as an escape: only a lone one needs mending.
            update = Update.de_json(
                valid_text(raw) if _lone_surrogate(raw, body) else raw, self._bot
            )
        except Exception:
            log.warning("update %d could not be read; skipped", update_id)
            self.handled(update_id)
            return
        message = update.effective_message
        if message is not None and message.chat is None:  # Telegram always sends the chat
            log.warning("update %d has a message without its chat; skipped", update_id)
            self.handled(update_id)
            return
        self._queue.put_nowait(update)


def pressed_only(raw: Any, prefixes: frozenset[str]) -> None:
    """Cut the keyboard of a pressed message down to the pressed button, in place, when the
    press's callback data starts with one of `prefixes` (a rating tap: PTB then parses one
    button, not the whole card). A button the message does not offer stays not offered."""
    query = raw.get("callback_query") if isinstance(raw, dict) else None
    if not isinstance(query, dict):
        return
    data, message = query.get("data"), query.get("message")
    if not isinstance(data, str) or not isinstance(message, dict):
        return
    if data.partition(":")[0] not in prefixes:
        return
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        return
    pressed = [
        button
        for row in rows
        if isinstance(row, list)
        for button in row
        if isinstance(button, dict) and button.get("callback_data") == data
    ]
    message["reply_markup"] = {"inline_keyboard": [pressed[:1]] if pressed else []}


def _lone_surrogate(raw: Any, body: str) -> bool:
    """Whether the update `raw` (parsed from ASCII JSON `body`) holds a lone surrogate (only
    then are its strings walked). Writing it as UTF-8 is the test: C code, not a scan."""
    if "\\ud" not in body and "\\uD" not in body:  # no surrogate escaped at all: most updates
        return False
    try:
        json.dumps(raw, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def valid_text(value: Any) -> Any:
    """Every string in a JSON value as valid Unicode: a lone surrogate (legal in JSON, not in
    UTF-8, so no reply quoting it could be sent) becomes U+FFFD, one UTF-16 unit like it."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [valid_text(v) for v in value]
    if isinstance(value, dict):
        return {k: valid_text(v) for k, v in value.items()}
    return value
