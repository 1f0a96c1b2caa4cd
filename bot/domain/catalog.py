"""The recommendations a bot answers from: an immutable snapshot with lookups and search."""

from __future__ import annotations

import difflib
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import cast, overload

from bot.domain.compact import CompactRecommendations
from bot.domain.model import Cycle, RecNumber, Recommendation, Response, Theme, Translation
from bot.domain.numbers import MultipleCycles, NumberQuery, NumberRange, extract_cycle
from bot.domain.repositories import IndexStore
from bot.domain.search import (
    SEGMENT,
    Glossary,
    MemoryIndexStore,
    Postings,
    RankedDocs,
    SearchIndex,
    build_terms,
    english_key,
)
from bot.domain.states import State, resolve_state
from bot.domain.text import normalize, one_line

MAX_NUMBERS = 50
MAX_QUERY_CHARS = 300
_STATE, _THEME, _RESPONSE = "s:", "t:", "r:"  # what a filter's postings key holds
_FILTER_WORDS = 4  # the longest filter in words: 'United States of America'
_READ_AT_ONCE = 1000  # texts the word index's build reads together
_WRITTEN_FROM = 30  # texts a suggested word's written form is read from
_NO_GLOSSARY = Glossary()

ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "against",
        "all",
        "an",
        "and",
        "any",
        "anything",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "de",
        "did",
        "do",
        "does",
        "find",
        "for",
        "from",
        "give",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "list",
        "made",
        "me",
        "make",
        "me",
        "of",
        "on",
        "or",
        "please",
        "recommend",
        "recommended",
        "recommendation",
        "recommendations",
        "recs",
        "regarding",
        "related",
        "show",
        "that",
        "the",
        "them",
        "there",
        "these",
        "this",
        "those",
        "to",
        "upr",
        "was",
        "were",
        "what",
        "which",
        "who",
        "with",
    ]
)
_RESPONSE_WORDS = {
    "accepted": Response.ACCEPTED,
    "supported": Response.ACCEPTED,
    "accept": Response.ACCEPTED,
    "noted": Response.NOTED,
    "rejected": Response.REJECTED,
    "pending": Response.PENDING,
    "ទទួលយក": Response.ACCEPTED,
    "បានទទួលយក": Response.ACCEPTED,
    "គាំទ្រ": Response.ACCEPTED,
    "កត់សម្គាល់": Response.NOTED,
    "បានកត់សម្គាល់": Response.NOTED,
    "បដិសេធ": Response.REJECTED,
    "រង់ចាំ": Response.PENDING,
}


# Not \W: Khmer vowel signs are combining marks, which \w does not count as word characters.
_KHMER_RUNS = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+")
# A word character of any script but Khmer: a Latin word glued to Khmer ends where they meet.
_NOT_KHMER = r"[^\W_\u1780-\u17ff\u19e0-\u19ff]"
_PUNCTUATION = re.compile(r"[!-&(-,./:-@\[-`{-~។៕៖“”«»…]")


class QueryTooLong(ValueError):
    """The query is longer than anyone types on purpose."""


class EmptyQuery(ValueError):
    """Nothing searchable is left in the query."""


@dataclass(frozen=True)
class SearchRequest:
    """A word search with its filters, as read from what the member typed or tapped."""

    text: str = ""
    cycle: int | None = None
    state: str | None = None
    theme_id: int | None = None
    response: Response | None = None
    # The words as the member typed them, for the answer's echo (not part of the search).
    typed: str = field(default="", compare=False)


class Ranked(Sequence[Recommendation]):
    """Recommendations in ranked order, looked up only when read (results can be thousands)."""

    def __init__(self, pool: Sequence[Recommendation], positions: Sequence[int]) -> None:
        """Wrap positions into the catalog's display-ordered tuple."""
        self._pool = pool
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> Recommendation: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Recommendation, ...]: ...
    def __getitem__(self, index: int | slice) -> Recommendation | tuple[Recommendation, ...]:
        if isinstance(index, slice):
            return tuple(self._many(self._positions[index]))
        return self._pool[self._positions[index]]

    def __iter__(self) -> Iterator[Recommendation]:
        return self._many(self._positions)

    def _many(self, positions: Iterable[int]) -> Iterator[Recommendation]:
        """The recommendations at these positions (their texts read together when the pool
        reads them from the database)."""
        if isinstance(self._pool, CompactRecommendations):
            return self._pool.many(positions)
        return map(self._pool.__getitem__, positions)


