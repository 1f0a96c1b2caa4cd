"""The time to work out whom a round concerns (bot/domain/round_audience.py): its audience with
each organisation's own count and progress, a private card's "N of M", the panel and /rounds.

Run: .venv/bin/python bench/bench_audience.py
1,000 organisations in the bundled working groups (one each, every third in a second one, every
tenth in none), a round of 275 recommendations spread over the groups' lists, and every
organisation rating every recommendation (275,000 ratings): the largest counts there can be.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import running
from bot.domain.rounds import parse_scope
from bot.services import Services
from bot.settings import Settings
from tests.fake_telegram import FakeTelegram

COORDINATOR = 1
ORGS = 1000
RECS = 275


def synthetic_cycle(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cycle", "number", "text", "recommending_states", "response"])
        for i in range(RECS):
            writer.writerow([4, f"110.{i + 1}", f"Item {i}", "Japan", "accepted"])


async def timed(label: str, call: object, runs: int = 5) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    print(f"{label}: median {1000 * statistics.median(times):.0f} ms over {runs} runs")


async def main() -> None:
    tg = FakeTelegram()
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            token=tg.token,
            base_url=tg.url,
            database_path=Path(tmp) / "b.sqlite3" if len(sys.argv) < 2 else Path(sys.argv[1]),
            coordinator_ids=frozenset({COORDINATOR}),
        )
        async with running(settings, poll_timeout=1) as app:
            services: Services = app.bot_data["services"]
            data = Path(tmp) / "c4.csv"
            synthetic_cycle(data)
            await services.import_file(data)
            scope = parse_scope("c4", services.catalog, settings.timezone, dt.date(2026, 1, 1))
            recs = list(scope.recommendation_ids)
            groups = [g.id for g in await services.coalition.working_groups()]
            now = dt.datetime.now(dt.UTC).isoformat()
            # Bulk SQL is the benchmark's set-up only.
            async with services.database.transaction() as db:
                await db.executemany(
                    "INSERT OR REPLACE INTO working_group_recommendations VALUES "
                    "(?, ?, 'coordinator', 1)",
                    [(groups[i % len(groups)], rec) for i, rec in enumerate(recs)],
                )
                await db.executemany(
                    "INSERT INTO organisations (short_name, name, active, created_at) "
                    "VALUES (?, ?, 1, ?)",
                    [(f"O{n}", f"Org {n}", now) for n in range(ORGS)],
                )
                orgs = [
                    row[0] for row in await db.execute_fetchall("SELECT id FROM organisations")
                ]
                await db.executemany(
                    "INSERT OR IGNORE INTO organisation_groups VALUES (?, ?)",
                    [
                        (org, g)
                        for n, org in enumerate(orgs)
                        if n % 10
                        for g in groups[n % len(groups) :: 3][: 1 + (n % 3 == 0)]
                    ],
                )
            round_id = await services.assessments.open_round(COORDINATOR, "Bench", scope)
            async with services.database.transaction() as db:
                await db.executemany(
                    "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                    "updated_at) VALUES (?, ?, ?, 'red', ?)",
                    [(round_id, rec, org, now) for org in orgs for rec in recs],
                )
            assessments = services.assessments
            audience = await assessments.audience(round_id)
            print(
                f"{ORGS} organisations, {len(groups)} working groups, {RECS} recommendations, "
                f"{ORGS * RECS} ratings: audience of {len(audience.shares)} organisations"
            )
            await timed(
                "audience (rule + every organisation's share)",
                lambda: assessments.audience(round_id),
            )
            await timed(
                "opening notice's audience (before the round exists)",
                lambda: assessments.audience(items=recs),
            )
            await timed(
                "a private card's N of M", lambda: assessments.card_counts(round_id, recs[7])
            )
            await timed(
                "one organisation's share (/start, a member's /rounds)",
                lambda: assessments.audience(round_id, organisation_id=orgs[5]),
            )
            await timed(
                "every recommendation's counts, one aggregate (the panel's 'not enough')",
                lambda: assessments.repository.distributions(round_id),
            )
            await timed("the round's panel", lambda: assessments.panel(COORDINATOR, round_id))
    await tg.stop()


if __name__ == "__main__":
    asyncio.run(main())
