"""The gate in front of every command and button: who may, where, on which round — then run."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import CallbackQuery, Message, Update, User

from bot.domain.access import Access, Refusal, Where
from bot.domain.i18n import Localizer
from handlers.callbacks import BadCallback, CallbackData, RoundPayload
from handlers.commands import N_
from handlers.common import BotContext, chat_reader, reader, stale
from handlers.render import escape

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
P = TypeVar("P", bound=CallbackData)

_REFUSALS = {
    Refusal.COORDINATORS_ONLY: N_("Only coordinators can do this."),
    Refusal.REPRESENTATIVES_ONLY: N_(
        "Only representatives of member organisations can rate. Ask a coordinator for an "
        "invite link."
    ),
    Refusal.COORDINATORS_DO_NOT_RATE: N_(
        "Coordinators do not rate: the representatives of member organisations do. Send "
        "/rounds to follow a round."
    ),
    Refusal.MEMBERSHIP_PAUSED: N_(
        "Your organisation's membership of the coalition is paused, so it cannot rate for now. "
        "Contact a coordinator."
    ),
    Refusal.PAUSED_MEMBER: N_(
        "Your organisation's membership of the coalition is paused, so this is not available to "
        "it for now. Contact a coordinator."
    ),
    Refusal.MEMBERS_ONLY: N_(
        "This is for the coalition's member organisations: to join, ask a coordinator for an "
        "invite link for your organisation. Meanwhile you can look recommendations up: send /help."
    ),
    Refusal.PRIVATE_ONLY: N_("For privacy, this is shown only in a private chat with me."),
    Refusal.GROUP_ONLY: N_("Send this in the group chat (or forum topic) it is meant for."),
    Refusal.NOT_YOURS: N_("This button is for the coordinator who asked for it."),
    Refusal.NO_ROUND: N_("This round no longer exists."),
    Refusal.ROUND_CLOSED: N_("This round is closed: ratings can no longer change."),
    Refusal.NOT_PUBLISHED: N_(
        "Results are shown to members once coordinators publish a closed round."
    ),
    Refusal.TRANSLATORS_ONLY: N_(
        "This is for the coalition's translators. A coordinator can make you one with "
        "/translators."
    ),
    Refusal.RESPONSIBLE_ONLY: N_(
        "Thank you, but only representatives of the organisations responsible for this action, "
        "and coordinators, can answer for it."
    ),
}


def refusal_text(l10n: Localizer, refusal: Refusal) -> str:
    """The refusal in the reader's language."""
    return l10n.gettext(_REFUSALS[refusal])


@dataclass(frozen=True)
class Press(Generic[P]):
    """A button press whose callback data decoded into its payload, past the gate."""

    query: CallbackQuery
    user: User
    message: Message
    l10n: Localizer  # the message's readers': in a group chat the chat's language
    data: P
    own: Localizer  # the presser's, for what only they see (a private prompt)


@dataclass(frozen=True)
class Button(Generic[P]):
    """One kind of inline button: its payload class, who may press it, where."""

    payload: type[P]
    callback: Callable[[Press[P], BotContext], Coroutine[Any, Any, None]]
    access: Access = Access.ANYONE
    where: Where = Where.ANY

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The callback-data prefixes this button's payload is written with."""
        return self.payload.prefixes()


def _owner(message: Message | None) -> int | None:
    """Whom a bot message answers: the sender of the message it replies to (not a topic start)."""
    reply = message.reply_to_message if message is not None else None
    if reply is None or reply.from_user is None or reply.forum_topic_created is not None:
        return None
    return reply.from_user.id


def checked_command(access: Access, where: Where, callback: Handler) -> Handler:
    """Run a command only for those it is for, in the chat it belongs in."""

    async def gate(update: Update, context: BotContext) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        refusal = await context.services.access.check(
            user.id, access, private=message.chat.type == "private", where=where, owner=user.id
        )
        if refusal is None:
            await callback(update, context)
            return
        await message.reply_text(escape(refusal_text(await reader(update, context), refusal)))

    return gate


def _offered(message: Message, data: str | None) -> bool:
    """Is `data` one of the pressed message's own buttons? (A bad client can send any data.)"""
    markup = message.reply_markup
    return markup is not None and any(
        button.callback_data == data for row in markup.inline_keyboard for button in row
    )


def button_router(buttons: Sequence[Button[Any]]) -> Handler:
    """Decode every press into its payload, gate it (every press), run its handler.

    Data that decodes into no payload (forged, stale, truncated, from an older version) gets
    one polite answer, in the reader's language.
    """
    by_prefix: dict[str, Button[Any]] = {}
    for button in buttons:
        for prefix in button.prefixes:
            if prefix in by_prefix:
                raise ValueError(f"callback prefix {prefix!r} is registered twice")
            by_prefix[prefix] = button

    async def route(update: Update, context: BotContext) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        l10n = await reader(update, context)
        message = query.message if isinstance(query.message, Message) else None
        button = by_prefix.get((query.data or "").partition(":")[0])
        try:
            data = button.payload.unpack(query.data or "") if button is not None else None
        except BadCallback:
            data = None
        if button is None or data is None or message is None or not _offered(message, query.data):
            await query.answer(stale(l10n), show_alert=True)
            return
        refusal = await context.services.access.check(
            user.id,
            button.access,
            private=message.chat.type == "private",
            where=button.where,
            owner=_owner(message),
            round_id=data.round_id if isinstance(data, RoundPayload) else None,
        )
        if refusal is not None:
            await query.answer(refusal_text(l10n, refusal), show_alert=True)
            return
        chat = l10n if message.chat.type == "private" else await chat_reader(message, context)
        await button.callback(Press(query, user, message, chat, data, l10n), context)

    return route