@dataclass(frozen=True)
class SearchResult:
    """Ranked recommendations for a request; `partial` when none had every word."""

    request: SearchRequest
    recommendations: Sequence[Recommendation]
    partial: bool = False
    best: int = 0  # how many come first because they match the most words
    unknown: tuple[str, ...] = ()  # the words that match nothing at all

    @property
    def unknown_as_typed(self) -> tuple[str, ...]:
        """The words that match nothing as the member typed them ('Relokation', not the
        search's 'relokation')."""
        return tuple(as_typed(word, self.request.typed) for word in self.unknown)


def _spelled(words: str) -> str:
    """A pattern for normalised words as people write them: any case, any apostrophe and
    dash, any spaces between them."""
    pattern = re.escape(words).replace(r"\ ", " ").replace(" ", r"\s+")
    return pattern.replace("'", "['’‘`´]").replace(r"\-", "[-–—‒−‐]")


def as_typed(word: str, typed: str) -> str:
    """A normalised word as it was typed in `typed` (its case, apostrophes, digits and
    invisible marks kept; 'ELC' glued to Khmer words found too), or the word itself when it
    is not found there."""
    flat: list[str] = []
    origin: list[int] = []  # where in `typed` each character of `flat` comes from
    for i, char in enumerate(typed):
        part = (" " if not flat or flat[-1] != " " else "") if char.isspace() else normalize(char)
        flat.extend(part)
        origin.extend([i] * len(part))
    found = re.search(rf"(?<!{_NOT_KHMER}){re.escape(word)}(?!{_NOT_KHMER})", "".join(flat))
    if found is None or found.end() == found.start():
        return word
    return typed[origin[found.start()] : origin[found.end() - 1] + 1]


@dataclass(frozen=True)
class NumberResult:
    """What a number lookup found, and what it could not find where it looked."""

    cycle: int | None
    found: tuple[Recommendation, ...]
    missing: tuple[RecNumber, ...]
    elsewhere: dict[RecNumber, tuple[int, ...]]
    truncated_from: int = 0


