"""The storage the domain needs, as protocols: storage/ implements them, the domain calls them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Protocol

from bot.domain.action_flow import FlowDraft
from bot.domain.assessment import (
    Card,
    Colour,
    Distribution,
    PendingReason,
    PromptOrigin,
    Rating,
    ReasonAsk,
    ReasonsForm,
    Round,
    RoundDraft,
    Said,
    TableReads,
)
from bot.domain.audit import AuditNames
from bot.domain.broadcast import Audience, Broadcast, BroadcastStatus, Draft, Reach
from bot.domain.membership import AuditEntry, GroupChat, Organisation, Person, WorkingGroup
from bot.domain.menus import MenuHolder
from bot.domain.milestones import Milestone, MilestoneEntry
from bot.domain.nudges import Nudge, OpenAction, Targets
from bot.domain.outbox import Content, Delivery, DeliveryStatus, Outgoing, Unpinned
from bot.domain.round_audience import AudienceRule, Share
from bot.domain.strategy import Action, ActionFields, StatusChange
from bot.domain.timeframes import ReadTimeframe, Timeframe


class TextSource(Protocol):
    """The recommendations' texts where they are kept (the database), read when shown: the
    catalog holds numbers, ids and codes, not texts. Synchronous: a primary-key read from
    SQLite's page cache costs less than a hop to another thread (safe from any thread)."""

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """Each id's English text and Khmer text (None: none); an id not stored is left out."""
        ...


class RowStore(Protocol):
    """Where a catalog snapshot keeps its recommendations' columns (a row of ints each, in
    display order), read when asked, so memory does not grow with the catalog. Synchronous
    (safe from any thread)."""

    def add_rows(self, rows: Sequence[tuple[int, ...]]) -> None:
        """Keep these rows at the next positions (the first row's first value is its id)."""
        ...

    def rows(self, positions: Sequence[int]) -> list[tuple[int, ...]]:
        """The rows at these positions (each less than the count kept), in this order."""
        ...

    def span(self, start: int, stop: int) -> list[tuple[int, ...]]:
        """The rows at positions start..stop-1, in order."""
        ...

    def position_of(self, rec_id: int) -> int | None:
        """The position of the row with this id, if any."""
        ...


class IndexStore(Protocol):
    """Where the word index keeps what it finds (the search's domain decides what): postings as
    (key, segment, bytes) rows, and each document's Khmer text, packed. Read when a search
    asks, so memory does not grow with the catalog. Synchronous: an index is built in a worker
    thread and searched on the event loop (safe from any thread)."""

    def put(self, rows: Iterable[tuple[str, int, bytes | None]]) -> None:
        """Store rows, each replacing its key's segment (None: the segment is taken out)."""
        ...

    def drop(self, keys: Iterable[str]) -> None:
        """Take out every segment of these keys."""
        ...

    def segments(
        self, keys: Collection[str], segment: int | None = None
    ) -> dict[str, list[tuple[int, bytes]]]:
        """Each key's stored segments (all, or only this one), in segment order; keys with
        none are left out."""
        ...

    def put_texts(self, texts: Iterable[tuple[int, bytes]]) -> None:
        """Store documents' packed Khmer texts (an empty one is taken out)."""
        ...

    def text(self, doc: int) -> bytes:
        """A document's packed Khmer text (empty: none)."""
        ...

    def holding(self, piece: bytes, docs: Sequence[int] | None) -> list[int]:
        """Those of these documents (None: of all) whose text holds the piece, ascending."""
        ...


# Called inside the redeem's transaction with the organisation's id and short name: it stages
# what coordinators are told ("Dara joined ADHOC").
JoinAnnounce = Callable[[int, str], None]


