"""Each working group's action strategy: one row per action with the template's eight fields,
the responsible organisations, a timeframe read through the cycle's milestones, and a status
with its history."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.domain.importer import N_, ImportReport, RowError
from bot.domain.membership import NotAllowed, Organisation, Role
from bot.domain.model import Recommendation
from bot.domain.numbers import MalformedNumber, MultipleCycles, parse_numbers
from bot.domain.text import normalize, one_line
from bot.domain.timeframes import ReadTimeframe, Timeframe, Unreadable, local_day, read_timeframe

if TYPE_CHECKING:  # the protocol module imports this one's types: no cycle at run time
    from bot.domain.catalog import Catalog
    from bot.domain.clock import Clock
    from bot.domain.coalition import Coalition
    from bot.domain.milestones import Milestone, MilestoneEntry, Milestones, MilestoneTable
    from bot.domain.repositories import StrategyStore
    from bot.domain.strategy_file import StrategyRow

MAX_FIELD = 1000
CLI = 0  # the actor of the command line: whoever runs it on the server may import and export
MAX_NOTE = 300


class ActionStatus(enum.StrEnum):
    """Where an action stands. The value is what storage keeps."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"

    @property
    def is_open(self) -> bool:
        """True while the action still has to happen (done and dropped ones get no nudges)."""
        return self not in (ActionStatus.DONE, ActionStatus.DROPPED)


