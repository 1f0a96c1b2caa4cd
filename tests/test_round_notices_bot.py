"""Everyone is told: a round's opening, its close by date and its publication become one
outbox delivery per linked working-group chat and per representative (and, for a close by
date, per coordinator), in their language, staged with the event, once per round and kind."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.assessment import Colour
from bot.domain.outbox import Content
from bot.services import Services
from bot.settings import Settings, SettingsError
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.round_panel import confirmed, round_panel
from tests.test_lookup_bot import press
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round


@pytest.fixture
async def bot(tg: FakeTelegram, db_path: Path, clock: FakeClock) -> AsyncIterator[BotApplication]:
    """The real bot with round notices on (the default outside tests)."""
    settings = make_settings(tg, db_path, round_notices=True)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def notices(services: Services, reference: str) -> list[tuple[int, str, str | None]]:
    """(chat, text, first button's data) of each delivery of one reference, by chat."""
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference = ? ORDER BY chat_id",
        (reference,),
    ) as cursor:
        rows = await cursor.fetchall()
    found = []
    for chat_id, raw in rows:
        content = Content.from_json(raw)
        data = content.buttons[0][0].data if content.buttons else None
        found.append((int(chat_id), content.text, data))
    return found


async def delivered(tg: FakeTelegram, told: list[tuple[int, str, str | None]]) -> StoredMessage:
    """Wait for the sender to deliver these notices (in any order); the first one, as sent."""
    first = None
    for chat, text, _ in told:
        call = await tg.next_call("sendMessage", chat_id=chat)
        assert call.params["text"] == text
        first = first or tg.messages[(chat, call.result["message_id"])]
    assert first is not None
    return first


async def test_opening_a_round_tells_each_linked_chat_and_each_representative(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await services.set_language(reps[1]["id"], "km")
    await open_round(tg, "c2 land until 2026-12-31", "Mid-term")
    told = await notices(services, "round:1:opened")
    assert [chat for chat, _, _ in told] == [GROUP["id"], reps[0]["id"], reps[1]["id"]]
    assert told[0][1:] == (
        "New assessment «Mid-term»: 14 recommendations for this working group, closes "
        "December 31, 2026 (Phnom Penh). Tap Rate now to post the cards here.",
        "rr:1",
    )
    assert told[1][1] == (
        "New assessment «Mid-term»: 14 recommendations for your organisation to rate, closes "
        "December 31, 2026 (Phnom Penh)."
    )
    assert "«Mid-term»" in told[2][1]
    assert "វាយតម្លៃ" in told[2][1]  # in the representative's language

    # The sender delivers them; [Rate now] under the group's notice posts the cards there.
    notice = await delivered(tg, told)
    assert notice.chat_id == GROUP["id"]
    assert await press(tg, notice, "rr:1", reps[0]) == ""
    card = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert card.params["text"].startswith("<b>118.63</b>")


async def test_closing_by_date_and_publishing_tell_everyone_once(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63 until 2026-11-30", "Short")
    assert await notices(services, "round:1:closed") == []
    clock.advance(days=8)
    await flush(bot)  # the job closes what is due
    closed = await notices(services, "round:1:closed")
    assert [chat for chat, _, _ in closed] == [GROUP["id"], COORDINATOR_ID, reps[0]["id"]]
    await delivered(tg, await notices(services, "round:1:opened") + closed)
    assert closed[1][1] == (
        "Round 1 «Short» has closed on its closing date. Publish its results from /rounds."
    )
    await flush(bot)
    assert len(await notices(services, "round:1:closed")) == 3  # once

    await confirmed(tg, await round_panel(tg, 1), "Publish", "Publish anyway")  # none rated
    published = await notices(services, "round:1:published")
    assert [(chat, text) for chat, text, _ in published] == [
        (GROUP["id"], "The results of the assessment «Short» are published: send /results 1."),
        (reps[0]["id"], "The results of the assessment «Short» are published: send /results 1."),
    ]
    # Reopened, closed and published again: nobody is told twice.
    await delivered(tg, published)
    await services.assessments.set_open(COORDINATOR_ID, 1, True)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    assert len(await notices(services, "round:1:published")) == 2


async def test_reminders_before_the_close_go_to_organisations_not_finished_once(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3 until 2026-12-05", "Soon")
    await delivered(tg, await notices(services, "round:1:opened"))
    items = await services.assessments.items(1)
    for rec in items:
        await services.assessments.rate(reps[0]["id"], 1, rec, Colour.GREEN)
    await services.assessments.rate(reps[1]["id"], 1, items[0], Colour.RED)
    await flush(bot)
    assert await notices(services, "round:1:reminder-3") == []
    clock.advance(days=10)  # December 3rd: three days before the close
    await flush(bot)
    await flush(bot)
    reminders = await notices(services, "round:1:reminder-3")
    assert reminders == [
        (
            reps[1]["id"],
            "Reminder: the assessment «Soon» closes December 5, 2026 (Phnom Penh). Your "
            "organisation has rated 1 of 3: 2 left.",
            "rr:1",
        )
    ]
    await delivered(tg, reminders)
    clock.advance(days=2)  # the last day
    await flush(bot)
    last = await notices(services, "round:1:reminder-1")
    assert [chat for chat, _, _ in last] == [reps[1]["id"]]
    await delivered(tg, last)


def test_notices_and_reminder_days_are_settings() -> None:
    defaults = Settings.from_env({}, require_token=False)
    assert (defaults.round_notices, defaults.round_reminder_days) == (True, (3, 1))
    chosen = Settings.from_env(
        {"ROUND_NOTICES": "0", "ROUND_REMINDER_DAYS": "1, 7"}, require_token=False
    )
    assert (chosen.round_notices, chosen.round_reminder_days) == (False, (7, 1))
    with pytest.raises(SettingsError, match="ROUND_REMINDER_DAYS"):
        Settings.from_env({"ROUND_REMINDER_DAYS": "three"}, require_token=False)
