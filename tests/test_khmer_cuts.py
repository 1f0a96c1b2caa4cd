"""Khmer text is cut between letter clusters, never inside one: a long reason (given in chat
or set again) ends on a whole cluster, not a dangling subscript sign (្) or a vowel sign
without its base; a worksheet's title ends at a whole word, without a space."""

from __future__ import annotations

import unicodedata

import pytest

from bot.domain.rounds import MAX_REASON, Assessments
from bot.domain.spreadsheet import sheet_title
from bot.domain.text import COENG, cut_whole
from bot.services import Services
from tests.test_rounds_service import MEMBER, R, assessments, coalition, round_on

__all__ = ["assessments", "coalition"]  # the fixtures, used by name


def whole(text: str, rest: str) -> bool:
    """True when `text` ends on a whole cluster of `text + rest`: not on the subscript sign,
    and what is left starts with no sign that belongs to the last letter."""
    return not text.endswith(COENG) and not unicodedata.category(rest[:1] or "a").startswith("M")


@pytest.mark.parametrize("pad", range(8))
async def test_a_long_khmer_reason_is_cut_at_a_whole_letter_cluster(
    services: Services, assessments: Assessments, pad: int
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.tap(MEMBER, round_id, item, R, in_group=False)
    # 'សិទ្ធិសេដ្ឋកិច្ច' (economic rights) across the limit, moved a letter at a time.
    typed = "ក" * (MAX_REASON - 8 + pad) + "សិទ្ធិសេដ្ឋកិច្ច" * 3
    given = await assessments.give_reason(MEMBER, round_id, item, typed)
    saved = (await assessments.own(round_id, 1))[item].reason
    assert saved is not None
    assert len(saved) <= MAX_REASON
    assert typed.startswith(saved)
    assert whole(saved, typed[len(saved) :]), saved[-6:]
    assert len(saved) > MAX_REASON - 8  # at most a cluster is lost
    assert given.length == len(typed)
    await assessments.set_reason(MEMBER, round_id, item, typed)
    assert (await assessments.own(round_id, 1))[item].reason == saved


def test_cuts_keep_whole_clusters_and_sheet_titles_whole_words() -> None:
    text = "សិទ្ធិសេដ្ឋកិច្ច សង្គម និងវប្បធម៌ និងសិទ្ធិពលរដ្ឋ"
    for limit in range(1, len(text) + 1):
        cut = cut_whole(text, limit)
        assert len(cut) <= limit
        assert text.startswith(cut)
        assert whole(cut, text[len(cut) :].lstrip()), (limit, cut)
        assert not cut.endswith(" ")
    assert cut_whole("abc", 3) == "abc"
    assert sheet_title(text) == "សិទ្ធិសេដ្ឋកិច្ច សង្គម និង"  # not «…វប្បធ»
    assert sheet_title("Economic, social and cultural rights") == "Economic, social and cultural"
    assert sheet_title("x" * 40) == "x" * 31
