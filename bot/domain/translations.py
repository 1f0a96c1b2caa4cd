"""Translating the recommendations into Khmer, in chat: translators, drafts, reviews, coverage.

No public Khmer text of the recommendations exists and there is no machine translation: the bot
organises people. Coordinators appoint translators (a role of its own, beside membership);
`/translate` gives a translator the next recommendation without Khmer text (those in use
first), their next message is the draft; another translator or a coordinator reviews it.
A saved text (draft or reviewed) is searchable at once: `changed` updates the live catalog.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.clock import Clock
from bot.domain.coalition import Coalition
from bot.domain.importer import N_, RowError, TranslationRow
from bot.domain.membership import NotAllowed, Role
from bot.domain.model import RecNumber, Translation, TranslationStatus
from bot.domain.search import Glossary, english_key
from bot.domain.text import latin_words, normalize, one_line, stem, visible_text, written_text

MAX_CHARS = 3000  # the longest recommendation is about 1,100 characters in English
PROMPT_TTL = dt.timedelta(minutes=30)
SKIP_TTL = dt.timedelta(days=1)
MAX_TERMS = 12
MIN_VISIBLE = 5  # visible characters: a Khmer translation of a recommendation is longer
SHORTEST_SHARE = 4  # a translation has at least a quarter of the English text's characters
_KHMER_LETTER = re.compile(r"[\u1780-\u17b3]")
_KHMER_SCRIPT = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


class Purpose(enum.StrEnum):
    """What a translator's next message is: a new draft, or a reviewer's corrected text."""

    TRANSLATE = "translate"
    REVIEW = "review"


class Problem(enum.StrEnum):
    """Why a text or a review was not saved; handlers say it in the reader's language."""

    EMPTY = "empty"
    NO_KHMER = "no khmer"
    NOT_KHMER = "not khmer"  # mostly signs, emoji or other scripts
    MOSTLY_ENGLISH = "mostly english"
    TOO_LONG = "too long"
    MARKUP = "markup"
    TOO_SHORT = "too short"  # far shorter than the English: a search word, not a translation
    OWN_DRAFT = "own draft"
    NOT_A_DRAFT = "not a draft"  # reviewed meanwhile, or never drafted
    GONE = "gone"  # the recommendation no longer exists


@dataclass(frozen=True)
class Stored:
    """A recommendation's Khmer text as stored, with its provenance."""

    recommendation_id: int
    text_km: str
    status: TranslationStatus
    translator: str = ""
    translator_id: int | None = None
    translated_at: dt.datetime | None = None
    reviewer: str = ""
    reviewer_id: int | None = None
    reviewed_at: dt.datetime | None = None


@dataclass(frozen=True)
class Task:
    """What /translate shows: a recommendation to translate or a draft to review."""

    purpose: Purpose
    recommendation_id: int
    terms: tuple[tuple[str, str], ...]  # (English term, Khmer term) the text contains
    draft: Stored | None = None


@dataclass(frozen=True)
class Offer:
    """/translate's answer: the next task (None: nothing left), and how many drafts wait
    for this person's review."""

    task: Task | None
    reviews_waiting: int


@dataclass(frozen=True)
class Saved:
    """What became of a translator's text or a reviewer's approval."""

    recommendation_id: int | None
    status: TranslationStatus | None = None
    problem: Problem | None = None
    limit: int = MAX_CHARS


@dataclass(frozen=True)
class CycleCoverage:
    """How much of one cycle has Khmer text."""

    cycle: int
    total: int
    reviewed: int
    drafts: int

    @property
    def missing(self) -> int:
        """Recommendations with no Khmer text at all."""
        return self.total - self.reviewed - self.drafts


@dataclass(frozen=True)
class Worker:
    """Someone who translated or reviewed lately: their name and this week's counts."""

    name: str
    drafts: int
    reviews: int


