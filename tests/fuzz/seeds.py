"""Valid requests to mutate, shaped like those of the tests (tests/conftest.py, tests/chat.py).

Card clicks are harvested from the bot's own cards (``harvest_clicks``), so a mutated
click reaches the verb's handler with the data it expects; the verbs of channel cards
and notification cards, which a personal chat never shows, are added by hand.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

from dialogs.notify_cards import VERBS as NOTIFY_VERBS
from dialogs.queue_cards import VERBS as QUEUE_VERBS
from tests.chat import buttons
from tests.conftest import teams_message

PEOPLE = {
    "from": {"id": "29:fuzz-user", "name": "Fuzz Employee", "aadObjectId": "aad-fuzz"},
    "conversation": {"id": "a:fuzz-1", "conversationType": "personal", "tenantId": "tenant-1"},
}
CHANNEL = {
    "id": "19:fuzz@thread.tacv2;messageid=1",
    "conversationType": "channel",
    "tenantId": "tenant-1",
}
SCRIPT = (  # what an employee says, to harvest the bot's cards and buttons
    "Wat kost een werklunch per persoon?",
    "de verwarming doet het niet in kamer 2.14 op de 2e verdieping van het Stadskantoor",
    "ja",
    "lekkage",
    "mijn meldingen",
    "help",
    "I need a parking spot for a visitor tomorrow at 10, plate AB-123-C",
    "stop",
    "vergaderzaal voor 12 personen morgen om 14 uur, kostenplaats 4711",
    "wat is de wifi code",
)


def message(service_url: str, text: str, **extra: Any) -> dict[str, Any]:
    activity = teams_message(text, service_url, deliveryMode="expectReplies", **PEOPLE)
    activity.update(extra)
    return activity


def message_seeds(service_url: str) -> list[dict[str, Any]]:
    """Messages with text, mentions, attachments and channel data."""
    seeds = [message(service_url, text) for text in SCRIPT]
    seeds.append(
        message(
            service_url,
            "<at>Frontoffice</at> help",
            conversation=dict(CHANNEL),
            entities=[
                {
                    "type": "mention",
                    "text": "<at>Frontoffice</at>",
                    "mentioned": {"id": "28:bot-1", "name": "Frontoffice"},
                },
                {"type": "clientInfo", "locale": "nl-NL", "timezone": "Europe/Amsterdam"},
            ],
            channelData={
                "tenant": {"id": "tenant-1"},
                "team": {"id": "19:team@thread.tacv2"},
                "channel": {"id": "19:fuzz@thread.tacv2"},
            },
        )
    )
    seeds.append(
        message(
            service_url,
            "hier is de lijst van bezoekers",
            attachments=[
                {
                    "contentType": "application/vnd.microsoft.teams.file.download.info",
                    "name": "bezoekers.csv",
                    "content": {
                        "downloadUrl": f"{service_url.rstrip('/')}/files/bezoekers.csv",
                        "uniqueId": "1",
                        "fileType": "csv",
                    },
                },
                {"contentType": "image/png", "contentUrl": f"{service_url}img.png", "name": "x"},
                {"contentType": "text/html", "content": "<p>hallo</p>"},
            ],
        )
    )
    seeds.append(message(service_url, "", value={"note": "kamer 2.14"}, textFormat="xml"))
    return seeds


def update_seeds(service_url: str) -> list[dict[str, Any]]:
    """conversationUpdate, installationUpdate and the other activity types."""
    base = message(service_url, "")
    base.pop("text")
    base.pop("deliveryMode")
    bot = {"id": "28:bot-1", "name": "Frontoffice"}
    seeds = []
    for kind, extra in (
        ("conversationUpdate", {"membersAdded": [bot, {"id": "29:other"}]}),
        ("conversationUpdate", {"membersRemoved": [bot]}),
        (
            "conversationUpdate",
            {
                "membersAdded": [bot],
                "conversation": dict(CHANNEL),
                "channelData": {
                    "eventType": "teamMemberAdded",
                    "team": {"id": "19:team@thread.tacv2", "name": "Facilities"},
                    "tenant": {"id": "tenant-1"},
                },
            },
        ),
        ("installationUpdate", {"action": "add"}),
        ("installationUpdate", {"action": "remove"}),
        ("installationUpdate", {"action": "add-upgrade"}),
        ("messageReaction", {"reactionsAdded": [{"type": "like"}], "replyToId": "1"}),
        ("event", {"name": "application/vnd.microsoft.meetingStart", "value": {}}),
        ("typing", {}),
        ("endOfConversation", {"code": "userCancelled"}),
    ):
        activity = copy.deepcopy(base)
        activity.update(type=kind, id=uuid.uuid4().hex, **copy.deepcopy(extra))
        seeds.append(activity)
    return seeds


def click(service_url: str, verb: str, data: Any, conversation: Any = None) -> dict[str, Any]:
    activity = message(service_url, "")
    activity.pop("text")
    activity.pop("deliveryMode")
    if conversation is not None:
        activity["conversation"] = conversation
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )
    return activity


def harvest_clicks(
    service_url: str, say: Callable[[bytes], str], ticket: str
) -> list[dict[str, Any]]:
    """Clicks on every button the bot showed while ``SCRIPT`` was said, and one of each
    channel and notification verb on ``ticket``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for text in SCRIPT:
        answer = say(json.dumps(message(service_url, text)).encode())
        try:
            activities = json.loads(answer).get("activities") or []
        except ValueError:
            continue
        for activity in activities:
            for attachment in activity.get("attachments") or []:
                content = attachment.get("content")
                if not isinstance(content, dict):
                    continue
                for verb, data in buttons(content).values():
                    found.setdefault(
                        (verb, json.dumps(data, sort_keys=True)), click(service_url, verb, data)
                    )
    for verb in QUEUE_VERBS:
        data = {
            "ticket": ticket,
            "note": "bijgewerkt",
            "reason": "onderdeel",
            "expected": "2026-12-04",
        }
        found[(verb, "")] = click(service_url, verb, data, dict(CHANNEL))
    for verb in NOTIFY_VERBS:
        found[(verb, "")] = click(
            service_url, verb, {"ticket": ticket, "rating": "4", "comment": "ok"}
        )
    return list(found.values())


