"""/grouprecs: each working group's own list of recommendations, edited by pasting numbers."""

from __future__ import annotations

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.domain.group_lists import BadNumbers, ListView
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from handlers import private_rating, render
from handlers.access import Press
from handlers.callbacks import EditList, ListEdit, ListEditors, ListGroups, ShowList
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    thread_of,
)
from handlers.lookup import edit
from handlers.render import escape, paged_buttons
from handlers.round_cards import not_linked


def _view_text(l10n: Localizer, view: ListView) -> str:
    total = sum(view.counts.values())
    lines = [
        "<b>" + escape(view.group.name(l10n.language)) + "</b>",
        escape(
            l10n.ngettext(
                "This group's list has {count} recommendation.",
                "This group's list has {count} recommendations.",
                total,
            ).format(count=l10n.number(total))
        ),
    ]
    if view.counts:
        lines.append(
            escape(
                " · ".join(
                    l10n.gettext("{cycle}: {count}").format(
                        cycle=render.cycle_name(l10n, cycle), count=l10n.number(count)
                    )
                    for cycle, count in view.counts.items()
                )
            )
        )
    lines.append(
        escape(
            l10n.gettext("Members of this group may edit the list.")
            if view.members_may_edit
            else l10n.gettext("Only coordinators edit the list.")
        )
    )
    if view.may_edit:
        lines.append(
            escape(
                l10n.gettext(
                    "Press a button, then reply with numbers or ranges, for example "
                    "118.1-118.20, 119.3 (write c1 first for cycle 1)."
                )
            )
        )
    return "\n".join(lines)


def _view_markup(l10n: Localizer, view: ListView) -> InlineKeyboardMarkup | None:
    group_id = view.group.id
    rows = []
    if view.may_edit:
        rows.append(
            [
                InlineKeyboardButton(
                    "➕ " + l10n.gettext("Add numbers"),
                    callback_data=EditList(ListEdit.ADD, group_id).pack(),
                ),
                InlineKeyboardButton(
                    "➖ " + l10n.gettext("Remove numbers"),
                    callback_data=EditList(ListEdit.REMOVE, group_id).pack(),
                ),
            ]
        )
    if view.coordinator:
        label = (
            l10n.gettext("Members may edit: yes")
            if view.members_may_edit
            else l10n.gettext("Members may edit: no")
        )
        rows.append([InlineKeyboardButton(label, callback_data=ListEditors(group_id).pack())])
    return InlineKeyboardMarkup(rows) if rows else None


