"""[📋 Actions (N)] under a recommendation's card: the actions of the working groups' strategies
that serve it, each opening its card (the one /strategy shows)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.access import Refusal
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed, WorkingGroup
from bot.domain.model import Recommendation
from bot.domain.strategy import Action
from bot.domain.timeframes import local_day
from handlers import render
from handlers.access import Press, refusal_text
from handlers.callbacks import ServingActions, StrategyCard
from handlers.common import BotContext
from handlers.nudges import STATUS_ICONS, short
from handlers.render import escape

LISTED = 24  # actions listed (and buttons) at most: a recommendation rarely has more
PER_ROW = 6


def serving_list(
    l10n: Localizer,
    rec: Recommendation,
    actions: list[Action],
    groups: dict[int, WorkingGroup],
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The actions serving a recommendation: status icon, due date, activity, working group;
    a numbered button per action opens its card."""
    head = l10n.ngettext(
        "{count} action in the strategies serves {number} ({cycle}). Tap a number for its card.",
        "{count} actions in the strategies serve {number} ({cycle}). Tap a number for its card.",
        len(actions),
    ).format(
        count=l10n.number(len(actions)),
        number=rec.number,
        cycle=render.cycle_name(l10n, rec.cycle),
    )
    lines = [escape(head), ""]
    shown = actions[:LISTED]
    for n, action in enumerate(shown, start=1):
        due = l10n.date(local_day(action.due)) if action.due else "—"
        group = groups.get(action.fields.working_group_id)
        name = group.name(l10n.language) if group else "?"
        lines.append(
            f"{l10n.number(n)}. {STATUS_ICONS[action.status]} {escape(due)} — "
            f"{escape(short(action.fields.activity, 90))} (<i>{escape(name)}</i>)"
        )
    if len(actions) > LISTED:
        more = len(actions) - LISTED
        lines.append(escape(l10n.gettext("… and {count} more").format(count=l10n.number(more))))
    buttons = [
        InlineKeyboardButton(l10n.number(n), callback_data=StrategyCard(a.id, 0).pack())
        for n, a in enumerate(shown, start=1)
    ]
    rows = [buttons[i : i + PER_ROW] for i in range(0, len(buttons), PER_ROW)]
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def on_serving(press: Press[ServingActions], context: BotContext) -> None:
    """The card's [📋 Actions (N)]: a new message listing the actions that serve it; guests get
    the polite refusal /strategy gives them."""
    services, l10n = context.services, press.l10n
    rec = services.catalog.by_id.get(press.data.rec)
    if rec is None:
        await press.query.answer(
            l10n.gettext("This recommendation is no longer available. Please search again."),
            show_alert=True,
        )
        return
    try:
        actions = await services.strategies.serving(press.user.id, rec.id)
    except NotAllowed:
        await press.query.answer(refusal_text(l10n, Refusal.MEMBERS_ONLY), show_alert=True)
        return
    await press.query.answer()
    if not actions:
        text = l10n.gettext("No action in the strategies serves {number} any more.").format(
            number=rec.number
        )
        await press.message.reply_text(escape(text), do_quote=False)
        return
    groups = {g.id: g for g in await services.coalition.working_groups()}
    text, markup = serving_list(l10n, rec, actions, groups)
    await press.message.reply_text(text, reply_markup=markup, do_quote=False)