class MembershipStore(Protocol):
    """What the domain needs from storage: Reads and writes the coalition's membership."""

    async def person(self, user_id: int) -> Person | None:
        """The user, or None if the bot never stored them."""
        ...

    async def seen(self, user_id: int, display_name: str, language: str) -> None:
        """Record a user who talks to the bot (name for coordinators; reachable again)."""
        ...

    async def seed_coordinators(self, user_ids: Sequence[int], language: str) -> list[int]:
        """Make COORDINATOR_IDS coordinators, once each: a later demotion is respected."""
        ...

    async def set_coordinator(
        self, user_id: int, flag: bool, *, actor: int, now: dt.datetime, language: str
    ) -> bool:
        """Promote or demote; never demote the last coordinator. False (and no audit entry)"""
        ...

    async def coordinators(self) -> list[Person]:
        """Every coordinator (to tell them what happens to the bot)."""
        ...

    async def mark_unreachable(self, user_id: int, now: dt.datetime) -> None:
        """The user blocked the bot: stop writing to them until they write again."""
        ...

    async def unreachable(self) -> list[Person]:
        """Representatives and coordinators who blocked the bot."""
        ...

    async def lost_chats(self) -> list[str]:
        """The names of the group chats the bot lost while they were linked."""
        ...

    async def add_organisation(
        self, short_name: str, name: str, *, actor: int, now: dt.datetime
    ) -> int:
        """Create an organisation; its short name must be new."""
        ...

    async def organisations(self) -> list[Organisation]:
        """Every organisation with its representatives and groups, by short name."""
        ...

    async def organisation(self, org_id: int) -> Organisation:
        """One organisation, or UnknownOrganisation."""
        ...

    async def set_active(self, org_id: int, active: bool, *, actor: int, now: dt.datetime) -> None:
        """Deactivate (its representatives become guests) or reactivate an organisation."""
        ...

    async def toggle_group(
        self, org_id: int, group_id: int, *, actor: int, now: dt.datetime
    ) -> bool:
        """Put an organisation in a working group or take it out; True if now in it."""
        ...

    async def remove_representative(
        self, org_id: int, user_id: int, *, actor: int, now: dt.datetime
    ) -> bool:
        """Detach a representative from their organisation; False if they were not one."""
        ...

    async def erase_organisation(self, org_id: int, *, actor: int, now: dt.datetime) -> str:
        """Delete an organisation and every trace of its name; return the name it had."""
        ...

    async def create_invite(
        self, org_id: int, code_hash: str, *, actor: int, now: dt.datetime, expires: dt.datetime
    ) -> int:
        """Store a new invite (hashed) for an active organisation."""
        ...

    async def revoke_invite(self, invite_id: int, *, actor: int, now: dt.datetime) -> bool:
        """Revoke an unused invite; False if it was already used, revoked or unknown."""
        ...

    async def redeem_invite(
        self,
        code_hash: str,
        user_id: int,
        display_name: str,
        language: str,
        now: dt.datetime,
        announce: JoinAnnounce | None = None,
    ) -> int:
        """Make the user the representative the invite was for; return the organisation id
        (`announce` stages the coordinators' notice in the same transaction)."""
        ...

    async def sync_working_groups(self, rows: Sequence[tuple[str, str, str, list[str]]]) -> None:
        """Create or rename working groups (slug, English, Khmer, theme slugs) from data."""
        ...

    async def working_groups(self) -> list[WorkingGroup]:
        """Every working group, in the order of the data file."""
        ...

    async def organisations_by_group(self) -> dict[int, set[int]]:
        """Each working group's member organisations (an organisation may be in several)."""
        ...

    async def link_chat(
        self,
        chat_id: int,
        thread_id: int,
        group_id: int,
        title: str,
        *,
        actor: int,
        now: dt.datetime,
    ) -> None:
        """Link a chat (or forum topic) to a working group, replacing an earlier link."""
        ...

    async def unlink_chat(
        self, chat_id: int, thread_id: int | None, *, actor: int, now: dt.datetime
    ) -> list[GroupChat]:
        """Remove the links of a chat (one topic, or all when thread_id is None)."""
        ...

    async def create_group_link(
        self, group_id: int, token_hash: str, *, actor: int, now: dt.datetime, expires: dt.datetime
    ) -> None:
        """Store an "add the bot to your group" token (hashed) for a working group."""
        ...

    async def link_with_token(
        self,
        token_hash: str,
        chat_id: int,
        thread_id: int,
        title: str,
        *,
        actor: int,
        now: dt.datetime,
    ) -> tuple[str, int | None]:
        """Link the chat to the token's group and use the token up, in one transaction:
        ("linked", group id), or ("unknown" | "used" | "expired", None)."""
        ...

    async def set_chat_language(self, chat_id: int, thread_id: int, language: str) -> bool:
        """Set a linked chat's (or topic's) language; False when it is not linked."""
        ...

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its chat id changed, its links follow."""
        ...

    async def chats(self) -> list[GroupChat]:
        """Every linked chat."""
        ...

    async def pending_invites(self, now: dt.datetime) -> int:
        """How many invites are still open: not used, not revoked, not expired."""
        ...

    async def audit_names(self) -> AuditNames:
        """What the log's ids stand for: people's names, round titles, chats' titles (linked
        or lost), working groups' names."""
        ...

    async def audit_log(self, limit: int = 20, offset: int = 0) -> list[AuditEntry]:
        """The latest coordinator actions, newest first."""
        ...


