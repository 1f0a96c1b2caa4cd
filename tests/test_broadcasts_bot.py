"""Broadcasts end to end: composed with buttons in English and Khmer through the real bot, handed
to the outbox once per recipient and occurrence by the sweep, acknowledged, cancelled; the
schedule follows a fake clock (never sleeping) across restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import running
from bot.domain.broadcast import Audience, AudienceKind, Broadcast, Draft, Version
from bot.domain.outbox import Delivery, DeliveryStatus
from bot.domain.schedule import Frequency, Recurrence
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_outbox_bot import drained
from tests.test_rounds_bot import coalition_with

PP = ZoneInfo("Asia/Phnom_Penh")
KHMER_COORDINATOR = {**COORDINATOR, "language_code": "km"}
LAND_CHAT = {"id": -100700, "type": "supergroup", "title": "Land"}
HEALTH_CHAT = {"id": -100800, "type": "supergroup", "title": "Health", "is_forum": True}


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def deliveries(services: Services) -> list[Delivery]:
    """Every delivery the outbox holds, oldest first."""
    async with services.database.connection.execute(
        "SELECT id FROM deliveries ORDER BY id"
    ) as cursor:
        ids = [int(r[0]) async for r in cursor]
    found = [await services.outbox.delivery(i) for i in ids]
    return [d for d in found if d is not None]


async def link_chats(services: Services) -> None:
    """Two working-group chats: Land in English, a Health forum topic in Khmer."""
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    coalition = services.coalition
    await coalition.link_chat(COORDINATOR_ID, LAND_CHAT["id"], 0, groups["land"], "Land")
    await coalition.link_chat(COORDINATOR_ID, HEALTH_CHAT["id"], 9, groups["health"], "Health")
    await coalition.set_chat_language(COORDINATOR_ID, HEALTH_CHAT["id"], 9, "km")


def ready(
    kind: AudienceKind, text: str, recurrence: Recurrence | None = None, **audience: Any
) -> Draft:
    """A finished draft, as the composer leaves it before Confirm."""
    return Draft(
        audience=Audience(kind, **audience),
        versions=(Version("en", text),),
        recurrence=recurrence,
        audience_chosen=True,
    )


async def confirm(services: Services, actor: int, draft: Draft) -> Broadcast:
    """The draft stored as the coordinator's, then confirmed (as the composer does)."""
    await services.broadcasts.save(actor, draft)
    return await services.broadcasts.confirm(actor, draft)


def clock_of(bot: BotApplication) -> dt.datetime:
    return services_of(bot).clock.now()


async def next_message(tg: FakeTelegram, chat_id: int) -> StoredMessage:
    call = await tg.next_call("sendMessage", chat_id=chat_id)
    assert call.error is None, call.error
    return tg.messages[(chat_id, call.result["message_id"])]


async def tap(
    tg: FakeTelegram, message: StoredMessage, label: str, user: dict[str, Any] = COORDINATOR
) -> StoredMessage:
    """Press a composer button and return the redrawn composer."""
    assert await press(tg, message, button(message, label), user) == ""
    return await edited(tg, message)


async def run_job(bot: BotApplication, name: str) -> None:
    [job] = bot.job_queue.get_jobs_by_name(name)  # type: ignore[union-attr]
    await job.run(bot)


