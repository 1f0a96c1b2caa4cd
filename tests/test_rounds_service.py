"""The assessment service's methods that the bot reaches end to end, called directly on real
SQLite without Telegram: 🔔 reminders, the scheduled reminders, the /openround guide, reasons
given and undone, ✍ deep links, the private-chat hint and the published results."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.assessment import (
    Colour,
    Distribution,
    Overall,
    PromptOrigin,
    ReasonsForm,
    Round,
    RoundDraft,
    Said,
    TableReads,
)
from bot.domain.coalition import Coalition
from bot.domain.i18n import Translations
from bot.domain.membership import NotAllowed
from bot.domain.model import Recommendation
from bot.domain.outbox import Content, DeliveryStatus
from bot.domain.round_guide import Guide, GuideChoice, GuideStep
from bot.domain.rounds import (
    MAX_REASON,
    REMIND_AGAIN_AFTER,
    Assessments,
    BadScope,
    Guided,
    Guiding,
    LinkOpened,
    Opened,
    Opening,
    Panel,
    Reasoned,
    ReasonGiven,
    Reminding,
    ResultRow,
    RoundChange,
    RoundChanged,
    RoundChoice,
    RoundLine,
    Scope,
    Summary,
    Tap,
    Tapped,
    Undo,
    compare_results,
    parse_scope,
    reasons_cell,
    reasons_form,
    scope_words,
    summary_by_theme,
)
from bot.services import Services
from storage.assessment import AssessmentRepository
from tests.conftest import FakeClock
from tests.test_services_rules import rec

BOSS, MEMBER, SECOND, OTHER, GUEST = 1, 2, 3, 4, 5
R, G = Colour.RED, Colour.GREEN
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
EN = Translations.load("en").localizer("en")


@pytest.fixture
async def coalition(services: Services) -> Coalition:
    """A coordinator; ADHOC with two representatives (MEMBER, SECOND); CCHR with one; a guest."""
    coalition = services.coalition
    await coalition.repository.seed_coordinators([BOSS], "en")
    adhoc = await coalition.add_organisation(BOSS, "adhoc", "ADHOC name")
    await coalition.join(MEMBER, "Rep adhoc", "en", adhoc.code)
    again = await coalition.invite(BOSS, 1)
    await coalition.join(SECOND, "Second adhoc", "km", again.code)
    cchr = await coalition.add_organisation(BOSS, "CCHR", "CCHR name")
    await coalition.join(OTHER, "Rep CCHR", "en", cchr.code)
    await coalition.repository.seen(GUEST, "Guest", "en")
    return coalition


@pytest.fixture
def assessments(services: Services, coalition: Coalition) -> Assessments:
    return services.assessments


async def round_on(
    services: Services, numbers: tuple[str, ...], closes: dt.datetime | None = None
) -> tuple[int, list[int]]:
    """A round on these cycle-2 recommendations, opened by the coordinator."""
    items = tuple(rec(services, n) for n in numbers)
    round_id = await services.assessments.open_round(BOSS, "R", Scope(2, items, "s", closes))
    return round_id, list(items)


async def outbox(services: Services, reference: str) -> list[tuple[int, str]]:
    """(chat, text) of each delivery of one reference, by chat."""
    async with services.database.connection.execute(
        "SELECT chat_id, content FROM deliveries WHERE reference = ? ORDER BY chat_id, id",
        (reference,),
    ) as cursor:
        rows = await cursor.fetchall()
    return [(int(chat), Content.from_json(raw).text) for chat, raw in rows]


# --- 🔔 Remind those behind ---------------------------------------------------------------


async def test_remind_behind_tells_each_representative_of_an_organisation_behind(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    round_id, items = await round_on(services, ("118.1", "118.2"))
    await assessments.rate(MEMBER, round_id, items[0], R)  # adhoc: 1 of 2
    for item in items:
        await assessments.rate(OTHER, round_id, item, G)  # CCHR: done
    sent = await assessments.remind_behind(BOSS, round_id)
    assert (sent.result, sent.organisations, sent.people, sent.last) == (
        Reminding.SENT,
        1,
        2,
        None,
    )
    assert sent.panel is not None
    assert sent.panel.reminded_at == clock.now()
    told = await outbox(services, f"round:{round_id}:reminder-now")
    assert [chat for chat, _ in told] == [MEMBER, SECOND]
    assert "rated 1 of 2: 1 left" in told[0][1]
    assert told[1][1] != told[0][1]  # SECOND reads it in Khmer

    # Pressed again within the hour: nothing is sent twice; when the last one went.
    first = clock.now()
    clock.advance(minutes=59)
    soon = await assessments.remind_behind(BOSS, round_id)
    assert (soon.result, soon.last, soon.people) == (Reminding.TOO_SOON, first, 0)
    assert len(await outbox(services, f"round:{round_id}:reminder-now")) == 2
    clock.advance(minutes=1)
    later = REMIND_AGAIN_AFTER
    assert clock.now() - first == later
    again = await assessments.remind_behind(BOSS, round_id)
    assert (again.result, again.people) == (Reminding.SENT, 2)

    await assessments.rate(MEMBER, round_id, items[1], G)
    clock.advance(hours=2)
    nobody = await assessments.remind_behind(BOSS, round_id)
    assert nobody.result is Reminding.NOBODY_BEHIND
    assert nobody.panel is not None
    assert nobody.panel.round.id == round_id


async def test_remind_behind_refuses_a_closed_or_gone_round_and_everyone_but_coordinators(
    services: Services, assessments: Assessments
) -> None:
    round_id, _ = await round_on(services, ("118.1",))
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await assessments.remind_behind(actor, round_id)
    gone = await assessments.remind_behind(BOSS, 99)
    assert (gone.result, gone.panel) == (Reminding.GONE, None)
    off = Assessments(
        assessments.repository,
        assessments.coalition,
        assessments.group_lists,
        assessments.clock,
        assessments.min_ratings,
    )
    quiet = await off.remind_behind(BOSS, round_id)
    assert quiet.result is Reminding.OFF
    assert quiet.panel is not None
    await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.remind_behind(BOSS, round_id)
    assert closed.result is Reminding.CLOSED
    assert closed.panel is not None
    assert closed.panel.round.open is False
    assert await outbox(services, f"round:{round_id}:reminder-now") == []


# --- the scheduled reminders ------------------------------------------------------------------


async def test_scheduled_reminders_go_once_each_some_days_before_the_close(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    closes = clock.now() + dt.timedelta(days=10)
    round_id, items = await round_on(services, ("118.1", "118.2"), closes)
    endless, _ = await round_on(services, ("118.1",))
    for item in items:
        await assessments.rate(OTHER, round_id, item, G)  # CCHR is done: never reminded
    await assessments.remind()  # ten days before: not yet
    assert await outbox(services, f"round:{round_id}:reminder-3") == []

    clock.advance(days=7)  # exactly three days before
    await assessments.remind()
    await assessments.remind()  # once only
    told = await outbox(services, f"round:{round_id}:reminder-3")
    assert [chat for chat, _ in told] == [MEMBER, SECOND]
    assert "rated 0 of 2: 2 left" in told[0][1]

    clock.advance(days=2, seconds=-1)  # a second short of one day before
    await assessments.remind()
    assert await outbox(services, f"round:{round_id}:reminder-1") == []
    clock.advance(seconds=1)
    await assessments.remind()
    assert [chat for chat, _ in await outbox(services, f"round:{round_id}:reminder-1")] == [
        MEMBER,
        SECOND,
    ]
    assert await outbox(services, f"round:{endless}:reminder-1") == []  # no closing date
    assert await outbox(services, f"round:{endless}:reminder-3") == []


async def test_no_scheduled_reminder_for_a_closed_or_finished_round_or_with_notices_off(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    closes = clock.now() + dt.timedelta(days=2)
    closed, _ = await round_on(services, ("118.1",), closes)
    await assessments.set_open(BOSS, closed, False)
    done, [item] = await round_on(services, ("118.2",), closes)
    for user in (MEMBER, OTHER):
        await assessments.rate(user, done, item, G)
    quiet, _ = await round_on(services, ("118.3",), closes)
    off = Assessments(
        assessments.repository,
        assessments.coalition,
        assessments.group_lists,
        assessments.clock,
        assessments.min_ratings,
    )
    await off.remind()
    assert await outbox(services, f"round:{quiet}:reminder-3") == []
    await assessments.remind()
    assert await outbox(services, f"round:{closed}:reminder-3") == []
    assert await outbox(services, f"round:{done}:reminder-3") == []
    assert len(await outbox(services, f"round:{quiet}:reminder-3")) == 3  # everyone behind
    clock.advance(days=2)  # the closing time itself: no reminder any more
    await assessments.remind()
    assert await outbox(services, f"round:{quiet}:reminder-1") == []


# --- the /openround guide --------------------------------------------------------------------


async def test_the_guide_asks_each_step_then_previews_the_round(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    catalog = services.catalog
    start = await assessments.guide(BOSS, 0, GuideChoice.START, 0, catalog, PHNOM_PENH, EN)
    assert (start.result, start.guide, start.today) == (
        Guiding.ASK,
        Guide(),
        dt.date(2026, 11, 23),
    )
    draft = start.draft_id
    assert draft > 0
    land = next(t.id for t in catalog.themes if t.slug == "land")
    steps = [
        (GuideChoice.CYCLE, 2, GuideStep.RESPONSE),
        (GuideChoice.RESPONSE, 1, GuideStep.THEMES),
        (GuideChoice.THEME, land, GuideStep.THEMES),
        (GuideChoice.THEMES_DONE, 0, GuideStep.CLOSING),
        (GuideChoice.CLOSE_IN, 1, GuideStep.NAME),
    ]
    for choice, value, step in steps:
        asked = await assessments.guide(BOSS, draft, choice, value, catalog, PHNOM_PENH, EN)
        assert (asked.result, asked.draft_id, asked.today) == (Guiding.ASK, draft, start.today)
        assert asked.guide is not None
        assert asked.guide.step is step
    assert asked.guide == Guide(GuideStep.NAME, 2, "accepted", (land,), "2026-12-07")
    done = await assessments.guide(
        BOSS, draft, GuideChoice.DEFAULT_NAME, 0, catalog, PHNOM_PENH, EN
    )
    assert (done.result, done.draft_id, done.guide) == (Guiding.PREVIEW, draft, None)
    assert done.opened is not None
    assert (done.opened.result, done.opened.round_id, done.opened.name) == (
        Opening.PREVIEW,
        draft,
        "Cycle 2 accepted, November 2026",
    )
    expected = parse_scope(
        "c2 accepted land until 2026-12-07", catalog, PHNOM_PENH, dt.date(2026, 11, 23)
    )
    assert done.opened.scope == expected
    # Finished: its buttons are stale, and [Open] opens exactly that round.
    again = await assessments.guide(
        BOSS, draft, GuideChoice.DEFAULT_NAME, 0, catalog, PHNOM_PENH, EN
    )
    assert again.result is Guiding.STALE
    opened = await assessments.confirm(BOSS, draft)
    assert opened.result is Opening.OPENED
    [round_] = await assessments.rounds()
    assert (round_.name, round_.size) == (
        "Cycle 2 accepted, November 2026",
        len(expected.recommendation_ids),
    )
    assert (round_.cycle, round_.scope, round_.closes_at) == (
        2,
        expected.description,
        expected.closes_at,
    )
    assert await assessments.items(round_.id) == list(expected.recommendation_ids)


async def test_a_guide_button_of_another_step_person_or_value_is_stale(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    catalog = services.catalog

    async def press(
        choice: GuideChoice, value: int = 0, draft: int = 0, actor: int = BOSS
    ) -> Guided:
        return await assessments.guide(actor, draft, choice, value, catalog, PHNOM_PENH, EN)

    draft = (await press(GuideChoice.START)).draft_id
    assert (await press(GuideChoice.RESPONSE, 1, draft)).result is Guiding.STALE  # other step
    assert (await press(GuideChoice.CYCLE, 9, draft)).result is Guiding.STALE  # never offered
    assert (await press(GuideChoice.CYCLE, 2, 999)).result is Guiding.STALE  # no such draft
    await assessments.coalition.repository.seed_coordinators([7], "en")
    assert (await press(GuideChoice.CYCLE, 2, draft, actor=7)).result is Guiding.STALE
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await press(GuideChoice.START, actor=actor)
        with pytest.raises(NotAllowed):
            await press(GuideChoice.CYCLE, 2, draft, actor=actor)
    # Nothing stale moved it: the cycle is still the step asked.
    assert (await press(GuideChoice.CYCLE, 2, draft)).result is Guiding.ASK
    cancelled = await press(GuideChoice.CANCEL, 0, draft)
    assert (cancelled.result, cancelled.draft_id) == (Guiding.CANCELLED, draft)
    assert (await press(GuideChoice.RESPONSE, 1, draft)).result is Guiding.STALE
    assert (await press(GuideChoice.CANCEL, 0, draft)).result is Guiding.STALE
    # A draft typed as /openround is not a guide: its buttons are stale.
    typed = await assessments.open(BOSS, "c2 land : Typed", catalog, PHNOM_PENH, preview=True)
    assert (await press(GuideChoice.CANCEL, 0, typed.round_id)).result is Guiding.STALE
    # The guide expires after a day.
    late = (await press(GuideChoice.START)).draft_id
    clock.advance(days=1)
    assert (await press(GuideChoice.CYCLE, 2, late)).result is Guiding.STALE
    # A step saved to a draft that is gone is stale.
    now = clock.now()
    assert (await assessments._next(999, Guide(), now, now.date())).result is Guiding.STALE


async def at_name_step(
    assessments: Assessments, services: Services, *steps: tuple[GuideChoice, int]
) -> int:
    """A guide started and answered up to its last steps."""
    catalog = services.catalog
    draft = (
        await assessments.guide(BOSS, 0, GuideChoice.START, 0, catalog, PHNOM_PENH, EN)
    ).draft_id
    for choice, value in steps:
        step = await assessments.guide(BOSS, draft, choice, value, catalog, PHNOM_PENH, EN)
        assert step.result is Guiding.ASK
    return draft


async def test_a_typed_name_is_checked_and_a_scope_matching_nothing_goes_back_to_the_themes(
    services: Services, assessments: Assessments
) -> None:
    catalog = services.catalog
    steps = (
        (GuideChoice.CYCLE, 2),
        (GuideChoice.RESPONSE, 0),
        (GuideChoice.ALL_THEMES, 0),
        (GuideChoice.TYPE_DATE, 0),
    )
    draft = await at_name_step(assessments, services, *steps)
    dated = await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH)
    assert dated is not None
    assert dated.guide is not None
    assert (dated.result, dated.guide.step, dated.guide.closes) == (
        Guiding.ASK,
        GuideStep.NAME,
        "2026-12-31",
    )
    for name in ("   ", "x" * 121):
        long = await assessments.guide_text(BOSS, name, catalog, PHNOM_PENH)
        assert long is not None
        assert (long.result, long.draft_id, long.problem, dict(long.params)) == (
            Guiding.PROBLEM,
            draft,
            "Send a name of at most {limit} characters.",
            {"limit": "120"},
        )
        assert long.guide is not None
        assert long.guide.step is GuideStep.NAME
        assert long.today == dt.date(2026, 11, 23)
    longest = await assessments.guide_text(BOSS, "n" * 120, catalog, PHNOM_PENH)
    assert longest is not None
    assert longest.result is Guiding.PREVIEW  # exactly the limit is a name
    draft = await at_name_step(assessments, services, *steps)
    await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH)
    named = await assessments.guide_text(BOSS, " Mid-term\nreview ", catalog, PHNOM_PENH)
    assert named is not None
    assert named.opened is not None
    assert (named.result, named.opened.name) == (Guiding.PREVIEW, "Mid-term review")
    assert named.opened.scope is not None
    assert named.opened.scope.closes_at is not None

    # Noted recommendations on disability in the second cycle: none; back to the themes.
    land = next(t.id for t in catalog.themes if t.slug == "land")
    lonely = next(t for t in catalog.themes if t.slug == "disability")
    slugs = {t.id: t.slug for t in catalog.themes}
    nothing = (
        (GuideChoice.CYCLE, 2),
        (GuideChoice.RESPONSE, 2),
        (GuideChoice.THEME, lonely.id),
        (GuideChoice.THEMES_DONE, 0),
        (GuideChoice.CLOSE_IN, 2),
    )
    draft = await at_name_step(assessments, services, *nothing)
    refused = await assessments.guide(
        BOSS, draft, GuideChoice.DEFAULT_NAME, 0, catalog, PHNOM_PENH, EN
    )
    assert (refused.result, refused.draft_id, refused.problem, refused.params) == (
        Guiding.PROBLEM,
        draft,
        "No recommendation matches that scope.",
        {},
    )
    assert refused.today == dt.date(2026, 11, 23)
    assert refused.guide is not None
    assert refused.guide.step is GuideStep.THEMES
    assert slugs[lonely.id] in refused.guide.scope_words(slugs)
    # The draft itself went back: a theme button is answered again.
    back = await assessments.guide(BOSS, draft, GuideChoice.THEME, land, catalog, PHNOM_PENH, EN)
    assert back.result is Guiding.ASK
    assert back.guide is not None
    assert back.guide.themes == tuple(sorted((lonely.id, land)))
    # A guide finished meanwhile (its draft gone): the last step is stale, nothing is saved.
    gone = RoundDraft(999, BOSS, "", 2, "", (), None, Guide(GuideStep.NAME, 2, "accepted"))
    late = await assessments._finish(gone, "Name", catalog, PHNOM_PENH)
    assert late.result is Guiding.STALE


# --- reasons ---------------------------------------------------------------------------------


async def test_a_typed_reason_is_saved_cut_or_refused_and_says_what_came_of_it(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    round_id, [item, other] = await round_on(services, ("118.1", "118.2"))
    tapped = await assessments.tap(MEMBER, round_id, item, R, in_group=False)
    assert tapped.result.value == "recorded"
    given = await assessments.give_reason(MEMBER, round_id, item, "  Land\ntitles  ")
    assert (given.result, given.round_id, given.recommendation_id, given.colour) == (
        Reasoned.SAVED,
        round_id,
        item,
        R,
    )
    assert (given.next_card, given.length) == (True, len("Land titles"))
    assert given.history_id > 0
    assert (await assessments.own(round_id, 1))[item].reason == "Land titles"
    assert await assessments.pending(MEMBER) is None  # given: the next message is not one

    # A second reason, no longer after a first tap: no next card; a long one is cut.
    long = "x" * (MAX_REASON + 5)
    cut = await assessments.give_reason(MEMBER, round_id, item, long)
    assert (cut.result, cut.next_card, cut.length) == (Reasoned.CUT, False, MAX_REASON + 5)
    assert cut.history_id > given.history_id
    assert (await assessments.own(round_id, 1))[item].reason == "x" * MAX_REASON
    exact = await assessments.give_reason(MEMBER, round_id, item, "y" * MAX_REASON)
    assert exact.result is Reasoned.SAVED

    empty = await assessments.give_reason(MEMBER, round_id, item, " \n ")
    assert (empty.result, empty.round_id, empty.recommendation_id) == (
        Reasoned.EMPTY,
        round_id,
        item,
    )
    assert (await assessments.own(round_id, 1))[item].reason == "y" * MAX_REASON

    # A pending prompt for another rating stays when this one is given.
    await assessments.tap(MEMBER, round_id, other, G, in_group=False)
    about = await assessments.give_reason(MEMBER, round_id, item, "About the first")
    assert about.next_card is False  # the next card is owed to the other rating's reason
    pending = await assessments.pending(MEMBER)
    assert pending is not None
    assert (pending.round_id, pending.recommendation_id) == (round_id, other)
    # A refused reason for another recommendation leaves that question waiting too.
    stray = await assessments.give_reason(MEMBER, round_id, rec(services, "118.8"), "Stray")
    assert stray.result is Reasoned.NOT_IN_ROUND
    still = await assessments.pending(MEMBER)
    assert still is not None
    assert still.recommendation_id == other

    guest = await assessments.give_reason(GUEST, round_id, item, "Not mine")
    assert guest.result is Reasoned.NOT_A_RATER
    # A reason asked for in vain (a recommendation not in the round): that question is dropped.
    outside = rec(services, "118.9")
    now = clock.now()
    await assessments.repository.set_pending(
        MEMBER, round_id, outside, next_card=True, expires=now + dt.timedelta(minutes=30), now=now
    )
    missing = await assessments.give_reason(MEMBER, round_id, outside, "Why")
    assert missing.result is Reasoned.NOT_IN_ROUND
    assert await assessments.pending(MEMBER) is None
    await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.give_reason(MEMBER, round_id, other, "Too late")
    assert (closed.result, closed.history_id) == (Reasoned.CLOSED, 0)
    assert await assessments.pending(MEMBER) is None
    assert (await assessments.own(round_id, 1))[other].reason == ""


async def test_that_was_a_search_gives_back_the_reason_before_unless_a_newer_one_came(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.rate(MEMBER, round_id, item, R)
    first = await assessments.give_reason(MEMBER, round_id, item, "Real reason")
    search = await assessments.give_reason(MEMBER, round_id, item, "land titles")
    assert await assessments.undo_reason(OTHER, round_id, item, search.history_id) == (
        await assessments.undo_reason(MEMBER, round_id, item, 99999)
    )
    other = await assessments.undo_reason(OTHER, round_id, item, search.history_id)
    assert (other.result, other.text) == (Undo.GONE, "")
    assert (await assessments.undo_reason(GUEST, round_id, item, search.history_id)).result is (
        Undo.GONE
    )
    undone = await assessments.undo_reason(MEMBER, round_id, item, search.history_id)
    assert (undone.result, undone.text) == (Undo.UNDONE, "land titles")
    assert (await assessments.own(round_id, 1))[item].reason == "Real reason"

    newer = await assessments.give_reason(MEMBER, round_id, item, "another search")
    await assessments.give_reason(MEMBER, round_id, item, "Newest reason")
    changed = await assessments.undo_reason(MEMBER, round_id, item, newer.history_id)
    assert (changed.result, changed.text) == (Undo.CHANGED, "another search")
    assert (await assessments.own(round_id, 1))[item].reason == "Newest reason"
    assert first.history_id < search.history_id

    last = await assessments.give_reason(MEMBER, round_id, item, "search again")
    await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.undo_reason(MEMBER, round_id, item, last.history_id)
    assert (closed.result, closed.text) == (Undo.CLOSED, "")
    assert (await assessments.own(round_id, 1))[item].reason == "search again"


# --- ✍ deep links ----------------------------------------------------------------------------


async def test_a_deep_link_opens_the_rating_to_give_its_reason_or_says_why_not(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item, unrated] = await round_on(services, ("118.1", "118.2"))
    await assessments.rate(MEMBER, round_id, item, R)
    assert (await assessments.open_link(GUEST, round_id, item)).result is LinkOpened.NOT_A_RATER
    assert (await assessments.open_link(MEMBER, 99, item)).result is LinkOpened.GONE
    outside = rec(services, "118.9")
    assert (await assessments.open_link(MEMBER, round_id, outside)).result is LinkOpened.GONE

    fresh = await assessments.open_link(OTHER, round_id, item)  # CCHR has not rated it
    assert (fresh.result, fresh.organisation, fresh.rating) == (LinkOpened.UNRATED, "CCHR", None)
    assert fresh.round is not None
    assert fresh.round.id == round_id
    assert await assessments.pending(OTHER) is None
    none_yet = await assessments.open_link(MEMBER, round_id, unrated)
    assert none_yet.result is LinkOpened.UNRATED
    assert await assessments.pending(MEMBER) is None

    # SECOND rates for the same organisation: MEMBER's link finds adhoc's rating.
    rated = await assessments.open_link(SECOND, round_id, item)
    assert (rated.result, rated.organisation) == (LinkOpened.RATED, "adhoc")
    assert rated.round is not None
    assert rated.round.id == round_id
    assert rated.rating is not None
    assert (rated.rating.recommendation_id, rated.rating.colour) == (item, R)
    pending = await assessments.pending(SECOND)
    assert pending is not None
    assert (pending.round_id, pending.recommendation_id, pending.next_card) == (
        round_id,
        item,
        False,
    )
    given = await assessments.reason_from_message(SECOND, "Because of the law")
    assert given is not None
    assert (given.result, given.next_card) == (Reasoned.SAVED, False)

    await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.open_link(MEMBER, round_id, item)
    assert (closed.result, closed.organisation) == (LinkOpened.CLOSED, "")
    assert closed.round is not None
    assert closed.round.open is False
    assert (await assessments.open_link(MEMBER, round_id, outside)).result is LinkOpened.GONE


# --- the private-chat hint -------------------------------------------------------------------


async def test_a_refused_prompt_from_a_group_card_hints_there_once_per_person_and_round(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item, second] = await round_on(services, ("118.1", "118.2"))
    seen: list[tuple[PromptOrigin, str, str | None]] = []

    def compose(origin: PromptOrigin, name: str, language: str | None) -> Content:
        seen.append((origin, name, language))
        return Content(f"{name}: open a private chat")

    asked = await assessments.ask_reason(
        MEMBER, round_id, item, Content("Why?"), "en", origin=(-100, 4)
    )
    assert await assessments.hint_private_chat(asked, compose) is True
    assert seen == [(PromptOrigin(MEMBER, round_id, item, -100, 4), "Rep adhoc", None)]
    [(chat, text)] = await outbox(services, f"hint:{round_id}:{MEMBER}")
    assert (chat, text) == (-100, "Rep adhoc: open a private chat")
    async with services.database.connection.execute(
        "SELECT topic_id FROM deliveries WHERE reference = ?", (f"hint:{round_id}:{MEMBER}",)
    ) as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [(4,)]

    # Refused again in the same round: once is enough.
    again = await assessments.ask_reason(
        MEMBER, round_id, second, Content("Why?"), "en", origin=(-100, None)
    )
    assert await assessments.hint_private_chat(again, compose) is False
    assert len(await outbox(services, f"hint:{round_id}:{MEMBER}")) == 1
    # Asked in private (no group card), or no such prompt: no hint.
    private = await assessments.ask_reason(OTHER, round_id, item, Content("Why?"), "en")
    assert await assessments.hint_private_chat(private, compose) is False
    assert await assessments.hint_private_chat(99999, compose) is False
    assert len(seen) == 2
    # Another person in the same chat gets their own hint, without a topic.
    other = await assessments.ask_reason(
        OTHER, round_id, item, Content("Why?"), "en", origin=(-100, None)
    )
    assert await assessments.hint_private_chat(other, compose) is True
    assert await outbox(services, f"hint:{round_id}:{OTHER}") == [
        (-100, "Rep CCHR: open a private chat")
    ]


# --- published results -----------------------------------------------------------------------


async def test_published_results_name_no_organisation_and_wait_for_publishing(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item, quiet] = await round_on(services, ("118.1", "118.2"))
    await assessments.rate(MEMBER, round_id, item, R)
    await assessments.set_reason(MEMBER, round_id, item, "No titles")
    await assessments.rate(OTHER, round_id, item, R)
    for missing in (round_id, 99):
        with pytest.raises(NotAllowed):
            await assessments.published_results(missing, services.catalog)
    await assessments.set_open(BOSS, round_id, False)
    with pytest.raises(NotAllowed):  # closed, not yet published
        await assessments.published_results(round_id, services.catalog)
    assert await assessments.publish(BOSS, round_id)

    round_, rows = await assessments.published_results(round_id, services.catalog)
    assert (round_.id, round_.published) == (round_id, True)
    assert [row.recommendation.id for row in rows] == [item, quiet]
    first, second = rows
    assert first.distribution == Distribution(red=2)
    assert first.reasons == ()  # colours and counts only: no reason, so no rating read
    assert second.distribution == Distribution()
    assert second.overall is Overall.NOT_ENOUGH
    # The coordinator's own view of the same round names the organisation.
    _, named = await assessments.results(BOSS, round_id, services.catalog)
    assert named[0].reasons == (("adhoc", R, "No titles"), ("CCHR", R, ""))


# --- a scope word the scope does not know -----------------------------------------------------


@pytest.mark.parametrize(
    ("word", "params"),
    [
        ("lnad", {"word": "lnad", "suggestion": "land"}),
        ("zzzzqqq", {"word": "zzzzqqq"}),
        ("q" * 60, {"word": "q" * 40}),
    ],
)
def test_an_unknown_scope_word_is_named_with_the_nearest_known_one(
    services: Services, word: str, params: dict[str, str]
) -> None:
    with pytest.raises(BadScope) as refused:
        parse_scope(f"c2 {word}", services.catalog, PHNOM_PENH, dt.date(2026, 11, 23))
    assert dict(refused.value.params) == params
    assert ("Did you mean" in refused.value.message) is ("suggestion" in params)


def test_an_unknown_khmer_word_gets_the_nearest_khmer_word(services: Services) -> None:
    with pytest.raises(BadScope) as refused:
        parse_scope("c2 ដីធ្លីក", services.catalog, PHNOM_PENH, dt.date(2026, 11, 23))
    suggestion = refused.value.params.get("suggestion", "")
    assert suggestion
    assert suggestion[0] >= "\u1780"


# --- what the direct tests above left to chance (mutation testing) ----------------------------


async def test_remind_behind_names_the_round_and_its_close_and_logs_no_content(
    services: Services,
    assessments: Assessments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closes = clock.now() + dt.timedelta(days=10)
    round_id, items = await round_on(services, ("118.1", "118.2"), closes)
    await assessments.rate(MEMBER, round_id, items[0], R)
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        sent = await assessments.remind_behind(BOSS, round_id)
    assert (sent.result, sent.organisations, sent.people) == (Reminding.SENT, 2, 3)
    assert caplog.messages == [f"round {round_id}: 3 reminders staged by a coordinator"]
    told = dict(await outbox(services, f"round:{round_id}:reminder-now"))
    assert told[MEMBER] == (
        "Reminder: the assessment «R» closes December 3, 2026 (Phnom Penh). "
        "Your organisation has rated 1 of 2: 1 left."
    )
    assert "0 of 2: 2 left" in told[OTHER]
    soon = await assessments.remind_behind(BOSS, round_id)
    assert soon.result is Reminding.TOO_SOON
    assert soon.panel is not None
    assert soon.panel.round.id == round_id


async def test_scheduled_reminders_skip_a_round_not_yet_due_or_already_told_and_go_on(
    services: Services,
    assessments: Assessments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = clock.now()
    due, _ = await round_on(services, ("118.4",), start + dt.timedelta(days=3, hours=1))
    told, _ = await round_on(services, ("118.1",), start + dt.timedelta(days=2))
    await assessments.remind()  # `told` three days ahead; `due` not yet
    assert await outbox(services, f"round:{due}:reminder-3") == []
    later, _ = await round_on(services, ("118.2",), start + dt.timedelta(days=20))
    await round_on(services, ("118.3",))  # no closing date: never reminded
    clock.advance(hours=2)
    before = await outbox(services, f"round:{told}:reminder-3")
    # Newest first: the round without a date, `later` (not due) and `told` (told already)
    # are passed over, and the oldest, `due`, is still reminded.
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        await assessments.remind()
    assert caplog.messages == [f"round {due}: 3 reminders staged"]
    assert await outbox(services, f"round:{told}:reminder-3") == before
    assert await outbox(services, f"round:{later}:reminder-3") == []
    reminded = dict(await outbox(services, f"round:{due}:reminder-3"))
    assert sorted(reminded) == [MEMBER, SECOND, OTHER]
    assert reminded[MEMBER] == (
        "Reminder: the assessment «R» closes November 26, 2026 (Phnom Penh). "
        "Your organisation has rated 0 of 1: 1 left."
    )


async def test_a_deep_link_tells_a_coordinator_and_a_paused_organisation_why_not(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.rate(MEMBER, round_id, item, R)
    coordinator = await assessments.open_link(BOSS, round_id, item)
    assert (coordinator.result, coordinator.round) == (LinkOpened.COORDINATOR, None)
    adhoc = next(
        o for o in await assessments.coalition.organisations(BOSS) if o.short_name == "adhoc"
    )
    await assessments.coalition.set_active(BOSS, adhoc.id, False)
    paused = await assessments.open_link(MEMBER, round_id, item)
    assert (paused.result, paused.round) == (LinkOpened.PAUSED, None)
    assert await assessments.pending(MEMBER) is None


async def test_published_results_of_one_working_group_count_its_list_and_its_organisations(
    services: Services, assessments: Assessments
) -> None:
    coalition = assessments.coalition
    adhoc = next(o for o in await coalition.organisations(BOSS) if o.short_name == "adhoc")
    await coalition.toggle_group(BOSS, adhoc.id, 6)  # adhoc in group 6, CCHR not
    listed = await services.group_lists.recommendation_ids(6)
    inside = min(listed)
    outside = min(r.id for r in services.catalog.recommendations if r.id not in listed)
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (inside, outside), "s", None))
    await assessments.rate(MEMBER, round_id, inside, R)
    await assessments.rate(OTHER, round_id, inside, G)
    await assessments.set_open(BOSS, round_id, False)
    assert await assessments.publish(BOSS, round_id)
    _, rows = await assessments.published_results(round_id, services.catalog, 6)
    [own] = rows  # its list only, its organisations only
    assert (own.recommendation.id, own.distribution, own.reasons) == (
        inside,
        Distribution(red=1),
        (),
    )
    _, everyone = await assessments.published_results(round_id, services.catalog)
    assert {r.recommendation.id: r.distribution for r in everyone} == {
        inside: Distribution(red=1, green=1),
        outside: Distribution(),
    }


async def test_how_many_of_a_round_a_working_group_lists_is_known_before_any_table(
    services: Services, assessments: Assessments
) -> None:
    listed = await services.group_lists.recommendation_ids(6)
    inside = sorted(listed)[:2]
    outside = min(r.id for r in services.catalog.recommendations if r.id not in listed)
    scope = Scope(2, (*inside, outside), "s", None)
    round_id = await assessments.open_round(BOSS, "R", scope)
    round_, count = await assessments.listed(BOSS, round_id, 6)
    assert (round_.id, count) == (round_id, 2)  # its list only
    assert (await assessments.listed(BOSS, round_id, 999))[1] == 0  # a group that is gone
    with pytest.raises(NotAllowed):  # a member, before the round is published
        await assessments.listed(MEMBER, round_id, 6)
    with pytest.raises(NotAllowed):  # no such round
        await assessments.listed(BOSS, round_id + 1, 6)


async def test_the_private_chat_hint_speaks_the_topics_language_and_names_no_stranger(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.coalition.link_chat(BOSS, -100, 4, 6, "Group")
    assert await assessments.coalition.set_chat_language(BOSS, -100, 4, "km")
    seen: list[tuple[str, str | None]] = []

    def compose(origin: PromptOrigin, name: str, language: str | None) -> Content:
        seen.append((name, language))
        return Content(f"{name}!")

    asked = await assessments.ask_reason(
        MEMBER, round_id, item, Content("Why?"), "en", origin=(-100, 4)
    )
    assert await assessments.hint_private_chat(asked, compose) is True
    stranger = await assessments.ask_reason(
        99, round_id, item, Content("Why?"), "en", origin=(-100, 4)
    )
    assert await assessments.hint_private_chat(stranger, compose) is True
    # A card in a chat without topics: the chat's own language.
    await assessments.coalition.link_chat(BOSS, -200, 0, 6, "Plain group")
    assert await assessments.coalition.set_chat_language(BOSS, -200, 0, "km")
    plain = await assessments.ask_reason(
        OTHER, round_id, item, Content("Why?"), "en", origin=(-200, None)
    )
    assert await assessments.hint_private_chat(plain, compose) is True
    assert seen == [("Rep adhoc", "km"), ("", "km"), ("Rep CCHR", "km")]
    async with services.database.connection.execute(
        "SELECT reference, chat_id, topic_id, language FROM deliveries "
        "WHERE reference LIKE 'hint:%' ORDER BY id"
    ) as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [
            (f"hint:{round_id}:{MEMBER}", -100, 4, "km"),
            (f"hint:{round_id}:99", -100, 4, "km"),
            (f"hint:{round_id}:{OTHER}", -200, None, "km"),
        ]


def test_an_unknown_word_starting_with_the_first_khmer_letter_gets_a_khmer_word(
    services: Services,
) -> None:
    """ក (U+1780) is the first Khmer letter: a word starting with it is Khmer, and so are the
    known words starting with it."""
    khmer = [w for w in scope_words(services.catalog) if w[:1] == "\u1780" and " " not in w]
    assert khmer
    with pytest.raises(BadScope) as refused:
        parse_scope(f"c2 {khmer[0]}ៗ", services.catalog, PHNOM_PENH, dt.date(2026, 11, 23))
    assert refused.value.params.get("suggestion") == khmer[0]


@pytest.mark.parametrize(
    ("typed", "suggestion", "word"),
    [
        # A theme's two-word name run together: the nearest single word, never the phrase.
        ("publichealth", None, "publichealth"),
        # A long Khmer run around the longest known word: named cut to 40 characters.
        ("ការទទួលបានយុត្តិធម៌" + "ៗ" * 22, "ការទទួលបានយុត្តិធម៌", "ការទទួលបានយុត្តិធម៌" + "ៗ" * 21),
    ],
)
def test_the_suggestion_for_an_unknown_word_is_one_known_word_and_the_word_is_cut(
    services: Services, typed: str, suggestion: str | None, word: str
) -> None:
    with pytest.raises(BadScope) as refused:
        parse_scope(f"c2 {typed}", services.catalog, PHNOM_PENH, dt.date(2026, 11, 23))
    params = dict(refused.value.params)
    assert params["word"] == word
    assert " " not in params["suggestion"]
    if suggestion is not None:
        assert params["suggestion"] == suggestion


async def test_the_guide_counts_its_days_in_the_coalitions_time_zone(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    clock.advance(hours=17)  # 19:00 UTC: already 24 November in Phnom Penh
    catalog = services.catalog
    start = await assessments.guide(BOSS, 0, GuideChoice.START, 0, catalog, PHNOM_PENH, EN)
    assert start.today == dt.date(2026, 11, 24)
    steps = (
        (GuideChoice.CYCLE, 2),
        (GuideChoice.RESPONSE, 1),
        (GuideChoice.ALL_THEMES, 0),
        (GuideChoice.CLOSE_IN, 1),
    )
    await at_name_step(assessments, services, *steps)
    blank = await assessments.guide_text(BOSS, "   ", catalog, PHNOM_PENH)
    assert blank is not None
    assert blank.guide is not None
    assert (blank.result, blank.today, blank.guide.closes) == (
        Guiding.PROBLEM,
        dt.date(2026, 11, 24),
        "2026-12-08",
    )
    # A typed date is a day where the coalition is: the 23rd has passed in Phnom Penh, and
    # the 31st is the 31st in New York too (already the 1st in UTC at its 23:59).
    at_date = (*steps[:3], (GuideChoice.TYPE_DATE, 0))
    await at_name_step(assessments, services, *at_date)
    passed = await assessments.guide_text(BOSS, "2026-11-23", catalog, PHNOM_PENH)
    assert passed is not None
    assert (passed.result, passed.today, dict(passed.params)) == (
        Guiding.PROBLEM,
        dt.date(2026, 11, 24),
        {"date": "2026-11-23"},
    )
    dated = await assessments.guide_text(BOSS, "2026-12-31", catalog, ZoneInfo("America/New_York"))
    assert dated is not None
    assert dated.guide is not None
    assert (dated.result, dated.today, dated.guide.closes) == (
        Guiding.ASK,
        dt.date(2026, 11, 23),
        "2026-12-31",
    )


async def test_typed_text_answers_the_guide_only_at_its_typing_steps_and_for_half_an_hour(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    catalog = services.catalog
    at_date = ((GuideChoice.CYCLE, 2), (GuideChoice.RESPONSE, 0), (GuideChoice.ALL_THEMES, 0))
    # Nothing waits, or the guide waits for a button: the text is not the guide's.
    assert await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH) is None
    assert await assessments.leave_guide(BOSS) is False
    await at_name_step(assessments, services, *at_date)  # at the closing buttons
    assert await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH) is None
    assert await assessments.leave_guide(BOSS) is False
    # The date step: a date that is none is refused there, in the words of the date rule.
    draft = await at_name_step(assessments, services, *at_date, (GuideChoice.TYPE_DATE, 0))
    bad = await assessments.guide_text(BOSS, "2026-02-30", catalog, PHNOM_PENH)
    assert bad is not None
    assert bad.guide is not None
    assert (bad.result, bad.draft_id, bad.guide.step, dict(bad.params), bad.today) == (
        Guiding.PROBLEM,
        draft,
        GuideStep.DATE,
        {"date": "2026-02-30"},
        dt.date(2026, 11, 23),
    )
    assert bad.problem.startswith("“{date}” is not a date I can read.")
    # Half an hour after the question, the text is a search again; just before, an answer.
    clock.advance(minutes=31)
    assert await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH) is None
    assert await assessments.leave_guide(BOSS) is False
    await at_name_step(assessments, services, *at_date, (GuideChoice.TYPE_DATE, 0))
    clock.advance(minutes=29)
    dated = await assessments.guide_text(BOSS, "2026-12-31", catalog, PHNOM_PENH)
    assert dated is not None
    assert dated.result is Guiding.ASK
    # Another prompt of the bot now waits for this person's text: the guide is left (once),
    # for this person only.
    assert await assessments.leave_guide(MEMBER) is False
    assert await assessments.leave_guide(BOSS) is True
    assert await assessments.leave_guide(BOSS) is False
    assert await assessments.guide_text(BOSS, "A name", catalog, PHNOM_PENH) is None
    gone = await assessments.guide(
        BOSS, dated.draft_id, GuideChoice.CANCEL, 0, catalog, PHNOM_PENH, EN
    )
    assert gone.result is Guiding.STALE


# --- the round panel's buttons ----------------------------------------------------------------


async def test_the_panels_buttons_close_reopen_publish_once_and_delete_or_say_why_not(
    services: Services, assessments: Assessments, caplog: pytest.LogCaptureFixture
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.rate(MEMBER, round_id, item, R)

    async def press(change: RoundChange, on: int = round_id) -> RoundChanged:
        return await assessments.change(BOSS, on, change)

    early = await press(RoundChange.PUBLISH)
    assert early.refused == (
        "Close the round before publishing: results are published once ratings are frozen."
    )
    assert early.panel is not None
    assert early.panel.round.published is False
    assert (await press(RoundChange.REOPEN)).refused == "This round is already open."
    closed = await press(RoundChange.CLOSE)
    assert closed.refused == ""
    assert closed.overview is not None
    assert closed.panel is not None
    assert closed.panel.round.open is False
    assert (await press(RoundChange.CLOSE)).refused == "This round is already closed."
    published = await press(RoundChange.PUBLISH)
    assert published.refused == ""
    assert published.panel is not None
    assert published.panel.round.published is True
    told = await outbox(services, f"round:{round_id}:published")
    assert len(told) == 3  # each representative
    assert "«R»" in told[0][1]
    again = await press(RoundChange.PUBLISH)
    assert again.refused == "This round is already published."
    # Reopened and published again: the notice went once a round.
    assert (await press(RoundChange.REOPEN)).refused == ""
    assert (await press(RoundChange.CLOSE)).refused == ""
    assert (await press(RoundChange.PUBLISH)).refused == ""
    assert await outbox(services, f"round:{round_id}:published") == told
    # Ratings keep a round; one nobody rated in goes, and its panel with it.
    kept = await press(RoundChange.DELETE)
    assert kept.refused.startswith("This round has ratings: it cannot be deleted.")
    assert await assessments.round(round_id) is not None
    empty, _ = await round_on(services, ("118.2",))
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        deleted = await press(RoundChange.DELETE, empty)
    assert (deleted.refused, deleted.panel) == ("", None)
    assert caplog.messages == [f"round {empty} deleted"]
    assert deleted.overview is not None
    assert [line.round.id for line in deleted.overview.lines] == [round_id]
    assert await assessments.round(empty) is None
    gone = await press(RoundChange.DELETE, empty)
    assert (gone.overview, gone.panel) == (None, None)


async def apart(services: Services, other: int = 7) -> tuple[list[int], list[int], set[int]]:
    """adhoc in working group 6, CCHR in `other`: the cycle-2 recommendations on 6's list only
    (adhoc's own, not CCHR's), those on the other's only, by id, and those on either list."""
    coalition = services.coalition
    orgs = {o.short_name: o.id for o in await coalition.organisations(BOSS)}
    await coalition.toggle_group(BOSS, orgs["adhoc"], 6)
    await coalition.toggle_group(BOSS, orgs["CCHR"], other)
    six = await services.group_lists.recommendation_ids(6)
    theirs = await services.group_lists.recommendation_ids(other)
    cycle_two = {r.id for r in services.catalog.recommendations if r.cycle == 2}
    return sorted(cycle_two & six - theirs), sorted(cycle_two & theirs - six), six | theirs


