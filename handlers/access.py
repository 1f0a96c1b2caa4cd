"""The gate in front of every command and button: who may, where, on which round — then run."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update

from bot.access import Access, Refusal, Where
from bot.arguments import whole_number
from bot.i18n import Localizer
from handlers.commands import N_
from handlers.common import BotContext, reader, stale
from handlers.render import escape

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

_REFUSALS = {
    Refusal.COORDINATORS_ONLY: N_("Only coordinators can do this."),
    Refusal.REPRESENTATIVES_ONLY: N_(
        "Only representatives of member organisations can rate. Ask a coordinator for an "
        "invite link."
    ),
    Refusal.MEMBERS_ONLY: N_(
        "This is for the coalition's member organisations. You can look recommendations up: "
        "send /help."
    ),
    Refusal.PRIVATE_ONLY: N_("For privacy, this is shown only in a private chat with me."),
    Refusal.GROUP_ONLY: N_("Send this in the group chat (or forum topic) it is meant for."),
    Refusal.NOT_YOURS: N_("This button is for the coordinator who asked for it."),
    Refusal.NO_ROUND: N_("This round no longer exists."),
    Refusal.ROUND_CLOSED: N_("This round is closed: ratings can no longer change."),
    Refusal.NOT_PUBLISHED: N_(
        "Results are shown to members once coordinators publish a closed round."
    ),
}


def refusal_text(l10n: Localizer, refusal: Refusal) -> str:
    """The refusal in the reader's language."""
    return l10n.gettext(_REFUSALS[refusal])


@dataclass(frozen=True)
class Button:
    """A family of inline buttons: their callback-data prefixes, who may press them, where."""

    prefixes: tuple[str, ...]
    callback: Handler
    access: Access = Access.ANYONE
    where: Where = Where.ANY
    round_arg: bool = False  # the first number after the prefix is a round, checked too

    @property
    def pattern(self) -> str:
        """The regular expression PTB matches callback data with."""
        return "^(?:" + "|".join(re.escape(p) for p in self.prefixes) + ")(?::|$)"


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


def checked_button(button: Button) -> Handler:
    """Run a button's handler only if this user may press it, here and now (every press)."""

    async def gate(update: Update, context: BotContext) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or query.data is None or user is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        round_id = None
        if button.round_arg:
            first = query.data.split(":")[1:2]
            round_id = whole_number(first[0]) if first else None
            if round_id is None:
                await query.answer(stale(await reader(update, context)), show_alert=True)
                return
        refusal = await context.services.access.check(
            user.id,
            button.access,
            private=message is not None and message.chat.type == "private",
            where=button.where,
            owner=_owner(message),
            round_id=round_id,
        )
        if refusal is None:
            await button.callback(update, context)
            return
        await query.answer(refusal_text(await reader(update, context), refusal), show_alert=True)

    return gate
