"""The catalog's working files on a full disk: the operator is told which folder, a member is
told search is starting, and search comes back once there is room, without a restart."""

import asyncio
import logging

import pytest

from bot.services import Services
from handlers.common import BotApplication
from storage.search_index import (
    TemporaryFilesFull,
    TemporaryIndexStore,
    TemporaryRowStore,
    temporary_folder,
)
from tests.conftest import MEMBER, FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_search_starting_bot import unindexed

STARTING = (
    "Search is starting after a restart: please try again in a few seconds. "
    "Numbers like 118.6 work already."
)


def test_a_full_disk_is_named_and_leaves_the_store_usable() -> None:
    store = TemporaryRowStore()
    store._conn.execute("PRAGMA max_page_count = 2")  # the disk as good as full
    with pytest.raises(TemporaryFilesFull) as refused:
        store.add_rows([(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) for i in range(5_000)])
    assert f"do not fit in {temporary_folder()}" in str(refused.value)
    assert "SQLITE_TMPDIR" in str(refused.value)
    store._conn.execute("PRAGMA max_page_count = 1000000")  # room again
    store.add_rows([(7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)])
    assert store.rows([0]) == [(7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]


async def test_an_index_that_does_not_fit_says_search_is_starting_and_is_built_again(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    services: Services = bot.bot_data["services"]
    made: list[TemporaryIndexStore] = []

    def stores() -> TemporaryIndexStore:
        """The filters' store, then one for each build of the word index: the first too small."""
        store = TemporaryIndexStore()
        if len(made) == 1:
            store._conn.execute("PRAGMA max_page_count = 3")  # the disk as good as full
        made.append(store)
        return store

    catalog = unindexed(services.catalog, stores)
    services._catalog = catalog
    services.search_wait = 5
    with caplog.at_level(logging.ERROR, logger="bot.services"):
        services._indexing = asyncio.create_task(services._build_index())
        assert not await services._indexing
    assert "word search is unavailable" in caplog.text
    assert f"do not fit in {temporary_folder()}" in caplog.text
    assert (await tg.reply_to(MEMBER, "land")).text == STARTING
    query_id = await tg.inline("land", user=MEMBER)
    answer = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert answer.params["button"]["text"] == "Search is starting: try again in a few seconds"
    assert (await tg.reply_to(MEMBER, "118.6")).text.startswith("<b>118.6</b>")
    assert (await tg.reply_to(MEMBER, "land")).text == STARTING  # tried at most once a minute
    assert len(made) == 2
    clock.advance(minutes=1)
    results = await tg.reply_to(MEMBER, "land")
    assert "starting" not in results.text
    assert "land" in results.text.lower()
    assert catalog.index_ready()
    assert len(made) == 3  # a store of its own: the failed build left nothing behind
