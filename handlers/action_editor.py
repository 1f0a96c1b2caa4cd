"""Coordinators add and edit an action in their private chat, one step at a time: the prompt of
each step, the organisations and working-group buttons, the summary with Save, the card redrawn.
The rules and the draft are the domain's (`Strategies`, bot/domain/action_flow.py)."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.domain.action_flow import (
    ATTRIBUTES,
    EDITABLE,
    LABELS,
    Choice,
    FlowDraft,
    Progress,
    Stage,
    Step,
)
from bot.domain.audit import zone_name
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.strategy import ActionDraft, UnknownAction
from bot.domain.timeframes import PHNOM_PENH, ReadTimeframe, Timeframe
from handlers import broadcasts, milestones, nudges, round_admin
from handlers.access import Press
from handlers.callbacks import (
    ActionAdd,
    ActionEdit,
    ActionField,
    ActionPage,
    ActionStep,
    StrategyCard,
)
from handlers.commands import N_
from handlers.common import BotContext, not_allowed, reader, translate_stops
from handlers.lookup import edit
from handlers.nudges import short
from handlers.render import escape, page_of, paged_buttons
from handlers.strategy import ON_CARD, card_view, field_label

_ASK = {
    Step.RECOMMENDATIONS: N_(
        "Send the recommendation numbers this action serves, like 118.6, 118.10-118.12 "
        "(cycle {cycle}; write c3 118.6 for another cycle)."
    ),
    Step.ACTIVITY: N_("Send the CSO action or activity, in a sentence or two."),
    Step.TIMEFRAME: N_(
        "Send the timeframe as you would write it, in English or Khmer: 31 March 2027, "
        "Q2 2027, Jan–Jun 2027, short-term, before the next review, every quarter…"
    ),
    Step.OTHER_MECHANISMS: N_(
        "Send the corresponding recommendations of other UN mechanisms (treaty bodies, "
        "special procedures)."
    ),
    Step.SDG_TARGETS: N_("Send the SDG targets, like 16.3, 5.2."),
    Step.INDICATOR: N_("Send the indicator that will show progress."),
    Step.RESOURCES: N_("Send the resources needed."),
    Step.PARTNERS: N_("Send the potential partners."),
    Step.RISKS: N_("Send the risks, each with its response."),
}


def _label(l10n: Localizer, step: Step) -> str:
    return l10n.gettext(LABELS[step])


def _cancel(draft: FlowDraft, l10n: Localizer) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        "✖ " + l10n.gettext("Cancel"), callback_data=ActionStep(draft.id, Choice.CANCEL).pack()
    )


def _current_value(l10n: Localizer, draft: FlowDraft) -> str:
    if draft.adding:
        return ""
    value = str(getattr(draft.values, ATTRIBUTES[draft.step], ""))
    now = value or l10n.gettext("(empty)")
    return l10n.gettext("Now: {value}").format(value=short(now, 600))


def _heading(l10n: Localizer, draft: FlowDraft) -> str:
    number, total = draft.position
    if draft.adding:
        return l10n.gettext("➕ New action, step {number} of {total}: {field}").format(
            number=l10n.number(number), total=l10n.number(total), field=_label(l10n, draft.step)
        )
    return l10n.gettext("✏️ Change: {field}").format(field=_label(l10n, draft.step))


def understood_text(l10n: Localizer, read: ReadTimeframe) -> str:
    """How a timeframe was read, in the reader's language (or why it could not be)."""
    if isinstance(read, Timeframe):
        if read.start_day == read.due_day:
            return l10n.gettext("I read it as: due {due} ({zone}).").format(
                due=l10n.date(read.due_day), zone=zone_name(l10n, PHNOM_PENH)
            )
        return l10n.gettext("I read it as: from {start}, due {due} ({zone}).").format(
            start=l10n.date(read.start_day),
            due=l10n.date(read.due_day),
            zone=zone_name(l10n, PHNOM_PENH),
        )
    reason = l10n.message(read.reason, read.values)
    return l10n.gettext(
        "⚠️ I cannot read this timeframe: {reason} I keep the words as written; there are no "
        "nudges for it until a coordinator corrects it."
    ).format(reason=reason)


