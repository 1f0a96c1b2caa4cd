"""Opening a round through buttons, for those who do not want to type a scope: cycle → response
→ themes → closing date → name. Each step is kept in the round's draft (a restart loses
nothing); the steps only write the scope words the typed /openround reads, so both paths end
in the same preview."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import json
from dataclasses import dataclass, replace

from bot.domain.i18n import Localizer


class GuideStep(enum.StrEnum):
    """Where a coordinator is in opening a round through buttons."""

    CYCLE = "cycle"
    RESPONSE = "response"
    THEMES = "themes"
    CLOSING = "closing"
    DATE = "date"  # a closing date to type
    NAME = "name"  # the round's name to type (or the default)


class GuideChoice(enum.StrEnum):
    """A button of the guide: what it chooses (its value says which)."""

    START = "s"  # ➕ New round: no draft yet
    CYCLE = "c"
    RESPONSE = "r"  # value: 0 all, 1 accepted, 2 noted
    THEME = "t"  # value: the theme, chosen or unchosen
    THEMES_DONE = "d"
    ALL_THEMES = "a"
    CLOSE_IN = "w"  # value: one of CLOSING_CHOICES
    TYPE_DATE = "y"
    DEFAULT_NAME = "n"
    CANCEL = "x"


# The closing-date buttons: value -> (days, months) from today.
CLOSING_CHOICES = {1: (14, 0), 2: (0, 1), 3: (0, 3)}
RESPONSES = {0: "", 1: "accepted", 2: "noted"}

# Which buttons each step answers: a button from another step is stale.
_STEP_OF = {
    GuideChoice.CYCLE: GuideStep.CYCLE,
    GuideChoice.RESPONSE: GuideStep.RESPONSE,
    GuideChoice.THEME: GuideStep.THEMES,
    GuideChoice.THEMES_DONE: GuideStep.THEMES,
    GuideChoice.ALL_THEMES: GuideStep.THEMES,
    GuideChoice.CLOSE_IN: GuideStep.CLOSING,
    GuideChoice.TYPE_DATE: GuideStep.CLOSING,
    GuideChoice.DEFAULT_NAME: GuideStep.NAME,
}


def later(today: dt.date, days: int, months: int) -> dt.date:
    """`today` plus days and months (the 31st becomes the month's last day)."""
    month = today.month - 1 + months
    year, month = today.year + month // 12, month % 12 + 1
    day = min(today.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=days)


@dataclass(frozen=True)
class Guide:
    """The choices so far of a round being opened through buttons, and the step asked."""

    step: GuideStep = GuideStep.CYCLE
    cycle: int = 0
    response: str = ""  # "accepted", "noted" or "" (all)
    themes: tuple[int, ...] = ()  # none: every theme
    closes: str = ""  # YEAR-MONTH-DAY, or "" for no closing date

    @property
    def waits_for_text(self) -> bool:
        """True at a step answered by typing (the closing date, the name)."""
        return self.step in (GuideStep.DATE, GuideStep.NAME)

    def answers(self, choice: GuideChoice) -> bool:
        """Whether this button belongs to the step now asked (else it is stale)."""
        return choice is GuideChoice.CANCEL or _STEP_OF.get(choice) is self.step

    def choose(
        self, choice: GuideChoice, value: int, cycles: set[int], themes: set[int], today: dt.date
    ) -> Guide | None:
        """The guide after this button; None for a value that is not offered (forged)."""
        if choice is GuideChoice.CYCLE and value in cycles:
            return replace(self, step=GuideStep.RESPONSE, cycle=value)
        if choice is GuideChoice.RESPONSE and value in RESPONSES:
            return replace(self, step=GuideStep.THEMES, response=RESPONSES[value])
        if choice is GuideChoice.THEME and value in themes:
            chosen = set(self.themes) ^ {value}
            return replace(self, themes=tuple(sorted(chosen)))
        if choice is GuideChoice.THEMES_DONE:
            return replace(self, step=GuideStep.CLOSING)
        if choice is GuideChoice.ALL_THEMES:
            return replace(self, step=GuideStep.CLOSING, themes=())
        if choice is GuideChoice.CLOSE_IN and value in CLOSING_CHOICES:
            closes = later(today, *CLOSING_CHOICES[value]).isoformat()
            return replace(self, step=GuideStep.NAME, closes=closes)
        if choice is GuideChoice.TYPE_DATE:
            return replace(self, step=GuideStep.DATE)
        return None

    def default_name(self, today: dt.date, l10n: Localizer) -> str:
        """The name offered at the last step, in the coordinator's language (the round keeps it
        as chosen): 'Cycle 2 accepted, November 2026', 'ជុំទី២ បានទទួលយក ខែវិច្ឆិកា ឆ្នាំ២០២៦'."""
        if self.response == "accepted":
            name = l10n.gettext("Cycle {cycle} accepted, {month}")
        elif self.response == "noted":
            name = l10n.gettext("Cycle {cycle} noted, {month}")
        else:
            name = l10n.gettext("Cycle {cycle}, {month}")
        return name.format(cycle=l10n.number(self.cycle), month=l10n.month(today))

    def scope_words(self, slugs: dict[int, str]) -> str:
        """The scope as /openround would be typed: 'c2 accepted land labour until 2027-03-31'."""
        words = [f"c{self.cycle}", self.response, *(slugs[t] for t in self.themes if t in slugs)]
        if self.closes:
            words.append(f"until {self.closes}")
        return " ".join(w for w in words if w)

    def to_json(self) -> str:
        """The guide as kept in the draft."""
        return json.dumps(
            {
                "step": self.step.value,
                "cycle": self.cycle,
                "response": self.response,
                "themes": list(self.themes),
                "closes": self.closes,
            }
        )

    @classmethod
    def from_json(cls, raw: str) -> Guide:
        """A guide kept in a draft."""
        data = json.loads(raw)
        return cls(
            GuideStep(data["step"]),
            int(data["cycle"]),
            str(data["response"]),
            tuple(int(t) for t in data["themes"]),
            str(data["closes"]),
        )
