"""Nudges about actions' timeframes: the sweep job, the messages in each reader's language, the
answer buttons (✅ ⏳ ⛔ 📅) and the replies that add a note or a new date."""

from __future__ import annotations

import contextlib
import datetime as dt

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest

from bot.domain.access import Refusal
from bot.domain.i18n import Localizer, Translations
from bot.domain.membership import NotAllowed
from bot.domain.nudges import (
    Answer,
    Answered,
    Digest,
    NudgeItem,
    Purpose,
    Renderer,
    Reported,
    Summary,
)
from bot.domain.outbox import Button, Content
from bot.domain.strategy import (
    STATUS_LABELS,
    Action,
    ActionStatus,
    StatusChange,
    UnknownAction,
)
from bot.domain.timeframes import Kind, local_day
from handlers import group_lists
from handlers.access import Press, refusal_text
from handlers.callbacks import NudgeAnswer
from handlers.commands import N_
from handlers.common import BotContext, reader
from handlers.render import escape

SHOWN = 200  # characters of an action's activity shown in a nudge or a summary line
LISTED = 10  # actions listed per section of the weekly summary

STATUS_ICONS = {
    ActionStatus.NOT_STARTED: "⚪",
    ActionStatus.IN_PROGRESS: "⏳",
    ActionStatus.DONE: "✅",
    ActionStatus.BLOCKED: "⛔",
    ActionStatus.DROPPED: "✖️",
}
ANSWER_LABELS = {
    Answer.DONE: ("✅", N_("Done")),
    Answer.IN_PROGRESS: ("⏳", N_("In progress")),
    Answer.BLOCKED: ("⛔", N_("Blocked")),
    Answer.NEW_DATE: ("📅", N_("New date")),
}


def short(text: str, limit: int = SHOWN) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def status_label(l10n: Localizer, status: ActionStatus) -> str:
    """An action's status with its icon, in the reader's language."""
    return f"{STATUS_ICONS[status]} {l10n.gettext(STATUS_LABELS[status])}"


def day_number(day: dt.date) -> int:
    """A day as a button carries it: YYYYMMDD."""
    return day.year * 10000 + day.month * 100 + day.day


def number_day(number: int | None) -> dt.date | None:
    """The day a button carries (None: none, or not a day)."""
    if number is None:
        return None
    try:
        return dt.date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def _when(l10n: Localizer, item: NudgeItem, today: dt.date) -> str:
    due = item.occurrence
    days = (due - today).days
    if days == 0:  # a caught-up nudge says how late it is now, whatever its kind
        return l10n.gettext("Due today ({date}).").format(date=l10n.date(due))
    if days > 0:
        return l10n.ngettext(
            "Due in {days} day, on {date}.", "Due in {days} days, on {date}.", days
        ).format(days=l10n.number(days), date=l10n.date(due))
    return l10n.ngettext(
        "Overdue by {days} day (due {date}).", "Overdue by {days} days (due {date}).", -days
    ).format(days=l10n.number(-days), date=l10n.date(due))


