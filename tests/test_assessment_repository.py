"""The assessment repository directly: rounds, ratings and their history, cards."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.assessment import Card, Colour, Distribution, NotInRound, Rating, RoundClosed
from bot.domain.outbox import Content, Job, Outgoing
from bot.services import Services
from storage.assessment import AssessmentRepository
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
    assert (closed.open, closed.published) == (False, False)
    assert await repo.publish(round_id, actor=BOSS, now=clock.now()) is True
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
    assert await repo.close_due(due - dt.timedelta(seconds=1)) == []
    assert await repo.close_due(due) == [dated]
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
    await repo.add_card(Card(-5, 10, round_id, 5, working_group_id=6))
    await repo.rate(round_id, 5, outside, R, clock.now())
    assert await repo.cards_to_redraw() == []
    await repo.rate(round_id, 5, inside, G, clock.now())
    [due] = await repo.cards_to_redraw()
    assert (due.message_id, due.working_group_id) == (10, 6)


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
