"""Coordinators add and edit actions from the chat, one step at a time, and correct milestones
with /milestones (the real Application, the fake Bot API server, a real SQLite file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import running
from bot.domain.milestones import Milestone
from bot.domain.strategy import ActionDraft
from bot.domain.timeframes import Timeframe
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
    until,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, edited, press
from tests.test_nudges import pp
from tests.test_nudges_bot import idle, nudged, run_sweep
from tests.test_rounds_bot import coalition_with

LAND = "Land and natural resources"


async def said(tg: FakeTelegram, chat_id: int) -> StoredMessage:
    """The bot's next message to a chat (the coordinators' weekly summary aside: the job queue
    sends it whenever its minute comes, and the test clock starts on a Monday morning)."""
    while True:
        call = await tg.next_call("sendMessage", chat_id=chat_id)
        assert call.error is None, call.error
        message = tg.messages[(chat_id, call.result["message_id"])]
        if not message.text.startswith("📋"):
            return message


async def asked(services: Services, prompt_id: int) -> None:
    """Wait until the bot has remembered the step prompt it sent (just after sending it)."""
    repository = services.strategies.repository
    await until(
        lambda: repository.waiting_draft(
            COORDINATOR_ID, COORDINATOR_ID, prompt_id, services.clock.now(), None
        ),
        "remembering the prompt",
    )


async def answer(tg: FakeTelegram, text: str, user: dict[str, Any] = COORDINATOR) -> StoredMessage:
    """Send a plain private message; the bot's next message back."""
    await tg.send(text, user=user)
    return await said(tg, user["id"])


async def start_adding(tg: FakeTelegram) -> StoredMessage:
    """/strategy in private → the land group → ➕ Add action: the first step's prompt."""
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "➕ Add action"), COORDINATOR)
    return await said(tg, COORDINATOR_ID)


