"""Each working group's own list: seeded from themes, edited from chat, kept across re-syncs."""

import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from bot.domain import bundled
from bot.domain.coalition import load_working_groups
from bot.domain.importer import parse_file
from bot.services import Services
from handlers.common import BotApplication
from storage.db import Database
from storage.migrations import MIGRATIONS
from tests.conftest import COORDINATOR, COORDINATOR_ID, GROUP, FakeClock
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, edited, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round


def rec_id(services: Services, cycle: int, number: str) -> int:
    return next(
        r.id
        for r in services.catalog.recommendations
        if r.cycle == cycle and str(r.number) == number
    )


async def land_id(services: Services) -> int:
    return next(g.id for g in await services.coalition.working_groups() if g.slug == "land")


async def reply_with_numbers(
    tg: FakeTelegram,
    view: StoredMessage,
    label: str,
    user: dict,
    numbers: str,  # type: ignore[type-arg]
) -> StoredMessage:
    """Press Add/Remove on a list's page, answer the prompt, return the bot's answer."""
    assert await press(tg, view, button(view, label), user) == ""
    prompt = await tg.next_call("sendMessage", chat_id=view.chat_id)
    assert prompt.params["reply_markup"]["force_reply"] is True
    chat = GROUP if view.chat_id == GROUP["id"] else None
    return await tg.reply_to(user, numbers, chat=chat, reply_to=prompt.result["message_id"])


