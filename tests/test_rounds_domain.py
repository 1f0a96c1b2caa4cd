"""A round's scope as a coordinator writes it: what it takes in, and every refusal's words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.catalog import Catalog
from bot.domain.model import Response
from bot.domain.rounds import BadScope, parse_scope
from bot.services import Services

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
