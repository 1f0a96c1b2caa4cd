"""Khmer punctuation in screens built from parts: the Khmer colon ៖ between a label and its
value, list items joined with · , no stray space before a date, 'page 1/4'."""

import re

from handlers.common import BotApplication
from tests.conftest import KHMER_MEMBER
from tests.fake_telegram import FakeTelegram
from tests.test_i18n import entries
from tests.test_nudges_bot import linked_land_action
from tests.test_translations_bot import KHMER_COORDINATOR

_KHMER = "\u1780-\u17dd"  # letters, signs and ៖ (not the digits: ០៩:០០ is a time)


def latin_marks(text: str) -> list[str]:
    """Latin ':' or ';' next to Khmer words (tags aside)."""
    plain = re.sub(r"<[^>]+>", "", text)
    return re.findall(rf"[{_KHMER}][)»”\s]*[:;]|[:;]\s*[{_KHMER}]", plain)


async def test_khmer_screens_use_khmer_punctuation(tg: FakeTelegram, bot: BotApplication) -> None:
    await linked_land_action(bot, 1, "វិទ្យុអំពីសិទ្ធិដីធ្លី", "31 December 2026")
    chooser = await tg.reply_to(KHMER_COORDINATOR, "/strategy")
    assert "</b>៖ " in chooser.text  # each working group's counts after ៖
    assert latin_marks(chooser.text) == []

    card = await tg.reply_to(KHMER_MEMBER, "118.6")
    themes = next(line for line in card.text.split("\n") if line.startswith("ប្រធានបទ៖"))
    assert " · " in themes  # two themes, joined as Khmer text joins them
    assert ";" not in themes
    assert latin_marks(card.text) == []

    page = await tg.reply_to(KHMER_MEMBER, "ដីធ្លី")
    assert re.search(r"\nទំព័រទី១/[០-៩]+\n", page.text)
    assert latin_marks(page.text) == []

    help_text = await tg.full_help(KHMER_COORDINATOR)
    assert "/strategy ១៤ ថ្ងៃ និង ៣ ថ្ងៃ មុនផុតកំណត់" in help_text
    prose = [line for line in help_text.split("\n") if " c2 " not in line]  # not commands
    assert latin_marks("\n".join(prose)) == []


def test_a_khmer_date_follows_its_preposition_without_a_space() -> None:
    # 'គឺនៅថ្ងៃទី៧', 'ពីថ្ងៃទី១ ដល់ថ្ងៃទី៣១': a date is 'ថ្ងៃទី…', written on to its word.
    stray = [
        text
        for message in entries("km")
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if re.search(r"(នៅ|ពី|ដល់) \{(date|start|due|end|when)\}", text)
    ]
    assert stray == []
