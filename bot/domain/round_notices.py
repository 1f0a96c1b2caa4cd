"""What a round tells people on its own: when it opens, closes by date and is published, each
linked working-group chat and each member representative gets one message, in their language,
as outbox deliveries staged in the transaction of the event (one reference per round × kind)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from bot.domain.broadcast import Audience, AudienceKind, Reach, Recipient
from bot.domain.i18n import Localizer, Translations
from bot.domain.importer import N_
from bot.domain.outbox import Button, Content, Job, Outgoing

# The button under a notice that starts /rate in that round: (round id, language) -> Button.
RateButton = Callable[[int, str], Button]
Reacher = Callable[[Audience], Awaitable[Reach]]


def reference(round_id: int, kind: str) -> str:
    """The outbox reference of one kind of notice of one round: 'round:3:opened'."""
    return f"round:{round_id}:{kind}"


def zone_name(tz: dt.tzinfo) -> str:
    """'Phnom Penh' for Asia/Phnom_Penh: how times are labelled."""
    return str(tz).rpartition("/")[2].replace("_", " ")


def closing_phrase(l10n: Localizer, tz: dt.tzinfo, closes_at: dt.datetime | None) -> str:
    """'closes March 31, 2027 (Phnom Penh)', or 'no closing date'."""
    if closes_at is None:
        return l10n.gettext("no closing date")
    return l10n.gettext("closes {date} ({zone})").format(
        date=l10n.date(closes_at.astimezone(tz).date()), zone=zone_name(tz)
    )


@dataclass(frozen=True)
class Audiences:
    """Who a round's notice goes to: each chat with the count for its working group (only the
    groups with recommendations in the round), and the representatives privately."""

    chats: tuple[tuple[Recipient, int], ...]
    people: tuple[Recipient, ...]
    coordinators: tuple[Recipient, ...] = ()


_OPENED_CHAT = N_(
    "New assessment «{name}»: {count} recommendations for this working group, {closing}. "
    "Tap Rate now to post the cards here."
)
_OPENED_PERSON = N_(
    "New assessment «{name}»: {count} recommendations for your organisation to rate, {closing}."
)
_CLOSED = N_(
    "The assessment «{name}» has closed on its closing date: ratings can no longer change. "
    "Results come once coordinators publish them."
)
_CLOSED_COORDINATOR = N_(
    "Round {id} «{name}» has closed on its closing date. Publish its results from /rounds."
)
_REMINDER = N_(
    "Reminder: the assessment «{name}» {closing}. Your organisation has rated {rated} of "
    "{total}: {left} left."
)
_PUBLISHED = N_("The results of the assessment «{name}» are published: send /results {id}.")


class RoundNotices:
    """Builds a round's notices for the outbox (the storage stages them in its transaction)."""

    def __init__(
        self,
        reach: Reacher,
        group_lists: Callable[[], Awaitable[dict[int, set[int]]]],
        translations: Translations,
        tz: dt.tzinfo,
        default_language: str,
        rate_button: RateButton,
        reminder_days: Sequence[int] = (3, 1),
    ) -> None:
        """Wire who is reached, the working groups' lists, the catalogs and the button;
        reminders go `reminder_days` before a round closes."""
        self.reminder_days = tuple(reminder_days)
        self.reach = reach
        self.group_lists = group_lists
        self.translations = translations
        self.tz = tz
        self.default_language = default_language
        self.rate_button = rate_button

    async def audiences(self, items: Collection[int]) -> Audiences:
        """The linked chats of the working groups with recommendations among `items` (each
        with that count) and every member representative, read before the event."""
        chats: dict[tuple[int, int | None], tuple[Recipient, int]] = {}
        for group_id, listed in (await self.group_lists()).items():
            count = len(listed.intersection(items))
            if not count:
                continue
            reach = await self.reach(Audience(AudienceKind.GROUPS, frozenset({group_id})))
            for chat in reach.recipients:
                chats.setdefault((chat.chat_id, chat.topic_id), (chat, count))
        members = await self.reach(Audience(AudienceKind.MEMBERS))
        coordinators = await self.reach(Audience(AudienceKind.COORDINATORS))
        return Audiences(tuple(chats.values()), members.recipients, coordinators.recipients)

    def opened(
        self,
        audiences: Audiences,
        round_id: int,
        name: str,
        size: int,
        closes_at: dt.datetime | None,
    ) -> list[Outgoing]:
        """'New assessment «…»' for each chat (its group's count) and each representative."""
        ref = reference(round_id, "opened")
        out = []
        for chat, count in audiences.chats:
            l10n = self._l10n(chat)
            text = l10n.gettext(_OPENED_CHAT).format(
                name=name, count=count, closing=closing_phrase(l10n, self.tz, closes_at)
            )
            out.append(self._outgoing(chat, text, ref, round_id))
        for person in audiences.people:
            l10n = self._l10n(person)
            text = l10n.gettext(_OPENED_PERSON).format(
                name=name, count=size, closing=closing_phrase(l10n, self.tz, closes_at)
            )
            out.append(self._outgoing(person, text, ref, round_id))
        return out

    def closed(self, audiences: Audiences, round_id: int, name: str) -> list[Outgoing]:
        """'«…» has closed on its closing date' to its chats, the representatives and (to
        publish it) the coordinators."""
        ref = reference(round_id, "closed")
        told = self._everyone(audiences, _CLOSED, ref, round_id, name)
        return told + [
            self._outgoing(
                c, self._l10n(c).gettext(_CLOSED_COORDINATOR), ref, None, round_id, name
            )
            for c in audiences.coordinators
        ]

    def published(self, audiences: Audiences, round_id: int, name: str) -> list[Outgoing]:
        """'The results of «…» are published' to its chats and the representatives."""
        return self._everyone(
            audiences, _PUBLISHED, reference(round_id, "published"), round_id, name
        )

    async def reminders(
        self,
        round_id: int,
        name: str,
        size: int,
        closes_at: dt.datetime | None,
        rated: dict[int, int],
        days: int,
        *,
        kind: str = "",
    ) -> list[Outgoing]:
        """'«…» closes …: your organisation has N left' to each representative of an
        organisation that has not rated everything (`rated`: by organisation id); `kind`
        names a reminder not due to the days before the close (a coordinator's 🔔)."""
        ref = reference(round_id, kind or f"reminder-{days}")
        out = []
        for person in (await self.reach(Audience(AudienceKind.MEMBERS))).recipients:
            done = rated.get(person.organisation_id or 0, 0)
            if person.organisation_id is None or done >= size:
                continue
            l10n = self._l10n(person)
            text = l10n.gettext(_REMINDER).format(
                name=name,
                closing=closing_phrase(l10n, self.tz, closes_at),
                rated=done,
                total=size,
                left=size - done,
            )
            out.append(self._outgoing(person, text, ref, round_id))
        return out

    def _everyone(
        self, audiences: Audiences, message: str, ref: str, round_id: int, name: str
    ) -> list[Outgoing]:
        recipients: Sequence[Recipient] = [c for c, _ in audiences.chats] + list(audiences.people)
        return [
            self._outgoing(r, self._l10n(r).gettext(message), ref, None, round_id, name)
            for r in recipients
        ]

    def _l10n(self, recipient: Recipient) -> Localizer:
        return self.translations.localizer(recipient.language or self.default_language)

    def _outgoing(
        self,
        recipient: Recipient,
        text: str,
        ref: str,
        rate: int | None,
        round_id: int = 0,
        name: str = "",
    ) -> Outgoing:
        """One delivery: the text (its {id} and {name} filled in), [Rate now] for round `rate`."""
        language = recipient.language or self.default_language
        text = text.format(id=round_id, name=name) if round_id else text
        buttons = ((self.rate_button(rate, language),),) if rate is not None else ()
        return Outgoing(
            chat_id=recipient.chat_id,
            content=Content(html.escape(text, quote=False), buttons=buttons),
            job=Job.NOTICE,
            topic_id=recipient.topic_id,
            language=language,
            reference=ref,
            organisation_id=recipient.organisation_id,
        )