async def test_compose_by_buttons_in_english_to_every_group_chat_in_two_languages(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    tg.admins |= {LAND_CHAT["id"], HEALTH_CHAT["id"]}  # the bot is an admin who may pin
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    assert "Step 1 of 5: who should receive it?" in composer.text
    composer = await tap(tg, composer, "▫️ All working-group chats")
    assert "It will go to 2 chats." in composer.text
    composer = await tap(tg, composer, "Next ▶")
    assert "Step 2 of 5" in composer.text
    bold = [{"type": "bold", "offset": 0, "length": 8}]
    await tg.send("Reminder: send your updates by Friday", user=COORDINATOR, entities=bold)
    second = await next_message(tg, COORDINATOR_ID)
    assert "I have the English version. Send the Khmer version too" in second.text
    await tg.send("សូមផ្ញើព័ត៌មានថ្មីមុនថ្ងៃសុក្រ", user=COORDINATOR)
    when = await next_message(tg, COORDINATOR_ID)
    assert "Step 3 of 5" in when.text
    options = await tap(tg, when, "▶ Now")
    assert "Step 4 of 5" in options.text
    assert "When: now" in options.text
    options = await tap(tg, options, "▫️ Pin in groups")
    assert await press(tg, options, button(options, "Preview ▶"), COORDINATOR) == ""
    # The preview: each version exactly as recipients get it, then the summary.
    previews = [await next_message(tg, COORDINATOR_ID) for _ in range(2)]
    assert [p.text for p in previews] == [
        "Reminder: send your updates by Friday",
        "សូមផ្ញើព័ត៌មានថ្មីមុនថ្ងៃសុក្រ",
    ]
    assert [b["text"] for b in buttons(previews[0])] == ["✓ Got it"]
    got_it = button(previews[0], "✓ Got it")
    assert await press(tg, previews[0], got_it, COORDINATOR) == (
        "This is the preview: recipients' presses will be counted."
    )
    assert [b["text"] for b in buttons(previews[1])] == ["✓ យល់ហើយ"]
    summary = await next_message(tg, COORDINATOR_ID)
    assert "Step 5 of 5" in summary.text
    assert "It will go to 2 chats." in summary.text
    assert await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR) == ""
    confirmed = await edited(tg, summary)
    assert confirmed.text.startswith("Broadcast 1 is going out…")

    staged = await deliveries(services)
    by_chat = {d.chat_id: d for d in staged}
    assert sorted(by_chat) == [HEALTH_CHAT["id"], LAND_CHAT["id"]]
    land, health = by_chat[LAND_CHAT["id"]], by_chat[HEALTH_CHAT["id"]]
    assert land.content.text == "Reminder: send your updates by Friday"
    assert land.content.entities == tuple(bold)
    assert (land.topic_id, land.language, land.content.pin) == (None, "en", True)
    assert health.content.text == "សូមផ្ញើព័ត៌មានថ្មីមុនថ្ងៃសុក្រ"
    assert (health.topic_id, health.language) == (9, "km")
    assert [b.label for row in health.content.buttons for b in row] == ["✓ យល់ហើយ"]
    assert land.reference == health.reference
    assert land.reference is not None
    assert land.reference.startswith("broadcast:1:")
    # Another sweep (the job, or a restart) never hands it over twice.
    await run_job(bot, "broadcast-sweep")
    assert len(await deliveries(services)) == 2


async def test_got_it_is_counted_once_per_person_and_shown_in_the_report(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    draft = ready(AudienceKind.CHATS, "Hello")
    item = await confirm(services, COORDINATOR_ID, draft)
    await services.broadcasts.sweep()
    land = next(d for d in await deliveries(services) if d.chat_id == LAND_CHAT["id"])
    [[got_it]] = land.content.buttons
    assert got_it.data is not None
    anchor = await tg.reply_to(COORDINATOR, "/help")
    message = tg.carrying(anchor, got_it.data)  # as the sender would have posted it
    readers = [{"id": 7000 + n, "is_bot": False, "first_name": f"R{n}"} for n in range(3)]
    answers = [await press(tg, message, got_it.data, reader) for reader in readers]
    assert answers == ["Thank you, noted."] * 3
    assert await press(tg, message, got_it.data, readers[0]) == "Already noted."
    report = await services.broadcasts.report(COORDINATOR_ID, item.id)
    assert report.acknowledged == 3
    assert report.waiting + report.sent == 2  # whether or not the outbox has sent them yet


async def test_cancel_withdraws_what_is_waiting_at_once(services: Services) -> None:
    await services.coalition.repository.seed_coordinators([COORDINATOR_ID], "en")
    await link_chats(services)
    weekly = Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0}))
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Hi", weekly))
    clock: FakeClock = services.clock  # type: ignore[assignment]
    clock.advance(days=7)
    await services.broadcasts.sweep()
    assert [d.status for d in await deliveries(services)] == [DeliveryStatus.WAITING] * 2
    assert await services.broadcasts.cancel(COORDINATOR_ID, item.id) == 2
    assert [d.status for d in await deliveries(services)] == [DeliveryStatus.CANCELLED] * 2
    clock.advance(days=7)
    await services.broadcasts.sweep()
    assert len(await deliveries(services)) == 2  # no further Monday


