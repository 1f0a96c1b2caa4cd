"""Word search over recommendations in English and Khmer; what it finds is kept in an IndexStore.

English is matched by light stems (and prefixes for longer words); Khmer, which writes no spaces
and has many two-letter words, by substring through a bigram index. A glossary of domain terms
lets a Khmer query find English-only texts and an English query find Khmer translations.
"""

from __future__ import annotations

import codecs
import math
import operator
import re
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, count, islice, repeat
from typing import overload

from bot.domain.repositories import IndexStore
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
_REMEMBERED = 1024  # Khmer words (and apart English phrases) whose documents are kept
_FEW = 1000  # fewer documents than this are put in a bitmask bit by bit


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

    docs: Sequence[int]
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
    # English entry -> the one Khmer term translators use for it (as written, spaces kept)
    agreed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pairs: Iterable[tuple[str, Sequence[str]]],
        stopwords: Iterable[str],
        *,
        synonyms: Iterable[Sequence[str]] = (),
        states: Iterable[tuple[str, str]] = (),
        agreed: Iterable[tuple[str, str]] = (),
    ) -> Glossary:
        """A glossary from (Khmer term, English terms) pairs, Khmer filler words, groups of
        English words that mean the same, (name, State code) pairs and (English entry,
        agreed Khmer term) pairs (the first pair of an entry wins)."""
        chosen: dict[str, str] = {}
        for en, km in agreed:
            chosen.setdefault(normalize(en), " ".join(km.split()))
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
            chosen,
        )

    def phrases(self) -> set[str]:
        """The English phrases (two words or more) of the glossary and the synonym groups."""
        entries = (e.rstrip("*") for e in chain(*self.km_to_en.values(), *self.synonyms.values()))
        return {e for e in entries if " " in e}

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
        """The glossary terms and fillers inside an unspaced Khmer run, longest first; unknown
        parts dropped (State names are never looked for inside a word)."""
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

        A dictionary word the glossary does not know is searched for glossary terms inside it
        (ទារុណកម្ម inside ធ្វើទារុណកម្ម; never State names: ចិន inside អចិន្ត្រៃយ៍ is not China);
        one that holds no more than fillers' letters stays whole (យន្តការ is not ការ), and
        unknown words next to each other stay together, as typed.
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
                inner = self.segment(words[i])
                if all(p in self.stopwords for p in inner):  # យន្តការ is not the filler ការ
                    inner = []
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


# Postings are bitmasks (an int, one bit a document), kept in an IndexStore a segment at a time:
# SEGMENT documents a row, each row the segment's bits (deflated when that is much smaller).
SEGMENT = 8192
_SEGMENT_BYTES = SEGMENT // 8
_SEGMENT_BITS = (1 << SEGMENT) - 1
_FEW_TEXTS = 4096  # candidates fewer than this are read one by one; more: every text is scanned
_WORD, _GRAM, _PIECE, _PHRASE = "w:", "g:", "k:", "p:"  # what a stored key holds


class MemoryIndexStore:
    """Implements IndexStore in memory (an index without a database: tests, small lists)."""

    def __init__(self) -> None:
        """Nothing stored yet."""
        self._rows: dict[str, dict[int, bytes]] = {}
        self._texts: dict[int, bytes] = {}

    def put(self, rows: Iterable[tuple[str, int, bytes | None]]) -> None:
        """Store rows, each replacing its key's segment (None: the segment is taken out)."""
        for key, segment, bits in rows:
            if bits is not None:
                self._rows.setdefault(key, {})[segment] = bits
            elif key in self._rows:
                self._rows[key].pop(segment, None)
                if not self._rows[key]:
                    del self._rows[key]

    def drop(self, keys: Iterable[str]) -> None:
        """Take out every segment of these keys."""
        for key in keys:
            self._rows.pop(key, None)

    def segments(
        self, keys: Collection[str], segment: int | None = None
    ) -> dict[str, list[tuple[int, bytes]]]:
        """Each key's stored segments (all, or only this one), in segment order."""
        found: dict[str, list[tuple[int, bytes]]] = {}
        for key in keys:
            rows = sorted(
                (s, bits)
                for s, bits in self._rows.get(key, {}).items()
                if segment is None or s == segment
            )
            if rows:
                found[key] = rows
        return found

    def put_texts(self, texts: Iterable[tuple[int, bytes]]) -> None:
        """Store documents' packed Khmer texts (an empty one is taken out)."""
        for doc, text in texts:
            if text:
                self._texts[doc] = text
            else:
                self._texts.pop(doc, None)

    def text(self, doc: int) -> bytes:
        """A document's packed Khmer text (empty: none)."""
        return self._texts.get(doc, b"")

    def holding(self, piece: bytes, docs: Sequence[int] | None) -> list[int]:
        """Those of these documents (None: of all) whose text holds the piece, ascending."""
        among = sorted(self._texts) if docs is None else docs
        return [doc for doc in among if piece in self._texts.get(doc, b"")]


