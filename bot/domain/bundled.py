"""The data the bot ships with: UPR lists, theme rules, the Khmer glossary, cycle dates."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

from bot.domain.model import Cycle
from bot.domain.search import Glossary

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
RECOMMENDATION_FILES = (
    DATA_DIR / "upr" / "cambodia_cycle1.csv",
    DATA_DIR / "upr" / "cambodia_cycle2.csv",
)
THEMES_FILE = DATA_DIR / "themes.csv"
GLOSSARY_FILE = DATA_DIR / "glossary_km.csv"
CYCLES_FILE = DATA_DIR / "cycles.csv"
WORKING_GROUPS_FILE = DATA_DIR / "working_groups.csv"
MILESTONES_FILE = DATA_DIR / "milestones.csv"

# Khmer filler words dropped from queries ("recommendations about …", "all", "what").
KHMER_STOPWORDS = (
    "អនុសាសន៍",
    "ទាំងអស់",
    "អំពី",
    "ស្តីពី",
    "ទាក់ទង",
    "ពាក់ព័ន្ធ",
    "របស់",
    "តើ",
    "អ្វី",
    "ណាខ្លះ",
    "មាន",
    "ដែល",
    "បាន",
    "ផ្តល់",
    "ណែនាំ",
    "ស្វែងរក",
    "សូម",
    "ខ្ញុំ",
    "ចង់",
    "និង",
    "លើ",
    "ពី",
    "ឱ្យ",
    "អោយ",
    "នូវ",
)


def fingerprint(*paths: Path) -> str:
    """A hash of files' contents: bundled data is re-imported when it changes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_glossary(path: Path = GLOSSARY_FILE) -> Glossary:
    """The Khmer glossary of domain terms used to expand searches."""
    with path.open(encoding="utf-8", newline="") as handle:
        pairs = [(row["khmer"], row["english"].split(";")) for row in csv.DictReader(handle)]
    return Glossary.build(pairs, KHMER_STOPWORDS)


def load_cycles(path: Path = CYCLES_FILE) -> list[Cycle]:
    """Known review dates of Cambodia's cycles."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Cycle(
                int(row["cycle"]),
                dt.date.fromisoformat(row["review_date"]) if row["review_date"] else None,
            )
            for row in csv.DictReader(handle)
        ]
