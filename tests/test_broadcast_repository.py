"""The broadcast repository directly: drafts, audiences, occurrences once, acknowledgements."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.broadcast import (
    KINDS,
    AlreadyStarted,
    Audience,
    AudienceKind,
    BroadcastStatus,
    Choice,
    Draft,
    Options,
    Recipient,
    Step,
    Version,
    choose,
    choose_version,
    language_of_text,
)
from bot.domain.schedule import Frequency, Recurrence
from bot.services import Services
from storage.broadcasts import BroadcastRepository
from storage.membership import MembershipRepository
from tests.conftest import COORDINATOR_ID, FakeClock

HOUR = dt.timedelta(hours=1)
ENGLISH = Version("en", "Send your updates", ({"type": "bold", "offset": 0, "length": 4},))
KHMER = Version("km", "សូមផ្ញើព័ត៌មានថ្មី")


@pytest.fixture
def repo(services: Services) -> BroadcastRepository:
    return BroadcastRepository(services.database)


@pytest.fixture
def members(services: Services) -> MembershipRepository:
    repository = services.coalition.repository
    assert isinstance(repository, MembershipRepository)
    return repository


async def org_with_reps(
    members: MembershipRepository, clock: FakeClock, short: str, *reps: tuple[int, str]
) -> int:
    org_id = await members.add_organisation(short, short, actor=COORDINATOR_ID, now=clock.now())
    for user_id, language in reps:
        code = f"hash-{short}-{user_id}"
        await members.create_invite(
            org_id, code, actor=COORDINATOR_ID, now=clock.now(), expires=clock.now() + HOUR
        )
        await members.redeem_invite(code, user_id, f"Rep {user_id}", language, clock.now())
    return org_id


async def test_a_draft_survives_until_a_day_after_its_last_change(
    repo: BroadcastRepository, clock: FakeClock
) -> None:
    draft = Draft(
        step=Step.OPTIONS,
        audience=Audience(AudienceKind.GROUPS, frozenset({2, 3}), group_members=True),
        versions=(ENGLISH, KHMER),
        recurrence=Recurrence(Frequency.WEEKLY, dt.time(9), frozenset({0})),
        options=Options(silent=True, pin=True, ack=False),
        composer_message=77,
    )
    await repo.save_draft(COORDINATOR_ID, draft, clock.now())
    clock.advance(hours=23)
    assert await repo.draft(COORDINATOR_ID, clock.now()) == draft
    clock.advance(hours=2)
    assert await repo.draft(COORDINATOR_ID, clock.now()) is None
    await repo.save_draft(COORDINATOR_ID, Draft(), clock.now())
    await repo.drop_draft(COORDINATOR_ID)
    assert await repo.draft(COORDINATOR_ID, clock.now()) is None


async def test_audiences_reach_each_chat_once_and_count_who_cannot_be_reached(
    repo: BroadcastRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    groups = await members.working_groups()
    land, health = groups[0].id, groups[1].id
    now = clock.now()
    ngo = await org_with_reps(members, clock, "NGO", (501, "km"), (502, "en"))
    cso = await org_with_reps(members, clock, "CSO", (503, "en"))
    empty = await org_with_reps(members, clock, "EMPTY")
    paused = await org_with_reps(members, clock, "PAUSED", (504, "en"))
    await members.set_active(paused, False, actor=COORDINATOR_ID, now=now)
    await members.mark_unreachable(503, now)
    await members.toggle_group(ngo, land, actor=COORDINATOR_ID, now=now)
    await members.toggle_group(cso, health, actor=COORDINATOR_ID, now=now)
    await members.link_chat(-100, 0, land, "Land", actor=COORDINATOR_ID, now=now)
    await members.link_chat(-200, 7, health, "Health topic", actor=COORDINATOR_ID, now=now)
    await members.set_chat_language(-200, 7, "km")

    everyone = await repo.reach(Audience(AudienceKind.MEMBERS))
    assert everyone.recipients == (
        Recipient(501, None, "km", ngo),
        Recipient(502, None, "en", ngo),
    )
    assert everyone.unreachable_people == 1
    assert everyone.unreachable_organisations == ("CSO", "EMPTY")
    assert set(everyone.unreached_ids) == {cso, empty}

    chats = await repo.reach(Audience(AudienceKind.CHATS))
    assert chats.recipients == (
        Recipient(-200, 7, "km", group=True),
        Recipient(-100, None, None, group=True),
    )
    land_both = await repo.reach(
        Audience(AudienceKind.GROUPS, frozenset({land}), group_members=True)
    )
    assert [r.chat_id for r in land_both.recipients] == [-100, 501, 502]
    health_members = await repo.reach(
        Audience(AudienceKind.GROUPS, frozenset({health}), group_chats=False, group_members=True)
    )
    assert (health_members.recipients, health_members.unreachable_organisations) == ((), ("CSO",))
    chosen = await repo.reach(
        Audience(AudienceKind.ORGANISATIONS, organisation_ids=frozenset({cso}))
    )
    assert (chosen.recipients, chosen.unreachable_people) == ((), 1)
    await members.seed_coordinators([COORDINATOR_ID], "en")
    coordinators = await repo.reach(Audience(AudienceKind.COORDINATORS))
    assert [r.chat_id for r in coordinators.recipients] == [COORDINATOR_ID]


async def test_an_occurrence_starts_once_and_every_change_is_audited(
    repo: BroadcastRepository, members: MembershipRepository, clock: FakeClock
) -> None:
    draft = Draft(versions=(ENGLISH,), audience=Audience(AudienceKind.COORDINATORS))
    broadcast_id = await repo.create(draft, actor=COORDINATOR_ID, now=clock.now())
    await repo.update(
        broadcast_id, draft.with_version(KHMER), actor=COORDINATOR_ID, now=clock.now()
    )
    item = await repo.get(broadcast_id)
    assert item is not None
    assert item.versions == (ENGLISH, KHMER)
    assert item.status is BroadcastStatus.SCHEDULED
    occurrence = clock.now()
    await repo.start_occurrence(
        broadcast_id, occurrence, finished=True, unreached=(), now=occurrence
    )
    with pytest.raises(AlreadyStarted):
        await repo.start_occurrence(
            broadcast_id, occurrence, finished=True, unreached=(), now=occurrence
        )
    item = await repo.get(broadcast_id)
    assert item is not None
    assert item.status is BroadcastStatus.SENT
    assert item.last_occurrence == occurrence
    assert await repo.occurrences(broadcast_id) == [occurrence]
    assert not await repo.set_status(
        broadcast_id, BroadcastStatus.CANCELLED, actor=COORDINATOR_ID, now=clock.now()
    )
    assert await repo.set_status(
        broadcast_id, BroadcastStatus.DELETED, actor=COORDINATOR_ID, now=clock.now()
    )
    log = [e.action.value for e in reversed(await members.audit_log(limit=10))]
    assert log[-4:] == ["create broadcast", "edit broadcast", "send broadcast", "delete broadcast"]


async def test_got_it_counts_once_per_person_and_occurrence(
    repo: BroadcastRepository, clock: FakeClock
) -> None:
    draft = Draft(versions=(ENGLISH,), audience=Audience(AudienceKind.COORDINATORS))
    broadcast_id = await repo.create(draft, actor=COORDINATOR_ID, now=clock.now())
    occurrence = clock.now()
    key = occurrence.strftime("%Y%m%d%H%M")
    assert await repo.acknowledge(broadcast_id, key, 501, clock.now())
    assert not await repo.acknowledge(broadcast_id, key, 501, clock.now())
    assert await repo.acknowledge(broadcast_id, key, 502, clock.now())
    assert await repo.acknowledge(broadcast_id, "209901010000", 502, clock.now())
    assert not await repo.acknowledge(broadcast_id + 1, key, 503, clock.now())  # no such one
    assert await repo.acknowledgements(broadcast_id, occurrence) == 2


def test_each_reader_gets_their_language_else_the_default_else_the_one_there_is() -> None:
    assert choose_version((ENGLISH, KHMER), "km", "en") is KHMER
    assert choose_version((ENGLISH, KHMER), None, "km") is KHMER
    assert choose_version((ENGLISH,), "km", "km") is ENGLISH
    assert choose_version((KHMER,), "en", "en") is KHMER
    assert language_of_text(KHMER.text) == "km"
    assert language_of_text("Meeting at ការិយាល័យ CCHR office") == "en"


def test_composer_choices_that_do_not_fit_change_nothing() -> None:
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 in Phnom Penh
    tz = ZoneInfo("Asia/Phnom_Penh")
    fresh = Draft()
    assert choose(fresh, Choice.NEXT, None, now, tz) is None  # no audience chosen yet
    assert choose(fresh, Choice.AUDIENCE, 99, now, tz) is None
    chosen = choose(fresh, Choice.AUDIENCE, KINDS.index(AudienceKind.CHATS), now, tz)
    assert chosen is not None
    assert chosen.has_audience
    assert choose(fresh, Choice.TODAY, 8, now, tz) is None  # 08:00 today has passed
    later = choose(fresh, Choice.TODAY, 10, now, tz)
    assert later is not None
    assert later.send_at == dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    weekly = choose(fresh, Choice.WEEKLY, 0, now, tz)
    assert weekly is not None
    assert weekly.recurrence is not None
    assert weekly.recurrence.weekdays == {0}
    assert choose(weekly, Choice.WEEKLY, 0, now, tz) is None  # no weekday would be left
    assert choose(fresh, Choice.HOUR, 9, now, tz) is None  # no recurrence to set the hour of
    assert choose(fresh, Choice.PREVIEW, None, now, tz) is None  # nothing to preview
