"""The buttons under a round's published-results notice: its results, and its XLSX table
(sent privately when pressed in a group chat: per-organisation data never goes there); the
sweep that tells a coordinator which groups did not pin a round's notice."""

from __future__ import annotations

from telegram.error import Forbidden

from bot.domain.access import Refusal
from bot.domain.membership import NotAllowed
from handlers.access import Press, refusal_text
from handlers.callbacks import NoticeResult, ResultsNotice
from handlers.common import BotContext, thread_of
from handlers.round_results import send_export, send_results


async def on_results_notice(press: Press[ResultsNotice], context: BotContext) -> None:
    """pn<v|x>:<round>: the results where the notice is (a group chat: that working group's),
    or the XLSX table in the presser's private chat (the gate checked the round is published
    for members)."""
    query, l10n, message, user = press.query, press.l10n, press.message, press.user
    round_id, coalition = press.data.round_id, context.services.coalition
    private = message.chat.type == "private"
    try:
        if press.data.kind is NoticeResult.VIEW:
            group_id = (
                None
                if private
                else await coalition.linked_group(message.chat.id, thread_of(message))
            )
            group = next((g for g in await coalition.working_groups() if g.id == group_id), None)
            await send_results(message, l10n, context, user.id, round_id, group)
            await query.answer()
        elif private:
            await send_export(message, l10n, context, user.id, round_id, "xlsx")
            await query.answer()
        else:  # the file goes privately: in the presser's own language, as the answers
            own = press.own
            try:
                await send_export(message, own, context, user.id, round_id, "xlsx", to=user.id)
            except Forbidden:  # never opened a private chat with the bot, or blocked it
                await query.answer(
                    own.gettext(
                        "Open a private chat with me first (tap my name, then Start), then tap "
                        "📥 XLSX again: I send tables privately."
                    ),
                    show_alert=True,
                )
                return
            await query.answer(own.gettext("I sent you the table in our private chat."))
    except NotAllowed:
        await query.answer(refusal_text(press.own, Refusal.NOT_PUBLISHED), show_alert=True)


async def report_unpinned(context: BotContext) -> None:
    """Tell each coordinator who chose [Open and pin], once, which groups did not pin (run by
    the outbox sweep job)."""
    await context.services.pin_reports.sweep()
