"""Traffic-light rounds in chat: open, rate with buttons, reasons, results, exports."""

from __future__ import annotations

import logging

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.domain.arguments import arguments, name_after_colon, normalise, whole_numbers
from bot.domain.assessment import Card, Colour, Distribution, NotInRound, Round, RoundClosed
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed, WorkingGroup
from bot.domain.model import Recommendation
from bot.domain.rounds import (
    MAX_REASON,
    BadScope,
    ResultRow,
    Tapped,
    changes_by_theme,
    export_rows,
    parse_scope,
    reasons_cell,
    summary_by_theme,
    theme_blocks,
)
from bot.domain.spreadsheet import table
from bot.domain.text import truncate
from handlers import lookup, render
from handlers.access import Press
from handlers.callbacks import (
    AskReason,
    DeleteReason,
    ResultsPage,
    Review,
    RoundAction,
    RoundButton,
    Skip,
    Tap,
    Vote,
)
from handlers.common import (
    BotContext,
    answering_not_allowed,
    not_allowed,
    reader,
    stale,
    thread_of,
)
from handlers.render import escape, overall_label

log = logging.getLogger(__name__)
BATCH = 5
_COLOURS = {  # a rating button's letter, and the colour it records
    Tap.RED: Colour.RED,
    Tap.ORANGE: Colour.ORANGE,
    Tap.GREEN: Colour.GREEN,
    Tap.UNKNOWN: Colour.UNKNOWN,
}


def _card_text(
    l10n: Localizer,
    context: BotContext,
    round_: Round,
    rec: Recommendation,
    dist: Distribution,
    organisations: int,
) -> str:
    catalog = context.services.catalog
    states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
    text = rec.khmer.text if (l10n.language == "km" and rec.khmer) else rec.text_en
    return "\n".join(
        [
            f"<b>{escape(str(rec.number))}</b> · c{rec.cycle} · {escape(round_.name)}",
            escape(truncate(text, 700)) + f" — <i>{escape(truncate(states, 80))}</i>",
            "",
            escape(
                l10n.gettext("{counts} — {rated} of {total} organisations").format(
                    counts=dist.line(), rated=dist.total, total=organisations
                )
            ),
        ]
    )


def _card_markup(
    round_id: int,
    rec_id: int,
    *,
    private: bool = False,
    skip: bool = False,
    reason: bool = False,
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(c.emoji, callback_data=Vote(round_id, rec_id, tap).pack())
            for tap, c in _COLOURS.items()
        ]
    ]
    extra = []
    if private:  # ✍ asks for the reason; in groups the bot asks privately instead
        extra.append(InlineKeyboardButton("✍", callback_data=AskReason(round_id, rec_id).pack()))
    if reason:  # 🗑 deletes the organisation's reason (the history keeps it)
        extra.append(
            InlineKeyboardButton("🗑", callback_data=DeleteReason(round_id, rec_id).pack())
        )
    if skip:
        extra.append(InlineKeyboardButton("⏭", callback_data=Skip(round_id, rec_id).pack()))
    if extra:
        rows.append(extra)
    return InlineKeyboardMarkup(rows)


