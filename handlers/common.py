"""What every handler shares: the typed context and the reader's localizer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.outbox import Content, Job, Outgoing, stage
from bot.domain.services import DomainServices
from handlers.render import escape


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the bot's services attached."""

    @property
    def services(self) -> DomainServices:
        """The services built at start-up."""
        services: DomainServices = self.application.bot_data["services"]
        return services


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


async def reader(update: Update, context: BotContext) -> Localizer:
    """The localizer of whoever reads the answer: a message in a group chat is answered in
    the chat's language (everyone there reads it); anything else in the sender's."""
    message = update.effective_message
    if update.callback_query is None and message is not None and message.chat.type != "private":
        return await chat_reader(message, context)
    return await own_reader(update, context)


async def chat_reader(message: Message, context: BotContext) -> Localizer:
    """The localizer of a group chat (or topic): its language, else DEFAULT_LANGUAGE."""
    services = context.services
    language = await services.coalition.language_for(message.chat.id, thread_of(message))
    return services.translations.localizer(language)


async def own_reader(update: Update, context: BotContext) -> Localizer:
    """The localizer of the person who sent this update (for what only they see)."""
    services = context.services
    user = update.effective_user
    if user is None:
        return services.translations.localizer(None)
    language = await services.language_of(user.id, user.language_code)
    return services.translations.localizer(language)


def name_of(user: User) -> str:
    """The user's full name; Telegram may send an empty first name (PTB then gives None)."""
    return user.full_name or ""


def thread_of(message: Message) -> int:
    """The forum topic a message is in (each topic can be linked on its own), else 0."""
    return message.message_thread_id or 0 if message.is_topic_message else 0


def not_allowed(l10n: Localizer) -> str:
    """The refusal every coordinator-only action gives."""
    return l10n.gettext("Only coordinators can do this.")


Action = Callable[[Message, User, Localizer, BotContext], Coroutine[Any, Any, None]]


def answering_not_allowed(
    action: Action,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """Adapt a command to PTB: find message, user and language; refuse politely on NotAllowed.

    The role itself is checked by the service the action calls, on every call.
    """

    @functools.wraps(action)
    async def handler(update: Update, context: BotContext) -> None:
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        l10n = await reader(update, context)
        try:
            await action(message, user, l10n, context)
        except NotAllowed:
            await message.reply_text(escape(not_allowed(l10n)))

    return handler


def stale(l10n: Localizer) -> str:
    """What a button the bot can no longer read answers."""
    return l10n.gettext("This button no longer works. Please send your question again.")


async def tell_coordinators(
    services: DomainServices, text_for: Callable[[Localizer], str]
) -> None:
    """Stage a private notice (HTML) to each reachable coordinator, in their language: the
    outbox sends it, written with the event that causes it (inside `services.outbox.along()`)."""
    notices = []
    for person in await services.coalition.coordinators():
        if person.unreachable_since is not None:
            continue
        language = await services.language_of(person.user_id, None)
        l10n = services.translations.localizer(language)
        notices.append(
            Outgoing(
                person.user_id,
                Content(text_for(l10n)),
                Job.NOTICE,
                language=language,
                reference="notice",
            )
        )
    stage(*notices)


async def translate_stops(l10n: Localizer, services: DomainServices, user_id: int) -> str:
    """The newest prompt wins: a /translate waiting for this person's Khmer text stops
    waiting; the note saying so ("\\n\\n<i>…</i>", HTML), or "" when none waited."""
    if not await services.translating.shadow(user_id):
        return ""
    return translate_stopped(l10n)


def translate_stopped(l10n: Localizer) -> str:
    """The note saying a waiting /translate stopped waiting ("\\n\\n<i>…</i>", HTML)."""
    note = l10n.gettext(
        "/translate no longer waits for your Khmer text: send /translate to go on translating."
    )
    return "\n\n<i>" + escape(note) + "</i>"
