"""HTTP plumbing shared by the TOPdesk and webhook adapters.

One place turns what aiohttp and the far side answer into the port's errors:

    connection refused, reset, DNS, TLS       BackOfficeUnavailable
    no complete answer within the timeout     BackOfficeUnavailable
    408, 429, 5xx                             BackOfficeUnavailable (Retry-After honoured)
    3xx (redirects are not followed), other 4xx   BackOfficeRejected, with the far side's message

The far side's message is taken from the error body shapes seen in the wild:
TOPdesk's ``[{"message": ...}]`` and ``{"errors": [{"errorMessage": ...}]}``, and the
common ``{"message": ...}`` / ``{"error": ...}``; otherwise the head of the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

import aiohttp

from servicedesk.backoffice import BackOfficeRejected, BackOfficeUnavailable

MAX_MESSAGE = 300  # characters of a far side's error message kept in our error
_TEMPORARY = frozenset({408, 425, 429})


class HttpUnavailable(BackOfficeUnavailable):
    """``BackOfficeUnavailable`` from an HTTP answer (``status`` None: no answer at all)."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status


class HttpRejected(BackOfficeRejected):
    """``BackOfficeRejected`` from an HTTP answer, with its status code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Answer:
    """A 2xx answer, read completely."""

    status: int
    text: str
    content_type: str

    def json(self, what: str) -> Any:
        """The body as JSON (None when empty); a garbled 2xx body counts as temporary."""
        if not self.text.strip():
            return None
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise BackOfficeUnavailable(f"{what}: the answer is not JSON") from exc


class SessionOwner:
    """Holds an aiohttp session: the one given, or one of its own made on first use."""

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self._session = session
        self._owns_session = session is None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        """Close the session if this adapter made it (a session passed in stays open)."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    what: str,
    seconds: float,
    params: dict[str, str] | None = None,
    json_body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request; the answer when it is 2xx, otherwise the port's error.

    ``what`` names the operation in error messages ("TOPdesk create incident"); it must
    not contain personal data, since error messages end up in logs and admin views.
    """
    try:
        async with session.request(
            method,
            url,
            params=params,
            json=json_body,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            raw = await response.read()
            status = response.status
            content_type = response.content_type
            retry_after_header = response.headers.get("Retry-After")
    except TimeoutError as exc:
        raise HttpUnavailable(f"{what}: no answer within {seconds:g} s") from exc
    except aiohttp.ClientError as exc:
        raise HttpUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
    text = raw.decode("utf-8", errors="replace")
    if 200 <= status < 300:
        return Answer(status, text, content_type)
    message = error_message(text) or "(no message)"
    if status in _TEMPORARY or status >= 500:
        raise HttpUnavailable(
            f"{what}: HTTP {status}: {message}", status, retry_after(retry_after_header)
        )
    if 300 <= status < 400:
        message = f"redirected; check the URL ({message})"
    raise HttpRejected(f"{what}: HTTP {status}: {message}", status)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def error_message(text: str) -> str:
    """The far side's own words from an error body, shortened."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    found = _messages(body) if body is not None else []
    message = "; ".join(found) if found else _strip_tags(text)
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return message


def _messages(body: Any) -> list[str]:
    if isinstance(body, list):  # TOPdesk: [{"message": ...}]
        return [m for item in body for m in _messages(item)]
    if not isinstance(body, dict):
        return [str(body)] if isinstance(body, str) and body else []
    if isinstance(body.get("errors"), list):  # TOPdesk: {"errors": [{"errorMessage": ...}]}
        found = [m for item in body["errors"] for m in _messages(item)]
        if found:
            return found
    for key in ("errorMessage", "message", "error_description", "detail", "error", "title"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return [value.strip()]
        if isinstance(value, dict):
            found = _messages(value)
            if found:
                return found
    return []


_TAG = re.compile(r"<[^>]*>")


def _strip_tags(text: str) -> str:
    return _TAG.sub(" ", text)
