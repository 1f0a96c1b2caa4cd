"""Word search over recommendations in English and Khmer, held in memory.

English is matched by light stems (and prefixes for longer words); Khmer, which writes no spaces
and has many two-letter words, by substring through a bigram index. A glossary of domain terms
lets a Khmer query find English-only texts and an English query find Khmer translations.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from bot.domain.text import (
    KHMER_NOUN_PREFIXES,
    khmer_runs,
    khmer_words,
    latin_words,
    normalize,
    stem,
    without_noun_prefix,
)

_PREFIX_MIN = 4
_PREFIX_WEIGHT = 0.6
_REMEMBERED = 4096  # glossary words and phrases whose documents are kept once found


@dataclass(frozen=True)
class Term:
    """One thing the member asked for, with the spellings that count as a match."""

    label: str
    stems: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    phrases: frozenset[str] = frozenset()
    khmer: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Hits:
    """Ranked document positions: those matching the most terms first.

    `best` counts the documents of the first tier (every term matched, or as many as any
    document matched: then `partial`); `unknown` are the terms that matched nothing anywhere.
    """

    docs: tuple[int, ...]
    partial: bool = False
    best: int = 0
    unknown: tuple[str, ...] = ()


_MAX_JOIN = 8  # a glossary term is at most this many dictionary words


@dataclass
class Glossary:
    """Khmer domain terms and their English equivalents, English synonyms and State names.

    Everything normalised; Khmer keys without spaces.
    """

    km_to_en: dict[str, tuple[str, ...]] = field(default_factory=dict)
    en_to_km: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pairs: Iterable[tuple[str, Sequence[str]]],
        stopwords: Iterable[str],
        *,
        synonyms: Iterable[Sequence[str]] = (),
        states: Iterable[tuple[str, str]] = (),
    ) -> Glossary:
        """A glossary from (Khmer term, English terms) pairs, Khmer filler words, groups of
        English words that mean the same, and (name, State code) pairs."""
        km_to_en: dict[str, list[str]] = defaultdict(list)
        en_to_km: dict[str, list[str]] = defaultdict(list)
        for km, english in pairs:
            km_n = normalize(km).replace(" ", "")
            for en in english:
                en_n = normalize(en)
                km_to_en[km_n].append(en_n)
                en_to_km[english_key(en_n)].append(km_n)
        groups: dict[str, list[str]] = defaultdict(list)
        for group in synonyms:
            entries = [normalize(e) for e in group if e.strip()]
            for entry in entries:
                groups[english_key(entry)].extend(entries)
        return cls(
            {k: tuple(dict.fromkeys(v)) for k, v in km_to_en.items()},
            {k: tuple(dict.fromkeys(v)) for k, v in en_to_km.items()},
            frozenset(normalize(w) for w in stopwords),
            {k: tuple(dict.fromkeys(v)) for k, v in groups.items() if k},
            {
                normalize(name).replace(" ", "") if _is_khmer_word(name) else normalize(name): code
                for name, code in states
            },
        )

    def english_of(self, word: str) -> tuple[str, tuple[str, ...]] | None:
        """The glossary key a Khmer word stands for (as written, or with or without a
        ការ/សេចក្តី/ភាព prefix) and its English terms."""
        for key in _variants(word):
            english = self.km_to_en.get(key)
            if english is not None:
                return key, english
        return None

    def synonym_of_prefix(self, word: str) -> tuple[str, ...] | None:
        """The synonym group with a 'prefix*' entry this English word starts with."""
        for key, group in self.synonyms.items():
            if " " not in key and f"{key}*" in group and word.startswith(key):
                return group
        return None

    def is_known(self, word: str, names: Collection[str] = ()) -> bool:
        """True for a glossary word, a filler, a State name or one of `names`."""
        return (
            word in self.stopwords
            or word in self.states
            or word in names
            or self.english_of(word) is not None
        )

    def segment(self, run: str) -> list[str]:
        """Split an unspaced Khmer run into glossary terms and fillers, longest first;
        unknown parts dropped (State names are never looked for inside a word)."""
        known = self.km_to_en.keys() | self.stopwords
        longest = max((len(k) for k in known), default=0)
        found, i = [], 0
        while i < len(run):
            for size in range(min(longest, len(run) - i), 1, -1):
                piece = run[i : i + size]
                if piece in known:
                    found.append(piece)
                    i += size
                    break
            else:
                i += 1
        return found

    def split(self, normalized: str, names: Collection[str] = ()) -> list[str]:
        """The Khmer words of a normalised text: ICU's dictionary words, joined into the
        longest glossary terms, fillers and State names (`names` too) they spell.

        A dictionary word the glossary does not know is searched for glossary terms inside
        it (never State names: ចិន inside អចិន្ត្រៃយ៍ is not China); unknown words next to each
        other stay together, as typed.
        """
        words = [w for run in khmer_runs(normalized) for w in khmer_words(run)]
        pieces: list[str] = []
        pending = ""
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + _MAX_JOIN), i, -1):
                joined = "".join(words[i:j])
                if self.is_known(joined, names):
                    break
            else:
                inner = [p for p in self.segment(words[i]) if len(p) > 1]
                if inner:
                    pieces += [pending] if pending else []
                    pieces += inner
                    pending = ""
                else:
                    pending += words[i]
                i += 1
                continue
            pieces += [pending, joined] if pending else [joined]
            pending = ""
            i = j
        return [*pieces, pending] if pending else pieces


def english_key(entry: str) -> str:
    """How an English glossary entry is looked up: its words stemmed, without the '*'."""
    return " ".join(stem(w) for w in latin_words(entry.rstrip("*")))


def _variants(word: str) -> tuple[str, ...]:
    bare = without_noun_prefix(word)
    return (word, bare, *(p + bare for p in KHMER_NOUN_PREFIXES))


def _is_khmer_word(text: str) -> bool:
    return bool(khmer_runs(text))


class SearchIndex:
    """An inverted index over documents numbered 0..n-1 in their display order.

    Postings are compact arrays of document numbers (English stems; Khmer bigrams); a Khmer
    word is found through its bigrams and checked in the text, an English phrase through its
    words and checked in the text; the documents of a glossary word or phrase are kept once
    found (at most one array per glossary entry).
    """

    def __init__(
        self, documents: Sequence[tuple[str, str]], khmer_terms: Iterable[str] = ()
    ) -> None:
        """Index (English text, Khmer text) pairs; position in the sequence is the doc id.

        `khmer_terms` (the glossary) are the Khmer words whose documents are remembered once
        looked for; any Khmer text is found through the bigram index.
        """
        self.size = 0
        self._english: list[str] = []
        self._khmer: list[str] = []
        self._known_khmer = frozenset(normalize(t) for t in khmer_terms if t)
        self._glossary_docs: dict[str, array[int]] = {}
        self._words: dict[str, array[int]] = defaultdict(lambda: array("i"))
        self._bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for english, khmer in documents:
            self._add(self.size, english, khmer)
            self.size += 1
        self._vocabulary = sorted(w for w in self._words if w.isascii())

    def _add(self, doc: int, english: str, khmer: str) -> None:
        en = normalize(english)
        km = normalize(khmer)
        if doc == len(self._english):
            self._english.append(en)
            self._khmer.append(km)
        else:
            self._english[doc], self._khmer[doc] = en, km
        for token in _tokens(en):
            self._words[token].append(doc)
        for gram in _bigrams(km):
            self._bigrams[gram].append(doc)

    def update(self, doc: int, english: str, khmer: str) -> None:
        """Add or replace one document's texts (doc == size adds one at the end), at once."""
        if not 0 <= doc <= self.size:
            raise IndexError(doc)
        if doc < self.size:
            for token in _tokens(self._english[doc]):
                self._words[token].remove(doc)
            for gram in _bigrams(self._khmer[doc]):
                self._bigrams[gram].remove(doc)
        else:
            self.size += 1
        self._add(doc, english, khmer)
        self._glossary_docs.clear()
        self._vocabulary = sorted(w for w, docs in self._words.items() if w.isascii() and docs)

    def search(self, terms: Sequence[Term], allowed: set[int] | None = None) -> Hits:
        """Documents matching any term: those matching the most terms first, then by weight.

        A term that matches nothing anywhere is left out and named in `unknown`. Set
        operations do the heavy lifting (they run in C); per-document Python work is done
        only for the documents that are actually returned.
        """
        matches: list[tuple[float, set[int], set[int]]] = []  # (idf, exact, loose)
        unknown: list[str] = []
        for term in terms:
            if not _has_content(term):
                continue
            exact, loose = self._match(term)
            if not exact and not loose:
                unknown.append(term.label)
                continue
            if allowed is not None:
                exact &= allowed
                loose &= allowed
            idf = math.log(1 + self.size / (1 + len(exact) + len(loose)))
            matches.append((idf, exact, loose))
        if not matches:
            return Hits((), unknown=tuple(unknown))
        pool = set.union(*(exact | loose for _, exact, loose in matches))
        # Rank by buckets of equal (terms matched, score), split with set operations: each
        # sorted by position (display order) in C. No per-document Python code.
        buckets: list[tuple[int, float, set[int]]] = [(0, 0.0, pool)]
        for idf, exact, loose in matches:
            split: list[tuple[int, float, set[int]]] = []
            for count, score, docs in buckets:
                hit = docs & exact
                near = (docs & loose) - hit
                rest = docs - hit - near
                split += [
                    (count + 1, score + idf, hit),
                    (count + 1, score + idf * _PREFIX_WEIGHT, near),
                    (count, score, rest),
                ]
            buckets = [bucket for bucket in split if bucket[2]]
        buckets.sort(key=lambda bucket: (-bucket[0], -bucket[1]))
        ranked: list[int] = []
        top = buckets[0][0] if buckets else 0
        best = 0
        for count, _, docs in buckets:
            ranked.extend(sorted(docs))
            best += len(docs) if count == top else 0
        return Hits(tuple(ranked), top < len(matches), best, tuple(unknown))

    def _match(self, term: Term) -> tuple[set[int], set[int]]:
        """Documents matching a term exactly (stem, Khmer text) and loosely (prefix, phrase)."""
        exact: set[int] = set()
        for token in term.stems:
            exact.update(self._words.get(token, ()))
        for piece in term.khmer:
            exact.update(self._khmer_docs(piece))
        loose: set[int] = set()
        for prefix in term.prefixes:
            if len(prefix) < _PREFIX_MIN:
                continue
            start = bisect_left(self._vocabulary, prefix)
            for token in self._vocabulary[start:]:
                if not token.startswith(prefix):
                    break
                loose.update(self._words[token])
        for phrase in term.phrases:
            loose.update(self._phrase_docs(phrase))
        loose -= exact
        return exact, loose

    def _phrase_docs(self, phrase: str) -> array[int]:
        """Documents with this phrase (a glossary entry: remembered once found)."""
        known = self._glossary_docs.get(phrase)
        if known is not None:
            return known
        stems = [stem(w) for w in latin_words(phrase)]
        if len(stems) < 2:
            return self._words.get(stems[0], array("i")) if stems else array("i")
        # The last word may be cut short ('political part' for parties): not a stem to look up.
        lists = sorted((self._words.get(s, array("i")) for s in stems[:-1]), key=len)
        candidates = set(lists[0]).intersection(*lists[1:])
        found = array("i", sorted(d for d in candidates if phrase in self._english[d]))
        if len(self._glossary_docs) < _REMEMBERED:
            self._glossary_docs[phrase] = found
        return found

    def _khmer_docs(self, piece: str) -> set[int]:
        known = self._glossary_docs.get(piece)
        if known is not None:
            return set(known)
        grams = {piece[i : i + 2] for i in range(len(piece) - 1)}
        if not grams:
            return set()
        lists = sorted((self._bigrams.get(g, array("i")) for g in grams), key=len)
        candidates = set(lists[0]).intersection(*lists[1:])
        if len(piece) > 2:  # two letters: the bigram is the piece itself, every candidate has it
            candidates = {d for d in candidates if piece in self._khmer[d]}
        if piece in self._known_khmer and len(self._glossary_docs) < _REMEMBERED:
            self._glossary_docs[piece] = array("i", candidates)
        return candidates


