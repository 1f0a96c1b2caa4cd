"""Lookups end to end: the real bot, polling the fake Bot API, answering like a person expects."""

import asyncio
import datetime as dt
from pathlib import Path

from bot.domain.importer import parse_file
from bot.services import Services
from handlers.common import BotApplication
from storage.catalog import CatalogRepository
from storage.db import Database
from tests.conftest import COORDINATOR, GROUP, KHMER_MEMBER, MEMBER
from tests.fake_telegram import BOT_USERNAME, FakeTelegram, MenuKey, StoredMessage


def buttons(message: StoredMessage) -> list[dict]:  # type: ignore[type-arg]
    markup = message.reply_markup or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def button(message: StoredMessage, text: str) -> str:
    for b in buttons(message):
        if b["text"] == text:
            return str(b["callback_data"])
    raise AssertionError(f"no button {text!r} in {[b['text'] for b in buttons(message)]}")


async def press(tg: FakeTelegram, message: StoredMessage, data: str, user: dict) -> str:  # type: ignore[type-arg]
    """Press a button and return the text of the bot's answer to the press (may be empty)."""
    query_id = await tg.press(message, data, user=user)
    answer = await tg.next_call("answerCallbackQuery", callback_query_id=query_id)
    assert answer.error is None
    return str(answer.params.get("text", ""))


async def edited(tg: FakeTelegram, message: StoredMessage) -> StoredMessage:
    call = await tg.next_call(
        "editMessageText", chat_id=message.chat_id, message_id=message.message_id
    )
    assert call.error is None, call.error
    return tg.messages[(message.chat_id, message.message_id)]


async def test_number_lookup_shows_the_full_card(tg: FakeTelegram, bot: BotApplication) -> None:
    card = await tg.reply_to(MEMBER, "118.6")
    assert card.text == (
        "<b>118.6</b> · Cycle 2 (reviewed January 28, 2014)\n\n"
        "Ratify the International Convention on the Protection of the Rights of All Migrants "
        "Workers and Members of their Families\n\n"
        "Recommending State: Ecuador\n"
        "Response: ✅ Accepted\n"
        "Themes: Labour rights; Treaties and cooperation with UN mechanisms"
    )
    assert buttons(card) == [{"text": "Share", "switch_inline_query": "118.6 c2"}]


