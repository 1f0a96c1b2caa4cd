"""What the audit log records: one enum of actions, each with the label /audit shows."""

from __future__ import annotations

from enum import StrEnum

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


def render_detail(action: AuditAction, detail: str, group_names: dict[int, str]) -> str:
    """The stored detail as /audit shows it: a working group's id becomes its name (in the
    reader's language); anything else, or a group since deleted, stays as stored."""
    chat, colon, group = (
        detail.rpartition(":") if action is AuditAction.LINK_CHAT else ("", "", "")
    )
    if colon and group.isdigit() and int(group) in group_names:
        return f"{chat}: {group_names[int(group)]}"
    if action in _GROUP_DETAIL and detail.isdigit():
        return group_names.get(int(detail), detail)
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
}
