"""The last Khmer leftovers a Khmer-speaking reviewer found: counts and list numbers in Khmer
digits on every screen family; the search echo keeps the words as typed, in their order; an
imported translation is cleaned as a typed one is; the newest of /translate and the round guide
takes the typed text."""

import re

from bot.domain.i18n import Translations
from bot.domain.strategy import ActionDraft
from bot.domain.text import written_text
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, GROUP, KHMER_MEMBER, MEMBER, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_membership_notices_bot import next_private
from tests.test_nudges import pp
from tests.test_nudges_bot import answer, idle, linked_land_action, run_sweep
from tests.test_round_opening_bot import rounds_in
from tests.test_rounds_bot import coalition_with
from tests.test_rules import services_of
from tests.test_translations_bot import DRAFT, KHMER_COORDINATOR, _csv, exported_rows


async def head(tg: FakeTelegram, user: dict, typed: str) -> str:  # type: ignore[type-arg]
    """The first line of the bot's answer to a search."""
    return (await tg.reply_to(user, typed)).text.split("\n")[0]


async def test_the_search_echo_shows_the_words_as_typed_in_their_order(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(KHMER_MEMBER, "land  ដីធ្លី")
    assert "“land ដីធ្លី”" in page.text.split("\n")[0]
    assert "\n១. <b>" in page.text  # the list's numbers, and its buttons, in Khmer digits
    assert labels_of(page)[:5] == ["១", "២", "៣", "៤", "៥"]
    await press(tg, page, button(page, "▶"), KHMER_MEMBER)  # the next page keeps it
    assert "“land ដីធ្លី”" in (await edited(tg, page)).text.split("\n")[0]
    assert "“សិទ្ធិកុមារ land ដីធ្លី”" in await head(tg, KHMER_MEMBER, "សិទ្ធិកុមារ land ដីធ្លី")
    # A filter typed among the words is named after them, in the reader's words.
    assert "“ដីធ្លី” · ជុំទី២" in await head(tg, KHMER_MEMBER, "ជុំទី២ ដីធ្លី")
    assert "“ដីធ្លី” · ជុំទី១" in await head(tg, KHMER_MEMBER, "ដីធ្លី ជុំទី១")
    assert "“ដីធ្លី កុមារ” · ជប៉ុន" in await head(tg, KHMER_MEMBER, "ដីធ្លី ជប៉ុន កុមារ")
    assert "“land in children” · Cycle 2" in await head(tg, MEMBER, "land in cycle 2 children")
    assert "“children land” · Japan" in await head(tg, MEMBER, "children Japan land")


async def test_an_imported_translation_loses_its_invisible_characters(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    before = await services.translating.store.export_rows()
    rows = exported_rows(before, services)
    header = rows[0]
    text_km = header.index("text_km")
    long_text = f" {DRAFT} {DRAFT}"  # 82.1's English text is long: so is a translation of it
    # ZWSP, BOM, soft hyphen, left-to-right mark, ZWNJ, ZWJ, a right-to-left override.
    rows[1][text_km] = "\ufeffផ្តល់\u200bសច្ចាប័ន\u00ad\u200e  លើ\u200cអនុសញ្ញា\u200d\u202e" + long_text
    rows[2][text_km] = "\u200b\u200e\ufeff\u00ad"  # nothing visible: refused, by its line
    await tg.send_document("translations-km.csv", _csv(rows), user=KHMER_COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text.startswith("មិនបានរក្សាទុកអ្វីទេ")
    assert "• ជួរទី៣៖ អត្ថបទខ្មែរមានតែតួអក្សរដែលមើលមិនឃើញ" in answer.text
    assert await services.translating.store.export_rows() == before

    rows[2][text_km] = ""  # not translated yet
    await tg.send_document("translations-km.csv", _csv(rows), user=KHMER_COORDINATOR)
    await next_private(tg, COORDINATOR_ID)
    stored = [r.stored.text_km for r in await services.translating.store.export_rows() if r.stored]
    assert stored == ["ផ្តល់សច្ចាប័ន លើអនុសញ្ញា" + long_text]
    assert stored == [written_text(rows[1][text_km])]  # as a text typed to /translate is kept


KM = Translations.load("en").localizer("km")
MID_TERM = "ការវាយតម្លៃពាក់កណ្តាលជុំ"  # a round's name in Khmer: it could pass for a translation


async def _guide_to_the_date(tg: FakeTelegram) -> StoredMessage:
    """/openround alone, through its buttons to the step that waits for a typed date."""
    guide = await tg.reply_to(KHMER_COORDINATOR, "/openround")
    for label in (KM.gettext("Cycle {cycle}").format(cycle="២"), KM.gettext("All responses")):
        label = next(b["text"] for b in buttons(guide) if b["text"].endswith(label))
        await press(tg, guide, button(guide, label), KHMER_COORDINATOR)
        guide = await edited(tg, guide)
    await press(tg, guide, button(guide, KM.gettext("All themes")), KHMER_COORDINATOR)
    guide = await edited(tg, guide)
    # The closing choices count in Khmer digits too.
    assert [t.split("៖")[0] for t in labels_of(guide)[:3]] == ["២ សប្តាហ៍", "១ ខែ", "៣ ខែ"]
    await press(tg, guide, button(guide, KM.gettext("Type a date")), KHMER_COORDINATOR)
    return await edited(tg, guide)


async def test_a_round_guide_after_translate_takes_the_typed_date_and_name(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await coalition_with(bot, 1)
    await tg.reply_to(KHMER_COORDINATOR, "/translate")
    assert await services.translating.asked(COORDINATOR_ID) is not None
    guide = await _guide_to_the_date(tg)
    assert guide.text.endswith(  # the older prompt is told it was left
        "<i>/translate លែងរង់ចាំអត្ថបទខ្មែររបស់អ្នកហើយ៖ សូមផ្ញើ /translate ដើម្បីបន្តបកប្រែ។</i>"
    )
    assert await services.translating.asked(COORDINATOR_ID) is None
    named = await tg.reply_to(KHMER_COORDINATOR, "២០២៧-០៣-៣១")
    assert "/translate" not in named.text  # told once
    preview = await tg.reply_to(KHMER_COORDINATOR, MID_TERM)
    assert f"«{MID_TERM}»" in preview.text
    assert all(r.stored is None for r in await services.translating.store.export_rows())


async def test_translate_after_a_round_guide_takes_the_khmer_text(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await coalition_with(bot, 1)
    guide = await _guide_to_the_date(tg)
    task = await tg.reply_to(KHMER_COORDINATOR, "/translate")
    assert task.text.endswith(  # the older prompt is told it was cancelled
        "<i>វគ្គដែលអ្នកកំពុងបើកតាម /openround ត្រូវបានបោះបង់៖ សូមផ្ញើ /openround ដើម្បីចាប់ផ្តើមម្តងទៀត។</i>"
    )
    await tg.reply_to(KHMER_COORDINATOR, "២០២៧-០៣-៣១")  # a date is no translation: a look-up
    assert await services.translating.asked(COORDINATOR_ID) is not None
    saved = await tg.reply_to(KHMER_COORDINATOR, DRAFT)
    assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាង")
    assert [
        r.stored.text_km for r in await services.translating.store.export_rows() if r.stored
    ] == [DRAFT]
    stale = await press(tg, guide, button(guide, KM.gettext("✖ Cancel")), KHMER_COORDINATOR)
    assert stale.startswith("ប៊ូតុងនេះ")  # the guide is gone
    assert await rounds_in(bot) == []


def labels_of(message: StoredMessage) -> list[str]:
    return [b["text"] for b in buttons(message)]


def sent(tg: FakeTelegram, chat_id: int) -> list[StoredMessage]:
    """The messages the bot sent to a chat, as they are now."""
    return [
        tg.messages[(chat_id, c.result["message_id"])]
        for c in tg.calls
        if c.method == "sendMessage" and str(c.params["chat_id"]) == str(chat_id) and c.result
    ]


async def test_strategy_lists_number_their_lines_and_buttons_in_khmer_digits(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    reps, _ = await linked_land_action(bot, 1, "Action 0", "01/2027")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(reps[0]["id"])
    assert owner is not None
    for n in range(1, 9):
        draft = ActionDraft(
            land,
            2,
            "118.6",
            activity=f"Action {n}",
            timeframe=f"{n + 1:02d}/2027",
            organisation_ids=(owner.id,),
        )
        await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    await services.coalition.set_chat_language(COORDINATOR_ID, GROUP["id"], 0, "km")
    # In the Khmer group's chat: the list's numbers and its buttons.
    listing = await answer(tg, reps[0], "/strategy", "Action 0", chat=GROUP)
    assert "\n១. ⚪" in listing.text
    assert "\n៨. ⚪" in listing.text
    assert labels_of(listing)[:8] == ["១", "២", "៣", "៤", "៥", "៦", "៧", "៨"]
    await press(tg, listing, button(listing, "▶"), reps[0])
    second = await edited(tg, listing)
    assert "\n៩. ⚪" in second.text
    # The coordinator's counts per working group, privately in Khmer.
    await tg.reply_to(KHMER_COORDINATOR, "/language km")
    chooser = await answer(tg, KHMER_COORDINATOR, "/strategy", "⚪")
    assert "⚪ ៩" in chooser.text
    # The actions serving a recommendation, from its card.
    await tg.reply_to(reps[0], "/language km")
    card = await tg.reply_to(reps[0], "118.6")
    serving = next(t for t in labels_of(card) if t.startswith("📋"))
    await press(tg, card, button(card, serving), reps[0])
    actions = await next_private(tg, reps[0]["id"])
    assert "\n១. ⚪" in actions.text
    assert labels_of(actions)[:3] == ["១", "២", "៣"]


async def test_a_khmer_digest_and_monday_summary_number_their_actions_in_khmer_digits(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    reps, first = await linked_land_action(bot, 1, "Radio show", "31 December 2026")
    draft = ActionDraft(
        first.fields.working_group_id,
        2,
        "118.6",
        activity="Joint statement",
        timeframe="31 December 2026",
        organisation_ids=first.fields.organisation_ids,
    )
    await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    await services.coalition.set_chat_language(COORDINATOR_ID, GROUP["id"], 0, "km")
    await tg.reply_to(KHMER_COORDINATOR, "/language km")
    clock.current = pp("2026-12-17")  # 14 days before: both in one digest
    await run_sweep(bot)
    await idle(bot)
    [digest] = [m for m in sent(tg, GROUP["id"]) if "Radio show" in m.text]
    assert "\n១. <b>" in digest.text
    assert "\n២. <b>" in digest.text
    assert "✅ ១" in labels_of(digest)
    assert "✅ ២" in labels_of(digest)
    # 📅: the example of a new date is in Khmer digits too.
    await press(tg, digest, button(digest, "📅 ១"), reps[0])
    prompt = await tg.next_call(
        "sendMessage", chat_id=GROUP["id"], where=lambda c: "ត្រីមាសទី" in str(c.params["text"])
    )
    assert "ឬ ត្រីមាសទី២ ឆ្នាំ២០២៧៖" in prompt.params["text"]
    clock.current = pp("2026-12-21")  # Monday: the coordinators' summary
    await run_sweep(bot)
    await idle(bot)
    summary = [m for m in sent(tg, COORDINATOR_ID) if "Joint statement" in m.text][-1]
    assert "</b> (២)" in summary.text
    assert "</b> (2)" not in summary.text


async def test_coordinator_lists_count_in_khmer_digits(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 2)
    await tg.reply_to(KHMER_COORDINATOR, "/language km")
    orgs = await tg.reply_to(KHMER_COORDINATOR, "/orgs")
    assert "ORG0 (១)" in labels_of(orgs)
    cycles = await tg.reply_to(KHMER_COORDINATOR, "/cycles")
    assert KM.gettext("Make cycle {cycle} current").format(cycle="១") in labels_of(cycles)
    status = await tg.reply_to(KHMER_COORDINATOR, "/status")
    [size] = [line for line in status.text.split("\n") if "MB" in line]
    assert re.search("[០-៩][.][០-៩] MB", size), size  # the database's size


def latin_digits(text: str) -> str:
    """The Latin digits left in a text once its recommendation numbers and what a command takes
    ('/responses c2') are out."""
    return "".join(re.findall(r"[0-9]", re.sub(r"\d+\.\d+|/\w+|\bc\d\b", "", text)))


async def test_report_answers_count_in_khmer_digits(tg: FakeTelegram, bot: BotApplication) -> None:
    await tg.reply_to(KHMER_COORDINATOR, "/language km")
    bad = await tg.reply_to(KHMER_COORDINATOR, "/responses c2 noted: 118.1, 119.999")
    assert "ជុំទី២" in bad.text
    assert latin_digits(bad.text) == "", bad.text
    ok = await tg.reply_to(KHMER_COORDINATOR, "/responses c2 noted: 118.1-118.3; rejected: 118.5")
    assert "ជុំទី២" in ok.text
    assert latin_digits(ok.text) == "", ok.text
