"""What every handler shares: the typed context and the reader's localizer."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Localizer
from bot.services import Services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the bot's services attached."""

    @property
    def services(self) -> Services:
        """The services built at start-up."""
        services: Services = self.application.bot_data["services"]
        return services


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


async def reader(update: Update, context: BotContext) -> Localizer:
    """The localizer for whoever sent this update."""
    services = context.services
    user = update.effective_user
    if user is None:
        return services.translations.localizer(None)
    language = await services.language_of(user.id, user.language_code)
    return services.translations.localizer(language)
