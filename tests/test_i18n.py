"""The catalogs: complete Khmer, matching placeholders, no drift from the code."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.domain.i18n import LOCALES_DIR, Translations

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+>")


def entries(language: str) -> list:  # type: ignore[type-arg]
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return [m for m in read_po(handle, locale=language) if m.id]


def test_khmer_catalog_is_complete_and_not_fuzzy() -> None:
    problems = []
    for message in entries("km"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []


def test_khmer_translations_keep_placeholders_and_tags_and_are_khmer() -> None:
    for message in entries("km"):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == wanted, message.id
            assert sorted(TAG.findall(string)) == sorted(TAG.findall(ids[0])), message.id
            assert re.search("[\u1780-\u17ff]", string), f"not Khmer: {message.id!r}"


def test_catalogs_are_current_with_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - Babel's own extractor on our code
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            "bot",
            "handlers",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        in_code = {m.id for m in read_po(handle) if m.id}
    for language in ("en", "km"):
        in_catalog = {m.id for m in entries(language)}
        assert in_catalog == in_code, f"run scripts/i18n: {language} catalog has drifted"


def test_catalogs_compile_and_translate() -> None:
    translations = Translations.load("en")
    km = translations.localizer("km")
    assert km.gettext("Accepted") == "ទទួលយក"
    assert (
        km.ngettext("{count} recommendation for {query}", "{count} recommendations for {query}", 5)
        == "អនុសាសន៍ {count} សម្រាប់ {query}"
    )
    en = translations.localizer("en")
    assert (
        en.ngettext("{count} recommendation for {query}", "{count} recommendations for {query}", 1)
        == "{count} recommendation for {query}"
    )
    assert translations.localizer("fr").language == "en"
    assert translations.pick("km-KH") == "km"


def test_dates_are_written_in_the_readers_language() -> None:
    translations = Translations.load("en")
    day = dt.date(2014, 1, 28)
    assert translations.localizer("km").date(day) == "28 មករា 2014"
    assert translations.localizer("en").date(day) == "January 28, 2014"


def test_a_missing_catalog_stops_start_up(tmp_path: Path) -> None:
    from bot.domain.i18n import MissingCatalog

    with pytest.raises(MissingCatalog):
        Translations.load("en", directory=tmp_path)


def test_moments_show_the_day_and_the_24_hour_time_without_seconds() -> None:
    translations = Translations.load("en")
    phnom_penh = ZoneInfo("Asia/Phnom_Penh")
    at = dt.datetime(2026, 11, 24, 2, 0, 59, tzinfo=dt.UTC)  # 09:00:59 in Phnom Penh
    assert translations.localizer("en").datetime(at, phnom_penh) == "24 Nov 2026, 09:00"
    # the Khmer month name, Latin digits as on every other Khmer screen, ម៉ោង before the hour
    khmer = translations.localizer("km").datetime(at, phnom_penh)
    assert khmer == "24 វិច្ឆិកា 2026 ម៉ោង 09:00"
    afternoon = dt.datetime(2026, 3, 5, 8, 30, tzinfo=dt.UTC)
    assert translations.localizer("en").datetime(afternoon, phnom_penh) == "5 Mar 2026, 15:30"
