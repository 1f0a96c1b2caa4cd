"""The broadcast composer against misuse, end to end: stale buttons, double taps, edits of
scheduled broadcasts, and messages the composer cannot send."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.domain.broadcast import AudienceKind
from bot.domain.schedule import Frequency, Recurrence
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_broadcasts_bot import (
    confirm,
    deliveries,
    link_chats,
    next_message,
    ready,
    run_job,
    services_of,
    tap,
)
from tests.test_lookup_bot import button, edited, press

SECOND = {"id": 112, "is_bot": False, "first_name": "Sokha", "language_code": "en"}
STALE = "This button no longer works: please use the broadcast's newest message."


async def compose_to_preview(
    tg: FakeTelegram, text: str, audience: str = "▫️ All working-group chats"
) -> StoredMessage:
    """A draft sent now to `audience`, up to its summary with Confirm."""
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, audience)
    await tap(tg, composer, "Next ▶")
    await tg.send(text, user=COORDINATOR)
    second = await next_message(tg, COORDINATOR_ID)
    when = await tap(tg, second, "Skip ▶")
    options = await tap(tg, when, "▶ Now")
    assert await press(tg, options, button(options, "Preview ▶"), COORDINATOR) == ""
    await edited(tg, options)
    await next_message(tg, COORDINATOR_ID)  # the preview itself
    return await next_message(tg, COORDINATOR_ID)


async def test_an_old_confirm_never_sends_the_draft_written_since(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    summary = await compose_to_preview(tg, "First draft")
    # /broadcast shows the draft again; it is cancelled there and another one is begun.
    await tg.send("/broadcast", user=COORDINATOR)
    await next_message(tg, COORDINATOR_ID)
    again = await next_message(tg, COORDINATOR_ID)
    assert await press(tg, again, button(again, "✖ Cancel"), COORDINATOR) == ""
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ All member representatives (privately)")
    composer = await tap(tg, composer, "Next ▶")
    await tg.send("DRAFT - do not send yet", user=COORDINATOR)
    second = await next_message(tg, COORDINATOR_ID)
    # Every old composer button is refused, and the draft in progress stays as it is.
    for old, label in ((summary, "✅ Confirm"), (summary, "✖ Cancel"), (composer, "✖ Cancel")):
        assert await press(tg, old, button(old, label), COORDINATOR) == STALE
    assert await deliveries(services) == []
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert draft.versions[0].text == "DRAFT - do not send yet"
    # The current message's buttons work.
    when = await tap(tg, second, "Skip ▶")
    assert "Step 3 of 5" in when.text


async def test_a_double_tap_on_confirm_sends_once(tg: FakeTelegram, bot: BotApplication) -> None:
    services = services_of(bot)
    await link_chats(services)
    summary = await compose_to_preview(tg, "Meeting moved to Friday")
    pressed = {
        "chat_instance": "ci",
        "from": COORDINATOR,
        "data": button(summary, "✅ Confirm"),
        "message": {
            "message_id": summary.message_id,
            "date": 0,
            "chat": {"id": COORDINATOR_ID, "type": "private"},
            "text": summary.text,
            "reply_markup": summary.reply_markup,
        },
    }
    # Both presses are queued before the bot reads either: they are handled concurrently.
    await tg.push_many([{"callback_query": {**pressed, "id": f"tap{n}"}} for n in range(2)])
    answers = sorted(
        [
            (await tg.next_call("answerCallbackQuery", callback_query_id=f"tap{n}")).params.get(
                "text", ""
            )
            for n in range(2)
        ]
    )
    assert answers == ["", "Already confirmed."]
    assert "Broadcast 1 is going out" in (await edited(tg, summary)).text
    sent = await deliveries(services)
    assert sorted(d.chat_id for d in sent) == sorted({d.chat_id for d in sent})
    assert len(sent) == 2
    assert len(await services.broadcasts.listing(COORDINATOR_ID)) == 1


async def edit_from_list(tg: FakeTelegram) -> StoredMessage:
    """/broadcasts, then ✏️ Edit on the one scheduled broadcast: the composer's first step."""
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert await press(tg, listed, button(listed, "✏️ Edit"), COORDINATOR) == ""
    return await next_message(tg, COORDINATOR_ID)


