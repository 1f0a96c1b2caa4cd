"""Leftovers at the scale of 1,000 organisations: a promotion, a join or a language choice
publishes only the menu of the person concerned, not everyone's; moving an organisation between
working groups redraws the open group cards that count it."""

from __future__ import annotations

from typing import Any

from handlers.common import BotApplication
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, MEMBER
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, edited, press
from tests.test_onboarding_bot import data_of, labels, services_of
from tests.test_rounds_bot import coalition_with, flush, link_land_group, open_round

OTHERS = 40  # representatives whose menus the job has not published yet
MENU_METHODS = ("setMyCommands", "deleteMyCommands")


def _menu_chats(tg: FakeTelegram, since: int) -> list[int]:
    """The private chats whose menus were set or deleted since call number `since`."""
    return [
        int(c.params["scope"]["chat_id"])
        for c in tg.calls[since:]
        if c.method in MENU_METHODS and (c.params.get("scope") or {}).get("type") == "chat"
    ]


async def _many_representatives(bot: BotApplication) -> None:
    """`OTHERS` organisations, each with a representative who joined while the bot was away
    (their menus not yet published: the job's next sweep will)."""
    coalition = services_of(bot).coalition
    for n in range(OTHERS):
        invite = await coalition.add_organisation(COORDINATOR_ID, f"O{n:02}", f"Org {n}")
        await coalition.join(7000 + n, f"Rep {n}", "en", invite.code)


