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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.text import khmer_runs, latin_words, normalize, stem

_PREFIX_MIN = 4
_PREFIX_WEIGHT = 0.6
_EXPANSION_WEIGHT = 0.8


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

    def __init__(self, documents: Sequence[tuple[str, str]]) -> None:
        """Index (English text, Khmer text) pairs; position in the sequence is the doc id."""
        self.size = len(documents)
        self._english: list[str] = []
        self._khmer: list[str] = []
        words: dict[str, array[int]] = defaultdict(lambda: array("i"))
        bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for doc, (english, khmer) in enumerate(documents):
            en = normalize(english)
            km = normalize(khmer)
            self._english.append(en)
            self._khmer.append(km)
            for token in {stem(w) for w in latin_words(en)}:
                words[token].append(doc)
            for gram in {r[i : i + 2] for r in khmer_runs(km) for i in range(len(r) - 1)}:
                bigrams[gram].append(doc)
        self._words = dict(words)
        self._bigrams = dict(bigrams)
        self._vocabulary = sorted(self._words)

    def search(self, terms: Sequence[Term], allowed: set[int] | None = None) -> Hits:
        """Documents matching every term, best first; else those matching some, marked partial."""
        scored: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        useful = 0
        for term in terms:
            weights = self._match(term)
            if allowed is not None:
                weights = {d: w for d, w in weights.items() if d in allowed}
            if not weights and not _has_content(term):
                continue
            useful += 1
            idf = math.log(1 + self.size / (1 + len(weights)))
            for doc, weight in weights.items():
                scored[doc] += idf * weight
                matched[doc] += 1
        if not useful:
            return Hits(())
        complete = [d for d in scored if matched[d] == useful]
        pool, partial = (complete, False) if complete else (list(scored), True)
        ranked = sorted(pool, key=lambda d: (-round(scored[d], 6), d))
        return Hits(tuple(ranked), partial and useful > 1)

    def _match(self, term: Term) -> dict[int, float]:
        weights: dict[int, float] = {}
        for token in term.stems:
            for doc in self._words.get(token, ()):
                weights[doc] = 1.0
        if term.prefix and len(term.prefix) >= _PREFIX_MIN:
            start = bisect_left(self._vocabulary, term.prefix)
            for token in self._vocabulary[start:]:
                if not token.startswith(term.prefix):
                    break
                for doc in self._words[token]:
                    weights.setdefault(doc, _PREFIX_WEIGHT)
        for phrase in term.phrases:
            for doc in self._phrase_docs(phrase):
                weights.setdefault(doc, _EXPANSION_WEIGHT)
        for piece in term.khmer:
            for doc in self._khmer_docs(piece):
                weights[doc] = max(weights.get(doc, 0.0), 1.0)
        return weights

    def _phrase_docs(self, phrase: str) -> Iterable[int]:
        stems = [stem(w) for w in latin_words(phrase)]
        if not stems:
            return ()
        lists = sorted((self._words.get(s, array("i")) for s in stems), key=len)
        candidates = set(lists[0]).intersection(*lists[1:]) if lists[0] else set()
        if len(stems) == 1:
            return candidates
        return (d for d in candidates if phrase in self._english[d])

    def _khmer_docs(self, piece: str) -> Iterable[int]:
        grams = {piece[i : i + 2] for i in range(len(piece) - 1)}
        if not grams:
            return ()
        lists = sorted((self._bigrams.get(g, array("i")) for g in grams), key=len)
        if not lists[0]:
            return ()
        candidates = set(lists[0]).intersection(*lists[1:])
        return (d for d in candidates if piece in self._khmer[d])


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
