"""The intake: what a product's ticket needs, asked one question at a time or in one form.

``IntakeFlow`` starts an intake (from a message, a picked product, an emergency, or a question
passed on to a colleague), asks the next question or offers a form when many are missing,
checks each answer, and, when the employee asks something else midway, answers a question or
offers to switch to the new request. Once all is known, ``TicketFiling``
(``dialogs/desk_filing.py``) checks for a known problem, summarises and creates the ticket.
A mixin of ``FrontDesk``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from dialogs import cards, intake
from dialogs.desk_context import MAX_TEXT, DeskBase, _Context
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from dialogs.understand import (
    EMERGENCY_PRIORITY,
    NO_DIALOG,
    Act,
    Understanding,
    intake_values,
    understand,
)
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.model import Product
from servicedesk.tickets import Ticket


class IntakeFlow(DeskBase):
    """Asking for what a ticket needs (a mixin of ``FrontDesk``)."""

    # from TicketFiling
    _known_problem: Callable[[_Context], Awaitable[Ticket | None]]
    _duplicate_card: Callable[[_Context, Ticket], dict[str, Any]]
    _summary_card: Callable[[_Context], dict[str, Any]]
    _create: Callable[[_Context], Awaitable[Ticket | None]]
    # from FrontDesk
    _decide: Callable[[_Context, Understanding, str], Awaitable[None]]
    _act: Callable[[_Context, Understanding, str], Awaitable[None]]

    # -- asking -----------------------------------------------------------------------------

    def _date_only(self, c: _Context) -> bool:
        product = c.snapshot.knowledge.products.get(c.state.get("product", ""))
        return product is not None and product.when == "date"

    async def _start_intake(
        self,
        c: _Context,
        product: Product,
        values: dict[str, Any],
        priority: str | None = None,
        linked: str | None = None,
    ) -> None:
        """Start the intake of ``product`` with the ``values`` the message already gave."""
        if product.is_redirect:
            self._redirect(c, product)
            return
        c.state = {
            "kind": "intake",
            "product": product.id,
            "values": values,
            "stage": "ask",
            "asking": None,
            "tries": 0,
            "priority": priority,
            "token": uuid.uuid4().hex[:12],
            "attachments": [],
        }
        if linked:
            c.state["linked"] = linked
        if priority is None:
            c.say("intake.start", product=product.name.in_language(c.language))
        await self._advance(c)

    def _values(self, c: _Context, product: Product, text: str) -> dict[str, Any]:
        """What ``text`` gives for ``product``'s fields (a text picked up again later)."""
        if not text:
            return {}
        return intake_values(product, text, self._local_now(c), c.snapshot)

    def _question(self, c: _Context) -> str:
        asking = c.state.get("asking") or ""
        return intake.question(
            asking, c.state["values"], c.language, self._buildings(c), self._places(c)
        )

    async def _advance(self, c: _Context) -> None:
        """Ask the next question, or (all known) check for a known problem and summarise."""
        values = c.state["values"]
        product_id = c.state["product"]
        asking = intake.missing(
            self._fields_of(c, product_id),
            values,
            self._date_only(c),
            building_enough=c.state.get("priority") == EMERGENCY_PRIORITY,
        )
        if asking is not None:
            if asking != c.state.get("asking"):
                c.state["tries"] = 0
            c.state["asking"] = asking
            if self._offer_form(c):
                c.say("form.or_questions", question=self._question(c))
                return
            c.say("intake.question", question=self._question(c))
            return
        c.state["asking"] = None
        if c.state.get("priority") == EMERGENCY_PRIORITY:
            await self._create(c)  # no summary to confirm in an emergency
            return
        if not c.state.get("duplicate_checked"):
            c.state["duplicate_checked"] = True
            known = await self._known_problem(c)
            if known is not None:
                c.state["stage"] = "duplicate"
                c.state["duplicate"] = known.number
                c.replies.append(Reply(card=self._duplicate_card(c, known)))
                return
        c.state["stage"] = "confirm"
        c.replies.append(Reply(card=self._summary_card(c)))

    def _still_missing(self, c: _Context) -> list[str]:
        fields = self._fields_of(c, c.state["product"])
        values = c.state["values"]
        date_only = self._date_only(c)
        return [f for f in fields if intake.missing([f], values, date_only) is not None]

    def _offer_form(self, c: _Context) -> bool:
        """Many fields still to ask: one form is quicker than a question each (offered once;
        typing the answers keeps working)."""
        if c.state.get("form") is not None or c.state.get("priority") == EMERGENCY_PRIORITY:
            return False
        missing = self._still_missing(c)
        if len(missing) < intake.FORM_MIN_FIELDS:
            return False
        c.state["form"] = missing
        c.replies.append(Reply(card=self._form_card(c, missing)))
        return True

    def _form_card(
        self,
        c: _Context,
        fields: list[str],
        given: dict[str, str] | None = None,
        problems: list[str] | None = None,
    ) -> dict[str, Any]:
        language = c.language
        inputs = intake.form_inputs(
            fields, language, self._buildings(c), self._local_now(c).date(), given
        )
        return cards.form_card(
            t(language, "form.title", product=self._product_name(c, c.state["product"])),
            inputs,
            (t(language, "form.send"), "intake.form", {"token": c.state["token"]}),
            problems,
        )

    async def _verb_form(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        """The form sent: each answer checked as if typed; a wrong one shows the form again."""
        if not self._same_intake(c, data) or c.state.get("stage") != "ask":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        fields = [f for f in self._still_missing(c) if f in (c.state.get("form") or [])]
        answers = intake.form_answers(fields, data)
        problems: list[str] = []
        for name in fields:
            checked = intake.check(
                name,
                answers[name],
                c.state["values"],
                self._local_now(c),
                self._buildings(c),
                tries=0,
                places=self._places(c),
                date_only=self._date_only(c),
            )
            if checked.value is not None and not checked.need_more:
                c.state["values"][name] = checked.value
                continue
            hint = checked.hint or "intake.hint.unknown"
            label = t(c.language, f"field.{name}")
            problems.append(
                f"{label}: {t(c.language, hint, buildings=', '.join(self._buildings(c)))}"
            )
        if problems:
            given = {k: str(v) for k, v in data.items() if k.startswith("f_") and v is not None}
            values = c.state["values"]
            date_only = self._date_only(c)
            still = [f for f in fields if intake.missing([f], values, date_only) is not None]
            return CardUpdate(self._form_card(c, still, given, problems))
        await self._advance(c)
        return self._as_card(c)

    async def _answer(self, c: _Context, u: Understanding) -> None:
        """The employee's answer to the intake question, checked by the pipeline (with any
        other field it also gives: "12 people, cost centre 42210"); at the summary, a
        detail added or changed ("kamer 3.08")."""
        c.state.pop("switch", None)
        if c.state.get("stage") in ("confirm", "duplicate"):
            c.state["values"].update(u.fields)
            c.state["stage"] = "ask"
            c.state.pop("duplicate_checked", None)
            await self._advance(c)
            return
        field_name = c.state.get("asking") or ""
        for name, extra in u.fields.items():
            if name != field_name:
                c.state["values"].setdefault(name, extra)
        value = u.fields.get(field_name)
        if value is not None:
            c.state["values"][field_name] = value
        if value is None or u.need_more:
            c.state["tries"] = int(c.state.get("tries", 0)) + 1
            if u.hint and value is None:
                c.say(u.hint, buildings=", ".join(self._buildings(c)))
            c.say("intake.question", question=self._question(c))
            return
        await self._advance(c)

    async def _emergency(self, c: _Context, product_id: str, values: Mapping[str, Any]) -> None:
        knowledge = c.snapshot.knowledge
        c.replies.append(
            Reply(
                card=cards.emergency_card(
                    t(c.language, "emergency.title"),
                    knowledge.organisation.emergency.in_language(c.language),
                )
            )
        )
        product = knowledge.products[product_id]
        c.say("emergency.ticket")
        await self._start_intake(c, product, dict(values), priority=EMERGENCY_PRIORITY)

    # -- something else midway --------------------------------------------------------------

    async def _offer_switch(self, c: _Context, new: Understanding, text: str) -> None:
        """Mid-intake, a new request or a question: never stored as the answer. A question is
        answered and the intake goes on; a new request is offered as a switch."""
        if new.act is Act.ANSWER:
            pending = c.state
            await self._decide(c, new, text)
            c.state = pending
            c.say("intake.resume", question=self._question(c))
            return
        current = self._product_name(c, c.state.get("product", ""))
        if new.act is Act.CHOOSE:
            other = self._product_name(c, new.choices[0])
        else:
            other = self._product_name(c, new.product_id or "")
        c.state["switch"] = {"text": text[:MAX_TEXT]}
        token = c.state["token"]
        c.replies.append(
            Reply(
                card=cards.offer_card(
                    t(c.language, "switch.offer", current=current, other=other),
                    [
                        (
                            t(c.language, "switch.keep", current=current),
                            "intake.keep",
                            {"token": token},
                        ),
                        (
                            t(c.language, "switch.start", other=other),
                            "intake.switch",
                            {"token": token},
                        ),
                    ],
                )
            )
        )

    # -- card verbs ---------------------------------------------------------------------------

    async def _verb_pick(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        product = c.snapshot.knowledge.products.get(str(data.get("product", "")))
        if product is None:
            return CardUpdate(cards.notice_card(t(c.language, "card.unknown_product")), 400)
        text = str(c.state.get("text", "")) if c.state.get("kind") == "choose" else ""
        await self._start_intake(c, product, self._values(c, product, text))
        return self._as_card(c)

    async def _verb_intake_cancel(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if self._same_intake(c, data):
            c.state = {}
        return CardUpdate(cards.notice_card(t(c.language, "dialog.stopped")))

    async def _verb_keep_intake(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        """Finish the current intake first: its question again."""
        if not self._same_intake(c, data) or c.state.get("stage") != "ask":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        c.state.pop("switch", None)
        c.say("intake.resume", question=self._question(c))
        return self._as_card(c)

    async def _verb_switch(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        """Drop the current intake and start with what the employee typed instead."""
        switch = c.state.get("switch") if self._same_intake(c, data) else None
        if not isinstance(switch, dict):
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        text = str(switch.get("text", ""))
        c.say("intake.dropped", product=self._product_name(c, c.state.get("product", "")))
        c.state = {}
        understood = understand(text, NO_DIALOG, c.snapshot, self._local_now(c))
        await self._act(c, understood, text)
        return self._as_card(c)

    async def _verb_forward(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if c.state.get("kind") != "forward":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        question = str(c.state.get("question") or "")
        c.state = {
            "kind": "intake",
            "product": QUESTION_PRODUCT,
            "values": {"description": question} if len(question) >= 3 else {},
            "stage": "ask",
            "asking": None,
            "tries": 0,
            "priority": None,
            "token": uuid.uuid4().hex[:12],
            "attachments": [],
            "duplicate_checked": True,
        }
        if "description" in c.state["values"]:
            ticket = await self._create(c)
            if ticket is None:
                return self._as_card(c)
            c.replies = []
            return CardUpdate(
                cards.notice_card(t(c.language, "question.forwarded", number=ticket.number))
            )
        await self._advance(c)
        return self._as_card(c)
