"""Keyboards built from lists that grow (rounds, translators, working groups…) are paged: never
over Telegram's 100 buttons, every item reachable with ◀ ▶, a stale or forged page clamped."""

from __future__ import annotations

import re
from typing import Any

from bot.domain.bundled import WORKING_GROUPS_FILE
from bot.domain.coalition import load_working_groups
from bot.services import Services
from handlers.commands import sync_menus
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import MAX_INLINE_BUTTONS, FakeTelegram, StoredMessage
from tests.test_action_editor_bot import answer, said, start_adding
from tests.test_broadcasts_bot import tap
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_membership_notices_bot import NEW_GROUP, added_with, next_private
from tests.test_nudges_bot import linked_land_action

MANY = 120


def _services(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def _published_rounds(bot: BotApplication, count: int) -> None:
    """`count` rounds of one recommendation each, closed and published: R001, R002…"""
    services = _services(bot)
    assessments = services.assessments
    tz = services.settings.timezone
    for n in range(1, count + 1):
        opened = await assessments.open(
            COORDINATOR_ID, f"c2 118.1 : R{n:03}", services.catalog, tz
        )
        await assessments.set_open(COORDINATOR_ID, opened.round_id, False)
        await assessments.publish(COORDINATOR_ID, opened.round_id)


def _labels(message: StoredMessage) -> list[str]:
    labels = [str(b["text"]) for b in buttons(message)]
    assert len(labels) <= MAX_INLINE_BUTTONS
    return labels


async def _every_page(
    tg: FakeTelegram, first: StoredMessage, pages: int, picked: str
) -> tuple[list[str], StoredMessage]:
    """Turn ▶ through every page: the labels containing `picked` in order, and the last page."""
    page, seen = first, []
    for n in range(1, pages + 1):
        labels = _labels(page)
        assert f"Page {n} of {pages}" in labels
        seen += [label for label in labels if picked in label]
        if n < pages:
            await press(tg, page, button(page, "▶"), COORDINATOR)
            page = await edited(tg, page)
    assert "▶" not in _labels(page)
    return seen, page


async def _turn(tg: FakeTelegram, message: StoredMessage, data: str) -> StoredMessage:
    """A press with `data` on the message, as if an older (or forged) button carried it."""
    await press(tg, tg.carrying(message, data), data, COORDINATOR)
    return await edited(tg, message)


async def _clamped(tg: FakeTelegram, last: StoredMessage, first: str, forged: str) -> None:
    """From the last page, a stale button to page 1, then a forged page far past the end:
    the last page again, not an error."""
    pages = next(label for label in _labels(last) if label.startswith("Page "))
    page_one = await _turn(tg, last, first)
    assert pages.replace(pages.split()[1], "1", 1) in _labels(page_one)
    assert pages in _labels(await _turn(tg, page_one, forged))


async def test_rounds_pages_a_hundred_and_twenty_rounds(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _published_rounds(bot, MANY)
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert "R120" in listing.text
    assert "R110" not in listing.text
    assert "➕ New round" in _labels(listing)
    seen, last = await _every_page(tg, listing, 12, ". R")
    assert len(seen) == MANY
    assert len(set(seen)) == MANY
    assert "R001" in last.text
    await _clamped(tg, last, "ro:0", "ro:9999")


async def test_the_results_picker_pages_a_hundred_and_twenty_rounds(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _published_rounds(bot, MANY)
    picker = await tg.reply_to(COORDINATOR, "/results")
    assert picker.text == "Which round's results?"
    seen, last = await _every_page(tg, picker, 4, "Results: ")
    assert len(seen) == MANY
    assert len(set(seen)) == MANY
    await _clamped(tg, last, "rc:0", "rc:9999")


async def test_the_compare_picker_pages_a_hundred_and_twenty_rounds(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _published_rounds(bot, MANY)
    picker = await tg.reply_to(COORDINATOR, "/compare")
    assert picker.text == "Which rounds? First choose the earlier round:"
    seen, last = await _every_page(tg, picker, 4, ". R")
    assert len(seen) == MANY
    assert len(set(seen)) == MANY
    await _clamped(tg, last, "cq:0:0:0", "cq:0:0:9999")
    await press(tg, last, button(last, "1. R001"), COORDINATOR)  # the earlier round
    later = await edited(tg, last)
    assert later.text == "Earlier round: «R001». Now choose the later round:"
    seen, last = await _every_page(tg, later, 4, ". R")
    assert len(seen) == MANY - 1
    assert "1. R001" not in seen
    await _clamped(tg, last, "cq:1:0:0", "cq:1:0:9999")


async def test_translators_pages_a_hundred_and_twenty_translators(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = _services(bot)
    translating = services.translating
    removed: dict[str, Any] = {"id": 5119, "first_name": "Translator", "language_code": "en"}
    await translating.appoint(COORDINATOR_ID, 5119, name="Translator 119")
    await sync_menus(bot.bot, services)  # theirs is published; the others' not yet
    assert "translate" in tg.menu(removed)
    for n in range(MANY - 1):
        await translating.appoint(COORDINATOR_ID, 5000 + n, name=f"Translator {n:03}")
    listing = await tg.reply_to(COORDINATOR, "/translators")
    assert "Translator 000" in listing.text
    assert "Translator 020" not in listing.text
    seen, last = await _every_page(tg, listing, 6, "✖ Translator")
    assert len(seen) == MANY
    assert len(set(seen)) == MANY
    await _clamped(tg, last, "tp:0:0", "tp:0:9999")
    before = len(tg.calls)
    said = await press(tg, last, button(last, "✖ Translator 119"), COORDINATOR)
    assert said == "5119 is no longer a translator."
    last = await edited(tg, last)  # the page it was on, redrawn
    assert "Page 6 of 6" in _labels(last)
    assert "✖ Translator 118" in _labels(last)
    assert "Translator 119" not in last.text
    calls = tg.calls[before:]
    menus = [i for i, c in enumerate(calls) if c.method in ("setMyCommands", "deleteMyCommands")]
    # only the removed person's menu, in each of its languages, after the press was answered
    assert {calls[i].params["scope"]["chat_id"] for i in menus} == {5119}
    assert len(menus) == 3
    assert min(menus) > next(i for i, c in enumerate(calls) if c.method == "answerCallbackQuery")
    assert "translate" not in tg.menu(removed)


async def _many_groups(bot: BotApplication, count: int) -> str:
    """The bundled working groups, then more up to `count` (G001, G002…): the last one's name."""
    bundled = load_working_groups(WORKING_GROUPS_FILE)
    more = [(f"g{n:03}", f"G{n:03}", f"ក្រុម {n}", []) for n in range(1, count - len(bundled) + 1)]
    repository = _services(bot).coalition.repository
    await repository.sync_working_groups([*bundled, *more])  # type: ignore[attr-defined]
    return more[-1][1]


async def test_the_broadcast_audience_pages_a_hundred_and_fifty_working_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    newest = await _many_groups(bot, 150)
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ Chosen working groups")
    seen, last = await _every_page(tg, composer, 8, "▫️ ")
    assert len([label for label in seen if re.fullmatch(r"▫️ G\d{3}", label)]) == int(newest[1:])
    await _clamped(tg, last, "bp:0:audience", "bp:9999:audience")
    last = await tap(tg, last, f"▫️ {newest}")  # chosen on the last page: that page stays shown
    assert f"✅ {newest}" in _labels(last)
    assert "Page 8 of 8" in _labels(last)
    draft = await _services(bot).broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert len(draft.audience.group_ids) == 1


async def test_an_organisations_working_groups_page_a_hundred_and_fifty(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    newest = await _many_groups(bot, 150)
    await tg.send(
        "/addorg ADHOC Cambodian Human Rights and Development Association", user=COORDINATOR
    )
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # the invite link
    call = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    panel = tg.messages[(COORDINATOR_ID, call.result["message_id"])]
    assert panel.text == "Working groups of ADHOC: tap to add or remove."
    seen, last = await _every_page(tg, panel, 8, "G")
    assert len([label for label in seen if re.fullmatch(r"G\d{3}", label)]) == int(newest[1:])
    org = (await _services(bot).coalition.organisations(COORDINATOR_ID))[0].id
    await _clamped(tg, last, f"op:{org}:0", f"op:{org}:9999")
    await press(tg, last, button(last, newest), COORDINATOR)
    last = await edited(tg, last)
    assert f"✓ {newest}" in _labels(last)  # tapped on the last page: that page stays shown
    assert "Page 8 of 8" in _labels(last)


async def test_an_actions_organisations_and_working_groups_are_paged(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _many_groups(bot, 150)
    services = _services(bot)
    for i in range(MANY):
        await services.coalition.add_organisation(
            COORDINATOR_ID, f"ORG{i:03}", f"Organisation {i}"
        )
    await answer(tg, "/strategy")  # the weekly summary aside, as in the editor's own tests
    first = await start_adding(tg)
    assert "step 1 of 10" in first.text
    await answer(tg, "118.6")
    await answer(tg, "Radio show")
    await answer(tg, "31 March 2027")  # "I read it as…"
    organisations = await said(tg, COORDINATOR_ID)
    assert "Responsible organisations" in organisations.text
    seen, last = await _every_page(tg, organisations, 4, "ORG")
    assert len(seen) == MANY
    await press(tg, last, button(last, "ORG119"), COORDINATOR)
    last = await edited(tg, last)
    assert "✅ ORG119" in _labels(last)  # chosen on the last page: that page stays shown
    assert "Page 4 of 4" in _labels(last)
    draft = next(b["callback_data"] for b in buttons(last) if b["text"] == "Page 4 of 4")
    await _clamped(tg, last, draft.rsplit(":", 1)[0] + ":0", draft.rsplit(":", 1)[0] + ":9999")


async def test_strategy_pages_a_hundred_and_fifty_working_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    newest = await _many_groups(bot, 150)
    chooser = await answer(tg, "/strategy")
    assert chooser.text.startswith("Which working group's action strategy?")
    seen, last = await _every_page(tg, chooser, 8, "G")
    assert newest in seen
    assert newest in last.text  # a coordinator's counts: the page's groups only
    await _clamped(tg, last, "sk:0", "sk:9999")


async def test_linkgroup_groups_and_grouprecs_page_a_hundred_and_fifty_working_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    newest = await _many_groups(bot, 150)
    chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=GROUP)
    assert chooser.text == "Which working group is this chat for?"
    seen, last = await _every_page(tg, chooser, 5, "G")
    assert newest in seen
    await _clamped(tg, last, "lp:0", "lp:9999")
    await press(tg, last, button(last, newest), COORDINATOR)  # linked from the last page
    assert newest in (await edited(tg, last)).text
    links = await tg.reply_to(COORDINATOR, "/groups")
    assert links.text.startswith("<b>Working groups and their chats</b>")
    seen, last = await _every_page(tg, links, 8, "➕ ")
    assert f"➕ {newest}" in seen
    assert f"• {newest}: «" in last.text  # the page's groups only, with their chats
    await _clamped(tg, last, "wp:0", "wp:9999")
    lists = await tg.reply_to(COORDINATOR, "/grouprecs")
    assert lists.text == "Which working group's list?"
    seen, last = await _every_page(tg, lists, 5, "G")
    assert newest in seen
    await _clamped(tg, last, "gp:0", "gp:9999")


async def test_moving_an_action_pages_a_hundred_and_fifty_working_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    _, action = await linked_land_action(bot, 1, "Radio show", "2027")
    newest = await _many_groups(bot, 150)
    card = await answer(tg, "118.6")
    data = f"af:{action.id}:g"  # ✏️ Edit → Working group, as on the action's card
    await press(tg, tg.carrying(card, data), data, COORDINATOR)
    groups = await said(tg, COORDINATOR_ID)
    assert "Which working group does this action belong to?" in groups.text
    seen, last = await _every_page(tg, groups, 8, "G")
    assert newest in seen
    turn = next(b["callback_data"] for b in buttons(last) if b["text"] == "Page 8 of 8")
    await _clamped(tg, last, turn.rsplit(":", 1)[0] + ":0", turn.rsplit(":", 1)[0] + ":9999")


async def _representatives(bot: BotApplication, count: int, first_id: int) -> int:
    """An organisation ADHOC with `count` representatives "Person 000"…: its id."""
    coalition = _services(bot).coalition
    invite = await coalition.add_organisation(COORDINATOR_ID, "ADHOC", "Adhoc")
    org = invite.organisation.id
    for n in range(count):
        code = invite.code if n == 0 else (await coalition.invite(COORDINATOR_ID, org)).code
        await coalition.join(first_id + n, f"Person {n:03}", "en", code)
    return org


async def test_every_known_person_can_be_appointed_a_translator_from_the_pages(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _representatives(bot, 45, 7000)
    listing = await tg.reply_to(COORDINATOR, "/translators")
    await press(tg, listing, button(listing, "➕ Appoint a translator"), COORDINATOR)
    call = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    people = tg.messages[(COORDINATOR_ID, call.result["message_id"])]
    assert people.text == "Who becomes a translator?"
    seen, last = await _every_page(tg, people, 2, "Person")
    assert seen == [f"Person {n:03}" for n in range(45)]
    await _clamped(tg, last, "tp:1:0", "tp:1:9999")
    said = await press(tg, last, button(last, "Person 044"), COORDINATOR)  # the 45th
    assert said == "7044 is now a translator."
    assert await _services(bot).translating.may_translate(7044)


async def test_an_organisations_representatives_page_a_hundred_and_twenty(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    org = await _representatives(bot, MANY, 8000)
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    await press(tg, listing, button(listing, f"ADHOC ({MANY})"), COORDINATOR)
    panel = await edited(tg, listing)
    await press(tg, panel, button(panel, "Remove a representative"), COORDINATOR)
    reps = await edited(tg, panel)
    assert reps.text == "Tap the representative to remove from ADHOC:"
    seen, last = await _every_page(tg, reps, 4, "✖ Person")
    assert seen == [f"✖ Person {n:03} · {8000 + n}" for n in range(MANY)]
    assert "Cancel" in _labels(last)
    await _clamped(tg, last, f"oq:{org}:0", f"oq:{org}:9999")
    await press(tg, last, button(last, f"✖ Person 119 · {8000 + MANY - 1}"), COORDINATOR)
    panel = await edited(tg, last)  # removed from the last page: the panel again
    assert f"Person 118 · {8000 + MANY - 2}" in panel.text
    assert "Person 119" not in panel.text


async def test_groups_makes_add_links_only_for_the_page_shown(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _many_groups(bot, 150)
    database = _services(bot).database

    async def tokens() -> int:
        async with database.connection.execute("SELECT COUNT(*) FROM group_links") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    links = await tg.reply_to(COORDINATOR, "/groups")
    first = {b["text"][2:]: b["url"].rpartition("=")[2] for b in buttons(links) if "url" in b}
    assert len(first) == 20
    assert await tokens() == 20  # one per group shown, not 150
    await press(tg, links, button(links, "▶"), COORDINATOR)
    assert "Page 2 of 8" in _labels(await edited(tg, links))
    assert await tokens() == 40
    # A link of the page turned away from still works (until it expires or is used).
    group, token = next(iter(first.items()))
    await tg.bot_membership(NEW_GROUP, by=COORDINATOR, old="left", new="member")
    await next_private(tg, COORDINATOR_ID)  # "I was added to the group …"
    reply = await added_with(tg, NEW_GROUP, COORDINATOR, token)
    assert reply.text == f"This chat is now the chat of the working group «{group}»."
