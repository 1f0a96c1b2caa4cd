"""Each working group's block, results, comparison and cards are that group's own judgement."""

import csv
import io

from openpyxl import load_workbook

from bot.charts import OVERALL_RGB
from bot.domain.assessment import Colour, Overall
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_charts import bars_in
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round

WOMEN_CHAT = {"id": -100600, "type": "supergroup", "title": "Women's rights group"}
RED, ORANGE = "🔴 Red: no progress", "🟠 Orange: some progress"
GREEN, NOT_ENOUGH = "🟢 Green: fully implemented", "… Not enough ratings"
SHORT = "<i>Deploy further efforts in order to prevent and punish…</i>"


async def first_card(tg: FakeTelegram, chat: dict, user: dict) -> StoredMessage:  # type: ignore[type-arg]
    await tg.send("/rate", user=user, chat=chat)
    call = await tg.next_call("sendMessage", chat_id=chat["id"])
    return tg.messages[(chat["id"], call.result["message_id"])]


async def test_two_groups_judge_one_recommendation_differently(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = await coalition_with(bot, 8)
    # ORG0-2 in the land group, ORG3-5 in the women's group, ORG6 in both, ORG7 in none.
    for n, slugs in enumerate([["land"]] * 3 + [["women"]] * 3 + [["land", "women"]]):
        for slug in slugs:
            await services.coalition.toggle_group(COORDINATOR_ID, n + 1, groups[slug])
    rec = next(
        r for r in services.catalog.recommendations if r.cycle == 2 and str(r.number) == "118.63"
    )
    await link_land_group(tg)
    chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=WOMEN_CHAT)
    await press(tg, chooser, button(chooser, "Gender and women's rights"), COORDINATOR)
    await edited(tg, chooser)

    await open_round(tg, "c2 118.63", "Mid-term")
    land_card = await first_card(tg, GROUP, reps[0])
    women_card = await first_card(tg, WOMEN_CHAT, reps[3])
    for n, colour in enumerate([Colour.RED] * 3 + [Colour.ORANGE] * 4):
        await services.assessments.rate(reps[n]["id"], 1, rec.id, colour)
    await services.assessments.set_reason(reps[0]["id"], 1, rec.id, "No law yet.")
    await services.assessments.set_reason(reps[3]["id"], 1, rec.id, "Some steps.")

    # Cards in a group's chat count that group's organisations; in private, the coalition's.
    await flush(bot)
    await edited(tg, land_card)
    await edited(tg, women_card)
    assert land_card.text.endswith(
        "4 of 4 organisations have rated (colours shown when the results are published)"
    )
    assert women_card.text.endswith(
        "4 of 4 organisations have rated (colours shown when the results are published)"
    )
    private = await tg.reply_to(reps[7], "/rate")
    # No herding: this organisation has not rated it yet. A round on numbers is not for the
    # organisation in no group (only a whole cycle is): M counts the groups' 7.
    assert private.text.endswith(
        "7 of 7 organisations have rated (colours shown when the results are published)"
    )
    # A rating from an organisation in neither group changes neither group's card: no edit.
    await services.assessments.rate(reps[7]["id"], 1, rec.id, Colour.UNKNOWN)
    await flush(bot)
    assert [c for c in tg.calls if c.method == "editMessageText" and not c.consumed] == []

    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)

    # The exported table, cell by cell, as XLSX and as CSV.
    text = f"118.63 – {rec.text_en} (Italy)"
    expected_land = [
        "Land and natural resources",
        text,
        RED,
        "ORG0: 🔴 No law yet.; ORG1: 🔴; ORG2: 🔴; ORG6: 🟠",
        "3",
        "1",
        "0",
        "0",
        ORANGE,
    ]
    expected_women = [
        "Gender and women's rights",
        text,
        ORANGE,
        "ORG3: 🟠 Some steps.; ORG4: 🟠; ORG5: 🟠; ORG6: 🟠",
        "0",
        "4",
        "0",
        "0",
        ORANGE,
    ]
    expected_children = ["Rights of the child", text, NOT_ENOUGH, "", "0", "0", "0", "0", ORANGE]
    await tg.send("/export 1 csv", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    table = list(csv.reader(io.StringIO(doc.params["document"]["content"].decode("utf-8-sig"))))
    assert table[0][-1] == "Whole coalition"
    everyone = [  # the whole coalition's block first: every rating and reason
        "Whole coalition",
        text,
        ORANGE,
        "ORG0: 🔴 No law yet.; ORG1: 🔴; ORG2: 🔴; ORG3: 🟠 Some steps.; ORG4: 🟠; ORG5: 🟠; "
        "ORG6: 🟠; ORG7: ❔",
        "3",
        "4",
        "0",
        "1",
        ORANGE,
    ]
    assert table[1:] == [everyone, expected_women, expected_children, expected_land]
    await tg.send("/export 1 xlsx", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    cells = [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]
    assert [[str(value) for value in row] for row in cells] == table
    assert sheet.title == "Mid-term"
    assert cells[2][4:8] == [0, 4, 0, 0]  # counts are numbers: SUM works
    # Blocks by theme keep the coalition-wide colour and counts.
    await tg.send("/export 1 csv themes", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    by_theme = list(csv.reader(io.StringIO(doc.params["document"]["content"].decode("utf-8-sig"))))
    assert by_theme[0][-1] == "❔"
    land_theme = next(r for r in by_theme if r[0] == "Land and natural resources")
    assert land_theme[2:] == [
        ORANGE,
        "ORG0: 🔴 No law yet.; ORG1: 🔴; ORG2: 🔴; ORG3: 🟠 Some steps.; ORG4: 🟠; ORG5: 🟠; "
        "ORG6: 🟠; ORG7: ❔",
        "3",
        "4",
        "0",
        "1",
    ]

    # /results: in a group's chat that group's, in private by name, else the coalition's.
    summary = await tg.reply_to(reps[0], "/results 1", chat=GROUP)
    assert summary.text.startswith(
        "<b>Mid-term</b>\n4 of 4 organisations of «Land and natural resources» took part."
    )
    page = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert page.params["text"] == (
        f"Page 1 of 1\n\n<b>118.63</b> {RED}\n{SHORT}\n🔴 3 · 🟠 1 · 🟢 0 · ❔ 0\n"
        f"Whole coalition: {ORANGE}\n🔴 No law yet."
    )
    await tg.reply_to(reps[3], "/results 1 women")
    page = await tg.next_call("sendMessage", chat_id=reps[3]["id"])
    assert page.params["text"].startswith(
        f"Page 1 of 1\n\n<b>118.63</b> {ORANGE}\n{SHORT}\n🔴 0 · 🟠 4 · 🟢 0 · ❔ 0\n"
        "Whole coalition: "
    )
    women = await tg.next_call("sendPhoto", chat_id=reps[3]["id"])  # one group's: by theme
    assert women.params["caption"] == "Mid-term"
    await tg.reply_to(reps[3], "/results 1")
    page = await tg.next_call("sendMessage", chat_id=reps[3]["id"])
    assert page.params["text"].startswith(
        f"Page 1 of 1\n\n<b>118.63</b> {ORANGE}\n{SHORT}\n🔴 3 · 🟠 4 · 🟢 0 · ❔ 1\n"
        "🔴 No law yet."
    )
    # The whole coalition's picture has a bar per working group, each group's own judgement:
    # gender 🟠 (4 of its organisations), the children's group (no members) not enough, land 🔴.
    photo = await tg.next_call("sendPhoto", chat_id=reps[3]["id"])
    assert bars_in(tg.photos[(reps[3]["id"], photo.result["message_id"])]) == [
        {OVERALL_RGB[Overall.ORANGE]: 1.0},
        {OVERALL_RGB[Overall.NOT_ENOUGH]: 1.0},
        {OVERALL_RGB[Overall.RED]: 1.0},
    ]

    # /compare: the land group progressed, the women's group did not, the coalition did.
    await open_round(tg, "c2 118.63", "Final")
    for n, colour in enumerate([Colour.GREEN] * 3 + [Colour.ORANGE] * 3 + [Colour.GREEN]):
        await services.assessments.rate(reps[n]["id"], 2, rec.id, colour)
    await services.assessments.set_open(COORDINATOR_ID, 2, False)
    await services.assessments.publish(COORDINATOR_ID, 2)
    land = await tg.reply_to(reps[0], "/compare 1 2", chat=GROUP)
    assert land.text.startswith(
        "<b>Land and natural resources</b>\n<b>⬆ 1 progressed · ⬇ 0 regressed · = 0 stayed</b>\n\n"
    )
    assert "⬆ 118.63: 🔴 → 🟢" in land.text
    women = await tg.reply_to(reps[3], "/compare 1 2", chat=WOMEN_CHAT)
    assert women.text == (
        "<b>Gender and women's rights</b>\n"
        "<b>No recommendation changed colour between these rounds.</b>"
    )
    coalition = await tg.reply_to(reps[3], "/compare 1 2")
    assert "⬆ 118.63: 🟠 → 🟢" in coalition.text
    named = await tg.reply_to(reps[3], "/compare 1 2 women")
    assert named.text == women.text
