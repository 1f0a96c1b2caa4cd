"""The outbox against the floor its limits set: a broadcast to 1,000 private chats and 50 groups.

Run: .venv/bin/python bench/bench_outbox.py [--factor 10] [--rounds 2]
Telegram's limits (30 messages a second overall, 20 a minute a group, 1 a second a chat) are
raised by `--factor` both in the fake Bot API server, which answers 429 beyond them, and in the
bot's settings and rate limiter, so the run is short. The floor is the time the overall limit
alone needs for every message (N / OUTBOX_PER_SECOND); the goal is at most 1.05 times it, with
no 429. The broadcast is sent `--rounds` times in a row on the same bot: the process's memory
after each shows whether it stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import running
from bot.domain.outbox import Content, Job, Outgoing
from bot.flood import ChatRateLimiter, Window
from bot.services import Services
from bot.settings import Settings
from tests.fake_telegram import FakeTelegram, FloodLimits

PRIVATE, GROUPS = 1000, 50


def broadcast(round_: int) -> list[Outgoing]:
    chats = [10_000 + n for n in range(PRIVATE)] + [-100_000 - n for n in range(GROUPS)]
    return [
        Outgoing(
            chat,
            Content(f"Send your updates ({round_}) — ផ្ញើព័ត៌មានថ្មីរបស់អ្នក"),
            Job.BROADCAST,
            reference=f"broadcast:{round_}",
        )
        for chat in chats
    ]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--factor", type=int, default=10, help="limits raised by this factor")
    parser.add_argument("--rounds", type=int, default=2, help="broadcasts in a row")
    args = parser.parse_args()
    k = args.factor
    tg = FakeTelegram(
        limits=FloodLimits(private=(5 * k, 5.0), group=(20 * k, 60.0), overall=(30 * k, 1.0))
    )
    await tg.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            token=tg.token,
            base_url=tg.url,
            database_path=Path(folder) / "bench.sqlite3",
            outbox_per_second=30 * k,
            outbox_group_per_minute=20 * k,
            outbox_chat_per_second=k,
        )
        limiter = ChatRateLimiter(
            private=Window(5 * k, 5.0), group=Window(20 * k, 60.0), overall=Window(30 * k, 1.0)
        )
        async with running(settings, poll_timeout=1, limiter=limiter) as app:
            services: Services = app.bot_data["services"]
            print(f"limits ×{k}: {30 * k}/s overall, {20 * k}/min a group, {k}/s a chat")
            for round_ in range(1, args.rounds + 1):
                outgoing = broadcast(round_)
                floor = len(outgoing) / settings.outbox_per_second
                started = time.perf_counter()
                await services.outbox.send(*outgoing)
                while waiting := await services.outbox.waiting():
                    assert time.perf_counter() - started < 600, f"{waiting} never sent"
                    await asyncio.sleep(0.005)
                took = time.perf_counter() - started
                print(
                    f"round {round_}: {len(outgoing)} messages in {took:.2f} s, floor "
                    f"{floor:.2f} s, ratio {took / floor:.3f}; 429s so far: {tg.too_many()}; "
                    f"max RSS {rss_mb():.0f} MB"
                )
            progress = await services.outbox.progress(f"broadcast:{args.rounds}")
            print(f"last round: {dict(progress)}")
    await tg.stop()


if __name__ == "__main__":
    asyncio.run(main())
