"""A rating card: its text and its buttons, the same in group and private chats."""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.domain.access import Refusal
from bot.domain.assessment import Colour, Distribution, Round
from bot.domain.i18n import Localizer
from bot.domain.membership import CoordinatorsDoNotRate, MembershipPaused, looks_like_code
from bot.domain.model import Recommendation, TranslationStatus
from bot.domain.text import truncate
from handlers.access import refusal_text
from handlers.callbacks import (
    AskReason,
    DeleteReason,
    Skip,
    Tap,
    Vote,
)
from handlers.common import (
    BotContext,
)
from handlers.render import closing, cycle_name, distribution_line, escape

# /start's payload behind a group card's ✍: t.me/<bot>?start=r<round>_<rec> (Telegram allows
# 64 characters of [A-Za-z0-9_-]; an invite code never looks like this).
DEEP_LINK = re.compile(r"r([0-9]{1,9})_([0-9]{1,9})")
_DIGITS_LINK = re.compile(r"r[0-9]+_[0-9]+")
_SHORT_LINK = re.compile(r"r[0-9]+_[A-Za-z0-9_-]*")


def rate_link_shaped(payload: str) -> bool:
    """Whether /start's payload is meant as a ✍ link: r<digits>_<digits> of any length, or a
    short r<digits>_… no invite code can be; a forged or cut one is then answered as a rating
    link that leads nowhere, never as an invite."""
    if _DIGITS_LINK.fullmatch(payload):
        return True
    return _SHORT_LINK.fullmatch(payload) is not None and not looks_like_code(payload)


COLOURS = {  # a rating button's letter, and the colour it records
    Tap.RED: Colour.RED,
    Tap.ORANGE: Colour.ORANGE,
    Tap.GREEN: Colour.GREEN,
    Tap.UNKNOWN: Colour.UNKNOWN,
}


def card_text(
    l10n: Localizer,
    context: BotContext,
    round_: Round,
    rec: Recommendation,
    dist: Distribution,
    rated: int,
    organisations: int,
    *,
    colours: bool = True,
) -> str:
    """A rating card's text: the recommendation, its States, the counts so far and "`rated`
    of `organisations` organisations" (without `colours`, only how many organisations have
    rated, and when the colours show)."""
    catalog = context.services.catalog
    states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
    text = rec.text_in(l10n.language)
    if colours:
        counts = l10n.gettext("{counts} — {rated} of {total} organisations")
    else:
        counts = l10n.gettext(
            "{rated} of {total} organisations have rated (colours shown when the results are "
            "published)"
        )
    return "\n".join(
        [
            f"<b>{escape(str(rec.number))}</b> · {escape(cycle_name(l10n, rec.cycle))} · "
            + escape(round_.name)
            + (
                " · " + escape(closing(l10n, context.services.settings.timezone, round_.closes_at))
                if round_.open and round_.closes_at
                else ""
            ),
            escape(truncate(text, 700)) + f" — <i>{escape(truncate(states, 80))}</i>",
            *(
                [
                    "<i>" + escape(l10n.gettext("Draft translation, not yet reviewed.")) + "</i>",
                    escape(truncate(rec.khmer.text, 700)),
                ]
                if l10n.language == "km"
                and rec.khmer is not None
                and rec.khmer.status is TranslationStatus.DRAFT
                else []
            ),
            "",
            escape(
                counts.format(
                    counts=distribution_line(l10n, dist),
                    rated=l10n.number(rated),
                    total=l10n.number(organisations),
                )
            ),
        ]
    )


def reason_link(bot_username: str, round_id: int, rec_id: int) -> str:
    """The deep link that opens the private chat on this card, to give its reason."""
    return f"https://t.me/{bot_username}?start=r{round_id}_{rec_id}"


def card_markup(
    round_id: int,
    rec_id: int,
    *,
    private: bool = False,
    skip: bool = False,
    reason: bool = False,
    link: str | None = None,
) -> InlineKeyboardMarkup:
    """A rating card's buttons: the four colours, and in private ✍, 🗑 and ⏭; in a group,
    with the bot's username as `link`, ✍ opens the private chat on this card."""
    rows = [
        [
            InlineKeyboardButton(c.emoji, callback_data=Vote(round_id, rec_id, tap).pack())
            for tap, c in COLOURS.items()
        ]
    ]
    extra = []
    if private:  # ✍ asks for the reason; in groups it opens the private chat on the card
        extra.append(InlineKeyboardButton("✍", callback_data=AskReason(round_id, rec_id).pack()))
    elif link:
        extra.append(InlineKeyboardButton("✍", url=reason_link(link, round_id, rec_id)))
    if reason:  # 🗑 deletes the organisation's reason (the history keeps it)
        extra.append(
            InlineKeyboardButton("🗑", callback_data=DeleteReason(round_id, rec_id).pack())
        )
    if skip:
        extra.append(InlineKeyboardButton("⏭", callback_data=Skip(round_id, rec_id).pack()))
    if extra:
        rows.append(extra)
    return InlineKeyboardMarkup(rows)


async def rating_card(
    l10n: Localizer,
    context: BotContext,
    round_: Round,
    rec: Recommendation,
    group_id: int | None = None,
    viewer: int | None = None,
) -> str:
    """A rating card: in a working group's chat that group's counts, elsewhere the coalition's;
    the colours only where `Assessments.shows_colours` allows (viewer None: a group's card)."""
    assessments = context.services.assessments
    dist, rated, organisations = await assessments.card_counts(round_.id, rec.id, group_id)
    colours = await assessments.shows_colours(viewer, round_)
    return card_text(
        l10n,
        context,
        round_,
        rec,
        dist,
        rated,
        organisations,
        colours=colours,
    )


def not_linked(l10n: Localizer) -> str:
    """What a group command says in a chat not linked to a working group."""
    return l10n.gettext(
        "This chat is not linked to a working group: a coordinator can send /linkgroup."
    )


def only_representatives(l10n: Localizer, refused: Exception | None = None) -> str:
    """Why someone who does not represent an active organisation cannot rate (`refused`: the
    domain's refusal: a paused organisation's representative is told so)."""
    if isinstance(refused, MembershipPaused):
        return refusal_text(l10n, Refusal.MEMBERSHIP_PAUSED)
    if isinstance(refused, CoordinatorsDoNotRate):
        return refusal_text(l10n, Refusal.COORDINATORS_DO_NOT_RATE)
    return l10n.gettext(
        "Only representatives of member organisations can rate. Ask a coordinator for an "
        "invite link."
    )