async def test_closing_freezes_the_rounds_own_audience_not_every_organisation(
    services: Services, assessments: Assessments
) -> None:
    inside = (await apart(services))[0][0]
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (inside,), "s", None))
    await assessments.rate(MEMBER, round_id, inside, R)
    assert await assessments.participation(round_id) == (1, 1)  # group 6's organisations
    assert await assessments.set_open(BOSS, round_id, False)
    assert await assessments.participation(round_id) == (1, 1)  # as frozen at the close


# --- /rounds, a round's panel, the question before a change, /openround's preview ------------


def lines(overview_lines: tuple[RoundLine, ...]) -> list[tuple[object, ...]]:
    """Each line of /rounds as (round, rated, of, each organisation's progress, own share)."""
    return [(x.round.id, x.rated, x.total, x.organisations, x.own) for x in overview_lines]


async def test_rounds_shows_each_reader_the_rounds_and_the_progress_they_may_see(
    services: Services, assessments: Assessments
) -> None:
    first, items = await round_on(services, ("118.1", "118.2"))  # open
    await assessments.rate(MEMBER, first, items[0], R)
    hidden, [item] = await round_on(services, ("118.3",))  # closed, not published
    await assessments.rate(OTHER, hidden, item, G)
    assert await assessments.set_open(BOSS, hidden, False)
    shown, [item] = await round_on(services, ("118.4",))  # closed and published
    await assessments.rate(MEMBER, shown, item, G)
    await assessments.rate(OTHER, shown, item, G)
    assert await assessments.set_open(BOSS, shown, False)
    assert await assessments.publish(BOSS, shown)

    boss = await assessments.overview(BOSS)
    assert boss.coordinator is True
    assert lines(boss.lines) == [
        (shown, 2, 2, (("adhoc", 1, 1), ("CCHR", 1, 1)), None),
        (hidden, 1, 2, (("adhoc", 0, 1), ("CCHR", 1, 1)), None),
        (first, 1, 2, (("adhoc", 1, 2), ("CCHR", 0, 2)), None),
    ]
    # A member: what they can rate or read, and their own organisation's share only.
    member = await assessments.overview(MEMBER)
    assert member.coordinator is False
    assert lines(member.lines) == [(shown, 2, 2, (), (1, 1)), (first, 1, 2, (), (1, 2))]
    assert lines((await assessments.overview(OTHER)).lines) == [
        (shown, 2, 2, (), (1, 1)),
        (first, 1, 2, (), (0, 2)),
    ]
    # A guest, and anyone in a group (a coordinator too): the members' view, nobody's progress.
    members_view = [(shown, 2, 2, (), None), (first, 1, 2, (), None)]
    assert lines((await assessments.overview(GUEST)).lines) == members_view
    for user_id in (BOSS, MEMBER, GUEST):
        grouped = await assessments.overview(user_id, in_group=True)
        assert (grouped.coordinator, lines(grouped.lines)) == (False, members_view)


