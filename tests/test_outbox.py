"""The outbox's rows on real SQLite: staged with the event that causes them (committed or rolled
back with it), due by the database's schedule, withdrawn by a cancel; content survives storage."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.outbox import (
    Button,
    Content,
    DeliveryStatus,
    InvalidContent,
    Job,
    NotStaging,
    Outgoing,
    stage,
)
from bot.services import Services
from tests.conftest import FakeClock


def note(chat_id: int, text: str = "Hello", **fields: object) -> Outgoing:
    return Outgoing(chat_id, Content(text), Job.NOTICE, **fields)  # type: ignore[arg-type]


async def rows(services: Services) -> list[tuple[int, str]]:
    async with services.database.connection.execute(
        "SELECT chat_id, status FROM deliveries ORDER BY id"
    ) as cursor:
        return [(int(r[0]), str(r[1])) async for r in cursor]


async def test_a_staged_delivery_commits_with_its_event(services: Services) -> None:
    async with services.outbox.along():
        stage(note(5))
        await services.set_language(5, "km")
        # Written in the event's own commit, not later.
        assert await rows(services) == [(5, "waiting")]
    assert await rows(services) == [(5, "waiting")]


async def test_a_staged_delivery_rolls_back_with_its_event(services: Services) -> None:
    async def event() -> None:
        async with services.outbox.along():
            stage(note(5))
            async with services.database.transaction() as db:
                await db.execute("DELETE FROM meta WHERE key = 'nothing'")
                raise RuntimeError("the event failed")

    with pytest.raises(RuntimeError):
        await event()
    assert await rows(services) == []


async def test_an_error_after_the_event_keeps_what_the_event_committed(
    services: Services,
) -> None:
    async def event() -> None:
        async with services.outbox.along():
            stage(note(5))
            await services.set_language(5, "km")
            stage(note(6))
            raise RuntimeError("after the event")

    with pytest.raises(RuntimeError):
        await event()
    assert await rows(services) == [(5, "waiting")]


async def test_staged_rows_no_event_wrote_are_written_on_leaving(services: Services) -> None:
    woken = []
    services.outbox.on_new(lambda: woken.append(1))
    async with services.outbox.along():
        stage(note(5), note(6))
        assert await rows(services) == []
    assert await rows(services) == [(5, "waiting"), (6, "waiting")]
    assert woken


def test_staging_needs_a_scope() -> None:
    with pytest.raises(NotStaging):
        stage(note(5))


async def test_the_database_owns_the_schedule(services: Services, clock: FakeClock) -> None:
    outbox = services.outbox.store
    later = clock.now() + dt.timedelta(hours=1)
    first, second, third = await outbox.add(
        [note(1), note(2, not_before=later), note(3)], clock.now()
    )
    assert [d.id for d in await outbox.due(clock.now(), 10)] == [first, third]
    assert await outbox.next_due() == clock.now()
    await outbox.mark_sending(first, clock.now())
    await outbox.mark_sent(first, 77, clock.now())
    await outbox.mark_sending(third, clock.now())
    assert await services.outbox.waiting() == 2
    # A restart finds the one being sent and sends it again (its outcome is unknown).
    assert await outbox.requeue_sending() == 1
    assert [d.id for d in await outbox.due(clock.now(), 10)] == [third]
    clock.advance(hours=1)
    assert [d.id for d in await outbox.due(clock.now(), 10)] == [third, second]
    sent = await services.outbox.by_message(1, 77)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at == clock.now() - dt.timedelta(hours=1)


async def test_retries_failures_and_figures(services: Services, clock: FakeClock) -> None:
    outbox = services.outbox.store
    one, two = await outbox.add([note(1), note(2)], clock.now())
    await outbox.mark_sending(one, clock.now())
    await outbox.retry_later(one, clock.now() + dt.timedelta(seconds=30), "502 Bad Gateway")
    assert [d.id for d in await outbox.due(clock.now(), 10)] == [two]
    retried = await services.outbox.delivery(one)
    assert retried is not None
    assert retried.last_error == "502 Bad Gateway"
    assert retried.status is DeliveryStatus.WAITING
    assert retried.attempts == 1
    await outbox.fail(two, DeliveryStatus.BLOCKED, "Forbidden: bot was blocked", clock.now())
    figures = await services.outbox.figures()
    assert (figures.waiting, figures.failed_last_day) == (1, 1)
    clock.advance(days=1, seconds=1)
    assert (await services.outbox.figures()).failed_last_day == 0


async def test_a_cancel_withdraws_only_what_waits(services: Services, clock: FakeClock) -> None:
    outbox = services.outbox.store
    ids = await outbox.add([note(c, reference="broadcast:1") for c in (1, 2, 3)], clock.now())
    await outbox.add([note(4, reference="broadcast:2")], clock.now())
    await outbox.mark_sending(ids[0], clock.now())
    await outbox.mark_sent(ids[0], 10, clock.now())
    assert await services.outbox.cancel("broadcast:1") == 2
    assert await services.outbox.progress("broadcast:1") == {
        DeliveryStatus.SENT: 1,
        DeliveryStatus.CANCELLED: 2,
    }
    assert await services.outbox.progress("broadcast:2") == {DeliveryStatus.WAITING: 1}
    assert [d.chat_id for d in await outbox.due(clock.now(), 10)] == [4]


async def test_content_survives_the_table(services: Services, clock: FakeClock) -> None:
    content = Content(
        "Send your updates ✍ ឥឡូវនេះ",
        entities=({"type": "bold", "offset": 0, "length": 4},),
        photo="AgACAgIAAxk",
        buttons=((Button("✓ Got it", data="ack:1"), Button("Site", url="https://x.org")),),
        force_reply="Reason",
        silent=True,
        pin=True,
    )
    [one] = await services.outbox.send(
        Outgoing(-100, content, Job.BROADCAST, topic_id=7, language="km", organisation_id=3)
    )
    stored = await services.outbox.delivery(one)
    assert stored is not None
    assert (stored.content, stored.topic_id, stored.language, stored.organisation_id) == (
        content,
        7,
        "km",
        3,
    )


_text = st.text(max_size=50)
_button = st.builds(
    Button, _text, st.none() | st.text(max_size=64), st.none() | st.text(max_size=20)
)
_entity = st.dictionaries(st.sampled_from(["type", "offset", "length", "url"]), st.integers())
_content = st.builds(
    Content,
    _text,
    st.none() | st.lists(_entity, max_size=3).map(tuple),
    st.none() | _text,
    st.none() | _text,
    st.lists(st.lists(_button, max_size=3).map(tuple), max_size=3).map(tuple),
    st.none() | _text,
    st.booleans(),
    st.booleans(),
    picture=st.none() | _text,
)


@given(_content)
def test_content_round_trips_through_json(content: Content) -> None:
    assert Content.from_json(content.to_json()) == content


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"text": 5}',
        '{"text": "x", "buttons": [[{"label": 1}]]}',
        '{"text": "x", "entities": [1]}',
        '{"text": "x", "silent": "yes"}',
        '{"text": "x", "photo": 3}',
    ],
)
def test_content_refuses_what_it_did_not_write(raw: str) -> None:
    with pytest.raises(InvalidContent):
        Content.from_json(raw)
