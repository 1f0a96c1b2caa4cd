"""Traffic-light rounds end to end: several organisations rate in group and private chats."""

import asyncio
import csv
import io

import pytest
from openpyxl import load_workbook

from bot.charts import OVERALL_RGB
from bot.domain.assessment import Colour, Overall
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.round_panel import confirmed, round_panel
from tests.test_charts import bars_in
from tests.test_lookup_bot import button, buttons, edited, press

GUEST = {"id": 999, "is_bot": False, "first_name": "Guest", "language_code": "en"}


def rep(n: int, language: str = "en") -> dict:  # type: ignore[type-arg]
    return {"id": 2000 + n, "is_bot": False, "first_name": f"Rep{n}", "language_code": language}


async def coalition_with(bot: BotApplication, count: int, group: str = "") -> list[dict]:  # type: ignore[type-arg]
    """`count` organisations with one representative each (members of the working group with
    this slug, if given), set up through the services."""
    services: Services = bot.bot_data["services"]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = []
    for n in range(count):
        invite = await services.coalition.add_organisation(COORDINATOR_ID, f"ORG{n}", f"Org {n}")
        if group:
            await services.coalition.toggle_group(
                COORDINATOR_ID, invite.organisation.id, groups[group]
            )
        person = rep(n)
        await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        reps.append(person)
    return reps


async def link_land_group(tg: FakeTelegram) -> None:
    chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=GROUP)
    await press(tg, chooser, button(chooser, "Land and natural resources"), COORDINATOR)
    await edited(tg, chooser)


async def open_round(tg: FakeTelegram, scope: str, name: str) -> StoredMessage:
    """/openround, then [Open] under what it understood: the message saying it is open."""
    preview = await tg.reply_to(COORDINATOR, f"/openround {scope} : {name}")
    assert await press(tg, preview, button(preview, "Open"), COORDINATOR) == ""
    return await edited(tg, preview)


async def flush(bot: BotApplication) -> None:
    """Run the round jobs as the job queue would: close what is due, then redraw cards."""
    for name in ("close-due-rounds", "flush-rating-cards"):
        [job] = bot.job_queue.get_jobs_by_name(name)  # type: ignore[union-attr]
        await job.run(bot)


