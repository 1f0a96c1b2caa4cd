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
    rounds,
    start,
)
from handlers.commands import COMMANDS, publish_commands
from handlers.common import BotApplication


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
    }
    # Group -1 runs before everything: flood limits, then members' records kept fresh.
    app.add_handler(TypeHandler(Update, guard.guard), group=-1)
    # The bot's own membership of groups, and groups turning into supergroups.
    app.add_handler(ChatMemberHandler(chats.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chats.on_migrate))
    for command in COMMANDS:  # a listed command without a handler fails here, at start-up
        app.add_handler(CommandHandler(command.name, callbacks[command.name]))
    # Buttons, by the prefix of their callback data.
    app.add_handler(CallbackQueryHandler(start.language_chosen, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(lookup.on_card_button, pattern=r"^r:"))
    app.add_handler(CallbackQueryHandler(lookup.on_list_button, pattern=r"^l:"))
    app.add_handler(CallbackQueryHandler(browse.states_page, pattern=r"^sp:"))
    app.add_handler(CallbackQueryHandler(curation.on_theme_button, pattern=r"^t[et]:"))
    app.add_handler(
        CallbackQueryHandler(members.on_org_button, pattern=r"^(o[aegimrtuwx]|iv)(:|$)")
    )
    app.add_handler(CallbackQueryHandler(chats.on_link_button, pattern=r"^lg:"))
    app.add_handler(CallbackQueryHandler(group_lists.on_list_button, pattern=r"^gl[amr]?:"))
    app.add_handler(CallbackQueryHandler(rounds.on_vote, pattern=r"^v[a-z]:"))
    app.add_handler(CallbackQueryHandler(rounds.on_skip, pattern=r"^rk:"))
    app.add_handler(CallbackQueryHandler(rounds.on_review, pattern=r"^rv:"))
    app.add_handler(CallbackQueryHandler(rounds.on_reason_button, pattern=r"^rw:"))
    app.add_handler(CallbackQueryHandler(rounds.on_results_page, pattern=r"^rq:"))
    app.add_handler(CallbackQueryHandler(rounds.on_round_button, pattern=r"^ra[coprvx]:"))
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


__all__ = ["publish_commands", "register"]
