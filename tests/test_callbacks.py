"""Typed callback data: every payload packs into Telegram's 64 bytes and reads back exactly;
forged, stale, truncated or oversized data gets one polite answer, end to end."""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import running
from bot.domain.action_flow import Choice as FlowChoice
from bot.domain.action_flow import Step as FlowStep
from bot.domain.broadcast import Step
from bot.domain.milestones import Milestone
from bot.domain.nudges import Answer
from bot.domain.round_guide import GuideChoice
from bot.services import Services
from handlers import BUTTONS
from handlers import callbacks as cb
from handlers.callbacks import BadCallback, CallbackData
from handlers.common import BotApplication, stale
from tests.conftest import KHMER_MEMBER, MEMBER, FakeClock, loose_limiter, make_settings
from tests.fake_telegram import FakeTelegram

rules = settings(deadline=None, max_examples=30)
PAYLOADS = sorted({b.payload for b in BUTTONS}, key=lambda c: c.__name__)


def _base(hint: Any) -> tuple[Any, bool]:
    """The field's type without None, and whether None is allowed."""
    if isinstance(hint, types.UnionType):
        return next(a for a in typing.get_args(hint) if a is not type(None)), True
    return hint, False


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    kind, optional = _base(hint)
    if kind is bool:
        base: st.SearchStrategy[Any] = st.booleans()
    elif kind is int:
        base = st.integers(min_value=0, max_value=2**31)  # ids, pages: SQLite rowids in practice
    elif kind is str:
        base = st.from_regex(r"[A-Za-z0-9._~-]{1,9}", fullmatch=True)  # codes, tokens, numbers
    else:
        assert issubclass(kind, enum.Enum)
        base = st.sampled_from(list(kind))
    return st.none() | base if optional else base


def payloads(cls: type[CallbackData]) -> st.SearchStrategy[CallbackData]:
    """Any payload of this class with realistic values."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: _strategy(hints[f.name]) for f in dataclasses.fields(cls)}
    return st.builds(cls, **fields)


def sample(cls: type[CallbackData], member: int = 0) -> CallbackData:
    """One payload of this class with every field filled (the `member`-th value of enums)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        kind, _ = _base(typing.get_type_hints(cls)[f.name])
        if kind is bool:
            values[f.name] = True
        elif kind is int:
            values[f.name] = 1
        elif kind is str:
            values[f.name] = "x"
        else:
            values[f.name] = list(kind)[member]
    return cls(**values)


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda c: c.__name__)
@rules
@given(data=st.data())
def test_every_payload_packs_within_64_bytes_and_reads_back(
    cls: type[CallbackData], data: st.DataObject
) -> None:
    payload = data.draw(payloads(cls))
    packed = payload.pack()
    assert len(packed.encode()) <= 64
    assert packed.split(":")[0] in cls.prefixes()
    assert cls.unpack(packed) == payload


@settings(deadline=None, max_examples=200)
@given(
    cls=st.sampled_from(PAYLOADS),
    text=st.text(max_size=80) | st.from_regex(r"[a-z]{1,4}(:[0-9a-z-]{0,20}){0,7}"),
)
def test_any_text_decodes_to_a_payload_or_raises_bad_callback(
    cls: type[CallbackData], text: str
) -> None:
    try:
        payload = cls.unpack(text)
    except BadCallback:
        return
    assert cls.unpack(payload.pack()) == payload


