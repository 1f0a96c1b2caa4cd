"""The published tables without Telegram: rows, reasons, the export grid, summaries by theme."""

from __future__ import annotations

import pytest

from bot.domain.assessment import Colour, Distribution, Overall
from bot.domain.catalog import Catalog
from bot.domain.i18n import Localizer, Translations
from bot.domain.model import RecNumber, Recommendation, Response, Translation, TranslationStatus
from bot.domain.rounds import (
    ResultRow,
    changes_by_theme,
    compare_rows,
    export_rows,
    reasons_cell,
    summary_by_theme,
    theme_blocks,
)
from bot.services import Services

R, OR, G, U = Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN


def label(l10n: Localizer, colour: Overall) -> str:
    return f"{l10n.language}:{colour.value}"


@pytest.fixture
def catalog(services: Services) -> Catalog:
    return services.catalog


def rec(catalog: Catalog, number: str, cycle: int = 2) -> Recommendation:
    return catalog.get(cycle, RecNumber.parse(number))  # type: ignore[return-value]


def row(
    recommendation: Recommendation,
    overall: Overall = Overall.RED,
    reasons: tuple[tuple[str | None, Colour, str], ...] = (),
    distribution: Distribution = Distribution(),  # noqa: B008 - frozen
    coalition: Overall | None = None,
) -> ResultRow:
    return ResultRow(recommendation, distribution, overall, reasons, coalition)


def test_a_reasons_cell_names_organisations_only_when_given() -> None:
    dummy = Recommendation(1, 2, RecNumber(1, 1), "t", (), Response.ACCEPTED)
    named = row(dummy, reasons=(("ADHOC", R, "No law yet."), ("CCHR", OR, ""), (None, G, "")))
    english, khmer = (Translations.load("en").localizer(x) for x in ("en", "km"))
    assert reasons_cell(english, named) == "ADHOC: 🔴 No law yet.; CCHR: 🟠"
    assert reasons_cell(khmer, named) == "ADHOC៖ 🔴 No law yet. · CCHR៖ 🟠"  # Khmer punctuation
    anonymous = row(dummy, reasons=((None, R, "No law yet."), (None, OR, ""), (None, G, "ok")))
    assert reasons_cell(english, anonymous) == "🔴 No law yet.; 🟢 ok"
    assert reasons_cell(english, row(dummy)) == ""


def test_the_export_grid_per_working_group(services: Services, catalog: Catalog) -> None:
    en = services.translations.localizer("en")
    first, second = rec(catalog, "118.6"), rec(catalog, "118.2")
    counts = Distribution(red=1, orange=2, green=3, unknown=4)
    blocks = [
        ("Land", [row(first, Overall.GREEN, ((None, R, "why"),), counts, Overall.ORANGE)]),
        ("Labour", [row(first, Overall.RED), row(second, Overall.NOT_ENOUGH)]),
    ]
    grid = export_rows(en, catalog, blocks, label)
    assert grid[0] == [
        "Working group",
        "Recommendation (number – text (State))",
        "Colour",
        "Reason(s)",
        "🔴",
        "🟠",
        "🟢",
        "❔",
        "Whole coalition",
    ]
    states = ", ".join(s.name("en") for s in catalog.states_of(first))
    assert grid[1] == [
        "Land",
        f"118.6 – {first.text_en} ({states})",
        "en:green",
        "🔴 why",
        1,
        2,
        3,
        4,
        "en:orange",
    ]
    assert grid[2][:3] == ["Labour", grid[1][1], "en:red"]
    assert grid[2][3:] == ["", 0, 0, 0, 0, ""]  # no coalition colour given: empty
    assert grid[3][0] == "Labour"
    assert grid[3][1].startswith("118.2 – ")
    assert len(grid) == 4
    several = Recommendation(9, 3, RecNumber(1, 1), "Do it", ("France", "Japan"), Response.NOTED)
    [_, line] = export_rows(en, catalog, [("x", [row(several)])], label)
    assert line[1] == "1.1 – Do it (France, Japan)"  # as imported files have them