class GroupListStore(Protocol):
    """What the domain needs from storage: Reads and edits the working groups' lists and who may edit them."""

    async def recommendation_ids(self, group_id: int) -> set[int]:
        """The recommendations on one group's list (every cycle)."""
        ...

    async def all_lists(self) -> dict[int, set[int]]:
        """Every group's list, by group id."""
        ...

    async def members_may_edit(self, group_id: int) -> bool:
        """Whether the group's own members may edit its list."""
        ...

    async def edit(
        self,
        group_id: int,
        recommendation_ids: Collection[int],
        included: bool,
        *,
        actor: int,
        now: dt.datetime,
        detail: str,
    ) -> int:
        """Add (or remove) recommendations by hand, for good; return how many changed."""
        ...

    async def set_members_may_edit(
        self, group_id: int, flag: bool, *, actor: int, now: dt.datetime
    ) -> None:
        """Allow or forbid the group's members to edit its list."""
        ...

    async def add_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        group_id: int,
        include: bool,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember that this person's reply to this bot message edits this group's list."""
        ...

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, bool] | None:
        """(group, add?) a reply to this message edits the list of, unless expired."""
        ...


class AssessmentStore(Protocol):
    """What the domain needs from storage: Reads and writes rounds and ratings."""

    async def open_round(
        self,
        name: str,
        cycle: int,
        scope: str,
        recommendation_ids: Sequence[int],
        closes_at: dt.datetime | None,
        *,
        actor: int,
        now: dt.datetime,
    ) -> int:
        """Create an open round over a fixed list of recommendations."""
        ...

    async def add_draft(
        self,
        user_id: int,
        name: str,
        cycle: int,
        scope: str,
        recommendation_ids: Sequence[int],
        closes_at: dt.datetime | None,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> int:
        """Keep a round awaiting its coordinator's [Open] until it expires; its id."""
        ...

    async def draft(self, draft_id: int, now: dt.datetime) -> RoundDraft | None:
        """A draft round that has not expired, neither opened nor cancelled, or None."""
        ...

    async def settled_draft(self, draft_id: int, now: dt.datetime) -> RoundDraft | None:
        """A draft round that has not expired, whatever became of it (opened, cancelled)."""
        ...

    async def open_draft(
        self,
        draft: RoundDraft,
        *,
        now: dt.datetime,
        announce: Callable[[int], None] | None = None,
    ) -> int | None:
        """Open a draft round and mark the draft opened, in one transaction (`announce(round id)`
        stages its notices in it); None when it was used."""
        ...

    async def drop_draft(self, draft_id: int, user_id: int) -> bool:
        """Cancel a coordinator's draft round; False if it was not waiting (any more)."""
        ...

    async def delete_round(self, round_id: int, *, actor: int, now: dt.datetime) -> bool:
        """Delete a round nobody has rated in (audited); False if it has ratings or is gone."""
        ...

    async def rounds(self) -> list[Round]:
        """Every round, newest first."""
        ...

    async def round(self, round_id: int) -> Round | None:
        """One round, or None (read on taps and redraws: one row, not the whole list)."""
        ...

    async def opener(self, round_id: int) -> int | None:
        """The coordinator who opened a round (None: no such round)."""
        ...

    async def items(self, round_id: int) -> list[int]:
        """The recommendations of a round."""
        ...

    async def set_open(
        self,
        round_id: int,
        is_open: bool,
        *,
        actor: int,
        now: dt.datetime,
        rule: AudienceRule | None = None,
    ) -> bool:
        """Close (freeze, its audience by `rule`) or reopen a round; reopening withdraws its
        publication. False if it already was so."""
        ...

    async def publish(
        self,
        round_id: int,
        *,
        actor: int,
        now: dt.datetime,
        announce: Callable[[int], None] | None = None,
    ) -> bool:
        """Publish a closed round's results to members (`announce` stages its notices in the
        same transaction); False if the round is open or already published."""
        ...

    async def close_due(
        self,
        now: dt.datetime,
        announce: Callable[[int], None] | None = None,
        rules: Mapping[int, AudienceRule] | None = None,
    ) -> list[int]:
        """Close the open rounds whose closing date has passed (`announce` stages each one's
        notices in the same transaction); return their ids."""
        ...

    async def rate(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        colour: Colour,
        now: dt.datetime,
        *,
        rater: int | None = None,
        ask: ReasonAsk | None = None,
    ) -> bool:
        """Record or change an organisation's rating; True if it was new. Kept in history.
        With `rater`, NotAllowed / MembershipPaused unless that person still represents the
        organisation and it is active, checked in the same transaction as the write; with
        `ask`, the request for its reason is written in that transaction too."""
        ...

    async def set_reason(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        reason: str,
        now: dt.datetime,
    ) -> tuple[int, Colour]:
        """Attach a reason to the organisation's rating (kept in history too); the history
        row's id and the rating's colour."""
        ...

    async def undo_reason(
        self,
        round_id: int,
        recommendation_id: int,
        organisation_id: int,
        history_id: int,
        now: dt.datetime,
    ) -> tuple[str, bool] | None:
        """Restore the reason before the one set at `history_id` unless a newer one was set:
        (the undone text, whether undone); None when that row is not this rating's reason."""
        ...

    async def ratings(self, round_id: int) -> list[Rating]:
        """Every rating of a round with the organisation's short name (coordinators' view)."""
        ...

    async def said(self, round_id: int, named: bool, with_groups: bool) -> list[Said]:
        """Every rating of a round as its results tables show it (the organisation named with
        `named`), by recommendation and organisation, each with the working groups whose own
        rows it counts in (as at the close; none without `with_groups`)."""
        ...

    async def tables(
        self,
        round_id: int,
        form: ReasonsForm | None,
        named: bool,
        wanted: Sequence[int],
        with_groups: bool,
    ) -> TableReads:
        """A round's results tables' counts and reasons cells in one snapshot (one file shows
        one moment, even while the round is rated): the whole coalition's counts, every working
        group's (with `with_groups`), and with `form` each recommendation's reasons cell
        (`reasons_cell`'s text, in `said`'s order, names alphabetically by `name_ranks`) for the
        `wanted` tables: 0 the whole coalition's, a working group's id its own (as at the
        close)."""
        ...

    async def distributions(self, round_id: int) -> dict[int, Distribution]:
        """The whole coalition's distribution of each rated recommendation of a round."""
        ...

    async def distribution(
        self, round_id: int, recommendation_id: int, group_id: int | None = None
    ) -> Distribution:
        """One recommendation's distribution: the whole coalition's, or one working group's."""
        ...

    async def participation(self, round_id: int, group_id: int | None = None) -> tuple[int, int]:
        """(organisations that rated, organisations eligible), as they were at the close once
        the round is closed."""
        ...

    async def paused_raters(self, round_id: int, group_id: int | None = None) -> int:
        """How many organisations whose membership is paused rated in the round (of the
        coalition or of one working group), as at the close once the round is closed."""
        ...

    async def progress(self, round_id: int) -> list[tuple[int, str, int]]:
        """How many of the round's recommendations each active organisation has rated:
        (organisation id, short name, count)."""
        ...

    async def group_overlap(
        self, round_id: int, items: Sequence[int] = ()
    ) -> dict[int, tuple[int, int]]:
        """Each working group's (how many of a round's recommendations — or of `items` — its
        list holds, how many active organisations are in it)."""
        ...

    async def whole_cycle(self, round_id: int, items: Sequence[int] = ()) -> bool:
        """Whether a round (or `items`) holds every recommendation of its cycle that has one
        of its responses: a whole cycle, or a whole cycle by response."""
        ...

    async def audience(
        self,
        round_id: int,
        rule: AudienceRule,
        items: Sequence[int] = (),
        organisation_id: int | None = None,
    ) -> list[Share]:
        """Each audience organisation's share of a round (or of `items`; only one
        organisation's, when given) by `rule`."""
        ...

    async def group_listed(self, round_id: int, organisation_id: int) -> set[int]:
        """The round's recommendations on the lists of this organisation's working groups."""
        ...

    async def recommendation_audience(
        self, round_id: int, rule: AudienceRule, recommendation_id: int
    ) -> tuple[int, int]:
        """(audience organisations that rated it, audience organisations) for one
        recommendation of a round."""
        ...

    async def group_rated(self, round_id: int, recommendation_id: int, group_id: int) -> int:
        """How many of a working group's active member organisations rated one recommendation
        of a round (counted among the same organisations as its participation)."""
        ...

    async def add_guide(
        self, user_id: int, guide: str, *, expires: dt.datetime, now: dt.datetime
    ) -> int:
        """Keep a round being opened through buttons (its guide as JSON) until it expires."""
        ...

    async def update_guide(self, draft_id: int, guide: str, *, expires: dt.datetime) -> bool:
        """The guide's next step; False if the draft is gone or finished."""
        ...

    async def waiting_guide(self, user_id: int, expires_after: dt.datetime) -> RoundDraft | None:
        """The user's newest round being opened through buttons whose expiry is after
        `expires_after` (its last step was recent), or None."""
        ...

    async def finish_guide(self, draft: RoundDraft) -> bool:
        """Turn a guided draft into one awaiting [Open] (its name, scope and recommendations
        from `draft`); False if it is gone or was finished meanwhile."""
        ...

    async def reminded_at(self, round_id: int) -> dt.datetime | None:
        """When a coordinator last reminded those behind in this round, if ever."""
        ...

    async def claim_reminder(
        self,
        round_id: int,
        now: dt.datetime,
        since: dt.datetime,
        announce: Callable[[int], None],
    ) -> dt.datetime | None:
        """Record a coordinator's reminder at `now` and stage it (`announce`, in the same
        transaction), unless one was recorded after `since`: then that time, nothing staged."""
        ...

    async def group_ratings(self, round_id: int, group_id: int) -> list[Rating]:
        """A working group's ratings: its member organisations' (those at the close)."""
        ...

    async def group_items(self, round_id: int, group_id: int) -> set[int]:
        """The round's recommendations on a working group's list (its list at the close)."""
        ...

    async def group_distributions(self, round_id: int) -> dict[int, dict[int, Distribution]]:
        """Every working group's own distributions in one pass: by group id, by recommendation
        on its list, its member organisations' ratings (list and members as at the close)."""
        ...

    async def own(self, round_id: int, organisation_id: int) -> dict[int, Rating]:
        """An organisation's ratings in a round, by recommendation."""
        ...

    async def add_card(self, card: Card) -> None:
        """Remember a card posted in a group chat."""
        ...

    async def posted(self, round_id: int, chat_id: int) -> set[int]:
        """The recommendations already posted as cards in a chat for a round."""
        ...

    async def cards_to_redraw(self) -> list[Card]:
        """Cards whose counts changed since they were last drawn successfully."""
        ...

    async def mark_drawn(self, card: Card) -> None:
        """Record that a card now shows the counts up to its history id (never goes back)."""
        ...

    async def latest_published(self, recommendation_id: int) -> tuple[Round, Distribution] | None:
        """The most recent published round that rated this recommendation, and its counts."""
        ...

    async def add_prompt(
        self,
        user_id: int,
        prompt: Outgoing,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
        pending: dt.datetime | None = None,
        origin: tuple[int, int | None] | None = None,
    ) -> int:
        """Queue the prompt and remember that a reply to it is the reason for this rating
        (with `pending`, the next plain message too, until then); `origin`: the group chat."""
        ...

    async def remember_prompt(
        self,
        user_id: int,
        message_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """A prompt the bot sent itself (an answer): a reply to it is the reason too."""
        ...

    async def set_pending(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        next_card: bool,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """This person's next plain private message is the reason of this rating."""
        ...

    async def pending(self, user_id: int, now: dt.datetime) -> PendingReason | None:
        """The reason this person was asked for last, unless expired."""
        ...

    async def drop_pending(self, user_id: int, card: tuple[int, int] | None = None) -> bool:
        """Forget the reason this person was asked for (only if it is `card`, when given)."""
        ...

    async def recolour_prompt(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        content: Content,
        now: dt.datetime,
    ) -> int | None:
        """Give a waiting prompt for this rating this content; the message id of a sent one."""
        ...

    async def refused_prompt(self, delivery_id: int) -> PromptOrigin | None:
        """The prompt this delivery was, if it was asked for from a card in a group chat."""
        ...

    async def add_hint(
        self, user_id: int, round_id: int, hint: Outgoing, now: dt.datetime
    ) -> bool:
        """Queue the 'open a private chat' line unless sent in this round; whether queued."""
        ...

    async def prompt(
        self, user_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, int] | None:
        """(round, recommendation) a reply to this message gives the reason of, unless expired."""
        ...

    async def prompt_unsent(self, user_id: int, now: dt.datetime) -> bool:
        """Whether a prompt to this person is still waiting or being sent."""
        ...

    async def skip(
        self,
        user_id: int,
        round_id: int,
        recommendation_id: int,
        *,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember that this person put this recommendation off until the others are done."""
        ...

    async def skipped(self, user_id: int, round_id: int, now: dt.datetime) -> set[int]:
        """What this person skipped in this round, unless expired."""
        ...

    async def forget_skips(self, user_id: int, round_id: int) -> None:
        """Offer this person's skipped recommendations of this round again."""
        ...


class BroadcastStore(Protocol):
    """What the domain needs from storage: broadcasts, their drafts, occurrences and
    acknowledgements, and who an audience reaches."""

    async def draft(self, user_id: int, now: dt.datetime) -> Draft | None:
        """The user's draft unless it expired."""
        ...

    async def save_draft(self, user_id: int, draft: Draft, now: dt.datetime) -> None:
        """Store the user's draft; it expires a day after its last change."""
        ...

    async def drop_draft(self, user_id: int) -> None:
        """Forget the user's draft."""
        ...

    async def reach(self, audience: Audience) -> Reach:
        """The chats an audience reaches now, and who in it cannot be reached."""
        ...

    async def create(self, draft: Draft, *, actor: int, now: dt.datetime) -> int:
        """Store a confirmed broadcast, scheduled (audited), consuming the actor's draft in
        the same transaction (DraftGone when it is no longer stored as it is)."""
        ...

    async def update(
        self, broadcast_id: int, draft: Draft, *, actor: int, now: dt.datetime
    ) -> bool:
        """Replace a scheduled broadcast's content (audited), consuming the actor's draft like
        `create`; False when not scheduled."""
        ...

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast, or None."""
        ...

    async def scheduled(self) -> list[Broadcast]:
        """Every broadcast still waiting for a (next) time."""
        ...

    async def listing(self, since: dt.datetime) -> list[Broadcast]:
        """Scheduled broadcasts and the others created or sent since `since`, newest first."""
        ...

    async def start_occurrence(
        self,
        broadcast_id: int,
        occurrence: dt.datetime,
        *,
        finished: bool,
        unreached: Sequence[int],
        now: dt.datetime,
    ) -> None:
        """Record an occurrence handed to the outbox; AlreadyStarted if it was already."""
        ...

    async def finish(self, broadcast_id: int) -> None:
        """A recurring broadcast past its end date: nothing more to send."""
        ...

    async def occurrences(self, broadcast_id: int) -> list[dt.datetime]:
        """The occurrences handed to the outbox so far, oldest first."""
        ...

    async def set_status(
        self, broadcast_id: int, status: BroadcastStatus, *, actor: int, now: dt.datetime
    ) -> bool:
        """Cancel or delete a broadcast (audited); False when its state does not allow it."""
        ...

    async def set_report_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """The coordinator's message that shows this broadcast's progress."""
        ...

    async def watched(self) -> list[int]:
        """Broadcasts whose progress message is still being updated."""
        ...

    async def unwatch(self, broadcast_id: int) -> None:
        """The final report was shown."""
        ...

    async def acknowledge(
        self, broadcast_id: int, occurrence: str, user_id: int, now: dt.datetime
    ) -> bool:
        """Record a "Got it"; True the first time for this person and occurrence."""
        ...

    async def acknowledgements(self, broadcast_id: int, occurrence: dt.datetime | None) -> int:
        """How many people pressed "Got it" for an occurrence."""
        ...

    async def acknowledgers(
        self, broadcast_id: int, occurrence: dt.datetime | None
    ) -> tuple[str, ...]:
        """Who pressed "✓ Got it" for an occurrence (organisation and person names)."""
        ...

    async def unreached(self, broadcast_id: int) -> tuple[str, ...]:
        """Organisations of the latest occurrence nobody of which could be reached."""
        ...

    async def sent_messages(self, broadcast_id: int) -> list[tuple[int, int]]:
        """Every (chat, message) a broadcast became."""
        ...


class MilestoneStore(Protocol):
    """What the domain needs from storage: coordinators' corrections of the cycles' milestones."""

    async def corrections(self) -> list[MilestoneEntry]:
        """Every correction, one per cycle and milestone (the latest)."""
        ...

    async def correct(self, entry: MilestoneEntry, *, actor: int, now: dt.datetime) -> None:
        """Store a correction (replacing an earlier one of that milestone), audited."""
        ...

    async def remember_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        cycle: int,
        milestone: Milestone,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember a prompt whose reply is a milestone's new date."""
        ...

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, Milestone] | None:
        """The cycle and milestone of a prompt not yet expired, or None."""
        ...

    async def forget_prompt(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Forget a prompt once answered."""
        ...


class OutboxStore(Protocol):
    """The deliveries table: what the bot sends on its own, durable until sent or given up."""

    async def pin_refused(self, delivery_id: int, error: str, now: dt.datetime) -> None:
        """A sent message that could not be pinned (once per delivery)."""
        ...

    async def unpinned(self) -> list[Unpinned]:
        """Chats not pinned and not reported yet, of references with nothing left to send to
        a group chat."""
        ...

    async def pins_reported(self, reference: str, now: dt.datetime) -> None:
        """Whoever asked was told (the notice is staged in this transaction)."""
        ...

    async def add(self, outgoing: Sequence[Outgoing], now: dt.datetime) -> list[int]:
        """Write deliveries (waiting, due at their `not_before` or now); their ids."""
        ...

    async def due(self, now: dt.datetime, limit: int) -> list[Delivery]:
        """Waiting deliveries whose time has come, oldest first."""
        ...

    async def next_due(self) -> dt.datetime | None:
        """When the next waiting delivery comes due, or None."""
        ...

    async def mark_sending(self, delivery_id: int, now: dt.datetime) -> None:
        """The delivery is being sent now (one attempt more)."""
        ...

    async def mark_sent(self, delivery_id: int, message_id: int, now: dt.datetime) -> None:
        """Telegram took it: its message id."""
        ...

    async def mark(
        self, sending: Sequence[int], sent: Sequence[tuple[int, int]], now: dt.datetime
    ) -> None:
        """`mark_sending` and `mark_sent` for many rows, in one transaction."""
        ...

    async def retry_later(
        self, delivery_id: int, at: dt.datetime, error: str, *, attempted: bool = True
    ) -> None:
        """Back to waiting until `at` (`attempted`: the attempt counts)."""
        ...

    async def fail(
        self, delivery_id: int, status: DeliveryStatus, error: str, now: dt.datetime
    ) -> None:
        """Give up: FAILED or BLOCKED, with the reason."""
        ...

    async def annotate(self, delivery_id: int, note: str) -> None:
        """Note something about a delivery that went out (e.g. sent to the general chat)."""
        ...

    async def migrate_chat(self, old_id: int, new_id: int, delivery_id: int) -> None:
        """A group got a new id: that delivery and the ones waiting for it go there."""
        ...

    async def requeue_sending(self) -> int:
        """After a restart: deliveries left SENDING are retried (their outcome is unknown)."""
        ...

    async def cancel(self, reference: str, now: dt.datetime) -> int:
        """Withdraw the waiting deliveries of `reference`; how many."""
        ...

    async def progress(self, reference: str) -> dict[DeliveryStatus, int]:
        """How many deliveries of `reference` are in each status."""
        ...

    async def get(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        ...

    async def by_message(self, chat_id: int, message_id: int) -> Delivery | None:
        """The delivery Telegram gave this message id."""
        ...

    async def waiting(self) -> int:
        """Deliveries waiting or being sent."""
        ...

    async def failed_since(self, since: dt.datetime) -> int:
        """Deliveries given up (failed or blocked) since then."""
        ...


class StrategyStore(Protocol):
    """What the domain needs from storage: the working groups' actions and their history."""

    async def add_action(
        self, fields: ActionFields, *, actor: int, now: dt.datetime, draft_id: int | None = None
    ) -> int:
        """Store a new action (not started), audited, forgetting the draft it came from in the
        same transaction; its id."""
        ...

    async def update_action(
        self,
        action_id: int,
        fields: ActionFields,
        *,
        actor: int,
        now: dt.datetime,
        draft_id: int | None = None,
        change: StatusChange | None = None,
        detail: str = "",
    ) -> None:
        """Replace an action's fields, audited (`detail`: which field), with a history entry
        if given and forgetting the draft; its status and history stay."""
        ...

    async def keep_draft(
        self, draft: FlowDraft, now: dt.datetime, expires: dt.datetime
    ) -> FlowDraft:
        """Store a draft (id 0: a new one, replacing the user's earlier drafts); as stored."""
        ...

    async def draft(self, draft_id: int, now: dt.datetime) -> FlowDraft | None:
        """A draft not yet expired, or None."""
        ...

    async def waiting_draft(
        self,
        user_id: int,
        chat_id: int,
        prompt_id: int | None,
        now: dt.datetime,
        asked_since: dt.datetime | None,
    ) -> FlowDraft | None:
        """The user's draft in this chat whose prompt is `prompt_id`, or (None) whose step was
        asked since `asked_since`; None when there is none."""
        ...

    async def set_draft_prompt(self, draft_id: int, user_id: int, prompt_id: int) -> None:
        """Remember the message that asked for the draft's step."""
        ...

    async def forget_draft(self, draft_id: int) -> None:
        """Forget a draft (cancelled, or its action gone)."""
        ...

    async def set_draft_asked(self, draft_id: int, asked_at: dt.datetime) -> None:
        """Move back when the draft's step was asked (a plain message then no longer answers
        it; a reply to its prompt still does)."""
        ...

    async def change_status(self, action_id: int, change: StatusChange) -> None:
        """Set the action's status and append the change to its history."""
        ...

    async def occurrence_done(self, action_id: int, change: StatusChange) -> None:
        """Append a recurring action's occurrence answered Done to its history; the action's
        own status stays (it goes on to the next occurrence)."""
        ...

    async def add_note(self, action_id: int, change: StatusChange, *, since: dt.datetime) -> None:
        """Keep a note on the action's latest entry if the actor made it after `since` with no
        note; else as a new entry (a note is never replaced)."""
        ...

    async def reschedule(self, action_id: int, timeframe: Timeframe, change: StatusChange) -> None:
        """Store a new timeframe and its history entry together."""
        ...

    async def action(self, action_id: int) -> Action | None:
        """One action, or None."""
        ...

    async def actions(self, group_id: int, cycle: int | None = None) -> list[Action]:
        """A working group's actions (of one cycle, or all), by due date, unreadable last."""
        ...

    async def unreadable(self) -> list[Action]:
        """Every action whose timeframe could not be read."""
        ...

    async def serving_count(self, recommendation_id: int) -> int:
        """How many actions serve this recommendation (one query)."""
        ...

    async def serving(self, recommendation_id: int) -> list[Action]:
        """The actions that serve this recommendation, by due date, unreadable last."""
        ...

    async def timeframes(self) -> list[tuple[int, int, ReadTimeframe]]:
        """Every action's id, cycle and timeframe as stored."""
        ...

    async def set_timeframes(self, changes: Sequence[tuple[int, ReadTimeframe]]) -> None:
        """Store timeframes read again (the words stay; what they mean changed)."""
        ...

    async def import_actions(
        self,
        inserts: Sequence[ActionFields],
        updates: Sequence[tuple[int, ActionFields]],
        *,
        actor: int,
        now: dt.datetime,
    ) -> None:
        """Add and update actions from a file in one transaction, audited once."""
        ...


class NudgeStore(Protocol):
    """What the nudges need from storage: open actions, whom to nudge, what was nudged."""

    async def open_actions(self) -> list[OpenAction]:
        """Every open action with a readable due date, with its timeframe's kind, recurrence and
        start, and the occurrences answered Done."""
        ...

    async def targets(self) -> Targets:
        """Linked chats by working group; reachable representatives of active organisations."""
        ...

    async def recorded(self, since: dt.date) -> set[tuple[int, str, dt.date]]:
        """The nudges recorded for days from `since` on: (action, kind, day)."""
        ...

    async def record(self, nudges: Sequence[Nudge], now: dt.datetime) -> None:
        """Record nudges in one transaction (deliveries staged for them commit with it);
        a nudge recorded before makes it fail whole."""
        ...

    async def nudged(self) -> dict[int, list[tuple[str, dt.date, dt.datetime]]]:
        """Each action's recorded nudges: (kind, day, when recorded)."""
        ...

    async def summary_sent(self, week: dt.date) -> bool:
        """Whether the weekly summary of the week starting `week` was sent."""
        ...

    async def record_summary(self, week: dt.date, now: dt.datetime) -> None:
        """Record the week's summary as sent (deliveries staged for it commit with it)."""
        ...

    async def languages(self, user_ids: Sequence[int]) -> dict[int, str]:
        """The stored language of each of these users that has one."""
        ...

    async def remember_prompt(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        action_id: int,
        purpose: str,
        expires: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Remember a prompt whose reply is a note or a new date for an action."""
        ...

    async def prompt(
        self, user_id: int, chat_id: int, message_id: int, now: dt.datetime
    ) -> tuple[int, str] | None:
        """The action and purpose of a prompt not yet expired, or None."""
        ...

    async def forget_prompt(self, user_id: int, chat_id: int, message_id: int) -> None:
        """Forget a prompt once answered."""
        ...


class MenuStore(Protocol):
    """What the command menus need from storage: who has (or had) a menu, and which."""

    async def menu_holders(self, user_id: int | None = None) -> list[MenuHolder]:
        """Coordinators, representatives of active organisations, translators, and whoever has
        a published menu (it may have to be taken back): everyone, or only `user_id`."""
        ...

    async def set_menu(self, user_id: int, fingerprint: str | None) -> None:
        """Remember the menu Telegram now has for the user (None: none)."""
        ...
