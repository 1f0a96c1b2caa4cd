"""Just after a restart the word index is still being built: numbers answer at once, a word
search says search is starting (after a short wait), and works once the index is built."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.domain.catalog import Catalog
from bot.domain.repositories import IndexStore
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import KHMER_MEMBER, MEMBER
from tests.fake_telegram import FakeTelegram


def unindexed(now: Catalog, index_store: Callable[[], IndexStore] | None = None) -> Catalog:
    """The same catalog again, its word index not built yet (as just after start-up)."""
    return Catalog(
        now.recommendations,
        now.themes,
        now.cycles,
        now.glossary,
        current_cycle=now.current_cycle,
        revision=now.revision,
        index_now=False,
        index_store=index_store,
    )


@pytest.fixture
async def still_indexing(bot: BotApplication) -> AsyncIterator[tuple[Catalog, asyncio.Event]]:
    """The bot at the moment after start-up: a catalog whose word index waits for the
    returned event (nothing waits for time: `search_wait` is 0). Built at the end anyway."""
    services: Services = bot.bot_data["services"]
    catalog = unindexed(services.catalog)
    built = asyncio.Event()

    async def build() -> bool:
        await built.wait()
        catalog.build_index()
        return True

    services._catalog = catalog
    services._indexing = asyncio.create_task(build())
    services.search_wait = 0
    yield catalog, built
    built.set()


async def test_words_wait_for_the_index_numbers_do_not(
    tg: FakeTelegram, bot: BotApplication, still_indexing: tuple[Catalog, asyncio.Event]
) -> None:
    services: Services = bot.bot_data["services"]
    catalog, built = still_indexing
    card = await tg.reply_to(MEMBER, "118.6")
    assert card.text.startswith("<b>118.6</b>")
    starting = await tg.reply_to(MEMBER, "land")
    assert starting.text == (
        "Search is starting after a restart: please try again in a few seconds. "
        "Numbers like 118.6 work already."
    )
    khmer = await tg.reply_to(KHMER_MEMBER, "ដីធ្លី")
    assert "118.6" in khmer.text  # the Khmer sentence names the numbers that already work
    assert khmer.text != starting.text
    assert not catalog.index_ready()
    built.set()
    services.search_wait = 5  # the index is being built now: the search waits for it
    results = await tg.reply_to(MEMBER, "land")
    assert catalog.index_ready()
    assert "land" in results.text.lower()
    assert "starting" not in results.text


async def test_inline_search_says_starting_without_caching(
    tg: FakeTelegram, still_indexing: tuple[Catalog, asyncio.Event]
) -> None:
    query_id = await tg.inline("land", user=MEMBER)
    answer = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert answer.params["results"] == []
    assert answer.params["button"]["text"] == "Search is starting: try again in a few seconds"
    assert str(answer.params["cache_time"]) == "0"  # sent as a form field


async def test_filters_need_no_index_and_words_build_it_when_asked(services: Services) -> None:
    catalog = services.catalog
    bare = Catalog(
        catalog.recommendations, catalog.themes, catalog.cycles, catalog.glossary, index_now=False
    )
    filtered = bare.search(bare.parse_search("c2 accepted")).recommendations
    assert len(filtered) == len(
        catalog.search(catalog.parse_search("c2 accepted")).recommendations
    )
    assert not bare.index_ready()
    land = bare.search(bare.parse_search("land")).recommendations  # waits for the index
    assert bare.index_ready()
    assert [r.id for r in land] == [
        r.id for r in catalog.search(catalog.parse_search("land")).recommendations
    ]
