"""Khmer writes words without spaces: a cycle word (ជុំទី១, វដ្តទី១) or a round word (វគ្គទី១)
glued to the words around it, or parted from them by an invisible space, means what it means
with spaces, in a search, in /openround's scope and in /results; a round named in a search is
understood (its results are pointed to) and a cycle the bot does not have is said so."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.arguments import read, round_and_rest
from bot.domain.catalog import Catalog
from bot.domain.numbers import parse_numbers
from bot.domain.rounds import parse_scope
from bot.services import Services
from handlers.common import BotApplication
from tests.conftest import KHMER_MEMBER, MEMBER
from tests.fake_telegram import FakeTelegram
from tests.round_panel import labels
from tests.test_lookup_bot import button, edited, press
from tests.test_membership_notices_bot import next_private
from tests.test_round_scope_words import PHNOM_PENH, TODAY

ZWSP = "\u200b"
# Khmer words a member might glue to a cycle word: a theme word, a State, a group, a filler.
KHMER_WORDS = ("ដីធ្លី", "ជប៉ុន", "ស្ត្រី", "អនុសាសន៍", "អំពី", "កុមារ", "និង")


@pytest.fixture
def catalog(services: Services) -> Catalog:
    return services.catalog


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("ជុំទី១ដីធ្លី", "ជុំទី១ ដីធ្លី"),
        ("ជុំទី១ជប៉ុន", "ជុំទី១ ជប៉ុន"),
        ("ជុំទី២ស្ត្រី", "ជុំទី២ ស្ត្រី"),
        (f"ជុំទី១{ZWSP}ដីធ្លី", "ជុំទី១ ដីធ្លី"),
        ("អនុសាសន៍ជុំទី១អំពីដីធ្លី", "អនុសាសន៍ ជុំទី១ អំពីដីធ្លី"),
        ("វដ្តទី១ដីធ្លី", "វដ្តទី១ ដីធ្លី"),
        ("ដីធ្លីជុំទី១", "ដីធ្លី ជុំទី១"),
        ("ជុំ១ដីធ្លី", "ជុំ ១ ដីធ្លី"),
    ],
)
def test_a_glued_cycle_word_filters_a_search_as_a_spaced_one(
    services: Services, glued: str, spaced: str
) -> None:
    catalog = services.catalog
    request, expected = catalog.parse_search(glued), catalog.parse_search(spaced)
    assert expected.cycle is not None
    assert (request.cycle, request.state, request.text) == (
        expected.cycle,
        expected.state,
        expected.text,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cycle=st.sampled_from([1, 2]),
    khmer_digits=st.booleans(),
    before=st.lists(st.sampled_from(KHMER_WORDS), max_size=2),
    after=st.lists(st.sampled_from(KHMER_WORDS), min_size=1, max_size=2),
    glue=st.sampled_from(["", ZWSP, " "]),
    word=st.sampled_from(["ជុំទី", "ជុំ", "វដ្តទី", "វដ្ត"]),
)
def test_any_cycle_word_between_khmer_words_is_the_cycle(
    catalog: Catalog,
    cycle: int,
    khmer_digits: bool,
    before: list[str],
    after: list[str],
    glue: str,
    word: str,
) -> None:
    number = "០១២៣៤៥៦៧៨៩"[cycle] if khmer_digits else str(cycle)
    text = glue.join([*before, f"{word}{number}", *after])
    request = catalog.parse_search(text)
    assert request.cycle == cycle, text
    assert not any(ch.isdigit() for ch in request.text), text
    assert parse_numbers(text) is None


def test_numbers_glued_to_khmer_words_are_read() -> None:
    query = parse_numbers("១១៨.៦និង១១៨.៧")
    assert query is not None
    assert [(str(r.start), str(r.end)) for r in query.ranges] == [
        ("118.6", "118.6"),
        ("118.7", "118.7"),
    ]
    ranged = parse_numbers("១១៨.១-៤និង១១៨.៧ជុំទី២")
    assert ranged is not None
    assert ranged.cycle == 2
    assert [(str(r.start), str(r.end)) for r in ranged.ranges] == [
        ("118.1", "118.4"),
        ("118.7", "118.7"),
    ]


def test_a_glued_cycle_word_names_the_cycle_of_a_round_scope(catalog: Catalog) -> None:
    spaced = parse_scope("ជុំទី១ ដីធ្លី", catalog, PHNOM_PENH, TODAY)
    for written in ("ជុំទី១ដីធ្លី", f"ជុំទី១{ZWSP}ដីធ្លី", "វដ្តទី១ដីធ្លី", "ដីធ្លីជុំទី១"):
        scope = parse_scope(written, catalog, PHNOM_PENH, TODAY)
        assert (scope.cycle, scope.recommendation_ids) == (1, spaced.recommendation_ids), written


def test_a_glued_round_word_is_the_round_in_results_and_in_a_search() -> None:
    assert read("/results វគ្គទី១ដីធ្លី") == read("/results 1 ដីធ្លី")
    assert read("/export វគ្គទី២ប្រធានបទ") == read("/export 2 ប្រធានបទ")
    for typed, asked, rest in (
        ("វគ្គទី១ដីធ្លី", 1, ["ដីធ្លី"]),
        ("round 1 land", 1, ["land"]),
        ("Round ១២ land", 12, ["land"]),
        (f"ដីធ្លី{ZWSP}វគ្គ ១", 1, [f"ដីធ្លី{ZWSP}"]),
        ("ដីធ្លី round table", None, ["ដីធ្លី", "round", "table"]),
        ("round 2x", None, ["round", "2x"]),
    ):
        found, left = round_and_rest(typed)
        assert (found, left.split()) == (asked, rest), typed


async def header(tg: FakeTelegram, user: dict, typed: str) -> str:  # type: ignore[type-arg]
    """The bot's whole answer to a search."""
    return (await tg.reply_to(user, typed)).text


