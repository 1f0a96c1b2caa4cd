"""Loading a cycle from the UN Working Group report: preview, import, later responses, and which
cycle a number without a cycle means. Plain Python: the PDF reader, the catalog import and the
store are injected (bot/services.py wires them)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.catalog import Catalog
from bot.domain.clock import Clock
from bot.domain.importer import ImportReport, RecommendationRow
from bot.domain.model import RecNumber, Recommendation, Response
from bot.domain.numbers import MalformedNumber, NumberRange, extract_cycle, parse_numbers
from bot.domain.report_pdf import Doubt, Report, ReportParagraph, ReportRecommendation, read_report
from bot.domain.text import normalize

DRAFT_TTL = dt.timedelta(hours=24)
REVIEWED_STATE = "Cambodia"  # the State whose recommendations the coalition follows
MAX_CYCLE = 9


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class DraftGone(Exception):
    """The draft was imported, cancelled or expired meanwhile: the import is rolled back."""


class ReportStore(Protocol):
    """Where report drafts, later responses and the current-cycle choice are kept."""

    async def save_draft(
        self, user_id: int, content: str, cycle: int | None, now: dt.datetime, ttl: dt.timedelta
    ) -> int:
        """Keep a previewed report until it expires; its id (never reused)."""
        ...

    async def draft(
        self, draft_id: int, user_id: int, now: dt.datetime
    ) -> tuple[str, int | None] | None:
        """A user's unexpired draft: its content and cycle."""
        ...

    async def set_draft_cycle(self, draft_id: int, user_id: int, cycle: int) -> None:
        """The cycle a coordinator chose for a draft."""
        ...

    async def claim(self, draft_id: int, user_id: int, now: dt.datetime) -> tuple[str, int] | None:
        """Take a draft with its cycle away (None: used, expired, someone else's or no cycle)."""
        ...

    async def record_import(self, actor: int, detail: str, now: dt.datetime) -> None:
        """Audit an imported report."""
        ...

    async def set_responses(
        self,
        cycle: int,
        changes: Sequence[tuple[RecNumber, Response]],
        actor: int,
        detail: str,
        now: dt.datetime,
    ) -> None:
        """Store responses, all or nothing, audited."""
        ...

    async def current_cycle(self) -> int | None:
        """The cycle a coordinator made current, if any."""
        ...

    async def set_current_cycle(self, cycle: int, actor: int, now: dt.datetime) -> None:
        """Make a cycle current, audited."""
        ...


@dataclass(frozen=True)
class Preview:
    """A read report as a coordinator sees it before [Import]."""

    draft: int
    report: Report
    cycle: int | None  # None: the coordinator chooses with buttons
    new: int
    changed: int
    unchanged: int
    kept_responses: int  # responses already in the bot that differ from the report's: kept
    changed_numbers: tuple[str, ...] = ()  # the recommendations whose text or States changed

    @property
    def doubts(self) -> tuple[Doubt, ...]:
        """The report's doubts, and a report about another State."""
        extra: tuple[Doubt, ...] = ()
        if self.report.state and self.report.state != REVIEWED_STATE:
            extra = (
                Doubt(
                    N_("This report is about {state}, not Cambodia."), {"state": self.report.state}
                ),
            )
        return (*extra, *self.report.doubts)


@dataclass(frozen=True)
class Imported:
    """What an [Import] stored."""

    cycle: int
    count: int
    report: ImportReport