def test_the_export_grid_per_theme_in_khmer(services: Services, catalog: Catalog) -> None:
    km = services.translations.localizer("km")
    base = rec(catalog, "118.6")
    translated = Recommendation(
        base.id,
        base.cycle,
        base.number,
        base.text_en,
        base.states_raw,
        base.response,
        base.theme_ids,
        Translation("អត្ថបទ", TranslationStatus.REVIEWED, "x"),
    )
    untranslated = rec(catalog, "118.2")
    grid = export_rows(
        km,
        catalog,
        [("ដី", [row(translated), row(untranslated)])],
        label,
        by_theme=True,
    )
    assert grid[0][0] == km.gettext("Theme")
    assert grid[0][0] != "Theme"
    assert grid[0][1:4] == [
        km.gettext("Recommendation (number – text (State))"),
        km.gettext("Colour"),
        km.gettext("Reason(s)"),
    ]
    assert len(grid[0]) == 8  # no "whole coalition" column by theme
    states = ", ".join(s.name("km") for s in catalog.states_of(base))
    assert states != ", ".join(s.name("en") for s in catalog.states_of(base))
    assert grid[1] == ["ដី", f"118.6 – អត្ថបទ ({states})", "km:red", "", 0, 0, 0, 0]
    assert grid[2][1].startswith(f"118.2 – {untranslated.text_en} (")
    english = export_rows(
        services.translations.localizer("en"), catalog, [("x", [row(translated)])], label
    )
    assert english[1][1].startswith(f"118.6 – {base.text_en} (")


def test_a_compound_recommendation_names_its_states_once(
    services: Services, catalog: Catalog
) -> None:
    compound = next(r for r in catalog.recommendations if r.is_compound)
    grid = export_rows(
        services.translations.localizer("en"), catalog, [("x", [row(compound)])], label
    )
    assert grid[1][1] == f"{compound.number} – {compound.text_en}"


def test_themes_summaries_and_changes(catalog: Catalog) -> None:
    first, second = rec(catalog, "118.6"), rec(catalog, "118.2")
    rows = [row(first, Overall.GREEN), row(second, Overall.GREEN)]
    shared = set(first.theme_ids) & set(second.theme_ids)
    only_first = set(first.theme_ids) - set(second.theme_ids)
    summary = {theme.id: counts for theme, counts in summary_by_theme(catalog, rows)}
    assert set(summary) == set(first.theme_ids) | set(second.theme_ids)
    for theme_id in shared:
        assert summary[theme_id] == {**dict.fromkeys(Overall, 0), Overall.GREEN: 2}
    for theme_id in only_first:
        assert summary[theme_id] == {**dict.fromkeys(Overall, 0), Overall.GREEN: 1}
    for language in ("en", "km"):
        blocks = dict(theme_blocks(catalog, rows, language))
        for theme in catalog.themes:
            expected = [r for r in rows if theme.id in r.recommendation.theme_ids]
            assert blocks[theme.name(language)] == expected
    change = (first, Overall.RED, Overall.GREEN, 1)
    grouped = changes_by_theme(catalog, [change])
    assert [theme.id for theme, _ in grouped] == [
        t.id for t in catalog.themes if t.id in first.theme_ids
    ]
    assert all(found == [change] for _, found in grouped)
    assert changes_by_theme(catalog, []) == []


def test_the_comparison_table_lists_each_change_under_each_of_its_themes(
    services: Services, catalog: Catalog
) -> None:
    en, km = (services.translations.localizer(language) for language in ("en", "km"))
    labour_and_treaties, treaties = rec(catalog, "118.6"), rec(catalog, "118.2")
    changes = [
        (labour_and_treaties, Overall.RED, Overall.GREEN, 1),
        (treaties, Overall.GREEN, Overall.ORANGE, -1),
    ]
    assert compare_rows(en, catalog, changes, label) == [
        ["Theme", "Recommendation", "Before", "After", "Change"],
        ["Labour rights", "118.6", "en:red", "en:green", "progressed"],
        [
            "Treaties and cooperation with UN mechanisms",
            "118.6",
            "en:red",
            "en:green",
            "progressed",
        ],
        [
            "Treaties and cooperation with UN mechanisms",
            "118.2",
            "en:green",
            "en:orange",
            "regressed",
        ],
    ]
    khmer = compare_rows(km, catalog, changes, label)
    assert khmer[0] == [
        km.gettext(w) for w in ("Theme", "Recommendation", "Before", "After", "Change")
    ]
    assert khmer[0][0] != "Theme"
    labour = next(t for t in catalog.themes if t.slug == "labour")
    assert khmer[1] == [labour.name("km"), "118.6", "km:red", "km:green", km.gettext("progressed")]
    assert khmer[3][-1] == km.gettext("regressed") != "regressed"
    assert compare_rows(en, catalog, [], label) == [compare_rows(en, catalog, changes, label)[0]]