async def _card(
    l10n: Localizer,
    context: BotContext,
    round_: Round,
    rec: Recommendation,
    group_id: int | None = None,
) -> str:
    """A rating card: in a working group's chat that group's counts, elsewhere the coalition's."""
    assessments = context.services.assessments
    dist = await assessments.distribution(round_.id, rec.id, group_id)
    _, organisations = await assessments.participation(round_.id, group_id)
    return _card_text(l10n, context, round_, rec, dist, organisations)


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
            await _send_results(press.message, l10n, context, user.id, round_id)
            return
        else:
            await query.answer()
            await _send_export(
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


@answering_not_allowed
async def rate(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/rate: in a working group's chat, post the next cards; in private, the next unrated one."""
    services = context.services
    round_ = await services.assessments.current_round()
    if round_ is None:
        await message.reply_text(escape(l10n.gettext("No assessment round is open.")))
        return
    if message.chat.type == "private":
        try:
            await services.assessments.rater(user.id)
        except NotAllowed:  # coordinators post cards in groups; only representatives rate
            await message.reply_text(escape(_only_representatives(l10n)))
            return
        await _next_private(message, l10n, context, user.id, round_)
        return
    group_id = await services.coalition.linked_group(message.chat.id, thread_of(message))
    if group_id is None:
        await message.reply_text(escape(not_linked(l10n)))
        return
    # The group's own list decides what it rates (seeded from its themes, edited by hand).
    listed = await services.group_lists.recommendation_ids(group_id)
    posted = await services.assessments.posted(round_.id, message.chat.id)
    todo = [
        rec
        for rid in await services.assessments.items(round_.id)
        if rid in listed and rid not in posted and (rec := services.catalog.by_id.get(rid))
    ]
    if not todo:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Every recommendation of this round for this working group has been posted here."
                )
            )
        )
        return
    # Cards in a group are in the coalition's default language, so redraws match the post.
    group_l10n = services.translations.localizer(None)
    for rec in todo[:BATCH]:
        sent = await message.reply_text(
            await _card(group_l10n, context, round_, rec, group_id),
            reply_markup=_card_markup(round_.id, rec.id),
            do_quote=False,
        )
        await services.assessments.add_card(
            Card(sent.chat.id, sent.message_id, round_.id, rec.id, working_group_id=group_id)
        )
    left = len(todo) - BATCH
    if left > 0:
        await message.reply_text(
            escape(
                l10n.ngettext(
                    "{count} more recommendation: send /rate again when you are ready.",
                    "{count} more recommendations: send /rate again when you are ready.",
                    left,
                ).format(count=left)
            ),
            do_quote=False,
        )


def not_linked(l10n: Localizer) -> str:
    """What a group command says in a chat not linked to a working group."""
    return l10n.gettext(
        "This chat is not linked to a working group: a coordinator can send /linkgroup."
    )


async def _next_private(
    message: Message, l10n: Localizer, context: BotContext, user_id: int, round_: Round
) -> None:
    rec_id = await context.services.assessments.next_to_rate(user_id, round_.id)
    rec = context.services.catalog.by_id.get(rec_id) if rec_id is not None else None
    if rec is None:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Your organisation has rated (or skipped) every recommendation of this round. "
                    "Send /myratings to see or change them."
                )
            )
        )
        return
    await message.reply_text(
        await _card(l10n, context, round_, rec),
        reply_markup=_card_markup(round_.id, rec.id, private=True, skip=True),
    )


async def on_vote(press: Press[Vote], context: BotContext) -> None:
    """v<colour>:<round>:<rec>: record the organisation's rating at once; counts follow."""
    query, user, l10n, message = press.query, press.user, press.l10n, press.message
    colour = _COLOURS[press.data.tap]
    round_id, rec_id = press.data.round_id, press.data.rec
    in_group = message.chat.type != "private"
    tap = await context.services.assessments.tap(
        user.id, round_id, rec_id, colour, in_group=in_group
    )
    refusal = {
        Tapped.NOT_A_RATER: _only_representatives(l10n),
        Tapped.CLOSED: l10n.gettext("This round is closed: ratings can no longer change."),
        Tapped.NOT_IN_ROUND: l10n.gettext(
            "This recommendation is not part of this round any more."
        ),
    }.get(tap.result)
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    org = tap.organisation
    await query.answer(
        l10n.gettext("{org} rated it {colour}.").format(org=org, colour=colour.emoji)
    )
    if tap.ask_reason:
        await _ask_reason(context, l10n, user.id, round_id, rec_id, org, colour)
    # In private the card shows the rating (✍ asks for the reason) and the next one follows.
    rec = context.services.catalog.by_id.get(rec_id)
    if tap.round is None or rec is None:
        return
    await lookup.edit(message, *await _private_card(l10n, context, tap.round, rec, user.id))
    if tap.result is Tapped.RECORDED:
        await _next_private(message, l10n, context, user.id, tap.round)


