"""Conversation state lives in SQLite: a reason prompt, a skip and a list prompt survive a
restart and expire on the clock; a closing round forgets its skips. Ids are stored, never text."""

from pathlib import Path

from bot.app import running
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_group_lists_bot import land_id, rec_id
from tests.test_lookup_bot import button, edited, press
from tests.test_reasons_bot import reply_to_prompt
from tests.test_rounds_bot import coalition_with, open_round


async def next_card(tg: FakeTelegram, user: dict) -> StoredMessage:  # type: ignore[type-arg]
    """The next message the bot sends to this user, as stored."""
    call = await tg.next_call("sendMessage", chat_id=user["id"])
    return tg.messages[(user["id"], call.result["message_id"])]


def number_of(card: StoredMessage) -> str:
    return card.text.split("</b>")[0].removeprefix("<b>")


async def test_a_reason_prompt_and_a_skip_survive_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        [member] = await coalition_with(bot, 1)
        await open_round(tg, "c2 118.1-118.3", "Check")
        card = await tg.reply_to(member, "/rate")
        assert number_of(card) == "118.1"
        await press(tg, card, button(card, "⏭"), member)
        card = await next_card(tg, member)
        assert number_of(card) == "118.2"
        await press(tg, card, button(card, "🔴"), member)
        card = await edited(tg, card)
        asked = await next_card(tg, member)  # type a reason now, or ⏭ Next
        await press(tg, asked, button(asked, "⏭ Next"), member)
        assert number_of(await next_card(tg, member)) == "118.3"
        await press(tg, card, button(card, "✍"), member)

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        # The prompt sent before the restart still takes the reply as the reason.
        assert await reply_to_prompt(tg, member, "Draft law withdrawn.") == (
            "Reason saved. You can change it by replying again."
        )
        services: Services = bot.bot_data["services"]
        [rating] = await services.assessments.repository.ratings(1)
        assert rating.reason == "Draft law withdrawn."
        # 118.1 stays skipped: /rate offers 118.3.
        assert number_of(await tg.reply_to(member, "/rate")) == "118.3"
        async with services.database.connection.execute(
            "SELECT user_id, round_id, recommendation_id FROM reason_prompts "
            "UNION ALL SELECT user_id, round_id, recommendation_id FROM skipped_recommendations"
        ) as cursor:
            stored = [tuple(row) async for row in cursor]
        first = next(
            r.id
            for r in services.catalog.recommendations
            if (r.cycle, str(r.number)) == (2, "118.1")
        )
        # The answer to the tap and the ✍ prompt (both take a reply), the skip.
        asked_for = (member["id"], 1, rating.recommendation_id)
        assert stored == [asked_for, asked_for, (member["id"], 1, first)]
    assert tg.unconsumed_errors() == []


async def test_prompts_and_skips_expire_and_a_closed_round_forgets_its_skips(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "⏭"), member)
    assert number_of(await next_card(tg, member)) == "118.2"

    # A week later the skip has expired: 118.1 comes first again.
    clock.advance(days=7, seconds=1)
    card = await tg.reply_to(member, "/rate")
    assert number_of(card) == "118.1"
    await press(tg, card, button(card, "⏭"), member)
    assert number_of(await next_card(tg, member)) == "118.2"

    # Closing the round forgets its skips (reopening does not bring them back).
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.set_open(COORDINATOR_ID, 1, True)
    card = await tg.reply_to(member, "/rate")
    assert number_of(card) == "118.1"

    # A day after the prompt, a reply to it is no longer a reason: it is an ordinary lookup.
    await press(tg, card, button(card, "🟢"), member)
    card = await edited(tg, card)
    await next_card(tg, member)
    await press(tg, card, button(card, "✍"), member)
    prompt = await tg.next_call("sendMessage", chat_id=member["id"])
    clock.advance(days=1, seconds=1)
    await tg.send("118.6", user=member, reply_to=prompt.result["message_id"])
    answer = await next_card(tg, member)
    assert number_of(answer) == "118.6"
    [rating] = await services.assessments.repository.ratings(1)
    assert rating.reason == ""
    # The next prompt clears the expired one away.
    await press(tg, card, button(card, "✍"), member)
    await reply_to_prompt(tg, member, "Now in time.")
    async with services.database.connection.execute("SELECT COUNT(*) FROM reason_prompts") as c:
        assert await c.fetchone() == (1,)


async def test_a_list_prompt_survives_a_restart_and_expires_after_a_day(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services: Services = bot.bot_data["services"]
        land = await land_id(services)
        before = await services.group_lists.recommendation_ids(land)
        chooser = await tg.reply_to(COORDINATOR, "/grouprecs")
        await press(tg, chooser, button(chooser, "Land and natural resources"), COORDINATOR)
        view = await edited(tg, chooser)
        assert await press(tg, view, button(view, "➕ Add numbers"), COORDINATOR) == ""
        prompt = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services = bot.bot_data["services"]
        # The prompt sent before the restart still takes the reply as numbers for the list.
        answer = await tg.reply_to(COORDINATOR, "118.6", reply_to=prompt.result["message_id"])
        assert answer.text.startswith("1 recommendation of cycle 2 added to the list.")
        added = await services.group_lists.recommendation_ids(land)
        assert added - before == {rec_id(services, 2, "118.6")}

        # A day later a reply to a new prompt is an ordinary lookup, and the list stays.
        assert await press(tg, view, button(view, "➖ Remove numbers"), COORDINATOR) == ""
        late = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
        clock.advance(days=1, seconds=1)
        card = await tg.reply_to(COORDINATOR, "118.6", reply_to=late.result["message_id"])
        assert number_of(card) == "118.6"
        assert await services.group_lists.recommendation_ids(land) == added
        assert await press(tg, view, button(view, "➖ Remove numbers"), COORDINATOR) == ""
        fresh = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
        answer = await tg.reply_to(COORDINATOR, "118.6", reply_to=fresh.result["message_id"])
        assert answer.text.startswith("1 recommendation of cycle 2 removed from the list.")
        async with services.database.connection.execute(
            "SELECT user_id, chat_id, message_id, include FROM list_prompts"
        ) as cursor:  # the expired prompt went when the next one was stored
            assert [tuple(row) async for row in cursor] == [
                (COORDINATOR_ID, COORDINATOR_ID, fresh.result["message_id"], 0)
            ]
    assert tg.unconsumed_errors() == []


async def test_a_list_prompt_is_the_askers_own_and_each_keeps_its_twenty_newest(
    services: Services, clock: FakeClock
) -> None:
    lists = services.group_lists
    await lists.remember_prompt(7, -100, 1, 6, True)
    assert await lists.prompted(7, -100, 1) == (6, True)
    # Another person replying to it, or the same message id in another chat, edits nothing.
    assert await lists.prompted(8, -100, 1) is None
    assert await lists.prompted(7, -200, 1) is None
    for message_id in range(2, 22):
        await lists.remember_prompt(7, -100, message_id, 7, False)
    await lists.remember_prompt(8, -100, 99, 6, True)
    assert await lists.prompted(7, -100, 1) is None  # the oldest of 21 went
    assert await lists.prompted(7, -100, 2) == (7, False)
    assert await lists.prompted(8, -100, 99) == (6, True)  # someone else's prompts stay
    clock.advance(days=1)
    assert await lists.prompted(8, -100, 99) is None
