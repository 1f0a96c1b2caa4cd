"""The assessment repository directly: rounds, ratings and their history, cards."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.domain.assessment import (
    Card,
    Colour,
    Distribution,
    NotInRound,
    PendingReason,
    PromptOrigin,
    Rating,
    ReasonAsk,
    RoundClosed,
    RoundDraft,
)
from bot.domain.outbox import Content, DeliveryStatus, Job, Outgoing
from bot.domain.round_audience import AudienceRule, Share
from bot.domain.round_guide import Guide, GuideStep
from bot.services import Services
from storage.assessment import AssessmentRepository
from storage.group_lists import GroupListRepository
from storage.membership import MembershipRepository
from tests.conftest import FakeClock

BOSS = 111
R, OR, G, U = Colour.RED, Colour.ORANGE, Colour.GREEN, Colour.UNKNOWN


@pytest.fixture
def repo(services: Services) -> AssessmentRepository:
    return services.assessments.repository


@pytest.fixture
def members(services: Services) -> MembershipRepository:
    return services.coalition.repository


async def orgs(members: MembershipRepository, clock: FakeClock, count: int) -> list[int]:
    return [
        await members.add_organisation(f"O{n}", f"Org {n}", actor=BOSS, now=clock.now())
        for n in range(count)
    ]


async def new_round(
    repo: AssessmentRepository,
    clock: FakeClock,
    items: list[int],
    name: str = "R",
    closes_at: dt.datetime | None = None,
) -> int:
    return await repo.open_round(
        name, 2, "c2 scope", items, closes_at, actor=BOSS, now=clock.now()
    )


async def history(services: Services) -> list[tuple[int, int, str, str, str]]:
    async with services.database.connection.execute(
        "SELECT recommendation_id, organisation_id, colour, reason, kind FROM rating_history "
        "ORDER BY id"
    ) as cursor:
        return [tuple(row) async for row in cursor]  # type: ignore[misc]


async def audit(services: Services) -> list[tuple[int, str, str]]:
    entries = await services.coalition.repository.audit_log(limit=100)
    return [(e.actor_id, e.action, e.detail) for e in reversed(entries)]


async def test_a_round_is_read_back_as_it_was_opened(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    closes = clock.now() + dt.timedelta(days=3)
    first = await new_round(repo, clock, [1, 2, 3], "First", closes)
    second = await new_round(repo, clock, [4], "Second")
    found = await repo.round(first)
    assert found is not None
    assert (found.id, found.name, found.cycle, found.scope, found.closes_at) == (
        first,
        "First",
        2,
        "c2 scope",
        closes,
    )
    assert (found.open, found.published, found.size) == (True, False, 3)
    assert [r.id for r in await repo.rounds()] == [second, first]  # newest first
    assert await repo.round(99) is None
    assert sorted(await repo.items(first)) == [1, 2, 3]
    assert await audit(services) == [
        (BOSS, "open round", "1: First"),
        (BOSS, "open round", "2: Second"),
    ]


async def test_closing_reopening_and_publishing_are_audited(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    round_id = await new_round(repo, clock, [1])
    await repo.set_open(round_id, False, actor=BOSS, now=clock.now())
    closed = await repo.round(round_id)
    assert closed is not None
    assert (closed.open, closed.published, closed.published_at) == (False, False, None)
    clock.advance(minutes=5)
    staged: list[int] = []
    assert await repo.publish(round_id, actor=BOSS, now=clock.now(), announce=staged.append)
    assert staged == [round_id]  # its notices are staged with the publication
    published = await repo.round(round_id)
    assert published is not None
    assert (published.published, published.published_at) == (True, clock.now())
    assert (
        await repo.publish(round_id, actor=BOSS, now=clock.now(), announce=staged.append) is False
    )
    assert staged == [round_id]  # published once, announced once
    await repo.set_open(round_id, True, actor=BOSS, now=clock.now())
    assert [a[1:] for a in await audit(services)] == [
        ("open round", "1: R"),
        ("close round", "1"),
        ("publish round", "1"),
        ("reopen round", "1"),
    ]


async def test_a_closed_round_stays_published_when_closed_again(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    round_id = await new_round(repo, clock, [1])
    await repo.set_open(round_id, False, actor=BOSS, now=clock.now())
    await repo.publish(round_id, actor=BOSS, now=clock.now())
    await repo.set_open(round_id, False, actor=BOSS, now=clock.now())  # a second Close tap
    found = await repo.round(round_id)
    assert found is not None
    assert found.published


async def test_rounds_close_on_their_date_not_before(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    due = clock.now() + dt.timedelta(days=1)
    dated = await new_round(repo, clock, [1], "Dated", due)
    await new_round(repo, clock, [1], "Undated")
    later = await new_round(repo, clock, [1], "Later", due + dt.timedelta(seconds=1))
    staged: list[int] = []
    assert await repo.close_due(due - dt.timedelta(seconds=1), staged.append) == []
    assert await repo.close_due(due, staged.append) == [dated]
    assert staged == [dated]  # its notices are staged with the close
    assert await repo.close_due(due) == []  # closed already
    assert [r.open for r in await repo.rounds()] == [True, True, False]
    assert (0, "close round", str(dated)) in await audit(services)
    assert await repo.close_due(due + dt.timedelta(days=9)) == [later]


async def test_ratings_record_new_changed_and_repeated_taps(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    a, b = await orgs(members, clock, 2)
    round_id = await new_round(repo, clock, [1, 2])
    assert await repo.rate(round_id, 1, a, R, clock.now()) is True
    assert await repo.rate(round_id, 1, a, R, clock.now()) is False  # a double tap
    assert await repo.rate(round_id, 1, a, G, clock.now()) is False  # a change is not new
    assert await repo.rate(round_id, 1, b, U, clock.now()) is True
    assert await repo.rate(round_id, 2, b, OR, clock.now()) is True
    assert await repo.distribution(round_id, 1) == Distribution(green=1, unknown=1)
    assert await history(services) == [
        (1, a, "red", "", "colour"),
        (1, a, "green", "", "colour"),
        (1, b, "unknown", "", "colour"),
        (2, b, "orange", "", "colour"),
    ]
    assert sorted(await repo.ratings(round_id)) == [
        Rating(1, "O0", G, "", a),
        Rating(1, "O1", U, "", b),
        Rating(2, "O1", OR, "", b),
    ]
    assert {k: r[:4] for k, r in (await repo.own(round_id, b)).items()} == {
        1: (1, None, U, ""),
        2: (2, None, OR, ""),
    }
    assert await repo.participation(round_id) == (2, 2)


async def test_a_rating_outside_the_round_or_after_it_closed_is_refused(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    [org] = await orgs(members, clock, 1)
    round_id = await new_round(repo, clock, [1])
    with pytest.raises(NotInRound):
        await repo.rate(round_id, 2, org, R, clock.now())
    with pytest.raises(NotInRound):
        await repo.rate(99, 1, org, R, clock.now())
    await repo.rate(round_id, 1, org, R, clock.now())
    await repo.set_open(round_id, False, actor=BOSS, now=clock.now())
    with pytest.raises(RoundClosed):
        await repo.rate(round_id, 1, org, G, clock.now())
    with pytest.raises(RoundClosed):
        await repo.set_reason(round_id, 1, org, "late", clock.now())
    assert await repo.distribution(round_id, 1) == Distribution(red=1)


async def test_a_reason_belongs_to_a_rating_and_is_kept_in_history(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    a, b = await orgs(members, clock, 2)
    round_id = await new_round(repo, clock, [1, 2])
    with pytest.raises(NotInRound):
        await repo.set_reason(round_id, 1, a, "no rating yet", clock.now())
    with pytest.raises(NotInRound):
        await repo.set_reason(round_id, 3, a, "not in the round", clock.now())
    with pytest.raises(NotInRound):
        await repo.set_reason(99, 1, a, "no such round", clock.now())
    await repo.rate(round_id, 1, a, R, clock.now())
    await repo.rate(round_id, 1, b, G, clock.now())
    await repo.set_reason(round_id, 1, a, "No law yet.", clock.now())
    await repo.rate(round_id, 1, a, OR, clock.now())  # the reason stays with the new colour
    assert await repo.own(round_id, a) == {1: Rating(1, None, OR, "No law yet.")}
    assert await repo.own(round_id, b) == {1: Rating(1, None, G, "")}
    assert (await history(services))[2:] == [
        (1, a, "red", "No law yet.", "reason"),
        (1, a, "orange", "No law yet.", "colour"),
    ]


async def test_participation_counts_organisations_that_rated_and_active_ones(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    a, b, c = await orgs(members, clock, 3)
    await members.set_active(c, False, actor=BOSS, now=clock.now())
    round_id = await new_round(repo, clock, [1, 2])
    other = await new_round(repo, clock, [1])
    assert await repo.participation(round_id) == (0, 2)
    await repo.rate(round_id, 1, a, R, clock.now())
    await repo.rate(round_id, 2, a, R, clock.now())
    await repo.rate(other, 1, b, R, clock.now())
    assert await repo.participation(round_id) == (1, 2)
    await members.erase_organisation(a, actor=BOSS, now=clock.now())
    assert await repo.participation(round_id) == (0, 1)  # an erased organisation's rating
    assert await repo.ratings(round_id) == [Rating(1, None, R, ""), Rating(2, None, R, "")]


async def test_cards_are_posted_once_and_redrawn_after_each_new_colour(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    [org] = await orgs(members, clock, 1)
    await new_round(repo, clock, [5])
    round_id = await new_round(repo, clock, [5, 7])
    card = Card(-5, 10, round_id, 7)
    await repo.add_card(card)
    await repo.add_card(card)
    await repo.add_card(Card(-5, 11, round_id, 5))
    await repo.add_card(Card(-6, 12, round_id, 5))
    assert await repo.posted(round_id, -5) == {5, 7}
    assert await repo.posted(round_id, -7) == set()
    assert await repo.cards_to_redraw() == []
    await repo.rate(round_id, 7, org, R, clock.now())
    [due] = await repo.cards_to_redraw()
    assert (due.chat_id, due.message_id, due.round_id, due.recommendation_id) == (-5, 10, 2, 7)
    await repo.mark_drawn(due)
    assert await repo.cards_to_redraw() == []
    await repo.set_reason(round_id, 7, org, "a reason changes no count", clock.now())
    assert await repo.cards_to_redraw() == []
    await repo.rate(round_id, 7, org, G, clock.now())
    [again] = await repo.cards_to_redraw()
    assert again.history_id > due.history_id
    await repo.mark_drawn(again)
    await repo.mark_drawn(due)  # an older, slower edit never moves the mark back
    assert await repo.cards_to_redraw() == []


async def test_the_latest_published_round_gives_a_card_its_colour(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    [org] = await orgs(members, clock, 1)
    assert await repo.latest_published(1) is None
    rounds = []
    for colour in (R, G, OR):
        round_id = await new_round(repo, clock, [1, 2], f"Round {colour}")
        await repo.rate(round_id, 1, org, colour, clock.now())
        await repo.set_open(round_id, False, actor=BOSS, now=clock.now())
        rounds.append(round_id)
    for round_id in (rounds[1], rounds[0]):  # published out of order: publication time counts
        clock.advance(minutes=1)
        await repo.publish(round_id, actor=BOSS, now=clock.now())
    found = await repo.latest_published(1)
    assert found is not None
    assert (found[0].id, found[1]) == (rounds[0], Distribution(red=1))
    assert await repo.latest_published(3) is None  # in no round
    found = await repo.latest_published(2)
    assert found is not None
    assert found[1] == Distribution()


async def test_a_working_groups_card_is_redrawn_only_for_its_organisations(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    inside, outside = await orgs(members, clock, 2)
    await members.toggle_group(inside, 6, actor=BOSS, now=clock.now())
    round_id = await new_round(repo, clock, [5])
    await repo.add_card(Card(-5, 10, round_id, 5, working_group_id=6, language="km"))
    await repo.rate(round_id, 5, outside, R, clock.now())
    assert await repo.cards_to_redraw() == []
    await repo.rate(round_id, 5, inside, G, clock.now())
    [due] = await repo.cards_to_redraw()
    assert (due.message_id, due.working_group_id, due.language) == (10, 6, "km")  # kept


async def test_a_reason_prompt_is_read_until_it_expires_and_the_newest_fifty_are_kept(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    for _ in range(3):
        await new_round(repo, clock, [7, 8, 9])

    async def ask(
        user: int, message_id: int, round_id: int, rec: int, expires: dt.datetime, at: dt.datetime
    ) -> None:
        """A prompt queued in the outbox, then sent as this Telegram message."""
        prompt = Outgoing(user, Content("Why?", force_reply="Reason"), Job.PROMPT)
        delivery = await repo.add_prompt(user, prompt, round_id, rec, expires=expires, now=at)
        assert await repo.prompt_unsent(user, at)
        await services.outbox.store.mark_sent(delivery, message_id, at)

    await ask(5, 100, 1, 7, now + hour, now)
    await ask(6, 100, 2, 8, now + hour, now)
    assert await repo.prompt(5, 100, now) == (1, 7)
    assert await repo.prompt(6, 100, now) == (2, 8)
    assert await repo.prompt(5, 101, now) is None
    assert not await repo.prompt_unsent(5, now)
    assert await repo.prompt(5, 100, now + hour) is None  # expired at its time exactly
    await ask(5, 100, 3, 9, now + 2 * hour, now)  # the same message: the newest prompt counts
    assert await repo.prompt(5, 100, now + hour) == (3, 9)
    for message_id in range(200, 250):
        await ask(5, message_id, 1, 7, now + hour, now)
    assert await repo.prompt(5, 100, now) is None  # the oldest beyond fifty goes
    assert await repo.prompt(5, 200, now) == (1, 7)
    assert await repo.prompt(6, 100, now) == (2, 8)  # another person's are untouched
    await ask(7, 1, 1, 7, now + 3 * hour, now + 2 * hour)
    async with services.database.connection.execute(
        "SELECT p.user_id, d.message_id FROM reason_prompts AS p "
        "JOIN deliveries AS d ON d.id = p.delivery_id"
    ) as cursor:
        assert await cursor.fetchall() == [(7, 1)]  # the expired ones were deleted


async def test_skips_last_until_they_expire_or_the_round_closes(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now, day = clock.now(), dt.timedelta(days=1)
    first = await new_round(repo, clock, [1, 2, 3])
    second = await new_round(repo, clock, [1], "Dated", now + day)
    await repo.skip(5, first, 1, expires=now + day, now=now)
    await repo.skip(5, first, 2, expires=now + 2 * day, now=now)
    await repo.skip(6, first, 3, expires=now + day, now=now)
    await repo.skip(5, second, 1, expires=now + day, now=now)
    assert await repo.skipped(5, first, now) == {1, 2}
    assert await repo.skipped(5, first, now + day) == {2}
    assert await repo.skipped(6, first, now) == {3}
    await repo.forget_skips(5, first)
    assert await repo.skipped(5, first, now) == set()
    assert await repo.skipped(6, first, now) == {3}
    assert await repo.skipped(5, second, now) == {1}
    await repo.close_due(now + day)  # closes the second round: its skips go
    assert await repo.skipped(5, second, now) == set()
    await repo.set_open(first, False, actor=BOSS, now=now)
    assert await repo.skipped(6, first, now) == set()
    await repo.set_open(first, True, actor=BOSS, now=now)
    await repo.skip(6, first, 3, expires=now + day, now=now)
    await repo.skip(7, first, 1, expires=now + 3 * day, now=now + 2 * day)
    async with services.database.connection.execute(
        "SELECT user_id FROM skipped_recommendations"
    ) as cursor:
        assert await cursor.fetchall() == [(7,)]  # expired ones deleted on the next write


async def test_a_draft_round_is_read_until_it_expires_and_opens_once(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    closes = now + dt.timedelta(days=3)
    land = await repo.add_draft(
        5, "Land", 2, "c2 land", [3, 1, 2], closes, expires=now + hour, now=now
    )
    other = await repo.add_draft(6, "Other", 3, "c3", [4], None, expires=now + 2 * hour, now=now)
    assert (land, other) == (1, 2)
    draft = await repo.draft(land, now)
    assert draft == RoundDraft(land, 5, "Land", 2, "c2 land", (3, 1, 2), closes, None)
    assert await repo.draft(land, now + hour) is None  # expired at its time exactly
    assert await repo.draft(99, now) is None
    found_other = await repo.draft(other, now)
    assert found_other is not None
    assert found_other.closes_at is None
    assert await repo.drop_draft(land, 6) is False  # another coordinator's draft
    staged: list[int] = []
    round_id = await repo.open_draft(draft, now=now, announce=staged.append)
    assert round_id is not None
    assert staged == [round_id]
    assert await repo.open_draft(draft, now=now, announce=staged.append) is None  # a double press
    assert staged == [round_id]
    assert await repo.draft(land, now) is None
    settled = await repo.settled_draft(land, now)  # what became of it: the round it opened
    assert settled is not None
    assert (settled.opened_round, settled.cancelled) == (round_id, False)
    found = await repo.round(round_id)
    assert found is not None
    assert (found.name, found.cycle, found.scope, found.closes_at, found.open, found.size) == (
        "Land",
        2,
        "c2 land",
        closes,
        True,
        3,
    )
    assert sorted(await repo.items(round_id)) == [1, 2, 3]
    assert await repo.opener(round_id) == 5
    assert await repo.opener(99) is None
    assert await audit(services) == [(5, "open round", f"{round_id}: Land")]
    assert await repo.drop_draft(other, 6) is True
    assert await repo.drop_draft(other, 6) is False
    assert await repo.draft(other, now) is None
    cancelled = await repo.settled_draft(other, now)
    assert cancelled is not None
    assert (cancelled.opened_round, cancelled.cancelled) == (None, True)
    assert await repo.settled_draft(other, now + 2 * hour) is None  # expired, whatever it became
    assert await repo.settled_draft(99, now) is None
    await repo.add_draft(7, "Gone", 2, "c2", [1], None, expires=now + hour, now=now)
    await repo.add_draft(8, "Late", 2, "c2", [1], None, expires=now + 3 * hour, now=now + hour)
    async with services.database.connection.execute("SELECT user_id FROM round_drafts") as cursor:
        # The expired one was deleted on the next write; the cancelled one stays, marked, until
        # it expires (a second tap on its preview is told it was cancelled).
        assert await cursor.fetchall() == [(6,), (8,)]


async def test_a_round_opened_through_buttons_keeps_its_guide_until_finished(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    guide = Guide(GuideStep.RESPONSE, cycle=2)
    draft_id = await repo.add_guide(5, guide.to_json(), expires=now + hour, now=now)
    assert draft_id == 1
    assert await repo.waiting_guide(5, now) == RoundDraft(draft_id, 5, "", 0, "", (), None, guide)
    assert await repo.waiting_guide(6, now) is None
    assert await repo.waiting_guide(5, now + hour) is None  # its last step was too long ago
    newer = Guide(GuideStep.CLOSING, cycle=2, response="accepted", themes=(1,))
    assert await repo.update_guide(draft_id, newer.to_json(), expires=now + 2 * hour) is True
    found = await repo.waiting_guide(5, now + hour)
    assert found is not None
    assert found.guide == newer
    second = await repo.add_guide(5, guide.to_json(), expires=now + 2 * hour, now=now)
    newest = await repo.waiting_guide(5, now)
    assert newest is not None
    assert newest.id == second  # the newest one
    assert await repo.drop_draft(second, 5) is True
    closes = now + dt.timedelta(days=9)
    finished = replace(
        found, name="Land", scope="c2 land", recommendation_ids=(2, 1), closes_at=closes
    )
    assert await repo.finish_guide(finished) is True
    assert await repo.finish_guide(finished) is False  # finished already
    assert await repo.update_guide(draft_id, newer.to_json(), expires=now + hour) is False
    assert await repo.update_guide(99, newer.to_json(), expires=now + hour) is False
    assert await repo.waiting_guide(5, now) is None
    assert await repo.draft(draft_id, now) == replace(finished, guide=None)
    assert await repo.finish_guide(replace(finished, id=99)) is False
    assert await repo.draft(draft_id, now + hour) is not None  # the update moved its expiry
    assert await repo.draft(draft_id, now + 2 * hour) is None


async def test_a_finished_guide_without_closing_date_keeps_none(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    now = clock.now()
    draft_id = await repo.add_guide(
        5, Guide().to_json(), expires=now + dt.timedelta(hours=1), now=now
    )
    found = await repo.waiting_guide(5, now)
    assert found is not None
    finished = replace(found, name="All", cycle=3, scope="c3", recommendation_ids=(4,))
    assert await repo.finish_guide(finished) is True
    assert await repo.draft(draft_id, now) == RoundDraft(draft_id, 5, "All", 3, "c3", (4,), None)


async def test_only_a_round_nobody_rated_in_can_be_deleted(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    [org] = await orgs(members, clock, 1)
    empty = await new_round(repo, clock, [1], "Empty")
    rated = await new_round(repo, clock, [1], "Rated")
    await repo.rate(rated, 1, org, R, clock.now())
    assert await repo.delete_round(rated, actor=BOSS, now=clock.now()) is False
    assert await repo.delete_round(empty, actor=BOSS, now=clock.now()) is True
    assert await repo.delete_round(empty, actor=BOSS, now=clock.now()) is False  # gone
    assert [r.id for r in await repo.rounds()] == [rated]
    assert [a for a in await audit(services) if a[1] == "delete round"] == [
        (BOSS, "delete round", f"{empty}: Empty")
    ]


async def test_undoing_a_reason_gives_back_the_one_before_unless_a_newer_was_set(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    a, b = await orgs(members, clock, 2)
    round_id = await new_round(repo, clock, [1, 2])
    await repo.rate(round_id, 1, a, R, clock.now())
    await repo.rate(round_id, 1, b, G, clock.now())
    first, colour = await repo.set_reason(round_id, 1, a, "First.", clock.now())
    assert colour is R
    second, _ = await repo.set_reason(round_id, 1, a, "Second.", clock.now())
    assert second > first
    assert await repo.undo_reason(round_id, 1, b, second, clock.now()) is None  # not b's
    assert await repo.undo_reason(round_id, 2, a, second, clock.now()) is None
    assert await repo.undo_reason(round_id + 1, 1, a, second, clock.now()) is None
    assert await repo.undo_reason(round_id, 1, a, first - 1, clock.now()) is None  # a colour row
    assert await repo.undo_reason(round_id, 1, a, first, clock.now()) == ("First.", False)
    assert (await repo.own(round_id, a))[1].reason == "Second."
    assert await repo.undo_reason(round_id, 1, a, second, clock.now()) == ("Second.", True)
    assert (await repo.own(round_id, a))[1].reason == "First."
    only, _ = await repo.set_reason(round_id, 1, b, "Only.", clock.now())
    assert await repo.undo_reason(round_id, 1, b, only, clock.now()) == ("Only.", True)
    assert (await repo.own(round_id, b))[1].reason == ""
    last, _ = await repo.set_reason(round_id, 1, b, "Late.", clock.now())
    await repo.set_open(round_id, False, actor=BOSS, now=clock.now())
    with pytest.raises(RoundClosed):
        await repo.undo_reason(round_id, 1, b, last, clock.now())
    assert (await repo.own(round_id, b))[1].reason == "Late."


async def test_progress_counts_each_active_organisations_ratings_in_the_round(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    beta = await members.add_organisation("beta", "Beta", actor=BOSS, now=now)
    alpha = await members.add_organisation("Alpha", "Alpha", actor=BOSS, now=now)
    gone = await members.add_organisation("Gone", "Gone", actor=BOSS, now=now)
    round_id = await new_round(repo, clock, [1, 2])
    other = await new_round(repo, clock, [1])
    for rec in (1, 2):
        await repo.rate(round_id, rec, beta, R, now)
    await repo.rate(round_id, 1, gone, R, now)
    await repo.rate(other, 1, alpha, R, now)
    await members.set_active(gone, False, actor=BOSS, now=now)
    assert await repo.progress(round_id) == [(alpha, "Alpha", 0), (beta, "beta", 2)]


async def test_a_reminder_is_claimed_once_in_its_time(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    round_id = await new_round(repo, clock, [1])
    other = await new_round(repo, clock, [1])
    assert await repo.reminded_at(round_id) is None
    staged: list[int] = []
    assert await repo.claim_reminder(round_id, now, now - hour, staged.append) is None
    assert staged == [round_id]
    assert await repo.reminded_at(round_id) == now
    later = now + hour
    assert await repo.claim_reminder(round_id, later, now - hour, staged.append) == now
    assert staged == [round_id]  # another coordinator reminded them since
    assert await repo.claim_reminder(round_id, later, now, staged.append) is None
    assert staged == [round_id, round_id]
    assert await repo.reminded_at(round_id) == later
    assert await repo.reminded_at(other) is None


async def test_a_groups_items_and_ratings_are_live_while_open_and_frozen_once_closed(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    lists = GroupListRepository(services.database)
    group, second = [g.id for g in await members.working_groups()][:2]
    inside, outside = await orgs(members, clock, 2)
    await members.toggle_group(inside, group, actor=BOSS, now=now)
    await lists.edit(group, [1], True, actor=BOSS, now=now, detail="+1")
    await lists.edit(group, [2, 3], False, actor=BOSS, now=now, detail="-2 -3")
    round_id = await new_round(repo, clock, [1, 2])
    other = await new_round(repo, clock, [1, 2])
    await repo.rate(round_id, 1, inside, R, now)
    await repo.rate(round_id, 2, outside, G, now)
    await repo.rate(other, 1, inside, G, now)
    assert await repo.group_items(round_id, group) == {1}
    assert await repo.group_ratings(round_id, group) == [Rating(1, "O0", R, "", inside)]
    assert await repo.group_ratings(round_id, second) == []
    await repo.set_open(round_id, False, actor=BOSS, now=now)
    await lists.edit(group, [2], True, actor=BOSS, now=now, detail="+2")
    await members.toggle_group(inside, group, actor=BOSS, now=now)
    await members.toggle_group(outside, group, actor=BOSS, now=now)
    assert await repo.group_items(round_id, group) == {1}  # its list at the close
    assert await repo.group_ratings(round_id, group) == [Rating(1, "O0", R, "", inside)]
    assert await repo.group_items(other, group) == {1, 2}  # the open round: today's list
    assert await repo.group_ratings(other, group) == []
    await repo.set_open(round_id, True, actor=BOSS, now=now)
    assert await repo.group_items(round_id, group) == {1, 2}
    assert await repo.group_ratings(round_id, group) == [Rating(2, "O1", G, "", outside)]


async def test_a_pending_reason_is_read_until_it_expires_and_follows_its_prompt(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    round_id = await new_round(repo, clock, [7, 8])
    assert await repo.pending(5, now) is None
    await repo.set_pending(5, round_id, 7, next_card=True, expires=now + hour, now=now)
    assert await repo.pending(5, now) == PendingReason(round_id, 7, True, True)  # no prompt
    assert await repo.pending(5, now + hour) is None
    assert await repo.pending(6, now) is None
    prompt = Outgoing(5, Content("Why?", force_reply="Reason"), Job.PROMPT)
    delivery = await repo.add_prompt(
        5, prompt, round_id, 8, expires=now + hour, now=now, pending=now + hour
    )
    assert await repo.pending(5, now) == PendingReason(round_id, 8, False, None)  # waiting
    store = services.outbox.store
    await store.mark_sending(delivery, now)
    assert await repo.pending(5, now) == PendingReason(round_id, 8, False, None)
    await store.mark_sent(delivery, 300, now)
    assert await repo.pending(5, now) == PendingReason(round_id, 8, False, True)
    await store.fail(delivery, DeliveryStatus.BLOCKED, "blocked", now)
    assert await repo.pending(5, now) == PendingReason(round_id, 8, False, False)
    assert await repo.drop_pending(5, (round_id, 7)) is False  # another card's
    assert await repo.drop_pending(5, (round_id + 1, 8)) is False
    assert await repo.pending(5, now) is not None
    assert await repo.drop_pending(5, (round_id, 8)) is True
    assert await repo.pending(5, now) is None
    assert await repo.drop_pending(5) is False
    await repo.set_pending(5, round_id, 7, next_card=False, expires=now + hour, now=now)
    await repo.set_pending(6, round_id, 7, next_card=False, expires=now + hour, now=now)
    assert await repo.pending(5, now) == PendingReason(round_id, 7, False, True)
    assert await repo.drop_pending(5) is True
    assert await repo.pending(6, now) is not None
    await repo.set_pending(7, round_id, 8, next_card=False, expires=now + 2 * hour, now=now + hour)
    async with services.database.connection.execute(
        "SELECT user_id FROM pending_reasons"
    ) as cursor:
        assert await cursor.fetchall() == [(7,)]  # the expired one was deleted on the next write


async def test_a_prompt_the_bot_sent_itself_is_read_until_it_expires(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    round_id = await new_round(repo, clock, [7])
    await repo.remember_prompt(5, 300, round_id, 7, expires=now + hour, now=now)
    assert await repo.prompt(5, 300, now) == (round_id, 7)
    assert await repo.prompt(6, 300, now) is None
    assert await repo.prompt(5, 301, now) is None
    assert await repo.prompt(5, 300, now + hour) is None


async def test_a_refused_prompt_tells_the_group_chat_it_was_asked_from(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    round_id = await new_round(repo, clock, [7, 8])
    prompt = Outgoing(5, Content("Why?"), Job.PROMPT)
    topic = await repo.add_prompt(
        5, prompt, round_id, 7, expires=now + hour, now=now, origin=(-100, 4)
    )
    chat = await repo.add_prompt(
        6, prompt, round_id, 8, expires=now + hour, now=now, origin=(-200, None)
    )
    private = await repo.add_prompt(5, prompt, round_id, 8, expires=now + hour, now=now)
    assert await repo.refused_prompt(topic) == PromptOrigin(5, round_id, 7, -100, 4)
    assert await repo.refused_prompt(chat) == PromptOrigin(6, round_id, 8, -200, None)
    assert await repo.refused_prompt(private) is None
    assert await repo.refused_prompt(999) is None


async def test_the_private_chat_hint_is_queued_once_per_person_and_round(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    first = await new_round(repo, clock, [1])
    second = await new_round(repo, clock, [1])
    woken: list[bool] = []
    services.database.on_staged = lambda: woken.append(True)
    assert await repo.add_hint(5, first, Outgoing(-100, Content("a"), Job.NOTICE), now) is True
    assert woken == [True]
    assert await repo.add_hint(5, first, Outgoing(-100, Content("b"), Job.NOTICE), now) is False
    assert woken == [True]
    assert await repo.add_hint(6, first, Outgoing(-100, Content("c"), Job.NOTICE), now) is True
    assert await repo.add_hint(5, second, Outgoing(-100, Content("d"), Job.NOTICE), now) is True
    async with services.database.connection.execute(
        "SELECT content FROM deliveries ORDER BY id"
    ) as cursor:
        texts = [Content.from_json(row[0]).text for row in await cursor.fetchall()]
    assert texts == ["a", "c", "d"]
    prompt = Outgoing(5, Content("Why?"), Job.PROMPT)
    await repo.add_prompt(5, prompt, first, 1, expires=now + dt.timedelta(hours=1), now=now)
    assert woken == [True, True, True, True]  # a queued prompt wakes the outbox too


async def sql(services: Services, query: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of a read-only query on the bundled data."""
    async with services.database.connection.execute(query, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def test_a_rounds_audience_is_its_concerned_groups_members_each_with_their_own_count(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    first, second = (g.id for g in (await members.working_groups())[:2])
    only = "SELECT recommendation_id FROM working_group_recommendations AS w WHERE w.included = 1 "
    only += "AND working_group_id = ? AND recommendation_id NOT IN (SELECT recommendation_id "
    only += "FROM working_group_recommendations WHERE included = 1 AND working_group_id = ?) "
    only += "ORDER BY recommendation_id LIMIT 2"
    a1, a2 = (int(r[0]) for r in await sql(services, only, first, second))
    b1 = int((await sql(services, only, second, first))[0][0])
    alpha, beta, loner, paused = await orgs(members, clock, 4)  # O0 O1 O2 O3
    await members.toggle_group(alpha, first, actor=BOSS, now=now)
    await members.toggle_group(beta, second, actor=BOSS, now=now)
    await members.toggle_group(paused, first, actor=BOSS, now=now)
    await members.set_active(paused, False, actor=BOSS, now=now)
    overlap = await repo.group_overlap(0, [a1, a2, b1])  # before the round exists
    assert (overlap[first], overlap[second]) == ((2, 1), (1, 1))  # the paused one not counted
    round_id = await new_round(repo, clock, [a1, a2, b1])
    assert await repo.group_overlap(round_id) == overlap
    await repo.rate(round_id, a1, alpha, G, now)
    await repo.rate(round_id, b1, loner, R, now)  # outside the audience, yet it may rate
    assert await repo.audience(round_id, AudienceRule()) == [
        Share(alpha, "O0", 2, 1, True),
        Share(beta, "O1", 1, 0, False),
    ]
    assert await repo.audience(round_id, AudienceRule(ungrouped=True)) == [
        Share(alpha, "O0", 2, 1, True),
        Share(beta, "O1", 1, 0, False),
        Share(loner, "O2", 3, 1, True),  # in no group: all of a whole cycle's round
    ]
    assert await repo.audience(round_id, AudienceRule(everyone=True, ungrouped=True)) == [
        Share(alpha, "O0", 3, 1, True),
        Share(beta, "O1", 3, 0, False),
        Share(loner, "O2", 3, 1, True),
    ]
    assert await repo.audience(round_id, AudienceRule(), organisation_id=beta) == [
        Share(beta, "O1", 1, 0, False)
    ]
    assert await repo.audience(0, AudienceRule(), [a2]) == [Share(alpha, "O0", 1, 0, False)]
    assert await repo.recommendation_audience(round_id, AudienceRule(), a1) == (1, 1)
    assert await repo.recommendation_audience(round_id, AudienceRule(), b1) == (0, 1)
    assert await repo.recommendation_audience(round_id, AudienceRule(ungrouped=True), b1) == (
        1,
        2,
    )
    assert await repo.group_listed(round_id, alpha) == {a1, a2}
    assert await repo.group_listed(round_id, loner) == set()
    await repo.rate(round_id, a2, alpha, OR, now)  # a count, not whether it took part
    assert await repo.audience(round_id, AudienceRule(), organisation_id=alpha) == [
        Share(alpha, "O0", 2, 2, True)
    ]


async def test_a_whole_cycle_is_every_recommendation_of_its_cycle_with_its_responses(
    repo: AssessmentRepository, services: Services, clock: FakeClock
) -> None:
    noted = [
        int(r[0])
        for r in await sql(
            services, "SELECT id FROM recommendations WHERE cycle = 2 AND response = 'noted'"
        )
    ]
    assert len(noted) > 1
    assert await repo.whole_cycle(0, noted) is True  # every noted one of cycle 2
    assert await repo.whole_cycle(0, noted[1:]) is False
    assert await repo.whole_cycle(0, []) is False  # nothing is not a whole cycle
    round_id = await new_round(repo, clock, noted)
    assert await repo.whole_cycle(round_id) is True
    assert await repo.whole_cycle(await new_round(repo, clock, noted[:1])) is False


async def test_a_groups_distribution_counts_each_colour_in_its_own_place(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    lists = GroupListRepository(services.database)
    group = (await members.working_groups())[0].id
    await lists.edit(group, [1, 2], True, actor=BOSS, now=now, detail="+1 +2")
    await lists.edit(group, [3], False, actor=BOSS, now=now, detail="-3")
    *inside, outside = await orgs(members, clock, 8)
    for org in inside:
        await members.toggle_group(org, group, actor=BOSS, now=now)
    round_id = await new_round(repo, clock, [1, 2, 3])
    for org, colour in zip(inside, (U, U, U, U, G, G, OR), strict=True):
        await repo.rate(round_id, 1, org, colour, now)
    await repo.rate(round_id, 1, outside, R, now)  # not a member: not the group's
    # Each count in its own place, a colour nobody gave 0, a listed one nobody rated empty.
    assert (await repo.group_distributions(round_id))[group] == {
        1: Distribution(red=0, orange=1, green=2, unknown=4),
        2: Distribution(),
    }


async def test_a_round_closed_without_a_rule_counts_every_active_organisation_and_reopens_live(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    lists = GroupListRepository(services.database)
    group = (await members.working_groups())[0].id
    await lists.edit(group, [1], True, actor=BOSS, now=now, detail="+1")
    await lists.edit(group, [2], False, actor=BOSS, now=now, detail="-2")
    grouped, loner = await orgs(members, clock, 2)
    await members.toggle_group(grouped, group, actor=BOSS, now=now)
    round_id = await new_round(repo, clock, [1, 2])
    await repo.rate(round_id, 1, grouped, R, now)
    await repo.set_open(round_id, False, actor=BOSS, now=now)  # a direct close: no rule
    assert await repo.participation(round_id) == (1, 2)  # every active one, in a group or not
    assert await repo.participation(round_id, group) == (1, 1)
    # Reopened, nothing of the snapshot is left: the group's list and members are today's.
    await repo.set_open(round_id, True, actor=BOSS, now=now)
    await lists.edit(group, [1], False, actor=BOSS, now=now, detail="-1")
    await lists.edit(group, [2], True, actor=BOSS, now=now, detail="+2")
    await members.toggle_group(loner, group, actor=BOSS, now=now)
    await repo.rate(round_id, 2, loner, G, now)
    assert await repo.group_items(round_id, group) == {2}
    assert await repo.participation(round_id, group) == (2, 2)


async def test_a_round_closed_on_its_date_freezes_its_own_audience_by_its_rule(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    lists = GroupListRepository(services.database)
    group = (await members.working_groups())[0].id
    await lists.edit(group, [1], True, actor=BOSS, now=now, detail="+1")
    grouped, loner = await orgs(members, clock, 2)
    await members.toggle_group(grouped, group, actor=BOSS, now=now)
    undated = await new_round(repo, clock, [1])
    due = now + dt.timedelta(days=1)
    dated = await new_round(repo, clock, [1], "Dated", due)
    await repo.rate(dated, 1, grouped, G, now)
    await repo.rate(dated, 1, loner, R, now)  # outside the audience, yet it may rate
    assert await repo.close_due(due, rules={dated: AudienceRule()}) == [dated]
    await members.toggle_group(loner, group, actor=BOSS, now=now)  # after the close
    assert await repo.participation(dated) == (1, 1)  # its audience at the close: the group's
    assert await repo.participation(dated, group) == (1, 1)
    assert await repo.participation(undated) == (0, 2)  # still open: live, everyone active
    assert await repo.participation(undated, group) == (0, 2)


async def test_what_was_said_names_every_working_group_a_rating_counts_in(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    first, second = (g.id for g in (await members.working_groups())[:2])
    both, none = await orgs(members, clock, 2)
    for group in (first, second):
        await members.toggle_group(both, group, actor=BOSS, now=now)
    round_id = await new_round(repo, clock, [1])
    await repo.rate(round_id, 1, both, R, now)
    await repo.rate(round_id, 1, none, G, now)
    await repo.set_reason(round_id, 1, none, "Done.", now)
    said = await repo.said(round_id, True, with_groups=True)
    assert [(s[:4], sorted(s.groups)) for s in said] == [
        ((1, "O0", R, ""), sorted([first, second])),
        ((1, "O1", G, "Done."), []),
    ]
    await repo.set_open(round_id, False, actor=BOSS, now=now)
    await members.toggle_group(both, second, actor=BOSS, now=now)  # after the close
    [counted, _] = await repo.said(round_id, False, with_groups=True)
    assert (counted[:2], sorted(counted.groups)) == ((1, None), sorted([first, second]))
    assert [s.groups for s in await repo.said(round_id, True, with_groups=False)] == [(), ()]


async def test_only_a_queued_reason_prompt_wakes_the_outbox_sender(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    woken: list[int] = []
    services.database.on_staged = lambda: woken.append(1)
    [org] = await orgs(members, clock, 1)
    round_id = await new_round(repo, clock, [7, 8])
    now, hour = clock.now(), dt.timedelta(hours=1)
    prompt = Outgoing(5, Content("Why?", force_reply="Reason"), Job.PROMPT)
    await repo.rate(round_id, 7, org, R, now, ask=ReasonAsk(5, now + hour, prompt))
    assert await repo.prompt_unsent(5, now)
    assert woken == [1]  # a new rating's prompt is sent at once
    await repo.rate(round_id, 7, org, G, now, ask=ReasonAsk(5, now + hour, prompt))
    await repo.rate(round_id, 8, org, G, now, ask=ReasonAsk(5, now + hour))
    assert woken == [1]  # a changed rating asks nothing; without a prompt nothing is queued


async def test_a_groups_rated_count_is_its_active_members_that_rated_that_recommendation(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    now = clock.now()
    group, other_group = [g.id for g in await members.working_groups()][:2]
    first, second, paused, elsewhere, outsider = await orgs(members, clock, 5)
    for org in (first, second, paused, elsewhere):
        await members.toggle_group(org, group, actor=BOSS, now=now)
    round_id = await new_round(repo, clock, [1, 2])
    other = await new_round(repo, clock, [1])
    assert await repo.group_rated(round_id, 1, group) == 0
    await repo.rate(round_id, 1, first, R, now)
    await repo.rate(round_id, 1, second, G, now)
    await repo.rate(round_id, 1, paused, G, now)
    await repo.rate(round_id, 2, elsewhere, G, now)  # another recommendation
    await repo.rate(round_id, 1, outsider, G, now)  # not a member
    await repo.rate(other, 1, elsewhere, G, now)  # another round
    await members.set_active(paused, False, actor=BOSS, now=now)
    assert await repo.group_rated(round_id, 1, group) == 2
    assert await repo.group_rated(round_id, 2, group) == 1
    assert await repo.group_rated(other, 1, group) == 1
    assert await repo.group_rated(round_id, 1, other_group) == 0


async def test_a_card_redrawn_for_a_pause_before_any_rating_is_redrawn_for_the_first_rating(
    repo: AssessmentRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    paused, rater = await orgs(members, clock, 2)
    round_id = await new_round(repo, clock, [5])
    await repo.add_card(Card(-5, 10, round_id, 5))
    await members.set_active(paused, False, actor=BOSS, now=clock.now())  # its total changed
    [due] = await repo.cards_to_redraw()
    assert (due.message_id, due.history_id) == (10, 0)  # no rating drawn yet
    await repo.mark_drawn(due)
    assert await repo.cards_to_redraw() == []
    await repo.rate(round_id, 5, rater, G, clock.now())  # the first rating: history id 1
    [again] = await repo.cards_to_redraw()
    assert (again.message_id, again.history_id) == (10, 1)


async def test_a_rating_asks_its_reason_in_its_own_write_and_wakes_the_outbox_for_a_prompt(
    repo: AssessmentRepository, members: MembershipRepository, services: Services, clock: FakeClock
) -> None:
    now, hour = clock.now(), dt.timedelta(hours=1)
    grouped, private = await orgs(members, clock, 2)
    round_id = await new_round(repo, clock, [7])
    woken: list[bool] = []
    services.database.on_staged = lambda: woken.append(True)
    prompt = Outgoing(5, Content("Why?"), Job.PROMPT)
    ask = ReasonAsk(5, now + hour, prompt, now + hour, (-100, None))
    assert await repo.rate(round_id, 7, grouped, R, now, ask=ask) is True
    assert woken == [True]  # the prompt is queued: the outbox wakes
    assert await repo.pending(5, now) == PendingReason(round_id, 7, False, None)
    assert await repo.rate(round_id, 7, grouped, G, now, ask=ask) is False  # a change
    assert await repo.rate(round_id, 7, grouped, G, now, ask=ask) is False  # a double tap
    assert await repo.rate(round_id, 7, private, G, now) is True  # nothing asked
    assert woken == [True]  # one prompt, for the new rating only
    in_private = ReasonAsk(6, now + hour)  # no prompt: the next plain message is the reason
    assert await repo.rate(round_id, 7, private, OR, now, ask=in_private) is False
    assert await repo.pending(6, now) == PendingReason(round_id, 7, False, True)
    assert woken == [True]
    async with services.database.connection.execute(
        "SELECT content FROM deliveries ORDER BY id"
    ) as cursor:
        assert [Content.from_json(row[0]).text for row in await cursor.fetchall()] == ["Why?"]


async def test_a_deleted_rounds_id_is_never_given_to_a_new_round(
    repo: AssessmentRepository, clock: FakeClock
) -> None:
    first = await new_round(repo, clock, [1], "First")
    newest = await new_round(repo, clock, [1], "Opened by mistake")
    assert await repo.delete_round(newest, actor=BOSS, now=clock.now()) is True
    again = await new_round(repo, clock, [1], "Opened again")
    assert again == newest + 1  # above every id a round has had, the deleted one's too
    assert await repo.delete_round(again, actor=BOSS, now=clock.now()) is True
    assert await repo.delete_round(first, actor=BOSS, now=clock.now()) is True
    assert await new_round(repo, clock, [1], "Later") == again + 1