class Postings:
    """Bitmasks of documents by key (an int, one bit a document), kept in an IndexStore a
    segment at a time: SEGMENT documents a row, each row the segment's bits (deflated when that
    is much smaller). Only what a caller asks for is ever in memory."""

    def __init__(self, store: IndexStore) -> None:
        """Keep postings in this store."""
        self.store = store

    def write(self, number: int, docs: Mapping[str, array[int] | int]) -> None:
        """Store one segment's documents for these keys (each numbered from 0 in the segment:
        ascending, or a bitmask)."""
        self.store.put(
            [
                (key, number, _encoded(d if isinstance(d, int) else _span_mask(d)))
                for key, d in docs.items()
                if d
            ]
        )

    def bits(self, keys: Iterable[str]) -> int:
        """The union of these keys' postings, as one bitmask."""
        wanted = set(keys)
        if not wanted:
            return 0
        mask = 0
        for rows in self.store.segments(wanted).values():
            if len(rows) == 1:
                number, bits = rows[0]
                mask |= int.from_bytes(_decoded(bits), "little") << (number * SEGMENT)
                continue
            whole = bytearray((rows[-1][0] + 1) * _SEGMENT_BYTES)
            for number, bits in rows:
                whole[number * _SEGMENT_BYTES : (number + 1) * _SEGMENT_BYTES] = _decoded(bits)
            mask |= int.from_bytes(whole, "little")
        return mask

    def replace(self, key: str, mask: int) -> None:
        """Make a key's postings these documents."""
        self.store.drop([key])
        rows: list[tuple[str, int, bytes | None]] = []
        number = 0
        while mask >> (number * SEGMENT):
            bits = (mask >> (number * SEGMENT)) & _SEGMENT_BITS
            if bits:
                rows.append((key, number, _encoded(bits)))
            number += 1
        self.store.put(rows)

    def place(self, doc: int, changes: Sequence[tuple[str, bool]]) -> None:
        """Put a document in (True) or take it out of (False) these keys' postings."""
        number, bit = divmod(doc, SEGMENT)
        stored = self.store.segments([key for key, _ in changes], number)
        rows: list[tuple[str, int, bytes | None]] = []
        for key, present in changes:
            found = stored.get(key)
            old = int.from_bytes(_decoded(found[0][1]), "little") if found else 0
            new = old | 1 << bit if present else old & ~(1 << bit)
            if new != old:
                rows.append((key, number, _encoded(new) if new else None))
        self.store.put(rows)


