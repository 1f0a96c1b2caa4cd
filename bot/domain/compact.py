"""Recommendations held compactly: numbers in arrays, repeated values shared, texts read where
they are kept (the database, through a TextSource) when a recommendation is read; each
Recommendation is made when it is read."""

from __future__ import annotations

import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar, overload

from bot.domain.model import RecNumber, Recommendation, Response, Translation, TranslationStatus
from bot.domain.repositories import TextSource

BLOCK = 64  # English texts held in memory compressed together (a block is about 16 KB)
_DECODED = 16  # blocks kept decoded, the most recently read
_RECENT = 256  # texts read from the source kept, the most recently read (about 1 KB each)
_CHUNK = 500  # texts asked of the source at a time when many are read
_KEPT_FROM_MANY = 50  # texts read together are kept when this few (a page), not a cycle's
_ITEMS = 10_000  # a number as one int: paragraph * _ITEMS + item (both at most 4 digits)
_RESPONSES = tuple(Response)
_STATUSES = tuple(TranslationStatus)

T = TypeVar("T", bound=Hashable)


class _Shared(Generic[T]):
    """Values many records repeat (States, themes, targets, sources), each kept once, by code."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.values: list[T] = []
        self._codes: dict[T, int] | None = {}

    def code(self, value: T) -> int:
        """The code of a value, given one the first time it is seen."""
        if self._codes is None:
            self._codes = {v: i for i, v in enumerate(self.values)}
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.values)
            self.values.append(value)
        return code

    def settle(self) -> None:
        """Forget the codes by value until the next value is added (they are rebuilt)."""
        self._codes = None


class _HeldTexts:
    """Texts held in memory, for recommendations that come from no database (a catalog made
    from a list): English compressed in blocks of BLOCK, Khmer as it is."""

    def __init__(self) -> None:
        """Nothing held yet."""
        self._khmer: list[str | None] = []
        self._lengths: array[int] = array("I")  # each English text's length in characters
        self._blocks: list[bytes] = []
        self._pending: list[str] = []  # the English texts of the block not yet full
        self._decoded: OrderedDict[int, list[str]] = OrderedDict()

    def append(self, text_en: str, khmer: str | None) -> None:
        """Hold the next recommendation's texts."""
        self._khmer.append(khmer)
        self._lengths.append(len(text_en))
        self._pending.append(text_en)
        if len(self._pending) == BLOCK:
            self._blocks.append(zlib.compress("".join(self._pending).encode(), 6))
            self._pending = []

    def get(self, i: int) -> tuple[str, str | None]:
        """The i-th recommendation's English and Khmer texts (its block decoded if need be)."""
        block, at = divmod(i, BLOCK)
        if block == len(self._blocks):
            return self._pending[at], self._khmer[i]
        texts = self._decoded.get(block)
        if texts is None:
            texts = self._decode(block)
            self._decoded[block] = texts
            if len(self._decoded) > _DECODED:
                self._decoded.popitem(last=False)
        else:
            self._decoded.move_to_end(block)
        return texts[at], self._khmer[i]

    def _decode(self, block: int) -> list[str]:
        joined = zlib.decompress(self._blocks[block]).decode()
        texts = []
        start = 0
        for length in self._lengths[block * BLOCK : (block + 1) * BLOCK]:
            texts.append(joined[start : start + length])
            start += length
        return texts


