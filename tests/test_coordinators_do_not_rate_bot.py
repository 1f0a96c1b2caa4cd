"""A coordinator who opens a rate link or sends /rate privately is told that coordinators do
not rate (representatives do), not to ask a coordinator for an invite."""

from handlers.common import BotApplication
from tests.conftest import COORDINATOR
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import open_round

COORDINATORS = "Coordinators do not rate: the representatives of member organisations do."


async def test_a_coordinator_is_told_that_representatives_rate(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await open_round(tg, "c2 118.6", "Migrants")
    for text in ("/start r1_1", "/rate", "/rate 99999999999999999999"):
        said = await tg.reply_to(COORDINATOR, text)
        assert said.text.startswith(COORDINATORS), text
        assert "invite" not in said.text
