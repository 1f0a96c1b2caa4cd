"""Lookups: numbers and words typed in chat or after /find, and the buttons on the answers."""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest

from bot.domain.arguments import arguments, bare_year, round_and_rest
from bot.domain.catalog import MAX_QUERY_CHARS, EmptyQuery, QueryTooLong
from bot.domain.i18n import Localizer
from bot.domain.model import RecNumber, Recommendation
from bot.domain.numbers import MalformedNumber, MultipleCycles, parse_numbers
from handlers import render
from handlers.access import Press
from handlers.callbacks import ListPage, OpenCard
from handlers.common import BotContext, reader, stale
from handlers.render import escape

log = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
    """A private message: a number lookup or a word search."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await answer_query(message, context, await reader(update, context), message.text)


async def on_find(update: Update, context: BotContext) -> None:
    """/find <number or words>, the way to ask in groups."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    l10n = await reader(update, context)
    # The words after the command, as typed (context.args would lose line breaks and spacing).
    query = arguments(message.text)
    if not query.strip():
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Write what to find after the command, for example: /find 118.6 or /find land"
                )
            )
        )
        return
    await answer_query(message, context, l10n, query)


async def answer_query(message: Message, context: BotContext, l10n: Localizer, text: str) -> None:
    """Answer a number lookup or a word search; explain every kind of bad input."""
    catalog = context.services.catalog
    if len(text) > MAX_QUERY_CHARS:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "That is too long to search. Please send at most {limit} characters: a number or a "
                    "few words."
                ).format(limit=l10n.number(MAX_QUERY_CHARS))
            )
        )
        return
    asked, rest = round_and_rest(text)
    if asked is not None:  # 'វគ្គទី២' is a round, not words to search: say where its results are
        if rest.strip():  # 'វគ្គទី១ ដីធ្លី': the other words are searched first
            await answer_query(message, context, l10n, rest)
        await message.reply_text(
            escape(
                l10n.gettext("To see the results of round {id}, send /results {number}.").format(
                    id=l10n.number(asked), number=asked
                )
            )
        )
        return
    try:  # a year (2030, ២០៣០) is searched as a word
        numbers = None if bare_year(text) else parse_numbers(text)
    except MalformedNumber:
        await message.reply_text(
            escape(
                l10n.gettext(
                    "I could not read that number. Write it as paragraph.item, like 118.6, "
                    "or a range like 118.1-118.4."
                )
            )
        )
        return
    except MultipleCycles:
        await message.reply_text(
            escape(l10n.gettext("Please name one cycle at a time, like 118.6 c2."))
        )
        return
    if numbers is not None:
        result = catalog.lookup(numbers)
        messages = render.number_reply(l10n, catalog, result)
        markup = None
        if len(result.found) == 1 and not result.missing:
            rec = result.found[0]
            actions = await serving_count(context, message.from_user, rec)
            messages = [
                render.card(
                    l10n, catalog, rec, None, await latest_line(context, l10n, rec), actions
                )
            ]
            markup = render.card_keyboard(
                l10n,
                rec,
                elsewhere=result.elsewhere.get(rec.number, ()),
                coordinator=await _is_coordinator(message.from_user, message.chat, context),
                actions=actions,
            )
        elif result.elsewhere:
            markup = _elsewhere_keyboard(l10n, result.elsewhere, result.missing)
        for i, chunk in enumerate(messages):
            await message.reply_text(
                chunk, reply_markup=markup if i == len(messages) - 1 else None
            )
        return
    try:
        request = catalog.parse_search(text)
    except QueryTooLong:  # pragma: no cover - checked above; kept for the domain's contract
        return
    except EmptyQuery:
        await message.reply_text(
            escape(
                l10n.gettext("Send a number like 118.6 or some words like land or ដីធ្លី. See /help.")
            )
        )
        return
    searches = context.services.searches
    cycles = [c.number for c in catalog.cycles]
    if request.cycle is not None and request.cycle not in cycles:  # 'ជុំទី៤' before it is in
        token = searches.remember(request) if request.text else ""
        await message.reply_text(
            escape(
                l10n.gettext(
                    "Cycle {cycle} is not in the bot yet. The bot has: {cycles}. See /cycles."
                ).format(
                    cycle=l10n.number(request.cycle),
                    cycles=", ".join(render.cycle_name(l10n, c) for c in sorted(cycles)),
                )
            ),
            reply_markup=render.filter_keyboard(l10n, catalog, request, token),
        )
        return
    if request.text and not await context.services.search_ready():
        await message.reply_text(escape(starting(l10n)))
        return
    search = catalog.search(request)
    token = searches.remember(request) if request.text else ""
    suggestions = (
        render.suggestion_buttons(l10n, catalog, catalog.suggest(search), searches.remember)
        if search.unknown and not search.recommendations
        else []
    )
    page, markup = render.result_page(l10n, catalog, search, 0, token, suggestions)
    await message.reply_text(page, reply_markup=markup)


