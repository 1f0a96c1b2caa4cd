"""Each working group's action strategy: one row per action with the template's eight fields,
the responsible organisations, a timeframe read through the cycle's milestones, and a status
with its history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.domain.action_flow import ADDING, ATTRIBUTES, Choice, FlowDraft, Progress, Stage, Step
from bot.domain.importer import N_, ImportReport, RowError
from bot.domain.membership import NotAllowed, Organisation, Role
from bot.domain.milestones import (
    BadMilestoneDate,
    CycleMilestones,
    Milestone,
    MilestoneDate,
    MilestoneEntry,
    Precision,
)
from bot.domain.model import Recommendation
from bot.domain.numbers import MalformedNumber, MultipleCycles, parse_numbers
from bot.domain.text import is_blank, normalize, one_line
from bot.domain.timeframes import (
    MAX_TIMEFRAME,
    Kind,
    ReadTimeframe,
    Timeframe,
    Unreadable,
    local_day,
    read_timeframe,
)

if TYPE_CHECKING:  # the protocol module imports this one's types: no cycle at run time
    from bot.domain.catalog import Catalog
    from bot.domain.clock import Clock
    from bot.domain.coalition import Coalition
    from bot.domain.milestones import Milestones, MilestoneTable
    from bot.domain.repositories import StrategyStore
    from bot.domain.strategy_file import StrategyRow

MAX_FIELD = 1000
CLI = 0  # the actor of the command line: whoever runs it on the server may import and export
MAX_NOTE = 300
# A note joins the answer it follows (the actor's own, un-noted, latest entry) this long after.
NOTE_JOINS = dt.timedelta(days=1)
DRAFT_TTL = dt.timedelta(days=1)  # a coordinator's unfinished action, and a milestone prompt
INPUT_WAIT = dt.timedelta(minutes=15)  # a plain message (not a reply) answers the step this long


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

    def as_dict(self) -> dict[str, Any]:
        """The draft as stored while a coordinator writes it (JSON)."""
        data = dataclasses.asdict(self)
        data["organisation_ids"] = list(self.organisation_ids)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionDraft:
        """A stored draft read back."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["organisation_ids"] = tuple(int(o) for o in values.get("organisation_ids", ()))
        return cls(**values)


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

    def due_from(self, day: dt.date) -> dt.date | None:
        """The day it is due as of `day`: its first occurrence not done on or after `day`, else
        its last (a one-off action's due day; None for an ongoing or unreadable one)."""
        days, done = self.occurrences, self.done_occurrences
        return next((d for d in days if d >= day and d not in done), days[-1] if days else None)


def due_order(action: Action) -> tuple[int, dt.datetime, int]:
    """Sort key: by due date, unreadable timeframes last, then in the order they were added."""
    due = action.due
    return (0, due, action.id) if due else (1, dt.datetime.max.replace(tzinfo=dt.UTC), action.id)