async def test_rounds_gives_no_share_to_an_organisation_the_round_does_not_concern(
    services: Services, assessments: Assessments
) -> None:
    inside = (await apart(services))[0][0]
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (inside,), "s", None))
    await assessments.rate(OTHER, round_id, inside, G)  # CCHR may rate; it is not counted
    assert lines((await assessments.overview(OTHER)).lines) == [(round_id, 0, 1, (), None)]
    assert lines((await assessments.overview(MEMBER)).lines) == [(round_id, 0, 1, (), (0, 1))]
    assert lines((await assessments.overview(BOSS)).lines) == [
        (round_id, 0, 1, (("adhoc", 0, 1),), None)
    ]


async def test_a_panel_counts_who_rated_what_lacks_ratings_and_every_rating(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    coalition = assessments.coalition
    first, second = (await apart(services))[0][:2]
    round_id = await assessments.open_round(BOSS, "R", Scope(2, (first, second), "s", None))
    two = Assessments(assessments.repository, coalition, services.group_lists, clock, 2)
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await two.panel(actor, round_id)
    assert await two.panel(BOSS, 99) is None
    round_ = await assessments.round(round_id)
    assert round_ is not None
    empty = await two.panel(BOSS, round_id)
    assert empty == Panel(round_, (("adhoc", 0, 2),), 0, 1, 2, None, 0)
    assert empty.deletable
    await two.rate(OTHER, round_id, first, G)  # outside the round's audience
    outside = await two.panel(BOSS, round_id)
    assert outside == Panel(round_, (("adhoc", 0, 2),), 0, 1, 2, None, 1)
    assert not outside.deletable
    await two.rate(MEMBER, round_id, first, G)
    await two.rate(SECOND, round_id, second, R)  # adhoc's second representative
    # Two ratings make a colour with MIN_RATINGS 2, not with 3.
    assert await two.panel(BOSS, round_id) == Panel(round_, (("adhoc", 2, 2),), 1, 1, 1, None, 3)
    three = await assessments.panel(BOSS, round_id)
    assert three is not None
    assert (three.not_enough, three.ratings) == (2, 3)
    # Closed: the participation frozen at the close.
    assert await two.set_open(BOSS, round_id, False)
    closed = await two.panel(BOSS, round_id)
    assert closed is not None
    assert (closed.round.open, closed.rated, closed.total) == (False, 1, 1)


async def test_the_question_before_a_change_says_what_cannot_be_done_now(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))

    async def refusals() -> dict[RoundChange, str]:
        return {c: (await assessments.ask(BOSS, round_id, c)).refused for c in RoundChange}

    assert await assessments.ask(BOSS, 99, RoundChange.CLOSE) == RoundChanged(None)
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await assessments.ask(actor, round_id, RoundChange.CLOSE)
    early = "Close the round before publishing: results are published once ratings are frozen."
    rated = (
        "This round has ratings: it cannot be deleted. Close it instead, or keep it unpublished."
    )
    assert await refusals() == {
        RoundChange.CLOSE: "",
        RoundChange.REOPEN: "This round is already open.",
        RoundChange.PUBLISH: early,
        RoundChange.DELETE: "",
    }
    question = await assessments.ask(BOSS, round_id, RoundChange.CLOSE)
    assert question.overview == await assessments.overview(BOSS)
    assert question.panel == await assessments.panel(BOSS, round_id)
    round_ = await assessments.round(round_id)
    assert round_ is not None
    assert round_.open  # asking changed nothing
    await assessments.rate(MEMBER, round_id, item, R)
    assert (await refusals())[RoundChange.DELETE] == rated
    assert await assessments.set_open(BOSS, round_id, False)
    assert await refusals() == {
        RoundChange.CLOSE: "This round is already closed.",
        RoundChange.REOPEN: "",
        RoundChange.PUBLISH: "",
        RoundChange.DELETE: rated,
    }
    assert await assessments.publish(BOSS, round_id)
    assert (await refusals())[RoundChange.PUBLISH] == "This round is already published."