# An action's status as the reader sees it (the exported strategy's status column).
STATUS_LABELS: Mapping[ActionStatus, str] = {
    ActionStatus.NOT_STARTED: N_("not started"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.BLOCKED: N_("blocked"),
    ActionStatus.DROPPED: N_("dropped"),
}


class BadAction(ValueError):
    """An action that cannot be stored as written: a gettext msgid and its values."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


class UnknownAction(LookupError):
    """No action has this id."""


@dataclass(frozen=True)
class ActionDraft:
    """An action as a coordinator writes it: the template's eight fields, in its words, and
    the responsible organisations. Recommendation numbers are read in the action's cycle."""

    working_group_id: int
    cycle: int
    recommendations: str  # 1. '118.6, 118.10-118.12' (Khmer digits too)
    other_mechanisms: str = ""  # 2. corresponding recommendations of other UN mechanisms
    sdg_targets: str = ""  # 2. and SDG targets
    activity: str = ""  # 3. the CSO action or activity
    indicator: str = ""  # 4.
    resources: str = ""  # 5.
    partners: str = ""  # 6.
    timeframe: str = ""  # 7. as written: read by bot.domain.timeframes
    risks: str = ""  # 8. risks, each with its response
    organisation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ActionFields:
    """A checked action, ready to store: numbers resolved, timeframe read, text cleaned."""

    working_group_id: int
    cycle: int
    recommendation_ids: tuple[int, ...]
    other_mechanisms: str
    sdg_targets: str
    activity: str
    indicator: str
    resources: str
    partners: str
    timeframe: ReadTimeframe
    risks: str
    organisation_ids: tuple[int, ...]


@dataclass(frozen=True)
class StatusChange:
    """One status an action took: who set it, when, with what note."""

    status: ActionStatus
    actor: int
    at: dt.datetime
    note: str = ""
    occurrence: dt.date | None = None  # a recurring action's occurrence this change was about


@dataclass(frozen=True)
class Action:
    """A stored action with its status and the history of that status (oldest first)."""

    id: int
    fields: ActionFields
    status: ActionStatus
    history: tuple[StatusChange, ...]
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def due(self) -> dt.datetime | None:
        """When it is due (None: its timeframe could not be read)."""
        timeframe = self.fields.timeframe
        return timeframe.due if isinstance(timeframe, Timeframe) else None

    @property
    def occurrences(self) -> tuple[dt.date, ...]:
        """The days it is due (several for a recurring action, none for an ongoing one or an
        unreadable timeframe)."""
        timeframe = self.fields.timeframe
        return timeframe.occurrences if isinstance(timeframe, Timeframe) else ()

    @property
    def done_occurrences(self) -> frozenset[dt.date]:
        """The occurrences of a recurring action answered Done."""
        return frozenset(
            c.occurrence
            for c in self.history
            if c.occurrence is not None and c.status is ActionStatus.DONE
        )


def due_order(action: Action) -> tuple[int, dt.datetime, int]:
    """Sort key: by due date, unreadable timeframes last, then in the order they were added."""
    due = action.due
    return (0, due, action.id) if due else (1, dt.datetime.max.replace(tzinfo=dt.UTC), action.id)


def resolve_recommendations(text: str, cycle: int, catalog: Catalog) -> tuple[Recommendation, ...]:
    """The recommendations these numbers name in this cycle, in the order written.

    Raises BadAction for no numbers, unreadable numbers, another cycle, or numbers the cycle
    does not have.
    """
    try:
        query = parse_numbers(text)
    except (MalformedNumber, MultipleCycles) as exc:
        raise BadAction(
            N_("Write recommendation numbers like 118.6 or ranges like 118.1-118.50.")
        ) from exc
    if query is None:
        raise BadAction(N_("Write recommendation numbers like 118.6 or ranges like 118.1-118.50."))
    if query.cycle is not None and query.cycle != cycle:
        raise BadAction(
            N_("These numbers name cycle {named}, but the action belongs to cycle {cycle}."),
            named=str(query.cycle),
            cycle=str(cycle),
        )
    found, missing = catalog.in_ranges(cycle, query.ranges)
    if missing:
        raise BadAction(
            N_("Cycle {cycle} has no recommendation {numbers}."),
            cycle=str(cycle),
            numbers=", ".join(missing),
        )
    return tuple(found)


def _text(value: str, limit: int = MAX_FIELD) -> str:
    cleaned = one_line(value)
    if len(cleaned) > limit:
        raise BadAction(N_("A field is too long: at most {limit} characters."), limit=str(limit))
    return cleaned


@dataclass(frozen=True)
class GroupStrategy:
    """A working group's actions in one cycle (or every cycle), by due date."""

    working_group_id: int
    actions: tuple[Action, ...]
    counts: Mapping[ActionStatus, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StrategyCounts:
    """A working group's actions counted by status, and how many open ones are overdue."""

    by_status: Mapping[ActionStatus, int]
    overdue: int = 0


@dataclass(frozen=True)
class _Context:
    """What checking a draft needs to know: the groups, organisations and milestones."""

    groups: frozenset[int]
    organisations: frozenset[int]
    milestones: MilestoneTable


def _fields(draft: ActionDraft, catalog: Catalog, context: _Context) -> ActionFields:
    """The draft as it would be stored; BadAction says what is wrong with it."""
    if draft.working_group_id not in context.groups:
        raise BadAction(N_("There is no such working group."))
    if draft.cycle < 1:
        raise BadAction(N_("There is no such cycle."))
    activity = _text(draft.activity)
    if not activity:
        raise BadAction(N_("Write the action or activity."))
    if not set(draft.organisation_ids) <= context.organisations:
        raise BadAction(N_("There is no such organisation."))
    recommendations = resolve_recommendations(draft.recommendations, draft.cycle, catalog)
    return ActionFields(
        working_group_id=draft.working_group_id,
        cycle=draft.cycle,
        recommendation_ids=tuple(r.id for r in recommendations),
        other_mechanisms=_text(draft.other_mechanisms),
        sdg_targets=_text(draft.sdg_targets),
        activity=activity,
        indicator=_text(draft.indicator),
        resources=_text(draft.resources),
        partners=_text(draft.partners),
        timeframe=read_timeframe(draft.timeframe, context.milestones.of(draft.cycle)),
        risks=_text(draft.risks),
        organisation_ids=tuple(dict.fromkeys(draft.organisation_ids)),
    )


def _natural_key(fields: ActionFields) -> tuple[int, int, str]:
    """How a re-imported row without an id finds its action: group, cycle and activity."""
    return (fields.working_group_id, fields.cycle, normalize(fields.activity))


class Strategies:
    """The working groups' action strategies, with the role checks each change needs."""

    def __init__(
        self,
        repository: StrategyStore,
        coalition: Coalition,
        milestones: Milestones,
        clock: Clock,
    ) -> None:
        """Wire storage, membership, the milestones and the clock."""
        self.repository = repository
        self.coalition = coalition
        self.milestones = milestones
        self.clock = clock

    async def _context(self) -> _Context:
        groups = frozenset(g.id for g in await self.coalition.working_groups())
        organisations = frozenset(o.id for o in await self.coalition.repository.organisations())
        return _Context(groups, organisations, await self.milestones.table())

    async def check(self, draft: ActionDraft, catalog: Catalog) -> ActionFields:
        """The draft as it would be stored; BadAction says what is wrong with it."""
        return _fields(draft, catalog, await self._context())

    async def add(self, actor: int, draft: ActionDraft, catalog: Catalog) -> Action:
        """Store a new action (coordinators only); it starts as not started."""
        await self.coalition.require_coordinator(actor)
        fields = await self.check(draft, catalog)
        action_id = await self.repository.add_action(fields, actor=actor, now=self.clock.now())
        return await self.action(action_id)

    async def edit(
        self, actor: int, action_id: int, draft: ActionDraft, catalog: Catalog
    ) -> Action:
        """Replace an action's fields (coordinators only); its status and history stay."""
        await self.coalition.require_coordinator(actor)
        await self.action(action_id)
        fields = await self.check(draft, catalog)
        await self.repository.update_action(action_id, fields, actor=actor, now=self.clock.now())
        return await self.action(action_id)

    async def may_change_status(self, user_id: int, action: Action) -> bool:
        """Coordinators, and representatives of an active organisation responsible for it."""
        person = await self.coalition.person(user_id)
        if person is None:
            return False
        if person.role is Role.COORDINATOR:
            return True
        return (
            person.role is Role.MEMBER and person.organisation_id in action.fields.organisation_ids
        )

    async def set_status(
        self, actor: int, action_id: int, status: ActionStatus, note: str = ""
    ) -> Action:
        """Record a new status with who, when and a short note (kept in the history)."""
        action = await self.action(action_id)
        if not await self.may_change_status(actor, action):
            raise NotAllowed
        change = StatusChange(status, actor, self.clock.now(), _text(note, MAX_NOTE))
        await self.repository.change_status(action_id, change)
        return await self.action(action_id)

    async def occurrence_done(self, actor: int, action_id: int, occurrence: dt.date) -> Action:
        """Mark one occurrence of a recurring action done (those who may change its status):
        its history says which; the action's status stays and its nudges go on to the next
        occurrence. Marking one twice records it once."""
        action = await self.action(action_id)
        if not await self.may_change_status(actor, action):
            raise NotAllowed
        if occurrence in action.done_occurrences:
            return action
        change = StatusChange(ActionStatus.DONE, actor, self.clock.now(), occurrence=occurrence)
        await self.repository.occurrence_done(action_id, change)
        return await self.action(action_id)

    async def add_note(self, actor: int, action_id: int, note: str) -> Action:
        """Keep a short note with the actor's latest status change of the action (a new entry
        with the current status if they made none)."""
        action = await self.action(action_id)
        if not await self.may_change_status(actor, action):
            raise NotAllowed
        change = StatusChange(action.status, actor, self.clock.now(), _text(note, MAX_NOTE))
        await self.repository.add_note(action_id, change)
        return await self.action(action_id)

    async def reschedule(self, actor: int, action_id: int, timeframe: str) -> Action:
        """A new timeframe for the action, from those who may change its status; the old words
        stay in the status history. BadAction when the new words cannot be read or the date is
        past."""
        action = await self.action(action_id)
        if not await self.may_change_status(actor, action):
            raise NotAllowed
        table = await self.milestones.table()
        read = read_timeframe(_text(timeframe, MAX_NOTE), table.of(action.fields.cycle))
        if not isinstance(read, Timeframe):
            raise BadAction(read.reason, **read.values)
        if local_day(read.due) < local_day(self.clock.now()):
            raise BadAction(N_("This date is already past: write a date from today on."))
        old = action.fields.timeframe.original
        note = _text(f"📅 {old} → {read.original}", MAX_FIELD)
        change = StatusChange(action.status, actor, self.clock.now(), note)
        await self.repository.reschedule(action_id, read, change)
        return await self.action(action_id)

    async def action(self, action_id: int) -> Action:
        """One action; UnknownAction when there is none with this id."""
        found = await self.repository.action(action_id)
        if found is None:
            raise UnknownAction(action_id)
        return found

    async def for_group(self, group_id: int, cycle: int | None = None) -> GroupStrategy:
        """A working group's actions by due date (unreadable timeframes last), with counts."""
        actions = sorted(await self.repository.actions(group_id, cycle), key=due_order)
        counts: dict[ActionStatus, int] = {}
        for action in actions:
            counts[action.status] = counts.get(action.status, 0) + 1
        return GroupStrategy(group_id, tuple(actions), counts)

    async def overview(self, actor: int) -> dict[int, StrategyCounts] | None:
        """For coordinators, each working group's actions counted by status and overdue; None
        for anyone else."""
        if await self.coalition.role(actor) is not Role.COORDINATOR:
            return None
        today = local_day(self.clock.now())
        counts = {}
        for group in await self.coalition.working_groups():
            strategy = await self.for_group(group.id)
            overdue = sum(
                1
                for a in strategy.actions
                if a.status.is_open and a.due is not None and local_day(a.due) < today
            )
            counts[group.id] = StrategyCounts(strategy.counts, overdue)
        return counts

    async def may_see(self, user_id: int) -> bool:
        """Whether this person may see the strategies: /strategy's rule, members and
        coordinators (guests may not)."""
        return await self.coalition.role(user_id) is not Role.GUEST

    async def serving_count(self, user_id: int, recommendation_id: int) -> int | None:
        """How many actions serve a recommendation (one query, for the card shown), for those
        who may see the strategies; None for anyone else."""
        if not await self.may_see(user_id):
            return None
        return await self.repository.serving_count(recommendation_id)

    async def serving(self, user_id: int, recommendation_id: int) -> list[Action]:
        """The actions that serve a recommendation, by due date; NotAllowed for guests."""
        if not await self.may_see(user_id):
            raise NotAllowed
        return sorted(await self.repository.serving(recommendation_id), key=due_order)

    async def organisations(self) -> list[Organisation]:
        """Every organisation (to name an action's responsible ones)."""
        return await self.coalition.repository.organisations()

    async def unreadable(self, actor: int) -> Sequence[Action]:
        """Every action whose timeframe could not be read, for coordinators (or the command
        line) to fix."""
        if actor != CLI:
            await self.coalition.require_coordinator(actor)
        return await self.repository.unreadable()

    async def unreadable_rows(self, actor: int, rows: Sequence[StrategyRow]) -> list[RowError]:
        """Each imported row whose action is stored with an unreadable timeframe: its line, and
        why the timeframe could not be read (the advice), for the one who imported it."""
        stored = await self.unreadable(actor)
        by_id = {a.id: a for a in stored}
        by_key = {_natural_key(a.fields): a for a in stored}
        found: list[RowError] = []
        for row in rows:
            draft = row.draft
            key = (draft.working_group_id, draft.cycle, normalize(one_line(draft.activity)))
            action = by_id.get(row.action_id or 0) or by_key.get(key)
            timeframe = action.fields.timeframe if action else None
            if isinstance(timeframe, Unreadable):
                found.append(
                    RowError(row.line, timeframe.reason, dict(timeframe.values), row.sheet)
                )
        return found

    async def reread_timeframes(self) -> int:
        """Read every action's timeframe again with the milestones as they stand now (after a
        correction, or a release with new milestones or a better reader); how many changed."""
        table = await self.milestones.table()
        changes = [
            (action_id, new)
            for action_id, cycle, old in await self.repository.timeframes()
            if (new := read_timeframe(old.original, table.of(cycle))) != old
        ]
        if changes:
            await self.repository.set_timeframes(changes)
        return len(changes)

    async def correct_milestone(
        self,
        actor: int,
        cycle: int,
        milestone: Milestone,
        date: str,
        *,
        around: bool = False,
        note: str = "",
    ) -> tuple[MilestoneEntry, int]:
        """Correct a cycle's milestone (coordinators) and move the timeframes that resolve
        through it; the correction, and how many timeframes changed."""
        entry = await self.milestones.correct(
            actor, cycle, milestone, date, around=around, note=note
        )
        return entry, await self.reread_timeframes()

    async def import_rows(
        self, actor: int, rows: Sequence[StrategyRow], catalog: Catalog
    ) -> ImportReport:
        """Store a file's good rows together (one transaction): new actions added, changed ones
        updated (found by id, else by group, cycle and activity), the rest left as they are;
        each bad row reported with its line. Coordinators, or the command line."""
        if actor != CLI:
            await self.coalition.require_coordinator(actor)
        context = await self._context()
        existing: dict[int, Action] = {}
        for group_id in sorted({row.draft.working_group_id for row in rows}):
            existing.update((a.id, a) for a in await self.repository.actions(group_id))
        by_key = {
            _natural_key(a.fields): a for a in sorted(existing.values(), key=lambda a: -a.id)
        }
        inserts: list[ActionFields] = []
        updates: list[tuple[int, ActionFields]] = []
        unchanged = 0
        errors: list[RowError] = []
        for row in rows:
            try:
                fields = _fields(row.draft, catalog, context)
            except BadAction as bad:
                errors.append(RowError(row.line, bad.message, bad.values, row.sheet))
                continue
            found = by_key.get(_natural_key(fields))
            if row.action_id is not None:
                found = existing.get(row.action_id) or await self.repository.action(row.action_id)
                if found is None:
                    errors.append(
                        RowError(
                            row.line,
                            N_("there is no action {id}"),
                            {"id": str(row.action_id)},
                            row.sheet,
                        )
                    )
                    continue
            if found is None:
                inserts.append(fields)
            elif found.fields == fields:
                unchanged += 1
            else:
                updates.append((found.id, fields))
        if inserts or updates:
            await self.repository.import_actions(
                inserts, updates, actor=actor, now=self.clock.now()
            )
        return ImportReport(len(inserts), len(updates), unchanged, tuple(errors))

    async def export(self, actor: int, group_id: int | None = None) -> list[Action]:
        """Every action of one working group (or of all, group by group), by due date, to
        write out in the template's layout. Coordinators, or the command line."""
        if actor != CLI:
            await self.coalition.require_coordinator(actor)
        groups = [g.id for g in await self.coalition.working_groups()]
        chosen = groups if group_id is None else [g for g in groups if g == group_id]
        return [action for g in chosen for action in (await self.for_group(g)).actions]
