"""/results names the working group asked for: in an open round (a group with no member
organisations is said so, not "0 of 0"), and in a group chat not linked to a working group
(as /export there does); a linked chat keeps its own group."""

from __future__ import annotations

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

NO_LABOUR_MEMBERS = (
    "«Labour rights» has no member organisations, so nobody rated for it in «Land». A "
    "coordinator adds organisations to a working group with /orgs: an organisation, then "
    "[Working groups]."
)


async def test_an_open_round_names_the_group_asked_for_and_one_without_members(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 2, "land")  # nobody in the labour group
    await open_round(tg, "c2 land", "Land")
    answer = await tg.reply_to(reps[0], "/results 1 labour")
    assert answer.text == (
        "This round is still open, and «Labour rights» has no member organisations, so nobody "
        "rates for it in «Land». A coordinator adds organisations to a working group with "
        "/orgs: an organisation, then [Working groups]."
    )
    answer = await tg.reply_to(reps[0], "/results 1 land")
    assert answer.text == (
        "This round is still open: results are shown once coordinators publish them. So far 0 "
        "of 2 organisations of «Land and natural resources» have taken part."
    )
    answer = await tg.reply_to(reps[0], "/results 1 elections")  # nothing of it listed
    assert answer.text == (
        "This round is still open, and none of its recommendations is on the list of "
        "«Elections», so it will have no results in «Land». A coordinator adds "
        "recommendations to a working group's list with /grouprecs."
    )
    answer = await tg.reply_to(reps[0], "/results 1")
    assert answer.text == (
        "This round is still open: results are shown once coordinators publish them. So far 0 "
        "of 2 organisations have taken part."
    )


async def test_results_in_an_unlinked_group_chat_honour_the_group_word(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await open_round(tg, "c2 land", "Land")
    [first, *_] = await services.assessments.repository.items(1)
    for person in reps:
        await services.assessments.rate(person["id"], 1, first, Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    answer = await tg.reply_to(COORDINATOR, "/results 1 labour", chat=GROUP)
    assert answer.text == NO_LABOUR_MEMBERS
    await tg.send("/results 1 land", user=COORDINATOR, chat=GROUP)
    picture = await tg.next_call("sendPhoto", chat_id=GROUP["id"])
    assert picture.params["caption"] == "Land"
    summary = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert "organisations of «Land and natural resources» took part" in summary.params["text"]
    await tg.next_call("sendMessage", chat_id=GROUP["id"])  # the table
    answer = await tg.reply_to(COORDINATOR, "/results 1 lab0ur", chat=GROUP)
    assert answer.text.startswith("I don't know the group «lab0ur».")
    # A chat linked to a working group keeps showing its own group's results.
    await link_land_group(tg)
    await tg.send("/results 1 labour", user=COORDINATOR, chat=GROUP)
    await tg.next_call("sendPhoto", chat_id=GROUP["id"])
    summary = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert "organisations of «Land and natural resources» took part" in summary.params["text"]
