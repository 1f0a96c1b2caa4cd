"""A coalition of a hundred working groups, as reviewers reproduced it: the whole coalition's
results picture stays within Telegram's photo limits (and a refused picture leaves the text to
go alone), every representative gets the "results published" notice, and a member's /start
names the newest few of many new results — in English and Khmer."""

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.app import running
from bot.domain import bundled
from bot.domain.assessment import Colour
from bot.domain.coalition import load_working_groups
from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers import round_results
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import buttons
from tests.test_outbox_bot import drained
from tests.test_round_leftovers_bot import closed_round
from tests.test_rounds_bot import coalition_with, rep

THEMES = ["women", "children", "health", "land", "labour", "justice", "freedoms", "elections"]
EXTRA = 100  # working groups beyond the bundled ones, each with one member organisation


async def hundred_groups(services: Services) -> list[dict]:  # type: ignore[type-arg]
    """EXTRA more working groups, an organisation in each with its representative, who rated
    round 1 (all of cycle 2), closed and published: the representatives."""
    extra = [
        (f"wg{n:03}", f"WG {n:03}", f"ក្រុមការងារ {n}", [THEMES[n % len(THEMES)]])
        for n in range(EXTRA)
    ]
    rows = load_working_groups(bundled.WORKING_GROUPS_FILE)
    await services.coalition.repository.sync_working_groups([*rows, *extra])
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    reps = []
    for n in range(EXTRA):
        invite = await services.coalition.add_organisation(COORDINATOR_ID, f"N{n:03}", f"Org {n}")
        await services.coalition.toggle_group(
            COORDINATOR_ID, invite.organisation.id, groups[f"wg{n:03}"]
        )
        person = rep(100 + n)
        await services.coalition.join(person["id"], person["first_name"], "en", invite.code)
        reps.append(person)
    tz, today = services.settings.timezone, services.clock.now().date()
    scope = parse_scope("c2", services.catalog, tz, today)
    round_id = await services.assessments.open_round(COORDINATOR_ID, "Big", scope)
    items = sorted(await services.assessments.repository.items(round_id))
    for n, person in enumerate(reps):
        await services.assessments.rate(person["id"], round_id, items[n], Colour.RED)
    await services.assessments.set_open(COORDINATOR_ID, round_id, False)
    assert await services.assessments.publish(COORDINATOR_ID, round_id)
    return reps


def size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


async def test_the_coalitions_results_at_a_hundred_groups_draw_the_most_rated_and_list_all(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    await hundred_groups(services)
    await tg.send("/results 1", user=COORDINATOR)
    photo = await tg.next_call("sendPhoto", chat_id=COORDINATOR["id"])
    assert photo.error is None
    width, height = size(tg.photos[(COORDINATOR["id"], photo.result["message_id"])])
    assert width == 1000
    assert height < 3000  # twenty bars: readable on a phone
    summary = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    texts = [str(summary.params["text"])]
    while "Page 1 of" not in texts[-1]:
        texts.append(
            str((await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])).params["text"])
        )
    listed = "\n".join(texts)
    assert all(f"WG {n:03}: " in listed for n in range(EXTRA))  # the text lists every group