async def test_cancel_from_the_list_of_broadcasts(tg: FakeTelegram, bot: BotApplication) -> None:
    services = services_of(bot)
    await link_chats(services)
    weekly = Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0}))
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Hi", weekly))
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert listed.text.startswith(f"<b>Broadcast {item.id}</b> · scheduled")
    assert await press(tg, listed, button(listed, "✖ Cancel"), COORDINATOR) == ""
    done = await edited(tg, listed)
    assert done.text == f"Broadcast {item.id} cancelled; 0 waiting messages withdrawn."
    services.clock.advance(days=7)  # type: ignore[attr-defined]
    await run_job(bot, "broadcast-sweep")
    assert await deliveries(services) == []  # its Monday never comes


async def test_every_monday_at_nine_fires_at_the_right_phnom_penh_times_across_a_month(
    bot: BotApplication,
) -> None:
    services = services_of(bot)
    clock: FakeClock = services.clock  # type: ignore[assignment]
    weekly = Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0}), until=dt.date(2026, 12, 21))
    draft = ready(AudienceKind.COORDINATORS, "Send your updates", weekly)
    item = await confirm(services, COORDINATOR_ID, draft)
    # Monday 23 November 2026 09:00 in Phnom Penh: created at that very moment, so the first
    # one is next Monday. The sweep runs every hour for five weeks.
    for _ in range(24 * 35):
        clock.advance(hours=1)
        await run_job(bot, "broadcast-sweep")
    sent = [d for d in await deliveries(services) if d.chat_id == COORDINATOR_ID]
    occurrences = await services.broadcasts.store.occurrences(item.id)
    assert [t.astimezone(PP).strftime("%a %d %b %H:%M") for t in occurrences] == [
        "Mon 30 Nov 09:00",
        "Mon 07 Dec 09:00",
        "Mon 14 Dec 09:00",
        "Mon 21 Dec 09:00",
    ]
    assert len(sent) == 4
    assert len({d.reference for d in sent}) == 4
    finished = await services.broadcasts.get(COORDINATOR_ID, item.id)
    assert finished.status.value == "sent"  # past its end date


