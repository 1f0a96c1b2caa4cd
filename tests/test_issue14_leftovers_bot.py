"""The last performance review's leftovers: a working group with nothing in a round is said
before any table is built; 'C87' (ILO's Convention 87) is a word, not a cycle the catalog
does not have."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from bot.domain import bundled
from bot.domain.importer import parse_file
from bot.domain.membership import NotAllowed
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, MEMBER, FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import coalition_with, open_round

HEAVY = ("tables", "distributions", "group_distributions", "said")


def _counted(services: Services) -> Counter[str]:
    """Count the calls of the repository's table-building reads (each still does its work)."""
    calls: Counter[str] = Counter()
    repository = services.assessments.repository

    def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return await real(*args, **kwargs)

        return counted

    for name in HEAVY:
        setattr(repository, name, wrap(name, getattr(repository, name)))
    return calls


async def test_a_working_group_with_nothing_in_a_round_is_said_before_any_table_is_built(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await coalition_with(bot, 2, "land")  # nobody in the labour group
    await open_round(tg, "c2 labour", "Labour")
    await open_round(tg, "c2 land", "Land")
    calls = _counted(services)
    no_members = (
        "«Labour rights» has no member organisations, so nobody rated for it in «Labour». A "
        "coordinator adds organisations to a working group with /orgs: an organisation, then "
        "[Working groups]."
    )
    for command in ("/export 1 xlsx labour", "/export 1 csv labour", "/results 1 labour"):
        answer = await tg.reply_to(COORDINATOR, command)
        assert answer.text == no_members
    answer = await tg.reply_to(COORDINATOR, "/export 2 xlsx elections")
    assert answer.text == (
        "Nothing to export: none of the recommendations of «Land» is on the list of "
        "«Elections». A coordinator adds recommendations to a working group's list with "
        "/grouprecs."
    )
    answer = await tg.reply_to(COORDINATOR, "/results 2 elections")
    assert answer.text.startswith(
        "«Elections» has no results in «Land»: none of the round's recommendations is on the "
        "working group's list."
    )
    assert not calls  # nothing heavy read for an answer of "nothing"
    # A working group with something still gets its file, built as before.
    await tg.send("/export 2 xlsx land", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    assert doc.params["document"]["filename"] == "round-2-land-en.xlsx"
    assert calls["tables"] == 1
    # The check itself: a list's size (none for a group that is gone), for those who may see.
    land = next(g for g in await services.coalition.working_groups() if g.slug == "land")
    assert (await services.assessments.listed(COORDINATOR_ID, 2, land.id))[1] == 14
    round_, listed = await services.assessments.listed(COORDINATOR_ID, 2, 999)
    assert (round_.id, listed) == (2, 0)
    with pytest.raises(NotAllowed):  # a member, before the round is published
        await services.assessments.listed(MEMBER["id"], 2, land.id)


async def test_c87_is_searched_as_a_word_unless_the_catalog_has_cycle_87(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    [path] = [p for p in bundled.RECOMMENDATION_FILES if "cycle2" in p.name]
    recommendations = parse_file(path).recommendations
    said = " Ratify ILO Conventions C87 and C98."
    await services.catalog_repository.import_recommendations(
        [
            replace(r, text_en=r.text_en + said) if str(r.number) == "118.6" else r
            for r in recommendations
        ],
        services.rules,
        clock.now(),
    )
    assert await services.refresh_catalog()
    for typed in ("C87", "c87", "ILO C87", "C87 សហជីព"):
        answer = await tg.reply_to(MEMBER, typed)
        assert "118.6" in answer.text, typed
        assert "87" not in answer.text.split("118.6")[0].replace(typed, ""), typed
        query_id = await tg.inline(typed, user=MEMBER)
        call = await tg.next_call("answerInlineQuery", inline_query_id=query_id)
        assert call.params["results"][0]["id"] == "2-118.6", typed  # the one naming C87
    # A cycle the catalog has is still a cycle: 'c2 land' is land in cycle 2, 'c3' is known
    # (dated in cycles.csv) though it has no recommendations bundled.
    answer = await tg.reply_to(MEMBER, "c2 land")
    assert answer.text.startswith("🔎 <b>11 recommendations for “land” · Cycle 2</b>")
    answer = await tg.reply_to(MEMBER, "c3 land")
    assert (
        answer.text == "Cycle 3 is not in the bot yet. The bot has: Cycle 1, Cycle 2. See /cycles."
    )


async def test_not_understood_shows_the_words_as_typed_and_suggests_real_words(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    answer = await tg.reply_to(MEMBER, "Relokation <Cedaww>")
    assert "<i>Not understood: “Relokation”, “Cedaww”.</i>" in answer.text
    shown = [b["text"] for b in buttons(answer)]
    # The glossary's prefix 'relocat*' as the texts write it; 'cedaw' as they write it.
    assert {"🔎 relocations", "🔎 CEDAW"} <= set(shown), shown
    assert "🔎 relocat" not in shown
    assert "🔎 reparation" not in shown  # 'reparation*': no text has a word of it
    await press(tg, answer, button(answer, "🔎 relocations"), MEMBER)
    found = await edited(tg, answer)
    assert found.text.startswith("🔎 <b>4 recommendations for “relocations”</b>")
    assert "118.130" in found.text
    answer = await tg.reply_to(MEMBER, "Cedaww")
    await press(tg, answer, button(answer, "🔎 CEDAW"), MEMBER)
    found = await edited(tg, answer)
    assert found.text.startswith("🔎 <b>8 recommendations for “CEDAW”</b>"), found.text
    # Typed words keep their case and apostrophes, escaped for HTML.
    answer = await tg.reply_to(MEMBER, "<Women’s> Rights-Bsaed O’Grabing")
    assert "<i>Not understood: “Rights-Bsaed”, “O’Grabing”. " in answer.text, answer.text
    assert answer.text.startswith("🔎 <b>29 recommendations for “&lt;Women’s&gt; Rights-Bsaed")
