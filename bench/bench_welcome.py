"""A member's /start with many rounds open: the CPU time of the welcome (it reads what is left
to rate for the three newest open rounds, the ones it names) against the same welcome that also
reads it for every other open round (what /start did before), in the same run, medians of 3.

Run: .venv/bin/python bench/bench_welcome.py [--rounds 100] [--data DIR]
One organisation in the land working group with its representative, and ROUNDS open rounds of
cycle 2's land recommendations. --data keeps the database between runs (made on the first).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.welcome import OPEN_ROUNDS_SHOWN
from bot.services import Services
from bot.settings import Settings
from tests.conftest import FakeClock

COORDINATOR = 1
MEMBER = 2000


async def cpu(call: Callable[[], Awaitable[object]], runs: int = 3) -> float:
    """The median CPU time of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        await call()
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


async def measure(path: Path, rounds: int, fresh: bool) -> None:
    """Make the coalition and its rounds when `fresh`, then time both reads."""
    clock = FakeClock(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))
    settings = Settings(token="x", database_path=path, coordinator_ids=frozenset({COORDINATOR}))
    services = await Services.start(settings, clock)
    try:
        if fresh:
            land = next(g for g in await services.coalition.working_groups() if g.slug == "land")
            invite = await services.coalition.add_organisation(COORDINATOR, "ORG", "Org")
            await services.coalition.toggle_group(COORDINATOR, invite.organisation.id, land.id)
            await services.coalition.join(MEMBER, "Rep", "en", invite.code)
            themes = {t.id for t in services.catalog.themes if t.slug == "land"}
            items = [
                r.id
                for r in services.catalog.recommendations
                if r.cycle == 2 and themes & set(r.theme_ids)
            ]
            for n in range(rounds):
                await services.assessments.repository.open_round(
                    f"R{n}", 2, "c2 land", items, None, actor=COORDINATOR, now=clock.now()
                )
        assessments = services.assessments
        opened = [r for r in await assessments.rounds() if r.open]

        async def welcome() -> None:
            await services.welcomes.welcome(MEMBER, "en")

        async def welcome_before() -> None:  # the same, and the reads of every other round
            await welcome()
            for round_ in opened[OPEN_ROUNDS_SHOWN:]:
                await assessments.left_to_rate(MEMBER, round_.id)

        now, before = await cpu(welcome), await cpu(welcome_before)
        print(
            f"/start with {len(opened)} open rounds, CPU (median of 3): {now:.1f} ms; reading "
            f"what is left for every open round as before: {before:.1f} ms; ratio "
            f"{now / before:.2f}"
        )
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--data", type=Path, help="keep the database in this folder")
    options = parser.parse_args()
    if options.data is not None:
        options.data.mkdir(parents=True, exist_ok=True)
        path = options.data / f"welcome-{options.rounds}.sqlite3"
        asyncio.run(measure(path, options.rounds, fresh=not path.exists()))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(Path(tmp) / "welcome.sqlite3", options.rounds, fresh=True))


if __name__ == "__main__":
    main()
