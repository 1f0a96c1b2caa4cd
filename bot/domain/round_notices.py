"""What a round tells people on its own: when it opens, closes by date and is published, each
linked working-group chat and each member representative gets one message, in their language,
as outbox deliveries staged in the transaction of the event (one reference per round × kind).
Coordinators are also told when an invite is used (`JoinNotices`)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.domain.audit import zone_name
from bot.domain.broadcast import Audience, AudienceKind, Reach, Recipient
from bot.domain.clock import Clock
from bot.domain.i18n import Localizer, Translations
from bot.domain.importer import N_
from bot.domain.outbox import Button, Content, Job, Outbox, Outgoing, Unpinned, stage
from bot.domain.round_audience import RoundAudience

if TYPE_CHECKING:
    from bot.domain.repositories import AssessmentStore, OutboxStore

# The button under a notice that starts /rate in that round: (round id, language) -> Button.
RateButton = Callable[[int, str], Button]
# The buttons under a published-results notice: (round id, language) -> a row.
ResultsButtons = Callable[[int, str], tuple[Button, ...]]
# The button under "Dara joined ADHOC" that opens its working groups: (org id, language).
GroupsButton = Callable[[int, str], Button]
Reacher = Callable[[Audience], Awaitable[Reach]]


def reference(round_id: int, kind: str) -> str:
    """The outbox reference of one kind of notice of one round: 'round:3:opened'."""
    return f"round:{round_id}:{kind}"


def results_picture(round_id: int, group_id: int | None) -> str:
    """What a published notice's picture shows, drawn when it is sent: a working group's own
    results ('results:3:group:2') or the whole coalition's ('results:3')."""
    return f"results:{round_id}" if group_id is None else f"results:{round_id}:group:{group_id}"


def picture_scope(picture: str) -> tuple[int, int | None] | None:
    """(round id, working group id or None) of a `results_picture` name; None for others."""
    parts = picture.split(":")
    if len(parts) not in (2, 4) or parts[0] != "results" or not parts[1].isdigit():
        return None
    if len(parts) == 2:
        return int(parts[1]), None
    if parts[2] != "group" or not parts[3].isdigit():
        return None
    return int(parts[1]), int(parts[3])


def closing_phrase(l10n: Localizer, tz: dt.tzinfo, closes_at: dt.datetime | None) -> str:
    """'closes March 31, 2027 (Phnom Penh)', or 'no closing date'."""
    if closes_at is None:
        return l10n.gettext("no closing date")
    return l10n.gettext("closes {date} ({zone})").format(
        date=l10n.date(closes_at.astimezone(tz).date()), zone=zone_name(l10n, tz)
    )


@dataclass(frozen=True)
class Audiences:
    """Who a round's notice goes to: each chat with the count for its working group (only the
    groups the round concerns), and the representatives of the organisations it concerns
    privately, each with their organisation's own count (`RoundAudience`)."""

    chats: tuple[tuple[Recipient, int], ...]
    people: tuple[Recipient, ...]
    coordinators: tuple[Recipient, ...] = ()
    chat_groups: tuple[int, ...] = ()  # each chat's working group, in the order of `chats`
    counts: Mapping[int, int] = field(default_factory=dict)  # organisation id -> its own count


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
_PUBLISHED = N_("The results of the assessment «{name}» are published.")


