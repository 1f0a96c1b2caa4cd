"""Word search over recommendations in English and Khmer, held in memory.

English is matched by light stems (and prefixes for longer words); Khmer, which writes no spaces
and has many two-letter words, by substring through a bigram index. A glossary of domain terms
lets a Khmer query find English-only texts and an English query find Khmer translations.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.domain.text import khmer_runs, latin_words, normalize, stem

_PREFIX_MIN = 4
_PREFIX_WEIGHT = 0.6


@dataclass(frozen=True)
class Term:
    """One thing the member asked for, with the spellings that count as a match."""

    label: str
    stems: frozenset[str] = frozenset()
    prefix: str = ""
    phrases: frozenset[str] = frozenset()
    khmer: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Hits:
    """Ranked document positions; `partial` when no document had every term."""

    docs: tuple[int, ...]
    partial: bool = False


@dataclass
class Glossary:
    """Khmer domain terms and their English equivalents, both directions, normalised."""

    km_to_en: dict[str, tuple[str, ...]] = field(default_factory=dict)
    en_to_km: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, pairs: Iterable[tuple[str, Sequence[str]]], stopwords: Iterable[str]
    ) -> Glossary:
        """A glossary from (Khmer term, English terms) pairs and Khmer filler words."""
        km_to_en: dict[str, list[str]] = defaultdict(list)
        en_to_km: dict[str, list[str]] = defaultdict(list)
        for km, english in pairs:
            km_n = normalize(km)
            for en in english:
                en_n = normalize(en)
                km_to_en[km_n].append(en_n)
                en_to_km[" ".join(stem(w) for w in latin_words(en_n))].append(km_n)
        return cls(
            {k: tuple(v) for k, v in km_to_en.items()},
            {k: tuple(v) for k, v in en_to_km.items()},
            frozenset(normalize(w) for w in stopwords),
        )

    def segment(self, run: str) -> list[str]:
        """Split an unspaced Khmer run into known terms, longest first; unknown parts dropped."""
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


class SearchIndex:
    """An inverted index over documents numbered 0..n-1 in their display order."""

    def __init__(
        self, documents: Sequence[tuple[str, str]], khmer_terms: Iterable[str] = ()
    ) -> None:
        """Index (English text, Khmer text) pairs; position in the sequence is the doc id.

        `khmer_terms` (the glossary) are indexed as whole words wherever they occur, so the
        commonest Khmer queries need no substring check; any other Khmer text is found through
        the bigram index.
        """
        self.size = len(documents)
        self._english: list[str] = []
        self._khmer: list[str] = []
        known = sorted({normalize(t) for t in khmer_terms if t}, key=len, reverse=True)
        self._known_khmer = frozenset(known)
        contained = {t: {u for u in known if u in t} for t in known}
        finder = re.compile("(?=(" + "|".join(map(re.escape, known)) + "))") if known else None
        words: dict[str, array[int]] = defaultdict(lambda: array("i"))
        bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for doc, (english, khmer) in enumerate(documents):
            en = normalize(english)
            km = normalize(khmer)
            self._english.append(en)
            self._khmer.append(km)
            tokens = {stem(w) for w in latin_words(en)}
            if km:
                if finder is not None:
                    for match in {m.group(1) for m in finder.finditer(km)}:
                        tokens |= contained[match]
                for gram in {r[i : i + 2] for r in khmer_runs(km) for i in range(len(r) - 1)}:
                    bigrams[gram].append(doc)
            for token in tokens:
                words[token].append(doc)
        self._words = dict(words)
        self._bigrams = dict(bigrams)
        self._vocabulary = sorted(w for w in self._words if w.isascii())

    def search(self, terms: Sequence[Term], allowed: set[int] | None = None) -> Hits:
        """Documents matching every term, best first; else those matching some, marked partial.

        Set operations do the heavy lifting (they run in C); per-document Python work is done
        only for the documents that are actually returned.
        """
        matches: list[tuple[float, set[int], set[int]]] = []  # (idf, exact, loose)
        for term in terms:
            if not _has_content(term):
                continue
            exact, loose = self._match(term)
            if allowed is not None:
                exact &= allowed
                loose &= allowed
            idf = math.log(1 + self.size / (1 + len(exact) + len(loose)))
            matches.append((idf, exact, loose))
        if not matches:
            return Hits(())
        every = [exact | loose for _, exact, loose in matches]
        pool = set.intersection(*every)
        partial = not pool and len(matches) > 1
        if partial:
            pool = set.union(*every)
        # Rank by buckets of equal score, split with set operations: at most 3^terms buckets,
        # each sorted by position (display order) in C. No per-document Python code.
        buckets: list[tuple[float, set[int]]] = [(0.0, pool)]
        for idf, exact, loose in matches:
            split: list[tuple[float, set[int]]] = []
            for score, docs in buckets:
                hit = docs & exact
                near = (docs & loose) - hit
                rest = docs - hit - near
                split += [(score + idf, hit), (score + idf * _PREFIX_WEIGHT, near), (score, rest)]
            buckets = [(score, docs) for score, docs in split if docs]
        buckets.sort(key=lambda bucket: -bucket[0])
        ranked: list[int] = []
        for _, docs in buckets:
            ranked.extend(sorted(docs))
        return Hits(tuple(ranked), partial)

    def _match(self, term: Term) -> tuple[set[int], set[int]]:
        """Documents matching a term exactly (stem, Khmer text) and loosely (prefix, glossary)."""
        exact: set[int] = set()
        for token in term.stems:
            exact.update(self._words.get(token, ()))
        for piece in term.khmer:
            exact.update(self._khmer_docs(piece))
        loose: set[int] = set()
        if term.prefix and len(term.prefix) >= _PREFIX_MIN:
            start = bisect_left(self._vocabulary, term.prefix)
            for token in self._vocabulary[start:]:
                if not token.startswith(term.prefix):
                    break
                loose.update(self._words[token])
        for phrase in term.phrases:
            loose.update(self._phrase_docs(phrase))
        loose -= exact
        return exact, loose

    def _phrase_docs(self, phrase: str) -> set[int]:
        stems = [stem(w) for w in latin_words(phrase)]
        if not stems:
            return set()
        lists = sorted((self._words.get(s, array("i")) for s in stems), key=len)
        candidates = set(lists[0]).intersection(*lists[1:])
        if len(stems) == 1:
            return candidates
        return {d for d in candidates if phrase in self._english[d]}

    def _khmer_docs(self, piece: str) -> set[int]:
        if piece in self._known_khmer:  # a glossary word: indexed whole at build time
            return set(self._words.get(piece, ()))
        grams = {piece[i : i + 2] for i in range(len(piece) - 1)}
        if not grams:
            return set()
        lists = sorted((self._bigrams.get(g, array("i")) for g in grams), key=len)
        candidates = set(lists[0]).intersection(*lists[1:])
        if len(piece) == 2:  # the bigram is the piece itself: every candidate matches
            return candidates
        return {d for d in candidates if piece in self._khmer[d]}


def _has_content(term: Term) -> bool:
    return bool(term.stems or term.prefix or term.phrases or term.khmer)


def build_terms(normalized: str, glossary: Glossary, stopwords: frozenset[str]) -> list[Term]:
    """Turn the words of a normalised query into search terms, with glossary expansions."""
    terms: list[Term] = []
    for word in latin_words(normalized):
        if word in stopwords or len(word) < 2:
            continue
        token = stem(word)
        terms.append(
            Term(
                label=word,
                stems=frozenset({token}),
                prefix=word if len(word) >= _PREFIX_MIN else "",
                khmer=frozenset(glossary.en_to_km.get(token, ())),
            )
        )
    for run in khmer_runs(normalized):
        if run in glossary.stopwords:
            continue
        pieces = (
            [run]
            if run in glossary.km_to_en
            else [p for p in glossary.segment(run) if p not in glossary.stopwords]
        )
        if not pieces:
            pieces = [run] if len(run) >= 2 and not glossary.segment(run) else []
        for piece in pieces:
            english = glossary.km_to_en.get(piece, ())
            single = {stem(e) for e in english if " " not in e}
            terms.append(
                Term(
                    label=piece,
                    stems=frozenset(single),
                    phrases=frozenset(e for e in english if " " in e),
                    khmer=frozenset({piece}),
                )
            )
    return terms