async def test_an_edited_daily_broadcast_sends_nothing_before_the_previewed_time(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    await link_chats(services)
    daily = Recurrence(Frequency.DAILY, dt.time(8))
    await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Check-in", daily))
    clock.advance(hours=23)  # Tuesday 08:00 in Phnom Penh: the first occurrence
    await run_job(bot, "broadcast-sweep")
    assert len(await deliveries(services)) == 2
    clock.advance(hours=2)  # 10:00: moved to 09:00 from now on
    composer = await tap(tg, await edit_from_list(tg), "Next ▶")
    when = await tap(tg, composer, "Skip ▶")
    repeat = await tap(tg, when, "🔁 Daily")
    options = await tap(tg, await tap(tg, repeat, "9:00"), "Next ▶")
    assert "Next times (Phnom Penh): Nov 25, 2026, 9:00" in options.text
    await press(tg, options, button(options, "Preview ▶"), COORDINATOR)
    await edited(tg, options)
    await next_message(tg, COORDINATOR_ID)
    summary = await next_message(tg, COORDINATOR_ID)
    assert await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR) == ""
    assert "is scheduled" in (await edited(tg, summary)).text
    await run_job(bot, "broadcast-sweep")
    assert len(await deliveries(services)) == 2  # not today's 09:00, already past
    clock.advance(hours=23)  # Wednesday 09:00
    await run_job(bot, "broadcast-sweep")
    assert len(await deliveries(services)) == 4


async def test_an_every_monday_broadcast_is_edited_on_any_day_keeping_its_days(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    await link_chats(services)
    mondays = Recurrence(Frequency.WEEKLY, dt.time(14), frozenset({0}))
    await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Weekly news", mondays))
    for _ in ("Monday", "Tuesday"):
        composer = await tap(tg, await edit_from_list(tg), "Next ▶")
        when = await tap(tg, composer, "Skip ▶")
        assert "Every Monday at 14:00" in when.text
        repeat = await tap(tg, when, "🔁 Weekly")  # the rule as it is, not today toggled
        assert "Every Monday at 14:00" in repeat.text
        assert await press(tg, repeat, button(repeat, "✖ Cancel"), COORDINATOR) == ""
        clock.advance(days=1)
    composer = await tap(tg, await edit_from_list(tg), "Next ▶")
    when = await tap(tg, composer, "Skip ▶")
    options = await tap(tg, when, "✅ Keep the current schedule")
    assert "Step 4 of 5" in options.text
    assert "Every Monday at 14:00" in options.text


async def test_an_edit_is_discarded_or_refused_and_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    daily = Recurrence(Frequency.DAILY, dt.time(14))
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Daily", daily))
    # ✖ Cancel during an edit discards the changes; the broadcast stays scheduled.
    composer = await edit_from_list(tg)
    assert await press(tg, composer, button(composer, "✖ Cancel"), COORDINATOR) == ""
    said = (await edited(tg, composer)).text
    assert said == f"Changes discarded: broadcast {item.id} stays scheduled as it was."
    assert (await services.broadcasts.get(COORDINATOR_ID, item.id)).status.value == "scheduled"
    # A draft in progress is not replaced by an edit.
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    await tap(tg, composer, "▫️ Coordinators")
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert (await press(tg, listed, button(listed, "✏️ Edit"), COORDINATOR)).startswith(
        "You are writing another broadcast."
    )
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert draft.editing is None
    await services.broadcasts.discard(COORDINATOR_ID)
    # Cancelled by another coordinator while being edited: Confirm says what happened.
    composer = await tap(tg, await edit_from_list(tg), "Next ▶")
    when = await tap(tg, composer, "Skip ▶")
    options = await tap(tg, when, "✅ Keep the current schedule")
    await press(tg, options, button(options, "Preview ▶"), COORDINATOR)
    await edited(tg, options)
    await next_message(tg, COORDINATOR_ID)
    summary = await next_message(tg, COORDINATOR_ID)
    await services.broadcasts.cancel(COORDINATOR_ID, item.id)
    assert await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR) == (
        f"Broadcast {item.id} was cancelled by another coordinator meanwhile: your changes "
        "were not saved."
    )


async def test_a_demoted_coordinator_gets_no_more_reports(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    await services.coalition.repository.seed_coordinators([SECOND["id"]], "en")
    await services.coalition.add_organisation(COORDINATOR_ID, "NOREP", "Nobody yet")
    tomorrow = dataclasses.replace(
        ready(AudienceKind.MEMBERS, "News"), send_at=clock.now() + dt.timedelta(days=1)
    )
    item = await confirm(services, SECOND["id"], tomorrow)
    watched = await tg.reply_to(SECOND, "/broadcasts")  # the message the report would edit
    await services.broadcasts.set_report_message(item.id, SECOND["id"], watched.message_id)
    await services.coalition.set_coordinator(COORDINATOR_ID, SECOND["id"], False)
    clock.advance(days=1)
    await run_job(bot, "broadcast-sweep")
    await run_job(bot, "broadcast-progress")
    await run_job(bot, "broadcast-progress")
    assert [c for c in tg.calls if c.method == "editMessageText"] == []
    assert "NOREP" not in tg.messages[(SECOND["id"], watched.message_id)].text