class BadResponses(ValueError):
    """A pasted list of responses that cannot be stored: a msgid and its parameters."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.message, self.params = message, params


@dataclass(frozen=True)
class ResponsesSet:
    """What a pasted list of responses changed."""

    cycle: int
    counts: dict[Response, int]
    changed: int


class Reports:
    """The coordinators' way of loading a cycle from its report."""

    def __init__(
        self,
        store: ReportStore,
        clock: Clock,
        catalog: Callable[[], Catalog],
        read_pdf: Callable[[bytes], Awaitable[list[list[str]]]],
        import_rows: Callable[[list[RecommendationRow], int, int], Awaitable[ImportReport]],
        refresh: Callable[[], Awaitable[bool]],
    ) -> None:
        """`import_rows(rows, draft, user)` stores rows as a CSV import does, claiming the
        draft in the same transaction (DraftGone rolls it back); `refresh` rebuilds the
        catalog."""
        self._store, self._clock, self._catalog = store, clock, catalog
        self._read_pdf, self._import_rows, self._refresh = read_pdf, import_rows, refresh

    async def preview(self, user_id: int, data: bytes) -> Preview:
        """Read a report PDF and keep it as a draft (UnreadablePdf, NotAReport when not)."""
        report = read_report(await self._read_pdf(data))
        cycle = report.cycle if report.cycle and report.cycle <= MAX_CYCLE else None
        draft = await self._store.save_draft(
            user_id, to_json(report), cycle, self._clock.now(), DRAFT_TTL
        )
        return self._preview(draft, report, cycle)

    async def choose_cycle(self, user_id: int, draft: int, cycle: int) -> Preview | None:
        """The draft again with the cycle a coordinator chose (None: gone)."""
        found = await self._store.draft(draft, user_id, self._clock.now())
        if found is None or not 1 <= cycle <= MAX_CYCLE:
            return None
        await self._store.set_draft_cycle(draft, user_id, cycle)
        return self._preview(draft, from_json(found[0]), cycle)

    async def cancel(self, user_id: int, draft: int) -> None:
        """Forget a draft."""
        await self._store.claim(draft, user_id, self._clock.now())

    async def import_draft(self, user_id: int, draft: int) -> Imported | None:
        """Store a previewed report, all or nothing (None: already imported, expired, or no
        cycle chosen); searchable at once."""
        found = await self._store.draft(draft, user_id, self._clock.now())
        if found is None or found[1] is None:
            return None
        report, cycle = from_json(found[0]), found[1]
        rows = rows_for(report, cycle, self._catalog())
        try:  # the draft is taken with the rows, all or nothing: after a failure it stays
            stored = await self._import_rows(rows, draft, user_id)
        except DraftGone:  # of two taps on [Import], one imports
            return None
        detail = f"{report.symbol or '?'} → cycle {cycle}: {len(rows)}"
        await self._store.record_import(user_id, detail, self._clock.now())
        await self._refresh()
        return Imported(cycle, len(rows), stored)

    async def set_responses(self, user_id: int, text: str) -> ResponsesSet:
        """Store a pasted list 'c2 accepted: 118.1-118.171; noted: 119.1-119.34' (BadResponses)."""
        catalog = self._catalog()
        cycle, parts = parse_response_list(text, catalog.current_cycle)
        if cycle not in {c.number for c in catalog.cycles}:
            raise BadResponses(
                N_("There is no cycle {cycle}. Nothing was changed."), cycle=str(cycle)
            )
        changes: dict[RecNumber, Response] = {}
        missing: list[str] = []
        for response, ranges in parts:
            found, absent = catalog.in_ranges(cycle, ranges)
            missing += absent
            for rec in found:
                if changes.get(rec.number, response) is not response:
                    raise BadResponses(
                        N_("{number} is given two different responses."), number=str(rec.number)
                    )
                changes[rec.number] = response
        if missing:
            raise BadResponses(
                N_("Not in cycle {cycle}: {numbers}. Nothing was changed."),
                cycle=str(cycle),
                numbers=", ".join(missing[:20]),
            )
        ordered = sorted(changes.items())
        changed = 0
        for number, response in ordered:
            stored = catalog.get(cycle, number)
            changed += stored is not None and stored.response is not response
        given = [response for _, response in ordered]
        counts = {r: given.count(r) for r in Response if r in given}
        detail = f"cycle {cycle}: " + ", ".join(f"{r.value} {c}" for r, c in counts.items())
        await self._store.set_responses(cycle, ordered, user_id, detail, self._clock.now())
        await self._refresh()
        return ResponsesSet(cycle, counts, changed)

    async def current_cycle(self) -> int | None:
        """The cycle a coordinator chose as current (None: the setting's default)."""
        return await self._store.current_cycle()

    async def set_current_cycle(self, user_id: int, cycle: int) -> bool:
        """Make a cycle with recommendations current; False when it has none."""
        if cycle not in self._catalog().counts_by_cycle():
            return False
        await self._store.set_current_cycle(cycle, user_id, self._clock.now())
        await self._refresh()
        return True

    def _preview(self, draft: int, report: Report, cycle: int | None) -> Preview:
        new = unchanged = kept = 0
        changed: list[str] = []
        catalog = self._catalog()
        for rec in report.recommendations:
            stored = catalog.get(cycle, rec.number) if cycle else None
            if stored is None:
                new += 1
                continue
            same = stored.text_en == rec.text and stored.states_raw == rec.states
            unchanged += same
            changed += [] if same else [str(rec.number)]
            kept += _keeps(stored, rec)
        return Preview(draft, report, cycle, new, len(changed), unchanged, kept, tuple(changed))


def _keeps(stored: Recommendation, rec: ReportRecommendation) -> bool:
    """A response already in the bot (not pending) is kept over the report's, when they
    differ."""
    return stored.response is not Response.PENDING and stored.response is not rec.response


