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

from bot.domain.arguments import arguments
from bot.domain.assessment import Colour, NotInRound, Rating, Round, RoundClosed
from bot.domain.i18n import Localizer
from bot.domain.membership import CoordinatorsDoNotRate, MembershipPaused, NotAllowed
from bot.domain.model import Recommendation
from bot.domain.outbox import Content
from bot.domain.rounds import (
    MAX_REASON,
    LinkOpened,
    Reasoned,
    ReasonGiven,
    Undo,
)
from handlers import lookup, render
from handlers.access import Press
from handlers.callbacks import (
    AskReason,
    DeleteReason,
    NextCard,
    Review,
    Skip,
    UndoReason,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    stale,
    translate_stops,
)
from handlers.render import escape
from handlers.round_cards import (
    DEEP_LINK,
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
                ).format(count=l10n.number(skipped))
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


def prompt_text(
    l10n: Localizer,
    context: BotContext,
    rec_id: int,
    org: str,
    colour: Colour,
    current: str = "",
    *,
    now: bool = False,
) -> str:
    """What asks for a rating's reason, with the organisation's current colour: `now`, the
    answer to a tap in private (type it now, or ⏭ Next); else the prompt sent on its own."""
    rec = context.services.catalog.by_id.get(rec_id)
    number = str(rec.number) if rec else "?"
    if now:
        text = (
            l10n.gettext(
                "{org} rated {number} {colour} with this reason:\n{reason}\nType a new reason "
                "now to replace it (at most {limit} characters), or tap ⏭ Next."
            )
            if current
            else l10n.gettext(
                "{org} rated {number} {colour}. Type a short reason now (e.g. “Law drafted, "
                "still in consultation”), or tap ⏭ Next."
            )
        )
    else:
        text = (
            l10n.gettext(
                "{org} rated {number} {colour} with this reason:\n{reason}\nTo change it, send "
                "the new reason as your next message or reply to this one (at most {limit} "
                "characters)."
            )
            if current
            else l10n.gettext(
                "{org} rated {number} {colour}. To add a short reason (e.g. “Law drafted, still "
                "in consultation”), send it as your next message or reply to this one."
            )
        )
    return escape(
        text.format(
            org=org,
            number=number,
            colour=colour.emoji,
            reason=current,
            limit=l10n.number(MAX_REASON),
        )
    )


def prompt_content(l10n: Localizer, text: str) -> Content:
    """A prompt sent on its own: a reply to it gives the reason."""
    return Content(text, force_reply=l10n.gettext("Reason")[:64])


async def ask_reason(
    context: BotContext,
    l10n: Localizer,
    user_id: int,
    round_id: int,
    rec_id: int,
    org: str,
    colour: Colour,
    current: str = "",
    origin: tuple[int, int | None] | None = None,
) -> None:
    """Ask privately for the reason of a rating (the next plain message or a reply gives it);
    `origin`: the group chat whose card was tapped, told if Telegram refuses."""
    # The newest prompt wins: a /translate waiting for a text stops waiting, and it says so.
    stopped = await translate_stops(l10n, context.services, user_id)
    # Sent by the outbox (a 403 there marks the person unreachable); the reply is matched to
    # the prompt through the delivery's message id.
    await context.services.assessments.ask_reason(
        user_id,
        round_id,
        rec_id,
        prompt_content(l10n, prompt_text(l10n, context, rec_id, org, colour, current) + stopped),
        l10n.language,
        origin,
    )


async def ask_now(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    round_id: int,
    rating: Rating,
    org: str,
) -> None:
    """Answer a tap (or a ✍ link) in private: type the reason now, or ⏭ Next."""
    text = prompt_text(
        l10n, context, rating.recommendation_id, org, rating.colour, rating.reason, now=True
    ) + await translate_stops(l10n, context.services, user_id)  # the newest prompt wins
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "⏭ " + l10n.gettext("Next"), callback_data=NextCard(round_id).pack()
                )
            ]
        ]
    )
    sent = await message.reply_text(text, reply_markup=markup, do_quote=False)
    await context.services.assessments.prompt_sent(
        user_id, sent.message_id, round_id, rating.recommendation_id
    )


