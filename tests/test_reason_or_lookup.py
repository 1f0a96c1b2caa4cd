"""A message waiting as a reason is a lookup only when it is nothing but numbers."""

from __future__ import annotations

import pytest

from bot.domain.rounds import is_lookup


@pytest.mark.parametrize(
    ("text", "lookup"),
    [
        ("118.6", True),
        ("/search land", True),  # a command: answered as one, never taken as a reason
        (" /rate", True),
        ("១១៨.៦", True),
        ("c2 118.6, 118.7", True),
        ("118", True),  # a number typed wrong: the lookup explains
        ("118.6 is done", False),
        ("118.6 បានធ្វើរួច", False),
        ("118.6 é", False),  # a letter in any script makes it a reason
        ("118.6 работа", False),
        ("the ministry answered", False),
    ],
)
def test_a_reason_naming_a_number_is_not_a_lookup(text: str, lookup: bool) -> None:
    assert is_lookup(text) is lookup
