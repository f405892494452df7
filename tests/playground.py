"""Drive the bot end to end through Microsoft 365 Agents Playground, without a browser.

Three pieces, each with a hard timeout on everything it waits for:

- ``BotServer``: the bot as a real process (``frontoffice serve``, local mode, SQLite).
- ``PlaygroundServer``: the playground (npm ``@microsoft/m365agentsplayground``, pinned in
  ``e2e/package.json``) pointed at the bot, with its mocked Bot Connector.
- ``Playground``: a client that talks to the playground as its web page does: HTTP for
  what the user does, a WebSocket for what the bot posts.

The playground's protocol (version 0.2.28, learned from its page and server code):

- ``GET /_internal/v1/config``: ``config.currentUser.id`` ("user-id-0"),
  ``config.personalChat.id``, ``config.bot.id``, ``config.teams[0]`` ("team-id"), and
  ``internalConfig.locale`` ("en-US", the locale of every activity it sends).
- WebSocket ``/_ws_conversation/v1/conversations/stream``: one JSON frame per event,
  ``{"action": "createMessage" | "updateMessage" | "typing", "actionConversationId",
  "message": {"messageId", "timestamp", "from": {"id"}, "text", "textFormat",
  "attachments": [{"contentType", "content"}], "attachmentLayout", ...}}``. Only the
  bot's messages come this way; the user's own are not echoed.
- ``POST /_conversation/v1/conversations/{conv}/messages`` with
  ``{"text", "textFormat": "plain", "from": {"id"}}``: the user types; answers
  ``{"messageId", "timestamp"}`` before the bot has replied.
- ``POST /_conversation/v1/invoke`` with ``{"name": "adaptiveCard/action", "value":
  {"action": {"type": "Action.Execute", "title", "verb", "data"}}, "from": {"id"},
  "conversation": {"id"}, "replyToId": messageId}``: an Action.Execute click. It waits for
  the bot and answers ``{"type": "application/vnd.microsoft.card.adaptive", "value": card}``
  (the bot's statusCode is not passed on); the playground then swaps the clicked message's
  card for ``value`` itself (no ``updateMessage`` frame on the WebSocket for this).
- ``POST /_conversation/v1/submit`` with ``{"type": "submit", "value": data, "replyToId",
  "from": {"id"}}``: an Action.Submit click (the bot gets a message with ``value``).
- ``POST /_debug/conversation/{conv}/installation`` with ``{}``: sends the bot an
  ``installationUpdate`` and a ``conversationUpdate`` (members added).
- ``GET /_debug/ping``: "pong" once it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
E2E_DIR = ROOT / "e2e"
PLAYGROUND_BIN = E2E_DIR / "node_modules" / ".bin" / "agentsplayground"
FRONTOFFICE_BIN = ROOT / ".venv" / "bin" / "frontoffice"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


class PlaygroundError(AssertionError):
    """Something in the end-to-end setup did not happen in time, or went wrong."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_get(url: str, timeout: float = 1.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local)
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


