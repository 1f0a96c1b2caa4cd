"""A press Telegram sends again after a crash (handled, its answer maybe lost) is answered, and
counted once."""

from pathlib import Path

from bot.app import running
from bot.services import Services
from tests.conftest import FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited
from tests.test_rounds_bot import coalition_with, open_round


async def test_a_press_fetched_again_after_a_restart_is_answered_again_and_counted_once(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        [member] = await coalition_with(app, 1)
        await open_round(tg, "c2 118.1-118.3", "Quick check")
        card = await tg.reply_to(member, "/rate")
        query = await tg.press(card, button(card, "🟢"), user=member)
        first = await tg.next_call("answerCallbackQuery", callback_query_id=query)
        assert first.error is None
        await edited(tg, card)
        await tg.next_call("sendMessage", chat_id=member["id"])  # the reason prompt
    [update_id] = [
        i for i, u in tg.pushed.items() if u.get("callback_query", {}).get("id") == query
    ]
    # The bot stopped before it confirmed the press to Telegram, which sends it again.
    await tg.redeliver(update_id)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        again = await tg.next_call("answerCallbackQuery", callback_query_id=query)
        assert again.error is None
        assert again.params.get("text", "") == ""
        services: Services = app.bot_data["services"]
        async with services.database.connection.execute(
            "SELECT colour FROM rating_history"
        ) as cursor:
            assert [row[0] async for row in cursor] == ["green"]
    assert tg.unconsumed_errors() == []
