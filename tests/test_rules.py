"""The rules that matter most, one test each (issue 17): each fails if its rule is broken.

Rules about what a user sees run end to end through the fake Bot API server; pure rules are
tested on the domain function or the repository directly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest

from bot.domain.assessment import Colour, Distribution, Overall, overall
from bot.domain.model import RecNumber
from bot.domain.numbers import parse_numbers
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.round_panel import confirmed, round_panel
from tests.test_lookup_bot import button, press
from tests.test_rounds_bot import GUEST, coalition_with, link_land_group, open_round, rep

R, OR, G, U = Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN
PAUSED = (
    "Your organisation's membership of the coalition is paused, so it cannot rate for now. "
    "Contact a coordinator."
)
MEMBERS_ONLY = (
    "This is for the coalition's member organisations: to join, ask a coordinator for an invite "
    "link for your organisation. Meanwhile you can look recommendations up: send /help."
)
NOT_PUBLISHED = "Results are shown to members once coordinators publish a closed round."


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


def rec_id(services: Services, number: str, cycle: int = 2) -> int:
    return next(
        r.id
        for r in services.catalog.recommendations
        if r.cycle == cycle and str(r.number) == number
    )


async def published_round(services: Services, colours: list[Colour], reps: list[dict]) -> int:  # type: ignore[type-arg]
    """Round 1 over c2 118.6, rated by each representative in turn, closed and published."""
    round_id = 1
    for person, colour in zip(reps, colours, strict=True):
        await services.assessments.rate(person["id"], round_id, rec_id(services, "118.6"), colour)
    await services.assessments.set_open(COORDINATOR_ID, round_id, False)
    assert await services.assessments.publish(COORDINATOR_ID, round_id)
    return round_id


# --- the overall colour is the LOWER median ---------------------------------------------------
@pytest.mark.parametrize(
    ("colours", "expected"),
    [
        ([R, OR, G, G], Overall.ORANGE),  # middle values orange and green: the lower one
        ([R, R, OR, G], Overall.RED),  # middle values red and orange
        ([R, OR, OR, G, G, G], Overall.ORANGE),  # orange | green in the middle
    ],
)
def test_an_even_count_takes_the_lower_of_two_different_middle_colours(
    colours: list[Colour], expected: Overall
) -> None:
    assert overall(Distribution.of(colours), min_ratings=3) == expected


# --- an inactive organisation cannot rate -----------------------------------------------------
async def test_a_deactivated_organisation_can_no_longer_rate(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.1-118.3", "Check")
    card = await tg.reply_to(member, "/rate")
    services = services_of(bot)
    await services.coalition.set_active(COORDINATOR_ID, 1, False)
    assert await press(tg, card, button(card, "🟢"), member) == PAUSED
    assert (await services.assessments.repository.distribution(1, rec_id(services, "118.1"))) == (
        Distribution()
    )
    await services.coalition.set_active(COORDINATOR_ID, 1, True)
    assert await press(tg, card, button(card, "🟢"), member) == "ORG0 rated it 🟢."


# --- only a closed round can be published -----------------------------------------------------
async def test_an_open_round_cannot_be_published(services: Services, clock: FakeClock) -> None:
    repository = services.assessments.repository
    round_id = await repository.open_round(
        "Open", 2, "c2", [rec_id(services, "118.6")], None, actor=COORDINATOR_ID, now=clock.now()
    )
    assert await repository.publish(round_id, actor=COORDINATOR_ID, now=clock.now()) is False
    found = await repository.round(round_id)
    assert found is not None
    assert (found.open, found.published) == (True, False)
    await repository.set_open(round_id, False, actor=COORDINATOR_ID, now=clock.now())
    assert await repository.publish(round_id, actor=COORDINATOR_ID, now=clock.now()) is True


async def test_a_publish_button_pressed_while_open_shows_members_nothing(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await open_round(tg, "c2 118.6", "Open")
    listing = await tg.reply_to(COORDINATOR, "/rounds")
    await press(
        tg, tg.carrying(listing, "rap:1"), "rap:1", COORDINATOR
    )  # a stale or forged Publish button
    await tg.next_call("editMessageText", chat_id=COORDINATOR_ID)  # the round's panel
    await confirmed(tg, await round_panel(tg, 1), "Close", "Yes, close")
    reply = await tg.reply_to(member, "/results 1")
    assert reply.text == NOT_PUBLISHED


# --- reopening withdraws publication ----------------------------------------------------------
async def test_reopening_a_published_round_withdraws_its_results(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3)
    await open_round(tg, "c2 118.6", "Round")
    services = services_of(bot)
    await published_round(services, [R, R, R], reps)
    summary = await tg.reply_to(reps[0], "/results 1")
    assert summary.text.startswith("<b>Round</b>")
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # the table page
    _, panel = await confirmed(tg, await round_panel(tg, 1), "Reopen", "Yes, reopen")
    assert "published" not in panel.text
    found = await services.assessments.repository.round(1)
    assert found is not None
    assert (found.open, found.published) == (True, False)
    await confirmed(tg, panel, "Close", "Yes, close")
    reply = await tg.reply_to(reps[0], "/results 1")
    assert reply.text == NOT_PUBLISHED  # closed again, but not published again
    card = await tg.reply_to(reps[0], "118.6")
    assert "Latest assessment" not in card.text


# --- invite codes are stored only as SHA-256 --------------------------------------------------
async def test_invite_codes_are_stored_only_as_their_sha256(
    tg: FakeTelegram, bot: BotApplication, db_path: Path
) -> None:
    reply = await tg.reply_to(COORDINATOR, "/addorg ADHOC Cambodian Human Rights Association")
    code = reply.text.split("?start=")[1].split()[0].split('"')[0].split("<")[0]
    assert len(code) == 24
    services = services_of(bot)
    await services.database.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert code.encode() not in raw
    with sqlite3.connect(db_path) as db:
        stored = [row[0] for row in db.execute("SELECT code_hash FROM invites")]
    assert stored == [hashlib.sha256(code.encode()).hexdigest()]
    welcome = await tg.reply_to(rep(1), f"/start {code}")
    assert welcome.text.startswith("Welcome! You now represent ADHOC")


# --- every Khmer digit is read ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("khmer", "latin"),
    [("១២៣.៤៥៦", "123.456"), ("៧៨៩.០", "789.0"), ("៩៨៧៦.៥៤៣២", "9876.5432"), ("១០.០១", "10.1")],
)
def test_every_khmer_digit_is_read_as_its_value(khmer: str, latin: str) -> None:
    query = parse_numbers(khmer)
    assert query is not None
    assert [(r.start, r.end) for r in query.ranges] == [(RecNumber.parse(latin),) * 2]


async def test_a_khmer_number_finds_its_card(tg: FakeTelegram, bot: BotApplication) -> None:
    reply = await tg.reply_to(rep(1, "km"), "១១៨.៣៥")
    assert reply.text.startswith("<b>118.35</b> · ")


# --- a range stays in its cycle ---------------------------------------------------------------
async def test_a_range_is_looked_up_in_its_cycle_only(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    # 82.x exist only in cycle 1, 118.x only in cycle 2 (the current one).
    reply = await tg.reply_to(rep(1), "82.1-82.3")
    assert reply.text == "There is no recommendation 82.1 in cycle 2, nor in any other cycle."
    reply = await tg.reply_to(rep(1), "118.1-118.3 c1")
    assert "118.1" in reply.text
    assert "· Cycle 2" not in reply.text
    reply = await tg.reply_to(rep(1), "82.1-82.3 c1")
    heads = [line for line in reply.text.split("\n") if line.startswith("<b>")]
    assert [h.split(" · ")[:2] for h in heads] == [
        [f"<b>82.{i}</b>", heads[0].split(" · ")[1]] for i in (1, 2, 3)
    ]
    assert heads[0].split(" · ")[1].startswith("Cycle 1")


# --- export counts are in the right columns ---------------------------------------------------
async def test_export_puts_each_count_under_its_colour(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 10)
    await open_round(tg, "c2 118.6", "Counts")
    colours = [R] + [OR] * 2 + [G] * 3 + [U] * 4  # every count different
    await published_round(services_of(bot), colours, reps)
    await tg.send("/export 1 csv themes", user=reps[0])  # themes: the whole coalition's counts
    doc = await tg.next_call("sendDocument", chat_id=reps[0]["id"])
    table = list(csv.reader(io.StringIO(doc.params["document"]["content"].decode("utf-8-sig"))))
    header = table[0]
    row = next(r for r in table[1:] if r[1].startswith("118.6 "))
    assert dict(zip(header[4:], row[4:], strict=True)) == {
        "🔴": "1",
        "🟠": "2",
        "🟢": "3",
        "❔": "4",
    }


# --- /unlinkgroup is for coordinators ---------------------------------------------------------
async def test_only_a_coordinator_can_unlink_a_group(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [member] = await coalition_with(bot, 1)
    await link_land_group(tg)
    repository = services_of(bot).coalition.repository
    for user in (member, GUEST):
        reply = await tg.reply_to(user, "/unlinkgroup", chat=GROUP)
        assert reply.text == "Only coordinators can do this."
        assert [c.chat_id for c in await repository.chats()] == [GROUP["id"]]
    reply = await tg.reply_to(COORDINATOR, "/unlinkgroup", chat=GROUP)
    assert reply.text == "This chat is no longer linked to a working group."
    assert await repository.chats() == []


# --- results are for members ------------------------------------------------------------------
async def test_guests_get_no_results_or_export_of_a_published_round(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3)
    await open_round(tg, "c2 118.6", "Published")
    await published_round(services_of(bot), [R, OR, G], reps)
    refusals = (MEMBERS_ONLY, NOT_PUBLISHED)  # the gate refuses first; the domain would too
    for command, chat in (("/results 1", None), ("/export 1 csv", None), ("/export 1", GROUP)):
        reply = await tg.reply_to(GUEST, command, chat=chat)
        assert reply.text in refusals, command
    await tg.send("/results 1", user=reps[0])  # a member does get them
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # the summary
    await tg.next_call("sendMessage", chat_id=reps[0]["id"])  # the table
    await tg.send("/export 1 csv", user=reps[0])
    await tg.next_call("sendDocument", chat_id=reps[0]["id"])
    # Nothing but the refusals reached the guest's chats: no table, no file.
    to_guest = [c for c in tg.calls if c.params.get("chat_id") in (str(GUEST["id"]), GUEST["id"])]
    assert [c.method for c in to_guest] == ["sendMessage", "sendMessage"]
    assert [c.method for c in tg.calls if c.method == "sendDocument"] == ["sendDocument"]


# --- a Khmer representative is answered in Khmer when rating ---------------------------------
async def khmer_representative(bot: BotApplication) -> dict:  # type: ignore[type-arg]
    services = services_of(bot)
    invite = await services.coalition.add_organisation(COORDINATOR_ID, "KHM", "Khmer org")
    person = rep(7, "km")
    await services.coalition.join(person["id"], person["first_name"], "km", invite.code)
    return person


async def test_a_khmer_representative_gets_the_rating_confirmation_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    person = await khmer_representative(bot)
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Khmer")
    await tg.send("/rate", user=person, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card: StoredMessage = tg.messages[(GROUP["id"], call.result["message_id"])]
    assert await press(tg, card, button(card, "🟠"), person) == "KHM បានវាយតម្លៃ 🟠។"
    prompt = await tg.next_call("sendMessage", chat_id=person["id"])  # asks for a reason
    assert prompt.params["text"].startswith("KHM បានវាយតម្លៃ 118.63")
    private = await tg.reply_to(person, "/rate")
    assert await press(tg, private, button(private, "🔴"), person) == "KHM បានវាយតម្លៃ 🔴។"