async def test_a_refused_results_picture_leaves_the_text_to_go_alone(
    tg: FakeTelegram, bot: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = bot.bot_data["services"]
    await hundred_groups(services)
    monkeypatch.setattr(round_results, "PICTURE_BARS", 1000)  # a bar per group: too tall
    await tg.send("/results 1", user=COORDINATOR)
    photo = await tg.next_call("sendPhoto", chat_id=COORDINATOR["id"])
    assert photo.error == "Bad Request: PHOTO_INVALID_DIMENSIONS"
    summary = await tg.next_call("sendMessage", chat_id=COORDINATOR["id"])
    assert str(summary.params["text"]).startswith("<b>Big</b>\n100 of 100 organisations")


@pytest.fixture
async def noticing(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot with round notices on."""
    settings = make_settings(tg, db_path, round_notices=True)
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()) as app:
        yield app


async def published_notices(services: Services) -> list[tuple[str, int]]:
    async with services.database.connection.execute(
        "SELECT status, COUNT(*) FROM deliveries WHERE reference = 'round:1:published' "
        "GROUP BY status"
    ) as cursor:
        return [(str(status), int(count)) for status, count in await cursor.fetchall()]


async def test_every_representative_of_a_hundred_groups_is_told_the_results_are_published(
    tg: FakeTelegram, noticing: BotApplication
) -> None:
    services: Services = noticing.bot_data["services"]
    reps = await hundred_groups(services)
    await drained(services, 120)
    assert await published_notices(services) == [("sent", EXTRA)]
    for person in reps:
        call = await tg.next_call("sendPhoto", chat_id=person["id"])
        assert call.error is None
        assert call.params["caption"] == "The results of the assessment «Big» are published."


async def test_a_notices_refused_picture_leaves_its_text_to_go_alone(
    tg: FakeTelegram, noticing: BotApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = noticing.bot_data["services"]
    monkeypatch.setattr(round_results, "PICTURE_BARS", 1000)  # a bar per group: too tall
    reps = await hundred_groups(services)
    await drained(services, 120)
    assert await published_notices(services) == [("sent", EXTRA)]
    refused = await tg.next_call("sendPhoto")  # the first upload; the others go without it
    assert refused.error == "Bad Request: PHOTO_INVALID_DIMENSIONS"
    for person in reps:
        call = await tg.next_call(
            "sendMessage",
            chat_id=person["id"],
            where=lambda c: "published" in str(c.params.get("text")),
        )
        assert call.error is None
    assert [c for c in tg.calls if c.method == "sendPhoto" and c.error is None] == []


async def test_a_members_start_names_the_newest_three_of_many_new_results(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    [member] = await coalition_with(bot, 1)
    for n in range(120):
        await closed_round(services, "c2 118.1", f"R{n}")
    welcome = await tg.reply_to(member, "/start")
    assert [b["text"] for b in buttons(welcome)] == [
        "📊 Results: «R119»",
        "📊 Results: «R118»",
        "📊 Results: «R117»",
    ]
    assert "📊 New results: «R116»." not in welcome.text
    assert "📊 And 117 more new results: see /rounds." in welcome.text
    await services.set_language(member["id"], "km")
    welcome = await tg.reply_to(member, "/start")
    assert len(buttons(welcome)) == 3
    assert "📊 និងលទ្ធផលថ្មី ១១៧ ទៀត៖ សូមមើល /rounds។" in welcome.text


async def test_answers_that_name_the_working_groups_name_twenty_and_count_the_rest(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """At a hundred groups these answers passed Telegram's 4,096 characters and went unsent."""
    services: Services = bot.bot_data["services"]
    await hundred_groups(services)
    total = len(await services.coalition.working_groups())
    more = f"and {total - 20} more working groups (all in /help)"
    misspelt = await tg.reply_to(COORDINATOR, "/export 1 lnad")
    assert "«lnad» is neither a file format nor a working group" in misspelt.text
    assert more in misspelt.text
    assert misspelt.text.count(" (") == 21
    unknown = await tg.reply_to(COORDINATOR, "/results 1 lnad")
    assert unknown.text.startswith("I don't know the group «lnad».")
    assert more in unknown.text
    welcome = await tg.reply_to(COORDINATOR, "/start")  # no group chat linked yet
    assert "Not yet: " in welcome.text
    assert more in welcome.text
    await services.set_language(COORDINATOR_ID, "km")
    khmer = await tg.reply_to(COORDINATOR, "/export 1 lnad")
    khmer_count = str(total - 20).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    assert f"និងក្រុមការងារ {khmer_count} ទៀត (មានទាំងអស់នៅក្នុង /help)" in khmer.text
