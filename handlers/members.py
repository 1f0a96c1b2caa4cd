"""Membership from chat: invites, /me, organisations, roles, audit (coordinators' buttons)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.domain.arguments import whole_number
from bot.domain.coalition import Invite, Joined
from bot.domain.i18n import Localizer
from bot.domain.membership import (
    DuplicateOrganisation,
    LastCoordinator,
    NotAllowed,
    Organisation,
    Person,
    Role,
    UnknownGroup,
    UnknownOrganisation,
)
from handlers.access import Press
from handlers.callbacks import (
    CallbackData,
    OrgActive,
    OrgButton,
    OrgGroup,
    OrgGroupsPage,
    OrgList,
    OrgRemoveRep,
    OrgRepsPage,
    OrgView,
    RevokeInvite,
)
from handlers.commands import sync_menus
from handlers.common import (
    BotContext,
    answering_not_allowed,
    name_of,
    not_allowed,
    reader,
)
from handlers.lookup import edit
from handlers.render import escape, page_of, paged_buttons


def _when(l10n: Localizer, context: BotContext, moment: dt.datetime) -> str:
    return l10n.datetime(moment, context.services.settings.timezone)


def invite_text(l10n: Localizer, context: BotContext, invite: Invite) -> str:
    """The message a coordinator forwards to the organisation's representative."""
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    return "\n".join(
        [
            "<b>"
            + escape(l10n.gettext("Invite for {org}").format(org=invite.organisation.short_name))
            + "</b>",
            escape(link),
            "",
            escape(
                l10n.gettext(
                    "Valid once, until {time}. Send it only to the person who will represent {org}: "
                    "whoever opens it first becomes its representative."
                ).format(
                    time=_when(l10n, context, invite.expires), org=invite.organisation.short_name
                )
            ),
        ]
    )


def _invite_markup(l10n: Localizer, invite: Invite) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Revoke this invite"),
                    callback_data=RevokeInvite(invite.id).pack(),
                )
            ]
        ]
    )


async def join_with_code(
    update: Update, context: BotContext, code: str, languages: InlineKeyboardMarkup | None = None
) -> None:
    """/start <code>: redeem an invite; every failure says why, in the user's language. The
    welcome offers `languages` (English / ខ្មែរ) at once."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    l10n = await reader(update, context)
    joining = await context.services.coalition.redeem(
        user.id, name_of(user), l10n.language, code, user.first_name
    )
    texts = {
        Joined.EXPIRED: l10n.gettext(
            "This invite link has expired. Ask a coordinator for a new one."
        ),
        Joined.USED: l10n.gettext(
            "This invite link has already been used. Ask a coordinator for a new one."
        ),
        Joined.REVOKED: l10n.gettext(
            "This invite link was cancelled. Ask a coordinator for a new one."
        ),
        Joined.INVALID: l10n.gettext(
            "This invite link is not valid. Check that you opened the whole link, or ask a "
            "coordinator for a new one."
        ),
        Joined.ALREADY: l10n.gettext(
            "You already represent {org}. A person can represent only one organisation; ask a "
            "coordinator to remove you from {org} first."
        ),
        Joined.JOINED: l10n.gettext(
            "Welcome! You now represent {org} ({name}) in the coalition. Send /me to see your "
            "working groups, /help for what you can do."
        ),
    }
    text = texts[joining.result].format(org=joining.short_name, name=joining.name)
    if joining.result is not Joined.JOINED or languages is None:
        await message.reply_text(escape(text))
        return
    ask = l10n.gettext("Choose your language:")
    await message.reply_text(escape(text + "\n\n" + ask), reply_markup=languages)


@answering_not_allowed
async def me(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """What the bot knows about the user: role, organisation, groups. Nothing else is stored."""
    coalition = context.services.coalition
    role = await coalition.role(user.id)
    lines = [escape(l10n.gettext("Your Telegram id: {id}").format(id=user.id))]
    if role is Role.COORDINATOR:
        lines.append(escape(l10n.gettext("You are a coordinator.")))
    org = await coalition.own_organisation(user.id)
    if org is not None:
        groups = {g.id: g for g in await coalition.working_groups()}
        names = "; ".join(groups[g].name(l10n.language) for g in org.group_ids if g in groups)
        status = "" if org.active else " " + l10n.gettext("(inactive)")
        lines.append(
            escape(
                l10n.gettext("You represent {org} ({name}).").format(
                    org=org.short_name, name=org.name
                )
                + status
            )
        )
        lines.append(
            escape(
                l10n.gettext("Working groups: {groups}").format(
                    groups=names or l10n.gettext("none yet")
                )
            )
        )
    elif role is Role.GUEST:
        lines.append(
            escape(
                l10n.gettext(
                    "You are a guest: you can look up recommendations. To represent your organisation, "
                    "ask a coordinator for an invite link."
                )
            )
        )
    await message.reply_text("\n".join(lines))


@answering_not_allowed
async def add_org(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/addorg SHORTNAME Full name: create an organisation and send its first invite, then (in
    private) its working-group buttons, to choose them in the same step."""
    parts = (message.text or "").split(maxsplit=2)
    if len(parts) < 3 or len(parts[1]) > 20 or len(parts[2]) > 200:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Write the short name and the full name, for example:\n"
                    "/addorg ADHOC Cambodian Human Rights and Development Association"
                )
            )
        )
        return
    try:
        invite = await context.services.coalition.add_organisation(user.id, parts[1], parts[2])
    except DuplicateOrganisation:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "There is already an organisation called {org}. Open it with /orgs to invite "
                    "someone."
                ).format(org=parts[1])
            )
        )
        return
    await message.reply_text(
        invite_text(l10n, context, invite), reply_markup=_invite_markup(l10n, invite)
    )
    if message.chat.type == "private":  # in the same step: its working groups (tap several)
        text, markup = await _groups_panel(l10n, context, user.id, invite.organisation.id)
        await message.reply_text(text, reply_markup=markup, do_quote=False)