class NudgeRenderer(Renderer):
    """Nudge messages and weekly summaries in HTML, in each recipient's language."""

    def __init__(self, translations: Translations) -> None:
        """Use the bot's catalogs."""
        self.translations = translations

    def digest(self, digest: Digest) -> Content:
        """One nudge message: the actions, each with its answer buttons."""
        l10n = self.translations.localizer(digest.recipient.language or None)
        single = len(digest.items) == 1
        if digest.recipient.working_group_id is not None:
            head = l10n.gettext("⏰ <b>Action strategy: {group}</b>").format(
                group=escape(digest.items[0].group.name(l10n.language))
            )
        else:
            head = l10n.gettext("⏰ <b>Your organisation's actions</b>")
        lines = [head, ""]
        rows: list[tuple[Button, ...]] = []
        for n, item in enumerate(digest.items, start=1):
            number = "" if single else f"{l10n.number(n)}. "
            lines.append(f"{number}<b>{escape(short(item.action.activity))}</b>")
            lines.append(
                f"{escape(_when(l10n, item, digest.today))} "
                f"{escape(status_label(l10n, item.action.status))}"
            )
            if digest.recipient.working_group_id is None:
                lines.append(escape(item.group.name(l10n.language)))
            lines.append("")
            buttons = []
            recurring = item.action.kind is Kind.RECURRING
            occurrence = day_number(item.occurrence) if recurring else None
            for answer, (icon, label) in ANSWER_LABELS.items():
                text = f"{icon} {l10n.gettext(label)}" if single else f"{icon} {l10n.number(n)}"
                payload = NudgeAnswer(answer, item.action.id, occurrence)
                buttons.append(Button(text, payload.pack()))
            rows.extend([tuple(buttons[:2]), tuple(buttons[2:])] if single else [tuple(buttons)])
        lines.append(
            l10n.gettext(
                "Tap a button to answer: ✅ done, ⏳ in progress, ⛔ blocked or 📅 a new date. "
                "Only the responsible organisations and coordinators can answer."
            )
        )
        return Content("\n".join(lines), buttons=tuple(rows))

    def summary(self, summary: Summary, language: str) -> Content:
        """The coordinators' weekly summary."""
        l10n = self.translations.localizer(language or None)

        def line(action: Action, extra: str = "") -> str:
            group = summary.groups.get(action.fields.working_group_id)
            name = group.name(l10n.language) if group else "?"
            text = f"• {escape(short(action.fields.activity, 80))} ({escape(name)})"
            return f"{text} — {extra}" if extra else text

        def section(title: str, entries: list[str]) -> list[str]:
            if not entries:
                return []
            more = len(entries) - LISTED
            shown = entries[:LISTED]
            if more > 0:
                shown.append(l10n.gettext("… and {count} more").format(count=l10n.number(more)))
            return ["", f"<b>{escape(title)}</b> ({l10n.number(len(entries))})", *shown]

        def due_text(action: Action) -> str:
            day = action.due_from(summary.week)
            return l10n.date(day) if day else ""

        def note(action: Action) -> str:
            notes = [c.note for c in action.history if c.note]
            return escape(short(notes[-1], 120)) if notes else ""

        def reported(answer: Reported) -> str:
            change = answer.change
            status = escape(change_label(l10n, change))
            if change.note:
                status = l10n.gettext("{status}: {note}").format(
                    status=status, note=escape(short(change.note, 120))
                )
            return l10n.gettext("{status} — {name}, {date}").format(
                status=status, name=escape(answer.who), date=l10n.date(local_day(change.at))
            )

        lines = [
            l10n.gettext("📋 <b>Action strategies: the week of {date}</b>").format(
                date=l10n.date(summary.week)
            )
        ]
        lines += section(
            l10n.gettext("Due this week"), [line(a, due_text(a)) for a in summary.due_this_week]
        )
        lines += section(
            l10n.gettext("Overdue"),
            [
                line(
                    o.action,
                    l10n.ngettext("{days} day", "{days} days", o.days).format(
                        days=l10n.number(o.days)
                    ),
                )
                for o in summary.overdue
            ],
        )
        lines += section(l10n.gettext("Blocked"), [line(a, note(a)) for a in summary.blocked])
        lines += section(
            l10n.gettext("Answers since last week"),
            [line(r.action, reported(r)) for r in summary.answers],
        )
        lines += section(
            l10n.gettext("Nudged, no answer yet"), [line(a) for a in summary.unanswered]
        )
        lines += section(
            l10n.gettext("Nobody to nudge (no linked chat, no active responsible organisation)"),
            [line(a) for a in summary.not_nudged],
        )
        lines += section(
            l10n.gettext("Ongoing (no due date to remind about)"),
            [line(a) for a in summary.ongoing],
        )
        if summary.unreadable:
            lines += [
                "",
                l10n.ngettext(
                    "{count} action has a timeframe the bot cannot read: no nudges for it.",
                    "{count} actions have a timeframe the bot cannot read: no nudges for them.",
                    summary.unreadable,
                ).format(count=l10n.number(summary.unreadable)),
            ]
        if len(lines) == 1:
            lines += ["", l10n.gettext("Nothing due, overdue or blocked this week.")]
        return Content("\n".join(lines))


