"""Word search over recommendations in English and Khmer, held in memory.

English is matched by light stems (and prefixes for longer words); Khmer, which writes no spaces
and has many two-letter words, by substring through a bigram index. A glossary of domain terms
lets a Khmer query find English-only texts and an English query find Khmer translations.
"""

from __future__ import annotations

import codecs
import math
import operator
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, count, islice, repeat
from typing import TypeAlias, overload

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
_FOLDS = 16  # times the build moves the postings sure to end as bitmasks into them
_FOLD_AT_LEAST = 1024  # documents between two such moves


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


# Document numbers: an array when few, a bitmask (an int, one bit a document) when many.
Postings: TypeAlias = "array[int] | int"


class SearchIndex:
    """An inverted index over documents numbered 0..n-1 in their display order.

    Postings are compact: an array of document numbers for a word or Khmer bigram in few
    documents, a bitmask for one in many (at least one in 32: then the bitmask is the smaller).
    A search works on bitmasks, whose set operations run in C; a Khmer word is found through its
    bigrams and checked in the text, an English phrase through its words and checked in the
    text. The glossary's words and phrases are looked for once, when the index is built, and
    any other's documents are remembered once found (a bounded number); an update keeps them
    all current. Only the page that is shown is ranked: the hits are buckets of equal rank,
    each read in display order when asked for.
    """

    def __init__(
        self,
        documents: Sequence[tuple[str, str]],
        khmer_terms: Iterable[str] = (),
        phrases: Iterable[str] = (),
    ) -> None:
        """Index (English text, Khmer text) pairs; position in the sequence is the doc id.

        `khmer_terms` and `phrases` (the glossary's Khmer words and normalised English phrases)
        are looked for at once; any other Khmer text or phrase is found when asked for.
        """
        self.size = 0
        # The English texts are not kept: they are read again from `documents` (and made
        # normal) for the few a phrase is checked in; those updated here are kept normalised.
        self._documents = documents
        self._updated: dict[int, str] = {}
        self._khmer: list[bytes] = []  # the Khmer texts, normalised, a byte a letter (_pack)
        self._pieces: dict[str, Postings] = {}
        self._phrases: dict[str, Postings] = {}
        words: dict[str, array[int]] = defaultdict(lambda: array("i"))
        bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        # The glossary's phrases are found in the same pass, each through one of the words
        # that must come before its last one (which may be cut short: 'political part').
        wanted = sorted({p for p in phrases if len(latin_words(p)) >= 2})
        needs = [frozenset(stem(w) for w in latin_words(p)[:-1]) for p in wanted]
        by_word: dict[str, list[int]] = defaultdict(list)
        for i, needed in enumerate(needs):
            by_word[min(needed)].append(i)
        found: list[array[int]] = [array("i") for _ in wanted]
        total = len(documents)
        fold_every = max(_FOLD_AT_LEAST, total // _FOLDS)
        word_masks: dict[str, int] = {}
        gram_masks: dict[str, int] = {}
        for english, khmer in documents:
            en, km = normalize(english), normalize(khmer)
            self._khmer.append(_pack(km))
            tokens = _tokens(en)
            doc = repeat(self.size)
            deque(map(array.append, map(words.__getitem__, tokens), doc), maxlen=0)
            deque(map(array.append, map(bigrams.__getitem__, _bigrams(km)), doc), maxlen=0)
            for word in by_word.keys() & tokens:
                for i in by_word[word]:
                    if needs[i] <= tokens and wanted[i] in en:
                        found[i].append(self.size)
            self.size += 1
            if self.size % fold_every == 0:
                _fold(words, word_masks, total)
                _fold(bigrams, gram_masks, total)
        self._words = self._compacted(words, word_masks)
        self._bigrams = self._compacted(bigrams, gram_masks)
        self._vocabulary = sorted(w for w in self._words if w.isascii())
        known = {normalize(t) for t in khmer_terms if t}
        for piece in sorted(known | {without_noun_prefix(t) for t in known}):
            self._khmer_docs(piece)
        for phrase, docs in zip(wanted, found, strict=True):
            self._remember(self._phrases, phrase, self._compact(docs))

    def _english(self, doc: int) -> str:
        """A document's English text, normalised (read again: not kept)."""
        updated = self._updated.get(doc)
        return updated if updated is not None else normalize(self._documents[doc][0])

    def _compacted(
        self, built: dict[str, array[int]], masks: dict[str, int]
    ) -> dict[str, Postings]:
        """Built postings made compact (with those already folded into bitmasks), each array
        let go as soon as it is replaced: the build never holds both forms of every entry."""
        compact: dict[str, Postings] = {}
        for key in list(built):
            docs = built.pop(key)
            folded = masks.pop(key, None)
            compact[key] = self._compact(docs) if folded is None else folded | _span_mask(docs)
        return compact

    def _compact(self, docs: array[int]) -> Postings:
        """The smaller form of these postings: the array, or a bitmask."""
        return self._mask([docs]) if len(docs) * 32 >= self.size else docs

    def update(self, doc: int, english: str, khmer: str) -> None:
        """Add or replace one document's texts (doc == size adds one at the end), at once."""
        if not 0 <= doc <= self.size:
            raise IndexError(doc)
        en, km = normalize(english), normalize(khmer)
        if doc < self.size:
            for token in _tokens(self._english(doc)):
                _place(self._words, token, doc, False)
            for gram in _bigrams(_unpack(self._khmer[doc])):
                _place(self._bigrams, gram, doc, False)
            self._khmer[doc] = _pack(km)
        else:
            self._khmer.append(_pack(km))
            self.size += 1
        self._updated[doc] = en
        tokens, grams = _tokens(en), _bigrams(km)
        for token in tokens:
            _place(self._words, token, doc, True)
        for gram in grams:
            _place(self._bigrams, gram, doc, True)
        for piece in self._pieces:  # what is remembered stays true (pieces of 3 letters or more)
            _place(self._pieces, piece, doc, _piece_grams(piece) <= grams and piece in km)
        for phrase in self._phrases:  # (of two words or more)
            held = tokens.issuperset(stem(w) for w in latin_words(phrase)[:-1]) and phrase in en
            _place(self._phrases, phrase, doc, held)
        self._vocabulary = sorted(w for w, docs in self._words.items() if w.isascii() and docs)

    def search(self, terms: Sequence[Term], allowed: Collection[int] | None = None) -> Hits:
        """Documents matching any term: those matching the most terms first, then by weight,
        then in display order.

        A term that matches nothing anywhere is left out and named in `unknown`. The work is
        bitmask operations (in C) over buckets of equal rank; no document is looked at one by
        one except those of the page that is read.
        """
        matches: list[tuple[float, int, int]] = []  # (idf, exact, loose)
        unknown: list[str] = []
        within = None if allowed is None else self._mask([allowed])
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
        exact = self._mask(self._words.get(token, 0) for token in term.stems)
        for piece in term.khmer:
            # A piece holding another has no document the other has not: skip its check.
            if not any(len(p) > 1 and p != piece and p in piece for p in term.khmer):
                exact |= self._khmer_docs(piece)
        expanded: list[Postings] = []
        for prefix in term.prefixes:
            if len(prefix) < _PREFIX_MIN:
                continue
            start = bisect_left(self._vocabulary, prefix)
            for token in self._vocabulary[start:]:
                if not token.startswith(prefix):
                    break
                expanded.append(self._words[token])
        loose = self._mask(expanded)
        for phrase in term.phrases:
            loose |= self._phrase_docs(phrase)
        return exact, loose & ~exact

    def _phrase_docs(self, phrase: str) -> int:
        """Documents with this English phrase (remembered once found)."""
        stems = [stem(w) for w in latin_words(phrase)]
        if len(stems) < 2:
            return self._mask([self._words.get(s, 0) for s in stems])
        found = _recall(self._phrases, phrase)
        if found is None:  # the last word may be cut short ('political part'): not looked up
            docs = self._intersection([self._words.get(s, 0) for s in stems[:-1]])
            found = self._holding(phrase, _positions(docs), _English(self))
            self._remember(self._phrases, phrase, found)
        return self._mask([found])

    def _khmer_docs(self, piece: str) -> int:
        """Documents whose Khmer text holds this piece (remembered once found)."""
        if len(piece) <= 2:  # two letters: the bigram is the piece, every document has it
            return self._mask([self._bigrams.get(piece, 0)]) if len(piece) == 2 else 0
        found = _recall(self._pieces, piece)
        if found is None:
            postings = [self._bigrams.get(g, 0) for g in _piece_grams(piece)]
            smallest = min(postings, key=_count)
            packed = _pack(piece)
            if isinstance(smallest, int):
                found = self._holding(
                    packed, _positions(self._intersection(postings)), self._khmer
                )
            else:  # few: a text holding the piece holds its bigrams, the text check says all
                found = self._holding(packed, smallest, self._khmer)
            self._remember(self._pieces, piece, found)
        return self._mask([found])

    def _intersection(self, postings: list[Postings]) -> int:
        """The documents in every one of these postings (not empty), as a bitmask."""
        mask = -1
        for docs in sorted(postings, key=_count):
            mask &= docs if isinstance(docs, int) else self._mask([docs])
        return mask

    def _holding(
        self, piece: str | bytes, candidates: Iterable[int], texts: Sequence[str] | Sequence[bytes]
    ) -> Postings:
        """Those of the candidates whose text holds `piece` (checked in C), compact."""
        docs = list(candidates)
        held = map(operator.contains, map(texts.__getitem__, docs), repeat(piece))
        return self._compact(array("i", compress(docs, held)))

    def _remember(self, found: dict[str, Postings], key: str, docs: Postings) -> None:
        if len(found) >= _REMEMBERED:
            del found[next(iter(found))]  # the least recently used
        found[key] = docs

    def _mask(self, postings: Iterable[Postings | Collection[int]]) -> int:
        """The union of postings as one bitmask (arrays of many written into one buffer in C,
        of few bit by bit)."""
        mask = 0
        arrays: list[Collection[int]] = []
        for docs in postings:
            if isinstance(docs, int):
                mask |= docs
            elif docs:
                arrays.append(docs)
        if sum(map(len, arrays)) < _FEW:
            flags = bytearray((self.size >> 3) + 1)
            for doc in chain.from_iterable(arrays):
                flags[doc >> 3] |= 1 << (doc & 7)
            return mask | int.from_bytes(flags, "little")
        digits = bytearray(b"0") * self.size
        for docs in arrays:
            deque(map(digits.__setitem__, docs, repeat(_ONE)), maxlen=0)
        digits.reverse()  # the highest document first, as int() reads binary digits
        return mask | int(digits, 2)


class _English(Sequence[str]):
    """An index's English texts, normalised, each read again when asked for."""

    def __init__(self, index: SearchIndex) -> None:
        """Read this index's documents."""
        self._index = index

    def __len__(self) -> int:
        return self._index.size

    @overload
    def __getitem__(self, doc: int) -> str: ...
    @overload
    def __getitem__(self, doc: slice) -> Sequence[str]: ...
    def __getitem__(self, doc: int | slice) -> str | Sequence[str]:
        if isinstance(doc, slice):
            return [self[i] for i in range(*doc.indices(len(self)))]
        return self._index._english(doc)


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


_FIRST_BITS = 64  # pages this far into a bucket read its first bits; deeper ones read it whole
_ONE = ord("1")
_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _positions(mask: int) -> Iterator[int]:
    """The set bits of a bitmask, lowest first (in C: its binary digits read backwards)."""
    return compress(count(), bin(mask)[:1:-1].encode().translate(_BITS))


def _count(docs: Postings) -> int:
    return docs.bit_count() if isinstance(docs, int) else len(docs)


def _recall(found: dict[str, Postings], key: str) -> Postings | None:
    docs = found.pop(key, None)
    if docs is not None:
        found[key] = docs  # the most recently used last
    return docs


def _place(index: dict[str, Postings], key: str, doc: int, present: bool) -> None:
    """Put a document in (or take it out of) one entry's postings."""
    docs = index.get(key)
    if isinstance(docs, int):
        index[key] = docs | 1 << doc if present else docs & ~(1 << doc)
    elif docs is None:
        if present:
            index[key] = array("i", [doc])
    else:
        at = bisect_left(docs, doc)
        there = at < len(docs) and docs[at] == doc
        if present and not there:
            docs.insert(at, doc)
        elif there and not present:
            del docs[at]


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


def _fold(built: dict[str, array[int]], masks: dict[str, int], total: int) -> None:
    """Move the documents of the entries sure to end as bitmasks (in one document of 32 of
    `total` already) into their bitmasks, during the build: its arrays then stay small."""
    for key, docs in built.items():
        if docs and (key in masks or len(docs) * 32 >= total):
            masks[key] = masks.get(key, 0) | _span_mask(docs)
            del docs[:]


def _span_mask(docs: array[int]) -> int:
    """Documents in ascending order as a bitmask, built over their span only (in C)."""
    if not docs:
        return 0
    first = docs[0]
    digits = bytearray(b"0") * (docs[-1] - first + 1)
    deque(map(digits.__setitem__, map(operator.sub, docs, repeat(first)), repeat(_ONE)), maxlen=0)
    digits.reverse()  # the highest document first, as int() reads binary digits
    return int(digits, 2) << first


def _piece_grams(piece: str) -> set[str]:
    return {piece[i : i + 2] for i in range(len(piece) - 1)}


def _tokens(normalized: str) -> set[str]:
    """A normalised English text's index entries: its stems, and the parts of hyphenated
    words ('land-grabbing', 'health-care', 'anti-corruption' also count as their parts)."""
    words = latin_words(normalized)
    tokens = set(map(stem, words))
    if "-" in normalized:
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
