"""The one decision pipeline: a message plus the dialog it lands in, to what the bot does.

Everything that reads an employee's message goes through :func:`understand`: the
front desk (Teams and ``frontoffice chat``) acts on its result, and ``frontoffice
eval`` scores it, so the figures measure what the bot really does. The order is
that of a good front-office colleague:

1. a command (help, stop, opnieuw, mijn meldingen) works at any point;
2. an emergency (fire, an injury, someone unwell, aggression, someone stuck in a
   lift) comes before anything else;
3. inside a dialog: a yes/no awaited, or the answer to the intake question. An
   answer is checked against what was asked; a message that is plainly a new
   request or a question is recognised as such (``SWITCH``), never stored as a
   field;
4. a follow-up on one's own tickets (status, my tickets, cancel, reopen, add) —
   unless it is a complaint about how a ticket is handled, which is a complaint;
5. greetings and thanks;
6. the matcher's decision, refined: a request in question form ("kan ik de
   raadzaal reserveren voor donderdag ...?") or a question full of intake details
   starts the intake with those details; a pure information question ("hoe laat
   ...", "wat kost ...") gets the FAQ answer.

Pure and synchronous: no I/O, no SDK types. The dialog is seen through
:class:`DialogView`, the few facts of the stored state that matter here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dialogs import intake
from dialogs.commands import command_for
from dialogs.intents import (
    FollowUp,
    FollowUpIntent,
    emergency,
    follow_up,
    ticket_numbers,
    yes_or_no,
)
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.loader import Knowledge
from knowledge.matcher import Decision, Match
from knowledge.model import Product
from knowledge.reload import Snapshot
from knowledge.text import fold
from servicedesk.tickets import Kwis

EMERGENCY_PRIORITY = "P1"
COMPLAINT_PRODUCT = "klacht"
# A new request or question typed at an intake question must be this sure (matcher score).
SWITCH_MIN_SCORE = 20.0
# A short message ("thanks", "hoi daar") is small talk only when it is this short.
SMALL_TALK_MAX_WORDS = 6

_GREETINGS = frozenset(
    [
        "hoi",
        "hallo",
        "hey",
        "hi",
        "hello",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "morning",
        "middag",
        "dag",
        "yo",
    ]
)
_THANKS = frozenset(
    ["bedankt", "dank", "dankjewel", "dankje", "thanks", "thank", "thx", "top", "super", "merci"]
)
_FOLLOW_WORDS = frozenset(["volgen", "volg", "follow", "ja", "yes"])
_FILE_WORDS = frozenset(["toch", "nieuw", "new", "anyway", "nee", "no"])

# A request in the form of a question: "kan ik ... reserveren", "wil je ... bestellen",
# "could I order", "can you send someone". Matched on folded text.
_REQUEST_FORM = re.compile(
    r"\b(?:"
    r"(?:kan|kun|mag|zou|wil|wilt|kunnen|mogen|willen|zouden)\s+(?:ik|je|jij|u|jullie|we|wij)\b"
    r".{0,120}?\b(?:reserver\w*|bestell?\w*|besteld|aanvragen|aanvraag|regelen|geregeld|boeken"
    r"|sturen|langskomen|langs\s+komen|komen|maken|repareren|ophangen|ophalen|vervangen|leveren"
    r"|bezorgen|aanmelden|laten\s+\w+|verzorgen|plaatsen|afvoeren|drukken|printen|verhuizen"
    r"|vernietigen|schoonmaken|verzenden|versturen|lenen|krijgen|hebben|bijvullen|aanvullen)"
    r"|(?:could|can|may|would)\s+(?:i|we|you|someone|somebody)\b.{0,120}?\b(?:order|book|reserve"
    r"|request|arrange|send|come|fix|repair|register|deliver|hang|pick\s+up|collect|print|replace"
    r"|clean|get|have|borrow|organi[sz]e|set\s+up|bring|move)"
    r"|(?:i(?:'d| would) like|i want|i need|we need|we(?:'d| would) like) to\s+(?:order|book"
    r"|reserve|register|request|arrange)"
    r")\b"
)
# A pure information question: the answer is information, not a service.
_INFO_QUESTION = re.compile(
    r"^(?:\W*)(?:hoe\s+laat|hoe\s+lang|hoeveel|wat\s+kost|wat\s+zijn|wat\s+is|waar\s+(?:is|zijn"
    r"|kan|vind|staat|staan|hangt|ligt)|wanneer|welke|mag\s+ik|moet\s+ik|hoe\s+(?:kan|moet|doe"
    r"|werkt|vraag|meld|bestel|reserveer|regel)|how\s+(?:much|long|late|early|do|does|can|should"
    r"|many)|what\s+(?:time|is|are|does|do)|where\s+(?:is|are|can|do)|when\s+(?:is|are|does|do|can)"
    r"|which|is\s+(?:it|there)|am\s+i\s+allowed|do\s+i\s+need|are\s+there)\b"
)
# Words that show a message complains about how an earlier request is handled.
_COMPLAINT = re.compile(
    r"\b(?:klacht|klagen|ontevreden|teleurgesteld|boos|slecht\s+geholpen|niemand\s+(?:heeft|is)"
    r"|geen\s+(?:reactie|antwoord)|nooit\s+(?:iets|wat)|niks\s+(?:meer\s+)?gehoord|niets\s+(?:meer\s+)?"
    r"gehoord|al\s+(?:\w+\s+)?(?:weken|maanden|dagen)|staat\s+al|duurt\s+(?:te|veel\s+te|erg)\s+lang"
    r"|te\s+lang|complain\w*|complaint|unhappy|dissatisfied|disappointed|no\s+(?:one|reply|response"
    r"|answer)|nobody|for\s+weeks|for\s+months|weeks\s+ago|taking\s+(?:too|so)\s+long)\b"
)


class Act(StrEnum):
    """What the bot does with a message."""

    COMMAND = "command"
    EMERGENCY = "emergency"
    REPLY = "reply"  # the yes/no (or follow/file) a pending question waits for
    FIELD = "field"  # the answer to the intake question
    SWITCH = "switch"  # mid-intake: a new request or a question (see ``new``)
    FOLLOW_UP = "follow_up"
    GREETING = "greeting"
    THANKS = "thanks"
    ANSWER = "answer"
    INTAKE = "intake"
    CHOOSE = "choose"
    REDIRECT = "redirect"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class DialogView:
    """The facts of a stored dialog that decide how a message is read."""

    kind: str | None = None  # intake, choose, cancel, reopen, forward, done
    stage: str | None = None  # for an intake: ask, duplicate, confirm
    product_id: str | None = None
    asking: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    tries: int = 0

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> DialogView:
        return cls(
            kind=state.get("kind"),
            stage=state.get("stage"),
            product_id=state.get("product"),
            asking=state.get("asking"),
            values=state.get("values") or {},
            tries=int(state.get("tries", 0) or 0),
        )

    @property
    def asks(self) -> bool:
        return self.kind == "intake" and self.stage == "ask" and bool(self.asking)

    @property
    def awaits_reply(self) -> bool:
        return self.kind in ("cancel", "reopen", "forward") or (
            self.kind == "intake" and self.stage in ("confirm", "duplicate")
        )


NO_DIALOG = DialogView()


@dataclass(frozen=True, slots=True)
class Understanding:
    act: Act
    product_id: str | None = None
    faq_id: str | None = None
    choices: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)  # intake values found, JSON-ready
    priority: str | None = None  # P1 for an emergency
    command: str | None = None
    follow_up: FollowUpIntent | None = None
    reply: bool | str | None = None  # True/False, or "follow"/"file" at a known problem
    hint: str | None = None  # FIELD: the message key for a re-ask
    need_more: bool = False  # FIELD: a partial value, ask the same field again
    linked: str | None = None  # a complaint's ticket number
    new: Understanding | None = None  # SWITCH: the message read as a fresh one
    match: Match | None = None

    @property
    def predicted_id(self) -> str:
        """The id an evaluation compares: the product (or redirect) acted on, or 'none'."""
        if self.act is Act.SWITCH and self.new is not None:
            return self.new.predicted_id
        acts = (Act.ANSWER, Act.INTAKE, Act.REDIRECT, Act.EMERGENCY, Act.FOLLOW_UP)
        if self.act in acts and self.product_id:
            return self.product_id
        if self.act is Act.CHOOSE and self.choices:
            return self.choices[0]
        return "none"

    @property
    def top3(self) -> tuple[str, ...]:
        if self.act is Act.CHOOSE:
            return self.choices[:3]
        ranked = [self.product_id] if self.product_id else []
        if self.match is not None:
            ranked += [c.product_id for c in self.match.candidates if c.product_id not in ranked]
        return tuple(ranked[:3])


class Understander:
    """:func:`understand` with what it derives from a knowledge version cached."""

    def __init__(self) -> None:
        self._rules: tuple[Knowledge, list[tuple[str, list[str]]]] | None = None

    def emergency_rules(self, knowledge: Knowledge) -> list[tuple[str, list[str]]]:
        """The organisation's emergency words, folded once per knowledge version."""
        if self._rules is None or self._rules[0] is not knowledge:
            rules = [
                (rule.product, [fold(p) for _, p in rule.words.all()])
                for rule in knowledge.organisation.emergencies
            ]
            self._rules = (knowledge, rules)
        return self._rules[1]

    def __call__(
        self,
        text: str,
        dialog: DialogView,
        snapshot: Snapshot,
        now: datetime,
    ) -> Understanding:
        """What the bot does with ``text`` (already trimmed) in ``dialog``; ``now`` is local."""
        knowledge = snapshot.knowledge
        buildings = knowledge.organisation.buildings
        command = command_for(text)
        if command is not None:
            return Understanding(Act.COMMAND, command=command.title)
        rule = emergency(text, self.emergency_rules(knowledge)) if text else None
        if rule is not None:
            product = knowledge.products[rule.product_id]
            values = _prefill(product, text, now, buildings, describes=True)
            values.setdefault("description", text)
            return Understanding(
                Act.EMERGENCY, rule.product_id, fields=values, priority=EMERGENCY_PRIORITY
            )
        intent = follow_up(text)
        if dialog.asks:
            if intent is not None and intent.kind in (FollowUp.LIST, FollowUp.STATUS):
                return Understanding(Act.FOLLOW_UP, follow_up=intent)
            return self._answer(text, dialog, snapshot, now)
        if dialog.awaits_reply:
            reply = _reply(text, dialog)
            if reply is not None:
                return Understanding(Act.REPLY, reply=reply)
        return self._fresh(text, intent, snapshot, now)

    # -- a message on its own ---------------------------------------------------------------

    def _fresh(
        self, text: str, intent: FollowUpIntent | None, snapshot: Snapshot, now: datetime
    ) -> Understanding:
        knowledge = snapshot.knowledge
        match = snapshot.matcher.match(text)
        complaint = _complaint(text, intent, match)
        if complaint is not None:
            product = knowledge.products.get(COMPLAINT_PRODUCT)
            if product is not None:
                values = _prefill(product, text, now, knowledge.organisation.buildings, True)
                return Understanding(
                    Act.INTAKE, product.id, fields=values, linked=complaint or None, match=match
                )
        if intent is not None:
            # "cancel my booking for the council chamber": the product narrows the tickets
            about = match.candidates[0].product_id if match.decision is Decision.PRODUCT else None
            return Understanding(Act.FOLLOW_UP, about, follow_up=intent, match=match)
        small = _small_talk(text, match)
        if small is not None:
            return Understanding(small, match=match)
        return self._decide(text, match, snapshot, now)

    def _decide(self, text: str, match: Match, snapshot: Snapshot, now: datetime) -> Understanding:
        knowledge = snapshot.knowledge
        buildings = knowledge.organisation.buildings
        if match.decision is Decision.ANSWER:
            ref = match.faq[0]
            product = knowledge.products[ref.product_id]
            if not product.is_redirect and _is_request(text, product, now, buildings):
                values = _prefill(product, text, now, buildings, _describes(product))
                return Understanding(Act.INTAKE, product.id, fields=values, match=match)
            return Understanding(Act.ANSWER, ref.product_id, faq_id=ref.faq_id, match=match)
        if match.decision is Decision.PRODUCT:
            product = knowledge.products[match.candidates[0].product_id]
            if product.is_redirect:
                return Understanding(Act.REDIRECT, product.id, match=match)
            values = _prefill(product, text, now, buildings, _describes(product))
            return Understanding(Act.INTAKE, product.id, fields=values, match=match)
        if match.decision is Decision.CHOOSE:
            return Understanding(
                Act.CHOOSE, choices=tuple(c.product_id for c in match.choices), match=match
            )
        if match.decision is Decision.REDIRECT:
            return Understanding(Act.REDIRECT, match.candidates[0].product_id, match=match)
        return Understanding(Act.NONE, match=match)

    # -- the answer to an intake question -----------------------------------------------------

    def _answer(
        self, text: str, dialog: DialogView, snapshot: Snapshot, now: datetime
    ) -> Understanding:
        asking = dialog.asking or ""
        buildings = snapshot.knowledge.organisation.buildings
        checked = intake.check(asking, text, dict(dialog.values), now, buildings, dialog.tries)
        fresh = self._fresh(text, None, snapshot, now)
        if _is_new_topic(fresh, dialog, checked.value is not None, asking):
            return Understanding(Act.SWITCH, new=fresh, match=fresh.match)
        value = {asking: checked.value} if checked.value is not None else {}
        return Understanding(
            Act.FIELD, fields=value, hint=checked.hint, need_more=checked.need_more
        )


