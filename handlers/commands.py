"""The bot's commands as data: /help and the Telegram command menu are generated from this."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest, Forbidden

from bot.domain.access import Access, Where
from bot.domain.i18n import Translations


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Command:
    """A command, its one-line description (a gettext msgid), who may send it and where."""

    name: str
    description: str
    access: Access = Access.ANYONE
    where: Where = Where.ANY

    @property
    def coordinators_only(self) -> bool:
        """Listed only in coordinators' menus and help."""
        return self.access is Access.COORDINATOR


_C, _M, _R = Access.COORDINATOR, Access.MEMBER, Access.RATER


COMMANDS: tuple[Command, ...] = (
    Command("find", N_("Find recommendations by number or words, e.g. /find 118.6 or /find land")),
    Command("themes", N_("Browse recommendations by theme")),
    Command("states", N_("Browse recommendations by recommending State")),
    Command("cycles", N_("See the review cycles and browse each one")),
    Command("language", N_("Choose English or Khmer")),
    Command("help", N_("How to use this bot, with examples")),
    Command("start", N_("Welcome message")),
    # Which organisation a person represents is for coordinators and themselves, not a group.
    Command("me", N_("Your organisation, working groups and role"), where=Where.PRIVATE),
    Command("rate", N_("Rate how far recommendations are implemented (members)"), _M),
    Command("myratings", N_("Your organisation's ratings in the open round"), _R, Where.PRIVATE),
    Command("rounds", N_("Assessment rounds and who took part"), _M),
    Command("results", N_("Results of a round: /results 1"), _M),
    Command(
        "export",
        N_(
            "A round's table as a file: /export 1 xlsx (or csv; add themes for one block per theme)"
        ),
        _M,
    ),
    Command("compare", N_("What progressed or regressed between two rounds: /compare 1 2"), _M),
    Command(
        "grouprecs",
        N_("A working group's own list of recommendations to rate: add or remove numbers"),
        _M,
    ),
    Command(
        "strategy",
        N_("Actions of a working group, by due date"),
        _M,
    ),
    Command(
        "milestones",
        N_("Each review cycle's milestones (review, adoption, mid-term, next review)"),
        _M,
    ),
    Command("openround", N_("Open a round: /openround c2 accepted : Mid-term review 2026"), _C),
    Command(
        "orgs", N_("Member organisations: representatives, invites, groups"), _C, Where.PRIVATE
    ),
    Command("addorg", N_("Add an organisation: /addorg SHORTNAME Full name"), _C),
    Command(
        "linkgroup", N_("In a group chat or topic: link it to a working group"), _C, Where.GROUP
    ),
    Command(
        "groups",
        N_("Working groups, their chats, and a button to add me to a group chat for each"),
        _C,
        Where.PRIVATE,
    ),
    Command(
        "unlinkgroup",
        N_("In a group chat or topic: remove its working group link"),
        _C,
        Where.GROUP,
    ),
    Command("promote", N_("Make someone a coordinator: /promote USER_ID"), _C),
    Command("demote", N_("Remove a coordinator: /demote USER_ID"), _C),
    Command("unreachable", N_("Members and coordinators who blocked the bot"), _C, Where.PRIVATE),
    Command("audit", N_("The log of coordinators' actions"), _C, Where.PRIVATE),
    Command(
        "broadcast",
        N_("Send a message to working groups, members or coordinators: now, later or every week"),
        _C,
        Where.PRIVATE,
    ),
    Command(
        "broadcasts",
        N_("Scheduled and recent broadcasts: who got them, cancel, edit, delete"),
        _C,
        Where.PRIVATE,
    ),
    Command(
        "status",
        N_("The bot's version, uptime, database size and last backup"),
        _C,
        Where.PRIVATE,
    ),
)


def _menu(translations: Translations, language: str, coordinator: bool) -> list[BotCommand]:
    l10n = translations.localizer(language)
    return [
        BotCommand(c.name, l10n.gettext(c.description)[:256])
        for c in COMMANDS
        if coordinator or not c.coordinators_only
    ]


async def publish_commands(
    bot: Bot, translations: Translations, coordinator_ids: list[int]
) -> None:
    """The command menu in each language, from the list that drives /help; coordinators'
    private chats also list the coordinator commands."""
    for language in ("en", "km"):
        await bot.set_my_commands(
            _menu(translations, language, False),
            scope=BotCommandScopeDefault(),
            language_code=None if language == "en" else language,
        )
    for user_id in coordinator_ids:
        await publish_for_user(bot, translations, user_id, True)


async def publish_for_user(
    bot: Bot, translations: Translations, user_id: int, coordinator: bool
) -> None:
    """Give one user's private chat the coordinator menu, or take it back."""
    try:
        if coordinator:
            for language in ("en", "km"):
                await bot.set_my_commands(
                    _menu(translations, language, True),
                    scope=BotCommandScopeChat(user_id),
                    language_code=None if language == "en" else language,
                )
        else:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
    except (BadRequest, Forbidden):
        pass  # a coordinator who never opened a chat with the bot: Telegram has no chat yet
