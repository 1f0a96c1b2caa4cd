"""Group chats: the bot being added or removed, groups becoming supergroups, linking to groups."""

from __future__ import annotations

import logging

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.domain.coalition import ByLink
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.services import DomainServices
from bot.domain.text import truncate
from handlers.access import Press
from handlers.callbacks import GroupsPage, LinkGroup, LinkGroupPage
from handlers.commands import N_
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    stale,
    tell_coordinators,
    thread_of,
)
from handlers.lookup import edit
from handlers.render import escape, paged_buttons, turn_row

log = logging.getLogger(__name__)

_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """The bot was added to or removed from a group: keep links right, tell coordinators."""
    change = update.my_chat_member
    if change is None or change.chat.type == "private":
        return
    was = change.old_chat_member.status in _PRESENT
    now = change.new_chat_member.status in _PRESENT
    if was == now:
        return
    services = context.services
    if not now:
        await group_lost(services, change.chat.id, change.chat.title)
        return
    title = truncate(change.chat.title or str(change.chat.id), 128)  # Telegram's limit

    def text_for(l10n: Localizer) -> str:
        return escape(
            l10n.gettext(
                "I was added to the group «{title}». To make it a working group's chat, "
                "send /linkgroup in that group (or in one of its topics)."
            ).format(title=title)
        )

    async with services.outbox.along():
        await tell_coordinators(services, text_for)


async def group_lost(
    services: DomainServices, chat_id: int, title: str | None, *, only_if_linked: bool = False
) -> None:
    """The bot left a group, or Telegram refuses it there (403, chat not found): the group's
    links go, and the coordinators are told which working groups lost their chat."""
    coalition = services.coalition
    # The notice is written with the unlinking (one transaction): known before it, from the links.
    gone = await coalition.links_of(chat_id)
    if only_if_linked and not gone:
        return
    title = truncate(title or next((c.title for c in gone if c.title), str(chat_id)), 128)
    groups = {g.id: g for g in await coalition.working_groups()}

    def text_for(l10n: Localizer) -> str:
        text = l10n.gettext("I was removed from the group «{title}».").format(title=title)
        if gone:
            text += " " + l10n.gettext("It is no longer linked to: {groups}.").format(
                groups="; ".join(
                    groups[c.working_group_id].name(l10n.language)
                    for c in gone
                    if c.working_group_id in groups
                )
            )
        return escape(text)

    async with services.outbox.along():
        await tell_coordinators(services, text_for)
        await coalition.unlink_chat(0, chat_id, None)


