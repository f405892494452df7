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

This module holds ``FrontDesk`` itself: the entry points, the dialog state (open, close),
the dispatch of a message, commands, the decisions and the answers to a pending question.
Its parts are mixins in their own modules: ``IntakeFlow`` (``desk_intake.py``: asking what a
ticket needs), ``TicketFiling`` (``desk_filing.py``: known problem, summary, the ticket) and
``TicketFollowUps`` (``desk_tickets.py``: one's own tickets, uploads). The ``Turn``, the
ports and the turn's context live in ``desk_context.py``; all are importable from here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from dialogs import cards
from dialogs.desk_context import (
    MAX_TEXT,
    DialogStore,
    Insight,
    KnowledgeSource,
    NoInsight,
    Turn,
    Upload,
    _Context,
    describe_duration,
)
from dialogs.desk_filing import TicketFiling
from dialogs.desk_intake import IntakeFlow
from dialogs.desk_tickets import TicketFollowUps
from dialogs.intents import FollowUp, FollowUpIntent
from dialogs.language import choose as choose_language
from dialogs.language import detect, from_locale
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from dialogs.understand import Act, DialogView, Understanding, understand
from knowledge.text import fold
from servicedesk.clock import Clock, SystemClock
from servicedesk.persistence.ticket_store import ConcurrentUpdate
from servicedesk.service import TicketService, UnknownTicket

__all__ = [
    "MAX_TEXT",
    "DialogStore",
    "FrontDesk",
    "Insight",
    "KnowledgeSource",
    "NoInsight",
    "Turn",
    "Upload",
    "describe_duration",
]

log = logging.getLogger(__name__)


class FrontDesk(TicketFiling, IntakeFlow, TicketFollowUps):
    """The front desk of the personal chat. Its parts declare the steps they take from one
    another; a part that defines a step comes before those that only declare it (mypy checks
    that the two agree in that order)."""

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
        context.loaded = _frozen(state)
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
                if _frozen(context.state) == context.loaded:
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

    # -- answers to a pending question ------------------------------------------------------

    async def _pending(self, c: _Context, u: Understanding) -> None:
        """The yes/no (or follow/file) a pending question waited for."""
        reply = u.reply
        kind = c.state.get("kind")
        if reply in ("switch", "keep"):  # the switch offer, answered in words
            verb = self._verb_switch if reply == "switch" else self._verb_keep_intake
            update = await verb(c, {})
            c.replies.append(Reply(card=update.card))
            return
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

    # -- card verbs ---------------------------------------------------------------------------

    async def _verb_other(self, c: _Context, data: dict[str, Any]) -> CardUpdate:
        c.state = {}
        return CardUpdate(cards.notice_card(t(c.language, "choose.other_reply")))

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


def _frozen(state: dict[str, Any]) -> str:
    """The dialog state as canonical JSON: what it was on load, to skip writing a state
    that did not move (cheaper than a deep copy; the state is stored as JSON anyway)."""
    return json.dumps(state, sort_keys=True, ensure_ascii=False, default=str)