def test_old_buttons_in_chats_still_decode() -> None:
    """Every wire format earlier versions wrote reads back as the same payload."""
    old = {
        "lang:km": cb.Language(cb.Lang.KM),
        "cl:km": cb.ChatLanguage(cb.Lang.KM),
        "r:2:118.6": cb.OpenCard(2, "118.6"),
        "r:2:118.6:km": cb.OpenCard(2, "118.6", cb.Lang.KM),
        "l:2:h1a2b3c4d:5:a:AbC-_x12:3": cb.ListPage(2, "h1a2b3c4d", 5, "a", "AbC-_x12", 3),
        "l:::7:::0": cb.ListPage(None, None, 7, None, None, 0),
        "sp:2": cb.StatesPage(2),
        "te:5": cb.EditThemes(5),
        "tt:5:3": cb.ToggleTheme(5, 3),
        "om": cb.OrgList(),
        "om:3": cb.OrgList(3),  # another page of /orgs
        "og:4": cb.OrgButton(cb.OrgView.PANEL, 4),
        "oe:4": cb.OrgButton(cb.OrgView.ERASE_QUESTION, 4),
        "ox:4": cb.OrgButton(cb.OrgView.ERASE, 4),
        "oa:4:0": cb.OrgActive(4, False),
        "ot:4:2": cb.OrgGroup(4, 2),
        "ou:4:3003": cb.OrgRemoveRep(4, 3003),
        "iv:9": cb.RevokeInvite(9),
        "lg:2": cb.LinkGroup(2),
        "gl:2": cb.ShowList(2),
        "gla:2": cb.EditList(cb.ListEdit.ADD, 2),
        "glr:2": cb.EditList(cb.ListEdit.REMOVE, 2),
        "glm:2": cb.ListEditors(2),
        "vu:3:17": cb.Vote(3, 17, cb.Tap.UNKNOWN),
        "rk:3:17": cb.Skip(3, 17),
        "rv:3:17": cb.Review(3, 17),
        "rw:3:17": cb.AskReason(3, 17),
        "rx:3:17": cb.DeleteReason(3, 17),
        "ru:3:17:5": cb.UndoReason(3, 17, 5),
        "rn:3": cb.NextCard(3),
        "rq:3:1:0": cb.ResultsPage(3, 1, 0),
        "rap:3": cb.RoundButton(3, cb.RoundAction.PUBLISH),
        "bc:a:1": cb.Compose(cb.ComposeAction.AUDIENCE, 1),
        "bc:x": cb.Compose(cb.ComposeAction.CANCEL),
        "bc:o:4:audience:2": cb.Compose(cb.ComposeAction.ORGANISATION, 4, Step.AUDIENCE, 2),
        "bp:2:audience": cb.ComposePage(2, Step.AUDIENCE),
        "bb:r:4": cb.BroadcastButton(cb.BroadcastAction.REPORT, 4),
        "bk:4:202611230200": cb.GotIt(4, "202611230200"),
        "nsd:12": cb.NudgeAnswer(Answer.DONE, 12),
        "nst:12": cb.NudgeAnswer(Answer.NEW_DATE, 12),
        "nsd:12:20270131": cb.NudgeAnswer(Answer.DONE, 12, 20270131),  # an occurrence
        "sg:2:1": cb.StrategyPage(2, 1),
        "sa:12:1": cb.StrategyCard(12, 1),
        "sv:12": cb.ServingActions(12),
        "rd:4:1": cb.DraftRound(4, True),
        "rd:4:1:1": cb.DraftRound(4, True, True),  # [📌 Open and pin in groups]
        "pnx:3": cb.ResultsNotice(3, cb.NoticeResult.XLSX),
        "rr:3": cb.RateRound(3),
        "rs:3": cb.RoundResults(3),
        "cp:3:5:0": cb.CompareRounds(3, 5, 0),
        "rag:3": cb.RoundButton(3, cb.RoundAction.PANEL),
        "ax:12": cb.ActionText(12),
        "rg:0:s": cb.GuidedRound(0, GuideChoice.START),
        "rg:4:t:7": cb.GuidedRound(4, GuideChoice.THEME, 7),
        "ae:12:1": cb.ActionEdit(12, 1),
        "af:12:t": cb.ActionField(12, FlowStep.TIMEFRAME),
        "an:2": cb.ActionAdd(2),
        "ad:7:o:3": cb.ActionStep(7, FlowChoice.ORGANISATION, 3),
        "ad:7:v": cb.ActionStep(7, FlowChoice.SAVE),
        "mc:4": cb.MilestoneButton(4),
        "mc:4:next_review": cb.MilestoneButton(4, Milestone.NEXT_REVIEW),
        "hm": cb.HelpMore(),
        "ex:1": cb.Example(1),
        "rl": cb.ShowRounds(),
        "au:2": cb.AuditPageButton(2),
        "tq:a:12": cb.TranslateStep(cb.TranslateAction.APPROVE, 12),
        "tq:x": cb.TranslateStep(cb.TranslateAction.STOP),
        "tx:1": cb.TranslationsFile(True),
        "tr:0:5001": cb.TranslatorButton(False, 5001),
        "tr:0:5001:2": cb.TranslatorButton(False, 5001, 2),  # ✖ on page 3 of /translators
        "tp:1:2": cb.TranslatorPage(True, 2),
        "ro:11": cb.RoundsPage(11),
        "rc:3": cb.ResultsPick(3),
        "cq:7:0:2": cb.ComparePage(7, 0, 2),
        "ot:4:9:1": cb.OrgGroup(4, 9, 1),  # a group tapped on page 2 of an organisation's
        "op:4:1": cb.OrgGroupsPage(4, 1),
        "oq:4:1": cb.OrgRepsPage(4, 1),
        "ad:5:o:7:2": cb.ActionStep(5, FlowChoice.ORGANISATION, 7, 2),
        "ap:5:2": cb.ActionPage(5, 2),
        "sk:2": cb.StrategyGroups(2),
        "lp:2": cb.LinkGroupPage(2),
        "wp:2": cb.GroupsPage(2),
        "gp:2": cb.ListGroups(2),
        "rp:7:1": cb.ReportDraft(7, True),
        "rpc:7:4": cb.ReportCycle(7, 4),
        "cc:4": cb.CurrentCycle(4),
    }
    for data, payload in old.items():
        assert type(payload).unpack(data) == payload, data
        assert payload.pack() == data
    assert {type(p) for p in old.values()} == set(PAYLOADS)


