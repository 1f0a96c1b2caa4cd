"""Recommendations held compactly: a row of ints each, kept in a RowStore (on disk, or in
arrays), repeated values shared, texts read where they are kept (the database, through a
TextSource) when a recommendation is read; each Recommendation is made when it is read."""

from __future__ import annotations

import threading
import zlib
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar, overload

from bot.domain.model import RecNumber, Recommendation, Response, Translation, TranslationStatus
from bot.domain.repositories import RowStore, TextSource

BLOCK = 64  # English texts held in memory compressed together (a block is about 16 KB)
_DECODED = 16  # blocks kept decoded, the most recently read
_RECENT = 256  # texts read from the source kept, the most recently read (about 1 KB each)
_CHUNK = 500  # texts asked of the source at a time when many are read
_KEPT_FROM_MANY = 50  # texts read together are kept when this few (a page), not a cycle's
_ITEMS = 10_000  # a number as one int: paragraph * _ITEMS + item (both at most 4 digits)
_ROWS_KEPT = 1024  # rows read one at a time kept, the most recently read (a page, a lookup)
# A row's columns: codes of the values in _Shared, -1 for none.
ID, CYCLE, NUMBER, RESPONSE, CATEGORY, STATES, THEMES, TARGETS, SOURCE, STATUS, TRANSLATOR = range(
    11
)
_TYPECODES = "qiibbqIIIbI"
# A list of up to three States is kept in its row as their names' codes, 20 bits each (plus 1:
# 0 is none), so that no list of every distinct combination grows with the archive; a longer
# list (a joint recommendation of many States) as -1 - its code among the shared lists.
_NAME_BITS = 20
_NAMES_PACKED = 3
_NAME_MASK = (1 << _NAME_BITS) - 1
_LISTS_MADE = 4096  # lists of States made from codes kept (the same list is one object)
_RESPONSES = tuple(Response)
_STATUSES = tuple(TranslationStatus)
_RESPONSE_CODES = {r: i for i, r in enumerate(_RESPONSES)}
_STATUS_CODES = {s: i for i, s in enumerate(_STATUSES)}

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class CompactState:
    """What a CompactRecommendations holds besides its rows (kept with them between starts:
    `CompactRecommendations.state`, `restored`): how many, in which order, each cycle's span,
    and the values its rows' codes stand for."""

    count: int
    last: tuple[int, int]
    in_display_order: bool
    spans: dict[int, tuple[int, int]]
    states: list[tuple[str, ...]]
    themes: list[tuple[int, ...]]
    targets: list[tuple[str, ...]]
    strings: list[str]


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

    def restore(self, values: Iterable[T]) -> None:
        """Hold these values, coded by their places (as `values` were kept), and no other."""
        self.values = list(values)
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


def check(state: CompactState, flat: Sequence[int]) -> None:
    """ValueError unless `flat` (every row's ints, one after another, in position order) holds
    rows `state` can stand for: as many as it counts, ids unique, each cycle's rows in its span
    and in number order, every code naming a value the state holds. (Rows kept between starts
    are checked so: a file no code would have written is never shown, whatever its digest.)"""
    width = len(_TYPECODES)
    if not state.in_display_order:  # a snapshot of the database always is
        raise ValueError("not in display order")
    if len(flat) != state.count * width:
        raise ValueError("not as many rows as counted")
    column = [flat[i::width] for i in range(width)]
    if len(set(column[ID])) != state.count:
        raise ValueError("an id twice")
    covered = 0
    for cycle, (start, stop) in sorted(state.spans.items(), key=lambda item: item[1]):
        numbers = column[NUMBER][start:stop]
        if start != covered or stop <= start or set(column[CYCLE][start:stop]) != {cycle}:
            raise ValueError("a cycle's rows are not its span")
        if any(a >= b for a, b in pairwise(numbers)):
            raise ValueError("a cycle's rows are not in number order")
        covered = stop
    if covered != state.count:
        raise ValueError("rows in no cycle")
    for index, bound in (
        (RESPONSE, len(_RESPONSES)),
        (THEMES, len(state.themes)),
        (TARGETS, len(state.targets)),
        (SOURCE, len(state.strings)),
        (TRANSLATOR, len(state.strings) or 1),
    ):
        if column[index] and not 0 <= min(column[index]) <= max(column[index]) < bound:
            raise ValueError("a code names no value")
    if column[STATUS] and not -1 <= min(column[STATUS]) <= max(column[STATUS]) < len(_STATUSES):
        raise ValueError("a translation status names none")
    names = len(state.strings)
    for code in set(column[STATES]):
        if code < 0:
            if -1 - code >= len(state.states):
                raise ValueError("a list of States names none")
            continue
        while code:
            if not 0 < code & _NAME_MASK <= names:
                raise ValueError("a State's code names none")
            code >>= _NAME_BITS


