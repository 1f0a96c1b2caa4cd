"""A Khmer-speaking coalition end to end: what a member reading Khmer sees, through the fake
server."""

from pathlib import Path

import pytest

from bot.app import running
from bot.charts import OVERALL_RGB
from bot.domain.assessment import Colour, Overall
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
from tests.fake_telegram import FakeTelegram
from tests.test_charts import bars_in
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round

KHMER_COORDINATOR = {
    "id": COORDINATOR_ID,
    "is_bot": False,
    "first_name": "Vanna",
    "language_code": "km",
}


async def khmer_rep(bot: BotApplication, n: int = 0) -> dict:  # type: ignore[type-arg]
    """A representative of a new organisation, whose Telegram is in Khmer."""
    services: Services = bot.bot_data["services"]
    invite = await services.coalition.add_organisation(COORDINATOR_ID, f"ORG{n}", f"Org {n}")
    person = {"id": 3000 + n, "is_bot": False, "first_name": f"Dara{n}", "language_code": "km"}
    await tg_join(services, person, invite.code)
    return person


async def tg_join(services: Services, person: dict, code: str) -> None:  # type: ignore[type-arg]
    await services.coalition.join(person["id"], person["first_name"], "km", code)


async def test_a_khmer_coordinator_from_the_settings_reads_khmer(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    async with running(
        make_settings(tg, db_path), clock, poll_timeout=1, limiter=loose_limiter()
    ) as app:
        services: Services = app.bot_data["services"]
        assert await services.language_of(COORDINATOR_ID, "km") == "km"  # nobody chose
        reply = await tg.reply_to(KHMER_COORDINATOR, "/rounds")
        assert reply.text == "មិនទាន់មានវគ្គវាយតម្លៃនៅឡើយទេ។"
        await services.coalition.set_coordinator(COORDINATOR_ID, 4444, True)  # /promote
        assert await services.language_of(4444, "km") == "km"


async def test_cycles_are_one_translated_label(tg: FakeTelegram, bot: BotApplication) -> None:
    member = await khmer_rep(bot)
    await open_round(tg, "c2 118.1-118.3", "Quick check")
    card = await tg.reply_to(member, "/rate")
    assert card.text.startswith("<b>118.1</b> · ជុំទី២ · Quick check")
    listing = await tg.reply_to(member, "ដីធ្លី")
    assert "(ជុំទី២)" in listing.text
    assert "ជុំទី2" not in listing.text


async def test_skips_are_counted_and_closed_ratings_stay_readable(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member = await khmer_rep(bot)
    await open_round(tg, "c2 118.1-118.2", "Quick check")
    card = await tg.reply_to(member, "/rate")
    await press(tg, card, button(card, "🟢"), member)
    await tg.next_call("editMessageText", chat_id=member["id"])
    asked = await tg.next_call("sendMessage", chat_id=member["id"])  # a reason now, or ⏭ Next
    asked_message = tg.messages[(member["id"], asked.result["message_id"])]
    await press(tg, asked_message, button(asked_message, "⏭ បន្ទាប់"), member)
    second = await tg.next_call("sendMessage", chat_id=member["id"])
    card = tg.messages[(member["id"], second.result["message_id"])]
    await press(tg, card, button(card, "⏭"), member)
    done = await tg.next_call("sendMessage", chat_id=member["id"])
    assert done.params["text"] == (
        "អង្គការរបស់អ្នកបានវាយតម្លៃអនុសាសន៍ទាំងអស់ដែលមិនបានរំលង។ "
        "អនុសាសន៍ ១ ត្រូវបានរំលង៖ ផ្ញើ /rate ដើម្បីវាយតម្លៃវា។"
    )
    services: Services = bot.bot_data["services"]
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    mine = await tg.reply_to(member, "/myratings")
    assert mine.text == (
        "<b>ការវាយតម្លៃរបស់ ORG0 ក្នុង «Quick check»</b>\n"
        "វគ្គនេះបានបិទហើយ៖ ការវាយតម្លៃទាំងនេះមិនអាចកែប្រែបានទៀតទេ។\n118.1 🟢"
    )
    assert buttons(mine) == []


async def test_the_compared_file_names_both_rounds(tg: FakeTelegram, bot: BotApplication) -> None:
    reps = [await khmer_rep(bot, n) for n in range(3)]
    member = reps[0]
    services: Services = bot.bot_data["services"]
    rec = next(
        r for r in services.catalog.recommendations if str(r.number) == "118.6" and r.cycle == 2
    )
    for number, colour, name in ((1, Colour.RED, "Baseline"), (2, Colour.GREEN, "Mid-term")):
        await open_round(tg, "c2 118.6", name)
        for person in reps:
            await services.assessments.rate(person["id"], number, rec.id, colour)
        await services.assessments.set_open(COORDINATOR_ID, number, False)
        await services.assessments.publish(COORDINATOR_ID, number)
    await tg.send("/compare 1 2 xlsx", user=member)
    doc = await tg.next_call("sendDocument", chat_id=member["id"])
    assert doc.params["caption"] == "«Baseline» → «Mid-term»"


async def published_land_round(tg: FakeTelegram, bot: BotApplication) -> list[dict]:  # type: ignore[type-arg]
    """Three Khmer-speaking organisations of the land group rated round 1, closed, published."""
    services: Services = bot.bot_data["services"]
    land = next(g for g in await services.coalition.working_groups() if g.slug == "land")
    reps = [await khmer_rep(bot, n) for n in range(3)]
    for org_id in (1, 2, 3):
        await services.coalition.toggle_group(COORDINATOR_ID, org_id, land.id)
    await open_round(tg, "c2 land", "Mid-term")
    [first, *_] = await services.assessments.repository.items(1)
    for person in reps:
        await services.assessments.rate(person["id"], 1, first, Colour.GREEN)
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    return reps


async def test_working_groups_are_named_in_khmer_or_english(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, *_ = await published_land_round(tg, bot)
    for command in ("/results ១ ដីធ្លី", "/results 1 LAND and natural resources", "/results 1 land"):
        summary = await tg.reply_to(member, command)
        assert "«ដីធ្លី និងធនធានធម្មជាតិ»" in summary.text, command
        await tg.next_call("sendMessage", chat_id=member["id"])  # the table
    unknown = await tg.reply_to(member, "/results ១ ដីស្រែ")
    assert unknown.text.startswith("ខ្ញុំមិនស្គាល់ក្រុមការងារ «ដីស្រែ» ទេ។ ក្រុមការងារទាំងអស់គឺ៖ women (")
    assert "land (ដីធ្លី និងធនធានធម្មជាតិ)" in unknown.text
    unknown = await tg.reply_to(member, "/compare ១ ២ សុខភាព")  # two groups' names start so
    assert unknown.text.startswith("ខ្ញុំមិនស្គាល់ក្រុមការងារ «សុខភាព» ទេ។")


async def test_khmer_wording_of_rounds_results_refusals_and_help(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    member, *_ = await published_land_round(tg, bot)
    listing = await tg.reply_to(member, "/rounds")
    assert listing.text == (
        "១. Mid-term · ជុំទី២ · អនុសាសន៍ចំនួន ១៤ · បានបិទ · បានផ្សព្វផ្សាយ · អង្គការ ៣ ក្នុងចំណោម ៣ បានចូលរួម"
    )
    summary = await tg.reply_to(member, "/results 1")
    await tg.next_call("sendMessage", chat_id=member["id"])  # the table
    assert "\nដីធ្លី និងធនធានធម្មជាតិ៖ 🟢 ១ · មិនទាន់គ្រប់ចំនួន ១៣\n" in summary.text
    photo = await tg.next_call("sendPhoto", chat_id=member["id"])  # came first: the picture
    assert photo.params["caption"] == "Mid-term"
    land = {OVERALL_RGB[Overall.GREEN]: 1 / 14, OVERALL_RGB[Overall.NOT_ENOUGH]: 13 / 14}
    bars = bars_in(tg.photos[(member["id"], photo.result["message_id"])])
    assert any(bar == pytest.approx(land, abs=0.01) for bar in bars)
    guest = {"id": 3999, "is_bot": False, "first_name": "Bopha", "language_code": "km"}
    refusal = await tg.reply_to(guest, "/myratings")
    assert "សូមសុំលិង្កអញ្ជើញ" in refusal.text
    assert " ។" not in refusal.text
    help_ = await tg.full_help(member)
    for part in (
        "កាតវាយតម្លៃ ព្រមទាំង /results និង /compare",
        "land (ដីធ្លី និងធនធានធម្មជាតិ)",
        "⏭",
        "✍",
        "🗑",
        "៥០០ តួអក្សរ",
        "❔ (មិនដឹង) មិនមែនជាពណ៌ទេ",
        "⚖️ មានការខ្វែងគំនិត",
        "/language",
    ):
        assert part in help_, part


async def test_a_khmer_working_groups_chat_gets_khmer_cards_and_redraws(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")  # their own Telegram is in English
    await link_land_group(tg)
    chooser = await tg.reply_to(COORDINATOR, "/language", chat=GROUP)
    assert (await press(tg, chooser, button(chooser, "ខ្មែរ"), reps[0])).startswith(
        "Only coordinators"
    )
    assert await press(tg, chooser, button(chooser, "ខ្មែរ"), COORDINATOR) == (
        "ឥឡូវនេះ ភាសារបស់ក្រុមជជែកនេះគឺភាសាខ្មែរ។"
    )
    await edited(tg, chooser)
    await open_round(tg, "c2 land", "Mid-term")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    assert card.text.startswith("<b>118.63</b> · ជុំទី២ · Mid-term")
    assert card.text.endswith("អង្គការ ០ ក្នុងចំណោម ៣ បានវាយតម្លៃ (ពណ៌នឹងបង្ហាញ នៅពេលលទ្ធផលត្រូវបានផ្សព្វផ្សាយ)")
    for _ in range(4):
        await tg.next_call("sendMessage", chat_id=GROUP["id"])
    more = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert "/rate" in more.params["text"]
    assert "recommendations" not in more.params["text"]
    await press(tg, card, buttons(card)[0]["callback_data"], reps[0])
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert redraw.params["text"].endswith(
        "អង្គការ ១ ក្នុងចំណោម ៣ បានវាយតម្លៃ (ពណ៌នឹងបង្ហាញ នៅពេលលទ្ធផលត្រូវបានផ្សព្វផ្សាយ)"
    )