async def test_a_preview_opens_or_cancels_once_and_a_later_tap_says_what_became_of_it(
    services: Services,
    assessments: Assessments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = services.catalog

    async def preview(text: str) -> Opened:
        return await assessments.open(BOSS, text, catalog, PHNOM_PENH, preview=True)

    draft = await preview("c2 118.1-118.3 until 2026-12-31 : Year\n end")
    today = dt.date(2026, 11, 23)
    scope = parse_scope("c2 118.1-118.3 until 2026-12-31", catalog, PHNOM_PENH, today)
    assert (draft.result, draft.name, draft.scope) == (Opening.PREVIEW, "Year end", scope)
    assert await assessments.rounds() == []
    await assessments.coalition.repository.seed_coordinators([7], "en")
    assert await assessments.confirm(7, draft.round_id) == Opened(Opening.GONE)  # not theirs
    assert await assessments.cancel(7, draft.round_id) == Opened(Opening.GONE)
    for actor in (MEMBER, GUEST):
        with pytest.raises(NotAllowed):
            await assessments.confirm(actor, draft.round_id)
        with pytest.raises(NotAllowed):
            await assessments.cancel(actor, draft.round_id)
    clock.advance(hours=23, minutes=59)  # a preview waits a day
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        opened = await assessments.confirm(BOSS, draft.round_id)
    [round_] = await assessments.rounds()
    kept = Scope(2, scope.recommendation_ids, scope.description, scope.closes_at)
    assert opened == Opened(Opening.OPENED, round_.id, "Year end", kept)
    assert caplog.messages == [f"round {round_.id} opened: 3 recommendations"]
    assert (round_.name, round_.cycle, round_.scope, round_.closes_at, round_.size) == (
        "Year end",
        2,
        "c2 118.1-118.3",
        dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC),
        3,
    )
    told = await outbox(services, f"round:{round_.id}:opened")
    assert told[0] == (
        MEMBER,
        "New assessment «Year end»: 3 recommendations for your organisation to rate, "
        "closes December 31, 2026 (Phnom Penh).",
    )
    # Tapped again, Open or Cancel: the same round, opened once.
    assert await assessments.confirm(BOSS, draft.round_id) == opened
    assert await assessments.cancel(BOSS, draft.round_id) == opened
    assert len(await assessments.rounds()) == 1
    assert (await assessments.change(BOSS, round_.id, RoundChange.DELETE)).refused == ""
    assert await assessments.confirm(BOSS, draft.round_id) == Opened(Opening.GONE)
    # Cancelled: every later tap is told so, Open too; nothing is opened.
    other = await preview("c2 land : Other")
    for tap in (assessments.cancel, assessments.cancel, assessments.confirm):
        assert await tap(BOSS, other.round_id) == Opened(Opening.CANCELLED)
    # A day later the preview is gone.
    late = await preview("c2 land : Late")
    clock.advance(days=1)
    assert await assessments.confirm(BOSS, late.round_id) == Opened(Opening.GONE)
    assert await assessments.rounds() == []
    # A guide's draft is no preview: Open on it opens nothing.
    guide = await assessments.guide(BOSS, 0, GuideChoice.START, 0, catalog, PHNOM_PENH, EN)
    assert await assessments.confirm(BOSS, guide.draft_id) == Opened(Opening.GONE)
    assert await assessments.rounds() == []


