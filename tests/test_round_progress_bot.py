"""No herding, and progress one can see: a card shows only how many organisations have rated
until yours has (a group's card until the results are published); coordinators see each
organisation's progress in /rounds, a member their own organisation's."""

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

HIDDEN_GROUP = "organisations have rated (colours shown when the results are published)"
HIDDEN_PRIVATE = "organisations have rated (colours shown once your organisation has rated)"


async def test_colours_show_once_your_organisation_has_rated_or_results_are_published(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Herd")
    [rec] = await services.assessments.items(1)
    group_card = await tg.reply_to(reps[0], "/rate", chat=GROUP)
    assert group_card.text.endswith(f"\n0 of 2 {HIDDEN_GROUP}")
    assert await press(tg, group_card, button(group_card, "🔴"), reps[0]) == "ORG0 rated it 🔴."
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # the reason prompt

    # The other organisation has not rated it: its private card shows no colour yet.
    card = await tg.reply_to(reps[1], "/rate")
    assert card.text.endswith(f"\n1 of 2 {HIDDEN_PRIVATE}")
    assert "🔴 1" not in card.text
    await press(tg, card, button(card, "🟠"), reps[1])
    card = await edited(tg, card)
    assert "\n🔴 1 · 🟠 1 · 🟢 0 · ❔ 0 — 2 of 2 organisations" in card.text

    # A group's card is everyone's: no colours until the results are published.
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert await services.assessments.shows_colours(None, round_, rec) is False
    assert await services.assessments.shows_colours(COORDINATOR_ID, round_, rec) is True
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert await services.assessments.shows_colours(None, round_, rec) is True


async def test_rounds_shows_each_organisations_progress_to_coordinators_and_own_to_members(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3", "Progress")
    first, second, _ = await services.assessments.items(1)
    await services.assessments.rate(reps[0]["id"], 1, first, Colour.RED)
    await services.assessments.rate(reps[0]["id"], 1, second, Colour.GREEN)
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert listing.text.split("\n")[1] == "   ORG0 2/3 · ORG1 0/3"
    own = await tg.reply_to(reps[0], "/rounds")
    assert own.text.split("\n")[1] == "   your organisation: 2 of 3 rated"
    assert "ORG1" not in own.text  # per-organisation data only for coordinators
