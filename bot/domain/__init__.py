"""The domain: plain Python types, rules and services; knows nothing of Telegram or SQLite."""
