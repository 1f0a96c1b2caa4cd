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
    "ទាក់ទងនឹង",
    "ពាក់ព័ន្ធ",
    "ពាក់ព័ន្ធនឹង",
    "របស់",
    "តើ",
    "អ្វី",
    "អ្វីខ្លះ",
    "ខ្លះ",
    "ណា",
    "ណាខ្លះ",
    "មាន",
    "ដែល",
    "បាន",
    "ផ្តល់",
    "ណែនាំ",
    "ស្វែងរក",
    "រក",
    "សូម",
    "ខ្ញុំ",
    "ចង់",
    "ដឹង",
    "និង",
    "ឬ",
    "លើ",
    "ពី",
    "ឱ្យ",
    "អោយ",
    "នូវ",
    "នៅ",
    "ក្នុង",
    "ជា",
    "ទៅ",
    "ដល់",
    "នៃ",
    "ចំពោះ",
    "សម្រាប់",
    "ដើម្បី",
    "នេះ",
    "នោះ",
    "ប្រទេស",
    "រដ្ឋ",
    "បង្ហាញ",
    "ផ្នែក",
    "វិស័យ",
    "បញ្ហា",
    "ដោយ",
    "ពីរ",
    "ការ",
    "ភាព",
    "សេចក្តី",
    "ហើយ",
    "ទេ",
    "ឬទេ",
)


def fingerprint(*paths: Path) -> str:
    """A hash of files' contents: bundled data is re-imported when it changes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_glossary(path: Path = GLOSSARY_FILE) -> Glossary:
    """The glossary of domain terms, English synonyms and State names that expands searches.

    A row's `khmer` and `english` hold ';'-separated spellings; `kind` is `term` (Khmer words
    and their English equivalents), `synonym` (the same, and its English spellings all mean
    the same), `state` (Khmer and English names of the State whose ISO code comes first) or
    `agreed` (not searched: the Khmer term translators use for these English entries). A
    term's or synonym's first Khmer spelling is the agreed term for its English entries,
    unless an `agreed` row or an earlier row gives one.
    """
    pairs: list[tuple[str, list[str]]] = []
    synonyms: list[list[str]] = []
    states: list[tuple[str, str]] = []
    agreed: list[tuple[str, str]] = []
    preferred: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            khmer = [k for k in row["khmer"].split(";") if k.strip()]
            english = [e.strip() for e in row["english"].split(";") if e.strip()]
            kind = row.get("kind") or "term"
            if kind == "state":
                code, *aliases = english
                states += [(name, code) for name in (*khmer, *aliases)]
                continue
            if kind == "agreed":
                preferred += [(e, khmer[0]) for e in english]
                continue
            agreed += [(e, khmer[0]) for e in english if khmer]
            pairs += [(k, english) for k in khmer]
            if kind == "synonym":
                synonyms.append(english)
    return Glossary.build(
        pairs, KHMER_STOPWORDS, synonyms=synonyms, states=states, agreed=[*preferred, *agreed]
    )


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
