"""Entry point: `python bot.py` runs the bot, `python bot.py import FILE` loads data."""

from bot.main import main

if __name__ == "__main__":
    raise SystemExit(main())
