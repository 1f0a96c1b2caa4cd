"""Representatives change and delete their organisation's reason while the round is open; a
reason over the limit is cut and its writer told so; every version stays in the history."""

import datetime as dt

from bot.domain.assessment import Colour
from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import GUEST, coalition_with, open_round


async def reply_to_prompt(tg: FakeTelegram, user: dict, text: str) -> str:  # type: ignore[type-arg]
    """Wait for the reason prompt, answer it, and return the bot's answer."""
    prompt = await tg.next_call("sendMessage", chat_id=user["id"])
    await tg.send(text, user=user, reply_to=prompt.result["message_id"])
    return str((await tg.next_call("sendMessage", chat_id=user["id"])).params["text"])


async def test_change_and_delete_a_reason_with_its_history(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, other = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.2", "Check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🔴"), member)
    card = await edited(tg, card)
    assert card.text.endswith("Your organisation's rating: 🔴")
    assert [b["text"] for b in buttons(card)][4:] == ["✍"]  # no reason yet: nothing to delete
    await tg.next_call("sendMessage", chat_id=member["id"])  # type a reason now, or ⏭ Next
    await press(tg, card, button(card, "✍"), member)
    assert await reply_to_prompt(tg, member, "Old reason.") == (
        "Reason saved. You can change it by replying again."
    )

    # /myratings opens the card again: the reason shows, with ✍ and 🗑.
    mine = await tg.reply_to(member, "/myratings")
    await press(tg, mine, button(mine, "118.1 🔴"), member)
    call = await tg.next_call("sendMessage", chat_id=member["id"])
    card = tg.messages[(member["id"], call.result["message_id"])]
    assert card.text.endswith("Your organisation's rating: 🔴\nReason: Old reason.")
    assert [b["text"] for b in buttons(card)][4:] == ["✍", "🗑"]

    # ✍ shows the reason it replaces; a reason over the limit is cut, and the writer told.
    await press(tg, card, button(card, "✍"), member)
    prompt = await tg.next_call("sendMessage", chat_id=member["id"])
    assert prompt.params["text"] == (
        "ORG0 rated 118.1 🔴 with this reason:\nOld reason.\nTo change it, send the new reason "
        "as your next message or reply to this one (at most 500 characters)."
    )
    await tg.send("x" * 600, user=member, reply_to=prompt.result["message_id"])
    told = await tg.next_call("sendMessage", chat_id=member["id"])
    assert told.params["text"] == (
        "Your reason has 600 characters, more than the 500 a reason may have: only its first "
        "500 were saved. To shorten it yourself, reply again."
    )

    # 🗑 deletes it; the card is redrawn without it; a second press finds nothing to delete.
    assert await press(tg, card, button(card, "🗑"), member) == "Reason deleted."
    redrawn = await edited(tg, card)
    assert redrawn.text.endswith("Your organisation's rating: 🔴")
    assert "🗑" not in [b["text"] for b in buttons(redrawn)]
    assert await press(
        tg, tg.carrying(card, "rx:1:" + card_rec(card)), "rx:1:" + card_rec(card), member
    ) == ("There is no reason to delete.")
    # Nobody else can delete it: a guest is refused, another organisation has no reason there.
    assert (
        await press(
            tg, tg.carrying(card, "rx:1:" + card_rec(card)), "rx:1:" + card_rec(card), GUEST
        )
    ).startswith("Only representatives")
    services: Services = bot.bot_data["services"]
    await services.assessments.set_reason(member["id"], 1, int(card_rec(card)), "Back again.")
    await services.assessments.rate(other["id"], 1, int(card_rec(card)), Colour.RED)
    assert await press(
        tg, tg.carrying(card, "rx:1:" + card_rec(card)), "rx:1:" + card_rec(card), other
    ) == ("There is no reason to delete.")
    # Closed: frozen.
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    assert await press(
        tg, tg.carrying(card, "rx:1:" + card_rec(card)), "rx:1:" + card_rec(card), member
    ) == ("This round is closed: ratings can no longer change.")

    async with services.database.connection.execute(
        "SELECT reason FROM rating_history WHERE organisation_id = 1 AND kind = 'reason' "
        "ORDER BY id"
    ) as cursor:
        history = [row[0] async for row in cursor]
    assert history == ["Old reason.", "x" * 500, "", "Back again."]
    assert [r.reason for r in await services.assessments.repository.ratings(1)] == [
        "Back again.",
        "",
    ]


def card_rec(card: StoredMessage) -> str:
    """The recommendation id in a card's ✍ button."""
    return button(card, "✍").rsplit(":", 1)[1]


FORGED = "Too slow.\n\n118.104 🟢 Green\u202e\x1b\x85evil\u2066\t end\u200b ok\u200c"
ONE_LINE = "Too slow. 118.104 🟢 Green evil end\u200b ok\u200c"  # Khmer's ZWSP and ZWNJ stay


async def test_a_reason_or_name_cannot_fake_lines_or_reorder_what_others_see(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """Line breaks, controls and direction overrides in text others see are folded or dropped
    where the text enters, so no reason, name or title can add a line of the bot's own."""
    (member,) = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.2", "Check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🔴"), member)
    card = await edited(tg, card)
    await tg.next_call("sendMessage", chat_id=member["id"])  # the next card
    await press(tg, card, button(card, "✍"), member)
    assert await reply_to_prompt(tg, member, FORGED) == (
        "Reason saved. You can change it by replying again."
    )
    mine = await tg.reply_to(member, "/myratings")
    await press(tg, mine, button(mine, "118.1 🔴"), member)
    call = await tg.next_call("sendMessage", chat_id=member["id"])
    shown = tg.messages[(member["id"], call.result["message_id"])].text
    assert shown.endswith(f"Your organisation's rating: 🔴\nReason: {ONE_LINE}")

    services: Services = bot.bot_data["services"]
    invite = await services.coalition.add_organisation(COORDINATOR_ID, "EVIL", FORGED)
    assert invite.organisation.name == ONE_LINE
    joined = await services.coalition.join(7001, FORGED, "en", invite.code)
    assert joined.id == invite.organisation.id
    person = await services.coalition.person(7001)
    assert person is not None
    assert person.display_name == ONE_LINE
    round_id = await services.assessments.open_round(
        COORDINATOR_ID,
        FORGED,
        parse_scope("c2 118.3", services.catalog, dt.UTC, dt.date(2026, 1, 1)),
    )
    opened = await services.assessments.repository.round(round_id)
    assert opened is not None
    assert opened.name == ONE_LINE
