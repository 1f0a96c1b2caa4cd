"""What a Khmer-speaking reviewer found on Khmer screens: Latin digits left in counts, pictures,
years and round numbers; the stored scope shown as typed; the round word not read; the
"not comparable" sentence; wording of closings, notices and buttons; a glossary pairing."""

import datetime as dt
import re

from bot.domain import bundled
from bot.domain.arguments import read, round_word
from bot.domain.assessment import Colour, Overall
from bot.domain.i18n import Translations
from bot.domain.milestones import MilestoneDate, Precision
from bot.domain.rounds import Comparison
from bot.domain.text import normalize
from bot.services import Services
from handlers.common import BotApplication
from handlers.milestones import _when
from handlers.round_results import _comparison_summary
from tests.conftest import COORDINATOR
from tests.fake_telegram import FakeTelegram
from tests.test_khmer_bot import published_land_round
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import open_round
from tests.test_search import search

KM = Translations.load("en").localizer("km")
EN = Translations.load("en").localizer("en")
LATIN_DIGIT = re.compile("[0-9]")


async def test_khmer_results_rows_card_line_and_round_numbers_have_khmer_digits(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, *_ = await published_land_round(tg, bot)
    services: Services = bot.bot_data["services"]
    await tg.reply_to(member, "/results 1")
    table = await tg.next_call("sendMessage", chat_id=member["id"])
    rows = table.params["text"]
    assert "🔴 ០ · 🟠 ០ · 🟢 ៣ · ❔ ០" in rows
    assert "🔴 0" not in rows
    listing = await tg.reply_to(member, "/rounds")
    assert listing.text.startswith("១. Mid-term · ")
    assert [b["text"] for b in buttons(listing)] == ["លទ្ធផល៖ ១. Mid-term"]
    [first, *_] = await services.assessments.repository.items(1)
    rec = next(r for r in services.catalog.recommendations if r.id == first)
    card = await tg.reply_to(member, str(rec.number))
    line = next(x for x in card.text.split("\n") if x.startswith("វគ្គវាយតម្លៃចុងក្រោយ"))
    assert line == "វគ្គវាយតម្លៃចុងក្រោយ (Mid-term)៖ 🟢 បានអនុវត្តពេញលេញ — 🔴 ០ · 🟠 ០ · 🟢 ៣ · ❔ ០"


def test_picture_numbers_are_written_by_the_readers_number_function() -> None:
    from bot import charts

    written: list[int] = []

    def khmer(value: int) -> str:
        written.append(value)
        return KM.number(value)

    categories = [charts.Category("a", (200, 0, 0)), charts.Category("b", (0, 200, 0))]
    charts.bar_chart("t", categories, [charts.Bar("x", (7, 7))], totals=[14, 7], number=khmer)
    assert sorted(written) == [7, 7, 7, 14, 14]  # the bar's total, two segments, two totals


def test_year_only_milestones_say_the_year_in_khmer() -> None:
    year = MilestoneDate(dt.date(2021, 1, 1), dt.date(2021, 12, 31), Precision.YEAR)
    assert _when(KM, year) == "ឆ្នាំ២០២១"
    around = MilestoneDate(dt.date(2026, 1, 1), dt.date(2026, 12, 31), Precision.YEAR, True)
    assert _when(KM, around) == "ប្រហែល ឆ្នាំ២០២៦"
    assert _when(EN, year) == "2021"


async def test_the_round_panel_describes_its_scope_in_the_readers_words(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await open_round(tg, "វដ្តទី2 ដីធ្លី", "Mid-term")
    assert (await tg.reply_to(COORDINATOR, "/language km")).text
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert await press(tg, listing, button(listing, "១. Mid-term"), COORDINATOR) == ""
    panel = await edited(tg, listing)
    [scope] = [x for x in panel.text.split("\n") if x.startswith("វិសាលភាព៖")]
    assert scope == "វិសាលភាព៖ ជុំទី២ · ដីធ្លី និងធនធានធម្មជាតិ"
    assert "វដ្ត" not in panel.text


def test_the_round_word_before_a_number_is_that_round() -> None:
    for typed in ("/results វគ្គទី២", "/results វគ្គទី 2", "/results វគ្គ ២", "/results round 2"):
        assert read(typed).numbers == (2,), typed
    assert read("/compare វគ្គទី១ វគ្គទី២").numbers == (1, 2)
    assert round_word("វគ្គទី២") == 2
    assert round_word(" Round 3 ") == 3
    assert round_word("វគ្គទី") is None
    assert round_word("វគ្គទី២ ដីធ្លី") is None
    assert round_word("2") is None


async def test_a_round_typed_as_a_search_points_to_its_results(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, *_ = await published_land_round(tg, bot)
    hint = await tg.reply_to(member, "វគ្គទី១")
    assert hint.text == "សូមផ្ញើ /results 1 ដើម្បីមើលលទ្ធផលនៃវគ្គទី១។"
    summary = await tg.reply_to(member, "/results វគ្គទី១")
    assert "Mid-term" in summary.text
    assert "វគ្គណា" not in summary.text


def _comparison(absent: int, unrated: int) -> Comparison:
    return Comparison([], 2, absent, unrated, dict.fromkeys(Overall, 0), {})


def test_not_comparable_names_only_the_parts_that_are_not_zero() -> None:
    assert _comparison_summary(KM, _comparison(0, 3))[1] == (
        "អនុសាសន៍ ៣ មិនអាចប្រៀបធៀបបាន៖ ៣ គ្មានពណ៌ក្នុងវគ្គមួយ (ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់ ឬមានការខ្វែងគំនិត)។"
    )
    assert _comparison_summary(KM, _comparison(2, 1))[1] == (
        "អនុសាសន៍ ៣ មិនអាចប្រៀបធៀបបាន៖ ២ មានតែក្នុងវគ្គមួយ · ១ គ្មានពណ៌ក្នុងវគ្គមួយ "
        "(ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់ ឬមានការខ្វែងគំនិត)។"
    )
    assert _comparison_summary(EN, _comparison(2, 0))[1] == (
        "2 not comparable: 2 in only one of the rounds."
    )
    assert len(_comparison_summary(EN, _comparison(0, 0))) == 1


def test_khmer_wording_of_closings_notices_and_buttons() -> None:
    notice = KM.ngettext(
        "New assessment «{name}»: {count} recommendation for your organisation to rate, "
        "{closing}.",
        "New assessment «{name}»: {count} recommendations for your organisation to rate, "
        "{closing}.",
        14,
    ).format(name="ក", count="១៤", closing=KM.gettext("closes {date} ({zone})"))
    assert notice == (
        "វគ្គវាយតម្លៃថ្មី «ក»៖ មានអនុសាសន៍ ១៤ ដែលអង្គការរបស់អ្នកត្រូវវាយតម្លៃ។ "
        "វគ្គនេះបិទនៅ{date} (តាមម៉ោង{zone})។"
    )
    group = KM.ngettext(
        "New assessment «{name}»: {count} recommendation for this working group, {closing}. "
        "Tap Rate now to post the card here.",
        "New assessment «{name}»: {count} recommendations for this working group, {closing}. "
        "Tap Rate now to post the cards here.",
        14,
    )
    assert group.endswith("ចុចប៊ូតុង «វាយតម្លៃឥឡូវនេះ» ដើម្បីបង្ហោះកាតនៅទីនេះ។")
    assert KM.gettext(
        "The assessment «{name}» has closed on its closing date: ratings can no longer change. "
        "Results come once coordinators publish them."
    ).startswith("វគ្គវាយតម្លៃ «{name}» បានបិទហើយ តាមថ្ងៃកំណត់៖")
    # Short in a /results line, and no "rate" word where the reason is written.
    assert KM.gettext("not enough {count}") == "មិនទាន់គ្រប់ចំនួន {count}"
    prompts = [
        KM.gettext(m)
        for m in (
            "{org} rated {number} {colour}. Type a short reason now (e.g. “Law drafted, still "
            "in consultation”), or tap ⏭ Next.",
            "{org} rated {number} {colour} with this reason:\n{reason}\nType a new reason now to "
            "replace it (at most {limit} characters), or tap ⏭ Next.",
        )
    ]
    assert all("សូមសរសេរហេតុផល" in p and "សូមវាយហេតុផល" not in p for p in prompts)
    date_step = "Step 4 of 5: send the closing date as YEAR-MONTH-DAY, for example 2027-03-31."
    assert KM.gettext(date_step).endswith("ឧទាហរណ៍ ២០២៧-០៣-៣១។")
    assert KM.gettext("That was a search") == "🔎 ខ្ញុំចង់ស្វែងរក មិនមែនហេតុផលទេ"
    reminders = KM.gettext(
        "I remind the group's chat and the responsible organisations of each action in "
        "/strategy {days} before it is due, on the day and weekly while overdue "
        "({time}): answer with ✅ ⏳ ⛔ 📅 and, if you like, a note."
    )
    assert "ក្នុង /strategy {days} មុនផុតកំណត់" in reminders
    every = [
        KM.gettext(m)
        for m in (
            "Round {id} «{name}» has closed on its closing date. Publish its results from "
            "/rounds.",
            "{time} ({zone})",
            "Last reminder: {time} ({zone})",
        )
    ]
    assert all(" ។" not in text and "(ម៉ោង {zone})" not in text for text in every)


async def test_the_migrant_workers_phrase_and_the_convention_find_the_icmw(
    services: Services,
) -> None:
    glossary = bundled.load_glossary()
    phrase = "ពលករចំណាកស្រុក និងសមាជិកគ្រួសាររបស់ពួកគេ"
    convention = "អនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិរបស់ពលករចំណាកស្រុកទាំងអស់ និងសមាជិកគ្រួសាររបស់ពួកគេ"
    for khmer in (phrase, convention):
        found = glossary.english_of(normalize(khmer).replace(" ", ""))
        assert found is not None, khmer
        assert "migrant workers and members of their families" in found[1], khmer
        assert "2:118.6" in search(services, khmer), khmer
    cut_short = "អនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិពលករចំណាកស្រុក"
    assert glossary.english_of(normalize(cut_short)) is None


def test_no_latin_digit_in_a_khmer_distribution_line() -> None:
    from bot.domain.assessment import Distribution
    from handlers.render import distribution_line

    line = distribution_line(KM, Distribution.of([Colour.RED, Colour.GREEN, Colour.GREEN]))
    assert line == "🔴 ១ · 🟠 ០ · 🟢 ២ · ❔ ០"
    assert not LATIN_DIGIT.search(line)


async def test_a_khmer_result_list_is_numbered_in_khmer_digits(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, *_ = await published_land_round(tg, bot)
    found = await tg.reply_to(member, "ដីធ្លី")
    numbered = [x[:3] for x in found.text.split("\n") if x and x[0] in "០១២៣៤៥៦៧៨៩12345"]
    assert numbered[:5] == ["១. ", "២. ", "៣. ", "៤. ", "៥. "]
