"""Runs before every handler: per-user flood limits, and keeping members' records fresh."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain.membership import Role
from bot.domain.services import DomainServices
from bot.domain.text import one_line
from handlers.common import BotApplication, BotContext, name_of, reader
from handlers.render import escape


async def guard(update: Update, context: BotContext) -> None:
    """Stop users over the rate limit (telling them once); refresh members' names."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    services = context.services
    if not services.rate_limiter.allow(user.id):
        if services.rate_limiter.should_warn(user.id):
            l10n = await reader(update, context)
            text = l10n.gettext("You are sending too fast. Please wait a minute and try again.")
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_message is not None and update.message is not None:
                await update.effective_message.reply_text(escape(text))
        elif update.callback_query is not None:  # each press a word, never a new message
            l10n = await reader(update, context)
            await update.callback_query.answer(l10n.gettext("Too fast: wait a minute."))
        raise ApplicationHandlerStop
    if update.message is None or update.message.chat.type != "private":
        return
    services.menus.heard_from(user.id)  # a command menu Telegram refused may be taken now
    # Only coordinators' and representatives' names are kept (coordinators see them);
    # writing privately again also clears "unreachable". Guests are not recorded.
    person = await services.coalition.person(user.id)
    if (
        person is not None
        and (person.role is not Role.GUEST or person.organisation_id)
        and (
            person.display_name != one_line(name_of(user))[:64]
            or person.unreachable_since is not None
        )
    ):
        await services.coalition.seen(
            user.id, name_of(user), await services.language_of(user.id, user.language_code)
        )
    elif person is None or person.role is Role.GUEST:  # a translator who is not a member
        await services.translating.seen(user.id, name_of(user))


async def tell_busy(update: Update, app: BotApplication) -> None:
    """A chat sent more than the bot takes at once: ask the sender to try again in a minute."""
    services: DomainServices = app.bot_data["services"]
    user = update.effective_user
    language = await services.language_of(user.id, user.language_code) if user else None
    text = services.translations.localizer(language).gettext(
        "Many requests are waiting in this chat. Please try again in a minute."
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None:
        await app.bot.send_message(update.effective_chat.id, escape(text))
