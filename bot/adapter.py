"""The Bot Framework adapter, with replies that survive a short refusal.

A reply in a user's own turn that the Bot Connector refuses with 429 (honouring its
Retry-After), 500 or 503 is sent again, one activity at a time (so a reply that went
out is never repeated), at most ``REPLY_ATTEMPTS`` times and never waiting longer than
``MAX_WAIT_SECONDS`` in all: the person is waiting. A reply that got no answer (a
timeout, a dropped connection) is not repeated, since Teams may have it. What still
fails reaches ``on_turn_error``, which tries the polite error reply.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ResourceResponse
from msrest.exceptions import HttpOperationError

log = logging.getLogger(__name__)
REPLY_ATTEMPTS = 3
MAX_WAIT_SECONDS = 5.0
REFUSED = frozenset({429, 500, 503})  # answered and refused: the reply did not go out


class PatientCloudAdapter(CloudAdapter):
    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses: list[ResourceResponse] = []
        for activity in activities:
            responses.extend(await self._send_one(context, activity))
        return responses

    async def _send_one(self, context: TurnContext, activity: Activity) -> Any:
        waited = 0.0
        for attempt in range(1, REPLY_ATTEMPTS + 1):
            try:
                return await super().send_activities(context, [activity])
            except HttpOperationError as exc:
                response = getattr(exc, "response", None)
                status = int(getattr(response, "status_code", 0) or 0)
                wait = _retry_after(response) or 0.5 * 2 ** (attempt - 1)
                if status not in REFUSED or attempt == REPLY_ATTEMPTS:
                    raise
                if waited + wait > MAX_WAIT_SECONDS:
                    raise
                log.warning("reply refused; sending it again", extra={"status": status})
                waited += wait
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None
