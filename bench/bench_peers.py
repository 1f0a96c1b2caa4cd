"""Performance at archive scale, each figure next to its peer, in one run.

Run: .venv/bin/python bench/bench_peers.py [--size 50000] [--runs 3] [--batches 9]
     [--only search,start,taps,export]

- search: our word search against a plain SQLite FTS5 index (porter for English, trigram for
  Khmer) over the same texts and the same queries (tests/search_queries.py, English and Khmer,
  cycled to >= 1,000 samples each); true p50/p95/p99, and how many of the pinned queries each
  finds what it must (recall, on the bundled data: the texts those queries were judged on).
- start: a fresh process per measure (medians of `--runs`): time from `Services.start` to the
  first number answer and to the first word answer, and the process's peak RSS, with the
  bundled data only and with `--size` synthetic recommendations added.
- taps: rating taps end to end through the real bot and the fake Bot API server, against a bare
  PTB echo bot (answers each callback query, nothing else) on the same fake server; `--batches`
  of `--taps` each alternate, the ratio of medians is the figure (one batch's rate varies by
  half on a shared machine, for either bot: nine batches, not three, make the median steady).
- export: the full-round XLSX export (each working group's block, the whole coalition's, names
  and reasons) for 1,000 organisations x 275 recommendations, the per-group aggregate
  behind `/results`, its table (the reasons cells as /results asks for them) and the published
  notice's picture.
The machine's load average is printed with every section: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.clock import SystemClock
from bot.domain.importer import parse_file
from bot.domain.numbers import parse_numbers
from bot.domain.rounds import reasons_form
from bot.services import Services
from bot.settings import Settings
from handlers import render
from handlers.round_results import notice_picture
from tests.search_queries import QUERIES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lookup import synthetic_csv

if TYPE_CHECKING:  # the start-up child runs in a production install, without the tests' modules
    from bench_taps import Rate

SAMPLES = 1000


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(samples: list[float], q: float) -> float:
    """The q-quantile of samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary(samples: tuple[list[float], list[float]]) -> str:
    """p50/p95/p99 in ms of (wall, CPU) samples in seconds, the CPU figures in brackets."""
    wall, cpu = ([s * 1000 for s in part] for part in samples)
    return (
        f"p50 {pct(wall, 0.5):6.2f} ({pct(cpu, 0.5):5.2f})  p95 {pct(wall, 0.95):6.2f} "
        f"({pct(cpu, 0.95):5.2f})  p99 {pct(wall, 0.99):6.2f} ({pct(cpu, 0.99):5.2f}) ms "
        f"({len(wall)} samples)"
    )


def timed(
    calls: list[Callable[[], object]], at_least: int = SAMPLES
) -> tuple[list[float], list[float]]:
    """Run the calls round-robin until at least `at_least` samples; each call's wall seconds
    and CPU seconds (the thread's: a loaded machine does not inflate them)."""
    wall: list[float] = []
    cpu: list[float] = []
    while len(wall) < at_least:
        for call in calls:
            started, thread = time.perf_counter(), time.thread_time()
            call()
            wall.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - thread)
    return wall, cpu


# --- data ---------------------------------------------------------------------------------


async def build_databases(tmp: Path, size: int) -> tuple[Path, Path]:
    """A database with the bundled data only, and a copy with `size` synthetic ones added
    (kept and reused when `tmp` already holds them: `--data DIR`)."""
    small = tmp / "bundled.sqlite3"
    if (tmp / "big.sqlite3").exists():
        return small, tmp / "big.sqlite3"
    services = await Services.start(Settings(token="b", database_path=small), SystemClock())
    await services.close()
    big = tmp / "big.sqlite3"
    shutil.copy(small, big)
    services = await Services.start(Settings(token="b", database_path=big), SystemClock())
    data = tmp / "synthetic.csv"
    synthetic_csv(data, size)
    now = dt.datetime.now(dt.UTC)
    for part in split_rows(data, 100_000):  # the import takes up to 100,000 rows a file
        parsed = parse_file(part)
        await services.catalog_repository.import_recommendations(
            parsed.recommendations, services.rules, now
        )
    for part in split_rows(data.with_name("km.csv"), 100_000):
        km = parse_file(part)
        await services.catalog_repository.import_translations(km.translations, now)
    await services.close()
    return small, big


