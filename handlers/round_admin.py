"""Round administration: /openround, /rounds and the coordinators' round buttons."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.domain.arguments import arguments
from bot.domain.assessment import Round
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.rounds import Opening, Overview, RoundChange
from handlers import lookup
from handlers.access import Press
from handlers.callbacks import (
    RoundAction,
    RoundButton,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
)
from handlers.render import cycle_name, escape
from handlers.round_results import send_export, send_results


@answering_not_allowed
async def open_round(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/openround <scope> : <name> — e.g. /openround c2 accepted land : Mid-term review 2026."""
    services = context.services
    opened = await services.assessments.open(
        user.id, arguments(message.text or ""), services.catalog, services.settings.timezone
    )
    if opened.result is Opening.NO_NAME:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Write the scope, a colon, then the round's name, for example:\n"
                    "/openround c2 accepted : Mid-term review 2026\n"
                    "Scope: a cycle (c2), accepted or noted, theme names (land labour…), numbers or "
                    "ranges (118.1-118.50), a closing date (until 2026-12-31)."
                )
            )
        )
        return
    if opened.result is Opening.BAD_SCOPE or opened.scope is None:
        await message.reply_text(escape(l10n.gettext(opened.problem).format(**opened.params)))
        return
    size = len(opened.scope.recommendation_ids)
    await message.reply_text(
        escape(
            l10n.ngettext(
                "Round {id} «{name}» is open: {count} recommendation of cycle {cycle}.",
                "Round {id} «{name}» is open: {count} recommendations of cycle {cycle}.",
                size,
            ).format(id=opened.round_id, name=opened.name, count=size, cycle=opened.scope.cycle)
            + "\n"
            + l10n.gettext("Members rate with /rate, in their working group's chat or here.")
        )
    )


def _rounds_view(l10n: Localizer, overview: Overview) -> tuple[str, InlineKeyboardMarkup | None]:
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
            *([l10n.gettext("published")] if r.published else []),
            l10n.gettext("{rated} of {total} organisations took part").format(
                rated=line.rated, total=line.total
            ),
        ]
        lines.append(escape(" · ".join(parts)))
        if overview.coordinator:
            rows += _round_buttons(l10n, r)
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def _round_buttons(l10n: Localizer, r: Round) -> list[list[InlineKeyboardButton]]:
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
    return [row, exports]


@answering_not_allowed
async def rounds(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rounds: every round with its participation; coordinators get the buttons."""
    text, markup = _rounds_view(l10n, await context.services.assessments.overview(user.id))
    await message.reply_text(text, reply_markup=markup)


_CHANGES = {
    RoundAction.CLOSE: RoundChange.CLOSE,
    RoundAction.REOPEN: RoundChange.REOPEN,
    RoundAction.PUBLISH: RoundChange.PUBLISH,
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
            await query.answer(l10n.gettext("Saved."))
            text, markup = _rounds_view(l10n, changed.overview)
            await lookup.edit(press.message, text, markup)
            return
        await context.services.coalition.require_coordinator(user.id)
        if await assessments.round(round_id) is None:
            await query.answer(_gone(l10n), show_alert=True)
            return
    except NotAllowed:
        await query.answer(not_allowed(l10n), show_alert=True)
        return
    await query.answer()
    if action is RoundAction.RESULTS:
        await send_results(press.message, l10n, context, user.id, round_id)
    else:
        kind = "csv" if action is RoundAction.CSV else "xlsx"
        await send_export(press.message, l10n, context, user.id, round_id, kind)


def _gone(l10n: Localizer) -> str:
    return l10n.gettext("This round no longer exists.")
