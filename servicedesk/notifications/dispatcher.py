"""Dispatching: due rows are claimed, decided on and sent (see the package docstring)."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicedesk.clock import Clock
from servicedesk.conversations import ConversationReference
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
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.tickets import Actor, EventType, Status, Ticket

log = logging.getLogger(__name__)

# -- dispatching ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Send:
    row: ScheduledNotification
    reference: ConversationReference
    notice: Notice


Closer = Callable[[str, Actor, str], Awaitable[None]]
StageHook = Callable[[str], None]


def _last_seq(ticket: Ticket, kind: EventType) -> int | None:
    for seq in range(len(ticket.events) - 1, -1, -1):
        if ticket.events[seq].type is kind:
            return seq
    return None


def _rated_by(ticket: Ticket, person: str) -> bool:
    return any(
        e.type is EventType.FEEDBACK and e.actor.id == person and "rating" in e.data
        for e in ticket.events
    )


class NotificationDispatcher:
    def __init__(
        self,
        store: NotificationStore,
        tickets: SqlTicketStore,
        messenger: Messenger,
        calendar: NotifyCalendar,
        contacts: Contacts,
        clock: Clock,
        close: Closer,
        policy: NotifyPolicy | None = None,
        rng: random.Random | None = None,
        stage: StageHook | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self._store = store
        self._tickets = tickets
        self._messenger = messenger
        self._calendar = calendar
        self._contacts = contacts
        self._clock = clock
        self._close = close
        self.policy = policy or NotifyPolicy()
        self._rng = rng or random.Random()
        self._stage = stage or (lambda _: None)
        self._budget = budget  # Teams' rate limits, shared by all processes (None: none)

    async def run_once(self) -> int:
        """Handle what is due now; returns how many rows were claimed."""
        now = self._clock.now()
        token = uuid.uuid4().hex  # this claim's: another process's claim never settles ours
        await self._store.recover(now)
        rows = await self._store.claim_due(now, self.policy.batch, self.policy.lease, token)
        if not rows:
            return 0
        cache: dict[int, Ticket | None] = {}
        people = await self._store.personal_conversations(
            [
                r.recipient.removeprefix(USER_PREFIX)
                for r in rows
                if r.recipient.startswith(USER_PREFIX)
            ]
        )
        outcomes: list[Outcome] = []
        sends: list[_Send] = []
        for row in rows:
            decided = await self._decide(row, now, cache, token, people)
            if isinstance(decided, _Send):
                sends.append(decided)
            elif decided is not None:
                outcomes.append(decided)
        if outcomes:
            await self._store.settle(outcomes, now, token)
        if sends:
            self._stage("after_claim")  # claimed, about to send (a test hook; see bot/)
        step = max(1, self.policy.concurrency)
        for start in range(0, len(sends), step):
            group = sends[start : start + step]
            slots = await self._reserve(group)
            waiting = [
                self._over_budget(s, slot)
                for s, slot in zip(group, slots, strict=True)
                if slot.wait is None
            ]
            longest = max((slot.wait or 0.0 for slot in slots), default=0.0)
            held = await self._store.mark_sending(
                [s.row.id for s, slot in zip(group, slots, strict=True) if slot.wait is not None],
                self._clock.now() + self.policy.lease + timedelta(seconds=longest),
                token,
            )
            going = [  # a lost lease: someone else's now
                (s, slot.wait or 0.0)
                for s, slot in zip(group, slots, strict=True)
                if slot.wait is not None and s.row.id in held
            ]
            results = await asyncio.gather(*(self._send(s, wait) for s, wait in going))
            self._stage("after_send")
            await self._store.settle([*waiting, *results], self._clock.now(), token)
        return len(rows)

    # -- deciding ------------------------------------------------------------------------

    async def _decide(
        self,
        row: ScheduledNotification,
        now: datetime,
        cache: dict[int, Ticket | None],
        token: str,
        people: Mapping[str, PersonalConversation],
    ) -> Outcome | _Send | None:
        if row.ticket_id not in cache:
            cache[row.ticket_id] = await self._tickets.get_by_id(row.ticket_id)
        ticket = cache[row.ticket_id]
        if ticket is None:
            return Outcome(row.id, RowState.SKIPPED, "ticket not found")
        verdict = self._relevance(row, ticket, now)
        if verdict is not None:
            return verdict
        if row.recipient == SYSTEM:
            return await self._auto_close(row, ticket)
        if row.recipient in AUDIENCES:
            children = await self._expand(row, ticket, now)
            await self._store.fan_out(row, children, now, token)
            return None
        urgent = self._calendar.is_urgent(ticket.priority)
        if not urgent and not self._calendar.is_business_time(now):
            return Outcome(
                row.id,
                RowState.PENDING,
                "waits for business hours",
                due_at=self._calendar.next_business_start(now),
            )
        return await self._target(row, ticket, now, urgent, people)

    def _relevance(
        self, row: ScheduledNotification, ticket: Ticket, now: datetime
    ) -> Outcome | None:
        """None when the row should go ahead now; else skipped or later."""
        kind = row.kind

        def later(at: datetime, why: str) -> Outcome:
            return Outcome(row.id, RowState.PENDING, why, due_at=at)

        def skip(why: str) -> Outcome:
            return Outcome(row.id, RowState.SKIPPED, why)

        if kind is NotificationKind.COMPLETION:
            if ticket.status is not Status.RESOLVED:
                return skip(f"ticket is {ticket.status.value}")
            if _last_seq(ticket, EventType.RESOLVED) != row.event_seq:
                return skip("resolved again since")
        elif kind is NotificationKind.AT_RISK:
            if not ticket.status.is_open:
                return skip(f"ticket is {ticket.status.value}")
            if any(e.type is EventType.DELAYED for e in ticket.events):
                return skip("the back office reported a delay")
            moment = self._calendar.at_risk_moment(
                ticket.priority,
                ticket.created_at,
                ticket.deadlines.resolve_due,
                self.policy.at_risk_share,
            )
            if now < moment:
                return later(moment, "not at risk yet")
        elif kind is NotificationKind.ESCALATION:
            if not ticket.status.is_open:
                return skip(f"ticket is {ticket.status.value}")
            if row.detail.get("deadline") == "response":
                if ticket.responded_at is not None:
                    return skip("responded")
                due = ticket.deadlines.response_due
            else:
                due = ticket.deadlines.resolve_due
            if now < due:
                return later(due, "deadline not passed")
        elif kind in (NotificationKind.FOLLOWUP, NotificationKind.AUTO_CLOSE):
            allowed = (
                (Status.RESOLVED, Status.CLOSED)
                if kind is NotificationKind.FOLLOWUP
                else (Status.RESOLVED,)
            )
            if ticket.status not in allowed:
                return skip(f"ticket is {ticket.status.value}")
            if row.event_seq is not None and _last_seq(ticket, EventType.RESOLVED) != row.event_seq:
                return skip("resolved again since")
            person = row.recipient.removeprefix(USER_PREFIX)
            if kind is NotificationKind.FOLLOWUP and _rated_by(ticket, person):
                return skip("already rated")
        return None

    async def _expand(
        self, row: ScheduledNotification, ticket: Ticket, now: datetime
    ) -> list[Planned]:
        targets: list[tuple[str, str, str]] = []  # recipient, language, role
        if row.recipient in (REQUESTER, AUDIENCE):
            targets.append(
                (USER_PREFIX + ticket.requester.id, ticket.requester.language, "requester")
            )
        if row.recipient == AUDIENCE:
            for follower in await self._tickets.followers(ticket.number):
                targets.append((USER_PREFIX + follower.id, follower.language, "follower"))
        if row.recipient in (STAFF, QUEUE):
            targets.append((QUEUE_PREFIX + ticket.queue, "nl", "queue"))
        if row.recipient == STAFF:
            lead = self._contacts.lead_id(ticket.queue)
            if lead:
                targets.append((USER_PREFIX + lead, "nl", "lead"))
        seen: set[str] = set()
        children = []
        for recipient, language, role in targets:
            if recipient in seen:
                continue
            seen.add(recipient)
            children.append(
                Planned(
                    key=f"{row.key}:{recipient}",
                    ticket_id=row.ticket_id,
                    kind=row.kind,
                    recipient=recipient,
                    due_at=now,
                    event_seq=row.event_seq,
                    language=language if language in ("nl", "en") else "nl",
                    detail={**row.detail, "role": role},
                )
            )
        return children

    async def _auto_close(self, row: ScheduledNotification, ticket: Ticket) -> Outcome:
        days = self.policy.followup_close_days
        await self._close(
            ticket.number,
            Actor.system("frontoffice"),
            f"Automatisch gesloten: geen reactie binnen {days:g} dagen na de nabelvraag.",
        )
        log.info("ticket closed without an answer", extra={"ticket": ticket.number})
        return Outcome(row.id, RowState.SENT, "closed")

    async def _target(
        self,
        row: ScheduledNotification,
        ticket: Ticket,
        now: datetime,
        urgent: bool,
        people: Mapping[str, PersonalConversation],
    ) -> Outcome | _Send:
        role = str(row.detail.get("role", "requester"))
        event = (
            ticket.events[row.event_seq]
            if row.event_seq is not None and 0 <= row.event_seq < len(ticket.events)
            else None
        )
        notice = Notice(row.kind, ticket, row.language, role, row.key, event, row.detail)
        if row.recipient.startswith(QUEUE_PREFIX):
            queue = row.recipient.removeprefix(QUEUE_PREFIX)
            reference = await self._store.queue_channel(queue)
            if reference is None:
                return Outcome(
                    row.id,
                    RowState.UNREACHABLE,
                    "no channel linked to the queue",
                    unreachable=(row.recipient, "no_channel"),
                )
            return _Send(row, reference, notice)
        person = row.recipient.removeprefix(USER_PREFIX)
        conversation = people.get(person)
        if conversation is None:
            return Outcome(
                row.id,
                RowState.UNREACHABLE,
                "no personal conversation with the bot",
                unreachable=(person, "no_conversation"),
            )
        if conversation.removed_at is not None:
            return Outcome(
                row.id,
                RowState.UNREACHABLE,
                "the bot was removed",
                unreachable=(person, "removed"),
            )
        if conversation.blocked_since is not None:
            installed = conversation.installed_at
            if installed is None or installed <= conversation.blocked_since:
                return Outcome(row.id, RowState.UNREACHABLE, "the person blocked the bot")
        if (
            not urgent
            and conversation.dialog_kind in DIALOG_KINDS
            and conversation.dialog_updated_at is not None
            and conversation.dialog_updated_at > now - self.policy.dialog_timeout
        ):
            return Outcome(
                row.id,
                RowState.PENDING,
                "waits until the dialog ends",
                due_at=now + self.policy.dialog_recheck,
            )
        return _Send(row, conversation.reference, notice)

    # -- sending -------------------------------------------------------------------------

    async def _reserve(self, group: list[_Send]) -> list[SendSlot]:
        """The group's send slots from the shared budget (one database round trip)."""
        if self._budget is None:
            return [SendSlot(0.0)] * len(group)
        return await self._budget.reserve(
            [(s.reference.tenant_id or "", s.reference.conversation_id) for s in group]
        )

    def _over_budget(self, send: _Send, slot: SendSlot) -> Outcome:
        """Not an attempt: the row simply waits until the budget has room."""
        return Outcome(
            send.row.id,
            RowState.PENDING,
            "waits for the send budget",
            due_at=self._clock.now() + timedelta(seconds=slot.retry_after),
        )

    async def _send(self, send: _Send, wait: float = 0.0) -> Outcome:
        row = send.row
        person = row.recipient.removeprefix(USER_PREFIX)
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            activity_id = await self._messenger.send(send.reference, send.notice)
        except RecipientUnreachable as exc:
            log.warning(
                "recipient not notifiable", extra={"notification": row.id, "reason": exc.reason}
            )
            return Outcome(
                row.id,
                RowState.UNREACHABLE,
                str(exc)[:500],
                unreachable=(person, exc.reason),
            )
        except SendRejected as exc:
            log.error("notification rejected", extra={"notification": row.id})
            return Outcome(
                row.id, RowState.FAILED, f"rejected: {exc}"[:2000], attempts=row.attempts + 1
            )
        except (SendUnavailable, OSError, TimeoutError) as exc:
            return self._later(row, exc)
        log.info(
            "notification sent",
            extra={"notification": row.id, "kind": row.kind.value, "ticket_id": row.ticket_id},
        )
        return Outcome(
            row.id,
            RowState.SENT,
            activity_id=activity_id,
            conversation_id=send.reference.conversation_id,
            attempts=row.attempts + 1,
            reached=person if row.recipient.startswith(USER_PREFIX) else None,
        )

    def _later(self, row: ScheduledNotification, error: Exception) -> Outcome:
        attempts = row.attempts + 1
        if attempts >= self.policy.max_attempts:
            log.error("notification failed for good", extra={"notification": row.id})
            return Outcome(
                row.id,
                RowState.FAILED,
                f"gave up after {attempts} attempts: {error}"[:2000],
                attempts=attempts,
            )
        ceiling = min(
            self.policy.max_retry_seconds, self.policy.retry_seconds * 2 ** (attempts - 1)
        )
        wait = self._rng.uniform(ceiling / 2, ceiling)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            wait = max(wait, float(retry_after))
        log.warning(
            "notification postponed",
            extra={"notification": row.id, "attempts": attempts, "retry_in_s": round(wait, 1)},
        )
        return Outcome(
            row.id,
            RowState.PENDING,
            str(error)[:2000],
            due_at=self._clock.now() + timedelta(seconds=wait),
            attempts=attempts,
        )