async def test_a_glued_cycle_word_in_chat_filters_like_a_spaced_one(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    spaced = (await header(tg, KHMER_MEMBER, "ជុំ ១ ដីធ្លី")).split("\n")[0]
    assert "ជុំទី១" in spaced
    for glued in ("ជុំទី១ដីធ្លី", f"ជុំទី១{ZWSP}ដីធ្លី", "វដ្តទី១ដីធ្លី"):
        answer = await header(tg, KHMER_MEMBER, glued)
        assert "មិនយល់ពាក្យ" not in answer, glued
        first = answer.split("\n")[0]
        assert first.split(" ")[1] == spaced.split(" ")[1], (glued, first)  # the same count
        assert first.endswith("សម្រាប់ “ដីធ្លី” · ជុំទី១</b>"), first  # the cycle said once
    japan = await header(tg, KHMER_MEMBER, "ជុំទី១ជប៉ុន")
    assert japan.split("\n")[0] == (await header(tg, KHMER_MEMBER, "ជប៉ុនជុំទី១")).split("\n")[0]
    assert "រកមិនឃើញ" not in japan


async def test_a_round_named_in_a_search_is_understood_and_pointed_to(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    land = (await header(tg, KHMER_MEMBER, "ដីធ្លី")).split("\n")[0]
    for typed in ("វគ្គទី១ ដីធ្លី", "វគ្គទី១ដីធ្លី", "ដីធ្លី វគ្គ ១"):
        answer = await header(tg, KHMER_MEMBER, typed)
        assert "មិនយល់ពាក្យ" not in answer, typed
        assert answer.split("\n")[0] == land  # the land results
        pointer = await next_private(tg, KHMER_MEMBER["id"])  # and where round 1's results are
        assert pointer.text == "សូមផ្ញើ /results 1 ដើម្បីមើលលទ្ធផលនៃវគ្គទី១។"
    english = await header(tg, MEMBER, "round 1 land")
    assert "Not understood" not in english
    assert "recommendations for “land”" in english.split("\n")[0]
    pointer = await next_private(tg, MEMBER["id"])
    assert pointer.text == "To see the results of round 1, send /results 1."
    alone = await header(tg, MEMBER, "round 1")
    assert alone == "To see the results of round 1, send /results 1."


async def test_a_cycle_the_bot_does_not_have_is_said_so(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    answer = await tg.reply_to(KHMER_MEMBER, "ជុំទី៤ ដីធ្លី")
    khmer = answer.text
    # Its buttons search the same words in a cycle the bot has.
    assert {"ជុំទី១", "ជុំទី២"} <= set(labels(answer)), labels(answer)
    await press(tg, answer, button(answer, "ជុំទី១"), KHMER_MEMBER)
    cycle_1 = (await edited(tg, answer)).text.split("\n")[0]
    assert cycle_1.endswith("សម្រាប់ “ដីធ្លី” · ជុំទី១</b>"), cycle_1
    assert khmer == "ជុំទី៤ មិនទាន់មាននៅក្នុងបូតនៅឡើយទេ។ បូតមាន៖ ជុំទី១, ជុំទី២។ មើល /cycles។"
    english = await header(tg, MEMBER, "cycle 4 land")
    assert english == "Cycle 4 is not in the bot yet. The bot has: Cycle 1, Cycle 2. See /cycles."
    # A cycle the bot has is searched as before.
    assert "Cycle 4" not in await header(tg, MEMBER, "cycle 1 land")
