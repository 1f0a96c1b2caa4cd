"""Whom a round concerns (bot/domain/round_audience.py), through the fake server: five
organisations in two working groups and one in none. A round on one group's list tells that
group's chat and its members' representatives only, each with their own count; reminders,
cards, the panel, /rounds, /start and the low-participation question count that audience."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.assessment import Colour
from bot.domain.round_audience import AudienceRule, audience_rule
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram
from tests.round_panel import labels, round_panel
from tests.test_lookup_bot import button, edited, press
from tests.test_round_notices_bot import delivered, notices
from tests.test_round_progress_bot import HIDDEN
from tests.test_rounds_bot import link_land_group, open_round, rep

WOMEN_GROUP = {"id": -100600, "type": "supergroup", "title": "Women working group"}
# Each organisation's short name and its working groups' slugs (NONE is in no group).
ORGANISATIONS = {
    "LAND1": ("land",),
    "LAND2": ("land",),
    "LAND3": ("land",),
    "WOM1": ("women",),
    "WOM2": ("women",),
    "NONE": (),
}
Person = dict  # type: ignore[type-arg]


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: FakeClock) -> AsyncIterator[BotApplication]:
    """The real bot with round notices on."""
    settings = make_settings(tg, db_path, round_notices=True)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def coalition(tg: FakeTelegram, bot: BotApplication) -> dict[str, Person]:
    """The six organisations, one representative each (LAND2's reads Khmer); the land and
    women groups' chats linked. Representatives by short name."""
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = {}
    for n, (short, slugs) in enumerate(ORGANISATIONS.items()):
        invite = await services.coalition.add_organisation(COORDINATOR_ID, short, short)
        for slug in slugs:
            await services.coalition.toggle_group(
                COORDINATOR_ID, invite.organisation.id, groups[slug]
            )
        person = rep(n, "km" if short == "LAND2" else "en")
        await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        if short == "LAND2":
            await services.set_language(person["id"], "km")
        reps[short] = person
    await link_land_group(tg)
    chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=WOMEN_GROUP)
    await press(tg, chooser, button(chooser, "Gender and women's rights"), COORDINATOR)
    await edited(tg, chooser)
    return reps


async def numbers(bot: BotApplication, only: str, besides: str, count: int) -> list[str]:
    """The first `count` numbers of cycle 2 on the `only` group's list and not on `besides`'s."""
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    mine = await services.group_lists.recommendation_ids(groups[only])
    theirs = await services.group_lists.recommendation_ids(groups[besides])
    found = sorted(
        (r for r in services.catalog.recommendations if r.cycle == 2 and r.id in mine - theirs),
        key=lambda r: r.number,
    )
    return [str(r.number) for r in found[:count]]


def test_the_rule_a_round_on_some_groups_and_a_round_on_all_or_none() -> None:
    # (listed in the round, active organisations in the group), by working group
    # and whether the round is a whole cycle (optionally by response)
    assert audience_rule({1: (3, 3), 2: (0, 2), 3: (5, 0)}, False) == AudienceRule()
    assert audience_rule({1: (3, 3), 2: (0, 2)}, True) == AudienceRule(ungrouped=True)
    # Every group concerned (a stray keyword) is not enough: organisations in no group only
    # count in a whole cycle.
    assert audience_rule({1: (3, 3), 2: (1, 2), 3: (0, 0)}, False) == AudienceRule()
    assert audience_rule({1: (3, 3), 2: (1, 2), 3: (0, 0)}, True) == AudienceRule(ungrouped=True)
    assert audience_rule({1: (0, 3), 2: (0, 2), 3: (4, 0)}, False) == AudienceRule(True, True)
    assert audience_rule({}, False) == AudienceRule(everyone=True, ungrouped=True)


