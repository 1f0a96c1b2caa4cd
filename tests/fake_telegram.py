"""A strict fake of the Telegram Bot API, served over HTTP on loopback for the real PTB bot.

It knows only the methods the bot is expected to call (others answer 404), and it rejects what
Telegram rejects: texts over 4096 characters, malformed HTML, callback data over 64 bytes, …
Tests inject updates (a user sends text, presses a button, types an inline query) and await the
bot's calls. Faults on demand: Telegram's flood limits (429 with `retry_after`, off unless a test
sets `limits`), users who blocked the bot (403), 5xx answers, slow answers and stalled calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html as htmllib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "upr_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-server"
# Telegram takes files up to 50 MB through multipart sendDocument; the form around it is small.
MAX_BODY = 50 * 1024 * 1024 + 1024 * 1024

_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "results",
    "commands",
    "scope",
    "button",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
}
_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"]*\")?)*)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    """A Bot API error answer."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        """The JSON Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


Window = tuple[int, float]  # at most this many messages in any this many seconds


@dataclass
class FloodLimits:
    """Telegram's flood limits; None switches one off (the default, so most tests run fast)."""

    private: Window | None = None
    group: Window | None = None
    overall: Window | None = None

    @classmethod
    def telegram(cls) -> FloodLimits:
        """Telegram's limits: 1 a second a chat (bursts of 5), 20 a minute a group, 30 a second."""
        return cls(private=(5, 5.0), group=(20, 60.0), overall=(30, 1.0))


def _is_message(method: str) -> bool:
    """Methods that put something into a chat: the ones flood limits and blocks apply to."""
    return method.startswith(("send", "edit", "copy", "forward"))


_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HREF = re.compile(r'href="([^"]*)"')


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(html: str) -> tuple[str, list[dict[str, Any]]]:
    """An HTML text as Telegram keeps it: the plain text and its entities (offsets in UTF-16
    code units); raises on bad HTML as Telegram does."""
    stack: list[tuple[str, int, str]] = []  # tag, where it starts, its attributes
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(html):
        ch = html[i]
        if ch == "<":
            match = _TAG.match(html, i)
            if not match:
                raise ApiError(400, f"Bad Request: can't parse entities: unexpected '<' at {i}")
            closing, name, attrs = match.groups()
            name = name.lower()
            if name not in _ALLOWED_TAGS:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported start tag "
                    f'"{name}" at byte offset {i}',
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    raise ApiError(
                        400,
                        f"Bad Request: can't parse entities: Can't find end tag "
                        f'corresponding to start tag "{name}"',
                    )
                _, begin, opened = stack.pop()
                length = _units("".join(out)) - begin
                if length:
                    entity = {"type": _ENTITY_TYPES[name], "offset": begin, "length": length}
                    href = _HREF.search(opened)
                    if name == "a" and href:
                        entity["url"] = htmllib.unescape(href.group(1))
                    entities.append(entity)
            else:
                stack.append((name, _units("".join(out)), attrs or ""))
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(html, i)
            if not match:
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Character entity "
                    f"expected at byte offset {i}",
                )
            out.append(htmllib.unescape(match.group()))
            i = match.end()
        elif ch == ">":
            raise ApiError(400, "Bad Request: can't parse entities: unexpected '>'")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{stack[-1][0]}"',
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def visible_length(html: str) -> int:
    """Telegram's length of an HTML text once parsed, in UTF-16 code units; raises on bad HTML."""
    return _units(parse_html(html)[0])


def check_photo(content: bytes) -> None:
    """Telegram's rules for an uploaded photo: at most 10 MB, width and height together at most
    10000 pixels, one side at most 20 times the other (checked for PNG, the bot's only kind)."""
    if not content:
        raise ApiError(400, "Bad Request: there is no photo in the request")
    if len(content) > 10 * 1024 * 1024:
        raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    if content[:8] != b"\x89PNG\r\n\x1a\n" or content[12:16] != b"IHDR":
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
    width, height = int.from_bytes(content[16:20]), int.from_bytes(content[20:24])
    if (
        not width
        or not height
        or width + height > 10000
        or max(width, height) > 20 * min(width, height)
    ):
        raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")


def check_text(text: str | None, parse_mode: str | None, limit: int = 4096) -> None:
    """Reject empty or over-long texts and malformed HTML, as Telegram does."""
    if not text or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    length = visible_length(text) if parse_mode == "HTML" else len(text.encode("utf-16-le")) // 2
    if length > limit:
        raise ApiError(400, "Bad Request: message is too long")


MAX_INLINE_BUTTONS = 100  # Telegram refuses a larger inline keyboard ("reply markup is too long")


def check_markup(markup: dict[str, Any] | None) -> None:
    """Inline keyboards: ≤ 100 buttons, each with text and one action; callback data ≤ 64 bytes."""
    if markup is None:
        return
    if markup.get("force_reply") is True:
        if len(markup.get("input_field_placeholder", "")) > 64:
            raise ApiError(400, "Bad Request: input field placeholder is too long")
        return
    rows = markup.get("inline_keyboard")
    if rows is None:
        raise ApiError(400, "Bad Request: unsupported reply markup")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise ApiError(400, "Bad Request: reply markup is too long")
    for row in rows:
        if not row:
            raise ApiError(400, "Bad Request: keyboard row is empty")
        for button in row:
            if not str(button.get("text", "")).strip():
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            actions = [k for k in button if k != "text"]
            if len(actions) != 1:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not re.fullmatch(r"(https?|tg)://\S+", url):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            start = re.search(r"[?&]start=([^&]*)", url or "")
            if start and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start.group(1)):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


_JITTER = 0.02  # seconds of loopback timing noise the flood limits forgive


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


MENU_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


@dataclass(frozen=True)
class MenuKey:
    """Where a command menu applies: Telegram's scope (its chat and user) and app language."""

    scope: str
    chat_id: int | None
    user_id: int | None
    language: str  # "" : any language without a menu of its own


@dataclass
class _Stall:
    """Calls of one method held unanswered (a slow or dying connection)."""

    after: int
    waiting: int = 0
    abandoned: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: str | None = None
    consumed: bool = False


