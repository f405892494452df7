"""Follow-ups on one's own tickets, and the files sent in the chat.

``TicketFollowUps`` answers "status", "my tickets", "cancel", "reopen" and "more information"
about the employee's tickets (picking the one meant when no number is given), with the status,
list and confirm cards and their verbs; and takes uploads: a CSV of visitors (for a group
visit's intake) or a photo (for the intake at hand or for a ticket). A mixin of ``FrontDesk``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dialogs import cards, extract, intake
from dialogs.desk_context import DeskBase, _Context
from dialogs.intents import FollowUp, FollowUpIntent, follow_up
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from knowledge.model import Product
from servicedesk.service import Step, UnknownTicket
from servicedesk.tickets import Actor, Status, Ticket


class TicketFollowUps(DeskBase):
    """The employee's own tickets and uploads (a mixin of ``FrontDesk``)."""

    # from IntakeFlow
    _start_intake: Callable[[_Context, Product, dict[str, Any]], Awaitable[None]]
    _advance: Callable[[_Context], Awaitable[None]]
    _values: Callable[[_Context, Product, str], dict[str, Any]]
    _question: Callable[[_Context], str]

    # -- follow-up on one's own tickets -------------------------------------------------------

    async def _follow_up(
        self, c: _Context, intent: FollowUpIntent, product_id: str | None = None
    ) -> None:
        user = c.turn.user
        if intent.kind is FollowUp.LIST:
            tickets = await self._tickets.visible_to(user.id, open_only=True)
            if not tickets:
                c.say("mine.none")
                return
            c.replies.append(Reply(card=self._list_card(c, tickets)))
            return
        number = intent.number
        if number is None:
            number = await self._pick_one(c, intent.kind, product_id)
            if number is None:
                return
        try:
            ticket = await self._tickets.mine(user.id, number)
        except UnknownTicket:
            c.say("mine.unknown_number", number=number)
            return
        if intent.kind is FollowUp.STATUS:
            c.replies.append(Reply(card=self._status_card(c, ticket)))
        elif intent.kind is FollowUp.ADD:
            if not ticket.status.is_open:
                c.say("mine.closed", number=number)
                return
            await self._add_note(number, user, intent.rest)
            c.say("mine.added", number=number)
        elif intent.kind is FollowUp.CANCEL:
            if not ticket.status.is_open:
                c.say("mine.cannot_cancel", number=number, status=self._status(c, ticket))
                return
            if ticket.requester.id != user.id:
                c.say("mine.not_yours", number=number)
                return
            c.state = {"kind": "cancel", "ticket": number}
            c.replies.append(Reply(card=self._confirm_card(c, ticket, "cancel")))
        elif intent.kind is FollowUp.REOPEN:
            if ticket.status is not Status.RESOLVED:
                c.say("mine.cannot_reopen", number=number, status=self._status(c, ticket))
                return
            c.state = {"kind": "reopen", "ticket": number}
            c.replies.append(Reply(card=self._confirm_card(c, ticket, "reopen")))

    async def _pick_one(
        self, c: _Context, kind: FollowUp, product_id: str | None = None
    ) -> str | None:
        """'annuleer mijn melding' / 'het is nog niet opgelost' without a number; a product
        named ("cancel my booking for the council chamber") narrows the choice."""
        user = c.turn.user
        every = await self._tickets.visible_to(user.id, open_only=False)
        if product_id and any(x.product_id == product_id for x in every):
            every = [x for x in every if x.product_id == product_id]
        if kind is FollowUp.REOPEN:
            candidates = [x for x in every if x.status is Status.RESOLVED]
        else:
            candidates = [x for x in every if x.status.is_open and x.requester.id == user.id]
        if len(candidates) == 1:
            return candidates[0].number
        if not candidates:
            c.say("mine.none_for", action=t(c.language, f"mine.action.{kind.value}"))
            return None
        c.replies.append(Reply(card=self._list_card(c, candidates[:8])))
        c.say("mine.which", action=t(c.language, f"mine.action.{kind.value}"))
        return None

    def _status(self, c: _Context, ticket: Ticket) -> str:
        return t(c.language, f"status.{ticket.status.value}")

    def _status_card(self, c: _Context, ticket: Ticket) -> dict[str, Any]:
        language = c.language
        zone = self._zone(c)
        facts = [
            (t(language, "mine.product"), self._product_name(c, ticket.product_id)),
            (t(language, "mine.status"), self._status(c, ticket)),
            (
                t(language, "mine.since"),
                intake.format_moment(ticket.created_at.astimezone(zone), language),
            ),
        ]
        if ticket.status.is_open:
            due = ticket.expected_at or ticket.deadlines.resolve_due
            facts.append(
                (t(language, "mine.expected"), intake.format_moment(due.astimezone(zone), language))
            )
        notes = [e for e in ticket.events if e.note and not e.actor.id.startswith("system:")]
        if notes:
            facts.append((t(language, "mine.last"), notes[-1].note[:300]))
        actions: list[tuple[str, str, dict[str, Any]]] = []
        if ticket.status.is_open and ticket.requester.id == c.turn.user.id:
            actions.append((t(language, "mine.cancel"), "mine.cancel", {"ticket": ticket.number}))
        if ticket.status is Status.RESOLVED:
            actions.append((t(language, "mine.reopen"), "mine.reopen", {"ticket": ticket.number}))
        return cards.facts_card(ticket.number, facts, actions)

    def _list_card(self, c: _Context, tickets: list[Ticket]) -> dict[str, Any]:
        language = c.language
        zone = self._zone(c)
        rows = [
            (
                ticket.number,
                self._product_name(c, ticket.product_id),
                self._status(c, ticket),
                intake.format_day(ticket.created_at.astimezone(zone).date(), language),
            )
            for ticket in tickets[:10]
        ]
        return cards.ticket_list_card(language, t(language, "mine.title"), rows)

    def _confirm_card(self, c: _Context, ticket: Ticket, step: str) -> dict[str, Any]:
        language = c.language
        text = t(
            language,
            f"mine.confirm_{step}",
            number=ticket.number,
            product=self._product_name(c, ticket.product_id),
        )
        return cards.offer_card(
            text,
            [
                (t(language, f"mine.yes_{step}"), f"mine.{step}", {"ticket": ticket.number}),
                (t(language, "mine.no"), "mine.keep", {"ticket": ticket.number}),
            ],
        )

    async def _mine_step(self, c: _Context, number: str, step: str) -> dict[str, Any]:
        user = c.turn.user
        ticket = await self._tickets.mine(user.id, number)
        actor = Actor(user.id, user.name)
        if step == "cancel" and ticket.requester.id != user.id:
            return cards.notice_card(t(c.language, "mine.not_yours", number=number))
        if step == "cancel" and not ticket.status.is_open:
            return self._status_card(c, ticket)  # a second click: already cancelled
        if step == "reopen" and ticket.status is not Status.RESOLVED:
            return self._status_card(c, ticket)
        note = t(c.language, f"mine.note_{step}")
        ticket = await self._tickets.act(number, Step(step, actor, note=note, reason=note))
        c.state = {}
        return cards.notice_card(t(c.language, f"mine.done_{step}", number=number))

    # -- uploads ----------------------------------------------------------------------------

    async def _uploads(self, c: _Context) -> bool:
        """Files and pictures: a CSV of visitors, or a photo for an intake or a ticket."""
        csv_files = [u for u in c.turn.uploads if u.is_csv and u.data is not None]
        others = [u for u in c.turn.uploads if not u.is_csv]
        if not csv_files and any(u.is_csv for u in c.turn.uploads) and not c.turn.text:
            c.say("upload.csv_unreadable")  # not downloaded: refused or unreachable
            return True
        if csv_files:
            visitors = []
            for upload in csv_files:
                assert upload.data is not None
                visitors.extend(extract.parse_visitors_csv(upload.data))
            if not visitors:
                c.say("upload.csv_empty")
                return True
            if c.state.get("kind") == "intake" and c.state.get("asking") == "visitors":
                c.state["values"]["visitors"] = intake.visitors_json(visitors)
                c.say("upload.csv_read", count=len(visitors))
                await self._advance(c)
                return True
            group = c.snapshot.knowledge.products.get("bezoek.groep")
            if group is None:
                c.say("upload.unexpected")
                return True
            await self._start_intake(c, group, self._values(c, group, c.turn.text))
            c.state["values"]["visitors"] = intake.visitors_json(visitors)
            c.replies.clear()
            c.say("upload.csv_read", count=len(visitors))
            await self._advance(c)
            return True
        if not others:
            return False
        files = [{"name": u.name, "url": u.url} for u in others]
        if c.state.get("kind") == "intake":
            c.state.setdefault("attachments", []).extend(files)
            c.say("upload.kept")
            if c.turn.text and c.state.get("stage") == "ask":
                return False  # the text may answer the question
            if c.state.get("stage") == "ask":
                c.say("intake.question", question=self._question(c))
            return True
        intent = follow_up(c.turn.text) if c.turn.text else None
        number = intent.number if intent else None
        if number is None:
            mine = [x for x in await self._tickets.visible_to(c.turn.user.id, True)]
            if len(mine) != 1:
                c.say("upload.which")
                return True
            number = mine[0].number
        try:
            await self._tickets.mine(c.turn.user.id, number)
        except UnknownTicket:
            c.say("mine.unknown_number", number=number)
            return True
        for upload in files:
            await self._add_note(number, c.turn.user, t(c.language, "note.photo"), upload)
        c.say("upload.added", number=number)
        return True

    # -- card verbs ---------------------------------------------------------------------------

    async def _verb_status(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        ticket = await self._tickets.mine(c.turn.user.id, str(data.get("ticket", "")))
        return CardUpdate(self._status_card(c, ticket))

    async def _verb_cancel(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        return CardUpdate(await self._mine_step(c, str(data.get("ticket", "")), "cancel"))

    async def _verb_reopen(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        return CardUpdate(await self._mine_step(c, str(data.get("ticket", "")), "reopen"))

    async def _verb_keep(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if c.state.get("kind") in ("cancel", "reopen"):
            c.state = {}
        return CardUpdate(cards.notice_card(t(c.language, "dialog.ok")))
