"""Rating in a working group's chat: /rate posts cards, taps record, a job redraws counts."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.domain.arguments import arguments, whole_number
from bot.domain.assessment import Card, PromptOrigin, Round
from bot.domain.i18n import Localizer
from bot.domain.membership import MembershipPaused, NotAllowed
from bot.domain.outbox import Button, Content, Delivery, Job
from bot.domain.rounds import Tapped
from bot.domain.services import DomainServices
from handlers import lookup
from handlers.access import Press
from handlers.callbacks import (
    RateRound,
    Vote,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    thread_of,
    translate_stopped,
)
from handlers.private_rating import (
    ask_now,
    next_private,
    private_card,
    prompt_content,
    prompt_text,
)
from handlers.render import escape, round_label
from handlers.round_cards import (
    COLOURS,
    card_markup,
    not_linked,
    only_representatives,
    rating_card,
    reason_link,
)

log = logging.getLogger(__name__)
BATCH = 5


@answering_not_allowed
async def rate(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rate [round]: in a working group's chat, post the next cards; in private, the next
    unrated one. With several rounds open and none named, ask which (buttons)."""
    if message.chat.type == "private":  # coordinators post cards in groups; they do not rate
        try:
            await context.services.assessments.rater(user.id)
        except NotAllowed as refused:
            await message.reply_text(escape(only_representatives(l10n, refused)))
            return
    asked = whole_number(arguments(message.text or ""))
    choice = await context.services.assessments.pick_open(asked)
    if choice.round is not None:
        await rate_in(message, user, l10n, context, choice.round)
        return
    if choice.asked is not None:
        text = l10n.gettext("Round {id} is not open.").format(id=l10n.number(choice.asked))
    elif choice.choices:
        text = l10n.gettext("Several rounds are open: which one do you want to rate?")
    else:
        text = l10n.gettext("No assessment round is open.")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(round_label(l10n, r), callback_data=RateRound(r.id).pack())]
            for r in choice.choices
        ]
    )
    await message.reply_text(escape(text), reply_markup=markup if choice.choices else None)


async def on_rate_round(press: Press[RateRound], context: BotContext) -> None:
    """rr:<round>: /rate in the round chosen under 'which one?'."""
    round_ = await context.services.assessments.round(press.data.round)
    if round_ is None:  # deleted since (or a forged button)
        await press.query.answer(
            press.l10n.gettext("This round no longer exists."), show_alert=True
        )
        return
    if not round_.open:
        await press.query.answer(
            press.l10n.gettext("This round is closed: ratings can no longer change."),
            show_alert=True,
        )
        return
    await press.query.answer()
    try:
        await rate_in(press.message, press.user, press.l10n, context, round_)
    except NotAllowed:
        await press.message.reply_text(escape(not_allowed(press.l10n)))


