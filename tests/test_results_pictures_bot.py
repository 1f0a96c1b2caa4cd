"""/compare's picture and counts: what moved up, down, stayed, and why the rest cannot compare."""

import io

import pytest
from PIL import Image

from bot import charts
from bot.charts import OVERALL_RGB
from bot.domain.assessment import Colour, Overall
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import ApiError, FakeTelegram, check_photo
from tests.test_charts import bars_in
from tests.test_rounds_bot import coalition_with, open_round


async def test_compare_counts_what_cannot_be_compared_and_draws_before_and_after(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3)
    services: Services = bot.bot_data["services"]
    recs = {
        str(r.number): r.id
        for r in services.catalog.recommendations
        if r.cycle == 2 and str(r.number) in {"118.6", "118.7", "118.8", "118.9"}
    }
    # Round 1: 118.6-118.8; round 2: 118.7-118.9. 118.7 moves 🔴 → 🟠; 118.8 is 🟢 and then
    # unrated (not enough ratings); 118.6 and 118.9 are in one round only.
    plan = {1: {"118.7": Colour.RED, "118.8": Colour.GREEN}, 2: {"118.7": Colour.ORANGE}}
    for round_id, scope in ((1, "c2 118.6-118.8"), (2, "c2 118.7-118.9")):
        await open_round(tg, scope, f"Round {round_id}")
        for number, colour in plan[round_id].items():
            for person in reps:
                await services.assessments.rate(person["id"], round_id, recs[number], colour)
        await services.assessments.set_open(COORDINATOR_ID, round_id, False)
        await services.assessments.publish(COORDINATOR_ID, round_id)

    reply = await tg.reply_to(COORDINATOR, "/compare 1 2")
    lines = reply.text.split("\n")
    assert lines[:2] == [
        "<b>⬆ 1 progressed · ⬇ 0 regressed · = 0 stayed</b>",
        "<b>3 not comparable: 2 in only one of the rounds · 1 without a colour in one round "
        "(not enough ratings or contested).</b>",
    ]
    assert any(line.startswith("⬆ 118.7: 🔴 → 🟠 — ") for line in lines)

    photo = await tg.next_call("sendPhoto", chat_id=COORDINATOR["id"])
    assert photo.params["caption"] == "«Round 1» → «Round 2»"
    assert photo.result["message_id"] < reply.message_id
    before, after, moves = bars_in(tg.photos[(COORDINATOR["id"], photo.result["message_id"])])
    # Over the two recommendations in both rounds: 🔴 and 🟢 before, 🟠 and not enough after.
    assert before == pytest.approx(
        {OVERALL_RGB[Overall.GREEN]: 0.5, OVERALL_RGB[Overall.RED]: 0.5}, abs=0.01
    )
    assert after == pytest.approx(
        {OVERALL_RGB[Overall.ORANGE]: 0.5, OVERALL_RGB[Overall.NOT_ENOUGH]: 0.5}, abs=0.01
    )
    assert moves == pytest.approx({charts.UP_RGB: 0.25, charts.NOT_COMPARABLE_RGB: 0.75}, abs=0.01)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(out, format="PNG")
    return out.getvalue()


def test_the_fake_server_refuses_photos_telegram_refuses() -> None:
    check_photo(_png(1000, 600))
    for bad, error in (
        (b"", "there is no photo"),
        (b"GIF89a" + bytes(40), "IMAGE_PROCESS_FAILED"),
        (_png(1000, 9100), "PHOTO_INVALID_DIMENSIONS"),  # width + height over 10000
        (_png(100, 2100), "PHOTO_INVALID_DIMENSIONS"),  # more than 20 times taller than wide
    ):
        with pytest.raises(ApiError, match=error):
            check_photo(bad)
