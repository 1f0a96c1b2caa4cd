"""Assessment rounds as members and coordinators use them: open, rate, close, publish, export."""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.domain.arguments import name_after_colon, normalise
from bot.domain.assessment import (
    Card,
    Colour,
    Distribution,
    NotInRound,
    Overall,
    PendingReason,
    PromptOrigin,
    Rating,
    ReasonAsk,
    ReasonsForm,
    Round,
    RoundClosed,
    RoundDraft,
    change,
    name_ranks,
    overall,
)
from bot.domain.catalog import Catalog, SearchRequest
from bot.domain.clock import Clock
from bot.domain.coalition import Coalition
from bot.domain.group_lists import GroupLists
from bot.domain.i18n import Localizer
from bot.domain.importer import N_
from bot.domain.membership import (
    CoordinatorsDoNotRate,
    MembershipPaused,
    NotAllowed,
    Role,
    UnknownGroup,
    WorkingGroup,
)
from bot.domain.model import Recommendation, Response, Theme
from bot.domain.numbers import (
    MalformedNumber,
    MultipleCycles,
    extract_cycle,
    parse_numbers,
    without_numbers,
)
from bot.domain.outbox import Content, Job, Outbox, Outgoing, stage
from bot.domain.ratelimit import RateLimiter
from bot.domain.repositories import AssessmentStore
from bot.domain.round_audience import RoundAudience, audience_rule
from bot.domain.round_guide import Guide, GuideChoice, GuideStep
from bot.domain.round_notices import RoundNotices, reference
from bot.domain.text import cut_whole, normalize, one_line

log = logging.getLogger(__name__)

MAX_NAME = 120  # characters of a round's name
MAX_REASON = 500  # characters; a longer reason is cut, and its writer is told
PROMPT_TTL = dt.timedelta(days=1)  # a reply to a reason prompt counts as the reason this long
# After a prompt, the person's next plain private message is the reason, this long.
PENDING_TTL = dt.timedelta(minutes=30)
DRAFT_TTL = dt.timedelta(days=1)  # /openround's preview can be confirmed this long
GUIDE_ANSWER_WINDOW = dt.timedelta(minutes=30)  # plain text after a guide's question answers it
SKIP_TTL = dt.timedelta(days=7)  # a skipped recommendation waits this long (or till the close)
REMIND_AGAIN_AFTER = dt.timedelta(hours=1)  # 🔔 pressed again sooner sends nothing twice
# 'until 2026-12-31', 'until2026-12-31', and in Khmer 'រហូតដល់ ២០២៦-១២-៣១'.
_UNTIL = re.compile(r"(?:\buntil|រហូតដល់)\s*(\S*)", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")  # a letter, in any script
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NOT_A_DATE = N_(
    "“{date}” is not a date I can read. Write the closing date as until YEAR-MONTH-DAY, for "
    "example until 2026-12-31."
)

_NAME_LIMIT = N_("Send a name of at most {limit} characters.")

_PASSED_MEANWHILE = N_(
    "The closing date of this round passed before it was opened: send /openround again with a "
    "later date."
)


class BadScope(ValueError):
    """The round's scope cannot be read: a gettext msgid and its named placeholders."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Scope:
    """Which recommendations a round covers."""

    cycle: int
    recommendation_ids: tuple[int, ...]
    description: str
    closes_at: dt.datetime | None
    theme_ids: tuple[int, ...] = ()  # for the preview: what was understood
    responses: tuple[Response, ...] = ()  # none or both: every response
    numbers: tuple[str, ...] = ()  # the numbers and ranges, as '118.1–118.50'


def closing_time(word: str, tz: dt.tzinfo, today: dt.date) -> dt.datetime:
    """'2026-12-31' (or ២០២៦-១២-៣១) -> 23:59 that day in the coalition's time zone, as UTC.

    BadScope for anything that is not a real date, and for a day that has passed.
    """
    found = _DATE.fullmatch(normalise(word))
    try:
        day = dt.date(*(int(part) for part in found.groups())) if found else None
    except ValueError:  # 2026-02-30, 9999-99-99
        day = None
    if day is not None and day < today:
        raise BadScope(
            N_("The closing date {date} has already passed: choose a later date."),
            date=day.isoformat(),
        )
    try:
        if day is not None:
            return dt.datetime.combine(day, dt.time(23, 59), tz).astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31 west of Greenwich is past year 9999 in UTC
        pass
    raise BadScope(_NOT_A_DATE, date=word[:40])


# Words a scope may use besides themes: the responses (English and Khmer, as in the glossary)
# and fillers that change nothing ('all', 'and').
_RESPONSE_WORDS = {
    "accepted": Response.ACCEPTED,
    "supported": Response.ACCEPTED,
    "ទទួលយក": Response.ACCEPTED,
    "បានទទួលយក": Response.ACCEPTED,  # as the Khmer screens write it
    "noted": Response.NOTED,
    "កត់សម្គាល់": Response.NOTED,
    "បានកត់សម្គាល់": Response.NOTED,
}
_FILLERS = frozenset({"all", "everything", "and", "upr", "ទាំងអស់", "និង"})  # "UPR ជុំទី៤"
_WORD = re.compile(r"[a-z][a-z'-]*|[\u1780-\u17ff]+")
_UNKNOWN_WORD = N_(
    "I do not know “{word}” in a scope. Write a cycle (c2), accepted or noted, theme names "
    "(see /themes), numbers or ranges (118.1-118.50) and a closing date (until 2026-12-31)."
)
_DID_YOU_MEAN = N_("I do not know “{word}” in a scope. Did you mean “{suggestion}”?")


def scope_words(catalog: Catalog) -> dict[str, Theme | Response | None]:
    """Every word a scope understands (normalised) and what it means: a theme (slug, English or
    Khmer name, a Khmer glossary word for it), a response, or nothing (a filler)."""
    words: dict[str, Theme | Response | None] = dict.fromkeys(_FILLERS)
    words.update((normalize(w), r) for w, r in _RESPONSE_WORDS.items())
    slugs = {t.slug: t for t in catalog.themes}
    for khmer, english in catalog.glossary.km_to_en.items():
        theme = next((slugs[e] for e in english if e in slugs), None)
        if theme is not None:
            words.setdefault(khmer, theme)
    for theme in catalog.themes:
        for name in (theme.slug, theme.name_en, theme.name_km):
            if name:
                words[normalize(name)] = theme
    return words


def _read_words(
    text: str, vocabulary: Mapping[str, Theme | Response | None]
) -> list[Theme | Response]:
    """What the scope's words mean, phrases (a theme's full name) first; BadScope for a word
    the scope does not know, with the nearest known word when there is one."""
    meant: list[Theme | Response] = []
    for phrase in sorted((w for w in vocabulary if " " in w), key=len, reverse=True):
        found = vocabulary[phrase]
        if phrase in text:
            text = text.replace(phrase, " ")
            meant += [found] if found is not None else []
    for word in _WORD.findall(text):
        for part in _split_known(word.strip("-'"), vocabulary):
            if part not in vocabulary:
                raise _unknown(part, vocabulary)
            found = vocabulary[part]
            meant += [found] if found is not None else []
    return meant


def _split_known(word: str, vocabulary: Mapping[str, object]) -> list[str]:
    """A Khmer run written without spaces ('ដីធ្លីទទួលយក') as the known words it is made of,
    longest first; the word itself when it is known or cannot be split that way."""
    if word in vocabulary or not word or word[0] < "\u1780":
        return [word]
    parts, i = [], 0
    while i < len(word):
        part = next((word[i:j] for j in range(len(word), i, -1) if word[i:j] in vocabulary), "")
        if not part:
            return [word]
        parts.append(part)
        i += len(part)
    return parts


def _unknown(word: str, vocabulary: Mapping[str, object]) -> BadScope:
    latin = word[:1] < "\u1780"
    same_script = [w for w in vocabulary if " " not in w and (w[:1] < "\u1780") == latin]
    close = difflib.get_close_matches(word, same_script, n=1, cutoff=0.6)
    if close:
        return BadScope(_DID_YOU_MEAN, word=word[:40], suggestion=close[0])
    return BadScope(_UNKNOWN_WORD, word=word[:40])


def parse_scope(text: str, catalog: Catalog, tz: dt.tzinfo, today: dt.date) -> Scope:
    """Read 'c2 accepted land 118.1-118.50 until 2026-12-31' into the recommendations it means.

    Khmer digits count as digits, Khmer theme names and words as their English ones;
    'accepted noted' means both. Anything unreadable (an unknown word too) is a BadScope, never
    another error.
    """
    words = unicodedata.normalize("NFC", text)
    closes_at = None
    until = _UNTIL.search(words)
    if until:  # the date as typed, for the answer when it cannot be read
        closes_at = closing_time(until.group(1), tz, today)
        words = _UNTIL.sub(" ", words)
    words = normalise(words).strip()
    try:
        cycle, rest = extract_cycle(normalize(words))  # c2, cycle 2, វដ្ត២; two is an error
        numbers = parse_numbers(words)  # '118' alone is refused, not taken as no number
    except MultipleCycles:
        raise BadScope(N_("Name one cycle only, for example c2.")) from None
    except MalformedNumber:
        raise BadScope(
            N_("Write recommendation numbers like 118.6 or ranges like 118.1-118.50.")
        ) from None
    meant = _read_words(without_numbers(rest), scope_words(catalog))
    cycle = cycle or (numbers.cycle if numbers else None) or catalog.current_cycle
    if cycle is None:
        raise BadScope(N_("No recommendations are loaded yet."))
    responses = tuple(r for r in Response if r in meant)
    response = responses[0] if len(responses) == 1 else None  # both: no filter
    themes = list(dict.fromkeys(m for m in meant if isinstance(m, Theme)))
    pool: list[Recommendation] = []
    if themes:
        for theme in themes:
            found = catalog.search(
                SearchRequest(cycle=cycle, theme_id=theme.id, response=response)
            )
            pool += [r for r in found.recommendations if r not in pool]
    else:
        pool = list(catalog.search(SearchRequest(cycle=cycle, response=response)).recommendations)
    if numbers is not None:
        pool = [r for r in pool if any(rng.start <= r.number <= rng.end for rng in numbers.ranges)]
    if not pool:
        raise BadScope(N_("No recommendation matches that scope."))
    pool.sort(key=lambda r: r.number)
    return Scope(
        cycle,
        tuple(r.id for r in pool),
        " ".join(words.split()),
        closes_at,
        tuple(t.id for t in themes),
        responses,
        tuple(
            str(rng.start) if rng.start == rng.end else f"{rng.start}–{rng.end}"
            for rng in (numbers.ranges if numbers else ())
        ),
    )


@dataclass(frozen=True)
class ResultRow:
    """One line of the published table."""

    recommendation: Recommendation
    distribution: Distribution
    overall: Overall
    reasons: tuple[tuple[str | None, Colour, str], ...]  # (organisation or None, colour, reason)
    coalition: Overall | None = None  # in a working group's row: the whole coalition's colour
    cell: str | None = None  # the reasons cell the database wrote instead of `reasons`


class Tapped(enum.StrEnum):
    """What a rating tap did: recorded, changed, or refused and why."""

    RECORDED = "recorded"
    CHANGED = "changed"
    NOT_A_RATER = "not a rater"
    PAUSED = "paused"  # the organisation's membership is paused
    CLOSED = "closed"
    NOT_IN_ROUND = "not in round"


@dataclass(frozen=True)
class Tap:
    """One rating tap's outcome, all a handler needs to answer it."""

    result: Tapped
    organisation: str = ""
    # The round, for a private card to redraw (None when refused or in a group).
    round: Round | None = None
    # A first rating from a group card: ask for the reason in private (at most once a minute).
    ask_reason: bool = False
    # The organisation the rating was recorded for: what follows the tap needs no new check
    # (a pause a moment after the tap does not undo it).
    organisation_id: int | None = None


