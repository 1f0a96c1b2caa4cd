"""Commands' arguments: Khmer digits and colons work, bad dates get an answer, and no input —
random Unicode, Khmer, huge or empty — makes any parser (or the running bot) fail."""

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import running
from bot.domain.arguments import (
    Words,
    cycle_word,
    language_word,
    name_after_colon,
    normalise,
    read,
    whole_number,
    whole_numbers,
)
from bot.domain.catalog import Catalog, EmptyQuery, QueryTooLong
from bot.domain.group_lists import BadNumbers, pick
from bot.domain.model import RecNumber
from bot.domain.numbers import MalformedNumber, MultipleCycles, NumberQuery, parse_numbers
from bot.domain.rounds import BadScope, Scope, closing_time, parse_scope
from bot.services import Services
from bot.settings import Settings
from handlers.commands import COMMANDS
from handlers.common import BotApplication, BotContext
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    KHMER_MEMBER,
    FakeClock,
    loose_limiter,
    make_settings,
)
from tests.fake_telegram import FakeTelegram, StoredMessage
from tests.test_lookup_bot import button, edited, press

TZ = ZoneInfo("Asia/Phnom_Penh")
TODAY = dt.date(2026, 11, 23)
KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

TOKENS = st.sampled_from(
    [
        "until",
        "UNTIL",
        "c2",
        "c99",
        "c0",
        "cycle 2",
        "វដ្ត២",
        "accepted",
        "noted",
        "land",
        "labour",
        "118.6",
        "118.1-118.50",
        "១១៨.៦",
        "118.6.7",
        "2026-12-31",
        "២០២៦-១២-៣១",
        "2026-02-30",
        "9999-99-99",
        "9999-12-31",
        "0001-01-01",
        "2026–12–31",
        ":",
        "៖",
        "：",
        "-",
        ".",
        "²",
        "٣",
        "١١٨.٦",
        "99999999999999999999",
        "0",
        "",
        "\n",
        "\x00",
    ]
)
KHMER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x1780, max_codepoint=0x17FF))
HUGE = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=6), st.integers(500, 3000))