async def test_a_whole_round_from_group_cards_to_the_exported_table(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")
    await link_land_group(tg)
    opened = await open_round(tg, "c2 land", "Mid-term review 2026")
    assert opened.text.startswith("Round 1 «Mid-term review 2026» is open: 14 recommendations")

    await tg.send("/rate", user=reps[0], chat=GROUP)
    cards = []
    for _ in range(5):
        call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        cards.append(tg.messages[(GROUP["id"], call.result["message_id"])])
    more = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert more.params["text"] == "9 more recommendations: send /rate again when you are ready."
    first = cards[0]
    services: Services = bot.bot_data["services"]
    rec = next(
        r for r in services.catalog.recommendations if r.cycle == 2 and str(r.number) == "118.63"
    )
    assert first.text.startswith(
        "<b>118.63</b> · Cycle 2 · Mid-term review 2026\nDeploy further efforts"
    )
    assert first.text.endswith(
        "0 of 3 organisations have rated (colours shown when the results are published)"
    )
    red, orange, green, _unknown = (b["callback_data"] for b in buttons(first)[:4])

    assert await press(tg, first, red, reps[0]) == "ORG0 rated it 🔴."
    prompt = await tg.next_call("sendMessage", chat_id=reps[0]["id"])
    assert prompt.error is None
    assert prompt.params["text"].startswith("ORG0 rated 118.63 🔴. To add a short reason")
    assert prompt.params["reply_markup"]["force_reply"] is True
    assert await press(tg, first, orange, reps[1]) == "ORG1 rated it 🟠."
    await tg.next_call("sendMessage", chat_id=reps[1]["id"])
    assert await press(tg, first, orange, reps[2]) == "ORG2 rated it 🟠."
    await tg.next_call("sendMessage", chat_id=reps[2]["id"])
    # A double tap changes nothing and asks for no second reason.
    assert await press(tg, first, red, reps[0]) == "ORG0 rated it 🔴."
    # Guests cannot rate.
    assert (await press(tg, tg.carrying(first, green), green, GUEST)).startswith(
        "Only representatives"
    )

    # The reason, as a reply to the private prompt.
    await tg.send(
        "No law yet.",
        user=reps[0],
        reply_to=prompt.result["message_id"],
    )
    saved = await tg.next_call("sendMessage", chat_id=reps[0]["id"])
    assert saved.params["text"] == "Reason saved. You can change it by replying again."

    # Counts are redrawn in one batch: one edit for the card, whatever the number of taps.
    await flush(bot)
    redraw = await tg.next_call(
        "editMessageText", chat_id=GROUP["id"], message_id=first.message_id
    )
    assert redraw.params["text"].endswith(
        "3 of 3 organisations have rated (colours shown when the results are published)"
    )
    await flush(bot)
    assert [c for c in tg.calls if c.method == "editMessageText" and not c.consumed] == []

    # While open, members see participation only.
    reply = await tg.reply_to(reps[1], "/results 1")
    assert reply.text.startswith("This round is still open: results are shown once")
    assert "3 of 3 organisations" in reply.text

    # The coordinator closes the round: ratings freeze.
    panel = await round_panel(tg, 1)
    _, panel = await confirmed(tg, panel, "Close", "Yes, close")
    assert await press(tg, first, green, reps[1]) == (
        "This round is closed: ratings can no longer change."
    )
    reply = await tg.reply_to(reps[1], "/results 1")
    assert reply.text == "Results are shown to members once coordinators publish a closed round."

    # 13 of 14 recommendations have "not enough ratings": publishing asks twice.
    await confirmed(tg, panel, "Publish", "Publish anyway")
    summary = await tg.reply_to(reps[1], "/results 1")
    assert summary.text.startswith("<b>Mid-term review 2026</b>\n3 of 3 organisations took part.")
    assert "\nLand and natural resources: 🟠 1 · not enough 13" in summary.text
    # Before the summary, the picture: a bar per theme (one working group), 🟠 1 of 14 for land.
    photo = await tg.next_call("sendPhoto", chat_id=reps[1]["id"])
    assert photo.params["caption"] == "Mid-term review 2026"
    assert photo.result["message_id"] < summary.message_id
    bars = bars_in(tg.photos[(reps[1]["id"], photo.result["message_id"])])
    land = {OVERALL_RGB[Overall.ORANGE]: 1 / 14, OVERALL_RGB[Overall.NOT_ENOUGH]: 13 / 14}
    assert any(bar == pytest.approx(land, abs=0.01) for bar in bars)
    page = await tg.next_call("sendMessage", chat_id=reps[1]["id"])
    member_view = tg.messages[(reps[1]["id"], page.result["message_id"])]
    assert member_view.text.startswith(
        "Page 1 of 2\n\n<b>118.63</b> 🟠 Orange: some progress\n"
        "<i>Deploy further efforts in order to prevent and punish…</i>\n"
        "🔴 1 · 🟠 2 · 🟢 0 · ❔ 0\n🔴 No law yet."
    )
    assert "ORG0" not in member_view.text
    await press(tg, member_view, button(member_view, "▶"), reps[1])
    second = await edited(tg, member_view)
    assert second.text.startswith("Page 2 of 2")
    await tg.reply_to(COORDINATOR, "/results 1")
    page = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert "ORG0: 🔴 No law yet.; ORG1: 🟠; ORG2: 🟠" in page.params["text"]
    # In a group chat even a coordinator's results name nobody.
    await tg.reply_to(COORDINATOR, "/results 1", chat=GROUP)
    page = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert "🔴 No law yet." in page.params["text"]
    assert "ORG0" not in page.params["text"]

    # The exported table, cell by cell.
    await tg.send("/export 1 xlsx", user=reps[1])
    doc = await tg.next_call("sendDocument", chat_id=reps[1]["id"])
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "Working group",
        "Recommendation (number – text (State))",
        "Colour",
        "Reason(s)",
        "🔴",
        "🟠",
        "🟢",
        "❔",
        "Whole coalition",
    ]
    land = [r for r in rows[1:] if r[0] == "Land and natural resources"]
    assert len(land) == 14  # the table per working group: every land recommendation of the round
    assert land[0] == [
        "Land and natural resources",
        f"118.63 – {rec.text_en} (Italy)",
        "🟠 Orange: some progress",
        "🔴 No law yet.",
        1,
        2,
        0,
        0,
        "🟠 Orange: some progress",
    ]
    assert land[1][2:] == [
        "… Not enough ratings",
        None,
        0,
        0,
        0,
        0,
        "… Not enough ratings",
    ]
    # 118.63 is also about women and children: it appears in those groups' tables too.
    assert {r[0] for r in rows[1:] if r[1].startswith("118.63 ")} == {
        "Whole coalition",
        "Gender and women's rights",
        "Rights of the child",
        "Land and natural resources",
    }

    # By theme instead of by working group.
    await tg.send("/export 1 xlsx themes", user=reps[1])
    doc = await tg.next_call("sendDocument", chat_id=reps[1]["id"])
    assert doc.params["document"]["filename"] == "round-1-themes-en.xlsx"
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    by_theme = [[c.value for c in row] for row in sheet.iter_rows()]
    assert by_theme[0][0] == "Theme"
    assert ["Land and natural resources", f"118.63 – {rec.text_en} (Italy)"] in [
        r[:2] for r in by_theme[1:]
    ]

    # In Khmer, as CSV.
    choice = await tg.reply_to(reps[2], "/language")
    await press(tg, choice, button(choice, "ខ្មែរ"), reps[2])
    await tg.next_call("sendMessage", chat_id=reps[2]["id"])
    await tg.send("/export 1 csv", user=reps[2])
    doc = await tg.next_call("sendDocument", chat_id=reps[2]["id"])
    assert doc.params["document"]["filename"] == "round-1-km.csv"
    table = list(csv.reader(io.StringIO(doc.params["document"]["content"].decode("utf-8-sig"))))
    assert table[0][:4] == ["ក្រុមការងារ", "អនុសាសន៍ (លេខ – អត្ថបទ (ប្រទេស))", "ពណ៌", "ហេតុផល"]
    land_km = [r for r in table[1:] if r[0] == "ដីធ្លី និងធនធានធម្មជាតិ"]
    assert land_km[0][1].startswith("118.63 – Deploy further efforts")  # no Khmer text yet
    assert land_km[0][1].endswith("(អ៊ីតាលី)")
    assert land_km[0][2:] == [
        "🟠 ពណ៌ទឹកក្រូច៖ មានវឌ្ឍនភាពខ្លះ",
        "🔴 No law yet.",
        "1",
        "2",
        "0",
        "0",
        "🟠 ពណ៌ទឹកក្រូច៖ មានវឌ្ឍនភាពខ្លះ",
    ]

    # The lookup card shows the latest published colour.
    card = await tg.reply_to(reps[1], "118.63")
    assert "Latest assessment (Mid-term review 2026): 🟠 some progress — 🔴 1 · 🟠 2" in (
        card.text
    )


