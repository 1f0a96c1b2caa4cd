"""The results tables come from SQL aggregates (counts by recommendation and by working group)
and one read of what the tables show: on random rounds, open and frozen, they equal the
straightforward computation from every rating, as the tables were built before."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.assessment import Colour, Distribution, Overall, overall
from bot.domain.i18n import Localizer
from bot.domain.rounds import ResultRow, reasons_cell, reasons_form
from bot.services import Services
from bot.settings import Settings
from storage.migrations import REASON_TRIGGERS, SPACES
from tests.conftest import COORDINATOR_ID, FakeClock, Words

NAMES = [
    "adhoc",
    "Bravo",
    "CCHR",
    "ＤＰ",
    "Éclat",
    "licadho",
    "ADHOC2",
    "ngo forum",
    "Ｚed",
    "ក្រុម",
]
REASONS = ["", "", "No law yet.", "Draft in consultation.", "=1+1", "Cut at a space ", "\u3000"]
# One rating: (recommendation, organisation id, its short name or None once erased, colour,
# reason, the working groups it counts in).
Rated = tuple[int, int, str | None, Colour, str, frozenset[int]]


def expected(
    items: list[int], ratings: list[Rated], named: bool, min_ratings: int
) -> dict[int, tuple[Distribution, Overall, tuple[tuple[str | None, Colour, str], ...]]]:
    """Each recommendation's counts, colour and reasons, computed from every rating: names
    alphabetically (case aside, erased last) for coordinators, else by organisation."""
    table = {}
    for rec in items:
        # By organisation, an erased one's (no organisation any more) first, as SQL sorts NULL.
        mine = sorted(
            (r for r in ratings if r[0] == rec), key=lambda r: -1 if r[2] is None else r[1]
        )
        if named:
            mine.sort(key=lambda r: (r[2] is None, (r[2] or "").casefold()))
        dist = Distribution.of(r[3] for r in mine)
        shown = tuple((r[2] if named else None, r[3], r[4]) for r in mine)
        table[rec] = (dist, overall(dist, min_ratings), shown)
    return table


def as_table(
    rows: list[ResultRow],
) -> dict[int, tuple[Distribution, Overall, tuple[tuple[str | None, Colour, str], ...]]]:
    return {r.recommendation.id: (r.distribution, r.overall, r.reasons) for r in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_rounds_tables_equal_the_computation_from_every_rating(
    coordinated: Services, clock: FakeClock, seed: int
) -> None:
    services = coordinated
    rng = random.Random(seed)
    coalition, assessments = services.coalition, services.assessments
    repo = assessments.repository
    groups = await coalition.working_groups()
    orgs: dict[int, str] = {}
    member_of: dict[int, set[int]] = {}
    for name in NAMES:
        org = (await coalition.add_organisation(COORDINATOR_ID, name, name)).organisation.id
        orgs[org] = name
        member_of[org] = set(rng.sample([g.id for g in groups], rng.randint(0, 3)))
        for group_id in member_of[org]:
            await coalition.toggle_group(COORDINATOR_ID, org, group_id)
    cycle2 = [r.id for r in services.catalog.recommendations if r.cycle == 2]
    items = sorted(rng.sample(cycle2, 40))
    numbers = ", ".join(str(services.catalog.by_id[i].number) for i in items)
    round_id = await repo.open_round(
        "R", 2, f"c2 {numbers}", items, None, actor=COORDINATOR_ID, now=clock.now()
    )
    colours = list(Colour)
    for org in orgs:
        for rec in rng.sample(items, rng.randint(0, len(items))):
            await repo.rate(round_id, rec, org, rng.choice(colours), clock.now())
            if reason := rng.choice(REASONS):
                await repo.set_reason(round_id, rec, org, reason, clock.now())
    listed = {g.id: await repo.group_items(round_id, g.id) for g in groups}

    async def check(ratings: list[Rated]) -> None:
        minimum = assessments.min_ratings
        for named in (True, False):
            _, rows, by_group = await assessments.group_tables(
                COORDINATOR_ID, round_id, services.catalog, groups, private=named
            )
            assert as_table(rows) == expected(items, ratings, named, minimum)
            coalition_colour = {r.recommendation.id: r.overall for r in rows}
            for g in groups:
                own = [r for r in ratings if g.id in r[5]]
                mine = [i for i in items if i in listed[g.id]]
                assert as_table(by_group[g.id]) == expected(mine, own, named, minimum)
                assert [r.coalition for r in by_group[g.id]] == [
                    coalition_colour[r.recommendation.id] for r in by_group[g.id]
                ]
                _, one = await assessments.results(
                    COORDINATOR_ID, round_id, services.catalog, private=named, group_id=g.id
                )
                assert one == by_group[g.id]
        await check_cells()
        panel = await assessments.panel(COORDINATOR_ID, round_id)
        assert panel is not None
        assert panel.ratings == len(ratings)
        colours = [c for _, c, _ in expected(items, ratings, False, minimum).values()]
        assert panel.not_enough == colours.count(Overall.NOT_ENOUGH)

    async def check_cells() -> None:
        """The reasons cells the database writes equal those written from every rating shown,
        order included, in both languages; the rest of each row is the same."""
        # English, Khmer, and a language that writes the name after what was said.
        after = Localizer("xx", Words({"{label}: {value}": "«{value}» — {label}.", "; ": " · "}))
        readers = [services.translations.localizer(lang) for lang in ("en", "km")] + [after]
        for l10n in readers:
            form = reasons_form(l10n)
            for named in (True, False):
                tables = [
                    await assessments.group_tables(
                        COORDINATOR_ID, round_id, services.catalog, groups, private=named, form=f
                    )
                    for f in (None, form)
                ]
                (_, plain, plain_groups), (_, cells, cell_groups) = tables
                pairs = [(plain, cells)] + [
                    (plain_groups[g.id], cell_groups[g.id]) for g in groups
                ]
                for want, got in pairs:
                    assert [r.cell is not None for r in got] == [True] * len(want)
                    assert [reasons_cell(l10n, r) for r in got] == [
                        reasons_cell(l10n, r) for r in want
                    ]
                    assert [replace(r, cell=None) for r in got] == [
                        replace(r, reasons=()) for r in want
                    ]
                only_groups = await repo.tables(
                    round_id, form, named, [g.id for g in groups], True
                )
                assert 0 not in only_groups.cells  # the coalition's not written when unwanted
                counts_only = await repo.tables(round_id, None, named, [0], False)
                assert (counts_only.cells, counts_only.group_distributions) == ({}, {})
                for g in groups:
                    _, one = await assessments.results(
                        COORDINATOR_ID,
                        round_id,
                        services.catalog,
                        private=named,
                        group_id=g.id,
                        form=form,
                    )
                    assert one == cell_groups[g.id]
                    _, bare = await assessments.results(  # colours and counts only
                        COORDINATOR_ID,
                        round_id,
                        services.catalog,
                        private=named,
                        group_id=g.id,
                        reasons=False,
                    )
                    assert bare == [replace(r, reasons=()) for r in plain_groups[g.id]]

    def everything() -> list[Rated]:
        return [
            (rec, org, orgs.get(org), rating.colour, rating.reason, frozenset(member_of[org]))
            for org in list(orgs) + list(erased)
            for rec, rating in own[org].items()
        ]

    erased: dict[int, str] = {}
    own = {org: await repo.own(round_id, org) for org in orgs}
    await check(everything())  # open: today's members

    await assessments.set_open(COORDINATOR_ID, round_id, False)
    at_close = everything()
    # After the close: memberships change and an organisation is erased; the tables do not.
    gone = rng.choice(list(orgs))
    erased[gone] = orgs.pop(gone)
    await coalition.erase(COORDINATOR_ID, gone)
    moved = rng.choice(list(orgs))
    await coalition.toggle_group(COORDINATOR_ID, moved, groups[0].id)
    await check([(r[0], r[1], r[2] if r[1] != gone else None, *r[3:]) for r in at_close])


def test_migration_38_trims_what_python_strips() -> None:
    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == SPACES


async def test_reasons_stored_by_an_older_bot_lose_the_whitespace_they_end_with(
    db_path: Path, clock: FakeClock
) -> None:
    """Reasons stored before schema 38 (by hand, or by an older bot) may end in whitespace:
    migration 38 trims it, as the bot trims what it stores since, and the cells the database
    writes (which add no trimming of their own) are again those Python writes."""
    settings = Settings(
        token="x", database_path=db_path, coordinator_ids=frozenset({COORDINATOR_ID})
    )
    services = await Services.start(settings, clock)
    repo = services.assessments.repository
    recs = [r.id for r in services.catalog.recommendations if r.cycle == 2][:2]
    round_id = await repo.open_round(
        "R", 2, "c2", recs, None, actor=COORDINATOR_ID, now=clock.now()
    )
    for name in ("adhoc", "Bravo"):
        org = (await services.coalition.add_organisation(COORDINATOR_ID, name, name)).organisation
        for rec in recs:
            await repo.rate(round_id, rec, org.id, Colour.RED, clock.now())
            await repo.set_reason(round_id, rec, org.id, f" {name} says \u3000", clock.now())
    stored = {r.reason for r in await repo.ratings(round_id)}
    assert stored == {" adhoc says", " Bravo says"}  # what the bot stores: the end trimmed
    await services.close()
    with sqlite3.connect(db_path) as by_hand:  # as an older bot left it
        for name in REASON_TRIGGERS:
            by_hand.execute(f"DROP TRIGGER {name}")
        by_hand.execute("UPDATE ratings SET reason = reason || ?", (SPACES,))
        by_hand.execute("DROP INDEX ratings_colours")
        by_hand.execute("PRAGMA user_version = 37")
    services = await Services.start(settings, clock)
    try:
        repo = services.assessments.repository
        assert {r.reason for r in await repo.ratings(round_id)} == stored
        with sqlite3.connect(db_path) as by_hand:  # edited by hand since: trimmed all the same
            by_hand.execute("UPDATE ratings SET reason = reason || ?", (SPACES,))
            (organisation,) = by_hand.execute(
                "SELECT MIN(organisation_id) FROM ratings"
            ).fetchone()
            by_hand.execute("DELETE FROM ratings WHERE organisation_id = ?", (organisation,))
            by_hand.execute(
                "INSERT INTO ratings (round_id, recommendation_id, organisation_id, colour, "
                "reason, updated_at) SELECT ?, recommendation_id, ?, 'red', ' ' || name || ' says' "
                "|| ?, '2026-12-02' FROM round_items, organisations WHERE round_id = ? AND id = ?",
                (round_id, organisation, SPACES, round_id, organisation),
            )
        assert {r.reason for r in await repo.ratings(round_id)} == stored
        l10n = services.translations.localizer("en")
        tables = [
            await services.assessments.group_tables(
                COORDINATOR_ID, round_id, services.catalog, [], form=form
            )
            for form in (None, reasons_form(l10n))
        ]
        (_, plain, _), (_, cells, _) = tables
        written = [reasons_cell(l10n, row) for row in cells]
        assert written == [reasons_cell(l10n, row) for row in plain]
        assert written[0] == "adhoc: 🔴  adhoc says; Bravo: 🔴  Bravo says"
    finally:
        await services.close()


async def test_a_reasons_trigger_dropped_by_hand_is_made_again_at_the_next_start(
    db_path: Path, clock: FakeClock
) -> None:
    """Reasons written by hand while a trimming trigger was dropped are trimmed at the next
    start, and the trigger is back (the cells rely on it)."""
    settings = Settings(
        token="x", database_path=db_path, coordinator_ids=frozenset({COORDINATOR_ID})
    )
    services = await Services.start(settings, clock)
    try:
        repo = services.assessments.repository
        rec = next(r.id for r in services.catalog.recommendations if r.cycle == 2)
        round_id = await repo.open_round(
            "R", 2, "c2", [rec], None, actor=COORDINATOR_ID, now=clock.now()
        )
        coalition = services.coalition
        org = (await coalition.add_organisation(COORDINATOR_ID, "adhoc", "adhoc")).organisation
        await repo.rate(round_id, rec, org.id, Colour.RED, clock.now())
    finally:
        await services.close()
    with sqlite3.connect(db_path) as by_hand:
        by_hand.execute("DROP TRIGGER ratings_update_trimmed")
        by_hand.execute("UPDATE ratings SET reason = 'No law yet.' || ?", (SPACES,))
    services = await Services.start(settings, clock)
    try:
        ratings = await services.assessments.repository.ratings(round_id)
        assert [r.reason for r in ratings] == ["No law yet."]
    finally:
        await services.close()
    with sqlite3.connect(db_path) as by_hand:
        triggers = {r[0] for r in by_hand.execute("SELECT name FROM sqlite_master")}
    assert triggers >= set(REASON_TRIGGERS)


async def test_a_rating_whose_organisation_row_is_gone_is_shown_as_an_erased_ones(
    coordinated: Services, clock: FakeClock
) -> None:
    """An operator deletes an organisation's row by hand (sqlite3, foreign keys off): its
    ratings still count, and the database's cells show them as Python does, without a name,
    as an erased organisation's."""
    services = coordinated
    repo = services.assessments.repository
    recs = [r.id for r in services.catalog.recommendations if r.cycle == 2][:2]
    round_id = await repo.open_round(
        "R", 2, "c2", recs, None, actor=COORDINATOR_ID, now=clock.now()
    )
    orgs = []
    for name in ("Zed", "adhoc", "Bravo"):
        org = (await services.coalition.add_organisation(COORDINATOR_ID, name, name)).organisation
        orgs.append(org.id)
        for rec in recs:
            await repo.rate(round_id, rec, org.id, Colour.RED, clock.now())
            await repo.set_reason(round_id, rec, org.id, f"{name} says", clock.now())
    path = services.database.path
    assert path is not None
    with sqlite3.connect(path) as by_hand:  # the command-line default: foreign keys off
        by_hand.execute("DELETE FROM organisations WHERE id = ?", (orgs[0],))
    for language in ("en", "km"):
        l10n = services.translations.localizer(language)
        for named in (True, False):
            tables = [
                await services.assessments.group_tables(
                    COORDINATOR_ID, round_id, services.catalog, [], private=named, form=form
                )
                for form in (None, reasons_form(l10n))
            ]
            (_, plain, _), (_, cells, _) = tables
            written = [reasons_cell(l10n, row) for row in cells]
            assert written == [reasons_cell(l10n, row) for row in plain]
            assert all("Zed says" in cell for cell in written)  # shown, without its name
            assert not any("Zed:" in cell or "Zed៖" in cell for cell in written)
