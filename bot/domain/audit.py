"""What the audit log records: one enum of actions, each with the label /audit shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.i18n import Localizer
from bot.domain.importer import N_


class AuditAction(StrEnum):
    """A coordinator's (or the bot's) action. The value is what the audit log stores: never
    change one, or older rows stop reading back; add a new member (and its label) instead."""

    ADD_ORGANISATION = "add organisation"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    JOIN_GROUP = "join group"
    LEAVE_GROUP = "leave group"
    REMOVE_REPRESENTATIVE = "remove representative"
    ERASE_ORGANISATION = "erase organisation"
    CREATE_INVITE = "create invite"
    REVOKE_INVITE = "revoke invite"
    JOIN_WITH_INVITE = "join with invite"
    PROMOTE = "promote"
    DEMOTE = "demote"
    LINK_CHAT = "link chat"
    UNLINK_CHAT = "unlink chat"
    OPEN_ROUND = "open round"
    CLOSE_ROUND = "close round"
    REOPEN_ROUND = "reopen round"
    PUBLISH_ROUND = "publish round"
    ADD_TO_GROUP_LIST = "add to group list"
    REMOVE_FROM_GROUP_LIST = "remove from group list"
    MEMBERS_EDIT_GROUP_LIST = "members edit group list"
    COORDINATORS_EDIT_GROUP_LIST = "only coordinators edit group list"
    CORRECT_MILESTONE = "correct milestone"
    ADD_ACTION = "add action"
    EDIT_ACTION = "edit action"
    IMPORT_STRATEGY = "import strategy"
    CREATE_BROADCAST = "create broadcast"
    EDIT_BROADCAST = "edit broadcast"
    CANCEL_BROADCAST = "cancel broadcast"
    SEND_BROADCAST = "send broadcast"
    DELETE_BROADCAST = "delete broadcast"
    DELETE_ROUND = "delete round"
    APPOINT_TRANSLATOR = "appoint translator"
    REMOVE_TRANSLATOR = "remove translator"
    IMPORT_REPORT = "import report"
    SET_RESPONSES = "set responses"
    SET_CURRENT_CYCLE = "set current cycle"

    @property
    def label(self) -> str:
        """What /audit shows for it: a gettext msgid, translated where it is shown."""
        return _LABELS[self]


# Actions whose stored detail is a working group's id, or "chat/thread:group id" for a link.
_GROUP_DETAIL = frozenset(
    {
        AuditAction.JOIN_GROUP,
        AuditAction.LEAVE_GROUP,
        AuditAction.MEMBERS_EDIT_GROUP_LIST,
        AuditAction.COORDINATORS_EDIT_GROUP_LIST,
    }
)


def sent_occurrence(action: AuditAction, detail: str) -> tuple[int, dt.datetime] | None:
    """A "sent broadcast" entry's broadcast and occurrence time (stored as "<id>:<UTC minute>"),
    or None for any other entry."""
    broadcast, colon, key = detail.partition(":")
    if action is not AuditAction.SEND_BROADCAST or not colon or not broadcast.isdigit():
        return None
    try:
        moment = dt.datetime.strptime(key, "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return int(broadcast), moment


@dataclass(frozen=True)
class AuditNames:
    """What the ids in the log stand for, read when it is shown: people's names, round titles,
    group chats' titles, working groups' names (English, Khmer)."""

    people: Mapping[int, str] = field(default_factory=dict)
    rounds: Mapping[int, str] = field(default_factory=dict)
    chats: Mapping[int, str] = field(default_factory=dict)  # linked or lost ("": no title)
    groups: Mapping[int, tuple[str, str]] = field(default_factory=dict)

    def group(self, group_id: int, language: str) -> str | None:
        """A working group's name in the reader's language, if it still exists."""
        names = self.groups.get(group_id)
        return None if names is None else names[1] if language == "km" else names[0]


# Actions whose stored detail is a person's Telegram id, or a round's id.
_PERSON_DETAIL = frozenset(
    {
        AuditAction.PROMOTE,
        AuditAction.DEMOTE,
        AuditAction.REMOVE_REPRESENTATIVE,
        AuditAction.APPOINT_TRANSLATOR,
        AuditAction.REMOVE_TRANSLATOR,
    }
)
_ROUND_DETAIL = frozenset(
    {
        AuditAction.CLOSE_ROUND,
        AuditAction.REOPEN_ROUND,
        AuditAction.PUBLISH_ROUND,
        AuditAction.OPEN_ROUND,
        AuditAction.DELETE_ROUND,
    }
)


def zone_name(l10n: Localizer, tz: dt.tzinfo) -> str:
    """'Phnom Penh' (in Khmer 'ម៉ោងភ្នំពេញ') for Asia/Phnom_Penh, else the zone's own name
    ('Bangkok'): how times are labelled."""
    if str(tz) == "Asia/Phnom_Penh":
        # TRANSLATORS: the time zone named after a time: '09:00 (Phnom Penh)'.
        return l10n.gettext("Phnom Penh")
    return str(tz).rpartition("/")[2].replace("_", " ")


def moment(l10n: Localizer, tz: dt.tzinfo, at: dt.datetime) -> str:
    """'24 Nov 2026, 09:00 (Phnom Penh)': a moment in the coalition's time, labelled so."""
    # TRANSLATORS: a moment and the time zone it is in: '24 Nov 2026, 09:00 (Phnom Penh)'.
    return l10n.gettext("{time} ({zone})").format(
        time=l10n.datetime(at, tz), zone=zone_name(l10n, tz)
    )


