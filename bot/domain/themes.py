"""Theme rules: which recommendations belong to which theme, read from the shipped rule file."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from bot.domain.text import normalize


@dataclass(frozen=True)
class ThemeRule:
    """A theme's names and the keywords that pre-assign recommendations to it."""

    slug: str
    name_en: str
    name_km: str
    english: re.Pattern[str] | None
    khmer: tuple[str, ...]

    def matches(self, text_en: str, text_km: str = "") -> bool:
        """True when the English or Khmer text has one of the theme's keywords."""
        if self.english is not None and self.english.search(normalize(text_en)):
            return True
        km = normalize(text_km)
        return bool(km) and any(k in km for k in self.khmer)


def _keyword_pattern(keywords: list[str]) -> re.Pattern[str] | None:
    parts = []
    for keyword in keywords:
        word = normalize(keyword)
        if not word:
            continue
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"[\w-]*")
        else:
            parts.append(re.escape(word) + r"(?:s|es)?")
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])") if parts else None


def load_rules(path: Path) -> list[ThemeRule]:
    """Read the theme rule file (slug, names, `;`-separated keywords; `*` marks a prefix)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            ThemeRule(
                slug=row["slug"].strip(),
                name_en=row["name_en"].strip(),
                name_km=row["name_km"].strip(),
                english=_keyword_pattern(row["keywords_en"].split(";")),
                khmer=tuple(normalize(k) for k in row["keywords_km"].split(";") if k.strip()),
            )
            for row in csv.DictReader(handle)
        ]


def assign(rules: list[ThemeRule], text_en: str, text_km: str = "") -> set[str]:
    """The slugs of every theme whose keywords the texts contain."""
    return {rule.slug for rule in rules if rule.matches(text_en, text_km)}
