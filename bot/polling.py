"""Polling that survives an update the library cannot read."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class ReadableUpdates(HTTPXRequest):
    """The getUpdates connection: an update that cannot be parsed is emptied, not retried.

    PTB parses a whole batch at once; one update it cannot read (a field a newer Bot API
    dropped, a malformed object) makes it fetch the same batch again, forever, and the bot
    stops answering everyone. Such an update keeps only its id (so polling moves past it) and
    is logged without its content.
    """

    def __init__(self, **kwargs: Any) -> None:
        """One connection, as PTB's own getUpdates request uses."""
        super().__init__(connection_pool_size=1, **kwargs)

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Telegram's answer, with the updates PTB cannot read emptied."""
        answer = HTTPXRequest.parse_json_payload(payload)
        if isinstance(answer.get("result"), list):
            answer["result"] = [readable(raw) for raw in answer["result"]]
        return answer


def readable(raw: dict[str, Any]) -> dict[str, Any]:
    """The update itself if PTB can parse it and it has what Telegram always sends, else its id."""
    try:
        update = Update.de_json(raw, None)
    except Exception as exc:
        return _skipped(raw, type(exc).__name__)
    message = update.effective_message
    if message is not None and message.chat is None:
        return _skipped(raw, "a message without its chat")
    return raw


def _skipped(raw: dict[str, Any], why: str) -> dict[str, Any]:
    # Why only: the content may be a member's message.
    log.warning("update %s cannot be read (%s); skipped", raw.get("update_id"), why)
    return {"update_id": raw["update_id"]}