class Reasoned(enum.StrEnum):
    """What a typed reason did: saved (perhaps cut), or refused and why."""

    SAVED = "saved"
    CUT = "cut"  # saved, its first MAX_REASON characters
    EMPTY = "empty"  # only spaces: nothing saved
    NOT_A_RATER = "not a rater"
    PAUSED = "paused"  # the organisation's membership is paused
    CLOSED = "closed"
    NOT_IN_ROUND = "not in round"
    LOOKUP = "lookup"  # no reason asked for, or the text is a lookup: answer it as one


@dataclass(frozen=True)
class ReasonGiven:
    """A typed reason's outcome, all a handler needs to answer it."""

    result: Reasoned
    round_id: int = 0
    recommendation_id: int = 0
    colour: Colour | None = None
    history_id: int = 0  # the history row that holds it (the undo button names it)
    next_card: bool = False  # asked after a first rating in private: show the next card
    length: int = 0  # characters typed (one line)


class Undo(enum.StrEnum):
    """What 'That was a search' did to the reason it names."""

    UNDONE = "undone"
    CHANGED = "changed"  # a newer reason was set since: it stays
    CLOSED = "closed"
    GONE = "gone"  # not this organisation's reason (forged or erased)


@dataclass(frozen=True)
class Undone:
    """'That was a search': what became of the reason, and the text to look up."""

    result: Undo
    text: str = ""


class LinkOpened(enum.StrEnum):
    """What a ✍ deep link (`/start r<round>_<rec>`) found."""

    RATED = "rated"  # the organisation's rating: the reason is asked for
    UNRATED = "unrated"  # not rated yet: the card, to tap a colour first
    NOT_A_RATER = "not a rater"
    COORDINATOR = "coordinator"  # coordinators do not rate
    PAUSED = "paused"  # the organisation's membership is paused
    CLOSED = "closed"
    GONE = "gone"  # no such round, or the recommendation is not in it


@dataclass(frozen=True)
class Link:
    """A ✍ deep link's outcome."""

    result: LinkOpened
    round: Round | None = None
    organisation: str = ""
    rating: Rating | None = None


def is_lookup(text: str) -> bool:
    """A private text that is a lookup even while a reason is asked for: a command, or only
    recommendation numbers (with a cycle), as typed to look them up ('118.6', '១១៨.៦ c2')."""
    stripped = text.strip()
    if stripped.startswith("/"):
        return True
    try:
        if parse_numbers(stripped) is None:
            return False
        _, rest = extract_cycle(normalize(stripped))
    except (MalformedNumber, MultipleCycles):
        return True  # a number typed wrong ('118', '118.6.7'): the lookup explains
    # '118.6 is done' is a reason that names a number, not a lookup.
    return not _LETTER.search(without_numbers(rest))


class Opening(enum.StrEnum):
    """What /openround did: opened, or refused and why."""

    OPENED = "opened"
    PREVIEW = "preview"  # understood and kept as a draft: the coordinator confirms or cancels
    CANCELLED = "cancelled"  # the draft was cancelled (now, or by an earlier tap)
    GONE = "gone"  # the draft expired, or its round was deleted since
    NO_NAME = "no name"  # no colon, no name after it, or a name too long: show how to write it
    BAD_SCOPE = "bad scope"  # the scope cannot be read: `problem` says why


@dataclass(frozen=True)
class Opened:
    """/openround's outcome, all a handler needs to answer it."""

    result: Opening
    round_id: int = 0  # OPENED: the new round; PREVIEW: the draft's id
    name: str = ""  # as typed
    scope: Scope | None = None
    # BAD_SCOPE: a gettext msgid and its named placeholders, to translate then format.
    problem: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    # PREVIEW: whom [Open] tells: each concerned working group with its count, and how many
    # organisations the round concerns.
    # organisations the round concerns (None when round notices are off: nobody is told).
    told: tuple[tuple[WorkingGroup, int], ...] = ()
    organisations: int | None = None


class Guiding(enum.StrEnum):
    """What a step of opening a round through buttons came to."""

    ASK = "ask"  # the next step to show (`guide.step`)
    PREVIEW = "preview"  # every step answered: `opened` is the preview, as typed /openround's
    PROBLEM = "problem"  # a typed answer or the scope could not be used: `problem`; ask again
    STALE = "stale"  # a button of another step, of a finished or gone draft, or forged
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Guided:
    """A step's outcome, all a handler needs to show the next one."""

    result: Guiding
    draft_id: int = 0
    guide: Guide | None = None
    opened: Opened | None = None
    problem: str = ""  # a gettext msgid and its named placeholders
    params: Mapping[str, str] = field(default_factory=dict)
    today: dt.date | None = None  # in the coalition's time zone: the closing buttons count from it


class RoundChange(enum.StrEnum):
    """What a coordinator's round button does to a round."""

    CLOSE = "close"
    REOPEN = "reopen"
    PUBLISH = "publish"
    DELETE = "delete"  # only a round nobody has rated in


@dataclass(frozen=True)
class RoundLine:
    """One round in /rounds, with how many organisations took part."""

    round: Round
    rated: int
    total: int
    # Coordinators: each audience organisation's short name, how many of its own
    # recommendations it has rated, and how many are its own.
    organisations: tuple[tuple[str, int, int], ...] = ()
    # A member whose organisation the round concerns: (rated, its own recommendations).
    own: tuple[int, int] | None = None


@dataclass(frozen=True)
class Overview:
    """/rounds: every round, newest first; coordinators get the buttons."""

    lines: tuple[RoundLine, ...]
    coordinator: bool


@dataclass(frozen=True)
class RoundChoice:
    """/rate's round: the one to rate in, or the open ones to choose from, or none."""

    round: Round | None
    choices: tuple[Round, ...] = ()  # several open and none named: ask which
    asked: int | None = None  # a round named that is not open (or does not exist)


@dataclass(frozen=True)
class Panel:
    """One round's panel for coordinators: the round, each organisation's progress, and what
    publishing it now would mean (who took part, recommendations without enough ratings)."""

    round: Round
    # Each audience organisation: short name, how many of its own it rated, how many are its own.
    organisations: tuple[tuple[str, int, int], ...]
    rated: int  # audience organisations that rated anything
    total: int  # the round's audience (as at the close, once closed)
    not_enough: int  # recommendations with too few ratings for a colour
    reminded_at: dt.datetime | None = None  # the last 🔔 Remind those behind
    ratings: int = 0  # every rating, an organisation's outside the audience too

    @property
    def deletable(self) -> bool:
        """Nobody has rated yet, in the audience or outside it (the delete checks again: a
        rating may come meanwhile)."""
        return self.rated == 0 and self.ratings == 0

    @property
    def few_rated(self) -> bool:
        """Fewer than half the audience's organisations rated anything."""
        return self.rated * 2 < self.total

    @property
    def mostly_not_enough(self) -> bool:
        """More than half the recommendations have "not enough ratings"."""
        return self.not_enough * 2 > self.round.size

    @property
    def low_participation(self) -> bool:
        """Few organisations rated, or most recommendations lack ratings: publishing asks
        twice."""
        return self.few_rated or self.mostly_not_enough


@dataclass(frozen=True)
class RoundChanged:
    """A close, reopen, publish or delete (or the question before it): the rounds as they are
    now (None: the round is gone), the round's panel (None once deleted), and why nothing
    changed when a stale button asked for what cannot be done."""

    overview: Overview | None
    refused: str = ""  # a gettext msgid; empty when the change was (or may be) made
    panel: Panel | None = None


