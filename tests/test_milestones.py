"""The cycles' milestones: the shipped table, how its dates read, coordinators' corrections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.domain import bundled
from bot.domain.audit import AuditAction
from bot.domain.membership import NotAllowed
from bot.domain.milestones import (
    BadMilestoneDate,
    Milestone,
    MilestoneDate,
    MilestoneTable,
    Precision,
    read_milestones,
)
from bot.services import Services
from tests.conftest import FakeClock

BOSS, GUEST = 1, 5
D = dt.date


def test_the_shipped_table_has_every_cycle_and_the_domain_dates() -> None:
    table = {(e.cycle, e.milestone): e for e in read_milestones(bundled.MILESTONES_FILE)}
    assert {cycle for cycle, _ in table} == {1, 2, 3, 4}
    assert all(entry.note for entry in table.values())  # each says where it comes from
    review = table[(4, Milestone.REVIEW)].date
    assert review == MilestoneDate(
        D(2024, 5, 8), D(2024, 5, 8), Precision.DAY, False, "2024-05-08"
    )
    assert table[(3, Milestone.ADOPTION)].date == MilestoneDate.parse("2019-07-05")
    mid_term = table[(4, Milestone.MID_TERM)].date
    assert mid_term is not None
    assert (mid_term.earliest, mid_term.latest, mid_term.around) == (
        D(2026, 1, 1),
        D(2026, 12, 31),
        True,
    )
    next_review = table[(4, Milestone.NEXT_REVIEW)].date
    assert next_review is not None
    assert (next_review.earliest, next_review.latest) == (D(2028, 1, 1), D(2029, 12, 31))
    assert (1, Milestone.MID_TERM) not in table  # cycle 1 had none


def test_each_cycles_milestones_come_in_order() -> None:
    table = {(e.cycle, e.milestone): e.date for e in read_milestones(bundled.MILESTONES_FILE)}
    for cycle in (1, 2, 3, 4):
        dates = [table[(cycle, m)] for m in Milestone if (cycle, m) in table]
        starts = [d.earliest for d in dates if d is not None]
        assert starts == sorted(starts), cycle
    # the next review of one cycle is the review of the next
    for cycle in (1, 2, 3):
        assert table[(cycle, Milestone.NEXT_REVIEW)] == table[(cycle + 1, Milestone.REVIEW)]


def test_the_data_readme_gives_the_milestones_provenance() -> None:
    readme = (bundled.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "`milestones.csv`" in readme


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision", "canonical"),
    [
        ("2024-05-08", D(2024, 5, 8), D(2024, 5, 8), Precision.DAY, "2024-05-08"),
        ("2010-3", D(2010, 3, 1), D(2010, 3, 31), Precision.MONTH, "2010-03"),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), Precision.MONTH, "2024-02"),
        ("២០២៦", D(2026, 1, 1), D(2026, 12, 31), Precision.YEAR, "2026"),
        (" 2028/2029 ", D(2028, 1, 1), D(2029, 12, 31), Precision.YEAR, "2028/2029"),
        ("2024-09/2024-11", D(2024, 9, 1), D(2024, 11, 30), Precision.MONTH, "2024-09/2024-11"),
        ("2017-06-29/2017-06-30", D(2017, 6, 29), D(2017, 6, 30), Precision.DAY, None),
    ],
)
def test_milestone_dates_read_with_their_precision(
    text: str, earliest: dt.date, latest: dt.date, precision: Precision, canonical: str | None
) -> None:
    date = MilestoneDate.parse(text)
    assert (date.earliest, date.latest, date.precision) == (earliest, latest, precision)
    assert str(date) == (canonical or text)
    assert MilestoneDate.parse(str(date)) == date  # the stored form reads back the same


@pytest.mark.parametrize(
    "text", ["", "May 2024", "2024-13", "2024-02-30", "2029/2028", "2028/2029-01", "24-05-08"]
)
def test_unreadable_milestone_dates_are_refused(text: str) -> None:
    with pytest.raises(BadMilestoneDate):
        MilestoneDate.parse(text)


def test_a_bad_row_in_the_shipped_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "milestones.csv"
    path.write_text(
        "cycle,milestone,date,around,note\n4,review,2024-05-08,,ok\n4,midterm,2026,yes,typo\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="line 3"):
        read_milestones(path)


async def test_a_coordinators_correction_wins_and_survives_a_restart(
    services: Services, clock: FakeClock, db_path: Path
) -> None:
    await services.coalition.repository.seed_coordinators([BOSS], "en")
    before = (await services.milestones.table()).of(4)
    assert before.date(Milestone.ADOPTION) == MilestoneDate.parse("2024-09/2024-11")

    await services.milestones.correct(
        BOSS, 4, Milestone.ADOPTION, "2024-10-08", note="  Adopted at\nHRC57 "
    )
    await services.milestones.correct(BOSS, 4, Milestone.MID_TERM, "2026-06", around=True)
    await services.milestones.correct(BOSS, 5, Milestone.REVIEW, "2029", around=True)
    await services.close()

    restarted = await Services.start(services.settings, clock)
    try:
        table = await restarted.milestones.table()
        adoption = table.of(4).entries[Milestone.ADOPTION]
        assert adoption.date == MilestoneDate.parse("2024-10-08")
        assert (adoption.note, adoption.corrected_by, adoption.corrected_at) == (
            "Adopted at HRC57",
            BOSS,
            clock.now(),
        )
        assert table.of(4).date(Milestone.MID_TERM) == MilestoneDate.parse("2026-06", around=True)
        assert table.of(4).date(Milestone.REVIEW) == MilestoneDate.parse("2024-05-08")  # untouched
        assert table.of(5).date(Milestone.REVIEW) == MilestoneDate.parse("2029", around=True)
        assert table.of(3) == MilestoneTable.build(read_milestones(bundled.MILESTONES_FILE)).of(3)
        log = await restarted.coalition.repository.audit_log()
        assert [(e.action, e.detail) for e in log[:3]] == [
            (AuditAction.CORRECT_MILESTONE, "c5 review: 2029"),
            (AuditAction.CORRECT_MILESTONE, "c4 mid_term: 2026-06"),
            (AuditAction.CORRECT_MILESTONE, "c4 adoption: 2024-10-08"),
        ]
    finally:
        await restarted.close()


async def test_a_correction_can_say_a_date_is_not_known(services: Services) -> None:
    await services.coalition.repository.seed_coordinators([BOSS], "en")
    await services.milestones.correct(BOSS, 4, Milestone.MID_TERM, "  ")
    assert (await services.milestones.table()).of(4).date(Milestone.MID_TERM) is None


async def test_only_coordinators_correct_milestones_and_bad_dates_change_nothing(
    services: Services,
) -> None:
    await services.coalition.repository.seed_coordinators([BOSS], "en")
    with pytest.raises(NotAllowed):
        await services.milestones.correct(GUEST, 4, Milestone.MID_TERM, "2027")
    with pytest.raises(BadMilestoneDate):
        await services.milestones.correct(BOSS, 4, Milestone.MID_TERM, "soon")
    with pytest.raises(BadMilestoneDate):
        await services.milestones.correct(BOSS, 0, Milestone.MID_TERM, "2027")
    assert await services.milestones.repository.corrections() == []