class Catalog:
    """Every recommendation, theme and cycle the bot knows, with fast lookups."""

    def __init__(
        self,
        recommendations: Sequence[Recommendation],
        themes: Sequence[Theme],
        cycles: Sequence[Cycle],
        glossary: Glossary,
        *,
        current_cycle: int | None = None,
        revision: int = 0,
        index_now: bool = True,
        index_store: Callable[[], IndexStore] | None = None,
        theme_words: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Index a snapshot; recommendations are shown latest cycle first, then by number.

        With `index_now` false the word index is left to `build_index` (start-up runs it in
        a worker thread): numbers and filters answer at once, word searches once it is built.
        `index_store` makes the stores the filters and the word index keep their postings in
        (one each; in memory without it). `theme_words` are the themes' Khmer keywords, by
        slug (a Khmer word of a theme suggests it).
        """
        self.revision = revision
        self.recommendations = _display_ordered(recommendations)
        recs = self.recommendations
        recs.settle()
        self.themes = tuple(themes)
        self.themes_by_id = {t.id: t for t in themes}
        self._theme_words = {
            slug: tuple(normalize(w).replace(" ", "") for w in words)
            for slug, words in (theme_words or {}).items()
        }
        self.glossary = glossary
        self.by_id: Mapping[int, Recommendation] = _ById(self)
        # Display order is cycle by cycle, each in number order: a cycle is one span of
        # positions, and a number is found in it by bisection (no dict of 50,000 keys).
        self._spans = recs.spans
        known = {c.number: c for c in cycles}
        cycle_numbers = sorted(self._spans)
        self.cycles = tuple(known.get(n, Cycle(n, None)) for n in cycle_numbers)
        self.current_cycle = current_cycle or (cycle_numbers[-1] if cycle_numbers else None)
        # What 'c4' may name in a search: a cycle with recommendations, dates or made current
        # ('C87', ILO's Convention 87, is a word).
        self.known_cycles = frozenset(
            {*cycle_numbers, *known, *([self.current_cycle] if self.current_cycle else [])}
        )
        self.states: dict[str, State] = {}
        self._resolved: dict[str, State] = {}  # a State as printed -> the State (few hundred)
        # The filters' documents, as postings kept where the word index keeps its own; how
        # many each State and theme has is counted once (a few hundred numbers).
        self._store: IndexStore = index_store() if index_store else MemoryIndexStore()
        self._index_store = index_store  # the word index's own store, new for each build
        self._filters = Postings(self._store)
        self._counts: Counter[str] = Counter()  # documents by filter key
        segment: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for i, (response, theme_ids, states_raw) in enumerate(recs.filter_values()):
            local = i % SEGMENT
            segment[_RESPONSE + response.value].append(local)
            for theme_id in theme_ids:
                segment[f"{_THEME}{theme_id}"].append(local)
            for key in dict.fromkeys(self._state(raw).key for raw in states_raw):
                segment[_STATE + key].append(local)
            if local == SEGMENT - 1:
                self._filter_segment(i // SEGMENT, segment)
        if segment:
            self._filter_segment((len(recs) - 1) // SEGMENT, segment)
        del segment
        names = {name: key for key, s in self.states.items() for name in s.search_names()}
        names.update((n, code) for n, code in glossary.states.items() if code in self.states)
        self._state_names = sorted(
            ((n, key) for n, key in names.items() if not _has_khmer(n)), key=lambda p: -len(p[0])
        )
        self._khmer_states = {n.replace(" ", ""): key for n, key in names.items() if _has_khmer(n)}
        self._filter_words = frozenset([*(n for n, _ in self._state_names), *_RESPONSE_WORDS])
        self._index: SearchIndex | None = None
        self._indexing = threading.Lock()
        # Texts saved while the index was being built, for it to take in when it is done.
        self._waiting: list[tuple[int, str, str]] = []
        self._waiting_lock = threading.Lock()
        if index_now:
            self.build_index()

    def _state(self, raw: str) -> State:
        """The State behind a name as printed, resolved once per name."""
        state = self._resolved.get(raw)
        if state is None:
            state = self._resolved[raw] = resolve_state(raw)
            self.states.setdefault(state.key, state)
        return state

    def build_index(self) -> None:
        """Build the word index (once; safe to call from a worker thread)."""
        self._built_index()

    def _built_index(self) -> SearchIndex:
        with self._indexing:  # a search before the worker thread is done waits for it
            if self._index is None:
                # A store of its own: a build that failed (its files did not fit) leaves
                # nothing the next one would find.
                self._index = SearchIndex(
                    _Texts(self),
                    self.glossary.km_to_en.keys(),
                    self.glossary.phrases(),
                    self._index_store() if self._index_store else None,
                )
            self._take_waiting(self._index)
            return self._index

    def _take_waiting(self, index: SearchIndex) -> None:
        """Put in the index the texts saved while it was being built, in the order saved
        (with the indexing lock held)."""
        with self._waiting_lock:
            waiting, self._waiting = self._waiting, []
        for position, english, khmer in waiting:
            index.update(position, english, khmer)

    def update(self, recommendation: Recommendation) -> None:
        """Replace one recommendation's texts (English and Khmer: a translation saved) in
        this snapshot and its word index, at once, without rebuilding anything else.

        Anything else changed (a new recommendation, its number, response, States, themes)
        needs the whole catalog again (Services.refresh_catalog).
        """
        position = self.position(recommendation.id)
        if position is None:
            raise KeyError(recommendation.id)
        old = self.recommendations[position]
        if replace(old, text_en=recommendation.text_en, khmer=recommendation.khmer) != (
            recommendation
        ):
            raise ValueError("only the texts of a recommendation are updated in place")
        khmer = recommendation.khmer.text if recommendation.khmer else ""
        if self._indexing.acquire(blocking=False):
            try:
                if self._index is not None:  # first: it reads the old texts to take them out
                    self._take_waiting(self._index)  # any saved before this one, first
                    self._index.update(position, recommendation.text_en, khmer)
            finally:
                self._indexing.release()
        else:
            # The index is being built (start-up's worker thread): never wait for it on the
            # event loop; it takes these texts when it is done (or at the next search).
            with self._waiting_lock:
                self._waiting.append((position, recommendation.text_en, khmer))
        self.recommendations.replace_texts(position, recommendation.text_en, recommendation.khmer)

    def position(self, recommendation_id: int) -> int | None:
        """Where a recommendation is in display order, if the catalog has it."""
        return cast(_ById, self.by_id).position(recommendation_id)

    def index_ready(self) -> bool:
        """True once word searches can be answered."""
        return self._index is not None

    def update_khmer(self, recommendation_id: int, khmer: Translation | None) -> None:
        """Put a recommendation's new Khmer text in this snapshot and its search index (a
        translation saved in chat is shown and found at once, without a rebuild)."""
        rec = self.by_id.get(recommendation_id)
        if rec is not None:
            self.update(replace(rec, khmer=khmer))

    def get(self, cycle: int, number: RecNumber) -> Recommendation | None:
        """The recommendation with this number in this cycle, if any."""
        start, end = self._spans.get(cycle, (0, 0))
        numbers = self.recommendations.numbers
        wanted = CompactRecommendations.number_key(number)
        at = bisect_left(numbers, wanted, start, end)
        return self.recommendations[at] if at < end and numbers[at] == wanted else None

    def _in_range(self, cycle: int, rng: NumberRange) -> tuple[Recommendation, ...]:
        """A cycle's recommendations from rng.start to rng.end, in number order."""
        start, end = self._spans.get(cycle, (0, 0))
        numbers = self.recommendations.numbers
        first = bisect_left(numbers, CompactRecommendations.number_key(rng.start), start, end)
        last = bisect_right(numbers, CompactRecommendations.number_key(rng.end), first, end)
        return self.recommendations[first:last]

    def in_ranges(
        self, cycle: int, ranges: Sequence[NumberRange]
    ) -> tuple[list[Recommendation], list[str]]:
        """A cycle's recommendations in these ranges (each range in number order, a repeat
        kept once), and the ranges that name none, as written ('82.1' or '82.1-82.3')."""
        found: dict[int, Recommendation] = {}
        missing = []
        for rng in ranges:
            hits = self._in_range(cycle, rng)
            if not hits:
                missing.append(
                    str(rng.start) if rng.start == rng.end else f"{rng.start}-{rng.end}"
                )
            for rec in hits:
                found.setdefault(rec.id, rec)
        return list(found.values()), missing

    def lookup_cycles(self, number: RecNumber) -> tuple[int, ...]:
        """Every cycle that has a recommendation with this number."""
        numbers = self.recommendations.numbers
        wanted = CompactRecommendations.number_key(number)
        found = []
        for cycle in sorted(self._spans):
            start, end = self._spans[cycle]
            at = bisect_left(numbers, wanted, start, end)
            if at < end and numbers[at] == wanted:
                found.append(cycle)
        return tuple(found)

    def states_of(self, rec: Recommendation) -> tuple[State, ...]:
        """The recommending States of a recommendation, one entry per State."""
        seen: dict[str, State] = {}
        for raw in rec.states_raw:
            state = self._state(raw)
            seen.setdefault(state.key, state)
        return tuple(seen.values())

    def themes_of(self, rec: Recommendation) -> tuple[Theme, ...]:
        """The themes a recommendation belongs to."""
        return tuple(self.themes_by_id[t] for t in rec.theme_ids if t in self.themes_by_id)

    def lookup(self, query: NumberQuery) -> NumberResult:
        """Find numbers and ranges in the asked (or current) cycle; say where the rest exist."""
        cycle = query.cycle or self.current_cycle
        found: list[Recommendation] = []
        missing: list[RecNumber] = []
        for rng in query.ranges:
            if rng.start == rng.end:
                rec = self.get(cycle, rng.start) if cycle is not None else None
                if rec is None:
                    missing.append(rng.start)
                elif rec not in found:
                    found.append(rec)
                continue
            in_range = self._in_range(cycle, rng) if cycle is not None else ()
            if not in_range:
                missing.append(rng.start)
            found.extend(r for r in in_range if r not in found)
        singles = [r.start for r in query.ranges if r.start == r.end]
        elsewhere = {n: tuple(c for c in self.lookup_cycles(n) if c != cycle) for n in singles}
        total = len(found)
        return NumberResult(
            cycle,
            tuple(found[:MAX_NUMBERS]),
            tuple(missing),
            {n: cs for n, cs in elsewhere.items() if cs},
            total if total > MAX_NUMBERS else 0,
        )

    def parse_search(self, text: str) -> SearchRequest:
        """Read words and filters (cycle, State, response) out of a free-text query.

        A Khmer State name or response is a filter only as a whole word (Glossary.split).
        """
        if len(text) > MAX_QUERY_CHARS:
            raise QueryTooLong(len(text))
        cycle, state, response, words = self._read_query(normalize(text))
        typed = self._typed_words(text) if cycle or state or response else one_line(text)
        request = SearchRequest(" ".join(words), cycle, state, None, response, typed=typed)
        if not build_terms(request.text, self.glossary, ENGLISH_STOPWORDS) and not (
            state or response or cycle
        ):
            raise EmptyQuery(text)
        return request

    def _read_query(
        self, normalized: str
    ) -> tuple[int | None, str | None, Response | None, list[str]]:
        """A normalised query's cycle, State and response filters, and its other words."""
        cycle, rest = extract_cycle(normalized, self.known_cycles)
        rest = _PUNCTUATION.sub(" ", rest)
        state = None
        for name, key in self._state_names:
            pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
            if re.search(pattern, rest):
                state, rest = key, re.sub(pattern, " ", rest, count=1)
                break
        response = None
        for word, value in _RESPONSE_WORDS.items():
            pattern = rf"(?<!\w){word}(?!\w)"
            if not _has_khmer(word) and re.search(pattern, rest):
                response, rest = value, re.sub(pattern, " ", rest, count=1)
                break
        khmer: list[str] = []
        for piece in self.glossary.split(rest, self._khmer_states.keys()):
            if state is None and piece in self._khmer_states:
                state = self._khmer_states[piece]
            elif response is None and piece in _RESPONSE_WORDS:
                response = _RESPONSE_WORDS[piece]
            else:
                khmer.append(piece)
        latin = _KHMER_RUNS.sub(" ", rest)
        return cycle, state, response, [*latin.split(), *khmer]

    def _typed_words(self, text: str) -> str:
        """What the member typed, in their order and spelling, for the answer's echo: only the
        words that are nothing but a filter ('cycle 2', 'ជុំទី៤', a State, a response) are left
        out."""
        words = one_line(text).split()
        kept: list[str] = []
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + _FILTER_WORDS), i, -1):
                if self._only_filters(" ".join(words[i:j])):
                    i = j
                    break
            else:
                kept.append(self._without_glued_cycle(words[i]))
                i += 1
        return " ".join(kept)

    def _without_glued_cycle(self, word: str) -> str:
        """A typed word without the cycle glued to it ('ជុំទី១ដីធ្លី' -> 'ដីធ្លី'; the cycle is
        named after the words); any other word as typed."""
        try:
            cycle, rest = extract_cycle(normalize(word), self.known_cycles)
        except MultipleCycles:
            return word
        return " ".join(rest.split()) if cycle is not None and rest.strip() else word

    def _only_filters(self, typed: str) -> bool:
        """True when these typed words are a filter and nothing else: a cycle, a State's
        name, a response, or a cycle with one of those."""
        try:
            cycle, rest = extract_cycle(normalize(typed), self.known_cycles)
        except MultipleCycles:
            return False
        rest = " ".join(_PUNCTUATION.sub(" ", rest).split())
        if not rest:
            return cycle is not None
        return rest in self._filter_words or rest.replace(" ", "") in self._khmer_states

    def search(self, request: SearchRequest) -> SearchResult:
        """Recommendations matching the request's words and filters, best first (words wait
        for the index if it is still being built: handlers ask `Services.search_ready`)."""
        allowed = self._filtered(request)
        terms = build_terms(request.text, self.glossary, ENGLISH_STOPWORDS)
        if not terms:
            docs = (
                RankedDocs([allowed]) if allowed is not None else range(len(self.recommendations))
            )
            return SearchResult(request, Ranked(self.recommendations, docs))
        hits = self._built_index().search(terms, allowed)
        return SearchResult(
            request, Ranked(self.recommendations, hits.docs), hits.partial, hits.best, hits.unknown
        )

    def suggest(self, result: SearchResult, limit: int = 4) -> list[SearchRequest]:
        """Searches to offer for the words of a search that matched nothing, each one that
        finds something and is not the word typed: for a Khmer word, the themes whose Khmer
        name or words have it (a word of the glossary gets only those: a near spelling of a
        real word is another word, 'ខ្មែរក្រោម' is not 'ខ្មែរក្រហម'); else the nearest glossary
        words, as the texts write them ('relocation' for the glossary's 'relocat*'), and theme
        names. An acronym ('ELC') gets only words that start as it does."""
        found: dict[SearchRequest, None] = {}
        for word in result.unknown:
            if _has_khmer(word):
                offers = self._themes_having(word)
                if not self.knows(word):
                    offers += self._near(word, limit)
            else:
                typed = as_typed(word, result.request.typed)
                offers = self._near(word, limit, acronym=len(typed) > 1 and typed.isupper())
            for offer in offers:
                if offer.text != word and offer not in found and self._finds(offer):
                    found[offer] = None
        return list(found)[:limit]

    def knows(self, word: str) -> bool:
        """True when a searched word is one of the glossary's or the themes' (spelled right:
        no recommendation has it), not one the bot does not know."""
        if _has_khmer(word):
            bare = word.replace(" ", "")
            return bare in self.glossary.km_to_en or any(
                bare in words for words in self._theme_words.values()
            )
        return english_key(word) in self.glossary.en_to_km or word in self.glossary.synonyms

    def _themes_having(self, word: str) -> list[SearchRequest]:
        """The themes whose Khmer name or Khmer words have this Khmer word."""
        bare = word.replace(" ", "")
        return [
            SearchRequest(theme_id=t.id)
            for t in self.themes
            if bare in normalize(t.name_km).replace(" ", "")
            or any(bare in w for w in self._theme_words.get(t.slug, ()))
        ]

    def _near(self, word: str, limit: int, *, acronym: bool = False) -> list[SearchRequest]:
        """Glossary words and theme names spelled nearly as the word: a Khmer word as it is,
        an English one as the texts write it ('UPR'; none that no text has a word of)."""
        entries = {e.rstrip("*"): e for group in self.glossary.km_to_en.values() for e in group}
        if _has_khmer(word):
            vocabulary = dict.fromkeys(self.glossary.km_to_en, "") | {
                normalize(t.name_km).replace(" ", ""): t.slug for t in self.themes if t.name_km
            }
        else:
            vocabulary = dict.fromkeys(entries, "")
            vocabulary |= {normalize(t.name_en): t.slug for t in self.themes}
            vocabulary |= {normalize(t.slug): t.slug for t in self.themes}
        slugs = {t.slug: t.id for t in self.themes}
        offers = []
        for near in difflib.get_close_matches(word, list(vocabulary), n=limit, cutoff=0.6):
            if acronym and near[0] != word[0]:  # 'ELC' is not 'relocations'
                continue
            if slug := vocabulary[near]:
                offers.append(SearchRequest(theme_id=slugs[slug]))
            elif near not in entries:  # a Khmer word of the glossary
                offers.append(SearchRequest(near))
            elif written := self._as_written(entries[near]):
                offers.append(SearchRequest(normalize(written), typed=written))
        return offers

    def _finds(self, request: SearchRequest) -> bool:
        """True when the search finds at least one recommendation."""
        if request.theme_id is not None and not request.text:
            return self._counts[f"{_THEME}{request.theme_id}"] > 0
        return len(self.search(request).recommendations) > 0

    def _as_written(self, entry: str) -> str | None:
        """How the texts write a glossary's English word or phrase ('upr' -> 'UPR', a prefix
        'relocat*' -> 'relocation'): its commonest form in the first texts found for it,
        lower case unless they never write it so; a word no text has as the glossary writes
        it; none for a prefix no text has, or words a search leaves out."""
        words = entry.rstrip("*")
        tail = r"[\w'’-]*" if entry.endswith("*") else ""
        pattern = re.compile(rf"(?<![^\W_]){_spelled(words)}{tail}(?![^\W_])", re.IGNORECASE)
        # The words alone, not their synonyms: the texts found first have them.
        terms = build_terms(words, _NO_GLOSSARY, ENGLISH_STOPWORDS)
        if not terms:  # 'upr' is not searched: a search for it would show everything
            return None
        hits = self._built_index().search(terms)
        forms: Counter[str] = Counter()
        for doc in islice(hits.docs, _WRITTEN_FROM):
            forms.update(pattern.findall(self.recommendations.english(doc)))
        if not forms:
            return None if tail else entry
        by_word = Counter(form.lower() for form in forms.elements())
        word = by_word.most_common(1)[0][0]
        if word in forms:
            return word
        return max((form for form in forms if form.lower() == word), key=forms.__getitem__)

    def _filtered(self, request: SearchRequest) -> int | None:
        """The documents the request's filters allow (a bitmask), or None when nothing is
        filtered."""
        masks: list[int] = []
        if request.cycle is not None:
            start, end = self._spans.get(request.cycle, (0, 0))
            masks.append((1 << end) - (1 << start))
        if request.state is not None:
            masks.append(self._filters.bits([_STATE + request.state]))
        if request.theme_id is not None:
            masks.append(self._filters.bits([f"{_THEME}{request.theme_id}"]))
        if request.response is not None:
            wanted = {request.response}
            if request.response is Response.NOTED:  # noted includes the one-off "rejected"
                wanted.add(Response.REJECTED)
            masks.append(self._filters.bits(_RESPONSE + r.value for r in wanted))
        if not masks:
            return None
        allowed = masks[0]
        for mask in masks[1:]:
            allowed &= mask
        return allowed

    def _filter_segment(self, number: int, segment: dict[str, array[int]]) -> None:
        """Store one segment of the filters' postings, count them, and start the next."""
        self._filters.write(number, segment)
        self._counts.update({key: len(docs) for key, docs in segment.items()})
        segment.clear()

    def counts_by_theme(self) -> dict[int, int]:
        """How many recommendations each theme has."""
        return {
            int(key[len(_THEME) :]): n for key, n in self._counts.items() if key.startswith(_THEME)
        }

    def counts_by_cycle(self) -> dict[int, int]:
        """How many recommendations each cycle has (only cycles with some)."""
        return {cycle: end - start for cycle, (start, end) in self._spans.items()}

    def counts_by_state(self) -> dict[str, int]:
        """How many recommendations each State made."""
        return {key[len(_STATE) :]: n for key, n in self._counts.items() if key.startswith(_STATE)}


