"""A translations file (CSV or XLSX from /translations) is checked as a text typed to
/translate is, and its dates are written in the coalition's time zone, to the minute."""

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from handlers.common import BotApplication
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.fake_telegram import FakeTelegram
from tests.test_lookup_bot import button, press
from tests.test_membership_notices_bot import next_private
from tests.test_rules import services_of
from tests.test_translations_bot import (
    CORRECTED,
    KHMER_COORDINATOR,
    PROTOCOL,
    _csv,
    exported_rows,
)


async def test_a_file_row_the_chat_would_refuse_is_refused_by_its_line_in_khmer(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    services = services_of(bot)
    before = await services.translating.store.export_rows()
    rows = exported_rows(before, services)
    header = rows[0]
    number, text_km = header.index("number"), header.index("text_km")
    line_of = {(r[0], r[number]): i for i, r in enumerate(rows) if i}  # line = index + 1
    protocol, migrants = line_of[("2", "118.1")], line_of[("2", "118.6")]
    rows[protocol][text_km] = "<b>ដីធ្លី</b>"  # the chat says: plain text, no HTML tags
    rows[migrants][text_km] = "ផ្តល់សច្ចាប័នលើអនុសញ្ញាពលករ"  # far shorter than its English
    await tg.send_document("translations-km.csv", _csv(rows), user=KHMER_COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text.startswith("មិនបានរក្សាទុកអ្វីទេ៖ ឯកសារបកប្រែនេះមាន ២ ជួរ")
    km = services.translations.localizer("km")
    tags = km.gettext("the Khmer text has HTML tags: write plain text")
    short = km.gettext(
        "the Khmer text is far shorter than the English text, so it cannot be its whole "
        "translation"
    )
    assert tags != "the Khmer text has HTML tags: write plain text"  # said in Khmer
    line = km.gettext("line {line}")
    assert f"• {line.format(line=km.number(protocol + 1))}៖ {tags}" in answer.text  # Khmer colon
    assert tags in answer.text
    assert short in answer.text
    assert answer.text.index(tags) < answer.text.index(short)  # by line
    assert await services.translating.store.export_rows() == before  # nothing half-written

    rows[protocol][text_km], rows[migrants][text_km] = PROTOCOL, CORRECTED
    await tg.send_document("translations-km.csv", _csv(rows), user=KHMER_COORDINATOR)
    answer = await next_private(tg, COORDINATOR_ID)
    assert answer.text.startswith("ការបកប្រែ៖ បន្ថែម ២")
    stored = [r.stored.text_km for r in await services.translating.store.export_rows() if r.stored]
    assert sorted(stored) == sorted([PROTOCOL, CORRECTED])


async def test_the_export_dates_are_phnom_penh_minutes_and_both_forms_import(
    tg: FakeTelegram, bot: BotApplication, clock: FakeClock
) -> None:
    services = services_of(bot)
    clock.advance(microseconds=33334)  # 2026-11-23 02:00:00.033334 UTC
    await tg.reply_to(KHMER_COORDINATOR, "/translate")
    await tg.reply_to(KHMER_COORDINATOR, PROTOCOL)  # 118.1, drafted at 09:00 in Phnom Penh
    overview = await tg.reply_to(KHMER_COORDINATOR, "/translations")
    await press(tg, overview, button(overview, "CSV"), KHMER_COORDINATOR)
    sent = await tg.next_call("sendDocument", chat_id=COORDINATOR_ID)
    rows = list(csv.reader(io.StringIO(sent.params["document"]["content"].decode("utf-8-sig"))))
    header = rows[0]
    drafted = next(r for r in rows[1:] if r[header.index("text_km")])
    assert drafted[header.index("translated_at")] == "2026-11-23 09:00"
    await press(tg, overview, button(overview, "XLSX"), KHMER_COORDINATOR)
    sent = await tg.next_call("sendDocument", chat_id=COORDINATOR_ID)
    sheet = load_workbook(io.BytesIO(sent.params["document"]["content"])).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert next(r for r in cells[1:] if r[3])[header.index("translated_at")] == "2026-11-23 09:00"

    # A file exported before (UTC with microseconds) and one exported now both import.
    when = header.index("translated_at")
    for written, moment in (
        ("2026-11-23T02:00:00.033334+00:00", dt.datetime(2026, 11, 23, 2, 0, 0, 33334, dt.UTC)),
        (
            "2026-11-24 10:30",
            dt.datetime(2026, 11, 24, 3, 30, tzinfo=dt.UTC),
        ),  # Phnom Penh is UTC+7
    ):
        drafted[when] = written
        drafted[header.index("text_km")] = f"{PROTOCOL} {written[:10]}"
        await tg.send_document("translations-km.csv", _csv(rows), user=KHMER_COORDINATOR)
        answer = await next_private(tg, COORDINATOR_ID)
        assert answer.text.startswith("ការបកប្រែ៖ បន្ថែម ០ ធ្វើបច្ចុប្បន្នភាព ១")
        stored = next(r.stored for r in await services.translating.store.export_rows() if r.stored)
        assert stored.translated_at == moment
