"""Fixes after the end-to-end review of the strategy, nudges and milestones features (the real
Application against the fake Bot API server, a real SQLite file)."""

from __future__ import annotations

import pytest

from bot.domain.action_flow import Choice, Step
from bot.domain.milestones import BadMilestoneDate, Milestone
from bot.domain.nudges import Answer, Purpose
from bot.domain.strategy import MAX_FIELD, MAX_NOTE, ActionDraft, ActionStatus, BadAction
from bot.services import Services
from handlers.callbacks import MilestoneButton
from handlers.common import BotApplication
from handlers.strategy import card_text
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock, until
from tests.fake_telegram import FakeTelegram
from tests.test_action_editor_bot import LAND, answer, asked, said, start_adding
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with
from tests.test_strategy import BOSS, draft, setup

__all__ = ["setup"]  # the fixture, used by name

OPTIONAL = ("other_mechanisms", "sdg_targets", "indicator", "resources", "partners", "risks")


async def remembered(services: Services, prompt_id: int) -> None:
    """Wait until the bot has remembered a milestone prompt it sent (it does so just after
    sending it, while the next update may already be handled)."""
    repository = services.milestones.repository
    await until(
        lambda: repository.prompt(COORDINATOR_ID, COORDINATOR_ID, prompt_id, services.clock.now()),
        "remembering the prompt",
    )


