"""The bot's commands as data: /help and the Telegram command menu are generated from this."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Command:
    """A command members can type, with its one-line description (a gettext msgid)."""

    name: str
    description: str
    coordinators_only: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("find", N_("Find recommendations by number or words, e.g. /find 118.6 or /find land")),
    Command("themes", N_("Browse recommendations by theme")),
    Command("states", N_("Browse recommendations by recommending State")),
    Command("cycles", N_("See the review cycles and browse each one")),
    Command("language", N_("Choose English or Khmer")),
    Command("help", N_("How to use this bot, with examples")),
    Command("start", N_("Welcome message")),
)