class Reminding(enum.StrEnum):
    """What 🔔 Remind those behind did."""

    SENT = "sent"
    TOO_SOON = "too soon"  # the last reminder went less than REMIND_AGAIN_AFTER ago
    NOBODY_BEHIND = "nobody behind"  # every organisation has rated everything
    CLOSED = "closed"
    GONE = "gone"
    OFF = "off"  # round notices are switched off in the settings


@dataclass(frozen=True)
class Reminded:
    """🔔's outcome: how many organisations and people were reminded, or why nobody was."""

    result: Reminding
    organisations: int = 0
    people: int = 0
    last: dt.datetime | None = None  # TOO_SOON: when the last reminder went
    panel: Panel | None = None


_REASON_REFUSALS: dict[type[Exception], Reasoned] = {  # the first that fits
    MembershipPaused: Reasoned.PAUSED,
    NotAllowed: Reasoned.NOT_A_RATER,
    RoundClosed: Reasoned.CLOSED,
    NotInRound: Reasoned.NOT_IN_ROUND,
}
_ALREADY_PUBLISHED = N_("This round is already published.")
_REFUSED_CHANGES = {
    RoundChange.CLOSE: N_("This round is already closed."),
    RoundChange.REOPEN: N_("This round is already open."),
    RoundChange.PUBLISH: N_(
        "Close the round before publishing: results are published once ratings are frozen."
    ),
    RoundChange.DELETE: N_(
        "This round has ratings: it cannot be deleted. Close it instead, or keep it unpublished."
    ),
}


