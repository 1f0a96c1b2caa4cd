"""Traffic-light assessment: colours, distributions and the overall-colour rule (no Telegram)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from bot.domain.outbox import Outgoing
from bot.domain.round_guide import Guide

K = TypeVar("K")


class Colour(enum.StrEnum):
    """How far a recommendation is implemented, as a member organisation sees it."""

    RED = "red"  # no (or almost no) progress
    ORANGE = "orange"  # some progress, not fully implemented
    GREEN = "green"  # fully implemented
    UNKNOWN = "unknown"  # "not aware of the status": a real answer, not a colour

    @property
    def emoji(self) -> str:
        """The button and table symbol."""
        return {"red": "🔴", "orange": "🟠", "green": "🟢", "unknown": "❔"}[self.value]


class Overall(enum.StrEnum):
    """The colour the coalition publishes for a recommendation."""

    RED = "red"
    ORANGE = "orange"
    GREEN = "green"
    CONTESTED = "contested"
    NOT_ENOUGH = "not_enough"

    @property
    def emoji(self) -> str:
        """The table symbol."""
        return {"red": "🔴", "orange": "🟠", "green": "🟢", "contested": "⚖️", "not_enough": "…"}[
            self.value
        ]


@dataclass(frozen=True)
class Distribution:
    """How many organisations gave each answer for one recommendation in one round."""

    red: int = 0
    orange: int = 0
    green: int = 0
    unknown: int = 0

    @classmethod
    def of(cls, colours: Iterable[Colour]) -> Distribution:
        """Count a list of colours."""
        counts = dict.fromkeys(Colour, 0)
        for colour in colours:
            counts[colour] += 1
        return cls(
            counts[Colour.RED], counts[Colour.ORANGE], counts[Colour.GREEN], counts[Colour.UNKNOWN]
        )

    @property
    def total(self) -> int:
        """Organisations that answered, "don't know" included."""
        return self.red + self.orange + self.green + self.unknown

    @property
    def coloured(self) -> int:
        """Organisations that gave a colour."""
        return self.red + self.orange + self.green

    def count(self, colour: Colour) -> int:
        """The count for one answer."""
        return int(getattr(self, colour.value))

    def line(self) -> str:
        """'🔴 3 · 🟠 5 · 🟢 1 · ❔ 2'."""
        return " · ".join(f"{c.emoji} {self.count(c)}" for c in Colour)


def overall(dist: Distribution, min_ratings: int) -> Overall:
    """The published colour: the median of the colours given (red < orange < green).

    "Not enough ratings" when fewer than `min_ratings` organisations gave a colour ("don't know"
    does not count); "contested" when red and green each have at least a third of the colours,
    so a median would hide a real split.
    """
    if dist.coloured < max(1, min_ratings):
        return Overall.NOT_ENOUGH
    if min(dist.red, dist.green) * 3 >= dist.coloured:
        return Overall.CONTESTED
    median = (dist.coloured - 1) // 2  # the lower median's place among the colours in order
    if median < dist.red:
        return Overall.RED
    return Overall.ORANGE if median < dist.red + dist.orange else Overall.GREEN


def change(before: Overall, after: Overall) -> int:
    """+1 progressed (red → orange → green), -1 regressed, 0 same or not comparable."""
    rank = {Overall.RED: 0, Overall.ORANGE: 1, Overall.GREEN: 2}
    if before not in rank or after not in rank:
        return 0
    return (rank[after] > rank[before]) - (rank[after] < rank[before])


class RoundClosed(Exception):
    """The round is closed: its ratings are frozen."""


class NotInRound(Exception):
    """The recommendation is not in the round (a round keeps the recommendations it opened with)."""


@dataclass(frozen=True)
class Round:
    """An assessment round as coordinators opened it."""

    id: int
    name: str
    cycle: int
    scope: str
    closes_at: dt.datetime | None
    open: bool
    published: bool
    size: int
    published_at: dt.datetime | None = None


@dataclass(frozen=True)
class RoundDraft:
    """A round a coordinator asked for and has not confirmed yet (/openround's preview)."""

    id: int
    user_id: int
    name: str
    cycle: int
    scope: str
    recommendation_ids: tuple[int, ...]
    closes_at: dt.datetime | None
    guide: Guide | None = None  # opened through buttons and not finished: the choices so far
    opened_round: int | None = None  # the round its [Open] opened (0 while it is being opened)
    cancelled: bool = False


class Rating(NamedTuple):
    """One organisation's answer (organisation None once the organisation was erased).

    A named tuple, not a dataclass: a full round reads ~100,000 of them at once.
    """

    recommendation_id: int
    organisation: str | None
    colour: Colour
    reason: str
    organisation_id: int | None = None


class Said(NamedTuple):
    """A rating as a results table shows it beside its recommendation: the organisation
    (None in members' views and once erased), colour and reason, and the working groups whose
    own rows it counts in."""

    recommendation_id: int
    organisation: str | None
    colour: Colour
    reason: str
    groups: tuple[int, ...]


@dataclass(frozen=True)
class ReasonsForm:
    """How a reasons cell is written in the reader's language ('ADHOC: 🔴 No law yet.; CCHR:
    🟠'): what separates what each organisation said, and the text before, between and after
    its name and what it said (`label_first`: the name before it)."""

    separator: str
    before: str
    between: str
    after: str
    label_first: bool = True


@dataclass(frozen=True)
class TableReads:
    """What a round's results tables are built from, read at one moment: the whole
    coalition's distribution of each rated recommendation, each working group's own (by group,
    by recommendation on its list, as at the close), and the reasons cells written in a form
    (by table: 0 the whole coalition's, a working group's id its own)."""

    distributions: dict[int, Distribution]
    group_distributions: dict[int, dict[int, Distribution]]
    cells: dict[int, dict[int, str]]


def name_ranks(names: Iterable[tuple[K, str | None]]) -> dict[K, int]:
    """Each organisation's place when what was said is listed by name: alphabetically, case
    aside (one place for names that differ only by case; no name last)."""
    keys = {org: (name is None, (name or "").casefold()) for org, name in names}
    place = {key: n for n, key in enumerate(sorted(set(keys.values())))}
    return {org: place[key] for org, key in keys.items()}


@dataclass(frozen=True)
class Card:
    """A rating card in a group chat."""

    chat_id: int
    message_id: int
    round_id: int
    recommendation_id: int
    # The newest rating_history row to draw (0 for a new card); stored once the edit succeeded.
    history_id: int = 0
    # The working group whose chat it is in: the card shows that group's counts.
    working_group_id: int | None = None
    # The language it was posted in (the chat's, chosen by a coordinator): redraws keep it.
    language: str | None = None


@dataclass(frozen=True)
class PendingReason:
    """The reason a person was asked for last: their next plain private message gives it."""

    round_id: int
    recommendation_id: int
    next_card: bool  # asked after a first rating in private: the next card follows the reason
    sent: bool | None  # its prompt reached them (True), is on its way (None) or failed (False)


@dataclass(frozen=True)
class ReasonAsk:
    """The request for a rating's reason, written in the rating's own transaction (a crash
    loses both or neither): a prompt queued if the rating is new, else (in private, no prompt)
    the person's next plain message is its reason."""

    user_id: int
    expires: dt.datetime  # the prompt's, or the pending reason's without a prompt
    prompt: Outgoing | None = None
    pending: dt.datetime | None = None  # with a prompt: its plain-message reason's expiry
    origin: tuple[int, int | None] | None = None  # the group chat (and topic) tapped in


@dataclass(frozen=True)
class PromptOrigin:
    """A reason prompt that Telegram refused, asked for from a card in a group chat."""

    user_id: int
    round_id: int
    recommendation_id: int
    chat_id: int
    topic_id: int | None
