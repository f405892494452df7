"""The front desk: one employee message (or card click) in, the replies out.

Order of business for a message, as a good front-office colleague would do it:

1. a command (help, stop, opnieuw, mijn meldingen) works at any point;
2. an emergency (fire, smoke, gas, an accident, someone stuck in a lift, violence)
   gets the emergency instruction first, then a P1 ticket;
3. an unfinished dialog (an intake question, a "yes?" awaiting an answer) takes
   the message as its answer;
4. a follow-up on the employee's own tickets (status, my tickets, cancel, reopen,
   more information);
5. greetings and thanks; then the matcher, whose decision drives the reply: an FAQ
   answer, a product's intake, a short choice, a pointer elsewhere, or a plain no
   with the offer to pass the question to a front-office colleague.

The dialog state is stored per conversation (``DialogStore``), so a restart or
another replica continues where the last message left off; a dialog left alone
longer than ``dialog_timeout`` expires politely. No Bot Framework types here:
the edge (``bot/``) turns activities into a ``Turn`` and replies into activities.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dialogs import cards, extract, intake
from dialogs.intents import FollowUp, FollowUpIntent, follow_up
from dialogs.language import choose as choose_language
from dialogs.language import detect, from_locale
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from dialogs.understand import (
    EMERGENCY_PRIORITY,
    NO_DIALOG,
    Act,
    DialogView,
    Understanding,
    intake_values,
    understand,
)
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.model import DURATION, Product
from knowledge.reload import Snapshot
from knowledge.text import fold
from servicedesk.clock import Clock, SystemClock
from servicedesk.errors import InputError
from servicedesk.persistence.dialog_store import StoredDialog
from servicedesk.persistence.ticket_store import ConcurrentUpdate
from servicedesk.service import NewTicket, Step, TicketService, UnknownTicket
from servicedesk.tickets import Actor, Channel, Requester, Status, Ticket

log = logging.getLogger(__name__)

MAX_TEXT = 2000


class KnowledgeSource(Protocol):
    def current(self) -> Snapshot: ...


class DialogStore(Protocol):
    async def load(self, conversation_id: str) -> StoredDialog | None: ...

    async def save(
        self, conversation_id: str, user_id: str, state: dict[str, Any], version: int, now: datetime
    ) -> int: ...

    async def clear(self, conversation_id: str) -> None: ...


class Insight(Protocol):
    """Where the front office learns from its conversations (reports, knowledge upkeep).

    Every matched question is recorded with its decision and score; the text only
    where admins need it to improve the knowledge (nothing fitted, a choice was
    needed, an answer did not help)."""

    async def record_question(
        self,
        *,
        at: datetime,
        language: str,
        decision: str,
        product_id: str | None,
        faq_id: str | None,
        score: float,
        text: str | None,
    ) -> None: ...

    async def record_vote(
        self, *, at: datetime, product_id: str, faq_id: str, helpful: bool, text: str | None
    ) -> None: ...


class NoInsight:
    """Records nothing (tests, the terminal chat)."""

    async def record_question(self, **_: Any) -> None:
        return None

    async def record_vote(self, **_: Any) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Upload:
    """A file or picture the employee sent (Teams gives a download URL)."""

    name: str
    content_type: str
    url: str
    data: bytes | None = None  # the content, when the edge fetched it (a CSV of visitors)

    @property
    def is_csv(self) -> bool:
        return self.name.lower().endswith(".csv") or "csv" in self.content_type


@dataclass(frozen=True, slots=True)
class Turn:
    conversation_id: str
    user: Requester  # the desk sets its ``language``: the text's, the dialog's, or Teams'
    text: str = ""
    uploads: tuple[Upload, ...] = ()
    locale: str | None = None  # the employee's Teams locale


@dataclass
class _Context:
    turn: Turn
    snapshot: Snapshot
    state: dict[str, Any]
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    loaded: dict[str, Any] = field(default_factory=dict)  # the state as read (to skip no-ops)

    @property
    def language(self) -> str:
        return self.turn.user.language

    def say(self, key: str, **values: object) -> None:
        """Add a text; consecutive texts go out as one message (fewer toasts, fewer calls)."""
        text = t(self.language, key, **values)
        if self.replies and self.replies[-1].card is None and self.replies[-1].text:
            self.replies[-1] = Reply(text=f"{self.replies[-1].text}\n\n{text}")
        else:
            self.replies.append(Reply(text=text))


def describe_duration(language: str, code: str) -> str:
    """'4bh' -> '4 kantooruren' / '4 business hours'."""
    parsed = DURATION.match(code)
    if parsed is None:
        return code
    amount, unit = int(parsed.group(1)), parsed.group(2)
    if amount == 1:
        return t(language, f"duration.{unit}.one")
    return t(language, f"duration.{unit}", n=amount)


class FrontDesk:
    def __init__(
        self,
        knowledge: KnowledgeSource,
        tickets: TicketService,
        dialogs: DialogStore,
        *,
        clock: Clock | None = None,
        dialog_timeout: timedelta = timedelta(minutes=60),
        default_language: str = "nl",
        insight: Insight | None = None,
    ) -> None:
        self._knowledge = knowledge
        self._tickets = tickets
        self._dialogs = dialogs
        self._clock = clock or SystemClock()
        self.dialog_timeout = dialog_timeout
        self.default_language = default_language
        self._insight: Insight = insight or NoInsight()
        self._verbs: dict[str, Callable[[_Context, dict[str, Any]], Awaitable[CardUpdate]]] = {
            "product.pick": self._verb_pick,
            "product.other": self._verb_other,
            "intake.confirm": self._verb_confirm,
            "intake.form": self._verb_form,
            "intake.cancel": self._verb_intake_cancel,
            "intake.keep": self._verb_keep_intake,
            "intake.switch": self._verb_switch,
            "duplicate.follow": self._verb_follow,
            "duplicate.file": self._verb_file_anyway,
            "faq.vote": self._verb_vote,
            "question.forward": self._verb_forward,
            "mine.status": self._verb_status,
            "mine.cancel": self._verb_cancel,
            "mine.reopen": self._verb_reopen,
            "mine.keep": self._verb_keep,
        }

    @property
    def verbs(self) -> frozenset[str]:
        return frozenset(self._verbs)

    def language_for(self, text: str, locale: str | None) -> str:
        return choose_language(text, locale, self.default_language)

    def welcome(self, language: str) -> list[Reply]:
        organisation = self._knowledge.current().knowledge.organisation.name
        return [Reply(text=t(language, "welcome", organisation=organisation))]

    async def dialog_state(self, conversation_id: str) -> dict[str, Any]:
        """The stored dialog of a conversation ({} when none), for tools that watch it."""
        stored = await self._dialogs.load(conversation_id)
        return dict(stored.state) if stored else {}

    # -- entry points ---------------------------------------------------------------------

    async def handle(self, turn: Turn) -> list[Reply]:
        """Answer one message."""
        context, version = await self._open(turn)
        await self._message(context)
        await self._close(context, version)
        return context.replies

    async def card_action(self, turn: Turn, verb: str, data: dict[str, Any]) -> CardUpdate:
        """Answer a click on one of our cards with the card that replaces it."""
        handler = self._verbs.get(verb)
        if handler is None:
            language = from_locale(turn.locale) or self.default_language
            return CardUpdate(cards.notice_card(t(language, "card.unknown_action")), 400)
        context, version = await self._open(turn, announce_expiry=False)
        try:
            update = await handler(context, data)
        except UnknownTicket:
            update = CardUpdate(cards.notice_card(t(context.language, "mine.unknown")), 404)
        await self._close(context, version)
        return update

    async def _open(self, turn: Turn, announce_expiry: bool = True) -> tuple[_Context, int]:
        now = self._clock.now()
        stored = await self._dialogs.load(turn.conversation_id)
        state = dict(stored.state) if stored else {}
        # the language the employee writes in; for a short answer ("12", "ja") or a
        # click, the language the dialog was in; else Teams' locale
        language = (
            detect(turn.text)
            or state.get("language")
            or from_locale(turn.locale)
            or self.default_language
        )
        turn = replace(turn, user=replace(turn.user, language=language))
        context = _Context(turn, self._knowledge.current(), {}, now)
        if stored is None:
            return context, 0
        context.state = state
        context.loaded = copy.deepcopy(state)
        if stored.updated_at < now - self.dialog_timeout and context.state.get("kind") != "done":
            if announce_expiry and context.state.get("kind") == "intake":
                name = self._product_name(context, context.state.get("product", ""))
                context.say("dialog.expired", product=name)
            context.state = {}
        return context, stored.version

    async def _close(self, context: _Context, version: int) -> None:
        user = context.turn.user.id
        try:
            if context.state:
                context.state["language"] = context.language
                if context.state == context.loaded:
                    return  # nothing moved: no write
                await self._dialogs.save(
                    context.turn.conversation_id, user, context.state, version, context.now
                )
            elif version:
                await self._dialogs.clear(context.turn.conversation_id)
        except ConcurrentUpdate:
            # two messages at once in one chat: the other one moved the dialog on
            context.replies = [Reply(text=t(context.language, "dialog.busy"))]

    # -- a message ------------------------------------------------------------------------

    async def _message(self, c: _Context) -> None:
        text = (c.turn.text or "").strip()
        if len(text) > MAX_TEXT:
            c.say("too_long", limit=MAX_TEXT)
            text = text[:MAX_TEXT]
        c.turn = replace(c.turn, text=text)
        if not text and not c.turn.uploads:
            c.say("empty")
            return
        understood = understand(text, DialogView.of(c.state), c.snapshot, self._local_now(c))
        urgent = understood.act in (Act.COMMAND, Act.EMERGENCY)
        if c.turn.uploads and not urgent and await self._uploads(c):
            return
        await self._act(c, understood, text)

    async def _act(self, c: _Context, u: Understanding, text: str) -> None:
        """Carry out what the pipeline decided."""
        act = u.act
        dialog_steps = {
            Act.FIELD: self._answer,
            Act.REPLY: self._pending,
        }
        if act is Act.COMMAND:
            await self._command(c, u.command or "")
            return
        if act is Act.EMERGENCY:
            assert u.product_id is not None
            await self._emergency(c, u.product_id, u.fields)
            await self._record(c, u, text)
            return
        if act in dialog_steps:
            await dialog_steps[act](c, u)
            return
        if act is Act.SWITCH:
            assert u.new is not None
            await self._offer_switch(c, u.new, text)
            return
        if DialogView.of(c.state).awaits_reply and not self._moved_on(c, text):
            return
        await self._record(c, u, text)
        if act is Act.FOLLOW_UP:
            assert u.follow_up is not None
            await self._follow_up(c, u.follow_up, u.product_id)
            if DialogView.of(c.state).asks:
                c.say("intake.resume", question=self._question(c))
        elif act is Act.GREETING:
            c.say("greeting")
        elif act is Act.THANKS:
            c.say("thanks")
        else:
            await self._decide(c, u, text)

    async def _command(self, c: _Context, title: str) -> None:
        in_intake = c.state.get("kind") == "intake"
        if title == "help":
            emergency_text = c.snapshot.knowledge.organisation.emergency.in_language(c.language)
            c.say("help", emergency=emergency_text)
            if in_intake and c.state.get("stage") == "ask":
                c.say("intake.resume", question=self._question(c))
        elif title == "stop":
            if c.state.get("kind") in ("intake", "cancel", "reopen", "forward"):
                c.state = {}
                c.say("dialog.stopped")
            else:
                c.say("dialog.nothing_to_stop")
        elif title == "opnieuw":
            if in_intake:
                product = c.snapshot.knowledge.products.get(c.state["product"])
                priority = c.state.get("priority")
                c.state = {}
                if product is not None:
                    c.say("dialog.restarted")
                    await self._start_intake(c, product, {}, priority=priority)
            else:
                c.state = {}
                c.say("greeting")
        elif title == "mijn meldingen":
            await self._follow_up(c, FollowUpIntent(FollowUp.LIST, None))

    # -- decisions --------------------------------------------------------------------------

    async def _record(self, c: _Context, u: Understanding, text: str) -> None:
        """Every message read afresh is recorded with what the bot did with it (insight;
        the text only when nothing fitted, for the lead to learn from)."""
        match = u.match
        top = match.faq[0] if u.act is Act.ANSWER and match is not None else None
        best = match.candidates[0] if match is not None and match.candidates else None
        score = (top or best).score if (top or best) else 0.0  # type: ignore[union-attr]
        product_id = u.product_id or (u.choices[0] if u.choices else None)
        await self._insight.record_question(
            at=c.now,
            language=c.language,
            decision=u.act.value,
            product_id=product_id,
            faq_id=u.faq_id,
            score=float(score),
            text=text[:MAX_TEXT] if u.act in (Act.NONE, Act.CHOOSE) else None,
        )

    async def _decide(self, c: _Context, u: Understanding, text: str) -> None:
        knowledge = c.snapshot.knowledge
        language = c.language
        if u.act is Act.ANSWER:
            assert u.product_id is not None
            product = knowledge.products[u.product_id]
            entry = next(e for e in product.faq if e.id == u.faq_id)
            orderable = not product.is_redirect
            c.replies.append(
                Reply(
                    card=cards.answer_card(
                        language,
                        entry.answer.in_language(language),
                        product_id=product.id,
                        faq_id=entry.id,
                        question=text[:500],
                        offer=t(
                            language, "answer.offer", product=product.name.in_language(language)
                        )
                        if orderable
                        else None,
                    )
                )
            )
            c.state = {}
            return
        if u.act is Act.INTAKE:
            assert u.product_id is not None
            product = knowledge.products[u.product_id]
            await self._start_intake(c, product, dict(u.fields), linked=u.linked)
            return
        if u.act is Act.CHOOSE:
            choices = [
                (product_id, knowledge.products[product_id].name.in_language(language))
                for product_id in u.choices
            ]
            c.state = {"kind": "choose", "text": text[:MAX_TEXT]}
            c.replies.append(Reply(card=cards.choose_card(language, choices)))
            return
        if u.act is Act.REDIRECT:
            assert u.product_id is not None
            self._redirect(c, knowledge.products[u.product_id])
            return
        contact = knowledge.organisation.frontoffice_contact.in_language(language)
        c.state = {"kind": "forward", "question": text[:MAX_TEXT]}
        c.replies.append(
            Reply(
                card=cards.offer_card(
                    t(language, "none", contact=contact),
                    [(t(language, "none.forward"), "question.forward", {})],
                )
            )
        )

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

    @staticmethod
    def _redirect(c: _Context, product: Product) -> None:
        assert product.redirect is not None
        pointer = product.redirect.in_language(c.language)
        c.say("redirect", desk=pointer.split(":")[0], pointer=pointer)
        c.state = {}

    # -- intake -----------------------------------------------------------------------------

    def _buildings(self, c: _Context) -> list[str]:
        return list(c.snapshot.knowledge.organisation.buildings)

    def _places(self, c: _Context) -> extract.Places:
        return c.snapshot.knowledge.organisation.places

    def _zone(self, c: _Context) -> ZoneInfo:
        return ZoneInfo(c.snapshot.knowledge.organisation.timezone)

    def _local_now(self, c: _Context) -> datetime:
        return c.now.astimezone(self._zone(c))

    def _product_name(self, c: _Context, product_id: str) -> str:
        if product_id == QUESTION_PRODUCT:
            return t(c.language, "question.product")
        product = c.snapshot.knowledge.products.get(product_id)
        return product.name.in_language(c.language) if product else product_id

    def _date_only(self, c: _Context) -> bool:
        product = c.snapshot.knowledge.products.get(c.state.get("product", ""))
        return product is not None and product.when == "date"

    def _fields_of(self, c: _Context, product_id: str) -> list[str]:
        if product_id == QUESTION_PRODUCT:
            return ["description"]
        product = c.snapshot.knowledge.products[product_id]
        return [kind.value for kind in product.fields]

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

    async def _add_note(
        self, number: str, requester: Requester, note: str, upload: dict[str, Any] | None = None
    ) -> Ticket:
        if upload:
            note = f"{note} {upload.get('name', '')}: {upload.get('url', '')}".strip()
        return await self._tickets.act(
            number, Step("note", Actor(requester.id, requester.name), note=note[:4000])
        )

    # -- answers to a pending question ------------------------------------------------------

    async def _pending(self, c: _Context, u: Understanding) -> None:
        """The yes/no (or follow/file) a pending question waited for."""
        reply = u.reply
        kind = c.state.get("kind")
        if kind == "intake" and c.state.get("stage") == "duplicate":
            verb = self._verb_follow if reply == "follow" else self._verb_file_anyway
            c.replies.append(Reply(card=(await verb(c, {})).card))
            return
        if kind == "intake":  # the summary
            if reply is True:
                await self._create(c)
            else:
                c.state = {}
                c.say("dialog.stopped")
            return
        if kind == "forward":
            if reply is True:
                c.replies.append(Reply(card=(await self._verb_forward(c, {})).card))
            else:
                c.state = {}
                c.say("dialog.ok")
            return
        number = c.state.get("ticket", "")
        c.state = {}
        if reply is not True:
            c.say("dialog.ok")
            return
        try:
            card = await self._mine_step(c, number, "cancel" if kind == "cancel" else "reopen")
        except UnknownTicket:
            c.say("mine.unknown")
            return
        c.replies.append(Reply(card=card))

    def _moved_on(self, c: _Context, text: str) -> bool:
        """Not the awaited answer. At a summary or a known problem a few words get the hint
        again (False); a real message is read afresh, and the employee hears the pending
        request was dropped (True)."""
        if c.state.get("kind") == "intake":
            if len(fold(text).split()) < 3:
                stage = c.state.get("stage")
                c.say("duplicate.hint" if stage == "duplicate" else "summary.hint")
                return False
            c.say("intake.dropped", product=self._product_name(c, c.state.get("product", "")))
        c.state = {}
        return True

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

    # -- emergencies and uploads ----------------------------------------------------------------

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

    async def _uploads(self, c: _Context) -> bool:
        """Files and pictures: a CSV of visitors, or a photo for an intake or a ticket."""
        csv_files = [u for u in c.turn.uploads if u.is_csv and u.data is not None]
        others = [u for u in c.turn.uploads if not u.is_csv]
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

    async def _verb_pick(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        product = c.snapshot.knowledge.products.get(str(data.get("product", "")))
        if product is None:
            return CardUpdate(cards.notice_card(t(c.language, "card.unknown_product")), 400)
        text = str(c.state.get("text", "")) if c.state.get("kind") == "choose" else ""
        await self._start_intake(c, product, self._values(c, product, text))
        return self._as_card(c)

    async def _verb_other(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        c.state = {}
        return CardUpdate(cards.notice_card(t(c.language, "choose.other_reply")))

    def _as_card(self, c: _Context) -> CardUpdate:
        """The replies of a step as the one card that replaces the clicked one."""
        texts = [r.text for r in c.replies if r.text]
        card_replies = [r.card for r in c.replies if r.card]
        c.replies = []
        if card_replies:
            card = card_replies[-1]
            if texts:
                card = cards.with_preamble(card, texts)
            return CardUpdate(card)
        return CardUpdate(cards.notice_card("\n\n".join(texts)))

    def _same_intake(self, c: _Context, data: dict[str, Any]) -> bool:
        return c.state.get("kind") == "intake" and data.get("token") in (None, c.state.get("token"))

    async def _verb_confirm(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        if c.state.get("kind") == "done" and c.state.get("token") == data.get("token"):
            ticket = await self._tickets.get(c.state["ticket"])  # a double click: same answer
            return CardUpdate(self._created_card(c, ticket))
        if not self._same_intake(c, data) or c.state.get("stage") != "confirm":
            return CardUpdate(cards.notice_card(t(c.language, "intake.gone")))
        await self._create(c)
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

    async def _verb_vote(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        product = c.snapshot.knowledge.products.get(str(data.get("product", "")))
        entry = next((e for e in product.faq if e.id == data.get("faq")), None) if product else None
        if product is None or entry is None:
            return CardUpdate(cards.notice_card(t(c.language, "card.unknown_product")), 400)
        helpful = data.get("helpful") is True
        log.info("faq vote", extra={"product": product.id, "faq": entry.id, "helpful": helpful})
        question = str(data.get("question", ""))[:MAX_TEXT] or None
        await self._insight.record_vote(
            at=c.now,
            product_id=product.id,
            faq_id=entry.id,
            helpful=helpful,
            text=None if helpful else question,
        )
        answer = entry.answer.in_language(c.language)
        if helpful:
            return CardUpdate(cards.answered_card(answer, t(c.language, "faq.thanks")))
        contact = c.snapshot.knowledge.organisation.frontoffice_contact.in_language(c.language)
        c.state = {"kind": "forward", "question": str(data.get("question", ""))[:MAX_TEXT]}
        return CardUpdate(
            cards.offer_card(
                t(c.language, "faq.sorry", contact=contact),
                [(t(c.language, "none.forward"), "question.forward", {})],
                preamble=answer,
            )
        )

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
