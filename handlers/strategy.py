"""/strategy: a working group's actions by due date (paged), each action's card, and the
coordinators' counts per working group."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot.domain.i18n import Localizer
from bot.domain.membership import Organisation, WorkingGroup
from bot.domain.nudges import Answer
from bot.domain.strategy import Action, ActionStatus, StrategyCounts, UnknownAction
from bot.domain.timeframes import Timeframe, local_day
from handlers.access import Press
from handlers.callbacks import NudgeAnswer, StrategyCard, StrategyPage
from handlers.common import BotContext, answering_not_allowed, thread_of
from handlers.lookup import edit
from handlers.nudges import ANSWER_LABELS, STATUS_ICONS, short, status_label
from handlers.render import escape
from handlers.round_cards import not_linked

PAGE = 8
HISTORY = 5


def _due(l10n: Localizer, action: Action) -> str:
    return l10n.date(local_day(action.due)) if action.due else "—"


def _list(
    l10n: Localizer, group: WorkingGroup, actions: tuple[Action, ...], page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = max(1, -(-len(actions) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = actions[page * PAGE : (page + 1) * PAGE]
    lines = [f"<b>{escape(group.name(l10n.language))}</b>"]
    if not actions:
        lines.append(
            escape(l10n.gettext("This working group has no actions in its strategy yet."))
        )
        return "\n".join(lines), None
    lines.append(
        escape(
            l10n.ngettext(
                "{count} action, by due date. Tap a number for its card.",
                "{count} actions, by due date. Tap a number for its card.",
                len(actions),
            ).format(count=len(actions))
        )
    )
    lines.append("")
    for n, action in enumerate(shown, start=page * PAGE + 1):
        lines.append(
            f"{n}. {STATUS_ICONS[action.status]} {escape(_due(l10n, action))} — "
            f"{escape(short(action.fields.activity, 90))}"
        )
    numbers = [
        InlineKeyboardButton(str(n), callback_data=StrategyCard(a.id, page).pack())
        for n, a in enumerate(shown, start=page * PAGE + 1)
    ]
    rows = [numbers[:4], numbers[4:]]
    turn = []
    if page > 0:
        turn.append(
            InlineKeyboardButton("◀", callback_data=StrategyPage(group.id, page - 1).pack())
        )
    if page + 1 < pages:
        turn.append(
            InlineKeyboardButton("▶", callback_data=StrategyPage(group.id, page + 1).pack())
        )
    if pages > 1:
        lines.append("")
        lines.append(
            escape(l10n.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))
        )
    return "\n".join(lines), InlineKeyboardMarkup([r for r in [*rows, turn] if r])


def _counts_line(l10n: Localizer, group: WorkingGroup, counts: StrategyCounts) -> str:
    parts = [
        f"{STATUS_ICONS[status]} {counts.by_status[status]}"
        for status in ActionStatus
        if counts.by_status.get(status)
    ]
    if counts.overdue:
        parts.append(l10n.gettext("overdue: {count}").format(count=counts.overdue))
    detail = " · ".join(parts) if parts else l10n.gettext("no actions")
    return f"<b>{escape(group.name(l10n.language))}</b>: {escape(detail)}"


@answering_not_allowed
async def strategy(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/strategy: in a linked group chat, that group's actions; in private, choose the group
    (coordinators also see counts per working group)."""
    services = context.services
    if message.chat.type == "private":
        overview = await services.strategies.overview(user.id)
        groups = await services.coalition.working_groups()
        lines = [escape(l10n.gettext("Which working group's action strategy?"))]
        if overview is not None:
            lines += ["", *(_counts_line(l10n, g, overview[g.id]) for g in groups)]
        rows = [
            [
                InlineKeyboardButton(
                    g.name(l10n.language), callback_data=StrategyPage(g.id, 0).pack()
                )
            ]
            for g in groups
        ]
        await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))
        return
    group_id = await services.coalition.linked_group(message.chat.id, thread_of(message))
    if group_id is None:
        await message.reply_text(escape(not_linked(l10n)))
        return
    group = next(g for g in await services.coalition.working_groups() if g.id == group_id)
    actions = (await services.strategies.for_group(group_id)).actions
    text, markup = _list(l10n, group, actions, 0)
    await message.reply_text(text, reply_markup=markup)


