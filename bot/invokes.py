"""Invoke activities the bot does not run: the shape checks and the 400 they get.

The bot handles one invoke, ``adaptiveCard/action`` (``Action.Execute``). botbuilder
4.17.1 answers a malformed one (no ``value``, ``action`` not an object, another action
``type``) with an error response whose ``value`` is a Python ``Exception``, which its own
serializer cannot write: a 500. And every other invoke name ends in a 501. So the bot
checks the shape itself and answers both with a 400 whose body is the Universal
Actions error response (``statusCode``, ``type``, ``value.code``, ``value.message``,
which Teams shows) plus this app's ``error`` and ``message``.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse

CARD_ACTION = "adaptiveCard/action"
EXECUTE = "Action.Execute"
ERROR_CONTENT_TYPE = "application/vnd.microsoft.error"


def card_action_problem(value: Any) -> str | None:
    """None when ``value`` is an ``Action.Execute`` invoke value the bot can route,
    else what is wrong with it. ``verb`` and ``data`` are only checked for type: an
    unknown verb gets a readable card from the bot."""
    if not isinstance(value, dict):
        return "value: must be an object with an 'action'"
    action = value.get("action")
    if not isinstance(action, dict):
        return "value.action: must be an object"
    if action.get("type") != EXECUTE:
        return f"value.action.type: must be '{EXECUTE}'"
    if not isinstance(action.get("verb", ""), str):
        return "value.action.verb: must be a string"
    return None


def bad_invoke(code: str, message: str) -> InvokeResponse:
    body = {
        "statusCode": 400,
        "type": ERROR_CONTENT_TYPE,
        "value": {"code": "BadRequest", "message": message},
        "error": code,
        "message": message,
    }
    return InvokeResponse(status=400, body=body)
