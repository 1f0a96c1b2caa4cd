"""Where the memory goes, step by step: VmRSS after the bot's modules are loaded, after the
catalog is read, after the word index is built, after six searches; then the peak (VmHWM), and
the size of the catalog's temporary files. Run it in a virtualenv made from requirements.lock
(the bot as deployed) on databases made by bench_peers.py:

  python3 -m venv /tmp/prod && /tmp/prod/bin/pip install --require-hashes -r requirements.lock
  .venv/bin/python bench/bench_peers.py --only start --size 200000 --data /tmp/data200k
  /tmp/prod/bin/python bench/bench_memory.py /tmp/data50k/big.sqlite3 /tmp/data200k/big.sqlite3

Each database is measured in a fresh process of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = ("land", "torture", "ដីធ្លី", "សិទ្ធិកុមារ", "human rights defenders", "education girls")


def status(field: str) -> int:
    """A field of /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) // 1024
    return 0


async def measure(path: Path) -> None:
    """In this process: the steps' RSS for the database at `path`."""
    import bot.app  # noqa: F401 - every module the bot loads
    from bot.domain.clock import SystemClock
    from bot.services import Services
    from bot.settings import Settings

    steps = [("modules", status("VmRSS"))]
    services = await Services.start(Settings(token="b", database_path=path), SystemClock())
    steps.append(("catalog read", status("VmRSS")))
    await asyncio.to_thread(services.catalog.build_index)  # waits for the start-up build
    steps.append(("index built", status("VmRSS")))
    catalog = services.catalog
    for query in QUERIES:
        list(catalog.search(catalog.parse_search(query)).recommendations[:10])
    steps.append(("searched", status("VmRSS")))
    stores = (
        getattr(catalog, "_store", None),
        getattr(getattr(catalog, "_index", None), "_store", None),
        getattr(catalog.recommendations, "_rows", None),
    )
    files = sum(store.size_bytes() for store in stores if hasattr(store, "size_bytes")) / 2**20
    size = len(catalog.recommendations)
    await services.close()
    line = ", ".join(f"{name} {mib} MiB" for name, mib in steps)
    peak = status("VmHWM")
    print(f"{size:>8,} recommendations: {line}; peak {peak} MiB; temporary files {files:.1f} MiB")


def main() -> None:
    """Each database given, in a fresh process."""
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        asyncio.run(measure(Path(sys.argv[2])))
        return
    for path in sys.argv[1:]:
        subprocess.run([sys.executable, __file__, "--child", path], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
