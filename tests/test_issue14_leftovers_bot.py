"""The last performance review's leftovers: a working group with nothing in a round is said
before any table is built."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, open_round

HEAVY = ("reasons_cells", "distributions", "group_distributions", "said")


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
    assert calls["reasons_cells"] == 1