class SearchIndex:
    """An inverted index over documents numbered 0..n-1 in their display order.

    What it finds is kept in an IndexStore, not in memory: for each English stem, Khmer bigram,
    glossary word and phrase, a bitmask of its documents, a segment at a time, and each
    document's Khmer text; the build holds one segment's worth at a time. A search reads the
    bitmasks of its words and works on them (set operations in C); a Khmer word is found
    through its bigrams and checked in the texts, an English phrase through its words and
    checked in the text. The glossary's words and phrases are looked for once, when the index is
    built, and any other's documents are remembered once found (a bounded number); an update
    keeps them all current. Only the page that is shown is ranked: the hits are buckets of
    equal rank, each read in display order when asked for.
    """

    def __init__(
        self,
        documents: Sequence[tuple[str, str]],
        khmer_terms: Iterable[str] = (),
        phrases: Iterable[str] = (),
        store: IndexStore | None = None,
    ) -> None:
        """Index (English text, Khmer text) pairs; position in the sequence is the doc id.

        `khmer_terms` and `phrases` (the glossary's Khmer words and normalised English phrases)
        are looked for at once; any other Khmer text or phrase is found when asked for. What is
        found goes to `store` (in memory without one).
        """
        self.size = 0
        self._store: IndexStore = store if store is not None else MemoryIndexStore()
        self._postings = Postings(self._store)
        # The English texts are not kept: they are read again from `documents` (and made
        # normal) for the few a phrase is checked in; those updated here are kept normalised.
        self._documents = documents
        self._updated: dict[int, str] = {}
        self._words: set[str] = set()  # the English stems (a vocabulary: grows ever slower)
        self._pieces: dict[str, None] = {}  # Khmer words remembered, the least recent first
        self._phrases: dict[str, None] = {}  # English phrases remembered, likewise
        known = {normalize(t) for t in khmer_terms if t}
        pieces = sorted(p for p in known | {without_noun_prefix(t) for t in known} if len(p) > 2)
        # The glossary's phrases are found in the same pass, each through one of the words
        # that must come before its last one (which may be cut short: 'political part').
        wanted = sorted({p for p in phrases if len(latin_words(p)) >= 2})
        segment = _Segment(wanted)
        for english, khmer in documents:
            segment.add(normalize(english), normalize(khmer))
            self.size += 1
            if self.size % SEGMENT == 0:
                self._flush(segment, pieces)
                segment = _Segment(wanted)
        if segment.texts:
            self._flush(segment, pieces)
        for piece in pieces:
            self._remember(self._pieces, _PIECE, piece, None)
        for phrase in wanted:
            self._remember(self._phrases, _PHRASE, phrase, None)
        self._vocabulary = sorted(w for w in self._words if w.isascii())

    def _flush(self, segment: _Segment, pieces: Sequence[str]) -> None:
        """Store one built segment: its postings, the glossary's Khmer words found in it (each
        checked in the texts holding its bigrams) and its Khmer texts."""
        number = (self.size - 1) // SEGMENT
        self._postings.write(number, {_WORD + word: docs for word, docs in segment.words.items()})
        grams = {gram: _span_mask(docs) for gram, docs in segment.bigrams.items()}
        self._postings.write(number, {_GRAM + gram: bits for gram, bits in grams.items()})
        self._words.update(segment.words)
        found: dict[str, array[int]] = {}
        for piece in pieces:
            candidates = -1
            for gram in _piece_grams(piece):
                candidates &= grams.get(gram, 0)
            packed = _pack(piece)
            texts = segment.texts
            found[_PIECE + piece] = array(
                "i", (d for d in _positions(candidates) if packed in texts[d])
            )
        found.update(
            (_PHRASE + phrase, docs)
            for phrase, docs in zip(segment.wanted, segment.found, strict=True)
        )
        self._postings.write(number, found)
        first = number * SEGMENT
        self._store.put_texts((first + i, text) for i, text in enumerate(segment.texts) if text)

    def _english(self, doc: int) -> str:
        """A document's English text, normalised (read again: not kept)."""
        updated = self._updated.get(doc)
        return updated if updated is not None else normalize(self._documents[doc][0])

    def update(self, doc: int, english: str, khmer: str) -> None:
        """Add or replace one document's texts (doc == size adds one at the end), at once."""
        if not 0 <= doc <= self.size:
            raise IndexError(doc)
        en, km = normalize(english), normalize(khmer)
        old_tokens: set[str] = set()
        old_grams: set[str] = set()
        if doc < self.size:
            old_khmer = _unpack(self._store.text(doc))
            old_tokens, old_grams = _tokens(self._english(doc), old_khmer), _bigrams(old_khmer)
        else:
            self.size += 1
        self._updated[doc] = en
        self._store.put_texts([(doc, _pack(km))])
        tokens, grams = _tokens(en, km), _bigrams(km)
        changes = [(_WORD + t, False) for t in old_tokens - tokens]
        changes += [(_WORD + t, True) for t in tokens - old_tokens]
        changes += [(_GRAM + g, False) for g in old_grams - grams]
        changes += [(_GRAM + g, True) for g in grams - old_grams]
        packed = _pack(km)
        # What is remembered stays true (Khmer words of 3 letters or more, phrases of 2 words).
        changes += [
            (_PIECE + p, _piece_grams(p) <= grams and _pack(p) in packed) for p in self._pieces
        ]
        changes += [
            (
                _PHRASE + p,
                tokens.issuperset(stem(w) for w in latin_words(p)[:-1]) and p in en,
            )
            for p in self._phrases
        ]
        self._postings.place(doc, changes)
        self._words.update(tokens)
        emptied = old_tokens - tokens
        if emptied:
            still = self._store.segments([_WORD + t for t in emptied])
            self._words -= {t for t in emptied if _WORD + t not in still}
        self._vocabulary = sorted(w for w in self._words if w.isascii())

    def search(self, terms: Sequence[Term], allowed: int | Collection[int] | None = None) -> Hits:
        """Documents matching any term: those matching the most terms first, then by weight,
        then in display order.

        `allowed` (a bitmask or document numbers) limits them. A term that matches nothing
        anywhere is left out and named in `unknown`. The work is bitmask operations (in C)
        over buckets of equal rank; no document is looked at one by one except those of the
        page that is read.
        """
        matches: list[tuple[float, int, int]] = []  # (idf, exact, loose)
        unknown: list[str] = []
        within = allowed if allowed is None or isinstance(allowed, int) else self._mask(allowed)
        for term in terms:
            if not _has_content(term):
                continue
            exact, loose = self._match(term)
            if not exact and not loose:
                unknown.append(term.label)
                continue
            if within is not None:
                exact &= within
                loose &= within
            idf = math.log(1 + self.size / (1 + exact.bit_count() + loose.bit_count()))
            matches.append((idf, exact, loose))
        if not matches:
            return Hits((), unknown=tuple(unknown))
        pool = 0
        for _, exact, loose in matches:
            pool |= exact | loose
        # Rank by buckets of equal (terms matched, score), split with bitmask operations.
        buckets: list[tuple[int, float, int]] = [(0, 0.0, pool)]
        for idf, exact, loose in matches:
            split: list[tuple[int, float, int]] = []
            for matched, score, docs in buckets:
                split += [
                    (matched + 1, score + idf, docs & exact),
                    (matched + 1, score + idf * _PREFIX_WEIGHT, docs & loose),
                    (matched, score, docs & ~(exact | loose)),
                ]
            buckets = [bucket for bucket in split if bucket[2]]
        buckets.sort(key=lambda bucket: (-bucket[0], -bucket[1]))
        top = buckets[0][0] if buckets else 0
        best = sum(docs.bit_count() for matched, _, docs in buckets if matched == top)
        ranked = RankedDocs([docs for _, _, docs in buckets])
        return Hits(ranked, top < len(matches), best, tuple(unknown))

    def _match(self, term: Term) -> tuple[int, int]:
        """Documents matching a term exactly (stem, Khmer text) and loosely (prefix, phrase),
        as bitmasks (the loose ones without the exact ones)."""
        exact = self._postings.bits(_WORD + token for token in term.stems)
        for piece in term.khmer:
            # A piece holding another has no document the other has not: skip its check.
            if not any(len(p) > 1 and p != piece and p in piece for p in term.khmer):
                exact |= self._khmer_docs(piece)
        expanded: list[str] = []
        for prefix in term.prefixes:
            if len(prefix) < _PREFIX_MIN:
                continue
            start = bisect_left(self._vocabulary, prefix)
            for token in self._vocabulary[start:]:
                if not token.startswith(prefix):
                    break
                expanded.append(_WORD + token)
        loose = self._postings.bits(expanded)
        for phrase in term.phrases:
            loose |= self._phrase_docs(phrase)
        return exact, loose & ~exact

    def _phrase_docs(self, phrase: str) -> int:
        """Documents with this English phrase (remembered once found)."""
        stems = [stem(w) for w in latin_words(phrase)]
        if len(stems) < 2:
            return self._postings.bits(_WORD + s for s in stems)
        if _recall(self._phrases, phrase):
            return self._postings.bits([_PHRASE + phrase])
        # The last word may be cut short ('political part'): not looked up.
        candidates = self._intersection([_WORD + s for s in stems[:-1]])
        found = self._mask(d for d in _positions(candidates) if phrase in self._english(d))
        self._remember(self._phrases, _PHRASE, phrase, found)
        return found

    def _khmer_docs(self, piece: str) -> int:
        """Documents whose Khmer text holds this piece (remembered once found)."""
        if len(piece) <= 2:  # two letters: the bigram is the piece, every document has it
            return self._postings.bits([_GRAM + piece]) if len(piece) == 2 else 0
        if _recall(self._pieces, piece):
            return self._postings.bits([_PIECE + piece])
        candidates = self._intersection([_GRAM + g for g in _piece_grams(piece)])
        if not candidates:
            found = 0
        elif candidates.bit_count() < _FEW_TEXTS:
            found = self._mask(self._store.holding(_pack(piece), list(_positions(candidates))))
        else:  # a text holding the piece holds its bigrams: every text is scanned, in C
            found = self._mask(self._store.holding(_pack(piece), None)) & candidates
        self._remember(self._pieces, _PIECE, piece, found)
        return found

    def _intersection(self, keys: Sequence[str]) -> int:
        """The documents in every one of these keys' postings (none: none)."""
        mask = -1 if keys else 0
        for key in keys:
            mask &= self._postings.bits([key])
            if not mask:
                break
        return mask

    def _remember(
        self, remembered: dict[str, None], kind: str, name: str, found: int | None
    ) -> None:
        """Remember what a piece or phrase (`kind`: _PIECE or _PHRASE) was found in (None:
        stored already), the least recently used forgotten past a bound."""
        if found is not None:
            self._postings.replace(kind + name, found)
        remembered[name] = None
        if len(remembered) > _REMEMBERED:
            oldest = next(iter(remembered))
            del remembered[oldest]
            self._store.drop([kind + oldest])

    def _mask(self, docs: Iterable[int]) -> int:
        """Document numbers as a bitmask (written into one buffer in C when many)."""
        positions = docs if isinstance(docs, Collection) else list(docs)
        if len(positions) < _FEW:
            flags = bytearray((self.size >> 3) + 1)
            for doc in positions:
                flags[doc >> 3] |= 1 << (doc & 7)
            return int.from_bytes(flags, "little")
        digits = bytearray(b"0") * self.size
        deque(map(digits.__setitem__, positions, repeat(_ONE)), maxlen=0)
        digits.reverse()  # the highest document first, as int() reads binary digits
        return int(digits, 2)


