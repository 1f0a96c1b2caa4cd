"""How long a nudge sweep takes over a large strategy.

Run: .venv/bin/python bench/bench_nudges.py [--actions 5000]
20 working groups, each with a linked chat, 300 organisations with one representative each,
and `--actions` actions (one responsible organisation each) due over the coming months,
imported through the real service; one in five is recurring (monthly, every quarter, weekly,
every year in December: nudged before each occurrence) or ongoing. Measured: a sweep on a day when about one action in twenty
is due a nudge (the nudges recorded and their messages staged for the outbox in one
transaction), then a sweep that finds nothing new (the every-minute case).
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

from bot.domain import bundled
from bot.domain.coalition import load_working_groups
from bot.domain.strategy import CLI, ActionDraft, ActionFields
from bot.domain.timeframes import read_timeframe
from bot.services import Services
from bot.settings import Settings
from handlers.nudges import NudgeRenderer
from tests.conftest import FakeClock

COORDINATOR = 1
ORGS = 300
GROUPS = 20


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=5000)
    args = parser.parse_args()
    random.seed(4)
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
        settings = Settings(
            token="x",
            database_path=Path(folder) / "bench.sqlite3",
            coordinator_ids=frozenset({COORDINATOR}),
        )
        services = await Services.start(settings, clock)
        coalition = services.coalition
        rows = load_working_groups(bundled.WORKING_GROUPS_FILE)
        extra = [(f"bench{n}", f"Bench group {n}", f"ក្រុម {n}", []) for n in range(GROUPS)]
        await coalition.repository.sync_working_groups([*rows, *extra][:GROUPS])
        groups = (await coalition.working_groups())[:GROUPS]
        assert len(groups) == GROUPS
        orgs = []
        for n in range(ORGS):
            invite = await coalition.add_organisation(COORDINATOR, f"B{n}", f"Bench {n}")
            await coalition.join(10_000 + n, f"Rep {n}", "en" if n % 2 else "km", invite.code)
            orgs.append(invite.organisation.id)
        for n, group in enumerate(groups):
            await coalition.link_chat(COORDINATOR, -1000 - n, 0, group.id, f"Group {n}")
        table = await services.milestones.table()
        recommendation = next(r for r in services.catalog.recommendations if r.cycle == 2)
        start = dt.date(2026, 12, 1)
        fields = []
        recurring = (
            "monthly from December 2026 to November 2027",
            "every quarter",
            "weekly from December 2026 to February 2027",
            "every year in December",
            "ongoing",
        )
        for n in range(args.actions):
            due = start + dt.timedelta(days=random.randrange(180))
            kind = n % 25
            timeframe = (
                read_timeframe(recurring[kind], table.of(4))
                if kind < len(recurring)
                else read_timeframe(due.isoformat(), table.of(2))
            )
            draft = ActionDraft(groups[n % GROUPS].id, 2, str(recommendation.number))
            fields.append(
                ActionFields(
                    working_group_id=draft.working_group_id,
                    cycle=2,
                    recommendation_ids=(recommendation.id,),
                    other_mechanisms="",
                    sdg_targets="",
                    activity=f"Action {n}: meet the ministry about land titles",
                    indicator="",
                    resources="",
                    partners="",
                    timeframe=timeframe,
                    risks="",
                    organisation_ids=(orgs[n % ORGS],),
                )
            )
        await services.strategies.repository.import_actions(fields, [], actor=CLI, now=clock.now())
        renderer = NudgeRenderer(services.translations)
        began = time.perf_counter()
        first = await services.nudges.sweep(renderer)  # Monday: the weekly summary too
        print(f"the Monday sweep with the weekly summary: {time.perf_counter() - began:.2f} s")
        assert first.summaries == 1
        timings, quiet = [], []
        for day in range(10):
            clock.current = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC) + dt.timedelta(days=day)
            began = time.perf_counter()
            result = await services.nudges.sweep(renderer)
            timings.append(time.perf_counter() - began)
            began = time.perf_counter()
            again = await services.nudges.sweep(renderer)
            quiet.append(time.perf_counter() - began)
            assert again.nudges == 0
            print(
                f"day {day}: {result.nudges} nudges, {result.messages} messages "
                f"in {timings[-1] * 1000:.0f} ms; again {quiet[-1] * 1000:.0f} ms"
            )
        print(
            f"{args.actions} actions in {GROUPS} groups: a sweep with nudges takes median "
            f"{statistics.median(timings) * 1000:.0f} ms (max {max(timings) * 1000:.0f} ms); "
            f"a sweep with nothing new {statistics.median(quiet) * 1000:.0f} ms"
        )
        await services.close()


if __name__ == "__main__":
    asyncio.run(main())
