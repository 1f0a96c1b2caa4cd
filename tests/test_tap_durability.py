"""A rating and the private request for its reason are written together: a crash between the
tap's commit and the rest of its handling loses neither, and a restart sends it once."""

from __future__ import annotations

from pathlib import Path

from bot.app import running
from tests.conftest import GROUP, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import buttons
from tests.test_rounds_bot import coalition_with, link_land_group, open_round


async def test_a_crash_right_after_a_group_tap_still_asks_for_the_reason_once(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        [rep] = await coalition_with(app, 1, "land")
        await link_land_group(tg)
        await open_round(tg, "c2 land", "Crash round")
        await tg.send("/rate", user=rep, chat=GROUP)
        call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        card = tg.messages[(int(call.params["chat_id"]), call.result["message_id"])]
        # The handling stops right after the rating's commit (here: its answer is refused).
        tg.fail_next("answerCallbackQuery", 400)
        await tg.press(card, buttons(card)[0]["callback_data"], user=rep)
        refused = await tg.next_call("answerCallbackQuery")
        assert refused.error
        prompt = await tg.next_call("sendMessage", chat_id=rep["id"])
        assert prompt.params["text"].startswith("ORG0 rated 118.63 🔴. To add a short reason")
    # Restarted on the same database: the tap is not handled again, the request not sent again.
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()):
        card = await tg.reply_to(rep, "118.6")
        assert card.text.startswith("<b>118.6</b>")
    private = [c for c in tg.calls if c.method == "sendMessage" and not c.consumed]
    assert [c for c in private if c.params["chat_id"] == str(rep["id"])] == []
    assert tg.unconsumed_errors() == []
