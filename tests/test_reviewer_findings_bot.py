"""Today's reviewers' findings: /export and /results name the words they cannot use, a paused
organisation's representative is told so by /start and /help, a working group with no member
organisations, and a bare year searched as a word."""

from __future__ import annotations

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, MEMBER
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, open_round


async def _rated_round(bot: BotApplication, tg: FakeTelegram) -> None:
    """Round 1 on the land group's list, rated by one of two land organisations."""
    reps = await coalition_with(bot, 2, "land")
    services: Services = bot.bot_data["services"]
    await open_round(tg, "c2 land", "Review")
    rec_id = min(await services.assessments.repository.items(1))
    await services.assessments.rate(reps[0]["id"], 1, rec_id, Colour.GREEN)


async def test_export_names_a_second_format_or_a_second_working_group_it_cannot_use(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _rated_round(bot, tg)
    before = len(tg.calls)
    answer = await tg.reply_to(COORDINATOR, "/export 1 csv xlsx")
    assert answer.text == "I cannot use «xlsx» here: one format at a time. Formats: csv, xlsx."
    answer = await tg.reply_to(COORDINATOR, "/export 1 Excel csv")
    assert answer.text.startswith("I cannot use «csv» here: one format at a time.")
    answer = await tg.reply_to(COORDINATOR, "/export 1 xlsx land labour")
    assert answer.text.startswith(
        "I cannot use «labour» here: after the round's number, /export takes a format and "
        "either «themes» or one working group."
    )
    assert not [c for c in tg.calls[before:] if c.method == "sendDocument"]  # no file
    services: Services = bot.bot_data["services"]
    await services.set_language(COORDINATOR_ID, "km")
    answer = await tg.reply_to(COORDINATOR, "/export ១ csv xlsx")
    assert answer.text.startswith("ខ្ញុំមិនអាចប្រើ «xlsx» នៅទីនេះបានទេ៖ ")
    # One format twice, or one group in several words, is still one.
    await tg.send("/export 1 xlsx excel land and natural", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    assert doc.params["document"]["filename"] == "round-1-land-km.xlsx"
    # A group with none of the round's recommendations on its list: named in «», as /results.
    answer = await tg.reply_to(COORDINATOR, "/export 1 csv elections")
    assert answer.text.startswith(
        "គ្មានអ្វីសម្រាប់នាំចេញទេ៖ គ្មានអនុសាសន៍ណាមួយនៃ «Review» នៅក្នុងបញ្ជីអនុសាសន៍របស់ក្រុមការងារ «ការបោះឆ្នោត» ទេ។"
    )


async def test_results_name_the_words_they_cannot_use_instead_of_showing_everything(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _rated_round(bot, tg)
    before = len(tg.calls)
    answer = await tg.reply_to(COORDINATOR, "/results 1 themes")
    assert answer.text.startswith(
        "I cannot use «themes» here: after the round's number, /results takes one working "
        "group. Working groups: "
    )
    answer = await tg.reply_to(COORDINATOR, "/results 1 2")
    assert answer.text.startswith("I cannot use «2» here: ")
    answer = await tg.reply_to(COORDINATOR, "/results 1 land labour")
    assert answer.text.startswith("I cannot use «labour» here: ")
    answer = await tg.reply_to(COORDINATOR, "/results 1 xlsx")
    assert answer.text == (
        "I cannot use «xlsx» here: /results shows the results in the chat. For a file: "
        "/export 1 xlsx"
    )
    assert not [c for c in tg.calls[before:] if c.method == "sendPhoto"]  # nothing shown
    services: Services = bot.bot_data["services"]
    await services.set_language(COORDINATOR_ID, "km")
    answer = await tg.reply_to(COORDINATOR, "/results ១ csv")
    assert answer.text.startswith("ខ្ញុំមិនអាចប្រើ «csv» នៅទីនេះបានទេ៖ ")
    assert answer.text.endswith("/export 1 csv")
    # A working group alone still works.
    summary = await tg.reply_to(COORDINATOR, "/results 1 land")
    assert "Review" in summary.text


PAUSED = (
    "Your organisation's membership of the coalition is paused: for now it cannot rate or see "
    "the members' results. Contact a coordinator."
)


async def test_a_paused_organisations_representative_is_told_so_by_start_and_help(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [rep] = await coalition_with(bot, 1, "land")
    services: Services = bot.bot_data["services"]
    organisation = await services.coalition.own_organisation(rep["id"])
    assert organisation is not None
    await services.coalition.set_active(COORDINATOR_ID, organisation.id, False)
    for command in ("/start", "/help"):
        answer = await tg.reply_to(rep, command)
        assert PAUSED in answer.text
        assert "invite link" not in answer.text
    more = await press(tg, answer, button(answer, "More ▸"), rep)
    assert more == ""
    full = await edited(tg, answer)
    assert PAUSED in full.text
    assert "invite link" not in full.text
    await services.set_language(rep["id"], "km")
    answer = await tg.reply_to(rep, "/start")
    assert "សមាជិកភាពរបស់អង្គការអ្នកក្នុងសម្ព័ន្ធត្រូវបានផ្អាក" in answer.text
    # Reactivated: a member's welcome again; a guest still gets the way in.
    await services.coalition.set_active(COORDINATOR_ID, organisation.id, True)
    await services.set_language(rep["id"], "en")
    answer = await tg.reply_to(rep, "/start")
    assert PAUSED not in answer.text
    guest = {"id": 999, "is_bot": False, "first_name": "Guest", "language_code": "en"}
    answer = await tg.reply_to(guest, "/help")
    assert PAUSED not in answer.text
    assert "invite link" in answer.text


async def test_a_working_group_with_no_member_organisations_is_said_instead_of_zeros(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 2, "land")  # nobody in the labour group
    await open_round(tg, "c2 labour", "Labour")
    said = (
        "«Labour rights» has no member organisations, so nobody rated for it in «Labour». A "
        "coordinator adds organisations to a working group with /orgs: an organisation, then "
        "[Working groups]."
    )
    before = len(tg.calls)
    answer = await tg.reply_to(COORDINATOR, "/results 1 labour")
    assert answer.text == said
    answer = await tg.reply_to(COORDINATOR, "/export 1 xlsx labour")
    assert answer.text == said
    # Nothing else: no picture, no table, no file of zeros.
    sent = [c for c in tg.calls[before:] if c.method.startswith("send")]
    assert len(sent) == 2
    services: Services = bot.bot_data["services"]
    await services.set_language(COORDINATOR_ID, "km")
    answer = await tg.reply_to(COORDINATOR, "/export 1 csv labour")
    assert answer.text.startswith("«សិទ្ធិការងារ» មិនមានអង្គការសមាជិកទេ")
    # The whole coalition's results and a group with members are as before.
    await tg.send("/export 1 csv", user=COORDINATOR)
    await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])


async def test_a_bare_year_is_searched_as_a_word_in_chat_and_inline(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    for year in ("2001", "២០០១"):  # 82.4 of cycle 1: "… OP-CEDAW, signed in 2001"
        answer = await tg.reply_to(MEMBER, year)
        assert "82.4" in answer.text
        assert "could not read that number" not in answer.text
        query_id = await tg.inline(year, user=MEMBER)
        call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
        assert "1-82.4" in [result["id"] for result in call.params["results"]]
    # Numbers keep their rules: a paragraph alone, or digit soup, is explained.
    for typed in ("118", "20301", "118.6.7"):
        answer = await tg.reply_to(MEMBER, typed)
        assert answer.text.startswith("I could not read that number.")
