"""The private rating flow: the next card, reasons, skips, /myratings."""

from __future__ import annotations

import asyncio

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from bot.domain.assessment import Colour, NotInRound, Round, RoundClosed
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed
from bot.domain.model import Recommendation
from bot.domain.outbox import Content
from bot.domain.rounds import (
    MAX_REASON,
)
from handlers import lookup, render
from handlers.access import Press
from handlers.callbacks import (
    AskReason,
    DeleteReason,
    Review,
    Skip,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    stale,
)
from handlers.render import escape
from handlers.round_cards import (
    card_markup,
    only_representatives,
    rating_card,
)

RECORD_WAITS, RECORD_WAIT = 50, 0.02


async def next_private(
    message: Message, l10n: Localizer, context: BotContext, user_id: int, round_: Round
) -> None:
    """Show the next card this organisation has not rated (or skipped), or say it is done."""
    rec_id = await context.services.assessments.next_to_rate(user_id, round_.id)
    rec = context.services.catalog.by_id.get(rec_id) if rec_id is not None else None
    if rec is None:
        skipped = await context.services.assessments.unrated(user_id, round_.id)
        await message.reply_text(
            escape(
                l10n.ngettext(
                    "Your organisation has rated every recommendation it did not skip. "
                    "{count} recommendation was skipped: send /rate to rate it.",
                    "Your organisation has rated every recommendation it did not skip. "
                    "{count} recommendations were skipped: send /rate to rate them.",
                    skipped,
                ).format(count=skipped)
                if skipped
                else l10n.gettext(
                    "Your organisation has rated every recommendation of this round. "
                    "Send /myratings to see or change them."
                )
            )
        )
        return
    await message.reply_text(
        await rating_card(l10n, context, round_, rec, viewer=user_id),
        reply_markup=card_markup(round_.id, rec.id, private=True, skip=True),
    )


async def ask_reason(
    context: BotContext,
    l10n: Localizer,
    user_id: int,
    round_id: int,
    rec_id: int,
    org: str,
    colour: Colour,
    current: str = "",
) -> None:
    """Ask privately for the reason of a rating, as a reply to the bot's message."""
    rec = context.services.catalog.by_id.get(rec_id)
    number = str(rec.number) if rec else "?"
    text = (
        l10n.gettext(
            "{org} rated {number} {colour} with this reason:\n{reason}\nTo change it, reply to this "
            "message with the new reason (at most {limit} characters)."
        )
        if current
        else l10n.gettext(
            "{org} rated {number} {colour}. To add a short reason (e.g. “Law drafted, still in "
            "consultation”), reply to this message."
        )
    )
    # Sent by the outbox (a 403 there marks the person unreachable); the reply is matched to
    # the prompt through the delivery's message id.
    await context.services.assessments.ask_reason(
        user_id,
        round_id,
        rec_id,
        Content(
            escape(
                text.format(
                    org=org, number=number, colour=colour.emoji, reason=current, limit=MAX_REASON
                )
            ),
            force_reply=l10n.gettext("Reason")[:64],
        ),
        l10n.language,
    )


async def on_private_reply(update: Update, context: BotContext) -> None:
    """A reply to a reason prompt stores the reason; any other private text is a lookup."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    reply = message.reply_to_message
    assessments = context.services.assessments
    target = await assessments.prompted(user.id, reply.message_id) if reply is not None else None
    if target is None and reply is not None and reply.from_user is not None:
        target = await _prompt_being_recorded(context, user.id, reply.message_id)
    if target is None:
        await lookup.on_text(update, context)
        return
    l10n = await reader(update, context)
    reason = message.text.strip()
    try:
        cut = await assessments.set_reason(user.id, target[0], target[1], reason)
    except NotAllowed:
        await message.reply_text(escape(only_representatives(l10n)))
        return
    except RoundClosed:
        await message.reply_text(
            escape(l10n.gettext("This round is closed: ratings can no longer change."))
        )
        return
    except NotInRound:
        await message.reply_text(
            escape(l10n.gettext("This recommendation is not part of this round any more."))
        )
        return
    if cut:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Your reason has {length} characters, more than the {limit} a reason may have: "
                    "only its first {limit} were saved. To shorten it yourself, reply again."
                ).format(length=len(reason), limit=MAX_REASON)
            )
        )
        return
    await message.reply_text(
        escape(l10n.gettext("Reason saved. You can change it by replying again."))
    )


async def _prompt_being_recorded(
    context: BotContext, user_id: int, message_id: int
) -> tuple[int, int] | None:
    """A reply can reach the bot a moment before the outbox has recorded the prompt's message
    id (the reply comes on another connection): wait up to a second while a prompt is unsent."""
    assessments = context.services.assessments
    for _ in range(RECORD_WAITS):
        if not await assessments.prompt_unsent(user_id):
            return await assessments.prompted(user_id, message_id)
        await asyncio.sleep(RECORD_WAIT)
    return None


async def on_reason_button(press: Press[AskReason], context: BotContext) -> None:
    """rw:<round>:<rec>: ask for the reason of the organisation's rating of this card."""
    round_id, rec_id, l10n = press.data.round_id, press.data.rec, press.l10n
    services = context.services
    try:
        org_id, org = await services.assessments.rater(press.user.id)
    except NotAllowed:
        await press.query.answer(only_representatives(l10n), show_alert=True)
        return
    rating = (await services.assessments.own(round_id, org_id)).get(rec_id)
    if rating is None:
        await press.query.answer(
            l10n.gettext("Choose a colour first, then add the reason."), show_alert=True
        )
        return
    await press.query.answer()
    await ask_reason(
        context, l10n, press.user.id, round_id, rec_id, org, rating.colour, rating.reason
    )


