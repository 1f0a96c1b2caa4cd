"""A rating tap costs one trip to the database; what it reads besides (who presses, their
language, the round, the chat's language) is kept in memos, and every change to those facts
takes effect on the very next tap."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.domain import outbox
from bot.domain.access import Access
from bot.domain.assessment import Colour
from bot.domain.outbox import Content, Job, Outgoing
from bot.services import Services
from handlers.common import BotApplication
from storage import db as storage_db
from storage.db import NO_FACTS, Database, Memo, Writer, changes_facts
from tests.conftest import COORDINATOR_ID, GROUP
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round, rep
from tests.test_rules import PAUSED, rec_id, services_of

GROUP_ID = -100500  # tests.conftest.GROUP's
CLOSED = "This round is closed: ratings can no longer change."
GUEST_REFUSAL = (
    "Only representatives of member organisations can rate. Ask a coordinator for an invite link."
)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every trip to the database's thread from now on (a statement, or work run at once)."""
    seen: list[str] = []
    original = storage_db._Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(args[1]) if fn is storage_db._execute_and_read else fn.__qualname__)
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(storage_db._Connection, "_execute", counted)
    return seen


async def group_cards(tg: FakeTelegram, bot: BotApplication, reps: int) -> list[StoredMessage]:
    """`reps` representatives of organisations in the land group, whose chat is linked; an
    open round over the group's cycle 2 recommendations; its first five cards, posted there."""
    await coalition_with(bot, reps, "land")
    await link_land_group(tg)
    await open_round(tg, "c2 land", "Check")
    await tg.send("/rate", user=rep(0), chat=GROUP)
    cards = []
    for _ in range(5):
        call = await tg.next_call("sendMessage", chat_id=GROUP["id"])
        cards.append(tg.messages[(GROUP_ID, call.result["message_id"])])
    await tg.next_call("sendMessage", chat_id=GROUP["id"])  # "N more: send /rate again"
    return cards


async def ratings_of_the_first_organisation(services: Services) -> list[Colour]:
    """The colours organisation 1 gave in round 1."""
    return [r.colour for r in (await services.assessments.own(1, 1)).values()]


async def test_a_tap_is_one_trip_to_the_database_once_its_facts_are_known(
    bot: BotApplication, trips: list[str]
) -> None:
    await coalition_with(bot, 1)
    services = services_of(bot)
    scope = [rec_id(services, n) for n in ("118.1", "118.2")]
    round_id = await services.assessments.repository.open_round(
        "Check", 2, "c2", scope, None, actor=COORDINATOR_ID, now=services.clock.now()
    )

    async def tap(rec: int, colour: Colour) -> None:
        # What the button router and the handler ask for one tap in a group chat.
        await services.language_of(2000, "en")
        refusal = await services.access.check(2000, Access.RATER, private=False, round_id=round_id)
        assert refusal is None
        await services.coalition.language_for(GROUP_ID)
        await services.assessments.tap(2000, round_id, rec, colour, in_group=True)

    await tap(scope[0], Colour.RED)  # the first tap reads who presses, the round, the chat
    trips.clear()
    await tap(scope[1], Colour.GREEN)
    await tap(scope[0], Colour.ORANGE)
    assert trips == ["Database.atomic.<locals>.transact"] * 2
    own = await services.assessments.own(round_id, 1)
    assert {r: own[r].colour for r in scope} == {scope[0]: Colour.ORANGE, scope[1]: Colour.GREEN}


