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
            if re.search("[A-Za-z]", PLACEHOLDER.sub("", ids[0])):  # not punctuation alone
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
    assert km.gettext("Accepted") == "បានទទួលយក"
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


def test_dates_are_written_as_the_reader_writes_them() -> None:
    translations = Translations.load("en")
    day = dt.date(2014, 1, 28)
    # Khmer: day, month and year named, in Khmer digits (locales/GLOSSARY.md, "Dates")
    assert translations.localizer("km").date(day) == "ថ្ងៃទី២៨ ខែមករា ឆ្នាំ២០១៤"
    assert translations.localizer("en").date(day) == "January 28, 2014"
    assert translations.localizer("km").month(dt.date(2027, 6, 3)) == "ខែមិថុនា ឆ្នាំ២០២៧"
    assert translations.localizer("en").month(dt.date(2027, 6, 3)) == "June 2027"


def test_counts_and_times_take_the_readers_digits() -> None:
    translations = Translations.load("en")
    km, en = translations.localizer("km"), translations.localizer("en")
    assert (km.number(9), km.number(14), km.number(0), km.number(2026)) == ("៩", "១៤", "០", "២០២៦")
    assert (en.number(9), en.number(2026)) == ("9", "2026")
    assert km.time(dt.time(9, 0, 59)) == "០៩:០០"
    assert en.time(dt.time(17, 5)) == "17:05"
    assert km.digits("42 % · 3/5") == "៤២ % · ៣/៥"
    assert en.digits("42 %") == "42 %"


def test_what_the_bot_writes_a_member_can_type_back() -> None:
    from bot.domain.milestones import CycleMilestones
    from bot.domain.schedule import parse_date
    from bot.domain.timeframes import Kind, Timeframe, read_timeframe

    km = Translations.load("en").localizer("km")
    phnom_penh = ZoneInfo("Asia/Phnom_Penh")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for day in (dt.date(2026, 3, 31), dt.date(2027, 12, 1), dt.date(2028, 2, 29)):
        assert parse_date(km.date(day), now, phnom_penh) == day
        read = read_timeframe(km.date(day), CycleMilestones(4, {}))
        assert isinstance(read, Timeframe)
        assert (read.kind, read.due_day) == (Kind.DATE, day)


def test_a_missing_catalog_stops_start_up(tmp_path: Path) -> None:
    from bot.domain.i18n import MissingCatalog

    with pytest.raises(MissingCatalog):
        Translations.load("en", directory=tmp_path)


def test_moments_show_the_day_and_the_24_hour_time_without_seconds() -> None:
    translations = Translations.load("en")
    phnom_penh = ZoneInfo("Asia/Phnom_Penh")
    at = dt.datetime(2026, 11, 24, 2, 0, 59, tzinfo=dt.UTC)  # 09:00:59 in Phnom Penh
    assert translations.localizer("en").datetime(at, phnom_penh) == "24 Nov 2026, 09:00"
    # the Khmer date as in running text, Khmer digits, ម៉ោង before the hour
    khmer = translations.localizer("km").datetime(at, phnom_penh)
    assert khmer == "ថ្ងៃទី២៤ ខែវិច្ឆិកា ឆ្នាំ២០២៦ ម៉ោង ០៩:០០"
    afternoon = dt.datetime(2026, 3, 5, 8, 30, tzinfo=dt.UTC)
    assert translations.localizer("en").datetime(afternoon, phnom_penh) == "5 Mar 2026, 15:30"
