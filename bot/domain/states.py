"""Recommending States: one key per State whatever the spelling, names in the reader's language."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from babel import Locale

from bot.domain.text import normalize

# Spellings used in UN reports and exports that Babel's English names do not cover.
_ALIASES = {
    "bolivarian republic of venezuela": "VE",
    "bosnia and herzegovina": "BA",
    "myanmar": "MM",
    "venezuela (bolivarian republic of)": "VE",
    "bolivia (plurinational state of)": "BO",
    "plurinational state of bolivia": "BO",
    "brunei darussalam": "BN",
    "cabo verde": "CV",
    "congo": "CG",
    "cote d'ivoire": "CI",
    "côte d'ivoire": "CI",
    "czech republic": "CZ",
    "democratic people's republic of korea": "KP",
    "democratic republic of the congo": "CD",
    "eswatini": "SZ",
    "holy see": "VA",
    "iran (islamic republic of)": "IR",
    "islamic republic of iran": "IR",
    "lao people's democratic republic": "LA",
    "lao pdr": "LA",
    "micronesia (federated states of)": "FM",
    "netherlands (kingdom of the)": "NL",
    "north macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "republic of korea": "KR",
    "republic of moldova": "MD",
    "russian federation": "RU",
    "state of palestine": "PS",
    "palestine": "PS",
    "syrian arab republic": "SY",
    "turkey": "TR",
    "türkiye": "TR",
    "united kingdom of great britain and northern ireland": "GB",
    "uk": "GB",
    "united republic of tanzania": "TZ",
    "united states of america": "US",
    "usa": "US",
    "viet nam": "VN",
}

# English names shown to readers: the UN's short names where Babel's differ politically.
_UN_NAMES = {
    "KP": "Democratic People's Republic of Korea",
    "KR": "Republic of Korea",
    "PS": "State of Palestine",
    "VE": "Venezuela (Bolivarian Republic of)",
    "IR": "Iran (Islamic Republic of)",
    "LA": "Lao People's Democratic Republic",
    "RU": "Russian Federation",
    "VN": "Viet Nam",
    "CZ": "Czechia",
    "CG": "Congo",
    "CD": "Democratic Republic of the Congo",
    "SY": "Syrian Arab Republic",
    "MD": "Republic of Moldova",
    "TZ": "United Republic of Tanzania",
    "BO": "Bolivia (Plurinational State of)",
    "VA": "Holy See",
    "BN": "Brunei Darussalam",
    "BA": "Bosnia and Herzegovina",
    "MM": "Myanmar",
}
_KM_OVERRIDES = {"PS": "រដ្ឋប៉ាឡេស្ទីន"}


@dataclass(frozen=True)
class State:
    """A recommending State: an ISO code when known, else the name as printed."""

    key: str

    def name(self, language: str) -> str:
        """The State's name in the reader's language (Babel's Khmer country names)."""
        if len(self.key) != 2 or not self.key.isupper():
            return self.key
        if language == "km":
            return _KM_OVERRIDES.get(self.key) or _locale("km").territories.get(self.key, self.key)
        return _UN_NAMES.get(self.key) or _locale("en").territories.get(self.key, self.key)

    def search_names(self) -> tuple[str, ...]:
        """Every normalised spelling a member might type for this State."""
        names = {normalize(self.name("en")), normalize(self.name("km"))}
        if len(self.key) == 2:
            names.add(normalize(_locale("en").territories.get(self.key, self.key)))
            names.update(alias for alias, code in _ALIASES.items() if code == self.key)
        return tuple(sorted(n for n in names if len(n) > 1))


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@functools.cache
def _english_index() -> dict[str, str]:
    index = {
        normalize(name): code
        for code, name in _locale("en").territories.items()
        if len(code) == 2 and code.isalpha()
    }
    index.update(_ALIASES)
    return index


def resolve_state(printed: str) -> State:
    """The State behind a name as printed in a report ('Viet Nam', 'Brunei', …)."""
    cleaned = printed.strip()
    return State(_english_index().get(normalize(cleaned), cleaned))
