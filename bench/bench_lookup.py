"""Lookup and search latency, and the bot's memory, on bundled data and on 50,000 recommendations.

Run: .venv/bin/python bench/bench_lookup.py [--size 50000]
Measures what a member waits for, minus Telegram: reading the query, finding the
recommendations and rendering the reply (card or first result page) in the reader's language.
The synthetic corpus goes through the real import path into a real SQLite file, and the
services are started from it as the bot starts (peak RSS is the bot's memory at that size).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain import bundled
from bot.domain.catalog import Catalog
from bot.domain.clock import SystemClock
from bot.domain.importer import parse_file
from bot.domain.numbers import parse_numbers
from bot.services import Services
from bot.settings import Settings
from handlers import render

ENGLISH_QUERIES = [
    "land",
    "trade unions",
    "ratify optional protocol",
    "freedom of expression",
    "torture",
    "noted land c2",
    "Japan",
    "children education",
    "ratif",
]
KHMER_QUERIES = ["ដី", "ដីធ្លី", "សិទ្ធិកុមារ", "ការងារ", "សេរីភាព", "ជប៉ុន", "អនុសាសន៍ស្តីពីសហជីព"]
KHMER_WORDS = [
    "ការពារ",
    "សិទ្ធិ",
    "ដីធ្លី",
    "កុមារ",
    "ស្ត្រី",
    "ការងារ",
    "សហជីព",
    "តុលាការ",
    "សេរីភាព",
    "ច្បាប់",
    "រដ្ឋាភិបាល",
    "ពង្រឹង",
    "អនុវត្ត",
    "ធានា",
    "យុត្តិធម៌",
    "សុខភាព",
    "ការអប់រំ",
    "ជនពិការ",
    "បោះឆ្នោត",
    "ពុករលួយ",
    "ប្រព័ន្ធផ្សព្វផ្សាយ",
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(label: str, run: list, repeat: int) -> None:  # type: ignore[type-arg]
    samples = []
    for _ in range(repeat):
        for fn in run:
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
    print(
        f"  {label:<34} median {statistics.median(samples):7.3f} ms   "
        f"p99 {percentile(samples, 0.99):7.3f} ms   ({len(samples)} runs)"
    )


def bench_catalog(name: str, services: Services, repeat: int) -> None:
    catalog: Catalog = services.catalog
    en = services.translations.localizer("en")
    km = services.translations.localizer("km")
    rng = random.Random(7)
    sample = rng.sample(list(catalog.recommendations), min(200, len(catalog.recommendations)))

    def lookup(text: str, l10n=en):  # type: ignore[no-untyped-def]
        def run() -> None:
            query = parse_numbers(text)
            assert query is not None
            render.number_reply(l10n, catalog, catalog.lookup(query))

        return run

    def search(text: str, l10n=en):  # type: ignore[no-untyped-def]
        def run() -> None:
            request = catalog.parse_search(text)
            render.result_page(l10n, catalog, catalog.search(request), 0, "token")

        return run

    print(f"{name}: {len(catalog.recommendations)} recommendations")
    measure("number (English reader)", [lookup(f"{r.number} c{r.cycle}") for r in sample], repeat)
    measure(
        "number, Khmer digits (Khmer reader)",
        [
            lookup(
                f"{r.number} c{r.cycle}".translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")), km
            )
            for r in sample
        ],
        repeat,
    )
    measure("words, English", [search(q) for q in ENGLISH_QUERIES], repeat)
    measure("words, Khmer", [search(q, km) for q in KHMER_QUERIES], repeat)


def synthetic_csv(path: Path, size: int) -> None:
    """Recombine real recommendations' words into `size` texts, a third with Khmer text."""
    rows = [
        r for f in bundled.RECOMMENDATION_FILES for r in csv.DictReader(f.open(encoding="utf-8"))
    ]
    words = [w for r in rows for w in r["text"].split()]
    states = sorted({s for r in rows for s in r["recommending_states"].split(";")})
    rng = random.Random(42)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cycle", "number", "text", "recommending_states", "response"])
        for i in range(size):
            base = rng.choice(rows)["text"].split()
            text = " ".join(base[: rng.randint(5, 25)] + rng.sample(words, rng.randint(3, 20)))
            writer.writerow(
                [
                    3 + i // 10_000,
                    f"{100 + (i // 500) % 20}.{i % 500 + 1}",
                    text,
                    ";".join(rng.sample(states, rng.randint(1, 3))),
                    rng.choice(["accepted", "noted", "pending"]),
                ]
            )
    with path.with_name("km.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cycle", "number", "text_km", "status", "translator"])
        for i in range(0, size, 3):
            text = "".join(rng.choice(KHMER_WORDS) for _ in range(rng.randint(8, 30)))
            writer.writerow(
                [3 + i // 10_000, f"{100 + (i // 500) % 20}.{i % 500 + 1}", text, "draft", "bench"]
            )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token="bench", database_path=Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        services = await Services.start(settings, SystemClock())
        print(f"first start with bundled data: {time.perf_counter() - started:.2f} s")
        bench_catalog("bundled data", services, args.repeat * 4)
        rss_small = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak RSS so far: {rss_small:.0f} MiB")

        data = Path(tmp) / "synthetic.csv"
        synthetic_csv(data, args.size)
        started = time.perf_counter()
        parsed = parse_file(data)
        report = await services.catalog_repository.import_recommendations(
            parsed.recommendations, services.rules, dt.datetime.now(dt.UTC)
        )
        km = parse_file(data.with_name("km.csv"))
        await services.catalog_repository.import_translations(
            km.translations, dt.datetime.now(dt.UTC)
        )
        print(
            f"import of {report.added} synthetic recommendations + {len(km.translations)} "
            f"Khmer texts: {time.perf_counter() - started:.1f} s"
        )
        await services.close()
        started = time.perf_counter()
        services = await Services.start(settings, SystemClock())
        print(f"start-up (load and index) at that size: {time.perf_counter() - started:.2f} s")
        bench_catalog("bundled + synthetic", services, args.repeat)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak RSS of the process: {rss:.0f} MiB")
        await services.close()


if __name__ == "__main__":
    asyncio.run(main())
