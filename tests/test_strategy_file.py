"""Action strategies as spreadsheets in the template's layout: import (English or Khmer headers,
bad rows by line, good rows together, idempotent), export, and export → import changing nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.audit import AuditAction
from bot.domain.importer import UnreadableFile, read_sheets, read_table
from bot.domain.membership import NotAllowed, UnknownGroup
from bot.domain.spreadsheet import table, workbook
from bot.domain.strategy import CLI, ActionStatus
from bot.domain.timeframes import Kind, Timeframe
from bot.main import main
from bot.services import Services
from bot.settings import Settings
from tests.conftest import FakeClock

BOSS, REP = 1, 2
HOUR = dt.timedelta(hours=1)
HEADER_EN = [
    "Working group",
    "Cycle",
    "Rec # and the recommendation / recommending State",
    "Corresponding recommendations from other UN mechanisms",
    "SDG target",
    "CSO action/activity",
    "Indicator",
    "Resources needed",
    "Potential partners",
    "Timeframe",
    "Risks",
    "Responsible organisations",
]
HEADER_KM = [
    "ក្រុមការងារ",
    "ជុំ",
    "លេខអនុសាសន៍",
    "យន្តការអង្គការសហប្រជាជាតិផ្សេងទៀត",
    "គោលដៅ SDG",
    "សកម្មភាព",
    "សូចនាករ",
    "ធនធានដែលត្រូវការ",
    "ដៃគូដែលអាចមាន",
    "ពេលវេលាកំណត់",
    "ហានិភ័យ",
    "អង្គការទទួលខុសត្រូវ",
]


def row(group: str, recs: str, activity: str, timeframe: str, orgs: str = "ADHOC") -> list[str]:
    return [group, "2", recs, "CEDAW", "5.2", activity, "2 shows", "USD 500", "Radio FM", timeframe,
            "Airtime refused: social media", orgs]  # fmt: skip


@pytest.fixture
async def coalition(services: Services, clock: FakeClock) -> tuple[str, str]:
    """A coordinator and two organisations; the slugs of two working groups."""
    repo = services.coalition.repository
    await repo.seed_coordinators([BOSS], "en")
    for user_id, short in ((REP, "ADHOC"), (3, "CCHR")):
        org_id = await repo.add_organisation(short, f"{short} long", actor=BOSS, now=clock.now())
        await repo.create_invite(
            org_id, f"hash-{short}", actor=BOSS, now=clock.now(), expires=clock.now() + HOUR
        )
        await repo.redeem_invite(f"hash-{short}", user_id, short, "en", clock.now())
    groups = await services.coalition.working_groups()
    return groups[0].slug, groups[1].slug


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


async def test_a_file_imports_its_good_rows_and_reports_each_bad_one_by_line(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    land, other = coalition
    path = write_csv(
        tmp_path / "strategy.csv",
        [
            HEADER_EN,
            row(land, "118.6, 119.1-119.3", "Radio talk show", "Q2 2026"),
            row(land, "118.7", "Joint statement", "before the next review", "ADHOC; CCHR"),
            [],
            row("nowhere", "118.8", "Policy dialogue", "2026"),  # line 5
            row(land, "82.1", "Provincial consultation", "2026"),  # cycle 1's number
            row(land, "118.9", "", "2026"),  # no activity
            row(land, "118.10", "Legal review", "2026", "UNKNOWN-ORG"),
            row(land, "118.6", "Radio talk show", "Q3 2026"),  # the same action again
            row(other, "118.11", "Social-media campaign", "TBD"),  # unreadable: kept
        ],
    )
    outcome = await services.import_strategy(path, BOSS)
    report = outcome.report
    assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
    errors = sorted([*outcome.parsed.errors, *report.errors], key=lambda e: e.line)
    assert [(e.line, e.english()) for e in errors] == [
        (5, "there is no working group nowhere"),
        (6, "Cycle 2 has no recommendation 82.1."),
        (7, "Write the action or activity."),
        (8, "there is no organisation UNKNOWN-ORG"),
        (9, "the same action already appears on line 2"),
    ]
    groups = {g.slug: g.id for g in await services.coalition.working_groups()}
    actions = (await services.strategies.for_group(groups[land])).actions
    # by due date: cycle 2's next review (30 Jan 2019) comes before Q2 2026
    assert [a.fields.activity for a in actions] == ["Joint statement", "Radio talk show"]
    assert len(actions[0].fields.organisation_ids) == 2
    first = actions[1].fields.timeframe
    assert isinstance(first, Timeframe)
    assert (first.kind, first.due_day) == (Kind.QUARTER, dt.date(2026, 6, 30))
    [unreadable] = await services.strategies.unreadable(BOSS)
    assert unreadable.fields.timeframe.original == "TBD"
    log = await services.coalition.repository.audit_log()
    assert (log[0].action, log[0].detail) == (AuditAction.IMPORT_STRATEGY, "3 added, 0 updated")

    again = await services.import_strategy(path, BOSS)  # idempotent
    assert (again.report.added, again.report.updated, again.report.unchanged) == (0, 0, 3)
    assert (await services.coalition.repository.audit_log())[0].detail == "3 added, 0 updated"


async def test_khmer_headers_khmer_digits_and_a_group_given_on_import(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    land, _ = coalition
    rows = [HEADER_KM[1:], row(land, "១១៨.៦", "វិទ្យុ", "ត្រីមាសទី២ ឆ្នាំ២០២៦")[1:]]
    path = tmp_path / "strategy.xlsx"
    path.write_bytes(table(rows, "xlsx"))
    outcome = await services.import_strategy(path, BOSS, group=land)
    assert (outcome.report.added, outcome.parsed.errors, outcome.report.errors) == (1, [], ())
    [action] = await services.strategies.export(BOSS)
    assert action.fields.activity == "វិទ្យុ"
    timeframe = action.fields.timeframe
    assert isinstance(timeframe, Timeframe)
    assert timeframe.start_day == dt.date(2026, 4, 1)

    without = await services.import_strategy(path, BOSS)  # no group column, none given
    assert [e.english() for e in without.parsed.errors] == [
        "no working group: add a working group column or give the group"
    ]
    with pytest.raises(UnknownGroup):
        await services.import_strategy(path, BOSS, group="no such group")


@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("xlsx", "km"), ("csv", "km")])
async def test_export_then_import_changes_nothing(
    services: Services,
    coalition: tuple[str, str],
    tmp_path: Path,
    clock: FakeClock,
    fmt: str,
    language: str,
) -> None:
    land, other = coalition
    source = write_csv(
        tmp_path / "in.csv",
        [
            HEADER_EN,
            row(land, "118.6, 119.3-119.1", '=HYPERLINK("x") radio', "Jan–Jun 2026"),
            row(land, "118.7", "-Joint statement", "every quarter", "CCHR, ADHOC"),
            row(other, "118.8", "Dialogue", "by the mid-term report"),
        ],
    )
    await services.import_strategy(source, BOSS)
    action = (await services.strategies.export(BOSS))[0]
    clock.advance(days=2)
    await services.strategies.set_status(REP, action.id, ActionStatus.IN_PROGRESS, "Draft sent")
    before = await services.strategies.export(BOSS)

    exported = tmp_path / f"out.{fmt}"
    exported.write_bytes(await services.export_strategy(BOSS, fmt, language=language))
    sheets = [(title, [cells[:16] for _, cells in rows]) for title, rows in read_sheets(exported)]
    # XLSX: one sheet per working group (rows come padded); CSV: one table with a group column
    assert [title for title, _ in sheets] == ([land, other] if fmt == "xlsx" else [""])
    rows = [sheets[0][1][0]] + [cells for _, table_rows in sheets for cells in table_rows[1:]]
    assert rows[0][13:] == (
        ["Status", "Last update", "Notes"]
        if language == "en"
        else ["ស្ថានភាព", "បច្ចុប្បន្នភាពចុងក្រោយ", "កំណត់សម្គាល់"]
    )
    by_activity = {cells[6].removeprefix("'"): cells for cells in rows[1:]}  # CSV: quoted
    groups = {g.slug: g for g in await services.coalition.working_groups()}
    # the reader's language throughout: the group's name and the status in Khmer
    group_name = groups[land].slug if language == "en" else groups[land].name_km
    in_progress, not_started = (
        ("in progress", "not started") if language == "en" else ("កំពុងអនុវត្ត", "មិនទាន់ចាប់ផ្តើម")
    )
    assert by_activity["-Joint statement"][1] == group_name
    assert by_activity["-Joint statement"][12:] == [
        "CCHR; ADHOC",
        in_progress,
        "2026-11-25",
        "Draft sent",
    ]
    assert by_activity['=HYPERLINK("x") radio'][3] == "118.6, 119.1, 119.2, 119.3"
    assert by_activity["Dialogue"][13:] == [not_started, "2026-11-23", ""]

    outcome = await services.import_strategy(exported, BOSS)
    assert (outcome.report.added, outcome.report.updated, outcome.report.unchanged) == (0, 0, 3)
    assert (outcome.parsed.errors, outcome.report.errors) == ([], ())
    assert await services.strategies.export(BOSS) == before


async def test_a_group_is_named_as_everywhere_else_and_a_missing_number_is_missing(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    group = {g.slug: g for g in await services.coalition.working_groups()}["land"]
    short_km = group.name_km.split()[0]  # 'ដីធ្លី', as /help teaches '/results 1 ដីធ្លី'
    first_en = " ".join(group.name_en.split()[:2])  # 'Land and'
    women = {g.slug: g for g in await services.coalition.working_groups()}["women"]
    assert "\u17d2\u178f" in women.name_km
    women_with_da = women.name_km.replace("\u17d2\u178f", "\u17d2\u178a")
    path = write_csv(
        tmp_path / "in.csv",
        [
            HEADER_EN,
            row(short_km, "118.6", "Radio", "2026"),
            row(first_en.upper(), "118.7", "Dialogue", "2026"),
            row(group.name_km, "118.8", "Forum", "2026"),
            row(women_with_da, "118.10", "Training", "2026"),  # ស្ដ្រី for ស្ត្រី
            row("land", "", "Campaign", "2026"),  # line 6: no recommendation number
            row("ទឹក", "118.9", "Hearing", "2026"),  # line 7: no such group
        ],
    )
    outcome = await services.import_strategy(path, BOSS)
    errors = [*outcome.parsed.errors, *outcome.report.errors]
    assert [(e.line, e.english()) for e in errors] == [
        (6, "the recommendation numbers are missing"),
        (7, "there is no working group ទឹក"),
    ]
    assert outcome.report.added == 4
    actions = (await services.strategies.for_group(group.id)).actions
    assert sorted(a.fields.activity for a in actions) == ["Dialogue", "Forum", "Radio"]


async def test_an_exported_file_edited_by_hand_updates_its_actions_by_id(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    land, _ = coalition
    await services.import_strategy(
        write_csv(tmp_path / "in.csv", [HEADER_EN, row(land, "118.6", "Radio", "2026")]), BOSS
    )
    exported = tmp_path / "out.csv"
    exported.write_bytes(await services.export_strategy(BOSS, "csv", group=land))
    text = exported.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][6] = "Radio talk show, renamed"  # the activity: found by its id all the same
    rows.append(["999", land, "2", "118.7", "", "", "Ghost", "", "", "", "2026", "", ""])
    write_csv(exported, rows)
    outcome = await services.import_strategy(exported, BOSS)
    assert (outcome.report.added, outcome.report.updated) == (0, 1)
    assert [e.english() for e in outcome.report.errors] == ["there is no action 999"]
    [action] = await services.strategies.export(BOSS)
    assert action.fields.activity == "Radio talk show, renamed"


async def test_only_coordinators_import_and_export(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    land, _ = coalition
    path = write_csv(tmp_path / "in.csv", [HEADER_EN, row(land, "118.6", "Radio", "2026")])
    with pytest.raises(NotAllowed):
        await services.import_strategy(path, REP)
    with pytest.raises(NotAllowed):
        await services.export_strategy(REP, "csv")
    assert (await services.import_strategy(path, CLI)).report.added == 1


async def test_a_file_without_the_templates_columns_is_refused_whole(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", [["number", "text"], ["118.6", "Ratify"]])
    with pytest.raises(UnreadableFile):
        await services.import_strategy(path, BOSS)


def test_the_command_line_imports_and_exports_a_strategy(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "cli.sqlite3"
    shutil.copy(db_path, copy)
    good = write_csv(
        tmp_path / "good.csv",
        [HEADER_EN[1:-1], ["2", "118.6", "", "", "Radio", "", "", "", "Q2 2026", ""]],
    )
    bad = write_csv(
        tmp_path / "bad.csv",
        [HEADER_EN[1:-1], ["2", "82.1", "", "", "Radio", "", "", "", "Q2 2026", ""]],
    )
    vague = write_csv(
        tmp_path / "vague.csv",
        [
            HEADER_EN[1:-1],
            ["2", "118.7", "", "", "Dialogue", "", "", "", "March", ""],
            ["2", "118.8", "", "", "Forum", "", "", "", "2026", ""],
            ["2", "118.9", "", "", "Campaign", "", "", "", "TBD", ""],
        ],
    )
    out = tmp_path / "out.xlsx"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_PATH", str(copy))
        assert main(["import-strategy", str(good), "--group", "land"]) == 0
        assert main(["import-strategy", str(vague), "--group", "land"]) == 0  # stored all the same
        assert main(["import-strategy", str(bad), "--group", "land"]) == 1
        assert main(["import-strategy", str(good), "--group", "no such group"]) == 1
        assert main(["export-strategy", str(out), "--group", "land", "--language", "km"]) == 0
        assert main(["export-strategy", str(tmp_path / "out.pdf")]) == 2
    printed = capsys.readouterr()
    assert "good.csv: actions: 1 added, 0 updated, 0 unchanged, 0 rejected" in printed.out
    assert "line 2: Cycle 2 has no recommendation 82.1." in printed.out
    assert "vague.csv: actions: 3 added, 0 updated, 0 unchanged, 0 rejected" in printed.out
    assert "2 timeframes could not be read (stored; never nudged):" in printed.out
    assert "line 2: timeframe not read: Add the year to the timeframe." in printed.out
    assert "line 4: timeframe not read: Write a timeframe like 31 March 2026" in printed.out
    assert "line 3: timeframe" not in printed.out
    assert "no single working group is called 'no such group'" in printed.err
    rows = list(read_table(out))
    assert rows[0][1][6] == "សកម្មភាព"
    assert rows[1][1][6] == "Radio"


async def test_a_workbook_with_one_sheet_per_working_group(
    services: Services, coalition: tuple[str, str], tmp_path: Path
) -> None:
    land, other = coalition
    groups = {g.slug: g for g in await services.coalition.working_groups()}
    no_group = HEADER_EN[1:]
    path = tmp_path / "strategies.xlsx"
    path.write_bytes(
        workbook(
            [
                ("How to fill this in", [["Write one action a row."]]),
                (land, [no_group, row(land, "118.6", "Radio", "2026")[1:]]),
                (
                    groups[other].name_km,  # a sheet named in Khmer
                    [
                        no_group,
                        row(other, "118.7", "Dialogue", "2026")[1:],
                        row(other, "82.1", "Consultation", "2026")[1:],
                    ],
                ),
                ("Notes", [no_group, row(other, "118.8", "Orphan", "2026")[1:]]),
            ]
        )
    )
    outcome = await services.import_strategy(path, BOSS)
    assert outcome.report.added == 2
    errors = [*outcome.parsed.errors, *outcome.report.errors]
    assert sorted((e.sheet, e.line, e.english()) for e in errors) == [
        ("Notes", 2, "no working group: add a working group column or give the group"),
        (groups[other].name_km[:31], 3, "Cycle 2 has no recommendation 82.1."),
    ]
    by_group = {
        slug: [a.fields.activity for a in (await services.strategies.for_group(g.id)).actions]
        for slug, g in groups.items()
        if slug in (land, other)
    }
    assert by_group == {land: ["Radio"], other: ["Dialogue"]}


async def test_an_exported_last_update_is_the_day_in_the_configured_time_zone(
    db_path: Path, clock: FakeClock, tmp_path: Path
) -> None:
    # 23 November 2026, 02:00 UTC: already the 23rd in Phnom Penh, still the 22nd in Los Angeles.
    settings = Settings(token="x", database_path=db_path, timezone=ZoneInfo("America/Los_Angeles"))
    services = await Services.start(settings, clock)
    try:
        await services.coalition.repository.seed_coordinators([BOSS], "en")
        land = (await services.coalition.working_groups())[0].slug
        source = write_csv(
            tmp_path / "in.csv", [HEADER_EN, row(land, "118.6", "Radio", "2026", "")]
        )
        await services.import_strategy(source, BOSS)
        exported = await services.export_strategy(BOSS, "csv")
    finally:
        await services.close()
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0][14] == "Last update"
    assert rows[1][14] == "2026-11-22"
