"""The outbox end to end through the fake Bot API server, which enforces Telegram's limits in the
tests' virtual time: every chat gets its message once, with no 429; Telegram's refusals are
handled as documented; a kill -9 loses nothing; a look-up is answered while a broadcast drains."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.broadcast import Audience, AudienceKind, Draft, Version
from bot.domain.outbox import Content, DeliveryStatus, Job, Outgoing
from bot.flood import ChatRateLimiter, Window
from bot.outbox_sender import IN_FLIGHT
from bot.services import Services
from bot.settings import Settings
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, FakeClock, make_settings
from tests.fake_telegram import FakeTelegram, FloodLimits
from tests.test_network import person, start_bot
from tests.test_rounds_bot import coalition_with

FORUM = -100900  # a supergroup with topics


def recipients(count: int) -> list[Outgoing]:
    """Private chats, groups and forum topics in turn, half in English, half in Khmer."""
    out = []
    for n in range(count):
        language = "km" if n % 2 else "en"
        text = "ផ្ញើព័ត៌មានថ្មីរបស់អ្នក" if language == "km" else "Send your updates"
        kind = n % 4
        chat, topic = (
            (5000 + n, None) if kind < 2 else (-100_000 - n, None) if kind == 2 else (FORUM, n)
        )
        out.append(
            Outgoing(
                chat,
                Content(f"{text} #{n}"),
                Job.BROADCAST,
                topic_id=topic,
                language=language,
                reference="broadcast:1",
            )
        )
    return out


async def drained(services: Services, timeout: float = 30.0) -> None:
    """Wait until nothing waits in the outbox (the sender's own pace, in virtual time)."""
    deadline = time.monotonic() + timeout
    while await services.outbox.waiting():
        assert time.monotonic() < deadline, f"{await services.outbox.waiting()} still waiting"
        await asyncio.sleep(0.01)


async def settled(services: Services, clock: FakeClock, timeout: float = 30.0) -> None:
    """Wait until no delivery is being sent or due now (retries wait for the clock)."""
    deadline = time.monotonic() + timeout
    while True:
        async with services.database.connection.execute(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'sending'"
        ) as cursor:
            row = await cursor.fetchone()
        if not (row and row[0]) and not await services.outbox.store.due(clock.now(), 1):
            return
        assert time.monotonic() < deadline, "the sender did not settle"
        await asyncio.sleep(0.01)


def seen_faults(tg: FakeTelegram) -> None:
    """The injected 5xx answers were expected: the test looked at them."""
    for call in tg.calls:
        if call.error == "Injected fault":
            call.consumed = True


@pytest.fixture
async def paced(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The bot with Telegram's real limits in the fake server, all timed by the test's clock."""
    tg.limits = FloodLimits.telegram()
    tg.monotonic = clock.monotonic
    limiter = ChatRateLimiter(private=Window(5, 5.0), clock=clock)
    async with running(make_settings(tg, db_path), clock, poll_timeout=1, limiter=limiter) as app:
        yield app


async def test_200_chats_in_two_languages_get_their_message_once_without_a_429(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    outgoing = recipients(200)
    started = clock.monotonic()
    await services.outbox.send(*outgoing)
    await drained(services)
    sent = [c for c in tg.calls if c.method == "sendMessage" and not c.error]
    got = Counter(
        (int(c.params["chat_id"]), int(c.params.get("message_thread_id") or 0), c.params["text"])
        for c in sent
    )
    assert got == Counter((o.chat_id, o.topic_id or 0, o.content.text) for o in outgoing)
    assert [(c.params["chat_id"], c.error) for c in tg.calls if c.error] == []
    assert await services.outbox.progress("broadcast:1") == {DeliveryStatus.SENT: 200}
    # 50 of them go into one forum supergroup, 20 a minute: at least two minutes passed.
    assert clock.monotonic() - started >= 120


async def test_telegrams_refusals(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    blocked, gone, broken = 6001, 6002, 6003
    tg.blocked.add(blocked)
    tg.unknown_chats.add(gone)
    tg.missing_topics.add((FORUM, 9))
    tg.admins.add(FORUM)  # the bot may pin there
    outbox = services.outbox
    ids = await outbox.send(
        *(Outgoing(c, Content("Hi"), Job.NOTICE) for c in (blocked, gone)),
        Outgoing(FORUM, Content("To the topic", pin=True), Job.BROADCAST, topic_id=9),
    )
    await drained(services)
    states = [await outbox.delivery(i) for i in ids]
    assert [d.status if d else None for d in states] == [
        DeliveryStatus.BLOCKED,
        DeliveryStatus.BLOCKED,
        DeliveryStatus.SENT,
    ]
    topic = states[2]
    assert topic is not None
    assert topic.last_error == "topic not found: sent to the general chat"
    refused = await tg.next_call("sendMessage", chat_id=FORUM)
    assert refused.params["message_thread_id"] == "9"
    general = await tg.next_call("sendMessage", chat_id=FORUM)
    assert "message_thread_id" not in general.params
    # The row is marked sent before the pin is asked for: wait for the pin itself.
    await tg.next_call("pinChatMessage", chat_id=FORUM)
    assert tg.pinned == [(FORUM, topic.message_id)]
    for chat in (blocked, gone):  # the refusals, seen
        await tg.next_call("sendMessage", chat_id=chat)

    # 5xx and timeouts: back off (the clock decides), give up after OUTBOX_GIVE_UP_MINUTES.
    tg.fail_next("sendMessage", 502, times=1000)
    [failing] = await outbox.send(Outgoing(broken, Content("Again"), Job.NOTICE))
    started = clock.now()
    while (row := await outbox.delivery(failing)) and row.status is not DeliveryStatus.FAILED:
        await settled(services, clock)
        clock.advance(minutes=5)
        outbox.notify()  # what the job queue's sweep does
    # Given up after the hour, not long after it. The upper bound has room for the test's
    # 5-minute steps and the longest back-off, and for the sender's own waits, which move
    # this clock too (more of them on a busy machine).
    assert dt.timedelta(minutes=60) <= clock.now() - started <= dt.timedelta(minutes=90)
    assert row is not None
    assert row.attempts > 5
    tg.heal("sendMessage")
    seen_faults(tg)

    # The 403 marked the person; nobody retried either refusal.
    assert [c.params["chat_id"] for c in tg.calls if c.params.get("chat_id") == str(blocked)] == [
        str(blocked)
    ]


async def test_a_telegram_outage_of_minutes_loses_nothing(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    tg.fail_next("sendMessage", 502, times=100_000)
    started = clock.now()
    await services.outbox.send(
        *(
            Outgoing(5000 + n, Content(f"Hi {n}"), Job.BROADCAST, reference="broadcast:1")
            for n in range(20)
        )
    )
    while clock.now() - started < dt.timedelta(minutes=15):  # 15 minutes of 502s
        await settled(services, clock)
        clock.advance(seconds=30)
        services.outbox.notify()
    # None given up; one may be in Telegram's hands (the sender's own waits move this clock).
    during = await services.outbox.progress("broadcast:1")
    assert set(during) <= {DeliveryStatus.WAITING, DeliveryStatus.SENDING}
    assert sum(during.values()) == 20
    tg.heal("sendMessage")
    # A row whose 502 landed after the heal waits its back-off (at most 7.5 minutes) once more.
    healed = clock.now()
    while await services.outbox.waiting() and clock.now() - healed < dt.timedelta(minutes=10):
        await settled(services, clock)
        clock.advance(seconds=30)
        services.outbox.notify()
    await drained(services)
    seen_faults(tg)
    assert await services.outbox.progress("broadcast:1") == {DeliveryStatus.SENT: 20}


async def test_a_blocked_member_is_marked_and_reported(
    tg: FakeTelegram, paced: BotApplication
) -> None:
    services: Services = paced.bot_data["services"]
    [member] = await coalition_with(paced, 1)
    tg.blocked.add(member["id"])
    await services.outbox.send(Outgoing(member["id"], Content("News"), Job.BROADCAST))
    await drained(services)
    await tg.next_call("sendMessage", chat_id=member["id"])
    person_now = await services.coalition.person(member["id"])
    assert person_now is not None
    assert person_now.unreachable_since is not None
    report = await tg.reply_to(COORDINATOR, "/unreachable")
    assert member["first_name"] in report.text
    status = await tg.reply_to(COORDINATOR, "/status")
    assert "sends on its own: 0 waiting, 1 not delivered in the last day." in status.text


async def test_a_cancel_withdraws_what_waits_and_the_schedule_is_the_databases(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    later = clock.now() + dt.timedelta(hours=1)
    await services.outbox.send(
        *(
            Outgoing(
                7000 + n,
                Content("Later"),
                Job.BROADCAST,
                reference="broadcast:9",
                not_before=later,
            )
            for n in range(5)
        ),
        Outgoing(
            7100, Content("At nine"), Job.BROADCAST, reference="broadcast:10", not_before=later
        ),
    )
    status = await tg.reply_to(COORDINATOR, "/status")
    assert "sends on its own: 6 waiting, 0 not delivered" in status.text
    assert await services.outbox.cancel("broadcast:9") == 5
    clock.advance(hours=1)
    [sweep] = paced.job_queue.get_jobs_by_name("outbox-sweep")  # type: ignore[union-attr]
    await sweep.run(paced)
    await drained(services)
    outbox_sent = [c.params["chat_id"] for c in tg.calls if c.method == "sendMessage"][1:]
    assert outbox_sent == ["7100"]  # after the /status answer
    await tg.next_call("sendMessage", chat_id=7100)
    assert await services.outbox.progress("broadcast:9") == {DeliveryStatus.CANCELLED: 5}


async def test_a_lookup_is_answered_before_a_seconds_worth_of_a_1000_chat_broadcast(
    tg: FakeTelegram, db_path: Path
) -> None:
    """On the real clock and Telegram's real limits: the answer takes the next free place."""
    tg.limits = FloodLimits.telegram()
    limiter = ChatRateLimiter(private=Window(5, 5.0))
    async with running(make_settings(tg, db_path), poll_timeout=1, limiter=limiter) as app:
        services: Services = app.bot_data["services"]
        await services.outbox.send(
            *(Outgoing(8000 + n, Content(f"News {n}"), Job.BROADCAST) for n in range(1000))
        )
        await tg.next_call("sendMessage", chat_id=8045, timeout=20)  # in full flow: 30 a second
        before = len(tg.calls)
        await tg.send("118.6 c2", user=person(9000))
        await tg.next_call("sendMessage", chat_id=9000, timeout=20)
        between = sum(1 for c in tg.calls[before:] if c.method == "sendMessage") - 1
        assert await services.outbox.waiting() > 900  # the broadcast was still going
    # Fewer than a second's worth of the broadcast (30) went out first: the answer takes the
    # next free place (counted in messages, not seconds, which a loaded machine stretches).
    assert between < 30
    assert tg.too_many() == 0


async def test_a_kill_9_half_way_loses_nothing_and_repeats_at_most_what_was_in_flight(
    tg: FakeTelegram, db_path: Path, tmp_path: Path, clock: FakeClock
) -> None:
    services = await Services.start(Settings(token="x", database_path=db_path), clock)
    await services.outbox.send(*recipients(200))
    await services.close()
    env = {
        "BOT_TOKEN": tg.token,
        "TELEGRAM_BASE_URL": tg.url,
        "DATABASE_PATH": str(db_path),
        # Ten times Telegram's pace, as in bench/bench_outbox.py: the run is short.
        "OUTBOX_PER_SECOND": "300",
        "OUTBOX_GROUP_PER_MINUTE": "2000",
        "OUTBOX_CHAT_PER_SECOND": "100",
    }
    log = tmp_path / "bot.log"
    tg.stall("sendMessage", after=100)
    first = await start_bot(env, log)
    try:
        await tg.stalled("sendMessage", 1, timeout=30)
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
    tg.abandon("sendMessage")  # the killed process's requests never reached Telegram
    assert len([c for c in tg.calls if c.method == "sendMessage"]) == 100
    second = await start_bot(env, log)
    try:
        deadline = time.monotonic() + 30
        while len([c for c in tg.calls if c.method == "sendMessage"]) < 200:
            assert time.monotonic() < deadline, "the outbox never finished after the restart"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # anything beyond 200 would be a repeat
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0
    got = Counter(
        (c.params["chat_id"], c.params.get("message_thread_id"), c.params["text"])
        for c in tg.calls
        if c.method == "sendMessage"
    )
    assert len(got) == 200  # none missed
    assert sum(n - 1 for n in got.values()) <= IN_FLIGHT  # repeats: at most what was in flight
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT status, COUNT(*) FROM deliveries GROUP BY status"
        ).fetchall() == [("sent", 200)]
    assert "interrupted by a stop are sent again" in log.read_text() or os.name != "posix"


async def test_a_group_that_became_a_supergroup_gets_its_messages_at_its_new_id(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    old, new = -4001, -1004001
    [land] = [g for g in await services.coalition.working_groups() if g.slug == "land"]
    await services.coalition.link_chat(COORDINATOR["id"], old, 0, land.id, "Land")
    tg.migrated[old] = new
    later = clock.now() + dt.timedelta(hours=1)
    now_id, later_id = await services.outbox.send(
        Outgoing(old, Content("News"), Job.BROADCAST),
        Outgoing(old, Content("Later"), Job.BROADCAST, not_before=later),
    )
    refused = await tg.next_call("sendMessage", chat_id=old)
    assert refused.error == "Bad Request: group chat was upgraded to a supergroup chat"
    sent = await tg.next_call("sendMessage", chat_id=new)
    assert (sent.error, sent.params["text"]) == (None, "News")
    await settled(services, clock)
    row = await services.outbox.delivery(now_id)
    assert row is not None
    assert (row.status, row.chat_id) == (DeliveryStatus.SENT, new)
    waiting = await services.outbox.delivery(later_id)
    assert waiting is not None
    assert (waiting.status, waiting.chat_id) == (DeliveryStatus.WAITING, new)
    assert [c.working_group_id for c in await services.coalition.links_of(new)] == [land.id]
    assert await services.coalition.links_of(old) == []


async def test_a_linked_group_that_refuses_the_bot_is_unlinked_and_coordinators_are_told(
    tg: FakeTelegram, paced: BotApplication, clock: FakeClock
) -> None:
    services: Services = paced.bot_data["services"]
    group = -4002
    [land] = [g for g in await services.coalition.working_groups() if g.slug == "land"]
    await services.coalition.link_chat(COORDINATOR["id"], group, 0, land.id, "Land chat")
    tg.unknown_chats.add(group)  # the group was deleted, or the bot was kicked
    ids = await services.outbox.send(
        *(Outgoing(group, Content(f"News {n}"), Job.BROADCAST) for n in range(2))
    )
    for _ in ids:
        refused = await tg.next_call("sendMessage", chat_id=group)
        assert refused.error == "Bad Request: chat not found"
    notice = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert "«Land chat»" in notice.params["text"]
    assert "no longer linked to: Land" in notice.params["text"]
    await settled(services, clock)
    rows = [await services.outbox.delivery(i) for i in ids]
    assert [r.status if r else None for r in rows] == [DeliveryStatus.BLOCKED] * 2
    assert await services.coalition.links_of(group) == []
    assert not [
        c for c in tg.calls if c.params.get("chat_id") == str(COORDINATOR["id"]) and not c.consumed
    ]  # told once


async def test_a_lost_group_chat_is_named_in_unreachable_and_in_the_broadcast_report(
    tg: FakeTelegram, paced: BotApplication
) -> None:
    services: Services = paced.bot_data["services"]
    group = -4003
    [land] = [g for g in await services.coalition.working_groups() if g.slug == "land"]
    await services.coalition.link_chat(COORDINATOR["id"], group, 0, land.id, "Land chat")
    tg.unknown_chats.add(group)
    audience = Audience(AudienceKind.GROUPS, frozenset({land.id}), group_chats=True)
    draft = Draft(audience=audience, versions=(Version("en", "News"),), audience_chosen=True)
    await services.broadcasts.save(COORDINATOR["id"], draft)  # confirm consumes the stored draft
    item = await services.broadcasts.confirm(COORDINATOR["id"], draft)
    await services.broadcasts.sweep()
    await drained(services)
    await tg.next_call("sendMessage", chat_id=group)  # refused: chat not found
    await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])  # the coordinators' notice
    report = await services.broadcasts.report(COORDINATOR["id"], item.id)
    assert report.unreached == ("Land chat",)
    answer = await tg.reply_to(COORDINATOR, "/unreachable")
    assert "Land chat" in answer.text
    await services.coalition.link_chat(COORDINATOR["id"], group, 0, land.id, "Land chat")
    answer = await tg.reply_to(COORDINATOR, "/unreachable")  # linked again: reachable again
    assert answer.text == "Everyone can be reached."