understand = Understander()


# -- the pieces ----------------------------------------------------------------------------------


def _prefill(
    product: Product, text: str, now: datetime, buildings: Sequence[str], describes: bool
) -> dict[str, Any]:
    fields = [kind.value for kind in product.fields]
    return intake.prefill(fields, text, now, buildings, describes)


def intake_values(
    product: Product, text: str, now: datetime, buildings: Sequence[str]
) -> dict[str, Any]:
    """The values ``text`` gives for ``product``'s intake (for a text picked up later)."""
    return _prefill(product, text, now, buildings, _describes(product))


def _describes(product: Product) -> bool:
    """A fault or a complaint: the message itself is the description."""
    return product.kwis in (Kwis.STORING, Kwis.KLACHT)


_DETAIL_FIELDS = ("location", "when", "persons", "cost_centre", "visitors", "plate")


def _is_request(text: str, product: Product, now: datetime, buildings: Sequence[str]) -> bool:
    """A question that asks for the service itself: a request form, or details to act on."""
    folded = fold(text)
    if _REQUEST_FORM.search(folded):
        return True
    if _INFO_QUESTION.search(folded):
        return False
    values = _prefill(product, text, now, buildings, describes=False)
    return any(name in values for name in _DETAIL_FIELDS)


def _complaint(text: str, intent: FollowUpIntent | None, match: Match) -> str | None:
    """A complaint about the handling of a request: the ticket number ('' when none)."""
    folded = fold(text)
    if not _COMPLAINT.search(folded):
        return None
    numbers = ticket_numbers(text)
    if intent is not None and intent.kind in (FollowUp.CANCEL, FollowUp.REOPEN):
        return None  # they say what they want done with it
    top = (
        match.candidates[0].product_id
        if match.candidates and match.decision is not Decision.NONE
        else None
    )
    if numbers or top == COMPLAINT_PRODUCT or (intent is not None and intent.kind is FollowUp.LIST):
        return numbers[0] if numbers else ""
    return None


