"""The broadcast composer against misuse, end to end: stale buttons, double taps, edits of
scheduled broadcasts, and messages the composer cannot send."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.domain.broadcast import AudienceKind, Step, Version
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
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_outbox_bot import drained
from tests.test_rounds_bot import coalition_with

SECOND = {"id": 112, "is_bot": False, "first_name": "Sokha", "language_code": "en"}
STALE = "This button no longer works: please use the broadcast's newest message."


async def at_message_step(
    tg: FakeTelegram, audience: str = "▫️ All working-group chats"
) -> StoredMessage:
    """A new draft to `audience`, waiting for its message: the composer's prompt."""
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    return await tap(tg, await tap(tg, composer, audience), "Next ▶")


async def compose_to_preview(
    tg: FakeTelegram, text: str, audience: str = "▫️ All working-group chats"
) -> StoredMessage:
    """A draft sent now to `audience`, up to its summary with Confirm."""
    await at_message_step(tg, audience)
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
    # Both presses are queued before the bot reads either.
    await tg.push_many([{"callback_query": {**pressed, "id": f"tap{n}"}} for n in range(2)])
    answers = sorted(
        [
            (await tg.next_call("answerCallbackQuery", callback_query_id=f"tap{n}")).params.get(
                "text", ""
            )
            for n in range(2)
        ]
    )
    # One person's presses are handled in order: the second finds the draft already sent.
    assert answers == [
        "",
        "This draft is no longer waiting: it was sent or it expired. /broadcasts shows what "
        "was sent.",
    ]
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
    assert "Next times (Phnom Penh): 25 Nov 2026, 09:00;" in options.text
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
        ready(AudienceKind.COORDINATORS, "News"), send_at=clock.now() + dt.timedelta(days=1)
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
    assert "Delivered" not in tg.messages[(SECOND["id"], watched.message_id)].text


async def send_media(tg: FakeTelegram, **media: Any) -> None:
    """The coordinator sends something other than text (a sticker, a photo…)."""
    chat = {"id": COORDINATOR_ID, "type": "private", "first_name": COORDINATOR["first_name"]}
    await tg.push_update(
        {"message": {"message_id": 90000, "date": 0, "chat": chat, "from": COORDINATOR, **media}}
    )