def split_rows(path: Path, rows: int) -> list[Path]:
    """A CSV file as files of at most `rows` rows each, with its header."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *lines = list(csv.reader(handle))
    parts = []
    for n, start in enumerate(range(0, len(lines), rows)):
        part = path.with_name(f"{path.stem}-{n}.csv")
        with part.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *lines[start : start + rows]])
        parts.append(part)
    return parts


# --- search against FTS5 ---------------------------------------------------------------------


def fts5_peer(services: Services) -> sqlite3.Connection:
    """A naive SQLite FTS5 index over the catalog's texts, in memory."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE en USING fts5(text, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE km USING fts5(text, tokenize='trigram')")
    recs = services.catalog.recommendations
    db.executemany(
        "INSERT INTO en (rowid, text) VALUES (?, ?)", ((i, r.text_en) for i, r in enumerate(recs))
    )
    db.executemany(
        "INSERT INTO km (rowid, text) VALUES (?, ?)",
        ((i, r.khmer.text) for i, r in enumerate(recs) if r.khmer),
    )
    db.commit()
    return db


def fts5_query(text: str) -> tuple[str, str]:
    """The FTS5 query for what a member typed: English words ORed, Khmer as one substring."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    khmer = "".join(re.findall(r"[\u1780-\u17ff]+", text))
    english = " OR ".join(f'"{w}"' for w in words)
    return english, (f'"{khmer}"' if len(khmer) >= 3 else "")


def fts5_search(db: sqlite3.Connection, text: str) -> list[int]:
    """The first page (ten best by bm25) of the peer's answer."""
    english, khmer = fts5_query(text)
    parts, params = [], []
    if english:
        parts.append("SELECT rowid, bm25(en) AS r FROM en WHERE en MATCH ?")
        params.append(english)
    if khmer:
        parts.append("SELECT rowid, bm25(km) AS r FROM km WHERE km MATCH ?")
        params.append(khmer)
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + " ORDER BY r LIMIT 10"
    return [row[0] for row in db.execute(sql, params)]


def fts5_all(db: sqlite3.Connection, text: str) -> set[int]:
    """Every document the peer finds."""
    english, khmer = fts5_query(text)
    found: set[int] = set()
    if english:
        found |= {r[0] for r in db.execute("SELECT rowid FROM en WHERE en MATCH ?", (english,))}
    if khmer:
        found |= {r[0] for r in db.execute("SELECT rowid FROM km WHERE km MATCH ?", (khmer,))}
    return found


def recall(services: Services, db: sqlite3.Connection) -> tuple[str, str]:
    """Pinned queries (bundled data) where the first page holds what must be found, ours/peer."""
    recs = services.catalog.recommendations
    ours = {"en": 0, "km": 0}
    peer = {"en": 0, "km": 0}
    for q in QUERIES:
        wanted = re.compile(q.must_find, re.I) if q.must_find else None
        for lang, text in (("en", q.english), ("km", q.khmer)):
            if wanted is None:
                ours[lang] += 1
                peer[lang] += 1
                continue
            try:
                result = services.catalog.search(services.catalog.parse_search(text))
                ours[lang] += any(wanted.search(r.text_en) for r in result.recommendations[:10])
            except ValueError:
                pass
            peer[lang] += any(wanted.search(recs[i].text_en) for i in fts5_search(db, text))
    n = len(QUERIES)
    return (
        f"English {ours['en']}/{n}, Khmer {ours['km']}/{n}",
        f"English {peer['en']}/{n}, Khmer {peer['km']}/{n}",
    )


async def bench_search(small: Path, big: Path) -> None:
    print(f"\n== search ({load()})")
    for label, path in (("bundled", small), ("archive", big)):
        services = await Services.start(Settings(token="b", database_path=path), SystemClock())
        await wait_index(services)
        db = fts5_peer(services)
        print(f"{label}: {len(services.catalog.recommendations)} recommendations")
        if label == "bundled":
            ours, peer = recall(services, db)
            print(f"  first page holds what must be found: ours {ours}; FTS5 {peer}")
        search_figures(services, db)
        db.close()
        await services.close()