async def _show(
    message: Message, progress: Progress, l10n: Localizer, context: BotContext, user_id: int
) -> None:
    """Send what comes next: the step's prompt, the buttons, the summary or the saved card."""
    services = context.services
    draft = progress.draft
    if progress.understood is not None:
        await message.reply_text(escape(understood_text(l10n, progress.understood)))
    if progress.stage is Stage.SAVED and progress.action is not None:
        done = (
            l10n.gettext("✅ Action added.")
            if progress.edited is None
            else l10n.gettext("✅ {field} changed.").format(field=_label(l10n, progress.edited))
        )
        await message.reply_text(escape(done))
        text, markup = await card_view(context, l10n, user_id, progress.action, 0, True)
        await message.reply_text(text, reply_markup=markup, do_quote=False)
        return
    if progress.stage is Stage.CANCELLED:
        await message.reply_text(escape(l10n.gettext("Cancelled: nothing was changed.")))
        return
    if draft is None or progress.stage is Stage.GONE:
        await message.reply_text(escape(_gone(l10n)))
        return
    if progress.stage is Stage.ASK:
        lines = [f"<b>{escape(_heading(l10n, draft))}</b>"]
        current = _current_value(l10n, draft)
        if current:
            lines.append(escape(current))
        question = _ASK[draft.step]
        if draft.step is Step.RECOMMENDATIONS and not draft.adding:  # an action keeps its cycle
            question = N_(
                "Send the recommendation numbers this action serves, like 118.6, 118.10-118.12 "
                "(cycle {cycle})."
            )
        ask = l10n.gettext(question).format(cycle=l10n.number(draft.values.cycle))
        if draft.adding and draft.step.optional:
            ask += " " + l10n.gettext("Or tap ⏭ Skip.")
        if not draft.adding:
            ask += " " + l10n.gettext(
                "Send it as a reply to this message: any other message is read as a search."
            )
        lines.append(escape(ask))
        row = [_cancel(draft, l10n)]
        if (
            not draft.adding
            and draft.step.optional
            and getattr(draft.values, ATTRIBUTES[draft.step])
        ):
            row.insert(
                0,
                InlineKeyboardButton(
                    "🗑 " + l10n.gettext("Clear"),
                    callback_data=ActionStep(draft.id, Choice.CLEAR).pack(),
                ),
            )
        if draft.adding and draft.step.optional:
            row.insert(
                0,
                InlineKeyboardButton(
                    "⏭ " + l10n.gettext("Skip"),
                    callback_data=ActionStep(draft.id, Choice.SKIP).pack(),
                ),
            )
        # A step answered by typing is the newest prompt: a waiting /translate stops, and says so.
        stopped = await translate_stops(l10n, services, user_id)
        prompt = await message.reply_text(
            "\n".join(lines) + stopped, reply_markup=InlineKeyboardMarkup([row]), do_quote=False
        )
        await services.strategies.prompted(user_id, draft.id, prompt.message_id)
        return
    text, markup = await _choices(l10n, draft, context)
    await message.reply_text(text, reply_markup=markup, do_quote=False)


ORGANISATIONS_PER_PAGE = 30
GROUPS_PER_PAGE = 20


