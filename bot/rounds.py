"""Assessment rounds as members and coordinators use them: open, rate, close, publish, export."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.assessment import Colour, Distribution, Overall, change, overall
from bot.catalog import Catalog, SearchRequest
from bot.clock import Clock
from bot.coalition import Coalition
from bot.i18n import Localizer
from bot.importer import N_
from bot.membership import NotAllowed, Role, WorkingGroup
from bot.model import Recommendation, Response, Theme
from bot.numbers import parse_numbers
from storage.assessment import AssessmentRepository, Round

_UNTIL = re.compile(r"\buntil\s+(\d{4}-\d{2}-\d{2})\b")


class BadScope(ValueError):
    """The round's scope or name cannot be read; the message is a gettext msgid."""


@dataclass(frozen=True)
class Scope:
    """Which recommendations a round covers."""

    cycle: int
    recommendation_ids: tuple[int, ...]
    description: str
    closes_at: dt.datetime | None


def parse_scope(text: str, catalog: Catalog, tz: dt.tzinfo) -> Scope:
    """Read 'c2 accepted land 118.1-118.50 until 2026-12-31' into the recommendations it means."""
    words = text.strip()
    closes_at = None
    until = _UNTIL.search(words)
    if until:
        day = dt.date.fromisoformat(until.group(1))
        closes_at = dt.datetime.combine(day, dt.time(23, 59), tz).astimezone(dt.UTC)
        words = _UNTIL.sub(" ", words)
    numbers = parse_numbers(words) if re.search(r"\d+\.\d+", words) else None
    cycle_match = re.search(r"\bc(\d{1,2})\b", words.lower())
    cycle = int(cycle_match.group(1)) if cycle_match else (numbers.cycle if numbers else None)
    cycle = cycle or catalog.current_cycle
    if cycle is None:
        raise BadScope(N_("No recommendations are loaded yet."))
    lowered = words.lower()
    response = (
        Response.ACCEPTED
        if "accepted" in lowered
        else Response.NOTED
        if "noted" in lowered
        else None
    )
    slugs = {t.slug: t for t in catalog.themes}
    themes = [slugs[w] for w in re.findall(r"[a-z][a-z-]+", lowered) if w in slugs]
    pool: list[Recommendation] = []
    if themes:
        for theme in themes:
            found = catalog.search(
                SearchRequest(cycle=cycle, theme_id=theme.id, response=response)
            )
            pool += [r for r in found.recommendations if r not in pool]
    else:
        pool = list(catalog.search(SearchRequest(cycle=cycle, response=response)).recommendations)
    if numbers is not None:
        pool = [r for r in pool if any(rng.start <= r.number <= rng.end for rng in numbers.ranges)]
    if not pool:
        raise BadScope(N_("No recommendation matches that scope."))
    pool.sort(key=lambda r: r.number)
    return Scope(cycle, tuple(r.id for r in pool), " ".join(words.split()), closes_at)


@dataclass(frozen=True)
class ResultRow:
    """One line of the published table."""

    recommendation: Recommendation
    distribution: Distribution
    overall: Overall
    reasons: tuple[tuple[str | None, Colour, str], ...]  # (organisation or None, colour, reason)


