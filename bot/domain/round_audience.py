"""Whom a round concerns: its audience and each organisation's own share of it.

The one rule, used for every notice, reminder, count and denominator of a round. A working
group *counts* when at least one active organisation is in it; a group is *concerned* when its
list holds at least one of the round's recommendations (its chat is told, with that count).

- An organisation in a working group is in the audience when one of its groups is concerned;
  its own count is the round's recommendations on any of its groups' lists.
- An organisation in no working group is in the audience of a round that concerns every
  working group that counts (a whole cycle, say), and counts all of the round's
  recommendations.
- A round that concerns no working group that counts (there are none: the coalition does not
  use groups; or no such group's list holds any of its recommendations) concerns every active
  organisation, each counting all of it.

An organisation outside the audience may still rate; it is never reminded and never counted
in a denominator ("N of M").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AudienceRule:
    """Which organisations besides the concerned groups' members a round concerns."""

    everyone: bool = False  # no group concerned: every active organisation, all of the round
    ungrouped: bool = False  # every group concerned: organisations in no group too, all of it


def audience_rule(groups: Mapping[int, tuple[int, int]]) -> AudienceRule:
    """The rule for a round from each working group's (how many of the round's
    recommendations its list holds, how many active organisations are in it)."""
    counting = {g for g, (_, members) in groups.items() if members}
    concerned = {g for g in counting if groups[g][0]}
    if not concerned:
        return AudienceRule(everyone=True, ungrouped=True)
    return AudienceRule(ungrouped=concerned == counting)


@dataclass(frozen=True)
class Share:
    """One audience organisation's part of a round: how many recommendations are its own
    (`total`), how many of those it has rated, and whether it rated anything in the round."""

    organisation_id: int
    short_name: str
    total: int
    rated: int
    took_part: bool

    @property
    def left(self) -> int:
        """How many of its own recommendations it has not rated."""
        return max(self.total - self.rated, 0)


@dataclass(frozen=True)
class RoundAudience:
    """A round's audience: the concerned working groups (with their counts: their chats are
    told), the rule, and each audience organisation's share, by short name."""

    rule: AudienceRule
    groups: Mapping[int, int]
    shares: tuple[Share, ...]

    def share(self, organisation_id: int | None) -> Share | None:
        """This organisation's share; None when the round does not concern it."""
        return next((s for s in self.shares if s.organisation_id == organisation_id), None)

    @property
    def took_part(self) -> int:
        """How many audience organisations rated anything."""
        return sum(1 for s in self.shares if s.took_part)

    @property
    def behind(self) -> tuple[Share, ...]:
        """The audience organisations that have not rated all their own recommendations."""
        return tuple(s for s in self.shares if s.left)
