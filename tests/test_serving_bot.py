"""A recommendation's card says how many actions of the strategies serve it, with a button that
lists them and opens each one's card; guests see neither and are refused politely (the real
Application, the fake Bot API server)."""

from __future__ import annotations

from bot.domain.strategy import ActionDraft, ActionStatus
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, GROUP, MEMBER
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import coalition_with


async def _two_actions(bot: BotApplication) -> list[int]:
    """Two actions serving 118.6 (cycle 2) in two working groups, one serving another."""
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    land, other = groups["land"], next(g for s, g in groups.items() if s != "land")
    drafts = [
        ActionDraft(land, 2, "118.6, 118.9", activity="Radio show", timeframe="31 March 2027"),
        ActionDraft(other, 2, "118.6", activity="Letter to the ministry", timeframe="Q4 2026"),
        ActionDraft(land, 2, "118.9", activity="Workshop", timeframe="2027"),
    ]
    ids = [(await services.strategies.add(COORDINATOR_ID, d, services.catalog)).id for d in drafts]
    await services.strategies.set_status(COORDINATOR_ID, ids[0], ActionStatus.IN_PROGRESS)
    return ids


async def test_a_members_card_counts_the_actions_serving_it_and_lists_them(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1, "land")
    ids = await _two_actions(bot)
    counted = 0
    repository = services.strategies.repository
    count = repository.serving_count

    async def counting(recommendation_id: int) -> int:
        nonlocal counted
        counted += 1
        return await count(recommendation_id)

    repository.serving_count = counting  # type: ignore[method-assign]

    card = await tg.reply_to(member, "118.6 c2")
    assert "📋 2 actions in the strategies serve it" in card.text
    assert counted == 1  # one query for the card shown
    # A list page counts nothing (no query per result).
    page = await tg.reply_to(member, "migrant workers")
    assert "📋" not in page.text
    assert counted == 1

    await press(tg, card, button(card, "📋 Actions (2)"), member)
    call = await tg.next_call("sendMessage", chat_id=member["id"])
    listed = tg.messages[(member["id"], call.result["message_id"])]
    assert listed.text.startswith("2 actions in the strategies serve 118.6 (Cycle 2).")
    lines = listed.text.splitlines()
    assert lines[2].startswith("1. ⚪ December 31, 2026 — Letter to the ministry (<i>")
    assert lines[3] == "2. ⏳ March 31, 2027 — Radio show (<i>Land and natural resources</i>)"
    assert "Workshop" not in listed.text
    assert [b["text"] for b in buttons(listed)] == ["1", "2"]

    # A number opens the action's card, as /strategy shows it.
    assert await press(tg, listed, button(listed, "2"), member) == ""
    opened = await edited(tg, listed)
    assert opened.text.startswith("<b>Radio show</b>")
    assert "Recommendations:</b> 118.6, 118.9" in opened.text
    assert ids[0] > 0


async def test_guests_see_no_count_and_are_refused_politely(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1, "land")
    await _two_actions(bot)
    guest_card = await tg.reply_to(MEMBER, "118.6 c2")  # MEMBER is no member: a guest
    assert "📋" not in guest_card.text
    assert not any(b["text"].startswith("📋") for b in buttons(guest_card))

    # In a group, a member's /find shows the count (as /strategy shows the list there); a
    # guest pressing its button gets /strategy's refusal.
    shown = await tg.reply_to(member, "/find 118.6 c2", chat=GROUP)
    assert "📋 2 actions in the strategies serve it" in shown.text
    refused = await press(tg, shown, button(shown, "📋 Actions (2)"), MEMBER)
    assert refused.startswith("This is for the coalition's member organisations")


async def test_a_khmer_member_reads_the_count_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1, "land")
    await _two_actions(bot)
    services: Services = bot.bot_data["services"]
    await services.set_language(member["id"], "km")
    card = await tg.reply_to(member, "118.6 c2")
    [label] = [b["text"] for b in buttons(card) if b["text"].startswith("📋")]
    assert "Actions" not in label
    assert "actions" not in card.text
