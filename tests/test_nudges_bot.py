"""Nudges and /strategy in Telegram: a nudge arrives once through the outbox across restarts,
its buttons answer for the responsible organisation, the nudge shows the answer, a reply adds
the note; /strategy lists and opens actions (the real Application, the fake Bot API server)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import running
from bot.domain.strategy import Action, ActionDraft, ActionStatus
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
from tests.fake_telegram import FakeTelegram, StoredMessage, parse_html
from tests.test_lookup_bot import button, edited, press
from tests.test_nudges import pp
from tests.test_rounds_bot import coalition_with, link_land_group
from tests.test_strategy_file import HEADER_EN, row


async def run_sweep(bot: BotApplication) -> None:
    [job] = bot.job_queue.get_jobs_by_name("nudges")  # type: ignore[union-attr]
    await job.run(bot)


async def idle(app: BotApplication) -> None:
    """Wait until the outbox has sent everything waiting."""
    outbox = app.bot_data["services"].outbox
    for _ in range(500):
        if not await outbox.waiting():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the outbox is still busy")


async def answer(
    tg: FakeTelegram,
    user: dict[str, Any],
    text: str,
    marker: str,
    chat: dict[str, Any] | None = None,
) -> StoredMessage:
    """Send a text; the bot's next message to that chat containing `marker`. The nudge sweep
    runs on its own a second after start and may post a digest or a summary there first."""
    await tg.send(text, user=user, chat=chat)
    chat_id = (chat or user)["id"]
    call = await tg.next_call(
        "sendMessage", chat_id=chat_id, where=lambda c: marker in str(c.params.get("text"))
    )
    return tg.messages[(chat_id, call.result["message_id"])]


def nudged(tg: FakeTelegram, chat_id: int) -> list[StoredMessage]:
    """The nudges the bot sent to a chat."""
    return [
        tg.messages[(chat_id, c.result["message_id"])]
        for c in tg.calls
        if c.method == "sendMessage"
        and str(c.params["chat_id"]) == str(chat_id)
        and "Due in" in str(c.params.get("text", ""))
    ]


async def linked_land_action(
    bot: BotApplication, reps: int, activity: str, timeframe: str
) -> tuple[list[dict], Action]:  # type: ignore[type-arg]
    """`reps` organisations in the land group, whose chat is GROUP, and an action of the
    first one's with this timeframe."""
    services: Services = bot.bot_data["services"]
    people = await coalition_with(bot, reps, "land")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    await services.coalition.link_chat(COORDINATOR_ID, GROUP["id"], 0, land, "Land")
    owner = await services.coalition.own_organisation(people[0]["id"])
    assert owner is not None
    draft = ActionDraft(
        land, 2, "118.6", activity=activity, timeframe=timeframe, organisation_ids=(owner.id,)
    )
    return people, await services.strategies.add(COORDINATOR_ID, draft, services.catalog)