async def test_a_recurring_broadcast_missed_while_down_sends_once_at_start(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    daily = Recurrence(Frequency.DAILY, dt.time(8))
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as first:
        services = services_of(first)
        draft = ready(AudienceKind.COORDINATORS, "Daily note", daily)
        item = await confirm(services, COORDINATOR_ID, draft)
    clock.advance(days=5)  # down for five days: five 08:00s missed
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as second:
        services = services_of(second)
        await run_job(second, "broadcast-sweep")
        await run_job(second, "broadcast-sweep")
        staged = await deliveries(services)
        assert len(staged) == 1
        [occurrence] = await services.broadcasts.store.occurrences(item.id)
        assert occurrence.astimezone(PP) == dt.datetime(2026, 11, 28, 8, 0, tzinfo=PP)


async def test_a_restart_mid_compose_loses_nothing(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as first:
        await link_chats(services_of(first))
        composer = await tg.reply_to(KHMER_COORDINATOR, "/broadcast")
        assert "ជំហានទី១ នៃ ៥" in composer.text
        composer = await tap(tg, composer, "▫️ ក្រុមជជែករបស់ក្រុមការងារទាំងអស់", KHMER_COORDINATOR)
        await tap(tg, composer, "បន្ទាប់ ▶", KHMER_COORDINATOR)
        await tg.send("សូមផ្ញើព័ត៌មានថ្មី", user=KHMER_COORDINATOR)
        second = await next_message(tg, COORDINATOR_ID)
    clock.advance(hours=3)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as again:
        when = await tap(tg, second, "រំលង ▶", KHMER_COORDINATOR)
        assert "ជំហានទី៣ នៃ ៥" in when.text
        await tg.send("ថ្ងៃស្អែក ម៉ោង៩", user=KHMER_COORDINATOR)
        options = await next_message(tg, COORDINATOR_ID)
        assert "ជំហានទី៤ នៃ ៥" in options.text
        draft = await services_of(again).broadcasts.draft(COORDINATOR_ID)
        assert draft is not None
        assert [v.text for v in draft.versions] == ["សូមផ្ញើព័ត៌មានថ្មី"]
        assert draft.send_at == dt.datetime(2026, 11, 24, 9, 0, tzinfo=PP)
        # The rest in Khmer too: preview, confirm; it waits for tomorrow 09:00.
        await press(tg, options, button(options, "មើលជាមុន ▶"), KHMER_COORDINATOR)
        assert (await edited(tg, options)).text == "មើលជាមុន៖"
        assert (await next_message(tg, COORDINATOR_ID)).text == "សូមផ្ញើព័ត៌មានថ្មី"
        summary = await next_message(tg, COORDINATOR_ID)
        assert "ជំហានទី៥ នៃ ៥" in summary.text
        assert "នឹងផ្ញើទៅការជជែកចំនួន ២។" in summary.text
        await press(tg, summary, button(summary, "✅ បញ្ជាក់"), KHMER_COORDINATOR)
        done = await edited(tg, summary)
        assert done.text.startswith("សារជូនដំណឹងទី១ បានកំណត់ពេលផ្ញើហើយ។")
        assert await deliveries(services_of(again)) == []


async def test_typed_times_in_the_past_or_unreadable_are_explained(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await services.broadcasts.save(
        COORDINATOR_ID,
        ready(AudienceKind.COORDINATORS, "x"),
    )
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    assert "Here is the broadcast you were writing" in composer.text
    composer = await next_message(tg, COORDINATOR_ID)
    composer = await tap(tg, composer, "Next ▶")  # the message is there: kept
    when = await tap(tg, composer, "Skip ▶")
    assert "Step 3 of 5" in when.text
    past = await tg.reply_to(COORDINATOR, "2026-11-01 09:00")
    assert past.text == "That time has already passed. Please type a later one."
    vague = await tg.reply_to(COORDINATOR, "sometime soon")
    assert vague.text.startswith("I could not read that.")


async def test_two_sweeps_at_once_hand_an_occurrence_over_once(bot: BotApplication) -> None:
    services = services_of(bot)
    await link_chats(services)
    draft = ready(AudienceKind.CHATS, "Once")
    await confirm(services, COORDINATOR_ID, draft)
    started = await asyncio.gather(*(services.broadcasts.sweep() for _ in range(3)))
    assert sorted(len(s) for s in started) == [0, 0, 1]
    assert len(await deliveries(services)) == 2


async def test_the_coordinators_message_shows_progress_then_the_final_report(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    await services.coalition.add_organisation(COORDINATOR_ID, "NOREP", "Nobody yet")
    await coalition_with(bot, 1)  # one organisation it reaches (a broadcast to nobody is refused)
    draft = ready(AudienceKind.MEMBERS, "To members")
    await services.broadcasts.save(COORDINATOR_ID, draft)
    await tg.send("/broadcast", user=COORDINATOR)
    await next_message(tg, COORDINATOR_ID)  # "here is the broadcast you were writing"
    composer = await next_message(tg, COORDINATOR_ID)
    message = await tap(tg, composer, "Next ▶")
    when = await tap(tg, message, "Skip ▶")
    options = await tap(tg, when, "▶ Now")
    await press(tg, options, button(options, "Preview ▶"), COORDINATOR)
    assert (await edited(tg, options)).text == "Preview:"
    await next_message(tg, COORDINATOR_ID)  # the preview
    summary = await next_message(tg, COORDINATOR_ID)
    assert "No one can be reached at: NOREP" in summary.text
    await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR)
    await edited(tg, summary)
    await drained(services)
    await run_job(bot, "broadcast-progress")
    final = await edited(tg, summary)
    assert final.text == (
        "<b>Broadcast 1: sent.</b>\nDelivered: 1 · waiting: 0 · failed: 0\n"
        "0 people pressed “Got it”.\nCould not be reached: NOREP"
    )
    edits = len([c for c in tg.calls if c.method == "editMessageText"])
    await run_job(bot, "broadcast-progress")  # reported once: no more edits
    assert len([c for c in tg.calls if c.method == "editMessageText"]) == edits


async def test_forged_or_foreign_broadcast_buttons_are_refused(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    member = {"id": 4242, "is_bot": False, "first_name": "Member", "language_code": "en"}
    anchor = await tg.reply_to(member, "/help")
    data = button(composer, "▫️ All working-group chats")
    # Data the pressed message does not carry (a bad client can send any).
    assert await press(tg, anchor, data, member) == (
        "This button no longer works. Please send your question again."
    )
    # Carried, but pressed by someone who is not a coordinator.
    forged = tg.carrying(anchor, data)
    assert await press(tg, forged, data, member) == "Only coordinators can do this."
    assert await press(tg, forged, "bc:a:99", member) == (
        "This button no longer works. Please send your question again."
    )
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert not draft.audience_chosen  # nothing a forged press did reached the draft


async def test_a_scheduled_broadcast_is_edited_with_the_composer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    daily = Recurrence(Frequency.DAILY, dt.time(9))
    item = await confirm(
        services, COORDINATOR_ID, ready(AudienceKind.COORDINATORS, "Old words", daily)
    )
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert "Every day at 09:00" in listed.text
    assert await press(tg, listed, button(listed, "✏️ Edit"), COORDINATOR) == ""
    composer = await next_message(tg, COORDINATOR_ID)
    assert "✅ Coordinators" in [b["text"] for b in buttons(composer)]
    await tap(tg, composer, "Next ▶")
    await tg.send("New words", user=COORDINATOR)  # replaces the English version
    second = await next_message(tg, COORDINATOR_ID)
    when = await tap(tg, second, "Skip ▶")
    repeat = await tap(tg, when, "🔁 Weekly")  # today is a Monday
    assert "Every Monday at 09:00" in repeat.text
    options = await tap(tg, await tap(tg, repeat, "14:00"), "Next ▶")
    await press(tg, options, button(options, "Preview ▶"), COORDINATOR)
    await edited(tg, options)
    assert (await next_message(tg, COORDINATOR_ID)).text == "New words"
    summary = await next_message(tg, COORDINATOR_ID)
    await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR)
    done = await edited(tg, summary)
    assert done.text.startswith(f"Broadcast {item.id} is scheduled.\nEvery Monday at 14:00")
    edited_item = await services.broadcasts.get(COORDINATOR_ID, item.id)
    assert [v.text for v in edited_item.versions] == ["New words"]
    assert edited_item.recurrence == Recurrence(Frequency.WEEKLY, dt.time(14), frozenset({0}))
    log = await services.coalition.audit_log(COORDINATOR_ID)
    assert [e.action.value for e in log[:2]] == ["edit broadcast", "create broadcast"]


async def test_a_sent_broadcast_is_deleted_from_every_chat(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    item = await confirm(services, COORDINATOR_ID, ready(AudienceKind.CHATS, "Oops"))
    await services.broadcasts.sweep()
    await drained(services)  # posted by the outbox's sender itself (racing it would post twice)
    posted = [(d.chat_id, d.message_id) for d in await deliveries(services)]
    assert all(key in tg.messages for key in posted)
    await tg.send("/broadcasts", user=COORDINATOR)
    listed = await next_message(tg, COORDINATOR_ID)
    assert listed.text.startswith(f"<b>Broadcast {item.id}</b> · sent")
    assert await press(tg, listed, button(listed, "🗑 Delete everywhere"), COORDINATOR) == ""
    done = await edited(tg, listed)
    assert done.text == f"Broadcast {item.id} deleted from 2 chats."
    assert not any(key in tg.messages for key in posted)
    log = await services.coalition.audit_log(COORDINATOR_ID)
    assert log[0].action.value == "delete broadcast"


async def test_chosen_groups_and_organisations_by_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    invite = await services.coalition.add_organisation(COORDINATOR_ID, "LANDNGO", "Land NGO")
    await services.coalition.toggle_group(COORDINATOR_ID, invite.organisation.id, land)
    await services.coalition.join(5501, "Rep", "km", invite.code)
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ Chosen working groups")
    assert "Next ▶" not in [b["text"] for b in buttons(composer)]  # no group chosen yet
    composer = await tap(tg, composer, "▫️ Land and natural resources")
    assert "It will go to 1 chat." in composer.text  # the Land chat
    composer = await tap(tg, composer, "▫️ Their members privately")
    assert "It will go to 2 chats." in composer.text  # and LANDNGO's representative
    composer = await tap(tg, composer, "✅ Their chats")
    assert "It will go to 1 chat." in composer.text
    composer = await tap(tg, composer, "▫️ Chosen organisations")
    composer = await tap(tg, composer, "▫️ LANDNGO")
    assert "It will go to 1 chat." in composer.text
    await tap(tg, composer, "Next ▶")
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert draft.audience.organisation_ids == {invite.organisation.id}
    reach = await services.broadcasts.reach(COORDINATOR_ID, draft.audience)
    assert [(r.chat_id, r.language) for r in reach.recipients] == [(5501, "km")]


async def test_a_broadcast_to_many_chats_in_two_languages_arrives_once_each(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = []
    for n in range(12):
        invite = await services.coalition.add_organisation(COORDINATOR_ID, f"ORG{n}", f"Org {n}")
        await services.coalition.toggle_group(
            COORDINATOR_ID, invite.organisation.id, groups["land"]
        )
        await services.coalition.join(6000 + n, f"Rep{n}", "km" if n % 2 else "en", invite.code)
        reps.append(6000 + n)
    chats = [(-100701, 0, "en"), (-100702, 0, "km"), (-100703, 4, "en"), (-100703, 5, "km")]
    for chat, topic, language in chats:
        await services.coalition.link_chat(COORDINATOR_ID, chat, topic, groups["land"], "Land")
        await services.coalition.set_chat_language(COORDINATOR_ID, chat, topic, language)
    tg.blocked.add(6011)  # ORG11's only representative blocked the bot
    draft = dataclasses.replace(
        ready(AudienceKind.GROUPS, "Send your updates", group_ids=frozenset({groups["land"]})),
        audience=Audience(
            AudienceKind.GROUPS, frozenset({groups["land"]}), group_chats=True, group_members=True
        ),
    ).with_version(Version("km", "សូមផ្ញើព័ត៌មានថ្មី"))
    item = await confirm(services, COORDINATOR_ID, draft)
    await services.broadcasts.set_report_message(item.id, COORDINATOR_ID, 1)
    await services.broadcasts.sweep()
    await services.broadcasts.sweep()  # a second sweep (the job, a restart) adds nothing
    await drained(services)
    sent = [c for c in tg.calls if c.method == "sendMessage" and c.error is None]
    got = Counter(
        (int(c.params["chat_id"]), int(c.params.get("message_thread_id") or 0)) for c in sent
    )
    expected = {(r, 0) for r in reps[:11]} | {(c, t) for c, t, _ in chats}
    assert set(got) == expected
    assert set(got.values()) == {1}  # once each
    refused = await tg.next_call("sendMessage", chat_id=6011)
    assert "blocked" in str(refused.error)
    for call in sent:
        key = (int(call.params["chat_id"]), int(call.params.get("message_thread_id") or 0))
        khmer = (key[0] in reps and (key[0] - 6000) % 2) or any(
            (c, t) == key and language == "km" for c, t, language in chats
        )
        assert call.params["text"] == ("សូមផ្ញើព័ត៌មានថ្មី" if khmer else "Send your updates")
    report = await services.broadcasts.report(COORDINATOR_ID, item.id)
    assert (report.sent, report.waiting, report.failed) == (15, 0, 1)
    assert report.unreached == ("ORG11",)


async def test_a_photo_with_its_caption_goes_out_as_a_photo_pinned_in_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    tg.admins |= {LAND_CHAT["id"], HEALTH_CHAT["id"]}  # the bot is an admin who may pin
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ All working-group chats")
    await tap(tg, composer, "Next ▶")
    photo = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90}]
    photo.append({"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900})
    caption = [{"type": "italic", "offset": 0, "length": 6}]
    await tg.send(
        "", user=COORDINATOR, photo=photo, caption="Agenda for Monday", caption_entities=caption
    )
    second = await next_message(tg, COORDINATOR_ID)
    options = await tap(tg, await tap(tg, second, "Skip ▶"), "▶ Now")
    options = await tap(tg, options, "▫️ Pin in groups")
    await press(tg, options, button(options, "Preview ▶"), COORDINATOR)
    preview = await tg.next_call("sendPhoto", chat_id=COORDINATOR_ID)
    assert (preview.params["photo"], preview.params["caption"]) == ("big", "Agenda for Monday")
    assert "pinChatMessage" not in [c.method for c in tg.calls]  # not pinned privately
    summary = await next_message(tg, COORDINATOR_ID)
    await press(tg, summary, button(summary, "✅ Confirm"), COORDINATOR)
    await drained(services)
    for chat in (LAND_CHAT, HEALTH_CHAT):
        sent = await tg.next_call("sendPhoto", chat_id=chat["id"])
        assert sent.params["photo"] == "big"
        assert sent.params["caption"] == "Agenda for Monday"  # the only version, for Khmer too
        await tg.next_call("pinChatMessage", chat_id=chat["id"])