async def test_promote_join_and_language_publish_only_the_menu_of_the_person_concerned(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await _many_representatives(bot)
    newcomer: dict[str, Any] = {"id": 8001, "is_bot": False, "first_name": "Vy"}
    newcomer["language_code"] = "en"
    # A coordinator promotes someone: only that person's menu, in each of its languages.
    before = len(tg.calls)
    reply = await tg.reply_to(COORDINATOR, "/promote 8001")
    assert reply.text == "8001 is now a coordinator."
    assert _menu_chats(tg, before) == [8001] * 3
    assert "audit" in tg.menu(newcomer)
    # Demoted again: theirs is taken back, nobody else's touched.
    before = len(tg.calls)
    reply = await tg.reply_to(COORDINATOR, "/demote 8001")
    assert reply.text == "8001 is no longer a coordinator."
    assert _menu_chats(tg, before) == [8001] * 3
    assert "audit" not in tg.menu(newcomer)
    # Someone joins with an invite link: their menu only.
    invite = await services_of(bot).coalition.add_organisation(COORDINATOR_ID, "NEW", "New org")
    before = len(tg.calls)
    welcome = await tg.reply_to(MEMBER, f"/start {invite.code}")
    await tg.menu_published(MEMBER["id"])
    assert _menu_chats(tg, before) == [MEMBER["id"]] * 3
    assert "rate" in tg.menu(MEMBER)
    # They choose Khmer: their menu only, now in Khmer.
    before = len(tg.calls)
    await tg.press(welcome, data_of(welcome, "ខ្មែរ"), user=MEMBER)
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    await tg.menu_published(MEMBER["id"])
    assert _menu_chats(tg, before) == [MEMBER["id"]] * 3
    assert tg.commands_of(MEMBER, "rate").startswith("វាយតម្លៃ")
    # The others' menus are still the job's (every minute): published there, once each.
    before = len(tg.calls)
    assert bot.job_queue is not None
    [job] = bot.job_queue.get_jobs_by_name("menus")
    await job.run(bot)
    assert sorted(_menu_chats(tg, before)) == sorted([7000 + n for n in range(OTHERS)] * 3)


LAND = "Land and natural resources"
PENDING = "organisations have rated (colours shown when the results are published)"


async def _panel_of(tg: FakeTelegram, short: str) -> StoredMessage:
    """/orgs, then the organisation (one representative): its panel."""
    listing = await tg.reply_to(COORDINATOR, "/orgs")
    await press(tg, listing, button(listing, f"{short} (1)"), COORDINATOR)
    return await edited(tg, listing)


async def _groups_of(tg: FakeTelegram, short: str) -> StoredMessage:
    """/orgs, the organisation, then its working groups: the coordinator's toggles."""
    panel = await _panel_of(tg, short)
    await press(tg, panel, button(panel, "Working groups"), COORDINATOR)
    return await edited(tg, panel)


async def test_moving_an_organisation_between_working_groups_redraws_the_group_cards(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reps = await coalition_with(bot, 3, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 118.63", "Mid-term")
    await tg.send("/rate", user=reps[0], chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    assert card.text.endswith(f"0 of 3 {PENDING}")
    await flush(bot)  # nothing changed: no edit
    # ORG2 is taken out of the land group: the land card counts one organisation fewer.
    groups = await _groups_of(tg, "ORG2")
    await press(tg, groups, button(groups, f"✓ {LAND}"), COORDINATOR)
    groups = await edited(tg, groups)
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert redraw.params["text"].endswith(f"0 of 2 {PENDING}")
    await flush(bot)  # drawn: not again
    # Put back: three again.
    await press(tg, groups, button(groups, LAND), COORDINATOR)
    await edited(tg, groups)
    await flush(bot)
    redraw = await tg.next_call("editMessageText", chat_id=GROUP["id"], message_id=card.message_id)
    assert redraw.params["text"].endswith(f"0 of 3 {PENDING}")
    assert not [c for c in tg.calls if c.method == "editMessageText" and not c.consumed]


async def test_export_with_a_misspelt_word_names_the_formats_and_the_working_groups(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    reps = await coalition_with(bot, 1, "land")
    await open_round(tg, "c2 118.63", "Mid-term")
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    await services.assessments.publish(COORDINATOR_ID, 1)
    # A misspelt working group, alone: not read as a file format.
    answer = await tg.reply_to(COORDINATOR, "/export 1 lnad")
    assert answer.text.startswith(
        "«lnad» is neither a file format nor a working group. Formats: csv, xlsx. Working groups: "
    )
    assert f"land ({LAND})" in answer.text
    khmer = await tg.reply_to({**reps[0], "language_code": "km"}, "/export ១ lnad")
    assert khmer.text.startswith("«lnad» មិនមែនជាទម្រង់ឯកសារ ហើយក៏មិនមែនជាក្រុមការងារដែរ។")
    assert "land (ដីធ្លី" in khmer.text
    assert "csv, xlsx" in khmer.text
    # A file format the bot does not make is still answered as one; nothing was sent.
    refused = await tg.reply_to(COORDINATOR, "/export 1 pdf")
    assert refused.text == "I cannot make «pdf» files. Formats: csv, xlsx."
    assert not [c for c in tg.calls if c.method == "sendDocument"]


OPEN_ROUNDS = 101  # one more than Telegram's 100 buttons under a message


async def test_start_offers_the_newest_open_rounds_and_a_way_to_the_others(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    [member] = await coalition_with(bot, 1, "land")
    tz = services.settings.timezone
    for n in range(1, OPEN_ROUNDS + 1):
        await services.assessments.open(
            COORDINATOR_ID, f"c2 118.63 : R{n:03}", services.catalog, tz
        )
    # A member: the three newest rounds to rate, each with [Rate now], then [Rounds].
    welcome = await tg.reply_to(member, "/start")
    assert [line for line in welcome.text.split("\n\n") if "to rate" in line] == [
        f"«R{n:03}»: 1 to rate, no closing date." for n in (101, 100, 99)
    ]
    assert "And 98 more open rounds: see /rounds." in welcome.text
    assert labels(welcome) == [
        "Rate now: «R101»",
        "Rate now: «R100»",
        "Rate now: «R099»",
        "Rounds",
    ]
    await tg.press(welcome, data_of(welcome, "Rounds"), user=member)
    listing = await tg.next_call("sendMessage", chat_id=member["id"])
    assert "Rate now: 101. R101" in str(listing.params["reply_markup"])
    # In Khmer too.
    khmer = await tg.reply_to({**member, "language_code": "km"}, "/start")
    assert "ក្រៅពីនេះ មានវគ្គវាយតម្លៃ ៩៨ ទៀតដែលកំពុងបើក៖ សូមមើល /rounds។" in khmer.text
    # A coordinator: the three newest rounds' panels, then [Rounds].
    checklist = await tg.reply_to(COORDINATOR, "/start")
    assert "101 open rounds:" in checklist.text
    assert "«R098»" not in checklist.text
    assert "And 98 more open rounds: see /rounds." in checklist.text
    assert labels(checklist) == [
        "Open panel: «R101»",
        "Open panel: «R100»",
        "Open panel: «R099»",
        "Rounds",
    ]


async def test_pausing_an_organisation_or_removing_a_representative_changes_their_menu_at_once(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """Not a minute later, when the job runs: /rate leaves the menu of whoever may not rate."""
    reps = await coalition_with(bot, 2)
    assert bot.job_queue is not None
    [job] = bot.job_queue.get_jobs_by_name("menus")
    await job.run(bot)
    assert "rate" in tg.menu(reps[0])
    assert "rate" in tg.menu(reps[1])
    panel = await _panel_of(tg, "ORG0")
    await press(tg, panel, button(panel, "Deactivate"), COORDINATOR)
    panel = await edited(tg, panel)
    assert "rate" not in tg.menu(reps[0])
    await press(tg, panel, button(panel, "Reactivate"), COORDINATOR)
    await edited(tg, panel)
    assert "rate" in tg.menu(reps[0])
    panel = await _panel_of(tg, "ORG1")
    await press(tg, panel, button(panel, "Remove a representative"), COORDINATOR)
    reps_panel = await edited(tg, panel)
    await press(tg, reps_panel, button(reps_panel, labels(reps_panel)[0]), COORDINATOR)
    await edited(tg, reps_panel)
    assert "rate" not in tg.menu(reps[1])
    assert "rate" in tg.menu(reps[0])