async def sweep(context: BotContext) -> None:
    """Job: send the nudges and the weekly summary whose time has come (an idempotent sweep)."""
    services = context.services
    await services.nudges.sweep(NudgeRenderer(services.translations))


def change_label(l10n: Localizer, change: StatusChange) -> str:
    """A status change as its history shows it ('✅ done for March 31, 2026' for one
    occurrence of a recurring action)."""
    label = status_label(l10n, change.status)
    if change.occurrence is None:
        return label
    return l10n.gettext("{status} for {date}").format(
        status=label, date=l10n.date(change.occurrence)
    )


def answered_status(l10n: Localizer, action: Action, occurrence: dt.date | None) -> str:
    """The status an answer recorded: the action's, or one occurrence of it done."""
    if occurrence is None:
        return status_label(l10n, action.status)
    return l10n.gettext("{status} for {date}").format(
        status=status_label(l10n, ActionStatus.DONE), date=l10n.date(occurrence)
    )


def _answer_line(l10n: Localizer, action: Action, who: str, occurrence: dt.date | None) -> str:
    change = action.history[-1] if action.history else None
    when = l10n.date(local_day(change.at)) if change else ""
    return l10n.gettext("{status} — {activity}: {name}, {date}").format(
        status=escape(answered_status(l10n, action, occurrence)),
        activity=escape(short(action.fields.activity, 80)),
        name=escape(who),
        date=when,
    )


def _without(message: Message, action_id: int) -> InlineKeyboardMarkup | None:
    """The message's buttons without those of one action (None when none are left)."""
    rows = [
        [b for b in row if not _is_for(b.callback_data, action_id)]
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


def _is_for(data: object, action_id: int) -> bool:
    if not isinstance(data, str):
        return False
    try:
        return NudgeAnswer.unpack(data).action == action_id
    except ValueError:
        return False


async def on_answer(press: Press[NudgeAnswer], context: BotContext) -> None:
    """A nudge's button: record the answer, show it on the nudge, offer to add a note (or ask
    for the new date)."""
    outcome = await record(press, context)
    if outcome is None:
        return
    message = press.message
    if outcome.recorded:
        chat_l10n = await _chat_localizer(message, context)
        who = press.user.full_name or ""
        line = _answer_line(chat_l10n, outcome.action, who, outcome.occurrence)
        with contextlib.suppress(BadRequest):  # an old message: the answer is recorded anyway
            await message.edit_text(
                f"{message.text_html}\n\n{line}",
                reply_markup=_without(message, outcome.action.id),
            )
    await follow_up(press, context, outcome)


async def record(press: Press[NudgeAnswer], context: BotContext) -> Answered | None:
    """A status button's answer recorded, and the press answered; None when it was refused
    or the action is closed or gone (the presser was told why)."""
    l10n, services = press.l10n, context.services
    try:
        outcome = await services.nudges.answer(
            press.user.id,
            press.data.action,
            press.data.answer,
            number_day(press.data.occurrence),
        )
    except NotAllowed:
        await press.query.answer(refusal_text(l10n, Refusal.RESPONSIBLE_ONLY), show_alert=True)
        return None
    except UnknownAction:
        await press.query.answer(l10n.gettext("This action no longer exists."), show_alert=True)
        return None
    if outcome.closed:
        text = l10n.gettext(
            "This action is already {status}. A coordinator can change it from its card."
        ).format(status=status_label(l10n, outcome.action.status))
        await press.query.answer(text, show_alert=True)
        return None
    if outcome.recorded:
        await press.query.answer(answered_status(l10n, outcome.action, outcome.occurrence))
    else:
        await press.query.answer()
    return outcome


def quarter_end_after(today: dt.date) -> dt.date:
    """The first quarter's end (31 March, 30 June, 30 September, 31 December) after today: a
    date the examples in a prompt can show as still to come."""
    year, month = today.year, (today.month - 1) // 3 * 3 + 3
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > today:
            return end
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)


