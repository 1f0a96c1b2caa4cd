"""While /translate waits for a Khmer text, a newer prompt of the bot (a rating's reason, a
broadcast being composed) takes the next message, and a text with no Khmer is not swallowed."""

from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_action_editor_bot import answer, asked, said, start_adding
from tests.test_broadcasts_bot import link_chats, tap
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round
from tests.test_rules import services_of

REASON = "អាជ្ញាធរមិនទាន់បានអនុវត្តអ្វីទាំងអស់"  # Khmer letters, like a translation
STOPPED = (
    "<i>/translate no longer waits for your Khmer text: send /translate to go on translating.</i>"
)


async def _composer_waiting(tg: FakeTelegram) -> None:
    """/broadcast to all representatives, Next: the composer waits for the message."""
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ All member representatives (privately)")
    await tap(tg, composer, "Next ▶")


async def _the_composer_takes_the_message(tg: FakeTelegram, bot: BotApplication) -> None:
    """A text sent now is the broadcast's message, and /translate no longer waits."""
    services = services_of(bot)
    await tg.send("Meeting on Friday at 9:00 in Phnom Penh", user=COORDINATOR)
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert [v.text for v in draft.versions] == ["Meeting on Friday at 9:00 in Phnom Penh"]
    assert await services.translating.asked(COORDINATOR_ID) is None


