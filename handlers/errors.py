"""The last line of defence: unknown commands, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from handlers.common import BotContext, reader
from handlers.render import escape

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have: say so, unless it was meant for another bot."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    command = message.text.split()[0]
    name, _, addressee = command.partition("@")
    if (
        message.chat.type != "private"
        and addressee.lower() != (context.bot.username or "").lower()
    ):
        return
    l10n = await reader(update, context)
    await message.reply_text(
        escape(
            l10n.gettext(
                "I do not know the command {command}. Send /help to see what I can do."
            ).format(command=name[:40])
        )
    )


async def on_error(update: object, context: BotContext) -> None:
    """Log the error (never the message text); apologise only for our own faults."""
    error = context.error
    if isinstance(error, Forbidden):
        # A user who blocked the bot: mark them, so nobody keeps writing to them in vain.
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == "private":
            await context.services.coalition.mark_unreachable(chat.id)
        log.info("a user has blocked the bot; marked unreachable")
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, TelegramError):
        # Telegram refused or did not answer a call (a timeout answering a button, an edit
        # that failed): the action itself may well have worked, so nothing is posted.
        if isinstance(error, NetworkError | RetryAfter):
            log.warning("Telegram call failed while handling update %s: %r", update_id, error)
        else:
            log.error("Telegram refused a call for update %s", update_id, exc_info=error)
        return
    log.error("error while handling update %s", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        l10n = await reader(update, context)
        sorry = l10n.gettext(
            "Sorry, something went wrong on my side. Please try again in a moment."
        )
        if update.callback_query is not None:  # to the one who pressed, not into the chat
            await update.callback_query.answer(sorry, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, escape(sorry))
    except TelegramError:
        log.exception("could not tell the user about the error")