class MemoryRowStore:
    """Implements RowStore in arrays, a column each (a snapshot without a database)."""

    def __init__(self) -> None:
        """No rows yet."""
        self._columns = [array(code) for code in _TYPECODES]
        self._by_id: tuple[array[int], array[int]] | None = None  # ids sorted, positions

    def add_rows(self, rows: Sequence[tuple[int, ...]]) -> None:
        """Keep these rows at the next positions."""
        for column, values in zip(self._columns, zip(*rows, strict=True), strict=False):
            column.extend(values)
        self._by_id = None

    def rows(self, positions: Sequence[int]) -> list[tuple[int, ...]]:
        """The rows at these positions, in this order."""
        return [tuple(column[i] for column in self._columns) for i in positions]

    def span(self, start: int, stop: int) -> list[tuple[int, ...]]:
        """The rows at positions start..stop-1, in order."""
        return list(zip(*(column[start:stop] for column in self._columns), strict=True))

    def position_of(self, rec_id: int) -> int | None:
        """The position of the row with this id (by bisection of the ids, sorted once)."""
        if self._by_id is None:
            ids = self._columns[ID]
            order = sorted(range(len(ids)), key=ids.__getitem__)
            self._by_id = array("q", (ids[i] for i in order)), array("i", order)
        ids, positions = self._by_id
        at = bisect_left(ids, rec_id)
        return positions[at] if at < len(ids) and ids[at] == rec_id else None