def reply_box(message: Message, user: User, text: str, placeholder: str) -> tuple[str, ForceReply]:
    """A question (HTML) and its reply box for the person who tapped: in a group the question
    mentions them and the box is selective, so only they get it."""
    box = ForceReply(input_field_placeholder=placeholder[:64])
    if message.chat.type == "private":
        return text, box
    mention = f'<a href="tg://user?id={user.id}">{escape(user.full_name or "…")}</a>'
    return f"{mention}: {text}", ForceReply(
        selective=True, input_field_placeholder=placeholder[:64]
    )


async def follow_up(press: Press[NudgeAnswer], context: BotContext, outcome: Answered) -> None:
    """After a status button: ask for an optional note (the answer recorded) or for the new
    date, as a reply to the bot's question."""
    l10n = press.l10n
    if outcome.recorded:
        question = l10n.gettext(
            "Recorded. To add a short note (what happened, what blocks it), reply to this "
            "message within a day."
        )
        purpose = Purpose.NOTE
        placeholder = l10n.gettext("A short note")
    else:
        day = quarter_end_after(local_day(context.services.clock.now()))
        question = l10n.gettext(
            "Reply to this message with the new date, like {day} or Q{quarter} {year}: {activity}"
        ).format(
            day=l10n.date(day),
            quarter=l10n.number(2),
            year=l10n.number(day.year + 1),
            activity=escape(short(outcome.action.fields.activity, 80)),
        )
        purpose = Purpose.DATE
        placeholder = l10n.gettext("New date")
    text, box = reply_box(press.message, press.user, question, placeholder)
    prompt = await press.message.reply_text(text, reply_markup=box, do_quote=False)
    await context.services.nudges.prompted(
        press.user.id, prompt.chat.id, prompt.message_id, outcome.action.id, purpose
    )


async def _chat_localizer(message: Message, context: BotContext) -> Localizer:
    """The language the nudge was written in: the linked chat's, or the reader's in private."""
    services = context.services
    if message.chat.type == "private":
        language = await services.language_of(message.chat.id, None)
    else:
        thread = message.message_thread_id if message.is_topic_message else 0
        language = await services.coalition.chat_language(message.chat.id, thread or 0) or ""
    return services.translations.localizer(language or None)


async def on_reply(update: Update, context: BotContext) -> None:
    """A reply to an action's prompt keeps a note or a new date; other replies go on to the
    working groups' lists (and privately to the rounds)."""
    message, user = update.effective_message, update.effective_user
    reply = message.reply_to_message if message is not None else None
    if message is None or user is None or reply is None or message.text is None:
        await group_lists.on_reply(update, context)
        return
    services = context.services
    try:
        replied = await services.nudges.reply(
            user.id, message.chat.id, reply.message_id, message.text
        )
    except NotAllowed:
        l10n = await reader(update, context)
        await message.reply_text(escape(refusal_text(l10n, Refusal.RESPONSIBLE_ONLY)))
        return
    if replied is None:
        await group_lists.on_reply(update, context)
        return
    l10n = await reader(update, context)
    if replied.problem is not None:
        text = l10n.message(replied.problem, replied.values)
        await message.reply_text(
            escape(text + " " + l10n.gettext("Reply to the question again to try once more."))
        )
        return
    if replied.purpose is Purpose.NOTE:
        await message.reply_text(escape(l10n.gettext("Note kept. Thank you.")))
        return
    due = replied.action.due
    await message.reply_text(
        escape(
            l10n.gettext("New date kept: {date}. The nudges follow it.").format(
                date=l10n.date(local_day(due)) if due else ""
            )
        )
    )
