"""Inline mode: '@bot 110.45' or '@bot land' in any chat offers cards to share."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)

from bot.domain.arguments import bare_year, whole_number
from bot.domain.catalog import MAX_QUERY_CHARS, EmptyQuery
from bot.domain.model import Recommendation
from bot.domain.numbers import MalformedNumber, MultipleCycles, parse_numbers
from bot.domain.text import truncate
from handlers import render
from handlers.common import BotContext, reader

RESULTS_PER_PAGE = 20  # Telegram allows 50; 20 keeps answers small and fast


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer with shareable cards, paged through Telegram's offsets."""
    query = update.inline_query
    if query is None:
        return
    l10n = await reader(update, context)
    catalog = context.services.catalog
    text = query.query.strip()
    hint = l10n.gettext("Type a number like 118.6 or words like land")
    recs: Sequence[Recommendation] = ()
    warming = False  # just restarted: the word index is still being built
    if text and len(text) <= MAX_QUERY_CHARS:
        try:
            numbers = None if bare_year(text) else parse_numbers(text)  # a year: words
            if numbers is not None:
                recs = catalog.lookup(numbers).found
            elif await context.services.search_ready():
                recs = catalog.search(catalog.parse_search(text)).recommendations
            else:
                warming = True
                hint = l10n.gettext("Search is starting: try again in a few seconds")
        except (MalformedNumber, MultipleCycles, EmptyQuery):
            recs = ()
        if not recs and not warming:
            hint = l10n.gettext("Nothing found. Tap here for help.")
    offset = whole_number(query.offset) or 0
    page = recs[offset : offset + RESULTS_PER_PAGE]
    results = [
        InlineQueryResultArticle(
            id=f"{rec.cycle}-{rec.number}",
            title=f"{rec.number} · {render.cycle_name(l10n, rec.cycle)} "
            f"{render.RESPONSE_ICONS[rec.response]}",
            description=truncate(rec.text_in(l10n.language), 120),
            input_message_content=InputTextMessageContent(
                render.split_messages([render.card(l10n, catalog, rec)])[0]
            ),
        )
        for rec in page
    ]
    more = offset + RESULTS_PER_PAGE < len(recs)
    button = None
    if offset == 0 and not results:
        button = InlineQueryResultsButton(text=truncate(hint, 60), start_parameter="help")
    await query.answer(
        results,
        cache_time=0 if warming else 60,
        is_personal=True,
        next_offset=str(offset + RESULTS_PER_PAGE) if more else None,
        button=button,
    )
