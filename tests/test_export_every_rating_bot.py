"""The XLSX's first sheet has every rating and reason, also one an organisation gave (through
private /rate) on a recommendation outside its working groups' lists."""

import io

from openpyxl import load_workbook

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID
from tests.fake_telegram import FakeTelegram
from tests.test_rounds_bot import coalition_with, open_round


async def test_a_reason_on_an_out_of_group_recommendation_is_in_the_xlsx(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1, "women")
    services: Services = bot.bot_data["services"]
    await open_round(tg, "c2 land", "Land only")
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    repository = services.assessments.repository
    outside = sorted(
        set(await repository.items(1)) - await repository.group_items(1, groups["women"])
    )[0]
    await services.assessments.rate(member["id"], 1, outside, Colour.RED)
    await services.assessments.set_reason(member["id"], 1, outside, "Evictions go on.")
    await services.assessments.set_open(COORDINATOR_ID, 1, False)

    await tg.send("/export 1 xlsx", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    book = load_workbook(io.BytesIO(doc.params["document"]["content"]))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    number = services.catalog.by_id[outside].number
    [found] = [r for r in rows if r[3] == "ORG0: 🔴 Evictions go on."]
    assert found[0] == "Whole coalition"
    assert str(found[1]).startswith(f"{number} – ")
    assert found[4:8] == [1, 0, 0, 0]
    # The per-group sheets stay each group's own judgement: land's members did not rate it.
    land = book["Land and natural resources"]
    assert "Evictions go on." not in str([[c.value for c in row] for row in land.iter_rows()])
