"""The UPR coalition bot's core: settings, wiring, i18n and the Telegram-free domain."""