async def on_private_reply(update: Update, context: BotContext) -> None:
    """A reply to a reason prompt stores the reason; any other private text goes on to
    `on_private_text`."""
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
        await on_private_text(update, context)
        return
    given = await assessments.give_reason(user.id, target[0], target[1], message.text)
    await _answer_reason(message, await reader(update, context), context, user.id, given)


async def on_private_text(update: Update, context: BotContext) -> None:
    """A plain private message: the reason asked for last (see `Assessments.reason_from_message`),
    else a lookup."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    assessments = context.services.assessments
    given = await assessments.reason_from_message(user.id, message.text)
    for _ in range(RECORD_WAITS):  # its prompt is on its way: the outbox sends it in a moment
        if given is not None:
            break
        await asyncio.sleep(RECORD_WAIT)
        given = await assessments.reason_from_message(user.id, message.text)
    if given is None or given.result is Reasoned.LOOKUP:
        await lookup.on_text(update, context)
        return
    await _answer_reason(
        message, await reader(update, context), context, user.id, given, plain=True
    )


async def _answer_reason(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    given: ReasonGiven,
    *,
    plain: bool = False,
) -> None:
    """Say what became of a typed reason; a plain message gets [That was a search]; after a
    first rating in private the next card follows."""
    refusal = {
        Reasoned.NOT_A_RATER: only_representatives(l10n),
        Reasoned.PAUSED: only_representatives(l10n, MembershipPaused()),
        Reasoned.CLOSED: l10n.gettext("This round is closed: ratings can no longer change."),
        Reasoned.NOT_IN_ROUND: l10n.gettext("This recommendation is not part of this round."),
        Reasoned.EMPTY: l10n.gettext(
            "That reason is empty: nothing was saved. Type a few words (to delete a reason, "
            "tap 🗑 on the card in /myratings)."
        ),
    }.get(given.result)
    if plain:  # the reason asked for came after the change that refuses it
        refusal = {
            Reasoned.CLOSED: l10n.gettext(
                "The round closed before your reason came, so it was not saved. Ratings can no "
                "longer change."
            ),
            Reasoned.PAUSED: l10n.gettext(
                "Your reason was not saved: your organisation's membership of the coalition "
                "was paused meanwhile. Contact a coordinator."
            ),
            Reasoned.NOT_A_RATER: l10n.gettext(
                "Your reason was not saved: you no longer represent a member organisation. Ask "
                "a coordinator if this is a mistake."
            ),
            Reasoned.NOT_IN_ROUND: l10n.gettext(
                "Your reason was not saved: this recommendation is no longer part of the round."
            ),
        }.get(given.result, refusal)
    if refusal is not None:
        await message.reply_text(escape(refusal))
        return
    rec = context.services.catalog.by_id.get(given.recommendation_id)
    colour = given.colour.emoji if given.colour else ""
    if given.result is Reasoned.CUT:
        text = l10n.gettext(
            "Your reason has {length} characters, more than the {limit} a reason may have: "
            "only its first {limit} were saved. To shorten it yourself, reply again."
        ).format(length=l10n.number(given.length), limit=l10n.number(MAX_REASON))
    elif plain:
        text = l10n.gettext("Reason saved for {number} {colour}.").format(
            number=rec.number if rec else "?", colour=colour
        )
    else:
        text = l10n.gettext("Reason saved. You can change it by replying again.")
    markup = None
    if plain:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        l10n.gettext("That was a search"),
                        callback_data=UndoReason(
                            given.round_id, given.recommendation_id, given.history_id
                        ).pack(),
                    )
                ]
            ]
        )
    await message.reply_text(escape(text), reply_markup=markup)
    round_ = await context.services.assessments.round(given.round_id)
    if given.next_card and round_ is not None:
        await next_private(message, l10n, context, user_id, round_)


async def on_undo(press: Press[UndoReason], context: BotContext) -> None:
    """ru:<round>:<rec>:<history>: the reason just saved was meant as a lookup: restore the
    previous reason and look the text up."""
    l10n, data = press.l10n, press.data
    undone = await context.services.assessments.undo_reason(
        press.user.id, data.round_id, data.rec, data.history
    )
    if undone.result is Undo.GONE:
        await press.query.answer(
            l10n.gettext("There is no reason of your organisation to undo here."), show_alert=True
        )
        return
    if undone.result is Undo.CHANGED:
        await press.query.answer(
            l10n.gettext("A newer reason was saved since: it stays."), show_alert=True
        )
    else:
        await press.query.answer(l10n.gettext("Not kept as a reason."))
        await lookup.edit(
            press.message,
            escape(
                l10n.gettext(
                    "Not kept as a reason: the previous reason is back. To give one, tap ✍ on "
                    "the card."
                )
            ),
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            "✍", callback_data=AskReason(data.round_id, data.rec).pack()
                        )
                    ]
                ]
            ),
        )
    await lookup.answer_query(press.message, context, l10n, undone.text)


async def on_next(press: Press[NextCard], context: BotContext) -> None:
    """rn:<round>: no reason now: the next card to rate."""
    round_ = await context.services.assessments.round(press.data.round_id)
    if round_ is None:
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await context.services.assessments.move_on(press.user.id)
    try:
        await next_private(press.message, press.l10n, context, press.user.id, round_)
    except NotAllowed as refused:
        await press.message.reply_text(escape(only_representatives(press.l10n, refused)))


async def open_link(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/start r<round>_<rec> (the ✍ on a group's card): that card in private, and its reason
    asked for when the organisation has rated it."""
    leads_nowhere = l10n.gettext(
        "This link does not lead to a recommendation of an assessment round. Send /rate to "
        "rate the open round."
    )
    match = DEEP_LINK.fullmatch(arguments(message.text or ""))
    if match is None:  # forged or cut: r1_<16 digits>
        await message.reply_text(escape(leads_nowhere))
        return
    round_id, rec_id = int(match.group(1)), int(match.group(2))
    link = await context.services.assessments.open_link(user.id, round_id, rec_id)
    rec = context.services.catalog.by_id.get(rec_id)
    refusal = {
        LinkOpened.NOT_A_RATER: only_representatives(l10n),
        LinkOpened.COORDINATOR: only_representatives(l10n, CoordinatorsDoNotRate()),
        LinkOpened.PAUSED: only_representatives(l10n, MembershipPaused()),
        LinkOpened.CLOSED: l10n.gettext("This round is closed: ratings can no longer change."),
        LinkOpened.GONE: leads_nowhere,
    }.get(link.result)
    if refusal is not None or link.round is None or rec is None:
        await message.reply_text(escape(refusal or stale(l10n)))
        return
    text, markup = await private_card(l10n, context, link.round, rec, user.id)
    await message.reply_text(text, reply_markup=markup)
    if link.rating is not None:
        await ask_now(message, l10n, context, user.id, round_id, link.rating, link.organisation)


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
    round_id, rec_id, l10n = press.data.round_id, press.data.rec, press.own
    services = context.services
    try:
        org_id, org = await services.assessments.rater(press.user.id)
    except NotAllowed as refused:
        await press.query.answer(only_representatives(l10n, refused), show_alert=True)
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
    except NotAllowed as refused:
        await press.query.answer(only_representatives(press.l10n, refused), show_alert=True)
        return
    await press.query.answer()
    await press.message.reply_text(text, reply_markup=markup)


async def private_card(
    l10n: Localizer,
    context: BotContext,
    round_: Round,
    rec: Recommendation,
    user_id: int,
    *,
    org_id: int | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A card in private: the counts, the organisation's own colour and reason, and buttons to
    change the colour, write the reason (✍) or delete it (🗑). NotAllowed for non-raters
    (unless `org_id` says whose card it is: a tap just recorded for it)."""
    assessments = context.services.assessments
    if org_id is None:
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
    except NotAllowed as refused:
        await press.query.answer(only_representatives(l10n, refused), show_alert=True)
        return
    except RoundClosed:
        await press.query.answer(
            l10n.gettext("This round is closed: ratings can no longer change."), show_alert=True
        )
        return
    except NotInRound:
        await press.query.answer(
            l10n.gettext("This recommendation is not part of this round."),
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
