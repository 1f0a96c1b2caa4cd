"""Ten thousand malformed and hostile updates against the running bot: nothing may crash.

Hypothesis generates a bank of hostile texts (derandomized: the same on every run; drawing
10,000 whole updates through it would take a minute), a seeded generator builds the updates of
every kind around them, and the fake server delivers them in bulk to the real Application. The
test fails on any error the bot, PTB or the fake server logs, on any call the strict fake server
refuses, and if the bot no longer answers a plain lookup afterwards. Each crash it found has its
own small test below.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler

from bot.app import running
from bot.flood import ChatRateLimiter, Window
from bot.services import Services
from handlers import BUTTONS
from handlers.commands import COMMANDS
from handlers.common import BotApplication
from tests.conftest import (
    COORDINATOR,
    COORDINATOR_ID,
    GROUP,
    MEMBER,
    FakeClock,
    make_settings,
)
from tests.fake_telegram import BOT_ID, BOT_USERNAME, FakeTelegram, StoredMessage
from tests.test_lookup_bot import press
from tests.test_rounds_bot import coalition_with, link_land_group, open_round

UPDATES = 10_000
BATCH = 50  # updates per Hypothesis example
FLOOD_ID = 4242  # one account sending a large share of everything
EXTRA_COORDINATORS = (9001, 9002)
USERS = 3000  # distinct ordinary accounts the rest is spread over
REPS = (2000, 2001, 2002)  # the representatives coalition_with creates

# Every callback prefix the bot registers (with and without its colon), near misses and none;
# the test also checks that every registered pattern is reached by one of these.
PREFIXES = (
    *(f"{p}{end}" for button in BUTTONS for p in button.prefixes for end in (":", "")),
    *(f"v{c}:" for c in "abcdtz"),
    "ra:",
    "zz:",
    "",
    ":",
)
SPECIAL_CHARS = (
    "\x00",
    "\x0b",
    "\x1f",
    "\x7f",
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u2066",
    "\u2069",
    "\ud800",  # lone surrogates: JSON escapes them, Python decodes them
    "\udfff",
    "\ufffe",
    "\uffff",
    "\U0001f534",
    "\u17d2",  # Khmer coeng
    "\u17b4",
    "៖",  # Khmer colon
    "\n",
    "\r",
    "\t",
    " ",
)
TOKENS = (
    "118.6",
    "១១៨.៦",
    "118.1-118.4",
    "119.21 to 27",
    "118.6.7",
    "c2",
    "c99",
    "c1 c2",
    "cycle 0",
    "វដ្តទី២",
    "land",
    "ដីធ្លី",
    "noted",
    "accepted",
    "Japan",
    "<b>",
    "</i>",
    "&amp;",
    "&",
    "<",
    ">",
    "{org}",
    "{0}",
    "%s",
    "%(count)d",
    "=1+1",
    "@SUM(A1)",
    "'; DROP TABLE organisations; --",
    "until 2026-12-31",
    "until ២០២៦-១២-៣១",
    "until 2026-02-30",
    "until 99999-01-01",
    "until tomorrow",
    ":",
    "::",
    "csv",
    "xlsx",
    "themes",
    "0",
    "-1",
    "²",
    "١٢",
    "១",
    "9" * 20,
    "9" * 400,
    str(2**63),
    "0x10",
    "1_000",
    "+5",
    "NaN",
    "@" + BOT_USERNAME,
    "help",
)
COMMAND_NAMES = (*(c.name for c in COMMANDS), "startgroup", "settings", "x", "FIND", "Find")
CHAT_TYPES = ("private", "group", "supergroup", "channel", "sender", "secret", "")
STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked", "banana")
GROUP_IDS = (GROUP["id"], -100501, -1001234567890, -42, -(2**52))

characters = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0x1780, max_codepoint=0x17FF),
    st.sampled_from(SPECIAL_CHARS),
)
small_text = st.text(characters, max_size=24)
phrase = st.lists(st.one_of(st.sampled_from(TOKENS), small_text), max_size=6).flatmap(
    lambda words: st.sampled_from((" ", "", ":", "\n", "\u200b", ", ")).map(
        lambda sep: sep.join(words)
    )
)


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    """Mostly short hostile phrases; sometimes giant, around and beyond Telegram's 4096."""
    text = draw(phrase)
    if draw(st.integers(0, 39)) == 0:
        size = draw(st.sampled_from((4095, 4096, 4097, 8192, 70_000)))
        seed = draw(st.text(characters, min_size=1, max_size=8))
        text = (seed * (size // len(seed) + 1))[:size]
    return text


def fit64(data: str) -> str:
    """Callback data as Telegram carries it: at most 64 bytes of UTF-8."""
    raw = data.encode("utf-8", "surrogatepass")[:64]
    return raw.decode("utf-8", "ignore")


def utf16_length(text: str) -> int:
    """A length as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def text_bank(count: int) -> list[str]:
    """`count` hostile texts from Hypothesis, the same on every run (derandomized, no database)."""
    found: list[str] = []

    @settings(
        max_examples=count // 100,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(hostile_text(), min_size=100, max_size=100))
    def collect(batch: list[str]) -> None:
        found.extend(batch)

    collect()
    return found


KINDS = {
    "message": 30,
    "edited_message": 6,
    "channel_post": 3,
    "edited_channel_post": 2,
    "callback_query": 35,
    "inline_query": 8,
    "my_chat_member": 6,
    "chat_member": 3,
    "chosen_inline_result": 2,
    "poll_answer": 2,
    "some_future_update": 1,
    "unreadable": 1,
}
ODD_NUMBERS = ("", "0", "-0", "²", "١", "១២", "1e3", " 1", "1 ", "+1", "1_0", "x", "9" * 30)


class Forger:
    """Builds hostile updates of every kind from a seeded generator and a bank of texts."""

    def __init__(self, texts: list[str], messages: list[StoredMessage], ids: list[int]) -> None:
        self.rng = random.Random(8)
        self.texts = texts
        self.messages = messages
        self.ids = ids
        self.queries = itertools.count()

    def text(self) -> str:
        return self.rng.choice(self.texts)

    def short(self) -> str:
        return self.text()[:24]

    def chance(self, one_in: int) -> bool:
        return self.rng.randrange(one_in) == 0

    def user(self) -> dict[str, Any]:
        roll = self.rng.random()
        if roll < 0.1:
            user_id = FLOOD_ID
        elif roll < 0.2:
            user_id = self.rng.choice((COORDINATOR_ID, *EXTRA_COORDINATORS, *REPS))
        elif roll < 0.22:
            user_id = self.rng.choice((1, 777000, 1087968824, 2**31 - 1, 2**52 - 1))
        else:
            user_id = 10_000 + self.rng.randrange(USERS) * 7919
        found: dict[str, Any] = {
            "id": user_id,
            "is_bot": self.chance(20),
            "first_name": self.text()[:200],
        }
        for key in ("last_name", "username", "language_code"):
            if self.chance(2):
                found[key] = self.rng.choice(
                    ("en", "km", "fr", "", "zz-ZZ", "km-KH", self.short())
                )
        return found

    def chat(self, person: dict[str, Any]) -> dict[str, Any]:
        kind = self.rng.choice(CHAT_TYPES)
        if kind == "private":
            return {"id": person["id"], "type": kind, "first_name": person["first_name"]}
        found: dict[str, Any] = {"id": self.rng.choice(GROUP_IDS), "type": kind}
        if self.chance(2):
            found["title"] = self.text()
        if self.chance(5):
            found["is_forum"] = True
        return found

    def command(self) -> tuple[str, list[dict[str, Any]]]:
        name = self.rng.choice(COMMAND_NAMES)
        addressee = self.rng.choice(("", "", f"@{BOT_USERNAME}", "@UPR_TEST_BOT", "@other"))
        head = f"/{name}{addressee}"
        text = head + self.rng.choice((" ", "  ", "\n", "")) + self.text()
        offset = 0
        if self.chance(10):  # a command further into the text
            prefix = self.short() + " "
            text, offset = prefix + text, utf16_length(prefix)
        length = utf16_length(head)
        length = self.rng.choice((length, length, length, 0, 1, length + 5, 10_000))
        return text, [{"type": "bot_command", "offset": offset, "length": length}]

    def bot_message(self, accessible: bool = True) -> dict[str, Any]:
        shown = self.rng.choice(self.messages)
        chat = {"id": shown.chat_id, "type": "private" if shown.chat_id > 0 else "supergroup"}
        if not accessible:  # too old for Telegram to show it again
            return {"message_id": shown.message_id, "date": 0, "chat": chat}
        return {
            "message_id": shown.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "UPR Test"},
            "text": shown.text,
        }

    def message(self, channel: bool = False) -> dict[str, Any]:
        person = self.user()
        where = self.chat(person)
        if channel:
            where = {"id": self.rng.choice(GROUP_IDS), "type": "channel", "title": "ch"}
        found: dict[str, Any] = {
            "message_id": self.rng.randrange(1, 2**31),
            "date": self.rng.choice((0, 1, int(time.time()), 2**31 - 1)),
            "chat": where,
        }
        if not channel and not self.chance(15):
            found["from"] = person
        if channel or self.chance(20):
            found["sender_chat"] = {"id": where["id"], "type": "channel", "title": "x"}
        if self.chance(40):
            del found["chat"]  # not something Telegram sends, but it must not crash the bot
        body = self.rng.choice(("text", "text", "text", "command", "command", "media", "none"))
        if body == "text":
            found["text"] = self.text()
        elif body == "command":
            found["text"], found["entities"] = self.command()
        elif body == "media":
            found.update(MEDIA[self.rng.choice(tuple(MEDIA))])
            if self.chance(2):
                found["caption"] = self.text()
        if self.chance(6):
            found["reply_to_message"] = self.bot_message(accessible=not self.chance(4))
        if self.chance(10):
            found["message_thread_id"] = self.rng.randrange(2**31)
            found["is_topic_message"] = self.chance(2)
        return found

    def argument(self) -> str:
        roll = self.rng.randrange(4)
        if roll == 0:
            return str(self.rng.choice(self.ids))
        if roll == 1:
            return str(self.rng.randint(-(2**70), 2**70) >> self.rng.randrange(70))
        if roll == 2:
            return self.rng.choice(ODD_NUMBERS)
        return self.short()

    def callback(self) -> dict[str, Any]:
        prefix = self.rng.choice(PREFIXES)
        args = [self.argument() for _ in range(self.rng.randrange(6))]
        query: dict[str, Any] = {
            "id": f"h{next(self.queries)}",
            "from": self.user(),
            "chat_instance": self.short(),
        }
        if self.chance(20):
            query["game_short_name"] = "g"
        else:
            query["data"] = fit64(prefix + ":".join(args))
        where = self.rng.randrange(10)
        if where < 8:
            query["message"] = self.bot_message(accessible=where < 7)
            chat_id = query["message"]["chat"]["id"]
            if chat_id > 0:  # in a private chat only its owner sees the buttons
                query["from"]["id"] = chat_id
        else:  # a button on a message sent in inline mode
            query["inline_message_id"] = self.short()
        return query

    def membership(self) -> dict[str, Any]:
        subject = (
            self.user()
            if self.chance(5)
            else {"id": BOT_ID, "is_bot": True, "first_name": "UPR Test", "username": BOT_USERNAME}
        )
        person = self.user()
        return {
            "chat": self.chat(person),
            "from": person,
            "date": int(time.time()),
            "old_chat_member": member_status(self.rng.choice(STATUSES), subject),
            "new_chat_member": member_status(self.rng.choice(STATUSES), subject),
        }

    def inline(self) -> dict[str, Any]:
        found = {
            "id": f"h{next(self.queries)}",
            "from": self.user(),
            "query": self.text()[:300],
            "offset": self.rng.choice((*ODD_NUMBERS, "20", "-20", self.short())),
        }
        if self.chance(2):
            found["chat_type"] = self.rng.choice(CHAT_TYPES)
        return found

    def update(self) -> dict[str, Any]:
        """One hostile update of any kind."""
        [kind] = self.rng.choices(tuple(KINDS), weights=tuple(KINDS.values()))
        body: dict[str, Any]
        if kind in ("message", "edited_message"):
            body = self.message()
        elif kind in ("channel_post", "edited_channel_post"):
            body = self.message(channel=True)
        elif kind == "callback_query":
            body = self.callback()
        elif kind == "inline_query":
            body = self.inline()
        elif kind in ("my_chat_member", "chat_member"):
            body = self.membership()
        elif kind == "chosen_inline_result":
            body = {"result_id": "2-118.6", "from": self.user(), "query": self.short()}
        elif kind == "poll_answer":
            body = {
                "poll_id": "p",
                "user": self.user(),
                "option_ids": [0],
                "option_persistent_ids": ["a"],
            }
        elif kind == "unreadable":  # fields the library requires are missing: it cannot parse it
            kind, body = self.rng.choice(
                (
                    ("poll_answer", {"poll_id": "p", "user": self.user(), "option_ids": [0]}),
                    ("message", {"message_id": 1, "date": 0, "chat": {"type": "private"}}),
                )
            )
        else:
            body = {"id": 1}
        if kind.startswith("edited"):
            body["edit_date"] = 1
        return {kind: body}


MEDIA: dict[str, dict[str, Any]] = {
    "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
    "sticker": {
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "document": {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "round.xlsx"}},
    "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
    "location": {"location": {"latitude": 11.56, "longitude": 104.92}},
}
_RIGHTS = dict.fromkeys(
    (
        "can_be_edited",
        "is_anonymous",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "is_member",
        "can_pin_messages",
        "can_send_messages",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_manage_topics",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_edit_tag",
        "can_react_to_messages",
    ),
    False,
)


def member_status(status: str, subject: dict[str, Any]) -> dict[str, Any]:
    """A chat member in `status`, with every field Telegram sends for it."""
    found: dict[str, Any] = {"status": status, "user": subject}
    if status in ("administrator", "restricted"):
        found.update(_RIGHTS)
    if status in ("restricted", "kicked"):
        found["until_date"] = 0
    if status == "creator":
        found["is_anonymous"] = False
    return found


def kind_of(update: dict[str, Any]) -> str:
    """A label for the report: the update's kind, and for messages and buttons their shape."""
    kind = next(iter(update))
    body = update[kind]
    if kind == "callback_query":
        data = body.get("data")
        if data is None:
            return "callback_query (game, no data)"
        prefix = max((p for p in PREFIXES if data.startswith(p)), key=len)
        return f"callback_query {prefix or '(no prefix)'}"
    if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        shape = "command" if body.get("entities") else "text" if "text" in body else "other"
        return f"{kind} {shape}"
    return kind


async def idle(app: BotApplication, tg: FakeTelegram, timeout: float = 300) -> None:
    """Wait until every queued update has been fetched and handled; fail if polling stalls."""
    services: Services = app.bot_data["services"]
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 5:
        assert time.monotonic() < deadline, f"{tg.undelivered()} updates never handled"
        busy = tg.undelivered() or not app.update_queue.empty() or await services.inbox.pending()
        quiet = 0 if busy else quiet + 1
        await asyncio.sleep(0.02)


def pattern_check(app: BotApplication) -> list[str]:
    """Registered callback patterns that no forged prefix reaches (should be none)."""
    patterns = [
        h.pattern
        for group in app.handlers.values()
        for h in group
        if isinstance(h, CallbackQueryHandler) and isinstance(h.pattern, re.Pattern)
    ]
    return [p.pattern for p in patterns if not any(p.match(x + "1") for x in PREFIXES)]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every error the bot (its error handler, PTB, the fake server) logged, and every warning
    that carries an exception."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or (r.levelno >= logging.WARNING and r.exc_info)
    ]


async def test_an_update_the_library_cannot_read_does_not_stop_polling(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    # PTB 22.8 requires option_persistent_ids (Bot API 9.6): an older server does not send it.
    await tg.push_update({"poll_answer": {"poll_id": "p", "user": MEMBER, "option_ids": [0]}})
    card = await tg.reply_to(MEMBER, "118.6")
    assert card.text.startswith("<b>118.6</b>")
    assert any("could not be read; skipped" in r.getMessage() for r in caplog.records)
    assert errors_logged(caplog) == []


async def test_a_lone_surrogate_does_not_stop_polling(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    # JSON may carry "\\ud800" (Telegram's JSON is UTF-8, but the bot must not trust that).
    await tg.send("land \ud800", user=MEMBER)
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    card = await tg.reply_to(MEMBER, "118.6")
    assert card.text.startswith("<b>118.6</b>")
    assert errors_logged(caplog) == []


@pytest.mark.parametrize(
    "text",
    [
        "land \udc00",
        "land \\ud800\udc00",
        "118.6 \\ud83d\udc00",
        "\\\\\ud800 x",
        "\U0001f534 \\ud800",
    ],
    ids=[
        "lone low",
        "literal escape then lone low",
        "literal high then lone low",
        "two backslashes",
        "pair",
    ],
)
async def test_a_lone_surrogate_behind_a_typed_escape_is_answered(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    # A typed backslash, "ud800" must not pass for the first half of the real surrogate after it.
    await tg.send(text, user=MEMBER)
    await tg.next_call("sendMessage", chat_id=MEMBER["id"])
    assert errors_logged(caplog) == []


async def test_a_message_without_its_chat_is_skipped(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.push_update({"message": {"message_id": 1, "date": 0, "from": MEMBER, "text": "x"}})
    card = await tg.reply_to(MEMBER, "118.6")
    assert card.text.startswith("<b>118.6</b>")
    assert any("a message without its chat" in r.getMessage() for r in caplog.records)
    assert errors_logged(caplog) == []


async def test_digits_of_other_scripts_are_not_numbers_but_khmer_digits_are(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    for command, answer in (
        ("/results ²", "Which round? For example /results 1. See /rounds."),
        ("/compare ² 1", "Give two rounds, for example /compare 1 2."),
        ("/compare 1 1", "Give two different rounds, for example /compare 1 2."),
        ("/export ١", "Which round? For example /export 1 xlsx. See /rounds."),
    ):
        assert (await tg.reply_to(COORDINATOR, command)).text == answer
    usage = await tg.reply_to(COORDINATOR, "/promote ²")
    assert usage.text.startswith("Give the person's Telegram id")
    promoted = await tg.reply_to(COORDINATOR, "/promote ២២២")
    assert promoted.text == "222 is now a coordinator."
    listing = await tg.reply_to(COORDINATOR, "/states")
    for data in ("rq:²:1", "lg:1:²", "te:²", "ot:1:99999999999999999999", "r:²:118.6"):
        answer = await press(tg, listing, data, COORDINATOR)  # refused, each in its own words
        assert answer, data
        assert "went wrong" not in answer, data
    # Forged data for a button anyone may press gets the one polite answer for bad buttons.
    assert await press(tg, listing, "sp:²", COORDINATOR) == (
        "This button no longer works. Please send your question again."
    )
    query_id = await tg.inline("118.6", user=MEMBER, offset="²")
    assert (await tg.next_call("answerInlineQuery", inline_query_id=query_id)).error is None
    assert errors_logged(caplog) == []


async def test_a_group_title_longer_than_telegram_allows_is_cut(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    group = {**GROUP, "title": "Land " * 1000}
    await tg.bot_membership(group, by=COORDINATOR, old="left", new="member")
    told = await tg.next_call("sendMessage", chat_id=COORDINATOR_ID)
    assert told.error is None
    assert told.params["text"].startswith("I was added to the group «Land Land")
    assert errors_logged(caplog) == []


async def test_a_member_with_an_empty_first_name_is_answered(
    tg: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    [representative] = await coalition_with(bot, 1)
    nameless = {**representative, "first_name": ""}
    assert (await tg.reply_to(nameless, "118.6")).text.startswith("<b>118.6</b>")
    assert errors_logged(caplog) == []


async def test_ten_thousand_hostile_updates_crash_nothing(
    tg: FakeTelegram,
    db_path: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    settings_ = make_settings(
        tg, db_path, coordinator_ids=frozenset({COORDINATOR_ID, *EXTRA_COORDINATORS})
    )
    # Telegram's send limits (30 a second, 20 a minute a group) are not what this test is
    # about: paced, the bot's 1,400 answers would take minutes instead of seconds.
    unpaced = ChatRateLimiter(Window(10**6, 1.0), Window(10**6, 1.0), Window(10**6, 1.0))
    async with running(settings_, clock, poll_timeout=1, limiter=unpaced) as app:
        assert pattern_check(app) == []
        services: Services = app.bot_data["services"]
        reps = await coalition_with(app, 3)
        await link_land_group(tg)
        await open_round(tg, "c2 land", "Hostile round")
        await tg.reply_to(reps[0], "/rate", chat=GROUP)
        coordinators = [{**COORDINATOR, "id": i} for i in (COORDINATOR_ID, *EXTRA_COORDINATORS)]
        for person in coordinators:  # buttons of every kind in coordinators' private chats
            for text in ("/rounds", "/orgs", "118.6", "/themes", "/states"):
                await tg.reply_to(person, text)
        for person in reps:
            for text in ("/rate", "/myratings"):
                await tg.reply_to(person, text)
        await idle(app, tg)
        orgs = await services.coalition.organisations(COORDINATOR_ID)
        ids = sorted(
            {0, 1, 2, 3, 99, 2**31, 2**53, COORDINATOR_ID, *(r["id"] for r in reps)}
            | {o.id for o in orgs}
            | {r.id for r in services.catalog.recommendations[:50]}
            | {t.id for t in services.catalog.themes}
        )
        tg.calls.clear()

        started = time.monotonic()
        forger = Forger(text_bank(2000), list(tg.messages.values()), ids)
        hostile = [forger.update() for _ in range(UPDATES)]
        generated = time.monotonic() - started
        assert len(hostile) >= UPDATES
        # Telegram serves the file of every document it delivers: a forged one is junk bytes.
        tg.uploads["d"] = b"PK\x03\x04 not really a workbook \x00\xff"
        await tg.push_many(hostile)
        probe = {"id": 5555, "is_bot": False, "first_name": "After", "language_code": "en"}
        await tg.send("118.6", user=probe)
        await idle(app, tg)
        elapsed = time.monotonic() - started

    kinds = collections.Counter(kind_of(u) for u in hostile)
    senders = collections.Counter(
        (body.get("from") or body.get("user") or {}).get("id")
        for body in (next(iter(u.values())) for u in hostile)
    )
    print(  # the report: pytest -s shows it
        f"\n{len(hostile)} updates ({generated:.1f} s to generate, {elapsed:.1f} s in all) from "
        f"{len(senders)} senders; {senders[FLOOD_ID]} from the flooding account"
    )
    for kind, count in sorted(kinds.items()):
        print(f"  {count:6d} {kind}")
    print("the bot's calls:", dict(collections.Counter(c.method for c in tg.calls)))
    assert errors_logged(caplog) == []
    assert tg.unconsumed_errors() == []
    [answer] = [
        c
        for c in tg.calls
        if c.method == "sendMessage" and c.params["chat_id"] == str(probe["id"])
    ]
    assert answer.params["text"].startswith("<b>118.6</b>")
    apologies = [c for c in tg.calls if "something went wrong" in str(c.params.get("text"))]
    assert apologies == []
    assert any("sending too fast" in str(c.params.get("text")) for c in tg.calls)  # flood met
