"""One structured line per activity, and no personal data at INFO."""

from __future__ import annotations

import io
import json
import logging

from aiohttp.test_utils import TestClient

from frontoffice.logs import configure_logging
from tests.conftest import teams_message


async def test_one_json_line_per_activity_without_text_or_names(client: TestClient) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    previous_handlers, previous_level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        secret = "Mijn naam is Jan Jansen en de verwarming in kamer 2.14 is kapot"
        activity = teams_message(secret, deliveryMode="expectReplies", id="activity-42")
        response = await client.post("/api/messages", json=activity)
        assert response.status == 200
    finally:
        root.handlers[:] = previous_handlers
        root.setLevel(previous_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    per_activity = [line for line in lines if line["msg"] == "activity"]
    assert len(per_activity) == 1
    entry = per_activity[0]
    assert entry["correlation_id"] == "activity-42"
    assert entry["activity_type"] == "message"
    assert entry["conversation_id"] == "a:personal-1"
    assert entry["status"] == 200
    assert isinstance(entry["latency_ms"], float)
    everything = stream.getvalue()
    for personal in ("Jansen", "verwarming", "Ada Employee", "aad-user-1"):
        assert personal not in everything
