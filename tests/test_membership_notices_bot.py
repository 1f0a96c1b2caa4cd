"""Membership in fewer taps: /addorg answers with the invite and the working-group buttons;
coordinators are told when an invite is used ("Dara joined ADHOC — [Set working groups]"),
through the outbox, in their language, written with the redeem — a restart between the two
loses nothing."""

from pathlib import Path

from bot.app import running
from bot.domain.outbox import Content
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, buttons, edited, press
from tests.test_membership_bot import add_org

DARA = {
    "id": 555,
    "is_bot": False,
    "first_name": "Dara",
    "last_name": "Chanthou",
    "language_code": "km",
}
KHMER_COORDINATOR_ID = 112


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def joined_notices(services: Services) -> list[tuple[int, Content]]:
    """(chat, content) of every "… joined …" delivery, by chat."""
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference LIKE 'joined:%' ORDER BY chat_id"
    ) as cursor:
        return [(int(r[0]), Content.from_json(r[1])) for r in await cursor.fetchall()]


async def next_private(tg: FakeTelegram, user_id: int) -> StoredMessage:
    call = await tg.next_call("sendMessage", chat_id=user_id)
    assert call.error is None, call.error
    return tg.messages[(user_id, call.result["message_id"])]


async def test_addorg_answers_with_the_invite_and_the_working_group_buttons(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await tg.send("/addorg ADHOC Cambodian Human Rights Association", user=COORDINATOR)
    invite = await next_private(tg, COORDINATOR_ID)
    assert "https://t.me/upr_test_bot?start=" in invite.text
    assert [b["text"] for b in buttons(invite)] == ["Revoke this invite"]  # forwardable as is
    groups = await next_private(tg, COORDINATOR_ID)
    assert groups.text == "Working groups of ADHOC: tap to add or remove."
    # Several at once, then Done: the organisation's panel lists them.
    for name in ("Land and natural resources", "Labour rights"):
        await press(tg, groups, button(groups, name), COORDINATOR)
        groups = await edited(tg, groups)
    ticked = [b["text"] for b in buttons(groups) if b["text"].startswith("✓ ")]
    assert ticked == ["✓ Land and natural resources", "✓ Labour rights"]
    await press(tg, groups, button(groups, "Done"), COORDINATOR)
    panel = await edited(tg, groups)
    assert "Land and natural resources; Labour rights" in panel.text
    org = (await services_of(bot).coalition.repository.organisations())[0]
    assert len(org.group_ids) == 2

    # In Khmer too.
    await services_of(bot).set_language(COORDINATOR_ID, "km")
    await tg.send("/addorg CCHR Cambodian Center for Human Rights", user=COORDINATOR)
    await next_private(tg, COORDINATOR_ID)
    groups = await next_private(tg, COORDINATOR_ID)
    assert groups.text == "ក្រុមការងាររបស់ CCHR៖ ចុចដើម្បីបន្ថែម ឬដកចេញ។"
    assert "ដីធ្លី និងធនធានធម្មជាតិ" in [b["text"] for b in buttons(groups)]


async def test_a_used_invite_tells_each_coordinator_in_their_language(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    await services.coalition.set_coordinator(COORDINATOR_ID, KHMER_COORDINATOR_ID, True)
    await services.set_language(KHMER_COORDINATOR_ID, "km")
    _, code = await add_org(tg)
    await tg.send(f"/start {code}", user=DARA)
    told = {}
    for user_id in (COORDINATOR_ID, KHMER_COORDINATOR_ID):
        told[user_id] = await next_private(tg, user_id)
    assert told[COORDINATOR_ID].text == "Dara joined ADHOC. Which working groups is ADHOC in?"
    assert told[KHMER_COORDINATOR_ID].text.startswith("Dara បានចូលជាតំណាងរបស់ ADHOC")
    assert "Chanthou" not in told[COORDINATOR_ID].text  # the first name only
    assert button(told[KHMER_COORDINATOR_ID], "កំណត់ក្រុមការងារ") == "ow:1"
    # Written with the redeem: one per coordinator, and a used code tells nobody again.
    assert [chat for chat, _ in await joined_notices(services)] == [111, 112]
    welcome = await next_private(tg, DARA["id"])
    assert welcome.text.startswith("សូមស្វាគមន៍!")
    for refused in (code, "A" * 24):
        await tg.send(f"/start {refused}", user=COORDINATOR)
        await next_private(tg, COORDINATOR_ID)
    assert len(await joined_notices(services)) == 2

    # [Set working groups] opens the organisation's groups; only coordinators may press it.
    notice = told[COORDINATOR_ID]
    assert await press(tg, notice, "ow:1", DARA) == "មានតែអ្នកសម្របសម្រួលទេ ដែលអាចធ្វើការនេះបាន។"
    await press(tg, notice, button(notice, "Set working groups"), COORDINATOR)
    groups = await edited(tg, notice)
    assert groups.text == "Working groups of ADHOC: tap to add or remove."
    await press(tg, groups, button(groups, "Land and natural resources"), COORDINATOR)
    await edited(tg, groups)
    org = await services.coalition.repository.organisation(1)
    assert len(org.group_ids) == 1


async def test_the_notice_of_a_used_invite_survives_a_restart_before_its_delivery(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tg, db_path)
    limiter = loose_limiter()
    async with running(settings, clock, poll_timeout=1, limiter=limiter, stop_grace=0.1) as first:
        _, code = await add_org(tg)
        tg.stall("sendMessage")  # Telegram hangs: nothing the bot sends arrives
        await tg.send(f"/start {code}", user=DARA)
        await tg.stalled("sendMessage", 2)  # the welcome and the coordinator's notice
        assert len(await joined_notices(services_of(first))) == 1
    tg.abandon("sendMessage")
    async with running(settings, clock, poll_timeout=1, limiter=loose_limiter()):
        notice = await next_private(tg, COORDINATOR_ID)
        assert notice.text == "Dara joined ADHOC. Which working groups is ADHOC in?"
        assert button(notice, "Set working groups") == "ow:1"