def new_ticket() -> dict[str, Any]:
    return {
        "product": "storing.verwarming",
        "requester": {
            "id": "aad-fuzz",
            "name": "Ada",
            "email": "ada@rivierstad.nl",
            "language": "nl",
        },
        "channel": "phone",
        "fields": {
            "location": "Stadskantoor, 2e verdieping, kamer 2.14",
            "when": "2026-12-01T10:00:00+01:00",
        },
        "description": "Het is 16 graden in de kamer",
        "actor": {"id": "desk-1", "name": "Balie"},
    }


def event_seeds() -> list[dict[str, Any]]:
    actor = {"id": "staff-1", "name": "Bob"}
    return [
        {"type": "accept", "actor": actor},
        {"type": "progress", "actor": actor, "note": "onderdeel besteld"},
        {"type": "delay", "actor": actor, "reason": "onderdeel", "expected": "2026-12-04"},
        {"type": "delay", "actor": actor, "reason": "x", "expected": "2026-12-04T12:00:00+01:00"},
        {"type": "resolve", "actor": actor, "note": "gerepareerd"},
        {"type": "reopen", "actor": actor, "note": "weer kapot"},
        {"type": "cancel", "actor": actor, "reason": "dubbel"},
        {"type": "prioritise", "actor": actor, "priority": "P1", "reason": "lekkage"},
    ]


def status_seeds(number: str) -> list[dict[str, Any]]:
    return [
        {"number": number, "key": "k-1", "status": "accepted", "actor": {"name": "FMIS"}},
        {
            "number": number,
            "key": "k-2",
            "status": "in_progress",
            "note": "bezig",
            "actor": {"name": "x"},
        },
        {
            "number": number,
            "key": "k-3",
            "status": "delayed",
            "note": "onderdeel",
            "expected": "2026-12-04T12:00:00+01:00",
            "at": "2026-12-01T10:00:00+01:00",
            "actor": {"name": "FMIS"},
        },
        {
            "number": number,
            "key": "k-4",
            "status": "resolved",
            "note": "klaar",
            "actor": {"name": "x"},
        },
        {"number": number, "key": "k-5", "note": "alleen een notitie", "actor": {"name": "x"}},
    ]
