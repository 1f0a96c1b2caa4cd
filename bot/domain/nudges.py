"""Nudges about actions' timeframes, and the coordinators' weekly summary.

The database owns the schedule: a sweep (any number of times, after any restart) works out for
each open action the latest nudge whose moment has come — `before-N` days before the due day,
`due` on it, `overdue-N` each week after — and records it once (one row per action × kind ×
day), staging its messages for the outbox in the same transaction. A day missed while the bot
was down is so caught up once; a nudge whose moment came before the action last changed (an
answer, a new date) is not sent. A recurring action is nudged so before each occurrence (the
last one also weekly while overdue); Done on an occurrence marks that one done and the nudges
go on to the next; an ongoing action has no due day to nudge about.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.domain.membership import NotAllowed, WorkingGroup
from bot.domain.outbox import Content, Job, Outgoing, stage
from bot.domain.strategy import Action, ActionStatus, BadAction, StatusChange
from bot.domain.timeframes import Kind, Recurrence, Timeframe, local_day, occurrences

if TYPE_CHECKING:
    from bot.domain.clock import Clock
    from bot.domain.coalition import Coalition
    from bot.domain.outbox import Outbox
    from bot.domain.repositories import NudgeStore
    from bot.domain.strategy import Strategies

DUE = "due"
DIGEST_SIZE = 8  # actions in one message at most (each with its row of buttons)
PROMPT_TTL = dt.timedelta(days=1)
MAX_WEEKS = 520  # an action overdue for ten years stops being nudged


def latest_nudge(
    due_day: dt.date, today: dt.date, days_before: Sequence[int], *, overdue: bool = True
) -> tuple[str, dt.date] | None:
    """The latest nudge on or before `today` for an action due on `due_day`: its kind
    (`before-14`, `due`, `overdue-2`…) and day; None before the first one. Without `overdue`
    the due day's nudge is the last."""
    if today >= due_day:
        weeks = min((today - due_day).days // 7, MAX_WEEKS)
        if weeks == 0 or not overdue:
            return DUE, due_day
        return f"overdue-{weeks}", due_day + dt.timedelta(weeks=weeks)
    passed = [(due_day - dt.timedelta(days=n), n) for n in days_before]
    passed = [(day, n) for day, n in passed if day <= today]
    if not passed:
        return None
    day, n = max(passed)
    return f"before-{n}", day


def next_nudge(
    days: Sequence[dt.date], done: Set[dt.date], today: dt.date, days_before: Sequence[int]
) -> tuple[str, dt.date, dt.date] | None:
    """The latest nudge on or before `today` about an action due on these days (a one-off
    action's due day, each occurrence of a recurring one, none for an ongoing one): its kind,
    its day and the occurrence it is about; None before the first. An occurrence done gets no
    more; a `before-N` nudge comes only when N days is less than the time since the previous
    occurrence (a weekly action is not nudged 14 days ahead); only the last occurrence is
    nudged weekly while overdue (before that, the next occurrence's nudges take over)."""
    latest: tuple[str, dt.date, dt.date] | None = None
    reach = dt.timedelta(days=max(days_before, default=0))
    for index, day in enumerate(days):
        if day - reach > today:
            break  # this occurrence's nudges, and the later ones', are still to come
        if day in done:
            continue
        gap = (day - days[index - 1]).days if index else None
        before = [n for n in days_before if gap is None or n < gap]
        found = latest_nudge(day, today, before, overdue=index == len(days) - 1)
        if found is not None and (latest is None or found[1] > latest[1]):
            latest = (*found, day)
    return latest


def occurrence_of(kind: str, day: dt.date) -> dt.date | None:
    """The due day (occurrence) a nudge recorded as (kind, day) was about: `before-N` on day
    d is about d + N, `overdue-N` about d - N weeks."""
    if kind == DUE:
        return day
    name, _, number = kind.partition("-")
    if not number.isdigit():
        return None
    if name == "before":
        return day + dt.timedelta(days=int(number))
    return day - dt.timedelta(weeks=int(number)) if name == "overdue" else None


@dataclass(frozen=True)
class OpenAction:
    """What a sweep needs of an open action with a readable due date."""

    id: int
    working_group_id: int
    activity: str
    due: dt.datetime
    updated_at: dt.datetime
    status: ActionStatus
    organisation_ids: tuple[int, ...]
    kind: Kind = Kind.DATE
    recurrence: Recurrence | None = None
    start: dt.datetime | None = None
    done: frozenset[dt.date] = frozenset()  # occurrences answered Done

    @property
    def due_day(self) -> dt.date:
        """The due day, in Phnom Penh."""
        return local_day(self.due)

    @property
    def occurrences(self) -> tuple[dt.date, ...]:
        """The days it is due: one, each occurrence of a recurring action, or none (ongoing)."""
        if self.kind is not Kind.RECURRING and self.kind is not Kind.ONGOING:
            return (self.due_day,)
        start = local_day(self.start) if self.start else self.due_day
        return occurrences(self.kind, self.recurrence, start, self.due_day)


@dataclass(frozen=True)
class Recipient:
    """A chat that gets nudges: a working group's linked chat (or topic), or a representative
    of a responsible organisation in private; `language` already chosen."""

    chat_id: int
    topic_id: int | None
    language: str
    organisation_id: int | None = None  # set for a representative
    working_group_id: int | None = None  # set for a group's chat


@dataclass(frozen=True)
class Targets:
    """Who can be nudged: linked chats by working group, reachable representatives of active
    organisations by organisation."""

    chats: Mapping[int, tuple[Recipient, ...]]
    representatives: Mapping[int, tuple[Recipient, ...]]


@dataclass(frozen=True)
class Nudge:
    """One nudge: the row that makes it happen once."""

    action_id: int
    kind: str
    day: dt.date
    occurrence: dt.date | None = field(default=None, compare=False)  # the due day it is about


@dataclass(frozen=True)
class NudgeItem:
    """One action in a nudge message, and the due day (occurrence) it is about."""

    action: OpenAction
    group: WorkingGroup
    kind: str
    occurrence: dt.date


@dataclass(frozen=True)
class Digest:
    """One nudge message: the actions due for one chat, on `today`."""

    recipient: Recipient
    items: tuple[NudgeItem, ...]
    today: dt.date


@dataclass(frozen=True)
class Overdue:
    """An overdue action and for how many days."""

    action: Action
    days: int


@dataclass(frozen=True)
class Reported:
    """An answer given since last week's summary: the action, its latest change and who."""

    action: Action
    change: StatusChange
    who: str


@dataclass(frozen=True)
class Summary:
    """The coordinators' Monday summary of the week starting `week`."""

    week: dt.date
    groups: Mapping[int, WorkingGroup]
    due_this_week: tuple[Action, ...] = ()
    overdue: tuple[Overdue, ...] = ()
    blocked: tuple[Action, ...] = ()  # with their latest note
    answers: tuple[Reported, ...] = ()  # since last week's summary
    unanswered: tuple[Action, ...] = ()  # nudged about its due date, never answered since
    not_nudged: tuple[Action, ...] = ()  # open, due, but nobody to nudge (unlinked, inactive)
    unreadable: int = 0
    ongoing: tuple[Action, ...] = ()  # open, ongoing: no due day to nudge about

    @property
    def empty(self) -> bool:
        """Nothing to report."""
        return not (
            self.due_this_week
            or self.overdue
            or self.blocked
            or self.answers
            or self.unanswered
            or self.not_nudged
            or self.unreadable
            or self.ongoing
        )


class Renderer(Protocol):
    """Turns what the sweep found into messages, in the recipient's language."""

    def digest(self, digest: Digest) -> Content:
        """One nudge message."""
        ...

    def summary(self, summary: Summary, language: str) -> Content:
        """The weekly summary for one coordinator."""
        ...


@dataclass(frozen=True)
class SweepResult:
    """What a sweep did."""

    nudges: int = 0
    messages: int = 0
    summaries: int = 0


class Answer(enum.StrEnum):
    """A nudge's buttons."""

    DONE = "d"
    IN_PROGRESS = "p"
    BLOCKED = "b"
    NEW_DATE = "t"


ANSWER_STATUS = {
    Answer.DONE: ActionStatus.DONE,
    Answer.IN_PROGRESS: ActionStatus.IN_PROGRESS,
    Answer.BLOCKED: ActionStatus.BLOCKED,
}


class Purpose(enum.StrEnum):
    """What a reply to an action's prompt means."""

    NOTE = "note"
    DATE = "date"


@dataclass(frozen=True)
class Answered:
    """A nudge button pressed: the action as it is now, and whether the status was recorded
    (a new date is asked for first); `closed` when the action was done or dropped already (a
    coordinator reopens it from its card)."""

    action: Action
    answer: Answer
    recorded: bool
    closed: bool = False
    occurrence: dt.date | None = None  # Done on this occurrence of a recurring action


@dataclass(frozen=True)
class Replied:
    """A reply to an action's prompt: a note kept, or a new date (the old one in history);
    `problem` (a gettext msgid with values) when the note or date could not be kept."""

    action: Action
    purpose: Purpose
    problem: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class Nudges:
    """The sweep that nudges, the answers to nudges and the coordinators' weekly summary."""

    def __init__(
        self,
        store: NudgeStore,
        strategies: Strategies,
        coalition: Coalition,
        outbox: Outbox,
        clock: Clock,
        *,
        timezone: dt.tzinfo,
        at: dt.time,
        days_before: Sequence[int],
    ) -> None:
        """Wire storage, the strategies, the outbox and the settings."""
        self.store = store
        self.strategies = strategies
        self.coalition = coalition
        self.outbox = outbox
        self.clock = clock
        self.timezone = timezone
        self.at = at
        self.days_before = tuple(days_before)
        self._sweeping = asyncio.Lock()  # one sweep at a time: each reads what the last wrote

    def _moment(self, day: dt.date) -> dt.datetime:
        """When a day's nudges go out, in UTC."""
        return dt.datetime.combine(day, self.at, self.timezone).astimezone(dt.UTC)

    def _today(self, now: dt.datetime) -> dt.date:
        """The latest day whose nudge time has come."""
        local = now.astimezone(self.timezone)
        day = local.date()
        return day if local.time() >= self.at else day - dt.timedelta(days=1)

    async def due_nudges(self, actions: Sequence[OpenAction], today: dt.date) -> list[Nudge]:
        """The nudges whose moment has come and that were not recorded yet."""
        candidates = []
        for action in actions:
            found = next_nudge(action.occurrences, action.done, today, self.days_before)
            if found is None or self._moment(found[1]) < action.updated_at:
                continue
            candidates.append(Nudge(action.id, *found))
        if not candidates:
            return []
        recorded = await self.store.recorded(min(n.day for n in candidates))
        return [n for n in candidates if (n.action_id, n.kind, n.day) not in recorded]

    async def sweep(self, renderer: Renderer) -> SweepResult:
        """Nudge what is due (once), and send the weekly summary when its time has come."""
        async with self._sweeping:
            return await self._sweep(renderer)

    async def _sweep(self, renderer: Renderer) -> SweepResult:
        now = self.clock.now()
        today = self._today(now)
        actions = {a.id: a for a in await self.store.open_actions()}
        nudges = await self.due_nudges(list(actions.values()), today)
        groups = {g.id: g for g in await self.coalition.working_groups()}
        targets = await self.store.targets()
        chats: dict[Recipient, list[NudgeItem]] = defaultdict(list)
        sent: list[Nudge] = []
        for nudge in nudges:
            action = actions[nudge.action_id]
            group = groups.get(action.working_group_id)
            if group is None:
                continue
            recipients = list(targets.chats.get(group.id, ()))
            for org in action.organisation_ids:
                recipients.extend(targets.representatives.get(org, ()))
            if not recipients:
                continue  # nobody to nudge: the weekly summary lists it
            sent.append(nudge)
            item = NudgeItem(action, group, nudge.kind, nudge.occurrence or action.due_day)
            for recipient in dict.fromkeys(recipients):
                chats[recipient].append(item)
        outgoing = [
            Outgoing(
                recipient.chat_id,
                renderer.digest(Digest(recipient, tuple(items[i : i + DIGEST_SIZE]), today)),
                Job.NUDGE,
                topic_id=recipient.topic_id,
                language=recipient.language,
                reference=f"nudge:{today.isoformat()}",
                organisation_id=recipient.organisation_id,
            )
            for recipient, items in chats.items()
            for i in range(0, len(items), DIGEST_SIZE)
        ]
        if sent:
            async with self.outbox.along():
                stage(*outgoing)
                await self.store.record(sent, now)
        summaries = await self._weekly_summary(renderer, now, today)
        return SweepResult(len(sent), len(outgoing), summaries)

    async def _weekly_summary(self, renderer: Renderer, now: dt.datetime, today: dt.date) -> int:
        week = _monday(today)
        if await self.store.summary_sent(week):
            return 0
        summary = await self.summary(week, today)
        if summary.empty:  # nothing to tell: this week is done (a strategy imported later
            await self.store.record_summary(week, now)  # waits for next Monday)
            return 0
        coordinators = await self.coalition.coordinators()
        languages = await self.store.languages([c.user_id for c in coordinators])
        outgoing = [
            Outgoing(
                c.user_id,
                renderer.summary(summary, languages.get(c.user_id, "")),
                Job.NUDGE,
                language=languages.get(c.user_id),
                reference=f"summary:{week.isoformat()}",
            )
            for c in coordinators
            if c.unreachable_since is None
        ]
        async with self.outbox.along():
            stage(*outgoing)
            await self.store.record_summary(week, now)
        return len(outgoing)

    async def summary(self, week: dt.date, today: dt.date) -> Summary:
        """What the coordinators read on Monday: due this week, overdue, blocked, the answers
        since last week's summary, the actions nudged about their due date and never answered
        since the first of those nudges, and the open actions nobody can be nudged about."""
        groups = {g.id: g for g in await self.coalition.working_groups()}
        targets = await self.store.targets()
        nudged = await self.store.nudged()
        since = self._moment(week - dt.timedelta(days=7))
        end = week + dt.timedelta(days=7)
        due_week: list[Action] = []
        overdue: list[Overdue] = []
        blocked: list[Action] = []
        answers: list[tuple[Action, StatusChange]] = []
        unanswered: list[Action] = []
        gaps: list[Action] = []
        ongoing: list[Action] = []
        unreadable = 0
        for group in groups.values():
            for action in (await self.strategies.for_group(group.id)).actions:
                if action.history and action.history[-1].at >= since:
                    answers.append((action, action.history[-1]))
                if not action.status.is_open:
                    continue
                timeframe = action.fields.timeframe
                if not isinstance(timeframe, Timeframe):
                    unreadable += 1
                    continue
                if action.status is ActionStatus.BLOCKED:
                    blocked.append(action)
                if timeframe.kind is Kind.ONGOING:
                    ongoing.append(action)
                    continue
                days = action.occurrences
                undone = set(days) - action.done_occurrences
                if any(week <= day < end for day in undone):
                    due_week.append(action)
                elif days[-1] in undone and days[-1] < today:
                    overdue.append(Overdue(action, (today - days[-1]).days))
                series = [
                    at
                    for kind, nudge_day, at in nudged.get(action.id, ())
                    if occurrence_of(kind, nudge_day) in undone
                ]
                if series and not any(c.at >= min(series) for c in action.history):
                    unanswered.append(action)
                reachable = group.id in targets.chats or any(
                    o in targets.representatives for o in action.fields.organisation_ids
                )
                if not reachable:
                    gaps.append(action)
        overdue.sort(key=lambda o: -o.days)
        answers.sort(key=lambda a: a[1].at)
        return Summary(
            week,
            groups,
            tuple(due_week),
            tuple(overdue),
            tuple(blocked),
            tuple([Reported(a, c, await self._who(c.actor)) for a, c in answers]),
            tuple(unanswered),
            tuple(gaps),
            unreadable,
            tuple(ongoing),
        )

    async def _who(self, user_id: int) -> str:
        """A person's name and organisation, as coordinators know them."""
        person = await self.coalition.person(user_id)
        if person is None:
            return "?"
        if person.organisation_short_name:
            return f"{person.display_name} ({person.organisation_short_name})"
        return person.display_name

    async def answer(
        self, user_id: int, action_id: int, answer: Answer, occurrence: dt.date | None = None
    ) -> Answered:
        """A nudge button: record the status (Done stops the nudges; the current status is not
        recorded twice; a done or dropped action stays so), or, for a new date, check who asks.
        Done on a recurring action marks one occurrence done — the one the nudge was about
        (`occurrence`), else the one last nudged about — and the action goes on to the next;
        Done on its last occurrence is the action done. NotAllowed for anyone but coordinators
        and the responsible organisations' representatives; UnknownAction for an action that
        is gone."""
        action = await self.strategies.action(action_id)
        if not await self.strategies.may_change_status(user_id, action):
            raise NotAllowed
        if not action.status.is_open:
            return Answered(action, answer, recorded=False, closed=True)
        status = ANSWER_STATUS.get(answer)
        if status is None:
            return Answered(action, answer, recorded=False)
        day = self._occurrence(action, occurrence) if answer is Answer.DONE else None
        if day is not None and day != action.occurrences[-1]:
            changed = await self.strategies.occurrence_done(user_id, action_id, day)
            return Answered(changed, answer, recorded=True, occurrence=day)
        if status is action.status:
            return Answered(action, answer, recorded=True)  # the same answer again: kept once
        changed = await self.strategies.set_status(user_id, action_id, status)
        return Answered(changed, answer, recorded=True)

    def _occurrence(self, action: Action, given: dt.date | None) -> dt.date | None:
        """Which occurrence of a recurring action a Done is about (None: a one-off action)."""
        days = action.occurrences
        if len(days) < 2:
            return None
        if given in days:
            return given
        today = self._today(self.clock.now())
        found = next_nudge(days, action.done_occurrences, today, self.days_before)
        return found[2] if found else action.due_from(today)

    async def prompted(
        self, user_id: int, chat_id: int, message_id: int, action_id: int, purpose: Purpose
    ) -> None:
        """Remember that a reply to this prompt is a note (or a new date) for the action."""
        now = self.clock.now()
        await self.store.remember_prompt(
            user_id, chat_id, message_id, action_id, purpose.value, now + PROMPT_TTL, now
        )

    async def reply(
        self, user_id: int, chat_id: int, message_id: int, text: str
    ) -> Replied | None:
        """A reply to an action's prompt: the note kept with the latest answer, or the new date
        (the old one kept in the history). None when the message was no such prompt."""
        prompt = await self.store.prompt(user_id, chat_id, message_id, self.clock.now())
        if prompt is None:
            return None
        action_id, purpose = prompt[0], Purpose(prompt[1])
        try:
            if purpose is Purpose.NOTE:
                action = await self.strategies.add_note(user_id, action_id, text)
            else:
                action = await self.strategies.reschedule(user_id, action_id, text)
        except BadAction as bad:  # the prompt stays: the reply can come again
            return Replied(
                await self.strategies.action(action_id), purpose, bad.message, bad.values
            )
        await self.store.forget_prompt(user_id, chat_id, message_id)
        return Replied(action, purpose)
