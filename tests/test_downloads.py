"""Attachment downloads cannot be turned against internal addresses (SSRF).

The rules are pure functions, tested here case by case. The download itself is tested
against a real local HTTP server that records every request: a refused URL is never
requested. A local server speaks plain HTTP on 127.0.0.1, which production refuses, so
the tests that must reach it use the test-only policy ``allow_plain_http_and_local_addresses``
(not settable from the environment); every other check (allow-list, IP literals,
redirects re-checked, size cap, timeout) stays on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.downloads import (
    DownloadPolicy,
    PublicAddressResolver,
    download,
    host_allowed,
    is_public_address,
    refusal,
)
from frontoffice.settings import Settings
from tests.chat import Chat

CSV = "naam;bedrijf;e-mail\nJan Jansen;Jansen BV;jan@jansen.nl\nPiet Pietersen;;\nKlaas;ACME;\n"
SHAREPOINT = (
    "https://contoso-my.sharepoint.com/personal/ada_contoso_com/_layouts/15/download.aspx"
    "?UniqueId=1b2c&Translate=false&tempauth=eyJ0eXAi&ApiVersion=2.0"
)
TEST_POLICY = DownloadPolicy(
    hosts=("localhost",),
    max_bytes=4096,
    timeout_seconds=2,
    allow_plain_http_and_local_addresses=True,
)


# -- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        SHAREPOINT,
        "https://contoso.sharepoint.com/sites/fm/Shared%20Documents/bezoekers.csv",
        "https://CONTOSO.SharePoint.COM./x.csv",
        "https://a.b.sharepoint.com:443/x.csv",
    ],
)
def test_teams_file_urls_on_sharepoint_may_be_fetched(url: str) -> None:
    assert refusal(url, DownloadPolicy()) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://contoso.sharepoint.com/x.csv", "not https"),
        ("ftp://contoso.sharepoint.com/x.csv", "not https"),
        ("file:///etc/passwd", "not https"),
        ("javascript:alert(1)", "not https"),
        ("", "not https"),
        ("https:///x.csv", "no host"),
        ("https://sharepoint.com/x.csv", "host not on"),
        ("https://evilsharepoint.com/x.csv", "host not on"),
        ("https://contoso.sharepoint.com.evil.example/x.csv", "host not on"),
        ("https://smba.trafficmanager.net/emea/v3/attachments/x/views/original", "host not on"),
        ("https://localhost/x.csv", "host not on"),
        ("https://0x7f000001/x.csv", "host not on"),
        ("https://2130706433/x.csv", "host not on"),
        ("https://127.0.0.1/x.csv", "IP address"),
        ("https://10.0.0.8/x.csv", "IP address"),
        ("https://169.254.169.254/latest/meta-data/", "IP address"),
        ("https://[::1]/x.csv", "IP address"),
        ("https://[::ffff:127.0.0.1]/x.csv", "IP address"),
        ("https://user:pw@contoso.sharepoint.com/x.csv", "user info"),
        ("https://contoso.sharepoint.com@evil.example/x.csv", "user info"),
        ("https://contoso.sharepoint.com:8443/x.csv", "standard https port"),
        ("https://contoso.sharepoint.com:99999/x.csv", "malformed"),
    ],
)
def test_everything_else_is_refused(url: str, reason: str) -> None:
    refused = refusal(url, DownloadPolicy())
    assert refused is not None and reason in refused


def test_the_test_policy_still_refuses_ip_literals_and_other_hosts() -> None:
    assert refusal("http://localhost:8080/x.csv", TEST_POLICY) is None
    assert "IP address" in (refusal("http://127.0.0.1:8080/x.csv", TEST_POLICY) or "")
    assert "host not on" in (refusal("http://example.org/x.csv", TEST_POLICY) or "")


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        ("files.example.org", ("files.example.org",), True),
        ("other.example.org", ("files.example.org",), False),
        ("x.files.example.org", ("files.example.org",), False),
        ("x.files.example.org", ("*.files.example.org",), True),
        ("files.example.org", ("*.files.example.org",), False),
        ("xfiles.example.org", ("*.files.example.org",), False),
        ("a.sharepoint.com", (), False),
        ("a.sharepoint.com", ("*.sharepoint-df.com", " *.SharePoint.com "), True),
    ],
)
def test_host_patterns(host: str, patterns: tuple[str, ...], allowed: bool) -> None:
    assert host_allowed(host, patterns) is allowed


@pytest.mark.parametrize("address", ["52.108.0.1", "13.107.6.152", "2603:1006::1"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:10.0.0.1",
        "not an address",
    ],
)
def test_internal_addresses_are_not(address: str) -> None:
    assert not is_public_address(address)


async def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time() -> None:
    resolver = PublicAddressResolver()
    try:
        with pytest.raises(OSError, match="not public"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()


async def test_the_production_policy_does_not_connect_to_a_name_on_the_list_that_is_local(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An allowed name (here 'localhost') whose DNS answer is internal: no connection."""
    policy = DownloadPolicy(hosts=("localhost",), timeout_seconds=5)
    with caplog.at_level(logging.WARNING, logger="bot.downloads"):
        assert await download("https://localhost/x.csv", policy) is None
    [record] = [r for r in caplog.records if r.getMessage() == "could not fetch an uploaded file"]
    assert record.__dict__["error"] == "ClientConnectorDNSError"  # refused at resolution