class Assessments:
    """Rounds and ratings, with the role checks each action needs."""

    def __init__(
        self,
        repository: AssessmentStore,
        coalition: Coalition,
        group_lists: GroupLists,
        clock: Clock,
        min_ratings: int,
        reason_prompts: RateLimiter | None = None,
        notices: tuple[RoundNotices, Outbox] | None = None,
    ) -> None:
        """Wire storage, membership, the groups' lists and the clock; with `notices`, opening,
        closing by date and publishing tell people through the outbox."""
        self.reason_prompts = reason_prompts or RateLimiter(clock, 1)
        self.notices = notices
        self.repository = repository
        self.coalition = coalition
        self.group_lists = group_lists
        self.clock = clock
        self.min_ratings = min_ratings

    async def open_round(self, actor: int, name: str, scope: Scope) -> int:
        """Open a round (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        round_id = await self.repository.open_round(
            one_line(name),
            scope.cycle,
            scope.description,
            scope.recommendation_ids,
            scope.closes_at,
            actor=actor,
            now=self.clock.now(),
        )
        log.info("round %d opened: %d recommendations", round_id, len(scope.recommendation_ids))
        return round_id

    async def open(
        self, actor: int, text: str, catalog: Catalog, tz: dt.tzinfo, *, preview: bool = False
    ) -> Opened:
        """/openround's words ('c2 land : Mid-term review') -> a new round, or with `preview` a
        draft to confirm (`confirm`), or why not (coordinators only: NotAllowed otherwise)."""
        await self.coalition.require_coordinator(actor)
        scope_text, name = name_after_colon(text) or ("", "")
        if not name or len(name) > MAX_NAME:
            return Opened(Opening.NO_NAME)
        try:
            scope = parse_scope(scope_text, catalog, tz, self.clock.now().astimezone(tz).date())
        except BadScope as exc:
            return Opened(Opening.BAD_SCOPE, problem=exc.message, params=exc.params)
        if preview:
            now = self.clock.now()
            name = one_line(name)  # the preview shows the name the round will keep
            draft_id = await self.repository.add_draft(
                actor,
                name,
                scope.cycle,
                scope.description,
                scope.recommendation_ids,
                scope.closes_at,
                expires=now + DRAFT_TTL,
                now=now,
            )
            return await self._previewed(draft_id, name, scope)
        round_id = await self.open_round(actor, name, scope)
        return Opened(Opening.OPENED, round_id, name, scope)

    async def _previewed(self, draft_id: int, name: str, scope: Scope) -> Opened:
        """The preview of a draft round, with whom [Open] would tell."""
        if self.notices is None:
            return Opened(Opening.PREVIEW, draft_id, name, scope)
        audience = await self.audience(items=scope.recommendation_ids)
        # The concerned groups whose chats are linked: those told.
        linked = set((await self.notices[0].audiences(audience)).chat_groups)
        groups = {g.id: g for g in await self.coalition.working_groups()}
        told = tuple(
            (groups[g], count)
            for g, count in sorted(audience.groups.items(), key=lambda gc: (-gc[1], gc[0]))
            if g in groups and g in linked
        )
        return Opened(
            Opening.PREVIEW, draft_id, name, scope, told=told, organisations=len(audience.shares)
        )

    async def confirm(self, actor: int, draft_id: int, *, pin: bool = False) -> Opened:
        """[Open] under /openround's preview: open the draft round, once (coordinators only);
        `pin`: its notice is pinned in the working groups' chats."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        draft = await self.repository.draft(draft_id, now)
        if draft is None or draft.user_id != actor or draft.guide is not None:
            return await self._settled(actor, draft_id)
        scope = Scope(draft.cycle, draft.recommendation_ids, draft.scope, draft.closes_at)
        if draft.closes_at is not None and draft.closes_at <= now:
            await self.repository.drop_draft(draft_id, actor)
            return Opened(Opening.BAD_SCOPE, problem=_PASSED_MEANWHILE)
        if self.notices is None:
            round_id = await self.repository.open_draft(draft, now=now)
        else:
            notices, outbox = self.notices
            audiences = await notices.audiences(
                await self.audience(items=draft.recommendation_ids)
            )

            def announce(new_id: int) -> None:
                stage(*notices.opened(audiences, new_id, draft.name, draft.closes_at, pin=pin))

            async with outbox.along():
                round_id = await self.repository.open_draft(draft, now=now, announce=announce)
        if round_id is None:
            return Opened(Opening.GONE)
        log.info("round %d opened: %d recommendations", round_id, len(draft.recommendation_ids))
        return Opened(Opening.OPENED, round_id, draft.name, scope)

    async def guide(
        self,
        actor: int,
        draft_id: int,
        choice: GuideChoice,
        value: int,
        catalog: Catalog,
        tz: dt.tzinfo,
        l10n: Localizer,
    ) -> Guided:
        """A button of /openround's guide: start one, choose, go to the next step, or cancel
        (coordinators only: NotAllowed otherwise). A button of another step is stale; the
        name offered at the last step is in the coordinator's language (`l10n`)."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        today = now.astimezone(tz).date()
        if choice is GuideChoice.START:
            guide = Guide()
            new = await self.repository.add_guide(
                actor, guide.to_json(), expires=now + DRAFT_TTL, now=now
            )
            return Guided(Guiding.ASK, new, guide, today=today)
        draft = await self.repository.draft(draft_id, now)
        if draft is None or draft.user_id != actor or draft.guide is None:
            return Guided(Guiding.STALE)
        if not draft.guide.answers(choice):
            return Guided(Guiding.STALE)
        if choice is GuideChoice.CANCEL:
            await self.repository.drop_draft(draft_id, actor)
            return Guided(Guiding.CANCELLED, draft_id)
        if choice is GuideChoice.DEFAULT_NAME:
            return await self._finish(draft, draft.guide.default_name(today, l10n), catalog, tz)
        cycles = {c.number for c in catalog.cycles}
        chosen = draft.guide.choose(choice, value, cycles, set(catalog.themes_by_id), today)
        if chosen is None:  # a value that was never offered
            return Guided(Guiding.STALE)
        return await self._next(draft.id, chosen, now, today)

    async def guide_text(
        self, actor: int, text: str, catalog: Catalog, tz: dt.tzinfo
    ) -> Guided | None:
        """A typed closing date or name for the guide's step that asked for it (within
        GUIDE_ANSWER_WINDOW); None when no guide of this person waits for text."""
        now = self.clock.now()
        draft = await self.repository.waiting_guide(actor, now + DRAFT_TTL - GUIDE_ANSWER_WINDOW)
        guide = draft.guide if draft is not None else None
        if draft is None or guide is None or not guide.waits_for_text:
            return None
        await self.coalition.require_coordinator(actor)
        today = now.astimezone(tz).date()
        if guide.step is GuideStep.NAME:
            return await self._finish(draft, text, catalog, tz)
        try:
            closes = closing_time(text.strip(), tz, today)
        except BadScope as exc:
            return Guided(Guiding.PROBLEM, draft.id, guide, None, exc.message, exc.params, today)
        day = closes.astimezone(tz).date().isoformat()
        return await self._next(
            draft.id, replace(guide, step=GuideStep.NAME, closes=day), now, today
        )

    async def leave_guide(self, actor: int) -> bool:
        """Another prompt of the bot now waits for this person's text: the newest prompt wins,
        so a round being opened through buttons that waits for a typed closing date or name is
        cancelled. True when one was."""
        now = self.clock.now()
        draft = await self.repository.waiting_guide(actor, now + DRAFT_TTL - GUIDE_ANSWER_WINDOW)
        if draft is None or draft.guide is None or not draft.guide.waits_for_text:
            return False
        return await self.repository.drop_draft(draft.id, actor)

    async def _next(self, draft_id: int, guide: Guide, now: dt.datetime, today: dt.date) -> Guided:
        saved = await self.repository.update_guide(
            draft_id, guide.to_json(), expires=now + DRAFT_TTL
        )
        return (
            Guided(Guiding.ASK, draft_id, guide, today=today) if saved else Guided(Guiding.STALE)
        )

    async def _finish(
        self, draft: RoundDraft, name: str, catalog: Catalog, tz: dt.tzinfo
    ) -> Guided:
        """The last step: the scope the choices spell, read as typed /openround reads it."""
        guide, now = draft.guide or Guide(), self.clock.now()
        today = now.astimezone(tz).date()
        name = one_line(name)
        if not name or len(name) > MAX_NAME:
            return Guided(
                Guiding.PROBLEM,
                draft.id,
                guide,
                None,
                _NAME_LIMIT,
                {"limit": str(MAX_NAME)},
                today,
            )
        slugs = {t.id: t.slug for t in catalog.themes}
        try:
            scope = parse_scope(guide.scope_words(slugs), catalog, tz, today)
        except BadScope as exc:  # no recommendation matches, or the date passed: choose again
            back = replace(guide, step=GuideStep.THEMES)
            await self.repository.update_guide(draft.id, back.to_json(), expires=now + DRAFT_TTL)
            return Guided(Guiding.PROBLEM, draft.id, back, None, exc.message, exc.params, today)
        finished = replace(
            draft,
            name=name,
            cycle=scope.cycle,
            scope=scope.description,
            recommendation_ids=scope.recommendation_ids,
            closes_at=scope.closes_at,
        )
        if not await self.repository.finish_guide(finished):
            return Guided(Guiding.STALE)
        return Guided(
            Guiding.PREVIEW, draft.id, None, await self._previewed(draft.id, name, scope)
        )

    async def cancel(self, actor: int, draft_id: int) -> Opened:
        """[Cancel] under /openround's preview: cancel the draft (CANCELLED); a tap after the
        draft was opened or cancelled is told what became of it, as the first tap was."""
        await self.coalition.require_coordinator(actor)
        if await self.repository.drop_draft(draft_id, actor):
            return Opened(Opening.CANCELLED)
        return await self._settled(actor, draft_id)

    async def _settled(self, actor: int, draft_id: int) -> Opened:
        """What became of a draft no longer waiting: the round it opened (while that round
        exists), CANCELLED, or GONE (expired, another's, or its round deleted)."""
        draft = await self.repository.settled_draft(draft_id, self.clock.now())
        if draft is None or draft.user_id != actor:
            return Opened(Opening.GONE)
        if draft.cancelled:
            return Opened(Opening.CANCELLED)
        if draft.opened_round and await self.repository.round(draft.opened_round) is not None:
            scope = Scope(draft.cycle, draft.recommendation_ids, draft.scope, draft.closes_at)
            return Opened(Opening.OPENED, draft.opened_round, draft.name, scope)
        return Opened(Opening.GONE)

    async def set_open(self, actor: int, round_id: int, is_open: bool) -> bool:
        """Close or reopen (coordinators only); False if it already was so."""
        await self.coalition.require_coordinator(actor)
        rule = None if is_open else (await self.audience(round_id)).rule
        done = await self.repository.set_open(
            round_id, is_open, actor=actor, now=self.clock.now(), rule=rule
        )
        if done:
            log.info("round %d %s", round_id, "reopened" if is_open else "closed")
        return done

    async def panel(self, actor: int, round_id: int) -> Panel | None:
        """One round's panel (coordinators only: NotAllowed otherwise); None if it is gone."""
        await self.coalition.require_coordinator(actor)
        round_ = await self.repository.round(round_id)
        if round_ is None:
            return None
        audience = await self.audience(round_id)
        rated, total = await self._participation(round_, audience)
        counts = await self.repository.distributions(round_id)
        not_enough = sum(
            1
            for rec_id in await self.repository.items(round_id)
            if overall(counts.get(rec_id, _NONE), self.min_ratings) is Overall.NOT_ENOUGH
        )
        reminded = await self.repository.reminded_at(round_id)
        ratings = sum(dist.total for dist in counts.values())
        return Panel(round_, _progress(audience), rated, total, not_enough, reminded, ratings)

    async def ask(self, actor: int, round_id: int, change: RoundChange) -> RoundChanged:
        """The question before a change (nothing changes): the panel with what it would mean,
        or why it cannot be done now (a stale button). Coordinators only."""
        panel = await self.panel(actor, round_id)
        if panel is None:
            return RoundChanged(None)
        round_ = panel.round
        stale = {
            RoundChange.CLOSE: not round_.open,
            RoundChange.REOPEN: round_.open,
            RoundChange.PUBLISH: round_.open or round_.published,
            RoundChange.DELETE: not panel.deletable,
        }[change]
        refused = _REFUSED_CHANGES[change] if stale else ""
        if change is RoundChange.PUBLISH and round_.published:
            refused = _ALREADY_PUBLISHED
        return RoundChanged(await self.overview(actor), refused, panel)

    async def change(self, actor: int, round_id: int, change: RoundChange) -> RoundChanged:
        """Close, reopen or publish a round from its button, and the rounds and the panel to
        redraw (coordinators only: NotAllowed for anyone else)."""
        await self.coalition.require_coordinator(actor)
        round_ = await self.repository.round(round_id)
        if round_ is None:
            return RoundChanged(None)
        if change is RoundChange.PUBLISH:
            done = await self.publish(actor, round_id)
        elif change is RoundChange.DELETE:
            done = await self.repository.delete_round(round_id, actor=actor, now=self.clock.now())
            if done:
                log.info("round %d deleted", round_id)
        else:  # False on a stale button (or the losing one of two presses)
            done = await self.set_open(actor, round_id, change is RoundChange.REOPEN)
        refused = "" if done else _REFUSED_CHANGES[change]
        if not done and change is RoundChange.PUBLISH:
            current = await self.repository.round(round_id)
            if current is not None and current.published:
                refused = _ALREADY_PUBLISHED
        return RoundChanged(await self.overview(actor), refused, await self.panel(actor, round_id))

    async def remind_behind(self, actor: int, round_id: int) -> Reminded:
        """🔔 Remind those behind: each representative of an organisation that has not rated
        everything gets the scheduled reminder now, through the outbox; not again within
        REMIND_AGAIN_AFTER (coordinators only: NotAllowed otherwise)."""
        panel = await self.panel(actor, round_id)
        if panel is None:
            return Reminded(Reminding.GONE)
        round_ = panel.round
        if not round_.open:
            return Reminded(Reminding.CLOSED, panel=panel)
        if self.notices is None:
            return Reminded(Reminding.OFF, panel=panel)
        notices, outbox = self.notices
        told = await notices.reminders(
            round_id,
            round_.name,
            round_.closes_at,
            await self.audience(round_id),
            kind="reminder-now",
        )
        if not told:
            return Reminded(Reminding.NOBODY_BEHIND, panel=panel)
        now = self.clock.now()
        async with outbox.along():
            last = await self.repository.claim_reminder(
                round_id, now, now - REMIND_AGAIN_AFTER, lambda _: stage(*told)
            )
        if last is not None:
            return Reminded(Reminding.TOO_SOON, last=last, panel=panel)
        organisations = len({o.organisation_id for o in told})
        log.info("round %d: %d reminders staged by a coordinator", round_id, len(told))
        return Reminded(
            Reminding.SENT, organisations, len(told), panel=await self.panel(actor, round_id)
        )

    async def remind(self) -> None:
        """Remind the organisations that have not finished an open round some days before it
        closes (`RoundNotices.reminder_days`: the nearest whose time has come, once each)."""
        if self.notices is None:
            return
        notices, outbox = self.notices
        days = notices.reminder_days
        now = self.clock.now()
        for round_ in await self.repository.rounds():
            if not round_.open or round_.closes_at is None or round_.closes_at <= now:
                continue
            due = [d for d in sorted(days) if round_.closes_at - dt.timedelta(days=d) <= now]
            if not due:
                continue
            ref = reference(round_.id, f"reminder-{due[0]}")
            if await outbox.progress(ref):
                continue
            told = await notices.reminders(
                round_.id, round_.name, round_.closes_at, await self.audience(round_.id), due[0]
            )
            if told:
                await outbox.send(*told)
                log.info("round %d: %d reminders staged", round_.id, len(told))

    async def overview(self, user_id: int, *, in_group: bool = False) -> Overview:
        """Every round with its participation, and whether the reader gets the buttons; in a
        group everyone gets the members' view without any organisation's progress."""
        person = await self.coalition.person(user_id)
        coordinator = person is not None and person.role is Role.COORDINATOR and not in_group
        member = person is not None and person.role is Role.MEMBER and not in_group
        org = person.organisation_id if person and member else None
        lines = []
        for r in await self.repository.rounds():
            if not (coordinator or r.open or r.published):  # members: what they can rate or read
                continue
            if org is not None:  # a member: their organisation's share only
                share = (await self.audience(r.id, organisation_id=org)).share(org)
                lines.append(
                    RoundLine(
                        r,
                        *await self.participation(r.id),
                        own=(share.rated, share.total) if share is not None else None,
                    )
                )
                continue
            audience = await self.audience(r.id)
            lines.append(
                RoundLine(
                    r,
                    *await self._participation(r, audience),
                    _progress(audience) if coordinator else (),
                )
            )
        return Overview(tuple(lines), coordinator)

    async def audience(
        self, round_id: int = 0, items: Sequence[int] = (), organisation_id: int | None = None
    ) -> RoundAudience:
        """Whom a round concerns and each organisation's own share of it (the rule:
        bot/domain/round_audience.py): round `round_id`, or `items` before it exists; only
        `organisation_id`'s share, when given (one organisation's view is cheaper)."""
        groups = await self.repository.group_overlap(round_id, items)
        rule = audience_rule(groups, await self.repository.whole_cycle(round_id, items))
        shares = await self.repository.audience(round_id, rule, items, organisation_id)
        overlap = {g: listed for g, (listed, _) in groups.items() if listed}
        return RoundAudience(rule, overlap, tuple(shares))

    async def _participation(self, round_: Round, audience: RoundAudience) -> tuple[int, int]:
        """(audience organisations that rated anything, the audience): live while the round
        is open, as frozen at the close once it is closed."""
        if round_.open:
            return audience.took_part, len(audience.shares)
        return await self.repository.participation(round_.id)

    async def close_due(self) -> None:
        """Close the open rounds whose closing date has passed (telling their chats, members
        and coordinators)."""
        now = self.clock.now()
        due = {
            r.id: (r, await self.audience(r.id))
            for r in await self.repository.rounds()
            if r.open and r.closes_at is not None and r.closes_at <= now
        }
        if not due:
            return
        rules = {round_id: audience.rule for round_id, (_, audience) in due.items()}
        if self.notices is None:
            closed = await self.repository.close_due(now, rules=rules)
        else:
            notices, outbox = self.notices
            told = {
                r.id: notices.closed(await notices.audiences(audience), r.id, r.name)
                for r, audience in due.values()
            }

            def announce(round_id: int) -> None:
                stage(*told.get(round_id, ()))

            async with outbox.along():
                closed = await self.repository.close_due(now, announce, rules)
        for round_id in closed:
            log.info("round %d closed: its closing date has passed", round_id)

    async def publish(self, actor: int, round_id: int) -> bool:
        """Publish a closed round (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        round_ = await self.repository.round(round_id)
        if self.notices is None or round_ is None:
            published = await self.repository.publish(round_id, actor=actor, now=now)
        else:
            notices, outbox = self.notices
            told: list[Outgoing] = []
            if not await outbox.progress(reference(round_id, "published")):  # once a round
                audiences = await notices.audiences(await self.audience(round_id))
                told = notices.published(audiences, round_id, round_.name)
            async with outbox.along():
                published = await self.repository.publish(
                    round_id, actor=actor, now=now, announce=lambda _: stage(*told)
                )
        if published:
            log.info("round %d published", round_id)
        return published

    async def rater(self, user_id: int) -> tuple[int, str]:
        """The organisation a user rates for; NotAllowed for guests and inactive organisations."""
        person = await self.coalition.person(user_id)
        if person is not None and person.organisation_id is None and person.is_coordinator:
            raise CoordinatorsDoNotRate
        if person is None or person.organisation_id is None:
            raise NotAllowed
        if not person.organisation_active:
            raise MembershipPaused
        return person.organisation_id, person.organisation_short_name

    async def rate(
        self, user_id: int, round_id: int, rec_id: int, colour: Colour
    ) -> tuple[bool, str]:
        """Record the user's organisation's rating; (was it new, organisation short name)."""
        new, _, short = await self._rate(user_id, round_id, rec_id, colour)
        return new, short

    async def _rate(
        self,
        user_id: int,
        round_id: int,
        rec_id: int,
        colour: Colour,
        ask: Callable[[str], ReasonAsk | None] | None = None,
    ) -> tuple[bool, int, str]:
        """(was it new, organisation id, short name). The write itself checks again that the
        user still represents the active organisation: a pause or removal racing it wins.
        `ask`: the request for its reason (given the short name), written with it."""
        org_id, short = await self.rater(user_id)
        new = await self.repository.rate(
            round_id,
            rec_id,
            org_id,
            colour,
            self.clock.now(),
            rater=user_id,
            ask=ask(short) if ask is not None else None,
        )
        return new, org_id, short

    async def tap(
        self,
        user_id: int,
        round_id: int,
        rec_id: int,
        colour: Colour,
        *,
        in_group: bool,
        prompt: Callable[[str], Content] | None = None,
        language: str = "",
        origin: tuple[int, int | None] | None = None,
    ) -> Tap:
        """Record a tap on a rating button and say what came of it (refusals included). In a
        group, a first rating queues `prompt` (given the organisation's short name) privately,
        in the rating's own transaction; `origin`: the group chat, told if Telegram refuses it."""

        def ask(short: str) -> ReasonAsk | None:
            now = self.clock.now()
            if not in_group:
                return ReasonAsk(user_id, now + PENDING_TTL)
            if prompt is None or not self.reason_prompts.ready(user_id):
                return None
            reference = f"prompt:{round_id}:{rec_id}"
            outgoing = Outgoing(
                user_id, prompt(short), Job.PROMPT, language=language, reference=reference
            )
            return ReasonAsk(user_id, now + PROMPT_TTL, outgoing, now + PENDING_TTL, origin)

        try:
            new, org_id, short = await self._rate(user_id, round_id, rec_id, colour, ask)
        except MembershipPaused:
            return Tap(Tapped.PAUSED)
        except NotAllowed:
            return Tap(Tapped.NOT_A_RATER)
        except RoundClosed:
            return Tap(Tapped.CLOSED)
        except NotInRound:
            return Tap(Tapped.NOT_IN_ROUND)
        result = Tapped.RECORDED if new else Tapped.CHANGED
        if in_group:
            asked = new and self.reason_prompts.allow(user_id)
            return Tap(result, short, ask_reason=asked, organisation_id=org_id)
        # In private the bot asks at once: the next plain message is the reason (a newer
        # prompt replaces this one; it expires) — remembered with the rating.
        return Tap(result, short, await self.repository.round(round_id), organisation_id=org_id)

    async def round(self, round_id: int) -> Round | None:
        """One round, or None."""
        return await self.repository.round(round_id)

    async def rounds(self) -> list[Round]:
        """Every round, newest first."""
        return await self.repository.rounds()

    async def items(self, round_id: int) -> list[int]:
        """The recommendations of a round, in order."""
        return await self.repository.items(round_id)

    async def distribution(
        self, round_id: int, recommendation_id: int, group_id: int | None = None
    ) -> Distribution:
        """One recommendation's counts: the whole coalition's, or one working group's."""
        return await self.repository.distribution(round_id, recommendation_id, group_id)

    async def paused_raters(self, round_id: int, group_id: int | None = None) -> int:
        """How many organisations whose membership is paused rated in the round: their ratings
        count in its results and exports, they are not in its "N of M took part"."""
        return await self.repository.paused_raters(round_id, group_id)

    async def participation(self, round_id: int, group_id: int | None = None) -> tuple[int, int]:
        """(organisations that rated, organisations the round concerns) in a round — its
        audience —, or a working group's (its active member organisations)."""
        round_ = await self.repository.round(round_id)
        if group_id is None and round_ is not None and round_.open:
            return await self._participation(round_, await self.audience(round_id))
        return await self.repository.participation(round_id, group_id)

    async def card_counts(
        self, round_id: int, recommendation_id: int, group_id: int | None = None
    ) -> tuple[Distribution, int, int]:
        """A rating card's numbers: the colours, and "N of M organisations" — in a working
        group's chat its member organisations (those the card concerns there), elsewhere the
        organisations whose own recommendations include it (the round's audience for it)."""
        dist = await self.repository.distribution(round_id, recommendation_id, group_id)
        if group_id is not None:
            _, total = await self.repository.participation(round_id, group_id)
            rated = await self.repository.group_rated(round_id, recommendation_id, group_id)
            return dist, min(rated, total), total
        rule = audience_rule(
            await self.repository.group_overlap(round_id),
            await self.repository.whole_cycle(round_id),
        )
        rated, total = await self.repository.recommendation_audience(
            round_id, rule, recommendation_id
        )
        return dist, rated, total

    async def own(self, round_id: int, organisation_id: int) -> dict[int, Rating]:
        """An organisation's ratings in a round, by recommendation."""
        return await self.repository.own(round_id, organisation_id)

    async def posted(self, round_id: int, chat_id: int) -> set[int]:
        """The recommendations whose cards are already in this chat."""
        return await self.repository.posted(round_id, chat_id)

    async def add_card(self, card: Card) -> None:
        """Remember a card posted in a group chat (redrawn when its counts change)."""
        await self.repository.add_card(card)

    async def cards_to_redraw(self) -> list[Card]:
        """Cards whose ratings changed since they were drawn."""
        return await self.repository.cards_to_redraw()

    async def mark_drawn(self, card: Card) -> None:
        """A card was redrawn up to its newest rating."""
        await self.repository.mark_drawn(card)

    async def set_reason(self, user_id: int, round_id: int, rec_id: int, reason: str) -> bool:
        """Attach or replace the reason of the user's organisation's rating (the old one stays
        in the history); True when it was longer than MAX_REASON and was cut to it."""
        org_id, _ = await self.rater(user_id)
        reason = one_line(reason)
        await self.repository.set_reason(
            round_id, rec_id, org_id, cut_whole(reason, MAX_REASON), self.clock.now()
        )
        return len(reason) > MAX_REASON

    async def delete_reason(self, user_id: int, round_id: int, rec_id: int) -> bool:
        """Remove the reason of the organisation's rating (kept in the history); False if the
        rating had none."""
        org_id, _ = await self.rater(user_id)
        rating = (await self.repository.own(round_id, org_id)).get(rec_id)
        if rating is None or not rating.reason:
            return False
        await self.repository.set_reason(round_id, rec_id, org_id, "", self.clock.now())
        return True

    async def pick_open(self, asked: int | None) -> RoundChoice:
        """The open round /rate works in: the one named, the only one, or the choice."""
        open_ = [r for r in await self.repository.rounds() if r.open]
        if asked is not None:
            named = next((r for r in open_ if r.id == asked), None)
            return RoundChoice(named, () if named else tuple(open_), None if named else asked)
        if len(open_) == 1:
            return RoundChoice(open_[0])
        return RoundChoice(None, tuple(open_))

    async def current_round(self) -> Round | None:
        """The newest open round."""
        return next((r for r in await self.repository.rounds() if r.open), None)

    async def next_unrated(self, user_id: int, round_id: int, skipped: set[int]) -> int | None:
        """The next recommendation the user's organisation has not rated (nor skipped)."""
        org_id, _ = await self.rater(user_id)
        done = await self.repository.own(round_id, org_id)
        mine = await self._own_items(round_id, org_id)
        items = await self.repository.items(round_id)
        return next(  # its own recommendations first, then the rest of the round
            (
                r
                for r in sorted(items, key=lambda r: r not in mine)
                if r not in done and r not in skipped
            ),
            None,
        )

    async def _own_items(self, round_id: int, organisation_id: int) -> set[int]:
        """The round's recommendations that are this organisation's own (empty: the round
        does not concern it)."""
        audience = await self.audience(round_id, organisation_id=organisation_id)
        share = audience.share(organisation_id)
        if share is None:
            return set()
        items = await self.repository.items(round_id)
        if share.total == len(items):
            return set(items)
        return await self.repository.group_listed(round_id, organisation_id)

    async def left_to_rate(self, user_id: int, round_id: int) -> tuple[int, int] | None:
        """(how many of its own recommendations the user's organisation has not rated, how
        many are its own); None when the round does not concern it."""
        org_id, _ = await self.rater(user_id)
        share = (await self.audience(round_id, organisation_id=org_id)).share(org_id)
        return (share.left, share.total) if share is not None else None

    async def next_to_rate(self, user_id: int, round_id: int) -> int | None:
        """The next recommendation to offer in private: unrated and not skipped. None when
        none is left; the skips are then forgotten, so the next /rate offers them again."""
        now = self.clock.now()
        skipped = await self.repository.skipped(user_id, round_id, now)
        found = await self.next_unrated(user_id, round_id, skipped)
        if found is None and skipped:
            await self.repository.forget_skips(user_id, round_id)
        return found

    async def unrated(self, user_id: int, round_id: int) -> int:
        """How many recommendations of the round the user's organisation has not rated."""
        org_id, _ = await self.rater(user_id)
        done = await self.repository.own(round_id, org_id)
        return sum(1 for r in await self.repository.items(round_id) if r not in done)

    async def latest_closed(self) -> Round | None:
        """The newest closed round."""
        return next((r for r in await self.repository.rounds() if not r.open), None)

    async def skip(self, user_id: int, round_id: int, rec_id: int) -> None:
        """Put a recommendation off until the others are rated (kept across restarts)."""
        await self.rater(user_id)
        now = self.clock.now()
        await self.repository.skip(user_id, round_id, rec_id, expires=now + SKIP_TTL, now=now)

    async def ask_reason(
        self,
        user_id: int,
        round_id: int,
        rec_id: int,
        content: Content,
        language: str,
        origin: tuple[int, int | None] | None = None,
    ) -> int:
        """Queue a prompt for the reason of a rating (outbox); a private reply to it, within
        PROMPT_TTL, is the reason, and so is the next plain private message once it was sent,
        within PENDING_TTL. `origin`: the group chat (and topic) whose card was tapped, told
        if Telegram refuses the prompt. The delivery's id."""
        now = self.clock.now()
        prompt = Outgoing(
            user_id,
            content,
            Job.PROMPT,
            language=language,
            reference=f"prompt:{round_id}:{rec_id}",
        )
        return await self.repository.add_prompt(
            user_id,
            prompt,
            round_id,
            rec_id,
            expires=now + PROMPT_TTL,
            now=now,
            pending=now + PENDING_TTL,
            origin=origin,
        )

    async def prompt_sent(self, user_id: int, message_id: int, round_id: int, rec_id: int) -> None:
        """The bot answered a tap with a prompt: a reply to it is the reason too."""
        now = self.clock.now()
        await self.repository.remember_prompt(
            user_id, message_id, round_id, rec_id, expires=now + PROMPT_TTL, now=now
        )

    async def recolour_prompt(
        self, user_id: int, round_id: int, rec_id: int, content: Content
    ) -> int | None:
        """The rating's colour changed: a prompt for it still waiting says the new one; the
        message id of a prompt already sent, to edit, else None."""
        return await self.repository.recolour_prompt(
            user_id, round_id, rec_id, content, self.clock.now()
        )

    async def pending(self, user_id: int) -> PendingReason | None:
        """The reason this person was asked for last (their next plain message gives it)."""
        return await self.repository.pending(user_id, self.clock.now())

    async def stop_waiting(self, user_id: int) -> bool:
        """Another prompt now takes this person's next message: the reason asked for last no
        longer does (a reply to its prompt still gives it). True when one was waiting."""
        pending = await self.repository.pending(user_id, self.clock.now())
        if pending is None or pending.sent is False:
            return False
        await self.repository.drop_pending(user_id)
        return True

    async def move_on(self, user_id: int) -> None:
        """⏭ Next: the person gives no reason now; their next message is not one."""
        await self.repository.drop_pending(user_id)

    async def give_reason(
        self, user_id: int, round_id: int, rec_id: int, text: str
    ) -> ReasonGiven:
        """Attach a typed reason (one line, cut to MAX_REASON) to the organisation's rating;
        the reason asked for in this rating is then given."""
        reason = one_line(text)
        if not reason.strip():
            return ReasonGiven(Reasoned.EMPTY, round_id, rec_id)
        try:
            org_id, _ = await self.rater(user_id)
            history_id, colour = await self.repository.set_reason(
                round_id, rec_id, org_id, cut_whole(reason, MAX_REASON), self.clock.now()
            )
        except (NotAllowed, RoundClosed, NotInRound) as refused:
            await self.repository.drop_pending(user_id, (round_id, rec_id))  # asked in vain
            return ReasonGiven(
                next(r for e, r in _REASON_REFUSALS.items() if isinstance(refused, e))
            )
        pending = await self.repository.pending(user_id, self.clock.now())
        next_card = (
            pending is not None
            and (pending.round_id, pending.recommendation_id) == (round_id, rec_id)
            and pending.next_card
        )
        await self.repository.drop_pending(user_id, (round_id, rec_id))
        return ReasonGiven(
            Reasoned.CUT if len(reason) > MAX_REASON else Reasoned.SAVED,
            round_id,
            rec_id,
            colour,
            history_id,
            next_card,
            len(reason),
        )

    async def reason_from_message(self, user_id: int, text: str) -> ReasonGiven | None:
        """A plain private message: the reason asked for last, unless none is (or its prompt
        has not reached the person) or the text is a lookup (LOOKUP); a refusal (CLOSED,
        PAUSED…) once when it can no longer be given. None while that prompt is on its way."""
        if is_lookup(text):
            return ReasonGiven(Reasoned.LOOKUP)
        pending = await self.repository.pending(user_id, self.clock.now())
        if pending is None or pending.sent is False:
            return ReasonGiven(Reasoned.LOOKUP)
        if pending.sent is None:
            return None
        # Refused (the round closed, the membership paused, the person removed… while it was
        # typed): said once, as a reply would be; the prompt is dropped, so then it searches.
        return await self.give_reason(user_id, pending.round_id, pending.recommendation_id, text)

    async def undo_reason(
        self, user_id: int, round_id: int, rec_id: int, history_id: int
    ) -> Undone:
        """'That was a search': the rating gets back the reason it had before (unless a newer
        one was set since); the text to look up instead."""
        try:
            org_id, _ = await self.rater(user_id)
            undone = await self.repository.undo_reason(
                round_id, rec_id, org_id, history_id, self.clock.now()
            )
        except NotAllowed:
            return Undone(Undo.GONE)
        except (RoundClosed, NotInRound):
            return Undone(Undo.CLOSED)
        if undone is None:
            return Undone(Undo.GONE)
        text, done = undone
        return Undone(Undo.UNDONE if done else Undo.CHANGED, text)

    async def open_link(self, user_id: int, round_id: int, rec_id: int) -> Link:
        """A ✍ deep link from a group card: the organisation's rating of it, whose reason is
        then asked for (the next plain message gives it), or why not."""
        try:
            _, short = await self.rater(user_id)
        except MembershipPaused:
            return Link(LinkOpened.PAUSED)
        except CoordinatorsDoNotRate:
            return Link(LinkOpened.COORDINATOR)
        except NotAllowed:
            return Link(LinkOpened.NOT_A_RATER)
        round_ = await self.repository.round(round_id)
        if round_ is None or rec_id not in await self.repository.items(round_id):
            return Link(LinkOpened.GONE)
        if not round_.open:
            return Link(LinkOpened.CLOSED, round_)
        org_id, _ = await self.rater(user_id)
        rating = (await self.repository.own(round_id, org_id)).get(rec_id)
        if rating is None:
            return Link(LinkOpened.UNRATED, round_, short)
        now = self.clock.now()
        await self.repository.set_pending(
            user_id, round_id, rec_id, next_card=False, expires=now + PENDING_TTL, now=now
        )
        return Link(LinkOpened.RATED, round_, short, rating)

    async def hint_private_chat(
        self, delivery_id: int, compose: Callable[[PromptOrigin, str, str | None], Content]
    ) -> bool:
        """Telegram refused a reason prompt (the person never opened a private chat with the
        bot, or blocked it): if it was asked for from a group card, one line there tells them
        to open the chat, once per person per round. compose(origin, name, chat language)."""
        origin = await self.repository.refused_prompt(delivery_id)
        if origin is None:
            return False
        person = await self.coalition.person(origin.user_id)
        language = await self.coalition.chat_language(origin.chat_id, origin.topic_id or 0)
        name = person.display_name if person is not None else ""
        hint = Outgoing(
            origin.chat_id,
            compose(origin, name, language),
            Job.NOTICE,
            topic_id=origin.topic_id,
            language=language,
            reference=f"hint:{origin.round_id}:{origin.user_id}",
        )
        return await self.repository.add_hint(
            origin.user_id, origin.round_id, hint, self.clock.now()
        )

    async def prompted(self, user_id: int, message_id: int) -> tuple[int, int] | None:
        """The (round, recommendation) whose reason a reply to this message gives, if any."""
        return await self.repository.prompt(user_id, message_id, self.clock.now())

    async def prompt_unsent(self, user_id: int) -> bool:
        """Whether a prompt to this person is still on its way (its message id is unknown)."""
        return await self.repository.prompt_unsent(user_id, self.clock.now())

    async def shows_colours(self, viewer: int | None, round_: Round) -> bool:
        """May a card show this recommendation's colours, or only how many have rated? Everyone
        once the round is closed and published; before, only a coordinator in private (viewer
        None: a group's card): with few raters a member could deduce another organisation's
        colour from the counts."""
        if round_.published and not round_.open:
            return True
        if viewer is None:
            return False
        return await self.coalition.role(viewer) is Role.COORDINATOR

    async def may_see_results(self, user_id: int, round_: Round) -> bool:
        """Coordinators always; members once a closed round is published; guests never."""
        role = await self.coalition.role(user_id)
        if role is Role.COORDINATOR:
            return True
        return role is Role.MEMBER and round_.published and not round_.open

    async def results(
        self,
        user_id: int,
        round_id: int,
        catalog: Catalog,
        *,
        private: bool = True,
        group_id: int | None = None,
        form: ReasonsForm | None = None,
        reasons: bool = True,
    ) -> tuple[Round, list[ResultRow]]:
        """The round's table rows: the whole coalition's, or one working group's (its list,
        rated by its member organisations); organisation names only for coordinators; with
        `form`, each row's reasons cell written in it instead of every rating shown; nothing
        said without `reasons` (colours and counts only: a comparison).
        UnknownGroup for a working group that does not exist (a forged button)."""
        round_, named = await self._viewer(user_id, round_id, private)
        if group_id is not None and group_id not in {
            g.id for g in await self.coalition.working_groups()
        }:
            raise UnknownGroup(str(group_id))
        return round_, await self._result_rows(round_, named, catalog, group_id, form, reasons)

    async def published_results(
        self, round_id: int, catalog: Catalog, group_id: int | None = None
    ) -> tuple[Round, list[ResultRow]]:
        """`results`' colours and counts, for the picture sent with the published notice (no
        reason and no organisation: anyone may see them, and no rating is read); NotAllowed
        while the round is not published."""
        round_ = await self.repository.round(round_id)
        if round_ is None or not round_.published:
            raise NotAllowed
        return round_, await self._result_rows(round_, False, catalog, group_id, reasons=False)

    async def _result_rows(
        self,
        round_: Round,
        named: bool,
        catalog: Catalog,
        group_id: int | None,
        form: ReasonsForm | None = None,
        reasons: bool = True,
    ) -> list[ResultRow]:
        groups = [] if group_id is None else [group_id]
        rows, by_group = await self._tables(
            round_.id, named, catalog, groups, form, whole=group_id is None, reasons=reasons
        )
        return rows if group_id is None else by_group[group_id]

    async def listed(self, user_id: int, round_id: int, group_id: int) -> tuple[Round, int]:
        """The round whose results this user may see (NotAllowed otherwise) and how many of its
        recommendations a working group's list holds (as at the close): none, nothing to show,
        known before any table is built."""
        round_ = await self._visible(user_id, round_id)
        return round_, await self.group_listed(round_id, group_id)

    async def group_listed(self, round_id: int, group_id: int) -> int:
        """How many of a round's recommendations a working group's list holds (a closed
        round's as at the close): none, and the group has nothing to rate or show in it."""
        overlap = await self.repository.group_overlap(round_id)
        return overlap.get(group_id, (0, 0))[0]

    async def group_tables(
        self,
        user_id: int,
        round_id: int,
        catalog: Catalog,
        groups: list[WorkingGroup],
        *,
        private: bool = True,
        form: ReasonsForm | None = None,
    ) -> tuple[Round, list[ResultRow], dict[int, list[ResultRow]]]:
        """The coalition's rows and each working group's own rows (as frozen at the close);
        with `form`, each row's reasons cell written in it instead of every rating shown."""
        round_, named = await self._viewer(user_id, round_id, private)
        rows, by_group = await self._tables(round_id, named, catalog, [g.id for g in groups], form)
        return round_, rows, by_group

    async def _tables(
        self,
        round_id: int,
        named: bool,
        catalog: Catalog,
        groups: Sequence[int],
        form: ReasonsForm | None = None,
        whole: bool = True,
        reasons: bool = True,
    ) -> tuple[list[ResultRow], dict[int, list[ResultRow]]]:
        """The coalition's rows and these working groups' own rows, from the aggregates: the
        counts by recommendation (and by group), and what was said: with `form`, each row's
        reasons cell as the database writes it (no object per rating; the coalition's rows
        without cells when not `whole`: only the groups' are shown), else every rating shown;
        nothing said without `reasons`.

        A group's judgement: its own list, and only its member organisations' ratings (an
        organisation in two groups counts in both); both as they were when the round closed.
        """
        items = await self.repository.items(round_id)
        said: dict[int, dict[int, list[tuple[str | None, Colour, str]]]] = {0: {}}
        said.update({g: {} for g in groups})
        if not reasons:
            form = None
        elif form is None:
            said = await self._said(round_id, named, groups)
        # The counts and the cells read in one snapshot: one file shows one moment.
        wanted = [0, *groups] if whole else groups
        reads = await self.repository.tables(round_id, form, named, wanted, bool(groups))
        rows = _rows(
            catalog,
            items,
            reads.distributions,
            said[0],
            reads.cells.get(0, {}) if form else None,
            self.min_ratings,
        )
        if not groups:
            return rows, {}
        overall_of = {row.recommendation.id: row.overall for row in rows}
        by_group = {}
        for group_id in groups:
            listed = reads.group_distributions.get(group_id, {})
            by_group[group_id] = [
                replace(row, coalition=overall_of.get(row.recommendation.id))
                for row in _rows(
                    catalog,
                    [i for i in items if i in listed],
                    listed,
                    said[group_id],
                    reads.cells.get(group_id, {}) if form else None,
                    self.min_ratings,
                )
            ]
        return rows, by_group

    async def _said(
        self, round_id: int, named: bool, groups: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[str | None, Colour, str]]]]:
        """Every rating shown, by recommendation: the whole coalition's (0) and each of these
        working groups' own, names alphabetically (erased organisations last) when named."""
        said = await self.repository.said(round_id, named, with_groups=bool(groups))
        if named:  # who said what, alphabetically; erased organisations (None) last
            rank = name_ranks((org, org) for org in {s.organisation for s in said})
            said.sort(key=lambda entry: rank[entry.organisation])
        shown: dict[int, dict[int, list[tuple[str | None, Colour, str]]]] = {0: {}}
        shown.update({g: {} for g in groups})
        for rec_id, organisation, colour, reason, in_groups in said:  # ~1,000 per recommendation
            entry = (organisation, colour, reason)
            shown[0].setdefault(rec_id, []).append(entry)
            for group_id in in_groups:
                if group_id in shown and group_id:
                    shown[group_id].setdefault(rec_id, []).append(entry)
        return shown

    async def group_colours(
        self, round_: Round, catalog: Catalog
    ) -> dict[int, dict[Overall, int]]:
        """Each working group's own published colours counted (its list, its members' ratings),
        from one aggregate: the per-group bars of a results picture. For a round whose results
        the caller may see (`results` or `published_results` returned it)."""
        by_group = await self.repository.group_distributions(round_.id)
        return {
            group_id: colour_counts(
                overall(dist, self.min_ratings)
                for rec_id, dist in dists.items()
                if rec_id in catalog.by_id
            )
            for group_id, dists in by_group.items()
        }

    async def summary(
        self,
        round_: Round,
        catalog: Catalog,
        rows: list[ResultRow],
        groups: Sequence[WorkingGroup] | None,
    ) -> Summary:
        """The one list of rows a results picture and its text both show: with `groups` (the
        whole coalition's results) a row per working group that has member organisations and
        some of the round's recommendations, when two or more have, else a row per theme of
        `rows`."""
        if groups is not None:
            counts = await self.group_colours(round_, catalog)
            members = await self.repository.group_overlap(round_.id)
            by_group = tuple(
                (g, counts[g.id])
                for g in groups
                if sum(counts.get(g.id, {}).values()) and members.get(g.id, (0, 0))[1]
            )
            if len(by_group) >= 2:
                return Summary(True, by_group)
        totals = colour_counts(r.overall for r in rows)
        return Summary(False, tuple(summary_by_theme(catalog, rows)), totals)

    async def _visible(self, user_id: int, round_id: int) -> Round:
        """The round whose results this user may see; NotAllowed otherwise."""
        round_ = await self.repository.round(round_id)
        if round_ is None or not await self.may_see_results(user_id, round_):
            raise NotAllowed
        return round_

    async def _viewer(self, user_id: int, round_id: int, private: bool) -> tuple[Round, bool]:
        """The round whose results this user may see (NotAllowed otherwise), and whether
        they see who said what."""
        round_ = await self._visible(user_id, round_id)
        # Who said what only for a coordinator in a private chat: never into a group.
        return round_, private and await self.coalition.role(user_id) is Role.COORDINATOR

    async def compare(
        self,
        user_id: int,
        first: int,
        second: int,
        catalog: Catalog,
        group_id: int | None = None,
    ) -> list[tuple[Recommendation, Overall, Overall, int]]:
        """Recommendations whose colour changed between two rounds (+1 progressed, -1 regressed):
        the whole coalition's colours, or one working group's."""
        return (await self.comparison(user_id, first, second, catalog, group_id)).changes

    async def comparable(self, user_id: int) -> list[Round]:
        """The rounds this user may compare: closed, with results they may see (members:
        published), newest first."""
        rounds = sorted(await self.repository.rounds(), key=lambda r: r.id, reverse=True)
        return [r for r in rounds if not r.open and await self.may_see_results(user_id, r)]

    async def comparison(
        self,
        user_id: int,
        first: int,
        second: int,
        catalog: Catalog,
        group_id: int | None = None,
    ) -> Comparison:
        """The two rounds side by side: what changed, what stayed, what cannot be compared."""
        _, before = await self.results(user_id, first, catalog, group_id=group_id, reasons=False)
        _, after = await self.results(user_id, second, catalog, group_id=group_id, reasons=False)
        return compare_results(before, after)

    async def latest(self, rec_id: int) -> tuple[Round, Overall, Distribution] | None:
        """The latest published colour of a recommendation, for its card."""
        found = await self.repository.latest_published(rec_id)
        if found is None:
            return None
        round_, dist = found
        return round_, overall(dist, self.min_ratings), dist


