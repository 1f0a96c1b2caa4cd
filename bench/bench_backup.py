"""How long a backup of a large database takes, and whether taps wait for it.

Run: .venv/bin/python bench/bench_backup.py [--size 50000]
A database with the bundled data plus `size` synthetic recommendations (a third with Khmer
text, through the real import), 300 organisations and a round of 275 recommendations that every
organisation rated (82,500 ratings). Each backup is timed while rating taps (one transaction
each, through the real repository) run without pause; the slowest tap during the backups is
compared with the slowest tap before them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lookup import synthetic_csv

from bot.domain.assessment import Colour
from bot.domain.clock import SystemClock
from bot.domain.importer import parse_file
from bot.services import Services
from bot.settings import Settings

ORGS = 300
RECS = 275


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token="bench", database_path=Path(tmp) / "bench.sqlite3")
        services = await Services.start(settings, SystemClock())
        now = dt.datetime.now(dt.UTC)
        data = Path(tmp) / "synthetic.csv"
        synthetic_csv(data, args.size)
        repo = services.catalog_repository
        await repo.import_recommendations(parse_file(data).recommendations, services.rules, now)
        await repo.import_translations(parse_file(data.with_name("km.csv")).translations, now)
        members = services.coalition.repository
        orgs = [
            await members.add_organisation(f"O{n}", f"Org {n}", actor=0, now=now)
            for n in range(ORGS)
        ]
        await services.refresh_catalog()
        recs = [r.id for r in services.catalog.recommendations][:RECS]
        ratings = services.assessments.repository
        round_id = await ratings.open_round("Bench", 4, "bench", recs, None, actor=0, now=now)
        rng = random.Random(1)
        async with services.database.transaction() as db:  # set-up only: bulk SQL
            await db.executemany(
                "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                "reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (round_id, rec, org, rng.choice(list(Colour)).value, "No law yet.", now)
                    for rec in recs
                    for org in orgs
                ],
            )
        size = settings.database_path.stat().st_size
        print(f"database: {args.size + 296} recommendations, {ORGS} organisations, ")
        print(f"  {RECS * ORGS} ratings: {size / 1e6:.0f} MB")

        latencies: list[float] = []
        tapping = True

        async def tap() -> None:
            while tapping:
                started = time.perf_counter()
                colour = rng.choice(list(Colour))
                await ratings.rate(round_id, rng.choice(recs), rng.choice(orgs), colour, now)
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.001)

        taps = asyncio.create_task(tap())
        await asyncio.sleep(2)
        quiet = max(latencies)
        latencies.clear()
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            path = await services.backup()
            times.append(time.perf_counter() - started)
        tapping = False
        await taps
        print(
            f"backup ({path.stat().st_size / 1e6:.0f} MB, integrity check included): median "
            f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
        )
        print(
            f"  {len(latencies)} taps during the backups: slowest {max(latencies) * 1000:.0f} ms "
            f"(slowest in the 2 s before: {quiet * 1000:.0f} ms)"
        )
        await services.close()


if __name__ == "__main__":
    asyncio.run(main())