def rows_for(report: Report, cycle: int, catalog: Catalog) -> list[RecommendationRow]:
    """The rows to import: the report's texts and States; a response, SDG targets, category
    and source already stored are kept (a later decision outranks the report's)."""
    rows = []
    for line, rec in enumerate(report.recommendations, start=1):
        stored = catalog.get(cycle, rec.number)
        source = f"{report.symbol} para. {rec.number.paragraph}".strip()
        rows.append(
            RecommendationRow(
                line=line,
                cycle=cycle,
                number=rec.number,
                text_en=rec.text,
                states=rec.states,
                response=stored.response if stored and _keeps(stored, rec) else rec.response,
                sdg_targets=stored.sdg_targets if stored else (),
                action_category=stored.action_category if stored else None,
                source=stored.source if stored and stored.source else source,
            )
        )
    return rows


# --- pasted responses ------------------------------------------------------------------------

_WORDS = {
    Response.ACCEPTED: ("accepted", "supported", "accept", "ទទួលយក", "គាំទ្រ"),
    Response.NOTED: ("noted", "note", "កត់សម្គាល់"),
    Response.REJECTED: ("rejected", "reject", "បដិសេធ"),
    Response.PENDING: ("pending", "កំពុងរង់ចាំ", "រង់ចាំ"),
}
_WORD = re.compile(
    "("
    + "|".join(sorted((w for words in _WORDS.values() for w in words), key=len, reverse=True))
    + r")\s*[:៖]?"
)


_SHAPED = re.compile(r"(?:(?:c|cycle|វដ្ត|ជុំទី)\s*\d+\s*)?" + _WORD.pattern.removesuffix("?"))


def looks_like_responses(text: str) -> bool:
    """A message shaped like a list of responses: a response word and a colon first
    ('accepted: 118.1-118.171; noted: …', 'c2 ទទួលយក៖ …'), a cycle before it allowed."""
    return _SHAPED.match(normalize(text).strip()) is not None


def parse_response_list(
    text: str, default_cycle: int | None
) -> tuple[int, list[tuple[Response, tuple[NumberRange, ...]]]]:
    """'c2 accepted: 118.1-118.171, 118.180; noted: 119.1-119.34' (Khmer words and digits too)
    as the cycle and (response, ranges) parts; BadResponses when it cannot be read whole."""
    normalized = normalize(text)
    try:
        cycle, rest = extract_cycle(normalized)
    except ValueError:
        raise BadResponses(N_("Name one cycle only.")) from None
    if cycle is None:
        cycle = default_cycle
    if cycle is None:
        raise BadResponses(N_("Say which cycle, e.g. c2."))
    marks = list(_WORD.finditer(rest))
    if not marks:
        raise BadResponses(
            N_(
                "Write a response before its numbers, e.g. accepted: 118.1-118.171; noted: 119.1-119.34"
            )
        )
    if rest[: marks[0].start()].strip(" ,;.:"):
        raise BadResponses(
            N_("I could not read “{words}”."), words=rest[: marks[0].start()].strip()[:60]
        )
    parts = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(rest)
        chunk = rest[mark.end() : end].strip(" ,;.")
        response = next(r for r, words in _WORDS.items() if mark.group(1) in words)
        try:
            query = parse_numbers(chunk) if chunk else None
        except MalformedNumber:
            query = None
        if query is None or re.sub(r"[\d.\s,;\-–~]|to|ដល់", "", chunk):
            raise BadResponses(
                N_("I could not read “{words}”."), words=chunk[:60] or mark.group(1)
            )
        parts.append((response, query.ranges))
    return cycle, parts


# --- drafts as JSON --------------------------------------------------------------------------


def to_json(report: Report) -> str:
    """A report as JSON for its draft (the UN's public text; nobody's message)."""
    return json.dumps(
        {
            "symbol": report.symbol,
            "state": report.state,
            "session": report.session,
            "cycle": report.cycle,
            "recs": [
                [
                    r.number.paragraph,
                    r.number.item,
                    r.text,
                    list(r.states),
                    r.response.value,
                    r.printed,
                ]
                for r in report.recommendations
            ],
            "paragraphs": [[p.number, p.response.value, p.count] for p in report.paragraphs],
            "doubts": [[d.message, d.params] for d in report.doubts],
        },
        ensure_ascii=False,
    )


def from_json(content: str) -> Report:
    """The report a draft keeps."""
    data = json.loads(content)
    return Report(
        symbol=data["symbol"],
        state=data["state"],
        session=data["session"],
        cycle=data["cycle"],
        recommendations=tuple(
            ReportRecommendation(RecNumber(p, i), text, tuple(states), Response(resp), printed)
            for p, i, text, states, resp, printed in data["recs"]
        ),
        paragraphs=tuple(ReportParagraph(n, Response(r), c) for n, r, c in data["paragraphs"]),
        doubts=tuple(Doubt(m, dict(params)) for m, params in data["doubts"]),
    )
