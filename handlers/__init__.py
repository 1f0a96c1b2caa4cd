"""Telegram adapters, one module per feature; `register` lists them all in priority order."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.domain.access import Access, Where
from handlers import (
    action_editor,
    audit,
    broadcasts,
    browse,
    chats,
    curation,
    errors,
    group_lists,
    group_rating,
    guard,
    inline,
    lookup,
    members,
    milestones,
    operations,
    private_rating,
    reports,
    round_admin,
    round_notices,
    round_results,
    serving,
    start,
    strategy,
    translations,
)
from handlers import callbacks as cb
from handlers.access import Button, button_router, checked_command
from handlers.commands import COMMANDS, publish_commands, sync_menus
from handlers.common import BotApplication, BotContext

_C, _M, _R, _T = Access.COORDINATOR, Access.MEMBER, Access.RATER, Access.TRANSLATOR

# Every button the bot makes, by the class of its payload: who may press it and where (checked
# on each press before the handler runs, with the round when the payload names one). A new
# payload must be added here, with its access.
BUTTONS: tuple[Button[Any], ...] = (
    Button(cb.Language, start.language_chosen),
    Button(cb.ChatLanguage, start.chat_language_chosen, _C, Where.GROUP),
    Button(cb.OpenCard, lookup.on_card_button),
    Button(cb.ListPage, lookup.on_list_button),
    Button(cb.StatesPage, browse.states_page),
    Button(cb.EditThemes, curation.on_edit_themes, _C),
    Button(cb.ToggleTheme, curation.on_toggle_theme, _C),
    Button(cb.OrgList, members.on_org_list, _C, Where.PRIVATE),
    Button(cb.OrgButton, members.on_org_button, _C, Where.PRIVATE),
    Button(cb.OrgActive, members.on_org_active, _C, Where.PRIVATE),
    Button(cb.OrgGroup, members.on_org_group, _C, Where.PRIVATE),
    Button(cb.OrgGroupsPage, members.on_org_groups_page, _C, Where.PRIVATE),
    Button(cb.OrgRemoveRep, members.on_remove_rep, _C, Where.PRIVATE),
    Button(cb.OrgRepsPage, members.on_reps_page, _C, Where.PRIVATE),
    Button(cb.RevokeInvite, members.on_revoke_invite, _C),
    Button(cb.LinkGroup, chats.on_link_button, _C, Where.GROUP),
    Button(cb.LinkGroupPage, chats.on_link_page, _C, Where.GROUP),
    Button(cb.GroupsPage, chats.on_groups_page, _C, Where.PRIVATE),
    Button(cb.ShowList, group_lists.on_show_list, _M),
    Button(cb.ListGroups, group_lists.on_groups_page, _M),
    Button(cb.EditList, group_lists.on_edit_list, _M),  # may this member edit: checked inside
    Button(cb.ListEditors, group_lists.on_list_editors, _C),
    Button(cb.Vote, group_rating.on_vote, _R),
    Button(cb.RateRound, group_rating.on_rate_round, _M),
    Button(cb.Skip, private_rating.on_skip, _R),
    Button(cb.Review, private_rating.on_review, _R),
    Button(cb.AskReason, private_rating.on_reason_button, _R),
    Button(cb.DeleteReason, private_rating.on_delete_reason, _R),
    Button(cb.UndoReason, private_rating.on_undo, _R, Where.PRIVATE),
    Button(cb.NextCard, private_rating.on_next, _R, Where.PRIVATE),
    Button(cb.ResultsPage, round_results.on_results_page, _M),
    Button(cb.RoundButton, round_admin.on_round_button, _C, Where.PRIVATE),
    Button(cb.RoundsPage, round_admin.on_rounds_page, _M),
    # Under a published-results notice: members, once the round is published (the gate).
    Button(cb.ResultsNotice, round_notices.on_results_notice, _M),
    Button(cb.RoundResults, round_results.on_results_button, _M),
    Button(cb.CompareRounds, round_results.on_compare_button, _M),
    Button(cb.ComparePage, round_results.on_compare_page, _M),
    Button(cb.ResultsPick, round_results.on_results_pick, _M),
    # Whether this person answers for the action is checked inside (a polite refusal).
    Button(cb.NudgeAnswer, strategy.on_status),
    Button(cb.StrategyPage, strategy.on_page, _M),
    Button(cb.StrategyGroups, strategy.on_groups_page, _M),
    Button(cb.StrategyCard, strategy.on_card, _M),
    Button(cb.ActionText, strategy.on_full_text, _M),
    # /strategy's rule: members and coordinators see the actions serving a recommendation.
    Button(cb.ServingActions, serving.on_serving, _M),
    # Adding and editing actions: coordinators, in their private chat (the group hears only
    # commands and replies, and the flow asks for several typed answers).
    Button(cb.ActionAdd, action_editor.on_add, _C, Where.PRIVATE),
    Button(cb.ActionEdit, action_editor.on_edit, _C, Where.PRIVATE),
    Button(cb.ActionField, action_editor.on_field, _C, Where.PRIVATE),
    Button(cb.ActionStep, action_editor.on_step, _C, Where.PRIVATE),
    Button(cb.ActionPage, action_editor.on_page, _C, Where.PRIVATE),
    Button(cb.MilestoneButton, milestones.on_button, _C),
    Button(cb.Compose, broadcasts.on_compose, _C, Where.PRIVATE),
    Button(cb.ComposePage, broadcasts.on_compose_page, _C, Where.PRIVATE),
    Button(cb.BroadcastButton, broadcasts.on_broadcast_button, _C, Where.PRIVATE),
    Button(cb.GotIt, broadcasts.on_got_it),  # anyone who received the broadcast
    Button(cb.DraftRound, round_admin.on_draft_button, _C),
    Button(cb.GuidedRound, round_admin.on_guide_button, _C),
    Button(cb.HelpMore, start.on_more_help),  # the presser's own role decides what it shows
    Button(cb.Example, start.on_example),
    Button(cb.ShowRounds, start.on_show_rounds, _M),
    Button(cb.AuditPageButton, audit.on_page, _C, Where.PRIVATE),
    # Translating the recommendations: translators (and coordinators), privately.
    Button(cb.TranslateStep, translations.on_step, _T, Where.PRIVATE),
    Button(cb.TranslationsFile, translations.on_file, _T, Where.PRIVATE),
    Button(cb.TranslatorButton, translations.on_translator, _C, Where.PRIVATE),
    Button(cb.TranslatorPage, translations.on_translator_page, _C, Where.PRIVATE),
    Button(cb.ReportDraft, reports.on_draft_button, _C, Where.PRIVATE),
    Button(cb.ReportCycle, reports.on_cycle_button, _C, Where.PRIVATE),
    Button(cb.CurrentCycle, reports.on_current_cycle, _C),
)

# Presses whose handlers read, of the pressed message's keyboard, only whether it offers the
# pressed button (the gate's check): rating taps. Their keyboard reaches PTB cut down to that
# button (bot.delivery.pressed_only): a burst of taps does not parse every card's keyboard.
LEAN_PRESSES = frozenset(cb.Vote.prefixes())


def register(app: BotApplication) -> None:
    """Attach every handler. Order matters: the first matching handler in a group wins."""
    callbacks = {
        "start": start.start,
        "help": start.help_command,
        "language": start.language_command,
        "find": lookup.on_find,
        "themes": browse.themes,
        "states": browse.states,
        "cycles": browse.cycles,
        "me": members.me,
        "orgs": members.orgs,
        "addorg": members.add_org,
        "linkgroup": chats.link_group,
        "groups": chats.groups,
        "unlinkgroup": chats.unlink_group,
        "promote": members.promote,
        "demote": members.demote,
        "unreachable": members.unreachable,
        "audit": audit.audit,
        "rate": group_rating.rate,
        "myratings": private_rating.my_ratings,
        "rounds": round_admin.rounds,
        "results": round_results.results,
        "export": round_results.export,
        "compare": round_results.compare,
        "openround": round_admin.open_round,
        "grouprecs": group_lists.group_recs,
        "status": operations.status,
        "strategy": strategy.strategy,
        "milestones": milestones.milestones,
        "broadcast": broadcasts.broadcast,
        "broadcasts": broadcasts.list_broadcasts,
        "translate": translations.translate,
        "translations": translations.translations,
        "translators": translations.translators,
        "responses": reports.responses,
    }
    # Group -1 runs before everything: flood limits, then members' records kept fresh.
    app.add_handler(TypeHandler(Update, guard.guard), group=-1)
    # Every button press: decoded into its payload, gated, dispatched by the payload's type.
    # First in its group: no other handler takes a press or an inline query, and a burst of
    # taps then skips the ~40 command and message checks below.
    app.add_handler(CallbackQueryHandler(button_router(BUTTONS)))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    # The bot's own membership of groups, and groups turning into supergroups.
    app.add_handler(ChatMemberHandler(chats.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chats.on_migrate))
    for command in COMMANDS:  # a listed command without a handler fails here, at start-up
        gated = checked_command(command.access, command.where, callbacks[command.name])
        app.add_handler(CommandHandler(command.name, gated))
    # Plain text is a query only in private chats: in groups the bot hears only commands and
    # replies to its prompts. A reply may carry a milestone's date, a field of an action being
    # added or edited, a note or a new date for an action, numbers for
    # a group's list (in either chat), privately a rating's reason; a coordinator composing a
    # broadcast sends its message (text, photo or document) or a typed time; after a reason
    # prompt the next private text is the reason (unless it is a lookup); anything else
    # private is a lookup.
    # Privately, while /translate waits for a Khmer text, the next message (or reply) is it.
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, _private_text_or_reply
        )
    )
    app.add_handler(
        MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, action_editor.on_reply)
    )
    # A file sent privately is a strategy to import (coordinators), or a Working Group report
    # (a PDF), unless a broadcast being composed waits for it.
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.Document.ALL, strategy.on_file)
    )
    # Privately, plain text soon after a step of adding or editing an action answers it.
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND,
            action_editor.on_private_text,
        )
    )
    app.add_handler(
        MessageHandler(
            # Every kind of message: a sticker or a voice note to the composer is answered.
            filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            broadcasts.on_private_message,
        )
    )
    app.add_handler(MessageHandler(filters.COMMAND, errors.unknown_command))
    app.add_error_handler(errors.on_error)


async def _private_text_or_reply(update: Update, context: BotContext) -> None:
    """A private text: the Khmer text /translate waits for, else a reply to a prompt or a
    plain message as below."""
    if await translations.take_text(update, context):
        return
    message = update.effective_message
    if message is not None and message.reply_to_message is not None:
        await action_editor.on_reply(update, context)
        return
    if await reports.pasted_responses(update, context):  # 'accepted: 118.1-…' without the command
        return
    await action_editor.on_private_text(update, context)


__all__ = ["BUTTONS", "LEAN_PRESSES", "publish_commands", "register", "sync_menus"]