@dataclass
class StoredMessage:
    """A message as the fake server remembers it."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    thread_id: int = 0
    reply_to: int | None = None  # the id of the message it answers
    parse_mode: str | None = None

    def as_sent(self) -> dict[str, Any]:
        """The text as Telegram gives it back: plain, with its entities when it was HTML."""
        if self.parse_mode != "HTML":
            return {"text": self.text}
        plain, entities = parse_html(self.text)
        return {"text": plain, **({"entities": entities} if entities else {})}


@dataclass
class FakeTelegram:
    """The fake Bot API server and the handle tests use to talk to the bot."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], StoredMessage] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # files users sent, by file_id
    open_callbacks: set[str] = field(default_factory=set)
    open_inline: set[str] = field(default_factory=set)
    commands: dict[MenuKey, list[dict[str, Any]]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    never_started: set[int] = field(default_factory=set)  # users who never opened a chat
    documents: dict[tuple[int, int], tuple[str, bytes]] = field(default_factory=dict)
    photos: dict[tuple[int, int], bytes] = field(default_factory=dict)  # uploaded pictures (PNG)
    photo_files: dict[str, bytes] = field(default_factory=dict)  # uploaded pictures by file_id
    limits: FloodLimits = field(default_factory=FloodLimits)
    # Seconds for the flood limits: a test's clock can drive them (virtual time, no sleeping).
    monotonic: Callable[[], float] = time.monotonic
    unknown_chats: set[int] = field(default_factory=set)  # 400 "chat not found"
    missing_topics: set[tuple[int, int]] = field(default_factory=set)  # 400 thread not found
    pinned: list[tuple[int, int]] = field(default_factory=list)
    # Group chats where the bot is an administrator allowed to pin (elsewhere pinChatMessage
    # answers 400, as Telegram does); the bot made one by `bot_membership(new="administrator")`.
    admins: set[int] = field(default_factory=set)
    # Groups that became supergroups: old id -> new id (400 with migrate_to_chat_id).
    migrated: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self.pushed: dict[int, dict[str, Any]] = {}  # every update queued, by id
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._stopping = False  # a long poll still waiting answers at once: teardown is quick
        self._pending: dict[str, list[Call]] = {}  # unconsumed calls by method, in order
        self.senders: dict[tuple[int, int], dict[str, Any]] = {}  # users' messages: who sent
        self._faults: dict[str, list[int]] = {}  # error codes the next calls of a method get
        self._delays: dict[str, list[float]] = {}  # seconds the next calls of a method wait
        self._stalls: dict[str, _Stall] = {}
        self._sent: dict[int, deque[float]] = {}  # when each chat last received messages
        self._sent_all: deque[float] = deque()
        self._flood_until: dict[int, float] = {}
        self.url = ""

    # --- server ---------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (on a free port by default); return the API root for the bot."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        async with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for stall in self._stalls.values():
            stall.abandoned = True
            stall.released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _file(self, request: web.Request) -> web.Response:
        """A file a user sent, as Telegram serves it to the bot after getFile."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        content = self.uploads.get(request.match_info["path"])
        return web.Response(body=content) if content is not None else web.Response(status=404)

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.uploads:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(self.uploads[file_id])
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": size,
            "file_path": file_id,
        }

    async def send_document(
        self, filename: str, content: bytes, *, user: dict[str, Any], caption: str = ""
    ) -> int:
        """A user sends a file to the bot in private; its update id."""
        file_id = f"upload{next(self._message_ids)}"
        self.uploads[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "file_size": len(content),
        }
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "document": document,
        }
        if caption:
            message["caption"] = caption
        return await self._push({"message": message})

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = {"filename": value.filename, "content": value.file.read()}
                else:
                    params[key] = json.loads(value) if key in _JSON_FIELDS else value
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        delays = self._delays.get(method)
        if delays:
            await asyncio.sleep(delays.pop(0))
        if not await self._pass_stall(method):
            return web.json_response({"ok": False}, status=502)  # nobody is listening any more
        if method == "getUpdates":
            try:
                self._inject_fault(method)
            except ApiError as exc:
                return web.json_response(exc.body(), status=exc.code)
            return web.json_response({"ok": True, "result": await self._api_getUpdates(params)})
        call = Call(method, params)
        try:
            self._inject_fault(method)
            if _is_message(method) and "chat_id" in params:
                topic = int(params.get("message_thread_id", 0) or 0)
                self._check_chat(method, int(params["chat_id"]), topic)
            call.result = handler(params)
        except ApiError as exc:
            call.error = exc.description
            await self._record(call)
            return web.json_response(exc.body(), status=exc.code)
        await self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    def _check_chat(self, method: str, chat_id: int, topic: int = 0) -> None:
        """Blocked users answer 403; over a flood limit, 429 with the seconds to wait."""
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.never_started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat_id in self.unknown_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        if (chat_id, topic) in self.missing_topics:
            raise ApiError(400, "Bad Request: message thread not found")
        now = self.monotonic()
        until = self._flood_until.get(chat_id, 0.0)
        if until > now:
            raise _too_many(until - now)
        window = self.limits.private if chat_id > 0 else self.limits.group
        if chat_id > 0 and not method.startswith("send"):
            window = None  # an edit in a private chat counts only towards the overall limit
        sent = self._sent.setdefault(chat_id, deque())
        for limit, times in ((window, sent), (self.limits.overall, self._sent_all)):
            if limit is None:
                continue
            count, seconds = limit
            while times and times[0] <= now - seconds + _JITTER:
                times.popleft()
            if len(times) >= count:
                raise _too_many(times[0] + seconds - now)
        if window is not None:
            sent.append(now)
        self._sent_all.append(now)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._pending.setdefault(call.method, []).append(call)
            self._changed.notify_all()

    def fail_next(self, method: str, code: int = 500, times: int = 1) -> None:
        """Answer the next call(s) of `method` with an error (a fault the bot must survive)."""
        self._faults.setdefault(method, []).extend([code] * times)

    def heal(self, method: str) -> None:
        """Telegram is back: drop the faults still waiting for `method`."""
        self._faults.pop(method, None)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next call(s) of `method` only after `seconds` (beyond the client's timeout)."""
        self._delays.setdefault(method, []).extend([seconds] * times)

    def flood_wait(self, chat_id: int, seconds: float) -> None:
        """Telegram is angry with one chat: every message to it gets 429 for `seconds`."""
        self._flood_until[chat_id] = self.monotonic() + seconds

    def stall(self, method: str, after: int = 0) -> None:
        """Let `after` more calls of `method` through, then hold every later one unanswered."""
        self._stalls[method] = _Stall(after)

    async def stalled(self, method: str, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` calls of `method` are being held."""
        stall = self._stalls[method]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: stall.waiting >= count), timeout)

    def release(self, method: str) -> None:
        """Answer the held calls of `method` now and stop holding later ones."""
        self._stalls.pop(method).released.set()

    def abandon(self, method: str) -> None:
        """The client that made the held calls is gone: drop them unrecorded, stop holding."""
        stall = self._stalls.pop(method)
        stall.abandoned = True
        stall.released.set()

    async def _pass_stall(self, method: str) -> bool:
        stall = self._stalls.get(method)
        if stall is None:
            return True
        if stall.after > 0:
            stall.after -= 1
            return True
        async with self._changed:
            stall.waiting += 1
            self._changed.notify_all()
        await stall.released.wait()
        return not stall.abandoned

    def _inject_fault(self, method: str) -> None:
        if self._faults.get(method):
            raise ApiError(self._faults[method].pop(0), "Injected fault")

    # --- Bot API methods --------------------------------------------------------------------
    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "UPR Test",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _menu_key(self, params: dict[str, Any]) -> MenuKey:
        """Check a command scope and language as Telegram does; the menu's key."""
        scope = params.get("scope") or {"type": "default"}
        kind = scope.get("type")
        if kind not in MENU_SCOPES:
            raise ApiError(400, "Bad Request: unsupported bot command scope type")
        chat_id = scope.get("chat_id") if kind.startswith("chat") else None
        user_id = scope.get("user_id") if kind == "chat_member" else None
        if (kind.startswith("chat") and chat_id is None) or (
            kind == "chat_member" and not user_id
        ):
            raise ApiError(400, "Bad Request: invalid bot command scope")
        if chat_id is not None and int(chat_id) in self.unknown_chats:
            raise ApiError(400, "Bad Request: chat not found")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return MenuKey(
            kind,
            None if chat_id is None else int(chat_id),
            None if user_id is None else int(user_id),
            language,
        )

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        if len({c["command"] for c in commands}) < len(commands):
            raise ApiError(400, "Bad Request: BOT_COMMAND_DUPLICATE")
        key = self._menu_key(params)
        if commands:
            self.commands[key] = commands
        else:  # as Telegram does: an empty list is the same as deleting
            self.commands.pop(key, None)
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._menu_key(params), None)
        return True

    async def menu_published(self, chat_id: int, method: str = "setMyCommands") -> None:
        """Wait until the bot has set (or deleted) one chat's menu in each of its languages."""
        for _ in range(3):
            await self.next_call(
                method, where=lambda c: (c.params.get("scope") or {}).get("chat_id") == chat_id
            )

    def menu(
        self, user: dict[str, Any], chat: dict[str, Any] | None = None, language: str | None = None
    ) -> list[str]:
        """The commands a user sees in a chat's menu (their own private chat by default), in
        their app's language (or `language`)."""
        return [c["command"] for c in self._resolved(user, chat, language)]

    def commands_of(self, user: dict[str, Any], command: str, language: str | None = None) -> str:
        """How a command is described in the user's private menu."""
        found = self._resolved(user, None, language)
        return next(str(c["description"]) for c in found if c["command"] == command)

    def _resolved(
        self, user: dict[str, Any], chat: dict[str, Any] | None, language: str | None
    ) -> list[dict[str, Any]]:
        """As Telegram does: the narrowest scope with commands, in the app's language, else
        that scope's commands without a language."""
        app_language = language if language is not None else user.get("language_code", "")
        chat_id = (chat or user)["id"]
        scopes = (
            [MenuKey("chat", chat_id, None, ""), MenuKey("all_private_chats", None, None, "")]
            if chat is None
            else [
                MenuKey("chat_member", chat_id, user["id"], ""),
                MenuKey("chat", chat_id, None, ""),
                MenuKey("all_group_chats", None, None, ""),
            ]
        )
        for scope in [*scopes, MenuKey("default", None, None, "")]:
            for code in (app_language.split("-")[0], ""):
                found = self.commands.get(dataclasses.replace(scope, language=code))
                if found:
                    return found
        return []

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = min(float(params.get("timeout", 0) or 0), 0.3)
        deadline = time.monotonic() + timeout
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            return list(self._updates[:100])

    def _new_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        stored = StoredMessage(
            chat_id,
            message_id,
            params["text"],
            params.get("reply_markup"),
            int(params.get("message_thread_id", 0) or 0),
            (params.get("reply_parameters") or {}).get("message_id"),
            params.get("parse_mode"),
        )
        self.messages[(chat_id, message_id)] = stored
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": self._api_getMe({}),
            **stored.as_sent(),
        }

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        check_text(params.get("text"), params.get("parse_mode"))
        check_markup(params.get("reply_markup"))
        return self._new_message(int(params["chat_id"]), params)

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params.get("document")
        if not isinstance(document, dict) or not document.get("content"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        if len(document["content"]) > 50 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        if params.get("caption"):
            check_text(params["caption"], params.get("parse_mode"), limit=1024)
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids)
        self.documents[(chat_id, message_id)] = (document["filename"], document["content"])
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "document": {
                "file_id": f"f{message_id}",
                "file_unique_id": f"u{message_id}",
                "file_name": document["filename"],
            },
        }

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = params.get("photo")
        if isinstance(photo, dict):  # an upload (multipart): a picture Telegram accepts
            check_photo(photo["content"])
        elif not isinstance(photo, str) or not photo:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if params.get("caption"):
            check_text(params["caption"], params.get("parse_mode"), limit=1024)
        check_markup(params.get("reply_markup"))
        sent = self._new_message(
            int(params["chat_id"]), {**params, "text": params.get("caption", "")}
        )
        key = (sent["chat"]["id"], sent["message_id"])
        if isinstance(photo, dict):
            self.photos[key] = photo["content"]
            file_id = f"photo{key[0]}_{key[1]}"
            self.photo_files[file_id] = photo["content"]
        else:  # sent again by the file_id an upload returned: the same picture
            file_id = photo
            if photo in self.photo_files:
                self.photos[key] = self.photo_files[photo]
        size = {"file_id": file_id, "file_unique_id": file_id, "width": 1000, "height": 500}
        return {**sent, "photo": [size]}

    def _api_pinChatMessage(self, params: dict[str, Any]) -> bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key[0] < 0 and key[0] not in self.admins:  # in private chats anyone may pin
            raise ApiError(
                400, "Bad Request: not enough rights to manage pinned messages in the chat"
            )
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to pin not found")
        if str(params.get("disable_notification", "")).lower() not in ("", "true", "false"):
            raise ApiError(400, "Bad Request: invalid disable_notification")
        self.pinned.append(key)
        return True

    def too_many(self) -> int:
        """How many calls Telegram answered with 429."""
        return sum(1 for c in self.calls if c.error and c.error.startswith("Too Many Requests"))

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        stored = self.messages.get(key)
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        check_text(params.get("text"), params.get("parse_mode"))
        check_markup(params.get("reply_markup"))
        if stored.text == params["text"] and stored.reply_markup == params.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same",
            )
        stored.text = params["text"]
        stored.parse_mode = params.get("parse_mode")
        stored.reply_markup = params.get("reply_markup")
        return {
            "message_id": key[1],
            "date": int(time.time()),
            **stored.as_sent(),
            "chat": {"id": key[0], "type": "private" if key[0] > 0 else "supergroup"},
        }

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        stored = self.messages.get(key)
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        check_markup(params.get("reply_markup"))
        if stored.reply_markup == params.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same",
            )
        stored.reply_markup = params.get("reply_markup")
        return {
            "message_id": key[1],
            "date": int(time.time()),
            **stored.as_sent(),
            "chat": {"id": key[0], "type": "private" if key[0] > 0 else "supergroup"},
        }

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self.messages[key]
        return True

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self.open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired "
                "or query ID is invalid",
            )
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.open_callbacks.discard(query_id)
        return True

    def _api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        query_id = params.get("inline_query_id")
        if query_id not in self.open_inline:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        results = params.get("results") or []
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id", "") for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        if len(params.get("next_offset", "").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            check_text(content.get("message_text"), content.get("parse_mode"))
            if not result.get("title"):
                raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
            check_markup(result.get("reply_markup"))
        button = params.get("button")
        if button is not None and not 1 <= len(button.get("text", "")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
        self.open_inline.discard(query_id)
        return True

    # --- what tests do ----------------------------------------------------------------------
    async def _push(self, update: dict[str, Any]) -> int:
        async with self._changed:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self.pushed[update["update_id"]] = update
            self._changed.notify_all()
        return int(update["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Send an update again, as Telegram does after a crash before the bot confirmed it
        (a press then counts as never answered: its answer may not have reached Telegram)."""
        update = self.pushed[update_id]
        async with self._changed:
            if "callback_query" in update:
                self.open_callbacks.add(update["callback_query"]["id"])
            self._updates.append(update)
            self._changed.notify_all()

    def undelivered(self) -> int:
        """How many queued updates the bot has not yet confirmed (by asking past them)."""
        return len(self._updates)

    async def send(
        self,
        text: str,
        *,
        user: dict[str, Any],
        chat: dict[str, Any] | None = None,
        **extra: Any,
    ) -> int:
        """A user sends a text message (a command gets its bot_command entity); its update id."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if chat["id"] == user["id"]:  # writing to the bot opens the private chat
            self.never_started.discard(user["id"])
        reply_to = extra.pop("reply_to", None)
        if reply_to is not None:  # a reply to one of the bot's messages, by its id
            stored = self.messages[(chat["id"], reply_to)]
            extra["reply_to_message"] = {
                "message_id": reply_to,
                "date": 0,
                "chat": chat,
                **stored.as_sent(),
                # Telegram gives back an inline keyboard only (not ForceReply).
                **(
                    {"reply_markup": stored.reply_markup}
                    if stored.reply_markup and "inline_keyboard" in stored.reply_markup
                    else {}
                ),
            }
        message_id = next(self._message_ids)
        self.senders[(chat["id"], message_id)] = user
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
            **extra,
        }
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2 if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._push({"message": message})

    def waiting_updates(self) -> int:
        """How many pushed updates the bot has not fetched yet."""
        return len(self._updates)

    async def push_update(self, update: dict[str, Any]) -> None:
        """Any other update (the bot added to a group, a group migrating, …)."""
        await self._push(update)

    async def push_many(self, updates: list[dict[str, Any]]) -> None:
        """Queue raw updates in one go; their callback and inline query ids become answerable."""
        async with self._changed:
            for update in updates:
                if "callback_query" in update:
                    self.open_callbacks.add(update["callback_query"]["id"])
                if "inline_query" in update:
                    self.open_inline.add(update["inline_query"]["id"])
                update["update_id"] = next(self._update_ids)
                self._updates.append(update)
                self.pushed[update["update_id"]] = update
            self._changed.notify_all()

    async def bot_membership(
        self, chat: dict[str, Any], *, by: dict[str, Any], old: str, new: str
    ) -> None:
        """The bot's status in a chat changes (added: left -> member; removed: -> left; made an
        administrator who may pin: -> administrator)."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "UPR Test", "username": BOT_USERNAME}
        rights: dict[str, Any] = {}
        if new == "administrator":
            self.admins.add(chat["id"])
            rights = {  # what Telegram sends for an administrator (the bot may pin)
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": False,
                "can_restrict_members": False,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        else:
            self.admins.discard(chat["id"])
        await self._push(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": by,
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot},
                    "new_chat_member": {
                        "status": new,
                        "user": bot,
                        **({"until_date": 0} if new == "kicked" else {}),
                        **rights,
                    },
                }
            }
        )

    @staticmethod
    def carrying(message: StoredMessage, data: str) -> StoredMessage:
        """The message as if it (still) carried a button with `data`: an older card, say."""
        rows = list((message.reply_markup or {}).get("inline_keyboard", []))
        markup = {"inline_keyboard": [*rows, [{"text": "·", "callback_data": data}]]}
        return dataclasses.replace(message, reply_markup=markup)

    async def press(self, message: StoredMessage, data: str, *, user: dict[str, Any]) -> str:
        """A user presses an inline button (or sends forged data for one)."""
        query_id = str(next(self._callback_ids))
        self.open_callbacks.add(query_id)
        chat_type = "private" if message.chat_id > 0 else "supergroup"
        chat = {"id": message.chat_id, "type": chat_type}
        answered = self.senders.get((message.chat_id, message.reply_to or 0))
        reply = (  # as Telegram does: the message the bot's message answers, one level deep
            {
                "reply_to_message": {
                    "message_id": message.reply_to,
                    "date": 0,
                    "chat": chat,
                    "from": answered,
                    "text": "…",
                }
            }
            if answered is not None
            else {}
        )
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": message.message_id,
                        "date": int(time.time()),
                        "chat": {"id": message.chat_id, "type": chat_type},
                        "from": self._api_getMe({}),
                        **message.as_sent(),
                        # As Telegram does: the keyboard the message carries now.
                        **({"reply_markup": message.reply_markup} if message.reply_markup else {}),
                        **reply,
                        **(
                            {"message_thread_id": message.thread_id, "is_topic_message": True}
                            if message.thread_id
                            else {}
                        ),
                    },
                }
            }
        )
        return query_id

    async def inline(self, query: str, *, user: dict[str, Any], offset: str = "") -> str:
        """A user types '@bot query' in some chat."""
        query_id = f"iq{next(self._callback_ids)}"
        self.open_inline.add(query_id)
        await self._push(
            {"inline_query": {"id": query_id, "from": user, "query": query, "offset": offset}}
        )
        return query_id

    async def next_call(
        self,
        method: str,
        timeout: float = 5.0,
        *,
        where: Callable[[Call], bool] = lambda call: True,
        **match: Any,
    ) -> Call:
        """The next not yet seen call of `method` whose params match (and `where` holds);
        fails after `timeout`."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                pending = self._pending.setdefault(method, [])
                for index, call in enumerate(pending):
                    if where(call) and all(
                        str(call.params.get(k)) == str(v) for k, v in match.items()
                    ):
                        call.consumed = True
                        del pending[index]
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [
                        (c.method, c.params.get("text", "")[:80])
                        for c in self.calls
                        if not c.consumed
                    ]
                    raise AssertionError(f"no {method} {match} within {timeout}s; unseen: {seen}")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass

    async def reply_to(
        self,
        user: dict[str, Any],
        text: str,
        chat: dict[str, Any] | None = None,
        timeout: float = 5.0,
        **extra: Any,
    ) -> StoredMessage:
        """Send a text and return the bot's next message to that chat."""
        await self.send(text, user=user, chat=chat, **extra)
        chat_id = (chat or user)["id"]
        call = await self.next_call("sendMessage", timeout, chat_id=chat_id)
        assert call.error is None, call.error
        return self.messages[(chat_id, call.result["message_id"])]

    async def full_help(
        self, user: dict[str, Any], chat: dict[str, Any] | None = None, parts: int = 1
    ) -> str:
        """Send /help, press its [More]: the full help, in `parts` messages, as one text."""
        short = await self.reply_to(user, "/help", chat)
        buttons = [b for row in (short.reply_markup or {}).get("inline_keyboard", []) for b in row]
        more = next(b["callback_data"] for b in buttons if b["callback_data"] == "hm")
        await self.press(short, more, user=user)
        chat_id = (chat or user)["id"]
        texts = [
            str(
                (
                    await self.next_call(
                        "editMessageText", chat_id=chat_id, message_id=short.message_id
                    )
                ).params["text"]
            )
        ]
        for _ in range(parts - 1):
            texts.append(
                str((await self.next_call("sendMessage", chat_id=chat_id)).params["text"])
            )
        return "\n".join(texts)

    def unconsumed_errors(self) -> list[tuple[str, str]]:
        """Calls the server refused that no test looked at: each one is a bug in the bot."""
        return [
            (c.method, c.error)
            for c in self.calls
            if c.error and not c.consumed and "not modified" not in c.error
        ]