def search_figures(services: Services, db: sqlite3.Connection) -> None:
    """Number lookups, and word searches against the peer, on one catalog."""
    catalog = services.catalog
    en, km = services.translations.localizer("en"), services.translations.localizer("km")
    sample = random.Random(7).sample(list(catalog.recommendations), 200)

    def number(text: str) -> Callable[[], object]:
        query = parse_numbers(text)
        assert query is not None
        return lambda: render.number_reply(en, catalog, catalog.lookup(query))

    def ours(text: str, l10n: Any) -> Callable[[], object]:
        def run() -> object:
            try:
                request = catalog.parse_search(text)
            except ValueError:
                return None
            return render.result_page(l10n, catalog, catalog.search(request), 0, "token")

        return run

    def peer(text: str) -> Callable[[], object]:
        return lambda: fts5_search(db, text)

    numbers = timed([number(f"{r.number} c{r.cycle}") for r in sample])
    print(f"  number lookup:    {summary(numbers)}")
    for lang, texts, l10n in (
        ("English", [q.english for q in QUERIES], en),
        ("Khmer", [q.khmer for q in QUERIES], km),
    ):
        mine = timed([ours(t, l10n) for t in texts])
        theirs = timed([peer(t) for t in texts])
        found_ours = statistics.mean(
            len(catalog.search(catalog.parse_search(t)).recommendations) for t in texts
        )
        found_peer = statistics.mean(len(fts5_all(db, t)) for t in texts)
        print(f"  words, {lang:<8} ours: {summary(mine)}; finds {found_ours:.0f} on average")
        print(f"  words, {lang:<8} FTS5: {summary(theirs)}; finds {found_peer:.0f} on average")
        print(
            f"    p99 ratio ours/FTS5: {pct(mine[0], 0.99) / pct(theirs[0], 0.99):.2f} "
            f"(CPU {pct(mine[1], 0.99) / pct(theirs[1], 0.99):.2f})"
        )


async def wait_index(services: Services) -> None:
    """Until the word index answers (it may be built in the background)."""
    ready = getattr(services.catalog, "index_ready", None)
    for _ in range(100_000):
        if ready is None or ready():
            return
        await asyncio.sleep(0.01)


# --- start-up and memory, each in a fresh process ----------------------------------------------


async def child_start(path: Path) -> None:
    """In a fresh process: seconds to the first number and word answers, and peak RSS (with
    every module the bot loads: bot.app and the handlers)."""
    import bot.app  # noqa: F401

    started = time.perf_counter()
    services = await Services.start(Settings(token="b", database_path=path), SystemClock())
    catalog = services.catalog
    rec = catalog.recommendations[0]
    query = parse_numbers(f"{rec.number} c{rec.cycle}")
    assert query is not None
    assert catalog.lookup(query).found
    first_number = time.perf_counter() - started
    while True:
        try:
            if services.catalog.search(services.catalog.parse_search("land")).recommendations:
                break
        except Exception as error:  # "search is starting": try again shortly
            if "Starting" not in type(error).__name__:
                raise
        await asyncio.sleep(0.005)
    first_word = time.perf_counter() - started
    await services.close()
    print(json.dumps({"number": first_number, "word": first_word, "rss": peak_rss()}))