class _ById(Mapping[int, Recommendation]):
    """A catalog's recommendations by id, found where their rows are kept (not a dict: at
    50,000 recommendations that is megabytes)."""

    def __init__(self, catalog: Catalog) -> None:
        """Look up in the catalog's recommendations (their order never changes)."""
        self._catalog = catalog

    def position(self, rec_id: object) -> int | None:
        """The display position of this id, if any."""
        if not isinstance(rec_id, int) or isinstance(rec_id, bool):
            return None
        return self._catalog.recommendations.position(rec_id)

    def __getitem__(self, rec_id: int) -> Recommendation:
        position = self.position(rec_id)
        if position is None:
            raise KeyError(rec_id)
        return self._catalog.recommendations[position]

    def __iter__(self) -> Iterator[int]:
        return self._catalog.recommendations.ids()

    def __len__(self) -> int:
        return len(self._catalog.recommendations)


class _Texts(Sequence[tuple[str, str]]):
    """The (English, Khmer) texts of a catalog's recommendations, read a chunk at a time as
    the index reads them (no list of 50,000 pairs held at once)."""

    def __init__(self, catalog: Catalog) -> None:
        """Read from this catalog."""
        self._catalog = catalog

    def __len__(self) -> int:
        return len(self._catalog.recommendations)

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, str]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, str] | Sequence[tuple[str, str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        recs = self._catalog.recommendations
        return recs.english(index), recs.khmer_text(index)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        recs = self._catalog.recommendations
        for start in range(0, len(recs), _READ_AT_ONCE):
            yield from recs.texts_at(range(start, min(start + _READ_AT_ONCE, len(recs))))


def _display_ordered(recommendations: Sequence[Recommendation]) -> CompactRecommendations:
    """The recommendations latest cycle first, then by number, stored compactly (the
    storage's snapshot comes in that order already: it is kept as it is)."""
    if isinstance(recommendations, CompactRecommendations) and recommendations.in_display_order:
        return recommendations
    return CompactRecommendations(sorted(recommendations, key=lambda r: (-r.cycle, r.number)))


def _has_khmer(text: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" for ch in text)