async def test_a_nudge_arrives_once_across_restarts_and_a_representative_answers_it(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        reps, action = await linked_land_action(
            bot, 2, "Radio show on land rights", "31 December 2026"
        )
        clock.current = pp("2026-12-17")
        await run_sweep(bot)
        await run_sweep(bot)
        await idle(bot)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services = bot.bot_data["services"]
        await run_sweep(bot)  # after a restart: nothing again
        await idle(bot)
        # Exactly once through the fake server: the group's chat and the responsible
        # organisation's representative; not the other organisation's.
        [nudge] = nudged(tg, GROUP["id"])
        assert len(nudged(tg, reps[0]["id"])) == 1
        assert nudged(tg, reps[1]["id"]) == []
        assert "Radio show on land rights" in nudge.text
        assert "Due in 14 days" in nudge.text

        # Another organisation's representative: a polite refusal, nothing recorded.
        refused = await press(tg, nudge, button(nudge, "⏳ In progress"), reps[1])
        assert refused.startswith("Thank you, but only representatives")
        assert (await services.strategies.action(action.id)).status is ActionStatus.NOT_STARTED

        assert await press(tg, nudge, button(nudge, "⏳ In progress"), reps[0]) == "⏳ in progress"
        shown = await edited(tg, nudge)
        assert "⏳ in progress — Radio show on land rights: Rep0" in shown.text
        assert shown.text.startswith("⏰ <b>Action strategy: Land")  # bold kept, not escaped
        assert "&lt;" not in shown.text
        assert shown.reply_markup is None or not shown.reply_markup.get("inline_keyboard")
        sent = await tg.next_call("sendMessage", chat_id=GROUP["id"])  # the nudge itself
        assert sent.result["message_id"] == nudge.message_id
        prompt = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        assert prompt.params["reply_markup"]["force_reply"] is True
        too_long = await tg.reply_to(
            reps[0], "<b>" + "x" * 5000, chat=GROUP, reply_to=prompt.result["message_id"]
        )
        assert "at most 300 characters" in too_long.text
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
        # A stale button on the representative's own copy, once a coordinator dropped it.
        await services.strategies.set_status(COORDINATOR_ID, action.id, ActionStatus.DROPPED)
        [private] = nudged(tg, reps[0]["id"])
        stale = await press(tg, private, button(private, "✅ Done"), reps[0])
        assert stale.startswith("This action is already ✖️ dropped.")
        assert (await services.strategies.action(action.id)).status is ActionStatus.DROPPED
    assert tg.unconsumed_errors() == []


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
    listing = await answer(tg, reps[0], "/strategy", "by due date", chat=GROUP)
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
    chooser = await answer(tg, COORDINATOR, "/strategy", "<b>Land and natural resources</b>:")
    assert "<b>Land and natural resources</b>: ⚪ 9 · overdue: 1" in chooser.text


async def test_a_coordinator_imports_a_strategy_by_sending_the_file(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [rep] = await coalition_with(bot, 1, "land")
    lines = [
        HEADER_EN,
        row("land", "118.6", "Radio talk show", "Q2 2027", "ORG0"),
        row("nowhere", "118.8", "Policy dialogue", "2027", "ORG0"),
        row("land", "118.7", "Joint statement", "before the next review", "ORG0"),
    ]
    content = "".join(",".join(f'"{cell}"' for cell in line) + "\r\n" for line in lines)
    await tg.send_document("land.csv", content.encode(), user=COORDINATOR)
    report = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert report.params["text"] == (
        "Action strategy imported: 2 added, 0 updated, 0 unchanged, 1 rows not loaded.\n"
        "• line 3: there is no working group nowhere"
    )
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    actions = (await services.strategies.for_group(land)).actions
    assert sorted(a.fields.activity for a in actions) == ["Joint statement", "Radio talk show"]

    await tg.send_document("land.csv", content.encode(), user=rep)  # members do not import
    refused = await tg.next_call("sendMessage", chat_id=rep["id"])
    assert refused.params["text"] == "Only coordinators can do this."


def test_the_fake_server_keeps_html_as_text_and_entities_as_telegram_does() -> None:
    text, entities = parse_html(
        '⏰ <b>Land &amp; rights</b> <a href="https://x.org/?a=1&amp;b=2">🔗 link</a>'
    )
    assert text == "⏰ Land & rights 🔗 link"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 13},
        {"type": "text_link", "offset": 16, "length": 7, "url": "https://x.org/?a=1&b=2"},
    ]


async def test_a_coordinators_file_the_bot_cannot_read_is_answered_by_its_own_name(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await tg.send_document("report.docx", b"PK junk", user=COORDINATOR)
    answer = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert answer.params["text"].startswith(
        "I can read an action strategy from a .csv or .xlsx file"
    )
    assert "report.docx" in answer.params["text"]
    await tg.send_document("Land plan 2027.csv", "é".encode("utf-16"), user=COORDINATOR)
    answer = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert "Land plan 2027.csv: not UTF-8 text" in answer.params["text"]