def _org_line(l10n: Localizer, org: Organisation) -> str:
    """An organisation's button: its short name, how many representatives, ⏸ if paused."""
    count = l10n.number(len(org.representatives))
    return f"{org.short_name} ({count})" + ("" if org.active else " ⏸")


ORGS_PER_PAGE = 40  # Telegram shows at most 100 buttons under one message


async def _org_list(
    l10n: Localizer, context: BotContext, actor: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    orgs = await context.services.coalition.organisations(actor)
    if not orgs:
        return escape(l10n.gettext("No organisations yet. Add one with /addorg.")), None
    text = escape(
        l10n.ngettext(
            "{count} member organisation. Tap one to manage it.",
            "{count} member organisations. Tap one to manage it.",
            len(orgs),
        ).format(count=l10n.number(len(orgs)))
    )
    buttons = [
        InlineKeyboardButton(
            _org_line(l10n, o), callback_data=OrgButton(OrgView.PANEL, o.id).pack()
        )
        for o in orgs
    ]
    rows = paged_buttons(l10n, buttons, page, OrgList, size=ORGS_PER_PAGE, width=2)
    return text, InlineKeyboardMarkup(rows)


@answering_not_allowed
async def orgs(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/orgs: coordinators see every organisation, as buttons (private chat only)."""
    text, markup = await _org_list(l10n, context, user.id)
    await message.reply_text(text, reply_markup=markup)


def _person_line(l10n: Localizer, context: BotContext, person: Person) -> str:
    name = person.display_name or l10n.gettext("(no name)")
    line = f"{name} · {person.user_id}"
    if person.unreachable_since is not None:
        line += " · ⚠ " + l10n.gettext("blocked the bot on {time}").format(
            time=_when(l10n, context, person.unreachable_since)
        )
    return line


async def _org_panel(
    l10n: Localizer, context: BotContext, actor: int, org_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    coalition = context.services.coalition
    org = await coalition.organisation(actor, org_id)
    groups = {g.id: g for g in await coalition.working_groups()}
    reps = [_person_line(l10n, context, p) for p in org.representatives]
    lines = [
        f"<b>{escape(org.short_name)}</b> — {escape(org.name)}",
        escape(
            l10n.gettext("Active")
            if org.active
            else l10n.gettext("Inactive: its representatives act as guests")
        ),
        "",
        "<b>" + escape(l10n.gettext("Representatives")) + "</b>",
        *(escape(r) for r in reps or [l10n.gettext("none yet: send them an invite")]),
        "",
        "<b>" + escape(l10n.gettext("Working groups")) + "</b>",
        escape(
            "; ".join(groups[g].name(l10n.language) for g in org.group_ids if g in groups)
            or l10n.gettext("none yet")
        ),
    ]
    rows = [
        [
            InlineKeyboardButton(
                l10n.gettext("New invite link"),
                callback_data=OrgButton(OrgView.INVITE, org.id).pack(),
            ),
            InlineKeyboardButton(
                l10n.gettext("Working groups"),
                callback_data=OrgButton(OrgView.GROUPS, org.id).pack(),
            ),
        ],
        [
            InlineKeyboardButton(
                l10n.gettext("Remove a representative"),
                callback_data=OrgButton(OrgView.REPRESENTATIVES, org.id).pack(),
            )
        ]
        if org.representatives
        else [],
        [
            InlineKeyboardButton(
                l10n.gettext("Deactivate") if org.active else l10n.gettext("Reactivate"),
                callback_data=OrgActive(org.id, not org.active).pack(),
            ),
            InlineKeyboardButton(
                l10n.gettext("Erase all its data…"),
                callback_data=OrgButton(OrgView.ERASE_QUESTION, org.id).pack(),
            ),
        ],
        [
            InlineKeyboardButton(
                l10n.gettext("« All organisations"), callback_data=OrgList().pack()
            )
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup([r for r in rows if r])


OrgPayload = TypeVar("OrgPayload", bound=CallbackData)


def _org_press(
    action: Callable[[Press[OrgPayload], BotContext], Coroutine[Any, Any, None]],
) -> Callable[[Press[OrgPayload], BotContext], Coroutine[Any, Any, None]]:
    """A coordinator's organisation button: the role checked again, vanished data answered."""

    @functools.wraps(action)
    async def handler(press: Press[OrgPayload], context: BotContext) -> None:
        try:
            await context.services.coalition.require_coordinator(press.user.id)
            await action(press, context)
        except NotAllowed:
            await press.query.answer(not_allowed(press.l10n), show_alert=True)
        except UnknownOrganisation:
            await press.query.answer(
                press.l10n.gettext("This organisation no longer exists."), show_alert=True
            )
        except UnknownGroup:
            await press.query.answer(
                press.l10n.gettext("This working group no longer exists."), show_alert=True
            )

    return handler


async def _show(press: Press[Any], content: tuple[str, InlineKeyboardMarkup | None]) -> None:
    await press.query.answer()
    await edit(press.message, *content)


@_org_press
async def on_org_list(press: Press[OrgList], context: BotContext) -> None:
    """Back to every organisation."""
    page = press.data.page or 0
    await _show(press, await _org_list(press.l10n, context, press.user.id, page))


@_org_press
async def on_org_button(press: Press[OrgButton], context: BotContext) -> None:
    """Open one of an organisation's panels, make an invite, or erase it."""
    l10n, user_id, org_id = press.l10n, press.user.id, press.data.org
    coalition = context.services.coalition
    match press.data.view:
        case OrgView.PANEL:
            await _show(press, await _org_panel(l10n, context, user_id, org_id))
        case OrgView.GROUPS:
            await _show(press, await _groups_panel(l10n, context, user_id, org_id))
        case OrgView.REPRESENTATIVES:
            await _show(press, await _reps_panel(l10n, context, user_id, org_id))
        case OrgView.ERASE_QUESTION:
            await _show(press, await _erase_question(l10n, context, user_id, org_id))
        case OrgView.INVITE:
            invite = await coalition.invite(user_id, org_id)
            await press.query.answer()
            await press.message.reply_text(
                invite_text(l10n, context, invite), reply_markup=_invite_markup(l10n, invite)
            )
        case OrgView.ERASE:
            name = await coalition.erase(user_id, org_id)
            await press.query.answer(l10n.gettext("Erased."))
            await edit(
                press.message,
                escape(
                    l10n.gettext(
                        "{name} and all its data were erased. Its representatives are now guests."
                    ).format(name=name)
                ),
                None,
            )


@_org_press
async def on_org_active(press: Press[OrgActive], context: BotContext) -> None:
    """Deactivate or reactivate an organisation, then show its panel."""
    user_id, org_id = press.user.id, press.data.org
    await context.services.coalition.set_active(user_id, org_id, press.data.active)
    for person in (await context.services.coalition.organisation(user_id, org_id)).representatives:
        await sync_menus(context.bot, context.services, person.user_id)  # /rate comes or goes
    await _show(press, await _org_panel(press.l10n, context, user_id, org_id))


@_org_press
async def on_org_group(press: Press[OrgGroup], context: BotContext) -> None:
    """Add an organisation to a working group or take it out, then redraw the groups."""
    user_id, org_id = press.user.id, press.data.org
    await context.services.coalition.toggle_group(user_id, org_id, press.data.group)
    page = press.data.page or 0
    await _show(press, await _groups_panel(press.l10n, context, user_id, org_id, page))


@_org_press
async def on_org_groups_page(press: Press[OrgGroupsPage], context: BotContext) -> None:
    """◀ ▶ under an organisation's working groups."""
    user_id, org_id = press.user.id, press.data.org
    view = await _groups_panel(press.l10n, context, user_id, org_id, press.data.page)
    await _show(press, view)


@_org_press
async def on_remove_rep(press: Press[OrgRemoveRep], context: BotContext) -> None:
    """Remove a representative, then show the organisation's panel."""
    user_id, org_id = press.user.id, press.data.org
    await context.services.coalition.remove_representative(user_id, org_id, press.data.user)
    await sync_menus(context.bot, context.services, press.data.user)  # a guest's menu at once
    await _show(press, await _org_panel(press.l10n, context, user_id, org_id))


@_org_press
async def on_reps_page(press: Press[OrgRepsPage], context: BotContext) -> None:
    """◀ ▶ under an organisation's representatives to remove."""
    user_id, org_id = press.user.id, press.data.org
    await _show(press, await _reps_panel(press.l10n, context, user_id, org_id, press.data.page))


@_org_press
async def on_revoke_invite(press: Press[RevokeInvite], context: BotContext) -> None:
    """Revoke an unused invite link, and mark its message."""
    l10n = press.l10n
    revoked = await context.services.coalition.revoke(press.user.id, press.data.invite)
    await press.query.answer(
        l10n.gettext("Invite revoked.")
        if revoked
        else l10n.gettext("This invite was already used or revoked."),
        show_alert=not revoked,
    )
    if revoked:
        await edit(
            press.message,
            press.message.text_html + "\n\n<b>" + escape(l10n.gettext("Revoked.")) + "</b>",
            None,
        )


async def _erase_question(
    l10n: Localizer, context: BotContext, actor: int, org_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    org = await context.services.coalition.organisation(actor, org_id)
    text = escape(
        l10n.gettext(
            "Erase {org} entirely? Its name, its representatives' link and names, its invites "
            "and its name in the audit log are deleted; its ratings are kept only as "
            "anonymous counts. This cannot be undone."
        ).format(org=org.short_name)
        + " "
        + l10n.ngettext(
            "Backups already taken still hold its data; the last of them is deleted after "
            "{days} day.",
            "Backups already taken still hold its data; the last of them is deleted after "
            "{days} days.",
            context.services.settings.backup_keep,
        ).format(days=l10n.number(context.services.settings.backup_keep))
    )
    return text, InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    l10n.gettext("Yes, erase {org}").format(org=org.short_name),
                    callback_data=OrgButton(OrgView.ERASE, org.id).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    l10n.gettext("Cancel"), callback_data=OrgButton(OrgView.PANEL, org.id).pack()
                )
            ],
        ]
    )