def starting(l10n: Localizer) -> str:
    """What a word search gets while the bot is still building its search after a restart."""
    return l10n.gettext(
        "Search is starting after a restart: please try again in a few seconds. "
        "Numbers like 118.6 work already."
    )


def _elsewhere_keyboard(
    l10n: Localizer, elsewhere: dict[RecNumber, tuple[int, ...]], missing: tuple[RecNumber, ...]
) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            l10n.gettext("{number} in cycle {cycle}").format(number=n, cycle=l10n.number(c)),
            callback_data=OpenCard(c, str(n)).pack(),
        )
        for n in missing
        for c in elsewhere.get(n, ())
    ][:12]
    return (
        InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
        if buttons
        else None
    )


async def _is_coordinator(user: User | None, chat: Chat | None, context: BotContext) -> bool:
    # Only in private chats: a coordinator's edit button must not appear in a group's view.
    return (
        user is not None
        and chat is not None
        and chat.type == "private"
        and await context.services.is_coordinator(user.id)
    )


async def on_card_button(press: Press[OpenCard], context: BotContext) -> None:
    """Open a card (new message) or switch its language (in place)."""
    query, l10n, data = press.query, press.l10n, press.data
    catalog = context.services.catalog
    try:
        rec = catalog.get(data.cycle, RecNumber.parse(data.number))
    except ValueError:
        rec = None
    if rec is None:
        await query.answer(
            l10n.gettext("This recommendation is no longer available. Please search again."),
            show_alert=True,
        )
        return
    await query.answer()
    language = data.language.value if data.language is not None else None
    coordinator = await _is_coordinator(press.user, press.message.chat, context)
    actions = await serving_count(context, press.user, rec)
    latest = await latest_line(context, l10n, rec)
    text = render.card(l10n, catalog, rec, language, latest, actions)
    others = tuple(c for c in catalog.lookup_cycles(rec.number) if c != rec.cycle)
    markup = render.card_keyboard(
        l10n, rec, elsewhere=others, coordinator=coordinator, language=language, actions=actions
    )
    if language is not None:
        await edit(press.message, text, markup)
    else:
        await context.bot.send_message(press.message.chat.id, text, reply_markup=markup)


async def on_list_button(press: Press[ListPage], context: BotContext) -> None:
    """Turn a page or change a filter of a result list, in place."""
    query, l10n, services = press.query, press.l10n, context.services
    try:
        request = render.parse_list_data(press.data, services.catalog, services.searches.recall)
    except render.ExpiredSearch:
        await query.answer(
            l10n.gettext("This list has expired. Please send your search again."), show_alert=True
        )
        return
    except render.StaleButton:
        await query.answer(stale(l10n), show_alert=True)
        return
    if request.text and not await services.search_ready():
        await query.answer(starting(l10n), show_alert=True)
        return
    await query.answer()
    result = services.catalog.search(request)
    text, markup = render.result_page(
        l10n, services.catalog, result, press.data.page, press.data.token or ""
    )
    await edit(press.message, text, markup)


async def latest_line(context: BotContext, l10n: Localizer, rec: Recommendation) -> str | None:
    """The card's line about the latest published assessment of this recommendation, if any."""
    latest = await context.services.assessments.latest(rec.id)
    return render.assessment_line(l10n, *latest) if latest else None


async def serving_count(context: BotContext, user: User | None, rec: Recommendation) -> int | None:
    """How many actions serve the card's recommendation, for a reader who may see the
    strategies (one query, for this card only: never per result of a list)."""
    if user is None:
        return None
    return await context.services.strategies.serving_count(user.id, rec.id)


async def edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message; an edit that changes nothing is not an error."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise
