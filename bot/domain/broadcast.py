"""Coordinator broadcasts as plain types and rules: audiences, drafts, versions, recipients.

A broadcast is composed step by step (the draft is stored from the first step), then
scheduled: once, or on a recurrence. Each due occurrence becomes one outbox delivery per
recipient, with the reference "broadcast:<id>:<occurrence>", so no sweep ever sends it twice.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.domain.audit import AuditAction
from bot.domain.schedule import Frequency, Recurrence, local_moment, occurrence_key
from bot.domain.text import is_khmer

DRAFT_TTL = dt.timedelta(days=1)
RECENT = dt.timedelta(days=30)  # /broadcasts lists what was sent this recently


class AudienceKind(StrEnum):
    """Who a broadcast goes to. The value is stored: never change one."""

    MEMBERS = "members"  # every member organisation's representatives, privately
    CHATS = "chats"  # every linked working-group chat (each linked forum topic)
    GROUPS = "groups"  # chosen working groups: their chats and/or their members privately
    ORGANISATIONS = "organisations"  # chosen organisations' representatives, privately
    COORDINATORS = "coordinators"


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast; `group_ids` / `organisation_ids` for the chosen kinds."""

    kind: AudienceKind
    group_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    group_chats: bool = True  # GROUPS: their linked chats
    group_members: bool = False  # GROUPS: their member organisations' representatives

    @property
    def complete(self) -> bool:
        """True when the audience names somebody (a chosen kind has a choice)."""
        if self.kind is AudienceKind.GROUPS:
            return bool(self.group_ids) and (self.group_chats or self.group_members)
        if self.kind is AudienceKind.ORGANISATIONS:
            return bool(self.organisation_ids)
        return True

    def as_dict(self) -> dict[str, Any]:
        """The audience as stored (JSON)."""
        return {
            "kind": self.kind.value,
            "groups": sorted(self.group_ids),
            "organisations": sorted(self.organisation_ids),
            "chats": self.group_chats,
            "members": self.group_members,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        """A stored audience read back."""
        return cls(
            AudienceKind(data["kind"]),
            frozenset(int(g) for g in data["groups"]),
            frozenset(int(o) for o in data["organisations"]),
            bool(data["chats"]),
            bool(data["members"]),
        )


@dataclass(frozen=True)
class Version:
    """The message in one language, as the coordinator sent it: text with Telegram's entities,
    or one photo or document with its caption."""

    language: str
    text: str
    entities: tuple[dict[str, Any], ...] = ()
    photo: str | None = None
    document: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The version as stored (JSON)."""
        return {
            "language": self.language,
            "text": self.text,
            "entities": list(self.entities),
            "photo": self.photo,
            "document": self.document,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Version:
        """A stored version read back."""
        return cls(
            str(data["language"]),
            str(data["text"]),
            tuple(dict(e) for e in data["entities"]),
            data["photo"],
            data["document"],
        )


def language_of_text(text: str) -> str:
    """'km' when the text is mostly Khmer script, else 'en' (which version a message is)."""
    letters = [c for c in text if c.isalpha()]
    khmer = sum(1 for c in letters if is_khmer(c))
    return "km" if letters and khmer * 2 >= len(letters) else "en"


def choose_version(versions: tuple[Version, ...], language: str | None, default: str) -> Version:
    """The version a reader gets: their language, else the default language, else the one
    that exists."""
    by_language = {v.language: v for v in versions}
    return by_language.get(language or default) or by_language.get(default) or versions[0]


@dataclass(frozen=True)
class Options:
    """Silent (no notification), pin in groups, and a "✓ Got it" button."""

    silent: bool = False
    pin: bool = False
    ack: bool = True


class Step(StrEnum):
    """Where a coordinator is in the composer. The value is stored: never change one."""

    AUDIENCE = "audience"
    MESSAGE = "message"
    SECOND = "second"  # the optional version in the other language
    WHEN = "when"
    TYPED_WHEN = "typed_when"  # waiting for a typed date and time
    TYPED_TIME = "typed_time"  # a recurrence's time of day, typed
    TYPED_UNTIL = "typed_until"  # a recurrence's end date, typed
    OPTIONS = "options"
    PREVIEW = "preview"

    @property
    def waits_for_input(self) -> bool:
        """True when what the coordinator sends next belongs to the draft."""
        return self in _INPUT_STEPS


class Choice(StrEnum):
    """A button of the broadcast composer (its value is in callback data: never change one);
    `value` says which choice where one is needed."""

    AUDIENCE = "a"  # value: the audience kind's position in AudienceKind
    GROUP = "g"  # value: a working group, chosen or unchosen
    ORGANISATION = "o"  # value: an organisation, chosen or unchosen
    GROUP_CHATS = "c"  # the chosen groups' chats: yes / no
    GROUP_MEMBERS = "m"  # the chosen groups' members privately: yes / no
    NEXT = "n"  # the audience is chosen: on to the message
    SKIP = "s"  # no version in the other language
    NOW = "w"
    TODAY = "t"  # value: the hour
    TOMORROW = "u"  # value: the hour
    TYPE_DATE = "y"
    DAILY = "d"
    WEEKLY = "k"  # value: a weekday (0 = Monday) to add or remove
    MONTHLY = "e"  # value: the day of the month
    HOUR = "h"  # value: a recurrence's hour
    TYPE_TIME = "i"
    TYPE_UNTIL = "l"
    NO_UNTIL = "v"
    REPEAT_DONE = "r"  # the recurrence is set: on to the options
    OPTION = "f"  # value: 0 silent, 1 pin in groups, 2 "Got it" button
    PREVIEW = "p"
    CONFIRM = "z"
    CANCEL = "x"


KINDS = tuple(AudienceKind)  # a composer button names an audience kind by its position

_INPUT_STEPS = frozenset(
    {Step.MESSAGE, Step.SECOND, Step.WHEN, Step.TYPED_WHEN, Step.TYPED_TIME, Step.TYPED_UNTIL}
)


@dataclass(frozen=True)
class Draft:
    """A broadcast being composed (or a scheduled one being edited: `editing`)."""

    step: Step = Step.AUDIENCE
    audience: Audience = Audience(AudienceKind.CHATS)
    versions: tuple[Version, ...] = ()
    send_at: dt.datetime | None = None  # None with no recurrence: now
    recurrence: Recurrence | None = None
    options: Options = Options()
    editing: int | None = None
    composer_message: int | None = None  # the bot's message the buttons live in
    audience_chosen: bool = False  # the audience above is a default until the coordinator picks

    @property
    def has_audience(self) -> bool:
        """True once the coordinator chose an audience that names somebody."""
        return self.audience_chosen and self.audience.complete

    def with_version(self, version: Version) -> Draft:
        """The draft with this language's version set (replacing an earlier one)."""
        others = tuple(v for v in self.versions if v.language != version.language)
        return replace(self, versions=(*others, version))

    def to_json(self) -> str:
        """The draft as stored."""
        return json.dumps(
            {
                "step": self.step.value,
                "audience": self.audience.as_dict(),
                "versions": [v.as_dict() for v in self.versions],
                "send_at": self.send_at.isoformat() if self.send_at else None,
                "recurrence": self.recurrence.to_json() if self.recurrence else None,
                "options": [self.options.silent, self.options.pin, self.options.ack],
                "editing": self.editing,
                "composer_message": self.composer_message,
                "audience_chosen": self.audience_chosen,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Draft:
        """A stored draft read back (ValueError or KeyError when malformed)."""
        data = json.loads(text)
        silent, pin, ack = data["options"]
        return cls(
            step=Step(data["step"]),
            audience=Audience.from_dict(data["audience"]),
            versions=tuple(Version.from_dict(v) for v in data["versions"]),
            send_at=dt.datetime.fromisoformat(data["send_at"]) if data["send_at"] else None,
            recurrence=Recurrence.from_json(data["recurrence"]) if data["recurrence"] else None,
            options=Options(bool(silent), bool(pin), bool(ack)),
            editing=data["editing"],
            composer_message=data["composer_message"],
            audience_chosen=bool(data.get("audience_chosen")),
        )


def choose(
    draft: Draft, action: Choice, value: int | None, now: dt.datetime, tz: dt.tzinfo
) -> Draft | None:
    """The draft after a composer button, or None when the button does not fit the draft
    (a past hour, no weekday left, a step not reached yet)."""
    today = now.astimezone(tz).date()
    audience = draft.audience
    if action is Choice.AUDIENCE and value is not None and 0 <= value < len(KINDS):
        return replace(
            draft,
            step=Step.AUDIENCE,
            audience=replace(audience, kind=KINDS[value]),
            audience_chosen=True,
        )
    if action is Choice.GROUP and value is not None:
        return replace(draft, audience=replace(audience, group_ids=audience.group_ids ^ {value}))
    if action is Choice.ORGANISATION and value is not None:
        chosen = audience.organisation_ids ^ {value}
        return replace(draft, audience=replace(audience, organisation_ids=chosen))
    if action is Choice.GROUP_CHATS:
        return replace(draft, audience=replace(audience, group_chats=not audience.group_chats))
    if action is Choice.GROUP_MEMBERS:
        return replace(draft, audience=replace(audience, group_members=not audience.group_members))
    if action is Choice.NEXT and draft.has_audience:
        return replace(draft, step=Step.MESSAGE)
    if action is Choice.SKIP and draft.versions:
        return replace(draft, step=Step.WHEN)
    if action is Choice.NOW:
        return replace(draft, send_at=None, recurrence=None, step=Step.OPTIONS)
    if action in (Choice.TODAY, Choice.TOMORROW) and value is not None:
        date = today + dt.timedelta(days=int(action is Choice.TOMORROW))
        if not 0 <= value <= 23 or local_moment(date, dt.time(value), tz) <= now:
            return None
        moment = local_moment(date, dt.time(value), tz)
        return replace(draft, send_at=moment, recurrence=None, step=Step.OPTIONS)
    if action is Choice.TYPE_DATE:
        return replace(draft, step=Step.TYPED_WHEN)
    rule = draft.recurrence
    at = rule.at if rule is not None else dt.time(9)
    until = rule.until if rule is not None else None
    if action is Choice.DAILY:
        return replace(
            draft, recurrence=Recurrence(Frequency.DAILY, at, until=until), step=Step.TYPED_TIME
        )
    if action is Choice.WEEKLY and value is not None and 0 <= value <= 6:
        days = (
            rule.weekdays ^ {value}
            if rule is not None and rule.frequency is Frequency.WEEKLY
            else frozenset({value})
        )
        if not days:
            return None
        weekly = Recurrence(Frequency.WEEKLY, at, frozenset(days), until=until)
        return replace(draft, recurrence=weekly, step=Step.TYPED_TIME)
    if action is Choice.MONTHLY and value is not None and 1 <= value <= 31:
        monthly = Recurrence(Frequency.MONTHLY, at, day_of_month=value, until=until)
        return replace(draft, recurrence=monthly, step=Step.TYPED_TIME)
    if rule is not None:
        if action is Choice.HOUR and value is not None and 0 <= value <= 23:
            return replace(
                draft, recurrence=replace(rule, at=dt.time(value)), step=Step.TYPED_TIME
            )
        if action is Choice.TYPE_TIME:
            return replace(draft, step=Step.TYPED_TIME)
        if action is Choice.TYPE_UNTIL:
            return replace(draft, step=Step.TYPED_UNTIL)
        if action is Choice.NO_UNTIL:
            return replace(draft, recurrence=replace(rule, until=None), step=Step.TYPED_TIME)
        if action is Choice.REPEAT_DONE and rule.next_times(now, 1, tz):
            return replace(draft, send_at=None, step=Step.OPTIONS)
    if action is Choice.OPTION and value in (0, 1, 2):
        options = draft.options
        flags = [options.silent, options.pin, options.ack]
        flags[value] = not flags[value]
        return replace(draft, options=Options(*flags))
    if action is Choice.PREVIEW and draft.versions and draft.has_audience:
        return replace(draft, step=Step.PREVIEW)
    return None


class BroadcastStatus(StrEnum):
    """A broadcast's state. The value is stored: never change one."""

    SCHEDULED = "scheduled"  # waiting for its (next) time
    SENT = "sent"  # every occurrence handed to the outbox
    CANCELLED = "cancelled"
    DELETED = "deleted"  # sent, then deleted from every chat


@dataclass(frozen=True)
class Broadcast:
    """A confirmed broadcast."""

    id: int
    author_id: int
    audience: Audience
    versions: tuple[Version, ...]
    options: Options
    send_at: dt.datetime | None
    recurrence: Recurrence | None
    status: BroadcastStatus
    created_at: dt.datetime
    last_occurrence: dt.datetime | None = None
    report_chat: int | None = None  # the coordinator's message edited with progress
    report_message: int | None = None

    def due(self, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
        """The occurrence to send now, or None: a one-off once its time has come; a recurring
        one's latest missed occurrence only (never a pile after downtime)."""
        if self.status is not BroadcastStatus.SCHEDULED:
            return None
        if self.recurrence is None:
            moment = self.send_at or self.created_at
            return moment if self.last_occurrence is None and moment <= now else None
        return self.recurrence.last_due(self.last_occurrence or self.created_at, now, tz)

    def finished_after(self, occurrence: dt.datetime, tz: dt.tzinfo) -> bool:
        """True when no occurrence follows this one."""
        return self.recurrence is None or not self.recurrence.next_times(occurrence, 1, tz)

    def next_times(self, now: dt.datetime, n: int, tz: dt.tzinfo) -> list[dt.datetime]:
        """The next send times (for the composer and /broadcasts)."""
        if self.status is not BroadcastStatus.SCHEDULED:
            return []
        if self.recurrence is None:
            return [self.send_at or self.created_at]
        return self.recurrence.next_times(max(now, self.last_occurrence or now), n, tz)


def reference(broadcast_id: int, occurrence: dt.datetime) -> str:
    """The outbox reference of one occurrence's deliveries."""
    return f"broadcast:{broadcast_id}:{occurrence_key(occurrence)}"


@dataclass(frozen=True)
class Recipient:
    """One chat a broadcast goes to: a person privately, or a group chat (or forum topic)."""

    chat_id: int
    topic_id: int | None = None
    language: str | None = None  # None: the default language
    organisation_id: int | None = None
    group: bool = False


@dataclass(frozen=True)
class Reach:
    """Who an audience reaches now: the chats, the people who blocked the bot, and the
    organisations nobody of which can be reached."""

    recipients: tuple[Recipient, ...]
    unreachable_people: int
    unreachable_organisations: tuple[str, ...] = ()  # their short names, for the coordinator
    unreached_ids: tuple[int, ...] = ()  # their ids, stored with an occurrence


@dataclass(frozen=True)
class Report:
    """How one broadcast went: deliveries by outcome, acknowledgements, who was missed."""

    broadcast: Broadcast
    sent: int
    waiting: int
    failed: int
    cancelled: int
    acknowledged: int
    unreached: tuple[str, ...] = field(default=())

    @property
    def done(self) -> bool:
        """Nothing is waiting any more."""
        return self.waiting == 0


class BroadcastError(Exception):
    """A broadcast action that cannot be done; handlers turn each kind into a reply."""


class NoDraft(BroadcastError):
    """The draft expired or was never started."""


class IncompleteDraft(BroadcastError):
    """The draft lacks an audience or a message."""


class UnknownBroadcast(BroadcastError):
    """No such broadcast, or not in a state that allows this."""


class AlreadyStarted(BroadcastError):
    """This occurrence was already handed to the outbox (another sweep got there first)."""


AUDIT_OF_STATUS = {
    BroadcastStatus.CANCELLED: AuditAction.CANCEL_BROADCAST,
    BroadcastStatus.DELETED: AuditAction.DELETE_BROADCAST,
}