async def test_a_round_on_one_groups_list_concerns_that_group_only(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition(tg, bot)
    land = await numbers(bot, "land", "women", 3)
    await open_round(tg, f"c2 {' '.join(land)} until 2026-12-31", "Land check")

    # The opening notice: the land chat and the land organisations' representatives only,
    # each with their count (the Khmer reader in Khmer).
    told = await notices(services, "round:1:opened")
    assert sorted(chat for chat, _, _ in told) == sorted(
        [GROUP["id"]] + [reps[s]["id"] for s in ("LAND1", "LAND2", "LAND3")]
    )
    by_chat = {chat: text for chat, text, _ in told}
    assert by_chat[GROUP["id"]].startswith(
        "New assessment «Land check»: 3 recommendations for this working group,"
    )
    assert by_chat[reps["LAND1"]["id"]].startswith(
        "New assessment «Land check»: 3 recommendations for your organisation to rate,"
    )
    khmer = services.translations.localizer("km")
    assert by_chat[reps["LAND2"]["id"]].startswith(
        khmer.ngettext(
            "New assessment «{name}»: {count} recommendation for your organisation to rate, "
            "{closing}.",
            "New assessment «{name}»: {count} recommendations for your organisation to rate, "
            "{closing}.",
            3,
        )
        .split("{closing}")[0]
        .format(name="Land check", count=khmer.number(3))
    )
    await delivered(tg, told)

    # The group's card and a member's private card count the same three organisations.
    card = await tg.reply_to(reps["LAND1"], "/rate", chat=GROUP)
    assert card.text.endswith(f"\n0 of 3 {HIDDEN}")
    assert await press(tg, card, button(card, "🔴"), reps["LAND1"]) == "LAND1 rated it 🔴."
    await tg.next_call("sendMessage", chat_id=reps["LAND1"]["id"])  # the reason prompt
    private = await tg.reply_to(reps["LAND3"], "/rate")
    assert private.text.endswith(f"\n1 of 3 {HIDDEN}")
    # An organisation outside the round may rate; it is in no denominator.
    outside = await tg.reply_to(reps["WOM1"], "/rate")
    assert outside.text.endswith(f"\n1 of 3 {HIDDEN}")
    await press(tg, outside, button(outside, "🟢"), reps["WOM1"])
    assert f"\n1 of 3 {HIDDEN}\nYour organisation's rating: 🟢" in (await edited(tg, outside)).text
    assert await services.assessments.participation(1) == (1, 3)

    # /rounds: each organisation of the audience with its own denominator; members theirs.
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert listing.text.split("\n")[1] == "   LAND1 1/3 · LAND2 0/3 · LAND3 0/3"
    assert "1 of 3 organisations took part" in listing.text
    own = await tg.reply_to(reps["LAND3"], "/rounds")
    assert own.text.split("\n")[1] == "   your organisation: 0 of 3 rated"
    start = await tg.reply_to(reps["LAND3"], "/start")
    assert "«Land check»: 3 to rate, closes" in start.text
    start = await tg.reply_to(reps["NONE"], "/start")
    assert "«Land check»: not for your organisation's working groups" in start.text

    # 🔔 reminds the audience's organisations that are behind, with what they have left.
    for rec_id in await services.assessments.items(1):
        await services.assessments.rate(reps["LAND1"]["id"], 1, rec_id, Colour.RED)
    panel = await round_panel(tg, 1)
    answer = await press(tg, panel, button(panel, "🔔 Remind those behind"), COORDINATOR)
    assert answer == "Reminded 2 organisations (2 people)."
    reminded = await notices(services, "round:1:reminder-now")
    assert sorted(chat for chat, _, _ in reminded) == sorted(
        [reps["LAND2"]["id"], reps["LAND3"]["id"]]
    )
    land3 = next(text for chat, text, _ in reminded if chat == reps["LAND3"]["id"])
    assert land3.endswith("Your organisation has rated 0 of 3: 3 left.")

    # Publishing with one of three organisations asks twice, counting the audience.
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    panel = await round_panel(tg, 1)
    assert await press(tg, panel, button(panel, "Publish"), COORDINATOR) == ""
    question = await edited(tg, panel)
    assert "Only 1 of 3 organisations rated (33 %)" in question.text


async def test_an_organisation_outside_the_round_rates_without_counting(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition(tg, bot)
    await open_round(tg, f"c2 {' '.join(await numbers(bot, 'land', 'women', 2))}", "Outside")
    first, _ = await services.assessments.items(1)
    await services.assessments.rate(reps["WOM1"]["id"], 1, first, Colour.GREEN)
    assert await services.assessments.participation(1) == (0, 3)
    panel = await round_panel(tg, 1)
    assert "LAND1 0/2 · LAND2 0/2 · LAND3 0/2" in panel.text
    assert "WOM1" not in panel.text
    assert "Delete" not in labels(panel)  # a rating, if outside: the round keeps it


async def test_a_round_on_every_groups_list_is_not_for_organisations_in_no_group(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition(tg, bot)
    land = await numbers(bot, "land", "women", 2)
    women = await numbers(bot, "women", "land", 1)
    # The preview says whom [Open] tells: each linked group's chat with its count, and how
    # many organisations.
    preview = await tg.reply_to(COORDINATOR, f"/openround c2 {' '.join(land + women)} : Both")
    assert preview.text.split("\n")[-1] == (
        "Tells: «Land and natural resources» chat (2), «Gender and women's rights» chat (1); "
        "5 organisations"
    )
    assert await press(tg, preview, button(preview, "Open"), COORDINATOR) == ""
    await edited(tg, preview)
    told = {chat: text for chat, text, _ in await notices(services, "round:1:opened")}
    # Narrowed by numbers: organisations in no group are not told, even though every group's
    # list holds some of it.
    expected = {GROUP["id"], WOMEN_GROUP["id"], *(r["id"] for r in reps.values())}
    assert set(told) == expected - {reps["NONE"]["id"]}
    assert "«Both»: 2 recommendations for this working group" in told[GROUP["id"]]
    assert "«Both»: 1 recommendation for this working group, " in told[WOMEN_GROUP["id"]]
    assert "Tap Rate now to post the card here." in told[WOMEN_GROUP["id"]]
    assert "«Both»: 1 recommendation for your organisation to rate" in told[reps["WOM2"]["id"]]
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert listing.text.split("\n")[1] == (
        "   LAND1 0/2 · LAND2 0/2 · LAND3 0/2 · WOM1 0/1 · WOM2 0/1"
    )
    assert "0 of 5 organisations took part" in listing.text

    # Private /rate offers an organisation its own recommendations first.
    await delivered(tg, await notices(services, "round:1:opened"))
    for short, first in (("LAND1", land[0]), ("WOM1", women[0])):
        card = await tg.reply_to(reps[short], "/rate")
        assert card.text.startswith(f"<b>{first}</b>")


async def test_a_theme_round_is_not_for_organisations_in_no_group_a_whole_cycle_is(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition(tg, bot)
    await open_round(tg, "c2 women", "Women")
    audience = await services.assessments.audience(1)
    shorts = {s.short_name for s in audience.shares}
    assert "NONE" not in shorts
    assert {"WOM1", "WOM2"} <= shorts
    # The private card of a recommendation only the women group lists counts its members,
    # as the group's card does.
    women_only = set(await numbers(bot, "women", "land", 200))
    items = set(await services.assessments.items(1))
    rec = next(
        r.id
        for r in services.catalog.recommendations
        if r.cycle == 2 and str(r.number) in women_only and r.id in items
    )
    _, _, total = await services.assessments.card_counts(1, rec)
    assert total == 2

    await open_round(tg, "c2 accepted", "Accepted")
    shorts = {s.short_name for s in (await services.assessments.audience(2)).shares}
    assert "NONE" in shorts
    shares = (await services.assessments.audience(2)).shares
    none = next(s for s in shares if s.short_name == "NONE")
    assert none.total == len(await services.assessments.items(2))
