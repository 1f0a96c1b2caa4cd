"""Where a rating tap's time goes: database round trips per tap, and a profile of a batch.

Run: .venv/bin/python bench/bench_taps.py [--taps 2000] [--profile FILE.prof]
The bench_rounds set-up (300 organisations that joined the real way, a round of 275
recommendations); every card is pressed with the keyboard the bot draws on it, as Telegram
sends it, so each tap passes the button gate and is recorded. The trips to the database's
thread are counted here, in the benchmark (the product is not instrumented): per tap, by
statement, and what the taps' answers said.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rounds import COORDINATOR, bench_bot, cards, rated_round

from storage import db as storage_db
from tests.fake_telegram import FakeTelegram, StoredMessage


class Rate(NamedTuple):
    """Taps per second of wall time, and per second of this process's CPU time (every
    thread: the bot, its database thread and the fake server), which other programs on a
    shared machine do not inflate."""

    wall: float
    cpu: float


class Clocks:
    """Wall and CPU time since it was made."""

    def __init__(self) -> None:
        """Start both clocks."""
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rate(self, taps: int) -> Rate:
        """`taps` over the time passed on each clock."""
        return Rate(
            taps / (time.perf_counter() - self.wall), taps / (time.process_time() - self.cpu)
        )


async def press_batch(
    tg: FakeTelegram,
    posted: dict[int, StoredMessage],
    round_id: int,
    reps: list[dict[str, Any]],
    rng: random.Random,
    taps: int,
) -> Rate:
    """Press `taps` random colours on random cards; taps per second until all are answered."""
    recs = list(posted)
    clocks = Clocks()
    for _ in range(taps):
        user, rec, colour = rng.choice(reps), rng.choice(recs), rng.choice("rogu")
        await tg.press(posted[rec], f"v{colour}:{round_id}:{rec}", user=user)
    for _ in range(taps):
        await tg.next_call("answerCallbackQuery", timeout=120)
    return clocks.rate(taps)


async def settle(tg: FakeTelegram, quiet: float = 1.0, at_most: float = 120.0) -> None:
    """Until the bot made no Bot API call for `quiet` seconds: what the set-up caused (the
    joins' command menus, paced at 30 a second) is not counted in the first batches."""
    seen, waited = -1, 0.0
    while len(tg.calls) != seen and waited < at_most:
        seen = len(tg.calls)
        await asyncio.sleep(quiet)
        waited += quiet


def count_trips() -> Counter[str]:
    """Count every trip to the database's thread from now on: a statement by its first words,
    any other work (a whole transaction run at once) by its function's name; and the
    statements that emptied the memos."""
    counts: Counter[str] = Counter()
    connection = storage_db._Connection
    original = connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is storage_db._execute_and_read:
            what = " ".join(str(args[1]).split())[:90]
        else:
            what = f"[one trip] {getattr(fn, '__qualname__', fn)}"
        counts[what] += 1
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    connection._execute = counted  # type: ignore[method-assign]
    facts = storage_db.changes_facts

    def emptying(sql: str) -> bool:
        if changed := facts(sql):
            counts["[empties the memos] " + " ".join(sql.split())[:70]] += 1
        return changed

    storage_db.changes_facts = emptying  # type: ignore[assignment]
    return counts


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--taps", type=int, default=2000)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one batch here")
    args = parser.parse_args()
    tg = FakeTelegram()
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_bot(tg, Path(tmp), COORDINATOR) as (services, settings):
            reps, round_id, recs = await rated_round(services, settings)
            posted = cards(round_id, recs, "bench_bot")
            rng = random.Random(1)
            await press_batch(tg, posted, round_id, reps, rng, 200)  # warm up
            tg.calls.clear()
            counts = count_trips()
            rate = await press_batch(tg, posted, round_id, reps, rng, args.taps)
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(
                f"{args.taps} taps: {rate.wall:.0f} taps/s, {rate.cpu:.0f} per CPU second "
                f"(load average {load})"
            )
            total = sum(counts.values())
            print(f"trips to the database: {total} ({total / args.taps:.2f} a tap)")
            for sql, n in counts.most_common():
                print(f"  {n / args.taps:6.2f}  {sql}")
            answers = Counter(
                str(c.params.get("text", ""))[:50]
                for c in tg.calls
                if c.method == "answerCallbackQuery"
            )
            print("answers:", dict(answers.most_common(6)))
            others = Counter(c.method for c in tg.calls if c.method != "answerCallbackQuery")
            print("other Bot API calls:", dict(others))
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                await press_batch(tg, posted, round_id, reps, rng, args.taps)
                profile.disable()
                profile.dump_stats(args.profile)
                print(f"profile written to {args.profile}")
    await tg.stop()


if __name__ == "__main__":
    asyncio.run(main())
