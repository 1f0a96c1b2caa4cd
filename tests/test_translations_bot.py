"""Translating the recommendations in chat, end to end through the fake Telegram server:
translators appointed, /translate, drafts, reviews, /translations and its files."""

import csv
import io
from pathlib import Path
from typing import Any

from bot.app import running
from bot.domain.i18n import Translations
from bot.domain.model import TranslationStatus
from bot.domain.search import SearchIndex, english_term
from bot.domain.spreadsheet import table
from bot.domain.text import visible_text
from bot.domain.translations import Coverage, ExportRow, Problem, Worker, check_text
from bot.services import Services
from handlers.callbacks import TranslateAction, TranslateStep
from handlers.common import BotApplication
from handlers.translations import coverage_text, export_table
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_membership_notices_bot import next_private
from tests.test_rounds_bot import coalition_with, open_round
from tests.test_rules import rec_id, services_of

KHMER_COORDINATOR = {**COORDINATOR, "language_code": "km"}
TRANSLATOR = {"id": 5001, "is_bot": False, "first_name": "Sreymom", "language_code": "km"}
REVIEWER = {"id": 5002, "is_bot": False, "first_name": "Vibol", "language_code": "km"}
GUEST = {"id": 5003, "is_bot": False, "first_name": "Guest", "language_code": "km"}
# 118.6 in Khmer, with a word no other text has (ស្វាយចន្ទី, cashew) to search for.
DRAFT = "ផ្តល់សច្ចាប័នលើអនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិពលករចំណាកស្រុក និងសមាជិកគ្រួសាររបស់ពួកគេ ស្វាយចន្ទី"
# 118.1 in Khmer: long enough for its 152-character English text.
PROTOCOL = "ផ្តល់សច្ចាប័នលើពិធីសារស្រេចចិត្តទីមួយនៃកតិកាសញ្ញាអន្តរជាតិស្តីពីសិទ្ធិពលរដ្ឋ និងសិទ្ធិនយោបាយ"
CORRECTED = "ផ្តល់សច្ចាប័នលើអនុសញ្ញាអន្តរជាតិស្តីពីការការពារសិទ្ធិពលករចំណាកស្រុកទាំងអស់ និងសមាជិកគ្រួសាររបស់ពួកគេ"


async def appoint(tg: FakeTelegram, *people: dict[str, Any]) -> None:
    for person in people:
        said = await tg.reply_to(KHMER_COORDINATOR, f"/translators {person['id']}")
        assert said.text == f"ឥឡូវ {person['id']} ជាអ្នកបកប្រែហើយ។"
        await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # the list
        told = await next_private(tg, person["id"])  # through the outbox, in their language
        assert told.text.startswith("ឥឡូវអ្នកជាអ្នកបកប្រែ")


async def go_on(tg: FakeTelegram, saved: Any, person: dict[str, Any]) -> Any:
    """✍ Next recommendation under a saved draft: the next task, in a new message."""
    await press(tg, saved, button(saved, "✍ អនុសាសន៍បន្ទាប់"), person)
    return await next_private(tg, person["id"])


