"""/start (role-aware, and its deep links), /help (per role and chat, with [More]) and
/language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.domain.arguments import arguments, language_word
from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed, Role, WorkingGroup
from bot.domain.rounds import MAX_REASON, PENDING_TTL
from bot.domain.welcome import OPEN_ROUNDS_SHOWN, Checklist, Membership, Welcome
from handlers import chats, lookup, members, private_rating, round_admin
from handlers.access import Press
from handlers.callbacks import (
    ChatLanguage,
    Example,
    HelpMore,
    Lang,
    Language,
    RateRound,
    RoundAction,
    RoundButton,
    RoundResults,
    ShowRounds,
)
from handlers.commands import N_, commands_for, sync_menus
from handlers.common import BotContext, not_allowed, reader, thread_of
from handlers.lookup import edit
from handlers.render import GROUPS_NAMED, closing, escape, group_names, names_cut, split_messages
from handlers.round_cards import not_linked, rate_link_shaped

LANGUAGE_NAMES = {"en": "English", "km": "ខ្មែរ"}
# A guest's /start offers these look-ups as buttons: what a first question usually is.
EXAMPLES = ("118.6", "land", "ដីធ្លី", "Japan")
NEW_RESULTS_SHOWN = 3  # newly published rounds a member's welcome names, each with a button


def help_text(
    l10n: Localizer,
    current_cycle: int | None,
    role: Role = Role.GUEST,
    private: bool = True,
    groups: Sequence[WorkingGroup] = (),
    nudges: tuple[Sequence[int], dt.time] = ((14, 3), dt.time(9, 0)),
    paused: bool = False,
) -> str:
    """The full help for a role in a kind of chat: what it can do there, with examples, and
    the commands it can use there (from the command list); `nudges`: how many days before a
    due day, and at what time, actions are nudged; `paused`: a guest whose organisation's
    membership is paused (told so, not how to join)."""
    lines = [
        "<b>" + escape(l10n.gettext("How to find a recommendation")) + "</b>",
        escape(
            l10n.gettext(
                "In a private chat, just send a number or some words. In a group, start with /find."
            )
        ),
        "",
        "<b>" + escape(l10n.gettext("Examples")) + "</b>",
        "• <code>118.6</code> — " + escape(l10n.gettext("one recommendation, current cycle")),
        "• <code>118.6 c2</code> — " + escape(l10n.gettext("the same number in cycle 2")),
        "• <code>១១៨.៦</code> — " + escape(l10n.gettext("Khmer digits work too")),
        "• <code>118.6, 118.9</code> — " + escape(l10n.gettext("several numbers")),
        "• <code>118.1-118.4</code>, <code>118.9 – 11</code>, <code>119.21 to 27</code> — "
        + escape(l10n.gettext("a range")),
        "• <code>trade unions</code> — " + escape(l10n.gettext("words in English")),
        "• <code>ដីធ្លី</code> — " + escape(l10n.gettext("words in Khmer")),
        "• <code>Japan</code>, <code>ជប៉ុន</code> — "
        + escape(l10n.gettext("everything one State recommended")),
        "• <code>noted land c2</code> — "
        + escape(l10n.gettext("filters: response (accepted, noted), cycle (c1, c2…), State")),
        "",
        escape(
            l10n.gettext(
                "A number without a cycle means the current cycle ({cycle}). Results come a page "
                "at a time: tap a number to read the whole recommendation, ◀ ▶ to turn pages."
            ).format(cycle=l10n.digits(str(current_cycle or "—")))
        ),
        escape(
            l10n.gettext(
                "In any chat, type @ and the bot's name followed by a number or words to share a "
                "recommendation."
            )
        ),
    ]
    if role is Role.GUEST:
        lines += ["", escape(l10n.gettext(_PAUSED if paused else _JOIN))]
    else:
        lines += _members_help(l10n, groups, nudges)
    lines += _commands_help(l10n, role, private)
    if role is Role.COORDINATOR:
        lines += _coordinators_help(l10n, private, l10n.time(nudges[1]))
    return "\n".join(lines)


def _members_help(
    l10n: Localizer, groups: Sequence[WorkingGroup], nudges: tuple[Sequence[int], dt.time]
) -> list[str]:
    """Rating and strategies: for members and coordinators."""
    groups_text = group_names(l10n, groups)
    days_before = l10n.counted_days(nudges[0]) or "—"
    nudge_time = l10n.time(nudges[1])
    return [
        "",
        "<b>" + escape(l10n.gettext("Rating progress (member organisations)")) + "</b>",
        escape(
            l10n.gettext(
                "🔴 no progress · 🟠 some progress · 🟢 fully implemented · ❔ don't know. In your "
                "working group's chat send /rate and tap a colour on each card (or send /rate to me "
                "privately); I then ask you privately for a short reason. Only coordinators see which "
                "organisation said what; members see results once a round is closed and published."
            )
        ),
        escape(
            l10n.gettext(
                "Each working group rates its own list of recommendations, first taken from its "
                "themes: /grouprecs shows it. Coordinators add or remove numbers and ranges (paste "
                "118.1-118.20, 119.3), and can let the group's members do it too."
            )
        ),
        escape(
            l10n.gettext(
                "Each working group's colours come from its own member organisations: in a group's "
                "chat, rating cards, /results and /compare show that group's; in private, add the "
                "group's short name or name (/results 1 land, /results 1 ដីធ្លី) or get the whole "
                "coalition's. Tables show both. The short names: {groups}."
            ).format(groups=groups_text)
        ),
        escape(
            l10n.gettext(
                "In private, after a colour tap your next message is its reason ({minutes} "
                "min.), unless it is only numbers (118.6) or a /command; ⏭ "
                "puts a card off until the others are rated. ❔ (don't know) is counted but does "
                "not colour the result. A reason may have up to {limit} characters; in "
                "/myratings, ✍ changes it and 🗑 deletes it. ⚖️ contested: the ratings are widely "
                "split; … not enough ratings to show a colour."
            ).format(
                limit=l10n.number(MAX_REASON),
                minutes=l10n.number(int(PENDING_TTL.total_seconds() // 60)),
            )
        ),
        escape(
            l10n.gettext(
                "A coordinator can set the language of a working group's chat with /language "
                "there: rating cards and the bot's other messages to that chat use it."
            )
        ),
        "",
        "<b>" + escape(l10n.gettext("Action strategies")) + "</b>",
        escape(
            l10n.gettext(
                "I remind the group's chat and the responsible organisations of each action in "
                "/strategy {days} before it is due, on the day and weekly while overdue "
                "({time}): answer with ✅ ⏳ ⛔ 📅 and, if you like, a note."
            ).format(days=days_before, time=nudge_time)
        ),
    ]


def _commands_help(l10n: Localizer, role: Role, private: bool) -> list[str]:
    """The commands this role can use in this kind of chat, each with its description."""
    usable = commands_for(role, private)
    lines = ["", "<b>" + escape(l10n.gettext("Commands")) + "</b>"]
    lines += [
        f"/{c.name} — {escape(l10n.gettext(c.description))}"
        for c in usable
        if not c.coordinators_only
    ]
    coordinators = [c for c in usable if c.coordinators_only]
    if coordinators:
        lines += ["", "<b>" + escape(l10n.gettext("For coordinators")) + "</b>"]
        lines += [f"/{c.name} — {escape(l10n.gettext(c.description))}" for c in coordinators]
    return lines


def _coordinators_help(l10n: Localizer, private: bool, nudge_time: str) -> list[str]:
    """How coordinators run the coalition; in a group, only what is done in groups."""
    paragraphs = [
        escape(
            l10n.gettext(
                "To bring an organisation in: /addorg, then forward the invite link to its "
                "representative. To give a working group its chat: add me to the group, then send "
                "/linkgroup there. Everything you change is in /audit."
            )
        ),
        escape(
            l10n.gettext(
                "To send news or a reminder to many chats: /broadcast in a private chat with "
                "me. Buttons guide you: who receives it, the message (send it as you want it "
                "to arrive, in English and/or Khmer: each person and group gets their "
                "language), when (now, a day and hour, or every day, week or month), options "
                "(silent, pin, a “✓ Got it” button), then a preview. /broadcasts shows who "
                "got each one and lets you cancel, edit or delete it."
            )
        ),
        escape(
            l10n.gettext(
                "Action strategies: send me a group's spreadsheet (CSV or XLSX in the "
                "template's layout; add the group and c2 as its caption if it has no such "
                "columns) in private. /strategy in private shows each group's "
                "actions counted by status and overdue. Every Monday at {time} I send you a "
                "summary: due this week, overdue, blocked with their notes, reminded but not "
                "answered, and actions nobody can be reminded about."
            ).format(time=nudge_time)
        ),
        escape(
            l10n.gettext(
                "A recurring action (every quarter, monthly, every year in December…) is "
                "reminded before each time it is due, and ✅ marks that time done. A "
                "recommendation's card says how many actions serve it: 📋 lists them."
            )
        ),
        escape(
            l10n.gettext(
                "To add an action in private: /strategy, choose the group, ➕ Add action, and "
                "answer step by step (⏭ skips what is optional; nothing is saved before "
                "💾 Save). To change one: open its card, ✏️ Edit, choose the field and reply "
                "to its question. "
                "/milestones: tap a cycle, then a milestone, and reply with its date; the "
                "actions' dates that depend on it move at once."
            )
        ),
        escape(
            l10n.gettext(
                "Rounds: /openround shows what it understood and whom it tells, then [Open] "
                "opens it (📌 Open and pin also pins its notice in each group chat); "
                "/openround alone (or ➕ New round in /rounds) asks step by step with buttons. "
                "In /rounds, each round's button opens its panel: each organisation's "
                "progress; Close freezes the ratings (a round with a closing date closes "
                "itself); Reopen lets organisations rate again and withdraws the results; "
                "Publish shows a closed round's results to members (it warns when fewer "
                "than half the organisations rated, or when over half the recommendations "
                "have “not enough ratings”); 🔔 reminds the organisations that "
                "have not finished; Delete removes a round nobody has rated in yet. Each "
                "change asks first."
            )
        ),
        escape(
            l10n.gettext(
                "A round tells the chats of the working groups whose lists hold its "
                "recommendations and the organisations in those groups, each counting its own; "
                "organisations in no group only for a whole cycle (c2, c2 accepted). “N of M” "
                "on a card: N organisations rated it, of the M it concerns."
            )
        ),
        escape(
            l10n.gettext(
                "New cycle: send me the UN Working Group report (the PDF, A/HRC/…) here; I "
                "show what I read, then ✅ Import loads it. /responses sets responses given "
                "later; /cycles makes a cycle the one a number without a cycle means."
            )
        ),
    ]
    return ["", *(paragraphs if private else paragraphs[:1])]


def language_keyboard(chat: bool = False) -> InlineKeyboardMarkup:
    """One button per language, each labelled in its own language: the reader's own, or (chat)
    the group chat's."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    name,
                    callback_data=ChatLanguage(Lang(code)).pack()
                    if chat
                    else Language(Lang(code)).pack(),
                )
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