class CompactRecommendations(Sequence[Recommendation]):
    """A sequence of recommendations stored column by column. The texts are read from a
    TextSource when a recommendation is read (the last few read are kept); without one they
    are held in memory, compressed. Texts may be replaced in place (a translation saved)."""

    def __init__(
        self, recommendations: Iterable[Recommendation] = (), texts: TextSource | None = None
    ) -> None:
        """Store these recommendations, in this order; their texts are read from `texts`
        (those of the recommendations given are then ignored), or held."""
        self._ids = array("q")
        self._cycles = array("i")
        self._numbers = array("i")
        self._responses = array("b")
        self._categories = array("b")  # -1: none
        self._states: array[int] = array("I")
        self._themes: array[int] = array("I")
        self._targets: array[int] = array("I")
        self._sources: array[int] = array("I")
        self._shared_states: _Shared[tuple[str, ...]] = _Shared()
        self._shared_themes: _Shared[tuple[int, ...]] = _Shared()
        self._shared_targets: _Shared[tuple[str, ...]] = _Shared()
        self._shared_strings: _Shared[str] = _Shared()
        self._statuses = array("b")  # -1: no Khmer text
        self._translators: array[int] = array("I")
        self._source = texts
        self._held = _HeldTexts() if texts is None else None
        self._replaced: dict[int, tuple[str, str | None]] = {}  # texts replaced in place
        self._recent: OrderedDict[int, tuple[str, str | None]] = OrderedDict()
        self._lock = threading.Lock()  # read from the event loop and worker threads
        for rec in recommendations:
            self.append(rec)

    def append(self, rec: Recommendation) -> None:
        """Add a recommendation at the end."""
        if not (0 <= rec.number.paragraph < _ITEMS and 0 <= rec.number.item < _ITEMS):
            raise ValueError(f"number out of range: {rec.number}")
        self._ids.append(rec.id)
        self._cycles.append(rec.cycle)
        self._numbers.append(rec.number.paragraph * _ITEMS + rec.number.item)
        self._responses.append(_RESPONSES.index(rec.response))
        self._categories.append(-1 if rec.action_category is None else rec.action_category)
        self._states.append(self._shared_states.code(rec.states_raw))
        self._themes.append(self._shared_themes.code(rec.theme_ids))
        self._targets.append(self._shared_targets.code(rec.sdg_targets))
        self._sources.append(self._shared_strings.code(rec.source))
        self._statuses.append(-1)
        self._translators.append(0)
        self._set_khmer(len(self._statuses) - 1, rec.khmer)
        if self._held is not None:
            self._held.append(rec.text_en, rec.khmer.text if rec.khmer else None)

    def _set_khmer(self, i: int, khmer: Translation | None) -> None:
        if khmer is None:
            self._statuses[i], self._translators[i] = -1, 0
        else:
            self._statuses[i] = _STATUSES.index(khmer.status)
            self._translators[i] = self._shared_strings.code(khmer.translator)

    def settle(self) -> None:
        """Drop what only adding needs (thousands of distinct States lists at 50,000)."""
        for shared in (self._shared_states, self._shared_themes, self._shared_targets):
            shared.settle()

    def replace_texts(self, i: int, text_en: str, khmer: Translation | None) -> None:
        """Replace one recommendation's English and Khmer texts (this snapshot shows these
        from now on, whatever the source says)."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        with self._lock:
            self._replaced[i] = (text_en, khmer.text if khmer else None)
            self._recent.pop(i, None)
        self._set_khmer(i, khmer)

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> Recommendation: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Recommendation, ...]: ...
    def __getitem__(self, index: int | slice) -> Recommendation | tuple[Recommendation, ...]:
        if isinstance(index, slice):
            return tuple(self.many(range(*index.indices(len(self)))))
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError(index)
        return self._made(i, self._texts(i))

    def many(self, positions: Iterable[int]) -> Iterator[Recommendation]:
        """The recommendations at these positions, in this order, their texts read a chunk at
        a time (a cycle's thousands, a page of results: not one read each)."""
        chunk: list[int] = []
        for i in positions:
            chunk.append(i)
            if len(chunk) == _CHUNK:
                yield from self._made_all(chunk)
                chunk = []
        yield from self._made_all(chunk)

    def _made_all(self, positions: Sequence[int]) -> Iterator[Recommendation]:
        for i in positions:
            if not 0 <= i < len(self):
                raise IndexError(i)
        found = self._read(positions, keep=len(positions) <= _KEPT_FROM_MANY)
        return (self._made(i, found[i]) for i in positions)

    def _made(self, i: int, texts: tuple[str, str | None]) -> Recommendation:
        """The i-th recommendation, with these texts."""
        status = self._statuses[i]
        text_en, khmer = texts
        category = self._categories[i]
        return Recommendation(
            id=self._ids[i],
            cycle=self._cycles[i],
            number=self.number(i),
            text_en=text_en,
            states_raw=self.states_raw(i),
            response=self.response(i),
            theme_ids=self.theme_ids(i),
            # A text the source no longer has (deleted since this snapshot): none shown.
            khmer=None
            if khmer is None or status < 0
            else Translation(
                khmer, _STATUSES[status], self._shared_strings.values[self._translators[i]]
            ),
            sdg_targets=self._shared_targets.values[self._targets[i]],
            action_category=None if category < 0 else category,
            source=self._shared_strings.values[self._sources[i]],
        )

    def __iter__(self) -> Iterator[Recommendation]:
        return self.many(range(len(self)))

    def id(self, i: int) -> int:
        """The id of the i-th recommendation."""
        return self._ids[i]

    def cycle(self, i: int) -> int:
        """The cycle of the i-th recommendation."""
        return self._cycles[i]

    def number(self, i: int) -> RecNumber:
        """The number of the i-th recommendation."""
        return RecNumber(*divmod(self._numbers[i], _ITEMS))

    def response(self, i: int) -> Response:
        """The response to the i-th recommendation."""
        return _RESPONSES[self._responses[i]]

    def states_raw(self, i: int) -> tuple[str, ...]:
        """The recommending States of the i-th recommendation, as printed."""
        return self._shared_states.values[self._states[i]]

    def theme_ids(self, i: int) -> tuple[int, ...]:
        """The themes of the i-th recommendation."""
        return self._shared_themes.values[self._themes[i]]

    def khmer_text(self, i: int) -> str:
        """The Khmer text of the i-th recommendation, or ''."""
        khmer = self._texts(i)[1]
        return (khmer or "") if self._statuses[i] >= 0 else ""

    @property
    def cycles(self) -> array[int]:
        """Every recommendation's cycle, in order."""
        return self._cycles

    @property
    def numbers(self) -> array[int]:
        """Every number as one int (paragraph * 10,000 + item), in order: for bisection."""
        return self._numbers

    @staticmethod
    def number_key(number: RecNumber) -> int:
        """A number as `numbers` holds it."""
        return number.paragraph * _ITEMS + number.item

    def english(self, i: int) -> str:
        """The English text of the i-th recommendation."""
        return self._texts(i)[0]

    def texts_at(self, positions: Sequence[int]) -> list[tuple[str, str]]:
        """The (English, Khmer or '') texts of these recommendations, read together (the
        word index reads every one this way; they are not kept)."""
        found = self._read(positions, keep=False)
        return [
            (found[i][0], (found[i][1] or "") if self._statuses[i] >= 0 else "") for i in positions
        ]

    def _texts(self, i: int) -> tuple[str, str | None]:
        """The i-th recommendation's English and Khmer texts."""
        return self._read((i,), keep=True)[i]

    def _read(self, positions: Sequence[int], *, keep: bool) -> dict[int, tuple[str, str | None]]:
        """These recommendations' texts: replaced, held, kept or read from the source."""
        found: dict[int, tuple[str, str | None]] = {}
        wanted: list[int] = []
        with self._lock:
            for i in positions:
                texts = self._replaced.get(i)
                if texts is None and self._held is not None:
                    texts = self._held.get(i)
                if texts is None:
                    texts = self._recent.get(i)
                    if texts is not None:
                        self._recent.move_to_end(i)
                if texts is None:
                    wanted.append(i)
                else:
                    found[i] = texts
        if not wanted or self._source is None:
            return found
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            stored = self._source.texts([self._ids[i] for i in chunk])
            with self._lock:
                for i in chunk:
                    # Not in the source any more (deleted since this snapshot): no text.
                    texts = found[i] = stored.get(self._ids[i], ("", None))
                    if keep:
                        self._recent[i] = texts
                        self._recent.move_to_end(i)
                        if len(self._recent) > _RECENT:
                            self._recent.popitem(last=False)
        return found
