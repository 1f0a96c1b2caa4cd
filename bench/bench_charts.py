"""How long the results pictures take to draw, and what memory they need.

Run: .venv/bin/python bench/bench_charts.py [--runs 20]
The largest results picture a round gives (a bar per theme of the bundled data, 24 bars, Khmer
labels and title) and a /compare picture, each drawn `--runs` times in English and in Khmer as
the bot draws them (in a worker thread, one at a time). Measured: the time per picture (median
and slowest), the PNG's size, and the process's peak memory (RSS) before the first picture and
after the last.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import charts
from bot.domain import bundled
from bot.domain.assessment import Overall
from bot.domain.themes import load_rules

ORDER = (Overall.GREEN, Overall.ORANGE, Overall.RED, Overall.CONTESTED, Overall.NOT_ENOUGH)
LABELS = {
    "en": ["Green: fully implemented", "Orange: some progress", "Red: no progress",
           "Contested: ratings widely split", "Not enough ratings"],
    "km": ["បៃតង៖ បានអនុវត្តពេញលេញ", "ទឹកក្រូច៖ មានវឌ្ឍនភាពខ្លះ", "ក្រហម៖ គ្មានវឌ្ឍនភាព",
           "មានការខ្វែងគំនិត៖ ការវាយតម្លៃបែកគ្នាខ្លាំង", "ចំនួនការវាយតម្លៃមិនទាន់គ្រប់គ្រាន់"],
}  # fmt: skip


def peak_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(draw: Callable[[], bytes], runs: int) -> tuple[list[float], int]:
    """Seconds per run and the PNG's size."""
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        png = draw()
        times.append(time.perf_counter() - start)
        size = len(png)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    themes = load_rules(bundled.THEMES_FILE)
    print(f"peak RSS before the first picture: {peak_mib():.0f} MiB; {len(themes)} themes")
    for language in ("en", "km"):
        categories = [
            charts.Category(label, charts.OVERALL_RGB[value])
            for label, value in zip(LABELS[language], ORDER, strict=True)
        ]
        bars = [
            charts.Bar(
                t.name_km if language == "km" else t.name_en,
                (i % 4, 3, i % 5, i % 2, 7 - i % 7),
            )
            for i, t in enumerate(themes)
        ]
        results = partial(
            charts.bar_chart,
            f"Mid-term review 2026 ({language})",
            categories,
            bars,
            subtitle="41 of 57 organisations took part.",
            totals=(30, 80, 40, 12, 90),
        )
        moves = [charts.Category(n, charts.UP_RGB) for n in ("up", "stayed", "down", "n/a")]
        compare = partial(
            charts.bar_chart,
            "«Mid-term review 2026» → «Final review 2027»",
            categories + moves,
            [
                charts.Bar("Mid-term", (5, 8, 3, 1, 6, 0, 0, 0, 0)),
                charts.Bar("Final", (9, 6, 2, 0, 6, 0, 0, 0, 0)),
                charts.Bar("Change", (0, 0, 0, 0, 0, 7, 9, 2, 8)),
            ],
        )
        for name, draw in (("results, a bar per theme", results), ("/compare", compare)):
            times, size = timed(draw, runs)
            print(
                f"{language} {name}: median {statistics.median(times) * 1000:.0f} ms, "
                f"slowest {max(times) * 1000:.0f} ms, PNG {size / 1024:.0f} KiB"
            )
    print(f"peak RSS after {4 * runs} pictures: {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
