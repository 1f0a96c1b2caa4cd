"""The broadcast service: drafts, confirmation, the sweep that hands due occurrences to the
outbox, cancelling, acknowledgements and reports. Coordinators only, except acknowledging."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.domain.broadcast import (
    DRAFT_TTL,
    INPUT_WAIT,
    RECENT,
    AlreadyStarted,
    Audience,
    Broadcast,
    BroadcastStatus,
    Choice,
    Draft,
    DraftInProgress,
    IncompleteDraft,
    NobodyToReach,
    NoDraft,
    Reach,
    Recipient,
    Report,
    UnknownBroadcast,
    Version,
    choose,
    choose_version,
    reference,
)
from bot.domain.clock import Clock
from bot.domain.coalition import Coalition
from bot.domain.membership import Role
from bot.domain.outbox import Button, Content, DeliveryStatus, Job, Outbox, Outgoing, stage
from bot.domain.repositories import BroadcastStore
from bot.domain.schedule import occurrence_key

log = logging.getLogger(__name__)

# The "✓ Got it" button, built by the composition root from the handlers' payload:
# (broadcast id, occurrence key, reader's language) -> button.
AckButton = Callable[[int, str, str], Button]


def content_of(
    version: Version,
    *,
    silent: bool,
    pin: bool,
    ack: Button | None,
) -> Content:
    """What one recipient gets: the version as the coordinator wrote it, with the options."""
    return Content(
        text=version.text,
        entities=version.entities,
        photo=version.photo,
        document=version.document,
        buttons=((ack,),) if ack is not None else (),
        silent=silent,
        pin=pin,
    )


class Broadcasts:
    """Coordinators' broadcasts, from draft to report."""

    def __init__(
        self,
        store: BroadcastStore,
        outbox: Outbox,
        coalition: Coalition,
        clock: Clock,
        tz: dt.tzinfo,
        default_language: str,
        ack_button: AckButton,
    ) -> None:
        """Wire the store, the outbox, the coalition (roles), the clock and the settings."""
        self.store = store
        self.outbox = outbox
        self.coalition = coalition
        self.clock = clock
        self.tz = tz
        self.default_language = default_language
        self.ack_button = ack_button

    # --- composing -------------------------------------------------------------------------
    async def draft(self, actor: int) -> Draft | None:
        """The coordinator's unexpired draft, if any."""
        await self.coalition.require_coordinator(actor)
        return await self.store.draft(actor, self.clock.now())

    async def pending_input(self, user_id: int) -> Draft | None:
        """The coordinator's draft when it waits for what they send next (their message, a
        typed time) and was changed in the last INPUT_WAIT; None for everyone else (what
        they send is then an ordinary message, a lookup)."""
        # A draft expires DRAFT_TTL after its last change: changed within INPUT_WAIT, it
        # still lives at now + DRAFT_TTL - INPUT_WAIT.
        draft = await self.store.draft(user_id, self.clock.now() + DRAFT_TTL - INPUT_WAIT)
        if draft is None or not draft.step.waits_for_input:
            return None
        return draft if await self.coalition.role(user_id) is Role.COORDINATOR else None

    async def stop_waiting(self, user_id: int) -> bool:
        """Another prompt of the bot now waits for this person's text: the newest prompt wins,
        so a draft waiting for their message stops waiting (it is kept: /broadcast picks it
        up). True when one was waiting."""
        draft = await self.pending_input(user_id)
        if draft is None:
            return False
        now = self.clock.now()
        await self.store.save_draft(user_id, draft, now - INPUT_WAIT - dt.timedelta(seconds=1))
        return True

    async def save(self, actor: int, draft: Draft) -> Draft:
        """Store the draft as it is now (a restart mid-compose loses nothing)."""
        await self.coalition.require_coordinator(actor)
        await self.store.save_draft(actor, draft, self.clock.now())
        return draft

    async def choose(self, actor: int, choice: Choice, value: int | None) -> Draft | None:
        """A composer button pressed: the draft after it (stored), or None when it does not
        fit the draft (nothing changes). NoDraft when the draft expired."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        draft = await self.store.draft(actor, now)
        if draft is None:
            raise NoDraft
        changed = choose(draft, choice, value, now, self.tz)
        if changed is not None:
            await self.store.save_draft(actor, changed, now)
        return changed

    async def discard(self, actor: int) -> None:
        """Drop the coordinator's draft."""
        await self.coalition.require_coordinator(actor)
        await self.store.drop_draft(actor)

    async def edit(self, actor: int, broadcast_id: int) -> Draft:
        """A draft to edit a scheduled broadcast with; DraftInProgress when the coordinator is
        writing another one (it is never replaced silently)."""
        await self.coalition.require_coordinator(actor)
        current = await self.store.draft(actor, self.clock.now())
        begun = current is not None and (current.versions or current.audience_chosen)
        if begun and current is not None and current.editing != broadcast_id:
            raise DraftInProgress
        broadcast = await self.store.get(broadcast_id)
        if broadcast is None or broadcast.status is not BroadcastStatus.SCHEDULED:
            raise UnknownBroadcast(broadcast_id)
        draft = Draft(
            audience=broadcast.audience,
            versions=broadcast.versions,
            send_at=broadcast.send_at,
            recurrence=broadcast.recurrence,
            options=broadcast.options,
            editing=broadcast.id,
            audience_chosen=True,
        )
        await self.store.save_draft(actor, draft, self.clock.now())
        return draft

    async def reach(self, actor: int, audience: Audience) -> Reach:
        """How many chats an audience reaches now, and who cannot be reached."""
        await self.coalition.require_coordinator(actor)
        return await self.store.reach(audience)

    def preview(self, draft: Draft, language: str) -> Content:
        """The draft's message exactly as a reader of `language` will get it."""
        if not draft.versions:
            raise IncompleteDraft
        version = choose_version(draft.versions, language, self.default_language)
        ack = self.ack_button(0, "0", language) if draft.options.ack else None
        return content_of(version, silent=draft.options.silent, pin=False, ack=ack)

    async def confirm(self, actor: int, draft: Draft) -> Broadcast:
        """Schedule the draft (or save the edit of a scheduled broadcast); the next sweep sends
        what is due. The draft is consumed in the same transaction: DraftGone for a second
        press; NobodyToReach when the audience reaches no chat."""
        await self.coalition.require_coordinator(actor)
        if not draft.versions or not draft.has_audience:
            raise IncompleteDraft
        if not (await self.store.reach(draft.audience)).recipients:
            raise NobodyToReach
        now = self.clock.now()
        if draft.editing is not None:
            if not await self.store.update(draft.editing, draft, actor=actor, now=now):
                raise UnknownBroadcast(draft.editing)
            broadcast_id = draft.editing
        else:
            broadcast_id = await self.store.create(draft, actor=actor, now=now)
        broadcast = await self.store.get(broadcast_id)
        if broadcast is None:  # pragma: no cover - written just now
            raise UnknownBroadcast(broadcast_id)
        return broadcast

    async def set_report_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Where the coordinator watches progress: this message is edited as it goes out."""
        await self.store.set_report_message(broadcast_id, chat_id, message_id)

    # --- sending ----------------------------------------------------------------------------
    async def sweep(self) -> list[Broadcast]:
        """Hand every due occurrence to the outbox, once: one delivery per recipient, written
        in the same transaction as the occurrence. Idempotent; the job queue only triggers it."""
        now = self.clock.now()
        started: list[Broadcast] = []
        for broadcast in await self.store.scheduled():
            occurrence = broadcast.due(now, self.tz)
            if occurrence is None:
                if broadcast.recurrence is not None and not broadcast.next_times(now, 1, self.tz):
                    await self.store.finish(broadcast.id)  # its end date has passed
                continue
            reach = await self.store.reach(broadcast.audience)
            outgoing = [self._outgoing(broadcast, occurrence, r) for r in reach.recipients]
            try:
                async with self.outbox.along():
                    stage(*outgoing)
                    await self.store.start_occurrence(
                        broadcast.id,
                        occurrence,
                        finished=broadcast.finished_after(occurrence, self.tz),
                        unreached=reach.unreached_ids,
                        now=now,
                    )
            except AlreadyStarted:
                continue
            self.outbox.notify()
            log.info("broadcast %d: %d deliveries staged", broadcast.id, len(outgoing))
            started.append(broadcast)
        return started

    def _outgoing(
        self, broadcast: Broadcast, occurrence: dt.datetime, recipient: Recipient
    ) -> Outgoing:
        language = recipient.language or self.default_language
        version = choose_version(broadcast.versions, language, self.default_language)
        ack = (
            self.ack_button(broadcast.id, occurrence_key(occurrence), language)
            if broadcast.options.ack
            else None
        )
        content = content_of(
            version,
            silent=broadcast.options.silent,
            pin=broadcast.options.pin and recipient.group,
            ack=ack,
        )
        return Outgoing(
            chat_id=recipient.chat_id,
            content=content,
            job=Job.BROADCAST,
            topic_id=recipient.topic_id,
            language=language,
            reference=reference(broadcast.id, occurrence),
            organisation_id=recipient.organisation_id,
        )

    # --- afterwards -------------------------------------------------------------------------
    async def listing(self, actor: int) -> list[Broadcast]:
        """Scheduled broadcasts and those sent in the last month, newest first."""
        await self.coalition.require_coordinator(actor)
        return await self.store.listing(self.clock.now() - RECENT)

    async def get(self, actor: int, broadcast_id: int) -> Broadcast:
        """One broadcast."""
        await self.coalition.require_coordinator(actor)
        broadcast = await self.store.get(broadcast_id)
        if broadcast is None:
            raise UnknownBroadcast(broadcast_id)
        return broadcast

    async def cancel(self, actor: int, broadcast_id: int) -> int:
        """Stop a broadcast: no further occurrence, and waiting deliveries withdrawn at once;
        how many were withdrawn."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        if not await self.store.set_status(
            broadcast_id, BroadcastStatus.CANCELLED, actor=actor, now=now
        ):
            raise UnknownBroadcast(broadcast_id)
        withdrawn = 0
        for occurrence in await self.store.occurrences(broadcast_id):
            withdrawn += await self.outbox.cancel(reference(broadcast_id, occurrence))
        return withdrawn

    async def delete_sent(self, actor: int, broadcast_id: int) -> list[tuple[int, int]]:
        """Mark a sent broadcast deleted (waiting deliveries withdrawn); the (chat, message)
        pairs to delete from every chat."""
        await self.coalition.require_coordinator(actor)
        now = self.clock.now()
        occurrences = await self.store.occurrences(broadcast_id)
        if not occurrences or not await self.store.set_status(
            broadcast_id, BroadcastStatus.DELETED, actor=actor, now=now
        ):
            raise UnknownBroadcast(broadcast_id)
        for occurrence in occurrences:
            await self.outbox.cancel(reference(broadcast_id, occurrence))
        return await self.store.sent_messages(broadcast_id)

    async def acknowledge(self, user_id: int, broadcast_id: int, occurrence: str) -> bool:
        """Someone pressed "✓ Got it"; True the first time they did for this occurrence."""
        return await self.store.acknowledge(broadcast_id, occurrence, user_id, self.clock.now())

    async def report(self, actor: int, broadcast_id: int) -> Report:
        """How a broadcast went: its latest occurrence's deliveries, acknowledgements, and the
        organisations that could not be reached."""
        await self.coalition.require_coordinator(actor)
        return await self._report(broadcast_id)

    async def _report(self, broadcast_id: int) -> Report:
        broadcast = await self.store.get(broadcast_id)
        if broadcast is None:
            raise UnknownBroadcast(broadcast_id)
        counts: dict[DeliveryStatus, int] = {}
        if broadcast.last_occurrence is not None:
            counts = await self.outbox.progress(reference(broadcast_id, broadcast.last_occurrence))
        return Report(
            broadcast,
            sent=counts.get(DeliveryStatus.SENT, 0),
            waiting=counts.get(DeliveryStatus.WAITING, 0) + counts.get(DeliveryStatus.SENDING, 0),
            failed=counts.get(DeliveryStatus.FAILED, 0) + counts.get(DeliveryStatus.BLOCKED, 0),
            cancelled=counts.get(DeliveryStatus.CANCELLED, 0),
            acknowledged=await self.store.acknowledgements(
                broadcast_id, broadcast.last_occurrence
            ),
            unreached=await self.store.unreached(broadcast_id),
            acknowledged_by=await self.store.acknowledgers(
                broadcast_id, broadcast.last_occurrence
            ),
        )

    async def watched(self) -> list[Report]:
        """The reports of broadcasts whose coordinator's message still shows progress; once a
        report is done it is returned one last time and no longer watched. Someone who is no
        longer a coordinator gets no more reports."""
        reports = []
        for broadcast_id in await self.store.watched():
            report = await self._report(broadcast_id)
            watcher = report.broadcast.report_chat  # the coordinator's private chat: their id
            if watcher is None or await self.coalition.role(watcher) is not Role.COORDINATOR:
                await self.store.unwatch(broadcast_id)  # no longer a coordinator: no report
                continue
            if report.done:
                await self.store.unwatch(broadcast_id)
            reports.append(report)
        return reports
