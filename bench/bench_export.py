"""The round screens and exports at 300 and 1,000 organisations, each a median of 3.

Run: .venv/bin/python bench/bench_export.py [--orgs 300,1000] [--profile WHAT]
A round of 275 recommendations (the synthetic cycle 4 of bench_rounds) rated by every
organisation (every third in two working groups), closed: the full-round export built as XLSX
and CSV (each working group's own block, the whole coalition's, names and reasons), `results()`
(the coalition's table behind /results), `group_colours()` (the picture's bar per group) and the
coordinators' round panel. `--profile export|results|panel` prints cProfile's top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_peers import coalition
from bench_rounds import bench_bot, rate_everything

from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers.round_results import export_table
from tests.fake_telegram import FakeTelegram

COORDINATOR = 1


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


async def median(call: Callable[[], Awaitable[object]], runs: int = 3) -> tuple[float, float]:
    """The median wall time and CPU time (the process's, worker threads included) of `runs`
    calls, in seconds: on a busy machine the CPU time is the figure to compare."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        await call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


async def measure(orgs: int, profile: str | None, runs: int) -> None:
    tg = FakeTelegram()
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_bot(tg, Path(tmp), COORDINATOR) as (services, settings):
            await coalition(services, orgs, 0, COORDINATOR)
            scope = parse_scope(
                "c4", services.catalog, settings.timezone, services.clock.now().date()
            )
            round_id = await services.assessments.open_round(COORDINATOR, "Bench", scope)
            recs = list(scope.recommendation_ids)
            await rate_everything(services, round_id, recs, random.Random(2))
            await services.assessments.set_open(COORDINATOR, round_id, False)
            await services.assessments.publish(COORDINATOR, round_id)
            round_, _ = await services.assessments.results(COORDINATOR, round_id, services.catalog)
            l10n = services.translations.localizer("en")
            calls: dict[str, Callable[[], Awaitable[object]]] = {
                "export": lambda: export_table(services, l10n, COORDINATOR, round_id, "xlsx"),
                "export csv": lambda: export_table(services, l10n, COORDINATOR, round_id, "csv"),
                "results": lambda: services.assessments.results(
                    COORDINATOR, round_id, services.catalog
                ),
                "group colours": lambda: services.assessments.group_colours(
                    round_, services.catalog
                ),
                "panel": lambda: services.assessments.panel(COORDINATOR, round_id),
            }
            print(f"\n== {orgs} organisations x {len(recs)} recommendations ({load()})")
            for name, call in calls.items():
                wall, cpu = await median(call, runs)
                print(f"  {name}: median {wall:.3f} s (CPU {cpu:.3f} s)")
            if profile:
                await _profile(services, calls[profile])
            print(f"  ({load()})")
    await tg.stop()


async def _profile(services: Services, call: Callable[[], Awaitable[object]]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", default="300,1000")
    parser.add_argument("--profile", choices=["export", "results", "panel", "group colours"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for orgs in [int(n) for n in args.orgs.split(",")]:
        await measure(orgs, args.profile, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
