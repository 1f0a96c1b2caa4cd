"""Localisation: gettext catalogs for English and Khmer, loaded once, and Babel formatting."""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "km")
# Babel patterns. Khmer writes a date as 'ថ្ងៃទី២៨ ខែមករា ឆ្នាំ២០១៤' (one form everywhere, in
# running text and lists alike) and a time on a 24-hour clock after ម៉ោង; its digits are Khmer.
_DATE = {"en": "MMMM d, y", "km": "'ថ្ងៃទី'd 'ខែ'MMMM 'ឆ្នាំ'y"}
_MONTH = {"en": "LLLL y", "km": "'ខែ'LLLL 'ឆ្នាំ'y"}
_YEAR = {"en": "y", "km": "'ឆ្នាំ'y"}
_MOMENT = {"en": "d MMM y, HH:mm", "km": _DATE["km"] + " 'ម៉ោង' HH:mm"}
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
# The placeholders of the domain's messages that hold a count, a cycle, a limit or a line
# number: written in the reader's digits (recommendation numbers, ids, what was typed are not).
_COUNTED = frozenset(
    {"count", "cycle", "days", "first", "limit", "line", "parts", "size", "total"}
)


class MissingCatalog(RuntimeError):
    """A language's catalog is missing or broken: the bot must not start half-translated."""


@dataclass(frozen=True)
class Localizer:
    """Translations and formats for one reader's language."""

    language: str
    _translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        """The message in the reader's language ("" stays "": gettext would give the catalog's
        header)."""
        return self._translations.gettext(message) if message else ""

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural message for n, in the reader's language."""
        return self._translations.ngettext(singular, plural, n)

    def labelled(self, label: str, value: str) -> str:
        """'label: value' with the reader's colon (Khmer ៖)."""
        # TRANSLATORS: a label and its value on one line, e.g. "Land: ⚪ 11" (Khmer: ៖).
        return self.gettext("{label}: {value}").format(label=label, value=value)

    def listing(self, items: Iterable[str]) -> str:
        """The items of a list on one line, with the reader's separator ('a; b', 'a · b')."""
        # TRANSLATORS: what separates the items of a list on one line (Khmer: " · ").
        return self.gettext("; ").join(items)

    def counted_days(self, days: Iterable[int]) -> str:
        """'14 days and 3 days': each count of days, the last joined with 'and'."""
        said = [
            self.ngettext("{count} day", "{count} days", d).format(count=self.number(d))
            for d in days
        ]
        if len(said) < 2:
            return "".join(said)
        # TRANSLATORS: the last item of a list joined to the others: "14 days and 3 days".
        return self.gettext("{items} and {last}").format(
            items=self.listing(said[:-1]), last=said[-1]
        )

    def digits(self, text: str) -> str:
        """The text with its digits in the reader's script: Khmer digits for a Khmer reader."""
        return text.translate(_KHMER_DIGITS) if self.language == "km" else text

    def number(self, value: int) -> str:
        """A count or an ordinal placed in a sentence: '14', '១៤' (recommendation numbers such
        as 118.6 and what a command takes stay Latin: they are not passed through here)."""
        return self.digits(str(value))

    def message(self, msgid: str, params: Mapping[str, str]) -> str:
        """A message of the domain (a gettext msgid and its values) in the reader's language,
        its counts, cycles, limits and line numbers in the reader's digits."""
        return self.gettext(msgid).format(
            **{k: self.digits(str(v)) if k in _COUNTED else v for k, v in params.items()}
        )

    def date(self, value: dt.date) -> str:
        """A date as the reader writes it: 'January 28, 2014', 'ថ្ងៃទី២៨ ខែមករា ឆ្នាំ២០១៤'."""
        return self.digits(format_date(value, _DATE[self.language], locale=self.language))

    def month(self, value: dt.date) -> str:
        """A month and its year in the reader's language: 'June 2027', 'ខែមិថុនា ឆ្នាំ២០២៧'."""
        return self.digits(format_date(value, _MONTH[self.language], locale=self.language))

    def year(self, value: dt.date) -> str:
        """A year on its own in the reader's language: '2021', 'ឆ្នាំ២០២១'."""
        return self.digits(format_date(value, _YEAR[self.language], locale=self.language))

    def time(self, value: dt.time) -> str:
        """A time of day on a 24-hour clock without seconds: '09:00', '០៩:០០'."""
        return self.digits(value.strftime("%H:%M"))

    def datetime(self, value: dt.datetime, tz: dt.tzinfo) -> str:
        """A moment in the coalition's time zone in the reader's language, to the minute on a
        24-hour clock: '24 Nov 2026, 09:00', 'ថ្ងៃទី២៤ ខែវិច្ឆិកា ឆ្នាំ២០២៦ ម៉ោង ០៩:០០'."""
        return self.digits(
            format_datetime(
                value.astimezone(tz), _MOMENT[self.language], tzinfo=tz, locale=self.language
            )
        )


class Translations:
    """Every language's catalog, compiled from the .po files once at start-up."""

    def __init__(self, catalogs: dict[str, gettext.NullTranslations], default: str) -> None:
        """Use `Translations.load`."""
        self._catalogs = catalogs
        self.default = default
        # Read for every update (frozen: one per language serves them all).
        self._localizers = {code: Localizer(code, c) for code, c in catalogs.items()}

    @classmethod
    def load(cls, default: str, directory: Path = LOCALES_DIR) -> Translations:
        """Read and compile each language's messages.po; a missing one is a start-up error."""
        catalogs: dict[str, gettext.NullTranslations] = {}
        for language in LANGUAGES:
            path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            try:
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=language)
            except (OSError, ValueError) as exc:
                raise MissingCatalog(f"cannot read {path}: {exc}") from exc
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            catalogs[language] = gettext.GNUTranslations(buffer)
        return cls(catalogs, default)

    def localizer(self, language: str | None) -> Localizer:
        """The localizer for a language code, falling back to the default language."""
        return self._localizers.get(language or "") or self._localizers[self.default]

    def pick(self, telegram_code: str | None) -> str:
        """The bot language for a Telegram language code ('km', 'km-KH', 'en-US', …)."""
        base = (telegram_code or "").split("-")[0].lower()
        return base if base in self._catalogs else self.default
