"""Responses given after the report: pasted as lists, all or nothing; with SOURCES.md's lists
the two imported reports give the verified CSVs' responses exactly. Re-importing a report keeps
responses set later."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.domain.model import RecNumber, Response
from bot.domain.reports import BadResponses, parse_response_list
from bot.services import Services
from handlers.reports import preview_message
from storage.catalog import bump
from tests.conftest import COORDINATOR_ID

DATA = Path(__file__).resolve().parent.parent / "data" / "upr"


def csv_responses(cycle: int) -> dict[str, str]:
    with (DATA / f"cambodia_cycle{cycle}.csv").open(encoding="utf-8") as f:
        return {row["number"]: row["response"] for row in csv.DictReader(f)}


def stored_responses(services: Services, cycle: int) -> dict[str, str]:
    return {
        str(r.number): r.response.value
        for r in services.catalog.recommendations
        if r.cycle == cycle
    }


async def import_report(services: Services, name: str) -> None:
    preview = await services.reports.preview(
        COORDINATOR_ID, (DATA / "sources" / name).read_bytes()
    )
    assert await services.reports.import_draft(COORDINATOR_ID, preview.draft) is not None


async def test_later_responses_turn_the_reports_into_the_verified_csvs(
    services: Services,
) -> None:
    async with services.database.transaction() as db:
        await db.execute("DELETE FROM recommendations WHERE cycle IN (1, 2)")
        await bump(db)
    await services.refresh_catalog()
    await import_report(services, "A_HRC_26_16_cambodia_2014.pdf")
    await import_report(services, "A_HRC_13_4_cambodia_2010.pdf")
    two = stored_responses(services, 2)
    assert {n for n, r in two.items() if r == "pending"} == {f"119.{i}" for i in range(1, 35)}
    assert set(stored_responses(services, 1).values()) == {"pending"}

    done = await services.reports.set_responses(
        COORDINATOR_ID,
        "c2 noted: 118.1-118.4, 119.1-119.34; rejected: 118.5, 118.22, 118.57, 118.161",
    )
    assert done.counts == {Response.NOTED: 38, Response.REJECTED: 4}
    await services.reports.set_responses(COORDINATOR_ID, "វដ្ត១ ទទួលយក: ៨២.១-៨២.៩១")
    assert stored_responses(services, 2) == csv_responses(2)
    assert stored_responses(services, 1) == csv_responses(1)

    # A corrected report sent again keeps the responses set later (the report's are older).
    await import_report(services, "A_HRC_26_16_cambodia_2014.pdf")
    assert stored_responses(services, 2) == csv_responses(2)
    entries = await services.coalition.repository.audit_log(limit=10)
    assert [e.action.value for e in entries][:4] == [
        "import report",
        "set responses",
        "set responses",
        "import report",
    ]


async def test_a_bad_list_changes_nothing(services: Services) -> None:
    before = stored_responses(services, 2)
    with pytest.raises(BadResponses) as missing:
        await services.reports.set_responses(COORDINATOR_ID, "c2 noted: 119.1-119.3, 120.1")
    assert missing.value.params == {"cycle": "2", "numbers": "120.1"}
    with pytest.raises(BadResponses) as twice:
        await services.reports.set_responses(COORDINATOR_ID, "c2 noted: 119.1; accepted: 119.1")
    assert twice.value.params == {"number": "119.1"}
    for text in ("c0 noted: 119.1", "cycle 0 noted: 119.1", "c9 noted: 119.1"):
        with pytest.raises(BadResponses) as no_cycle:  # never the current cycle instead
            await services.reports.set_responses(COORDINATOR_ID, text)
        assert no_cycle.value.message.startswith("There is no cycle")
    assert stored_responses(services, 2) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c2 118.1-118.4", "Write a response before its numbers"),
        ("c1 c2 noted: 118.1", "Name one cycle only."),
        ("c2 noted: 118.1 banana", "I could not read “{words}”."),
        ("c2 noted:", "I could not read “{words}”."),
        ("c2 maybe noted: 118.1", "I could not read “{words}”."),
    ],
)
def test_unreadable_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(BadResponses) as refused:
        parse_response_list(text, 2)
    assert refused.value.message.startswith(message)


def test_lists_in_khmer_and_english_read_the_same() -> None:
    english = parse_response_list("c2 accepted: 110.1-110.45, 110.50; noted: 110.46-110.49", None)
    khmer = parse_response_list("ជុំទី២ ទទួលយក៖ ១១០.១-១១០.៤៥, ១១០.៥០; កត់សម្គាល់៖ ១១០.៤៦-១១០.៤៩", None)
    assert english == khmer
    cycle, [(accepted, ranges), (noted, _)] = english
    assert (cycle, accepted, noted) == (2, Response.ACCEPTED, Response.NOTED)
    assert [(r.start, r.end) for r in ranges] == [
        (RecNumber(110, 1), RecNumber(110, 45)),
        (RecNumber(110, 50), RecNumber(110, 50)),
    ]
    assert parse_response_list("noted: 118.1", 4)[0] == 4
    with pytest.raises(BadResponses):
        parse_response_list("noted: 118.1", None)


async def test_the_preview_names_what_changed_and_keeps_the_bots_responses(
    services: Services,
) -> None:
    # One text changed since the report; the bundled data's responses differ from the
    # report's (pending): they are the bot's, kept, and said neutrally.
    async with services.database.transaction() as db:
        await db.execute(
            "UPDATE recommendations SET text_en = text_en || ' (edited)' "
            "WHERE cycle = 2 AND paragraph = 118 AND item IN (6, 12)"
        )
        await bump(db)
    await services.refresh_catalog()
    preview = await services.reports.preview(
        COORDINATOR_ID, (DATA / "sources" / "A_HRC_26_16_cambodia_2014.pdf").read_bytes()
    )
    assert preview.changed_numbers == ("118.6", "118.12")
    english = services.translations.localizer("en")
    text, _ = preview_message(english, preview)
    assert "Compared with the bot: 0 new, 2 changed, 203 unchanged." in text
    assert "Changed: 118.6, 118.12\n" in text
    assert "responses already in the bot are kept (the report's differ)." in text
    assert "set later" not in text
    many = replace(preview, changed_numbers=tuple(f"118.{i}" for i in range(1, 13)))
    text, _ = preview_message(english, many)
    assert (
        "Changed: 118.1, 118.2, 118.3, 118.4, 118.5, 118.6, 118.7, 118.8, 118.9, 118.10 and 2 more"
    ) in text


async def test_an_import_that_fails_leaves_the_draft_to_import_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft is taken in the import's own transaction: a failure before or after taking
    it leaves [Import] working, and one successful import uses it up."""
    pdf = (DATA / "sources" / "A_HRC_26_16_cambodia_2014.pdf").read_bytes()
    preview = await services.reports.preview(COORDINATOR_ID, pdf)
    repository, store = services.catalog_repository, services.report_store
    importing, claiming = repository.import_recommendations, store.claim_in

    async def broken_import(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk full")

    async def claim_then_fail(*args: Any) -> None:
        await claiming(*args)
        raise RuntimeError("killed after the claim")

    monkeypatch.setattr(repository, "import_recommendations", broken_import)
    with pytest.raises(RuntimeError):
        await services.reports.import_draft(COORDINATOR_ID, preview.draft)
    monkeypatch.setattr(repository, "import_recommendations", importing)
    monkeypatch.setattr(store, "claim_in", claim_then_fail, raising=False)
    with pytest.raises(RuntimeError):
        await services.reports.import_draft(COORDINATOR_ID, preview.draft)
    monkeypatch.setattr(store, "claim_in", claiming, raising=False)
    assert await services.reports.import_draft(COORDINATOR_ID, preview.draft) is not None
    assert await services.reports.import_draft(COORDINATOR_ID, preview.draft) is None