class _Process:
    """A child process in its own process group, output to a log file, stopped for sure."""

    name = "process"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends children too
            )

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-tail:]
        except OSError:
            return ""

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise PlaygroundError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")

    def _wait_for(self, ready: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            result = ready()
            if result:
                return result
            time.sleep(0.1)
        raise PlaygroundError(f"{self.name}: {what} not within {timeout:.0f} s:\n{self.log()}")

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        else:
            # the leader is gone; make sure nothing it started lingers
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


class BotServer(_Process):
    """``frontoffice serve`` in local mode (no app id) on a free port and a fresh SQLite file."""

    name = "bot"

    def __init__(self, workdir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(workdir / "bot.log")
        self.workdir = workdir
        self.port = free_port()
        self.extra_env = extra_env or {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    def start(self, timeout: float = 30.0) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FRONTOFFICE_", "Microsoft"))
        }
        env.update(
            FRONTOFFICE_DB_URL=f"sqlite:///{self.workdir / 'fo.db'}",
            FRONTOFFICE_LOG_FORMAT="text",
            FRONTOFFICE_KNOWLEDGE_RELOAD_SECONDS="0",
        )
        env.update(self.extra_env)
        for attempt in range(3):
            self._spawn(
                [str(FRONTOFFICE_BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env,
                ROOT,
            )
            try:
                self._wait_for(
                    lambda: _http_get(f"{self.url}/healthz")[0] == 200, timeout, "/healthz"
                )
                return
            except PlaygroundError:
                # the free port may have been taken in the meantime: try another
                if attempt == 2 or "address already in use" not in self.log().lower():
                    raise
                self.stop()
                self.port = free_port()


class PlaygroundServer(_Process):
    """``agentsplayground`` (msteams channel) pointed at a bot's /api/messages."""

    name = "playground"

    def __init__(self, workdir: Path, bot_endpoint: str) -> None:
        super().__init__(workdir / "playground.log")
        self.workdir = workdir
        self.bot_endpoint = bot_endpoint
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        if not PLAYGROUND_BIN.exists():
            raise PlaygroundError(f"{PLAYGROUND_BIN} is missing: run `make e2e/node_modules`")
        env = dict(os.environ)
        env.update(TEAMSAPPTESTER_BROWSER="none", APPLICATION_INSIGHTS_NO_STATSBEAT="true")
        argv = [str(PLAYGROUND_BIN), "-e", self.bot_endpoint, "-c", "msteams"]
        argv += ["--disable-telemetry", "-p", str(self.port)]
        self._spawn(argv, env, self.workdir)

        def listening() -> int | None:
            # it falls back to a random port when ours was taken in the meantime
            for line in self.log().splitlines():
                if line.startswith("Listening on "):
                    return int(line.split()[-1])
            return None

        self.port = self._wait_for(listening, timeout, "'Listening on'")
        self._wait_for(
            lambda: _http_get(f"{self.url}/_debug/ping") == (200, "pong"), timeout, "/_debug/ping"
        )


@dataclass
class BotMessage:
    """One frame from the playground's conversation stream: what the bot posted or changed."""

    action: str  # createMessage | updateMessage | typing
    conversation_id: str
    message: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.message.get("messageId", ""))

    @property
    def text(self) -> str:
        return str(self.message.get("text") or "")

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.message.get("attachments") or []
            if a.get("contentType") == CARD_TYPE
        ]

    @property
    def card(self) -> dict[str, Any] | None:
        cards = self.cards
        return cards[0] if cards else None

    @property
    def all_text(self) -> str:
        """The message text and every text on its cards, one per line."""
        return "\n".join([self.text, *(card_text(card) for card in self.cards)]).strip()


class Playground:
    """The user's side of the playground's personal chat, over HTTP and its WebSocket."""

    def __init__(self, base_url: str, *, quiet: float = 1.5, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.quiet = quiet  # the bot is done when nothing new came for this long
        self.timeout = timeout  # never wait longer than this for any one step
        self.config: dict[str, Any] = {}
        self.user_id = ""
        self.conversation_id = ""
        self.locale = ""
        self.history: list[BotMessage] = []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[BotMessage] = asyncio.Queue()

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            base_url=self.base_url, timeout=aiohttp.ClientTimeout(total=self.timeout)
        )
        body = await self._request("GET", "/_internal/v1/config")
        self.config = body["config"]
        self.user_id = self.config["currentUser"]["id"]
        self.conversation_id = self.config["personalChat"]["id"]
        self.locale = body.get("internalConfig", {}).get("locale", "")
        self._ws = await self._session.ws_connect(
            "/_ws_conversation/v1/conversations/stream", heartbeat=10
        )
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(frame.data)
            await self._inbox.put(
                BotMessage(
                    action=str(event.get("action", "")),
                    conversation_id=str(event.get("actionConversationId", "")),
                    message=event.get("message") or {},
                )
            )

    # -- what the user does --------------------------------------------------------------

    async def install(self, *, count: int | None = None) -> list[BotMessage]:
        """Install the app in the personal chat; returns what the bot posted (the welcome)."""
        await self._request("POST", f"/_debug/conversation/{self.conversation_id}/installation", {})
        return await self.replies(count=count)

    async def say(self, text: str, *, count: int | None = None) -> list[BotMessage]:
        """Type ``text`` in the personal chat; returns the bot's messages once it is done.

        Done means ``count`` messages arrived, or (without ``count``) at least one did and
        then nothing for ``quiet`` seconds.
        """
        self.drain()
        body = {"text": text, "textFormat": "plain", "from": {"id": self.user_id}}
        await self._request(
            "POST", f"/_conversation/v1/conversations/{self.conversation_id}/messages", body
        )
        return await self.replies(count=count)

    async def execute(
        self,
        message: BotMessage,
        action: str,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Press the Action.Execute button titled (or with verb) ``action`` on ``message``'s card.

        ``data`` is merged over the button's own data (as input values are in Teams).
        Returns the card the bot answered with, which the playground shows in place of the
        clicked one.
        """
        card = message.card
        if card is None:
            raise PlaygroundError(f"message {message.id} has no card")
        button = find_action(card, action)
        value = {
            "action": {
                "type": "Action.Execute",
                "title": button.get("title"),
                "verb": button["verb"],
                "data": {**(button.get("data") or {}), **(data or {})},
            }
        }
        body = {
            "name": "adaptiveCard/action",
            "value": value,
            "from": {"id": self.user_id},
            "conversation": {"id": self.conversation_id},
            "replyToId": message.id,
        }
        answer = await self._request("POST", "/_conversation/v1/invoke", body)
        if answer.get("type") != CARD_TYPE:
            raise PlaygroundError(f"the invoke answered no card: {answer}")
        result: dict[str, Any] = answer["value"]
        return result

    # -- waiting -------------------------------------------------------------------------

    def drain(self) -> list[BotMessage]:
        """What arrived and was not collected yet (late replies of an earlier step)."""
        late = []
        while not self._inbox.empty():
            late.append(self._inbox.get_nowait())
        self.history.extend(late)
        return late

    async def replies(
        self, *, count: int | None = None, include_typing: bool = False
    ) -> list[BotMessage]:
        out: list[BotMessage] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while count is None or len(out) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wait = remaining if (count is not None or not out) else min(self.quiet, remaining)
            try:
                event = await asyncio.wait_for(self._inbox.get(), wait)
            except TimeoutError:
                if out and count is None:
                    return out
                break
            self.history.append(event)
            if event.action == "typing" and not include_typing:
                continue
            out.append(event)
        if count is not None and len(out) >= count:
            return out
        raise PlaygroundError(
            f"expected {count if count is not None else 'a reply'} from the bot within "
            f"{self.timeout:.0f} s, got {len(out)}: {[m.text or m.cards for m in out]}"
        )

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        assert self._session is not None, "call start() first"
        async with self._session.request(method, path, json=body) as response:
            text = await response.text()
            if response.status != 200:
                raise PlaygroundError(f"{method} {path}: {response.status} {text}")
        if not text:
            return {}
        parsed = json.loads(text)
        return parsed if isinstance(parsed, dict) else {"value": parsed}


def card_text(card: dict[str, Any]) -> str:
    """Every TextBlock text, FactSet title and value, and action title on a card, in order."""
    out: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind in ("TextBlock", "TextRun") and node.get("text"):
                out.append(str(node["text"]))
            elif kind == "FactSet":
                out.extend(
                    f"{f.get('title', '')}: {f.get('value', '')}" for f in node.get("facts", [])
                )
            elif isinstance(kind, str) and kind.startswith("Action.") and node.get("title"):
                out.append(str(node["title"]))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(card)
    return "\n".join(out)


def find_action(card: dict[str, Any], action: str) -> dict[str, Any]:
    """The Action.Execute with this title, else the first with this verb (card and body)."""
    found = [a for a in _actions(card) if a.get("type") == "Action.Execute"]
    for key in ("title", "verb"):
        for candidate in found:
            if candidate.get(key) == action:
                return candidate
    raise PlaygroundError(
        f"no Action.Execute {action!r} on the card; there are {[a.get('title') for a in found]}"
    )


def _actions(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            out.append(node)
        for value in node.values():
            out.extend(_actions(value))
    elif isinstance(node, list):
        for item in node:
            out.extend(_actions(item))
    return out
