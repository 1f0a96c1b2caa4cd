"""A coordinator adds or edits an action from the chat, one step at a time: the steps, the
draft kept between them (in the database, so a restart loses nothing) and what each step's
answer leads to. `Strategies` runs the flow; this module only names its parts."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.domain.importer import N_

if TYPE_CHECKING:  # strategy.py imports this module
    from bot.domain.strategy import Action, ActionDraft
    from bot.domain.timeframes import ReadTimeframe


class Step(enum.StrEnum):
    """A field asked for (or the summary of a new action). The value is stored and sent in
    callback data: never change one."""

    RECOMMENDATIONS = "r"
    OTHER_MECHANISMS = "m"
    SDG_TARGETS = "s"
    ACTIVITY = "a"
    INDICATOR = "i"
    RESOURCES = "e"
    PARTNERS = "p"
    TIMEFRAME = "t"
    RISKS = "k"
    ORGANISATIONS = "o"
    GROUP = "g"
    SUMMARY = "z"

    @property
    def typed(self) -> bool:
        """True when the answer is typed (a reply to the prompt), not chosen with buttons."""
        return self not in (Step.ORGANISATIONS, Step.GROUP, Step.SUMMARY)

    @property
    def optional(self) -> bool:
        """True when a new action may leave it empty ([⏭ Skip])."""
        return self in _OPTIONAL


# A new action's steps, in order: the four that make an action, then the optional ones.
ADDING: tuple[Step, ...] = (
    Step.RECOMMENDATIONS,
    Step.ACTIVITY,
    Step.TIMEFRAME,
    Step.ORGANISATIONS,
    Step.OTHER_MECHANISMS,
    Step.SDG_TARGETS,
    Step.INDICATOR,
    Step.RESOURCES,
    Step.PARTNERS,
    Step.RISKS,
)
# What a coordinator may edit on a stored action, in the template's order.
EDITABLE: tuple[Step, ...] = (
    Step.RECOMMENDATIONS,
    Step.OTHER_MECHANISMS,
    Step.SDG_TARGETS,
    Step.ACTIVITY,
    Step.INDICATOR,
    Step.RESOURCES,
    Step.PARTNERS,
    Step.TIMEFRAME,
    Step.RISKS,
    Step.ORGANISATIONS,
    Step.GROUP,
)
_OPTIONAL = frozenset(
    {
        Step.OTHER_MECHANISMS,
        Step.SDG_TARGETS,
        Step.INDICATOR,
        Step.RESOURCES,
        Step.PARTNERS,
        Step.RISKS,
    }
)
# The ActionDraft attribute each typed step writes.
ATTRIBUTES: Mapping[Step, str] = {
    Step.RECOMMENDATIONS: "recommendations",
    Step.OTHER_MECHANISMS: "other_mechanisms",
    Step.SDG_TARGETS: "sdg_targets",
    Step.ACTIVITY: "activity",
    Step.INDICATOR: "indicator",
    Step.RESOURCES: "resources",
    Step.PARTNERS: "partners",
    Step.TIMEFRAME: "timeframe",
    Step.RISKS: "risks",
}
# Each field's name, as the card and the prompts show it.
LABELS: Mapping[Step, str] = {
    Step.RECOMMENDATIONS: N_("Recommendations"),
    Step.OTHER_MECHANISMS: N_("Other mechanisms"),
    Step.SDG_TARGETS: N_("SDG targets"),
    Step.ACTIVITY: N_("Action or activity"),
    Step.INDICATOR: N_("Indicator"),
    Step.RESOURCES: N_("Resources"),
    Step.PARTNERS: N_("Partners"),
    Step.TIMEFRAME: N_("Timeframe"),
    Step.RISKS: N_("Risks and responses"),
    Step.ORGANISATIONS: N_("Responsible organisations"),
    Step.GROUP: N_("Working group"),
}


class Choice(enum.StrEnum):
    """A button of the flow. The value is sent in callback data: never change one."""

    SKIP = "s"  # leave an optional field empty
    ORGANISATION = "o"  # value: an organisation, chosen or unchosen
    DONE = "d"  # the organisations are chosen
    GROUP = "g"  # value: the working group the action moves to
    SAVE = "v"
    CANCEL = "x"
    CLEAR = "c"  # empty an optional field of an action being edited


@dataclass(frozen=True)
class FlowDraft:
    """An action being added (`action_id` None) or edited: its fields so far and the step
    asked for; `prompt_id` is the message whose reply answers a typed step; `toggled`, the
    organisations this coordinator ticked or unticked (only those change at ✔ Done, so two
    coordinators editing the list at once both keep their changes)."""

    id: int
    user_id: int
    chat_id: int
    action_id: int | None
    step: Step
    values: ActionDraft
    prompt_id: int | None = None
    toggled: tuple[int, ...] = ()

    @property
    def adding(self) -> bool:
        """True for a new action (saved at the summary), False for an edit (saved at once)."""
        return self.action_id is None

    @property
    def position(self) -> tuple[int, int]:
        """A new action's step as (number, of how many); (0, 0) when editing."""
        if not self.adding or self.step not in ADDING:
            return 0, 0
        return ADDING.index(self.step) + 1, len(ADDING)


class Stage(enum.Enum):
    """What the coordinator sees next."""

    ASK = "ask"  # the prompt of a typed step (draft.step)
    CHOOSE = "choose"  # buttons: the organisations or the working group (draft.step)
    SUMMARY = "summary"  # a new action's summary, with Save and Cancel
    SAVED = "saved"  # stored: the action
    CANCELLED = "cancelled"
    GONE = "gone"  # the draft expired, was saved, cancelled or replaced: a stale button


@dataclass(frozen=True)
class Progress:
    """The outcome of one step: what comes next, and about the answer just given, why it was
    refused (`problem`, a gettext msgid with its values: the same step is asked again) or how
    its timeframe was read (`understood`)."""

    stage: Stage
    draft: FlowDraft | None = None
    action: Action | None = None
    problem: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    understood: ReadTimeframe | None = None
    edited: Step | None = None  # the field an edit just stored
