"""/broadcast: a coordinator composes a message for many chats with buttons; /broadcasts lists
them with their reports. The domain (bot/domain/broadcasts.py) decides; this only renders."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from babel.dates import get_day_names
from babel.lists import format_list
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest, Forbidden

from bot.content import send_content
from bot.domain.audit import zone_name
from bot.domain.broadcast import (
    INPUT_WAIT,
    KINDS,
    AudienceKind,
    BroadcastError,
    BroadcastStatus,
    Draft,
    DraftGone,
    DraftInProgress,
    NobodyToReach,
    Reach,
    Report,
    Step,
    UnknownBroadcast,
    Version,
    keeps_schedule,
    language_of_text,
    over_limit,
)
from bot.domain.broadcast import Broadcast as Sent
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.schedule import (
    Frequency,
    MissingTime,
    PastWhen,
    Recurrence,
    WhenError,
    local_moment,
    parse_date,
    parse_time_of_day,
    parse_when,
)
from handlers import private_rating
from handlers.access import Press
from handlers.callbacks import (
    BroadcastAction,
    BroadcastButton,
    Compose,
    ComposeAction,
    ComposePage,
    GotIt,
)
from handlers.commands import N_
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    translate_stops,
)
from handlers.lookup import edit
from handlers.render import escape, page_of, paged_buttons

log = logging.getLogger(__name__)

_KIND_LABELS = {
    AudienceKind.MEMBERS: N_("All member representatives (privately)"),
    AudienceKind.CHATS: N_("All working-group chats"),
    AudienceKind.GROUPS: N_("Chosen working groups"),
    AudienceKind.ORGANISATIONS: N_("Chosen organisations"),
    AudienceKind.COORDINATORS: N_("Coordinators"),
}
_LANGUAGE_NAMES = {"en": N_("English"), "km": N_("Khmer")}
HOURS = (8, 10, 12, 14, 16, 18)
ORGANISATIONS_PER_PAGE = 30  # Telegram shows at most 100 buttons under one message
GROUPS_PER_PAGE = 20
REPEAT_HOURS = (7, 8, 9, 10, 14, 16)
MONTH_DAYS = (1, 5, 10, 15, 20, 25, 31)


def _button(
    step: Step,
    label: str,
    action: ComposeAction,
    value: int | None = None,
    page: int | None = None,
) -> InlineKeyboardButton:
    """A composer button, valid only on the step it is drawn for."""
    return InlineKeyboardButton(label, callback_data=Compose(action, value, step, page).pack())


def _cancel(step: Step, l10n: Localizer) -> list[InlineKeyboardButton]:
    return [_button(step, "✖ " + l10n.gettext("Cancel"), ComposeAction.CANCEL)]


def _tick(on: bool) -> str:
    return "✅ " if on else "▫️ "


def reach_text(l10n: Localizer, reach: Reach) -> str:
    """How many chats an audience reaches, and who cannot be reached."""
    count = len(reach.recipients)
    lines = [
        l10n.ngettext("It will go to {count} chat.", "It will go to {count} chats.", count).format(
            count=l10n.number(count)
        )
    ]
    if reach.unreachable_people:
        lines.append(
            l10n.ngettext(
                "{count} person cannot be reached: they blocked the bot.",
                "{count} people cannot be reached: they blocked the bot.",
                reach.unreachable_people,
            ).format(count=l10n.number(reach.unreachable_people))
        )
    if reach.unreachable_organisations:
        lines.append(
            l10n.gettext("No one can be reached at: {names}").format(
                names=", ".join(reach.unreachable_organisations)
            )
        )
    return "\n".join(escape(line) for line in lines)


def _when_text(l10n: Localizer, draft: Draft | Sent, times: Sequence[dt.datetime], tz: Any) -> str:
    if draft.recurrence is None and draft.send_at is None:
        return escape(l10n.gettext("When: now"))
    lines = [
        escape(l10n.gettext("Next times ({zone}): {times}")).format(
            zone=escape(zone_name(l10n, tz)),
            times=escape("; ".join(l10n.datetime(t, tz) for t in times[:3]) or "—"),
        )
    ]
    recurrence = draft.recurrence
    if recurrence is not None:
        lines.insert(0, escape(_repeat_text(l10n, recurrence)))
    return "\n".join(lines)


def _repeat_text(l10n: Localizer, rule: Recurrence) -> str:
    at = l10n.time(rule.at)
    if rule.frequency is Frequency.DAILY:
        text = l10n.gettext("Every day at {time}").format(time=at)
    elif rule.frequency is Frequency.WEEKLY:
        names = get_day_names("wide", locale=l10n.language)
        days = format_list([names[d] for d in sorted(rule.weekdays)], locale=l10n.language)
        text = l10n.gettext("Every {days} at {time}").format(days=days, time=at)
    else:
        text = l10n.gettext("Every month on day {day} at {time}").format(
            day=l10n.digits(str(rule.day_of_month)), time=at
        )
    if rule.until is not None:
        text += " · " + l10n.gettext("until {date}").format(date=l10n.date(rule.until))
    return text


# --- the composer's screens ---------------------------------------------------------------
async def _screen(
    user_id: int, draft: Draft, l10n: Localizer, context: BotContext, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The composer's message for the draft's step: its text and buttons."""
    services = context.services
    broadcasts = services.broadcasts
    tz = services.settings.timezone
    step = draft.step
    title = "<b>📣 " + escape(l10n.gettext("Broadcast")) + "</b>"
    rows: list[list[InlineKeyboardButton]] = []
    if draft.step is Step.AUDIENCE:
        audience = draft.audience
        lines = [title, escape(l10n.gettext("Step 1 of 5: who should receive it?"))]
        for index, kind in enumerate(KINDS):
            label = _tick(draft.audience_chosen and audience.kind is kind) + l10n.gettext(
                _KIND_LABELS[kind]
            )
            rows.append([_button(step, label, ComposeAction.AUDIENCE, index)])
        if audience.kind is AudienceKind.GROUPS:
            groups = await services.coalition.working_groups()
            page = page_of(groups, page, GROUPS_PER_PAGE)[1]
            buttons = [
                _button(
                    step,
                    _tick(group.id in audience.group_ids) + group.name(l10n.language),
                    ComposeAction.GROUP,
                    group.id,
                    page or None,
                )
                for group in groups
            ]
            rows += paged_buttons(
                l10n,
                buttons,
                page,
                lambda to: ComposePage(to, step),
                size=GROUPS_PER_PAGE,
                width=2,
            )
            rows.append(
                [
                    _button(
                        step,
                        _tick(audience.group_chats) + l10n.gettext("Their chats"),
                        ComposeAction.GROUP_CHATS,
                    ),
                    _button(
                        step,
                        _tick(audience.group_members) + l10n.gettext("Their members privately"),
                        ComposeAction.GROUP_MEMBERS,
                    ),
                ]
            )
        if audience.kind is AudienceKind.ORGANISATIONS:
            organisations = await services.coalition.organisations(user_id)
            active = [o for o in organisations if o.active]
            page = page_of(active, page, ORGANISATIONS_PER_PAGE)[1]
            buttons = [
                _button(
                    step,
                    _tick(organisation.id in audience.organisation_ids) + organisation.short_name,
                    ComposeAction.ORGANISATION,
                    organisation.id,
                    page or None,
                )
                for organisation in active
            ]
            rows += paged_buttons(
                l10n,
                buttons,
                page,
                lambda to: ComposePage(to, step),
                size=ORGANISATIONS_PER_PAGE,
                width=3,
            )
        if draft.has_audience:
            lines.append(reach_text(l10n, await broadcasts.reach(user_id, audience)))
            rows.append([_button(step, l10n.gettext("Next") + " ▶", ComposeAction.NEXT)])
        rows.append(_cancel(step, l10n))
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    if draft.step is Step.MESSAGE:
        text = l10n.gettext(
            "Step 2 of 5: send me the message as it should arrive: text with formatting and "
            "links, or one photo or document with a caption. In English or in Khmer; you can "
            "add the other language next."
        )
        rows = [_cancel(step, l10n)]
        if draft.versions:  # editing: the message there is kept unless a new one comes
            rows.insert(0, [_button(step, l10n.gettext("Skip") + " ▶", ComposeAction.SKIP)])
        return title + "\n" + escape(text), InlineKeyboardMarkup(rows)
    if draft.step is Step.SECOND:
        have = draft.versions[0].language
        other = "km" if have == "en" else "en"
        text = l10n.gettext(
            "I have the {have} version. Send the {other} version too: each person and each "
            "group gets their language. Or skip."
        ).format(
            have=l10n.gettext(_LANGUAGE_NAMES[have]), other=l10n.gettext(_LANGUAGE_NAMES[other])
        )
        rows = [
            [_button(step, l10n.gettext("Skip") + " ▶", ComposeAction.SKIP)],
            _cancel(step, l10n),
        ]
        return title + "\n" + escape(text), InlineKeyboardMarkup(rows)
    if draft.step in (Step.WHEN, Step.TYPED_WHEN):
        now = services.clock.now()
        today = now.astimezone(tz).date()
        lines = [
            title,
            escape(
                l10n.gettext("Step 3 of 5: when should it go out? ({zone} time)").format(
                    zone=zone_name(l10n, tz)
                )
            ),
        ]
        if draft.step is Step.TYPED_WHEN:
            lines.append(
                escape(
                    l10n.gettext(
                        "Type a date and time, for example: tomorrow 9:00, 7 Dec 09:00, "
                        "2026-12-07 14:30, ថ្ងៃស្អែក ម៉ោង៩"
                    )
                )
            )
        if keeps_schedule(draft, now, tz):
            lines.append(_when_text(l10n, draft, draft_times(draft, context), tz))
            keep = "✅ " + l10n.gettext("Keep the current schedule")
            rows.append([_button(step, keep, ComposeAction.KEEP)])
        rows.append([_button(step, "▶ " + l10n.gettext("Now"), ComposeAction.NOW)])
        for label, action, date in (
            (l10n.gettext("Today"), ComposeAction.TODAY, today),
            (l10n.gettext("Tomorrow"), ComposeAction.TOMORROW, today + dt.timedelta(days=1)),
        ):
            hours = [h for h in HOURS if local_moment(date, dt.time(h), tz) > now]
            if hours:
                rows.append([_button(step, f"{label} {h}:00", action, h) for h in hours[:3]])
            if len(hours) > 3:
                rows.append([_button(step, f"{label} {h}:00", action, h) for h in hours[3:]])
        rows.append(
            [_button(step, "⌨ " + l10n.gettext("Type a date and time"), ComposeAction.TYPE_DATE)]
        )
        rows.append(
            [
                _button(step, "🔁 " + l10n.gettext("Daily"), ComposeAction.DAILY),
                _button(
                    step, "🔁 " + l10n.gettext("Weekly"), ComposeAction.WEEKLY, today.weekday()
                ),
                _button(step, "🔁 " + l10n.gettext("Monthly"), ComposeAction.MONTHLY, today.day),
            ]
        )
        rows.append(_cancel(step, l10n))
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    if draft.recurrence is not None and draft.step in (Step.TYPED_TIME, Step.TYPED_UNTIL):
        return _repeat_screen(draft, l10n, context, title)
    if draft.step is Step.OPTIONS:
        times = draft_times(draft, context)
        lines = [
            title,
            escape(l10n.gettext("Step 4 of 5: options")),
            _when_text(l10n, draft, times, tz),
        ]
        options = draft.options
        rows = [
            [
                _button(
                    step,
                    _tick(options.silent) + l10n.gettext("Silent (no sound)"),
                    ComposeAction.OPTION,
                    0,
                )
            ],
            [
                _button(
                    step,
                    _tick(options.pin) + l10n.gettext("Pin in groups"),
                    ComposeAction.OPTION,
                    1,
                )
            ],
            [
                _button(
                    step,
                    _tick(options.ack) + l10n.gettext("“✓ Got it” button"),
                    ComposeAction.OPTION,
                    2,
                )
            ],
            [_button(step, l10n.gettext("Preview") + " ▶", ComposeAction.PREVIEW)],
            _cancel(step, l10n),
        ]
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    # PREVIEW: the summary under the preview.
    reach = await broadcasts.reach(user_id, draft.audience)
    times = draft_times(draft, context)
    lines = [
        title,
        escape(l10n.gettext("Step 5 of 5: above is exactly what recipients will see.")),
        escape(l10n.gettext(_KIND_LABELS[draft.audience.kind])),
        reach_text(l10n, reach),
        _when_text(l10n, draft, times, tz),
    ]
    rows = [
        [_button(step, "✅ " + l10n.gettext("Confirm"), ComposeAction.CONFIRM)],
        _cancel(step, l10n),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _repeat_screen(
    draft: Draft, l10n: Localizer, context: BotContext, title: str
) -> tuple[str, InlineKeyboardMarkup]:
    rule = draft.recurrence or Recurrence(Frequency.DAILY, dt.time(9))
    step = draft.step
    tz = context.services.settings.timezone
    lines = [title, _when_text(l10n, draft, draft_times(draft, context), tz)]
    if draft.step is Step.TYPED_TIME:
        lines.append(escape(l10n.gettext("Type the time of day, for example 9:00 or ម៉ោង៣រសៀល")))
    if draft.step is Step.TYPED_UNTIL:
        lines.append(escape(l10n.gettext("Type the last day, for example 31 Dec 2026")))
    rows: list[list[InlineKeyboardButton]] = []
    if rule.frequency is Frequency.WEEKLY:
        names = get_day_names("wide", locale=l10n.language)  # the heading's names, whole
        days = [
            _button(step, ("✅" if d in rule.weekdays else "") + names[d], ComposeAction.WEEKLY, d)
            for d in range(7)
        ]
        rows += [days[:4], days[4:]]
    if rule.frequency is Frequency.MONTHLY:
        rows.append(
            [
                _button(
                    step,
                    ("✅" if d == rule.day_of_month else "") + str(d),
                    ComposeAction.MONTHLY,
                    d,
                )
                for d in MONTH_DAYS
            ]
        )
    rows.append(
        [
            _button(
                step, ("✅" if rule.at == dt.time(h) else "") + f"{h}:00", ComposeAction.HOUR, h
            )
            for h in REPEAT_HOURS
        ]
    )
    rows.append(
        [
            _button(step, "⌨ " + l10n.gettext("Another time"), ComposeAction.TYPE_TIME),
            _button(step, "⌨ " + l10n.gettext("Until…"), ComposeAction.TYPE_UNTIL),
        ]
    )
    if rule.until is not None:
        rows.append([_button(step, l10n.gettext("No end date"), ComposeAction.NO_UNTIL)])
    rows.append([_button(step, l10n.gettext("Next") + " ▶", ComposeAction.REPEAT_DONE)])
    rows.append(_cancel(step, l10n))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _waiting_note(l10n: Localizer) -> str:
    return l10n.gettext(
        "I take what you send in the next {minutes} minutes as part of this broadcast. Later, "
        "send /broadcast first to continue it."
    ).format(minutes=l10n.number(INPUT_WAIT // dt.timedelta(minutes=1)))


def draft_times(draft: Draft, context: BotContext) -> list[dt.datetime]:
    """The draft's next three send times."""
    services = context.services
    if draft.recurrence is not None:
        return draft.recurrence.next_times(services.clock.now(), 3, services.settings.timezone)
    return [draft.send_at] if draft.send_at else []


async def _show(
    press_or_chat: Message,
    user: User,
    draft: Draft,
    l10n: Localizer,
    context: BotContext,
    *,
    new: bool = False,
    page: int = 0,
) -> None:
    """Draw the draft's step: in the pressed composer message, or (after something the
    coordinator typed) as a new message below it."""
    text, markup = await _screen(user.id, draft, l10n, context, page)
    if draft.step.waits_for_input:
        text += "\n<i>" + escape(_waiting_note(l10n)) + "</i>"
        text += await translate_stops(l10n, context.services, user.id)  # the newest prompt wins
    if new:
        sent = await press_or_chat.reply_text(text, reply_markup=markup, do_quote=False)
        await context.services.broadcasts.save(
            user.id, dataclasses.replace(draft, composer_message=sent.message_id)
        )
    else:
        await edit(press_or_chat, text, markup)


# --- commands -------------------------------------------------------------------------------
@answering_not_allowed
async def broadcast(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/broadcast: start a new draft (or pick up the one in progress)."""
    broadcasts = context.services.broadcasts
    draft = await broadcasts.draft(user.id)
    if draft is None or draft.editing is not None:
        draft = await broadcasts.save(user.id, Draft())
    else:
        await message.reply_text(
            escape(l10n.gettext("Here is the broadcast you were writing:")), do_quote=False
        )
    await _show(message, user, draft, l10n, context, new=True)


@answering_not_allowed
async def list_broadcasts(
    message: Message, user: User, l10n: Localizer, context: BotContext
) -> None:
    """/broadcasts: scheduled and recent broadcasts, with buttons."""
    services = context.services
    items = await services.broadcasts.listing(user.id)
    if not items:
        await message.reply_text(
            escape(l10n.gettext("No broadcasts yet. Send /broadcast to write one."))
        )
        return
    tz = services.settings.timezone
    now = services.clock.now()
    for item in items:
        await message.reply_text(
            _item_text(l10n, item, item.next_times(now, 3, tz), tz),
            reply_markup=_item_markup(l10n, item),
            do_quote=False,
        )


_STATUS = {
    BroadcastStatus.SCHEDULED: N_("scheduled"),
    BroadcastStatus.SENT: N_("sent"),
    BroadcastStatus.CANCELLED: N_("cancelled"),
    BroadcastStatus.DELETED: N_("deleted"),
}


def _item_text(l10n: Localizer, item: Sent, times: list[dt.datetime], tz: Any) -> str:
    first = item.versions[0].text if item.versions else ""
    snippet = first if len(first) <= 80 else first[:79] + "…"
    lines = [
        "<b>"
        + escape(l10n.gettext("Broadcast {id}").format(id=l10n.number(item.id)))
        + "</b> · "
        + escape(l10n.gettext(_STATUS[item.status])),
        escape(l10n.gettext(_KIND_LABELS[item.audience.kind])),
        escape(snippet),
    ]
    if item.status is BroadcastStatus.SCHEDULED:
        lines.append(_when_text(l10n, item, times, tz))
    elif item.last_occurrence is not None:
        lines.append(
            escape(
                l10n.gettext("Last sent: {time}").format(
                    time=l10n.datetime(item.last_occurrence, tz)
                )
            )
        )
    return "\n".join(lines)


def _item_markup(l10n: Localizer, item: Sent) -> InlineKeyboardMarkup | None:
    def button(label: str, action: BroadcastAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=BroadcastButton(action, item.id).pack())

    row = []
    if item.last_occurrence is not None:
        row.append(button("📊 " + l10n.gettext("Report"), BroadcastAction.REPORT))
    if item.status is BroadcastStatus.SCHEDULED:
        row.append(button("✏️ " + l10n.gettext("Edit"), BroadcastAction.EDIT))
        row.append(button("✖ " + l10n.gettext("Cancel"), BroadcastAction.CANCEL))
    if item.last_occurrence is not None and item.status is not BroadcastStatus.DELETED:
        row.append(button("🗑 " + l10n.gettext("Delete everywhere"), BroadcastAction.DELETE))
    return InlineKeyboardMarkup([row]) if row else None


# --- what the coordinator types or sends ----------------------------------------------------
def _version(message: Message, language: str) -> Version | None:
    if message.photo:
        return Version(
            language,
            message.caption or "",
            tuple(e.to_dict() for e in message.caption_entities),
            photo=message.photo[-1].file_id,
        )
    if message.document is not None:
        return Version(
            language,
            message.caption or "",
            tuple(e.to_dict() for e in message.caption_entities),
            document=message.document.file_id,
        )
    if message.text:
        return Version(language, message.text, tuple(e.to_dict() for e in message.entities))
    return None


async def on_private_message(update: Update, context: BotContext) -> None:
    """A coordinator's message while the composer waits for one; anyone else's text is a
    rating's reason asked for, or a lookup."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    draft = await services.broadcasts.pending_input(user.id)
    if draft is None:
        if message.text:
            await private_rating.on_private_text(update, context)
        return
    l10n = await reader(update, context)
    try:
        await _take_input(message, user, draft, l10n, context)
    except NotAllowed:
        await message.reply_text(escape(not_allowed(l10n)))


def _too_long(l10n: Localizer, version: Version, limit: int) -> str:
    if version.photo or version.document:
        return l10n.gettext(
            "This caption is too long: Telegram allows at most {limit} characters under a "
            "photo or document. Please send it again with a shorter caption (or send the "
            "text alone)."
        ).format(limit=l10n.number(limit))
    return l10n.gettext(
        "This message is too long: Telegram allows at most {limit} characters. Please send "
        "a shorter one."
    ).format(limit=l10n.number(limit))


_WHEN_ERRORS = {
    PastWhen: N_("That time has already passed. Please type a later one."),
    MissingTime: N_("Please add the time of day, for example tomorrow 9:00."),
}


async def _take_input(
    message: Message, user: User, draft: Draft, l10n: Localizer, context: BotContext
) -> None:
    services = context.services
    now, tz = services.clock.now(), services.settings.timezone
    text = message.text or ""
    try:
        if draft.step in (Step.MESSAGE, Step.SECOND):
            language = language_of_text(message.text or message.caption or "")
            if draft.step is Step.SECOND:
                language = "km" if draft.versions[0].language == "en" else "en"
            version = _version(message, language)
            if version is None:
                await message.reply_text(
                    escape(l10n.gettext("Please send text, or one photo or document."))
                )
                return
            limit = over_limit(version)
            if limit is not None:
                await message.reply_text(escape(_too_long(l10n, version, limit)))
                return
            if draft.step is Step.MESSAGE:  # a new message replaces every version
                draft = dataclasses.replace(draft, versions=(version,), step=Step.SECOND)
            else:
                draft = dataclasses.replace(draft.with_version(version), step=Step.WHEN)
        elif draft.step in (Step.WHEN, Step.TYPED_WHEN):
            moment = parse_when(text, now, tz)
            draft = dataclasses.replace(
                draft,
                send_at=None if moment == now else moment,
                recurrence=None,
                step=Step.OPTIONS,
            )
        elif draft.step is Step.TYPED_TIME and draft.recurrence is not None:
            at = parse_time_of_day(text)
            draft = dataclasses.replace(
                draft,
                recurrence=dataclasses.replace(draft.recurrence, at=at),
                step=Step.TYPED_TIME,
            )
        elif draft.step is Step.TYPED_UNTIL and draft.recurrence is not None:
            until = parse_date(text, now, tz)
            draft = dataclasses.replace(
                draft, recurrence=dataclasses.replace(draft.recurrence, until=until)
            )
    except WhenError as error:
        reply = _WHEN_ERRORS.get(type(error))
        await message.reply_text(
            escape(
                l10n.gettext(reply)
                if reply
                else l10n.gettext("I could not read that. Try for example: tomorrow 9:00")
            )
        )
        return
    await services.broadcasts.save(user.id, draft)
    await _show(message, user, draft, l10n, context, new=True)


# --- the composer's buttons -----------------------------------------------------------------
async def on_compose(press: Press[Compose], context: BotContext) -> None:
    """A composer button: change the draft, redraw the step."""
    services = context.services
    broadcasts = services.broadcasts
    l10n, user = press.l10n, press.user
    draft = await broadcasts.draft(user.id)
    if draft is None:
        await press.query.answer(
            l10n.gettext(  # a second ✅ (presses are handled in order) finds the draft sent
                "This draft is no longer waiting: it was sent or it expired. /broadcasts "
                "shows what was sent."
            )
            if press.data.action is ComposeAction.CONFIRM
            else l10n.gettext("This draft has expired. Send /broadcast to start again."),
            show_alert=True,
        )
        return
    if press.data.step is not draft.step or press.message.message_id != draft.composer_message:
        await press.query.answer(  # drawn for another step or an older draft
            l10n.gettext(
                "This button no longer works: please use the broadcast's newest message."
            ),
            show_alert=True,
        )
        return
    action, value = press.data.action, press.data.value
    if action is ComposeAction.CANCEL:
        await broadcasts.discard(user.id)
        await press.query.answer()
        said = l10n.gettext("Broadcast cancelled: nothing was sent.")
        if draft.editing is not None:
            said = l10n.gettext(
                "Changes discarded: broadcast {id} stays scheduled as it was."
            ).format(id=l10n.number(draft.editing))
        await edit(press.message, escape(said), None)
        return
    if action is ComposeAction.CONFIRM:
        await _confirm(press, draft, context)
        return
    changed = await broadcasts.choose(user.id, action, value)
    if changed is None:
        await press.query.answer(l10n.gettext("Please choose something first."), show_alert=True)
        return
    await press.query.answer()
    if changed.step is Step.PREVIEW:
        await _preview(press, changed, context)
        return
    await _show(press.message, user, changed, l10n, context, page=press.data.page or 0)


async def on_compose_page(press: Press[ComposePage], context: BotContext) -> None:
    """◀ ▶ under the composer's organisations: the same step, another page of them."""
    l10n, user = press.l10n, press.user
    draft = await context.services.broadcasts.draft(user.id)
    if (
        draft is None
        or press.data.step is not draft.step
        or press.message.message_id != draft.composer_message
    ):
        await press.query.answer(
            l10n.gettext(
                "This button no longer works: please use the broadcast's newest message."
            ),
            show_alert=True,
        )
        return
    await press.query.answer()
    await _show(press.message, user, draft, l10n, context, page=press.data.page)


async def _preview(press: Press[Compose], draft: Draft, context: BotContext) -> None:
    """Each version exactly as recipients will get it, then the summary with Confirm."""
    broadcasts = context.services.broadcasts
    chat_id = press.message.chat.id
    await edit(press.message, escape(press.l10n.gettext("Preview:")), None)
    for version in draft.versions:
        try:
            await send_content(context.bot, chat_id, broadcasts.preview(draft, version.language))
        except BadRequest as error:  # Telegram refuses it: so would it for every recipient
            log.warning("broadcast preview refused: %s", error.message)
            draft = await broadcasts.save(
                press.user.id, dataclasses.replace(draft, step=Step.MESSAGE)
            )
            await context.bot.send_message(
                chat_id,
                escape(
                    press.l10n.gettext(
                        "Telegram refused this message, so it cannot be sent: {reason}"
                    ).format(reason=error.message)
                ),
            )
            await _show(press.message, press.user, draft, press.l10n, context, new=True)
            return
    text, markup = await _screen(press.user.id, draft, press.l10n, context)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    await broadcasts.save(
        press.user.id, dataclasses.replace(draft, composer_message=sent.message_id)
    )


async def _confirm(press: Press[Compose], draft: Draft, context: BotContext) -> None:
    services = context.services
    l10n = press.l10n
    try:
        item = await services.broadcasts.confirm(press.user.id, draft)
    except DraftGone:
        await press.query.answer(l10n.gettext("Already confirmed."), show_alert=True)
        return
    except NobodyToReach:
        await press.query.answer(
            l10n.gettext(
                "Nobody would receive it: this audience reaches no chat now. Cancel, and "
                "choose another audience."
            ),
            show_alert=True,
        )
        return
    except UnknownBroadcast:
        await press.query.answer(
            l10n.gettext(
                "Broadcast {id} was cancelled by another coordinator meanwhile: your changes "
                "were not saved."
            ).format(id=l10n.digits(str(draft.editing))),
            show_alert=True,
        )
        return
    except BroadcastError:
        await press.query.answer(
            l10n.gettext("This draft is not complete. Send /broadcast to finish it."),
            show_alert=True,
        )
        return
    await press.query.answer()
    message = press.message
    await services.broadcasts.set_report_message(item.id, message.chat.id, message.message_id)
    await services.broadcasts.sweep()  # what is due now goes out without waiting for the job
    tz = services.settings.timezone
    times = item.next_times(services.clock.now(), 3, tz)
    text = escape(l10n.gettext("Broadcast {id} is scheduled.").format(id=l10n.number(item.id)))
    if item.send_at is None and item.recurrence is None:
        text = escape(l10n.gettext("Broadcast {id} is going out…").format(id=l10n.number(item.id)))
    await edit(message, text + "\n" + _when_text(l10n, item, times, tz), None)


# --- /broadcasts buttons, "Got it", and the progress reports --------------------------------
async def on_broadcast_button(press: Press[BroadcastButton], context: BotContext) -> None:
    """Report, cancel, edit or delete one broadcast."""
    services = context.services
    broadcasts = services.broadcasts
    l10n, user = press.l10n, press.user
    action, broadcast_id = press.data.action, press.data.broadcast
    try:
        if action is BroadcastAction.REPORT:
            report = await broadcasts.report(user.id, broadcast_id)
            await press.query.answer()
            tz = services.settings.timezone
            await press.message.reply_text(report_text(l10n, report, tz), do_quote=False)
        elif action is BroadcastAction.CANCEL:
            withdrawn = await broadcasts.cancel(user.id, broadcast_id)
            await press.query.answer()
            await edit(
                press.message,
                escape(
                    l10n.ngettext(
                        "Broadcast {id} cancelled; {count} waiting message withdrawn.",
                        "Broadcast {id} cancelled; {count} waiting messages withdrawn.",
                        withdrawn,
                    ).format(id=l10n.number(broadcast_id), count=l10n.number(withdrawn))
                ),
                None,
            )
        elif action is BroadcastAction.EDIT:
            draft = await broadcasts.edit(user.id, broadcast_id)
            await press.query.answer()
            await _show(press.message, user, draft, l10n, context, new=True)
        else:
            messages = await broadcasts.delete_sent(user.id, broadcast_id)
            await press.query.answer()
            deleted = 0
            for chat_id, message_id in messages:
                # Already deleted there, too old, or the bot was removed: nothing to do.
                with contextlib.suppress(BadRequest, Forbidden):
                    deleted += bool(await context.bot.delete_message(chat_id, message_id))
            await edit(
                press.message,
                escape(
                    l10n.ngettext(
                        "Broadcast {id} deleted from {count} chat.",
                        "Broadcast {id} deleted from {count} chats.",
                        deleted,
                    ).format(id=l10n.number(broadcast_id), count=l10n.number(deleted))
                ),
                None,
            )
    except DraftInProgress:
        await press.query.answer(
            l10n.gettext(
                "You are writing another broadcast. Finish or cancel it first: /broadcast "
                "shows it."
            ),
            show_alert=True,
        )
    except BroadcastError:
        await press.query.answer(
            l10n.gettext("This broadcast can no longer be changed."), show_alert=True
        )


async def on_got_it(press: Press[GotIt], context: BotContext) -> None:
    """'✓ Got it': counted once per person (under a preview, broadcast 0, nothing counts)."""
    if press.data.broadcast == 0:
        await press.query.answer(
            press.l10n.gettext("This is the preview: recipients' presses will be counted.")
        )
        return
    new = await context.services.broadcasts.acknowledge(
        press.user.id, press.data.broadcast, press.data.occurrence
    )
    await press.query.answer(
        press.l10n.gettext("Thank you, noted.") if new else press.l10n.gettext("Already noted.")
    )


def report_text(l10n: Localizer, report: Report, tz: Any) -> str:
    """Progress, then the final report: delivered, waiting, failed, who acknowledged (the
    coordinator's private chat only), unreached. A recurring one's: its latest occurrence."""
    item = report.broadcast
    head = (
        l10n.gettext("Broadcast {id}: sent.")
        if report.done
        else l10n.gettext("Broadcast {id}: going out…")
    ).format(id=l10n.number(item.id))
    if item.recurrence is not None and item.last_occurrence is not None:
        time = l10n.datetime(item.last_occurrence, tz)
        head = (
            l10n.gettext("Broadcast {id} of {time}: sent.")
            if report.done
            else l10n.gettext("Broadcast {id} of {time}: going out…")
        ).format(id=l10n.number(item.id), time=time)
    lines = [
        "<b>" + escape(head) + "</b>",
        escape(
            l10n.gettext("Delivered: {sent} · waiting: {waiting} · failed: {failed}").format(
                sent=l10n.number(report.sent),
                waiting=l10n.number(report.waiting),
                failed=l10n.number(report.failed),
            )
        ),
    ]
    if report.cancelled:
        lines.append(
            escape(l10n.gettext("Withdrawn: {count}").format(count=l10n.number(report.cancelled)))
        )
    if item.options.ack:
        lines.append(
            escape(
                l10n.ngettext(
                    "{count} person pressed “Got it”.",
                    "{count} people pressed “Got it”.",
                    report.acknowledged,
                ).format(count=l10n.number(report.acknowledged))
            )
        )
        if report.acknowledged_by:
            lines.append(
                escape(
                    l10n.gettext("Got it: {names}").format(names=", ".join(report.acknowledged_by))
                )
            )
    if report.unreached:
        lines.append(
            escape(
                l10n.gettext("Could not be reached: {names}").format(
                    names=", ".join(report.unreached)
                )
            )
        )
    return "\n".join(lines)


async def sweep_broadcasts(context: BotContext) -> None:
    """The job: hand due broadcasts to the outbox (the database owns the schedule)."""
    await context.services.broadcasts.sweep()


async def show_progress(context: BotContext) -> None:
    """The job: edit each coordinator's broadcast message with its progress (one edit per
    run, every few seconds), then once with the final report."""
    services = context.services
    for report in await services.broadcasts.watched():
        item = report.broadcast
        if item.report_chat is None or item.report_message is None:
            continue
        language = await services.language_of(item.report_chat, None)
        l10n = services.translations.localizer(language)
        try:
            await context.bot.edit_message_text(
                report_text(l10n, report, services.settings.timezone),
                item.report_chat,
                item.report_message,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.warning("broadcast %d: progress not shown: %s", item.id, exc.message)
        except Forbidden:
            pass