async def test_a_deactivated_organisation_is_refused_on_the_very_next_tap(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    card, *_ = await group_cards(tg, bot, 1)
    services = services_of(bot)
    assert await press(tg, card, button(card, "🔴"), rep(0)) == "ORG0 rated it 🔴."
    await services.coalition.set_active(COORDINATOR_ID, 1, False)
    assert await press(tg, card, button(card, "🟢"), rep(0)) == PAUSED
    await services.coalition.set_active(COORDINATOR_ID, 1, True)
    assert await press(tg, card, button(card, "🟢"), rep(0)) == "ORG0 rated it 🟢."
    assert await ratings_of_the_first_organisation(services) == [Colour.GREEN]


async def test_a_closed_round_is_refused_on_the_very_next_tap(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    first, second, *_ = await group_cards(tg, bot, 1)
    services = services_of(bot)
    assert await press(tg, first, button(first, "🔴"), rep(0)) == "ORG0 rated it 🔴."
    await services.assessments.set_open(COORDINATOR_ID, 1, False)
    assert await press(tg, second, button(second, "🟢"), rep(0)) == CLOSED
    assert await press(tg, first, button(first, "🟢"), rep(0)) == CLOSED
    assert await ratings_of_the_first_organisation(services) == [Colour.RED]


async def test_a_removed_representative_is_refused_on_the_very_next_tap(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    first, second, *_ = await group_cards(tg, bot, 2)
    services = services_of(bot)
    assert await press(tg, first, button(first, "🔴"), rep(0)) == "ORG0 rated it 🔴."
    assert await services.coalition.remove_representative(COORDINATOR_ID, 1, rep(0)["id"])
    assert await press(tg, second, button(second, "🟢"), rep(0)) == GUEST_REFUSAL
    assert await press(tg, second, button(second, "🟢"), rep(1)) == "ORG1 rated it 🟢."
    assert await ratings_of_the_first_organisation(services) == [Colour.RED]


async def test_a_language_chosen_between_two_taps_answers_the_second(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    first, second, *_ = await group_cards(tg, bot, 1)
    assert await press(tg, first, button(first, "🔴"), rep(0)) == "ORG0 rated it 🔴."
    await services_of(bot).set_language(rep(0)["id"], "km")
    answer = await press(tg, second, button(second, "🟢"), rep(0))
    assert answer != "ORG0 rated it 🟢."
    assert "ORG0" in answer
    assert "🟢" in answer


def test_reads_and_the_hot_tables_writes_keep_the_memos_any_other_write_empties_them() -> None:
    keeps = [
        "SELECT * FROM users WHERE user_id = ?",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "INSERT OR IGNORE INTO inbox (update_id, body) VALUES (?, ?)",
        "INSERT INTO ratings (round_id) VALUES (?) ON CONFLICT DO UPDATE SET colour = 1",
        "UPDATE deliveries SET status = ? WHERE id = ?",
        "  delete from reason_prompts WHERE expires_at <= ?",
    ]
    empties = [
        "UPDATE organisations SET active = ? WHERE id = ?",
        "UPDATE users SET organisation_id = NULL WHERE user_id = ?",
        "INSERT OR REPLACE INTO users (user_id) VALUES (?)",
        "UPDATE rounds SET status = 'closed' WHERE id = ?",
        "DELETE FROM working_groups WHERE id = ?",  # its group chats go with it
        "WITH x AS (SELECT 1) DELETE FROM rounds",  # not recognised: empties
        "PRAGMA user_version = 3",
        "ALTER TABLE users ADD COLUMN x",
    ]
    assert [changes_facts(sql) for sql in keeps] == [False] * len(keeps)
    assert [changes_facts(sql) for sql in empties] == [True] * len(empties)


# What the memos keep is read from these tables (storage/membership.py person and chats,
# storage/users.py language, storage/assessment.py round).
MEMO_TABLES = {"users", "organisations", "rounds", "round_items", "group_chats"}
_WRITES = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)


def triggered_writes(conn: sqlite3.Connection, table: str) -> set[tuple[str, str]]:
    """(trigger, table it writes) for every trigger an insert, update or delete of `table`
    fires, as SQLite itself names them while it compiles the write (quoting, comments and
    several statements in a trigger's body are its business)."""
    found: set[tuple[str, str]] = set()

    def authorize(action: int, name: str | None, _2: object, _db: object, by: str | None) -> int:
        if by is not None and action in _WRITES and name is not None:
            found.add((by, name))
        return sqlite3.SQLITE_OK

    columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
    conn.set_authorizer(authorize)
    try:
        # Table and column names from the schema.
        for write in (
            f"INSERT INTO {table} DEFAULT VALUES",
            f"UPDATE {table} SET " + ", ".join(f"{c} = {c}" for c in columns),  # noqa: S608
            f"DELETE FROM {table}",  # noqa: S608
        ):
            conn.execute(f"EXPLAIN {write}")  # compiled with its triggers, never run
    finally:
        conn.set_authorizer(None)
    return found


def test_no_write_to_a_hot_table_changes_a_table_the_memos_read(db_path: Path) -> None:
    """A foreign key's ON DELETE/UPDATE action, or a trigger, could let a write the memos
    ignore (to a NO_FACTS table) change a table they read: none does, even through others.
    (The catalog's triggers, migration 37, fire on writes that empty every memo anyway; the
    reasons' trimming, migration 38, fires on ratings and writes ratings.)"""
    with sqlite3.connect(db_path) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        children = {
            (fk[2], table)
            for table in tables
            for fk in conn.execute(f"PRAGMA foreign_key_list({table})")
            if {fk[5], fk[6]} - {"NO ACTION", "RESTRICT"}
        }
        triggered = {table: triggered_writes(conn, table) for table in tables}
    assert set(tables) >= NO_FACTS
    reached, todo = set(NO_FACTS), list(NO_FACTS)
    while todo:
        parent = todo.pop()
        written = {c for p, c in children if p == parent} | {t for _, t in triggered[parent]}
        for child in written - reached:
            reached.add(child)
            todo.append(child)
    assert reached & MEMO_TABLES == set()
    # The check sees triggers at all: the reasons' on ratings, the catalog's.
    assert {name for name, _ in triggered["ratings"]} >= {"ratings_update_trimmed"}
    assert {t for _, t in triggered["recommendations"]} == {"meta"}


async def test_a_memo_forgets_what_it_read_inside_a_transaction_that_rolled_back(
    db_path: Path,
) -> None:
    database = await Database.open(db_path)
    memo: Memo[int, int] = Memo(database)

    async def groups() -> int:
        async with database.connection.execute("SELECT COUNT(*) FROM working_groups") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    try:
        before = await memo.get(0, groups)

        async def rolled_back() -> None:
            async with database.transaction() as db:
                await db.execute("DELETE FROM working_groups")
                assert await memo.get(0, groups) == 0  # its connection sees the uncommitted
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await rolled_back()
        assert await memo.get(0, groups) == before > 0
    finally:
        await database.close()


async def test_a_change_another_process_commits_is_noticed_at_the_next_statement(
    services: Services, db_path: Path
) -> None:
    """`bot.py import` runs beside the bot: what it commits empties the memos too."""
    repository = services.assessments.repository
    round_id = await repository.open_round(
        "Open",
        2,
        "c2",
        [rec_id(services, "118.6")],
        None,
        actor=COORDINATOR_ID,
        now=services.clock.now(),
    )
    found = await repository.round(round_id)
    assert found is not None
    assert found.open
    with sqlite3.connect(db_path) as other:
        other.execute("UPDATE rounds SET status = 'closed' WHERE id = ?", (round_id,))
    await services.coalition.working_groups()  # any statement
    found = await repository.round(round_id)
    assert found is not None
    assert not found.open


async def test_work_run_at_once_that_changes_a_fact_empties_the_memos(db_path: Path) -> None:
    """Also when a delivery staged for the outbox makes it run as an ordinary transaction."""
    database = await Database.open(db_path)
    memo: Memo[int, str] = Memo(database)

    async def name() -> str:
        async with database.connection.execute("SELECT MIN(name_en) FROM working_groups") as c:
            row = await c.fetchone()
        return str(row[0]) if row else ""

    def rename(to: str) -> Callable[[Writer], object]:
        return lambda db: db.execute("UPDATE working_groups SET name_en = ?", (to,))

    async def written(rows: Sequence[Outgoing]) -> None:
        raise AssertionError("the staged delivery is written with the transaction")

    try:
        await memo.get(0, name)
        await database.atomic(rename("A"))
        assert await memo.get(0, name) == "A"
        async with outbox.along(written):
            outbox.stage(Outgoing(1, Content("hello"), Job.PROMPT))
            await database.atomic(rename("B"))
        assert await memo.get(0, name) == "B"
    finally:
        await database.close()
