"""Which recommendations each working group rates: its own list, edited by pasting numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace

from bot.domain.catalog import Catalog
from bot.domain.clock import Clock
from bot.domain.coalition import Coalition
from bot.domain.importer import N_
from bot.domain.membership import NotAllowed, Role, WorkingGroup
from bot.domain.model import Recommendation
from bot.domain.numbers import (
    MalformedNumber,
    MultipleCycles,
    cycle_after_numbers,
    parse_numbers,
)
from bot.domain.repositories import GroupListStore

LIST_PROMPT_TTL = dt.timedelta(days=1)  # a reply to a "which numbers?" prompt counts this long


class BadNumbers(ValueError):
    """The pasted text cannot be read as numbers; the message is a gettext msgid."""


@dataclass(frozen=True)
class Picked:
    """The recommendations pasted numbers and ranges name, in one cycle."""

    cycle: int
    recommendations: tuple[Recommendation, ...]
    missing: tuple[str, ...]
    not_listed: tuple[str, ...] = ()  # after a removal: the numbers that were not on the list


def pick(text: str, catalog: Catalog) -> Picked:
    """Read '118.1-118.20, 119.3' (Khmer digits too; 'c1' for another cycle) into recommendations.

    A number means something only within a cycle: the current one unless the text starts
    with one (a cycle after some numbers would silently move them to it: refused).
    """
    if cycle_after_numbers(text):
        raise BadNumbers(
            N_(
                "A cycle (like c1) comes after some numbers: send the numbers of each cycle in a "
                "separate reply, starting with its cycle (for example c1 82.1-82.9)."
            )
        )
    try:
        query = parse_numbers(text)
    except MultipleCycles as exc:
        raise BadNumbers(N_("Send the numbers of one cycle at a time.")) from exc
    except MalformedNumber as exc:
        raise BadNumbers(
            N_("I could not read these numbers. Write them like 118.1-118.20, 119.3.")
        ) from exc
    if query is None:
        raise BadNumbers(
            N_("I could not read these numbers. Write them like 118.1-118.20, 119.3.")
        )
    cycle = query.cycle or catalog.current_cycle
    if cycle is None:
        raise BadNumbers(N_("No recommendations are loaded yet."))
    found, missing = catalog.in_ranges(cycle, query.ranges)
    return Picked(cycle, tuple(sorted(found, key=lambda r: r.number)), tuple(missing))


def counts_by_cycle(recommendation_ids: set[int], catalog: Catalog) -> dict[int, int]:
    """How many of the listed recommendations each cycle has, oldest cycle first."""
    counts = Counter(catalog.by_id[r].cycle for r in recommendation_ids if r in catalog.by_id)
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class ListView:
    """A group's list as its page shows it."""

    group: WorkingGroup
    counts: dict[int, int]
    members_may_edit: bool
    may_edit: bool
    coordinator: bool


class GroupLists:
    """The working groups' own lists, with the role checks each edit needs."""

    def __init__(self, repository: GroupListStore, coalition: Coalition, clock: Clock) -> None:
        """Wire storage, membership and the clock."""
        self.repository = repository
        self.coalition = coalition
        self.clock = clock

    async def group(self, group_id: int) -> WorkingGroup:
        """One working group; NotAllowed for an unknown id (a forged button)."""
        found = next((g for g in await self.coalition.working_groups() if g.id == group_id), None)
        if found is None:
            raise NotAllowed
        return found

    async def may_edit(self, user_id: int, group_id: int) -> bool:
        """Coordinators always; a member organisation of the group when coordinators allow."""
        person = await self.coalition.person(user_id)
        if person is None or person.role is Role.GUEST:
            return False
        if person.role is Role.COORDINATOR:
            return True
        if person.organisation_id is None or not await self.repository.members_may_edit(group_id):
            return False
        groups = await self.coalition.repository.organisations_by_group()
        return person.organisation_id in groups.get(group_id, set())

    async def view(self, user_id: int, group_id: int, catalog: Catalog) -> ListView:
        """The group's list counted per cycle, and what this user may do with it."""
        group = await self.group(group_id)
        ids = await self.repository.recommendation_ids(group_id)
        return ListView(
            group,
            counts_by_cycle(ids, catalog),
            await self.repository.members_may_edit(group_id),
            await self.may_edit(user_id, group_id),
            await self.coalition.role(user_id) is Role.COORDINATOR,
        )

    async def edit(
        self, user_id: int, group_id: int, text: str, include: bool, catalog: Catalog
    ) -> tuple[Picked, int]:
        """Add or remove the pasted numbers; (what they named, how many changed). Audited."""
        group = await self.group(group_id)
        if not await self.may_edit(user_id, group_id):
            raise NotAllowed
        picked = pick(text, catalog)
        if not picked.recommendations:
            return picked, 0
        if not include:
            listed = await self.repository.recommendation_ids(group_id)
            absent = tuple(str(r.number) for r in picked.recommendations if r.id not in listed)
            picked = replace(picked, not_listed=absent)
        numbers = ", ".join(str(r.number) for r in picked.recommendations)
        changed = await self.repository.edit(
            group_id,
            [r.id for r in picked.recommendations],
            include,
            actor=user_id,
            now=self.clock.now(),
            detail=f"{group.slug} c{picked.cycle}: {numbers}",
        )
        return picked, changed

    async def toggle_members_may_edit(self, actor: int, group_id: int) -> bool:
        """Let the group's members edit its list, or stop them (coordinators only); new value."""
        await self.coalition.require_coordinator(actor)
        await self.group(group_id)
        flag = not await self.repository.members_may_edit(group_id)
        await self.repository.set_members_may_edit(
            group_id, flag, actor=actor, now=self.clock.now()
        )
        return flag

    async def recommendation_ids(self, group_id: int) -> set[int]:
        """The recommendations a group rates."""
        return await self.repository.recommendation_ids(group_id)

    async def remember_prompt(
        self, user_id: int, chat_id: int, message_id: int, group_id: int, include: bool
    ) -> None:
        """This user's reply to this message, within LIST_PROMPT_TTL, edits the group's list
        (kept across restarts)."""
        now = self.clock.now()
        await self.repository.add_prompt(
            user_id, chat_id, message_id, group_id, include, expires=now + LIST_PROMPT_TTL, now=now
        )

    async def prompted(
        self, user_id: int, chat_id: int, message_id: int
    ) -> tuple[int, bool] | None:
        """(group, add?) whose list a reply to this message edits, if any."""
        return await self.repository.prompt(user_id, chat_id, message_id, self.clock.now())
