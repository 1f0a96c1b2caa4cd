"""The round screens and exports at 300 and 1,000 organisations, each a median of 3.

Run: .venv/bin/python bench/bench_export.py [--orgs 300,1000] [--only WHAT,…] [--profile WHAT]
[--data DIR]
A round of 275 recommendations (the synthetic cycle 4 of bench_rounds) rated by every
organisation (every third in two working groups), closed: the full-round export built as XLSX
and CSV (each working group's own block, the whole coalition's, names and reasons), `results()`
(the coalition's table behind /results), `group_colours()` (the picture's bar per group) and the
coordinators' round panel, and the published notice's pictures (the whole coalition's and a
working group's, as the outbox draws them: their reads, summary and PNG). `--profile WHAT` prints cProfile's top functions (worker threads'
work included).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_peers import coalition
from bench_rounds import bench_bot, rate_everything

from bot.domain.i18n import Localizer
from bot.domain.rounds import parse_scope
from bot.services import Services
from bot.settings import Settings
from handlers.round_results import export_table, notice_picture
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


async def measure(
    orgs: int, profile: str | None, runs: int, only: set[str], data: Path | None
) -> None:
    tg = FakeTelegram()
    tg._update_ids = itertools.count(time.time_ns() // 1000)  # never one a kept inbox holds
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = data / f"orgs-{orgs}" if data else Path(tmp)
        built = (folder / "b.sqlite3").exists()  # --data: the rated round of an earlier run
        folder.mkdir(parents=True, exist_ok=True)
        async with bench_bot(tg, folder, COORDINATOR) as (services, settings):
            if built:
                round_id = max(r.id for r in await services.assessments.rounds())
            else:
                round_id = await rated_round(services, settings, orgs)
            round_, _ = await services.assessments.results(COORDINATOR, round_id, services.catalog)
            recs = await services.assessments.items(round_id)
            l10n = services.translations.localizer("en")
            calls: dict[str, Callable[[], Awaitable[object]]] = {
                "export": lambda: export_table(services, l10n, COORDINATOR, round_id, "xlsx"),
                "export csv": lambda: export_table(services, l10n, COORDINATOR, round_id, "csv"),
                "results": lambda: services.assessments.results(  # as /results asks
                    COORDINATOR, round_id, services.catalog, **_form(l10n)
                ),
                "group colours": lambda: services.assessments.group_colours(
                    round_, services.catalog
                ),
                "panel": lambda: services.assessments.panel(COORDINATOR, round_id),
                "notice pictures": lambda: _notice_pictures(services, round_id),
            }
            print(f"\n== {orgs} organisations x {len(recs)} recommendations ({load()})")
            for name, call in calls.items():
                if only and name not in only:
                    continue
                wall, cpu = await median(call, runs)
                print(f"  {name}: median {wall:.3f} s (CPU {cpu:.3f} s)")
            for name in ("export", "notice pictures"):
                if not only or name in only:
                    await _meanwhile(tg, name, calls[name])
            if profile:
                await _profile(services, calls[profile])
            print(f"  ({load()})")
    await tg.stop()


async def _notice_pictures(services: Services, round_id: int) -> None:
    """The published notice's pictures, as the outbox draws them: the whole coalition's and
    that of the working group with most of the round on its list, in English."""
    groups = [g.id for g in await services.coalition.working_groups()]
    listed = {g: await services.assessments.group_listed(round_id, g) for g in groups}
    group = max(groups, key=listed.__getitem__)
    for group_id in (None, group):
        picture = f"results:{round_id}" + (f":group:{group_id}" if group_id else "")
        assert await notice_picture(services, picture, "en") is not None


def _form(l10n: Localizer) -> dict[str, object]:
    """/results' reasons cells as the database writes them (nothing on code before them, so
    that this file measures an older checkout too: before → after in one window)."""
    try:
        from bot.domain.rounds import reasons_form
    except ImportError:
        return {}
    return {"form": reasons_form(l10n)}


GUEST = {"id": 9_999, "is_bot": False, "first_name": "Guest", "language_code": "en"}


async def _meanwhile(tg: FakeTelegram, name: str, call: Callable[[], Awaitable[object]]) -> None:
    """While `call` runs (the XLSX export, the notice's pictures): the event loop's longest
    stall (a 1 ms ticker), and another chat's lookup (118.6) sent through the bot, answered
    before the call is done."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    async def run() -> float:
        await call()
        done.set()
        return time.perf_counter()

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    built = asyncio.create_task(run())
    await asyncio.sleep(0.05)  # the call under way
    asked = time.perf_counter()
    answer = await tg.reply_to(GUEST, "118.6", timeout=120)
    answered = time.perf_counter()
    finished = await built
    await ticker
    print(
        f"  meanwhile ({name}): event loop's longest stall {max(stalls) * 1000:.0f} ms; another "
        f"chat's 118.6 answered in {(answered - asked) * 1000:.0f} ms, "
        f"{'before' if answered < finished else 'after'} it was done "
        f"({finished - started:.2f} s; {answer.text[:12]!r})"
    )


async def rated_round(services: Services, settings: Settings, orgs: int) -> int:
    """A closed, published round of cycle 4 that every organisation rated: its id."""
    await coalition(services, orgs, 0, COORDINATOR)
    scope = parse_scope("c4", services.catalog, settings.timezone, services.clock.now().date())
    round_id = await services.assessments.open_round(COORDINATOR, "Bench", scope)
    recs = list(scope.recommendation_ids)
    await rate_everything(services, round_id, recs, random.Random(2))
    await services.assessments.set_open(COORDINATOR, round_id, False)
    await services.assessments.publish(COORDINATOR, round_id)
    return round_id


async def _profile(services: Services, call: Callable[[], Awaitable[object]]) -> None:
    """cProfile's top functions by own time and by cumulative time; the worker threads' work
    runs inline on the event loop meanwhile, so that one profile sees all of it."""

    async def inline(func: Callable[..., object], /, *args: object, **kwargs: object) -> object:
        return func(*args, **kwargs)

    profiler = cProfile.Profile()
    with mock.patch("asyncio.to_thread", inline):
        profiler.enable()
        await call()
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", default="300,1000")
    names = ["export", "export csv", "results", "group colours", "panel", "notice pictures"]
    parser.add_argument("--profile", choices=names)
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, help="keep the rated databases here between runs")
    args = parser.parse_args()
    for orgs in [int(n) for n in args.orgs.split(",")]:
        await measure(
            orgs, args.profile, args.runs, {n for n in args.only.split(",") if n}, args.data
        )


if __name__ == "__main__":
    asyncio.run(main())
