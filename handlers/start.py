"""/start, /help and /language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.i18n import Localizer
from bot.domain.membership import NotAllowed, WorkingGroup
from bot.domain.rounds import MAX_REASON
from handlers import chats, members
from handlers.access import Press
from handlers.callbacks import ChatLanguage, Lang, Language
from handlers.commands import COMMANDS
from handlers.common import BotContext, not_allowed, reader, thread_of
from handlers.lookup import edit
from handlers.render import escape, group_names, split_messages
from handlers.round_cards import not_linked

LANGUAGE_NAMES = {"en": "English", "km": "ខ្មែរ"}


def help_text(
    l10n: Localizer,
    current_cycle: int | None,
    coordinator: bool = False,
    groups: Sequence[WorkingGroup] = (),
    nudges: tuple[Sequence[int], dt.time] = ((14, 3), dt.time(9, 0)),
) -> str:
    """The full help, generated from the command list, with examples; `nudges`: how many days
    before a due day, and at what time, actions are nudged."""
    groups_text = group_names(l10n, groups)
    days_before = ", ".join(str(d) for d in nudges[0]) or "—"
    nudge_time = nudges[1].strftime("%H:%M")
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
            ).format(cycle=current_cycle if current_cycle is not None else "—")
        ),
        escape(
            l10n.gettext(
                "In any chat, type @ and the bot's name followed by a number or words to share a "
                "recommendation."
            )
        ),
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
                "In private, ⏭ puts a card off until you have rated the others; /rate brings it "
                "back. ❔ (don't know) is not a colour: it is counted, but does not colour the "
                "result. A reason may have up to {limit} characters; in /myratings, ✍ changes it "
                "and 🗑 deletes it. ⚖️ contested: the organisations' ratings are widely split; "
                "… not enough ratings to show a colour."
            ).format(limit=MAX_REASON)
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
                "/strategy {days} days before it is due, on the day and weekly while overdue "
                "({time}): answer with ✅ ⏳ ⛔ 📅 and, if you like, a note."
            ).format(days=days_before, time=nudge_time)
        ),
        "",
        "<b>" + escape(l10n.gettext("Commands")) + "</b>",
    ]
    lines.extend(
        f"/{c.name} — {escape(l10n.gettext(c.description))}"
        for c in COMMANDS
        if not c.coordinators_only
    )
    if coordinator:
        lines += ["", "<b>" + escape(l10n.gettext("For coordinators")) + "</b>"]
        lines.extend(
            f"/{c.name} — {escape(l10n.gettext(c.description))}"
            for c in COMMANDS
            if c.coordinators_only
        )
        lines += [
            "",
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
                    "To add an action in private: /strategy, choose the group, ➕ Add action, and "
                    "answer step by step (⏭ skips what is optional; nothing is saved before "
                    "💾 Save). To change one: open its card, ✏️ Edit, choose the field. "
                    "/milestones: tap a cycle, then a milestone, and reply with its date; the "
                    "actions' dates that depend on it move at once."
                )
            ),
            escape(
                l10n.gettext(
                    "Rounds: /openround shows what it understood, then [Open] opens it. In "
                    "/rounds, Close freezes the ratings (a round with a closing date closes "
                    "itself); Reopen lets organisations rate again and withdraws the results; "
                    "Publish shows a closed round's results to members; Delete removes a "
                    "round nobody has rated in yet (it asks first)."
                )
            ),
        ]
    return "\n".join(lines)


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


async def start(update: Update, context: BotContext) -> None:
    """Greet, explain in two lines, offer the language choice."""
    l10n = await reader(update, context)
    if context.args and context.args[0] == "help":
        await help_command(update, context)
        return
    if context.args and update.effective_chat and update.effective_chat.type == "private":
        await members.join_with_code(update, context, context.args[0])
        return
    if context.args:  # in a group: the bot was added with a working group's link (/groups)
        await chats.link_with_token(update, context, context.args[0])
        return
    text = "\n\n".join(
        [
            "<b>" + escape(l10n.gettext("Welcome to the UPR coalition bot.")) + "</b>",
            escape(
                l10n.gettext(
                    "Find any recommendation Cambodia received in the UN Universal Periodic Review, "
                    "in Khmer or English: send a number such as 118.6 or words such as land."
                )
            ),
            escape(l10n.gettext("Send /help for examples. Choose your language:")),
        ]
    )
    if update.effective_message:
        await update.effective_message.reply_text(text, reply_markup=language_keyboard())


async def help_command(update: Update, context: BotContext) -> None:
    """Send the help."""
    l10n = await reader(update, context)
    if update.effective_message:
        user = update.effective_user
        coordinator = user is not None and await context.services.is_coordinator(user.id)
        groups = await context.services.coalition.working_groups()
        settings = context.services.settings
        nudges = (settings.nudge_days_before, settings.nudge_time)
        text = help_text(l10n, context.services.catalog.current_cycle, coordinator, groups, nudges)
        for chunk in split_messages([text]):  # a coordinator's help may need two messages
            await update.effective_message.reply_text(chunk)


async def language_command(update: Update, context: BotContext) -> None:
    """Offer the language buttons: in private the reader's, in a group the chat's."""
    l10n = await reader(update, context)
    message = update.effective_message
    if message is None:
        return
    if message.chat.type != "private":
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Choose this chat's language: rating cards and the bot's other messages here "
                    "will use it (coordinators only)."
                )
            ),
            reply_markup=language_keyboard(chat=True),
        )
        return
    await message.reply_text(
        escape(l10n.gettext("Choose your language:")), reply_markup=language_keyboard()
    )


async def chat_language_chosen(press: Press[ChatLanguage], context: BotContext) -> None:
    """A coordinator set a linked group chat's language: confirm in it."""
    code = press.data.code.value
    try:
        linked = await context.services.coalition.set_chat_language(
            press.user.id, press.message.chat.id, thread_of(press.message), code
        )
    except NotAllowed:
        await press.query.answer(not_allowed(press.l10n), show_alert=True)
        return
    if not linked:
        await press.query.answer(not_linked(press.l10n), show_alert=True)
        return
    l10n = context.services.translations.localizer(code)
    # TRANSLATORS: shown in the language just chosen: in Khmer, say the chat's language is now
    # Khmer.
    done = l10n.gettext("This chat's language is now English.")
    await press.query.answer(done)
    await edit(press.message, escape(done), None)


async def language_chosen(press: Press[Language], context: BotContext) -> None:
    """Remember the chosen language and confirm in it."""
    query, code = press.query, press.data.code.value
    await context.services.set_language(press.user.id, code)
    l10n = context.services.translations.localizer(code)
    # TRANSLATORS: shown in the language just chosen: in Khmer, say the language is now Khmer.
    await query.answer(l10n.gettext("Language set to English."))
    await context.bot.send_message(
        press.message.chat.id,
        escape(l10n.gettext("Language set to English."))
        + "\n"
        + escape(l10n.gettext("Send /help for examples.")),
    )
