"""Who may use which command or button, checked in one place on every message and every press."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

from bot.domain.coalition import Coalition
from bot.domain.membership import Role
from bot.domain.rounds import Assessments


class Access(enum.Enum):
    """Who may use a command or a button at all."""

    ANYONE = "anyone"  # look-ups, language, help: guests too
    MEMBER = "member"  # members of active organisations, and coordinators
    RATER = "rater"  # representatives of active organisations (they rate for it)
    COORDINATOR = "coordinator"
    TRANSLATOR = "translator"  # appointed translators, and coordinators


class Where(enum.Enum):
    """The kind of chat a command or button belongs in."""

    ANY = "any"
    PRIVATE = "private"  # membership details never go into a group
    GROUP = "group"  # acts on the group chat itself


class Refusal(enum.Enum):
    """Why an action is refused; handlers turn each into the reader's language."""

    COORDINATORS_ONLY = "coordinators only"
    REPRESENTATIVES_ONLY = "representatives only"
    COORDINATORS_DO_NOT_RATE = "coordinators do not rate"  # representatives rate
    MEMBERSHIP_PAUSED = "membership paused"  # a representative of a deactivated organisation
    # ... asking for what members see (results, rounds, strategy): not told it cannot rate
    PAUSED_MEMBER = "paused member"
    MEMBERS_ONLY = "members only"
    PRIVATE_ONLY = "private only"
    GROUP_ONLY = "group only"
    NOT_YOURS = "not yours"  # a coordinator's button in a group, pressed by someone else
    NO_ROUND = "no round"
    ROUND_CLOSED = "round closed"
    NOT_PUBLISHED = "not published"
    RESPONSIBLE_ONLY = "responsible only"  # an action's answer: its organisations, coordinators
    TRANSLATORS_ONLY = "translators only"


class Gate:
    """The one check every command and every button press passes before its handler runs."""

    def __init__(
        self,
        coalition: Coalition,
        assessments: Assessments,
        translator: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        """Read roles from the coalition, rounds from the assessments, and whether someone
        was appointed a translator from `translator`."""
        self.coalition = coalition
        self.assessments = assessments
        self.translator = translator

    async def check(
        self,
        user_id: int,
        access: Access,
        *,
        private: bool,
        where: Where = Where.ANY,
        owner: int | None = None,
        round_id: int | None = None,
    ) -> Refusal | None:
        """None if this user may do this now, in this chat, on this round; else why not.

        `owner` is whom the message with the button answers (in a group, a coordinator's
        buttons work only for the coordinator who asked); `round_id` the round acted on.
        """
        person = await self.coalition.person(user_id)
        role = person.role if person is not None else Role.GUEST
        if access is Access.COORDINATOR and role is not Role.COORDINATOR:
            return Refusal.COORDINATORS_ONLY
        paused = (
            person is not None
            and person.organisation_id is not None
            and not person.organisation_active
        )
        if paused and access is Access.RATER:
            return Refusal.MEMBERSHIP_PAUSED
        if paused and access is Access.MEMBER and role is Role.GUEST:
            return Refusal.PAUSED_MEMBER
        if (
            access is Access.TRANSLATOR
            and role is not Role.COORDINATOR
            and not (self.translator is not None and await self.translator(user_id))
        ):
            return Refusal.TRANSLATORS_ONLY
        if access is Access.MEMBER and role is Role.GUEST:
            return Refusal.MEMBERS_ONLY
        if access is Access.RATER and (
            person is None or person.organisation_id is None or not person.organisation_active
        ):
            return Refusal.REPRESENTATIVES_ONLY
        if where is Where.PRIVATE and not private:
            return Refusal.PRIVATE_ONLY
        if where is Where.GROUP and private:
            return Refusal.GROUP_ONLY
        if access is Access.COORDINATOR and not private and owner != user_id:
            return Refusal.NOT_YOURS
        if round_id is None:
            return None
        round_ = await self.assessments.repository.round(round_id)
        if round_ is None:
            return Refusal.NO_ROUND
        if access is Access.RATER and not round_.open:
            return Refusal.ROUND_CLOSED
        if access is Access.MEMBER and not await self.assessments.may_see_results(user_id, round_):
            return Refusal.NOT_PUBLISHED
        return None