async def rate_in(
    message: Message, user: User, l10n: Localizer, context: BotContext, round_: Round
) -> None:
    """Post the next cards of this round in a working group's chat, or in private the next
    card the user's organisation has not rated."""
    services = context.services
    if message.chat.type == "private":
        try:
            await services.assessments.rater(user.id)
        except NotAllowed as refused:  # coordinators post cards in groups; representatives rate
            await message.reply_text(escape(only_representatives(l10n, refused)))
            return
        await next_private(message, l10n, context, user.id, round_)
        return
    thread = thread_of(message)
    group_id = await services.coalition.linked_group(message.chat.id, thread)
    if group_id is None:
        await message.reply_text(escape(not_linked(l10n)))
        return
    # What the bot posts in a group is in the chat's language (a coordinator's /language
    # there), so everyone reads the same cards and redraws match the post.
    language = await services.coalition.chat_language(message.chat.id, thread)
    l10n = services.translations.localizer(language)
    # The group's own list decides what it rates (seeded from its themes, edited by hand).
    listed = await services.group_lists.recommendation_ids(group_id)
    posted = await services.assessments.posted(round_.id, message.chat.id)
    ours = [rid for rid in await services.assessments.items(round_.id) if rid in listed]
    todo = [rec for rid in ours if rid not in posted and (rec := services.catalog.by_id.get(rid))]
    if not ours:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "None of this round's recommendations is on this working group's list. "
                    "A coordinator can add them with /grouprecs, then send /rate again."
                )
            )
        )
        return
    if not todo:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Every recommendation of this round for this working group has been posted here."
                )
            )
        )
        return
    for rec in todo[:BATCH]:
        sent = await message.reply_text(
            await rating_card(l10n, context, round_, rec, group_id),
            reply_markup=card_markup(round_.id, rec.id, link=context.bot.username),
            do_quote=False,
        )
        await services.assessments.add_card(
            Card(
                sent.chat.id,
                sent.message_id,
                round_.id,
                rec.id,
                working_group_id=group_id,
                language=language,
            )
        )
    left = len(todo) - BATCH
    if left > 0:
        await message.reply_text(
            escape(
                l10n.ngettext(
                    "{count} more recommendation: send /rate again when you are ready.",
                    "{count} more recommendations: send /rate again when you are ready.",
                    left,
                ).format(count=l10n.number(left))
            ),
            do_quote=False,
        )


async def on_vote(press: Press[Vote], context: BotContext) -> None:
    """v<colour>:<round>:<rec>: record the organisation's rating at once; counts follow."""
    # What the tap answers and asks privately is the presser's own; the card's counts are
    # redrawn in the chat's language by flush_cards.
    query, user, l10n, message = press.query, press.user, press.own, press.message
    colour = COLOURS[press.data.tap]
    round_id, rec_id = press.data.round_id, press.data.rec
    in_group = message.chat.type != "private"
    origin = (message.chat.id, thread_of(message) or None)
    # The reason prompt is queued with the rating; the newest prompt wins over a waiting
    # /translate, and says so.
    waits = in_group and await context.services.translating.asked(user.id) is not None
    stopped = translate_stopped(l10n) if waits else ""
    tap = await context.services.assessments.tap(
        user.id,
        round_id,
        rec_id,
        colour,
        in_group=in_group,
        prompt=lambda org: prompt_content(
            l10n, prompt_text(l10n, context, rec_id, org, colour) + stopped
        ),
        language=l10n.language,
        origin=origin,
    )
    if tap.result not in (Tapped.RECORDED, Tapped.CHANGED):
        await query.answer(_refusal(l10n, tap.result), show_alert=True)
        return
    shadowed = tap.ask_reason and waits
    if shadowed:  # before anything else: the outbox may send the prompt now
        await context.services.translating.shadow(user.id)
    org, org_id = tap.organisation, tap.organisation_id
    await query.answer(
        l10n.gettext("{org} rated it {colour}.").format(org=org, colour=colour.emoji)
    )
    if org_id is None:
        return
    # What follows uses the organisation the tap was recorded for: a pause or removal a
    # moment later does not turn it into an error.
    if in_group and tap.result is Tapped.CHANGED and not shadowed:
        await _recolour_prompt(context, l10n, user.id, round_id, rec_id, (org_id, org))
    # In private the card shows the rating and the reason is asked for at once (⏭ Next).
    if tap.round is None:  # a group's tap: no private card
        return
    rec = context.services.catalog.by_id.get(rec_id)
    if rec is None:
        return
    card = await private_card(l10n, context, tap.round, rec, user.id, org_id=org_id)
    await lookup.edit(message, *card)
    rating = (await context.services.assessments.own(round_id, org_id)).get(rec_id)
    if rating is not None:
        await ask_now(message, l10n, context, user.id, round_id, rating, org)


def _refusal(l10n: Localizer, result: Tapped) -> str:
    """What a tap that was not recorded answers (worded only then: not on every tap)."""
    if result is Tapped.PAUSED:
        return only_representatives(l10n, MembershipPaused())
    if result is Tapped.CLOSED:
        return l10n.gettext("This round is closed: ratings can no longer change.")
    if result is Tapped.NOT_IN_ROUND:
        return l10n.gettext("This recommendation is not part of this round.")
    return only_representatives(l10n)