class _Segment:
    """What the build gathers for one segment of documents (numbered from 0 in it)."""

    def __init__(self, wanted: Sequence[str]) -> None:
        """An empty segment, looking for these phrases."""
        self.words: dict[str, array[int]] = defaultdict(lambda: array("i"))
        self.bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        self.texts: list[bytes] = []  # the Khmer texts, packed
        self.wanted = wanted
        self.found: list[array[int]] = [array("i") for _ in wanted]
        self._needs = [frozenset(stem(w) for w in latin_words(p)[:-1]) for p in wanted]
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for i, needed in enumerate(self._needs):
            self._by_word[min(needed)].append(i)

    def add(self, en: str, km: str) -> None:
        """Add the next document's normalised texts."""
        doc = repeat(len(self.texts))
        self.texts.append(_pack(km))
        tokens = _tokens(en, km)
        deque(map(array.append, map(self.words.__getitem__, tokens), doc), maxlen=0)
        deque(map(array.append, map(self.bigrams.__getitem__, _bigrams(km)), doc), maxlen=0)
        for word in self._by_word.keys() & tokens:
            for i in self._by_word[word]:
                if self._needs[i] <= tokens and self.wanted[i] in en:
                    self.found[i].append(len(self.texts) - 1)


class RankedDocs(Sequence[int]):
    """Document numbers in ranked order, read from buckets of equal rank (bitmasks) only when
    asked: the first page of thousands of hits costs the first page."""

    def __init__(self, buckets: Sequence[int]) -> None:
        """Buckets in rank order; within one, documents come in display order."""
        self._buckets = buckets
        self._starts = list(accumulate((b.bit_count() for b in buckets), initial=0))
        self._read: dict[int, tuple[int, ...]] = {}  # buckets read whole, by position

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[int, ...]: ...
    def __getitem__(self, index: int | slice) -> int | tuple[int, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self)[index]
            return tuple(self._between(start, stop))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        i = bisect_right(self._starts, position) - 1
        return self._whole(i)[position - self._starts[i]]

    def __iter__(self) -> Iterator[int]:
        for bucket in self._buckets:
            yield from _positions(bucket)

    def _between(self, start: int, stop: int) -> Iterator[int]:
        i = bisect_right(self._starts, start) - 1
        while start < stop and i < len(self._buckets):
            skip = start - self._starts[i]
            take = min(stop, self._starts[i + 1]) - start
            if skip + take <= _FIRST_BITS:  # the first page: read the bucket's first bits only
                yield from islice(_positions(self._buckets[i]), skip, skip + take)
            else:
                yield from self._whole(i)[skip : skip + take]
            start += take
            i += 1

    def _whole(self, i: int) -> tuple[int, ...]:
        read = self._read.get(i)
        if read is None:
            read = self._read[i] = tuple(_positions(self._buckets[i]))
        return read