async def _ask_reason(
    context: BotContext,
    l10n: Localizer,
    user_id: int,
    round_id: int,
    rec_id: int,
    org: str,
    colour: Colour,
    current: str = "",
) -> None:
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
    try:
        prompt = await context.bot.send_message(
            user_id,
            escape(
                text.format(
                    org=org, number=number, colour=colour.emoji, reason=current, limit=MAX_REASON
                )
            ),
            reply_markup=ForceReply(input_field_placeholder=l10n.gettext("Reason")[:64]),
        )
    except Forbidden:
        # Blocked the bot, or never opened a private chat with it: the rating stands without a
        # reason, and nobody writes to them again until they write to the bot.
        await context.services.coalition.mark_unreachable(user_id)
        return
    await context.services.assessments.remember_prompt(
        user_id, prompt.message_id, round_id, rec_id
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
    if target is None:
        await lookup.on_text(update, context)
        return
    l10n = await reader(update, context)
    reason = message.text.strip()
    try:
        cut = await assessments.set_reason(user.id, target[0], target[1], reason)
    except NotAllowed:
        await message.reply_text(escape(_only_representatives(l10n)))
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


def _only_representatives(l10n: Localizer) -> str:
    return l10n.gettext(
        "Only representatives of member organisations can rate. Ask a coordinator for an "
        "invite link."
    )


async def on_reason_button(press: Press[AskReason], context: BotContext) -> None:
    """rw:<round>:<rec>: ask for the reason of the organisation's rating of this card."""
    round_id, rec_id, l10n = press.data.round_id, press.data.rec, press.l10n
    services = context.services
    try:
        org_id, org = await services.assessments.rater(press.user.id)
    except NotAllowed:
        await press.query.answer(_only_representatives(l10n), show_alert=True)
        return
    rating = (await services.assessments.own(round_id, org_id)).get(rec_id)
    if rating is None:
        await press.query.answer(
            l10n.gettext("Choose a colour first, then add the reason."), show_alert=True
        )
        return
    await press.query.answer()
    await _ask_reason(
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
        await _next_private(press.message, press.l10n, context, press.user.id, round_)
    except NotAllowed:
        await press.message.reply_text(escape(not_allowed(press.l10n)))


@answering_not_allowed
async def my_ratings(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/myratings: the organisation's ratings in the open round, each with a button to change."""
    services = context.services
    round_ = await services.assessments.current_round()
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
    rows = [buttons[i : i + 4] for i in range(0, len(buttons[:48]), 4)]
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
        text, markup = await _private_card(press.l10n, context, round_, rec, press.user.id)
    except NotAllowed:
        await press.query.answer(_only_representatives(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await press.message.reply_text(text, reply_markup=markup)


async def _private_card(
    l10n: Localizer, context: BotContext, round_: Round, rec: Recommendation, user_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A card in private: the counts, the organisation's own colour and reason, and buttons to
    change the colour, write the reason (✍) or delete it (🗑). NotAllowed for non-raters."""
    assessments = context.services.assessments
    org_id, _ = await assessments.rater(user_id)
    rating = (await assessments.own(round_.id, org_id)).get(rec.id)
    lines = [await _card(l10n, context, round_, rec)]
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
    return "\n".join(lines), _card_markup(round_.id, rec.id, private=True, reason=has_reason)


async def on_delete_reason(press: Press[DeleteReason], context: BotContext) -> None:
    """rx:<round>:<rec>: delete the organisation's reason for this rating (history keeps it)."""
    round_id, rec_id, l10n = press.data.round_id, press.data.rec, press.l10n
    services = context.services
    try:
        deleted = await services.assessments.delete_reason(press.user.id, round_id, rec_id)
    except NotAllowed:
        await press.query.answer(_only_representatives(l10n), show_alert=True)
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
            press.message, *await _private_card(l10n, context, round_, rec, press.user.id)
        )


RESULTS_PER_PAGE = 8


async def _group_of(message: Message, context: BotContext) -> WorkingGroup | None:
    """Whose results: in a linked group chat that working group's; in private the group named
    by its short name (/results 1 land); otherwise the whole coalition's (None)."""
    coalition = context.services.coalition
    groups = await coalition.working_groups()
    if message.chat.type != "private":
        group_id = await coalition.linked_group(message.chat.id, thread_of(message))
        return next((g for g in groups if g.id == group_id), None)
    words = (message.text or "").lower().split()[1:]
    return next((g for g in groups if g.slug in words), None)


async def _send_results(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    round_id: int,
    group: WorkingGroup | None = None,
) -> None:
    """The one-glance summary (participation, colours per theme), then the table, paged."""
    services = context.services
    group_id = group.id if group else None
    round_, rows = await services.assessments.results(
        user_id,
        round_id,
        services.catalog,
        private=message.chat.type == "private",
        group_id=group_id,
    )
    rated, total = await services.assessments.participation(round_id, group_id)
    lines = [
        f"<b>{escape(round_.name)}</b>",
        escape(
            l10n.gettext("{rated} of {total} organisations of «{group}» took part.").format(
                rated=rated, total=total, group=group.name(l10n.language)
            )
            if group
            else l10n.gettext("{rated} of {total} organisations took part.").format(
                rated=rated, total=total
            )
        ),
        "",
    ]
    for theme, counts in summary_by_theme(services.catalog, rows):
        line = " · ".join(f"{o.emoji} {n}" for o, n in counts.items() if n)
        lines.append(escape(f"{theme.name(l10n.language)}: {line}"))
    for chunk in render.split_messages(["\n".join(lines)]):
        await message.reply_text(chunk, do_quote=False)
    text, markup = _results_page(l10n, rows, round_id, 0, group_id or 0)
    await message.reply_text(text, reply_markup=markup, do_quote=False)


def _results_page(
    l10n: Localizer, rows: list[ResultRow], round_id: int, page: int, group_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = max(1, (len(rows) + RESULTS_PER_PAGE - 1) // RESULTS_PER_PAGE)
    page = max(0, min(page, pages - 1))
    blocks = [escape(l10n.gettext("Page {page} of {pages}").format(page=page + 1, pages=pages))]
    for row in rows[page * RESULTS_PER_PAGE : (page + 1) * RESULTS_PER_PAGE]:
        coalition = (
            "\n"
            + l10n.gettext("Whole coalition: {colour}").format(
                colour=overall_label(l10n, row.coalition)
            )
            if row.coalition is not None
            else ""
        )
        blocks.append(
            f"<b>{escape(str(row.recommendation.number))}</b> "
            f"{escape(overall_label(l10n, row.overall))}\n"
            f"{escape(row.distribution.line() + coalition)}\n"
            f"{escape(truncate(reasons_cell(row), 350))}".rstrip()
        )
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                "◀", callback_data=ResultsPage(round_id, page - 1, group_id).pack()
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                "▶", callback_data=ResultsPage(round_id, page + 1, group_id).pack()
            )
        )
    text = render.split_messages(["\n\n".join(blocks)])[0]
    return text, InlineKeyboardMarkup([nav]) if nav else None


def _no_such_round(l10n: Localizer, round_id: int) -> str:
    return l10n.gettext("There is no round {id}. See /rounds.").format(id=round_id)


def _results_not_yet(l10n: Localizer) -> str:
    return l10n.gettext("Results are shown to members once coordinators publish a closed round.")


async def on_results_page(press: Press[ResultsPage], context: BotContext) -> None:
    """rq:<round>:<page>:<group or 0>: turn a page of results (permission checked again)."""
    try:
        round_, rows = await context.services.assessments.results(
            press.user.id,
            press.data.round_id,
            context.services.catalog,
            private=press.message.chat.type == "private",
            group_id=press.data.group or None,
        )
    except NotAllowed:
        await press.query.answer(_results_not_yet(press.l10n), show_alert=True)
        return
    await press.query.answer()
    text, markup = _results_page(press.l10n, rows, round_.id, press.data.page, press.data.group)
    await lookup.edit(press.message, text, markup)


async def _send_export(
    message: Message,
    l10n: Localizer,
    context: BotContext,
    user_id: int,
    round_id: int,
    fmt: str,
    by_theme: bool = False,
    group: WorkingGroup | None = None,
) -> None:
    services = context.services
    private = message.chat.type == "private"
    if by_theme:  # themes keep the coalition-wide colours
        round_, rows = await services.assessments.results(
            user_id, round_id, services.catalog, private=private
        )
        blocks = theme_blocks(services.catalog, rows, l10n.language)
    else:  # each working group's block is that group's own judgement
        groups = await services.coalition.working_groups()
        round_, _, by_group = await services.assessments.group_tables(
            user_id, round_id, services.catalog, groups, private=private
        )
        blocks = [
            (g.name(l10n.language), by_group[g.id])
            for g in groups
            if group is None or g.id == group.id  # /export 1 xlsx land: that group's block
        ]
    data = export_rows(l10n, services.catalog, blocks, overall_label, by_theme=by_theme)
    content = table(data, fmt, sheet=round_.name)
    await message.reply_document(
        InputFile(
            content,
            filename=f"round-{round_id}{'-themes' if by_theme else ''}-{l10n.language}.{fmt}",
        ),
        caption=escape(round_.name),
        do_quote=False,
    )


@answering_not_allowed
async def results(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/results [round]: the table in chat (members: only published rounds, no names)."""
    round_id = _round_argument(message)
    if round_id is None:
        await message.reply_text(
            escape(l10n.gettext("Which round? For example /results 1. See /rounds."))
        )
        return
    group = await _group_of(message, context)
    round_ = await context.services.assessments.round(round_id)
    if round_ is None:
        await message.reply_text(escape(_no_such_round(l10n, round_id)))
        return
    if round_.open and not await context.services.is_coordinator(user.id):
        rated, total = await context.services.assessments.participation(
            round_id, group.id if group else None
        )
        await message.reply_text(
            escape(
                l10n.gettext(
                    "This round is still open: results are shown once coordinators publish them. So far "
                    "{rated} of {total} organisations have taken part."
                ).format(rated=rated, total=total)
            )
        )
        return
    try:
        await _send_results(message, l10n, context, user.id, round_id, group)
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))


@answering_not_allowed
async def export(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/export <round> [csv|xlsx] [themes | a working group's short name]: the table as a
    file, by working group, by theme, or one working group's block."""
    round_id = _round_argument(message)
    if round_id is None:
        await message.reply_text(
            escape(l10n.gettext("Which round? For example /export 1 xlsx. See /rounds."))
        )
        return
    services = context.services
    groups = {g.slug: g for g in await services.coalition.working_groups()}
    words = [w for w in normalise(message.text or "").casefold().split()[1:] if not w.isdigit()]
    unknown = [w for w in words if w not in {"csv", "xlsx", "theme", "themes", *groups}]
    if unknown:
        await message.reply_text(
            escape(
                l10n.gettext("I cannot make «{format}» files. Formats: {formats}.").format(
                    format=unknown[0][:20], formats="csv, xlsx"
                )
            )
        )
        return
    if await services.assessments.round(round_id) is None:
        await message.reply_text(escape(_no_such_round(l10n, round_id)))
        return
    fmt = "csv" if "csv" in words else "xlsx"
    by_theme = "theme" in words or "themes" in words
    group = next((groups[w] for w in words if w in groups), None)
    try:
        await _send_export(message, l10n, context, user.id, round_id, fmt, by_theme, group)
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))


@answering_not_allowed
async def compare(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/compare <earlier round> <later round>: what progressed and what regressed."""
    numbers = whole_numbers(arguments(message.text or ""))
    if len(numbers) != 2:
        await message.reply_text(
            escape(l10n.gettext("Give two rounds, for example /compare 1 2."))
        )
        return
    group = await _group_of(message, context)
    for round_id in numbers:
        if await context.services.assessments.round(round_id) is None:
            await message.reply_text(escape(_no_such_round(l10n, round_id)))
            return
    try:
        changes = await context.services.assessments.compare(
            user.id, numbers[0], numbers[1], context.services.catalog, group.id if group else None
        )
    except NotAllowed:
        await message.reply_text(escape(_results_not_yet(l10n)))
        return
    if not changes:
        await message.reply_text(
            escape(l10n.gettext("No recommendation changed colour between these rounds."))
        )
        return
    text = normalise(message.text or "").casefold()
    if "csv" in text or "xlsx" in text:
        fmt = "csv" if "csv" in text else "xlsx"
        data = [
            [
                l10n.gettext("Theme"),
                l10n.gettext("Recommendation"),
                l10n.gettext("Before"),
                l10n.gettext("After"),
                l10n.gettext("Change"),
            ]
        ]
        for theme, found in changes_by_theme(context.services.catalog, changes):
            data += [
                [
                    theme.name(l10n.language),
                    str(rec.number),
                    overall_label(l10n, a),
                    overall_label(l10n, b),
                    l10n.gettext("progressed") if moved > 0 else l10n.gettext("regressed"),
                ]
                for rec, a, b, moved in found
            ]
        await message.reply_document(
            InputFile(table(data, fmt), filename=f"compare-{numbers[0]}-{numbers[1]}.{fmt}"),
            do_quote=False,
        )
        return
    up = sum(1 for c in changes if c[3] > 0)
    lines = [
        "<b>"
        + escape(l10n.ngettext("{count} progressed", "{count} progressed", up).format(count=up))
        + " · "
        + escape(
            l10n.ngettext("{count} regressed", "{count} regressed", len(changes) - up).format(
                count=len(changes) - up
            )
        )
        + "</b>"
    ]
    if group is not None:  # whose colours these are
        lines.insert(0, "<b>" + escape(group.name(l10n.language)) + "</b>")
    for theme, found in changes_by_theme(context.services.catalog, changes):
        lines += ["", "<b>" + escape(theme.name(l10n.language)) + "</b>"]
        lines += [
            escape(f"{'⬆' if moved > 0 else '⬇'} {rec.number}: {a.emoji} → {b.emoji}")
            for rec, a, b, moved in found
        ]
    for chunk in render.split_messages(["\n".join(lines)]):
        await message.reply_text(chunk)


def _round_argument(message: Message) -> int | None:
    """The first whole number after the command: /results 2, /export 2 xlsx."""
    return next(iter(whole_numbers(arguments(message.text or ""))), None)


async def flush_cards(context: BotContext) -> None:
    """Job: redraw the counts of cards that changed, at most once per card per run; close due
    rounds. Telegram allows a group about 20 edits a minute: a burst of taps is one edit.

    A card counts as drawn only once Telegram took the edit ("not modified" included); a
    timeout, 5xx or 429 leaves it for the next run, so one failure never leaves counts stale.
    """
    services = context.services
    assessments = services.assessments
    await services.assessments.close_due()
    l10n = services.translations.localizer(None)
    for card in await assessments.cards_to_redraw():
        round_ = await assessments.round(card.round_id)
        rec = services.catalog.by_id.get(card.recommendation_id)
        if round_ is None or rec is None:
            continue
        try:
            await context.bot.edit_message_text(
                await _card(l10n, context, round_, rec, card.working_group_id),
                chat_id=card.chat_id,
                message_id=card.message_id,
                reply_markup=_card_markup(round_.id, rec.id),
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
