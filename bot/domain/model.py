"""The domain's plain data: recommendations, themes, cycles."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Response(enum.StrEnum):
    """How the State under Review answered a recommendation."""

    ACCEPTED = "accepted"
    NOTED = "noted"
    # Cambodia once said "rejected" (cycle 2); we keep the word, the UN counts it as noted.
    REJECTED = "rejected"
    PENDING = "pending"

    @property
    def counts_as(self) -> Response:
        """The UN's reading: rejected counts as noted."""
        return Response.NOTED if self is Response.REJECTED else self


class TranslationStatus(enum.StrEnum):
    """How far a Khmer translation has been checked."""

    DRAFT = "draft"
    REVIEWED = "reviewed"


@dataclass(frozen=True, order=True, slots=True)
class RecNumber:
    """A paragraph number such as 118.6: unique only within a cycle."""

    paragraph: int
    item: int

    def __str__(self) -> str:
        return f"{self.paragraph}.{self.item}"

    @classmethod
    def parse(cls, text: str) -> RecNumber:
        """Read '118.6' (leading zeros allowed); raise ValueError otherwise."""
        para, sep, item = text.strip().partition(".")
        if not sep or not para.isdigit() or not item.isdigit():
            raise ValueError(f"not a recommendation number: {text!r}")
        if len(para) > 4 or len(item) > 4:
            raise ValueError(f"number too long: {text!r}")
        return cls(int(para), int(item))


@dataclass(frozen=True, slots=True)
class Translation:
    """A Khmer text of a recommendation, with who made it and whether it is checked."""

    text: str
    status: TranslationStatus
    translator: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommendation as the coalition knows it."""

    id: int
    cycle: int
    number: RecNumber
    text_en: str
    states_raw: tuple[str, ...]
    response: Response
    theme_ids: tuple[int, ...] = ()
    khmer: Translation | None = None
    sdg_targets: tuple[str, ...] = ()
    action_category: int | None = None
    source: str = ""

    @property
    def key(self) -> tuple[int, RecNumber]:
        """(cycle, number): the identity a user can name."""
        return (self.cycle, self.number)

    @property
    def is_compound(self) -> bool:
        """True when the text itself names every State in brackets (cycle-1 compound items)."""
        first = self.states_raw[0] if self.states_raw else ""
        return bool(first) and self.text_en.rstrip().endswith(")") and f"({first})" in self.text_en

    def text_in(self, language: str) -> str:
        """The text in a language: Khmer once its translation is reviewed, else English (a
        draft is never shown alone)."""
        khmer = self.khmer
        if language == "km" and khmer is not None and khmer.status is TranslationStatus.REVIEWED:
            return khmer.text
        return self.text_en


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme of recommendations, named in both languages."""

    id: int
    slug: str
    name_en: str
    name_km: str

    def name(self, language: str) -> str:
        """The name in the reader's language."""
        return self.name_km if language == "km" else self.name_en


@dataclass(frozen=True, slots=True)
class Cycle:
    """A UPR cycle of Cambodia, with its review date when known."""

    number: int
    review_date: dt.date | None