async def test_a_coordinator_adds_an_action_step_by_step_across_a_restart(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services: Services = bot.bot_data["services"]
        [rep] = await coalition_with(bot, 1, "land")
        first = await start_adding(tg)
        assert "step 1 of 10: Recommendations" in first.text
        assert [b["text"] for row in first.reply_markup["inline_keyboard"] for b in row] == [
            "✖ Cancel"
        ]
        # A number the cycle does not have: refused, the same step asked again.
        refused = await answer(tg, "118.6, 999.1")
        assert refused.text == (
            "Cycle 2 has no recommendation 999.1. Please send it again (or tap ✖ Cancel)."
        )
        activity = await answer(tg, "118.6, 118.7")
        assert "step 2 of 10: Action or activity" in activity.text
        too_long = await answer(tg, "x" * 1001)
        assert too_long.text.startswith("A field is too long: at most 1000 characters.")
        timeframe = await answer(tg, "<b>Radio</b> show & talks")
        assert "step 3 of 10: Timeframe" in timeframe.text
        understood = await answer(tg, "31 March 2027")
        assert understood.text == "I read it as: due March 31, 2027 (Phnom Penh)."
        organisations = await said(tg, COORDINATOR_ID)
        assert "step 4 of 10: Responsible organisations" in organisations.text
        await press(tg, organisations, button(organisations, "ORG0"), COORDINATOR)
        chosen = await edited(tg, organisations)
        await press(tg, chosen, button(chosen, "✔ Done"), COORDINATOR)
        prompt = await said(tg, COORDINATOR_ID)
        for _ in range(5):  # other mechanisms, SDG targets, indicator, resources, partners
            assert "⏭ Skip" in [
                b["text"] for row in prompt.reply_markup["inline_keyboard"] for b in row
            ]
            await press(tg, prompt, button(prompt, "⏭ Skip"), COORDINATOR)
            prompt = await said(tg, COORDINATOR_ID)
        assert "step 10 of 10: Risks and responses" in prompt.text
        land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
        assert (await services.strategies.for_group(land)).actions == ()  # nothing half-written
    # A restart between the prompt and its answer loses nothing: the reply still answers it.
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services = bot.bot_data["services"]
        summary = await tg.reply_to(
            COORDINATOR, "Officials refuse: ask the ministry", reply_to=prompt.message_id
        )
        assert "<b>&lt;b&gt;Radio&lt;/b&gt; show &amp; talks</b>" in summary.text
        assert "<b>Risks and responses:</b> Officials refuse: ask the ministry" in summary.text
        assert "<b>Responsible organisations:</b> ORG0" in summary.text
        save = button(summary, "💾 Save")
        await press(tg, summary, save, COORDINATOR)
        assert (await said(tg, COORDINATOR_ID)).text == "✅ Action added."
        card = await said(tg, COORDINATOR_ID)
        assert "<b>Recommendations:</b> 118.6, 118.7" in card.text
        [action] = (await services.strategies.for_group(land)).actions
        assert action.fields.activity == "<b>Radio</b> show & talks"
        assert isinstance(action.fields.timeframe, Timeframe)
        assert str(action.fields.timeframe.due_day) == "2027-03-31"
        # The same Save pressed again (a double tap) adds nothing.
        stale = await press(tg, tg.carrying(summary, save), save, COORDINATOR)
        assert stale.startswith("This is no longer being edited")
        assert len((await services.strategies.for_group(land)).actions) == 1
        # The export carries the new action.
        exported = await services.export_strategy(COORDINATOR_ID, "csv", group="land")
        assert "<b>Radio</b> show & talks" in exported.decode("utf-8-sig")
        assert rep  # the representative's organisation is the responsible one
    assert tg.unconsumed_errors() == []


async def test_a_khmer_speaking_coordinator_adds_an_action_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1, "land")
    await services.set_language(COORDINATOR_ID, "km")
    chooser = await answer(tg, "/strategy")
    land = next(g for g in await services.coalition.working_groups() if g.slug == "land")
    await press(tg, chooser, button(chooser, land.name("km")), COORDINATOR)
    listing = await edited(tg, chooser)
    add = next(
        b["callback_data"]
        for row in listing.reply_markup["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("an:")
    )
    await press(tg, listing, add, COORDINATOR)
    await said(tg, COORDINATOR_ID)
    await answer(tg, "១១៨.៧")
    await answer(tg, "វិទ្យុអំពីសិទ្ធិដីធ្លី")
    understood = await answer(tg, "ថ្ងៃទី៣១ ខែមីនា ឆ្នាំ២០២៧")
    assert "មីនា" in understood.text  # the due day, in Khmer
    organisations = await said(tg, COORDINATOR_ID)
    done = next(
        b["callback_data"]
        for row in organisations.reply_markup["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("ad:") and ":d" in b["callback_data"]
    )
    await press(tg, organisations, done, COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    for _ in range(6):
        skip = prompt.reply_markup["inline_keyboard"][0][0]["callback_data"]
        assert ":s" in skip
        await press(tg, prompt, skip, COORDINATOR)
        prompt = await said(tg, COORDINATOR_ID)
    save = prompt.reply_markup["inline_keyboard"][0][0]["callback_data"]
    await press(tg, prompt, save, COORDINATOR)
    [action] = (await services.strategies.for_group(land.id)).actions
    assert action.fields.activity == "វិទ្យុអំពីសិទ្ធិដីធ្លី"
    assert action.fields.timeframe.original == "ថ្ងៃទី៣១ ខែមីនា ឆ្នាំ២០២៧"
    assert isinstance(action.fields.timeframe, Timeframe)
    assert str(action.fields.timeframe.due_day) == "2027-03-31"
    assert [services.catalog.by_id[r].number for r in action.fields.recommendation_ids] == [
        next(
            r.number
            for r in services.catalog.by_id.values()
            if str(r.number) == "118.7" and r.cycle == 2
        )
    ]


async def test_an_edited_timeframe_moves_the_nudges_and_members_cannot_edit(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    [rep] = await coalition_with(bot, 1, "land")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(rep["id"])
    assert owner is not None
    draft = ActionDraft(
        land,
        2,
        "118.6",
        activity="Radio show",
        timeframe="31 March 2027",
        organisation_ids=(owner.id,),
    )
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)
    await press(tg, card, button(card, "✏️ Edit"), COORDINATOR)
    fields = await edited(tg, card)
    # A member's forged button: refused at the gate, nothing asked, nothing changed.
    forged = button(fields, "Timeframe")
    refused = await press(tg, tg.carrying(card, forged), forged, rep)
    assert refused == "Only coordinators can do this."
    await press(tg, fields, forged, COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    assert "Now: 31 March 2027" in prompt.text
    await asked(services, prompt.message_id)
    await tg.send("whenever the ministry agrees", user=COORDINATOR, reply_to=prompt.message_id)
    unreadable = await said(tg, COORDINATOR_ID)
    assert unreadable.text.startswith("⚠️ I cannot read this timeframe:")
    assert (await said(tg, COORDINATOR_ID)).text == "✅ Timeframe changed."
    await said(tg, COORDINATOR_ID)  # the card, redrawn
    await press(tg, fields, forged, COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    await asked(services, prompt.message_id)
    await tg.send("15 December 2026", user=COORDINATOR, reply_to=prompt.message_id)
    understood = await said(tg, COORDINATOR_ID)
    assert understood.text == "I read it as: due December 15, 2026 (Phnom Penh)."
    assert (await said(tg, COORDINATOR_ID)).text == "✅ Timeframe changed."
    redrawn = await said(tg, COORDINATOR_ID)
    assert "<b>Timeframe:</b> 15 December 2026" in redrawn.text
    found = await services.strategies.action(action.id)
    assert found.history[-1].note == "✏️ whenever the ministry agrees → 15 December 2026"
    # The sweep follows the new due day: 14 days before it, the representative is nudged.
    clock.current = pp("2026-12-01")
    await run_sweep(bot)
    await idle(bot)
    [nudge] = nudged(tg, rep["id"])
    assert "Due in 14 days, on December 15, 2026." in nudge.text
    # An organisation deactivated since can still be taken off the action.
    await services.coalition.set_active(COORDINATOR_ID, owner.id, False)
    await press(tg, fields, button(fields, "Responsible organisations"), COORDINATOR)
    chooser = await said(tg, COORDINATOR_ID)
    await press(tg, chooser, button(chooser, "✅ ORG0"), COORDINATOR)
    untoggled = await edited(tg, chooser)
    await press(tg, untoggled, button(untoggled, "✔ Done"), COORDINATOR)
    assert (await said(tg, COORDINATOR_ID)).text == "✅ Responsible organisations changed."
    assert (await services.strategies.action(action.id)).fields.organisation_ids == ()


async def test_milestones_are_listed_and_a_coordinator_corrects_one(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [rep] = await coalition_with(bot, 1, "land")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    draft = ActionDraft(land, 2, "118.6", activity="Report", timeframe="by the mid-term report")
    await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    listing = await tg.reply_to(rep, "/milestones")
    assert "Mid-term: <b>around 2026</b> (<i>as shipped</i>)" in listing.text
    assert listing.reply_markup is None  # members read only
    guest = {"id": 999_001, "is_bot": False, "first_name": "G", "language_code": "en"}
    assert (await tg.reply_to(guest, "/milestones")).text.startswith("This is for the coalition")
    shown = await tg.reply_to(COORDINATOR, "/milestones", chat=GROUP)
    await press(tg, shown, button(shown, "Cycle 2"), COORDINATOR)
    chooser = await edited(tg, shown)
    await press(tg, chooser, button(chooser, "Mid-term"), COORDINATOR)
    prompt = await said(tg, GROUP["id"])
    assert prompt.reply_markup["force_reply"] is True
    # The bot remembers the prompt just after sending it: a reply faster than that (only a test
    # types so fast) would answer nothing.
    stored = services.milestones.repository
    await until(
        lambda: stored.prompt(
            COORDINATOR_ID, GROUP["id"], prompt.message_id, services.clock.now()
        ),
        "remembering the prompt",
    )
    bad = await tg.reply_to(COORDINATOR, "soon", chat=GROUP, reply_to=prompt.message_id)
    assert bad.text.startswith("Write a date like 2027-06-30 or 30 June 2027")
    done = await tg.reply_to(COORDINATOR, "៣០ មិថុនា ២០២៧", chat=GROUP, reply_to=prompt.message_id)
    assert done.text == "Cycle 2, Mid-term: June 30, 2027. The dates of 1 action moved."
    entry = (await services.milestones.table()).of(2).entries[Milestone.MID_TERM]
    assert entry.date is not None
    assert entry.date.text == "2027-06-30"
    assert entry.corrected_by == COORDINATOR_ID