GROUPS_PER_PAGE = 20


async def _groups_panel(
    l10n: Localizer, context: BotContext, actor: int, org_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """An organisation's working groups to tap in or out, twenty a page (◀ ▶), then Done."""
    coalition = context.services.coalition
    org = await coalition.organisation(actor, org_id)
    groups = await coalition.working_groups()
    page = page_of(groups, page, GROUPS_PER_PAGE)[1]
    buttons = [
        InlineKeyboardButton(
            ("✓ " if g.id in org.group_ids else "") + g.name(l10n.language),
            callback_data=OrgGroup(org.id, g.id, page or None).pack(),
        )
        for g in groups
    ]
    rows = paged_buttons(
        l10n, buttons, page, lambda to: OrgGroupsPage(org.id, to), size=GROUPS_PER_PAGE
    )
    rows.append(
        [
            InlineKeyboardButton(
                l10n.gettext("Done"), callback_data=OrgButton(OrgView.PANEL, org.id).pack()
            )
        ]
    )
    return escape(
        l10n.gettext("Working groups of {org}: tap to add or remove.").format(org=org.short_name)
    ), InlineKeyboardMarkup(rows)


async def _reps_panel(
    l10n: Localizer, context: BotContext, actor: int, org_id: int, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """An organisation's representatives to remove, a page at a time (◀ ▶), then Cancel."""
    org = await context.services.coalition.organisation(actor, org_id)
    buttons = [
        InlineKeyboardButton(
            "✖ " + _person_line(l10n, context, p)[:60],
            callback_data=OrgRemoveRep(org.id, p.user_id).pack(),
        )
        for p in org.representatives
    ]
    rows = paged_buttons(l10n, buttons, page, lambda to: OrgRepsPage(org.id, to))
    rows.append(
        [
            InlineKeyboardButton(
                l10n.gettext("Cancel"), callback_data=OrgButton(OrgView.PANEL, org.id).pack()
            )
        ]
    )
    return escape(
        l10n.gettext("Tap the representative to remove from {org}:").format(org=org.short_name)
    ), InlineKeyboardMarkup(rows)


def _target_user(message: Message) -> tuple[int | None, str | None]:
    """Whom /promote or /demote names, and their Telegram language when it is a reply."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
        return reply.from_user.id, reply.from_user.language_code
    parts = (message.text or "").split()
    return (whole_number(parts[1]) if len(parts) == 2 else None), None


async def _set_role(
    message: Message, user: User, l10n: Localizer, context: BotContext, flag: bool
) -> None:
    target, telegram_code = _target_user(message)
    if target is None:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Give the person's Telegram id (they see it with /me), e.g. /promote 123456789, or "
                    "reply to one of their messages with the command."
                )
            )
        )
        return
    try:
        changed = await context.services.coalition.set_coordinator(
            user.id,
            target,
            flag,
            telegram_code and context.services.translations.pick(telegram_code),
        )
    except LastCoordinator:
        await message.reply_text(
            escape(
                l10n.gettext("You cannot remove the last coordinator: promote someone else first.")
            )
        )
        return
    if not changed:
        text = (
            l10n.gettext("{id} is already a coordinator.")
            if flag
            else l10n.gettext("{id} is not a coordinator.")
        )
        await message.reply_text(escape(text.format(id=target)))
        return
    await sync_menus(context.bot, context.services, target)  # their menu only, before the reply
    text = (
        l10n.gettext("{id} is now a coordinator.")
        if flag
        else l10n.gettext("{id} is no longer a coordinator.")
    )
    await message.reply_text(escape(text.format(id=target)))


@answering_not_allowed
async def promote(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/promote USER_ID (or as a reply): make a coordinator."""
    await _set_role(message, user, l10n, context, True)


@answering_not_allowed
async def demote(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """/demote USER_ID (or as a reply): remove a coordinator, never the last."""
    await _set_role(message, user, l10n, context, False)


@answering_not_allowed
async def unreachable(message: Message, user: User, l10n: Localizer, context: BotContext) -> None:
    """Who blocked the bot: they get nothing until they write to it again."""
    people, chats = await context.services.coalition.unreachable(user.id)
    if not people and not chats:
        await message.reply_text(escape(l10n.gettext("Everyone can be reached.")))
        return
    lines = []
    if people:
        lines.append(
            escape(
                l10n.gettext(
                    "These people blocked the bot; they receive nothing until they write to it "
                    "again:"
                )
            )
        )
        lines += [escape("• " + _person_line(l10n, context, p)) for p in people]
    if chats:
        lines.append(
            escape(
                l10n.gettext(
                    "The bot can no longer write to these group chats; a coordinator can link "
                    "them again with /linkgroup once the bot is back in the group:"
                )
            )
        )
        lines += [escape("• " + name) for name in chats]
    await message.reply_text("\n".join(lines))