def resolve_recommendations(text: str, cycle: int, catalog: Catalog) -> tuple[Recommendation, ...]:
    """The recommendations these numbers name in this cycle, in the order written.

    Raises BadAction for no numbers, unreadable numbers, another cycle, or numbers the cycle
    does not have (a range's first and last number too).
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
    ends = [
        str(end)
        for rng in query.ranges
        if rng.start != rng.end
        for end in (rng.start, rng.end)
        if catalog.get(cycle, end) is None
    ]
    if ends:  # a typo'd end ('118.6-118.9999') would take in a whole paragraph
        raise BadAction(
            N_(
                "Cycle {cycle} has no recommendation {numbers}: a range starts and ends with "
                "numbers the cycle has."
            ),
            cycle=str(cycle),
            numbers=", ".join(ends),
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


def _draft_of(action: Action, catalog: Catalog) -> ActionDraft:
    """A stored action as a coordinator would write it (numbers as text, timeframe's words)."""
    fields = action.fields
    numbers = [
        str(catalog.by_id[r].number) for r in fields.recommendation_ids if r in catalog.by_id
    ]
    return ActionDraft(
        working_group_id=fields.working_group_id,
        cycle=fields.cycle,
        recommendations=", ".join(numbers),
        other_mechanisms=fields.other_mechanisms,
        sdg_targets=fields.sdg_targets,
        activity=fields.activity,
        indicator=fields.indicator,
        resources=fields.resources,
        partners=fields.partners,
        timeframe=fields.timeframe.original,
        risks=fields.risks,
        organisation_ids=fields.organisation_ids,
    )


_DAY_FORMS = {Kind.DATE: Precision.DAY, Kind.MONTH: Precision.MONTH, Kind.YEAR: Precision.YEAR}


WRITE_A_DATE = N_("Write a date like 2027-06-30 or 30 June 2027 (a month or a year works too).")


def _milestone_words(text: str) -> str:
    """A milestone's date as coordinators type it ('2027-06-30', '30 June 2027', Khmer words
    and digits, 'June 2027', '2027') in the compact form milestones keep; BadMilestoneDate
    when it is blank or names no day, month or year (blank never clears a milestone)."""
    if is_blank(text):
        raise BadMilestoneDate(WRITE_A_DATE)
    try:
        return MilestoneDate.parse(text).text
    except BadMilestoneDate:
        read = read_timeframe(text, CycleMilestones(0, {}))
    precision = _DAY_FORMS.get(read.kind) if isinstance(read, Timeframe) else None
    if not isinstance(read, Timeframe) or precision is None:
        raise BadMilestoneDate(WRITE_A_DATE)
    day = read.start_day
    if precision is Precision.DAY:
        return day.isoformat()
    return f"{day.year:04d}-{day.month:02d}" if precision is Precision.MONTH else str(day.year)


@dataclass(frozen=True)
class MilestoneAnswer:
    """A typed milestone date: the correction and how many actions' dates moved, or why the
    date cannot be read (a gettext msgid)."""

    cycle: int
    milestone: Milestone
    entry: MilestoneEntry | None = None
    moved: int = 0
    problem: str | None = None


def _flip(ids: tuple[int, ...], value: int) -> tuple[int, ...]:
    """The ids with `value` taken out if it was in, else added."""
    return tuple(o for o in ids if o != value) if value in ids else (*ids, value)


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
        """Keep a short note: on the action's latest history entry when the actor made it in
        the last day and it has no note yet (the answer the note follows), else as a new entry
        with the current status; a note is never replaced. BadAction for a blank note."""
        action = await self.action(action_id)
        if not await self.may_change_status(actor, action):
            raise NotAllowed
        if is_blank(note):
            raise BadAction(N_("The note is empty: write a few words."))
        now = self.clock.now()
        change = StatusChange(action.status, actor, now, _text(note, MAX_NOTE))
        await self.repository.add_note(action_id, change, since=now - NOTE_JOINS)
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
                if a.status.is_open and (day := a.due_from(today)) is not None and day < today
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
            actor, cycle, milestone, _milestone_words(date), around=around, note=note
        )
        return entry, await self.reread_timeframes()

    async def milestone_table(self, actor: int) -> tuple[MilestoneTable, bool]:
        """Every cycle's milestones, for members and coordinators, and whether this reader may
        correct them (coordinators). NotAllowed for guests."""
        role = await self.coalition.role(actor)
        if role is Role.GUEST:
            raise NotAllowed
        return await self.milestones.table(), role is Role.COORDINATOR

    async def ask_milestone(
        self, actor: int, chat_id: int, message_id: int, cycle: int, milestone: Milestone
    ) -> None:
        """Remember that a reply to this prompt is the new date of a cycle's milestone
        (coordinators). BadMilestoneDate for a cycle the milestones table does not have."""
        await self.coalition.require_coordinator(actor)
        if cycle not in (await self.milestones.table()).cycles:
            raise BadMilestoneDate(N_("There is no such cycle."))
        now = self.clock.now()
        await self.milestones.repository.remember_prompt(
            actor, chat_id, message_id, cycle, milestone, now + DRAFT_TTL, now
        )

    async def answer_milestone(
        self, actor: int, chat_id: int, message_id: int, text: str
    ) -> MilestoneAnswer | None:
        """A reply to a milestone prompt: the milestone corrected and how many actions' dates
        moved, or why the date cannot be read (the prompt stays). None: no such prompt."""
        repository = self.milestones.repository
        prompt = await repository.prompt(actor, chat_id, message_id, self.clock.now())
        if prompt is None:
            return None
        cycle, milestone = prompt
        try:
            entry, moved = await self.correct_milestone(actor, cycle, milestone, text)
        except BadMilestoneDate as bad:
            return MilestoneAnswer(cycle, milestone, problem=str(bad))
        await repository.forget_prompt(actor, chat_id, message_id)
        return MilestoneAnswer(cycle, milestone, entry, moved)

    # A coordinator adds or edits an action step by step (bot/domain/action_flow.py).

    async def start_adding(
        self, actor: int, chat_id: int, group_id: int, catalog: Catalog
    ) -> Progress:
        """A coordinator begins a new action of a working group, in the current cycle (numbers
        naming another cycle move it there); the first step is asked."""
        await self.coalition.require_coordinator(actor)
        if group_id not in {g.id for g in await self.coalition.working_groups()}:
            return Progress(Stage.GONE)
        values = ActionDraft(group_id, catalog.current_cycle or 1, "")
        draft = FlowDraft(0, actor, chat_id, None, ADDING[0], values)
        return Progress(Stage.ASK, await self._keep(draft))

    async def start_editing(
        self, actor: int, chat_id: int, action_id: int, step: Step, catalog: Catalog
    ) -> Progress:
        """A coordinator chose a field of an action to change: it is asked (typed) or offered
        (organisations, working group). UnknownAction for an action that is gone."""
        await self.coalition.require_coordinator(actor)
        action = await self.action(action_id)
        if step is Step.SUMMARY:
            return Progress(Stage.GONE)
        draft = FlowDraft(0, actor, chat_id, action.id, step, _draft_of(action, catalog))
        draft = await self._keep(draft)
        return Progress(Stage.ASK if step.typed else Stage.CHOOSE, draft, action)

    async def prompted(self, actor: int, draft_id: int, prompt_id: int) -> None:
        """Remember the message that asked for the draft's step (a reply to it answers)."""
        await self.repository.set_draft_prompt(draft_id, actor, prompt_id)

    async def answer_step(
        self, actor: int, chat_id: int, prompt_id: int | None, text: str, catalog: Catalog
    ) -> Progress | None:
        """A typed answer to the step asked: a reply to its prompt, or (prompt_id None) a plain
        message soon after it — for a new action only: an edit, stored at once over the old
        value, takes only a reply (a search sent meanwhile stays a search). A bad answer is
        refused with why (the step stays); a good one leads to the next step, or stores the
        edit. None: no step waits for this message."""
        now = self.clock.now()
        draft = await self.repository.waiting_draft(
            actor, chat_id, prompt_id, now, None if prompt_id else now - INPUT_WAIT
        )
        if draft is None or not draft.step.typed or (prompt_id is None and not draft.adding):
            return None
        await self.coalition.require_coordinator(actor)
        try:
            base = draft.values if draft.adding else await self._current(draft, catalog)
            values, understood = await self._typed(draft, base, text, catalog)
            if draft.adding:
                return await self._next(replace(draft, values=values), understood)
            action = await self._store(actor, draft, values, catalog)
        except BadAction as bad:
            return Progress(Stage.ASK, draft, problem=bad.message, values=bad.values)
        except UnknownAction:
            await self.repository.forget_draft(draft.id)
            return Progress(Stage.GONE)
        return Progress(Stage.SAVED, None, action, understood=understood, edited=draft.step)

    async def stop_waiting(self, actor: int, chat_id: int) -> bool:
        """Another prompt of the bot now waits for this person's text: the newest prompt wins,
        so a new action's typed step stops taking a plain message (a reply to its prompt, or
        its buttons, still go on). True when one was waiting."""
        now = self.clock.now()
        draft = await self.repository.waiting_draft(actor, chat_id, None, now, now - INPUT_WAIT)
        if draft is None or not draft.step.typed or not draft.adding:
            return False
        await self.repository.set_draft_asked(draft.id, now - INPUT_WAIT - dt.timedelta(seconds=1))
        return True

    async def draft(self, actor: int, draft_id: int) -> FlowDraft | None:
        """A coordinator's own action being added or edited, None when it is gone (saved,
        cancelled, expired, replaced)."""
        await self.coalition.require_coordinator(actor)
        draft = await self.repository.draft(draft_id, self.clock.now())
        return draft if draft is not None and draft.user_id == actor else None

    async def press_step(
        self, actor: int, draft_id: int, choice: Choice, value: int | None, catalog: Catalog
    ) -> Progress:
        """A button of the flow: skip an optional field (or, editing, clear it), choose
        organisations (Done), move the action to a working group, Save the new action or
        Cancel. A button of a draft that
        is gone (saved, cancelled, expired, replaced) does nothing: Stage.GONE."""
        await self.coalition.require_coordinator(actor)
        draft = await self.repository.draft(draft_id, self.clock.now())
        if draft is None or draft.user_id != actor:
            return Progress(Stage.GONE)
        if choice is Choice.CANCEL:
            await self.repository.forget_draft(draft.id)
            return Progress(Stage.CANCELLED, draft)
        try:
            return await self._press(actor, draft, choice, value, catalog)
        except BadAction as bad:
            stage = Stage.SUMMARY if draft.step is Step.SUMMARY else Stage.CHOOSE
            return Progress(stage, draft, problem=bad.message, values=bad.values)
        except UnknownAction:
            await self.repository.forget_draft(draft.id)
            return Progress(Stage.GONE)

    async def _press(
        self, actor: int, draft: FlowDraft, choice: Choice, value: int | None, catalog: Catalog
    ) -> Progress:
        step = draft.step
        if choice is Choice.SKIP and draft.adding and step.optional:
            return await self._next(draft, None)
        if choice is Choice.ORGANISATION and step is Step.ORGANISATIONS and value is not None:
            if value not in {o.id for o in await self.organisations()}:
                raise BadAction(N_("There is no such organisation."))
            chosen, toggled = _flip(draft.values.organisation_ids, value), draft.toggled
            toggled = _flip(toggled, value)
            values = replace(draft.values, organisation_ids=chosen)
            draft = await self._keep(replace(draft, values=values, toggled=toggled))
            return Progress(Stage.CHOOSE, draft)
        if choice is Choice.DONE and step is Step.ORGANISATIONS:
            if draft.adding:
                return await self._next(draft, None)
            base = await self._current(draft, catalog)
            # Only this coordinator's ticks and unticks, on the list as it is now.
            ticked = draft.values.organisation_ids
            now_listed = [
                o for o in base.organisation_ids if o in ticked or o not in draft.toggled
            ]
            added = [o for o in ticked if o in draft.toggled and o not in now_listed]
            values = replace(base, organisation_ids=(*now_listed, *added))
            action = await self._store(actor, draft, values, catalog)
            return Progress(Stage.SAVED, None, action, edited=step)
        if choice is Choice.GROUP and step is Step.GROUP and value is not None:
            values = replace(await self._current(draft, catalog), working_group_id=value)
            action = await self._store(actor, draft, values, catalog)
            return Progress(Stage.SAVED, None, action, edited=step)
        if choice is Choice.CLEAR and step.optional and not draft.adding:
            changed: dict[str, Any] = {ATTRIBUTES[step]: ""}
            values = replace(await self._current(draft, catalog), **changed)
            action = await self._store(actor, draft, values, catalog)
            return Progress(Stage.SAVED, None, action, edited=step)
        if choice is Choice.SAVE and step is Step.SUMMARY and draft.adding:
            action = await self._store(actor, draft, draft.values, catalog)
            return Progress(Stage.SAVED, None, action)
        return Progress(Stage.GONE)

    async def _keep(self, draft: FlowDraft) -> FlowDraft:
        """Store the draft (a new one replaces the coordinator's earlier ones); as stored."""
        now = self.clock.now()
        return await self.repository.keep_draft(draft, now, now + DRAFT_TTL)

    async def _next(self, draft: FlowDraft, understood: ReadTimeframe | None) -> Progress:
        """A new action's next step after the one answered (or skipped), or its summary."""
        later = ADDING[ADDING.index(draft.step) + 1 :] if draft.step in ADDING else ()
        step = later[0] if later else Step.SUMMARY
        draft = await self._keep(replace(draft, step=step, prompt_id=None))
        stage = Stage.SUMMARY if step is Step.SUMMARY else Stage.ASK
        if step is Step.ORGANISATIONS:
            stage = Stage.CHOOSE
        return Progress(stage, draft, understood=understood)

    async def _current(self, draft: FlowDraft, catalog: Catalog) -> ActionDraft:
        """An edited action's fields as they are now (another edit may have come since)."""
        return _draft_of(await self.action(draft.action_id or 0), catalog)

    async def _typed(
        self, draft: FlowDraft, values: ActionDraft, text: str, catalog: Catalog
    ) -> tuple[ActionDraft, ReadTimeframe | None]:
        """The draft with a typed answer in its field; BadAction says why it cannot be."""
        step = draft.step
        if step is Step.RECOMMENDATIONS:
            words = _text(text)
            cycle = values.cycle
            if draft.adding:  # numbers written with their cycle ('c3 118.6') choose it
                try:
                    query = parse_numbers(words)
                except (MalformedNumber, MultipleCycles):
                    query = None
                cycle = query.cycle if query and query.cycle else cycle
            resolve_recommendations(words, cycle, catalog)
            return replace(values, recommendations=words, cycle=cycle), None
        if step is Step.TIMEFRAME:
            words = _text(text, MAX_TIMEFRAME)
            if is_blank(words):
                raise BadAction(N_("Write the timeframe, like 31 March 2027 or Q2 2027."))
            table = await self.milestones.table()
            return replace(values, timeframe=words), read_timeframe(words, table.of(values.cycle))
        words = _text(text)
        if is_blank(words):
            if step.optional:
                raise BadAction(
                    N_("This is empty: write the new text, or tap 🗑 Clear to empty it.")
                )
            raise BadAction(N_("Write the action or activity."))
        changed: dict[str, Any] = {ATTRIBUTES[step]: words}
        return replace(values, **changed), None

    async def _store(
        self, actor: int, draft: FlowDraft, values: ActionDraft, catalog: Catalog
    ) -> Action:
        """Check the whole action and store it (a new one, or the edit), forgetting the draft
        in the same transaction; BadAction when it cannot be stored as it is."""
        fields = await self.check(values, catalog)
        now = self.clock.now()
        if draft.action_id is None:
            action_id = await self.repository.add_action(
                fields, actor=actor, now=now, draft_id=draft.id
            )
            return await self.action(action_id)
        old = await self.action(draft.action_id)
        change = None
        if old.fields.timeframe.original != fields.timeframe.original:  # as a new date does
            note = _text(f"✏️ {old.fields.timeframe.original} → {fields.timeframe.original}")
            change = StatusChange(old.status, actor, now, note)
        await self.repository.update_action(
            old.id,
            fields,
            actor=actor,
            now=now,
            draft_id=draft.id,
            change=change,
            detail=ATTRIBUTES.get(draft.step, draft.step.name.lower()),
        )
        return await self.action(old.id)

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
