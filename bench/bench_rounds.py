"""Rating taps per second end to end, and the time to build a full round's export.

Run: .venv/bin/python bench/bench_rounds.py [--taps 5000]
A coalition of 300 organisations and a round of 275 recommendations (a synthetic cycle 4,
imported through the real import). Taps go through the real bot: the fake Bot API server on
loopback delivers callback queries, the bot records each rating in SQLite and answers the
query; a tap counts when its answer reaches the server. Then every organisation rates every
recommendation (82,500 ratings) and a full-round export is built as XLSX and CSV.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import running
from bot.domain.assessment import Colour
from bot.domain.rounds import export_rows, parse_scope
from bot.domain.spreadsheet import table
from bot.services import Services
from bot.settings import Settings
from handlers.render import overall_label
from handlers.round_cards import card_markup
from tests.fake_telegram import FakeTelegram, StoredMessage

COORDINATOR = 1
ORGS = 300
RECS = 275


def synthetic_cycle(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cycle", "number", "text", "recommending_states", "response"])
        for i in range(RECS):
            writer.writerow(
                [
                    4,
                    f"110.{i + 1}",
                    f"Protect land and labour rights, item {i}",
                    "Japan",
                    "accepted",
                ]
            )


async def join_organisations(
    services: Services, count: int, coordinator: int
) -> list[dict[str, Any]]:
    """`count` organisations, each in a working group (every third in two), each with a
    representative who joined by invite; the representatives as Telegram users."""
    reps = []
    groups = await services.coalition.working_groups()
    for n in range(count):
        invite = await services.coalition.add_organisation(coordinator, f"O{n}", f"Org {n}")
        for g in groups[n % len(groups) :: 3][: 1 + (n % 3 == 0)]:
            await services.coalition.toggle_group(coordinator, invite.organisation.id, g.id)
        user: dict[str, Any] = {"id": 10_000 + n, "is_bot": False, "first_name": f"R{n}"}
        await services.coalition.join(user["id"], user["first_name"], "en", invite.code)
        reps.append(user)
    return reps


@asynccontextmanager
async def bench_bot(
    tg: FakeTelegram, tmp: Path, coordinator: int
) -> AsyncIterator[tuple[Services, Settings]]:
    """The real bot on the fake server, on a database in `tmp`, with the synthetic cycle
    imported through the real import."""
    settings = Settings(
        token=tg.token,
        base_url=tg.url,
        database_path=tmp / "b.sqlite3",
        coordinator_ids=frozenset({coordinator}),
        rate_limit_per_minute=1_000_000,
        card_edit_seconds=3600,
    )
    # One card in one group takes every tap: no per-chat queue bound for the benchmark.
    async with running(settings, poll_timeout=1, button_queue=10**6) as app:
        services: Services = app.bot_data["services"]
        data = tmp / "c4.csv"
        synthetic_cycle(data)
        await services.import_file(data)
        yield services, settings


def cards(round_id: int, recs: list[int], username: str) -> dict[int, StoredMessage]:
    """A group card per recommendation, carrying the keyboard the bot draws on it."""
    return {
        rec: StoredMessage(
            -100123,
            n + 1,
            "card",
            reply_markup=card_markup(round_id, rec, link=username).to_dict(),
        )
        for n, rec in enumerate(recs)
    }


async def rated_round(
    services: Services, settings: Settings
) -> tuple[list[dict[str, Any]], int, list[int]]:
    """ORGS organisations that joined the real way and an open round over the synthetic
    cycle: the representatives, the round's id, its recommendations."""
    reps = await join_organisations(services, ORGS, COORDINATOR)
    scope = parse_scope("c4", services.catalog, settings.timezone, services.clock.now().date())
    round_id = await services.assessments.open_round(COORDINATOR, "Bench", scope)
    return reps, round_id, list(scope.recommendation_ids)


