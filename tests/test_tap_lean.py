"""A rating tap reaches PTB with the pressed message's keyboard cut down to the pressed button
(bot.delivery.pressed_only): the gate still refuses what the card does not offer; a /translate
prompt is still seen by the tap (the repository's memo of who may have one)."""

import sqlite3
from pathlib import Path
from typing import Any

from bot.delivery import pressed_only
from bot.domain.assessment import Colour
from handlers import LEAN_PRESSES
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round
from tests.test_rules import services_of

STALE = "This button no longer works. Please send your question again."


def _press(data: Any, keyboard: Any) -> dict[str, Any]:
    return {
        "update_id": 1,
        "callback_query": {
            "id": "1",
            "data": data,
            "message": {"message_id": 5, "reply_markup": {"inline_keyboard": keyboard}},
        },
    }


def _keyboard(update: dict[str, Any]) -> Any:
    return update["callback_query"]["message"]["reply_markup"]["inline_keyboard"]


CARD = [
    [{"text": c, "callback_data": f"v{c}:1:7"} for c in "rogu"],
    [{"text": "Open", "url": "https://t.me/bot?start=x"}],
]


def test_a_rating_tap_keeps_only_the_pressed_button() -> None:
    update = _press("vg:1:7", CARD)
    pressed_only(update, LEAN_PRESSES)
    assert _keyboard(update) == [[{"text": "g", "callback_data": "vg:1:7"}]]


def test_a_tap_the_card_does_not_offer_keeps_no_button() -> None:
    update = _press("vg:2:7", CARD)  # another round's button, forged on this card
    pressed_only(update, LEAN_PRESSES)
    assert _keyboard(update) == []


def test_other_presses_and_odd_shapes_are_left_alone() -> None:
    for data, keyboard in [
        ("na:1:3", CARD),  # a nudge's answer: its handler reads the other buttons
        ("vg:1:7", "rows"),
        (None, CARD),
        ("vg:1:7", [None, ["x"], [{"callback_data": 3}]]),
    ]:
        update = _press(data, keyboard)
        pressed_only(update, LEAN_PRESSES)
        assert _keyboard(update) == (keyboard if data != "vg:1:7" or keyboard == "rows" else [])
    odd: Any
    for odd in [None, [], {"callback_query": "x"}, {"callback_query": {"data": "vg:1:7"}}]:
        pressed_only(odd, LEAN_PRESSES)  # nothing to cut, nothing raised


async def test_a_forged_tap_on_a_real_card_is_refused_and_a_real_one_recorded(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    (member,) = await coalition_with(bot, 1, "land")
    services = services_of(bot)
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Check")
    await tg.send("/rate", user=member, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(-100500, call.result["message_id"])]  # GROUP's
    red = button(card, "🔴")
    colour, round_id, rec = red.split(":")
    forged = f"{colour}:{int(round_id) + 1}:{rec}"  # no card offers it
    assert await press(tg, card, forged, member) == STALE
    assert await services.assessments.repository.ratings(int(round_id)) == []
    assert await press(tg, card, red, member) == "ORG0 rated it 🔴."
    [rating] = await services.assessments.repository.ratings(int(round_id))
    assert rating.colour is Colour.RED


async def test_a_translate_prompt_written_by_another_process_is_seen(
    bot: BotApplication, db_path: Path
) -> None:
    services = services_of(bot)
    translating = services.translating
    assert await translating.asked(COORDINATOR_ID) is None  # the memo is read: nobody waits
    rec = next(iter(services.catalog.by_id))
    with sqlite3.connect(db_path) as other:
        other.execute(
            "INSERT INTO translation_prompts (user_id, recommendation_id, purpose, expires_at) "
            "VALUES (?, ?, 'translate', '9999-01-01T00:00:00+00:00')",
            (COORDINATOR_ID, rec),
        )
    await services.coalition.working_groups()  # any read: the connection sees the commit
    assert await translating.asked(COORDINATOR_ID) is not None
