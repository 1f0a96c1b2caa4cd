"""The published-results notice carries its picture: each linked chat its working group's own
results, each representative the coalition's, in their language; each picture uploaded once and
sent to the others by file_id; a 502 and a restart lose nothing and repeat nothing."""

from collections import Counter
from pathlib import Path

from bot import charts
from bot.app import running
from bot.charts import OVERALL_RGB
from bot.content import send_content
from bot.domain.assessment import Colour, Overall
from bot.domain.outbox import Button, Content, DeliveryStatus
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock, loose_limiter
from tests.conftest import make_settings as base_settings
from tests.fake_telegram import FakeTelegram
from tests.test_charts import bars_in
from tests.test_lookup_bot import button, edited, press
from tests.test_outbox_bot import drained, seen_faults, settled
from tests.test_rounds_bot import link_land_group, open_round, rep

WOMEN_GROUP = {"id": -100600, "type": "supergroup", "title": "Women's rights working group"}
PUBLISHED = "The results of the assessment «Mid-term» are published."


def settings(tg: FakeTelegram, db_path: Path):  # type: ignore[no-untyped-def]
    return base_settings(tg, db_path, round_notices=True, min_ratings=1)


async def test_the_published_notice_carries_each_recipients_picture_in_their_language(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    reps = [rep(0), rep(1), rep(2, "km")]
    async with running(
        settings(tg, db_path), clock, poll_timeout=1, limiter=loose_limiter()
    ) as app:
        services: Services = app.bot_data["services"]
        groups = {g.slug: g.id for g in await services.coalition.working_groups()}
        # Two organisations in land, one in women's rights; the third representative reads Khmer.
        for n, person in enumerate(reps):
            invite = await services.coalition.add_organisation(
                COORDINATOR_ID, f"ORG{n}", f"Org {n}"
            )
            slug = "women" if n == 2 else "land"
            await services.coalition.toggle_group(
                COORDINATOR_ID, invite.organisation.id, groups[slug]
            )
            await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        await services.set_language(reps[2]["id"], "km")
        await link_land_group(tg)
        chooser = await tg.reply_to(COORDINATOR, "/linkgroup", chat=WOMEN_GROUP)
        await press(tg, chooser, button(chooser, "Gender and women's rights"), COORDINATOR)
        await edited(tg, chooser)
        await services.coalition.set_chat_language(COORDINATOR_ID, WOMEN_GROUP["id"], 0, "km")
        await open_round(tg, "c2 land women", "Mid-term")
        repository = services.assessments.repository
        land = sorted(await repository.group_items(1, groups["land"]))
        women = sorted(await repository.group_items(1, groups["women"]) - set(land))
        # Land's members say 🟢 to one of its recommendations, women's rights' 🔴 to one.
        for person in reps[:2]:
            await services.assessments.rate(person["id"], 1, land[0], Colour.GREEN)
        await services.assessments.rate(reps[2]["id"], 1, women[0], Colour.RED)
        await services.assessments.set_open(COORDINATOR_ID, 1, False)
        spanned = 0  # groups with recommendations in the round and member organisations
        members = await repository.group_overlap(1)
        for group_id in groups.values():
            spanned += bool(await repository.group_items(1, group_id)) and bool(
                members.get(group_id, (0, 0))[1]
            )
        await drained(services)

    # Published while the bot is stopped: the next start delivers, the first upload hits a 502.
    stopped = await Services.start(settings(tg, db_path), clock)
    assert await stopped.assessments.publish(COORDINATOR_ID, 1)
    await stopped.close()
    before = len(tg.calls)
    tg.fail_next("sendPhoto", 502)
    async with running(
        settings(tg, db_path), clock, poll_timeout=1, limiter=loose_limiter()
    ) as app:
        services = app.bot_data["services"]
        while await services.outbox.waiting():
            await settled(services, clock)
            clock.advance(seconds=30)
            services.outbox.notify()
        await drained(services)
        assert await services.outbox.progress("round:1:published") == {DeliveryStatus.SENT: 5}
    seen_faults(tg)

    photos = [c for c in tg.calls[before:] if c.method == "sendPhoto" and c.error is None]
    assert [c for c in tg.calls[before:] if c.method == "sendMessage"] == []  # caption only
    by_chat = Counter(int(c.params["chat_id"]) for c in photos)
    everyone = [GROUP["id"], WOMEN_GROUP["id"]] + [p["id"] for p in reps]
    assert by_chat == Counter(everyone)  # each exactly one picture, the 502'd one too
    caption = {int(c.params["chat_id"]): c.params["caption"] for c in photos}
    assert caption[GROUP["id"]] == caption[reps[0]["id"]] == PUBLISHED
    assert "«Mid-term»" in caption[reps[2]["id"]]
    assert caption[reps[2]["id"]] != PUBLISHED  # in Khmer
    assert caption[WOMEN_GROUP["id"]] == caption[reps[2]["id"]]  # the chat's language: Khmer

    # Four distinct pictures: land's (English), women's rights' (Khmer), the coalition's in
    # English (two representatives) and in Khmer; the second English one goes by file_id.
    uploads = [int(c.params["chat_id"]) for c in photos if isinstance(c.params["photo"], dict)]
    assert len(uploads) == 4
    assert {GROUP["id"], WOMEN_GROUP["id"], reps[2]["id"]} < set(uploads)
    again = [c for c in photos if not isinstance(c.params["photo"], dict)]
    assert [int(c.params["chat_id"]) for c in again] == sorted(
        {reps[0]["id"], reps[1]["id"]} - set(uploads)
    )
    assert again[0].params["photo"] in tg.photo_files
    pictures = {
        int(c.params["chat_id"]): tg.photos[(int(c.params["chat_id"]), c.result["message_id"])]
        for c in photos
    }
    assert pictures[reps[0]["id"]] == pictures[reps[1]["id"]]
    assert pictures[reps[0]["id"]] != pictures[reps[2]["id"]]  # the Khmer one

    green, red = OVERALL_RGB[Overall.GREEN], OVERALL_RGB[Overall.RED]
    # A group chat sees its own group's results (a bar per theme): land only 🟢, women only 🔴.
    land_bars = bars_in(pictures[GROUP["id"]])
    assert any(green in bar for bar in land_bars)
    assert not any(red in bar for bar in land_bars)
    women_bars = bars_in(pictures[WOMEN_GROUP["id"]])
    assert any(red in bar for bar in women_bars)
    assert not any(green in bar for bar in women_bars)
    # A representative sees the coalition's: a bar per working group with recommendations in
    # the round and member organisations, each its members' judgement: one 🟢 (land), one 🔴 (women's rights).
    coalition = bars_in(pictures[reps[0]["id"]])
    assert len(coalition) == spanned
    assert len([bar for bar in coalition if green in bar]) == 1
    assert len([bar for bar in coalition if red in bar]) == 1


async def test_a_text_too_long_for_a_caption_follows_its_picture_with_the_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    png = charts.bar_chart("T", [charts.Category("c", (0, 0, 0))], [charts.Bar("b", (1,))])
    buttons = ((Button("Results", data="x:1"),),)
    short, long = Content("Short", buttons=buttons), Content("A" * 1025, buttons=buttons)
    sent = await send_content(bot.bot, GROUP["id"], short, None, png)
    call = await tg.next_call("sendPhoto", chat_id=GROUP["id"])
    assert (call.params["caption"], call.result["message_id"]) == ("Short", sent.message_id)
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:1"

    sent = await send_content(bot.bot, GROUP["id"], long, None, sent.photo[-1].file_id)
    photo = await tg.next_call("sendPhoto", chat_id=GROUP["id"])
    assert ("caption" not in photo.params, photo.result["message_id"]) == (True, sent.message_id)
    assert tg.photos[(GROUP["id"], sent.message_id)] == png
    text = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    assert text.params["text"] == long.text
    assert text.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:1"