async def test_private_rating_skip_and_change(tg: FakeTelegram, bot: BotApplication) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Quick check")
    card = await tg.reply_to(member, "/rate")
    assert card.text.startswith("<b>118.1</b> · Cycle 2 · Quick check")
    await press(tg, card, button(card, "⏭"), member)
    card = tg.messages[
        (
            member["id"],
            (await tg.next_call("sendMessage", chat_id=member["id"])).result["message_id"],
        )
    ]
    assert card.text.startswith("<b>118.2</b>")
    await press(tg, card, button(card, "🟢"), member)
    updated = await edited(tg, card)
    assert updated.text.endswith("Your organisation's rating: 🟢")
    # The reason is asked for at once; ⏭ Next goes on without one.
    asked = await tg.next_call("sendMessage", chat_id=member["id"])
    assert asked.params["text"] == (
        "ORG0 rated 118.2 🟢. Type a short reason now (e.g. “Law drafted, still in "
        "consultation”), or tap ⏭ Next."
    )
    asked_message = tg.messages[(member["id"], asked.result["message_id"])]
    await press(tg, asked_message, button(asked_message, "⏭ Next"), member)
    nxt = await tg.next_call("sendMessage", chat_id=member["id"])
    assert nxt.params["text"].startswith("<b>118.3</b>")
    # Change the rating: history keeps both; the prompt says the new colour.
    await press(tg, updated, button(updated, "🔴"), member)
    updated = await edited(tg, updated)
    asked = await tg.next_call("sendMessage", chat_id=member["id"])
    assert asked.params["text"].startswith("ORG0 rated 118.2 🔴. Type a short reason now")
    # ✍ asks for the reason; the reply is stored with the rating.
    await press(tg, updated, button(updated, "✍"), member)
    prompt = await tg.next_call("sendMessage", chat_id=member["id"])
    assert prompt.params["text"].startswith("ORG0 rated 118.2 🔴.")
    await tg.send(
        "Draft law withdrawn.",
        user=member,
        reply_to=prompt.result["message_id"],
    )
    saved = await tg.next_call("sendMessage", chat_id=member["id"])
    assert saved.params["text"].startswith("Reason saved.")
    # A reply to any other message is an ordinary lookup.
    await tg.send(
        "118.6",
        user=member,
        reply_to=nxt.result["message_id"],
    )
    lookup = await tg.next_call("sendMessage", chat_id=member["id"])
    assert lookup.params["text"].startswith("<b>118.6</b> · Cycle 2")
    mine = await tg.reply_to(member, "/myratings")
    assert mine.text == (
        "<b>Ratings of ORG0 in «Quick check»</b>\nTap a number to change its colour, or to "
        "change (✍) or delete (🗑) its reason.\n118.2 🔴 Draft law withdrawn."
    )
    services: Services = bot.bot_data["services"]
    async with services.database.connection.execute(
        "SELECT colour FROM rating_history ORDER BY id"
    ) as cursor:
        assert [row[0] async for row in cursor] == ["green", "red", "red"]  # + the reason


