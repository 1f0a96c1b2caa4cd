"""Fixes after the end-to-end review of the strategy, nudges and milestones features (the real
Application against the fake Bot API server, a real SQLite file)."""

from __future__ import annotations

from bot.domain.milestones import Milestone
from bot.domain.strategy import MAX_FIELD, MAX_NOTE, ActionDraft, ActionStatus
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_action_editor_bot import LAND, answer, said, start_adding
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with

OPTIONAL = ("other_mechanisms", "sdg_targets", "indicator", "resources", "partners", "risks")


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
    assert "a" * 200 in card.text and "a" * 300 not in card.text
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
