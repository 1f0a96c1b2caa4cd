"""A deleted round's id is never given to a new round: an old card's buttons stay dead."""

from __future__ import annotations

from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, GROUP, until
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round
from tests.test_rules import services_of


async def test_a_card_of_a_deleted_round_does_not_rate_in_the_round_opened_after_it(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    repository = services.assessments.repository
    representatives = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Opened by mistake")
    await tg.send("/rate 1", user=representatives[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    await until(lambda: repository.posted(1, GROUP["id"]), "the card recorded")
    assert await repository.delete_round(1, actor=COORDINATOR_ID, now=services.clock.now())
    await open_round(tg, "c2 118.63", "Opened again")
    [again] = await services.assessments.rounds()
    assert (again.id, again.name) == (2, "Opened again")
    answer = await press(tg, card, button(card, "🟢"), representatives[1])
    assert "no longer exists" in answer
    assert await repository.ratings(again.id) == []
