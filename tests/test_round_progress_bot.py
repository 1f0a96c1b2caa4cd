"""No herding, no deduction, and progress one can see: until a round is closed and published a
member's card shows only how many organisations have rated (and, in private, their own colour);
coordinators see the colours, and each organisation's progress in /rounds, a member their own
organisation's."""

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round

HIDDEN = "organisations have rated (colours shown when the results are published)"


async def test_no_member_sees_an_open_rounds_colours_only_participation_and_their_own(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """With two organisations, one that sees the counts after its own tap would know the
    other's colour: while the round is open (or not yet published) a member's card, in a group
    or in private, says only how many have rated and their own colour; a coordinator's counts
    show the colours."""
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Herd")
    group_card = await tg.reply_to(reps[0], "/rate", chat=GROUP)
    assert group_card.text.endswith(f"\n0 of 2 {HIDDEN}")
    assert await press(tg, group_card, button(group_card, "🔴"), reps[0]) == "ORG0 rated it 🔴."
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # the reason prompt

    card = await tg.reply_to(reps[1], "/rate")
    assert card.text.endswith(f"\n1 of 2 {HIDDEN}")
    await press(tg, card, button(card, "🟢"), reps[1])
    card = await edited(tg, card)
    assert f"\n2 of 2 {HIDDEN}\nYour organisation's rating: 🟢" in card.text
    assert "🔴" not in card.text.split("\n\n", 1)[1]
    asked = await tg.next_call("sendMessage", chat_id=reps[1]["id"])  # the reason prompt
    assert "🔴" not in asked.params["text"]
    mine = await tg.reply_to(reps[1], "/myratings")
    assert "🔴" not in mine.text
    await press(tg, mine, button(mine, "118.63 🟢"), reps[1])
    again = await tg.next_call("sendMessage", chat_id=reps[1]["id"])
    assert f"\n2 of 2 {HIDDEN}" in again.params["text"]
    await flush(bot)
    group_card = await edited(tg, group_card)
    assert group_card.text.endswith(f"\n2 of 2 {HIDDEN}")

    # Closed but not published: still nothing but participation.
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert await services.assessments.shows_colours(reps[0]["id"], round_) is False
    assert await services.assessments.shows_colours(None, round_) is False
    # A coordinator, in private, sees the colours at any time.
    assert await services.assessments.shows_colours(COORDINATOR_ID, round_) is True
    await tg.reply_to(COORDINATOR, "/results 1")
    page = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert "🔴 1 · 🟠 0 · 🟢 1 · ❔ 0" in page.params["text"]

    await services.assessments.publish(COORDINATOR_ID, 1)
    round_ = await services.assessments.round(1)
    assert round_ is not None
    assert await services.assessments.shows_colours(None, round_) is True
    assert await services.assessments.shows_colours(reps[0]["id"], round_) is True


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