def _tokens(normalized: str) -> set[str]:
    """A normalised English text's index entries: its stems, and the parts of hyphenated
    words ('land-grabbing', 'health-care', 'anti-corruption' also count as their parts)."""
    words = latin_words(normalized)
    tokens = {stem(w) for w in words}
    tokens.update(stem(p) for w in words if "-" in w for p in w.split("-"))
    return tokens


def _bigrams(normalized: str) -> set[str]:
    """The two-letter pieces of a normalised text's Khmer runs."""
    return {r[i : i + 2] for r in khmer_runs(normalized) for i in range(len(r) - 1)}


def _has_content(term: Term) -> bool:
    return bool(term.stems or term.prefixes or term.phrases or term.khmer)


def english_term(label: str, entries: Iterable[str], khmer: Iterable[str] = ()) -> Term:
    """A term matching any of these English glossary entries ('word', 'a phrase', 'prefix*')
    or Khmer words."""
    stems: set[str] = set()
    prefixes: set[str] = set()
    phrases: set[str] = set()
    for entry in entries:
        bare = entry.rstrip("*")
        if " " in bare:
            phrases.add(bare)
        elif entry.endswith("*"):
            prefixes.add(bare)
            stems.add(stem(bare))
        else:
            stems.add(stem(bare))
    return Term(label, frozenset(stems), frozenset(prefixes), frozenset(phrases), frozenset(khmer))


