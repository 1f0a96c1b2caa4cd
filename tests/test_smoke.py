from tests.conftest import MEMBER
from tests.fake_telegram import FakeTelegram


async def test_number_lookup(tg: FakeTelegram, bot: object) -> None:
    reply = await tg.reply_to(MEMBER, "118.6")
    assert "118.6" in reply.text