class CompactRecommendations(Sequence[Recommendation]):
    """A sequence of recommendations stored as rows of ints in a RowStore (repeated values
    shared, by code). The texts are read from a TextSource when a recommendation is read (the
    last few read are kept); without one they are held in memory, compressed. Texts may be
    replaced in place (a translation saved)."""

    def __init__(
        self,
        recommendations: Iterable[Recommendation] = (),
        texts: TextSource | None = None,
        rows: RowStore | None = None,
    ) -> None:
        """Store these recommendations, in this order, in `rows` (arrays without one); their
        texts are read from `texts` (those of the recommendations given are then ignored), or
        held."""
        self._rows: RowStore = rows if rows is not None else MemoryRowStore()
        self._count = 0
        self._last = (-(1 << 62), -1)  # the last row's (-cycle, number)
        self._in_display_order = True  # latest cycle first, then by number: so far
        self._spans: dict[int, tuple[int, int]] = {}  # cycle -> its first and last+1 positions
        self._adding: list[tuple[int, ...]] = []  # rows not yet in the store
        self._kept: OrderedDict[int, tuple[int, ...]] = OrderedDict()  # rows read lately
        self._positions: OrderedDict[int, int | None] = OrderedDict()  # by id, asked lately
        self._translations: dict[int, tuple[int, int]] = {}  # (status, translator) replaced
        self._shared_states: _Shared[tuple[str, ...]] = _Shared()  # of more than three
        self._lists: dict[int, tuple[str, ...]] = {}  # lists of States made, by code
        self._shared_themes: _Shared[tuple[int, ...]] = _Shared()
        self._shared_targets: _Shared[tuple[str, ...]] = _Shared()
        self._shared_strings: _Shared[str] = _Shared()
        self._source = texts
        self._held = _HeldTexts() if texts is None else None
        self._replaced: dict[int, tuple[str, str | None]] = {}  # texts replaced in place
        self._recent: OrderedDict[int, tuple[str, str | None]] = OrderedDict()
        self._lock = threading.Lock()  # read from the event loop and worker threads
        for rec in recommendations:
            self.append(rec)

    def append(self, rec: Recommendation) -> None:
        """Add a recommendation at the end."""
        khmer = rec.khmer
        self.append_values(
            rec.id,
            rec.cycle,
            rec.number.paragraph,
            rec.number.item,
            rec.response,
            rec.action_category,
            rec.states_raw,
            rec.theme_ids,
            rec.sdg_targets,
            rec.source,
            None if khmer is None else (khmer.status, khmer.translator),
            rec.text_en,
            None if khmer is None else khmer.text,
        )

    def append_values(
        self,
        rec_id: int,
        cycle: int,
        paragraph: int,
        item: int,
        response: Response,
        category: int | None,
        states: tuple[str, ...],
        theme_ids: tuple[int, ...],
        targets: tuple[str, ...],
        source: str,
        translation: tuple[TranslationStatus, str] | None,
        text_en: str = "",
        text_km: str | None = None,
    ) -> None:
        """Add a recommendation at the end, from its values (a snapshot read from the database
        makes no Recommendation first: a third of the time to the first answer); its texts are
        kept only when there is no source to read them from."""
        if not (0 <= paragraph < _ITEMS and 0 <= item < _ITEMS):
            raise ValueError(f"number out of range: {RecNumber(paragraph, item)}")
        number = paragraph * _ITEMS + item
        if (-cycle, number) <= self._last:
            self._in_display_order = False
        self._last = (-cycle, number)
        count = self._count
        span = self._spans.get(cycle)
        self._spans[cycle] = (count if span is None else span[0], count + 1)
        if translation is None:
            status, translator = -1, 0
        else:
            status = _STATUS_CODES[translation[0]]
            translator = self._shared_strings.code(translation[1])
        self._adding.append(
            (
                rec_id,
                cycle,
                number,
                _RESPONSE_CODES[response],
                -1 if category is None else category,
                self._states_code(states),
                self._shared_themes.code(theme_ids),
                self._shared_targets.code(targets),
                self._shared_strings.code(source),
                status,
                translator,
            )
        )
        self._count = count + 1
        if len(self._adding) == _CHUNK:
            self._stored()
        if self._held is not None:
            self._held.append(text_en, text_km)

    def _states_code(self, states: tuple[str, ...]) -> int:
        """A list of States as its row keeps it (see _NAME_BITS)."""
        codes = [self._shared_strings.code(name) for name in states]
        if len(codes) > _NAMES_PACKED or max(codes, default=0) >= _NAME_MASK:
            return -1 - self._shared_states.code(states)
        return sum((code + 1) << (_NAME_BITS * i) for i, code in enumerate(codes))

    def _states(self, code: int) -> tuple[str, ...]:
        """The list of States a row's code stands for (one object while it is kept)."""
        if code < 0:
            return self._shared_states.values[-1 - code]
        states = self._lists.get(code)
        if states is None:
            names = self._shared_strings.values
            packed, found = code, []
            while packed:
                found.append(names[(packed & _NAME_MASK) - 1])
                packed >>= _NAME_BITS
            if len(self._lists) >= _LISTS_MADE:
                self._lists.clear()
            states = self._lists[code] = tuple(found)
        return states

    def _khmer_codes(self, khmer: Translation | None) -> tuple[int, int]:
        if khmer is None:
            return -1, 0
        return _STATUSES.index(khmer.status), self._shared_strings.code(khmer.translator)

    def _stored(self) -> None:
        """Put the rows being added in the store."""
        with self._lock:
            adding, self._adding = self._adding, []
            if adding:
                self._rows.add_rows(adding)
                self._positions.clear()  # an id not found before may be found now

    def settle(self) -> None:
        """Store what is being added; drop what only adding needs (thousands of distinct
        States lists at 50,000)."""
        self._stored()
        for shared in (self._shared_states, self._shared_themes, self._shared_targets):
            shared.settle()

    def state(self) -> CompactState:
        """What these recommendations hold besides their rows, once all are added (texts read
        from a source: held texts are not part of it)."""
        if self._held is not None or self._replaced or self._translations:
            raise ValueError("only a snapshot read from a source, as read, has a state")
        self._stored()
        return CompactState(
            self._count,
            self._last,
            self._in_display_order,
            dict(self._spans),
            list(self._shared_states.values),
            list(self._shared_themes.values),
            list(self._shared_targets.values),
            list(self._shared_strings.values),
        )

    @classmethod
    def restored(
        cls, state: CompactState, texts: TextSource | None, rows: RowStore
    ) -> CompactRecommendations:
        """Recommendations as `state` describes them, their rows already in `rows` (kept
        between starts): nothing is read or made again."""
        recs = cls(texts=texts, rows=rows)
        recs._count = state.count
        recs._last = state.last
        recs._in_display_order = state.in_display_order
        recs._spans = dict(state.spans)
        recs._shared_states.restore(state.states)
        recs._shared_themes.restore(state.themes)
        recs._shared_targets.restore(state.targets)
        recs._shared_strings.restore(state.strings)
        return recs

    def replace_texts(self, i: int, text_en: str, khmer: Translation | None) -> None:
        """Replace one recommendation's English and Khmer texts (this snapshot shows these
        from now on, whatever the source says)."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        codes = self._khmer_codes(khmer)
        with self._lock:
            self._replaced[i] = (text_en, khmer.text if khmer else None)
            self._translations[i] = codes
            self._recent.pop(i, None)

    def __len__(self) -> int:
        return self._count

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
        return self._made(i, self._row(i), self._texts(i))

    def many(self, positions: Iterable[int]) -> Iterator[Recommendation]:
        """The recommendations at these positions, in this order, their rows and texts read a
        chunk at a time (a cycle's thousands, a page of results: not one read each)."""
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
        rows = self._rows_at(positions)
        found = self._read(positions, rows, keep=len(positions) <= _KEPT_FROM_MANY)
        return (self._made(i, row, found[i]) for i, row in zip(positions, rows, strict=True))

    def _made(self, i: int, row: tuple[int, ...], texts: tuple[str, str | None]) -> Recommendation:
        """The i-th recommendation, from its row, with these texts."""
        status, translator = self._translations.get(i, (row[STATUS], row[TRANSLATOR]))
        text_en, khmer = texts
        category = row[CATEGORY]
        return Recommendation(
            id=row[ID],
            cycle=row[CYCLE],
            number=RecNumber(*divmod(row[NUMBER], _ITEMS)),
            text_en=text_en,
            states_raw=self._states(row[STATES]),
            response=_RESPONSES[row[RESPONSE]],
            theme_ids=self._shared_themes.values[row[THEMES]],
            # A text the source no longer has (deleted since this snapshot): none shown.
            khmer=None
            if khmer is None or status < 0
            else Translation(khmer, _STATUSES[status], self._shared_strings.values[translator]),
            sdg_targets=self._shared_targets.values[row[TARGETS]],
            action_category=None if category < 0 else category,
            source=self._shared_strings.values[row[SOURCE]],
        )

    def __iter__(self) -> Iterator[Recommendation]:
        return self.many(range(len(self)))

    def _row(self, i: int) -> tuple[int, ...]:
        """The i-th row (the last few read are kept)."""
        with self._lock:
            row = self._kept.get(i)
            if row is not None:
                self._kept.move_to_end(i)
                return row
        if self._adding:
            self._stored()
        row = self._rows.rows([i])[0]
        with self._lock:
            self._kept[i] = row
            if len(self._kept) > _ROWS_KEPT:
                self._kept.popitem(last=False)
        return row

    def _rows_at(self, positions: Sequence[int]) -> list[tuple[int, ...]]:
        """These rows, read together (not kept)."""
        if self._adding:
            self._stored()
        return self._rows.rows(positions) if positions else []

    def _scan(self) -> Iterator[tuple[int, ...]]:
        """Every row, in order, read a chunk at a time."""
        if self._adding:
            self._stored()
        for start in range(0, len(self), _CHUNK):
            yield from self._rows.span(start, min(start + _CHUNK, len(self)))

    def id(self, i: int) -> int:
        """The id of the i-th recommendation."""
        return self._row(i)[ID]

    def cycle(self, i: int) -> int:
        """The cycle of the i-th recommendation."""
        return self._row(i)[CYCLE]

    def number(self, i: int) -> RecNumber:
        """The number of the i-th recommendation."""
        return RecNumber(*divmod(self._row(i)[NUMBER], _ITEMS))

    def filter_values(self) -> Iterator[tuple[Response, tuple[int, ...], tuple[str, ...]]]:
        """Every recommendation's response, themes and States as printed, in order."""
        themes = self._shared_themes.values
        for row in self._scan():
            yield _RESPONSES[row[RESPONSE]], themes[row[THEMES]], self._states(row[STATES])

    def ids(self) -> Iterator[int]:
        """Every recommendation's id, in order."""
        return (row[ID] for row in self._scan())

    def position(self, rec_id: int) -> int | None:
        """The position of the recommendation with this id, if any (the last few asked are
        kept: a card, a round's table asks for the same ones again and again)."""
        with self._lock:
            if rec_id in self._positions:
                self._positions.move_to_end(rec_id)
                return self._positions[rec_id]
        if self._adding:
            self._stored()
        position = self._rows.position_of(rec_id)
        with self._lock:
            self._positions[rec_id] = position
            if len(self._positions) > _ROWS_KEPT:
                self._positions.popitem(last=False)
        return position

    def khmer_text(self, i: int) -> str:
        """The Khmer text of the i-th recommendation, or ''."""
        row = self._row(i)
        khmer = self._read((i,), [row], keep=True)[i][1]
        return (khmer or "") if self._status(i, row) >= 0 else ""

    def _status(self, i: int, row: tuple[int, ...]) -> int:
        return self._translations.get(i, (row[STATUS], 0))[0]

    @property
    def in_display_order(self) -> bool:
        """True if the recommendations came latest cycle first, then by number."""
        return self._in_display_order

    @property
    def spans(self) -> dict[int, tuple[int, int]]:
        """Each cycle's first position and the one after its last (in display order, a cycle
        is all the positions between)."""
        return dict(self._spans)

    @property
    def numbers(self) -> Sequence[int]:
        """Every number as one int (paragraph * 10,000 + item), in order: for bisection (each
        read when asked)."""
        return _Column(self, NUMBER)

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
        rows = self._rows_at(positions)
        found = self._read(positions, rows, keep=False)
        return [
            (found[i][0], (found[i][1] or "") if self._status(i, row) >= 0 else "")
            for i, row in zip(positions, rows, strict=True)
        ]

    def _texts(self, i: int) -> tuple[str, str | None]:
        """The i-th recommendation's English and Khmer texts."""
        return self._read((i,), None, keep=True)[i]

    def _read(
        self, positions: Sequence[int], rows: Sequence[tuple[int, ...]] | None, *, keep: bool
    ) -> dict[int, tuple[str, str | None]]:
        """These recommendations' texts: replaced, held, kept or read from the source (by
        the ids of `rows`, read if not given)."""
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
        if rows is None:
            ids = {i: self._row(i)[ID] for i in wanted}
        else:
            ids = {i: row[ID] for i, row in zip(positions, rows, strict=True)}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            stored = self._source.texts([ids[i] for i in chunk])
            with self._lock:
                for i in chunk:
                    # Not in the source any more (deleted since this snapshot): no text.
                    texts = found[i] = stored.get(ids[i], ("", None))
                    if keep:
                        self._recent[i] = texts
                        self._recent.move_to_end(i)
                        if len(self._recent) > _RECENT:
                            self._recent.popitem(last=False)
        return found


class _Column(Sequence[int]):
    """One column of a snapshot's rows, each value read when asked (bisection reads a few)."""

    def __init__(self, recs: CompactRecommendations, column: int) -> None:
        """Read this column of these recommendations."""
        self._recs = recs
        self._column = column

    def __len__(self) -> int:
        return len(self._recs)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError(index)
        return self._recs._row(i)[self._column]

    def __iter__(self) -> Iterator[int]:
        return (row[self._column] for row in self._recs._scan())