async def _choices(
    l10n: Localizer, draft: FlowDraft, context: BotContext, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The organisations (tap to choose, Done), the working groups, or the summary (Save);
    organisations and groups a page at a time (◀ ▶)."""
    services = context.services
    if draft.step is Step.ORGANISATIONS:
        chosen = draft.values.organisation_ids
        organisations = [  # an inactive one already responsible can still be taken off
            o for o in await services.strategies.organisations() if o.active or o.id in chosen
        ]
        page = page_of(organisations, page, ORGANISATIONS_PER_PAGE)[1]
        buttons = [
            InlineKeyboardButton(
                ("✅ " if o.id in chosen else "") + o.short_name,
                callback_data=ActionStep(draft.id, Choice.ORGANISATION, o.id, page or None).pack(),
            )
            for o in organisations
        ]
        rows = paged_buttons(
            l10n,
            buttons,
            page,
            lambda to: ActionPage(draft.id, to),
            size=ORGANISATIONS_PER_PAGE,
            width=3,
        )
        rows.append(
            [
                InlineKeyboardButton(
                    "✔ " + l10n.gettext("Done"),
                    callback_data=ActionStep(draft.id, Choice.DONE).pack(),
                ),
                _cancel(draft, l10n),
            ]
        )
        text = "\n".join(
            [
                f"<b>{escape(_heading(l10n, draft))}</b>",
                escape(
                    l10n.gettext("Tap the organisations responsible for this action, then ✔ Done.")
                ),
            ]
        )
        return text, InlineKeyboardMarkup(rows)
    if draft.step is Step.GROUP:
        groups = await services.coalition.working_groups()
        buttons = [
            InlineKeyboardButton(
                ("✅ " if g.id == draft.values.working_group_id else "") + g.name(l10n.language),
                callback_data=ActionStep(draft.id, Choice.GROUP, g.id).pack(),
            )
            for g in groups
        ]
        rows = paged_buttons(
            l10n, buttons, page, lambda to: ActionPage(draft.id, to), size=GROUPS_PER_PAGE
        )
        rows.append([_cancel(draft, l10n)])
        text = "\n".join(
            [
                f"<b>{escape(_heading(l10n, draft))}</b>",
                escape(l10n.gettext("Which working group does this action belong to?")),
            ]
        )
        return text, InlineKeyboardMarkup(rows)
    rows = [
        [
            InlineKeyboardButton(
                "💾 " + l10n.gettext("Save"),
                callback_data=ActionStep(draft.id, Choice.SAVE).pack(),
            ),
            _cancel(draft, l10n),
        ]
    ]
    return await _summary(l10n, draft.values, context), InlineKeyboardMarkup(rows)


async def _summary(l10n: Localizer, values: ActionDraft, context: BotContext) -> str:
    """A new action as it will be saved."""
    services = context.services
    organisations = {o.id: o.short_name for o in await services.strategies.organisations()}
    group = next(
        (g for g in await services.coalition.working_groups() if g.id == values.working_group_id),
        None,
    )
    rows = [
        (step, str(getattr(values, ATTRIBUTES[step])))
        for step in EDITABLE
        if step.typed and step is not Step.ACTIVITY
    ]
    names = ", ".join(organisations.get(o, "?") for o in values.organisation_ids)
    lines = [
        "<b>" + escape(l10n.gettext("➕ The new action, to save:")) + "</b>",
        f"<b>{escape(short(values.activity, ON_CARD))}</b>",
        escape(group.name(l10n.language) if group else ""),
        escape(l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(values.cycle))),
        "",
    ]
    lines += [
        f"<b>{escape(field_label(l10n, _label(l10n, s)))}</b> {escape(short(v, ON_CARD))}"
        for s, v in rows
        if v
    ]
    if names:
        organisations_label = escape(field_label(l10n, _label(l10n, Step.ORGANISATIONS)))
        lines.append(f"<b>{organisations_label}</b> {escape(short(names, ON_CARD))}")
    return "\n".join(lines)


def _gone(l10n: Localizer) -> str:
    return l10n.gettext(
        "This is no longer being edited (saved, cancelled, or more than a day old). "
        "Start again from /strategy."
    )


async def on_edit(press: Press[ActionEdit], context: BotContext) -> None:
    """✏️ Edit: the card's buttons become the fields to choose from."""
    l10n = press.l10n
    rows = [
        [
            InlineKeyboardButton(
                _label(l10n, step), callback_data=ActionField(press.data.action, step).pack()
            )
        ]
        for step in EDITABLE
    ]
    rows.append(
        [
            InlineKeyboardButton(
                "◀ " + l10n.gettext("Back"),
                callback_data=StrategyCard(press.data.action, press.data.page).pack(),
            )
        ]
    )
    await press.query.answer(l10n.gettext("Which field?"))
    await edit(press.message, press.message.text_html, InlineKeyboardMarkup(rows))


async def on_field(press: Press[ActionField], context: BotContext) -> None:
    """A field to change: its prompt (typed) or its buttons."""
    services, l10n = context.services, press.l10n
    try:
        progress = await services.strategies.start_editing(
            press.user.id,
            press.message.chat.id,
            press.data.action,
            press.data.step,
            services.catalog,
        )
    except UnknownAction:
        await press.query.answer(l10n.gettext("This action no longer exists."), show_alert=True)
        return
    await press.query.answer()
    await _show(press.message, progress, l10n, context, press.user.id)


async def on_add(press: Press[ActionAdd], context: BotContext) -> None:
    """➕ Add action: the first step."""
    services, l10n = context.services, press.l10n
    progress = await services.strategies.start_adding(
        press.user.id, press.message.chat.id, press.data.group, services.catalog
    )
    await press.query.answer()
    await _show(press.message, progress, l10n, context, press.user.id)


async def on_step(press: Press[ActionStep], context: BotContext) -> None:
    """Skip, an organisation, Done, a working group, Save or Cancel."""
    services, l10n, data = context.services, press.l10n, press.data
    progress = await services.strategies.press_step(
        press.user.id, data.draft, data.choice, data.value, services.catalog
    )
    if progress.problem is not None:
        text = l10n.message(progress.problem, progress.values)
        await press.query.answer(text, show_alert=True)
        return
    if progress.stage is Stage.GONE:
        await press.query.answer(_gone(l10n), show_alert=True)
        return
    await press.query.answer()
    if data.choice is Choice.ORGANISATION and progress.draft is not None:  # in place
        await edit(press.message, *await _choices(l10n, progress.draft, context, data.page or 0))
        return
    with contextlib.suppress(BadRequest):  # this step is answered: its buttons go
        await edit(press.message, press.message.text_html, None)
    await _show(press.message, progress, l10n, context, press.user.id)


async def on_page(press: Press[ActionPage], context: BotContext) -> None:
    """◀ ▶ under the organisations or working groups to choose: that page of them."""
    l10n = press.l10n
    draft = await context.services.strategies.draft(press.user.id, press.data.draft)
    if draft is None or draft.step not in (Step.ORGANISATIONS, Step.GROUP):
        await press.query.answer(_gone(l10n), show_alert=True)
        return
    await press.query.answer()
    await edit(press.message, *await _choices(l10n, draft, context, press.data.page))


async def answer(update: Update, context: BotContext, prompt_id: int | None) -> bool:
    """A typed answer to the step asked (a reply to its prompt, or a plain private message
    soon after it); False when no step waits for this message."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return False
    services = context.services
    try:
        progress = await services.strategies.answer_step(
            user.id, message.chat.id, prompt_id, message.text, services.catalog
        )
    except NotAllowed:
        await message.reply_text(escape(not_allowed(await reader(update, context))))
        return True
    if progress is None:
        return False
    l10n = await reader(update, context)
    if progress.problem is not None:
        text = l10n.message(progress.problem, progress.values)
        await message.reply_text(
            escape(text + " " + l10n.gettext("Please send it again (or tap ✖ Cancel)."))
        )
        return True
    await _show(message, progress, l10n, context, user.id)
    return True


async def on_reply(update: Update, context: BotContext) -> None:
    """A reply to a milestone's or an action step's prompt; other replies go on to the
    nudges' prompts (and from there to the lists and the rounds)."""
    message = update.effective_message
    reply = message.reply_to_message if message is not None else None
    if reply is not None and await milestones.on_date(update, context, reply.message_id):
        return
    if await round_admin.on_guide_text(update, context):  # a round's date or name, asked
        return
    if reply is not None and await answer(update, context, reply.message_id):
        return
    await nudges.on_reply(update, context)


async def on_private_text(update: Update, context: BotContext) -> None:
    """A plain private message: the answer to the step just asked (unless a broadcast being
    composed waits for it), else what any private message is (a look-up)."""
    user = update.effective_user
    composing = user is None or await context.services.broadcasts.pending_input(user.id)
    if not composing and await answer(update, context, None):
        return
    if not composing and await round_admin.on_guide_text(update, context):
        return
    await broadcasts.on_private_message(update, context)