@dataclass(frozen=True)
class Coverage:
    """/translations: coverage per cycle, who is working, how many translators there are."""

    cycles: tuple[CycleCoverage, ...]
    workers: tuple[Worker, ...]
    translators: int


@dataclass(frozen=True)
class ExportRow:
    """One recommendation in a translations export: its identity, English and Khmer texts."""

    cycle: int
    number: RecNumber
    text_en: str
    stored: Stored | None


class TranslationStore(Protocol):
    """What translating needs from storage (storage/translations.py)."""

    async def is_translator(self, user_id: int) -> bool:
        """Whether the person was appointed a translator."""
        ...

    async def translators(self) -> list[tuple[int, str]]:
        """Every appointed translator: (user id, display name), by name."""
        ...

    async def candidates(self) -> list[tuple[int, str]]:
        """Known people (members with a name) not yet translators, by name."""
        ...

    async def appoint(
        self, actor: int, user_id: int, now: dt.datetime, flag: bool, name: str = ""
    ) -> bool:
        """Appoint (flag) or remove a translator, audited; False when nothing changed. The
        name given (else the one the bot knows) is kept for /translators."""
        ...

    async def seen(self, user_id: int, name: str) -> None:
        """Keep a translator's current Telegram name (nothing for anyone else)."""
        ...

    async def next_untranslated(
        self, user_id: int, current_cycle: int | None, now: dt.datetime
    ) -> int | None:
        """The recommendation without Khmer text to translate next (open rounds', then
        strategies', then the current cycle's, by number), skipping what this person skipped."""
        ...

    async def drafts_to_review(
        self, user_id: int, own_too: bool, now: dt.datetime
    ) -> tuple[int | None, int]:
        """The next draft this person may review (not skipped; not their own unless
        `own_too`) and how many such drafts wait."""
        ...

    async def stored(self, recommendation_id: int) -> Stored | None:
        """A recommendation's Khmer text with its provenance."""
        ...

    async def ask(
        self, user_id: int, recommendation_id: int, purpose: Purpose, expires: dt.datetime
    ) -> None:
        """Remember that this person's next message is this text."""
        ...

    async def asked(self, user_id: int, now: dt.datetime) -> tuple[int, Purpose] | None:
        """What this person's next message is for, while it has not expired."""
        ...

    async def forget(self, user_id: int) -> None:
        """Stop waiting for this person's text."""
        ...

    async def skip(
        self, user_id: int, recommendation_id: int, purpose: Purpose, expires: dt.datetime
    ) -> None:
        """Do not offer this text to this person again until `expires`."""
        ...

    async def save(
        self,
        recommendation_id: int,
        text: str | None,
        status: TranslationStatus,
        user_id: int,
        name: str,
        now: dt.datetime,
    ) -> int | None:
        """Store a draft (status draft), or review one (status reviewed; `text` None keeps
        the draft's text), clearing the person's prompt; the new catalog revision, or None when
        a review finds no draft any more."""
        ...

    async def coverage(self) -> list[CycleCoverage]:
        """Per cycle: recommendations, reviewed and draft Khmer texts."""
        ...

    async def workers(self, since: dt.datetime) -> list[Worker]:
        """Who drafted or reviewed since then, with their counts, busiest first."""
        ...

    async def export_rows(self) -> list[ExportRow]:
        """Every recommendation with its Khmer text and provenance, by cycle and number."""
        ...


