"""Round administration: /openround, /rounds and the coordinators' round buttons."""

from __future__ import annotations

import datetime as dt

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.domain.arguments import arguments
from bot.domain.assessment import Round
from bot.domain.i18n import Localizer
from bot.domain.importer import N_
from bot.domain.membership import NotAllowed
from bot.domain.rounds import Opening, Overview, RoundChange, Scope
from handlers import lookup
from handlers.access import Press
from handlers.callbacks import (
    DraftRound,
    RoundAction,
    RoundButton,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
)
from handlers.render import closing, cycle_name, escape, response_label
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
    Nothing opens yet: the reply says what was understood, with [Open] and [Cancel]."""
    services = context.services
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
        await message.reply_text(escape(l10n.gettext(opened.problem).format(**opened.params)))
        return
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
            ]
        ]
    )
    await message.reply_text(
        _preview(l10n, context, opened.name, opened.scope), reply_markup=markup
    )


def _preview(l10n: Localizer, context: BotContext, name: str, scope: Scope) -> str:
    """What /openround understood: 'Cycle 2 · Land … · ✅ Accepted · closes … · 14 recommendations'."""
    services = context.services
    themes = services.catalog.themes_by_id
    size = len(scope.recommendation_ids)
    parts = [
        cycle_name(l10n, scope.cycle),
        *(themes[t].name(l10n.language) for t in scope.theme_ids if t in themes),
        *(response_label(l10n, r) for r in scope.responses),
        *scope.numbers,
        closing(l10n, services.settings.timezone, scope.closes_at),
        l10n.ngettext("{count} recommendation", "{count} recommendations", size).format(
            count=size
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
    if not press.data.go:
        await assessments.cancel(press.user.id, press.data.draft)
        await query.answer()
        await lookup.edit(
            press.message, escape(l10n.gettext("Cancelled: no round was opened.")), None
        )
        return
    opened = await assessments.confirm(press.user.id, press.data.draft)
    if opened.result is Opening.BAD_SCOPE:  # its closing date passed meanwhile
        await query.answer(l10n.gettext(opened.problem), show_alert=True)
        await lookup.edit(press.message, escape(l10n.gettext(opened.problem)), None)
        return
    if opened.result is Opening.GONE or opened.scope is None:
        await query.answer(
            l10n.gettext("This draft is no longer there: send /openround again."), show_alert=True
        )
        await lookup.edit(press.message, press.message.text_html or "", None)
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
            ).format(id=opened.round_id, name=opened.name, count=size, cycle=opened.scope.cycle)
            + "\n"
            + l10n.gettext("Members rate with /rate, in their working group's chat or here.")
        ),
        None,
    )


def _rounds_view(
    l10n: Localizer, tz: dt.tzinfo, overview: Overview
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not overview.lines:
        return escape(l10n.gettext("No assessment round yet.")), None
    lines, rows = [], []
    for line in overview.lines:
        r = line.round
        parts = [
            f"{r.id}. {r.name}",
            cycle_name(l10n, r.cycle),
            l10n.ngettext("{count} recommendation", "{count} recommendations", r.size).format(
                count=r.size
            ),
            l10n.gettext("open") if r.open else l10n.gettext("closed"),
            *([closing(l10n, tz, r.closes_at)] if r.open else []),
            *([l10n.gettext("published")] if r.published else []),
            l10n.gettext("{rated} of {total} organisations took part").format(
                rated=line.rated, total=line.total
            ),
        ]
        lines.append(escape(" · ".join(parts)))
        if line.organisations:  # coordinators: who is how far ("ADHOC 9/14 · LICADHO 3/14")
            lines.append(
                "   " + escape(" · ".join(f"{org} {n}/{r.size}" for org, n in line.organisations))
            )
        elif line.own is not None and r.open:
            lines.append(
                "   "
                + escape(
                    l10n.gettext("your organisation: {rated} of {total} rated").format(
                        rated=line.own, total=r.size
                    )
                )
            )
        if overview.coordinator:
            rows += _round_buttons(l10n, r, deletable=line.rated == 0)
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def _round_buttons(
    l10n: Localizer, r: Round, *, deletable: bool
) -> list[list[InlineKeyboardButton]]:
    row = [
        InlineKeyboardButton(
            f"{r.id}: " + (l10n.gettext("Close") if r.open else l10n.gettext("Reopen")),
            callback_data=RoundButton(
                r.id, RoundAction.CLOSE if r.open else RoundAction.REOPEN
            ).pack(),
        )
    ]
    if not r.open and not r.published:
        row.append(
            InlineKeyboardButton(
                f"{r.id}: " + l10n.gettext("Publish"),
                callback_data=RoundButton(r.id, RoundAction.PUBLISH).pack(),
            )
        )
    row.append(
        InlineKeyboardButton(
            f"{r.id}: " + l10n.gettext("Results"),
            callback_data=RoundButton(r.id, RoundAction.RESULTS).pack(),
        )
    )
    exports = [
        InlineKeyboardButton(
            f"{r.id}: CSV", callback_data=RoundButton(r.id, RoundAction.CSV).pack()
        ),
        InlineKeyboardButton(
            f"{r.id}: XLSX", callback_data=RoundButton(r.id, RoundAction.XLSX).pack()
        ),
    ]
    if deletable:  # nobody has rated (the domain checks again: a rating may come meanwhile)
        exports.append(
            InlineKeyboardButton(
                f"{r.id}: " + l10n.gettext("Delete"),
                callback_data=RoundButton(r.id, RoundAction.DELETE_QUESTION).pack(),
            )
        )
    return [row, exports]


async def show_rounds(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rounds: every round with its participation; coordinators get the buttons."""
    services = context.services
    overview = await services.assessments.overview(user.id)
    text, markup = _rounds_view(l10n, services.settings.timezone, overview)
    await message.reply_text(text, reply_markup=markup)


