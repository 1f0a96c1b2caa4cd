"""Coordinator review fixes: long keyboards paged, card counts, results picture, reasons late."""

import pytest

from bot.domain.assessment import Colour
from bot.services import Services
from handlers import render
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock, until
from tests.fake_telegram import MAX_INLINE_BUTTONS, ApiError, FakeTelegram, check_markup
from tests.test_broadcasts_bot import tap
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_nudges import pp
from tests.test_nudges_bot import idle, linked_land_action, run_sweep
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round


def _services(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def _many_organisations(bot: BotApplication, count: int) -> None:
    coalition = _services(bot).coalition
    for i in range(count):
        await coalition.add_organisation(COORDINATOR_ID, f"ORG{i:03}", f"Organisation {i}")


def test_the_fake_refuses_a_keyboard_over_a_hundred_buttons() -> None:
    row = [{"text": "x", "callback_data": "x"}]
    check_markup({"inline_keyboard": [row] * MAX_INLINE_BUTTONS})
    with pytest.raises(ApiError, match="reply markup is too long"):
        check_markup({"inline_keyboard": [row] * (MAX_INLINE_BUTTONS + 1)})


async def test_orgs_pages_three_hundred_organisations(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _many_organisations(bot, 300)
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    assert listing.text == "300 member organisations. Tap one to manage it."
    labels = [b["text"] for b in buttons(listing)]
    assert len(labels) <= MAX_INLINE_BUTTONS
    assert "ORG000 (0)" in labels
    assert "Page 1 of 8" in labels
    assert "◀" not in labels
    seen = [label for label in labels if label.startswith("ORG")]
    page = listing
    for n in range(2, 9):
        await press(tg, page, button(page, "▶"), COORDINATOR)
        page = await edited(tg, page)
        labels = [b["text"] for b in buttons(page)]
        assert f"Page {n} of 8" in labels
        seen += [label for label in labels if label.startswith("ORG")]
    assert "▶" not in labels
    assert seen == [f"ORG{i:03} (0)" for i in range(300)]  # each once, in a stable order
    await press(tg, tg.carrying(page, "om"), "om", COORDINATOR)  # an older button: page 1
    page = await edited(tg, page)
    assert "Page 1 of 8" in [b["text"] for b in buttons(page)]
    await press(tg, tg.carrying(page, "om:9999"), "om:9999", COORDINATOR)  # forged: clamped
    assert "Page 8 of 8" in [b["text"] for b in buttons(await edited(tg, page))]


async def test_the_broadcast_picker_pages_three_hundred_organisations(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _many_organisations(bot, 300)
    composer = await tg.reply_to(COORDINATOR, "/broadcast")
    composer = await tap(tg, composer, "▫️ Chosen organisations")
    labels = [b["text"] for b in buttons(composer)]
    assert len(labels) <= MAX_INLINE_BUTTONS
    assert "Page 1 of 10" in labels
    assert "▫️ ORG000" in labels
    assert "▫️ ORG030" not in labels
    composer = await tap(tg, composer, "▶")
    composer = await tap(tg, composer, "▶")
    composer = await tap(tg, composer, "▫️ ORG061")  # chosen on page 3: page 3 stays shown
    labels = [b["text"] for b in buttons(composer)]
    assert "✅ ORG061" in labels
    assert "Page 3 of 10" in labels
    composer = await tap(tg, composer, "◀")
    assert "▫️ ORG030" in [b["text"] for b in buttons(composer)]
    await tap(tg, composer, "Next ▶")
    draft = await _services(bot).broadcasts.draft(COORDINATOR_ID)
    assert draft is not None
    assert len(draft.audience.organisation_ids) == 1


async def test_a_group_card_counts_its_raters_among_the_active_organisations(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Baseline")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    red, orange = (b["callback_data"] for b in buttons(card)[:2])
    for person in reps:
        await press(tg, card, red, person)
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert "3 of 3 organisations have rated" in redraw.params["text"]
    services = _services(bot)
    orgs = await services.coalition.organisations(COORDINATOR_ID)
    org = next(o.id for o in orgs if o.short_name == "ORG2")
    await services.coalition.set_active(COORDINATOR_ID, org, False)
    await press(tg, card, orange, reps[1])  # a change: the card is redrawn
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert "2 of 2 organisations have rated" in redraw.params["text"]


async def test_whole_coalition_results_leave_out_groups_without_members(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")
    services = _services(bot)
    groups = {g.slug: g for g in await services.coalition.working_groups()}
    orgs = await services.coalition.organisations(COORDINATOR_ID)
    women = groups["women"]
    await services.coalition.toggle_group(COORDINATOR_ID, orgs[0].id, women.id)
    await open_round(tg, "c2", "Whole cycle")
    for rec_id in await services.assessments.items(1):
        for person in reps:
            await services.assessments.rate(person["id"], 1, rec_id, Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    await tg.send("/results 1", user=COORDINATOR)
    await tg.next_call("sendPhoto", chat_id=COORDINATOR_ID)
    summary = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    lines = summary.params["text"].split("\n")[3:]
    named = [line.split(":")[0] for line in lines]
    assert named == [women.name("en"), groups["land"].name("en")]  # no group without members


async def test_compare_as_a_file_says_why_no_file_comes_when_nothing_changed(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 2, "land")
    services = _services(bot)
    for n in (1, 2):
        await open_round(tg, "c2 land", f"Round {n}")
        for rec_id in await services.assessments.items(n):
            for person in reps:
                await services.assessments.rate(person["id"], n, rec_id, Colour.ORANGE)
        await services.assessments.set_open(COORDINATOR_ID, n, False)
        await services.assessments.publish(COORDINATOR_ID, n)
    await tg.send("/compare 1 2 xlsx", user=COORDINATOR)
    await tg.next_call("sendPhoto", chat_id=COORDINATOR_ID)
    said = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert "No recommendation changed colour between these rounds." in said.params["text"]
    assert "No file: it lists the changes of colour, and there are none." in said.params["text"]
    assert [c for c in tg.calls if c.method == "sendDocument"] == []


async def test_a_reason_typed_just_after_the_close_is_answered_not_searched(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 2, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Baseline")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    await press(tg, card, buttons(card)[1]["callback_data"], reps[0])  # 🟠
    prompt = await tg.next_call("sendMessage", chat_id=reps[0]["id"])
    assert "To add a short reason" in prompt.params["text"]
    await _services(bot).assessments.set_open(COORDINATOR_ID, 1, False)
    answer = await tg.reply_to(reps[0], "Some progress made.")
    assert answer.text == (
        "The round closed before your reason came, so it was not saved. "
        "Ratings can no longer change."
    )
    again = await tg.reply_to(reps[0], "Some progress made.")  # said once: now a search
    assert "round closed" not in again.text


async def test_khmer_rating_cards_and_results_say_the_english_text_is_shown(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = _services(bot)
    [member] = await coalition_with(bot, 1, "land")
    await tg.reply_to(member, "/language km")
    await link_land_group(tg)
    await tg.reply_to(COORDINATOR, "/language km", chat=GROUP)
    await open_round(tg, "c2 118.63", "Baseline")
    rec = next(r for r in services.catalog.recommendations if str(r.number) == "118.63")
    assert rec.khmer is None
    [note] = render.no_khmer_note(services.translations.localizer("km"), rec)
    card = await tg.reply_to(member, "/rate")
    assert note in card.text
    await tg.send("/rate", user=member, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert note in call.params["text"]
    await services.assessments.rate(member["id"], 1, rec.id, Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    seen = len(tg.calls)
    await tg.send("/results 1", user=member)
    await until(
        lambda: _sent_to(tg, member["id"], seen, "ត្រូវបានបង្ហាញជាភាសាអង់គ្លេស"),
        "the results page's note",
    )


async def _sent_to(tg: FakeTelegram, chat_id: int, since: int, text: str) -> bool:
    return any(
        c.method == "sendMessage"
        and str(c.params.get("chat_id")) == str(chat_id)
        and text in c.params["text"]
        for c in tg.calls[since:]
    )


async def test_help_names_the_working_group_option_of_export(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    assert "add themes or a group, as land" in await tg.full_help(COORDINATOR, parts=2)


async def test_strategy_and_the_nudge_give_a_recurring_action_the_same_due_date(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    # Cycle 2's quarters run from its adoption to the next review (30 January 2019), which
    # ends no quarter: the last occurrence is 31 December 2018, not the span's end.
    await linked_land_action(bot, 1, "Quarterly meeting", "every quarter")
    clock.current = pp("2019-01-01")
    await run_sweep(bot)
    await idle(bot)
    nudge = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert "December 31, 2018" in nudge.params["text"], nudge.params["text"]
    listing = await tg.reply_to(COORDINATOR, "/strategy", chat=GROUP)
    assert "December 31, 2018 — Quarterly meeting" in listing.text, listing.text
