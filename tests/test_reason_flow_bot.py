"""Reasons are never lost: after a tap in private the next plain message is the reason (with
[That was a search] to undo), the prompt shows the current colour, a group card's ✍ opens the
private chat on it, and a member who never opened that chat is told once in the group."""

import asyncio
import csv
import io
import re
from pathlib import Path
from typing import Any

from bot.app import running
from bot.domain.rounds import RoundChange
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import BOT_USERNAME, FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import GUEST, coalition_with, link_land_group, open_round

TYPE_NOW = (
    "ORG0 rated {number} {colour}. Type a short reason now (e.g. “Law drafted, still in "
    "consultation”), or tap ⏭ Next."
)


async def next_message(tg: FakeTelegram, chat_id: Any) -> StoredMessage:
    """The next message the bot sends to this chat, as stored."""
    call = await tg.next_call("sendMessage", chat_id=chat_id)
    assert call.error is None, call.error
    return tg.messages[(int(chat_id), call.result["message_id"])]


async def tap_in_private(
    tg: FakeTelegram,
    card: StoredMessage,
    colour: str,
    user: dict,  # type: ignore[type-arg]
) -> StoredMessage:
    """Tap a colour on a private card: the card is redrawn, then the reason is asked for."""
    await press(tg, card, button(card, colour), user)
    await edited(tg, card)
    return await next_message(tg, user["id"])


def number_of(card: StoredMessage) -> str:
    return card.text.split("</b>")[0].removeprefix("<b>")


async def reasons(services: Services, round_id: int = 1) -> dict[str, str]:
    """Each organisation's reasons in a round, as 'ORG:number' -> reason."""
    numbers = {r.id: str(r.number) for r in services.catalog.recommendations}
    return {
        f"{r.organisation}:{numbers[r.recommendation_id]}": r.reason
        for r in await services.assessments.repository.ratings(round_id)
    }