async def test_khmer_reader_gets_khmer_around_the_english_text(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    card = await tg.reply_to(KHMER_MEMBER, "១១៨.៦ វដ្ត២")
    assert card.text.startswith("<b>118.6</b> · ជុំទី២ (ពិនិត្យនៅថ្ងៃទី២៨ ខែមករា ឆ្នាំ២០១៤)")
    assert "មិនទាន់មានការបកប្រែជាភាសាខ្មែរ" in card.text
    assert "ប្រទេសដែលផ្តល់អនុសាសន៍៖ អេក្វាទ័រ" in card.text
    assert "ការឆ្លើយតប៖ ✅ បានទទួលយក" in card.text
    assert buttons(card)[0]["text"] == "ចែករំលែក"


async def test_ranges_and_lists(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(MEMBER, "118.1-118.4")
    assert [line for line in reply.text.split("\n") if line.startswith("<b>")] == [
        f"<b>118.{i}</b> · Cycle 2 (reviewed January 28, 2014)" for i in range(1, 5)
    ]
    reply = await tg.reply_to(MEMBER, "119.21 to 23, 118.9")
    heads = [line.split("</b>")[0] for line in reply.text.split("\n") if line.startswith("<b>")]
    assert heads == ["<b>119.21", "<b>119.22", "<b>119.23", "<b>118.9"]


async def test_a_long_range_is_split_into_messages_within_telegrams_limit(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await tg.send("118.1-118.80", user=MEMBER)
    texts = []
    while True:
        call = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
        assert call.error is None
        texts.append(call.params["text"])
        if "Showing the first" in call.params["text"]:
            break
    assert len(texts) > 1
    assert all(len(t) <= 4096 for t in texts)
    joined = "\n".join(texts)
    assert joined.count("· Cycle 2") == 50
    assert "Showing the first 50 of 80." in texts[-1]


async def test_number_in_another_cycle_is_offered(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(MEMBER, "82.32")
    assert reply.text == "82.32 is not in cycle 2. It exists in: cycle 1. Tap a button below."
    assert await press(tg, reply, button(reply, "82.32 in cycle 1"), MEMBER) == ""
    card = tg.messages[(MEMBER["id"], (await tg.next_call("sendMessage")).result["message_id"])]
    assert card.text.startswith("<b>82.32</b> · Cycle 1 (reviewed December 1, 2009)")
    # A compound item names its States inside the text; the card lists each State once.
    assert "(Malaysia)" in card.text
    assert (
        "Recommending States: Norway, Philippines, Slovakia, Italy, Belarus, Malaysia, Spain, Germany\n"
        in card.text
    )


async def test_unknown_number_anywhere(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(MEMBER, "118.999")
    assert reply.text == ("There is no recommendation 118.999 in cycle 2, nor in any other cycle.")


async def test_word_search_pages_filters_and_cards(tg: FakeTelegram, bot: BotApplication) -> None:
    page = await tg.reply_to(MEMBER, "land")
    assert page.text.startswith(
        "🔎 <b>22 recommendations for “land”</b>\nPage 1 of 5\n\n1. <b>118.129</b>"
    )
    await press(tg, page, button(page, "▶"), MEMBER)
    page = await edited(tg, page)
    assert "Page 2 of 5" in page.text
    assert "\n6. <b>" in page.text
    await press(tg, page, button(page, "📝 Noted"), MEMBER)
    page = await edited(tg, page)
    assert "recommendations for “land” · 📝 Noted" in page.text
    assert "✅" not in page.text.split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
    await press(tg, page, button(page, "Cycle 1"), MEMBER)
    page = await edited(tg, page)
    assert page.text.startswith("Nothing found for “land” · 📝 Noted · Cycle 1.")
    await press(tg, page, button(page, "• Cycle 1 •"), MEMBER)  # pressing the active filter
    unchanged = await tg.next_call("editMessageText", chat_id=MEMBER["id"])
    assert "not modified" in str(unchanged.error)  # Telegram's answer, which the bot shrugs off
    await press(tg, page, button(page, "All"), MEMBER)
    page = await edited(tg, page)
    assert "Cycle 1" in page.text.split("\n")[0]
    await press(tg, page, button(page, "1"), MEMBER)
    call = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    assert call.params["text"].startswith("<b>82.")


async def test_khmer_search_finds_english_texts_through_the_glossary(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(KHMER_MEMBER, "ដីធ្លី")
    assert page.text.startswith("🔎 <b>អនុសាសន៍ ២២ សម្រាប់ “ដីធ្លី”</b>")  # land-grabbing too
    assert "ម៉ិកស៊ិក" in page.text  # Mexico, in Khmer


async def test_stale_and_forged_buttons_get_a_clear_answer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(MEMBER, "torture")
    assert await press(tg, tg.carrying(page, "l:::::NoSuchTk:1"), "l:::::NoSuchTk:1", MEMBER) == (
        "This list has expired. Please send your search again."
    )
    assert await press(tg, tg.carrying(page, "r:9:1.1"), "r:9:1.1", MEMBER) == (
        "This recommendation is no longer available. Please search again."
    )
    assert await press(tg, tg.carrying(page, "r:2:not-a-number"), "r:2:not-a-number", MEMBER) == (
        "This recommendation is no longer available. Please search again."
    )
    for forged in ("l:x:y", "l:::999999::0:0", "zzz", "sp:abc", "lang:fr"):
        await press(tg, tg.carrying(page, forged), forged, MEMBER)
    assert await press(tg, tg.carrying(page, "l::ZZ::::0"), "l::ZZ::::0", MEMBER) == (
        "This button no longer works. Please send your question again."
    )
    still = await tg.reply_to(MEMBER, "118.6")
    assert still.text.startswith("<b>118.6</b>")


async def test_bad_input_gets_a_clear_answer(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(MEMBER, "118.6.7")
    assert reply.text.startswith("I could not read that number.")
    reply = await tg.reply_to(MEMBER, "x" * 10_000)
    assert reply.text.startswith("That is too long to search.")
    reply = await tg.reply_to(MEMBER, "?!")
    assert reply.text.startswith("Send a number like 118.6")
    reply = await tg.reply_to(MEMBER, "118.6 c1 c2")
    assert reply.text == "Please name one cycle at a time, like 118.6 c2."
    reply = await tg.reply_to(MEMBER, "<script>alert(1)</script> & 'x' OR 1=1; DROP TABLE users")
    assert reply.text.startswith("🔎 <b>")
    assert "<script>" not in reply.text
    reply = await tg.reply_to(KHMER_MEMBER, "118.6.7")
    assert reply.text.startswith("ខ្ញុំមិនអាចអានលេខនោះបានទេ")
    reply = await tg.reply_to(MEMBER, "/nosuchcommand")
    assert (
        reply.text == "I do not know the command /nosuchcommand. Send /help to see what I can do."
    )


async def test_groups_use_commands_addressed_to_the_bot(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await tg.reply_to(MEMBER, f"/find@{BOT_USERNAME} 118.6 c2", chat=GROUP)
    assert reply.text.startswith("<b>118.6</b>")
    assert not any(b["text"] == "Edit themes" for b in buttons(reply))
    reply = await tg.reply_to(MEMBER, "/find", chat=GROUP)
    assert reply.text.startswith("Write what to find after the command")
    # Plain text and commands for other bots are not for us: the next reply is to /help.
    await tg.send("land", user=MEMBER, chat=GROUP)
    await tg.send("/weather@other_bot", user=MEMBER, chat=GROUP)
    reply = await tg.reply_to(MEMBER, "/help", chat=GROUP)
    assert reply.text.startswith("Here, start with /find")


async def test_language_choice_is_remembered(tg: FakeTelegram, bot: BotApplication) -> None:
    welcome = await tg.reply_to(MEMBER, "/language")
    assert await press(tg, welcome, button(welcome, "ខ្មែរ"), MEMBER) == "បានកំណត់ភាសាជាភាសាខ្មែរ។"
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    card = await tg.reply_to(MEMBER, "118.6")
    assert "ការឆ្លើយតប៖ ✅ បានទទួលយក" in card.text
    choice = await tg.reply_to(MEMBER, "/language")
    await press(tg, choice, button(choice, "English"), MEMBER)
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    card = await tg.reply_to(MEMBER, "118.6")
    assert "Response: ✅ Accepted" in card.text


async def test_help_lists_every_command_in_both_languages(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    help_en = await tg.full_help(MEMBER)
    help_km = await tg.full_help(KHMER_MEMBER)
    for command in ("/find", "/themes", "/states", "/cycles", "/language", "/help"):
        assert f"\n{command} — " in help_en
        assert f"\n{command} — " in help_km
    assert "current cycle (2)" in help_en
    assert "ask a coordinator for an invite link" in help_en  # guests: how to join
    assert "ស្វែងរកអនុសាសន៍" in help_km
    private = MenuKey("all_private_chats", None, None, "")
    khmer = MenuKey("all_private_chats", None, None, "km")
    assert [c["command"] for c in tg.commands[private]] == [
        c["command"] for c in tg.commands[khmer]
    ]
    assert tg.commands[khmer][0]["description"].startswith("ស្វែងរកអនុសាសន៍")


async def test_browse_themes_states_and_cycles(tg: FakeTelegram, bot: BotApplication) -> None:
    themes = await tg.reply_to(MEMBER, "/themes")
    labour = next(b for b in buttons(themes) if b["text"].startswith("Labour rights ("))
    await press(tg, tg.carrying(themes, labour["callback_data"]), labour["callback_data"], MEMBER)
    call = await tg.next_call("editMessageText", chat_id=MEMBER["id"])
    assert "recommendations for Labour rights" in call.params["text"]

    states = await tg.reply_to(KHMER_MEMBER, "/states")
    assert any(b["text"].startswith("ជប៉ុន (៥)") for b in buttons(states))
    await press(tg, states, button(states, "▶"), KHMER_MEMBER)
    states = await edited(tg, states)
    assert any(b["text"] == "◀" for b in buttons(states))

    cycles = await tg.reply_to(MEMBER, "/cycles")
    assert "Cycle 1 (reviewed December 1, 2009): 91 recommendations" in cycles.text
    assert "Cycle 2 (reviewed January 28, 2014): 205 recommendations" in cycles.text


async def test_inline_mode_offers_cards_and_pages(tg: FakeTelegram, bot: BotApplication) -> None:
    query_id = await tg.inline("118.6", user=MEMBER)
    call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert call.error is None
    [result] = call.params["results"]
    assert result["id"] == "2-118.6"
    assert result["input_message_content"]["message_text"].startswith("<b>118.6</b>")

    query_id = await tg.inline("land", user=MEMBER)
    call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert len(call.params["results"]) == 20
    assert call.params["next_offset"] == "20"
    query_id = await tg.inline("land", user=MEMBER, offset="20")
    call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert len(call.params["results"]) == 2
    assert "next_offset" not in call.params

    query_id = await tg.inline("", user=KHMER_MEMBER)
    call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert call.params["results"] == []
    assert call.params["button"]["text"].startswith("វាយលេខ")
    query_id = await tg.inline("118.6.7", user=MEMBER)
    call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
    assert call.params["button"]["text"] == "Nothing found. Tap here for help."


async def test_only_coordinators_can_change_themes(tg: FakeTelegram, bot: BotApplication) -> None:
    services: Services = bot.bot_data["services"]
    member_card = await tg.reply_to(MEMBER, "118.6")
    assert not any(b["text"] == "Edit themes" for b in buttons(member_card))
    card = await tg.reply_to(COORDINATOR, "118.6")
    editor_data = button(card, "Edit themes")
    # A member replaying the coordinator's button is refused, on open and on toggle.
    assert (
        await press(tg, tg.carrying(member_card, editor_data), editor_data, MEMBER)
        == "Only coordinators can do this."
    )
    rec = services.catalog.get(
        2,
        next(
            r.number
            for r in services.catalog.recommendations
            if str(r.number) == "118.6" and r.cycle == 2
        ),
    )
    assert rec is not None
    land = next(t for t in services.catalog.themes if t.slug == "land")
    assert await press(
        tg, tg.carrying(member_card, f"tt:{rec.id}:{land.id}"), f"tt:{rec.id}:{land.id}", MEMBER
    ) == ("Only coordinators can do this.")
    assert land.id not in services.catalog.by_id[rec.id].theme_ids

    await press(tg, tg.carrying(card, editor_data), editor_data, COORDINATOR)
    editor = await edited(tg, card)
    assert "Land and natural resources" in [b["text"] for b in buttons(editor)]
    assert (
        await press(tg, editor, button(editor, "Land and natural resources"), COORDINATOR)
        == "Saved."
    )
    editor = await edited(tg, editor)
    assert "✓ Land and natural resources" in [b["text"] for b in buttons(editor)]
    await press(tg, editor, button(editor, "Done"), COORDINATOR)
    card = await edited(tg, editor)
    assert "Themes: Land and natural resources; Labour rights;" in card.text
    assert await press(
        tg, tg.carrying(editor, f"tt:{rec.id}:99999"), f"tt:{rec.id}:99999", COORDINATOR
    ) == ("This button no longer works. Please send your question again.")


async def test_a_user_who_blocked_the_bot_does_not_break_it(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    tg.blocked.add(MEMBER["id"])
    await tg.send("118.6", user=MEMBER)
    refused = await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    assert refused.error == "Forbidden: bot was blocked by the user"
    reply = await tg.reply_to(KHMER_MEMBER, "118.6")
    assert reply.text.startswith("<b>118.6</b>")


async def test_imports_by_another_process_are_picked_up(
    tg: FakeTelegram, bot: BotApplication, db_path: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "c3.csv"
    csv.write_text(
        "cycle,number,text,recommending_states,response\n"
        "3,110.45,Guarantee the right to peaceful assembly,Norway,accepted\n",
        encoding="utf-8",
    )
    other = await Database.open(db_path)  # as `python bot.py import` would, beside the bot
    try:
        services: Services = bot.bot_data["services"]
        await CatalogRepository(other).import_recommendations(
            parse_file(csv).recommendations,
            services.rules,
            dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
        )
    finally:
        await other.close()
    [job] = bot.job_queue.get_jobs_by_name("refresh-catalog")  # type: ignore[union-attr]
    await job.run(bot)
    card = await tg.reply_to(MEMBER, "110.45")  # now the latest cycle is 3
    assert card.text.startswith("<b>110.45</b> · Cycle 3 (reviewed January 30, 2019)")
    assert "Themes: Fundamental freedoms and civic space" in card.text
    reply = await tg.reply_to(MEMBER, "118.6")
    assert reply.text == "118.6 is not in cycle 3. It exists in: cycle 2. Tap a button below."


async def test_concurrent_users_each_get_their_answer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    users = [{"id": 5000 + i, "is_bot": False, "first_name": f"U{i}"} for i in range(20)]
    await asyncio.gather(*(tg.send(f"118.{i + 1}", user=u) for i, u in enumerate(users)))
    for i, user in enumerate(users):
        call = await tg.next_call("sendMessage", chat_id=user["id"])
        assert call.params["text"].startswith(f"<b>118.{i + 1}</b>")


async def test_a_press_with_data_the_message_does_not_carry_changes_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """A bad client can send any callback data: only the pressed message's own buttons work."""
    guest = {"id": 4101, "is_bot": False, "first_name": "Guest", "language_code": "en"}
    card = await tg.reply_to(guest, "118.6 c2")
    since = len(tg.calls)
    for forged in ("sp:0", "lang:km", "rq:1:99999:99999", "l:::::NoSuchTk:1"):
        assert await press(tg, card, forged, guest) == (
            "This button no longer works. Please send your question again."
        )
    changed = [c for c in tg.calls[since:] if c.method in ("editMessageText", "sendMessage")]
    assert changed == []
    assert tg.messages[(card.chat_id, card.message_id)] == card


async def test_a_word_that_matches_nothing_is_named_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(KHMER_MEMBER, "ទារុណកម្មឃ្ញុំងខ្ដ")  # torture + a word nobody knows
    assert page.text.startswith("🔎 <b>អនុសាសន៍ ៧ សម្រាប់")
    assert "មិនយល់ពាក្យ៖ “ឃ្ញុំងខ្ត”។ លទ្ធផលខាងក្រោមគឺសម្រាប់ពាក្យផ្សេងទៀតរបស់អ្នក។" in page.text


async def test_when_nothing_matches_the_nearest_glossary_words_are_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    page = await tg.reply_to(KHMER_MEMBER, "ទារុណកម")  # ទារុណកម្ម (torture) mistyped
    assert "មិនយល់ពាក្យ៖ “ទារុណកម”។" in page.text
    assert "តើអ្នកចង់រកពាក្យណាមួយក្នុងចំណោមពាក្យទាំងនេះ?" in page.text
    await press(tg, page, button(page, "🔎 ទារុណកម្ម"), KHMER_MEMBER)
    shown = await edited(tg, page)
    assert shown.text.startswith("🔎 <b>អនុសាសន៍ ៧ សម្រាប់ “ទារុណកម្ម”</b>")
    english = await tg.reply_to(MEMBER, "elecions")
    assert "Not understood: “elecions”." in english.text
    assert "🔎 Elections" in [b["text"] for b in buttons(english)]  # a theme, by its name