def peak_rss() -> float:
    """This process's peak RSS in MiB (VmHWM: unlike ru_maxrss, not inherited through exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_start(small: Path, big: Path, runs: int, python: str) -> None:
    print(f"\n== start-up and memory, fresh processes, median of {runs}, {python} ({load()})")
    for label, path in (("bundled", small), ("archive", big)):
        # A start after a change to the catalog reads its rows from the database (the kept
        # file is removed first); a restart at the same revision copies them from the file.
        for how in ("rows read", "rows kept"):
            results = []
            for _ in range(runs):
                if how == "rows read":
                    kept = path.with_name(path.name + ".catalog")
                    kept.unlink(missing_ok=True)
                out = subprocess.run(  # noqa: S603 - this script, run again
                    [python, __file__, "--child-start", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(
                f"  {label:<8} {how:<9} first number answer {med['number']:.2f} s, first word "
                f"answer {med['word']:.2f} s, peak RSS {med['rss']:.0f} MiB"
            )


# --- taps against a bare PTB echo bot ----------------------------------------------------------


async def echo_rate(taps: int, client: str = "httpx") -> Rate:
    """Taps per second a bare PTB bot (PTB's defaults; answers each callback query) does on
    the fake server; with `client="aiohttp"`, on the bot's own HTTP client instead of PTB's."""
    from bench_taps import Clocks
    from telegram.ext import Application, CallbackQueryHandler

    from bot.http_client import AiohttpRequest
    from tests.fake_telegram import FakeTelegram, StoredMessage

    tg = FakeTelegram()
    await tg.start()

    async def answer(update: Any, context: Any) -> None:
        await update.callback_query.answer()

    builder = Application.builder().token(tg.token).base_url(f"{tg.url}/bot")
    if client == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest())
    app = builder.build()
    app.add_handler(CallbackQueryHandler(answer))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    card = StoredMessage(-100123, 1, "card")
    users = [{"id": 10_000 + n, "is_bot": False, "first_name": f"R{n}"} for n in range(300)]
    clocks = Clocks()
    for i in range(taps):
        await tg.press(card, f"v{i}", user=users[i % len(users)])
    for _ in range(taps):
        await tg.next_call("answerCallbackQuery", timeout=120)
    rate = clocks.rate(taps)
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await tg.stop()
    return rate


async def coalition(
    services: Services, orgs: int, with_members: int, coordinator: int
) -> list[dict[str, Any]]:
    """`orgs` organisations in working groups; the first `with_members` joined the real way."""
    from bench_rounds import join_organisations

    reps = await join_organisations(services, with_members, coordinator)
    groups = await services.coalition.working_groups()
    now = dt.datetime.now(dt.UTC).isoformat()
    async with services.database.transaction() as db:  # the rest: set-up only, in bulk
        for n in range(with_members, orgs):
            cursor = await db.execute(
                "INSERT INTO organisations (short_name, name, created_at) VALUES (?, ?, ?)",
                (f"O{n}", f"Org {n}", now),
            )
            for g in groups[n % len(groups) :: 3][: 1 + (n % 3 == 0)]:
                await db.execute(
                    "INSERT INTO organisation_groups (organisation_id, working_group_id) "
                    "VALUES (?, ?)",
                    (cursor.lastrowid, g.id),
                )
    return reps


async def bench_taps_and_export(taps: int, parts: set[str], runs: int = 9) -> None:
    from bench_rounds import bench_bot, cards, rate_everything
    from bench_taps import press_batch, settle

    from bot.domain.rounds import parse_scope
    from tests.fake_telegram import FakeTelegram

    coordinator = 1
    tg = FakeTelegram()
    await tg.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with bench_bot(tg, Path(tmp), coordinator) as (services, settings):
            reps = await coalition(services, 1000, 300, coordinator)
            scope = parse_scope(
                "c4", services.catalog, settings.timezone, services.clock.now().date()
            )
            round_id = await services.assessments.open_round(coordinator, "Bench", scope)
            recs = list(scope.recommendation_ids)
            if "taps" in parts:
                print(f"\n== taps, {taps} a batch, alternating ({load()})")
                # Each card carries the keyboard the bot draws on it, as Telegram sends it
                # back: a press the card does not offer is refused before it is recorded.
                posted = cards(round_id, recs, "bench_bot")
                await settle(tg)
                rng = random.Random(1)
                # The goal's peer is PTB with its defaults (httpx); the bare bot on the bot's
                # own HTTP client (aiohttp) shows how much of the gap is the client.
                ours: list[Rate] = []
                bare: list[Rate] = []
                bare_aiohttp: list[Rate] = []
                for batch in range(runs):
                    bare.append(await echo_rate(taps))
                    ours.append(await press_batch(tg, posted, round_id, reps, rng, taps))
                    bare_aiohttp.append(await echo_rate(taps, "aiohttp"))
                    print(
                        f"  batch {batch + 1}: bot {ours[-1].wall:.0f}/s "
                        f"({ours[-1].cpu:.0f} per CPU second), bare PTB {bare[-1].wall:.0f}/s "
                        f"({bare[-1].cpu:.0f}), bare PTB on aiohttp {bare_aiohttp[-1].wall:.0f}/s "
                        f"({bare_aiohttp[-1].cpu:.0f}) ({load()})"
                    )
                recorded = sum(
                    "rated it" in str(c.params.get("text", ""))
                    for c in tg.calls
                    if c.method == "answerCallbackQuery"
                )
                print(f"  answers saying the rating was recorded: {recorded} of {runs * taps}")
                for clock in ("wall", "cpu"):
                    mine = statistics.median(getattr(r, clock) for r in ours)
                    per = "s" if clock == "wall" else "CPU second"
                    for name, peers in (("bare PTB", bare), ("on aiohttp", bare_aiohttp)):
                        peer = statistics.median(getattr(r, clock) for r in peers)
                        print(
                            f"  median bot {mine:.0f} taps/{per}, {name} {peer:.0f}/{per}: "
                            f"ratio {mine / peer:.2f}"
                        )
            if "export" not in parts:
                return
            print(f"\n== export, 1,000 organisations x {len(recs)} recommendations ({load()})")
            orgs = await rate_everything(services, round_id, recs, random.Random(2))
            await services.assessments.set_open(coordinator, round_id, False)
            user = {"id": coordinator, "is_bot": False, "first_name": "C"}
            times = []
            for _ in range(3):
                started = time.perf_counter()
                await tg.send(f"/export {round_id} xlsx", user=user)
                await tg.next_call("sendDocument", timeout=300)
                times.append(time.perf_counter() - started)
            print(
                f"  /export {round_id} xlsx through the bot ({len(orgs) * len(recs):,} ratings): "
                f"median {statistics.median(times):.2f} s"
            )
            await services.assessments.publish(coordinator, round_id)
            round_, _ = await services.assessments.results(coordinator, round_id, services.catalog)
            times = []
            for _ in range(3):
                started = time.perf_counter()
                await services.assessments.group_colours(round_, services.catalog)
                times.append(time.perf_counter() - started)
            print(
                f"  per-group aggregate behind /results: median {statistics.median(times):.2f} s"
            )
            form = reasons_form(services.translations.localizer("en"))
            times = []
            for _ in range(3):
                started = time.perf_counter()  # as /results asks: the cells the database writes
                await services.assessments.results(
                    coordinator, round_id, services.catalog, form=form
                )
                times.append(time.perf_counter() - started)
            print(f"  results(): the coalition's table: median {statistics.median(times):.2f} s")
            times = []
            for _ in range(3):
                started = time.perf_counter()
                await notice_picture(services, f"results:{round_id}", "en")
                times.append(time.perf_counter() - started)
            print(
                "  the published notice's picture (the coalition's): "
                f"median {statistics.median(times):.2f} s"
            )
    await tg.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes for start-up")
    parser.add_argument("--batches", type=int, default=9, help="alternating batches of taps")
    parser.add_argument("--taps", type=int, default=2000)
    parser.add_argument("--only", default="search,start,taps,export")
    parser.add_argument("--data", type=Path, help="keep the databases here and reuse them")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter of the start-up children: a virtualenv made from requirements.lock "
        "measures the bot as deployed",
    )
    parser.add_argument("--child-start", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start:
        await child_start(args.child_start)
        return
    parts = set(args.only.split(","))
    print(f"bench_peers {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    if parts & {"search", "start"}:
        with tempfile.TemporaryDirectory() as tmp:
            data = args.data or Path(tmp)
            data.mkdir(parents=True, exist_ok=True)
            small, big = await build_databases(data, args.size)
            if "search" in parts:
                await bench_search(small, big)
            if "start" in parts:
                bench_start(small, big, args.runs, args.python)
    if parts & {"taps", "export"}:
        await bench_taps_and_export(args.taps, parts, args.batches)


if __name__ == "__main__":
    asyncio.run(main())
