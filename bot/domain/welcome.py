"""/start without a payload: what each role needs first — a coordinator's checklist, a member's
organisation and what is left to rate, a guest's way in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.domain.assessment import Round
from bot.domain.coalition import Coalition
from bot.domain.membership import NotAllowed, Organisation, Role, WorkingGroup
from bot.domain.rounds import Assessments

# How long a member's /start points to a round's newly published results.
NEW_RESULTS = dt.timedelta(days=14)
# Open rounds a welcome names, each with a button ([Rate now], a coordinator's panel): the
# newest few; the others are one line and [Rounds] (never a flood, never over 100 buttons).
OPEN_ROUNDS_SHOWN = 3

# Whether a user chose their language with /language.
Chosen = Callable[[int], Awaitable[bool]]


@dataclass(frozen=True)
class Checklist:
    """A coordinator's set-up at a glance."""

    organisations: int  # active ones
    groups: tuple[WorkingGroup, ...]
    unlinked: tuple[WorkingGroup, ...]  # working groups with no chat yet
    open_rounds: tuple[Round, ...]
    invites: int  # sent, not used, not revoked, not expired


@dataclass(frozen=True)
class Membership:
    """A representative's organisation, its working groups and what is left to rate."""

    organisation: Organisation
    groups: tuple[WorkingGroup, ...]
    # The newest OPEN_ROUNDS_SHOWN open rounds and how many of the organisation's own
    # recommendations are left in each (None: the round does not concern its working groups).
    to_rate: tuple[tuple[Round, int | None], ...]
    new_results: tuple[Round, ...] = ()  # published within NEW_RESULTS, newest first
    open_rounds: int = 0  # how many rounds are open (to_rate names the newest few)


@dataclass(frozen=True)
class Welcome:
    """What /start shows this user."""

    role: Role
    ask_language: bool  # Telegram's language is neither of ours and none was chosen
    checklist: Checklist | None = None
    membership: Membership | None = None
    paused: bool = False  # a representative of an organisation whose membership is paused


class Welcomes:
    """Builds each role's welcome from the coalition and the rounds."""

    def __init__(
        self,
        coalition: Coalition,
        assessments: Assessments,
        chosen: Chosen,
        languages: Collection[str],
    ) -> None:
        """`chosen`: whether a user chose a language; `languages`: the bot's ('en', 'km')."""
        self.coalition = coalition
        self.assessments = assessments
        self.chosen = chosen
        self.languages = languages

    async def welcome(self, user_id: int, telegram_language: str | None) -> Welcome:
        """The welcome for this user's role now."""
        base = (telegram_language or "").split("-")[0].lower()
        ask = base not in self.languages and not await self.chosen(user_id)
        role = await self.coalition.role(user_id)
        if role is Role.COORDINATOR:
            return Welcome(role, ask, checklist=await self._checklist())
        if role is Role.MEMBER:
            return Welcome(role, ask, membership=await self._membership(user_id))
        return Welcome(role, ask, paused=await self.paused(user_id))

    async def paused(self, user_id: int) -> bool:
        """Whether the user represents an organisation whose membership is paused (told so,
        not how to join)."""
        person = await self.coalition.person(user_id)
        return (
            person is not None
            and person.organisation_id is not None
            and not person.organisation_active
        )

    async def _checklist(self) -> Checklist:
        repository = self.coalition.repository
        groups = await self.coalition.working_groups()
        linked = {c.working_group_id for c in await repository.chats()}
        rounds = await self.assessments.rounds()
        return Checklist(
            sum(1 for o in await repository.organisations() if o.active),
            tuple(groups),
            tuple(g for g in groups if g.id not in linked),
            tuple(r for r in rounds if r.open),
            await repository.pending_invites(self.coalition.clock.now()),
        )

    async def _membership(self, user_id: int) -> Membership | None:
        organisation = await self.coalition.own_organisation(user_id)
        if organisation is None:
            return None
        groups = [
            g for g in await self.coalition.working_groups() if g.id in organisation.group_ids
        ]
        to_rate = []
        rounds = await self.assessments.rounds()
        since = self.coalition.clock.now() - NEW_RESULTS
        new_results = tuple(
            r
            for r in rounds
            if r.published and not r.open and r.published_at and r.published_at > since
        )
        open_rounds = [r for r in rounds if r.open]
        for round_ in open_rounds[:OPEN_ROUNDS_SHOWN]:  # only those named: at most three reads
            try:
                left = await self.assessments.left_to_rate(user_id, round_.id)
            except NotAllowed:  # the organisation was deactivated a moment ago
                return None
            to_rate.append((round_, left[0] if left is not None else None))
        return Membership(
            organisation, tuple(groups), tuple(to_rate), new_results, len(open_rounds)
        )
