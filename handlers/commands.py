"""The bot's commands as data: who may use each one and where. /help, the Telegram command menus
and the role matrix are all derived from this one list."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import BadRequest, Forbidden, NetworkError

from bot.domain.access import Access, Where
from bot.domain.i18n import Translations
from bot.domain.membership import Role
from bot.domain.services import DomainServices

log = logging.getLogger(__name__)


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
    # Where coordinators may use it, when narrower than `where` (/rate: coordinators post
    # cards in groups; they rate nothing themselves).
    coordinators: Where = Where.ANY

    @property
    def coordinators_only(self) -> bool:
        """Listed only in coordinators' menus and help."""
        return self.access is Access.COORDINATOR

    def usable(self, role: Role, private: bool) -> bool:
        """Whether someone of this role may use it in this kind of chat: what their menu and
        /help show (tests/test_access_matrix.py checks it against what the bot refuses)."""
        if not _fits(self.where, private):
            return False
        if role is Role.COORDINATOR:
            return self.access is not Access.RATER and _fits(self.coordinators, private)
        if role is Role.MEMBER:
            return self.access not in (Access.COORDINATOR, Access.TRANSLATOR)
        return self.access is Access.ANYONE

    @property
    def translators_only(self) -> bool:
        """For translators (and coordinators): listed in a translator's help, not by role."""
        return self.access is Access.TRANSLATOR


def _fits(where: Where, private: bool) -> bool:
    return where is Where.ANY or (where is Where.PRIVATE) == private


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
    Command(
        "rate",
        N_("Rate how far recommendations are implemented (members)"),
        _M,
        coordinators=Where.GROUP,
    ),
    Command("myratings", N_("Your organisation's ratings in the open round"), _R, Where.PRIVATE),
    Command("rounds", N_("Assessment rounds and who took part"), _M),
    Command("results", N_("Results of a round, with a picture: /results 1"), _M),
    Command(
        "export",
        N_("A round's table as a file: /export 1 xlsx (or csv; add themes or a group, as land)"),
        _M,
    ),
    Command(
        "compare",
        N_(
            "What progressed, regressed or stayed between two rounds, with a picture: /compare 1 2"
        ),
        _M,
    ),
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
        "responses",
        N_(
            "Set responses given later: /responses c2 accepted: 118.1-118.171; noted: 119.1-119.34"
        ),
        _C,
        Where.PRIVATE,
    ),
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
    Command(
        "translate",
        N_("Translate the recommendations into Khmer, or review drafts (translators)"),
        Access.TRANSLATOR,
        Where.PRIVATE,
    ),
    Command(
        "translations",
        N_(
            "How much is translated into Khmer, who is working; export the files "
            "(coordinators import them by sending them to me)"
        ),
        Access.TRANSLATOR,
        Where.PRIVATE,
    ),
    Command(
        "translators",
        N_("Appoint or remove the translators of the recommendations"),
        _C,
        Where.PRIVATE,
    ),
)


def commands_for(role: Role, private: bool, translator: bool = False) -> list[Command]:
    """The commands someone of this role (and a translator, or not) may use in this kind of
    chat, in the list's order."""
    return [
        c
        for c in COMMANDS
        if c.usable(role, private)
        or (translator and c.translators_only and _fits(c.where, private))
    ]


def _menu(
    translations: Translations,
    language: str,
    role: Role,
    private: bool,
    translator: bool = False,
) -> list[BotCommand]:
    l10n = translations.localizer(language)
    return [
        BotCommand(c.name, l10n.gettext(c.description)[:256])
        for c in commands_for(role, private, translator)
    ]


def _everywhere(translations: Translations, language: str) -> list[BotCommand]:
    """The default scope's menu: what anyone may use in any chat."""
    private = {c.command for c in _menu(translations, language, Role.GUEST, True)}
    return [c for c in _menu(translations, language, Role.GUEST, False) if c.command in private]


# Telegram picks a menu by the user's app language: these codes, or none (anything else).
_CODES: tuple[str | None, ...] = (None, "en", "km")


async def publish_commands(bot: Bot, translations: Translations, default_language: str) -> None:
    """Everyone's menus, in each language: in private chats and in groups a guest's (members'
    and coordinators' private chats get theirs from `sync_menus`)."""
    scopes: list[tuple[BotCommandScope, bool | None]] = [
        (BotCommandScopeDefault(), None),
        (BotCommandScopeAllPrivateChats(), True),
        (BotCommandScopeAllGroupChats(), False),
    ]
    for scope, private in scopes:
        for code in _CODES:
            language = code or default_language
            commands = (
                _everywhere(translations, language)
                if private is None
                else _menu(translations, language, Role.GUEST, private)
            )
            await bot.set_my_commands(commands, scope=scope, language_code=code)


def menu_fingerprint(
    translations: Translations,
    default_language: str,
    role: Role,
    chosen: str | None,
    translator: bool = False,
) -> str:
    """What a person's private menu is (commands, texts, languages): publish again when it
    changes, as after a promotion, a /language choice or a release with new commands."""
    menus = [
        [(c.command, c.description) for c in _menu(translations, lang, role, True, translator)]
        for lang in _languages(default_language, chosen)
    ]
    return hashlib.sha256(json.dumps(menus).encode()).hexdigest()[:32]


def _languages(default_language: str, chosen: str | None) -> list[str]:
    """The menu's language for each of `_CODES`: a chosen language whatever the app's."""
    return [chosen or code or default_language for code in _CODES]


async def publish_for_user(
    bot: Bot,
    translations: Translations,
    default_language: str,
    user_id: int,
    role: Role,
    chosen: str | None,
    translator: bool = False,
) -> bool:
    """Give one user's private chat their role's menu (with a translator's commands), or take
    it back (a guest's); False when Telegram refuses (e.g. they never opened a chat with the
    bot): tried again later."""
    scope = BotCommandScopeChat(user_id)
    try:
        for code, language in zip(_CODES, _languages(default_language, chosen), strict=True):
            if role is Role.GUEST and not translator:
                await bot.delete_my_commands(scope=scope, language_code=code)
            else:
                menu = _menu(translations, language, role, True, translator)
                await bot.set_my_commands(menu, scope=scope, language_code=code)
    except (BadRequest, Forbidden):
        return False
    return True


async def sync_menus(bot: Bot, services: DomainServices, user_id: int | None = None) -> int:
    """Give each member's and coordinator's private chat its menu, take it back from whoever
    lost the role; only what differs from what Telegram has, and only `user_id`'s when given.
    Idempotent: run by a job for everyone, and at once for the person concerned (only them: at
    1,000 organisations everyone's would be thousands of calls) after a promotion, a demotion,
    a join or a language choice."""
    default = services.settings.default_language
    fingerprint = functools.partial(menu_fingerprint, services.translations, default)
    publish = functools.partial(publish_for_user, bot, services.translations, default)
    try:
        return await services.menus.sync(fingerprint, publish, user_id)
    except NetworkError:  # Telegram unreachable: the next run catches up
        log.warning("command menus: Telegram is not reachable")
        return 0