def _small_talk(text: str, match: Match) -> Act | None:
    tokens = fold(text).split()
    if 0 < len(tokens) <= SMALL_TALK_MAX_WORDS and match.decision is Decision.NONE:
        if tokens[0] in _THANKS or any(token in _THANKS for token in tokens[:3]):
            return Act.THANKS
        if tokens[0] in _GREETINGS:
            return Act.GREETING
    return None


def _reply(text: str, dialog: DialogView) -> bool | str | None:
    """The awaited yes/no; at a known problem also 'follow' or 'file'."""
    if dialog.kind == "intake" and dialog.stage == "duplicate":
        words = set(fold(text).split())
        if words & _FOLLOW_WORDS and not words & _FILE_WORDS:
            return "follow"
        if words & _FILE_WORDS:
            return "file"
        return None
    return yes_or_no(text)


def _is_new_topic(fresh: Understanding, dialog: DialogView, valid: bool, asking: str) -> bool:
    """Is a message typed at an intake question really a new request or a question?"""
    if fresh.act not in (Act.INTAKE, Act.ANSWER, Act.CHOOSE, Act.REDIRECT):
        return False
    if fresh.act is not Act.CHOOSE and fresh.product_id in (dialog.product_id, QUESTION_PRODUCT):
        return False
    match = fresh.match
    score = match.candidates[0].score if match is not None and match.candidates else 0.0
    if score < SWITCH_MIN_SCORE:
        return False
    if asking == "description" or valid:
        # an answer that fits the question: only a plainly new request is taken as one
        return score >= SWITCH_MIN_SCORE * 1.5 and fresh.act is not Act.CHOOSE
    return True