_FEW_BITS = 48  # fewer documents than this are put in a bitmask bit by bit (a segment's)
_FIRST_BITS = 64  # pages this far into a bucket read its first bits; deeper ones read it whole
_ONE = ord("1")
_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _positions(mask: int) -> Iterator[int]:
    """The set bits of a bitmask, lowest first (in C: its binary digits read backwards)."""
    return compress(count(), bin(mask)[:1:-1].encode().translate(_BITS))


def _recall(remembered: dict[str, None], name: str) -> bool:
    """True if this piece or phrase is remembered (then it is the most recently used)."""
    if name not in remembered:
        return False
    del remembered[name]
    remembered[name] = None
    return True


def _encoded(bits: int) -> bytes:
    """One segment's bitmask as stored: deflated when that is much smaller (rare words)."""
    raw = bits.to_bytes(_SEGMENT_BYTES, "little")
    deflated = zlib.compress(raw, 1)
    return b"z" + deflated if len(deflated) * 4 < len(raw) * 3 else b"r" + raw


def _decoded(stored: bytes) -> bytes:
    """A stored segment's bitmask bytes."""
    return zlib.decompress(stored[1:]) if stored[:1] == b"z" else stored[1:]


# A Khmer text held a byte a letter (half the memory of a str of Khmer letters, and `in` is the
# same test): printable ASCII as itself, U+1780-U+17FF as 0x80-0xFF, anything else (rare: the
# Khmer symbols U+19E0-U+19FF, an accented letter, a control character) as 0x00 and six bytes
# 0x01-0x10, one a hex digit of its code point. No other character is written with bytes below
# 0x20, so a piece is found in a packed text exactly where it is in the text.
_PACKED = "".join(chr(i) for i in range(128)) + "".join(chr(0x1780 + i) for i in range(128))
_PACK = codecs.charmap_build("\ufffe" * 32 + _PACKED[32:])  # U+FFFE: not written as itself
_ESCAPED = re.compile("\x00[\x01-\x10]{6}")
_ESCAPE = "upr-khmer-packed"