async def on_migrate(update: Update, context: BotContext) -> None:
    """A group became a supergroup and got a new id: its working-group links follow it."""
    message = update.effective_message
    if message is None:
        return
    coalition = context.services.coalition
    if message.migrate_to_chat_id:
        await coalition.migrate_chat(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await coalition.migrate_chat(message.migrate_from_chat_id, message.chat.id)


@answering_not_allowed
async def link_group(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/linkgroup in a group or topic: a coordinator chooses the working group with buttons."""
    text, markup = await _link_choices(l10n, context, user.id)
    await message.reply_text(text, reply_markup=markup)


async def _link_choices(
    l10n: Localizer, context: BotContext, actor: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """/linkgroup's working groups as buttons, a page at a time (◀ ▶)."""
    buttons = [
        InlineKeyboardButton(g.name(l10n.language), callback_data=LinkGroup(g.id).pack())
        for g in await context.services.coalition.link_choices(actor)
    ]
    rows = paged_buttons(l10n, buttons, page, LinkGroupPage)
    return escape(l10n.gettext("Which working group is this chat for?")), InlineKeyboardMarkup(
        rows
    )


async def on_link_page(press: Press[LinkGroupPage], context: BotContext) -> None:
    """◀ ▶ under /linkgroup's working groups."""
    try:
        view = await _link_choices(press.l10n, context, press.user.id, press.data.page)
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await edit(press.message, *view)


async def on_link_button(press: Press[LinkGroup], context: BotContext) -> None:
    """Link this chat (the gate lets only the coordinator who asked press it)."""
    query, l10n, message = press.query, press.l10n, press.message
    try:
        linked = await context.services.coalition.link(
            press.user.id,
            message.chat.id,
            thread_of(message),
            press.data.group,
            message.chat.title or "",
        )
    except NotAllowed:
        await query.answer(not_allowed(l10n), show_alert=True)
        return
    if linked.group is None:
        await query.answer(stale(l10n), show_alert=True)
        return
    await query.answer()
    await edit(
        message,
        escape(
            l10n.gettext("This chat is now the chat of the working group «{group}».").format(
                group=linked.group.name(l10n.language)
            )
        ),
        None,
    )


@answering_not_allowed
async def unlink_group(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/unlinkgroup in a group or topic: remove its link."""
    gone = await context.services.coalition.unlink_chat(
        user.id, message.chat.id, thread_of(message)
    )
    await message.reply_text(
        escape(
            l10n.gettext("This chat is no longer linked to a working group.")
            if gone
            else l10n.gettext("This chat was not linked to a working group.")
        )
    )


@answering_not_allowed
async def groups(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/groups (coordinators, private): each working group's chats, and a button that adds the
    bot to a group chat and links it to that working group in one step."""
    text, markup = await _groups_view(l10n, context, user.id)
    await message.reply_text(text, reply_markup=markup)


GROUPS_PER_PAGE = 20


async def _groups_view(
    l10n: Localizer, context: BotContext, actor: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """/groups: the working groups with their chats and ➕ buttons, twenty a page (◀ ▶)."""
    shown = await context.services.coalition.group_links(actor, page, GROUPS_PER_PAGE)
    links, page, pages = shown.links, shown.page, shown.pages
    hours = int(context.services.coalition.invite_ttl.total_seconds() // 3600)
    lines = [
        "<b>" + escape(l10n.gettext("Working groups and their chats")) + "</b>",
        *(
            escape(
                "• "
                + link.group.name(l10n.language)
                + ": "
                + ("; ".join(f"«{t}»" for t in link.chats) or l10n.gettext("no chat yet"))
            )
            for link in links
        ),
        "",
        escape(
            l10n.ngettext(
                "Tap a working group to add me to its group chat: Telegram asks which group, and "
                "when a coordinator adds me that chat is linked to the working group at once. "
                "Each button works once, for {hours} hour; send /groups again for new ones.",
                "Tap a working group to add me to its group chat: Telegram asks which group, and "
                "when a coordinator adds me that chat is linked to the working group at once. "
                "Each button works once, for {hours} hours; send /groups again for new ones.",
                hours,
            ).format(hours=l10n.number(hours))
        ),
    ]
    rows = [
        [
            InlineKeyboardButton(
                "➕ " + link.group.name(l10n.language),
                url=f"https://t.me/{context.bot.username}?startgroup={link.token}",
            )
        ]
        for link in links
    ]
    rows += turn_row(l10n, page, pages, GroupsPage)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_groups_page(press: Press[GroupsPage], context: BotContext) -> None:
    """◀ ▶ under /groups (new ➕ links for that page)."""
    await press.query.answer()
    await edit(
        press.message, *await _groups_view(press.l10n, context, press.user.id, press.data.page)
    )


_BY_LINK = {
    ByLink.INVALID: N_(
        "This link to add me is not valid. A coordinator can send /linkgroup here, or get a new "
        "link with /groups in a private chat with me."
    ),
    ByLink.USED: N_(
        "This link to add me was already used. A coordinator can send /linkgroup here, or get a "
        "new link with /groups in a private chat with me."
    ),
    ByLink.EXPIRED: N_(
        "This link to add me has expired. A coordinator can send /linkgroup here, or get a new "
        "link with /groups in a private chat with me."
    ),
    ByLink.NOT_COORDINATOR: N_(
        "Only a coordinator can link this chat to a working group: ask a coordinator to add me "
        "with their link, or to send /linkgroup here."
    ),
}


async def link_with_token(update: Update, context: BotContext, token: str) -> None:
    """/start <token> in a group: Telegram sends it when someone adds the bot with a working
    group's link; a coordinator's adding links the chat at once, anyone else is told why not."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    l10n = await reader(update, context)
    linked = await context.services.coalition.link_by_token(
        user.id, message.chat.id, thread_of(message), token, message.chat.title or ""
    )
    if linked.result is ByLink.LINKED and linked.group is not None:
        text = l10n.gettext("This chat is now the chat of the working group «{group}».").format(
            group=linked.group.name(l10n.language)
        )
    else:
        text = l10n.gettext(_BY_LINK[linked.result])
    await message.reply_text(escape(text))
