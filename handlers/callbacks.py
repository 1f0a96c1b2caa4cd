"""Every inline button's payload: one small typed class per button, packed and read back checked.

Modelled on aiogram's `CallbackData` factory. A payload is a frozen dataclass with a prefix
and typed fields (int, bool, short str, enum, or one of those or None); `pack()` writes
`prefix:field:field…` (at most 64 bytes, Telegram's limit) and `unpack()` reads it back, or
raises `BadCallback` for anything forged, stale or truncated. A class may glue one enum field
to its prefix (`vr:…` is a vote with colour `r`), which keeps buttons already sent in chats
working: every wire format below is the one earlier versions wrote.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from bot.domain.action_flow import Choice as FlowChoice
from bot.domain.action_flow import Step as FlowStep
from bot.domain.broadcast import Choice, Step
from bot.domain.milestones import Milestone
from bot.domain.nudges import Answer
from bot.domain.round_guide import GuideChoice

MAX_BYTES = 64  # Telegram refuses longer callback data
MAX_INT = 2**53  # ids, pages and counts; anything larger is forged
_INT = re.compile(r"0|[1-9][0-9]{0,15}")
_TEXT = re.compile(r"[A-Za-z0-9._~-]{1,32}")


class BadCallback(ValueError):
    """Callback data that does not (or no longer) decode into a payload."""


class Lang(enum.StrEnum):
    """A language the bot speaks."""

    EN = "en"
    KM = "km"


class Tap(enum.StrEnum):
    """A rating button's colour, as one letter on the wire."""

    RED = "r"
    ORANGE = "o"
    GREEN = "g"
    UNKNOWN = "u"


class RoundAction(enum.StrEnum):
    """What a coordinator's round button does (on the round's panel in /rounds)."""

    PANEL = "g"  # open the round's panel from the list
    LIST = "l"  # from the panel back to the list of rounds
    CLOSE = "c"  # asks to confirm (buttons sent before the panel: the question too)
    CLOSE_YES = "k"
    REOPEN = "o"  # asks to confirm
    REOPEN_YES = "n"
    PUBLISH = "p"  # asks to confirm, warning when few organisations took part
    PUBLISH_YES = "u"
    RESULTS = "r"
    CSV = "v"
    XLSX = "x"
    DELETE_QUESTION = "d"  # asks to confirm
    DELETE = "e"
    BACK = "b"  # from a question back to the round's panel
    REMIND = "m"  # 🔔 remind those behind


class NoticeResult(enum.StrEnum):
    """What a button under a round's published-results notice gives."""

    VIEW = "v"
    XLSX = "x"


class OrgView(enum.StrEnum):
    """A coordinator's organisation button that opens a panel or acts on the whole organisation."""

    PANEL = "g"
    INVITE = "i"
    GROUPS = "w"
    REPRESENTATIVES = "r"
    ERASE_QUESTION = "e"
    ERASE = "x"


class ListEdit(enum.StrEnum):
    """Add numbers to a working group's list, or remove them."""

    ADD = "a"
    REMOVE = "r"


@dataclass(frozen=True)
class _Field:
    name: str
    kind: type  # int, bool, str or an enum class
    optional: bool


def _field_of(name: str, hint: Any) -> _Field:
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional, hint = True, args[0]
    if not (hint in (int, bool, str) or (isinstance(hint, type) and issubclass(hint, enum.Enum))):
        raise TypeError(f"callback field {name}: unsupported type {hint!r}")
    return _Field(name, hint, optional)