_JOIN = N_(
    "Member organisations of the coalition also rate how far the recommendations are "
    "implemented, here and in their working groups' chats: to join, ask a coordinator for an "
    "invite link for your organisation."
)
_LOOK_UP = N_(
    "Send me a number such as 118.6 or words such as land or ដីធ្លី: I find the "
    "recommendations Cambodia received in the UN Universal Periodic Review, in Khmer or English."
)
_FIND_HERE = N_(
    "Here, start with /find: /find 118.6 or /find land. In a private chat with me, just send "
    "the number or the words."
)
_PAUSED = N_(
    "Your organisation's membership of the coalition is paused: for now it cannot rate or see "
    "the members' results. Contact a coordinator."
)
# What /help says first, for each role in each kind of chat (private: True); [More] adds the
# examples and every command explained.
_SHORT_HELP: dict[tuple[Role, bool], tuple[str, ...]] = {
    (Role.GUEST, True): (_LOOK_UP, _JOIN),
    (Role.GUEST, False): (_FIND_HERE,),
    (Role.MEMBER, True): (
        _LOOK_UP,
        N_(
            "Rate for your organisation with /rate: tap a colour, then type a short reason if "
            "you like. /myratings shows what your organisation rated, /results a round's "
            "results once coordinators publish it, /strategy your working groups' actions."
        ),
    ),
    (Role.MEMBER, False): (
        _FIND_HERE,
        N_(
            "/rate posts rating cards from this working group's list: tap a colour for your "
            "organisation. /results shows this group's colours once a round is published."
        ),
    ),
    (Role.COORDINATOR, True): (
        _LOOK_UP,
        N_(
            "To run the coalition: /orgs and /addorg for organisations and their invites, "
            "/openround and /rounds for assessments, /broadcast for news, /audit for what "
            "changed."
        ),
    ),
    (Role.COORDINATOR, False): (
        _FIND_HERE,
        N_(
            "In a working group's chat: /linkgroup links it to its working group, /language "
            "sets its language, /rate posts rating cards for its members."
        ),
    ),
}


