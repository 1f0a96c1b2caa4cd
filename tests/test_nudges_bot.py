"""Nudges in Telegram: the buttons answer for the responsible organisation, the nudge shows the
answer, a reply adds the note (the real Application against the fake Bot API server)."""

from __future__ import annotations

from bot.content import send_content
from bot.domain.outbox import Content
from bot.domain.strategy import ActionDraft, ActionStatus
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, edited, press
from tests.test_nudges import pp
from tests.test_rounds_bot import coalition_with, link_land_group


async def run_sweep(bot: BotApplication) -> None:
    [job] = bot.job_queue.get_jobs_by_name("nudges")  # type: ignore[union-attr]
    await job.run(bot)


async def deliver(bot: BotApplication, tg: FakeTelegram, chat_id: int) -> StoredMessage:
    """Send the chat's waiting nudge as the outbox's sender would; the message it became."""
    services: Services = bot.bot_data["services"]
    async with services.database.connection.execute(
        "SELECT content FROM deliveries WHERE chat_id = ? AND reference LIKE 'nudge:%'",
        (chat_id,),
    ) as cursor:
        [(raw,)] = list(await cursor.fetchall())
    sent = await send_content(bot.bot, chat_id, Content.from_json(raw))
    await tg.next_call("sendMessage", chat_id=chat_id)
    return tg.messages[(chat_id, sent.message_id)]


async def test_a_representative_answers_a_nudge_in_the_group_with_a_note(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(reps[0]["id"])
    assert owner is not None
    draft = ActionDraft(
        land,
        2,
        "118.6",
        activity="Radio show on land rights",
        timeframe="31 December 2026",
        organisation_ids=(owner.id,),
    )
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    clock.current = pp("2026-12-17")
    await run_sweep(bot)
    await run_sweep(bot)  # once only
    nudge = await deliver(bot, tg, GROUP["id"])
    assert "Radio show on land rights" in nudge.text
    assert "Due in 14 days" in nudge.text

    # Another organisation's representative: a polite refusal, nothing recorded.
    refused = await press(tg, nudge, button(nudge, "⏳ In progress"), reps[1])
    assert refused.startswith("Thank you, but only representatives")
    assert (await services.strategies.action(action.id)).status is ActionStatus.NOT_STARTED

    assert await press(tg, nudge, button(nudge, "⏳ In progress"), reps[0]) == "⏳ in progress"
    shown = await edited(tg, nudge)
    assert "⏳ in progress — Radio show on land rights: Rep0" in shown.text
    assert shown.reply_markup is None or not shown.reply_markup.get("inline_keyboard")
    prompt = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert prompt.params["reply_markup"]["force_reply"] is True
    answer = await tg.reply_to(
        reps[0], "Draft sent to the ministry", chat=GROUP, reply_to=prompt.result["message_id"]
    )
    assert answer.text == "Note kept. Thank you."
    found = await services.strategies.action(action.id)
    assert found.status is ActionStatus.IN_PROGRESS
    assert (found.history[-1].actor, found.history[-1].note) == (
        reps[0]["id"],
        "Draft sent to the ministry",
    )


async def test_strategy_lists_a_groups_actions_and_opens_their_cards(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(reps[0]["id"])
    assert owner is not None
    for n in range(9):  # due one month after another; the last one is already overdue
        draft = ActionDraft(
            land,
            2,
            "118.6",
            activity=f"Action {n}",
            timeframe="October 2026" if n == 8 else f"{n + 1:02d}/2027",
            indicator="Two shows aired",
            organisation_ids=(owner.id,),
        )
        await services.strategies.add(COORDINATOR_ID, draft, services.catalog)

    # In the group's chat: its actions by due date, eight a page.
    listing = await tg.reply_to(reps[0], "/strategy", chat=GROUP)
    assert "<b>Land and natural resources</b>\n9 actions, by due date." in listing.text
    assert listing.text.index("Action 8") < listing.text.index("Action 0")  # October first
    assert "Action 7" not in listing.text
    await press(tg, listing, button(listing, "▶"), reps[0])
    second = await edited(tg, listing)
    assert "9. ⚪" in second.text
    assert "Action 7" in second.text

    # A card: every field, the organisation, the timeframe as read, the status buttons.
    await press(tg, second, button(second, "9"), reps[0])
    card = await edited(tg, second)
    assert "<b>Indicator:</b> Two shows aired" in card.text
    assert "<b>Responsible organisations:</b> ORG0" in card.text
    assert "<b>Timeframe:</b> 08/2027 (August 1, 2027 to August 31, 2027)" in card.text
    assert "<b>Recommendations:</b> 118.6" in card.text
    assert button(card, "✅ Done").startswith("nsd:")

    # In private a coordinator chooses the group, with the counts of each.
    chooser = await tg.reply_to(COORDINATOR, "/strategy")
    assert "<b>Land and natural resources</b>: ⚪ 9 · overdue: 1" in chooser.text