def _progress(audience: RoundAudience) -> tuple[tuple[str, int, int], ...]:
    """Each audience organisation's progress: short name, rated, its own recommendations."""
    return tuple((s.short_name, s.rated, s.total) for s in audience.shares)


_NONE = Distribution()


def _rows(
    catalog: Catalog,
    items: Iterable[int],
    counts: Mapping[int, Distribution],
    said: Mapping[int, list[tuple[str | None, Colour, str]]],
    cells: Mapping[int, str] | None,
    min_ratings: int,
) -> list[ResultRow]:
    """Table rows for these recommendations from their counts and what was said (or, with
    `cells`, their reasons cells), by number."""
    rows = []
    for rec_id in items:
        rec = catalog.by_id.get(rec_id)
        if rec is None:
            continue
        dist = counts.get(rec_id, _NONE)
        rows.append(
            ResultRow(
                rec,
                dist,
                overall(dist, min_ratings),
                tuple(said.get(rec_id, ())),
                cell=None if cells is None else cells.get(rec_id, ""),
            )
        )
    rows.sort(key=lambda row: row.recommendation.number)
    return rows


_EMOJI = {colour: colour.emoji for colour in Colour}  # read once, not per rating


def reasons_cell(l10n: Localizer, row: ResultRow) -> str:
    """'ADHOC: 🔴 No law yet.; CCHR: 🟠' (coordinators) or '🔴 No law yet.' (members), with
    the reader's colon and separator (as the database wrote it, when it did: `reasons_form`)."""
    if row.cell is not None:
        return row.cell
    said = (
        (org, f"{_EMOJI[colour]} {reason}".strip())
        for org, colour, reason in row.reasons
        if reason or org
    )
    # The reader's "label: value" form, looked up once for the row, not once per rating.
    labelled = l10n.labelled("{label}", "{value}").format
    return l10n.listing(labelled(label=org, value=text) if org else text for org, text in said)


