"""The end of an intake: from the answers to a ticket.

``TicketFiling`` looks for a known problem (an open ticket for the same product at the same
place) and offers to follow it instead, shows the summary to confirm (with the promise: when,
what it costs), creates the ticket with its photos, links a complaint to the ticket it is
about, and confirms with the number. A mixin of ``FrontDesk``; ``IntakeFlow``
(``dialogs/desk_intake.py``) hands over to it.
"""

from __future__ import annotations

import logging
from typing import Any

from dialogs import cards, filing, intake
from dialogs.desk_context import DeskBase, _Context
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from servicedesk.errors import InputError
from servicedesk.service import NewTicket, UnknownTicket
from servicedesk.tickets import Channel, Ticket

log = logging.getLogger("dialogs.frontdesk")  # the front desk's log, whichever part writes


class TicketFiling(DeskBase):
    """Checking, summarising and creating the ticket (a mixin of ``FrontDesk``)."""

    # -- known problem, summary, ticket -----------------------------------------------------

    async def _known_problem(self, c: _Context) -> Ticket | None:
        """An open ticket for the same product at the same place, if there is one."""
        return await filing.known_problem(
            self._tickets,
            c.state["product"],
            c.state["values"].get("location"),
            self._buildings(c),
            self._places(c),
        )

    def _summary_card(self, c: _Context) -> dict[str, Any]:
        found = filing.summary(
            c.snapshot.knowledge,
            self._tickets,
            c.state["product"],
            c.state["values"],
            c.state.get("priority"),
            c.language,
        )
        return cards.summary_card(
            c.language,
            title=found.title,
            facts=found.facts,
            promise=found.promise,
            confirm={"token": c.state["token"]},
        )

    def _duplicate_card(self, c: _Context, ticket: Ticket) -> dict[str, Any]:
        language = c.language
        since = intake.format_moment(ticket.created_at.astimezone(self._zone(c)), language)
        text = t(
            language,
            "duplicate.found",
            number=ticket.number,
            product=self._product_name(c, ticket.product_id),
            location=ticket.fields.get("location", ""),
            since=since,
            status=t(language, f"status.{ticket.status.value}"),
        )
        token = c.state["token"]
        return cards.offer_card(
            text,
            [
                (t(language, "duplicate.follow"), "duplicate.follow", {"token": token}),
                (t(language, "duplicate.file"), "duplicate.file", {"token": token}),
            ],
        )

    async def _create(self, c: _Context) -> Ticket | None:
        product_id = c.state["product"]
        requester = c.turn.user
        try:
            ticket = await self._tickets.create(
                NewTicket(
                    product_id=product_id,
                    requester=requester,
                    channel=Channel.CHAT,
                    fields=intake.ticket_fields(c.state["values"], c.language, self._zone(c)),
                    priority=c.state.get("priority"),
                    origin=f"chat:{c.turn.conversation_id}:{c.state.get('token')}"
                    if c.state.get("token")
                    else None,
                )
            )
        except InputError:
            log.warning("intake could not create a ticket", extra={"product": product_id})
            c.state = {}
            c.say("intake.failed")
            return None
        for upload in c.state.get("attachments", []):
            await self._add_note(ticket.number, requester, t(c.language, "note.photo"), upload)
        linked = c.state.get("linked")
        if linked:
            await self._link_complaint(c, ticket, str(linked))
        c.state = {"kind": "done", "token": c.state.get("token"), "ticket": ticket.number}
        c.replies.append(Reply(card=self._created_card(c, ticket)))
        return ticket

    async def _link_complaint(self, c: _Context, complaint: Ticket, number: str) -> None:
        """A complaint about one of the employee's tickets: each names the other."""
        user = c.turn.user
        try:
            await self._tickets.mine(user.id, number)
        except UnknownTicket:
            return  # not theirs or not there: the complaint stands on its own
        await self._add_note(
            complaint.number, user, t(c.language, "note.complaint_about", number=number)
        )
        await self._add_note(
            number, user, t(c.language, "note.complaint_filed", number=complaint.number)
        )

    def _created_card(self, c: _Context, ticket: Ticket) -> dict[str, Any]:
        language = c.language
        zone = self._zone(c)
        text = t(
            language,
            "intake.created",
            number=ticket.number,
            product=self._product_name(c, ticket.product_id),
            due=intake.format_moment(ticket.deadlines.response_due.astimezone(zone), language),
            done=intake.format_moment(ticket.deadlines.resolve_due.astimezone(zone), language),
        )
        return cards.notice_card(text)

    # -- card verbs ---------------------------------------------------------------------------

    async def _verb_confirm(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if c.state.get("kind") == "done" and c.state.get("token") == data.get("token"):
            ticket = await self._tickets.get(c.state["ticket"])  # a double click: same answer
            return CardUpdate(self._created_card(c, ticket))
        if not self._same_intake(c, data) or c.state.get("stage") != "confirm":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        await self._create(c)
        return self._as_card(c)

    async def _verb_follow(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if not self._same_intake(c, data) or c.state.get("stage") != "duplicate":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        number = c.state["duplicate"]
        await self._tickets.follow(number, c.turn.user)
        c.state = {}
        return CardUpdate(cards.notice_card(t(c.language, "duplicate.following", number=number)))

    async def _verb_file_anyway(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if not self._same_intake(c, data) or c.state.get("stage") != "duplicate":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        c.state["stage"] = "confirm"
        return CardUpdate(self._summary_card(c))
