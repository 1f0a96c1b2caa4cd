"""The time zone beside a time is translated: Khmer screens say (តាមម៉ោងភ្នំពេញ), not 'Phnom
Penh' nor a doubled 'ម៉ោង ០៩:០០ (ម៉ោង ភ្នំពេញ)'; another TIMEZONE is shown by its own name."""

import datetime as dt
from zoneinfo import ZoneInfo

from bot.domain.audit import moment
from bot.domain.i18n import Translations
from bot.domain.round_notices import closing_phrase

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
AT = dt.datetime(2027, 3, 31, 10, 0, tzinfo=dt.UTC)


def test_the_zone_beside_a_time_is_in_the_readers_language() -> None:
    translations = Translations.load("en")
    khmer, english = translations.localizer("km"), translations.localizer("en")
    for text in (closing_phrase(khmer, PHNOM_PENH, AT), moment(khmer, PHNOM_PENH, AT)):
        assert text.endswith("(តាមម៉ោងភ្នំពេញ)")
        assert "(ម៉ោង" not in text
        assert "Phnom" not in text
    assert closing_phrase(english, PHNOM_PENH, AT).endswith("(Phnom Penh)")
    assert moment(english, PHNOM_PENH, AT).endswith("(Phnom Penh)")
    bangkok = ZoneInfo("Asia/Bangkok")
    assert closing_phrase(khmer, bangkok, AT) == "បិទនៅថ្ងៃទី៣១ ខែមីនា ឆ្នាំ២០២៧ (តាមម៉ោងBangkok)"
    assert moment(english, bangkok, AT).endswith("(Bangkok)")