async def test_concurrent_taps_lose_nothing(tg: FakeTelegram, bot: BotApplication) -> None:
    reps = await coalition_with(bot, 24, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Burst")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    first = tg.messages[(GROUP["id"], call.result["message_id"])]
    colours = [b["callback_data"] for b in buttons(first)[:4]]
    await asyncio.gather(*(tg.press(first, colours[i % 4], user=r) for i, r in enumerate(reps)))
    services: Services = bot.bot_data["services"]
    for _ in range(100):
        dist = await services.assessments.repository.distribution(
            1,
            next(
                r.id
                for r in services.catalog.recommendations
                if str(r.number) == "118.63" and r.cycle == 2
            ),
        )
        if dist.total == 24:
            break
        await asyncio.sleep(0.05)
    assert (dist.red, dist.orange, dist.green, dist.unknown) == (6, 6, 6, 6)
    await flush(bot)
    redraw = await tg.next_call(
        "editMessageText", chat_id=GROUP["id"], message_id=first.message_id
    )
    assert redraw.params["text"].endswith(
        "24 of 24 organisations have rated (colours shown when the results are published)"
    )


async def test_compare_rounds_and_erased_organisations_become_anonymous(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3)
    services: Services = bot.bot_data["services"]
    rec = next(
        r for r in services.catalog.recommendations if str(r.number) == "118.6" and r.cycle == 2
    )
    for scope_round, colour in ((1, "red"), (2, "green")):
        await open_round(tg, "c2 118.6", f"Round {scope_round}")
        for person in reps:
            await services.assessments.rate(
                person["id"],
                scope_round,
                rec.id,
                Colour(colour),
            )
        await services.assessments.set_open(COORDINATOR_ID, scope_round, False)
        await services.assessments.publish(COORDINATOR_ID, scope_round)
    reply = await tg.reply_to(COORDINATOR, "/compare 1 2")
    short = "Ratify the International Convention on the Protection of…"
    assert reply.text == (
        "<b>⬆ 1 progressed · ⬇ 0 regressed · = 0 stayed</b>\n\n<b>Labour rights</b>\n"
        f"⬆ 118.6: 🔴 → 🟢 — {short}\n\n"
        f"<b>Treaties and cooperation with UN mechanisms</b>\n⬆ 118.6: 🔴 → 🟢 — {short}"
    )
    await tg.send("/compare 1 2 xlsx", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR["id"])
    sheet = load_workbook(io.BytesIO(doc.params["document"]["content"])).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Theme", "Recommendation", "Before", "After", "Change"],
        [
            "Labour rights",
            "118.6",
            "🔴 Red: no progress",
            "🟢 Green: fully implemented",
            "progressed",
        ],
        [
            "Treaties and cooperation with UN mechanisms",
            "118.6",
            "🔴 Red: no progress",
            "🟢 Green: fully implemented",
            "progressed",
        ],
    ]
    await services.coalition.erase(COORDINATOR_ID, 1)  # ORG0
    await tg.reply_to(COORDINATOR, "/results 2")
    view = (await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])).params["text"]
    assert "🔴 0 · 🟠 0 · 🟢 3 · ❔ 0" in view  # its rating still counts
    assert "ORG0" not in view
    assert "ORG1: 🟢" in view