def arguments(unicode: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Random arguments: any text, Khmer, the words commands know mixed with noise, huge."""
    return st.one_of(
        unicode,
        KHMER_TEXT,
        st.lists(st.one_of(TOKENS, KHMER_TEXT, unicode), max_size=8).map(" ".join),
        HUGE,
    )


ANY_TEXT = arguments(st.text())  # lone surrogates included
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="session")
def catalog(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The bundled catalog, loaded once for the property tests."""
    path = tmp_path_factory.mktemp("catalog") / "bot.sqlite3"
    shutil.copy(template_db, path)

    async def load() -> Catalog:
        services = await Services.start(
            Settings(token="x", database_path=path),
            FakeClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        )
        found = services.catalog
        await services.close()
        return found

    return asyncio.run(load())


# --- the pure parsers, fuzzed ---------------------------------------------------------------


@FUZZ
@given(ANY_TEXT)
def test_numbers_and_names_are_read_or_refused_never_raised(text: str) -> None:
    normalise(text)
    found = whole_number(text)
    assert found is None or 0 <= found < 10**15
    assert all(0 <= n < 10**15 for n in whole_numbers(text))
    words = read(text)
    assert all(0 <= n < 10**15 for n in words.numbers)
    assert words.options <= {"csv", "xlsx", "themes"}
    assert language_word(text) in (None, "en", "km")
    found = cycle_word(text)
    assert found is None or 0 <= found < 100
    split = name_after_colon(text)
    if any(colon in text for colon in ":៖："):
        assert split is not None
        assert split[1] == split[1].strip()
    else:
        assert split is None
    try:
        RecNumber.parse(text)
    except ValueError:
        pass


@FUZZ
@given(ANY_TEXT)
def test_scopes_and_dates_are_read_or_explained(catalog: Catalog, text: str) -> None:
    for parse in (
        lambda: parse_scope(text, catalog, TZ, TODAY),
        lambda: closing_time(text, TZ, TODAY),
        lambda: closing_time(text, ZoneInfo("America/Los_Angeles"), TODAY),
    ):
        try:
            result = parse()
        except BadScope as exc:
            exc.message.format(**exc.params)  # every explanation can be shown
        else:
            assert isinstance(result, Scope | dt.datetime)


@FUZZ
@given(ANY_TEXT)
def test_lookups_are_read_or_explained(catalog: Catalog, text: str) -> None:
    try:
        assert isinstance(parse_numbers(text), NumberQuery | None)
    except (MalformedNumber, MultipleCycles):
        pass
    try:
        pick(text, catalog)  # numbers pasted into a working group's list
    except BadNumbers:
        pass
    try:
        request = catalog.parse_search(text)
    except (EmptyQuery, QueryTooLong, MalformedNumber, MultipleCycles):
        return
    catalog.search(request)


@FUZZ
@given(st.dates(min_value=TODAY, max_value=dt.date(9999, 12, 31)))
def test_a_date_in_khmer_digits_is_the_same_date(day: dt.date) -> None:
    written = day.isoformat()
    expected = dt.datetime.combine(day, dt.time(23, 59), TZ).astimezone(dt.UTC)
    assert closing_time(written, TZ, TODAY) == expected
    assert closing_time(written.translate(KHMER), TZ, TODAY) == expected


def test_one_reader_for_numbers_options_and_words() -> None:
    assert read("/export ១ XLSX ប្រធានបទ ដីធ្លី") == Words(
        (1,), frozenset({"xlsx", "themes"}), ("ដីធ្លី",)
    )
    assert read("/compare 1 ២ csv") == Words((1, 2), frozenset({"csv"}), ())
    assert read("/results") == Words((), frozenset(), ())
    assert [language_word(w) for w in ("km", "ខ្មែរ", " Khmer ", "អង់គ្លេស", "EN", "fr", "")] == [
        "km",
        "km",
        "km",
        "en",
        "en",
        None,
        None,
    ]
    assert [cycle_word(w) for w in ("c2", "c២", "វដ្តទី៤", "ជុំទី៤", "land", "c2c3")] == [
        2,
        2,
        4,
        4,
        None,
        None,
    ]


def test_khmer_digits_and_colons_in_every_number_argument() -> None:
    assert whole_numbers("១ 2 ៣x ²  ٣ 99999999999999999999 ០០៧") == [1, 2, 7]
    assert name_after_colon("c២ land ៖ ការពិនិត្យ ២០២៦") == ("c២ land ", "ការពិនិត្យ ២០២៦")
    assert name_after_colon("c2 : a: b") == ("c2 ", "a: b")
    assert whole_number("") is None


# --- through the running bot ----------------------------------------------------------------


async def open_round(tg: FakeTelegram, words: str) -> StoredMessage:
    """/openround as typed, then [Open]: the message saying it is open."""
    preview = await tg.reply_to(COORDINATOR, f"/openround {words}")
    await press(tg, preview, button(preview, "Open"), COORDINATOR)
    return await edited(tg, preview)


async def test_openround_with_khmer_digits_and_bad_dates(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    reply = await open_round(tg, "c២ ១១៨.១-១១៨.២ until ២០២៦-១២-៣១ ៖ ការពិនិត្យ ២០២៦")
    assert reply.text.startswith("Round 1 «ការពិនិត្យ ២០២៦» is open: 2 recommendations of cycle 2")
    services: Services = bot.bot_data["services"]
    round_ = await services.assessments.repository.round(1)
    assert round_ is not None
    assert round_.closes_at == dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)
    reply = await open_round(tg, "c2 118.3 until២០២៦-១២-៣១ ៖ Glued")
    assert reply.text.startswith("Round 2 «Glued» is open: 1 recommendation of cycle 2")
    round_ = await services.assessments.repository.round(2)
    assert round_ is not None
    assert round_.closes_at == dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC)
    for date in ("2026-02-30", "9999-99-99", "31/12/2026", ""):
        reply = await tg.reply_to(COORDINATOR, f"/openround c2 until {date} : Bad")
        assert reply.text == (
            f"“{date}” is not a date I can read. Write the closing date as until "
            "YEAR-MONTH-DAY, for example until 2026-12-31."
        )
    reply = await tg.reply_to(COORDINATOR, "/openround c2 until 2026-11-22 : Late")
    assert reply.text == "The closing date 2026-11-22 has already passed: choose a later date."
    reply = await tg.reply_to(COORDINATOR, "/openround c2 118.6.7 : Typo")
    assert reply.text == "Write recommendation numbers like 118.6 or ranges like 118.1-118.50."
    reply = await tg.reply_to(COORDINATOR, "/openround c2 c3 : Two")
    assert reply.text == "Name one cycle only, for example c2."
    assert len(await services.assessments.repository.rounds()) == 2  # none of those opened
    # In the reader's language.
    await services.coalition.set_coordinator(COORDINATOR_ID, KHMER_MEMBER["id"], True)
    await services.set_language(KHMER_MEMBER["id"], "km")
    reply = await tg.reply_to(KHMER_MEMBER, "/openround c2 until ២០២៦-០២-៣០ ៖ ខុស")
    assert reply.text.startswith("«២០២៦-០២-៣០» មិនមែនជាកាលបរិច្ឆេទ")
    await tg.next_call("setMyCommands")  # the new coordinator's menu