def check_text(text: str, english: str) -> Problem | None:
    """Why a typed Khmer text cannot be saved: empty, no Khmer letters, too short, mostly
    Latin letters (the English pasted back) or other signs, HTML markup, too long, far too short for the English text; None when it
    can. Invisible characters do not count."""
    stripped = visible_text(text).strip()
    if not stripped:
        return Problem.EMPTY
    if len(stripped) > MAX_CHARS:
        return Problem.TOO_LONG
    if re.search(r"<[A-Za-z/!][^>]*>", stripped):
        return Problem.MARKUP
    khmer = len(_KHMER_LETTER.findall(stripped))
    if khmer == 0:
        return Problem.NO_KHMER
    if len("".join(stripped.split())) < MIN_VISIBLE:
        return Problem.TOO_SHORT
    latin = len(_LATIN_LETTER.findall(stripped))
    if latin > khmer or normalize(english) in normalize(stripped):
        return Problem.MOSTLY_ENGLISH
    # More than half of the letters, marks and signs (emoji) are Khmer.
    written = [c for c in stripped if unicodedata.category(c)[0] in "LMS"]
    if 2 * len(_KHMER_SCRIPT.findall(stripped)) <= len(written):
        return Problem.NOT_KHMER
    if len(stripped) * SHORTEST_SHARE < len(english.strip()):
        return Problem.TOO_SHORT
    return None


# Why a row of a translations file is refused: the chat's reasons, said of a file's row.
_ROW_PROBLEMS = {
    Problem.EMPTY: N_("the Khmer text has only invisible characters"),
    Problem.NO_KHMER: N_("the Khmer text has no Khmer letters"),
    Problem.NOT_KHMER: N_(
        "the Khmer text is mostly signs or letters of another script, not Khmer text"
    ),
    Problem.MOSTLY_ENGLISH: N_(
        "the Khmer text looks like the English text, not a Khmer translation (names and "
        "numbers may stay in Latin letters)"
    ),
    Problem.TOO_LONG: N_("the Khmer text is too long: at most {limit} characters"),
    Problem.MARKUP: N_("the Khmer text has HTML tags: write plain text"),
    Problem.TOO_SHORT: N_(
        "the Khmer text is far shorter than the English text, so it cannot be its whole "
        "translation"
    ),
}


def check_rows(
    rows: Sequence[TranslationRow], english: Callable[[TranslationRow], str | None]
) -> tuple[list[TranslationRow], list[RowError]]:
    """A translations file's rows checked as a text typed to /translate is (`english`: the
    row's recommendation's English text, None when unknown: storing reports it): the good
    rows, and why each bad one is refused, by its line."""
    good: list[TranslationRow] = []
    errors: list[RowError] = []
    for row in rows:
        text_en = english(row)
        problem = None if text_en is None else check_text(row.text_km, text_en)
        if problem is None:
            good.append(row)
        else:
            errors.append(RowError(row.line, _ROW_PROBLEMS[problem], {"limit": str(MAX_CHARS)}))
    return good, errors


def glossary_terms(text_en: str, glossary: Glossary) -> tuple[tuple[str, str], ...]:
    """The glossary's terms an English text contains, each with its one agreed Khmer term:
    (English term, Khmer term) in the order they appear, each Khmer term once. The longest
    phrase wins over the words it holds ("optional protocol", not "protocol")."""
    words = latin_words(normalize(text_en))
    stems = [stem(w) for w in words]
    found: list[tuple[int, int, str, str]] = []  # (first word, words, English, Khmer)
    for entry, km in glossary.agreed.items():
        key = english_key(entry).split()
        size = len(key)
        prefix = entry.rstrip("*") if entry.endswith("*") else None
        for at in range(len(stems) - size + 1):
            if stems[at : at + size] == key or (
                prefix is not None and " ".join(words[at : at + size]).startswith(prefix)
            ):
                found.append((at, size, " ".join(words[at : at + size]), km))
    taken: set[int] = set()
    chosen: list[tuple[int, str, str]] = []
    for at, size, english, km in sorted(found, key=lambda f: (-f[1], f[0])):
        span = set(range(at, at + size))
        if not span & taken:
            taken |= span
            chosen.append((at, english, km))
    terms: dict[str, str] = {}
    for _, english, km in sorted(chosen):
        terms.setdefault(km, english)
    return tuple((english, km) for km, english in terms.items())[:MAX_TERMS]


Changed = Callable[[int, Translation | None, int | None], None]