async def test_a_group_rates_its_own_list_edited_from_chat(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services: Services = bot.bot_data["services"]
    land = await land_id(services)
    seeded = await services.group_lists.recommendation_ids(land)
    labour_only = rec_id(services, 2, "118.6")  # labour and treaties: not a land theme
    assert rec_id(services, 2, "118.63") in seeded
    assert labour_only not in seeded

    # In private, the coordinator chooses the group, then sees its list counted per cycle.
    chooser = await tg.reply_to(COORDINATOR, "/grouprecs")
    assert chooser.text == "Which working group's list?"
    await press(tg, chooser, button(chooser, "Land and natural resources"), COORDINATOR)
    view = await edited(tg, chooser)
    cycles = services.catalog.by_id
    per_cycle = {c: sum(1 for r in seeded if cycles[r].cycle == c) for c in (1, 2)}
    assert view.text.startswith(
        f"<b>Land and natural resources</b>\nThis group's list has {len(seeded)} "
        f"recommendations.\nCycle 1: {per_cycle[1]} · Cycle 2: {per_cycle[2]}\n"
        "Only coordinators edit the list."
    )

    # Add 118.6 and a range of cycle 1 (a number means something only within its cycle).
    answer = await reply_with_numbers(tg, view, "➕ Add numbers", COORDINATOR, "118.6")
    assert answer.text.startswith("1 recommendation of cycle 2 added to the list.")
    answer = await reply_with_numbers(
        tg, view, "➕ Add numbers", COORDINATOR, "c1 82.1-82.3, 82.900"
    )
    c1_new = {rec_id(services, 1, n) for n in ("82.1", "82.2", "82.3")} - seeded
    assert answer.text.startswith(
        f"{len(c1_new)} recommendations of cycle 1 added to the list.\n"
        "Not found in cycle 1: 82.900."
    )
    # Remove one, written in Khmer digits.
    answer = await reply_with_numbers(tg, view, "➖ Remove numbers", COORDINATOR, "១១៨.៦៣")
    assert answer.text.startswith("1 recommendation of cycle 2 removed from the list.")
    answer = await reply_with_numbers(tg, view, "➖ Remove numbers", COORDINATOR, "hello")
    assert answer.text == "I could not read these numbers. Write them like 118.1-118.20, 119.3."
    expected = (seeded | {labour_only} | c1_new) - {rec_id(services, 2, "118.63")}
    assert await services.group_lists.recommendation_ids(land) == expected

    # Hand edits survive a re-import, a theme re-sync and a working-group re-sync.
    for path in bundled.RECOMMENDATION_FILES:
        await services.catalog_repository.import_recommendations(
            [replace(r, text_en=r.text_en + " ") for r in parse_file(path).recommendations],
            services.rules,
            clock.now(),
        )
    await services.catalog_repository.sync_themes(services.rules)
    await services.coalition.repository.sync_working_groups(
        load_working_groups(bundled.WORKING_GROUPS_FILE)
    )
    await services.catalog_repository.set_theme(labour_only, 1, False)
    assert await services.group_lists.recommendation_ids(land) == expected

    # A round's cards in the group come from the group's list, not from themes.
    await link_land_group(tg)
    await open_round(tg, "c2 118.6, 118.63, 118.129", "List check")
    await tg.send("/rate", user=COORDINATOR, chat=GROUP)
    posted = []
    for _ in range(2):
        call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        posted.append(call.params["text"].split("</b>")[0].removeprefix("<b>"))
    assert posted == ["118.6", "118.129"]
    again = await tg.reply_to(COORDINATOR, "/rate", chat=GROUP)
    assert again.text.startswith("Every recommendation of this round for this working group")

    async with services.database.connection.execute(
        "SELECT action, detail FROM audit_log WHERE action LIKE '%group list' ORDER BY id"
    ) as cursor:
        audit = [tuple(row) async for row in cursor]
    assert audit[0] == ("add to group list", "land c2: 118.6")
    assert audit[-1] == ("remove from group list", "land c2: 118.63")


async def test_rate_in_a_group_whose_list_has_none_of_the_round_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    """Not "all posted already" when nothing was ever listed: what to do instead."""
    services: Services = bot.bot_data["services"]
    await link_land_group(tg)
    assert rec_id(services, 2, "118.6") not in await services.group_lists.recommendation_ids(
        await land_id(services)
    )
    await open_round(tg, "c2 118.6", "Labour only")
    answer = await tg.reply_to(COORDINATOR, "/rate", chat=GROUP)
    assert answer.text == (
        "None of this round's recommendations is on this working group's list. A coordinator "
        "can add them with /grouprecs, then send /rate again."
    )
    await tg.send("/language km", user=COORDINATOR, chat=GROUP)
    await tg.next_call("sendMessage", chat_id=GROUP["id"])
    answer = await tg.reply_to(COORDINATOR, "/rate", chat=GROUP)
    assert answer.text.startswith("មិនមានអនុសាសន៍ណាមួយនៃវគ្គនេះ")


async def test_members_edit_their_group_list_only_when_coordinators_allow(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services: Services = bot.bot_data["services"]
    land = await land_id(services)
    inside, outside = await coalition_with(bot, 2)
    await services.coalition.toggle_group(COORDINATOR_ID, 1, land)  # ORG0 is in the land group
    await link_land_group(tg)

    view = await tg.reply_to(inside, "/grouprecs", chat=GROUP)
    assert "Only coordinators edit the list." in view.text
    assert view.reply_markup is None  # nothing to press for a member yet
    assert (
        await press(tg, tg.carrying(view, f"gla:{land}"), f"gla:{land}", inside)
        == "Only coordinators can do this."
    )
    assert (
        await press(tg, tg.carrying(view, f"glm:{land}"), f"glm:{land}", inside)
        == "Only coordinators can do this."
    )

    view = await tg.reply_to(COORDINATOR, "/grouprecs", chat=GROUP)
    assert await press(tg, view, button(view, "Members may edit: no"), COORDINATOR) == "Saved."
    view = await edited(tg, view)
    assert "Members of this group may edit the list." in view.text
    assert button(view, "Members may edit: yes") == f"glm:{land}"

    answer = await reply_with_numbers(tg, view, "➕ Add numbers", inside, "118.6")
    assert answer.text.startswith("1 recommendation of cycle 2 added to the list.")
    assert (
        await press(tg, tg.carrying(view, f"gla:{land}"), f"gla:{land}", outside)
        == "Only coordinators can do this."
    )
    assert rec_id(services, 2, "118.6") in await services.group_lists.recommendation_ids(land)

    # Unlinked chats and forged buttons.
    other = {"id": -100777, "type": "supergroup", "title": "Elsewhere"}
    reply = await tg.reply_to(COORDINATOR, "/grouprecs", chat=other)
    assert reply.text.startswith("This chat is not linked to a working group")
    assert (
        await press(tg, tg.carrying(view, "gla:9999"), "gla:9999", COORDINATOR)
        == "Only coordinators can do this."
    )


async def test_an_existing_database_gets_lists_seeded_from_themes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as old:  # a database as the bot left it at version 3
        for script in MIGRATIONS[:3]:
            old.executescript(script)
        old.executescript(
            """
            INSERT INTO cycles (cycle) VALUES (2);
            INSERT INTO recommendations (id, cycle, paragraph, item, text_en,
                recommending_states, response, updated_at) VALUES
                (1, 2, 118, 1, 'Land titles', 'Japan', 'accepted', ''),
                (2, 2, 118, 2, 'Trade unions', 'Japan', 'accepted', ''),
                (3, 2, 118, 3, 'Land, taken out by hand', 'Japan', 'accepted', '');
            INSERT INTO themes (id, slug, name_en, name_km, position) VALUES
                (1, 'land', 'Land', 'ដី', 0), (2, 'labour', 'Labour', 'ការងារ', 1);
            INSERT INTO recommendation_themes VALUES
                (1, 1, 'rule', 1), (2, 2, 'rule', 1), (3, 1, 'coordinator', 0);
            INSERT INTO working_groups (id, slug, name_en, name_km, position) VALUES
                (1, 'land', 'Land', 'ដី', 0), (2, 'labour', 'Labour', 'ការងារ', 1);
            INSERT INTO working_group_themes VALUES (1, 1), (2, 2);
            INSERT INTO group_chats (chat_id, thread_id, working_group_id, linked_at)
                VALUES (-5, 0, 2, '');
            INSERT INTO rounds (id, name, cycle, scope, status, created_by, created_at)
                VALUES (1, 'R', 2, 'c2', 'open', 1, '');
            INSERT INTO rating_cards (chat_id, message_id, round_id, recommendation_id)
                VALUES (-5, 10, 1, 2), (-6, 11, 1, 1);
            PRAGMA user_version = 3;
            """
        )
    database = await Database.open(path)
    try:
        async with database.connection.execute(
            "SELECT working_group_id, recommendation_id, source, included "
            "FROM working_group_recommendations ORDER BY 1, 2"
        ) as cursor:
            assert [tuple(r) async for r in cursor] == [(1, 1, "theme", 1), (2, 2, "theme", 1)]
        async with database.connection.execute(
            "SELECT message_id, working_group_id FROM rating_cards ORDER BY 1"
        ) as cursor:
            assert [tuple(r) async for r in cursor] == [(10, 2), (11, None)]
    finally:
        await database.close()
