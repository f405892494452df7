"""The text of a message without the bot's @mention ("<at>Frontoffice</at> help" -> "help").

botbuilder's ``TurnContext.remove_recipient_mention`` fails on mention entities of
another shape (no ``mentioned``, ``mentioned`` not an object, no ``type``: KeyError,
TypeError, AttributeError) and uses the mentioned name as a regular expression. This
reads the entities defensively and removes the mention's text as plain text.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity


def text_without_mention(activity: Activity) -> str:
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient else None
    if not bot_id:
        return text
    for entity in activity.entities or ():
        shown = _mention_of(entity, bot_id)
        if shown:
            text = text.replace(shown, "")
    return text


def _mention_of(entity: Any, bot_id: str) -> str | None:
    """The text of ``entity`` when it is a mention of ``bot_id``, else None."""
    kind = getattr(entity, "type", None)
    if not isinstance(kind, str) or kind.lower() != "mention":
        return None
    properties = getattr(entity, "additional_properties", None) or {}
    mentioned = properties.get("mentioned")
    if not isinstance(mentioned, dict) or mentioned.get("id") != bot_id:
        return None
    shown = properties.get("text")
    if isinstance(shown, str) and shown:
        return shown
    name = mentioned.get("name")
    return f"<at>{name}</at>" if isinstance(name, str) and name else None
