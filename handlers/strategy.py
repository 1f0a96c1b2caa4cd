"""/strategy: a working group's actions by due date (paged), each action's card, and the
coordinators' counts per working group."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
import tempfile
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)

from bot.domain.action_flow import LABELS, Step
from bot.domain.arguments import cycle_word
from bot.domain.i18n import Localizer
from bot.domain.importer import UnreadableFile
from bot.domain.membership import Organisation, UnknownGroup, WorkingGroup
from bot.domain.nudges import Answer
from bot.domain.strategy import Action, ActionStatus, StrategyCounts, UnknownAction
from bot.domain.timeframes import Timeframe, local_day
from handlers import broadcasts, nudges, reports, translations
from handlers.access import Press
from handlers.callbacks import (
    ActionAdd,
    ActionEdit,
    ActionText,
    NudgeAnswer,
    StrategyCard,
    StrategyGroups,
    StrategyPage,
)
from handlers.common import BotContext, answering_not_allowed, not_allowed, reader, thread_of
from handlers.lookup import edit
from handlers.nudges import ANSWER_LABELS, STATUS_ICONS, change_label, short, status_label
from handlers.render import escape, page_label, page_of, split_messages, turn_row
from handlers.round_cards import not_linked

PAGE = 8
HISTORY = 5
# A card shows each field and note cut to these lengths (📄 Full text sends the rest), so even
# an action whose fields are all at their longest fits Telegram's 4096 characters.
ON_CARD = 250
NOTE_ON_CARD = 120


def _due(l10n: Localizer, action: Action, today: dt.date) -> str:
    """When it is due as of today (a recurring action: its next occurrence, as nudges say)."""
    day = action.due_from(today)
    return l10n.date(day) if day else "—"


def _list(
    l10n: Localizer,
    group: WorkingGroup,
    actions: tuple[Action, ...],
    page: int,
    today: dt.date,
    adding: bool = False,
) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = max(1, -(-len(actions) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = actions[page * PAGE : (page + 1) * PAGE]
    lines = [f"<b>{escape(group.name(l10n.language))}</b>"]
    add = [
        [
            InlineKeyboardButton(
                "➕ " + l10n.gettext("Add action"), callback_data=ActionAdd(group.id).pack()
            )
        ]
    ]
    if not actions:
        lines.append(
            escape(l10n.gettext("This working group has no actions in its strategy yet."))
        )
        return "\n".join(lines), InlineKeyboardMarkup(add) if adding else None
    lines.append(
        escape(
            l10n.ngettext(
                "{count} action, by due date. Tap a number for its card.",
                "{count} actions, by due date. Tap a number for its card.",
                len(actions),
            ).format(count=l10n.number(len(actions)))
        )
    )
    lines.append("")
    for n, action in enumerate(shown, start=page * PAGE + 1):
        lines.append(
            f"{l10n.number(n)}. {STATUS_ICONS[action.status]} {escape(_due(l10n, action, today))} — "
            f"{escape(short(action.fields.activity, 90))}"
        )
    numbers = [
        InlineKeyboardButton(l10n.number(n), callback_data=StrategyCard(a.id, page).pack())
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
        lines.append(escape(page_label(l10n, page, pages)))
    more = add if adding else []
    return "\n".join(lines), InlineKeyboardMarkup([r for r in [*rows, turn, *more] if r])


def _counts_line(l10n: Localizer, group: WorkingGroup, counts: StrategyCounts) -> str:
    parts = [
        f"{STATUS_ICONS[status]} {l10n.number(counts.by_status[status])}"
        for status in ActionStatus
        if counts.by_status.get(status)
    ]
    if counts.overdue:
        parts.append(l10n.gettext("overdue: {count}").format(count=l10n.number(counts.overdue)))
    detail = " · ".join(parts) if parts else l10n.gettext("no actions")
    return l10n.labelled(f"<b>{escape(group.name(l10n.language))}</b>", escape(detail))


@answering_not_allowed
async def strategy(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/strategy: in a linked group chat, that group's actions; in private, choose the group
    (coordinators also see counts per working group)."""
    services = context.services
    if message.chat.type == "private":
        chooser, buttons = await _chooser(l10n, context, user.id)
        await message.reply_text(chooser, reply_markup=buttons)
        return
    group_id = await services.coalition.linked_group(message.chat.id, thread_of(message))
    if group_id is None:
        await message.reply_text(escape(not_linked(l10n)))
        return
    group = next(g for g in await services.coalition.working_groups() if g.id == group_id)
    actions = (await services.strategies.for_group(group_id)).actions
    text, markup = _list(l10n, group, actions, 0, local_day(services.clock.now()))
    await message.reply_text(text, reply_markup=markup)


