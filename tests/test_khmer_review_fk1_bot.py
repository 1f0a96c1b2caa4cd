"""A Khmer reviewer's findings: /results says when English is shown for a recommendation
with only a Khmer draft, and Khmer typography (page labels, counts, step counters)."""

import re

from bot.domain.assessment import Colour
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round
from tests.test_rules import services_of
from tests.test_translations_bot import DRAFT, KHMER_COORDINATOR, TRANSLATOR, appoint


async def test_results_say_english_is_shown_for_a_recommendation_with_only_a_khmer_draft(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    (member,) = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.6", "Migrants")
    await appoint(tg, TRANSLATOR)
    await tg.reply_to(TRANSLATOR, "/translate")
    saved = await tg.reply_to(TRANSLATOR, DRAFT)  # a draft, not yet reviewed
    assert saved.text.startswith("បានរក្សាទុកជាសេចក្តីព្រាងនៃ 118.6")
    [rec_id] = await services.assessments.items(1)
    await services.assessments.rate(member["id"], 1, rec_id, Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    await tg.send("/results 1", user=KHMER_COORDINATOR)
    await tg.next_call("sendPhoto", chat_id=COORDINATOR_ID)
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # the summary
    call = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    page = tg.messages[(COORDINATOR_ID, call.result["message_id"])]
    assert DRAFT not in page.text  # the English text, as the cards show a draft
    assert page.text.endswith(
        "<i>អនុសាសន៍ដែលមិនទាន់មានការបកប្រែជាភាសាខ្មែរដែលបានត្រួតពិនិត្យ ត្រូវបានបង្ហាញជាភាសាអង់គ្លេស។</i>"
    )


async def test_themes_and_states_count_in_khmer_digits_and_page_with_the_shared_label(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    themes = await tg.reply_to(KHMER_COORDINATOR, "/themes")
    assert themes.reply_markup is not None
    labels = [b["text"] for row in themes.reply_markup["inline_keyboard"] for b in row]
    assert all(re.search(r"\([០-៩]+\)$", label) for label in labels), labels
    states = await tg.reply_to(KHMER_COORDINATOR, "/states")
    assert states.reply_markup is not None
    rows = states.reply_markup["inline_keyboard"]
    assert all(re.search(r"\([០-៩]+\)$", b["text"]) for row in rows[:-1] for b in row)
    assert re.fullmatch(r"ទំព័រទី១/[០-៩]+", rows[-1][0]["text"])


async def test_pausing_an_organisation_redraws_the_open_rounds_group_cards(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    reps = await coalition_with(bot, 3, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Mid-term")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(-100500, call.result["message_id"])]  # GROUP's
    assert card.text.endswith(
        "0 of 3 organisations have rated (colours shown when the results are published)"
    )
    await flush(bot)  # nothing changed: no edit
    person = await services.coalition.person(reps[2]["id"])
    assert person is not None
    assert person.organisation_id is not None
    await services.coalition.set_active(COORDINATOR_ID, person.organisation_id, False)
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert redraw.params["text"].endswith(
        "0 of 2 organisations have rated (colours shown when the results are published)"
    )
    await flush(bot)  # drawn: not again
    await services.coalition.set_active(COORDINATOR_ID, person.organisation_id, True)
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert redraw.params["text"].endswith(
        "0 of 3 organisations have rated (colours shown when the results are published)"
    )
    assert not [c for c in tg.calls if c.method == "editMessageText" and not c.consumed]