def short_help(
    l10n: Localizer, role: Role, private: bool, paused: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    """What this role can do in this kind of chat, in a few lines, with [More] (`paused`: a
    guest whose organisation's membership is paused is told so, not how to join)."""
    commands = " ".join(f"/{c.name}" for c in commands_for(role, private))
    said = [_PAUSED if paused and text == _JOIN else text for text in _SHORT_HELP[role, private]]
    lines = [escape(l10n.gettext(text)) for text in said]
    lines.append(
        escape(l10n.gettext("Commands you can use here: {commands}").format(commands=commands))
    )
    more = InlineKeyboardButton(l10n.gettext("More ▸"), callback_data=HelpMore().pack())
    return "\n\n".join(lines), InlineKeyboardMarkup([[more]])


async def _full_help(
    context: BotContext, l10n: Localizer, role: Role, private: bool, paused: bool
) -> str:
    services = context.services
    settings = services.settings
    return help_text(
        l10n,
        services.catalog.current_cycle,
        role,
        private,
        await services.coalition.working_groups(),
        (settings.nudge_days_before, settings.nudge_time),
        paused,
    )


async def _paused(context: BotContext, role: Role, user_id: int) -> bool:
    """Whether a guest represents an organisation whose membership is paused."""
    return role is Role.GUEST and await context.services.welcomes.paused(user_id)


async def help_command(update: Update, context: BotContext) -> None:
    """The short help for the sender's role in this chat, with [More]."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    l10n = await reader(update, context)
    role = await context.services.coalition.role(user.id)
    private = message.chat.type == "private"
    text, markup = short_help(l10n, role, private, await _paused(context, role, user.id))
    translator = private and role is not Role.COORDINATOR
    if translator and await context.services.translating.may_translate(user.id):
        text += "\n\n" + escape(translator_help(l10n))
    await message.reply_text(text, reply_markup=markup)


def translator_help(l10n: Localizer) -> str:
    """The line /help adds for a translator (coordinators have the commands in their list)."""
    return l10n.gettext(
        "You are a translator: /translate gives you the next recommendation to translate into "
        "Khmer (those in use first) or a draft to review; /translations shows how far "
        "translating has come, with the files to work offline."
    )


async def on_more_help(press: Press[HelpMore], context: BotContext) -> None:
    """[More]: the full help for the presser's role in this chat, in place of the short one."""
    await press.query.answer()
    role = await context.services.coalition.role(press.user.id)
    private = press.message.chat.type == "private"
    paused = await _paused(context, role, press.user.id)
    first, *others = split_messages([await _full_help(context, press.l10n, role, private, paused)])
    await edit(press.message, first, None)
    for chunk in others:  # a coordinator's full help may need two messages
        await press.message.reply_text(chunk)


# --- /start -----------------------------------------------------------------------------------
DeepLinkHandler = Callable[[Update, BotContext, str], Awaitable[None]]


@dataclass(frozen=True)
class DeepLink:
    """A kind of /start payload (t.me/<bot>?start=… or ?startgroup=…): which payloads it takes
    and what it does; `private`: only in a private chat."""

    matches: Callable[[str], bool]
    run: DeepLinkHandler
    private: bool = True


async def _help_link(update: Update, context: BotContext, payload: str) -> None:
    await help_command(update, context)


async def _reason_link(update: Update, context: BotContext, payload: str) -> None:
    message, user = update.effective_message, update.effective_user
    if message is not None and user is not None:
        await private_rating.open_link(message, user, await reader(update, context), context)


async def _invite_link(update: Update, context: BotContext, payload: str) -> None:
    await members.join_with_code(update, context, payload, language_keyboard())
    if update.effective_user is not None:  # a new member's menu, at once (theirs only)
        await sync_menus(context.bot, context.services, update.effective_user.id)


async def _group_link(update: Update, context: BotContext, payload: str) -> None:
    await chats.link_with_token(update, context, payload)


# /start with a payload: the first kind that matches handles it (order matters: an invite code
# is whatever else comes privately, and a working group's link whatever else comes in a group,
# so they stay last). Add a new kind of link here.
DEEP_LINKS: tuple[DeepLink, ...] = (
    DeepLink(lambda payload: payload == "help", _help_link, private=False),
    # A group card's ✍: that card in private, its reason asked for (a malformed one is told
    # it leads nowhere).
    DeepLink(rate_link_shaped, _reason_link),
    DeepLink(lambda payload: True, _invite_link),
    # ?startgroup=<token> from /groups: Telegram sends /start@bot <token> in the group.
    DeepLink(lambda payload: True, _group_link, private=False),
)


async def start(update: Update, context: BotContext) -> None:
    """/start: a deep link's payload goes to its handler; otherwise the welcome for the
    sender's role (in a group: the short help for it)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    private = message.chat.type == "private"
    if context.args:
        payload = context.args[0]
        for link in DEEP_LINKS:
            if (private or not link.private) and link.matches(payload):
                await link.run(update, context, payload)
                return
    if not private:
        await help_command(update, context)
        return
    l10n = await reader(update, context)
    welcome = await context.services.welcomes.welcome(user.id, user.language_code)
    text, rows = _welcome(l10n, context, welcome)
    if welcome.ask_language:
        text += "\n\n" + escape(l10n.gettext("Choose your language:"))
        rows += language_keyboard().inline_keyboard
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


Rows = list[Sequence[InlineKeyboardButton]]


def _welcome(l10n: Localizer, context: BotContext, welcome: Welcome) -> tuple[str, Rows]:
    """The welcome's text and buttons for the role."""
    if welcome.checklist is not None:
        return _checklist(l10n, context, welcome.checklist)
    if welcome.membership is not None:
        return _membership(l10n, context, welcome.membership)
    title = "<b>" + escape(l10n.gettext("Welcome to the UPR coalition bot.")) + "</b>"
    lines = [title, escape(l10n.gettext(_LOOK_UP)), escape(l10n.gettext("Try one:"))]
    examples = [
        InlineKeyboardButton(text, callback_data=Example(index).pack())
        for index, text in enumerate(EXAMPLES)
    ]
    join = _PAUSED if welcome.paused else _JOIN
    lines += [escape(l10n.gettext(join)), escape(l10n.gettext("Send /help for more."))]
    return "\n\n".join(lines), [examples]


def _checklist(l10n: Localizer, context: BotContext, checklist: Checklist) -> tuple[str, Rows]:
    """A coordinator's set-up: organisations, groups with a chat, open rounds, open invites."""
    tz = context.services.settings.timezone
    linked = len(checklist.groups) - len(checklist.unlinked)
    lines = [
        "<b>" + escape(l10n.gettext("Welcome, coordinator. Where things stand:")) + "</b>",
        "• "
        + escape(
            l10n.ngettext(
                "{count} active organisation (/orgs, /addorg)",
                "{count} active organisations (/orgs, /addorg)",
                checklist.organisations,
            ).format(count=l10n.number(checklist.organisations))
        ),
        "• "
        + escape(
            l10n.gettext("Working groups with a chat: {linked} of {total}").format(
                linked=l10n.number(linked), total=l10n.number(len(checklist.groups))
            )
        ),
    ]
    if checklist.unlinked:
        names = names_cut(l10n, [g.name(l10n.language) for g in checklist.unlinked], GROUPS_NAMED)
        lines.append(
            "  "
            + escape(
                l10n.gettext(
                    "Not yet: {groups}. Add me to each group's chat, then send /linkgroup there."
                ).format(groups=names)
            )
        )
    if checklist.open_rounds:
        lines.append(
            "• "
            + escape(
                l10n.ngettext(
                    "{count} open round:", "{count} open rounds:", len(checklist.open_rounds)
                ).format(count=l10n.number(len(checklist.open_rounds)))
            )
        )
        shown = checklist.open_rounds[:OPEN_ROUNDS_SHOWN]
        lines += ["  " + escape(f"«{r.name}» — {closing(l10n, tz, r.closes_at)}") for r in shown]
        lines += _more_open_rounds(l10n, len(checklist.open_rounds), "  ")
    else:
        lines.append("• " + escape(l10n.gettext("No open round: /openround opens one.")))
    lines.append(
        "• "
        + escape(
            l10n.ngettext(
                "{count} invite link not used yet",
                "{count} invite links not used yet",
                checklist.invites,
            ).format(count=l10n.number(checklist.invites))
        )
    )
    lines += ["", escape(l10n.gettext("Send /help for what you can do."))]
    panels: Rows = [
        [
            InlineKeyboardButton(
                l10n.gettext("Open panel: «{name}»").format(name=r.name[:40]),
                callback_data=RoundButton(r.id, RoundAction.PANEL).pack(),
            )
        ]
        for r in checklist.open_rounds[:OPEN_ROUNDS_SHOWN]
    ]
    return "\n".join(lines), [*panels, [_rounds_button(l10n)]]


def _rounds_button(l10n: Localizer) -> InlineKeyboardButton:
    """[Rounds]: /rounds, every round a page at a time."""
    return InlineKeyboardButton(l10n.gettext("Rounds"), callback_data=ShowRounds().pack())


def _more_open_rounds(l10n: Localizer, count: int, indent: str = "") -> list[str]:
    """'And 98 more open rounds: see /rounds.' when a welcome names only the newest few."""
    more = count - OPEN_ROUNDS_SHOWN
    if more <= 0:
        return []
    text = l10n.ngettext(
        "And {count} more open round: see /rounds.",
        "And {count} more open rounds: see /rounds.",
        more,
    )
    return [indent + escape(text.format(count=l10n.number(more)))]


def _membership(l10n: Localizer, context: BotContext, membership: Membership) -> tuple[str, Rows]:
    """A representative's organisation, working groups and what is left to rate."""
    tz = context.services.settings.timezone
    org = membership.organisation
    groups = ", ".join(g.name(l10n.language) for g in membership.groups) or "—"
    lines = [
        "<b>"
        + escape(
            l10n.gettext("Welcome. You represent {org} ({name}).").format(
                org=org.short_name, name=org.name
            )
        )
        + "</b>",
        escape(l10n.gettext("Your working groups: {groups}").format(groups=groups)),
    ]
    rows: Rows = []
    # The newest rounds, those with something left to rate first; the rest through [Rounds].
    ordered = sorted(membership.to_rate, key=lambda item: not item[1])  # stable: newest first
    for round_, left in ordered:
        when = closing(l10n, tz, round_.closes_at)
        if left:
            text = l10n.ngettext(
                "«{name}»: {count} to rate, {closing}.",
                "«{name}»: {count} to rate, {closing}.",
                left,
            )
            label = l10n.gettext("Rate now: «{name}»") if membership.open_rounds > 1 else None
            rows.append(
                [
                    InlineKeyboardButton(
                        (label or l10n.gettext("Rate now")).format(name=round_.name[:40]),
                        callback_data=RateRound(round_.id).pack(),
                    )
                ]
            )
        elif left is None:
            text = l10n.gettext(
                "«{name}»: not for your organisation's working groups (you may still rate), "
                "{closing}."
            )
        else:
            text = l10n.gettext("«{name}»: your organisation has rated everything, {closing}.")
        lines.append(
            escape(text.format(name=round_.name, count=l10n.digits(str(left)), closing=when))
        )
    if not membership.to_rate:
        lines.append(escape(l10n.gettext("No assessment round is open.")))
    if others := _more_open_rounds(l10n, membership.open_rounds):
        lines += others
        rows.append([_rounds_button(l10n)])
    # Newly published: a button each, no number to type; the newest few, the rest in /rounds.
    for round_ in membership.new_results[:NEW_RESULTS_SHOWN]:
        lines.append(escape(l10n.gettext("📊 New results: «{name}».").format(name=round_.name)))
        label = (
            l10n.gettext("📊 Results: «{name}»").format(name=round_.name[:40])
            if len(membership.new_results) > 1
            else l10n.gettext("📊 Results")
        )
        rows.append([InlineKeyboardButton(label, callback_data=RoundResults(round_.id).pack())])
    if (more := len(membership.new_results) - NEW_RESULTS_SHOWN) > 0:
        lines.append(
            escape(
                l10n.ngettext(
                    "📊 And {count} more new results: see /rounds.",
                    "📊 And {count} more new results: see /rounds.",
                    more,
                ).format(count=l10n.number(more))
            )
        )
    lines += [escape(l10n.gettext(_LOOK_UP)), escape(l10n.gettext("Send /help for more."))]
    return "\n\n".join(lines), rows


async def on_example(press: Press[Example], context: BotContext) -> None:
    """A look-up example from a guest's welcome: answered as if it had been typed."""
    if not 0 <= press.data.example < len(EXAMPLES):
        await press.query.answer()
        return
    await press.query.answer()
    await lookup.answer_query(press.message, context, press.l10n, EXAMPLES[press.data.example])


async def on_show_rounds(press: Press[ShowRounds], context: BotContext) -> None:
    """[Rounds] from a coordinator's welcome: /rounds."""
    await press.query.answer()
    await round_admin.show_rounds(press.message, press.user, press.l10n, context)


async def language_command(update: Update, context: BotContext) -> None:
    """/language: the language buttons (in private the reader's, in a group the chat's);
    /language km (or ខ្មែរ, en, English, អង់គ្លេស…) sets it at once."""
    l10n = await reader(update, context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    private = message.chat.type == "private"
    typed = arguments(message.text or "")
    code = language_word(typed)
    if code is not None:
        if private:
            await _set_own_language(context, user.id, message.chat.id, code)
            return
        _, said = await _set_chat_language(context, user.id, message, code, l10n)
        await message.reply_text(escape(said))
        return
    lines = []
    if typed.strip():
        lines.append(
            l10n.gettext("I know two languages: English (en) and Khmer (km), e.g. /language km.")
        )
    if not private:
        lines.append(
            l10n.gettext(
                "Choose this chat's language: rating cards and the bot's other messages here "
                "will use it (coordinators only)."
            )
        )
    else:
        lines.append(l10n.gettext("Choose your language:"))
    await message.reply_text(
        escape("\n".join(lines)), reply_markup=language_keyboard(chat=not private)
    )


async def _set_chat_language(
    context: BotContext, user_id: int, message: Message, code: str, l10n: Localizer
) -> tuple[bool, str]:
    """Set a linked group chat's language: whether it was set, and what to say (in the new
    language once set, else why not)."""
    try:
        linked = await context.services.coalition.set_chat_language(
            user_id, message.chat.id, thread_of(message), code
        )
    except NotAllowed:
        return False, not_allowed(l10n)
    if not linked:
        return False, not_linked(l10n)
    # TRANSLATORS: shown in the language just chosen: in Khmer, say the chat's language is now
    # Khmer.
    return True, context.services.translations.localizer(code).gettext(
        "This chat's language is now English."
    )


async def chat_language_chosen(press: Press[ChatLanguage], context: BotContext) -> None:
    """A coordinator set a linked group chat's language: confirm in it."""
    code = press.data.code.value
    done, said = await _set_chat_language(context, press.user.id, press.message, code, press.l10n)
    if not done:
        await press.query.answer(said, show_alert=True)
        return
    await press.query.answer(said)
    await edit(press.message, escape(said), None)


async def _set_own_language(context: BotContext, user_id: int, chat_id: int, code: str) -> str:
    """Remember a person's language, refresh their menu, confirm in the new language."""
    await context.services.set_language(user_id, code)
    await sync_menus(context.bot, context.services, user_id)  # their menu follows the choice
    l10n = context.services.translations.localizer(code)
    # TRANSLATORS: shown in the language just chosen: in Khmer, say the language is now Khmer.
    done = l10n.gettext("Language set to English.")
    await context.bot.send_message(
        chat_id, escape(done) + "\n" + escape(l10n.gettext("Send /help for examples."))
    )
    return done


async def language_chosen(press: Press[Language], context: BotContext) -> None:
    """Remember the chosen language and confirm in it."""
    done = await _set_own_language(
        context, press.user.id, press.message.chat.id, press.data.code.value
    )
    await press.query.answer(done)
