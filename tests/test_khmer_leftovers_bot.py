"""The last Khmer leftovers a Khmer-speaking reviewer found: the search echo keeps the words
as typed, in their order."""

from handlers.common import BotApplication
from tests.conftest import KHMER_MEMBER, MEMBER
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press


async def head(tg: FakeTelegram, user: dict, typed: str) -> str:  # type: ignore[type-arg]
    """The first line of the bot's answer to a search."""
    return (await tg.reply_to(user, typed)).text.split("\n")[0]


async def test_the_search_echo_shows_the_words_as_typed_in_their_order(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(KHMER_MEMBER, "វគ្គទី១  ដីធ្លី")
    assert "“វគ្គទី១ ដីធ្លី”" in page.text.split("\n")[0]
    await press(tg, page, button(page, "▶"), KHMER_MEMBER)  # the next page keeps it
    assert "“វគ្គទី១ ដីធ្លី”" in (await edited(tg, page)).text.split("\n")[0]
    assert "“សិទ្ធិកុមារ land ដីធ្លី”" in await head(tg, KHMER_MEMBER, "សិទ្ធិកុមារ land ដីធ្លី")
    # A filter typed among the words is named after them, in the reader's words.
    assert "“ដីធ្លី” · ជុំទី២" in await head(tg, KHMER_MEMBER, "ជុំទី២ ដីធ្លី")
    assert "“ដីធ្លី” · ជុំទី៤" in await head(tg, KHMER_MEMBER, "ជុំទី៤ ដីធ្លី")
    assert "“ដីធ្លី កុមារ” · ជប៉ុន" in await head(tg, KHMER_MEMBER, "ដីធ្លី ជប៉ុន កុមារ")
    assert "“land in children” · Cycle 2" in await head(tg, MEMBER, "land in cycle 2 children")
    assert "“children land” · Japan" in await head(tg, MEMBER, "children Japan land")
