"""The bot's Bot API client (bot/http_client.py) on a real HTTP server on loopback: what it
sends, and how each kind of failure reaches PTB (TimedOut, NetworkError) so that the callers'
retries see what they saw with PTB's own client."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import socket
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot import http_client
from bot.http_client import AiohttpRequest, UnusableProxy, _timeout


class Server:
    """Answers /ok at once with what it received; /slow after `delay` seconds."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.delay = 2.0
        self.release = asyncio.Event()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == "/moved":  # a redirect to another place
            raise web.HTTPTemporaryRedirect(f"{self.url}/elsewhere")
        if request.path.startswith("/long/"):  # /long/BYTES/{declared,endless,packed}
            return await self.long(request)
        if request.path == "/slow":  # until the test ends, or `delay`
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.delay)
        form = await request.post()
        fields: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                fields[key] = (value.filename, value.content_type, value.file.read())
            else:
                fields[key] = value
        self.received.append(
            {
                "fields": fields,
                "type": request.content_type,
                "agent": request.headers["User-Agent"],
                "host": request.host,
            }
        )
        return web.json_response({"ok": True, "result": True})

    async def long(self, request: web.Request) -> web.StreamResponse:
        """An answer of BYTES: with its length declared; sent piece by piece without a length
        (chunked), until the client stops reading; or gzipped (a few KB on the wire)."""
        _, _, size, how = request.path.split("/")
        body = b"x" * int(size)
        if how == "declared":
            return web.Response(body=body)
        if how == "packed":
            packed = gzip.compress(body)
            return web.Response(body=packed, headers={"Content-Encoding": "gzip"})
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for start in range(0, int(size), 65536):
                await response.write(body[start : start + 65536])
            await response.write_eof()
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    served = Server()
    await served.start()
    yield served
    await served.stop()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connection_pool_size=1)
    await request.initialize()
    yield request
    await request.shutdown()


def data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_parameters_are_sent_as_a_form_and_the_answer_comes_back(
    server: Server, client: AiohttpRequest
) -> None:
    status, body = await client.do_request(
        f"{server.url}/ok", "POST", data(chat_id=5, text="សួស្តី & hi", reply_markup={"a": [1]})
    )
    assert (status, body) == (200, b'{"ok": true, "result": true}')
    (got,) = server.received
    assert got["type"] == "application/x-www-form-urlencoded"
    assert got["fields"] == {"chat_id": "5", "text": "សួស្តី & hi", "reply_markup": '{"a": [1]}'}
    assert got["agent"] == AiohttpRequest.USER_AGENT


async def test_files_go_as_multipart_with_their_names_types_and_bytes(
    server: Server, client: AiohttpRequest
) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    document = InputFile(b"PK\x03\x04 table", filename="round-1.xlsx", attach=False)
    document.mimetype = xlsx
    await client.do_request(f"{server.url}/ok", "POST", data(chat_id=7, document=document))
    (got,) = server.received
    assert got["type"] == "multipart/form-data"
    assert got["fields"]["chat_id"] == "7"
    assert got["fields"]["document"] == ("round-1.xlsx", xlsx, b"PK\x03\x04 table")


async def test_a_khmer_file_name_and_caption_arrive_as_written(
    server: Server, client: AiohttpRequest
) -> None:
    document = InputFile(b"a,b\n", filename="ជុំទី១.csv", attach=False)
    await client.do_request(
        f"{server.url}/ok", "POST", data(chat_id=7, caption="លទ្ធផល", document=document)
    )
    (got,) = server.received
    assert got["fields"]["caption"] == "លទ្ធផល"
    assert got["fields"]["document"] == ("ជុំទី១.csv", "text/csv", b"a,b\n")


async def test_a_request_without_parameters_sends_none(
    server: Server, client: AiohttpRequest
) -> None:
    assert (await client.do_request(f"{server.url}/ok", "POST"))[0] == 200
    assert server.received[0]["fields"] == {}


async def test_a_slow_answer_is_timed_out_after_the_read_timeout(
    server: Server, client: AiohttpRequest
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimedOut):
        await client.do_request(f"{server.url}/slow", "POST", data(x=1), read_timeout=0.2)
    assert loop.time() - started < 1.5


async def test_a_full_pool_times_out_without_sending(
    server: Server, client: AiohttpRequest
) -> None:
    """One connection, held by a slow request: the next one waits `pool_timeout`, then gives
    up (PTB's meaning: the request was not sent)."""
    slow = asyncio.create_task(client.do_request(f"{server.url}/slow", "POST", data(x=1)))
    await asyncio.sleep(0.1)
    with pytest.raises(TimedOut):
        await client.do_request(
            f"{server.url}/ok", "POST", data(x=2), pool_timeout=0.2, connect_timeout=0.1
        )
    slow.cancel()
    assert [r["fields"] for r in server.received] == []