rounds = answering_not_allowed(show_rounds)

_CHANGES = {
    RoundAction.CLOSE: RoundChange.CLOSE,
    RoundAction.REOPEN: RoundChange.REOPEN,
    RoundAction.PUBLISH: RoundChange.PUBLISH,
    RoundAction.DELETE: RoundChange.DELETE,
}


async def on_round_button(press: Press[RoundButton], context: BotContext) -> None:
    """ra<action>:<round>: close, reopen, publish, results, exports (coordinators only)."""
    query, user, l10n = press.query, press.user, press.l10n
    action, round_id = press.data.action, press.data.round_id
    assessments = context.services.assessments
    try:
        if action in _CHANGES:
            changed = await assessments.change(user.id, round_id, _CHANGES[action])
            if changed.overview is None:
                await query.answer(_gone(l10n), show_alert=True)
                return
            if changed.refused:
                await query.answer(l10n.gettext(changed.refused), show_alert=True)
            else:
                await query.answer(
                    l10n.gettext("Deleted.")
                    if action is RoundAction.DELETE
                    else l10n.gettext("Saved.")
                )
            tz = context.services.settings.timezone
            text, markup = _rounds_view(l10n, tz, changed.overview)
            await lookup.edit(press.message, text, markup)
            return
        if action is RoundAction.BACK:
            overview = await assessments.overview(user.id)
            await query.answer()
            text, markup = _rounds_view(l10n, context.services.settings.timezone, overview)
            await lookup.edit(press.message, text, markup)
            return
        await context.services.coalition.require_coordinator(user.id)
        round_ = await assessments.round(round_id)
        if round_ is None:
            await query.answer(_gone(l10n), show_alert=True)
            return
    except NotAllowed:
        await query.answer(not_allowed(l10n), show_alert=True)
        return
    await query.answer()
    if action is RoundAction.DELETE_QUESTION:
        await lookup.edit(
            press.message, _delete_question(l10n, round_), _delete_buttons(l10n, round_)
        )
        return
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
        ).format(id=round_.id, name=round_.name)
    )


def _delete_buttons(l10n: Localizer, round_: Round) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Yes, delete round {id}").format(id=round_.id),
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