async def _recolour_prompt(
    context: BotContext,
    l10n: Localizer,
    user_id: int,
    round_id: int,
    rec_id: int,
    rater: tuple[int, str],
) -> None:
    """The colour changed after the reason was asked for privately: the prompt says the
    organisation's current colour (rewritten while it waits in the outbox, else edited).
    `rater` is the organisation (id, short name) the tap was recorded for."""
    assessments = context.services.assessments
    org_id, org = rater
    rating = (await assessments.own(round_id, org_id)).get(rec_id)
    if rating is None:
        return
    # The words of the prompt a first rating asked with: only the colour changes.
    text = prompt_text(l10n, context, rec_id, org, rating.colour)
    sent = await assessments.recolour_prompt(user_id, round_id, rec_id, prompt_content(l10n, text))
    if sent is None:
        return
    try:
        await context.bot.edit_message_text(text, chat_id=user_id, message_id=sent)
    except TelegramError as exc:  # deleted, or the person blocked the bot: nothing to fix
        log.info("reason prompt %s not recoloured: %s", sent, exc)


async def flush_cards(context: BotContext) -> None:
    """Job: redraw the counts of cards that changed, at most once per card per run.
    Telegram allows a group about 20 edits a minute: a burst of taps is one edit.

    A card counts as drawn only once Telegram took the edit ("not modified" included); a
    timeout, 5xx or 429 leaves it for the next run, so one failure never leaves counts stale.
    """
    services = context.services
    assessments = services.assessments
    for card in await assessments.cards_to_redraw():
        l10n = services.translations.localizer(card.language)
        round_ = await assessments.round(card.round_id)
        rec = services.catalog.by_id.get(card.recommendation_id)
        if round_ is None or rec is None:
            continue
        try:
            await context.bot.edit_message_text(
                await rating_card(l10n, context, round_, rec, card.working_group_id),
                chat_id=card.chat_id,
                message_id=card.message_id,
                reply_markup=card_markup(round_.id, rec.id, link=context.bot.username),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                # Deleted or no longer editable: retrying cannot help.
                log.info("rating card %s/%s not redrawn: %s", card.chat_id, card.message_id, exc)
        except Forbidden as exc:  # the bot left the chat
            log.info("rating card %s/%s not redrawn: %s", card.chat_id, card.message_id, exc)
        except TelegramError as exc:
            log.warning(
                "rating card %s/%s redraw failed, will retry: %s",
                card.chat_id,
                card.message_id,
                exc,
            )
            continue
        await assessments.mark_drawn(card)


async def close_due_rounds(context: BotContext) -> None:
    """Job: close the rounds whose closing date has passed and remind those behind before
    (idempotent sweeps)."""
    await context.services.assessments.close_due()
    await context.services.assessments.remind()


async def private_chat_hint(
    services: DomainServices, bot_username: str, delivery: Delivery
) -> None:
    """Telegram refused a reason prompt (the person never opened a private chat with the bot,
    or blocked it): the group whose card was tapped gets one line telling them to open it,
    with the ✍ link, once per person per round."""
    if delivery.job is not Job.PROMPT:
        return

    def compose(origin: PromptOrigin, name: str, language: str | None) -> Content:
        l10n = services.translations.localizer(language)
        mention = f'<a href="tg://user?id={origin.user_id}">{escape(name or "…")}</a>'
        text = escape(
            l10n.gettext(
                "{name}, I cannot write to you privately before you open a chat with me: tap "
                "✍ below, then Start. There you give your organisation's reasons."
            )
        ).format(name=mention)
        link = reason_link(bot_username, origin.round_id, origin.recommendation_id)
        label = "✍ " + l10n.gettext("Open a private chat")
        return Content(text, buttons=((Button(label, url=link),),))

    await services.assessments.hint_private_chat(delivery.id, compose)
