"""A rating tap racing a coordinator's pause, removal or erasure: whichever commits first wins,
and a tap that comes second is refused with nothing written (never an error); what follows a
recorded tap (the card, the reason prompt) never asks again who the presser rates for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from bot.domain.assessment import Colour
from bot.domain.rounds import Tapped
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, press
from tests.test_rounds_bot import coalition_with, open_round, rep
from tests.test_rules import services_of
from tests.test_tap_memo import group_cards

ORG = 1  # ORG0, rep(0)'s organisation


async def history(services: Services) -> int:
    """How many rating changes were ever recorded."""
    async with services.database.connection.execute("SELECT count(*) FROM rating_history") as c:
        row = await c.fetchone()
    assert row is not None
    return int(row[0])


class Queue(asyncio.Lock):
    """The database's lock, knowing which tasks wait for it (first come, first served)."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[asyncio.Task[object] | None] = []

    async def acquire(self) -> bool:
        task = asyncio.current_task()
        self.tasks.append(task)
        try:
            return await super().acquire()
        finally:
            self.tasks.remove(task)


async def tap_while(
    services: Services, change: Callable[[], Awaitable[object]], colour: Colour
) -> Tapped:
    """Tap the round's second recommendation for rep(0) while `change` is under way: the tap
    has read who presses before the change commits, and writes after it."""
    items = await services.assessments.items(1)
    database = services.database
    for _ in range(100_000):  # swapped only while nobody holds it, nor was just handed it
        if not database._lock.locked() and not database._lock._waiters:
            break
        await asyncio.sleep(0)
    lock = database._lock = Queue()  # the race, made certain
    await lock.acquire()
    try:
        running = asyncio.create_task(change())
        await queued(lock, running)  # the change waits to write
        tapping = asyncio.create_task(
            services.assessments.tap(rep(0)["id"], 1, items[1], colour, in_group=True)
        )
        await queued(lock, tapping)  # so does the tap, its checks done: it comes second
    finally:
        lock.release()
    await running
    return (await tapping).result


async def queued(lock: Queue, task: asyncio.Task[object]) -> None:
    """Let the other tasks run until `task` waits for the lock."""
    for _ in range(100_000):
        if task in lock.tasks:
            return
        await asyncio.sleep(0)
    raise AssertionError("the task never waited for the database")


async def ready(tg: FakeTelegram, bot: BotApplication) -> tuple[Services, StoredMessage]:
    """ORG0 has rated the first card of an open round from the group chat (that card)."""
    card, *_ = await group_cards(tg, bot, 1)
    assert await press(tg, card, button(card, "🔴"), rep(0)) == "ORG0 rated it 🔴."
    return services_of(bot), card


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ("pause", Tapped.PAUSED),
        ("remove", Tapped.NOT_A_RATER),
        ("erase", Tapped.NOT_A_RATER),
    ],
)
async def test_a_tap_racing_a_pause_removal_or_erasure_is_refused_and_writes_nothing(
    tg: FakeTelegram, bot: BotApplication, change: str, refused: Tapped
) -> None:
    services, _ = await ready(tg, bot)
    coalition = services.coalition
    changes: dict[str, Callable[[], Awaitable[object]]] = {
        "pause": lambda: coalition.set_active(COORDINATOR_ID, ORG, False),
        "remove": lambda: coalition.remove_representative(COORDINATOR_ID, ORG, rep(0)["id"]),
        "erase": lambda: coalition.erase(COORDINATOR_ID, ORG),
    }
    before = await history(services)
    assert await tap_while(services, changes[change], Colour.GREEN) is refused
    assert await history(services) == before  # (an erasure keeps it, without the name)
    if change != "erase":
        assert [r.colour for r in (await services.assessments.own(1, ORG)).values()] == [
            Colour.RED
        ]


async def test_a_tap_racing_nothing_is_still_recorded(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services, _ = await ready(tg, bot)
    unrelated = lambda: services.coalition.set_active(COORDINATOR_ID, ORG, True)  # noqa: E731
    assert await tap_while(services, unrelated, Colour.GREEN) is Tapped.RECORDED
    assert len(await services.assessments.own(1, ORG)) == 2


def answered(tg: FakeTelegram, query: str) -> int:
    """How many times the bot answered this press."""
    return sum(
        c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query
        for c in tg.calls
    )


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_private_tap_paused_a_moment_after_it_was_recorded_still_asks_the_reason(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    await coalition_with(bot, 1, "land")
    await open_round(tg, "c2 land", "Priv")
    services = services_of(bot)
    card = await tg.reply_to(rep(0), "/rate")
    tg.stall("editMessageText")
    query = await tg.press(card, button(card, "🟢"), user=rep(0))
    answer = await tg.next_call("answerCallbackQuery", callback_query_id=query)
    assert answer.params.get("text") == "ORG0 rated it 🟢."
    await tg.stalled("editMessageText", 1)
    await services.coalition.set_active(COORDINATOR_ID, ORG, False)
    tg.release("editMessageText")
    prompt = await tg.next_call("sendMessage", chat_id=rep(0)["id"])
    assert "reason" in str(prompt.params["text"]).lower()
    assert [b["text"] for b in buttons(tg.messages[(rep(0)["id"], prompt.result["message_id"])])]
    assert answered(tg, query) == 1
    assert errors(caplog) == []


async def test_a_group_colour_change_paused_a_moment_after_it_was_recorded_is_no_error(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    services, card = await ready(tg, bot)
    await tg.next_call("sendMessage", chat_id=rep(0)["id"])  # the reason prompt
    coalition = services.coalition
    original = services.assessments.tap

    async def tap_then_pause(*args: object, **kwargs: bool) -> object:
        done = await original(*args, **kwargs)  # type: ignore[arg-type]
        await coalition.set_active(COORDINATOR_ID, ORG, False)  # a moment after the tap
        return done

    services.assessments.tap = tap_then_pause  # type: ignore[method-assign,assignment]
    query = await tg.press(card, button(card, "🟠"), user=rep(0))
    answer = await tg.next_call("answerCallbackQuery", callback_query_id=query)
    assert answer.params.get("text") == "ORG0 rated it 🟠."
    await tg.next_call("editMessageText", chat_id=rep(0)["id"])  # the prompt says 🟠 now
    assert answered(tg, query) == 1
    assert errors(caplog) == []