async def test_khmer_digits_in_results_export_compare_promote(
    tg: FakeTelegram, bot: BotApplication
) -> None:
    await open_round(tg, "c2 118.1 : One")
    await tg.send("/export ១ csv", user=COORDINATOR)
    doc = await tg.next_call("sendDocument", chat_id=COORDINATOR_ID)
    assert doc.params["document"]["filename"] == "round-1-en.csv"
    summary = await tg.reply_to(COORDINATOR, "/results ១")
    assert summary.text.startswith("<b>One</b>")
    await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)  # the page of results
    reply = await tg.reply_to(COORDINATOR, "/compare ១ ១")  # read as 1 1: one round twice
    assert reply.text == "Give two different rounds, for example /compare 1 2."
    reply = await tg.reply_to(COORDINATOR, "/find\n118.6")  # a line break after the command
    assert reply.text.startswith("<b>118.6</b>")
    reply = await tg.reply_to(COORDINATOR, "/promote ១២៣៤៥")
    assert reply.text == "12345 is now a coordinator."
    for forged in ("/results ²", "/results 99999999999999999999", "/compare ² ٣"):
        reply = await tg.reply_to(COORDINATOR, forged)
        assert reply.text.startswith(("Which round?", "Give two rounds"))


def commands(unicode: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A command the bot knows (or not), with random arguments; or plain text."""
    names = st.sampled_from([c.name for c in COMMANDS] + ["nosuchcommand"])
    command = st.builds(lambda name, args: f"/{name} {args}", names, arguments(unicode))
    return st.one_of(command, command, arguments(unicode))


@pytest.fixture
async def fast_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot without the per-account and per-chat flood limits (the fuzzer sends hundreds)."""
    settings_ = make_settings(tg, db_path, rate_limit_per_minute=100_000)
    async with running(
        settings_, clock, poll_timeout=1, limiter=loose_limiter(), chat_queue=1_000
    ) as app:
        yield app


async def test_generated_commands_never_crash_the_bot(
    tg: FakeTelegram, fast_bot: BotApplication
) -> None:
    # Telegram sends valid UTF-8 only: no lone surrogates here (the pure tests have them).
    collected: list[str] = []

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(commands(st.text(alphabet=st.characters(exclude_categories=["Cs"]))))
    def collect(text: str) -> None:
        collected.append(text[:4096])  # Telegram's limit on a message

    collect()
    errors: list[BaseException] = []
    handled: list[int] = []

    async def on_error(update: object, context: BotContext) -> None:
        errors.append(context.error or Exception("?"))

    async def done(update: Update, context: BotContext) -> None:
        handled.append(update.update_id)

    fast_bot.add_error_handler(on_error)
    fast_bot.add_handler(TypeHandler(Update, done), group=99)  # after every other group
    senders: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
        (COORDINATOR, None),
        (KHMER_MEMBER, None),
        (COORDINATOR, GROUP),
    ]
    for n, text in enumerate(collected):
        user, chat = senders[n % len(senders)]
        await tg.send(text, user=user, chat=chat)
    for _ in range(600):
        if len(handled) >= len(collected):
            break
        await asyncio.sleep(0.05)
    assert len(handled) == len(collected)
    assert errors == []
    assert not [c for c in tg.calls if "something went wrong" in str(c.params.get("text", ""))]
    newcomer = {"id": 4242, "is_bot": False, "first_name": "New", "language_code": "en"}
    reply = await tg.reply_to(newcomer, "118.6")  # and it still answers
    assert reply.text.startswith("<b>118.6</b>")
    assert tg.unconsumed_errors() == []  # nothing the bot sent was refused (bad HTML, size…)