# -- downloads against a recording server ---------------------------------------------------------


@dataclass
class FileServer:
    """A plain HTTP server that records every path asked for."""

    base: str = ""  # http://localhost:PORT
    port: int = 0
    hits: list[str] = field(default_factory=list)


@pytest.fixture
async def files() -> AsyncIterator[FileServer]:
    state = FileServer()

    async def record(request: web.Request) -> web.StreamResponse:
        state.hits.append(request.path)
        path = request.path
        if path in ("/file.csv", "/secret.csv"):
            return web.Response(body=CSV.encode("utf-8-sig"), content_type="text/csv")
        if path == "/to-ip":
            raise web.HTTPFound(f"http://127.0.0.1:{state.port}/secret.csv")
        if path == "/to-other-host":
            raise web.HTTPFound(f"http://internal.example:{state.port}/secret.csv")
        if path == "/to-same-host":
            raise web.HTTPFound("/file.csv")
        if path == "/loop":
            raise web.HTTPFound("/loop")
        if path == "/big":
            return web.Response(body=b"x" * 5000, content_type="text/csv")
        if path == "/big-chunked":
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(10):
                await response.write(b"y" * 1000)
            await response.write_eof()
            return response
        if path == "/slow":
            await asyncio.sleep(10)
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state.port = server.port or 0
    state.base = f"http://localhost:{state.port}"
    yield state
    await server.close()


async def test_a_redirect_to_an_ip_address_is_not_followed(files: FileServer) -> None:
    assert await download(f"{files.base}/to-ip", TEST_POLICY) is None
    assert files.hits == ["/to-ip"]


async def test_a_redirect_to_a_host_off_the_list_is_not_followed(files: FileServer) -> None:
    assert await download(f"{files.base}/to-other-host", TEST_POLICY) is None
    assert files.hits == ["/to-other-host"]


async def test_a_redirect_on_the_same_allowed_host_is_checked_and_followed(
    files: FileServer,
) -> None:
    assert await download(f"{files.base}/to-same-host", TEST_POLICY) == CSV.encode("utf-8-sig")
    assert files.hits == ["/to-same-host", "/file.csv"]


async def test_redirects_stop_after_a_few_hops(files: FileServer) -> None:
    assert await download(f"{files.base}/loop", TEST_POLICY) is None
    assert files.hits == ["/loop"] * (TEST_POLICY.max_redirects + 1)


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_a_file_over_the_size_cap_is_not_read(files: FileServer, path: str) -> None:
    assert await download(f"{files.base}{path}", TEST_POLICY) is None


async def test_a_server_that_does_not_answer_is_given_up(files: FileServer) -> None:
    policy = DownloadPolicy(
        hosts=("localhost",), timeout_seconds=0.3, allow_plain_http_and_local_addresses=True
    )
    assert await download(f"{files.base}/slow", policy) is None


# -- through /api/messages ------------------------------------------------------------------------


def _file(url: str) -> dict[str, object]:
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": "bezoekers.csv",
        "content": {"downloadUrl": url, "fileType": "csv", "uniqueId": "x"},
    }


async def _chat(settings: Settings, policy: DownloadPolicy | None = None) -> TestClient:
    client = TestClient(TestServer(create_app(settings, downloads=policy)))
    await client.start_server()
    return client


async def test_a_csv_file_of_visitors_is_read(settings: Settings, files: FileServer) -> None:
    client = await _chat(settings, TEST_POLICY)
    try:
        chat = Chat(client)
        await chat.say("", attachments=[_file(f"{files.base}/file.csv")])
        assert "3 bezoekers" in chat.text() and "Voor wanneer" in chat.text()
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("hosts", "path"),
    [
        (None, "http://127.0.0.1:{port}/file.csv"),  # the defaults: *.sharepoint.com only
        (None, "http://localhost:{port}/file.csv"),
        (("localhost",), "http://localhost:{port}/file.csv"),  # allowed host, but not https
        (("localhost",), "https://localhost:{port}/file.csv"),  # https, but a local port
    ],
)
async def test_the_bot_does_not_request_a_url_it_may_not_and_says_so(
    settings: Settings, files: FileServer, hosts: tuple[str, ...] | None, path: str
) -> None:
    if hosts is not None:
        settings = settings.with_overrides(download_hosts=hosts)
    client = await _chat(settings)
    try:
        chat = Chat(client)
        await chat.say("", attachments=[_file(path.format(port=files.port))])
        assert "kon ik niet ophalen" in chat.text()
        assert files.hits == []
    finally:
        await client.close()


def test_the_allow_list_comes_from_the_environment() -> None:
    settings = Settings.from_env(
        {"FRONTOFFICE_DOWNLOAD_HOSTS": "*.sharepoint.com, *.SharePoint.us"}
    )
    assert settings.download_hosts == ("*.sharepoint.com", "*.sharepoint.us")
    assert Settings().download_hosts == ("*.sharepoint.com",)