def _escape(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = (
        b"\x00" + bytes(1 + int(digit, 16) for digit in f"{ord(ch):06x}")
        for ch in error.object[error.start : error.end]
    )
    return b"".join(escaped), error.end


codecs.register_error(_ESCAPE, _escape)


def _pack(text: str) -> bytes:
    """A normalised text a byte a letter (see _PACKED)."""
    return codecs.charmap_encode(text, _ESCAPE, _PACK)[0] if text else b""


def _unpack(packed: bytes) -> str:
    """The text `_pack` packed."""
    text = codecs.charmap_decode(packed, "strict", _PACKED)[0]
    if "\x00" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int("".join(f"{ord(c) - 1:x}" for c in m[0][1:]), 16)), text)


def _span_mask(docs: array[int]) -> int:
    """Documents in ascending order as a bitmask, built over their span only (in C; bit by
    bit when few)."""
    if len(docs) < _FEW_BITS:
        mask = 0
        for doc in docs:
            mask |= 1 << doc
        return mask
    first = docs[0]
    digits = bytearray(b"0") * (docs[-1] - first + 1)
    deque(map(digits.__setitem__, map(operator.sub, docs, repeat(first)), repeat(_ONE)), maxlen=0)
    digits.reverse()  # the highest document first, as int() reads binary digits
    return int(digits, 2) << first


def _piece_grams(piece: str) -> set[str]:
    return {piece[i : i + 2] for i in range(len(piece) - 1)}


def _tokens(normalized: str, khmer: str = "") -> set[str]:
    """A document's index entries from its normalised English text and the Latin words of
    its Khmer text ('ELC', '2030'): their stems, and the parts of hyphenated words
    ('land-grabbing', 'health-care', 'anti-corruption' also count as their parts)."""
    words = latin_words(normalized) + latin_words(khmer) if khmer else latin_words(normalized)
    tokens = set(map(stem, words))
    if "-" in normalized or "-" in khmer:
        tokens.update(stem(p) for w in words if "-" in w for p in w.split("-"))
    return tokens


def _bigrams(normalized: str) -> set[str]:
    """The two-letter pieces of a normalised text's Khmer runs."""
    grams: set[str] = set()
    for run in khmer_runs(normalized):
        grams.update(map(operator.add, run, run[1:]))
    return grams


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
