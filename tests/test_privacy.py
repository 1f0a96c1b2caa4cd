"""Privacy and integrity: honest role changes, unreachable people, Telegram faults kept quiet."""

import asyncio

from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import buttons
from tests.test_rounds_bot import coalition_with, link_land_group, open_round


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def idle(tg: FakeTelegram, bot: BotApplication) -> None:
    """Wait until every update sent so far has been fetched and fully handled."""
    for _ in range(500):
        if not tg.waiting_updates() and bot.update_processor.current_concurrent_updates == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot is still busy")


async def test_demoting_someone_who_never_was_a_coordinator_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await tg.reply_to(COORDINATOR, "/demote 3001")
    assert reply.text == "3001 is not a coordinator."
    reply = await tg.reply_to(COORDINATOR, "/promote 111")
    assert reply.text == "111 is already a coordinator."
    repository = services_of(bot).coalition.repository
    assert [e.action for e in await repository.audit_log()] == []
    assert await repository.person(3001) is None  # and nothing is stored about them


async def test_a_blocked_reason_prompt_marks_the_person_unreachable(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [rep] = await coalition_with(bot, 1)
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Mid-term review 2026")
    await tg.send("/rate", user=rep, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    tg.blocked.add(rep["id"])
    query = await tg.press(card, buttons(card)[0]["callback_data"], user=rep)
    await tg.next_call("answerCallbackQuery", callback_query_id=query)
    prompt = await tg.next_call("sendMessage", chat_id=rep["id"])
    assert prompt.error == "Forbidden: bot was blocked by the user"
    await idle(tg, bot)
    person = await services_of(bot).coalition.person(rep["id"])
    assert person is not None
    assert person.unreachable_since is not None


async def test_a_failed_button_answer_posts_nothing_into_the_group(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [rep] = await coalition_with(bot, 1)
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Mid-term review 2026")
    await tg.send("/rate", user=rep, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    await idle(tg, bot)
    before = len(tg.calls)
    tg.fail_next("answerCallbackQuery", 502)
    await tg.press(card, buttons(card)[0]["callback_data"], user=rep)
    failed = await tg.next_call("answerCallbackQuery")
    assert failed.error == "Injected fault"
    await idle(tg, bot)
    assert [c.method for c in tg.calls[before:]] == ["answerCallbackQuery"]