class RoundNotices:
    """Builds a round's notices for the outbox (the storage stages them in its transaction)."""

    def __init__(
        self,
        reach: Reacher,
        translations: Translations,
        tz: dt.tzinfo,
        default_language: str,
        rate_button: RateButton,
        reminder_days: Sequence[int] = (3, 1),
        results_buttons: ResultsButtons | None = None,
    ) -> None:
        """Wire who is reached, the catalogs and the buttons; reminders go `reminder_days`
        before a round closes."""
        self.reminder_days = tuple(reminder_days)
        self.results_buttons = results_buttons
        self.reach = reach
        self.translations = translations
        self.tz = tz
        self.default_language = default_language
        self.rate_button = rate_button

    async def audiences(self, audience: RoundAudience) -> Audiences:
        """The linked chats of the working groups the round concerns (each with its count)
        and the representatives of the organisations it concerns (each with their own count),
        read before the event."""
        chats: dict[tuple[int, int | None], tuple[Recipient, int]] = {}
        groups: dict[tuple[int, int | None], int] = {}
        for group_id, count in sorted(audience.groups.items()):
            reach = await self.reach(Audience(AudienceKind.GROUPS, frozenset({group_id})))
            for chat in reach.recipients:
                chats.setdefault((chat.chat_id, chat.topic_id), (chat, count))
                groups.setdefault((chat.chat_id, chat.topic_id), group_id)
        counts = {s.organisation_id: s.total for s in audience.shares}
        members = await self.reach(Audience(AudienceKind.MEMBERS))
        coordinators = await self.reach(Audience(AudienceKind.COORDINATORS))
        return Audiences(
            tuple(chats.values()),
            tuple(p for p in members.recipients if p.organisation_id in counts),
            coordinators.recipients,
            tuple(groups[key] for key in chats),
            counts,
        )

    def opened(
        self,
        audiences: Audiences,
        round_id: int,
        name: str,
        closes_at: dt.datetime | None,
        *,
        pin: bool = False,
    ) -> list[Outgoing]:
        """'New assessment «…»' for each chat (its group's count; `pin`: pinned there once
        sent) and each representative (their organisation's count)."""
        ref = reference(round_id, "opened")
        out = []
        for chat, count in audiences.chats:
            l10n = self._l10n(chat)
            text = l10n.ngettext(
                "New assessment «{name}»: {count} recommendation for this working group, "
                "{closing}. Tap Rate now to post the card here.",
                "New assessment «{name}»: {count} recommendations for this working group, "
                "{closing}. Tap Rate now to post the cards here.",
                count,
            ).format(
                name=name,
                count=l10n.number(count),
                closing=closing_phrase(l10n, self.tz, closes_at),
            )
            notice = self._outgoing(chat, text, ref, round_id)
            if pin:
                notice = replace(notice, content=replace(notice.content, pin=True))
            out.append(notice)
        for person in audiences.people:
            l10n = self._l10n(person)
            own = audiences.counts.get(person.organisation_id or 0, 0)
            text = l10n.ngettext(
                "New assessment «{name}»: {count} recommendation for your organisation to "
                "rate, {closing}.",
                "New assessment «{name}»: {count} recommendations for your organisation to "
                "rate, {closing}.",
                own,
            ).format(
                name=name,
                count=l10n.number(own),
                closing=closing_phrase(l10n, self.tz, closes_at),
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
        """'The results of «…» are published' to its chats and the representatives, with
        [📊 View results] [📥 XLSX] in each one's language and the results picture: a chat its
        working group's own, a representative the coalition's."""
        told = self._everyone(
            audiences, _PUBLISHED, reference(round_id, "published"), round_id, name, results=True
        )
        groups = list(audiences.chat_groups) + [None] * len(audiences.people)
        return [
            replace(o, content=replace(o.content, picture=results_picture(round_id, group)))
            for o, group in zip(told, groups, strict=True)
        ]

    async def reminders(
        self,
        round_id: int,
        name: str,
        closes_at: dt.datetime | None,
        audience: RoundAudience,
        days: int = 0,
        *,
        kind: str = "",
    ) -> list[Outgoing]:
        """'«…» closes …: your organisation has N left' to each representative of an
        organisation the round concerns that has not rated all its own recommendations;
        `kind` names a reminder not due to the days before the close (a coordinator's 🔔)."""
        ref = reference(round_id, kind or f"reminder-{days}")
        behind = {s.organisation_id: s for s in audience.behind}
        out = []
        for person in (await self.reach(Audience(AudienceKind.MEMBERS))).recipients:
            share = behind.get(person.organisation_id or 0)
            if share is None:
                continue
            l10n = self._l10n(person)
            text = l10n.gettext(_REMINDER).format(
                name=name,
                closing=closing_phrase(l10n, self.tz, closes_at),
                rated=l10n.number(share.rated),
                total=l10n.number(share.total),
                left=l10n.number(share.left),
            )
            out.append(self._outgoing(person, text, ref, round_id))
        return out

    def _everyone(
        self,
        audiences: Audiences,
        message: str,
        ref: str,
        round_id: int,
        name: str,
        *,
        results: bool = False,
    ) -> list[Outgoing]:
        recipients: Sequence[Recipient] = [c for c, _ in audiences.chats] + list(audiences.people)
        return [
            self._outgoing(
                r, self._l10n(r).gettext(message), ref, None, round_id, name, results=results
            )
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
        *,
        results: bool = False,
    ) -> Outgoing:
        """One delivery: the text (its {id} and {name} filled in), [Rate now] for round `rate`,
        or (`results`) the buttons that show round `round_id`'s results."""
        language = recipient.language or self.default_language
        number = self.translations.localizer(language).number(round_id)
        text = text.format(id=number, name=name) if round_id else text
        buttons: tuple[tuple[Button, ...], ...] = ()
        if rate is not None:
            buttons = ((self.rate_button(rate, language),),)
        elif results and self.results_buttons is not None:
            buttons = (self.results_buttons(round_id, language),)
        return Outgoing(
            chat_id=recipient.chat_id,
            content=Content(html.escape(text, quote=False), buttons=buttons),
            job=Job.NOTICE,
            topic_id=recipient.topic_id,
            language=language,
            reference=ref,
            organisation_id=recipient.organisation_id,
        )


def joined_reference(org_id: int) -> str:
    """The outbox reference of the coordinators' "… joined …" notices of one organisation
    (erasing the organisation deletes them: they name it and its representative)."""
    return f"joined:{org_id}"


_JOINED = N_("{person} joined {org}. Which working groups is {org} in?")


class JoinNotices:
    """What coordinators are told when an invite is used: "Dara joined ADHOC" with
    [Set working groups], in each coordinator's language (staged with the redeem)."""

    def __init__(
        self,
        reach: Reacher,
        translations: Translations,
        default_language: str,
        groups_button: GroupsButton,
    ) -> None:
        """Wire who is reached, the catalogs and the button."""
        self.reach = reach
        self.translations = translations
        self.default_language = default_language
        self.groups_button = groups_button

    async def coordinators(self) -> tuple[Recipient, ...]:
        """The coordinators who can be reached now (read before the redeem)."""
        return (await self.reach(Audience(AudienceKind.COORDINATORS))).recipients

    def joined(
        self, coordinators: Sequence[Recipient], first_name: str, org_id: int, short_name: str
    ) -> list[Outgoing]:
        """'Dara joined ADHOC' for each coordinator; only the Telegram first name is used."""
        out = []
        for person in coordinators:
            language = person.language or self.default_language
            l10n = self.translations.localizer(language)
            text = l10n.gettext(_JOINED).format(person=first_name, org=short_name)
            out.append(
                Outgoing(
                    chat_id=person.chat_id,
                    content=Content(
                        html.escape(text, quote=False),
                        buttons=((self.groups_button(org_id, language),),),
                    ),
                    job=Job.NOTICE,
                    language=language,
                    reference=joined_reference(org_id),
                )
            )
        return out


_UNPINNED = N_(
    "Round {id} «{name}» is open, but I could not pin its notice in: {chats}. The notice was "
    "sent; to let me pin, make me an administrator allowed to pin messages there."
)
_OPENED_REFERENCE = re.compile(r"round:(\d+):opened")


class PinReports:
    """Tells the coordinator who opened a round with [Open and pin], once, in which group
    chats its notice could not be pinned (the sender records each refusal; this sweep waits
    until every group's notice was sent, then names them all in one message)."""

    def __init__(
        self,
        store: OutboxStore,
        rounds: AssessmentStore,
        outbox: Outbox,
        reach: Reacher,
        translations: Translations,
        default_language: str,
        clock: Clock,
    ) -> None:
        """Wire the deliveries, the rounds, who is reached, the catalogs and the clock."""
        self.store = store
        self.rounds = rounds
        self.outbox = outbox
        self.reach = reach
        self.translations = translations
        self.default_language = default_language
        self.clock = clock

    async def sweep(self) -> int:
        """Report each round's unpinned chats once (idempotent); how many reports were staged."""
        found: dict[str, list[Unpinned]] = {}
        for row in await self.store.unpinned():
            found.setdefault(row.reference, []).append(row)
        if not found:
            return 0
        coordinators = {
            c.chat_id: c
            for c in (await self.reach(Audience(AudienceKind.COORDINATORS))).recipients
        }
        told = 0
        for ref, rows in found.items():
            notice = await self._notice(ref, rows, coordinators)
            async with self.outbox.along():
                if notice is not None:  # else nobody to tell (not a round's, or unreachable)
                    stage(notice)
                    told += 1
                await self.store.pins_reported(ref, self.clock.now())
        return told

    async def _notice(
        self, ref: str, rows: list[Unpinned], coordinators: dict[int, Recipient]
    ) -> Outgoing | None:
        match = _OPENED_REFERENCE.fullmatch(ref)
        if match is None:
            return None
        round_id = int(match.group(1))
        round_ = await self.rounds.round(round_id)
        opener = coordinators.get(await self.rounds.opener(round_id) or 0)
        if round_ is None or opener is None:
            return None
        language = opener.language or self.default_language
        l10n = self.translations.localizer(language)
        text = l10n.gettext(_UNPINNED).format(
            id=l10n.number(round_id),
            name=round_.name,
            chats="; ".join(f"«{r.title}»" if r.title else str(r.chat_id) for r in rows),
        )
        return Outgoing(
            chat_id=opener.chat_id,
            content=Content(html.escape(text, quote=False)),
            job=Job.NOTICE,
            language=language,
            reference=reference(round_id, "unpinned"),
        )
