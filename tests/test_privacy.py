"""Privacy and integrity: honest role changes, unreachable people, Telegram faults kept quiet."""

import asyncio
import sqlite3
from pathlib import Path

from bot.domain.assessment import Colour
from bot.services import Services
from handlers.callbacks import RoundAction, RoundButton
from handlers.common import BotApplication
from storage.db import Database, _statements
from storage.migrations import MIGRATIONS, REBUILDS
from tests.conftest import COORDINATOR, GROUP
from tests.fake_telegram import FakeTelegram
from tests.round_panel import confirmed, round_panel
from tests.test_lookup_bot import buttons, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round


def services_of(bot: BotApplication) -> Services:
    services: Services = bot.bot_data["services"]
    return services


async def idle(tg: FakeTelegram, bot: BotApplication) -> None:
    """Wait until every update sent so far has been fetched and fully handled, and what the bot
    sends on its own went out (or was given up)."""
    outbox = bot.bot_data["services"].outbox
    for _ in range(500):
        handled = bot.update_processor.current_concurrent_updates == 0
        if not tg.waiting_updates() and handled and not await outbox.waiting():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot is still busy")


async def test_demoting_someone_who_never_was_a_coordinator_says_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await tg.reply_to(COORDINATOR, "/demote 3001")
    assert reply.text == "3001 is not a coordinator."
    reply = await tg.reply_to(COORDINATOR, "/promote 111")
    assert reply.text == "111 is already a coordinator."
    repository = services_of(bot).coalition.repository
    assert [e.action for e in await repository.audit_log()] == []
    assert await repository.person(3001) is None  # and nothing is stored about them


