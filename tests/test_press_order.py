"""One person's presses in a chat are handled in the order they were made: the last one wins."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update

from bot.delivery import FairProcessor
from tests.conftest import COORDINATOR, MEMBER


def press_update(update_id: int, user: dict[str, Any], chat_id: int) -> Update:
    """A button press in chat `chat_id` by `user`."""
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "g"}
    message = {"message_id": 7, "date": 0, "chat": chat, "text": "card"}
    query = {"id": str(update_id), "from": user, "chat_instance": "c", "message": message}
    return Update.de_json({"update_id": update_id, "callback_query": {**query, "data": "v"}}, None)


async def test_a_persons_second_press_waits_for_the_first_but_others_do_not() -> None:
    handled: list[int] = []
    processor = FairProcessor(handled.append, lambda _update: asyncio.sleep(0))
    first_may_finish = asyncio.Event()
    done: list[str] = []

    async def handle(name: str, wait: bool = False) -> None:
        if wait:
            await first_may_finish.wait()  # the first press's reads take long…
        done.append(name)

    chat = -100500
    first = asyncio.create_task(
        processor.do_process_update(press_update(1, MEMBER, chat), handle("first", wait=True))
    )
    second = asyncio.create_task(
        processor.do_process_update(press_update(2, MEMBER, chat), handle("second"))
    )
    other = asyncio.create_task(
        processor.do_process_update(press_update(3, COORDINATOR, chat), handle("other"))
    )
    for _ in range(10):
        await asyncio.sleep(0)
    assert done == ["other"]  # …its second press does not overtake it; another person's does
    first_may_finish.set()
    await asyncio.gather(first, second, other)
    assert done == ["other", "first", "second"]
    assert sorted(handled) == [1, 2, 3]
    await processor.drain(1)


async def test_a_group_keeps_a_whole_rounds_presses_waiting() -> None:
    busy: list[Update] = []

    async def tell_busy(update: Update) -> None:
        busy.append(update)

    processor = FairProcessor(lambda _id: None, tell_busy)
    voting = asyncio.Event()

    async def handle() -> None:
        await voting.wait()

    # 120 organisations tapping 5 cards each, all at once, in one working group's chat.
    presses = [press_update(n, {**MEMBER, "id": 5000 + n}, -100500) for n in range(600)]
    tasks = [asyncio.create_task(processor.do_process_update(p, handle())) for p in presses]
    for _ in range(10):
        await asyncio.sleep(0)
    assert busy == []
    # A private chat keeps fewer waiting: 16 running, 200 waiting.
    alone = [press_update(1000 + n, MEMBER, 222) for n in range(16 + 200 + 1)]  # MEMBER alone
    tasks += [asyncio.create_task(processor.do_process_update(p, handle())) for p in alone]
    for _ in range(10):
        await asyncio.sleep(0)
    assert busy == alone[-1:]
    voting.set()
    await asyncio.gather(*tasks)
    await processor.drain(1)
