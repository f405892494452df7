"""Notifications: what requesters, followers, the queue and its lead hear about a ticket,
and when. The schedule lives in the database (``notifications``); this module decides.

Two workers, both driven by the scheduler in the bot process (APScheduler):

``NotificationPlanner``
    Reads the ticket trail (``ticket_events``) after its cursor and turns each event into
    schedule rows with an idempotency key (``completion:FM-2026-000001:7``). The trail
    is written by every channel (chat, ticket API, channel cards, TOPdesk polling), so
    nothing has to remember to notify; planning the same event twice (two processes, a
    rescan after a restart) gives the same keys and so the same rows. Timed rows (the
    at-risk notice, escalations, the follow-up, the automatic close) are planned at the
    moment they fall due and re-checked then.

``NotificationDispatcher``
    Claims due rows (a lease; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and decides per
    row: no longer relevant -> ``skipped``; not yet (a deadline moved; outside business
    hours for a non-urgent ticket; the employee is in the middle of a dialog) -> back to
    ``pending`` with a later due time; a row for an audience ("requester", "audience",
    "staff", "queue") -> one row per recipient (``user:<id>``, ``queue:<queue>``); the
    automatic close -> the ticket is closed; otherwise it is sent through the
    ``Messenger`` port (bot/notifier.py: the Bot Connector).

States of a row::

    pending -> claimed -> sending -> sent
                      \\-> skipped | unreachable | pending (later / retry) | failed
    claimed, lease ran out (the process died before sending)  -> claimed again
    sending, lease ran out (the process died during the send) -> unconfirmed

A row is marked ``sending`` just before the Bot Connector call and ``sent`` (with the
Teams activity id) right after it. A process killed between the two leaves the row
``sending``; the Bot Connector offers no way to ask whether the message arrived, so it
is *not* sent again (the requester would see it twice) but becomes ``unconfirmed``,
which admins see (``frontoffice notifications``) and may retry.

Errors the ``Messenger`` raises::

    NotifyError
     ├── SendUnavailable        try again later (429, 412, 5xx, timeouts); ``retry_after``
     ├── SendRejected           will not work as sent (other 4xx): ``failed``
     └── RecipientUnreachable   blocked (403) or the conversation is gone (404):
                                the person is marked not notifiable, no retries
"""

from servicedesk.notifications.dispatcher import NotificationDispatcher, StageHook
from servicedesk.notifications.model import (
    AUDIENCE,
    AUDIENCES,
    DIALOG_KINDS,
    QUEUE,
    QUEUE_PREFIX,
    REQUESTER,
    STAFF,
    SYSTEM,
    USER_PREFIX,
    Contacts,
    Messenger,
    Notice,
    NotificationKind,
    NotificationStore,
    NotifyCalendar,
    NotifyError,
    NotifyPolicy,
    Outcome,
    PersonalConversation,
    Planned,
    RecipientUnreachable,
    RowState,
    ScheduledNotification,
    SendBudget,
    SendRejected,
    SendSlot,
    SendUnavailable,
)
from servicedesk.notifications.planner import NotificationPlanner, plan_event

__all__ = [
    "AUDIENCE",
    "AUDIENCES",
    "DIALOG_KINDS",
    "QUEUE",
    "QUEUE_PREFIX",
    "REQUESTER",
    "STAFF",
    "SYSTEM",
    "USER_PREFIX",
    "Contacts",
    "Messenger",
    "Notice",
    "NotificationDispatcher",
    "NotificationKind",
    "NotificationPlanner",
    "NotificationStore",
    "NotifyCalendar",
    "NotifyError",
    "NotifyPolicy",
    "Outcome",
    "PersonalConversation",
    "Planned",
    "RecipientUnreachable",
    "RowState",
    "ScheduledNotification",
    "SendBudget",
    "SendRejected",
    "SendSlot",
    "SendUnavailable",
    "StageHook",
    "plan_event",
]
