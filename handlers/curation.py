"""Coordinators re-assign a recommendation's themes with buttons; checked on every press."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.domain.arguments import whole_number
from bot.domain.i18n import Localizer
from bot.domain.model import Recommendation
from bot.domain.text import truncate
from handlers import render
from handlers.common import BotContext, reader, stale
from handlers.lookup import edit
from handlers.render import escape


def _editor(
    l10n: Localizer, context: BotContext, rec: Recommendation
) -> tuple[str, InlineKeyboardMarkup]:
    catalog = context.services.catalog
    text = (
        f"<b>{escape(str(rec.number))}</b> · "
        f"{escape(render.cycle_label(l10n, catalog, rec.cycle))}\n"
        f"{escape(truncate(rec.text_en, 300))}\n\n"
        + escape(
            l10n.gettext(
                "Tap a theme to add it or take it away. ✓ marks the themes "
                "this recommendation is in; your choice is kept on re-import."
            )
        )
    )
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if theme.id in rec.theme_ids else "") + theme.name(l10n.language),
                callback_data=f"tt:{rec.id}:{theme.id}",
            )
        ]
        for theme in catalog.themes
    ]
    rows.append(
        [
            InlineKeyboardButton(
                l10n.gettext("Done"), callback_data=f"r:{rec.cycle}:{rec.number}:{l10n.language}"
            )
        ]
    )
    return text, InlineKeyboardMarkup(rows)


async def on_theme_button(update: Update, context: BotContext) -> None:
    """te:<rec id> opens the editor; tt:<rec id>:<theme id> toggles one theme (coordinators:
    the gate checks every press)."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.data is None or user is None:
        return
    l10n = await reader(update, context)
    services = context.services
    parts = query.data.split(":")
    rec = None
    ids = [whole_number(p) for p in parts[1:]]
    if len(parts) in (2, 3) and ids[0] is not None:
        rec = services.catalog.by_id.get(ids[0])
    if rec is None or (len(ids) == 2 and ids[1] not in services.catalog.themes_by_id):
        await query.answer(
            stale(l10n),
            show_alert=True,
        )
        return
    if len(ids) == 2 and ids[1] is not None:
        theme_id = ids[1]
        await services.set_theme(rec.id, theme_id, theme_id not in rec.theme_ids)
        rec = services.catalog.by_id[rec.id]
        await query.answer(l10n.gettext("Saved."))
    else:
        await query.answer()
    if isinstance(query.message, Message):
        text, markup = _editor(l10n, context, rec)
        await edit(query.message, text, markup)
