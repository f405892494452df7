"""The app under fuzz: the whole front office and a fake Bot Connector on 127.0.0.1.

Both run in an event loop of their own thread, so the runner (and schemathesis, which
calls through ``requests``) talks to them over real HTTP on loopback, one request at a
time. Every ERROR log line written while a request is handled is kept with it: an
exception inside the bot is a finding even when the HTTP status is 2xx.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

from backoffice_adapter.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.app import create_app
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from tests.conftest import FakeConnector

TOKEN = "fuzz-token"
WEBHOOK_SECRET = "fuzz-webhook-secret"
WEBHOOK_SECRET_ENV = "FRONTOFFICE_FUZZ_WEBHOOK_SECRET"
REQUEST_TIMEOUT = 30.0  # seconds: longer is a hang


@dataclass
class Outcome:
    status: int  # 0: no answer (connection broken or timed out)
    body: str
    seconds: float
    errors: list[str] = field(default_factory=list)  # ERROR log lines during the request

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500 or bool(self.errors)

    def why(self) -> str:
        if self.status == 0:
            return f"no answer: {self.body}"
        if self.status >= 500:
            return f"HTTP {self.status}"
        return f"HTTP {self.status} with an error logged: {self.errors[0].splitlines()[0]}"


class _ErrorLog(logging.Handler):
    """ERROR records while a request runs; those of the app's background loops (the
    outbox, polling: "... failed; trying again") are kept apart, as they belong to no
    input."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []
        self.background: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.endswith("failed; trying again"):
            exc = record.exc_info[1] if record.exc_info else None
            self.background.append(f"{text}: {type(exc).__name__}: {exc}"[:300])
            return
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f": {type(exc).__name__}: {exc}"[:500]
            text += "\n" + self.format(record)
        self.lines.append(text)


QUIET_LOGGERS = ("frontoffice", "bot", "dialogs", "servicedesk", "aiohttp", "knowledge")


class LoopbackApp:
    """``with LoopbackApp(folder) as app: app.post(...)``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.connector = _Connector()
        self.base_url = ""
        self.connector_url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []
        self._session = requests.Session()
        self._errors = _ErrorLog()
        self._levels: dict[str, int] = {}

    def __enter__(self) -> LoopbackApp:
        knowledge = self.folder / "knowledge"
        if not knowledge.exists():
            shutil.copytree(DEFAULT_DIR, knowledge)
            (knowledge / "backoffices.yaml").write_text(
                "fmis:\n  kind: webhook\n  url: http://127.0.0.1:9/unused\n"
                f"  secret_env: {WEBHOOK_SECRET_ENV}\n",
                "utf-8",
            )
        import os

        os.environ[WEBHOOK_SECRET_ENV] = WEBHOOK_SECRET
        settings = Settings(
            db_url=f"sqlite:///{self.folder / 'fuzz.db'}",
            knowledge_dir=knowledge,
            knowledge_reload_seconds=0,
            api_token=TOKEN,
            outbox_seconds=0.5,
            poll_seconds=0,
            log_format="text",
        )
        self._thread.start()
        self.connector_url = self._start(self.connector.app)
        self.base_url = self._start(create_app(settings))
        root = logging.getLogger()
        root.addHandler(self._errors)
        for name in QUIET_LOGGERS:
            self._levels[name] = logging.getLogger(name).level
            logging.getLogger(name).setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self._errors)
        for name, level in self._levels.items():  # later tests see the levels they expect
            logging.getLogger(name).setLevel(level)
        for runner in reversed(self._runners):
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._session.close()

    def _start(self, app: web.Application) -> str:
        async def start() -> str:
            runner = web.AppRunner(app, handle_signals=False, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return f"http://127.0.0.1:{port}"

        return asyncio.run_coroutine_threadsafe(start(), self._loop).result(60)

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> Outcome:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", path, data=body, headers=all_headers)

    def request(self, method: str, path: str, **kwargs: Any) -> Outcome:
        self._errors.lines = []
        started = time.perf_counter()
        try:
            response = self._session.request(
                method, self.base_url + path, timeout=REQUEST_TIMEOUT, **kwargs
            )
            status, text = response.status_code, response.text
        except requests.RequestException as exc:
            status, text = 0, f"{type(exc).__name__}: {exc}"
        if len(self.connector.activities) > 500:
            self.connector.activities.clear()
            self.connector.puts.clear()
        return Outcome(status, text, time.perf_counter() - started, list(self._errors.lines))

    @property
    def background_errors(self) -> list[str]:
        return self._errors.background

    def signed(self, body: bytes) -> dict[str, str]:
        stamp = str(int(time.time()))
        return {
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body, stamp),
        }


class _Connector(FakeConnector):
    """The tests' fake Bot Connector, answering any other path too (a URL the fuzzer
    pointed back at loopback)."""

    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_route("*", "/{tail:.*}", self._anything)

    async def _anything(self, request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": "elsewhere"})