async def test_what_the_composer_cannot_send_is_refused_at_the_message_step(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    await at_message_step(tg)
    sticker = {"file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512}
    await send_media(
        tg, sticker={**sticker, "height": 512, "is_animated": False, "is_video": False}
    )
    said = await next_message(tg, COORDINATOR_ID)
    assert said.text == "Please send text, or one photo or document."
    photo = [{"file_id": "ph1", "file_unique_id": "uph1", "width": 90, "height": 90}]
    await send_media(tg, photo=photo, caption="Premium caption " * 100)
    said = await next_message(tg, COORDINATOR_ID)
    assert said.text.startswith("This caption is too long: Telegram allows at most 1024 ")
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert draft.versions == ()
    await send_media(tg, photo=photo, caption="Short caption")
    assert "I have the English version" in (await next_message(tg, COORDINATOR_ID)).text


async def test_a_broadcast_to_nobody_cannot_be_confirmed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    summary = await compose_to_preview(tg, "To no chat at all")
    assert "It will go to 0 chats." in summary.text
    assert (await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR)).startswith(
        "Nobody would receive it"
    )
    assert await services.broadcasts.listing(COORDINATOR_ID) == []


async def test_a_preview_telegram_refuses_says_so_and_asks_for_the_message_again(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    # A caption too long for Telegram, in a draft stored before such captions were refused.
    version = Version("en", "x" * 1100, photo="ph1")
    draft = dataclasses.replace(
        ready(AudienceKind.CHATS, ""), versions=(version,), step=Step.OPTIONS
    )
    await services.broadcasts.save(COORDINATOR_ID, draft)
    await tg.send("/broadcast", user=COORDINATOR)
    await next_message(tg, COORDINATOR_ID)
    options = await next_message(tg, COORDINATOR_ID)
    assert await press(tg, options, button(options, "Preview ▶"), COORDINATOR) == ""
    refused = await tg.next_call("sendPhoto", chat_id=COORDINATOR_ID)
    assert refused.error == "Bad Request: message is too long"
    said = await next_message(tg, COORDINATOR_ID)
    assert said.text.startswith("Telegram refused this message, so it cannot be sent:")
    assert "Step 2 of 5" in (await next_message(tg, COORDINATOR_ID)).text


async def test_after_fifteen_quiet_minutes_a_text_is_a_lookup_again(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    await link_chats(services)
    composer = await at_message_step(tg)
    assert "I take what you send in the next 15 minutes" in composer.text
    clock.advance(minutes=16)
    await tg.send("118.6", user=COORDINATOR)
    assert "I have the English version" not in (await next_message(tg, COORDINATOR_ID)).text
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert draft.versions == ()
    await tg.send("/broadcast", user=COORDINATOR)  # shows the draft again: the wait restarts
    await next_message(tg, COORDINATOR_ID)
    await next_message(tg, COORDINATOR_ID)
    await tg.send("The real message", user=COORDINATOR)
    assert "I have the English version" in (await next_message(tg, COORDINATOR_ID)).text


async def test_khmer_weekdays_are_named_alike_on_buttons_and_in_the_heading(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    km = services.translations.localizer("km")
    khmer = {**COORDINATOR, "language_code": "km"}
    composer = await tg.reply_to(khmer, "/broadcast")
    composer = await tap(tg, composer, "▫️ " + km.gettext("All working-group chats"), khmer)
    await tap(tg, composer, km.gettext("Next") + " ▶", khmer)
    await tg.send("សូមផ្ញើព័ត៌មានថ្មី", user=khmer)
    second = await next_message(tg, COORDINATOR_ID)
    when = await tap(tg, second, km.gettext("Skip") + " ▶", khmer)
    repeat = await tap(tg, when, "🔁 " + km.gettext("Weekly"), khmer)  # today is a Monday
    repeat = await tap(tg, repeat, "ព្រហស្បតិ៍", khmer)  # Thursday, named in full
    labels = [b["text"] for b in buttons(repeat)]
    assert "✅ច័ន្ទ" in labels
    assert "✅ព្រហស្បតិ៍" in labels
    assert "ច័ន្ទ និង\u200bព្រហស្បតិ៍" in repeat.text  # joined the Khmer way, no Latin comma


async def test_the_report_keeps_counting_got_it_and_names_who_pressed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    reps = await coalition_with(bot, 2)
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.MEMBERS, "Hello"))
    watched = await tg.reply_to(COORDINATOR, "/help")  # the message the report edits
    await services.broadcasts.set_report_message(item.id, COORDINATOR_ID, watched.message_id)
    await services.broadcasts.sweep()
    await drained(services)
    await run_job(bot, "broadcast-progress")
    assert "0 people pressed “Got it”." in (await edited(tg, watched)).text
    delivered = next(d for d in await deliveries(services) if d.chat_id == reps[1]["id"])
    [[got_it]] = delivered.content.buttons
    assert got_it.data is not None
    message = tg.carrying(watched, got_it.data)
    assert await press(tg, message, got_it.data, reps[1]) == "Thank you, noted."
    await run_job(bot, "broadcast-progress")  # everything was delivered: still kept current
    report = (await edited(tg, watched)).text
    assert "1 person pressed “Got it”." in report
    assert "Got it: ORG1 (Rep1)" in report
    edits = len([c for c in tg.calls if c.method == "editMessageText"])
    await run_job(bot, "broadcast-progress")  # nothing new: no edit
    assert len([c for c in tg.calls if c.method == "editMessageText"]) == edits


async def test_a_cancelled_recurring_broadcast_is_deleted_and_reported_by_occurrence(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    await link_chats(services)
    daily = Recurrence(Frequency.DAILY, dt.time(8))
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Daily", daily))
    clock.advance(hours=23)  # Tuesday 08:00 in Phnom Penh
    await run_job(bot, "broadcast-sweep")
    await drained(services)
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert await press(tg, listed, button(listed, "📊 Report"), COORDINATOR) == ""
    report = await next_message(tg, COORDINATOR_ID)
    assert report.text.startswith("<b>Broadcast 1 of 24 Nov 2026, 08:00")
    await services.broadcasts.cancel(COORDINATOR_ID, item.id)
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert "cancelled" in listed.text
    assert await press(tg, listed, button(listed, "🗑 Delete everywhere"), COORDINATOR) == ""
    assert (await edited(tg, listed)).text == "Broadcast 1 deleted from 2 chats."
    await tg.send("/audit", user=COORDINATOR)
    audit = await next_message(tg, COORDINATOR_ID)
    assert "the bot · sent broadcast · broadcast 1 of 24 Nov 2026, 08:00" in audit.text
    assert "202611240100" not in audit.text