async def rate_everything(
    services: Services, round_id: int, recs: list[int], rng: random.Random
) -> list[int]:
    """Every organisation rates every recommendation of the round (bulk SQL: set-up only);
    the organisations' ids."""
    now = dt.datetime.now(dt.UTC).isoformat()
    orgs = [
        row[0]
        async for row in await services.database.connection.execute("SELECT id FROM organisations")
    ]
    async with services.database.transaction() as db:
        await db.executemany(
            "INSERT OR REPLACE INTO ratings (round_id, recommendation_id, "
            "organisation_id, colour, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    round_id,
                    rec,
                    org,
                    rng.choice(list(Colour)).value,
                    rng.choice(["", "No law yet.", "Draft in consultation."]),
                    now,
                )
                for rec in recs
                for org in orgs
            ],
        )
    return orgs


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--taps", type=int, default=3000, help="taps per batch (3 batches)")
    args = parser.parse_args()
    tg = FakeTelegram()
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_bot(tg, Path(tmp), COORDINATOR) as (services, settings):
            reps, round_id, recs = await rated_round(services, settings)
            groups = await services.coalition.working_groups()
            posted = cards(round_id, recs, "bench_bot")
            rng = random.Random(1)
            colours = "rogu"

            rates = []
            for batch in range(3):  # three batches: the machine is shared, report each
                taps = [
                    (rng.choice(reps), rng.choice(recs), rng.choice(colours))
                    for _ in range(args.taps)
                ]
                started = time.perf_counter()
                for user, rec, colour in taps:
                    await tg.press(posted[rec], f"v{colour}:{round_id}:{rec}", user=user)
                for _ in taps:
                    await tg.next_call("answerCallbackQuery", timeout=120)
                elapsed = time.perf_counter() - started
                rates.append(len(taps) / elapsed)
                print(
                    f"batch {batch + 1}: {len(taps)} rating taps from {ORGS} organisations on "
                    f"{RECS} recommendations in {elapsed:.2f} s: {rates[-1]:.0f} taps/s"
                )
            print(f"  median {statistics.median(rates):.0f} taps/s end to end")
            errors = [c for c in tg.calls if c.error and "not modified" not in c.error]
            print(f"  refused calls: {len(errors)}")

            # Every organisation rates every recommendation: 82,500 ratings. (Bulk SQL here is
            # the benchmark's set-up only: tapping them all would take minutes.)
            await rate_everything(services, round_id, recs, rng)
            await services.assessments.set_open(COORDINATOR, round_id, False)
            l10n = services.translations.localizer("en")
            for fmt in ("xlsx", "csv"):
                times = []
                for _ in range(5):
                    started = time.perf_counter()
                    _, rows, by_group = await services.assessments.group_tables(
                        COORDINATOR, round_id, services.catalog, groups
                    )
                    blocks = [(g.name("en"), by_group[g.id]) for g in groups]
                    content = table(
                        export_rows(l10n, services.catalog, blocks, overall_label), fmt
                    )
                    times.append(time.perf_counter() - started)
                print(
                    f"  full-round export built ({len(rows)} recommendations, each group's own block, "
                    f"82,500 ratings, names and reasons) as {fmt}: median "
                    f"{statistics.median(times):.2f} s (min {min(times):.2f}), "
                    f"{len(content) // 1024} KiB"
                )
            coordinator = {"id": COORDINATOR, "is_bot": False, "first_name": "C"}
            times = []
            for _ in range(5):
                started = time.perf_counter()
                await tg.send(f"/export {round_id} xlsx", user=coordinator)
                await tg.next_call("sendDocument", timeout=120)
                times.append(time.perf_counter() - started)
            print(
                f"  /export {round_id} xlsx through the bot (per working group, all columns): "
                f"median {statistics.median(times):.2f} s (min {min(times):.2f})"
            )
            # /results for the whole coalition: the table, and the picture's bar per group.
            await services.assessments.publish(COORDINATOR, round_id)
            round_, _ = await services.assessments.results(COORDINATOR, round_id, services.catalog)
            passes = {
                "results(): the coalition's table": lambda: services.assessments.results(
                    COORDINATOR, round_id, services.catalog
                ),
                "group_tables(): the table and each group's own rows": lambda: (
                    services.assessments.group_tables(
                        COORDINATOR, round_id, services.catalog, groups
                    )
                ),
                "group_colours(): each group's colours, one aggregate (the bars)": lambda: (
                    services.assessments.group_colours(round_, services.catalog)
                ),
            }
            for label, call in passes.items():
                times = []
                for _ in range(5):
                    started = time.perf_counter()
                    await call()
                    times.append(time.perf_counter() - started)
                print(f"  {label}: median {statistics.median(times) * 1000:.0f} ms")
            times = []
            for _ in range(5):
                started = time.perf_counter()
                await tg.send(f"/results {round_id}", user=coordinator)
                await tg.next_call("sendPhoto", timeout=120)
                for _ in range(2):  # the summary, then the table's first page
                    await tg.next_call("sendMessage", timeout=120)
                times.append(time.perf_counter() - started)
            print(
                f"  /results {round_id} through the bot (picture, summary, first page): "
                f"median {statistics.median(times):.2f} s (min {min(times):.2f})"
            )
    await tg.stop()


if __name__ == "__main__":
    asyncio.run(main())