def reasons_form(l10n: Localizer) -> ReasonsForm:
    """How `reasons_cell` writes a cell in the reader's language, for the database to write
    it so."""
    template = l10n.labelled("\x00", "\x01")
    if template.count("\x00") != 1 or template.count("\x01") != 1:  # a broken translation
        template = "\x00: \x01"
    label_first = template.index("\x00") < template.index("\x01")
    before, _, rest = template.partition("\x00" if label_first else "\x01")
    between, _, after = rest.partition("\x01" if label_first else "\x00")
    return ReasonsForm(l10n.listing(["", ""]), before, between, after, label_first)


def export_rows(
    l10n: Localizer,
    catalog: Catalog,
    blocks: list[tuple[str, list[ResultRow]]],
    colour_label: Callable[[Localizer, Overall], str],
    *,
    by_theme: bool = False,
) -> list[list[str | int]]:
    """The coalition's table, one block per working group or per theme:
    Working group | Recommendation (number – text (State)) | Colour | Reason(s) | counts, and in
    a working group's block (that group's colour, reasons and counts) the coalition's colour."""
    header: list[str | int] = [
        l10n.gettext("Theme") if by_theme else l10n.gettext("Working group"),
        l10n.gettext("Recommendation (number – text (State))"),
        l10n.gettext("Colour"),
        l10n.gettext("Reason(s)"),
        *(c.emoji for c in Colour),
    ]
    if not by_theme:
        header.append(l10n.gettext("Whole coalition"))
    texts: dict[int, str] = {}  # each recommendation's text is built once, whatever the blocks
    table_rows: list[list[str | int]] = [header]
    for name, rows in blocks:
        for row in rows:
            rec = row.recommendation
            if rec.id not in texts:
                states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
                text = rec.text_in(l10n.language)
                texts[rec.id] = f"{rec.number} – {text}" + (
                    "" if rec.is_compound else f" ({states})"
                )
            d = row.distribution
            line: list[str | int] = [
                name,
                texts[rec.id],
                colour_label(l10n, row.overall),
                reasons_cell(l10n, row),
                *(d.count(c) for c in Colour),
            ]
            if not by_theme:
                line.append(colour_label(l10n, row.coalition) if row.coalition is not None else "")
            table_rows.append(line)
    return table_rows