async def test_a_reason_asked_after_translate_is_the_reason_not_a_draft(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    (member,) = await coalition_with(bot, 1)
    services = services_of(bot)
    await services.translating.appoint(COORDINATOR_ID, member["id"])
    await open_round(tg, "c2 118.1-118.2", "Check")
    task = await tg.reply_to(member, "/translate")
    assert "<b>118.1</b>" in task.text  # /translate waits for a text now
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🔴"), member)
    await edited(tg, card)
    call = await tg.next_call("sendMessage", chat_id=member["id"])  # a reason now, or ⏭ Next
    prompt = tg.messages[(member["id"], call.result["message_id"])]
    assert prompt.text.endswith(STOPPED)  # the newest prompt wins, and says so
    said = await tg.reply_to(member, REASON)
    assert said.text.startswith("Reason saved")
    assert all(r.stored is None for r in await services.translating.store.export_rows())
    [rating] = await services.assessments.repository.ratings(1)
    assert rating.reason == REASON


async def test_a_group_cards_reason_prompt_after_translate_says_translate_stopped(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    (member,) = await coalition_with(bot, 1, "land")
    services = services_of(bot)
    await services.translating.appoint(COORDINATOR_ID, member["id"])
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Check")
    await tg.reply_to(member, "/translate")
    await tg.send("/rate", user=member, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(-100500, call.result["message_id"])]  # GROUP's
    await press(tg, card, button(card, "🔴"), member)
    prompt = await tg.next_call("sendMessage", chat_id=member["id"])  # from the outbox
    assert prompt.params["text"].endswith(STOPPED)
    assert await services.translating.asked(member["id"]) is None


async def test_a_broadcast_text_after_translate_goes_to_the_composer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    task = await tg.reply_to(COORDINATOR, "/translate")
    assert task.text.startswith("✍")
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ All member representatives (privately)")
    composer = await tap(tg, composer, "Next ▶")
    assert composer.text.endswith(STOPPED)
    await _the_composer_takes_the_message(tg, bot)


async def test_translate_after_a_reason_prompt_ends_its_wait_and_says_so_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """The newest prompt wins: after /translate the typed text is the Khmer draft, the reason
    prompt is told to have stopped waiting, and a reply to it still gives the reason."""
    (member,) = await coalition_with(bot, 1)
    member = {**member, "language_code": "km"}
    services = services_of(bot)
    await services.translating.appoint(COORDINATOR_ID, member["id"])
    await open_round(tg, "c2 118.2-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🔴"), member)
    await edited(tg, card)
    call = await tg.next_call("sendMessage", chat_id=member["id"])  # a reason now, or ⏭ Next
    prompt = tg.messages[(member["id"], call.result["message_id"])]
    task = await tg.reply_to(member, "/translate")
    assert task.text.endswith(
        "<i>ហេតុផលដែលបានសុំ លែងយកសារបន្ទាប់របស់អ្នកហើយ៖ ដើម្បីផ្ដល់ហេតុផល សូមចុច Reply (ឆ្លើយតប) លើសំណួររបស់វា។</i>"
    )
    assert await services.assessments.pending(member["id"]) is None
    await tg.reply_to(member, REASON)  # the newest prompt, /translate, takes it
    [rating] = await services.assessments.repository.ratings(1)
    assert rating.reason == ""
    [draft] = [r.stored for r in await services.translating.store.export_rows() if r.stored]
    assert draft.text_km == REASON
    await tg.send("ច្បាប់មិនទាន់អនុម័ត", user=member, reply_to=prompt.message_id)
    await tg.next_call("sendMessage", chat_id=member["id"])
    [rating] = await services.assessments.repository.ratings(1)
    assert rating.reason == "ច្បាប់មិនទាន់អនុម័ត"  # a reply to the prompt still gives it


async def test_a_text_without_khmer_while_translate_waits_is_a_lookup(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await tg.reply_to(COORDINATOR, "/translate")
    found = await tg.reply_to(COORDINATOR, "118.6")
    assert "118.6" in found.text
    assert "Khmer" not in found.text
    assert await services.translating.asked(COORDINATOR_ID) is not None  # still waiting


async def test_translate_after_a_waiting_composer_ends_its_wait_and_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await link_chats(services)
    await _composer_waiting(tg)  # step 2: the composer waits for the message
    task = await tg.reply_to(COORDINATOR, "/translate")
    assert task.text.endswith(
        "<i>The broadcast you were writing no longer waits for your message: send /broadcast "
        "to go on with it.</i>"
    )
    found = await tg.reply_to(COORDINATOR, "118.6")  # no Khmer, and no composer waiting: a look-up
    assert "118.6" in found.text
    draft = await services.broadcasts.draft(COORDINATOR_ID)
    assert draft is not None  # kept, not waiting
    assert draft.versions == ()
    assert await services.translating.asked(COORDINATOR_ID) is not None
    # /broadcast picks it up: the composer is the newest prompt again, /translate stops.
    await tg.send("/broadcast", user=COORDINATOR)
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # "Here is the broadcast…"
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    await _the_composer_takes_the_message(tg, bot)


async def test_a_new_actions_step_after_translate_takes_the_next_message(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await coalition_with(bot, 1, "land")
    await tg.reply_to(COORDINATOR, "/translate")
    first = await start_adding(tg)
    assert "step 1 of 10: Recommendations" in first.text
    assert STOPPED in first.text
    assert await services.translating.asked(COORDINATOR_ID) is None  # the newest prompt wins
    activity = await answer(tg, "118.6, 118.7")
    assert "step 2 of 10: Action or activity" in activity.text


async def test_translate_after_a_new_actions_step_ends_its_wait_and_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await coalition_with(bot, 1, "land")
    first = await start_adding(tg)
    await asked(services, first.message_id)
    await tg.send("/translate", user=COORDINATOR)
    task = await said(tg, COORDINATOR_ID)
    assert task.text.endswith(
        "<i>The new action no longer takes your next message: reply to its question to "
        "answer it.</i>"
    )
    found = await answer(tg, "118.6")  # no Khmer, and the step no longer waits: a look-up
    assert "step 2 of 10" not in found.text
    assert "118.6" in found.text
    await tg.send("118.6, 118.7", user=COORDINATOR, reply_to=first.message_id)
    activity = await said(tg, COORDINATOR_ID)  # a reply to the step's question still answers
    assert "step 2 of 10: Action or activity" in activity.text
