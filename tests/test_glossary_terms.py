"""The Khmer catalog uses the words of locales/GLOSSARY.md: one Khmer term for one idea, and the
words for a UPR cycle (ជុំ), an assessment round (វគ្គ), a theme (ប្រធានបទ) and a forum topic
(ខ្សែជជែក) never taken for one another."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.domain.i18n import LOCALES_DIR

GLOSSARY = Path(LOCALES_DIR, "GLOSSARY.md").read_text(encoding="utf-8")
# Placeholders and commands are not words of the sentence: '{cycle}', '/themes'.
_WORDS_ONLY = re.compile(r"\{[a-z_]*\}|/[a-z]+")


def _pairs() -> list[tuple[str, str]]:
    """Every (English msgid without placeholders and commands, Khmer msgstr) of the catalog,
    plural forms included."""
    with (LOCALES_DIR / "km" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="km")
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english = _WORDS_ONLY.sub(" ", ids[-1])
        pairs += [(english, string) for string in strings]
    return pairs


PAIRS = _pairs()

# (English found in the msgid, English that exempts it, Khmer the msgstr must contain, Khmer it
# must not contain). The Khmer is compared with subscript ដ written as ត, as search does.
RULES: list[tuple[str, str | None, str | None, str | None]] = [
    (r"(?i)\bcycles?\b", None, "ជុំ", "វដ្ត"),
    (r"(?i)\b(?:assessments?|rounds?)\b", r"(?i)\bcycles?\b|\bc\d\b", "វគ្គ", "ជុំ"),
    (r"(?i)\breasons?\b", None, "ហេតុផល", "មូលហេតុ"),
    (r"blocked the bot", None, "ប្លុក", "បិទបូត"),
    (r"(?i)\b(?:de|re)activate|\binactive\b", None, "សមាជិកភាព", None),
    (r"(?i)\btopics?\b", r"(?i)\bthemes?\b", "ខ្សែជជែក", "ប្រធានបទ"),
    (r"(?i)\bthemes?\b", r"(?i)\btopics?\b", "ប្រធានបទ", "ខ្សែជជែក"),
    (r"(?i)\bmid-term\b", None, "ពាក់កណ្តាលជុំ", "អាណត្តិ"),
    (r"^Accepted$", None, "បានទទួលយក", None),
    (r"Universal Periodic Review", None, "ការពិនិត្យជាសកលតាមកាលកំណត់", "ការត្រួតពិនិត្យ"),
    # A reply to a message is not the State's response (ការឆ្លើយតប): "Reply (ឆ្លើយតប)".
    (r"(?i)\brepl(?:y|ies)\b", r"(?i)\bresponses?\b", None, "ការឆ្លើយតប"),
]


@pytest.mark.parametrize(("english", "exempt", "required", "forbidden"), RULES)
def test_each_glossary_term_is_translated_with_the_glossary_word(
    english: str, exempt: str | None, required: str | None, forbidden: str | None
) -> None:
    found = [(i, s) for i, s in PAIRS if re.search(english, i)]
    assert found, f"no msgid has {english}: the rule checks nothing"
    wrong = []
    for msgid, msgstr in found:
        khmer = msgstr.replace("្ដ", "្ត")
        missing = required is not None and required not in khmer
        allowed = exempt is not None and re.search(exempt, msgid) is not None
        banned = forbidden is not None and forbidden in khmer and not allowed
        if missing or banned:
            wrong.append(f"{msgid[:70]!r} -> {msgstr[:70]!r}")
    assert not wrong, "\n".join(wrong)


def test_the_glossary_names_the_words_the_rules_enforce() -> None:
    for _, _, required, _ in RULES:
        assert required is None or required in GLOSSARY.replace("្ដ", "្ត"), required


def test_the_cycle_and_the_round_words_never_meet() -> None:
    """A cycle is never written with the round word, a round never with the cycle word."""
    for msgid, msgstr in PAIRS:
        cycle_only = re.search(r"(?i)\bcycles?\b", msgid) and not re.search(
            r"(?i)\b(?:rounds?|scope|assessments?)\b", msgid
        )
        assert not (cycle_only and "វគ្គ" in msgstr), msgid


def test_khmer_ordinals_and_counts_in_the_catalog_use_khmer_digits() -> None:
    """'ជំហានទី១ នៃ ៥', 'ជុំទី២': Latin digits stay only in what members type (118.6, c2,
    /results 1, 2026-12-31) and in sizes (MB)."""
    ordinal = re.compile(r"ទី ?[0-9]|[0-9] ?នៃ ?[0-9]")
    wrong = [f"{i[:60]!r} -> {s[:80]!r}" for i, s in PAIRS if ordinal.search(s)]
    assert not wrong, "\n".join(wrong)


def test_khmer_ordinals_are_joined_to_their_number() -> None:
    """'ទំព័រទី១/៣', 'ជំហានទី១ នៃ ៥', 'ជុំទី២': never 'ទី ១' nor 'ទី {page}'."""
    apart = re.compile(r"ទី +(?:[0-9០-៩]|\{)")
    wrong = [f"{i[:60]!r} -> {s[:80]!r}" for i, s in PAIRS if apart.search(s)]
    assert not wrong, "\n".join(wrong)
