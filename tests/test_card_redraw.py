"""Rating cards' counts survive a failed edit: the card is redrawn on the next run."""

from handlers.common import BotApplication
from tests.conftest import GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import buttons, press
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round


async def test_a_failed_redraw_is_retried_until_it_succeeds(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Faults")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    red = buttons(card)[0]["callback_data"]
    assert await press(tg, card, red, reps[0]) == "ORG0 rated it 🔴."

    tg.fail_next("editMessageText", 500)
    await flush(bot)
    failed = await tg.next_call("editMessageText", chat_id=GROUP["id"])
    assert failed.error == "Injected fault"
    assert card.text.endswith(
        "0 of 2 organisations have rated (colours shown when the results are published)"
    )

    await flush(bot)  # the next run tries again
    retried = await tg.next_call("editMessageText", chat_id=GROUP["id"])
    assert retried.error is None
    assert card.text.endswith(
        "1 of 2 organisations have rated (colours shown when the results are published)"
    )

    await flush(bot)  # drawn: nothing more to do
    assert [c for c in tg.calls if c.method == "editMessageText" and not c.consumed] == []


async def test_not_modified_counts_as_drawn(tg: FakeTelegram, bot: BotApplication) -> None:
    reps = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Same")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    red, orange = (b["callback_data"] for b in buttons(card)[:2])
    await press(tg, card, red, reps[0])
    await press(tg, card, orange, reps[0])
    await press(tg, card, red, reps[0])
    await flush(bot)
    await tg.next_call("editMessageText", chat_id=GROUP["id"])
    await press(tg, card, orange, reps[0])
    await press(tg, card, red, reps[0])  # back to what the card shows
    await flush(bot)
    same = await tg.next_call("editMessageText", chat_id=GROUP["id"])
    assert "not modified" in str(same.error)
    await flush(bot)
    # (The private reason prompt follows the colour: tests/test_reason_flow_bot.py.)
    assert [
        c
        for c in tg.calls
        if c.method == "editMessageText"
        and not c.consumed
        and str(c.params["chat_id"]) == str(GROUP["id"])
    ] == []