def test_a_payload_that_cannot_be_sent_fails_when_the_button_is_built() -> None:
    with pytest.raises(ValueError, match="cannot go into"):
        cb.OpenCard(2, "118:6").pack()
    with pytest.raises(ValueError, match="64 bytes"):
        cb.ListPage(2**40, "h1a2b3c4d", 2**40, "a", "x" * 20, 2**40).pack()


def test_every_button_the_bot_draws_is_built_from_a_payload() -> None:
    """No callback data written by hand: each is a payload class's (list_data builds one, and
    render.paged_buttons' `turn` makes the payload of a page turn)."""
    names = "|".join(c.__name__ for c in PAYLOADS)
    built = re.compile(rf"callback_data=(?:render\.)?(?:list_data|turn|{names})\(")
    for path in sorted(Path("handlers").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for found in re.finditer(r"callback_data=", text):
            assert built.match(text, found.start()), f"{path}: {text[found.start() :][:60]}"


def forgeries(cls: type[CallbackData]) -> list[str]:
    """Broken versions of each of this payload's prefixes: truncated, extended, oversized."""
    broken = []
    for member, _ in enumerate(cls.prefixes()):
        good = sample(cls, member).pack()
        broken += [good[: len(good) // 2], good + ":1", good + ":" + "1" * 70]
    head, *parts = sample(cls).pack().split(":")
    if parts:
        broken += [":".join([head, "-1", *parts[1:]]), ":".join([head, *parts[:-1], "٣"])]
    return broken


@pytest.fixture
async def quick_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot, with the per-person flood limit and the chat's queue of presses out of
    the way of a few hundred presses (the inbox takes a batch of updates in one trip: they
    all wait at once)."""
    settings = make_settings(tg, db_path, rate_limit_per_minute=1_000_000)
    async with running(
        settings, clock, poll_timeout=1, limiter=loose_limiter(), button_queue=1_000
    ) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def test_forged_truncated_and_oversized_data_get_one_polite_answer(
    tg: FakeTelegram, quick_bot: BotApplication
) -> None:
    services: Services = quick_bot.bot_data["services"]
    for user, language in ((MEMBER, "en"), (KHMER_MEMBER, "km")):
        anchor = await tg.reply_to(user, "/help")
        polite = stale(services.translations.localizer(language))
        # All at once, as a flood of forged presses would come; each gets its own answer.
        sent = {await tg.press(anchor, d, user=user): d for c in PAYLOADS for d in forgeries(c)}
        for query, data in sent.items():
            answer = await tg.next_call("answerCallbackQuery", callback_query_id=query)
            assert answer.params.get("text") == polite, (language, data)
            assert str(answer.params.get("show_alert")).lower() == "true", data


@pytest.fixture
async def short_queue_bot(
    tg: FakeTelegram, db_path: Path, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real bot whose chats may each keep only two button presses waiting."""
    settings = make_settings(tg, db_path, rate_limit_per_minute=1_000_000)
    async with running(
        settings, clock, poll_timeout=1, limiter=loose_limiter(), button_queue=2
    ) as app:
        yield app
    assert tg.unconsumed_errors() == []


async def test_every_press_dropped_from_a_full_queue_is_answered_once(
    tg: FakeTelegram, short_queue_bot: BotApplication
) -> None:
    anchor = await tg.reply_to(MEMBER, "/help")
    tg.stall("answerCallbackQuery")  # the first 16 presses hold the chat's lane meanwhile
    forged = [f"zz:{n}" for n in range(16 + 2 + 5)]
    queries = [await tg.press(anchor, data, user=MEMBER) for data in forged]
    # One person's presses run one at a time (in order): 1 running, 15 + 2 waiting, 5 told to wait.
    await tg.stalled("answerCallbackQuery", 1 + 5)
    tg.release("answerCallbackQuery")
    busy = "Many requests are waiting in this chat. Please try again in a minute."
    texts = [
        (await tg.next_call("answerCallbackQuery", callback_query_id=q)).params.get("text")
        for q in queries
    ]
    assert texts.count(busy) == 5
    answers = [
        c.params["callback_query_id"] for c in tg.calls if c.method == "answerCallbackQuery"
    ]
    assert sorted(answers) == sorted(queries)  # each press answered once, none twice
