"""Coordinators re-assign a recommendation's themes with buttons; checked on every press."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.i18n import Localizer
from bot.domain.model import Recommendation
from bot.domain.text import truncate
from handlers import render
from handlers.access import Press
from handlers.callbacks import EditThemes, Lang, OpenCard, ToggleTheme
from handlers.common import BotContext, stale
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
                callback_data=ToggleTheme(rec.id, theme.id).pack(),
            )
        ]
        for theme in catalog.themes
    ]
    rows.append(
        [
            InlineKeyboardButton(
                l10n.gettext("Done"),
                callback_data=OpenCard(rec.cycle, str(rec.number), Lang(l10n.language)).pack(),
            )
        ]
    )
    return text, InlineKeyboardMarkup(rows)


async def on_edit_themes(press: Press[EditThemes], context: BotContext) -> None:
    """Open the theme editor of a recommendation (coordinators: the gate checks every press)."""
    rec = context.services.catalog.by_id.get(press.data.rec)
    if rec is None:
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    await press.query.answer()
    await edit(press.message, *_editor(press.l10n, context, rec))


async def on_toggle_theme(press: Press[ToggleTheme], context: BotContext) -> None:
    """Add or take away one theme of a recommendation, and redraw the editor."""
    services, (rec_id, theme_id) = context.services, (press.data.rec, press.data.theme)
    rec = services.catalog.by_id.get(rec_id)
    if rec is None or theme_id not in services.catalog.themes_by_id:
        await press.query.answer(stale(press.l10n), show_alert=True)
        return
    await services.set_theme(rec.id, theme_id, theme_id not in rec.theme_ids)
    await press.query.answer(press.l10n.gettext("Saved."))
    await edit(press.message, *_editor(press.l10n, context, services.catalog.by_id[rec.id]))