class Assessments:
    """Rounds and ratings, with the role checks each action needs."""

    def __init__(
        self,
        repository: AssessmentRepository,
        coalition: Coalition,
        clock: Clock,
        min_ratings: int,
    ) -> None:
        """Wire storage, membership and the clock."""
        self.repository = repository
        self.coalition = coalition
        self.clock = clock
        self.min_ratings = min_ratings

    async def open_round(self, actor: int, name: str, scope: Scope) -> int:
        """Open a round (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        return await self.repository.open_round(
            name,
            scope.cycle,
            scope.description,
            scope.recommendation_ids,
            scope.closes_at,
            actor=actor,
            now=self.clock.now(),
        )

    async def set_open(self, actor: int, round_id: int, is_open: bool) -> None:
        """Close or reopen (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        await self.repository.set_open(round_id, is_open, actor=actor, now=self.clock.now())

    async def publish(self, actor: int, round_id: int) -> bool:
        """Publish a closed round (coordinators only)."""
        await self.coalition.require_coordinator(actor)
        return await self.repository.publish(round_id, actor=actor, now=self.clock.now())

    async def rater(self, user_id: int) -> tuple[int, str]:
        """The organisation a user rates for; NotAllowed for guests and inactive organisations."""
        person = await self.coalition.person(user_id)
        if person is None or person.organisation_id is None or not person.organisation_active:
            raise NotAllowed
        return person.organisation_id, person.organisation_short_name

    async def rate(
        self, user_id: int, round_id: int, rec_id: int, colour: Colour
    ) -> tuple[bool, str]:
        """Record the user's organisation's rating; (was it new, organisation short name)."""
        org_id, short = await self.rater(user_id)
        new = await self.repository.rate(round_id, rec_id, org_id, colour, self.clock.now())
        return new, short

    async def set_reason(self, user_id: int, round_id: int, rec_id: int, reason: str) -> None:
        """Attach a reason to the user's organisation's rating."""
        org_id, _ = await self.rater(user_id)
        await self.repository.set_reason(round_id, rec_id, org_id, reason[:500], self.clock.now())

    async def current_round(self) -> Round | None:
        """The newest open round."""
        return next((r for r in await self.repository.rounds() if r.open), None)

    async def next_unrated(self, user_id: int, round_id: int, skipped: set[int]) -> int | None:
        """The next recommendation the user's organisation has not rated (nor skipped)."""
        org_id, _ = await self.rater(user_id)
        done = await self.repository.own(round_id, org_id)
        return next(
            (
                r
                for r in await self.repository.items(round_id)
                if r not in done and r not in skipped
            ),
            None,
        )

    async def may_see_results(self, user_id: int, round_: Round) -> bool:
        """Coordinators always; members once a closed round is published; guests never."""
        role = await self.coalition.role(user_id)
        if role is Role.COORDINATOR:
            return True
        return role is Role.MEMBER and round_.published and not round_.open

    async def results(
        self, user_id: int, round_id: int, catalog: Catalog, *, private: bool = True
    ) -> tuple[Round, list[ResultRow]]:
        """The round's table rows; organisation names only for coordinators."""
        round_ = await self.repository.round(round_id)
        if round_ is None or not await self.may_see_results(user_id, round_):
            raise NotAllowed
        # Who said what only for a coordinator in a private chat: never into a group.
        named = private and await self.coalition.role(user_id) is Role.COORDINATOR
        reasons: dict[int, list[tuple[str | None, Colour, str]]] = {}
        colours: dict[int, list[Colour]] = {}
        for rating in await self.repository.ratings(round_id):
            colours.setdefault(rating.recommendation_id, []).append(rating.colour)
            reasons.setdefault(rating.recommendation_id, []).append(
                (rating.organisation if named else None, rating.colour, rating.reason)
            )
        dists = {rec_id: Distribution.of(found) for rec_id, found in colours.items()}
        if named:  # who said what, alphabetically; erased organisations (None) last
            for found in reasons.values():
                found.sort(key=lambda entry: (entry[0] is None, (entry[0] or "").casefold()))
        rows = []
        for rec_id in await self.repository.items(round_id):
            rec = catalog.by_id.get(rec_id)
            if rec is None:
                continue
            dist = dists.get(rec_id, Distribution())
            rows.append(
                ResultRow(
                    rec, dist, overall(dist, self.min_ratings), tuple(reasons.get(rec_id, ()))
                )
            )
        rows.sort(key=lambda row: row.recommendation.number)
        return round_, rows

    async def compare(
        self, user_id: int, first: int, second: int, catalog: Catalog
    ) -> list[tuple[Recommendation, Overall, Overall, int]]:
        """Recommendations whose colour changed between two rounds (+1 progressed, -1 regressed)."""
        _, before = await self.results(user_id, first, catalog)
        _, after = await self.results(user_id, second, catalog)
        old = {row.recommendation.id: row.overall for row in before}
        changes = []
        for row in after:
            if row.recommendation.id in old:
                moved = change(old[row.recommendation.id], row.overall)
                if moved:
                    changes.append(
                        (row.recommendation, old[row.recommendation.id], row.overall, moved)
                    )
        return changes

    async def latest(self, rec_id: int) -> tuple[Round, Overall, Distribution] | None:
        """The latest published colour of a recommendation, for its card."""
        found = await self.repository.latest_published(rec_id)
        if found is None:
            return None
        round_, dist = found
        return round_, overall(dist, self.min_ratings), dist


def reasons_cell(row: ResultRow) -> str:
    """'ADHOC: 🔴 No law yet.; CCHR: 🟠' (coordinators) or '🔴 No law yet.' (members)."""
    return "; ".join(
        (f"{org}: " if org else "") + f"{colour.emoji} {reason}".strip()
        for org, colour, reason in row.reasons
        if reason or org
    )


def export_rows(
    l10n: Localizer,
    catalog: Catalog,
    rows: list[ResultRow],
    groups: list[WorkingGroup] | list[Theme],
    colour_label: Callable[[Localizer, Overall], str],
) -> list[list[str]]:
    """The coalition's table, one block per working group (or per theme):
    Working group | Recommendation (number – text (State)) | Colour | Reason(s) | counts."""
    by_theme = bool(groups) and isinstance(groups[0], Theme)
    header = [
        l10n.gettext("Theme") if by_theme else l10n.gettext("Working group"),
        l10n.gettext("Recommendation (number – text (State))"),
        l10n.gettext("Colour"),
        l10n.gettext("Reason(s)"),
        *(c.emoji for c in Colour),
    ]
    cells = {}  # each recommendation's cells are built once, whatever the number of groups
    for row in rows:
        rec = row.recommendation
        states = ", ".join(s.name(l10n.language) for s in catalog.states_of(rec))
        text = rec.khmer.text if (l10n.language == "km" and rec.khmer) else rec.text_en
        d = row.distribution
        cells[rec.id] = [
            f"{rec.number} – {text}" + ("" if rec.is_compound else f" ({states})"),
            colour_label(l10n, row.overall),
            reasons_cell(row),
            *(str(d.count(c)) for c in Colour),
        ]
    table_rows = [header]
    for group in groups:
        themes = {group.id} if isinstance(group, Theme) else set(group.theme_ids)
        name = group.name(l10n.language)
        table_rows += [
            [name, *cells[row.recommendation.id]]
            for row in rows
            if themes.intersection(row.recommendation.theme_ids)
        ]
    return table_rows


def summary_by_theme(
    catalog: Catalog, rows: list[ResultRow]
) -> list[tuple[Theme, dict[Overall, int]]]:
    """The one-glance summary: how many recommendations of each theme got each colour."""
    summary = []
    for theme in catalog.themes:
        counts = dict.fromkeys(Overall, 0)
        for row in rows:
            if theme.id in row.recommendation.theme_ids:
                counts[row.overall] += 1
        if any(counts.values()):
            summary.append((theme, counts))
    return summary


Change = tuple[Recommendation, Overall, Overall, int]


def changes_by_theme(catalog: Catalog, changes: list[Change]) -> list[tuple[Theme, list[Change]]]:
    """Progressions and regressions grouped by theme (a recommendation may be in several)."""
    grouped = []
    for theme in catalog.themes:
        found = [c for c in changes if theme.id in c[0].theme_ids]
        if found:
            grouped.append((theme, found))
    return grouped
