"""/milestones: each cycle's milestones (review, adoption, mid-term, next review) in the reader's
language; coordinators correct one with buttons and a typed date, and learn how many actions'
dates moved."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.milestones import (
    Milestone,
    MilestoneDate,
    MilestoneEntry,
    MilestoneTable,
    Precision,
)
from bot.domain.strategy import WRITE_A_DATE
from bot.domain.timeframes import local_day
from handlers.access import Press
from handlers.callbacks import MilestoneButton
from handlers.commands import N_
from handlers.common import BotContext, answering_not_allowed, not_allowed, reader
from handlers.lookup import edit
from handlers.nudges import reply_box
from handlers.render import escape

NAMES = {
    Milestone.REVIEW: N_("Review"),
    Milestone.ADOPTION: N_("Adoption"),
    Milestone.MID_TERM: N_("Mid-term"),
    Milestone.NEXT_REVIEW: N_("Next review"),
}


def _when(l10n: Localizer, date: MilestoneDate) -> str:
    def one(day: dt.date) -> str:
        if date.precision is Precision.DAY:
            return l10n.date(day)
        return l10n.month(day) if date.precision is Precision.MONTH else l10n.year(day)

    text = one(date.earliest)
    if "/" in date.text:  # a span: '2024-09/2024-11', '2028/2029'
        text = l10n.gettext("{start} to {end}").format(start=text, end=one(date.latest))
    if date.around:
        text = l10n.gettext("around {date}").format(date=text)
    return text


def _line(l10n: Localizer, milestone: Milestone, entry: MilestoneEntry | None) -> str:
    name = l10n.gettext(NAMES[milestone])
    if entry is None or entry.date is None:
        return escape(l10n.gettext("{name}: not known yet").format(name=name))
    when = _when(l10n, entry.date)
    if entry.corrected_at is not None:
        day = local_day(entry.corrected_at)
        source = l10n.gettext("corrected on {date}").format(date=l10n.date(day))
    else:
        source = l10n.gettext("as shipped")
    return l10n.gettext("{name}: {date} ({source})").format(
        name=escape(name), date=f"<b>{escape(when)}</b>", source=f"<i>{escape(source)}</i>"
    )


def _table(l10n: Localizer, table: MilestoneTable, correcting: bool) -> str:
    title = l10n.gettext("Milestones of each review cycle")
    lines = [f"<b>{escape(title)}</b>"]
    for cycle, milestones in sorted(table.cycles.items()):
        heading = l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(cycle))
        lines += ["", f"<b>{escape(heading)}</b>"]
        lines += [_line(l10n, m, milestones.entries.get(m)) for m in Milestone]
    lines.append("")
    lines.append(
        escape(
            l10n.gettext(
                "Timeframes such as short-term or before the next review are read from these "
                "dates."
            )
        )
    )
    if correcting:
        lines.append(escape(l10n.gettext("To correct one, tap its cycle.")))
    return "\n".join(lines)


def _cycles(table: MilestoneTable, l10n: Localizer) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(cycle)),
            callback_data=MilestoneButton(cycle).pack(),
        )
        for cycle in sorted(table.cycles)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


@answering_not_allowed
async def milestones(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/milestones: every cycle's milestones; coordinators get a button per cycle to correct
    one."""
    table, correcting = await context.services.strategies.milestone_table(user.id)
    await message.reply_text(
        _table(l10n, table, correcting),
        reply_markup=_cycles(table, l10n) if correcting else None,
    )


async def on_button(press: Press[MilestoneButton], context: BotContext) -> None:
    """A cycle: its milestones to choose from; a milestone: the prompt for its new date."""
    services, l10n, data = context.services, press.l10n, press.data
    table, _ = await services.strategies.milestone_table(press.user.id)
    if data.cycle not in table.cycles:  # a forged or outdated button
        await press.query.answer(l10n.gettext("There is no such cycle."), show_alert=True)
        return
    if data.milestone is None:
        rows = [
            [
                InlineKeyboardButton(
                    l10n.gettext(NAMES[m]), callback_data=MilestoneButton(data.cycle, m).pack()
                )
            ]
            for m in Milestone
        ]
        await press.query.answer(l10n.gettext("Which milestone?"))
        await edit(press.message, _table(l10n, table, True), InlineKeyboardMarkup(rows))
        return
    await press.query.answer()
    entry = table.of(data.cycle).entries.get(data.milestone)
    name = l10n.gettext(NAMES[data.milestone])
    now = _when(l10n, entry.date) if entry and entry.date else l10n.gettext("not known yet")
    question = l10n.gettext(
        "Cycle {cycle}, {name} (now: {date}). Reply to this message with the date, like "
        "2027-06-30 or 30 June 2027 (a month or a year works too)."
    ).format(cycle=l10n.number(data.cycle), name=name, date=now)
    text, box = reply_box(press.message, press.user, escape(question), l10n.gettext("The date"))
    prompt = await press.message.reply_text(text, reply_markup=box, do_quote=False)
    await services.strategies.ask_milestone(
        press.user.id, prompt.chat.id, prompt.message_id, data.cycle, data.milestone
    )


async def on_date(update: Update, context: BotContext, prompt_id: int) -> bool:
    """A reply to a milestone's prompt corrects the milestone and says how many actions' dates
    moved; False when it answers no such prompt."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return False
    services = context.services
    try:
        answer = await services.strategies.answer_milestone(
            user.id, message.chat.id, prompt_id, message.text
        )
    except NotAllowed:
        await message.reply_text(escape(not_allowed(await reader(update, context))))
        return True
    if answer is None:
        return False
    l10n = await reader(update, context)
    if answer.problem is not None or answer.entry is None or answer.entry.date is None:
        problem = l10n.gettext(answer.problem or WRITE_A_DATE)
        again = l10n.gettext("Reply to the question again to try once more.")
        await message.reply_text(escape(f"{problem} {again}"))
        return True
    text = l10n.ngettext(
        "Cycle {cycle}, {name}: {date}. The dates of {count} action moved.",
        "Cycle {cycle}, {name}: {date}. The dates of {count} actions moved.",
        answer.moved,
    ).format(
        cycle=l10n.number(answer.cycle),
        name=l10n.gettext(NAMES[answer.milestone]),
        date=_when(l10n, answer.entry.date),
        count=l10n.number(answer.moved),
    )
    await message.reply_text(escape(text))
    return True