async def _view(
    l10n: Localizer, context: BotContext, user_id: int, group_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    services = context.services
    view = await services.group_lists.view(user_id, group_id, services.catalog)
    return _view_text(l10n, view), _view_markup(l10n, view)


@answering_not_allowed
async def group_recs(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/grouprecs: in a linked group chat, that group's list; in private, choose the group."""
    coalition = context.services.coalition
    if message.chat.type == "private":
        chooser, buttons = await _chooser(l10n, context)
        await message.reply_text(chooser, reply_markup=buttons)
        return
    group_id = await coalition.linked_group(message.chat.id, thread_of(message))
    if group_id is None:
        await message.reply_text(escape(not_linked(l10n)))
        return
    text, markup = await _view(l10n, context, user.id, group_id)
    await message.reply_text(text, reply_markup=markup)


async def _chooser(
    l10n: Localizer, context: BotContext, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """/grouprecs in private: a button per working group, a page at a time (◀ ▶)."""
    buttons = [
        InlineKeyboardButton(g.name(l10n.language), callback_data=ShowList(g.id).pack())
        for g in await context.services.coalition.working_groups()
    ]
    rows = paged_buttons(l10n, buttons, page, ListGroups)
    return escape(l10n.gettext("Which working group's list?")), InlineKeyboardMarkup(rows)


async def on_groups_page(press: Press[ListGroups], context: BotContext) -> None:
    """◀ ▶ under /grouprecs' working groups."""
    await press.query.answer()
    await edit(press.message, *await _chooser(press.l10n, context, press.data.page))


async def on_show_list(press: Press[ShowList], context: BotContext) -> None:
    """Show a working group's list."""
    try:
        text, markup = await _view(press.l10n, context, press.user.id, press.data.group)
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await edit(press.message, text, markup)


async def on_edit_list(press: Press[EditList], context: BotContext) -> None:
    """Ask for numbers to add to the list or remove from it, if this member may edit it."""
    l10n, lists = press.l10n, context.services.group_lists
    try:
        group = await lists.group(press.data.group)
        allowed = await lists.may_edit(press.user.id, group.id)
    except NotAllowed:
        allowed = False
    if not allowed:
        await press.query.answer(not_allowed(l10n), show_alert=True)
        return
    await press.query.answer()
    await _ask_numbers(
        press.message,
        context,
        l10n,
        press.user.id,
        group.id,
        group.name(l10n.language),
        press.data.edit is ListEdit.ADD,
    )


async def on_list_editors(press: Press[ListEditors], context: BotContext) -> None:
    """Let members edit the list, or stop them (coordinators)."""
    l10n, user_id, group_id = press.l10n, press.user.id, press.data.group
    try:
        await context.services.group_lists.toggle_members_may_edit(user_id, group_id)
        text, markup = await _view(l10n, context, user_id, group_id)
    except NotAllowed:
        await press.query.answer(not_allowed(l10n), show_alert=True)
        return
    await press.query.answer(l10n.gettext("Saved."))
    await edit(press.message, text, markup)


async def _ask_numbers(
    message: Message,
    context: BotContext,
    l10n: Localizer,
    user_id: int,
    group_id: int,
    group: str,
    include: bool,
) -> None:
    text = (
        l10n.gettext(
            "Reply to this message with the numbers to add to the list of «{group}», for "
            "example 118.1-118.20, 119.3."
        )
        if include
        else l10n.gettext(
            "Reply to this message with the numbers to remove from the list of «{group}», for "
            "example 118.1-118.20, 119.3."
        )
    )
    prompt = await message.reply_text(
        escape(text.format(group=group)),
        reply_markup=ForceReply(input_field_placeholder=l10n.gettext("Numbers")[:64]),
        do_quote=False,
    )
    await context.services.group_lists.remember_prompt(
        user_id, prompt.chat.id, prompt.message_id, group_id, include
    )


async def on_reply(update: Update, context: BotContext) -> None:
    """A reply to a numbers prompt edits the list; other private replies go to the rounds."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    reply = message.reply_to_message
    lists = context.services.group_lists
    target = (
        await lists.prompted(user.id, message.chat.id, reply.message_id)
        if reply is not None
        else None
    )
    if target is None:
        if message.chat.type == "private":
            await private_rating.on_private_reply(update, context)
        return  # in groups the bot hears only commands and replies to its own prompts
    group_id, include = target
    l10n = await reader(update, context)
    services = context.services
    try:
        picked, changed = await services.group_lists.edit(
            user.id, group_id, message.text, include, services.catalog
        )
    except NotAllowed:
        await message.reply_text(escape(not_allowed(l10n)))
        return
    except BadNumbers as exc:
        await message.reply_text(escape(l10n.gettext(str(exc))))
        return
    done = (
        l10n.ngettext(
            "{count} recommendation of cycle {cycle} added to the list.",
            "{count} recommendations of cycle {cycle} added to the list.",
            changed,
        )
        if include
        else l10n.ngettext(
            "{count} recommendation of cycle {cycle} removed from the list.",
            "{count} recommendations of cycle {cycle} removed from the list.",
            changed,
        )
    ).format(count=l10n.number(changed), cycle=l10n.number(picked.cycle))
    if picked.missing:
        done += "\n" + l10n.gettext("Not found in cycle {cycle}: {numbers}.").format(
            cycle=l10n.number(picked.cycle), numbers=", ".join(picked.missing)
        )
    if picked.not_listed:
        done += "\n" + l10n.gettext("Not on the list: {numbers}.").format(
            numbers=", ".join(picked.not_listed)
        )
    text, markup = await _view(l10n, context, user.id, group_id)
    await message.reply_text(escape(done) + "\n\n" + text, reply_markup=markup)