async def test_nobody_listening_is_a_network_error(client: AiohttpRequest) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        await client.do_request(f"http://127.0.0.1:{port}/bot1:SECRET/getMe", "POST")
    assert not isinstance(caught.value, TimedOut)


async def test_it_works_again_after_shutdown_and_initialize(server: Server) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):  # not yet initialized
        await request.do_request(f"{server.url}/ok", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    with pytest.raises(RuntimeError):
        await request.do_request(f"{server.url}/ok", "POST")
    await request.initialize()
    assert (await request.do_request(f"{server.url}/ok", "POST"))[0] == 200
    await request.shutdown()


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


async def test_the_proxy_the_environment_names_is_used_unless_no_proxy_exempts_the_host(
    server: Server, no_proxies: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY / HTTPS_PROXY and NO_PROXY are honoured, as PTB's default client did; read
    when the client starts (the test server plays the proxy)."""
    monkeypatch = no_proxies
    monkeypatch.setenv("HTTP_PROXY", server.url)
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request("http://api.telegram.invalid/bot1/getMe", "POST")
        assert status == 200
        assert server.received[0]["host"] == "api.telegram.invalid"
        monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
        await request.shutdown()
        await request.initialize()  # a restart reads the environment again
        with pytest.raises(NetworkError):  # straight to a host that does not exist
            await request.do_request("http://api.telegram.invalid/bot1/getMe", "POST")
        assert len(server.received) == 1
    finally:
        await request.shutdown()


def test_timeouts_keep_ptbs_defaults_and_a_large_file_gets_time_by_its_size() -> None:
    """PTB's defaults bound a request (5 s connect, 1 s pool, 5 s read, 5 s write); a file
    adds 20 s, and a second for every 64 KiB: an export over a slow uplink is not given up
    while it is still moving. No bound where PTB says None or the size is unknown."""
    default = BaseRequest.DEFAULT_NONE
    plain = _timeout(data(chat_id=1), default, default, default, default)
    assert (plain.total, plain.connect, plain.sock_connect, plain.sock_read) == (16, 6, 5, 5)
    export = InputFile(b"x" * (10 * 64 * 1024), filename="round.xlsx", attach=False)
    upload = _timeout(data(chat_id=1, document=export), default, default, default, default)
    assert upload.total == 5 + 20 + 5 + 1 + 10
    polling = _timeout(data(timeout=10), 15.0, default, default, default)
    assert (polling.total, polling.sock_read) == (26, 15)
    assert _timeout(data(x=1), None, default, default, default).total is None
    with io.BytesIO(b"abc") as handle:
        unknown = InputFile(handle, filename="a.csv", read_file_handle=False)
        assert _timeout(data(document=unknown), default, default, default, default).total is None


@pytest.mark.parametrize("variable", ["ALL_PROXY", "all_proxy", "HTTP_PROXY"])
async def test_all_proxy_and_a_proxy_without_a_scheme_are_used_too(
    server: Server, no_proxies: pytest.MonkeyPatch, variable: str
) -> None:
    """A bot given a proxy never goes around it: ALL_PROXY counts, and "host:port" is an
    http:// proxy (as httpx read them)."""
    no_proxies.setenv(variable, server.url.removeprefix("http://"))
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert (await request.do_request("http://api.telegram.invalid/bot1/getMe", "POST"))[
            0
        ] == 200
        assert server.received[0]["host"] == "api.telegram.invalid"
    finally:
        await request.shutdown()


async def test_a_socks_proxy_stops_the_start_with_the_variable_named(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    no_proxies.setenv("HTTPS_PROXY", "socks5://127.0.0.1:1080")
    request = AiohttpRequest()
    with pytest.raises(UnusableProxy, match="HTTPS_PROXY is a socks5 proxy"):
        await request.initialize()


async def test_a_password_holding_a_scheme_mark_is_not_taken_for_a_scheme(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    """ "user:pa://ss@host:3128" has no scheme: an http:// proxy, not a "user:pa" one named in
    the start's error."""
    no_proxies.setenv("HTTPS_PROXY", "user:pa://ss@proxy.invalid:3128")
    request = AiohttpRequest()
    await request.initialize()  # no UnusableProxy
    try:
        assert request._proxy("https://api.telegram.invalid/bot1/getMe") == (
            "http://user:pa://ss@proxy.invalid:3128"
        )
    finally:
        await request.shutdown()


async def test_a_redirect_is_not_followed(server: Server, client: AiohttpRequest) -> None:
    """What the bot sends (a broadcast's text, an export) goes to the Bot API it was given,
    never where an answer points; PTB turns the status into an error."""
    status, _ = await client.do_request(f"{server.url}/moved", "POST", data(text="secret"))
    assert status == 307
    assert server.received == []


async def test_an_error_text_holds_neither_the_token_nor_the_proxy_password(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    """Failure texts are logged and stored (an outbox delivery's last error): aiohttp names the
    request's URL in some, and a proxy URL may carry a password."""

    async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"NOT HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    garbage = await asyncio.start_server(not_http, "127.0.0.1", 0)
    port = garbage.sockets[0].getsockname()[1]
    token = "123456:ABC-secretSECRETsecret0987654321"
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as direct:  # aiohttp shows the path normalised
            await request.do_request(f"http://127.0.0.1:{port}/bot{token}/./sendMessage", "POST")
        with pytest.raises(NetworkError) as invalid:  # its text is the URL
            await request.do_request(f"http:///bot{token}/getMe", "POST")
        await request.shutdown()
        no_proxies.setenv("HTTP_PROXY", f"http://user:PASSWORD@127.0.0.1:{port}")
        await request.initialize()
        with pytest.raises(NetworkError) as proxied:
            await request.do_request(f"http://api.telegram.invalid/bot{token}/getMe", "POST")
    finally:
        await request.shutdown()
        garbage.close()
    assert str(invalid.value) == "aiohttp.InvalidUrlClientError: …"
    for caught in (direct, proxied, invalid):
        # The traceback the bot logs shows the causes too: none is kept.
        shown = "".join(traceback.format_exception(caught.value))
        assert "secret" not in shown
        assert "PASSWORD" not in shown
    for caught in (direct, proxied):
        assert "aiohttp.ClientResponseError" in str(caught.value)


async def test_a_bad_proxy_address_shows_its_password_in_no_logged_traceback(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    """aiohttp's error for a proxy URL it cannot use is the URL itself, password and all."""
    no_proxies.setenv("HTTP_PROXY", "http://user:PASSWORD@proxy.invalid:312800")
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request("http://api.telegram.invalid/bot1/getMe", "POST")
    finally:
        await request.shutdown()
    assert "PASSWORD" not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [("api.telegram.invalid:8081", True), ("api.telegram.invalid:9999", False), ("", False)],
)
async def test_a_no_proxy_entry_with_a_port_exempts_that_port(
    no_proxies: pytest.MonkeyPatch, no_proxy: str, bypassed: bool
) -> None:
    """As urllib reads NO_PROXY: "host:port" exempts that host on that port only (a local Bot
    API server the operator keeps off the proxy)."""
    no_proxies.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    no_proxies.setenv("NO_PROXY", no_proxy)
    request = AiohttpRequest()
    await request.initialize()
    try:
        proxy = request._proxy("http://api.telegram.invalid:8081/bot1/getMe")
    finally:
        await request.shutdown()
    assert proxy == (None if bypassed else "http://proxy.invalid:3128")


@pytest.mark.parametrize("how", ["declared", "endless", "packed"])
async def test_an_answer_longer_than_the_bot_api_sends_is_given_up(
    server: Server, client: AiohttpRequest, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A server (or a proxy on the way) sending without end, or a small compressed answer that
    unpacks to a large one, cannot fill the bot's memory: past the bound the read stops with a
    NetworkError; an answer at the bound comes whole, and the client goes on working."""
    monkeypatch.setattr(http_client, "MAX_ANSWER", 256 * 1024)
    status, body = await client.do_request(f"{server.url}/long/{256 * 1024}/{how}", "POST")
    assert (status, len(body)) == (200, 256 * 1024)
    with pytest.raises(NetworkError, match="longer than 262,144 bytes"):
        await client.do_request(f"{server.url}/long/{256 * 1024 + 1}/{how}", "POST")
    with pytest.raises(NetworkError, match="longer than"):
        await client.do_request(f"{server.url}/long/{64 * 1024 * 1024}/{how}", "POST")
    assert await client.do_request(f"{server.url}/ok", "POST") == (
        200,
        b'{"ok": true, "result": true}',
    )


async def test_a_request_aiohttp_cannot_make_is_a_network_error_naming_no_url(
    server: Server, client: AiohttpRequest
) -> None:
    """A file name with a line break, or a host name part over 63 characters: PTB's callers
    see a NetworkError (retried or reported like any failure), whose text quotes no URL."""
    upload = RequestData(
        [RequestParameter.from_input("document", InputFile(b"x", filename="a\r\nb.csv"))]
    )
    with pytest.raises(NetworkError, match="cannot send this request: ValueError") as bad_name:
        await client.do_request(f"{server.url}/botSECRETTOKEN/sendDocument", "POST", upload)
    assert "SECRETTOKEN" not in str(bad_name.value)
    host = "a" * 64 + ".example"
    with pytest.raises(NetworkError, match="cannot send this request") as bad_host:
        await client.do_request(f"http://{host}/botSECRETTOKEN/getMe", "POST")
    assert "SECRETTOKEN" not in str(bad_host.value)