@dataclass(frozen=True)
class CallbackData:
    """A button's payload; subclasses are frozen dataclasses declared with their prefix."""

    prefix: ClassVar[str] = ""
    glued: ClassVar[str | None] = None  # an enum field written right after the prefix
    _specs: ClassVar[tuple[_Field, ...] | None] = None

    def __init_subclass__(cls, prefix: str = "", glued: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.prefix, cls.glued, cls._specs = prefix, glued, None

    @classmethod
    def _fields(cls) -> tuple[_Field, ...]:
        if cls._specs is None:
            hints = typing.get_type_hints(cls)
            cls._specs = tuple(_field_of(f.name, hints[f.name]) for f in fields(cls))
        return cls._specs

    @classmethod
    def _glued_field(cls) -> _Field | None:
        return next((f for f in cls._fields() if f.name == cls.glued), None)

    @classmethod
    def prefixes(cls) -> tuple[str, ...]:
        """Every prefix this payload's data can start with."""
        glued = cls._glued_field()
        if glued is None:
            return (cls.prefix,)
        return tuple(cls.prefix + str(m.value) for m in typing.cast(type[enum.Enum], glued.kind))

    def pack(self) -> str:
        """The callback data for this payload; a payload too long for Telegram is a bug."""
        head, parts, optional = self.prefix, [], []
        for spec in self._fields():
            value = getattr(self, spec.name)
            if spec.name == self.glued:
                head += str(value.value)
            else:
                parts.append(_write(spec, value))
                optional.append(spec.optional)
        while parts and parts[-1] == "" and optional[len(parts) - 1]:
            parts.pop()  # trailing empty optionals are left out, as older buttons did
        data = ":".join([head, *parts])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self:
        """Read callback data back; anything forged, stale or truncated raises BadCallback."""
        if len(data.encode()) > MAX_BYTES:
            raise BadCallback("too long")
        head, *parts = data.split(":")
        values: dict[str, Any] = {}
        glued = cls._glued_field()
        if glued is not None:
            values[glued.name] = _read(glued, head.removeprefix(cls.prefix))
            head = cls.prefix if head.startswith(cls.prefix) else head
        if head != cls.prefix:
            raise BadCallback("wrong prefix")
        specs = [f for f in cls._fields() if f is not glued]
        required = len(specs)
        while required and specs[required - 1].optional:
            required -= 1
        if not required <= len(parts) <= len(specs):
            raise BadCallback("wrong number of fields")
        for spec, part in zip(specs, parts + [""] * (len(specs) - len(parts)), strict=True):
            values[spec.name] = _read(spec, part)
        return cls(**values)


def _write(spec: _Field, value: Any) -> str:
    if value is None:
        if not spec.optional:
            raise ValueError(f"{spec.name} is required")
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    pattern = _INT if spec.kind is int else _TEXT
    if not isinstance(value, spec.kind) or not pattern.fullmatch(text):
        raise ValueError(f"{spec.name}: {value!r} cannot go into callback data")
    if isinstance(value, int) and value >= MAX_INT:
        raise ValueError(f"{spec.name}: {value!r} is too large")
    return text


def _read(spec: _Field, text: str) -> Any:
    if text == "" and spec.optional:
        return None
    kind = spec.kind
    if kind is bool:
        if text not in ("0", "1"):
            raise BadCallback(spec.name)
        return text == "1"
    if kind is int:
        if not _INT.fullmatch(text) or int(text) >= MAX_INT:
            raise BadCallback(spec.name)
        return int(text)
    if kind is str:
        if not _TEXT.fullmatch(text):
            raise BadCallback(spec.name)
        return text
    try:
        return kind(text)
    except ValueError:
        raise BadCallback(spec.name) from None


# The bot's buttons, one class each (prefix: what earlier versions wrote, kept working).


@dataclass(frozen=True)
class Language(CallbackData, prefix="lang"):
    """Choose the bot's language."""

    code: Lang


@dataclass(frozen=True)
class ChatLanguage(CallbackData, prefix="cl"):
    """Choose a linked group chat's language (coordinators)."""

    code: Lang


@dataclass(frozen=True)
class OpenCard(CallbackData, prefix="r"):
    """Open a recommendation's card, or (with a language) switch the card's language in place."""

    cycle: int
    number: str
    language: Lang | None = None


@dataclass(frozen=True)
class ListPage(CallbackData, prefix="l"):
    """A page of a result list: its filters inline, the words behind a remembered token."""

    cycle: int | None
    state: str | None
    theme: int | None
    response: str | None
    token: str | None
    page: int


@dataclass(frozen=True)
class StatesPage(CallbackData, prefix="sp"):
    """Another page of recommending States."""

    page: int


@dataclass(frozen=True)
class EditThemes(CallbackData, prefix="te"):
    """Open the theme editor of a recommendation."""

    rec: int


@dataclass(frozen=True)
class ToggleTheme(CallbackData, prefix="tt"):
    """Add or remove one theme of a recommendation."""

    rec: int
    theme: int


@dataclass(frozen=True)
class OrgList(CallbackData, prefix="om"):
    """The list of organisations, at one page (None: the first, as older buttons said)."""

    page: int | None = None


@dataclass(frozen=True)
class OrgButton(CallbackData, prefix="o", glued="view"):
    """Open one of an organisation's panels, or act on the whole organisation."""

    view: OrgView
    org: int


@dataclass(frozen=True)
class OrgActive(CallbackData, prefix="oa"):
    """Deactivate or reactivate an organisation."""

    org: int
    active: bool


@dataclass(frozen=True)
class OrgGroup(CallbackData, prefix="ot"):
    """Add an organisation to a working group, or remove it (from that page of the groups)."""

    org: int
    group: int
    page: int | None = None


@dataclass(frozen=True)
class OrgGroupsPage(CallbackData, prefix="op"):
    """◀ ▶ under an organisation's working groups: that page of them."""

    org: int
    page: int


@dataclass(frozen=True)
class OrgRemoveRep(CallbackData, prefix="ou"):
    """Remove one representative from an organisation."""

    org: int
    user: int


@dataclass(frozen=True)
class OrgRepsPage(CallbackData, prefix="oq"):
    """◀ ▶ under an organisation's representatives to remove: that page of them."""

    org: int
    page: int


@dataclass(frozen=True)
class RevokeInvite(CallbackData, prefix="iv"):
    """Revoke an unused invite link."""

    invite: int


@dataclass(frozen=True)
class LinkGroup(CallbackData, prefix="lg"):
    """Link the chat the button is in to a working group."""

    group: int


@dataclass(frozen=True)
class LinkGroupPage(CallbackData, prefix="lp"):
    """◀ ▶ under /linkgroup's working groups: that page of them."""

    page: int


@dataclass(frozen=True)
class GroupsPage(CallbackData, prefix="wp"):
    """◀ ▶ under /groups: that page of the working groups and their chats."""

    page: int


@dataclass(frozen=True)
class ListGroups(CallbackData, prefix="gp"):
    """◀ ▶ under /grouprecs' working groups (private): that page of them."""

    page: int


@dataclass(frozen=True)
class ShowList(CallbackData, prefix="gl"):
    """Show a working group's list of recommendations."""

    group: int


@dataclass(frozen=True)
class EditList(CallbackData, prefix="gl", glued="edit"):
    """Ask for numbers to add to a working group's list, or to remove from it."""

    edit: ListEdit
    group: int


@dataclass(frozen=True)
class ListEditors(CallbackData, prefix="glm"):
    """Let members edit a working group's list, or stop them."""

    group: int


@dataclass(frozen=True)
class RoundPayload(CallbackData):
    """A button acting on a round: the gate checks the round on every press."""

    round_id: int


@dataclass(frozen=True)
class RecPayload(RoundPayload):
    """A button acting on one recommendation of a round."""

    rec: int


@dataclass(frozen=True)
class Vote(RecPayload, prefix="v", glued="tap"):
    """Rate a recommendation in a round."""

    tap: Tap


@dataclass(frozen=True)
class Skip(RecPayload, prefix="rk"):
    """Skip a recommendation in the private rating flow."""


@dataclass(frozen=True)
class Review(RecPayload, prefix="rv"):
    """Show one's own rating card again, to change it."""


@dataclass(frozen=True)
class AskReason(RecPayload, prefix="rw"):
    """Ask for (or change) the reason of one's rating."""


@dataclass(frozen=True)
class DeleteReason(RecPayload, prefix="rx"):
    """Delete the reason of one's rating."""


@dataclass(frozen=True)
class UndoReason(RecPayload, prefix="ru"):
    """'That was a search': the reason saved at this history row was a lookup."""

    history: int


@dataclass(frozen=True)
class NextCard(RoundPayload, prefix="rn"):
    """⏭ Next under a reason prompt: no reason now, the next card to rate."""


@dataclass(frozen=True)
class ResultsPage(RoundPayload, prefix="rq"):
    """A page of a round's results, for the whole coalition or one working group (0)."""

    page: int
    group: int


@dataclass(frozen=True)
class ResultsNotice(RoundPayload, prefix="pn", glued="kind"):
    """[📊 View results] or [📥 XLSX] under a round's published-results notice."""

    kind: NoticeResult


@dataclass(frozen=True)
class RoundButton(RoundPayload, prefix="ra", glued="action"):
    """A coordinator's action on a round."""

    action: RoundAction


@dataclass(frozen=True)
class GuidedRound(CallbackData, prefix="rg"):
    """A step of opening a round through buttons (/openround alone, ➕ New round): the draft
    (0 before there is one), what is chosen and its value."""

    draft: int
    choice: GuideChoice
    value: int | None = None


@dataclass(frozen=True)
class RoundResults(RoundPayload, prefix="rs"):
    """[Results] beside a published round in a member's /rounds (the gate checks it is)."""


@dataclass(frozen=True)
class RoundsPage(CallbackData, prefix="ro"):
    """◀ ▶ under /rounds: that page of the list of rounds."""

    page: int


@dataclass(frozen=True)
class ResultsPick(CallbackData, prefix="rc"):
    """◀ ▶ under /results alone: that page of the published rounds to choose from."""

    page: int


@dataclass(frozen=True)
class ComparePage(CallbackData, prefix="cq"):
    """◀ ▶ under /compare's round buttons: that page, choosing the earlier round (`earlier`
    0) or the later one; `group` as in CompareRounds."""

    earlier: int
    group: int
    page: int


@dataclass(frozen=True)
class CompareRounds(RoundPayload, prefix="cp"):
    """/compare by buttons: the earlier round (the gate checks it), then the later one (0: not
    chosen yet, ask for it); `group`: whose colours in private (0: the whole coalition's)."""

    later: int
    group: int


ComposeAction = Choice  # the composer's buttons are the domain's choices (bot/domain/broadcast.py)


@dataclass(frozen=True)
class Compose(CallbackData, prefix="bc"):
    """A step of the broadcast composer (coordinators, their private chat)."""

    action: ComposeAction
    value: int | None = None
    step: Step | None = None  # the step the button was drawn for (None: an older button)
    page: int | None = None  # the page of organisations it was drawn on (None: the first)


@dataclass(frozen=True)
class ComposePage(CallbackData, prefix="bp"):
    """Turn the broadcast composer's list of organisations to another page."""

    page: int
    step: Step


class BroadcastAction(enum.StrEnum):
    """What a coordinator does with a broadcast listed by /broadcasts."""

    REPORT = "r"
    CANCEL = "c"
    EDIT = "e"
    DELETE = "d"


@dataclass(frozen=True)
class BroadcastButton(CallbackData, prefix="bb"):
    """A coordinator's action on one broadcast."""

    action: BroadcastAction
    broadcast: int


@dataclass(frozen=True)
class GotIt(CallbackData, prefix="bk"):
    """'✓ Got it' under a broadcast: counted once per person and occurrence."""

    broadcast: int
    occurrence: str


@dataclass(frozen=True)
class NudgeAnswer(CallbackData, prefix="ns", glued="answer"):
    """Answer a nudge about an action: done, in progress, blocked, or a new date; for a
    recurring action, the occurrence the nudge was about (its day as YYYYMMDD)."""

    answer: Answer
    action: int
    occurrence: int | None = None


@dataclass(frozen=True)
class StrategyGroups(CallbackData, prefix="sk"):
    """◀ ▶ under /strategy's working groups (private): that page of them."""

    page: int


@dataclass(frozen=True)
class StrategyPage(CallbackData, prefix="sg"):
    """A page of a working group's action strategy."""

    group: int
    page: int


@dataclass(frozen=True)
class StrategyCard(CallbackData, prefix="sa"):
    """An action's card (and the page of the list to go back to)."""

    action: int
    page: int


@dataclass(frozen=True)
class ServingActions(CallbackData, prefix="sv"):
    """The actions of the strategies that serve a recommendation (from its card)."""

    rec: int


@dataclass(frozen=True)
class DraftRound(CallbackData, prefix="rd"):
    """[Open], [Open and pin in groups] or [Cancel] under /openround's preview."""

    draft: int
    go: bool
    pin: bool | None = None  # None: an older button, without the choice


@dataclass(frozen=True)
class RateRound(CallbackData, prefix="rr"):
    """Which open round /rate works in, when several are open (not a RoundPayload: the gate
    would judge it by the results' rules; the handler checks the round is open)."""

    round: int


@dataclass(frozen=True)
class ActionText(CallbackData, prefix="ax"):
    """📄 Full text under an action's card: every field uncut, as a text file."""

    action: int


@dataclass(frozen=True)
class ActionEdit(CallbackData, prefix="ae"):
    """✏️ Edit under an action's card: the fields to choose from (coordinators)."""

    action: int
    page: int


@dataclass(frozen=True)
class ActionField(CallbackData, prefix="af"):
    """Change one field of an action (coordinators)."""

    action: int
    step: FlowStep


@dataclass(frozen=True)
class ActionAdd(CallbackData, prefix="an"):
    """➕ Add action under a working group's list (coordinators)."""

    group: int


@dataclass(frozen=True)
class ActionStep(CallbackData, prefix="ad"):
    """A button of adding or editing an action: skip, an organisation, done, a working group,
    save, cancel."""

    draft: int
    choice: FlowChoice
    value: int | None = None
    page: int | None = None  # the page of organisations the button was on (None: the first)


@dataclass(frozen=True)
class ActionPage(CallbackData, prefix="ap"):
    """◀ ▶ under the organisations or working groups of an action being added or edited."""

    draft: int
    page: int


@dataclass(frozen=True)
class MilestoneButton(CallbackData, prefix="mc"):
    """/milestones: a cycle's milestones to correct, or (with one) the milestone to correct."""

    cycle: int
    milestone: Milestone | None = None


@dataclass(frozen=True)
class HelpMore(CallbackData, prefix="hm"):
    """[More] under the short /help: the full help for the presser's role, in that chat."""


@dataclass(frozen=True)
class Example(CallbackData, prefix="ex"):
    """A look-up example under a guest's /start: the example's number in `EXAMPLES`."""

    example: int


@dataclass(frozen=True)
class ShowRounds(CallbackData, prefix="rl"):
    """[Rounds] under a coordinator's /start: the rounds, as /rounds shows them."""


@dataclass(frozen=True)
class AuditPageButton(CallbackData, prefix="au"):
    """◀ ▶ under /audit: that page of the log (0 is the newest)."""

    page: int


class TranslateAction(enum.StrEnum):
    """A button of /translate: skip, stop, switch to reviewing or translating, approve, edit."""

    SKIP = "s"
    STOP = "x"
    REVIEW = "v"  # review the drafts waiting
    TRANSLATE = "t"  # back to translating
    APPROVE = "a"
    EDIT = "e"
    NEXT = "n"  # under a saved draft or an appointment: the next text, in a new message


@dataclass(frozen=True)
class TranslateStep(CallbackData, prefix="tq"):
    """A translator's button under /translate's text (translators and coordinators)."""

    action: TranslateAction
    rec: int | None = None


@dataclass(frozen=True)
class TranslatorButton(CallbackData, prefix="tr"):
    """/translators: ➕ (no user: the people to choose from; a user: appoint) or ✖ (remove)."""

    appoint: bool
    user: int | None = None
    page: int | None = None  # the page of the list the button was on (None: the first)


@dataclass(frozen=True)
class TranslatorPage(CallbackData, prefix="tp"):
    """◀ ▶ under /translators (`appoint` False) or the people to appoint from (True)."""

    appoint: bool
    page: int


@dataclass(frozen=True)
class TranslationsFile(CallbackData, prefix="tx"):
    """/translations: every recommendation's Khmer text with provenance, as CSV or XLSX."""

    xlsx: bool


@dataclass(frozen=True)
class ReportDraft(CallbackData, prefix="rp"):
    """[Import] or [Cancel] under a Working Group report's preview."""

    draft: int
    go: bool


@dataclass(frozen=True)
class ReportCycle(CallbackData, prefix="rpc"):
    """Which cycle a report is, when the report does not say (under its preview)."""

    draft: int
    cycle: int


@dataclass(frozen=True)
class CurrentCycle(CallbackData, prefix="cc"):
    """Make a cycle the one a number without a cycle means (coordinators, under /cycles)."""

    cycle: int