async def test_a_blank_milestone_reply_is_refused_and_the_question_stays(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1, "land")
    before = (await services.milestones.table()).of(2).date(Milestone.MID_TERM)
    assert before is not None
    shown = await tg.reply_to(COORDINATOR, "/milestones")
    await press(tg, shown, button(shown, "Cycle 2"), COORDINATOR)
    chooser = await edited(tg, shown)
    await press(tg, chooser, button(chooser, "Mid-term"), COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    await remembered(services, prompt.message_id)
    for blank in ("   ", "\u200b \ufeff"):
        refused = await tg.reply_to(COORDINATOR, blank, reply_to=prompt.message_id)
        assert refused.text.startswith("Write a date like 2027-06-30"), refused.text
        assert "Project-Id-Version" not in refused.text
        assert (await services.milestones.table()).of(2).date(Milestone.MID_TERM) == before
    done = await tg.reply_to(COORDINATOR, "2027-06-30", reply_to=prompt.message_id)
    assert done.text.startswith("Cycle 2, Mid-term: June 30, 2027."), done.text


def test_an_empty_message_id_never_translates_to_the_catalog_header(
    services: Services,
) -> None:
    for language in ("en", "km"):
        assert services.translations.localizer(language).gettext("") == ""


async def test_an_action_with_every_field_at_its_longest_still_shows_and_saves(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [rep] = await coalition_with(bot, 1, "land")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(rep["id"])
    assert owner is not None
    longest = {name: letter * MAX_FIELD for name, letter in zip(OPTIONAL, "abcdef", strict=True)}
    draft = ActionDraft(
        land,
        2,
        "118.6",
        activity="z" * MAX_FIELD,
        timeframe="31 March 2027",
        organisation_ids=(owner.id,),
        **longest,
    )
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    for n in range(7):
        await services.strategies.set_status(
            COORDINATOR_ID, action.id, ActionStatus.IN_PROGRESS, str(n) * MAX_NOTE
        )
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)  # the fake Bot API refuses texts over 4096 characters
    assert "a" * 200 in card.text
    assert "a" * 300 not in card.text
    await press(tg, card, button(card, "📄 Full text"), COORDINATOR)
    sent = await tg.next_call("sendDocument", chat_id=COORDINATOR_ID)
    assert sent.error is None, sent.error
    _, content = tg.documents[(COORDINATOR_ID, sent.result["message_id"])]
    text = content.decode()
    assert all(letter * MAX_FIELD in text for letter in "abcdefz")
    assert all(str(n) * MAX_NOTE in text for n in range(7))


async def test_the_new_actions_summary_fits_with_every_field_at_its_longest(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 1, "land")
    await start_adding(tg)
    await answer(tg, "118.6")
    await answer(tg, "z" * MAX_FIELD)
    await answer(tg, "31 March 2027")  # how the timeframe was read
    organisations = await said(tg, COORDINATOR_ID)
    await press(tg, organisations, button(organisations, "✔ Done"), COORDINATOR)
    await said(tg, COORDINATOR_ID)
    for letter in "abcde":
        await answer(tg, letter * MAX_FIELD)
    summary = await answer(tg, "f" * MAX_FIELD)  # the fake Bot API refuses over 4096
    assert "➕ The new action, to save:" in summary.text
    await press(tg, summary, button(summary, "💾 Save"), COORDINATOR)
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    [saved] = (await services.strategies.for_group(land)).actions
    assert saved.fields.risks == "f" * MAX_FIELD


async def _land_action(bot: BotApplication) -> tuple[Services, int]:
    """The services and a new land action (one responsible organisation)."""
    services: Services = bot.bot_data["services"]
    [rep] = await coalition_with(bot, 1, "land")
    land = next(g.id for g in await services.coalition.working_groups() if g.slug == "land")
    owner = await services.coalition.own_organisation(rep["id"])
    assert owner is not None
    draft = ActionDraft(
        land,
        2,
        "118.6",
        activity="Radio show",
        timeframe="31 March 2027",
        organisation_ids=(owner.id,),
    )
    action = await services.strategies.add(COORDINATOR_ID, draft, services.catalog)
    return services, action.id


async def test_notes_and_reschedules_are_added_to_the_history_never_replaced(
    bot: BotApplication, clock: FakeClock
) -> None:
    services, action_id = await _land_action(bot)
    strategies, nudges = services.strategies, services.nudges
    await nudges.answer(COORDINATOR_ID, action_id, Answer.BLOCKED)
    await strategies.add_note(COORDINATOR_ID, action_id, "No budget")  # joins its answer
    await strategies.add_note(COORDINATOR_ID, action_id, "Asked the donor")
    await strategies.reschedule(COORDINATOR_ID, action_id, "30 June 2027")
    await strategies.add_note(COORDINATOR_ID, action_id, "Moved for the donor")
    clock.advance(days=3)
    await nudges.answer(COORDINATOR_ID, action_id, Answer.BLOCKED)  # the same answer again
    await strategies.add_note(COORDINATOR_ID, action_id, "Still no budget")
    history = (await strategies.action(action_id)).history
    assert [c.note for c in history] == [
        "No budget",
        "Asked the donor",
        "📅 31 March 2027 → 30 June 2027",
        "Moved for the donor",
        "Still no budget",
    ]


async def test_a_blank_note_is_refused_and_its_prompt_stays(bot: BotApplication) -> None:
    services, action_id = await _land_action(bot)
    await services.nudges.answer(COORDINATOR_ID, action_id, Answer.BLOCKED)
    await services.strategies.add_note(COORDINATOR_ID, action_id, "No budget")
    await services.nudges.prompted(COORDINATOR_ID, COORDINATOR_ID, 5000, action_id, Purpose.NOTE)
    for blank in ("  \x00 ", "\u200b", "\ufeff\u200c "):
        replied = await services.nudges.reply(COORDINATOR_ID, COORDINATOR_ID, 5000, blank)
        assert replied is not None
        assert replied.problem == "The note is empty: write a few words."
    replied = await services.nudges.reply(COORDINATOR_ID, COORDINATOR_ID, 5000, "Donor met")
    assert replied is not None
    assert replied.problem is None
    notes = [c.note for c in (await services.strategies.action(action_id)).history]
    assert notes[-2:] == ["No budget", "Donor met"]


async def test_two_coordinators_editing_the_organisations_at_once_both_keep_their_change(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, other = setup
    strategies, catalog = services.strategies, services.catalog
    second = 7
    await services.coalition.repository.seed_coordinators([second], "en")
    action = await strategies.add(BOSS, draft(group, org, timeframe="31 March 2027"), catalog)
    assert action.fields.organisation_ids == (org,)
    first = await strategies.start_editing(BOSS, BOSS, action.id, Step.ORGANISATIONS, catalog)
    later = await strategies.start_editing(second, second, action.id, Step.ORGANISATIONS, catalog)
    assert first.draft is not None
    assert later.draft is not None
    # The first adds the other organisation; the second, at the same time, takes off `org`.
    await strategies.press_step(BOSS, first.draft.id, Choice.ORGANISATION, other, catalog)
    await strategies.press_step(second, later.draft.id, Choice.ORGANISATION, org, catalog)
    await strategies.press_step(BOSS, first.draft.id, Choice.DONE, None, catalog)
    await strategies.press_step(second, later.draft.id, Choice.DONE, None, catalog)
    assert (await strategies.action(action.id)).fields.organisation_ids == (other,)


async def test_a_status_button_on_a_card_draws_the_card_again(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services, action_id = await _land_action(bot)
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)
    assert "<b>Status:</b> ⚪ not started" in card.text
    await press(tg, card, button(card, "⛔ Blocked"), COORDINATOR)
    redrawn = await edited(tg, card)
    assert "<b>Status:</b> ⛔ blocked" in redrawn.text
    assert "<b>History</b>" in redrawn.text
    assert "—" not in redrawn.text.split("<b>History</b>")[1]  # no nudge-style answer line
    labels = [b["text"] for row in redrawn.reply_markup["inline_keyboard"] for b in row]
    assert labels == [
        "✅ Done",
        "⏳ In progress",
        "⛔ Blocked",
        "📅 New date",
        "✏️ Edit",
        "◀ All actions",
    ]
    prompt = await said(tg, COORDINATOR_ID)
    assert prompt.text.startswith("Recorded. To add a short note")
    assert (await services.strategies.action(action_id)).status is ActionStatus.BLOCKED


async def test_an_edit_takes_only_a_reply_so_a_search_meanwhile_changes_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services, action_id = await _land_action(bot)
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)
    await press(tg, card, button(card, "✏️ Edit"), COORDINATOR)
    fields = await edited(tg, card)
    await press(tg, fields, button(fields, "Indicator"), COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    await asked(services, prompt.message_id)
    assert "Send it as a reply to this message" in prompt.text
    looked_up = await answer(tg, "118.6")  # meant as a search, a minute after the prompt
    assert looked_up.text.startswith("<b>118.6</b>")
    assert (await services.strategies.action(action_id)).fields.indicator == ""
    await tg.send("Two shows aired", user=COORDINATOR, reply_to=prompt.message_id)
    assert (await said(tg, COORDINATOR_ID)).text == "✅ Indicator changed."
    assert (await services.strategies.action(action_id)).fields.indicator == "Two shows aired"


async def test_a_range_whose_end_the_cycle_lacks_is_refused_naming_it(
    services: Services, setup: tuple[int, int, int]
) -> None:
    group, org, _ = setup
    strategies, catalog = services.strategies, services.catalog
    for typed, named in (("118.6-118.9999", "118.9999"), ("118.6, 118.0-118.7", "118.0")):
        with pytest.raises(BadAction) as refused:
            await strategies.add(BOSS, draft(group, org, recommendations=typed), catalog)
        assert refused.value.message.startswith("Cycle {cycle} has no recommendation {numbers}:")
        assert refused.value.values == {"cycle": "2", "numbers": named}
    action = await strategies.add(BOSS, draft(group, org, recommendations="118.6-118.8"), catalog)
    assert len(action.fields.recommendation_ids) == 3


async def test_an_optional_field_is_cleared_with_a_button_and_a_blank_answer_names_it(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services, action_id = await _land_action(bot)
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)
    await press(tg, card, button(card, "✏️ Edit"), COORDINATOR)
    fields = await edited(tg, card)
    await press(tg, fields, button(fields, "Indicator"), COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    assert [b["text"] for b in prompt.reply_markup["inline_keyboard"][0]] == ["✖ Cancel"]
    await asked(services, prompt.message_id)
    await tg.send("Two shows aired", user=COORDINATOR, reply_to=prompt.message_id)
    await said(tg, COORDINATOR_ID)  # ✅ Indicator changed.
    await said(tg, COORDINATOR_ID)  # the card, redrawn
    await press(tg, fields, button(fields, "Indicator"), COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    await asked(services, prompt.message_id)
    for blank in ("   ", "\u200b", "\ufeff\u200d"):
        await tg.send(blank, user=COORDINATOR, reply_to=prompt.message_id)
        refused = await said(tg, COORDINATOR_ID)
        assert refused.text.startswith("This is empty: write the new text, or tap 🗑 Clear")
    assert (await services.strategies.action(action_id)).fields.indicator == "Two shows aired"
    await press(tg, prompt, button(prompt, "🗑 Clear"), COORDINATOR)
    await edited(tg, prompt)  # its buttons go
    assert (await said(tg, COORDINATOR_ID)).text == "✅ Indicator changed."
    assert (await services.strategies.action(action_id)).fields.indicator == ""


async def test_a_prompt_in_a_group_gives_the_reply_box_only_to_who_tapped(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await coalition_with(bot, 1, "land")
    shown = await tg.reply_to(COORDINATOR, "/milestones", chat=GROUP)
    await press(tg, shown, button(shown, "Cycle 2"), COORDINATOR)
    chooser = await edited(tg, shown)
    await press(tg, chooser, button(chooser, "Mid-term"), COORDINATOR)
    prompt = await said(tg, GROUP["id"])
    assert prompt.reply_markup["force_reply"] is True
    assert prompt.reply_markup["selective"] is True
    assert prompt.text.startswith(f'<a href="tg://user?id={COORDINATOR_ID}">')
    private = await tg.reply_to(COORDINATOR, "/milestones")
    await press(tg, private, button(private, "Cycle 2"), COORDINATOR)
    listed = await edited(tg, private)
    await press(tg, listed, button(listed, "Mid-term"), COORDINATOR)
    alone = await said(tg, COORDINATOR_ID)
    assert "selective" not in alone.reply_markup
    assert alone.text.startswith("Cycle 2, Mid-term")


async def test_khmer_cards_use_the_khmer_colon_and_a_single_day_reads_due(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services, action_id = await _land_action(bot)
    action = await services.strategies.action(action_id)
    organisations = {o.id: o for o in await services.strategies.organisations()}
    for language, label, due in (
        ("en", "<b>Timeframe:</b> 31 March 2027 (due March 31, 2027)", "to"),
        ("km", "<b>ពេលវេលាកំណត់៖</b> 31 March 2027 (ផុតកំណត់", "ដល់"),
    ):
        l10n = services.translations.localizer(language)
        text = card_text(l10n, action, None, organisations, ["118.6"])
        assert label in text, text
        assert f" {due} " not in text
    assert "៖</b>" not in card_text(
        services.translations.localizer("en"), action, None, organisations, ["118.6"]
    )


async def test_a_forged_cycle_button_is_refused_and_asks_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    shown = await tg.reply_to(COORDINATOR, "/milestones")
    forged = MilestoneButton(99, Milestone.MID_TERM).pack()
    refused = await press(tg, tg.carrying(shown, forged), forged, COORDINATOR)
    assert refused == "There is no such cycle."
    assert 99 not in (await services.milestones.table()).cycles
    with pytest.raises(BadMilestoneDate):
        await services.strategies.ask_milestone(
            COORDINATOR_ID, COORDINATOR_ID, 1, 99, Milestone.MID_TERM
        )


async def test_the_new_date_question_gives_examples_still_to_come(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services, action_id = await _land_action(bot)
    chooser = await answer(tg, "/strategy")
    await press(tg, chooser, button(chooser, LAND), COORDINATOR)
    listing = await edited(tg, chooser)
    await press(tg, listing, button(listing, "1"), COORDINATOR)
    card = await edited(tg, listing)
    await press(tg, card, button(card, "📅 New date"), COORDINATOR)
    prompt = await said(tg, COORDINATOR_ID)
    assert clock.now().year == 2026
    assert "like December 31, 2026 or Q2 2027:" in prompt.text, prompt.text
    await tg.send("December 31, 2026", user=COORDINATOR, reply_to=prompt.message_id)
    await said(tg, COORDINATOR_ID)
    action = await services.strategies.action(action_id)
    assert action.fields.timeframe.original == "December 31, 2026"
