"""Telegram adapters, one module per feature; `register` lists them all in priority order."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Translations
from handlers import browse, curation, errors, inline, lookup, start
from handlers.commands import COMMANDS
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
    }
    for command in COMMANDS:  # a listed command without a handler fails here, at start-up
        app.add_handler(CommandHandler(command.name, callbacks[command.name]))
    # Buttons, by the prefix of their callback data.
    app.add_handler(CallbackQueryHandler(start.language_chosen, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(lookup.on_card_button, pattern=r"^r:"))
    app.add_handler(CallbackQueryHandler(lookup.on_list_button, pattern=r"^l:"))
    app.add_handler(CallbackQueryHandler(browse.states_page, pattern=r"^sp:"))
    app.add_handler(CallbackQueryHandler(curation.on_theme_button, pattern=r"^t[et]:"))
    app.add_handler(CallbackQueryHandler(errors.stale_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    # Plain text is a query only in private chats: in groups the bot hears only commands.
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, lookup.on_text)
    )
    app.add_handler(MessageHandler(filters.COMMAND, errors.unknown_command))
    app.add_error_handler(errors.on_error)


async def publish_commands(app: BotApplication, translations: Translations) -> None:
    """Set the command menu in every language, from the same list that drives /help."""
    for language in ("en", "km"):
        l10n = translations.localizer(language)
        commands = [
            BotCommand(c.name, l10n.gettext(c.description)[:256])
            for c in COMMANDS
            if not c.coordinators_only
        ]
        await app.bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if language == "en" else language,
        )