def build_terms(normalized: str, glossary: Glossary, stopwords: frozenset[str]) -> list[Term]:
    """Turn the words of a normalised query into search terms, with glossary expansions.

    English words that spell an entry of a synonym group count as one term matching the whole
    group; Khmer is split into words (Glossary.split) and each is a term of its own.
    """
    terms: list[Term] = []
    words = latin_words(normalized)
    keys = [stem(w) for w in words]
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            group = glossary.synonyms.get(" ".join(keys[i:j])) or (
                glossary.synonym_of_prefix(words[i]) if j == i + 1 else None
            )
            if group:
                break
        if group:
            khmer = {k for e in group for k in glossary.en_to_km.get(english_key(e), ())}
            terms.append(english_term(" ".join(words[i:j]), group, khmer))
            i = j
            continue
        word, token = words[i], keys[i]
        i += 1
        if word in stopwords or len(word) < 2:
            continue
        terms.append(
            Term(
                label=word,
                stems=frozenset({token}),
                prefixes=frozenset({word} if len(word) >= _PREFIX_MIN else ()),
                khmer=frozenset(glossary.en_to_km.get(token, ())),
            )
        )
    for piece in glossary.split(normalized):
        if piece in glossary.stopwords:
            continue
        known = glossary.english_of(piece)
        if known is None:
            terms.append(Term(label=piece, khmer=frozenset({without_noun_prefix(piece)})))
            continue
        key, english = known
        terms.append(english_term(piece, english, {key, without_noun_prefix(key)}))
    return terms
