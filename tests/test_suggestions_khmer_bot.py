"""What a reviewer who reads Khmer found in the search's suggestions: a button never offers the
word typed or a search that finds nothing; a Khmer word of a theme offers the theme, not a word
spelled nearly so (ខ្មែរក្រោម is not ខ្មែរក្រហម); an acronym is not offered an English word
of other letters; a known word nobody mentions is said so, not "not understood"; the words
are named as typed."""

from __future__ import annotations

from bot.domain.catalog import EmptyQuery
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import KHMER_MEMBER, MEMBER
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, buttons, edited, press


def labels(message: object) -> list[str]:
    """The texts of an answer's suggestion buttons (those with a magnifying glass)."""
    return [b["text"] for b in buttons(message) if b["text"].startswith("🔎")]  # type: ignore[arg-type]


async def test_a_khmer_word_of_a_theme_offers_the_theme_and_never_the_word_again(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    answer = await tg.reply_to(MEMBER, "គ្រឿងញៀន")
    assert labels(answer) == ["🔎 Anti-drug campaign and people who use drugs"]
    await press(tg, answer, button(answer, labels(answer)[0]), MEMBER)
    found = await edited(tg, answer)
    assert "2 recommendations" in found.text.split("\n")[0], found.text
    answer = await tg.reply_to(MEMBER, "ខ្មែរក្រោម")  # Khmer Krom, not Khmer Rouge (ខ្មែរក្រហម)
    assert labels(answer) == ["🔎 Khmer Krom rights"]
    answer = await tg.reply_to(KHMER_MEMBER, "ខ្មែរក្រោម")
    assert labels(answer) == ["🔎 សិទ្ធិខ្មែរក្រោម"]
    answer = await tg.reply_to(MEMBER, "មរណភាព")  # mortality: not equality (សមភាព)
    assert labels(answer) == []
    answer = await tg.reply_to(MEMBER, "សមភាប")  # a typo still gets the words it is near
    assert "🔎 សមភាព" in labels(answer)
    answer = await tg.reply_to(MEMBER, "ELC")  # an acronym: not «relocations»
    assert labels(answer) == []
    answer = await tg.reply_to(MEMBER, "Relokation")  # an English typo keeps its offers
    assert "🔎 relocations" in labels(answer)


async def test_no_khmer_glossary_word_is_offered_a_search_that_finds_nothing(
    bot: BotApplication,
) -> None:
    services: Services = bot.bot_data["services"]
    assert await services.search_ready()
    catalog = services.catalog
    empty = 0
    for word in sorted(catalog.glossary.km_to_en):
        try:
            result = catalog.search(catalog.parse_search(word))
        except EmptyQuery:  # a filler word ('អនុសាសន៍')
            continue
        if result.recommendations or not result.unknown:
            continue
        empty += 1
        for offer in catalog.suggest(result):
            assert offer.text not in result.unknown, word
            assert catalog.search(offer).recommendations, (word, offer)
    assert empty >= 30  # the bundled texts lack many of the glossary's words


async def test_a_known_word_no_recommendation_mentions_is_said_so_and_words_show_as_typed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    answer = await tg.reply_to(MEMBER, "គ្រឿងញៀន")
    assert "<i>No recommendation mentions “គ្រឿងញៀន”.</i>" in answer.text
    assert "Not understood" not in answer.text
    answer = await tg.reply_to(KHMER_MEMBER, "គ្រឿងញៀន")
    assert "<i>មិនមានអនុសាសន៍ណាមួយនិយាយអំពី “គ្រឿងញៀន” ទេ។</i>" in answer.text
    answer = await tg.reply_to(MEMBER, "Relokation")
    assert "<i>Not understood: “Relokation”.</i>" in answer.text
    answer = await tg.reply_to(MEMBER, "land គ្រឿងញៀន")
    assert (
        "<i>No recommendation mentions “គ្រឿងញៀន”. These results are for your other words.</i>"
        in answer.text
    )
    answer = await tg.reply_to(MEMBER, "land គ្រឿងញៀន Relokation")  # "other words" said once
    assert (
        "<i>No recommendation mentions “គ្រឿងញៀន”.</i>\n<i>Not understood: “Relokation”. These "
        "results are for your other words.</i>" in answer.text
    )
    # The words as typed: an acronym glued to Khmer, Khmer digits, an invisible space.
    answer = await tg.reply_to(MEMBER, "ELCនិងការបណ្តេញចេញ")
    assert "“ELC”" in answer.text
    assert "elc" not in answer.text
    for typed, shown in (("C៨៧", "C៨៧"), ("C8\u200b7", "C8\u200b7"), ("<C87>", "C87")):
        answer = await tg.reply_to(MEMBER, typed)
        assert f"Not understood: “{shown}”" in answer.text, (typed, answer.text)
