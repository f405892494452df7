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

from dialogs import cards, extract, intake
from dialogs.desk_context import DeskBase, _Context, describe_duration
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
        location = c.state["values"].get("location")
        if not location or location.get("text") or not location.get("building"):
            return None
        here = intake.location_from(location)
        for ticket in await self._tickets.open_for_product(c.state["product"]):
            where = ticket.fields.get("location")
            if not isinstance(where, str):
                continue
            there = extract.parse_location(where, self._buildings(c), self._places(c))
            if there is not None and here.same_place(there):
                return ticket
        return None

    def _summary_card(self, c: _Context) -> dict[str, Any]:
        language = c.language
        product_id = c.state["product"]
        knowledge = c.snapshot.knowledge
        product = knowledge.products.get(product_id)
        priority = c.state.get("priority") or (product.priority if product else None) or "P3"
        values = c.state["values"]
        facts = [
            (t(language, f"field.{name}"), intake.describe(name, values[name], language))
            for name in self._fields_of(c, product_id)
            if name in values
        ]
        deadlines = self._tickets.preview_deadlines(priority)
        sla = knowledge.sla_classes[priority]
        zone = self._zone(c)
        promise = [
            (
                t(language, "product.response"),
                t(
                    language,
                    "summary.due",
                    duration=describe_duration(language, sla.response),
                    moment=intake.format_moment(deadlines.response_due.astimezone(zone), language),
                ),
            ),
            (
                t(language, "product.resolution"),
                t(
                    language,
                    "summary.due",
                    duration=describe_duration(language, sla.resolution),
                    moment=intake.format_moment(deadlines.resolve_due.astimezone(zone), language),
                ),
            ),
        ]
        charge = (
            product.charge.in_language(language)
            if product and product.charge
            else t(language, "product.charge_none")
        )
        if product and product.charge and values.get("cost_centre"):
            charge = t(
                language, "summary.charge_to", charge=charge, cost_centre=values["cost_centre"]
            )
        promise.append((t(language, "product.charge"), charge))
        if product and product.charter:
            promise.append((t(language, "product.charter"), product.charter.in_language(language)))
        token = c.state["token"]
        return cards.summary_card(
            language,
            title=t(language, "summary.title", product=self._product_name(c, product_id)),
            facts=facts,
            promise=promise,
            confirm={"token": token},
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