async def test_a_preview_whose_closing_time_came_meanwhile_is_dropped_not_opened(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    text = "c2 118.1 until 2026-11-23 : Today"  # 23:59 in Phnom Penh: 16:59 UTC
    draft = await assessments.open(BOSS, text, services.catalog, PHNOM_PENH, preview=True)
    clock.advance(hours=14, minutes=59)  # from 02:00 UTC to exactly its closing time
    assert clock.now() == dt.datetime(2026, 11, 23, 16, 59, tzinfo=dt.UTC)
    passed = await assessments.confirm(BOSS, draft.round_id)
    assert (passed.result, passed.problem) == (
        Opening.BAD_SCOPE,
        "The closing date of this round passed before it was opened: send /openround again "
        "with a later date.",
    )
    assert await assessments.rounds() == []
    assert await assessments.confirm(BOSS, draft.round_id) == Opened(Opening.CANCELLED)


async def test_a_preview_names_the_linked_groups_told_and_open_pins_their_notice(
    services: Services, assessments: Assessments
) -> None:
    coalition = assessments.coalition
    mine, theirs, _ = await apart(services, 5)
    only_six, only_five = mine[:2], theirs[:1]
    await coalition.link_chat(BOSS, -600, 0, 6, "Six")
    await coalition.link_chat(BOSS, -500, 0, 5, "Five")
    numbers = " ".join(str(services.catalog.by_id[i].number) for i in (*only_five, *only_six))
    draft = await assessments.open(
        BOSS, f"c2 {numbers} : Groups", services.catalog, PHNOM_PENH, preview=True
    )
    groups = {g.id: g for g in await coalition.working_groups()}
    assert draft.result is Opening.PREVIEW, draft
    # The group with more of the round's recommendations first.
    assert (draft.told, draft.organisations) == (((groups[6], 2), (groups[5], 1)), 2)
    opened = await assessments.confirm(BOSS, draft.round_id, pin=True)

    async def pins(round_id: int) -> dict[int, bool]:
        async with services.database.connection.execute(
            "SELECT chat_id, content FROM deliveries WHERE reference = ? ORDER BY chat_id",
            (f"round:{round_id}:opened",),
        ) as cursor:
            return {int(chat): Content.from_json(raw).pin for chat, raw in await cursor.fetchall()}

    assert await pins(opened.round_id) == {
        -500: True,
        -600: True,
        MEMBER: False,
        SECOND: False,
        OTHER: False,
    }
    plain = await assessments.open(
        BOSS, f"c2 {numbers} : Plain", services.catalog, PHNOM_PENH, preview=True
    )
    unpinned = await assessments.confirm(BOSS, plain.round_id)  # not pinned unless asked
    assert set((await pins(unpinned.round_id)).values()) == {False}
    assert len(await pins(unpinned.round_id)) == 5
    # Without round notices nobody is told, and the preview says so.
    quiet = Assessments(
        assessments.repository, coalition, services.group_lists, assessments.clock, 3
    )
    again = await quiet.open(
        BOSS, f"c2 {numbers} : Quiet", services.catalog, PHNOM_PENH, preview=True
    )
    assert (again.result, again.told, again.organisations) == (Opening.PREVIEW, (), None)
    silent = await quiet.confirm(BOSS, again.round_id, pin=True)
    assert silent.result is Opening.OPENED
    async with services.database.connection.execute(
        "SELECT COUNT(*) FROM deliveries WHERE reference = ?",
        (f"round:{silent.round_id}:opened",),
    ) as cursor:
        assert await cursor.fetchone() == (0,)


# --- comparing rounds, who sees colours, which round /rate works in, a card's counts ----------


def test_a_comparison_counts_what_moved_stayed_could_not_be_compared_and_each_colour(
    services: Services,
) -> None:
    a, b, c, d, e, f, h, k = services.catalog.recommendations[:8]
    red, orange, green = Overall.RED, Overall.ORANGE, Overall.GREEN

    def rows(*colours: tuple[Recommendation, Overall]) -> list[ResultRow]:
        return [ResultRow(rec, Distribution(), colour, ()) for rec, colour in colours]

    before = rows(
        (a, red),
        (b, red),
        (c, green),
        (d, Overall.NOT_ENOUGH),
        (e, orange),
        (h, green),
        (k, green),
    )
    after = rows(
        (b, green),
        (c, orange),
        (d, green),
        (e, orange),
        (f, red),
        (h, Overall.CONTESTED),
        (k, green),
    )
    compared = compare_results(before, after)
    assert compared.changes == [(b, red, green, 1), (c, green, orange, -1)]
    assert (compared.up, compared.down) == (1, 1)
    # Stayed: e, k; in one round only: a, f; no colour to compare: d, h.
    assert (compared.stayed, compared.not_in_both, compared.unrated) == (2, 2, 2)
    assert compared.not_comparable == 4
    none = dict.fromkeys(Overall, 0)
    assert compared.before == {**none, red: 1, orange: 1, green: 3, Overall.NOT_ENOUGH: 1}
    assert compared.after == {**none, orange: 2, green: 3, Overall.CONTESTED: 1}


async def test_only_closed_rounds_whose_results_one_may_see_can_be_compared(
    services: Services, assessments: Assessments
) -> None:
    published, _ = await round_on(services, ("118.1",))
    unpublished, _ = await round_on(services, ("118.2",))
    still_open, _ = await round_on(services, ("118.3",))
    later, _ = await round_on(services, ("118.4",))
    for round_id in (published, unpublished, later):
        assert await assessments.set_open(BOSS, round_id, False)
    for round_id in (published, later):
        assert await assessments.publish(BOSS, round_id)
    assert still_open
    assert [r.id for r in await assessments.comparable(BOSS)] == [later, unpublished, published]
    assert [r.id for r in await assessments.comparable(MEMBER)] == [later, published]
    assert await assessments.comparable(GUEST) == []


async def test_a_card_shows_colours_to_everyone_once_published_before_to_coordinators_only(
    services: Services, assessments: Assessments
) -> None:
    round_id, _ = await round_on(services, ("118.1",))

    async def shown() -> list[bool]:
        round_ = await assessments.round(round_id)
        assert round_ is not None
        return [await assessments.shows_colours(v, round_) for v in (None, BOSS, MEMBER, GUEST)]

    assert await shown() == [False, True, False, False]
    assert await assessments.set_open(BOSS, round_id, False)
    assert await shown() == [False, True, False, False]
    assert await assessments.publish(BOSS, round_id)
    assert await shown() == [True, True, True, True]


async def test_rate_works_in_the_round_named_the_only_one_open_or_asks_which(
    services: Services, assessments: Assessments
) -> None:
    assert await assessments.pick_open(None) == RoundChoice(None, ())
    assert await assessments.pick_open(7) == RoundChoice(None, (), 7)
    first, _ = await round_on(services, ("118.1",))
    [only] = await assessments.rounds()
    assert await assessments.pick_open(None) == RoundChoice(only)
    assert await assessments.pick_open(first) == RoundChoice(only)
    second, _ = await round_on(services, ("118.2",))
    newest, oldest = await assessments.rounds()
    assert await assessments.pick_open(None) == RoundChoice(None, (newest, oldest))
    assert await assessments.pick_open(first) == RoundChoice(oldest)
    assert await assessments.set_open(BOSS, second, False)
    assert await assessments.pick_open(second) == RoundChoice(None, (oldest,), second)
    assert await assessments.pick_open(None) == RoundChoice(oldest)


async def test_what_is_left_to_rate_counts_the_organisations_own_recommendations(
    services: Services, assessments: Assessments
) -> None:
    own, _, listed = await apart(services)
    mine = own[:2]
    outside = min(r.id for r in services.catalog.recommendations if r.id not in listed)
    assert outside < mine[0]  # the round lists it first
    items = (outside, *mine)
    round_id = await assessments.open_round(BOSS, "R", Scope(2, items, "s", None))
    assert await assessments.left_to_rate(MEMBER, round_id) == (2, 2)
    assert await assessments.next_unrated(MEMBER, round_id, set()) == mine[0]  # its own first
    await assessments.rate(MEMBER, round_id, mine[0], G)
    await assessments.rate(SECOND, round_id, outside, G)  # not its own: nothing less left
    assert await assessments.left_to_rate(SECOND, round_id) == (1, 2)
    assert await assessments.left_to_rate(OTHER, round_id) is None  # not its round
    with pytest.raises(NotAllowed):
        await assessments.left_to_rate(GUEST, round_id)
    # Its own first, then the rest of the round.
    assert await assessments.next_unrated(MEMBER, round_id, set()) == mine[1]
    assert await assessments.next_unrated(MEMBER, round_id, {mine[1]}) is None
    assert await assessments.next_unrated(OTHER, round_id, set()) == outside  # none its own
    # A card counts the organisations whose own recommendation it is, or a group's members.
    assert await assessments.card_counts(round_id, mine[0]) == (Distribution(green=1), 1, 1)
    assert await assessments.card_counts(round_id, outside) == (Distribution(green=1), 0, 0)
    await assessments.rate(OTHER, round_id, mine[0], R)
    assert await assessments.card_counts(round_id, mine[0], 6) == (Distribution(green=1), 1, 1)


async def test_a_reply_to_a_prompt_the_bot_sent_gives_the_reason_for_a_day_and_next_moves_on(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    tapped = await assessments.tap(MEMBER, round_id, item, R, in_group=False)
    orgs = await assessments.coalition.organisations(BOSS)
    adhoc = next(o.id for o in orgs if o.short_name == "adhoc")
    assert (tapped.result, tapped.organisation_id) == (Tapped.RECORDED, adhoc)
    await assessments.prompt_sent(MEMBER, 501, round_id, item)
    assert await assessments.prompted(MEMBER, 501) == (round_id, item)
    assert await assessments.prompted(OTHER, 501) is None
    clock.advance(hours=23, minutes=59)
    assert await assessments.prompted(MEMBER, 501) == (round_id, item)
    clock.advance(minutes=1)
    assert await assessments.prompted(MEMBER, 501) is None
    # ⏭ Next: the next plain message is no reason.
    await assessments.tap(MEMBER, round_id, item, G, in_group=False)
    assert await assessments.pending(MEMBER) is not None
    await assessments.move_on(MEMBER)
    assert await assessments.pending(MEMBER) is None
    said = await assessments.reason_from_message(MEMBER, "No law yet")
    assert said is not None
    assert said.result is Reasoned.LOOKUP
    assert (await assessments.own(round_id, adhoc))[item].reason == ""


class Raced(AssessmentRepository):
    """The repository, with each draft cancelled by another tap just after it is read."""

    async def draft(self, draft_id: int, now: dt.datetime) -> RoundDraft | None:
        found = await super().draft(draft_id, now)
        await self.drop_draft(draft_id, BOSS)
        return found


async def test_the_losing_one_of_two_taps_on_open_is_told_the_preview_is_gone(
    services: Services, assessments: Assessments
) -> None:
    raced = Assessments(
        Raced(services.database),
        assessments.coalition,
        services.group_lists,
        assessments.clock,
        3,
        notices=assessments.notices,
    )
    draft = await raced.open(BOSS, "c2 118.1 : Raced", services.catalog, PHNOM_PENH, preview=True)
    assert await raced.confirm(BOSS, draft.round_id) == Opened(Opening.GONE)
    assert await raced.rounds() == []


async def test_a_round_closed_by_its_date_freezes_its_own_audience_and_tells_it(
    services: Services,
    assessments: Assessments,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inside = (await apart(services))[0][0]  # on group 6's list: adhoc's, not CCHR's
    due = clock.now() + dt.timedelta(hours=1)
    round_id = await assessments.open_round(BOSS, "Dated", Scope(2, (inside,), "s", due))
    await assessments.rate(MEMBER, round_id, inside, R)
    await assessments.rate(OTHER, round_id, inside, G)  # outside the audience: not counted
    clock.advance(hours=1)
    await assessments.close_due()
    closed = await assessments.round(round_id)
    assert closed is not None
    assert closed.open is False
    assert await assessments.participation(round_id) == (1, 1)  # frozen: group 6's only
    told = await outbox(services, f"round:{round_id}:closed")
    assert [chat for chat, _ in told] == [BOSS, MEMBER, SECOND]
    assert all("«Dated»" in text for _, text in told)
    # Round notices off: closed and frozen the same, nobody told.
    quiet = Assessments(
        assessments.repository, assessments.coalition, services.group_lists, clock, 3
    )
    later = await quiet.open_round(
        BOSS, "Quiet", Scope(2, (inside,), "s", clock.now() + dt.timedelta(hours=1))
    )
    await quiet.rate(MEMBER, later, inside, R)
    clock.advance(hours=1)
    with caplog.at_level(logging.INFO, logger="bot.domain.rounds"):
        await quiet.close_due()
    assert caplog.messages == [f"round {later} closed: its closing date has passed"]
    assert await quiet.participation(later) == (1, 1)
    assert await outbox(services, f"round:{later}:closed") == []


async def test_a_reason_prompt_goes_to_the_person_in_their_language_under_its_rating(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    delivery = await assessments.ask_reason(SECOND, round_id, item, Content("ហេតុអ្វី?"), "km")
    async with services.database.connection.execute(
        "SELECT chat_id, reference, language FROM deliveries WHERE id = ?", (delivery,)
    ) as cursor:
        assert tuple(await cursor.fetchone() or ()) == (SECOND, f"prompt:{round_id}:{item}", "km")


async def test_a_card_counts_a_whole_cycles_ungrouped_organisations_and_a_closed_group_frozen(
    services: Services, assessments: Assessments
) -> None:
    coalition = assessments.coalition
    orgs = {o.short_name: o.id for o in await coalition.organisations(BOSS)}
    await coalition.toggle_group(BOSS, orgs["adhoc"], 6)  # CCHR in no working group
    whole = await assessments.open(BOSS, "c2 : Whole cycle", services.catalog, PHNOM_PENH)
    listed = await services.group_lists.recommendation_ids(6)
    item = min(i for i in await assessments.items(whole.round_id) if i in listed)
    # Adhoc (its group's list) and CCHR (in no group: a whole cycle concerns it).
    assert await assessments.card_counts(whole.round_id, item) == (Distribution(), 0, 2)
    await assessments.rate(MEMBER, whole.round_id, item, G)
    assert await assessments.set_open(BOSS, whole.round_id, False)
    await coalition.toggle_group(BOSS, orgs["CCHR"], 6)  # joins after the close
    assert await assessments.card_counts(whole.round_id, item, 6) == (
        Distribution(green=1),
        1,
        1,
    )


async def test_a_reason_typed_after_its_round_closed_is_refused_once_then_searched(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    await assessments.tap(MEMBER, round_id, item, R, in_group=False)  # asked at once
    assert await assessments.set_open(BOSS, round_id, False)
    closed = await assessments.reason_from_message(MEMBER, "No law yet")
    assert closed == ReasonGiven(Reasoned.CLOSED)
    assert await assessments.reason_from_message(MEMBER, "No law yet") == ReasonGiven(
        Reasoned.LOOKUP
    )
    # Paused meanwhile: said once too, then a search.
    later, [other] = await round_on(services, ("118.2",))
    await assessments.tap(MEMBER, later, other, R, in_group=False)
    orgs = {o.short_name: o.id for o in await assessments.coalition.organisations(BOSS)}
    await assessments.coalition.set_active(BOSS, orgs["adhoc"], False)
    assert await assessments.reason_from_message(MEMBER, "No law yet") == ReasonGiven(
        Reasoned.PAUSED
    )
    assert await assessments.reason_from_message(MEMBER, "No law yet") == ReasonGiven(
        Reasoned.LOOKUP
    )
    paused = await assessments.tap(MEMBER, later, other, G, in_group=True)
    assert paused == Tap(Tapped.PAUSED)


async def test_a_plain_message_is_the_reason_for_half_an_hour_after_the_prompt_was_queued(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    round_id, items = await round_on(services, ("118.1", "118.2"))
    adhoc = next(
        o.id for o in await assessments.coalition.organisations(BOSS) if o.short_name == "adhoc"
    )
    for item, minutes, given in ((items[0], 29, True), (items[1], 31, False)):
        await assessments.rate(MEMBER, round_id, item, R)
        delivery = await assessments.ask_reason(MEMBER, round_id, item, Content("Why?"), "en")
        await services.outbox.store.mark_sent(delivery, 600 + minutes, clock.now())
        clock.advance(minutes=minutes)
        said = await assessments.reason_from_message(MEMBER, "No law yet")
        assert said is not None
        assert said.result is (Reasoned.SAVED if given else Reasoned.LOOKUP)
        assert (await assessments.own(round_id, adhoc))[item].reason == (
            "No law yet" if given else ""
        )
        # A reply to the prompt still gives it, for a day.
        assert await assessments.prompted(MEMBER, 600 + minutes) == (round_id, item)


class ReopenedMeanwhile(AssessmentRepository):
    """The repository, with a round reopened just after the open rounds were read."""

    reopen: tuple[int, dt.datetime] | None = None

    async def rounds(self) -> list[Round]:
        found = await super().rounds()
        if self.reopen is not None:
            await self.set_open(self.reopen[0], True, actor=BOSS, now=self.reopen[1])
            self.reopen = None
        return found


async def test_a_round_reopened_past_its_date_while_due_rounds_are_read_closes_untold(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    raced = ReopenedMeanwhile(services.database)
    dated = Assessments(
        raced, assessments.coalition, services.group_lists, clock, 3, notices=assessments.notices
    )
    due = clock.now() + dt.timedelta(hours=1)
    told = await dated.open_round(BOSS, "Told", Scope(2, (rec(services, "118.1"),), "s", due))
    late = await dated.open_round(BOSS, "Late", Scope(2, (rec(services, "118.2"),), "s", due))
    assert await dated.set_open(BOSS, late, False)
    clock.advance(hours=1)
    raced.reopen = (
        late,
        clock.now(),
    )  # past its date, reopened by a coordinator as the rounds are read
    await dated.close_due()
    assert [(r.id, r.open) for r in await dated.rounds()] == [(late, False), (told, False)]
    assert [chat for chat, _ in await outbox(services, f"round:{told}:closed")] == [
        BOSS,
        MEMBER,
        SECOND,
        OTHER,
    ]
    assert await outbox(services, f"round:{late}:closed") == []  # its notices were not composed


class Unsaid(AssessmentRepository):
    """The repository, refusing to read what was said (every rating, or the reasons cells)."""

    async def said(self, *args: object, **kwargs: object) -> list[Said]:
        raise AssertionError("what was said is read")

    async def tables(
        self,
        round_id: int,
        form: ReasonsForm | None,
        named: bool,
        wanted: Sequence[int],
        with_groups: bool,
    ) -> TableReads:
        if form is not None:
            raise AssertionError("what was said is read")
        return await super().tables(round_id, form, named, wanted, with_groups)


async def test_a_comparison_reads_the_colours_only_never_what_was_said(
    services: Services, assessments: Assessments
) -> None:
    """Comparing two rounds of a thousand ratings each must not read every reason."""
    unsaid = Assessments(
        Unsaid(services.database),
        assessments.coalition,
        services.group_lists,
        assessments.clock,
        1,
    )
    rounds = []
    for colour in R, G:
        round_id, items = await round_on(services, ("118.1", "118.2"))
        await assessments.rate(MEMBER, round_id, items[0], colour)
        await assessments.set_reason(MEMBER, round_id, items[0], "No law yet")
        assert await assessments.set_open(BOSS, round_id, False)
        rounds.append(round_id)
    compared = await unsaid.comparison(BOSS, rounds[0], rounds[1], services.catalog)
    assert [(c[1], c[2], c[3]) for c in compared.changes] == [(Overall.RED, Overall.GREEN, 1)]
    assert (compared.stayed, compared.unrated) == (0, 1)


async def test_whom_a_round_concerns_is_read_from_its_own_recommendations(
    services: Services, assessments: Assessments
) -> None:
    """A whole cycle concerns organisations in no working group too, before it is opened (the
    preview) and after (the panel); a preview reads its own recommendations, not round 1's."""
    coalition = assessments.coalition
    orgs = {o.short_name: o.id for o in await coalition.organisations(BOSS)}
    await coalition.toggle_group(BOSS, orgs["adhoc"], 6)  # CCHR in no working group
    whole = await assessments.open(BOSS, "c2 : Whole cycle", services.catalog, PHNOM_PENH)
    assert whole.round_id == 1  # the first round: a preview must not read its items
    listed = await services.group_lists.recommendation_ids(6)
    one = min(i for i in await assessments.items(whole.round_id) if i in listed)
    number = services.catalog.by_id[one].number
    part = await assessments.open(
        BOSS, f"c2 {number} : Part", services.catalog, PHNOM_PENH, preview=True
    )
    assert (part.result, part.organisations) == (Opening.PREVIEW, 1)  # group 6's adhoc only
    again = await assessments.open(
        BOSS, "c2 : Whole again", services.catalog, PHNOM_PENH, preview=True
    )
    assert (again.result, again.organisations) == (Opening.PREVIEW, 2)
    panel = await assessments.panel(BOSS, whole.round_id)
    assert panel is not None
    assert [name for name, _, _ in panel.organisations] == ["adhoc", "CCHR"]


async def test_a_results_summary_has_a_row_per_working_group_with_members_and_a_list(
    services: Services, assessments: Assessments
) -> None:
    """Each working group's own colours (its list, its members' ratings) when two or more
    groups have both; else, or for one group's results, the themes with every colour's total."""
    mine, theirs, _ = await apart(services)  # adhoc in group 6, CCHR in group 7
    one = Assessments(
        assessments.repository, assessments.coalition, services.group_lists, assessments.clock, 1
    )
    groups = await assessments.coalition.working_groups()
    by_id = {g.id: g for g in groups}
    catalog = services.catalog
    none = dict.fromkeys(Overall, 0)
    # A group without members whose list holds one of the round's recommendations: left out.
    memberless = {
        g.id: await services.group_lists.recommendation_ids(g.id)
        for g in groups
        if g.id not in (6, 7)
    }
    extra = next(i for i in mine if any(i in listed for listed in memberless.values()))
    first = next(i for i in mine if i != extra)
    both = await one.open_round(BOSS, "Both", Scope(2, (extra, first, theirs[0]), "s", None))
    await one.rate(MEMBER, both, extra, R)
    await one.rate(MEMBER, both, first, G)
    await one.rate(OTHER, both, theirs[0], G)
    round_, rows = await one.results(BOSS, both, catalog)
    assert await one.summary(round_, catalog, rows, groups) == Summary(
        True,
        (
            (by_id[6], {**none, Overall.RED: 1, Overall.GREEN: 1}),
            (by_id[7], {**none, Overall.GREEN: 1}),
        ),
    )
    themes = tuple(summary_by_theme(catalog, rows))
    totals = {**none, Overall.RED: 1, Overall.GREEN: 2}
    assert themes
    # One working group's results (no groups given): by theme.
    assert await one.summary(round_, catalog, rows, None) == Summary(False, themes, totals)
    # Only group 6 has the round's recommendations: by theme too.
    alone = await one.open_round(BOSS, "Six", Scope(2, (first,), "s", None))
    await one.rate(MEMBER, alone, first, G)
    round_, rows = await one.results(BOSS, alone, catalog)
    assert await one.summary(round_, catalog, rows, groups) == Summary(
        False, tuple(summary_by_theme(catalog, rows)), {**none, Overall.GREEN: 1}
    )


# 17d ------------------------------------------------------------------------------------------


async def test_the_whole_coalitions_results_in_a_readers_form_carry_each_rows_reasons_cell(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item, quiet] = await round_on(services, ("118.1", "118.2"))
    await assessments.rate(MEMBER, round_id, item, R)
    await assessments.set_reason(MEMBER, round_id, item, "No titles")
    await assessments.rate(OTHER, round_id, item, G)
    form = reasons_form(EN)
    expected = {True: ["adhoc: 🔴 No titles; CCHR: 🟢", ""], False: ["🔴 No titles", ""]}
    for named, cells in expected.items():
        _, plain = await assessments.results(BOSS, round_id, services.catalog, private=named)
        _, written = await assessments.results(
            BOSS, round_id, services.catalog, private=named, form=form
        )
        assert [r.recommendation.id for r in written] == [item, quiet]
        assert [r.cell for r in written] == cells
        assert [reasons_cell(EN, r) for r in plain] == cells


async def test_a_new_question_stops_the_reason_waiting_unless_its_prompt_never_arrived(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    """stop_waiting: the reason asked for last no longer takes the next message, whether its
    prompt is on its way or arrived (a reply to it still gives it); a prompt Telegram refused
    never took it."""
    round_id, [first, second, third] = await round_on(services, ("118.1", "118.2", "118.3"))
    assert await assessments.stop_waiting(MEMBER) is False  # nothing waits

    await assessments.ask_reason(MEMBER, round_id, first, Content("Why?"), "en")
    assert await assessments.stop_waiting(MEMBER) is True  # on its way
    assert await assessments.pending(MEMBER) is None

    sent = await assessments.ask_reason(MEMBER, round_id, second, Content("Why?"), "en")
    await services.outbox.store.mark_sent(sent, 700, clock.now())
    assert await assessments.stop_waiting(MEMBER) is True
    assert await assessments.pending(MEMBER) is None
    assert await assessments.prompted(MEMBER, 700) == (round_id, second)  # a reply still does

    refused = await assessments.ask_reason(MEMBER, round_id, third, Content("Why?"), "en")
    await services.outbox.store.fail(refused, DeliveryStatus.BLOCKED, "blocked", clock.now())
    assert await assessments.stop_waiting(MEMBER) is False
    pending = await assessments.pending(MEMBER)
    assert pending is not None
    assert (pending.recommendation_id, pending.sent) == (third, False)


class CellsAsked(AssessmentRepository):
    """The repository, noting which tables' reasons cells are asked for."""

    asked: list[list[int]]

    async def tables(
        self,
        round_id: int,
        form: ReasonsForm | None,
        named: bool,
        wanted: Sequence[int],
        with_groups: bool,
    ) -> TableReads:
        self.asked.append(list(wanted))
        return await super().tables(round_id, form, named, wanted, with_groups)


async def test_one_working_groups_results_write_only_that_groups_reasons_cells(
    services: Services, assessments: Assessments
) -> None:
    """The whole coalition's cells (every rating of the round) are not written for nothing."""
    repository = CellsAsked(services.database)
    repository.asked = []
    spied = Assessments(
        repository, assessments.coalition, services.group_lists, assessments.clock, 3
    )
    mine, _, _ = await apart(services)
    round_id = await spied.open_round(BOSS, "R", Scope(2, (mine[0],), "s", None))
    await spied.rate(MEMBER, round_id, mine[0], R)
    await spied.set_reason(MEMBER, round_id, mine[0], "No law yet")
    form = reasons_form(EN)
    _, rows = await spied.results(BOSS, round_id, services.catalog, group_id=6, form=form)
    assert [row.cell for row in rows] == ["adhoc: 🔴 No law yet"]
    _, rows = await spied.results(BOSS, round_id, services.catalog, form=form)
    assert [row.cell for row in rows] == ["adhoc: 🔴 No law yet"]
    assert repository.asked == [[6], [0]]


async def test_results_in_a_readers_form_carry_a_cell_for_each_row_when_nothing_was_said(
    services: Services, assessments: Assessments
) -> None:
    round_id, items = await round_on(services, ("118.1", "118.2"))
    await assessments.rate(MEMBER, round_id, items[0], R)  # a colour, no reason
    for named in True, False:
        _, rows = await assessments.results(
            BOSS, round_id, services.catalog, private=named, form=reasons_form(EN)
        )
        assert [row.cell for row in rows] == (["adhoc: 🔴", ""] if named else ["", ""])


async def test_a_first_group_tap_queues_its_reason_prompt_once_a_minute_with_the_rating(
    services: Services, assessments: Assessments, clock: FakeClock
) -> None:
    """A first rating from a group card queues its reason prompt in the same write: to the
    person, in their language, under the rating's reference; a reply to it gives the reason for
    a day, the next plain message for half an hour once it arrived; the group is told if
    Telegram refuses it. One prompt a minute per person."""
    round_id, [first, second, third] = await round_on(services, ("118.1", "118.2", "118.3"))
    orgs = await assessments.coalition.organisations(BOSS)
    adhoc = next(o.id for o in orgs if o.short_name == "adhoc")

    def ask(short: str) -> Content:
        return Content(f"{short}: why?")

    async def tap(item: int) -> Tap:
        return await assessments.tap(
            SECOND, round_id, item, R, in_group=True, prompt=ask, language="km", origin=(-100, 4)
        )

    tapped = await tap(first)
    assert (tapped.result, tapped.organisation, tapped.organisation_id, tapped.ask_reason) == (
        Tapped.RECORDED,
        "adhoc",
        adhoc,
        True,
    )
    reference = f"prompt:{round_id}:{first}"
    assert await outbox(services, reference) == [(SECOND, "adhoc: why?")]
    async with services.database.connection.execute(
        "SELECT id, language FROM deliveries WHERE reference = ?", (reference,)
    ) as cursor:
        [(delivery, language)] = [tuple(row) for row in await cursor.fetchall()]
    assert language == "km"

    clock.advance(seconds=59)
    later = await tap(second)  # within the minute: recorded, no prompt
    assert (later.result, later.ask_reason) == (Tapped.RECORDED, False)
    assert await outbox(services, f"prompt:{round_id}:{second}") == []

    await services.outbox.store.mark_sent(delivery, 900, clock.now())
    pending = await assessments.pending(SECOND)
    assert pending is not None
    assert (pending.recommendation_id, pending.sent) == (first, True)
    clock.advance(minutes=30)
    assert await assessments.pending(SECOND) is None  # the next message: no longer
    clock.advance(hours=23, minutes=29)
    assert await assessments.prompted(SECOND, 900) == (round_id, first)  # a reply: for a day
    clock.advance(minutes=1)
    assert await assessments.prompted(SECOND, 900) is None

    refused = await tap(third)  # a minute later: prompted again; refused, the group is told
    assert refused.ask_reason is True
    async with services.database.connection.execute(
        "SELECT id FROM deliveries WHERE reference = ?", (f"prompt:{round_id}:{third}",)
    ) as cursor:
        [(hinted,)] = [tuple(row) for row in await cursor.fetchall()]
    assert await assessments.hint_private_chat(hinted, lambda *_: Content("open a chat")) is True
    assert await outbox(services, f"hint:{round_id}:{SECOND}") == [(-100, "open a chat")]


class PausedMeanwhile(AssessmentRepository):
    """The repository, with the rater's organisation paused just before each rating is
    written (after the service checked the person)."""

    pause: Callable[[], Awaitable[None]] | None = None

    async def rate(self, *args: Any, **kwargs: Any) -> bool:
        if self.pause is not None:
            await self.pause()
        return await super().rate(*args, **kwargs)


async def test_a_pause_committed_just_before_a_tap_is_written_wins_over_it(
    services: Services, assessments: Assessments
) -> None:
    round_id, [item] = await round_on(services, ("118.1",))
    orgs = await assessments.coalition.organisations(BOSS)
    adhoc = next(o.id for o in orgs if o.short_name == "adhoc")
    repository = PausedMeanwhile(services.database)
    raced = Assessments(
        repository, assessments.coalition, services.group_lists, assessments.clock, 3
    )

    async def pause() -> None:
        await assessments.coalition.set_active(BOSS, adhoc, False)

    repository.pause = pause
    tapped = await raced.tap(MEMBER, round_id, item, R, in_group=False)
    assert tapped.result is Tapped.PAUSED
    assert await assessments.own(round_id, adhoc) == {}


async def test_group_listed_counts_a_rounds_recommendations_on_a_groups_list(
    services: Services, assessments: Assessments
) -> None:
    round_id, _ = await round_on(services, ("118.1", "118.2", "118.3", "118.6"))
    overlap = await assessments.repository.group_overlap(round_id)
    listed = {g: n for g, (n, members) in overlap.items() if n and n != members}
    assert listed  # some working group lists some of them (its members counted apart)
    for group_id, count in listed.items():
        assert await assessments.group_listed(round_id, group_id) == count
    assert await assessments.group_listed(round_id, 9999) == 0  # no such group
