"""Browsing with buttons: /themes, /states, /cycles (no typing needed on a phone)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.domain.catalog import SearchRequest
from bot.domain.i18n import Localizer
from bot.domain.text import truncate
from handlers import render
from handlers.access import Press
from handlers.callbacks import CurrentCycle, StatesPage
from handlers.common import BotContext, reader
from handlers.lookup import edit
from handlers.render import escape

STATES_PER_PAGE = 24


async def themes(update: Update, context: BotContext) -> None:
    """One button per theme, with how many recommendations it has."""
    l10n = await reader(update, context)
    catalog = context.services.catalog
    counts = catalog.counts_by_theme()
    buttons = [
        [
            InlineKeyboardButton(
                f"{theme.name(l10n.language)} ({l10n.number(counts.get(theme.id, 0))})",
                callback_data=render.list_data(SearchRequest(theme_id=theme.id), "", 0),
            )
        ]
        for theme in catalog.themes
    ]
    if update.effective_message:
        await update.effective_message.reply_text(
            escape(l10n.gettext("Choose a theme:")), reply_markup=InlineKeyboardMarkup(buttons)
        )


def _states_page(context: BotContext, language: str, page: int) -> InlineKeyboardMarkup:
    catalog = context.services.catalog
    l10n = context.services.translations.localizer(language)
    counts = catalog.counts_by_state()
    states = sorted(catalog.states.values(), key=lambda s: s.name(language))
    pages = max(1, (len(states) + STATES_PER_PAGE - 1) // STATES_PER_PAGE)
    page = max(0, min(page, pages - 1))
    shown = states[page * STATES_PER_PAGE : (page + 1) * STATES_PER_PAGE]
    buttons = [
        InlineKeyboardButton(
            f"{truncate(s.name(language), 22)} ({l10n.number(counts.get(s.key, 0))})",
            callback_data=render.list_data(SearchRequest(state=s.key), "", 0),
        )
        for s in shown
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=StatesPage(page - 1).pack()))
    if pages > 1:
        nav.append(
            InlineKeyboardButton(
                render.page_label(l10n, page, pages), callback_data=StatesPage(page).pack()
            )
        )
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=StatesPage(page + 1).pack()))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


async def states(update: Update, context: BotContext) -> None:
    """Recommending States as buttons, alphabetical in the reader's language, paged."""
    l10n = await reader(update, context)
    if update.effective_message:
        await update.effective_message.reply_text(
            escape(l10n.gettext("Choose a recommending State:")),
            reply_markup=_states_page(context, l10n.language, 0),
        )


async def states_page(press: Press[StatesPage], context: BotContext) -> None:
    """Another page of States."""
    await press.query.answer()
    await edit(
        press.message,
        escape(press.l10n.gettext("Choose a recommending State:")),
        _states_page(context, press.l10n.language, press.data.page),
    )


async def cycles(update: Update, context: BotContext) -> None:
    """The cycles the bot knows, with dates and counts, and a button to browse each."""
    l10n = await reader(update, context)
    user = update.effective_user
    coordinator = user is not None and await context.services.is_coordinator(user.id)
    text, markup = cycles_view(l10n, context, coordinator=coordinator)
    if update.effective_message:
        await update.effective_message.reply_text(text, reply_markup=markup)


def cycles_view(
    l10n: Localizer, context: BotContext, *, coordinator: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/cycles' message: each cycle's count, what a number alone means, a button to browse
    each cycle and, for coordinators, one to make another cycle current."""
    catalog = context.services.catalog
    counts = catalog.counts_by_cycle()
    lines = ["<b>" + escape(l10n.gettext("Review cycles")) + "</b>", ""]
    for cycle in catalog.cycles:
        lines.append(
            escape(
                l10n.ngettext(
                    "{cycle}: {count} recommendation",
                    "{cycle}: {count} recommendations",
                    counts.get(cycle.number, 0),
                ).format(
                    cycle=render.cycle_label(l10n, catalog, cycle.number),
                    count=l10n.number(counts.get(cycle.number, 0)),
                )
            )
        )
    if catalog.current_cycle is not None:
        lines += [
            "",
            escape(
                l10n.gettext("A number without a cycle means cycle {cycle}.").format(
                    cycle=l10n.number(catalog.current_cycle)
                )
            ),
        ]
    buttons = [
        [
            InlineKeyboardButton(
                l10n.gettext("Cycle {cycle}").format(cycle=l10n.number(c.number)),
                callback_data=render.list_data(SearchRequest(cycle=c.number), "", 0),
            )
            for c in catalog.cycles
        ]
    ]
    if coordinator:
        # Coordinators choose what a number without a cycle means (stored; outranks the
        # CURRENT_CYCLE setting).
        buttons += [
            [
                InlineKeyboardButton(
                    l10n.gettext("Make cycle {cycle} current").format(cycle=l10n.number(number)),
                    callback_data=CurrentCycle(cycle=number).pack(),
                )
            ]
            for number in sorted(counts)
            if number != catalog.current_cycle
        ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if catalog.cycles else None
