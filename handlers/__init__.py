"""Telegram adapters, one module per feature; `register` lists them all in priority order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.domain.access import Access, Where
from handlers import (
    browse,
    chats,
    curation,
    errors,
    group_lists,
    guard,
    inline,
    lookup,
    members,
    operations,
    rounds,
    start,
)
from handlers.access import Button, checked_button, checked_command
from handlers.commands import COMMANDS, publish_commands
from handlers.common import BotApplication

_C, _M, _R = Access.COORDINATOR, Access.MEMBER, Access.RATER

# Every button the bot makes: who may press it, where, and whether it names a round (checked
# on each press before the handler runs). A new prefix must be added here, with its access.
BUTTONS: tuple[Button, ...] = (
    Button(("lang",), start.language_chosen),
    Button(("r",), lookup.on_card_button),
    Button(("l",), lookup.on_list_button),
    Button(("sp",), browse.states_page),
    Button(("te", "tt"), curation.on_theme_button, _C),
    Button(
        ("oa", "oe", "og", "oi", "om", "or", "ot", "ou", "ow", "ox"),
        members.on_org_button,
        _C,
        Where.PRIVATE,
    ),
    Button(("iv",), members.on_org_button, _C),
    Button(("lg",), chats.on_link_button, _C, Where.GROUP),
    Button(("gl", "gla", "glr"), group_lists.on_list_button, _M),  # may edit: checked inside
    Button(("glm",), group_lists.on_list_button, _C),
    Button(("vr", "vo", "vg", "vu"), rounds.on_vote, _R, round_arg=True),
    Button(("rk",), rounds.on_skip, _R, round_arg=True),
    Button(("rv",), rounds.on_review, _R, round_arg=True),
    Button(("rw",), rounds.on_reason_button, _R, round_arg=True),
    Button(("rx",), rounds.on_delete_reason, _R, round_arg=True),
    Button(("rq",), rounds.on_results_page, _M, round_arg=True),
    Button(("rac", "rao", "rap", "rar", "rav", "rax"), rounds.on_round_button, _C, round_arg=True),
)


def register(app: BotApplication) -> None:
    """Attach every handler. Order matters: the first matching handler in a group wins."""
    callbacks = {
        "start": start.start,
        "help": start.help_command,
        "language": start.language_command,
        "find": lookup.on_find,
        "themes": browse.themes,
        "states": browse.states,
        "cycles": browse.cycles,
        "me": members.me,
        "orgs": members.orgs,
        "addorg": members.add_org,
        "linkgroup": chats.link_group,
        "unlinkgroup": chats.unlink_group,
        "promote": members.promote,
        "demote": members.demote,
        "unreachable": members.unreachable,
        "audit": members.audit,
        "rate": rounds.rate,
        "myratings": rounds.my_ratings,
        "rounds": rounds.rounds,
        "results": rounds.results,
        "export": rounds.export,
        "compare": rounds.compare,
        "openround": rounds.open_round,
        "grouprecs": group_lists.group_recs,
        "status": operations.status,
    }
    # Group -1 runs before everything: flood limits, then members' records kept fresh.
    app.add_handler(TypeHandler(Update, guard.guard), group=-1)
    # The bot's own membership of groups, and groups turning into supergroups.
    app.add_handler(ChatMemberHandler(chats.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chats.on_migrate))
    for command in COMMANDS:  # a listed command without a handler fails here, at start-up
        gated = checked_command(command.access, command.where, callbacks[command.name])
        app.add_handler(CommandHandler(command.name, gated))
    # Buttons, by the prefix of their callback data, each behind the same gate.
    for button in BUTTONS:
        app.add_handler(CallbackQueryHandler(checked_button(button), pattern=button.pattern))
    app.add_handler(CallbackQueryHandler(errors.stale_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    # Plain text is a query only in private chats: in groups the bot hears only commands and
    # replies to its prompts. A reply may carry numbers for a group's list (in either chat),
    # privately a rating's reason; anything else private is a lookup.
    app.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, group_lists.on_reply)
    )
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, lookup.on_text)
    )
    app.add_handler(MessageHandler(filters.COMMAND, errors.unknown_command))
    app.add_error_handler(errors.on_error)


__all__ = ["BUTTONS", "publish_commands", "register"]