def theme_blocks(
    catalog: Catalog, rows: list[ResultRow], language: str
) -> list[tuple[str, list[ResultRow]]]:
    """The coalition-wide rows in one block per theme (a recommendation may be in several)."""
    return [
        (theme.name(language), [r for r in rows if theme.id in r.recommendation.theme_ids])
        for theme in catalog.themes
    ]


def summary_by_theme(
    catalog: Catalog, rows: list[ResultRow]
) -> list[tuple[Theme, dict[Overall, int]]]:
    """The one-glance summary: how many recommendations of each theme got each colour."""
    summary = []
    for theme in catalog.themes:
        counts = colour_counts(r.overall for r in rows if theme.id in r.recommendation.theme_ids)
        if any(counts.values()):
            summary.append((theme, counts))
    return summary


@dataclass(frozen=True)
class Summary:
    """A round's results at a glance, the same rows in its picture and in its text: per
    working group (`by_group`) or per theme; `totals` each colour over the recommendations
    (themes overlap, so their rows may add up to more); None by working group."""

    by_group: bool
    rows: tuple[tuple[WorkingGroup | Theme, dict[Overall, int]], ...]
    totals: dict[Overall, int] | None = None


Change = tuple[Recommendation, Overall, Overall, int]
_RANKED = frozenset({Overall.RED, Overall.ORANGE, Overall.GREEN})  # colours that compare


