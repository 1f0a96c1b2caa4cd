"""A Khmer text saved in chat while the catalog is being rebuilt (another process changed the
database) stays shown and searchable: the rebuilt catalog gets it too."""

import asyncio
import sqlite3
from pathlib import Path

from handlers.common import BotApplication
from storage.catalog import Snapshot
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press
from tests.test_membership_notices_bot import next_private
from tests.test_rounds_bot import open_round
from tests.test_rules import services_of
from tests.test_translations_bot import CORRECTED, DRAFT, GUEST, REVIEWER, TRANSLATOR, appoint


class Held:
    """Holds a refresh right after it read its snapshot, until released."""

    def __init__(self, bot: BotApplication, db_path: Path) -> None:
        self.services = services_of(bot)
        self.read = asyncio.Event()
        self.release = asyncio.Event()
        self.db_path = db_path

    async def start(self) -> "asyncio.Task[bool]":
        """Someone else changes the catalog; the refresh job starts and stops after reading."""
        with sqlite3.connect(self.db_path) as other:  # as `bot.py import` does
            other.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalog_revision'"
            )
        repository = self.services.catalog_repository
        original = repository.snapshot

        async def held() -> Snapshot:
            snapshot = await original()
            self.read.set()
            await self.release.wait()
            return snapshot

        repository.snapshot = held  # type: ignore[method-assign]
        task = asyncio.create_task(self.services.refresh_catalog())
        await self.read.wait()
        return task

    async def finish(self, task: "asyncio.Task[bool]") -> None:
        """Let the refresh swap its catalog in."""
        self.release.set()
        assert await task is True


async def test_a_draft_saved_while_the_catalog_is_rebuilt_stays_shown_and_found(
    tg: FakeTelegram, bot: BotApplication, db_path: Path
) -> None:
    await open_round(tg, "c2 118.6", "Migrants")  # translated first
    await appoint(tg, TRANSLATOR)
    task = await tg.reply_to(TRANSLATOR, "/translate")
    assert "<b>118.6</b>" in task.text
    held = Held(bot, db_path)
    refresh = await held.start()
    saved = await tg.reply_to(TRANSLATOR, DRAFT)
    assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាងនៃ 118.6")
    await held.finish(refresh)

    found = await tg.reply_to(GUEST, "ស្វាយចន្ទី")
    assert "118.6" in found.text
    card = await tg.reply_to(GUEST, "118.6")
    assert DRAFT in card.text


async def test_a_review_approved_while_the_catalog_is_rebuilt_stays_shown(
    tg: FakeTelegram, bot: BotApplication, db_path: Path
) -> None:
    await open_round(tg, "c2 118.6", "Migrants")
    await appoint(tg, TRANSLATOR, REVIEWER)
    await tg.reply_to(TRANSLATOR, "/translate")
    await tg.reply_to(TRANSLATOR, DRAFT)
    offer = await tg.reply_to(REVIEWER, "/translate")
    await press(tg, offer, button(offer, "🔎 ត្រួតពិនិត្យសេចក្តីព្រាង ១"), REVIEWER)
    draft = await edited(tg, offer)
    await press(tg, draft, button(draft, "✏️ កែ ហើយអនុម័ត"), REVIEWER)
    await next_private(tg, REVIEWER["id"])
    held = Held(bot, db_path)
    refresh = await held.start()
    done = await tg.reply_to(REVIEWER, CORRECTED)
    assert done.text.startswith("118.6 (ជុំទី២) បានត្រួតពិនិត្យហើយ")
    await held.finish(refresh)

    card = await tg.reply_to(GUEST, "118.6")
    assert CORRECTED in card.text
    assert "សេចក្តីព្រាង" not in card.text