async def test_the_next_plain_message_after_a_tap_is_the_reason_and_can_be_undone(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    asked = await tap_in_private(tg, card, "🔴", member)
    assert asked.text == TYPE_NOW.format(number="118.1", colour="🔴")
    assert [b["text"] for b in buttons(asked)] == ["⏭ Next"]

    # Only numbers are a lookup, even now: the reason is still awaited.
    looked = await tg.reply_to(member, "118.6")
    assert looked.text.startswith("<b>118.6</b> · Cycle 2")
    saved = await tg.reply_to(member, "No law yet.")
    assert saved.text == "Reason saved for 118.1 🔴."
    assert [b["text"] for b in buttons(saved)] == ["That was a search"]
    assert number_of(await next_message(tg, member["id"])) == "118.2"  # a first rating: go on
    assert await reasons(services) == {"ORG0:118.1": "No law yet."}
    # The next message is not a reason any more: it is looked up.
    search = await tg.reply_to(member, "land")
    assert "land" in search.text.lower()
    assert await reasons(services) == {"ORG0:118.1": "No law yet."}

    # A search typed after a tap is saved as a reason; [That was a search] takes the previous
    # reason back and answers the search.
    mine = await tg.reply_to(member, "/myratings")
    await press(tg, mine, button(mine, "118.1 🔴"), member)
    card = await next_message(tg, member["id"])
    asked = await tap_in_private(tg, card, "🟢", member)
    assert asked.text == (
        "ORG0 rated 118.1 🟢 with this reason:\nNo law yet.\nType a new reason now to replace "
        "it (at most 500 characters), or tap ⏭ Next."
    )
    saved = await tg.reply_to(member, "trade unions")
    assert saved.text == "Reason saved for 118.1 🟢."
    assert await reasons(services) == {"ORG0:118.1": "trade unions"}
    assert await press(tg, saved, button(saved, "That was a search"), member) == (
        "Not kept as a reason."
    )
    undone = await edited(tg, saved)
    assert undone.text.startswith("Not kept as a reason: the previous reason is back.")
    assert [b["text"] for b in buttons(undone)] == ["✍"]
    results = await next_message(tg, member["id"])
    assert "trade union" in results.text.lower()
    assert await reasons(services) == {"ORG0:118.1": "No law yet."}
    # The same button forged again, on a message that still carries it: nothing more changes.
    data = "ru:1:" + button(undone, "✍").split(":")[2] + ":999"
    assert (await press(tg, tg.carrying(undone, data), data, member)).startswith(
        "There is no reason of your organisation"
    )
    assert await reasons(services) == {"ORG0:118.1": "No law yet."}
    # Every version stays in the history.
    async with services.database.connection.execute(
        "SELECT reason FROM rating_history WHERE kind = 'reason' ORDER BY id"
    ) as cursor:
        assert [row[0] async for row in cursor] == ["No law yet.", "trade unions", "No law yet."]


async def test_a_reason_that_can_no_longer_be_given_is_told_once_then_messages_search(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member, other] = await coalition_with(bot, 2)
    await open_round(tg, "c2 118.1-118.3", "Check")
    for who in (member, other):
        card = await tg.reply_to(who, "/rate")
        await tap_in_private(tg, card, "🔴", who)
    # The round closes: the next message is told its reason came too late, the one after it
    # is searched.
    await services.assessments.change(COORDINATOR_ID, 1, RoundChange.CLOSE)
    late = await tg.reply_to(member, "land")
    assert late.text.startswith("The round closed before your reason came")
    for _ in range(2):
        search = await tg.reply_to(member, "land")
        assert "land" in search.text.lower()
        assert "closed" not in search.text.lower()
    # Its organisation is paused while a reason is awaited: told once, then searched.
    await services.assessments.change(COORDINATOR_ID, 1, RoundChange.REOPEN)
    card = await tg.reply_to(other, "/rate")
    await tap_in_private(tg, card, "🟢", other)
    person = await services.coalition.person(other["id"])
    assert person is not None
    assert person.organisation_id is not None
    await services.coalition.set_active(COORDINATOR_ID, person.organisation_id, False)
    paused = await tg.reply_to(other, "land")
    assert paused.text == (
        "Your reason was not saved: your organisation's membership of the coalition was "
        "paused meanwhile. Contact a coordinator."
    )
    for _ in range(2):
        search = await tg.reply_to(other, "land")
        assert "land" in search.text.lower()
        assert "representative" not in search.text.lower()
    # A representative removed while a reason is awaited: told once, then searched.
    await services.coalition.set_active(COORDINATOR_ID, person.organisation_id, True)
    card = await tg.reply_to(other, "/rate")
    await tap_in_private(tg, card, "🟠", other)
    await services.coalition.remove_representative(
        COORDINATOR_ID, person.organisation_id, other["id"]
    )
    removed = await tg.reply_to(other, "land")
    assert removed.text == (
        "Your reason was not saved: you no longer represent a member organisation. Ask a "
        "coordinator if this is a mistake."
    )
    search = await tg.reply_to(other, "land")
    assert "land" in search.text.lower()
    assert set((await reasons(services)).values()) == {""}  # no search was saved as a reason


async def test_an_undo_after_a_newer_reason_keeps_the_newer_one(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    await tap_in_private(tg, card, "🟠", member)  # type a reason now
    saved = await tg.reply_to(member, "First.")
    await next_message(tg, member["id"])  # the next card
    rec = int(button(saved, "That was a search").split(":")[2])
    await services.assessments.set_reason(member["id"], 1, rec, "Second.")
    assert await press(tg, saved, button(saved, "That was a search"), member) == (
        "A newer reason was saved since: it stays."
    )
    await next_message(tg, member["id"])  # the search is answered all the same
    assert await reasons(services) == {"ORG0:118.1": "Second."}


async def test_a_pending_reason_survives_a_restart_and_ends_with_a_newer_tap_or_its_time(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        [member] = await coalition_with(bot, 1)
        await open_round(tg, "c2 118.1-118.3", "Check")
        card = await tg.reply_to(member, "/rate")
        await tap_in_private(tg, card, "🔴", member)  # type a reason now

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services: Services = bot.bot_data["services"]
        saved = await tg.reply_to(member, "Slow progress.")
        assert saved.text == "Reason saved for 118.1 🔴."
        second = await next_message(tg, member["id"])
        assert number_of(second) == "118.2"
        # A newer tap asks anew: the next message is the newer card's reason.
        asked = await tap_in_private(tg, second, "🟢", member)
        await press(tg, asked, button(asked, "⏭ Next"), member)
        third = await next_message(tg, member["id"])
        assert number_of(third) == "118.3"
        # ⏭ Next: no reason now, the next message is a lookup.
        assert "land" in (await tg.reply_to(member, "land")).text.lower()
        await tap_in_private(tg, third, "🟠", member)
        assert (await tg.reply_to(member, "Budget cut.")).text == "Reason saved for 118.3 🟠."
        await next_message(tg, member["id"])  # every recommendation is rated
        assert await reasons(services) == {
            "ORG0:118.1": "Slow progress.",
            "ORG0:118.2": "",
            "ORG0:118.3": "Budget cut.",
        }

        # Only spaces: nothing is saved, the reason is still awaited; too long: cut and told.
        asked = await tap_in_private(tg, second, "🔴", member)
        assert asked.text == TYPE_NOW.format(number="118.2", colour="🔴")
        empty = await tg.reply_to(member, " \t ")
        assert empty.text.startswith("That reason is empty: nothing was saved.")
        cut = await tg.reply_to(member, "y" * 600)
        assert cut.text.startswith("Your reason has 600 characters, more than the 500")
        assert [b["text"] for b in buttons(cut)] == ["That was a search"]
        assert (await reasons(services))["ORG0:118.2"] == "y" * 500

        # Half an hour later the prompt has expired: the text is a lookup.
        await tap_in_private(tg, second, "🟢", member)
        clock.advance(minutes=30, seconds=1)
        assert "land" in (await tg.reply_to(member, "land")).text.lower()
        assert (await reasons(services))["ORG0:118.2"] == "y" * 500
        async with services.database.connection.execute(
            "SELECT COUNT(*) FROM pending_reasons"
        ) as cursor:
            assert await cursor.fetchone() == (1,)  # expired, never read (ids only)
    assert tg.unconsumed_errors() == []


async def test_the_prompt_shows_the_current_colour(tg: FakeTelegram, bot: BotApplication) -> None:
    """A group tap asks privately; a changed colour changes the prompt (edited once sent)."""
    [member] = await coalition_with(bot, 1, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Check")
    await tg.send("/rate", user=member, chat=GROUP)
    card = await next_message(tg, GROUP["id"])
    red, _orange, green, _unknown = (b["callback_data"] for b in buttons(card)[:4])
    assert await press(tg, card, red, member) == "ORG0 rated it 🔴."
    prompt = await next_message(tg, member["id"])
    assert prompt.text.startswith("ORG0 rated 118.63 🔴. To add a short reason")
    assert await press(tg, card, green, member) == "ORG0 rated it 🟢."
    recoloured = await tg.next_call("editMessageText", chat_id=member["id"])
    assert recoloured.params["message_id"] == str(prompt.message_id)
    assert recoloured.params["text"].startswith("ORG0 rated 118.63 🟢. To add a short reason")
    # The next plain message in private is the reason, for the current colour.
    saved = await tg.reply_to(member, "Titles issued in two provinces.")
    assert saved.text == "Reason saved for 118.63 🟢."
    # The same colour again changes nothing: no edit.
    await press(tg, card, green, member)
    await tg.reply_to(member, "/myratings")
    assert [c for c in tg.calls if c.method == "editMessageText" and not c.consumed] == []


async def test_a_group_card_links_to_the_private_chat_on_it(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Check")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    card = await next_message(tg, GROUP["id"])
    for _ in range(5):  # the other cards and "N more"
        await tg.next_call("sendMessage", chat_id=GROUP["id"])
    [pen] = [b for b in buttons(card) if b["text"] == "✍"]
    rec = next(
        r for r in services.catalog.recommendations if (r.cycle, str(r.number)) == (2, "118.63")
    )
    assert pen == {"text": "✍", "url": f"https://t.me/{BOT_USERNAME}?start=r1_{rec.id}"}
    payload = pen["url"].split("start=")[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)

    # Not rated yet: the card, to tap a colour; then the reason is asked for.
    opened = await tg.reply_to(reps[0], f"/start {payload}")
    assert number_of(opened) == "118.63"
    await press(tg, opened, button(opened, "🟠"), reps[0])
    await edited(tg, opened)
    assert (await next_message(tg, reps[0]["id"])).text == TYPE_NOW.format(
        number="118.63", colour="🟠"
    )
    assert (await tg.reply_to(reps[0], "Budget too small.")).text == (
        "Reason saved for 118.63 🟠."
    )
    await next_message(tg, reps[0]["id"])  # a first rating: the next card follows

    # Rated in the group: the link asks for that rating's reason at once. Each organisation
    # gives its own: the link names no organisation.
    assert await press(tg, card, button(card, "🔴"), reps[1]) == "ORG1 rated it 🔴."
    await next_message(tg, reps[1]["id"])  # the prompt the group tap sent
    opened = await tg.reply_to(reps[1], f"/start {payload}")
    assert opened.text.endswith("Your organisation's rating: 🔴")
    asked = await next_message(tg, reps[1]["id"])
    assert asked.text == TYPE_NOW.replace("ORG0", "ORG1").format(number="118.63", colour="🔴")
    assert (await tg.reply_to(reps[1], "Land titles delayed.")).text == (
        "Reason saved for 118.63 🔴."
    )
    assert await reasons(services) == {
        "ORG0:118.63": "Budget too small.",
        "ORG1:118.63": "Land titles delayed.",
    }

    # Refusals, each clear, storing nothing: a guest, a forged payload, another round, closed.
    assert (await tg.reply_to(GUEST, f"/start {payload}")).text.startswith(
        "Only representatives of member organisations can rate."
    )
    gone = "This link does not lead to a recommendation of an assessment round."
    for forged in ("r1_999999", "r99_1", f"r2_{rec.id}", "r1_0"):
        assert (await tg.reply_to(reps[0], f"/start {forged}")).text.startswith(gone)
    assert (await tg.reply_to(reps[0], "/start r1_x")).text.startswith(gone)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    assert (await tg.reply_to(reps[0], f"/start {payload}")).text == (
        "This round is closed: ratings can no longer change."
    )
    assert await reasons(services) == {
        "ORG0:118.63": "Budget too small.",
        "ORG1:118.63": "Land titles delayed.",
    }


async def test_a_member_who_never_opened_the_private_chat_is_told_once_in_the_group(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1, "land")
    tg.never_started.add(member["id"])
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Check")
    await tg.send("/rate", user=member, chat=GROUP)
    cards = [await next_message(tg, GROUP["id"]) for _ in range(5)]
    await tg.next_call("sendMessage", chat_id=GROUP["id"])  # "9 more"

    await press(tg, cards[0], button(cards[0], "🔴"), member)
    refused = await tg.next_call("sendMessage", chat_id=member["id"])
    assert refused.error == "Forbidden: bot can't initiate conversation with a user"
    told = await next_message(tg, GROUP["id"])
    assert told.text == (
        f'<a href="tg://user?id={member["id"]}">Rep0</a>, I cannot write to you privately '
        "before you open a chat with me: tap ✍ below, then Start. There you give your "
        "organisation's reasons."
    )
    [link] = buttons(told)
    assert link["text"] == "✍ Open a private chat"
    assert link["url"] == button_url(cards[0])

    # Another first rating a minute later: the prompt is refused again, the group is not told
    # again (once per person per round).
    clock.advance(seconds=61)
    await press(tg, cards[1], button(cards[1], "🟠"), member)
    again = await tg.next_call("sendMessage", chat_id=member["id"])
    assert again.error is not None
    sender = bot.bot_data["sender"]
    for _ in range(200):  # the refusal's follow-up runs in the sender's task
        if not sender._flying:
            break
        await asyncio.sleep(0.01)
    async with services.database.connection.execute(
        "SELECT COUNT(*) FROM deliveries WHERE chat_id = ? AND reference LIKE 'hint:%'",
        (GROUP["id"],),
    ) as cursor:
        assert await cursor.fetchone() == (1,)

    # The link opens the chat (the member writes first): the reason is asked for there.
    opened = await tg.reply_to(member, "/start " + link["url"].split("start=")[1])
    assert opened.text.endswith("Your organisation's rating: 🔴")
    await next_message(tg, member["id"])  # type a reason now
    assert (await tg.reply_to(member, "Not yet.")).text == "Reason saved for 118.63 🔴."


def button_url(card: StoredMessage) -> str:
    return next(str(b["url"]) for b in buttons(card) if b["text"] == "✍")


async def test_every_reason_is_stored_whichever_way_it_is_typed(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    """Three cards, a reason each way (a reply, a ✍ link, a plain message), a restart before
    each reason: /myratings and the exported table have all three."""
    settings = make_settings(tg, db_path)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        [member] = await coalition_with(bot, 1, "land")
        await link_land_group(tg)
        await open_round(tg, "c2 land", "Three")
        await tg.send("/rate", user=member, chat=GROUP)
        cards = [await next_message(tg, GROUP["id"]) for _ in range(5)]
        await press(tg, cards[0], button(cards[0], "🔴"), member)  # a reply, later
        prompt = await next_message(tg, member["id"])
        link = button_url(cards[1])

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        await tg.send("Reply reason.", user=member, reply_to=prompt.message_id)
        assert (await next_message(tg, member["id"])).text == (
            "Reason saved. You can change it by replying again."
        )
        opened = await tg.reply_to(member, "/start " + link.split("start=")[1])
        await tap_in_private(tg, opened, "🟠", member)  # type a reason now

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        assert (await tg.reply_to(member, "Link reason.")).text.startswith("Reason saved for")
        card = await next_message(tg, member["id"])  # a first rating: the next card follows
        await tap_in_private(tg, card, "🟢", member)  # type a reason now

    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as bot:
        services: Services = bot.bot_data["services"]
        assert (await tg.reply_to(member, "Plain reason.")).text.startswith("Reason saved for")
        await next_message(tg, member["id"])  # the next card
        given = {
            number_of(cards[0]): "🔴 Reply reason.",
            number_of(cards[1]): "🟠 Link reason.",
            number_of(card): "🟢 Plain reason.",
        }
        assert len(given) == 3
        mine = (await tg.reply_to(member, "/myratings")).text.split("\n")[2:]
        assert sorted(mine) == sorted(f"{n} {r}" for n, r in given.items())
        await services.assessments.set_open(COORDINATOR_ID, 1, False)
        await services.assessments.publish(COORDINATOR_ID, 1)
        await tg.send("/export 1 csv", user=COORDINATOR)
        doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
        raw = doc.params["document"]["content"].decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(raw)))
        land = {
            row[1].split(" – ")[0]: row[3]
            for row in table[1:]
            if row[0] == "Land and natural resources"
        }
        for number, reason in given.items():
            assert land[number] == f"ORG0: {reason}"
    assert tg.unconsumed_errors() == []


async def test_reasons_in_khmer(tg: FakeTelegram, bot: BotApplication) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    await services.set_language(member["id"], "km")
    await open_round(tg, "c2 118.1-118.2", "Check")
    card = await tg.reply_to(member, "/rate")
    asked = await tap_in_private(tg, card, "🟠", member)
    assert asked.text == (
        "ORG0 បានវាយតម្លៃ 118.1 🟠។ សូមសរសេរហេតុផលខ្លីឥឡូវនេះ (ឧ. «ច្បាប់បានព្រាងរួច "
        "ប៉ុន្តែកំពុងពិគ្រោះយោបល់») ឬចុច ⏭ បន្ទាប់។"
    )
    # Khmer digits are a lookup; Khmer words are the reason.
    assert number_of(await tg.reply_to(member, "១១៨.៦")) == "118.6"
    saved = await tg.reply_to(member, "ច្បាប់មិនទាន់អនុម័ត")
    assert saved.text == "បានរក្សាទុកហេតុផលសម្រាប់ 118.1 🟠។"
    assert [b["text"] for b in buttons(saved)] == ["🔎 ខ្ញុំចង់ស្វែងរក មិនមែនហេតុផលទេ"]
    await next_message(tg, member["id"])  # the next card
    assert await reasons(services) == {"ORG0:118.1": "ច្បាប់មិនទាន់អនុម័ត"}
    assert (await tg.reply_to(member, "/start r1_999999")).text.startswith("លិង្កនេះមិននាំទៅអនុសាសន៍")
    khmer = services.translations.localizer("km")
    guest = {**GUEST, "language_code": "km"}
    assert (await tg.reply_to(guest, "/start r1_1")).text.startswith(
        khmer.gettext(
            "Only representatives of member organisations can rate. Ask a coordinator for an "
            "invite link."
        )
    )
    # /help ([More]) tells members how reasons are typed.
    short = await tg.reply_to(member, "/help")
    await press(tg, short, "hm", member)
    full = await edited(tg, short)
    assert "នៅក្នុងការជជែកឯកជន បន្ទាប់ពីអ្នកចុចពណ៌ សារបន្ទាប់របស់អ្នកគឺជាហេតុផលរបស់វា (៣០ នាទី)" in full.text