class Translating:
    """Translators, /translate, reviews and /translations."""

    def __init__(
        self,
        store: TranslationStore,
        coalition: Coalition,
        clock: Clock,
        changed: Changed,
        texts: Callable[[int], str | None],
        glossary: Callable[[], Glossary],
        current_cycle: Callable[[], int | None],
    ) -> None:
        """Wire storage, roles and the clock; `changed(rec id, Khmer text, revision)` puts a
        saved text in the live catalog (searchable at once); `texts` gives a recommendation's
        English text from it."""
        self.store = store
        self.coalition = coalition
        self.clock = clock
        self._changed = changed
        self._texts = texts
        self._glossary = glossary
        self._current_cycle = current_cycle

    async def may_translate(self, user_id: int) -> bool:
        """Translators and coordinators (who are translators implicitly)."""
        if await self.coalition.role(user_id) is Role.COORDINATOR:
            return True
        return await self.store.is_translator(user_id)

    async def _require(self, user_id: int) -> bool:
        """Raise NotAllowed unless a translator; True for coordinators."""
        coordinator = await self.coalition.role(user_id) is Role.COORDINATOR
        if not coordinator and not await self.store.is_translator(user_id):
            raise NotAllowed
        return coordinator

    async def translators(self, actor: int) -> list[tuple[int, str]]:
        """The appointed translators (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        return await self.store.translators()

    async def candidates(self, actor: int) -> list[tuple[int, str]]:
        """Every known person a coordinator may appoint, by name (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        return await self.store.candidates()

    async def appoint(self, actor: int, user_id: int, flag: bool = True, name: str = "") -> bool:
        """Appoint or remove a translator by Telegram id (coordinators only; audited); False
        when nothing changed. `name`: their Telegram name when known (appointed by reply)."""
        await self.coalition.require_coordinator(actor)
        return await self.store.appoint(actor, user_id, self.clock.now(), flag, one_line(name))

    async def seen(self, user_id: int, name: str) -> None:
        """A translator wrote to the bot: /translators shows their current Telegram name."""
        await self.store.seen(user_id, one_line(name))

    def _task(self, purpose: Purpose, rec_id: int, draft: Stored | None = None) -> Task:
        return Task(
            purpose, rec_id, glossary_terms(self._texts(rec_id) or "", self._glossary()), draft
        )

    async def offer(self, user_id: int, purpose: Purpose | None = None) -> Offer:
        """The next task: a draft to review when `purpose` is REVIEW, else the next text to
        translate (and how many drafts wait for this person's review). A text to translate
        makes the person's next message its draft; a draft to review waits for a button (only
        ✏️ makes the next message the corrected text)."""
        coordinator = await self._require(user_id)
        now = self.clock.now()
        draft_id, waiting = await self.store.drafts_to_review(user_id, coordinator, now)
        if purpose is Purpose.REVIEW:
            draft = await self.store.stored(draft_id) if draft_id is not None else None
            if draft_id is None or draft is None:
                await self.store.forget(user_id)
                return Offer(None, waiting)
            await self.store.forget(user_id)
            return Offer(self._task(Purpose.REVIEW, draft_id, draft), waiting)
        rec_id = await self.store.next_untranslated(user_id, self._current_cycle(), now)
        if rec_id is None:
            await self.store.forget(user_id)
            return Offer(None, waiting)
        await self.store.ask(user_id, rec_id, Purpose.TRANSLATE, now + PROMPT_TTL)
        return Offer(self._task(Purpose.TRANSLATE, rec_id), waiting)

    async def skip(self, user_id: int, rec_id: int, purpose: Purpose) -> Offer:
        """⏭: not this one for a day; the next task of the same kind."""
        await self._require(user_id)
        await self.store.skip(user_id, rec_id, purpose, self.clock.now() + SKIP_TTL)
        return await self.offer(user_id, purpose)

    async def stop(self, user_id: int) -> None:
        """✖: the person's next message is no longer a translation."""
        await self.store.forget(user_id)

    async def shadow(self, user_id: int) -> bool:
        """Another prompt of the bot now waits for this person's text: the newest prompt
        wins, so a waiting /translate stops waiting (nothing is written when none waits).
        True when one was waiting."""
        if await self.asked(user_id) is None:
            return False
        await self.store.forget(user_id)
        return True

    async def asked(self, user_id: int) -> tuple[int, Purpose] | None:
        """What this person's next message is for (a translation or a corrected draft)."""
        return await self.store.asked(user_id, self.clock.now())

    async def submit(self, user_id: int, name: str, text: str) -> Saved | None:
        """The translator's message: a draft (or, for a reviewer, the corrected, reviewed
        text), checked; None when no text was asked for. Refused texts keep the prompt."""
        asked = await self.store.asked(user_id, self.clock.now())
        if asked is None:
            return None
        coordinator = await self._require(user_id)
        rec_id, purpose = asked
        english = self._texts(rec_id)
        if english is None:
            await self.store.forget(user_id)
            return Saved(rec_id, problem=Problem.GONE)
        problem = check_text(text, english)
        if problem is not None:
            return Saved(rec_id, problem=problem)
        text = written_text(text)  # as the import stores it
        if purpose is Purpose.REVIEW:
            return await self._review(user_id, name, rec_id, text, coordinator)
        revision = await self.store.save(
            rec_id, text, TranslationStatus.DRAFT, user_id, name, self.clock.now()
        )
        self._changed(rec_id, Translation(text, TranslationStatus.DRAFT, name), revision)
        return Saved(rec_id, TranslationStatus.DRAFT)

    async def approve(self, user_id: int, name: str, rec_id: int) -> Saved:
        """✅ under a draft: it becomes the reviewed text."""
        coordinator = await self._require(user_id)
        return await self._review(user_id, name, rec_id, None, coordinator)

    async def edit(self, user_id: int, rec_id: int) -> Saved:
        """✏️ under a draft: the reviewer's next message is the corrected text."""
        coordinator = await self._require(user_id)
        problem = await self._reviewable(user_id, rec_id, coordinator)
        if problem is not None:
            return Saved(rec_id, problem=problem)
        await self.store.ask(user_id, rec_id, Purpose.REVIEW, self.clock.now() + PROMPT_TTL)
        return Saved(rec_id)

    async def _reviewable(self, user_id: int, rec_id: int, coordinator: bool) -> Problem | None:
        stored = await self.store.stored(rec_id)
        if stored is None or stored.status is not TranslationStatus.DRAFT:
            return Problem.NOT_A_DRAFT
        if stored.translator_id == user_id and not coordinator:
            return Problem.OWN_DRAFT
        return None

    async def _review(
        self, user_id: int, name: str, rec_id: int, text: str | None, coordinator: bool
    ) -> Saved:
        problem = await self._reviewable(user_id, rec_id, coordinator)
        if problem is not None:
            return Saved(rec_id, problem=problem)
        revision = await self.store.save(
            rec_id, text, TranslationStatus.REVIEWED, user_id, name, self.clock.now()
        )
        stored = await self.store.stored(rec_id)
        if revision is None or stored is None:
            return Saved(rec_id, problem=Problem.NOT_A_DRAFT)
        khmer = Translation(stored.text_km, TranslationStatus.REVIEWED, stored.translator)
        self._changed(rec_id, khmer, revision)
        return Saved(rec_id, TranslationStatus.REVIEWED)

    async def coverage(self, user_id: int) -> Coverage:
        """/translations: coverage per cycle, who worked this week (translators and
        coordinators)."""
        await self._require(user_id)
        since = self.clock.now() - dt.timedelta(days=7)
        return Coverage(
            tuple(await self.store.coverage()),
            tuple(await self.store.workers(since)),
            len(await self.store.translators()),
        )

    async def export(self, user_id: int) -> Sequence[ExportRow]:
        """Every recommendation with its Khmer text and provenance, for offline work."""
        await self._require(user_id)
        return await self.store.export_rows()
