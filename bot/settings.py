"""Settings read once from the environment into a frozen dataclass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.i18n import LANGUAGES

DEFAULT_DATABASE_PATH = Path("var") / "upr-bot.sqlite3"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    token: str = field(repr=False)
    base_url: str | None = None
    database_path: Path = DEFAULT_DATABASE_PATH
    coordinator_ids: frozenset[int] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Phnom_Penh"))
    default_language: str = "en"
    current_cycle: int | None = None
    catalog_refresh_seconds: float = 60.0
    invite_ttl_hours: int = 72
    rate_limit_per_minute: int = 30
    min_ratings: int = 3
    card_edit_seconds: float = 3.0
    backup_dir: Path | None = None  # None: a `backups` folder beside the database
    backup_time: dt.time = dt.time(2, 0)  # in `timezone`
    backup_keep: int = 14
    nudge_time: dt.time = dt.time(9, 0)  # in `timezone`: nudges and the Monday summary
    nudge_days_before: tuple[int, ...] = (14, 3)  # days before the due day; then due, overdue
    outbox_per_second: int = 30  # messages the outbox sends a second, overall
    outbox_group_per_minute: int = 20  # … into one group chat a minute
    outbox_chat_per_second: int = 1  # … into one chat a second
    outbox_give_up_minutes: int = 60  # 5xx / timeouts: a delivery is retried this long
    round_notices: bool = True  # rounds tell chats and members when they open, close, publish
    round_reminder_days: tuple[int, ...] = (3, 1)  # reminders this many days before closing

    @property
    def backup_folder(self) -> Path:
        """Where backups go: BACKUP_DIR, else `backups` beside the database."""
        return self.backup_dir or self.database_path.parent / "backups"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, require_token: bool = True) -> Settings:
        """Read and validate every setting; raise SettingsError with a helpful message."""
        token = env.get("BOT_TOKEN", "").strip()
        if require_token and not token:
            raise SettingsError(
                "BOT_TOKEN is not set. Talk to @BotFather on Telegram, send /newbot, and put "
                "the token it gives you in the BOT_TOKEN environment variable."
            )
        return cls(
            token=token,
            base_url=_parse_base_url(env.get("TELEGRAM_BASE_URL", "")),
            database_path=Path(env.get("DATABASE_PATH", "").strip() or DEFAULT_DATABASE_PATH),
            coordinator_ids=_parse_ids(env.get("COORDINATOR_IDS", "")),
            timezone=_parse_timezone(env.get("TIMEZONE", "").strip() or "Asia/Phnom_Penh"),
            default_language=_parse_language(env.get("DEFAULT_LANGUAGE", "").strip() or "en"),
            current_cycle=_parse_positive_int("CURRENT_CYCLE", env.get("CURRENT_CYCLE", "")),
            catalog_refresh_seconds=float(
                _parse_positive_int(
                    "CATALOG_REFRESH_SECONDS", env.get("CATALOG_REFRESH_SECONDS", "")
                )
                or 60
            ),
            invite_ttl_hours=_parse_positive_int(
                "INVITE_TTL_HOURS", env.get("INVITE_TTL_HOURS", "")
            )
            or 72,
            rate_limit_per_minute=_parse_positive_int(
                "RATE_LIMIT_PER_MINUTE", env.get("RATE_LIMIT_PER_MINUTE", "")
            )
            or 30,
            min_ratings=_parse_positive_int("MIN_RATINGS", env.get("MIN_RATINGS", "")) or 3,
            card_edit_seconds=float(
                _parse_positive_int("CARD_EDIT_SECONDS", env.get("CARD_EDIT_SECONDS", "")) or 3
            ),
            backup_dir=Path(env["BACKUP_DIR"].strip())
            if env.get("BACKUP_DIR", "").strip()
            else None,
            backup_time=_parse_time("BACKUP_TIME", env.get("BACKUP_TIME", "").strip() or "02:00"),
            backup_keep=_parse_positive_int("BACKUP_KEEP", env.get("BACKUP_KEEP", "")) or 14,
            nudge_time=_parse_time("NUDGE_TIME", env.get("NUDGE_TIME", "").strip() or "09:00"),
            nudge_days_before=_parse_days(env.get("NUDGE_DAYS_BEFORE", "14,3")),
            outbox_per_second=_parse_positive_int(
                "OUTBOX_PER_SECOND", env.get("OUTBOX_PER_SECOND", "")
            )
            or 30,
            outbox_group_per_minute=_parse_positive_int(
                "OUTBOX_GROUP_PER_MINUTE", env.get("OUTBOX_GROUP_PER_MINUTE", "")
            )
            or 20,
            outbox_chat_per_second=_parse_positive_int(
                "OUTBOX_CHAT_PER_SECOND", env.get("OUTBOX_CHAT_PER_SECOND", "")
            )
            or 1,
            outbox_give_up_minutes=_parse_positive_int(
                "OUTBOX_GIVE_UP_MINUTES", env.get("OUTBOX_GIVE_UP_MINUTES", "")
            )
            or 60,
            round_notices=env.get("ROUND_NOTICES", "").strip().lower() not in ("0", "no", "off"),
            round_reminder_days=_parse_days(
                env.get("ROUND_REMINDER_DAYS", "3,1"), "ROUND_REMINDER_DAYS"
            ),
        )


def _parse_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise SettingsError(
                f"COORDINATOR_IDS must be comma-separated Telegram user ids, got {part!r}."
            )
        ids.add(int(part))
    return frozenset(ids)


def _parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"TIMEZONE {name!r} is not a known time zone.") from exc


def _parse_language(code: str) -> str:
    if code not in LANGUAGES:
        raise SettingsError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}.")
    return code


def _parse_positive_int(name: str, raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive whole number, got {raw!r}.")
    return int(raw)


def _parse_days(raw: str, name: str = "NUDGE_DAYS_BEFORE") -> tuple[int, ...]:
    """Days before a due day, like '14,3' (empty: none), largest first."""
    days = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= 365:
            raise SettingsError(
                f"{name} must be days between 1 and 365 separated by commas, like "
                f"14,3; got {part!r}."
            )
        days.add(int(part))
    return tuple(sorted(days, reverse=True))


def _parse_time(name: str, raw: str) -> dt.time:
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a time of day like 02:00, got {raw!r}.") from exc


def _parse_base_url(raw: str) -> str | None:
    url = raw.strip().rstrip("/")
    if not url:
        return None
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query
        _ = parts.port  # raises on a malformed port
    except ValueError:
        valid = False
    if not valid:
        # The value itself is not repeated: a token pasted here must not reach the log.
        raise SettingsError(
            "TELEGRAM_BASE_URL must be the address of a Bot API server, like "
            "https://api.telegram.org (without /bot or the token)."
        )
    return url
