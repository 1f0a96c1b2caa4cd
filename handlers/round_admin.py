"""Round administration: /openround, /rounds and the coordinators' round buttons."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.domain.arguments import arguments, name_after_colon
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.rounds import (
    BadScope,
    parse_scope,
)
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
from handlers.render import escape
from handlers.round_results import send_export, send_results


@answering_not_allowed
async def open_round(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/openround <scope> : <name> — e.g. /openround c2 accepted land : Mid-term review 2026."""
    await context.services.coalition.require_coordinator(user.id)
    split = name_after_colon(arguments(message.text or ""))
    scope_text, name = split or ("", "")
    if not name or len(name) > 120:
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
    services = context.services
    try:
        tz = services.settings.timezone
        today = services.clock.now().astimezone(tz).date()
        scope = parse_scope(scope_text, services.catalog, tz, today)
    except BadScope as exc:
        await message.reply_text(escape(l10n.gettext(exc.message).format(**exc.params)))
        return
    round_id = await services.assessments.open_round(user.id, name, scope)
    await message.reply_text(
        escape(
            l10n.ngettext(
                "Round {id} «{name}» is open: {count} recommendation of cycle {cycle}.",
                "Round {id} «{name}» is open: {count} recommendations of cycle {cycle}.",
                len(scope.recommendation_ids),
            ).format(
                id=round_id,
                name=name,
                count=len(scope.recommendation_ids),
                cycle=scope.cycle,
            )
            + "\n"
            + l10n.gettext("Members rate with /rate, in their working group's chat or here.")
        )
    )


async def _rounds_view(
    l10n: Localizer, context: BotContext, user_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    services = context.services
    rounds = await services.assessments.rounds()
    if not rounds:
        return escape(l10n.gettext("No assessment round yet.")), None
    coordinator = await services.is_coordinator(user_id)
    lines, rows = [], []
    for r in rounds:
        rated, total = await services.assessments.participation(r.id)
        status = (l10n.gettext("open") if r.open else l10n.gettext("closed")) + (
            ", " + l10n.gettext("published") if r.published else ""
        )
        lines.append(
            escape(
                l10n.ngettext(
                    "{id}. {name} — cycle {cycle}, {count} recommendation, {status}; {rated} of "
                    "{total} organisations took part",
                    "{id}. {name} — cycle {cycle}, {count} recommendations, {status}; {rated} of "
                    "{total} organisations took part",
                    r.size,
                ).format(
                    id=r.id,
                    name=r.name,
                    cycle=r.cycle,
                    count=r.size,
                    status=status,
                    rated=rated,
                    total=total,
                )
            )
        )
        if coordinator:
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
            rows.append(row)
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{r.id}: CSV", callback_data=RoundButton(r.id, RoundAction.CSV).pack()
                    ),
                    InlineKeyboardButton(
                        f"{r.id}: XLSX", callback_data=RoundButton(r.id, RoundAction.XLSX).pack()
                    ),
                ]
            )
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


@answering_not_allowed
async def rounds(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rounds: every round with its participation; coordinators get the buttons."""
    text, markup = await _rounds_view(l10n, context, user.id)
    await message.reply_text(text, reply_markup=markup)


async def on_round_button(press: Press[RoundButton], context: BotContext) -> None:
    """ra<action>:<round>: close, reopen, publish, results, exports (coordinators only)."""
    query, user, l10n = press.query, press.user, press.l10n
    action, round_id = press.data.action, press.data.round_id
    assessments = context.services.assessments
    try:
        await context.services.coalition.require_coordinator(user.id)
        if await assessments.round(round_id) is None:
            await query.answer(l10n.gettext("This round no longer exists."), show_alert=True)
            return
        if action in (RoundAction.CLOSE, RoundAction.REOPEN):
            await assessments.set_open(user.id, round_id, action is RoundAction.REOPEN)
        elif action is RoundAction.PUBLISH:
            await assessments.publish(user.id, round_id)
        elif action is RoundAction.RESULTS:
            await query.answer()
            await send_results(press.message, l10n, context, user.id, round_id)
            return
        else:
            await query.answer()
            await send_export(
                press.message,
                l10n,
                context,
                user.id,
                round_id,
                "csv" if action is RoundAction.CSV else "xlsx",
            )
            return
    except NotAllowed:
        await query.answer(not_allowed(l10n), show_alert=True)
        return
    await query.answer(l10n.gettext("Saved."))
    text, markup = await _rounds_view(l10n, context, user.id)
    await lookup.edit(press.message, text, markup)
