"""Round administration: /openround, /rounds and the coordinators' round buttons."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from bot.domain.arguments import arguments
from bot.domain.assessment import Round
from bot.domain.audit import zone_name
from bot.domain.i18n import Localizer
from bot.domain.importer import N_
from bot.domain.membership import NotAllowed
from bot.domain.model import Response
from bot.domain.round_guide import CLOSING_CHOICES as CHOICES
from bot.domain.round_guide import GuideChoice, GuideStep, later
from bot.domain.rounds import (
    BadScope,
    Guided,
    Guiding,
    Opened,
    Opening,
    Overview,
    Panel,
    Reminding,
    RoundChange,
    RoundLine,
    Scope,
    parse_scope,
)
from handlers import lookup
from handlers.access import Press
from handlers.callbacks import (
    DraftRound,
    GuidedRound,
    RateRound,
    RoundAction,
    RoundButton,
    RoundResults,
    RoundsPage,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    translate_stops,
)
from handlers.render import (
    closing,
    cycle_name,
    escape,
    page_of,
    response_label,
    round_label,
    turn_row,
)
from handlers.round_results import send_export, send_results

_HOW_TO_OPEN = N_(
    "Write the scope, a colon, then the round's name, for example:\n"
    "/openround c2 accepted : Mid-term review 2026\n"
    "Scope: a cycle (c2), accepted or noted, theme names (land labour…), numbers or "
    "ranges (118.1-118.50), a closing date (until 2026-12-31)."
)


@answering_not_allowed
async def open_round(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/openround <scope> : <name> — e.g. /openround c2 accepted land : Mid-term review 2026.
    Nothing opens yet: the reply says what was understood, with [Open] and [Cancel]. Alone,
    /openround asks the scope step by step with buttons."""
    services = context.services
    if not arguments(message.text or "").strip():  # nothing typed: the buttons guide
        guided = await services.assessments.guide(
            user.id, 0, GuideChoice.START, 0, services.catalog, services.settings.timezone, l10n
        )
        await _reply(message, _guide_view(l10n, context, guided))
        return
    opened = await services.assessments.open(
        user.id,
        arguments(message.text or ""),
        services.catalog,
        services.settings.timezone,
        preview=True,
    )
    if opened.result is Opening.NO_NAME:
        await message.reply_text(escape(l10n.gettext(_HOW_TO_OPEN)))
        return
    if opened.result is not Opening.PREVIEW or opened.scope is None:
        await message.reply_text(escape(l10n.message(opened.problem, opened.params)))
        return
    await _reply(message, _preview_view(l10n, context, opened))


async def _reply(message: Message, view: tuple[str, InlineKeyboardMarkup | None]) -> None:
    await message.reply_text(view[0], reply_markup=view[1])


