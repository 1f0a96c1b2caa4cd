"""Recommendations held compactly: numbers in arrays, repeated values shared, English texts as
zlib-compressed blocks; each Recommendation is made when it is read."""

from __future__ import annotations

import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar, overload

from bot.domain.model import RecNumber, Recommendation, Response, Translation, TranslationStatus

BLOCK = 64  # English texts compressed together (a card decodes its block: about 16 KB)
_DECODED = 16  # blocks kept decoded, the most recently read
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


class CompactRecommendations(Sequence[Recommendation]):
    """A sequence of recommendations stored column by column; English texts compressed in
    blocks of BLOCK (the last few decoded blocks kept), Khmer texts as they are (the search
    index shares them). Texts may be replaced in place (a translation saved)."""

    def __init__(self, recommendations: Iterable[Recommendation] = ()) -> None:
        """Store these recommendations, in this order."""
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
        self._khmer: list[str | None] = []
        self._statuses = array("b")  # -1: no Khmer text
        self._translators: array[int] = array("I")
        self._lengths: array[int] = array("I")  # each English text's length in characters
        self._blocks: list[bytes] = []
        self._pending: list[str] = []  # the English texts of the block not yet full
        self._replaced: dict[int, str] = {}  # English texts replaced after their block was made
        self._decoded: OrderedDict[int, list[str]] = OrderedDict()
        self._lock = threading.Lock()  # read from the event loop and the indexing thread
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
        self._set_khmer(len(self._khmer), rec.khmer)
        self._lengths.append(len(rec.text_en))
        self._pending.append(rec.text_en)
        if len(self._pending) == BLOCK:
            self._blocks.append(zlib.compress("".join(self._pending).encode(), 6))
            self._pending = []

    def _set_khmer(self, i: int, khmer: Translation | None) -> None:
        if i == len(self._khmer):
            self._khmer.append(None)
            self._statuses.append(-1)
            self._translators.append(0)
        if khmer is None:
            self._khmer[i], self._statuses[i], self._translators[i] = None, -1, 0
        else:
            self._khmer[i] = khmer.text
            self._statuses[i] = _STATUSES.index(khmer.status)
            self._translators[i] = self._shared_strings.code(khmer.translator)

    def settle(self) -> None:
        """Drop what only adding needs (thousands of distinct States lists at 50,000)."""
        for shared in (self._shared_states, self._shared_themes, self._shared_targets):
            shared.settle()

    def replace_texts(self, i: int, text_en: str, khmer: Translation | None) -> None:
        """Replace one recommendation's English and Khmer texts."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        with self._lock:
            self._replaced[i] = text_en
        self._set_khmer(i, khmer)

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> Recommendation: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Recommendation, ...]: ...
    def __getitem__(self, index: int | slice) -> Recommendation | tuple[Recommendation, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError(index)
        status = self._statuses[i]
        khmer = self._khmer[i]
        category = self._categories[i]
        return Recommendation(
            id=self._ids[i],
            cycle=self._cycles[i],
            number=self.number(i),
            text_en=self.english(i),
            states_raw=self.states_raw(i),
            response=self.response(i),
            theme_ids=self.theme_ids(i),
            khmer=None
            if khmer is None
            else Translation(
                khmer, _STATUSES[status], self._shared_strings.values[self._translators[i]]
            ),
            sdg_targets=self._shared_targets.values[self._targets[i]],
            action_category=None if category < 0 else category,
            source=self._shared_strings.values[self._sources[i]],
        )

    def __iter__(self) -> Iterator[Recommendation]:
        return map(self.__getitem__, range(len(self)))

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
        return self._khmer[i] or ""

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
        """The English text of the i-th recommendation (its block decoded if need be)."""
        with self._lock:
            replaced = self._replaced.get(i)
            if replaced is not None:
                return replaced
            block, at = divmod(i, BLOCK)
            if block == len(self._blocks):
                return self._pending[at]
            texts = self._decoded.get(block)
            if texts is None:
                texts = self._decode(block)
                self._decoded[block] = texts
                if len(self._decoded) > _DECODED:
                    self._decoded.popitem(last=False)
            else:
                self._decoded.move_to_end(block)
            return texts[at]

    def _decode(self, block: int) -> list[str]:
        joined = zlib.decompress(self._blocks[block]).decode()
        texts = []
        start = 0
        for length in self._lengths[block * BLOCK : (block + 1) * BLOCK]:
            texts.append(joined[start : start + length])
            start += length
        return texts
