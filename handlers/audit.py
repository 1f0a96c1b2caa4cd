"""/audit: what coordinators (and the bot) did, in names and Phnom Penh time, a page at a time."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot.domain.audit import moment, person_name, render_detail
from bot.domain.i18n import Localizer
from bot.domain.membership import AuditPage, NotAllowed
from handlers.access import Press
from handlers.callbacks import AuditPageButton
from handlers.common import BotContext, answering_not_allowed, not_allowed
from handlers.lookup import edit
from handlers.render import escape


def audit_view(
    l10n: Localizer, context: BotContext, log: AuditPage
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page: each entry's time (labelled with the time zone), who, what, which
    organisation and the rest in names; ◀ newer, ▶ older."""
    if not log.entries and log.page == 0:
        return escape(l10n.gettext("The audit log is empty.")), None
    tz = context.services.settings.timezone
    title = l10n.gettext("Latest coordinator actions")
    if log.page:
        title = l10n.gettext("Coordinator actions, page {page}").format(
            page=l10n.number(log.page + 1)
        )
    lines = ["<b>" + escape(title) + "</b>"]
    for entry in log.entries:
        parts = [
            moment(l10n, tz, entry.at),
            person_name(l10n, entry.actor_id, log.names),
            l10n.gettext(entry.action.label),
            entry.organisation,
            render_detail(l10n, entry.action, entry.detail, log.names, tz),
        ]
        lines.append(escape(" · ".join(p for p in parts if p)))
    buttons = []
    if log.page:
        buttons.append(
            InlineKeyboardButton("◀", callback_data=AuditPageButton(log.page - 1).pack())
        )
    if log.more:
        buttons.append(
            InlineKeyboardButton("▶", callback_data=AuditPageButton(log.page + 1).pack())
        )
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


@answering_not_allowed
async def audit(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/audit: the newest page of the log."""
    log = await context.services.coalition.audit_page(user.id, 0)
    text, markup = audit_view(l10n, context, log)
    await message.reply_text(text, reply_markup=markup)


async def on_page(press: Press[AuditPageButton], context: BotContext) -> None:
    """◀ ▶: another page of the log, in place."""
    try:
        log = await context.services.coalition.audit_page(press.user.id, press.data.page)
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await edit(press.message, *audit_view(press.l10n, context, log))
