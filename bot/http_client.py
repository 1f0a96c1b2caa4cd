"""How the bot talks HTTP to the Bot API: PTB's request interface on an aiohttp session.

PTB's default, `HTTPXRequest`, spent about half of the event loop's time on a rating tap in
httpx and httpcore (building the request, checking each pooled connection before use, cookies):
measured with `bench/bench_peers.py` and a sampling profiler. The same calls through aiohttp
cost about half as much: the bot answers about 1.5 times as many taps a second as it did on
httpx, on the same machine (README "Benchmarks", "Taps: the bot's own HTTP client"). PTB
documents `BaseRequest` as the place for another HTTP library.

The timeouts keep PTB's meaning and defaults (`HTTPXRequest`'s): connecting 5 s, waiting for a
free connection 1 s, reading 5 s, writing 5 s (20 s when files are sent, and more for a large
file: `_timeout`). Proxies come from the environment (HTTPS_PROXY…), read once, as with httpx;
certificates are certifi's, as with httpx.
"""

from __future__ import annotations

import functools
import io
import re
import ssl
import urllib.parse
import urllib.request
from typing import Any, NoReturn

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class UnusableProxy(RuntimeError):
    """A proxy variable names a kind of proxy the bot cannot go through."""


CONNECT, POOL, READ, WRITE, MEDIA_WRITE = 5.0, 1.0, 5.0, 5.0, 20.0
UPLOAD_BYTES_A_SECOND = 64 * 1024  # the slowest upload that is not given up
# The longest answer read: above the Bot API's largest (a file downloaded: 20 MB), so that a
# server, or a proxy on the way, sending without end (or a small compressed bomb) cannot fill
# the bot's memory.
MAX_ANSWER = 32 * 1024 * 1024


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session (made in `initialize`, on the running loop)."""

    def __init__(self, connection_pool_size: int = 1) -> None:
        """Up to `connection_pool_size` connections open at once (PTB's default: 1)."""
        self._pool_size = connection_pool_size
        self._session: aiohttp.ClientSession | None = None
        self._environment: dict[str, str] = {}
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float:
        """The default read timeout, in seconds."""
        return READ

    async def initialize(self) -> None:
        """Open the session (again after `shutdown`, reading the proxy variables again).
        UnusableProxy if a proxy variable names a kind of proxy the bot cannot use."""
        if self._session is None or self._session.closed:
            self._environment = _environment_proxies()
            self._proxies.clear()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=_certificates())
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request: (HTTP status, body). TimedOut or NetworkError when it fails."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = _timeout(
            request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        proxy = self._proxy(url)
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                # A redirect would send the request (a broadcast's text, an export) to a host
                # nobody configured; the Bot API never redirects. PTB reports the status.
                allow_redirects=False,
            ) as response:
                return response.status, await _read(response)
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Not chained: a logged traceback prints the cause, whose text may hold the URL
            # (the token) or the proxy's (its password); the text made here names the error.
            raise NetworkError(_failure(err, url, proxy)) from None
        except (ValueError, UnicodeError) as err:
            # A request aiohttp cannot make (a file name with a line break, a host name part
            # over 63 characters): named by kind, as its text may quote the URL.
            raise NetworkError(f"aiohttp cannot send this request: {type(err).__name__}") from None

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for this URL's scheme (HTTPS_PROXY…, else
        ALL_PROXY), unless NO_PROXY exempts its host: looked up once per server. (aiohttp's
        own `trust_env` reads the environment on every request: a third of the taps a second.)"""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            named = self._environment.get(parts.scheme) or self._environment.get("all")
            # With its port, as urllib asks (a NO_PROXY entry "localhost:8081" names one).
            host = parts.netloc.rpartition("@")[2]
            bypass = named is not None and urllib.request.proxy_bypass(host)
            self._proxies[key] = None if bypass else named
        return self._proxies[key]


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """An answer's body, as sent (read at once) when its declared length is within
    MAX_ANSWER, else a piece at a time, given up beyond it (NetworkError): a compressed answer
    is counted as it unpacks."""
    length = response.content_length
    if length is not None and length > MAX_ANSWER:
        return _too_long(response)
    if length is not None and "Content-Encoding" not in response.headers:
        return await response.read()
    body = bytearray()
    async for piece in response.content.iter_any():
        body += piece
        if len(body) > MAX_ANSWER:
            break
    else:
        return bytes(body)
    return _too_long(response)


def _too_long(response: aiohttp.ClientResponse) -> NoReturn:
    response.close()  # its connection is dropped, not reused with the rest unread
    raise NetworkError(f"the answer is longer than {MAX_ANSWER:,} bytes")


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _environment_proxies() -> dict[str, str]:
    """HTTP_PROXY, HTTPS_PROXY and ALL_PROXY (either case) by scheme, as httpx read them: a
    proxy without a scheme is an http:// one. UnusableProxy for another kind (socks5://…),
    which httpx refused too: the bot must not quietly go around a proxy it was given."""
    found: dict[str, str] = {}
    for scheme, value in urllib.request.getproxies().items():
        if scheme not in ("http", "https", "all") or not value:
            continue
        # Only a scheme counts as one: "user:pa://ss@host" is a proxy without a scheme (whose
        # password holds "://"), and no part of it is named in an error.
        proxy = value if _SCHEME.match(value) else f"http://{value}"
        kind = proxy.partition("://")[0].lower()
        if kind not in ("http", "https"):
            raise UnusableProxy(
                f"{scheme.upper()}_PROXY is a {kind} proxy: the bot reaches Telegram through "
                "HTTP proxies only (http://host:port)"
            )
        found[scheme] = proxy
    return found


def _failure(err: aiohttp.ClientError, url: str, proxy: str | None) -> str:
    """What went wrong, without the URL (it holds the bot's token) or the proxy (it may hold a
    password): the text may be stored (an outbox delivery's last error) or logged."""
    if isinstance(err, aiohttp.ClientResponseError):  # aiohttp names the URL in these
        detail = f"{err.status}, {err.message}"
    else:
        detail = str(err)
    # The whole URL, and each long part of its path (bot<token>) as aiohttp may have
    # normalised the rest.
    parts = [p for p in urllib.parse.urlsplit(url).path.split("/") if len(p) > 8]
    for secret in (url, *parts, proxy or ""):
        if secret:
            detail = detail.replace(secret, "…")
    return f"aiohttp.{err.__class__.__name__}: {detail}"


@functools.cache
def _certificates() -> ssl.SSLContext:
    """TLS with certifi's authorities, read once (about 0.05 s) for every client."""
    return ssl.create_default_context(cafile=certifi.where())


def _timeout(
    request_data: RequestData | None,
    read_timeout: ODVInput[float],
    write_timeout: ODVInput[float],
    connect_timeout: ODVInput[float],
    pool_timeout: ODVInput[float],
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts as aiohttp's. Waiting for a connection and connecting are bounded
    together; reading is bounded between two pieces of the answer. aiohttp cannot bound a
    write, so the whole request is: the four added up, and for files one second more for each
    64 KiB sent (an export on a slow uplink may take minutes; httpx bounded each write, not the
    upload). No bound where PTB was told None, or for a file whose size is not known."""
    files = request_data is not None and request_data.contains_files
    read = _given(read_timeout, READ)
    write = _given(write_timeout, MEDIA_WRITE if files else WRITE)
    connect = _given(connect_timeout, CONNECT)
    pool = _given(pool_timeout, POOL)
    if files and write is not None and request_data is not None:
        size = _upload_size(request_data)
        write = None if size is None else write + size / UPLOAD_BYTES_A_SECOND
    parts = (read, write, connect, pool)
    return aiohttp.ClientTimeout(
        total=None if None in parts else sum(p for p in parts if p is not None),
        connect=None if connect is None or pool is None else connect + pool,
        sock_connect=connect,
        sock_read=read,
    )


def _upload_size(request_data: RequestData) -> int | None:
    """The bytes of the files a request sends; None if one is a file handle."""
    sizes = [
        len(content) if isinstance(content, bytes) else None
        for _, content, _ in request_data.multipart_data.values()
    ]
    return None if None in sizes else sum(s for s in sizes if s is not None)


def _given(value: ODVInput[float], default: float) -> float | None:
    """A timeout PTB passed, or the default when it passed none (None: no limit)."""
    return default if isinstance(value, DefaultValue) else value


_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}
_FORM = {**_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str]]:
    """The parameters form-encoded (here: aiohttp's FormData would build a multipart writer
    for every request first), as multipart with their files when there are files; and the
    request's headers."""
    fields = request_data.json_parameters if request_data is not None else {}
    if request_data is None or not request_data.contains_files:
        return (urllib.parse.urlencode(fields).encode(), _FORM) if fields else (None, _HEADERS)
    # Names as UTF-8 as they are (as httpx and browsers send them), not percent-encoded.
    form = aiohttp.FormData(fields, quote_fields=False)
    for name, (filename, content, kind) in request_data.multipart_data.items():
        # Bytes are streamed from memory in parts: aiohttp writes a bytes value in one piece
        # and warns that a large one (an export) may hold up the event loop.
        data = io.BytesIO(content) if isinstance(content, bytes) else content
        form.add_field(name, data, filename=filename, content_type=kind)
    return form, _HEADERS