async def test_rounds_are_for_coordinators_to_open(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(GUEST, "/openround c2 : Sneaky")
    assert reply.text == "Only coordinators can do this."
    reply = await tg.reply_to(COORDINATOR, "/openround c2 Mid-term")
    assert reply.text.startswith("Write the scope, a colon, then the round's name")
    reply = await tg.reply_to(COORDINATOR, "/openround c2 118.900-118.950 : Empty")
    assert reply.text == "No recommendation matches that scope."
    await open_round(tg, "c2 accepted", "Accepted only")
    reply = await tg.reply_to(GUEST, "/rate")
    assert reply.text.startswith("This is for the coalition's member organisations: to join")
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    assert (
        await press(tg, tg.carrying(listing, "rac:1"), "rac:1", GUEST)
        == "Only coordinators can do this."
    )
    assert (
        await press(tg, tg.carrying(listing, "rac:99"), "rac:99", COORDINATOR)
        == "This round no longer exists."
    )
    assert (await press(tg, tg.carrying(listing, "vr:1:999999"), "vr:1:999999", GUEST)).startswith(
        "Only representatives"
    )


async def test_a_round_closes_on_its_date_and_stale_cards_say_so(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    [member] = await coalition_with(bot, 1)
    opened = await open_round(tg, "c2 118.1-118.2 until 2026-11-30", "Short round")
    assert opened.text.startswith("Round 1 «Short round» is open: 2 recommendations")
    card = await tg.reply_to(member, "/rate")
    assert await press(tg, tg.carrying(card, "vr:1:999999"), "vr:1:999999", member) == (
        "This recommendation is not part of this round."
    )
    clock.advance(days=8)  # past 30 November 23:59 Phnom Penh time
    await flush(bot)
    assert await press(tg, card, button(card, "🟢"), member) == (
        "This round is closed: ratings can no longer change."
    )
    reply = await tg.reply_to(member, "/rate")
    assert reply.text == "No assessment round is open."
