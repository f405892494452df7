"""Conversation references between Bot Framework activities and the core's dataclass."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity

from servicedesk.conversations import ConversationKind, ConversationReference


def _get(data: Any, *path: str) -> str | None:
    """The text at ``path`` in channel data, None when it is missing or not text."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str) else None


def tenant_of(activity: Activity) -> str | None:
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    return (tenant if isinstance(tenant, str) else None) or _get(
        activity.channel_data, "tenant", "id"
    )


def reference_from(activity: Activity) -> ConversationReference | None:
    """The reference to write to this conversation later, or None when the activity lacks it."""
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        return None
    raw_kind = conversation.conversation_type or "personal"
    try:
        kind = ConversationKind(raw_kind)
    except ValueError:
        kind = ConversationKind.GROUP_CHAT
    sender = activity.from_property
    user_id = None
    if kind is ConversationKind.PERSONAL and sender is not None:
        user_id = sender.aad_object_id or sender.id
    bot_id = activity.recipient.id if activity.recipient and activity.recipient.id else ""
    return ConversationReference(
        conversation_id=conversation.id,
        kind=kind,
        service_url=activity.service_url,
        channel_id=activity.channel_id or "msteams",
        bot_id=bot_id,
        tenant_id=tenant_of(activity),
        user_id=user_id,
        team_id=_get(activity.channel_data, "team", "id"),
        teams_channel_id=_get(activity.channel_data, "channel", "id"),
        locale=activity.locale,
    )
