"""A round's scope as a coordinator writes it: what it takes in, and every refusal's words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.assessment import ReasonsForm
from bot.domain.catalog import Catalog
from bot.domain.i18n import Localizer
from bot.domain.model import Response, Theme
from bot.domain.rounds import BadScope, parse_scope, reasons_form
from bot.services import Services
from tests.conftest import Words

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
TODAY = dt.date(2026, 11, 23)


def ids(
    catalog: Catalog, cycle: int, response: Response | None = None, slug: str = ""
) -> set[int]:
    """The recommendations of a cycle, of one response and theme when given."""
    theme = next((t.id for t in catalog.themes if t.slug == slug), None)
    return {
        r.id
        for r in catalog.recommendations
        if r.cycle == cycle
        and (response is None or r.response.counts_as is response)
        and (theme is None or theme in r.theme_ids)
    }


def refusal(services: Services, text: str, catalog: Catalog | None = None) -> tuple[str, str]:
    """What the coordinator is told when a scope is refused, in English and in Khmer."""
    with pytest.raises(BadScope) as refused:
        parse_scope(text, catalog or services.catalog, PHNOM_PENH, TODAY)
    said = tuple(
        services.translations.localizer(language)
        .gettext(refused.value.message)
        .format(**refused.value.params)
        for language in ("en", "km")
    )
    return said[0], said[1]


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("c1 c2", "Name one cycle only, for example c2."),
        ("118.1 c1 82.1 c2", "Name one cycle only, for example c2."),
        ("118.6.7", "Write recommendation numbers like 118.6 or ranges like 118.1-118.50."),
        # A number without its item once opened a round on the whole cycle, silently.
        ("c2 118", "Write recommendation numbers like 118.6 or ranges like 118.1-118.50."),
        ("118", "Write recommendation numbers like 118.6 or ranges like 118.1-118.50."),
        ("c2 118.900-118.950", "No recommendation matches that scope."),
        ("c9", "No recommendation matches that scope."),
        ("c2 noted land 118.1-118.80", "No recommendation matches that scope."),
    ],
)
def test_a_refused_scope_says_why_in_the_coordinators_language(
    services: Services, text: str, english: str
) -> None:
    said, khmer = refusal(services, text)
    assert said == english
    assert khmer != english  # translated, not the English fallback


def test_with_nothing_loaded_a_scope_says_so(services: Services) -> None:
    empty = Catalog([], [], [], services.catalog.glossary)
    said, khmer = refusal(services, "accepted", empty)
    assert said == "No recommendations are loaded yet."
    assert khmer != said
    assert refusal(services, "c2", empty)[0] == "No recommendation matches that scope."


def test_accepted_and_noted_take_only_those_responses(services: Services) -> None:
    catalog = services.catalog
    for text, response in (("c2 accepted", Response.ACCEPTED), ("NOTED c2", Response.NOTED)):
        scope = parse_scope(text, catalog, PHNOM_PENH, TODAY)
        assert set(scope.recommendation_ids) == ids(catalog, 2, response)
    both = ids(catalog, 2, Response.ACCEPTED) | ids(catalog, 2, Response.NOTED)
    assert ids(catalog, 2, Response.ACCEPTED)
    assert ids(catalog, 2, Response.NOTED)
    assert both == ids(catalog, 2)  # each recommendation is one or the other


def test_a_response_narrows_each_theme(services: Services) -> None:
    catalog = services.catalog
    for response in Response.ACCEPTED, Response.NOTED:
        text = f"c2 {response.value} labour children"
        scope = parse_scope(text, catalog, PHNOM_PENH, TODAY)
        expected = ids(catalog, 2, response, "labour") | ids(catalog, 2, response, "children")
        assert expected
        assert set(scope.recommendation_ids) == expected
        assert scope.description == text


async def test_a_round_open_until_a_day_closes_at_that_days_end_in_phnom_penh(
    services: Services,
) -> None:
    await services.coalition.repository.seed_coordinators([1], "en")
    opened = await services.assessments.open(
        1, "c2 118.1 until 2026-12-31 : Year end", services.catalog, PHNOM_PENH
    )
    assert opened.scope is not None
    assert opened.scope.closes_at == dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)


# --- Khmer written without spaces -------------------------------------------------------------


def test_khmer_words_written_without_spaces_are_read_one_by_one(services: Services) -> None:
    catalog = services.catalog

    def scope(text: str) -> tuple[int, ...]:
        return parse_scope(text, catalog, PHNOM_PENH, TODAY).recommendation_ids

    land = ids(catalog, 2, Response.ACCEPTED, "land")
    assert land
    # A run beginning with ក (U+1780) itself: noted + land.
    assert set(scope("c2 កត់សម្គាល់ដីធ្លី")) == ids(catalog, 2, Response.NOTED, "land")
    assert set(scope("c2 ដីធ្លីបានទទួលយក")) == land  # land + accepted, glued
    assert set(scope("c2 ទទួលយកដីធ្លី")) == land
    # A run with a part the scope does not know is named whole.
    assert refusal(services, "c2 ដីធ្លីក")[0].startswith("I do not know “ដីធ្លីក” in a scope.")


@pytest.mark.parametrize("text", ["c2 landaccepted", "c2 q"])
def test_latin_words_are_read_whole(services: Services, text: str) -> None:
    said, _ = refusal(services, text)
    assert said.startswith(f"I do not know “{text[3:]}” in a scope.")


# --- what a scope understood, for the preview --------------------------------------------------


def test_a_scope_keeps_what_it_understood_in_number_order(services: Services) -> None:
    catalog = services.catalog
    land = next(t.id for t in catalog.themes if t.slug == "land")
    first, second, third = sorted(
        (r for r in catalog.recommendations if r.cycle == 2 and land in r.theme_ids),
        key=lambda r: r.number,
    )[:3]
    typed = f"c2 ដីធ្លី land accepted noted {first.number}-{second.number} {third.number}"
    scope = parse_scope(f"{typed} until 2026-12-31", catalog, PHNOM_PENH, TODAY)
    assert (scope.cycle, scope.theme_ids, scope.numbers) == (
        2,
        (land,),
        (f"{first.number}–{second.number}", str(third.number)),
    )
    assert scope.responses == (Response.ACCEPTED, Response.NOTED)  # both: no filter
    assert scope.recommendation_ids == (first.id, second.id, third.id)
    assert scope.description == typed
    assert scope.closes_at == dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)
    # Two themes: one list in the order of the numbers, each recommendation once.
    both = parse_scope("c2 women children", catalog, PHNOM_PENH, TODAY)
    numbers = [catalog.by_id[i].number for i in both.recommendation_ids]
    assert numbers == sorted(set(numbers))
    assert set(both.recommendation_ids) == ids(catalog, 2, slug="women") | ids(
        catalog, 2, slug="children"
    )
    assert parse_scope("c2 accepted noted", catalog, PHNOM_PENH, TODAY).recommendation_ids == (
        parse_scope("c2", catalog, PHNOM_PENH, TODAY).recommendation_ids
    )


def test_a_glossary_word_for_a_theme_means_that_theme(services: Services) -> None:
    catalog = services.catalog
    land = next(t.id for t in catalog.themes if t.slug == "land")
    scope = parse_scope("c2 ដី", catalog, PHNOM_PENH, TODAY)  # the glossary's word for land
    assert (scope.theme_ids, set(scope.recommendation_ids)) == (
        (land,),
        ids(catalog, 2, slug="land"),
    )


def test_the_longest_theme_name_is_read_first(services: Services) -> None:
    catalog = services.catalog
    # A theme named by a part of another theme's name ("natural resources").
    part = Theme(999, "resources", "Natural resources", "ធនធានធម្មជាតិ")
    nested = Catalog(
        catalog.recommendations,
        [*catalog.themes, part],
        catalog.cycles,
        catalog.glossary,
        current_cycle=catalog.current_cycle,
    )
    land = next(t.id for t in catalog.themes if t.slug == "land")
    for text in ("c2 land and natural resources", "c2 ដីធ្លី និងធនធានធម្មជាតិ"):
        assert parse_scope(text, nested, PHNOM_PENH, TODAY).theme_ids == (land,), text
    assert parse_scope("c2 natural resources land", nested, PHNOM_PENH, TODAY).theme_ids == (
        999,
        land,
    )


def test_quoted_words_and_several_full_theme_names_are_read(services: Services) -> None:
    catalog = services.catalog
    slug = {t.slug: t.id for t in catalog.themes}
    quoted = parse_scope("c2 'land' 'labour'", catalog, PHNOM_PENH, TODAY)
    assert set(quoted.theme_ids) == {slug["land"], slug["labour"]}
    named = parse_scope(
        "c2 land and natural resources, rights of the child", catalog, PHNOM_PENH, TODAY
    )
    assert set(named.theme_ids) == {slug["land"], slug["children"]}
    assert set(named.recommendation_ids) == ids(catalog, 2, slug="land") | ids(
        catalog, 2, slug="children"
    )


# 17d ------------------------------------------------------------------------------------------


def test_a_reasons_cell_is_written_as_the_reader_labels_a_name_and_what_it_said() -> None:
    """The form the database writes a reasons cell in is the reader's "label: value", whichever
    comes first; a translation without both places falls back to "label: value"."""
    forms = {
        "{label}: {value}": ReasonsForm(" · ", "", ": ", "", True),
        "«{value}» — {label}.": ReasonsForm(" · ", "«", "» — ", ".", False),
        "[{label}] {value}!": ReasonsForm(" · ", "[", "] ", "!", True),
        "{label}": ReasonsForm(" · ", "", ": ", "", True),  # broken: no value
        "{value}": ReasonsForm(" · ", "", ": ", "", True),  # broken: no label
    }
    for template, expected in forms.items():
        l10n = Localizer("xx", Words({"{label}: {value}": template, "; ": " · "}))
        form = reasons_form(l10n)
        assert form == expected, template
        name, said = ("ADHOC", "🔴 No law yet.")
        first, second = (name, said) if form.label_first else (said, name)
        written = form.before + first + form.between + second + form.after
        if template.count("{") == 2:
            assert written == l10n.labelled(name, said)