async def test_a_translator_goes_from_nothing_to_a_reviewed_khmer_text_in_chat(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await open_round(tg, "c2 118.6", "Migrants")  # in use: translated first
    await appoint(tg, TRANSLATOR, REVIEWER)
    guest_sees = await tg.reply_to(GUEST, "ស្វាយចន្ទី")
    assert "118.6" not in guest_sees.text

    task = await tg.reply_to(TRANSLATOR, "/translate")
    assert task.text.startswith("✍ បកប្រែជាភាសាខ្មែរ៖ <b>118.6</b> · ជុំទី២")
    assert "Ratify the International Convention on the Protection of the Rights" in task.text
    assert "ពាក្យបច្ចេកទេសក្នុងអត្ថបទនេះ៖" in task.text  # the glossary's terms it contains
    assert "(ក្នុងរយៈពេល ៣០ នាទី)" in task.text  # Khmer digits
    assert [b["text"] for b in buttons(task)] == ["⏭ រំលង", "✖ ឈប់"]

    saved = await tg.reply_to(TRANSLATOR, DRAFT)
    assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាងនៃ 118.6 (ជុំទី២)")
    assert [b["text"] for b in buttons(saved)] == ["✍ អនុសាសន៍បន្ទាប់", "✖ ឈប់"]
    following = await go_on(tg, saved, TRANSLATOR)
    assert following.text.startswith("✍ បកប្រែជាភាសាខ្មែរ៖ <b>")
    assert "<b>118.6</b>" not in following.text

    # Searchable at once, and the card says it is a draft.
    found = await tg.reply_to(GUEST, "ស្វាយចន្ទី")
    assert "118.6" in found.text
    card = await tg.reply_to(GUEST, "118.6")
    # Never the draft alone: the English text, then the draft marked as one.
    english = card.text.index("Ratify the International Convention on the Protection")
    marked = card.text.index("ការបកប្រែនេះជាសេចក្តីព្រាង មិនទាន់បានត្រួតពិនិត្យនៅឡើយទេ។")
    assert english < marked < card.text.index(DRAFT)

    # Its author cannot approve it, even with a forged button.
    forged = TranslateStep(TranslateAction.APPROVE, rec_id(services, "118.6")).pack()
    answer = await press(tg, tg.carrying(following, forged), forged, TRANSLATOR)
    assert answer.startswith("អ្នកជាអ្នកសរសេរសេចក្តីព្រាងនេះ")
    stored = await services.translating.store.stored(rec_id(services, "118.6"))
    assert stored is not None
    assert stored.status is TranslationStatus.DRAFT

    # A second translator reviews: edits, and the corrected text is the reviewed one.
    offer = await tg.reply_to(REVIEWER, "/translate")
    review = button(offer, "🔎 ត្រួតពិនិត្យសេចក្តីព្រាង ១")
    await press(tg, offer, review, REVIEWER)
    draft = await edited(tg, offer)
    assert draft.text.startswith("🔎 ត្រួតពិនិត្យសេចក្តីព្រាងជាភាសាខ្មែរ៖ <b>118.6</b>")
    assert "សេចក្តីព្រាងជាភាសាខ្មែរ ដោយ Sreymom៖" in draft.text
    assert DRAFT in draft.text
    assert "ចុច ✅ អនុម័ត បើវាត្រឹមត្រូវ ឬចុច ✏️ កែ ហើយអនុម័ត" in draft.text
    await press(tg, draft, button(draft, "✏️ កែ ហើយអនុម័ត"), REVIEWER)
    asked = await next_private(tg, REVIEWER["id"])
    assert asked.text.startswith("សូមផ្ញើអត្ថបទខ្មែរដែលបានកែរួច")
    done = await tg.reply_to(REVIEWER, CORRECTED)
    assert done.text.startswith("118.6 (ជុំទី២) បានត្រួតពិនិត្យហើយ")
    await next_private(tg, REVIEWER["id"])  # no more drafts to review

    card = await tg.reply_to(GUEST, "118.6")
    assert CORRECTED in card.text
    assert "សេចក្តីព្រាង" not in card.text
    stored = await services.translating.store.stored(rec_id(services, "118.6"))
    assert stored is not None
    assert (stored.status, stored.translator, stored.reviewer) == (
        TranslationStatus.REVIEWED,
        "Sreymom",
        "Vibol",
    )
    assert stored.translator_id == TRANSLATOR["id"]
    assert stored.reviewer_id == REVIEWER["id"]
    # The old words are gone from the index, the new ones found.
    assert "118.6" not in (await tg.reply_to(GUEST, "ស្វាយចន្ទី")).text


async def test_hostile_texts_are_refused_and_nothing_is_half_written(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await appoint(tg, TRANSLATOR)
    task = await tg.reply_to(TRANSLATOR, "/translate")
    number = task.text.split("<b>")[1].split("</b>")[0]
    english = next(r.text_en for r in services.catalog.recommendations if str(r.number) == number)
    refusals = {
        "<b>ខ្មែរ</b> <a href='x'>ខ្មែរ</a>": "សូមផ្ញើអត្ថបទធម្មតា គ្មានស្លាក HTML",
        "ក" * 5000: "អត្ថបទនោះវែងពេក៖ យ៉ាងច្រើន ៣០០០ តួអក្សរ",
        english: "🔎",  # no Khmer at all: not a translation but a look-up
        english + " ខ្មែរ": "សារនោះមើលទៅដូចជាអត្ថបទអង់គ្លេស",
        " ": "ផ្ញើលេខ ដូចជា 118.6",  # nothing to save: what to send instead
        "ក" + "\u200b" * 2000: "សារនោះខ្លីជាងអត្ថបទអង់គ្លេស",  # invisible characters do not count
        "ក😀" * 10: "សារនោះភាគច្រើនជាសញ្ញា",
        "ដំឡូងមី": "សារនោះខ្លីជាងអត្ថបទអង់គ្លេសឆ្ងាយណាស់",  # a search word, not a translation
    }
    for text, said in refusals.items():
        answer = await tg.reply_to(TRANSLATOR, text)
        assert answer.text.startswith(said), text[:40]
    assert await services.translating.store.export_rows()  # nothing stored:
    assert all(r.stored is None for r in await services.translating.store.export_rows())
    # The prompt survives the refusals: a good text is then saved.
    saved = await tg.reply_to(TRANSLATOR, "ក" * len(english))
    assert saved.text.startswith(f"បានរក្សាទុកជាសេចក្តីព្រាងនៃ {number}")


def test_the_text_check_names_each_problem() -> None:
    english = "Ratify the Convention against Torture"
    assert check_text("", english) is Problem.EMPTY
    assert check_text("Ratify", english) is Problem.NO_KHMER
    assert check_text(english + " ក", english) is Problem.MOSTLY_ENGLISH
    assert check_text("ផ្តល់សច្ចាប័ន CAT OP-CAT", english) is None  # acronyms may stay Latin
    assert check_text("<i>ផ្តល់</i>", english) is Problem.MARKUP
    assert check_text("ក" * 3001, english) is Problem.TOO_LONG
    # Invisible characters do not count; emoji and other scripts are not Khmer text.
    assert check_text("ក" + "\u200b" * 2000, english) is Problem.TOO_SHORT
    assert check_text("\u202eក\u202eខ", english) is Problem.TOO_SHORT
    assert check_text("ក😀" * 10, english) is Problem.NOT_KHMER
    assert check_text("ក" + "\u200b" * 10 + "ផ្តល់សច្ចាប័នលើអនុសញ្ញា", english) is None
    assert visible_text("\u202eផ្តល់\u200bសច្ចាប័ន\u2066") == "ផ្តល់សច្ចាប័ន"


async def test_stop_and_skip_and_who_may_translate(tg: FakeTelegram, bot: BotApplication) -> None:
    refused = await tg.reply_to(TRANSLATOR, "/translate")
    assert refused.text.startswith("មុខងារនេះសម្រាប់អ្នកបកប្រែរបស់សម្ព័ន្ធ")
    assert "/translate" not in (await tg.reply_to(TRANSLATOR, "/help")).text
    await appoint(tg, TRANSLATOR)
    # Appointed by id before the bot knew them (guests' names are not kept): no name yet.
    assert "• ? (5001)" in (await tg.reply_to(KHMER_COORDINATOR, "/translators")).text
    await tg.menu_published(TRANSLATOR["id"])  # their own menu names what they may use now
    assert {"translate", "translations"} <= set(tg.menu(TRANSLATOR))
    assert "translators" not in tg.menu(TRANSLATOR)
    helped = await tg.reply_to(TRANSLATOR, "/help")
    assert "អ្នកជាអ្នកបកប្រែ៖ /translate" in helped.text
    first = await tg.reply_to(TRANSLATOR, "/translate")
    assert "<b>118.1</b>" in first.text
    await press(tg, first, button(first, "⏭ រំលង"), TRANSLATOR)
    second = await edited(tg, first)
    assert "<b>118.2</b>" in second.text  # the next in line
    await press(tg, second, button(second, "✖ ឈប់"), TRANSLATOR)
    stopped = await edited(tg, second)
    assert stopped.text.startswith("បានឈប់")
    # After ✖ a Khmer message is a search again, not a translation.
    await tg.reply_to(TRANSLATOR, "ដីធ្លី")
    services = services_of(bot)
    assert all(r.stored is None for r in await services.translating.store.export_rows())
    # Once they wrote to the bot (before saving any text), their Telegram name shows.
    listing = await tg.reply_to(KHMER_COORDINATOR, "/translators")
    assert "• Sreymom (5001)" in listing.text
    # Removed translators are refused at once, buttons too.
    assert await press(tg, listing, button(listing, "✖ Sreymom"), KHMER_COORDINATOR) == (
        "5001 លែងជាអ្នកបកប្រែទៀតហើយ។"
    )
    assert "(5001)" not in (await edited(tg, listing)).text
    told = await next_private(tg, TRANSLATOR["id"])  # told, in their language
    assert told.text == "អ្នកលែងជាអ្នកបកប្រែទៀតហើយ។ សូមអរគុណចំពោះការងាររបស់អ្នក!"
    await tg.menu_published(TRANSLATOR["id"], "deleteMyCommands")
    assert "translate" not in tg.menu(TRANSLATOR)
    stop = TranslateStep(TranslateAction.STOP).pack()
    answer = await press(tg, tg.carrying(first, stop), stop, TRANSLATOR)
    assert answer.startswith("មុខងារនេះសម្រាប់អ្នកបកប្រែរបស់សម្ព័ន្ធ")


async def test_export_then_import_changes_nothing(
    tg: FakeTelegram, bot: BotApplication, tmp_path: Path
) -> None:
    services = services_of(bot)
    await appoint(tg, TRANSLATOR, REVIEWER)
    await tg.reply_to(TRANSLATOR, "/translate")
    await go_on(tg, await tg.reply_to(TRANSLATOR, DRAFT), TRANSLATOR)
    await tg.reply_to(TRANSLATOR, "ផ្តល់សច្ចាប័នលើពិធីសារ\nបន្ទាត់ទីពីរ")  # two lines
    draft_id = next(r.stored for r in await services.translating.store.export_rows() if r.stored)
    assert draft_id is not None
    await services.translating.approve(REVIEWER["id"], "Vibol", draft_id.recommendation_id)
    before = await services.translating.store.export_rows()
    revision = services.catalog.revision
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"translations.{fmt}"
        path.write_bytes(
            table(export_table(list(before), services.settings.timezone), fmt, sheet="km")
        )
        outcome = await services.import_file(path)
        assert outcome.parsed.kind == "translations"
        assert outcome.parsed.errors == []
        assert (outcome.report.added, outcome.report.updated) == (0, 0), fmt
        assert outcome.report.unchanged == 2
        assert await services.translating.store.export_rows() == before
    assert services.catalog.revision == revision

    # A reviewed row edited offline is imported with its provenance; the export says so.
    rows = exported_rows(before, services)
    header = rows[0]
    edited_row = next(r for r in rows[1:] if r[header.index("status")] == "draft")
    edited_row[header.index("text_km")] = CORRECTED
    edited_row[header.index("status")] = "reviewed"
    edited_row[header.index("reviewer")] = "Offline reviewer"
    path = tmp_path / "edited.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, edited_row])
    outcome = await services.import_file(path)
    assert (outcome.report.updated, outcome.parsed.errors) == (1, [])
    after = {
        r.stored.recommendation_id: r.stored
        for r in await services.translating.store.export_rows()
        if r.stored
    }
    changed = after[
        int(
            next(
                r.stored.recommendation_id
                for r in before
                if r.stored and r.stored.status is TranslationStatus.DRAFT
            )
        )
    ]
    assert (changed.text_km, changed.status, changed.reviewer) == (
        CORRECTED,
        TranslationStatus.REVIEWED,
        "Offline reviewer",
    )
    assert changed.translator == "Sreymom"
    assert changed.translator_id == TRANSLATOR["id"]
    assert changed.reviewed_at is not None


async def test_translations_shows_coverage_and_sends_both_files(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await appoint(tg, TRANSLATOR)
    await tg.reply_to(TRANSLATOR, "/translate")
    await tg.reply_to(TRANSLATOR, DRAFT)
    overview = await tg.reply_to(TRANSLATOR, "/translations")
    assert (
        "ជុំទី២៖ ░░░░░░░░░░ ០ % — បានត្រួតពិនិត្យ ០ · សេចក្តីព្រាង ១ · មិនទាន់បកប្រែ ២០៤ (ក្នុងចំណោម ២០៥)"
        in overview.text
    )
    assert "• Sreymom៖ សេចក្តីព្រាង ១ ត្រួតពិនិត្យ ០" in overview.text
    # Offline files go back through a coordinator, who sends them to the bot: no shell command.
    assert "ផ្ញើវាមកខ្ញុំក្នុងការជជែកឯកជន" in overview.text
    assert "./scripts" not in overview.text
    for label, name in (("CSV", "translations-km.csv"), ("XLSX", "translations-km.xlsx")):
        await press(tg, overview, button(overview, label), TRANSLATOR)
        sent = await tg.next_call("sendDocument", chat_id=TRANSLATOR["id"])
        assert sent.error is None
        assert name in str(sent.params)
    guest = await tg.reply_to(GUEST, "/translations")
    assert guest.text.startswith("មុខងារនេះសម្រាប់អ្នកបកប្រែរបស់សម្ព័ន្ធ")


def test_the_weeks_counts_are_singular_or_plural() -> None:
    english = Translations.load("en").localizer("en")
    text = coverage_text(english, Coverage((), (Worker("Dara", 1, 0), Worker("Vy", 2, 1)), 2))
    assert "• Dara: 1 draft, 0 reviews" in text
    assert "• Vy: 2 drafts, 1 review" in text


async def test_the_next_text_to_translate_is_the_one_in_use(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    translating = services.translating
    current = services.catalog.current_cycle
    first = await translating.offer(COORDINATOR_ID)  # coordinators translate implicitly
    assert first.task is not None
    rec = services.catalog.by_id[first.task.recommendation_id]
    assert (rec.cycle, str(rec.number)) == (current, "118.1")
    await open_round(tg, "c1 82.5", "Old")
    assert (await translating.offer(COORDINATOR_ID)).task.recommendation_id == rec_id(  # type: ignore[union-attr]
        services, "82.5", 1
    )


def test_the_search_index_replaces_one_documents_words() -> None:
    index = SearchIndex([("land rights", ""), ("torture", "")])
    index.update(0, "land rights", "ស្វាយចន្ទី")
    khmer = english_term("ស្វាយចន្ទី", [], ["ស្វាយចន្ទី"])
    assert tuple(index.search([khmer]).docs) == (0,)
    index.update(0, "water", "")
    assert tuple(index.search([khmer]).docs) == ()
    assert tuple(index.search([english_term("land", ["land"])]).docs) == ()
    assert tuple(index.search([english_term("water", ["water"])]).docs) == (0,)
    index.update(1, "watermelon", "")  # a new word: found by its prefix too
    assert set(index.search([english_term("wate", ["wate*"])]).docs) == {0, 1}


async def test_a_prompt_survives_a_restart_and_expires_after_30_minutes(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()):
        await appoint(tg, TRANSLATOR)
        task = await tg.reply_to(TRANSLATOR, "/translate")
        assert "<b>118.1</b>" in task.text

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        saved = await tg.reply_to(TRANSLATOR, PROTOCOL)
        assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាងនៃ 118.1 (ជុំទី២)")
        await go_on(tg, saved, TRANSLATOR)  # 118.2, asked now
        clock.advance(minutes=30, seconds=1)
        # Half an hour later a Khmer message is a search again.
        await tg.reply_to(TRANSLATOR, "ដីធ្លី")
        services = services_of(bot)
        stored = [r.stored for r in await services.translating.store.export_rows() if r.stored]
        assert [s.recommendation_id for s in stored] == [rec_id(services, "118.1")]


async def test_a_coordinator_appoints_someone_the_bot_knows_with_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    invite = await services.coalition.add_organisation(COORDINATOR_ID, "ADHOC", "Adhoc")
    await services.coalition.join(5004, "Chanthy", "km", invite.code)
    listing = await tg.reply_to(KHMER_COORDINATOR, "/translators")
    assert "មិនទាន់មាននរណាម្នាក់នៅឡើយទេ" in listing.text
    await press(tg, listing, button(listing, "➕ តែងតាំងអ្នកបកប្រែ"), KHMER_COORDINATOR)
    people = await next_private(tg, COORDINATOR_ID)
    assert people.text == "តើនរណានឹងក្លាយជាអ្នកបកប្រែ?"
    said = await press(tg, people, button(people, "Chanthy"), KHMER_COORDINATOR)
    assert said == "ឥឡូវ 5004 ជាអ្នកបកប្រែហើយ។"
    assert "• Chanthy (5004)" in (await edited(tg, people)).text
    assert await services.translating.may_translate(5004)
    log = await tg.reply_to(KHMER_COORDINATOR, "/audit")
    assert "បានតែងតាំងអ្នកបកប្រែ" in log.text
    assert "Chanthy" in log.text


async def test_after_a_saved_draft_the_next_message_is_a_search_not_another_draft(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """A Khmer reviewer's find: the word sent after a draft became the next recommendation's
    draft. Now the next task waits for a button, and a search word is refused as a draft."""
    services = services_of(bot)
    await appoint(tg, TRANSLATOR, REVIEWER)
    told = await tg.reply_to(GUEST, "ដំឡូងមី")  # what a search for it answers
    await tg.reply_to(TRANSLATOR, "/translate")  # 118.1
    saved = await tg.reply_to(TRANSLATOR, PROTOCOL)
    assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាងនៃ 118.1")
    assert "សារបន្ទាប់របស់អ្នកគឺជាការស្វែងរកវិញ" in saved.text
    searched = await tg.reply_to(TRANSLATOR, "ដំឡូងមី")
    assert searched.text == told.text  # a search, as anyone's
    stored = [r.stored for r in await services.translating.store.export_rows() if r.stored]
    assert [s.recommendation_id for s in stored] == [rec_id(services, "118.1")]

    # Asked for a text, a search word is refused as far too short, with how to search.
    task = await go_on(tg, saved, TRANSLATOR)
    assert "<b>118.2</b>" in task.text
    refused = await tg.reply_to(TRANSLATOR, "ដំឡូងមី")
    assert refused.text.startswith("សារនោះខ្លីជាងអត្ថបទអង់គ្លេសឆ្ងាយណាស់")
    assert "ចុច ✖ ឈប់ ជាមុនសិន" in refused.text
    await press(tg, task, button(task, "✖ ឈប់"), TRANSLATOR)
    await edited(tg, task)
    assert (await tg.reply_to(TRANSLATOR, "ដំឡូងមី")).text == told.text
    await tg.reply_to(TRANSLATOR, "/translate")
    await tg.reply_to(TRANSLATOR, "ផ្តល់សច្ចាប័នលើពិធីសារទាំងពីរនៃ ICCPR")  # 118.2

    # A reviewer's next message after ✅ is a search too, not the next draft's correction.
    offer = await tg.reply_to(REVIEWER, "/translate")
    await press(tg, offer, button(offer, "🔎 ត្រួតពិនិត្យសេចក្តីព្រាង ២"), REVIEWER)
    draft = await edited(tg, offer)
    await press(tg, draft, button(draft, "✅ អនុម័ត"), REVIEWER)
    await next_private(tg, REVIEWER["id"])  # reviewed
    following = await next_private(tg, REVIEWER["id"])  # the other draft, to review
    assert following.text.startswith("🔎")
    assert (await tg.reply_to(REVIEWER, "ដំឡូងមី")).text == told.text
    drafts = [r.stored for r in await services.translating.store.export_rows() if r.stored]
    assert [s.status for s in drafts].count(TranslationStatus.DRAFT) == 1
    assert "ដំឡូងមី" not in {s.text_km for s in drafts}


async def test_an_appointed_translator_is_told_and_starts_with_a_button(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    said = await tg.reply_to(KHMER_COORDINATOR, f"/translators {TRANSLATOR['id']}")
    assert said.text.endswith("ជាអ្នកបកប្រែហើយ។")
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # the list
    told = await next_private(tg, TRANSLATOR["id"])
    assert told.text.startswith("ឥឡូវអ្នកជាអ្នកបកប្រែ")
    assert "/translate" in told.text
    await press(tg, told, button(told, "✍ បកប្រែ"), TRANSLATOR)
    task = await next_private(tg, TRANSLATOR["id"])
    assert task.text.startswith("✍ បកប្រែជាភាសាខ្មែរ៖ <b>118.1</b>")


async def test_a_reply_to_a_reason_prompt_is_the_reason_not_a_translation(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """While /translate waits, a reply to another prompt of the bot answers THAT prompt; only
    a plain message or a reply to /translate's own messages is the Khmer text."""
    (member,) = await coalition_with(bot, 1)
    services = services_of(bot)
    await services.translating.appoint(COORDINATOR_ID, member["id"])
    await open_round(tg, "c2 118.1-118.2", "Check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🔴"), member)
    await edited(tg, card)
    await tg.next_call("sendMessage", chat_id=member["id"])  # type a reason now, or ⏭ Next
    await press(tg, card, button(card, "✍"), member)
    prompt = await tg.next_call("sendMessage", chat_id=member["id"])
    task = await tg.reply_to(member, "/translate")
    assert "<b>118.1</b>" in task.text  # /translate waits for a text now
    reason = "ដីធ្លីត្រូវបានរឹបអូស"  # a reason in Khmer: it has Khmer letters, like a translation
    said = await tg.reply_to(member, reason, reply_to=prompt.result["message_id"])
    assert said.text == "Reason saved. You can change it by replying again."
    assert all(r.stored is None for r in await services.translating.store.export_rows())
    [rating] = await services.assessments.repository.ratings(1)
    assert rating.reason == reason
    # A reply to /translate's message is the translation, as a plain message would be.
    saved = await tg.reply_to(member, PROTOCOL, reply_to=task.message_id)
    assert saved.text.startswith("Saved as a draft of 118.1")


async def test_appointed_by_reply_the_translator_is_named_at_once(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """/translators as a reply to someone's message keeps their Telegram name: the list names
    them before they ever write to the bot or save a text."""
    dara = {"id": 5006, "is_bot": False, "first_name": "Dara", "last_name": "Sok"}
    theirs = {"message_id": 77, "date": 0, "chat": {"id": COORDINATOR_ID, "type": "private"}}
    said = await tg.reply_to(
        KHMER_COORDINATOR, "/translators", reply_to_message={**theirs, "from": dara}
    )
    assert said.text == "ឥឡូវ 5006 ជាអ្នកបកប្រែហើយ។"
    listing = await next_private(tg, COORDINATOR_ID)
    assert "• Dara Sok (5006)" in listing.text
    assert "✖ Dara Sok" in [b["text"] for b in buttons(listing)]


def exported_rows(before: list[ExportRow], services: Services) -> list[list[str]]:
    """The translations export of `before` as CSV, read back into rows (the header first)."""
    exported = table(export_table(before, services.settings.timezone), "csv")
    return list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


async def test_a_coordinator_sends_a_translations_file_back_privately(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await appoint(tg, TRANSLATOR)
    await tg.reply_to(TRANSLATOR, "/translate")
    await tg.reply_to(TRANSLATOR, DRAFT)
    before = await services.translating.store.export_rows()
    exported = table(export_table(before, services.settings.timezone), "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    header = rows[0]
    draft = next(r for r in rows[1:] if r[header.index("status")] == "draft")
    draft[header.index("text_km")] = CORRECTED
    edited_file = _csv(rows)

    # A translator is told to give it to a coordinator; nothing is stored.
    await tg.send_document("translations-km.csv", edited_file, user=TRANSLATOR)
    refused = await next_private(tg, TRANSLATOR["id"])
    assert refused.text.startswith("មានតែអ្នកសម្របសម្រួលទេ")
    assert await services.translating.store.export_rows() == before

    # A file naming a recommendation that does not exist: nothing stored, the line named.
    wrong = [list(r) for r in rows]
    wrong[-1][header.index("number")] = "999.1"
    wrong[-1][header.index("text_km")] = "អត្ថបទ"
    await tg.send_document("translations-km.csv", _csv(wrong), user=COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text.startswith("Nothing was stored: 1 row of this translations file")
    assert await services.translating.store.export_rows() == before

    # The coordinator's file is imported (not read as an action strategy), provenance kept;
    # sent again, it changes nothing.
    await tg.send_document("translations-km.csv", edited_file, user=COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text == "Translations: 0 added, 1 updated, 0 unchanged."
    stored = [r.stored for r in await services.translating.store.export_rows() if r.stored]
    assert [(s.text_km, s.translator) for s in stored] == [(CORRECTED, "Sreymom")]
    await tg.send_document("translations-km.csv", edited_file, user=COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text == "Translations: 0 added, 0 updated, 1 unchanged."