def _preview_view(
    l10n: Localizer, context: BotContext, opened: Opened
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What was understood, with [Open] [Cancel] (typed or through the buttons alike)."""
    if opened.scope is None:
        return "", None
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Open"), callback_data=DraftRound(opened.round_id, True).pack()
                ),
                InlineKeyboardButton(
                    l10n.gettext("Cancel"),
                    callback_data=DraftRound(opened.round_id, False).pack(),
                ),
            ],
            [
                InlineKeyboardButton(
                    "📌 " + l10n.gettext("Open and pin in groups"),
                    callback_data=DraftRound(opened.round_id, True, True).pack(),
                )
            ],
        ]
    )
    text = _preview(l10n, context, opened.name, opened.scope)
    if opened.organisations is not None:  # round notices are on
        text += "\n" + escape(_told(l10n, opened, opened.organisations))
    return text, markup


def _told(l10n: Localizer, opened: Opened, count: int) -> str:
    """Whom [Open] tells: 'Tells: «Gender» chat (26), «Land» chat (1); 6 organisations'."""
    chats = [
        l10n.gettext("«{name}» chat ({count})").format(
            name=group.name(l10n.language), count=l10n.number(count)
        )
        for group, count in opened.told
    ]
    organisations = l10n.ngettext("{count} organisation", "{count} organisations", count).format(
        count=l10n.number(count)
    )
    if not chats:
        return l10n.gettext("Tells: {organisations}").format(organisations=organisations)
    return l10n.gettext("Tells: {chats}; {organisations}").format(
        chats=", ".join(chats), organisations=organisations
    )


_STEPS = {
    GuideStep.CYCLE: N_("Step 1 of 5: which cycle?"),
    GuideStep.RESPONSE: N_("Step 2 of 5: which recommendations?"),
    GuideStep.THEMES: N_("Step 3 of 5: which themes? Tap one or several, then Done."),
    GuideStep.CLOSING: N_("Step 4 of 5: when does the round close? (end of that day, {zone})"),
    GuideStep.DATE: N_(
        "Step 4 of 5: send the closing date as YEAR-MONTH-DAY, for example 2027-03-31."
    ),
    GuideStep.NAME: N_("Step 5 of 5: send the round's name, or use the one offered."),
}
_CLOSING_LABELS = {
    1: N_("2 weeks: {date}"),
    2: N_("1 month: {date}"),
    3: N_("3 months: {date}"),
}


def _guide_view(
    l10n: Localizer, context: BotContext, guided: Guided
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A step of opening a round through buttons: the choices so far, the question, its
    buttons (and ✖ Cancel); the preview once every step is answered."""
    if guided.result is Guiding.PREVIEW and guided.opened is not None:
        return _preview_view(l10n, context, guided.opened)
    guide, draft = guided.guide, guided.draft_id
    if guide is None or guided.today is None:
        return escape(l10n.gettext("Cancelled: no round was opened.")), None
    catalog, tz = context.services.catalog, context.services.settings.timezone

    def choose(label: str, choice: GuideChoice, value: int = 0) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=GuidedRound(draft, choice, value or None).pack()
        )

    so_far = [
        *([cycle_name(l10n, guide.cycle)] if guide.cycle else []),
        *([response_label(l10n, Response(guide.response))] if guide.response else []),
        *(catalog.themes_by_id[t].name(l10n.language) for t in guide.themes),
    ]
    lines = ["<b>" + escape(l10n.gettext("New round")) + "</b>"]
    if so_far:
        lines.append(escape(" · ".join(so_far)))
    if guide.closes:
        day = dt.date.fromisoformat(guide.closes)
        lines.append(escape(closing(l10n, tz, dt.datetime.combine(day, dt.time(12), tz))))
    lines.append(escape(l10n.gettext(_STEPS[guide.step]).format(zone=zone_name(l10n, tz))))
    rows: list[list[InlineKeyboardButton]] = []
    if guide.step is GuideStep.CYCLE:
        rows = [
            [choose(cycle_name(l10n, c.number), GuideChoice.CYCLE, c.number)]
            for c in reversed(catalog.cycles)
        ]
    elif guide.step is GuideStep.RESPONSE:
        rows = [
            [
                choose(response_label(l10n, Response.ACCEPTED), GuideChoice.RESPONSE, 1),
                choose(response_label(l10n, Response.NOTED), GuideChoice.RESPONSE, 2),
            ],
            [choose(l10n.gettext("All responses"), GuideChoice.RESPONSE, 0)],
        ]
    elif guide.step is GuideStep.THEMES:
        themes = [
            choose(
                ("✓ " if t.id in guide.themes else "") + t.name(l10n.language),
                GuideChoice.THEME,
                t.id,
            )
            for t in catalog.themes
        ]
        rows = [themes[i : i + 2] for i in range(0, len(themes), 2)]
        rows.append(
            [
                choose(l10n.gettext("Done"), GuideChoice.THEMES_DONE),
                choose(l10n.gettext("All themes"), GuideChoice.ALL_THEMES),
            ]
        )
    elif guide.step is GuideStep.CLOSING:
        rows = [
            [
                choose(
                    l10n.gettext(label).format(date=l10n.date(later(guided.today, *CHOICES[v]))),
                    GuideChoice.CLOSE_IN,
                    v,
                )
            ]
            for v, label in _CLOSING_LABELS.items()
        ]
        rows.append([choose(l10n.gettext("Type a date"), GuideChoice.TYPE_DATE)])
    elif guide.step is GuideStep.NAME:
        offered = guide.default_name(guided.today, l10n)
        label = l10n.gettext("Use «{name}»").format(name=offered)
        rows = [[choose(label, GuideChoice.DEFAULT_NAME)]]
    rows.append([choose(l10n.gettext("✖ Cancel"), GuideChoice.CANCEL)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_guide_button(press: Press[GuidedRound], context: BotContext) -> None:
    """rg:<draft>:<choice>[:<value>]: a step of opening a round through buttons (coordinators;
    a button of another step, or of a draft that is gone, is refused)."""
    services, l10n, data = context.services, press.l10n, press.data
    guided = await services.assessments.guide(
        press.user.id,
        data.draft,
        data.choice,
        data.value or 0,
        services.catalog,
        services.settings.timezone,
        l10n,
    )
    if guided.result is Guiding.STALE:
        await press.query.answer(
            l10n.gettext(
                "This button belongs to an earlier step or to a round already opened or "
                "cancelled: send /openround again."
            ),
            show_alert=True,
        )
        return
    await press.query.answer()
    view = await _guide_screen(l10n, context, press.user.id, guided)
    if data.choice is GuideChoice.START:  # from the list of rounds: a new message
        await _reply(press.message, view)
        return
    await lookup.edit(press.message, *view)


async def _guide_screen(
    l10n: Localizer, context: BotContext, user_id: int, guided: Guided
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The guide's step; one answered by typing is the newest prompt: a /translate waiting
    for a Khmer text stops waiting, and a note says so."""
    text, markup = _guide_view(l10n, context, guided)
    guide = guided.guide if guided.result is not Guiding.PREVIEW else None
    if guide is not None and guide.waits_for_text:
        text += await translate_stops(l10n, context.services, user_id)
    return text, markup


async def on_guide_text(update: Update, context: BotContext) -> bool:
    """A typed closing date or name for a round being opened through buttons; False when
    none waits for this person's text."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return False
    services = context.services
    try:
        guided = await services.assessments.guide_text(
            user.id, message.text, services.catalog, services.settings.timezone
        )
    except NotAllowed:
        return False
    if guided is None:
        return False
    l10n = await reader(update, context)
    text, markup = await _guide_screen(l10n, context, user.id, guided)
    if guided.result is Guiding.PROBLEM:
        problem = l10n.message(guided.problem, guided.params)
        text = escape(problem) + "\n\n" + text
    await message.reply_text(text, reply_markup=markup)
    return True


def _scope_parts(l10n: Localizer, context: BotContext, scope: Scope) -> list[str]:
    """A scope in the reader's words: 'Cycle 2', its themes, its responses, its numbers."""
    themes = context.services.catalog.themes_by_id
    return [
        cycle_name(l10n, scope.cycle),
        *(themes[t].name(l10n.language) for t in scope.theme_ids if t in themes),
        *(response_label(l10n, r) for r in scope.responses),
        *scope.numbers,
    ]


def _round_scope(l10n: Localizer, context: BotContext, r: Round) -> str:
    """A round's stored scope described as the /openround preview does (as typed, in the
    reader's digits, after its cycle, if the catalog no longer reads it)."""
    try:
        scope = parse_scope(r.scope, context.services.catalog, dt.UTC, dt.date.min)
    except BadScope:
        return " · ".join([cycle_name(l10n, r.cycle), l10n.digits(r.scope)])
    return " · ".join(_scope_parts(l10n, context, replace(scope, cycle=r.cycle)))


def _preview(l10n: Localizer, context: BotContext, name: str, scope: Scope) -> str:
    """What /openround understood: 'Cycle 2 · Land … · ✅ Accepted · closes … · 14 recommendations'."""
    services = context.services
    size = len(scope.recommendation_ids)
    parts = [
        *_scope_parts(l10n, context, scope),
        closing(l10n, services.settings.timezone, scope.closes_at),
        l10n.ngettext("{count} recommendation", "{count} recommendations", size).format(
            count=l10n.number(size)
        ),
    ]
    return "\n".join(
        [
            "<b>" + escape(l10n.gettext("Open this round?")) + "</b>",
            f"«{escape(name)}»",
            escape(" · ".join(parts)),
        ]
    )


async def on_draft_button(press: Press[DraftRound], context: BotContext) -> None:
    """rd:<draft>:<1|0>: open the previewed round, or forget it (coordinators only)."""
    query, l10n, assessments = press.query, press.l10n, context.services.assessments
    if press.data.go:
        pin = bool(press.data.pin)
        opened = await assessments.confirm(press.user.id, press.data.draft, pin=pin)
    else:
        opened = await assessments.cancel(press.user.id, press.data.draft)
    # A second tap (or Open after Cancel) ends the preview the same way as the first did.
    if opened.result is Opening.CANCELLED:
        await query.answer()
        await lookup.edit(
            press.message, escape(l10n.gettext("Cancelled: no round was opened.")), None
        )
        return
    if opened.result is Opening.BAD_SCOPE:  # its closing date passed meanwhile
        await query.answer(l10n.gettext(opened.problem), show_alert=True)
        await lookup.edit(press.message, escape(l10n.gettext(opened.problem)), None)
        return
    if opened.result is not Opening.OPENED or opened.scope is None:
        gone = l10n.gettext("This draft is no longer there: send /openround again.")
        await query.answer(gone, show_alert=True)
        await lookup.edit(press.message, escape(gone), None)
        return
    await query.answer()
    size = len(opened.scope.recommendation_ids)
    await lookup.edit(
        press.message,
        escape(
            l10n.ngettext(
                "Round {id} «{name}» is open: {count} recommendation of cycle {cycle}.",
                "Round {id} «{name}» is open: {count} recommendations of cycle {cycle}.",
                size,
            ).format(
                id=l10n.number(opened.round_id),
                name=opened.name,
                count=l10n.number(size),
                cycle=l10n.number(opened.scope.cycle),
            )
            + "\n"
            + l10n.gettext("Members rate with /rate, in their working group's chat or here.")
        ),
        None,
    )


ROUNDS_PER_PAGE = 10


def _rounds_view(
    l10n: Localizer, tz: dt.tzinfo, overview: Overview, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list of rounds, ten a page (◀ ▶): coordinators get a button per round opening its
    panel, members [Rate now] beside an open round and [Results] beside a published one."""
    new = []
    if overview.coordinator:  # a round through buttons, without typing a scope
        label = l10n.gettext("➕ New round")
        new.append(
            [InlineKeyboardButton(label, callback_data=GuidedRound(0, GuideChoice.START).pack())]
        )
    if not overview.lines:
        text = escape(l10n.gettext("No assessment round yet."))
        return text, InlineKeyboardMarkup(new) if new else None
    shown, page, pages = page_of(overview.lines, page, ROUNDS_PER_PAGE)
    lines, rows = [], []
    for line in shown:
        r = line.round
        lines.append(escape(" · ".join([round_label(l10n, r), *_status(l10n, tz, line)])))
        if line.organisations:  # coordinators: who is how far ("ADHOC 9/14 · LICADHO 3/14")
            # Every round's list within one message.
            limit = PROGRESS_CHARACTERS // len(shown)
            lines.append("   " + escape(_progress(l10n, line.organisations, limit)))
        elif line.own is not None and r.open:
            lines.append(
                "   "
                + escape(
                    l10n.gettext("your organisation: {rated} of {total} rated").format(
                        rated=l10n.number(line.own[0]), total=l10n.number(line.own[1])
                    )
                )
            )
        rows += _list_buttons(l10n, r, coordinator=overview.coordinator)
    rows += turn_row(l10n, page, pages, RoundsPage) + new
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def _status(l10n: Localizer, tz: dt.tzinfo, line: RoundLine) -> list[str]:
    """'Cycle 2 · 14 recommendations · open · closes … · 3 of 5 organisations took part'."""
    r = line.round
    return [
        cycle_name(l10n, r.cycle),
        l10n.ngettext("{count} recommendation", "{count} recommendations", r.size).format(
            count=l10n.number(r.size)
        ),
        l10n.gettext("open") if r.open else l10n.gettext("closed"),
        *([closing(l10n, tz, r.closes_at)] if r.open else []),
        *([l10n.gettext("published")] if r.published else []),
        l10n.gettext("{rated} of {total} organisations took part").format(
            rated=l10n.number(line.rated), total=l10n.number(line.total)
        ),
    ]


# How long one round's list of organisations may grow before it is cut ("… and 940 more"): a
# message holds 4,096 characters, and a coalition may have a thousand members.
PROGRESS_CHARACTERS = 2_500


def _progress(
    l10n: Localizer,
    organisations: tuple[tuple[str, int, int], ...],
    limit: int = PROGRESS_CHARACTERS,
) -> str:
    """'ADHOC 9/14 · LICADHO 3/6': each organisation's own denominator; cut after `limit`
    characters with how many more there are."""
    parts: list[str] = []
    length = 0
    for shown, (org, n, total) in enumerate(organisations):
        part = f"{org} {l10n.number(n)}/{l10n.number(total)}"
        length += len(part) + 3
        if length > limit:
            more = len(organisations) - shown
            cut = l10n.gettext("… and {count} more").format(count=l10n.number(more))
            return " · ".join([*parts, cut])
        parts.append(part)
    return " · ".join(parts)


def _short(l10n: Localizer, r: Round) -> str:
    """'3. Mid-term review' cut to fit a button."""
    return round_label(l10n, r, 40)


def _list_buttons(
    l10n: Localizer, r: Round, *, coordinator: bool
) -> list[list[InlineKeyboardButton]]:
    if coordinator:
        return [[_button(_short(l10n, r), r, RoundAction.PANEL)]]
    if r.open:
        label = l10n.gettext("Rate now: {round}").format(round=_short(l10n, r))
        return [[InlineKeyboardButton(label, callback_data=RateRound(r.id).pack())]]
    if r.published:
        label = l10n.gettext("Results: {round}").format(round=_short(l10n, r))
        return [[InlineKeyboardButton(label, callback_data=RoundResults(r.id).pack())]]
    return []


_QUESTIONS = {
    RoundAction.CLOSE: N_(
        "Close this round? Ratings freeze: members can no longer change them. You can reopen it."
    ),
    RoundAction.REOPEN: N_(
        "Reopen this round? Members can rate again; its published results are withdrawn "
        "until you publish again."
    ),
    RoundAction.PUBLISH: N_(
        "Publish the results? Members see them, and the working groups and representatives "
        "are told."
    ),
}


def _publish_warning(l10n: Localizer, panel: Panel) -> str:
    """Why publishing asks twice: only the clauses that hold (few organisations rated, most
    recommendations without enough ratings), then "Publish anyway?"."""
    clauses = []
    if panel.few_rated:
        clauses.append(
            l10n.gettext("Only {rated} of {total} organisations rated ({percent} %).").format(
                rated=l10n.number(panel.rated),
                total=l10n.number(panel.total),
                percent=l10n.number(round(100 * panel.rated / panel.total)),
            )
        )
    if panel.mostly_not_enough:
        clauses.append(
            l10n.gettext(
                "{not_enough} of {size} recommendations have “not enough ratings”."
            ).format(not_enough=l10n.number(panel.not_enough), size=l10n.number(panel.round.size))
        )
    return " ".join([*clauses, l10n.gettext("Publish anyway?")])


def _panel_view(
    l10n: Localizer, context: BotContext, panel: Panel, question: RoundAction | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """A round's panel: what it is, how far each organisation is, its buttons; with a
    question, the confirmation instead of the buttons."""
    r, tz = panel.round, context.services.settings.timezone
    line = RoundLine(r, panel.rated, panel.total, panel.organisations)
    lines = [
        f"<b>{escape(round_label(l10n, r))}</b>",
        escape(" · ".join(_status(l10n, tz, line))),
        escape(l10n.gettext("Scope: {scope}").format(scope=_round_scope(l10n, context, r))),
    ]
    if panel.organisations:
        lines.append(escape(_progress(l10n, panel.organisations)))
    if panel.reminded_at is not None:
        lines.append(
            escape(
                l10n.gettext("Last reminder: {time} ({zone})").format(
                    time=l10n.datetime(panel.reminded_at, tz), zone=zone_name(l10n, tz)
                )
            )
        )
    if question is None:
        return "\n".join(lines), _panel_buttons(l10n, panel)
    asked = l10n.gettext(_QUESTIONS[question])
    yes = {
        RoundAction.CLOSE: (l10n.gettext("Yes, close"), RoundAction.CLOSE_YES),
        RoundAction.REOPEN: (l10n.gettext("Yes, reopen"), RoundAction.REOPEN_YES),
        RoundAction.PUBLISH: (l10n.gettext("Yes, publish"), RoundAction.PUBLISH_YES),
    }[question]
    if question is RoundAction.PUBLISH and panel.low_participation:
        asked += "\n" + _publish_warning(l10n, panel)
        yes = (l10n.gettext("Publish anyway"), RoundAction.PUBLISH_YES)
    lines += ["", "<b>" + escape(asked) + "</b>"]
    markup = InlineKeyboardMarkup(
        [[_button(yes[0], r, yes[1]), _button(l10n.gettext("Back"), r, RoundAction.BACK)]]
    )
    return "\n".join(lines), markup


def _button(label: str, r: Round, action: RoundAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=RoundButton(r.id, action).pack())


def _panel_buttons(l10n: Localizer, panel: Panel) -> InlineKeyboardMarkup:
    r = panel.round
    if r.open:
        first = [
            _button(l10n.gettext("Close"), r, RoundAction.CLOSE),
            _button(l10n.gettext("🔔 Remind those behind"), r, RoundAction.REMIND),
        ]
    else:
        first = [_button(l10n.gettext("Reopen"), r, RoundAction.REOPEN)]
        if not r.published:
            first.append(_button(l10n.gettext("Publish"), r, RoundAction.PUBLISH))
    last = [_button(l10n.gettext("◀ All rounds"), r, RoundAction.LIST)]
    if panel.deletable:  # nobody has rated (the domain checks again: a rating may come meanwhile)
        last.insert(0, _button(l10n.gettext("Delete"), r, RoundAction.DELETE_QUESTION))
    return InlineKeyboardMarkup(
        [
            first,
            [
                _button(l10n.gettext("Results"), r, RoundAction.RESULTS),
                _button("CSV", r, RoundAction.CSV),
                _button("XLSX", r, RoundAction.XLSX),
            ],
            last,
        ]
    )


async def show_rounds(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rounds: every round with its participation; coordinators open each one's panel,
    members rate or read results from their buttons."""
    services = context.services
    in_group = message.chat.type != "private"
    overview = await services.assessments.overview(user.id, in_group=in_group)
    text, markup = _rounds_view(l10n, services.settings.timezone, overview)
    await message.reply_text(text, reply_markup=markup)


rounds = answering_not_allowed(show_rounds)


async def on_rounds_page(press: Press[RoundsPage], context: BotContext) -> None:
    """◀ ▶ under /rounds: that page of the list, as it is now (a page past the end: the last)."""
    services = context.services
    in_group = press.message.chat.type != "private"
    try:
        overview = await services.assessments.overview(press.user.id, in_group=in_group)
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)
        return
    await press.query.answer()
    view = _rounds_view(press.l10n, services.settings.timezone, overview, press.data.page)
    await lookup.edit(press.message, *view)


_CHANGES = {
    RoundAction.CLOSE_YES: RoundChange.CLOSE,
    RoundAction.REOPEN_YES: RoundChange.REOPEN,
    RoundAction.PUBLISH_YES: RoundChange.PUBLISH,
    RoundAction.DELETE: RoundChange.DELETE,
}
_DONE = {  # the toast after [Yes, close] [Yes, reopen] [Yes, publish]
    RoundAction.CLOSE_YES: N_("Closed."),
    RoundAction.REOPEN_YES: N_("Reopened."),
    RoundAction.PUBLISH_YES: N_("Published."),
}
_ASKED = {
    RoundAction.CLOSE: RoundChange.CLOSE,
    RoundAction.REOPEN: RoundChange.REOPEN,
    RoundAction.PUBLISH: RoundChange.PUBLISH,
    RoundAction.DELETE_QUESTION: RoundChange.DELETE,
}


async def on_round_button(press: Press[RoundButton], context: BotContext) -> None:
    """ra<action>:<round>: a round's panel and its buttons (coordinators only)."""
    action = press.data.action
    try:
        if action in _CHANGES:
            await _change(press, context)
        elif action in _ASKED:
            await _ask(press, context)
        elif action is RoundAction.REMIND:
            await _remind(press, context)
        elif action is RoundAction.LIST:
            overview = await context.services.assessments.overview(press.user.id)
            await press.query.answer()
            tz = context.services.settings.timezone
            await lookup.edit(press.message, *_rounds_view(press.l10n, tz, overview))
        elif action in (RoundAction.PANEL, RoundAction.BACK):
            panel = await context.services.assessments.panel(press.user.id, press.data.round_id)
            await _redraw(press, context, panel)
        else:
            await _send(press, context)
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)


async def _redraw(
    press: Press[RoundButton], context: BotContext, panel: Panel | None, answer: str = ""
) -> None:
    """Answer the press (an alert when there is something to say) and redraw the panel."""
    l10n = press.l10n
    if panel is None:
        await press.query.answer(_gone(l10n), show_alert=True)
        return
    await press.query.answer(answer or None, show_alert=bool(answer))
    await lookup.edit(press.message, *_panel_view(l10n, context, panel))


async def _change(press: Press[RoundButton], context: BotContext) -> None:
    """[Yes, close] [Yes, reopen] [Yes, publish] [Yes, delete]: do it, redraw."""
    query, l10n, action = press.query, press.l10n, press.data.action
    changed = await context.services.assessments.change(
        press.user.id, press.data.round_id, _CHANGES[action]
    )
    if changed.overview is None:
        await query.answer(_gone(l10n), show_alert=True)
        return
    if changed.refused:
        await _redraw(press, context, changed.panel, l10n.gettext(changed.refused))
        return
    if changed.panel is None:  # deleted: back to the list
        await query.answer(l10n.gettext("Deleted."))
        tz = context.services.settings.timezone
        await lookup.edit(press.message, *_rounds_view(l10n, tz, changed.overview))
        return
    await query.answer(l10n.gettext(_DONE[action]))
    await lookup.edit(press.message, *_panel_view(l10n, context, changed.panel))


async def _ask(press: Press[RoundButton], context: BotContext) -> None:
    """[Close] [Reopen] [Publish] [Delete]: the question first (or why not, on a stale panel)."""
    l10n, action = press.l10n, press.data.action
    asked = await context.services.assessments.ask(
        press.user.id, press.data.round_id, _ASKED[action]
    )
    if asked.panel is None or asked.refused:
        await _redraw(press, context, asked.panel, l10n.gettext(asked.refused))
        return
    await press.query.answer()
    if action is RoundAction.DELETE_QUESTION:
        round_ = asked.panel.round
        await lookup.edit(
            press.message, _delete_question(l10n, round_), _delete_buttons(l10n, round_)
        )
        return
    await lookup.edit(press.message, *_panel_view(l10n, context, asked.panel, action))


_REMINDING = {
    Reminding.NOBODY_BEHIND: N_("Every organisation has rated everything: nobody to remind."),
    Reminding.CLOSED: N_("This round is closed: nobody to remind."),
    Reminding.OFF: N_(
        "Round notices are switched off (ROUND_NOTICES): the bot sends no reminders."
    ),
}


async def _remind(press: Press[RoundButton], context: BotContext) -> None:
    """🔔 Remind those behind: '(Reminded 3 organisations (7 people)', or why not."""
    l10n = press.l10n
    reminded = await context.services.assessments.remind_behind(press.user.id, press.data.round_id)
    if reminded.result is Reminding.SENT:
        said = l10n.gettext("Reminded {organisations} ({people}).").format(
            organisations=l10n.ngettext(
                "{count} organisation", "{count} organisations", reminded.organisations
            ).format(count=l10n.number(reminded.organisations)),
            people=l10n.ngettext("{count} person", "{count} people", reminded.people).format(
                count=l10n.number(reminded.people)
            ),
        )
    elif reminded.result is Reminding.TOO_SOON and reminded.last is not None:
        tz = context.services.settings.timezone
        said = l10n.gettext(
            "The last reminder went at {time} ({zone}): nothing was sent again. Remind again "
            "an hour after it."
        ).format(time=l10n.datetime(reminded.last, tz), zone=zone_name(l10n, tz))
    else:
        said = l10n.gettext(_REMINDING.get(reminded.result, ""))
    if reminded.result in (Reminding.SENT, Reminding.CLOSED):  # the panel changed
        await _redraw(press, context, reminded.panel, said)
    else:
        await press.query.answer(said, show_alert=True)


async def _send(press: Press[RoundButton], context: BotContext) -> None:
    """[Results] [CSV] [XLSX]: the table or the file, in this chat."""
    user, l10n, action, round_id = press.user, press.l10n, press.data.action, press.data.round_id
    round_ = await context.services.assessments.round(round_id)
    await context.services.coalition.require_coordinator(user.id)
    if round_ is None:
        await press.query.answer(_gone(l10n), show_alert=True)
        return
    await press.query.answer()
    if action is RoundAction.RESULTS:
        await send_results(press.message, l10n, context, user.id, round_id)
    else:
        kind = "csv" if action is RoundAction.CSV else "xlsx"
        await send_export(press.message, l10n, context, user.id, round_id, kind)


def _delete_question(l10n: Localizer, round_: Round) -> str:
    return escape(
        l10n.gettext(
            "Delete round {id} «{name}»? Nobody has rated in it yet. It cannot be undone; the "
            "audit log keeps a line."
        ).format(id=l10n.number(round_.id), name=round_.name)
    )


def _delete_buttons(l10n: Localizer, round_: Round) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Yes, delete round {id}").format(id=l10n.number(round_.id)),
                    callback_data=RoundButton(round_.id, RoundAction.DELETE).pack(),
                ),
                InlineKeyboardButton(
                    l10n.gettext("Back"),
                    callback_data=RoundButton(round_.id, RoundAction.BACK).pack(),
                ),
            ]
        ]
    )


def _gone(l10n: Localizer) -> str:
    return l10n.gettext("This round no longer exists.")