GROUPS_PER_PAGE = 20


async def _chooser(
    l10n: Localizer, context: BotContext, user_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """/strategy in private: a button per working group, twenty a page (◀ ▶); coordinators
    also see each one's counts."""
    services = context.services
    overview = await services.strategies.overview(user_id)
    groups, page, pages = page_of(await services.coalition.working_groups(), page, GROUPS_PER_PAGE)
    lines = [escape(l10n.gettext("Which working group's action strategy?"))]
    if overview is not None:
        lines += ["", *(_counts_line(l10n, g, overview[g.id]) for g in groups)]
    rows = [
        [InlineKeyboardButton(g.name(l10n.language), callback_data=StrategyPage(g.id, 0).pack())]
        for g in groups
    ]
    rows += turn_row(l10n, page, pages, StrategyGroups)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_groups_page(press: Press[StrategyGroups], context: BotContext) -> None:
    """◀ ▶ under /strategy's working groups."""
    await press.query.answer()
    view = await _chooser(press.l10n, context, press.user.id, press.data.page)
    await edit(press.message, *view)


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
    adding = press.message.chat.type == "private" and await services.is_coordinator(press.user.id)
    await press.query.answer()
    today = local_day(services.clock.now())
    await edit(press.message, *_list(press.l10n, group, actions, press.data.page, today, adding))


def field_label(l10n: Localizer, label: str) -> str:
    """A field's label before its value, with the reader's colon (Khmer writes ៖)."""
    return l10n.gettext("{field}:").format(field=label)


def card_text(
    l10n: Localizer,
    action: Action,
    group: WorkingGroup | None,
    organisations: dict[int, Organisation],
    numbers: list[str],
    *,
    full: bool = False,
) -> str:
    """An action's card: every field, the responsible organisations, the timeframe as read in
    the reader's language, and the latest status changes; each field and note cut short
    unless `full` (then every history entry too)."""
    fields = action.fields
    field = (lambda text: text) if full else (lambda text: short(text, ON_CARD))
    note_of = (lambda text: text) if full else (lambda text: short(text, NOTE_ON_CARD))
    timeframe = fields.timeframe
    if isinstance(timeframe, Timeframe) and timeframe.start_day == timeframe.due_day:
        read = l10n.gettext("due {due}").format(due=l10n.date(timeframe.due_day))
    elif isinstance(timeframe, Timeframe):
        read = l10n.gettext("{start} to {due}").format(
            start=l10n.date(timeframe.start_day), due=l10n.date(timeframe.due_day)
        )
    else:
        read = l10n.message(timeframe.reason, timeframe.values)
    shown = [
        (Step.RECOMMENDATIONS, ", ".join(numbers)),
        (Step.OTHER_MECHANISMS, fields.other_mechanisms),
        (Step.SDG_TARGETS, fields.sdg_targets),
        (Step.INDICATOR, fields.indicator),
        (Step.RESOURCES, fields.resources),
        (Step.PARTNERS, fields.partners),
        (Step.TIMEFRAME, f"{timeframe.original} ({read})"),
        (Step.RISKS, fields.risks),
        (
            Step.ORGANISATIONS,
            ", ".join(
                organisations[o].short_name for o in fields.organisation_ids if o in organisations
            ),
        ),
    ]
    rows = [(l10n.gettext(LABELS[step]), field(value)) for step, value in shown]
    rows.append((l10n.gettext("Status"), status_label(l10n, action.status)))
    lines = [f"<b>{escape(field(fields.activity))}</b>"]
    if group is not None:
        lines.append(escape(group.name(l10n.language)))
    lines.append("")
    lines += [f"<b>{escape(field_label(l10n, k))}</b> {escape(v)}" for k, v in rows if v]
    if action.history:
        lines += ["", "<b>" + escape(l10n.gettext("History")) + "</b>"]
        for change in action.history if full else action.history[-HISTORY:]:
            note = f" — {note_of(change.note)}" if change.note else ""
            lines.append(
                escape(l10n.labelled(l10n.date(local_day(change.at)), change_label(l10n, change)))
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
    private = press.message.chat.type == "private"
    text, markup = await card_view(context, l10n, press.user.id, action, press.data.page, private)
    await press.query.answer()
    await edit(press.message, text, markup)


async def _card(
    context: BotContext, l10n: Localizer, action: Action, *, full: bool = False
) -> str:
    services = context.services
    groups = {g.id: g for g in await services.coalition.working_groups()}
    organisations = {o.id: o for o in await services.strategies.organisations()}
    catalog = services.catalog
    numbers = [
        str(catalog.by_id[r].number)
        for r in action.fields.recommendation_ids
        if r in catalog.by_id
    ]
    group = groups.get(action.fields.working_group_id)
    return card_text(l10n, action, group, organisations, numbers, full=full)


async def on_full_text(press: Press[ActionText], context: BotContext) -> None:
    """📄 Full text under a card: every field and the whole history, uncut, as a text file."""
    l10n = press.l10n
    try:
        action = await context.services.strategies.action(press.data.action)
    except UnknownAction:
        await press.query.answer(l10n.gettext("This action no longer exists."), show_alert=True)
        return
    await press.query.answer()
    card = await _card(context, l10n, action, full=True)
    plain = html.unescape(re.sub(r"</?b>", "", card))
    document = InputFile(plain.encode(), filename=f"action-{action.id}.txt")
    await press.message.reply_document(document, do_quote=False)


def _card_page(message: Message) -> int | None:
    """The list page an action's card goes back to; None when the message is no card."""
    for row in message.reply_markup.inline_keyboard if message.reply_markup else ():
        for b in row:
            if isinstance(b.callback_data, str) and b.callback_data.startswith("sg:"):
                with contextlib.suppress(ValueError):
                    return StrategyPage.unpack(b.callback_data).page
    return None


async def on_status(press: Press[NudgeAnswer], context: BotContext) -> None:
    """A status button: under an action's card, the card is drawn again with the new status,
    its history and buttons; under a nudge, the nudge shows the answer. Then the note (or new
    date) is asked for."""
    page = _card_page(press.message)
    if page is None:
        await nudges.on_answer(press, context)
        return
    outcome = await nudges.record(press, context)
    if outcome is None:
        return
    if outcome.recorded:
        private = press.message.chat.type == "private"
        l10n, user_id = press.l10n, press.user.id
        text, markup = await card_view(context, l10n, user_id, outcome.action, page, private)
        await edit(press.message, text, markup)
    await nudges.follow_up(press, context, outcome)


async def card_view(
    context: BotContext, l10n: Localizer, user_id: int, action: Action, page: int, private: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """An action's card and its buttons: the status buttons for those who may change it,
    ✏️ Edit for coordinators in private, back to the list."""
    services = context.services
    text = await _card(context, l10n, action)
    rows: list[list[InlineKeyboardButton]] = []
    if text != await _card(context, l10n, action, full=True):
        rows.append(
            [
                InlineKeyboardButton(
                    "📄 " + l10n.gettext("Full text"), callback_data=ActionText(action.id).pack()
                )
            ]
        )
    if await services.strategies.may_change_status(user_id, action):
        buttons = [
            InlineKeyboardButton(
                f"{icon} {l10n.gettext(label)}",
                callback_data=NudgeAnswer(answer, action.id).pack(),
            )
            for answer, (icon, label) in ANSWER_LABELS.items()
            if not (answer is Answer.DONE and action.status is ActionStatus.DONE)
        ]
        rows += [buttons[:2], buttons[2:]]
    if private and await services.is_coordinator(user_id):
        rows.append(
            [
                InlineKeyboardButton(
                    "✏️ " + l10n.gettext("Edit"), callback_data=ActionEdit(action.id, page).pack()
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                "◀ " + l10n.gettext("All actions"),
                callback_data=StrategyPage(action.fields.working_group_id, page).pack(),
            )
        ]
    )
    return text, InlineKeyboardMarkup([r for r in rows if r])


MAX_UPLOAD = 5 * 1024 * 1024


def _caption(caption: str) -> tuple[str, int | None]:
    """A file's caption: the working group's name, and `c2` (`c២`, `វដ្តទី២`, `ជុំទី២`) for the
    cycle."""
    words, cycle = [], None
    for word in caption.split():
        found = cycle_word(word)
        if found is not None:
            cycle = found
        else:
            words.append(word)
    return " ".join(words), cycle


async def on_file(update: Update, context: BotContext) -> None:
    """A coordinator sends a strategy spreadsheet (CSV or XLSX) privately: its good rows are
    stored together and the bad ones reported by line; a file meant for a broadcast being
    composed goes to the composer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    services = context.services
    if await services.broadcasts.pending_input(user.id) is not None:
        await broadcasts.on_private_message(update, context)
        return
    document = message.document
    name = Path(document.file_name or "").name
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf" or document.mime_type == "application/pdf":
        await reports.on_pdf(update, context)  # a Working Group report (coordinators)
        return
    coordinator = await services.is_coordinator(user.id)
    if suffix not in STRATEGY_FILES and not coordinator:
        await broadcasts.on_private_message(update, context)  # as any other message
        return
    l10n = await reader(update, context)
    if not coordinator and await services.translating.may_translate(user.id):
        text = l10n.gettext(
            "Only coordinators can load a file into the bot. If this is a translations file "
            "from /translations, give it to a coordinator, who sends it to me."
        )
        await message.reply_text(escape(text))
        return
    if not coordinator:
        await message.reply_text(escape(not_allowed(l10n)))
        return
    if suffix not in STRATEGY_FILES:
        text = l10n.gettext(
            "I can read an action strategy from a .csv or .xlsx file in the template's layout "
            "(save it from Excel, LibreOffice or Google Sheets as one of these), not “{name}”."
        ).format(name=short(name, 80))
        await message.reply_text(escape(text))
        return
    if (document.file_size or 0) > MAX_UPLOAD:
        await message.reply_text(escape(l10n.gettext("This file is too large (at most 5 MB).")))
        return
    group, cycle = _caption(message.caption or "")
    data = await (await document.get_file()).download_as_bytearray()
    with tempfile.TemporaryDirectory() as folder:
        # Named as the user named it: a reason that names the file names theirs.
        path = Path(folder) / (name if len(name.encode()) <= MAX_NAME else f"strategy{suffix}")
        path.write_bytes(bytes(data))
        # A translations file (what /translations exports) goes to the translations import.
        translated = await services.import_translations(path, user.id)
        if translated is not None:
            await message.reply_text(translations.import_text(l10n, translated))
            return
        try:
            outcome = await services.import_strategy(path, user.id, group=group, cycle=cycle)
        except UnknownGroup as exc:
            text = l10n.gettext("No working group is called “{words}”.").format(words=exc.words)
            await message.reply_text(escape(text))
            return
        except UnreadableFile as exc:
            text = l10n.gettext(
                "I could not read this file as an action strategy (CSV or XLSX in the template's "
                "layout): {reason}"
            ).format(reason=exc.translated(l10n))
            await message.reply_text(escape(text))
            return
    report, errors = outcome.report, [*outcome.parsed.errors, *outcome.report.errors]
    lines = [
        escape(
            l10n.gettext(
                "Action strategy imported: {added} added, {updated} updated, {unchanged} "
                "unchanged, {bad} rows not loaded."
            ).format(
                added=l10n.number(report.added),
                updated=l10n.number(report.updated),
                unchanged=l10n.number(report.unchanged),
                bad=l10n.number(len(errors)),
            )
        )
    ]
    for error in errors[:LISTED_ERRORS]:
        where = (
            l10n.gettext("sheet {sheet}, line {line}").format(
                sheet=error.sheet, line=l10n.number(error.line)
            )
            if error.sheet
            else l10n.gettext("line {line}").format(line=l10n.number(error.line))
        )
        lines.append(escape("• " + l10n.labelled(where, error.translated(l10n))))
    if len(errors) > LISTED_ERRORS:
        more = len(errors) - LISTED_ERRORS
        lines.append(escape(l10n.gettext("… and {count} more").format(count=l10n.number(more))))
    for chunk in split_messages(["\n".join(lines)]):
        await message.reply_text(chunk)


LISTED_ERRORS = 30
STRATEGY_FILES = (".csv", ".xlsx")
MAX_NAME = 200  # bytes of a file's name kept for its temporary copy
