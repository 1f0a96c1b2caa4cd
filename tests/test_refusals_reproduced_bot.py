"""Refusals reviewers reproduced: a paused organisation's representative asking for results
is told its membership is paused (not that it cannot rate), a forged results-page button for
a working group that does not exist is stale, a vote for a recommendation never in the round."""

from typing import Any

from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, press
from tests.test_rounds_bot import coalition_with, open_round
from tests.test_rules import services_of

PAUSED = (
    "Your organisation's membership of the coalition is paused, so this is not available to "
    "it for now. Contact a coordinator."
)
PAUSED_KM = (
    "សមាជិកភាពរបស់អង្គការអ្នកក្នុងសម្ព័ន្ធត្រូវបានផ្អាក "
    "ដូច្នេះអង្គការអ្នកមិនអាចប្រើមុខងារនេះបានទេសម្រាប់ពេលនេះ។ សូមទាក់ទងអ្នកសម្របសម្រួល។"
)
STALE = "This button no longer works. Please send your question again."


async def published_round(tg: FakeTelegram, bot: BotApplication) -> list[dict[str, Any]]:
    """Two organisations rate round 1 (118.1–118.3); coordinators close and publish it."""
    services = services_of(bot)
    reps = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3", "Check")
    for person in reps:
        card = await tg.reply_to(person, "/rate")
        await press(tg, card, button(card, "🟢"), person)
        await tg.next_call("sendMessage", chat_id=person["id"])  # the reason asked for
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    return reps


async def pause(services: Services, person: dict[str, Any]) -> None:
    found = await services.coalition.person(person["id"])
    assert found is not None
    assert found.organisation_id is not None
    await services.coalition.set_active(COORDINATOR_ID, found.organisation_id, False)


async def test_a_paused_organisation_asking_for_results_is_told_its_membership_is_paused(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    member, other = await published_round(tg, bot)
    await pause(services, member)
    await pause(services, other)
    await services.set_language(other["id"], "km")
    for command in ("/results 1", "/export 1 xlsx", "/rounds", "/compare"):
        assert (await tg.reply_to(member, command)).text == PAUSED, command
        assert (await tg.reply_to(other, command)).text == PAUSED_KM, command
    assert (await tg.reply_to(member, "/rate")).text == PAUSED


async def test_a_forged_results_page_for_no_working_group_is_refused_as_stale(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await published_round(tg, bot)
    await tg.reply_to(COORDINATOR, "/results 1")
    page = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    shown = tg.messages[(COORDINATOR_ID, page.result["message_id"])]
    since = len(tg.calls)
    for forged in ("rq:1:1:999", "rq:1:0:999"):
        assert await press(tg, tg.carrying(shown, forged), forged, COORDINATOR) == STALE
    assert [c for c in tg.calls[since:] if c.method == "editMessageText"] == []
    assert tg.messages[(COORDINATOR_ID, page.result["message_id"])] == shown


async def test_a_vote_for_a_recommendation_never_in_the_round_says_it_is_not_part_of_it(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    for forged in ("vg:1:1", "vr:1:999999"):
        assert await press(tg, tg.carrying(card, forged), forged, member) == (
            "This recommendation is not part of this round."
        )