async def on_skip(press: Press[Skip], context: BotContext) -> None:
    """rk:<round>:<rec>: come back to this one later; show the next."""
    round_ = await context.services.assessments.round(press.data.round_id)
    if round_ is None:
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    await press.query.answer()
    try:
        await context.services.assessments.skip(press.user.id, round_.id, press.data.rec)
        await next_private(press.message, press.l10n, context, press.user.id, round_)
    except NotAllowed:
        await press.message.reply_text(escape(not_allowed(press.l10n)))


@answering_not_allowed
async def my_ratings(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/myratings: the organisation's ratings in the open round, each with a button to change;
    with no round open, those of the latest closed round, read-only."""
    services = context.services
    round_ = await services.assessments.current_round() or (
        await services.assessments.latest_closed()
    )
    if round_ is None:
        await message.reply_text(escape(l10n.gettext("No assessment round is open.")))
        return
    org_id, org = await services.assessments.rater(user.id)
    own = await services.assessments.own(round_.id, org_id)
    if not own:
        await message.reply_text(
            escape(
                l10n.gettext("{org} has not rated anything in this round yet. Send /rate.").format(
                    org=org
                )
            )
        )
        return
    lines = [
        "<b>"
        + escape(l10n.gettext("Ratings of {org} in «{round}»").format(org=org, round=round_.name))
        + "</b>",
        escape(
            l10n.gettext(
                "Tap a number to change its colour, or to change (✍) or delete (🗑) its reason."
            )
            if round_.open
            else l10n.gettext("This round is closed: these ratings can no longer change.")
        ),
    ]
    buttons = []
    for rec_id, rating in own.items():
        rec = services.catalog.by_id.get(rec_id)
        if rec is None:
            continue
        lines.append(escape(f"{rec.number} {rating.colour.emoji} {rating.reason}".rstrip()))
        buttons.append(
            InlineKeyboardButton(
                f"{rec.number} {rating.colour.emoji}",
                callback_data=Review(round_.id, rec_id).pack(),
            )
        )
    rows = [buttons[i : i + 4] for i in range(0, len(buttons[:48]), 4)] if round_.open else []
    for chunk in render.split_messages(["\n".join(lines)]):
        await message.reply_text(chunk, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_review(press: Press[Review], context: BotContext) -> None:
    """rv:<round>:<rec>: open one card again to change the rating."""
    services = context.services
    round_ = await services.assessments.round(press.data.round_id)
    rec = services.catalog.by_id.get(press.data.rec)
    if round_ is None or rec is None:
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    try:
        text, markup = await private_card(press.l10n, context, round_, rec, press.user.id)
    except NotAllowed:
        await press.query.answer(only_representatives(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await press.message.reply_text(text, reply_markup=markup)


async def private_card(
    l10n: Localizer, context: BotContext, round_: Round, rec: Recommendation, user_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A card in private: the counts, the organisation's own colour and reason, and buttons to
    change the colour, write the reason (✍) or delete it (🗑). NotAllowed for non-raters."""
    assessments = context.services.assessments
    org_id, _ = await assessments.rater(user_id)
    rating = (await assessments.own(round_.id, org_id)).get(rec.id)
    lines = [await rating_card(l10n, context, round_, rec, viewer=user_id)]
    if rating is not None:
        lines.append(
            escape(
                l10n.gettext("Your organisation's rating: {colour}").format(
                    colour=rating.colour.emoji
                )
            )
        )
        if rating.reason:
            lines.append(escape(l10n.gettext("Reason: {reason}").format(reason=rating.reason)))
    has_reason = rating is not None and bool(rating.reason)
    return "\n".join(lines), card_markup(round_.id, rec.id, private=True, reason=has_reason)


async def on_delete_reason(press: Press[DeleteReason], context: BotContext) -> None:
    """rx:<round>:<rec>: delete the organisation's reason for this rating (history keeps it)."""
    round_id, rec_id, l10n = press.data.round_id, press.data.rec, press.l10n
    services = context.services
    try:
        deleted = await services.assessments.delete_reason(press.user.id, round_id, rec_id)
    except NotAllowed:
        await press.query.answer(only_representatives(l10n), show_alert=True)
        return
    except RoundClosed:
        await press.query.answer(
            l10n.gettext("This round is closed: ratings can no longer change."), show_alert=True
        )
        return
    except NotInRound:
        await press.query.answer(
            l10n.gettext("This recommendation is not part of this round any more."),
            show_alert=True,
        )
        return
    await press.query.answer(
        l10n.gettext("Reason deleted.")
        if deleted
        else l10n.gettext("There is no reason to delete.")
    )
    round_ = await services.assessments.round(round_id)
    rec = services.catalog.by_id.get(rec_id)
    if deleted and round_ is not None and rec is not None:
        await lookup.edit(
            press.message, *await private_card(l10n, context, round_, rec, press.user.id)
        )
