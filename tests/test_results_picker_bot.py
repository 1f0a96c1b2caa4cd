"""/results alone: the only published round at once, else a button for each published round
(nobody is told to type a round number)."""

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, buttons, press
from tests.test_rounds_bot import coalition_with, open_round


async def test_results_alone_shows_the_published_round_or_offers_each(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member, *_] = await coalition_with(bot, 2)
    services: Services = bot.bot_data["services"]
    rec = next(
        r for r in services.catalog.recommendations if str(r.number) == "118.6" and r.cycle == 2
    )
    for round_id, colour in ((1, Colour.RED), (2, Colour.GREEN)):
        await open_round(tg, "c2 118.6", f"Round {round_id}")
        await services.assessments.rate(member["id"], round_id, rec.id, colour)
        await services.assessments.set_open(COORDINATOR_ID, round_id, False)

    none = await tg.reply_to(member, "/results")
    assert none.text == "No results are published yet."

    await services.assessments.publish(COORDINATOR_ID, 1)
    numbered = (await tg.reply_to(member, "/results 1")).text
    page = (await tg.next_call("sendMessage", chat_id=member["id"])).params["text"]
    assert (await tg.reply_to(member, "/results")).text == numbered  # the only one, at once
    assert (await tg.next_call("sendMessage", chat_id=member["id"])).params["text"] == page

    await services.assessments.publish(COORDINATOR_ID, 2)
    picker = await tg.reply_to(member, "/results")
    assert picker.text == "Which round's results?"
    assert [b["text"] for b in buttons(picker)] == ["Results: 2. Round 2", "Results: 1. Round 1"]
    await press(tg, picker, button(picker, "Results: 1. Round 1"), member)
    shown = await tg.next_call("sendMessage", chat_id=member["id"])
    assert shown.params["text"] == numbered