async def on_page(press: Press[StrategyPage], context: BotContext) -> None:
    """A page of a working group's actions (or back to it from a card)."""
    services = context.services
    group = next(
        (g for g in await services.coalition.working_groups() if g.id == press.data.group), None
    )
    if group is None:
        await press.query.answer(press.l10n.gettext("There is no such working group."))
        return
    actions = (await services.strategies.for_group(group.id)).actions
    await press.query.answer()
    await edit(press.message, *_list(press.l10n, group, actions, press.data.page))


def card_text(
    l10n: Localizer,
    action: Action,
    group: WorkingGroup | None,
    organisations: dict[int, Organisation],
    numbers: list[str],
) -> str:
    """An action's card: every field, the responsible organisations, the timeframe as read in
    the reader's language, and the latest status changes."""
    fields = action.fields
    timeframe = fields.timeframe
    if isinstance(timeframe, Timeframe):
        read = l10n.gettext("{start} to {due}").format(
            start=l10n.date(timeframe.start_day), due=l10n.date(timeframe.due_day)
        )
    else:
        read = l10n.gettext(timeframe.reason).format(**timeframe.values)
    rows = [
        (l10n.gettext("Recommendations"), ", ".join(numbers)),
        (l10n.gettext("Other mechanisms"), fields.other_mechanisms),
        (l10n.gettext("SDG targets"), fields.sdg_targets),
        (l10n.gettext("Indicator"), fields.indicator),
        (l10n.gettext("Resources"), fields.resources),
        (l10n.gettext("Partners"), fields.partners),
        (l10n.gettext("Timeframe"), f"{timeframe.original} ({read})"),
        (l10n.gettext("Risks and responses"), fields.risks),
        (
            l10n.gettext("Responsible organisations"),
            ", ".join(
                organisations[o].short_name for o in fields.organisation_ids if o in organisations
            ),
        ),
        (l10n.gettext("Status"), status_label(l10n, action.status)),
    ]
    lines = [f"<b>{escape(fields.activity)}</b>"]
    if group is not None:
        lines.append(escape(group.name(l10n.language)))
    lines.append("")
    lines += [f"<b>{escape(k)}:</b> {escape(v)}" for k, v in rows if v]
    if action.history:
        lines += ["", "<b>" + escape(l10n.gettext("History")) + "</b>"]
        for change in action.history[-HISTORY:]:
            note = f" — {change.note}" if change.note else ""
            lines.append(
                escape(f"{l10n.date(local_day(change.at))}: {status_label(l10n, change.status)}")
                + escape(note)
            )
    return "\n".join(lines)


async def on_card(press: Press[StrategyCard], context: BotContext) -> None:
    """An action's card, with the status buttons for those who may change it."""
    services, l10n = context.services, press.l10n
    try:
        action = await services.strategies.action(press.data.action)
    except UnknownAction:
        await press.query.answer(l10n.gettext("This action no longer exists."), show_alert=True)
        return
    groups = {g.id: g for g in await services.coalition.working_groups()}
    organisations = {o.id: o for o in await services.strategies.organisations()}
    catalog = services.catalog
    numbers = [
        str(catalog.by_id[r].number)
        for r in action.fields.recommendation_ids
        if r in catalog.by_id
    ]
    text = card_text(
        l10n, action, groups.get(action.fields.working_group_id), organisations, numbers
    )
    rows: list[list[InlineKeyboardButton]] = []
    if await services.strategies.may_change_status(press.user.id, action):
        buttons = [
            InlineKeyboardButton(
                f"{icon} {l10n.gettext(label)}",
                callback_data=NudgeAnswer(answer, action.id).pack(),
            )
            for answer, (icon, label) in ANSWER_LABELS.items()
            if not (answer is Answer.DONE and action.status is ActionStatus.DONE)
        ]
        rows += [buttons[:2], buttons[2:]]
    rows.append(
        [
            InlineKeyboardButton(
                "◀ " + l10n.gettext("All actions"),
                callback_data=StrategyPage(action.fields.working_group_id, press.data.page).pack(),
            )
        ]
    )
    await press.query.answer()
    await edit(press.message, text, InlineKeyboardMarkup([r for r in rows if r]))