def person_name(l10n: Localizer, user_id: int, names: AuditNames) -> str:
    """A person by name ('the bot' for actor 0); one whose name is not known by their id."""
    if user_id == 0:
        return l10n.gettext("the bot")
    return names.people.get(user_id) or l10n.gettext("someone (id {id})").format(
        id=user_id  # a Telegram id is an identifier: Latin digits
    )


def _chat(l10n: Localizer, chat_id: str, names: AuditNames) -> str:
    title = names.chats.get(int(chat_id)) if chat_id.lstrip("-").isdigit() else None
    if title is None:
        return l10n.gettext("a group chat no longer linked")
    return f"«{title}»" if title else l10n.gettext("a group chat")


def render_detail(
    l10n: Localizer, action: AuditAction, detail: str, names: AuditNames, tz: dt.tzinfo
) -> str:
    """The stored detail in names, in the reader's language: never a raw chat, person, round
    or working-group id. Anything else (a count, numbers, a note) stays as stored."""
    sent = sent_occurrence(action, detail)
    if sent is not None:
        return l10n.gettext("broadcast {id} of {time}").format(
            id=l10n.number(sent[0]), time=moment(l10n, tz, sent[1])
        )
    if action in (AuditAction.LINK_CHAT, AuditAction.UNLINK_CHAT):
        chat, group = detail.partition("/")[0], detail.rpartition(":")[2]
        where = _chat(l10n, chat, names)
        name = (
            names.group(int(group), l10n.language) if ":" in detail and group.isdigit() else None
        )
        return f"{where} → {name}" if name else where
    if action in _GROUP_DETAIL and detail.isdigit():
        return names.group(int(detail), l10n.language) or l10n.gettext("a deleted working group")
    if action in _PERSON_DETAIL and detail.isdigit():
        return person_name(l10n, int(detail), names)
    if action in _ROUND_DETAIL:
        number, _, written = detail.partition(":")
        if number.isdigit():
            title = names.rounds.get(int(number)) or written.strip()
            if not title:
                return l10n.gettext("round {id}").format(id=l10n.digits(number))
            return l10n.gettext("round {id} «{name}»").format(id=l10n.digits(number), name=title)
    return detail


_LABELS = {
    AuditAction.ADD_ORGANISATION: N_("added organisation"),
    AuditAction.ACTIVATE: N_("reactivated organisation"),
    AuditAction.DEACTIVATE: N_("deactivated organisation"),
    AuditAction.JOIN_GROUP: N_("put organisation in working group"),
    AuditAction.LEAVE_GROUP: N_("took organisation out of working group"),
    AuditAction.REMOVE_REPRESENTATIVE: N_("removed representative"),
    AuditAction.ERASE_ORGANISATION: N_("erased organisation"),
    AuditAction.CREATE_INVITE: N_("created invite"),
    AuditAction.REVOKE_INVITE: N_("revoked invite"),
    AuditAction.JOIN_WITH_INVITE: N_("joined with an invite"),
    AuditAction.PROMOTE: N_("made coordinator"),
    AuditAction.DEMOTE: N_("removed coordinator"),
    AuditAction.LINK_CHAT: N_("linked chat to working group"),
    AuditAction.UNLINK_CHAT: N_("removed chat link"),
    AuditAction.OPEN_ROUND: N_("opened assessment round"),
    AuditAction.CLOSE_ROUND: N_("closed assessment round"),
    AuditAction.REOPEN_ROUND: N_("reopened assessment round"),
    AuditAction.PUBLISH_ROUND: N_("published assessment round"),
    AuditAction.ADD_TO_GROUP_LIST: N_("added to working group's list"),
    AuditAction.REMOVE_FROM_GROUP_LIST: N_("removed from working group's list"),
    AuditAction.MEMBERS_EDIT_GROUP_LIST: N_("let members edit working group's list"),
    AuditAction.COORDINATORS_EDIT_GROUP_LIST: N_(
        "let only coordinators edit working group's list"
    ),
    AuditAction.CORRECT_MILESTONE: N_("corrected a cycle's milestone"),
    AuditAction.ADD_ACTION: N_("added an action to a strategy"),
    AuditAction.EDIT_ACTION: N_("edited an action of a strategy"),
    AuditAction.IMPORT_STRATEGY: N_("imported a strategy file"),
    AuditAction.CREATE_BROADCAST: N_("created broadcast"),
    AuditAction.EDIT_BROADCAST: N_("edited broadcast"),
    AuditAction.CANCEL_BROADCAST: N_("cancelled broadcast"),
    AuditAction.SEND_BROADCAST: N_("sent broadcast"),
    AuditAction.DELETE_BROADCAST: N_("deleted broadcast from every chat"),
    AuditAction.DELETE_ROUND: N_("deleted assessment round (it had no ratings)"),
    AuditAction.APPOINT_TRANSLATOR: N_("appointed translator"),
    AuditAction.REMOVE_TRANSLATOR: N_("removed translator"),
    AuditAction.IMPORT_REPORT: N_("imported a Working Group report"),
    AuditAction.SET_RESPONSES: N_("set responses to recommendations"),
    AuditAction.SET_CURRENT_CYCLE: N_("changed the current cycle"),
}