async def test_a_blocked_reason_prompt_marks_the_person_unreachable(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [rep] = await coalition_with(bot, 1)
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Mid-term review 2026")
    await tg.send("/rate", user=rep, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    tg.blocked.add(rep["id"])
    query = await tg.press(card, buttons(card)[0]["callback_data"], user=rep)
    await tg.next_call("answerCallbackQuery", callback_query_id=query)
    prompt = await tg.next_call("sendMessage", chat_id=rep["id"])
    assert prompt.error == "Forbidden: bot was blocked by the user"
    await idle(tg, bot)
    person = await services_of(bot).coalition.person(rep["id"])
    assert person is not None
    assert person.unreachable_since is not None


async def test_a_failed_button_answer_posts_nothing_into_the_group(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    [rep] = await coalition_with(bot, 1)
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Mid-term review 2026")
    await tg.send("/rate", user=rep, chat=GROUP)
    call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
    card = tg.messages[(GROUP["id"], call.result["message_id"])]
    await idle(tg, bot)
    before = len(tg.calls)
    tg.fail_next("answerCallbackQuery", 502)
    await tg.press(card, buttons(card)[0]["callback_data"], user=rep)
    failed = await tg.next_call("answerCallbackQuery")
    assert failed.error == "Injected fault"
    await idle(tg, bot)
    # Nothing into the group; the rating was recorded, so its reason is asked in private
    # (queued with the rating itself: it does not hang on the tap's answer).
    assert [(c.method, c.params.get("chat_id")) for c in tg.calls[before:]] == [
        ("answerCallbackQuery", None),
        ("sendMessage", str(rep["id"])),
    ]


async def test_forged_round_buttons_show_nothing_of_an_unpublished_round(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    [rep] = await coalition_with(bot, 1)
    await open_round(tg, "c2 land", "Mid-term review 2026")
    rec = (await services.assessments.repository.items(1))[0]
    await services.assessments.rate(rep["id"], 1, rec, Colour.RED)
    guest = {"id": 4444, "is_bot": False, "first_name": "Curious", "language_code": "en"}
    anchor = await tg.reply_to(guest, "/help")
    before = len(tg.calls)
    for forged in (f"rv:1:{rec}", f"rw:1:{rec}", f"rk:1:{rec}", "rq:1:0:0", "rar:1", "rav:1"):
        assert await press(tg, tg.carrying(anchor, forged), forged, guest) != "", forged
    await idle(tg, bot)
    assert [c.method for c in tg.calls[before:]] == ["answerCallbackQuery"] * 6
    # Closed but not published: a member sees no counts either.
    await services.assessments.set_open(COORDINATOR["id"], 1, False)
    mine = await tg.reply_to(rep, "/help")
    assert await press(tg, tg.carrying(mine, f"rv:1:{rec}"), f"rv:1:{rec}", rep) == (
        "This round is closed: ratings can no longer change."
    )
    assert await press(tg, tg.carrying(mine, "rq:1:0:0"), "rq:1:0:0", rep) == (
        "Results are shown to members once coordinators publish a closed round."
    )
    assert (
        await press(tg, tg.carrying(mine, "rq:9:0:0"), "rq:9:0:0", rep)
        == "This round no longer exists."
    )


async def test_a_round_panel_opens_only_in_a_coordinators_own_chat(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await open_round(tg, "c2 land", "Mid-term review 2026")
    other = {"id": 5555, "is_bot": False, "first_name": "Other", "language_code": "en"}
    await tg.reply_to(COORDINATOR, f"/promote {other['id']}")
    listing = await tg.reply_to(COORDINATOR, "/rounds", chat=GROUP)
    assert "Mid-term review 2026" in listing.text
    panel = RoundButton(1, RoundAction.CLOSE).pack()
    assert "private" in await press(tg, tg.carrying(listing, panel), panel, COORDINATOR)
    round_ = await services_of(bot).assessments.repository.round(1)
    assert round_ is not None
    assert round_.open
    # In private, the coordinator's own chat is theirs alone.
    mine = await round_panel(tg, 1, other)
    assert (await confirmed(tg, mine, "Close", "Yes, close", other))[0] == "Closed."


async def test_an_erased_organisation_leaves_no_id_to_reuse_and_no_name_in_the_files(
    services: Services, db_path: Path
) -> None:
    coalition = services.coalition
    await coalition.repository.seed_coordinators([COORDINATOR["id"]], "en")
    actor = COORDINATOR["id"]
    await coalition.add_organisation(actor, "KEPT", "Kept organisation")
    gone = await coalition.add_organisation(actor, "ZQXERASED", "Zqxerased Rights Association")
    # The coordinators are told "Zqxperson joined ZQXERASED" (an outbox row): erased too.
    await coalition.redeem(7777, "Zqxperson Sokha", "en", gone.code, "Zqxperson")
    await coalition.erase(actor, gone.organisation.id)
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    for erased in ("ZQXERASED", "Zqxerased Rights", "Zqxperson"):
        assert erased.encode() not in raw, erased
    # Overwritten, not merely unlinked, whatever SQLite's build default.
    async with services.database.connection.execute("PRAGMA secure_delete") as cursor:
        assert await cursor.fetchone() == (1,)
    new = await coalition.add_organisation(actor, "NEWORG", "New organisation")
    assert new.organisation.id > gone.organisation.id
    assert new.id > gone.id  # its invite too: an old Revoke button cannot reach the new one
    credited = [e.action for e in await coalition.audit_log(actor) if e.organisation == "NEWORG"]
    assert credited == ["create invite", "add organisation"]


async def test_the_migration_keeps_every_reference_and_starts_ids_past_erased_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:  # a database as the previous release left it
        for script in MIGRATIONS[: min(REBUILDS) - 1]:
            for statement in _statements(script):
                old.execute(statement)
        old.execute(f"PRAGMA user_version = {min(REBUILDS) - 1:d}")
        old.executescript(
            """
            INSERT INTO working_groups (id, slug, name_en, name_km, position)
                VALUES (1, 'land', 'Land', 'ដី', 0);
            INSERT INTO organisations VALUES (1, 'A', 'Org A', 1, 'x'), (2, 'B', 'Org B', 0, 'x');
            INSERT INTO users (user_id, language, organisation_id) VALUES (10, 'en', 1);
            INSERT INTO organisation_groups VALUES (1, 1);
            INSERT INTO invites (id, code_hash, organisation_id, created_by, created_at,
                expires_at) VALUES (1, 'h1', 1, 111, 'x', 'x');
            INSERT INTO audit_log (at, actor_id, action, organisation_id) VALUES
                ('x', 111, 'add organisation', 1), ('x', 111, 'create invite', 1),
                ('x', 111, 'add organisation', 2), ('x', 111, 'add organisation', 3),
                ('x', 111, 'create invite', 3), ('x', 111, 'erase organisation', 3);
            """
        )
    database = await Database.open(path)
    try:
        db = database.connection
        async with db.execute("SELECT user_id, organisation_id FROM users") as cursor:
            assert await cursor.fetchall() == [(10, 1)]
        async with db.execute("SELECT * FROM organisation_groups") as cursor:
            assert await cursor.fetchall() == [(1, 1)]
        async with db.execute("PRAGMA foreign_key_check") as cursor:
            assert await cursor.fetchall() == []
        async with db.execute("PRAGMA foreign_keys") as cursor:
            assert await cursor.fetchone() == (1,)
        async with database.transaction() as tx:
            org = await tx.execute(
                "INSERT INTO organisations (short_name, name, created_at) VALUES ('C', 'C', 'x')"
            )
            invite = await tx.execute(
                "INSERT INTO invites (code_hash, organisation_id, created_by, created_at, "
                "expires_at) VALUES ('h2', 1, 111, 'x', 'x')"
            )
        assert (org.lastrowid, invite.lastrowid) == (4, 3)  # org 3 and invite 2 were erased
        async with database.transaction() as tx:  # the children still follow their parent
            await tx.execute("DELETE FROM organisations WHERE id = 1")
        async with db.execute("SELECT organisation_id FROM users") as cursor:
            assert await cursor.fetchall() == [(None,)]
    finally:
        await database.close()