@dataclass(frozen=True)
class Comparison:
    """Two rounds compared, over the recommendations in both.

    `changes` progressed (+1) or regressed (-1); `stayed` kept their colour; `not_in_both` were
    in only one of the rounds; `unrated` had no colour to compare in one round (not enough
    ratings, or contested). `before` and `after` count each round's colours over those in both.
    """

    changes: list[Change]
    stayed: int
    not_in_both: int
    unrated: int
    before: dict[Overall, int]
    after: dict[Overall, int]

    @property
    def up(self) -> int:
        """How many progressed."""
        return sum(1 for c in self.changes if c[3] > 0)

    @property
    def down(self) -> int:
        """How many regressed."""
        return len(self.changes) - self.up

    @property
    def not_comparable(self) -> int:
        """How many could not be compared, for either reason."""
        return self.not_in_both + self.unrated


def compare_results(before: list[ResultRow], after: list[ResultRow]) -> Comparison:
    """Compare two rounds' rows recommendation by recommendation."""
    old = {row.recommendation.id: row.overall for row in before}
    both = [row for row in after if row.recommendation.id in old]
    changes: list[Change] = []
    stayed = unrated = 0
    for row in both:
        was = old[row.recommendation.id]
        if was not in _RANKED or row.overall not in _RANKED:
            unrated += 1
        elif moved := change(was, row.overall):
            changes.append((row.recommendation, was, row.overall, moved))
        else:
            stayed += 1
    return Comparison(
        changes,
        stayed,
        len(old) + len(after) - 2 * len(both),
        unrated,
        colour_counts(old[row.recommendation.id] for row in both),
        colour_counts(row.overall for row in both),
    )


def colour_counts(values: Iterable[Overall]) -> dict[Overall, int]:
    """How many of each published colour (every colour present, zero or not)."""
    counts = dict.fromkeys(Overall, 0)
    for value in values:
        counts[value] += 1
    return counts


def changes_by_theme(catalog: Catalog, changes: list[Change]) -> list[tuple[Theme, list[Change]]]:
    """Progressions and regressions grouped by theme (a recommendation may be in several)."""
    grouped = []
    for theme in catalog.themes:
        found = [c for c in changes if theme.id in c[0].theme_ids]
        if found:
            grouped.append((theme, found))
    return grouped


def compare_rows(
    l10n: Localizer,
    catalog: Catalog,
    changes: list[Change],
    colour_label: Callable[[Localizer, Overall], str],
) -> list[list[str]]:
    """The comparison table: Theme | Recommendation | Before | After | Change, by theme."""
    rows = [
        [
            l10n.gettext("Theme"),
            l10n.gettext("Recommendation"),
            l10n.gettext("Before"),
            l10n.gettext("After"),
            l10n.gettext("Change"),
        ]
    ]
    for theme, found in changes_by_theme(catalog, changes):
        rows += [
            [
                theme.name(l10n.language),
                str(rec.number),
                colour_label(l10n, before),
                colour_label(l10n, after),
                l10n.gettext("progressed") if moved > 0 else l10n.gettext("regressed"),
            ]
            for rec, before, after, moved in found
        ]
    return rows
