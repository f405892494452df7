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

from rapidfuzz.distance import OSA

from dialogs import extract, intake
from dialogs.commands import command_for
from dialogs.extract import Places
from dialogs.intents import (
    EmergencyRules,
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
from knowledge.text import fold, is_ordinary_word
from servicedesk.tickets import Kwis

EMERGENCY_PRIORITY = "P1"
COMPLAINT_PRODUCT = "klacht"
COMPLAINT_MIN_CUES = 2  # "disappointed ... nobody called": a complaint without a number
IDEA_PRODUCT = "idee"
# A new request or question typed at an intake question must be this sure (matcher score;
# the matcher's own "nothing fits" line is 10).
SWITCH_MIN_SCORE = 10.0
SWITCH_MIN_WORDS = 4  # a shorter answer is an answer, unless it opens a new topic
SWITCH_REPLY_MAX_WORDS = 5  # "ja, begin maar met de nieuwe"
EXTRA_MIN_WORDS = 3  # an answer this long may give other fields as well
# Words that open a new topic in the middle of a conversation.
_NEW_TOPIC = re.compile(
    r"\b(?:trouwens|overigens|o\s+ja|oh\s+ja|oh\s+en|o\s+en|en\s+ook|ook\s+nog|nog\s+iets"
    r"|iets\s+anders|andere\s+vraag|tussendoor|by\s+the\s+way|btw|also|another\s+thing"
    r"|one\s+more\s+thing|oh\s+and|separate(?:ly)?|wacht\s+(?:even|eens)|hold\s+on|hang\s+on"
    r"|wait\s+a\s+(?:sec|second|minute|moment)|ik\s+zie\s+(?:net|nu|zojuist)"
    r"|i\s+just\s+(?:saw|noticed|see))\b"
)
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
# "mag ik een ...", "kan er ... worden aangemaakt", "could I order", "can you send
# someone". Matched on folded text.
_REQUEST_FORM = re.compile(
    r"\b(?:"
    r"(?:kan|kun|mag|zou|wil|wilt|kunnen|mogen|willen|zouden)\s+(?:ik|je|jij|u|jullie|we|wij"
    r"|er|de|het|een|onze|ons|mijn)\b"
    r".{0,120}?\b(?:reserver\w*|bestell?\w*|besteld|aanvragen|aanvraag|regelen|geregeld|boeken"
    r"|sturen|langskomen|langs\s+komen|komen|maken|repareren|ophangen|ophalen|vervangen|leveren"
    r"|bezorgen|aanmelden|laten\s+\w+|verzorgen|plaatsen|afvoeren|drukken|printen|verhuizen"
    r"|vernietigen|schoonmaken|verzenden|versturen|lenen|krijgen|hebben|bijvullen|aanvullen"
    r"|ophalen|bezorgen|installeren|monteren|zetten|brengen)"
    r"|mag\s+ik\s+(?:een|de|het|nog|wat|twee|drie|\d+)"
    r"|(?:kan|kunnen|zou|zouden|could|can|would)\b.{0,120}?\b(?:worden|be)\s+\w+"
    r"|(?:could|can|may|would)\s+(?:i|we|you|someone|somebody)\b.{0,120}?\b(?:order|book|reserve"
    r"|request|arrange|send|come|fix|repair|register|deliver|hang|pick\s+up|collect|print|replace"
    r"|clean|get|have|borrow|organi[sz]e|set\s+up|bring|move|install)"
    r"|(?:i(?:d| would) like|i want|i need|we need|we(?:d| would) like) to\s+(?:order|book"
    r"|reserve|register|request|arrange)"
    r")\b"
)
# A pure information question: an interrogative among its first words ("hoe vaak ...",
# "wat kost ...", "roughly how much ...", "how far in advance ...").
_INFO_QUESTION = re.compile(
    r"^(?:\w+\s+){0,2}?(?:hoe|wat|waar|wanneer|welke|welk|hoeveel|wie|waarom|waarmee|moet\s+ik"
    r"|how|what|whats|where|when|which|who|why|is\s+there|are\s+there|do\s+i\s+need"
    r"|am\s+i\s+allowed|is\s+it\s+possible)\b"
)
# Words that show a message complains about how an earlier request is handled.
_COMPLAINT = re.compile(
    r"\b(?:klacht|klagen|ontevreden|teleurgesteld|boos|slecht\s+geholpen|niemand\s+(?:heeft|is)"
    r"|geen\s+(?:reactie|antwoord)|nooit\s+(?:iets|wat)|niks\s+(?:meer\s+)?gehoord|niets\s+(?:meer\s+)?"
    r"gehoord|al\s+(?:\w+\s+)?(?:weken|maanden|dagen)|staat\s+al|duurt\s+(?:te|veel\s+te|erg)\s+lang"
    r"|te\s+lang|complain\w*|complaint|unhappy|dissatisfied|disappointed|no\s+(?:one|reply|response"
    r"|answer)|nobody|for\s+weeks|for\s+months|weeks\s+ago|taking\s+(?:too|so)\s+long)\b"
)


# Words for a room that, followed by a name or number, name a place rather than a product.
_ROOM_WORDS = (
    r"(?:vergaderzaal|vergaderruimte|vergaderkamer|zaal|kamer|ruimte|meeting\s+room|room"
    r"|conference\s+room|toilet|damestoilet|herentoilet|trappenhuis|gang)"
)


# A suggestion said as one: a label up front, or "it would be great if".
_IDEA_LABEL = re.compile(r"^(?:idee|suggestie|tip|voorstel|verbetervoorstel|idea|suggestion)\b")
_IDEA = re.compile(
    r"\b(?:het\s+zou\s+(?:fijn|mooi|handig|leuk|prettig|goed)\s+zijn\s+als"
    r"|zou\s+het\s+niet\s+(?:handig|fijn|mooi|leuk|beter)\s+zijn"
    r"|it\s+would\s+be\s+(?:great|nice|good|helpful|better)\s+if"
    r"|wouldnt\s+it\s+be\s+(?:great|nice|better)|why\s+dont\s+we)\b"
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
    text: str = ""  # a choice card: the message it was offered for
    switching: bool = False  # an intake question with a switch offered ("eerst X, of Y?")

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> DialogView:
        return cls(
            kind=state.get("kind"),
            stage=state.get("stage"),
            product_id=state.get("product"),
            asking=state.get("asking"),
            values=state.get("values") or {},
            tries=int(state.get("tries", 0) or 0),
            text=str(state.get("text") or "") if state.get("kind") == "choose" else "",
            switching=bool(state.get("switch")),
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
        self._rules: tuple[Knowledge, EmergencyRules] | None = None
        self._places: tuple[Knowledge, re.Pattern[str]] | None = None

    def place_words(self, knowledge: Knowledge) -> re.Pattern[str]:
        """The named places of every building, and rooms named after a room word
        ("vergaderzaal De Haven", "meeting room 4.02"), compiled once per knowledge."""
        if self._places is None or self._places[0] is not knowledge:
            names = {
                phrase
                for places in knowledge.organisation.places.values()
                for name, aliases in places.items()
                for phrase in (name, *aliases)
            }
            alternatives = "|".join(re.escape(p) for p in sorted(names, key=len, reverse=True))
            pattern = re.compile(  # a room's own name is capitalised: "zaal De Brug"
                rf"\b(?i:(?:{alternatives})(?:s|en)?)\b"
                rf"|\b(?i:{_ROOM_WORDS})\s+(?:[A-Z][\w'-]+|\d[\d.]*)\b"
            )
            self._places = (knowledge, pattern)
        return self._places[1]

    def _match(self, text: str, snapshot: Snapshot) -> Match:
        """The matcher's reading of the message with its entities blanked (names, codes,
        addresses), and, when it names a place the knowledge has words for, a second
        reading without the place: that one wins when the place decided the first ("the
        lights in the parking garage" are lights; "hoe laat gaat de kantine open?" stays)."""
        message = text
        text = extract.mask_entities(text)  # names, codes, addresses: no evidence of a product
        whole = snapshot.matcher.match(text, message)
        places = self.place_words(snapshot.knowledge)
        if any(snapshot.matcher.knows(m.group(0)) for m in places.finditer(message)):
            # only a place the knowledge has words for can have decided the reading
            bare = extract.mask_entities(places.sub(" ", message))
            match = snapshot.matcher.match(bare, message)
            if match.decision is not Decision.NONE and _place_decided(whole, match):
                return match
        return whole

    def emergency_rules(self, knowledge: Knowledge) -> EmergencyRules:
        """The organisation's emergency phrases, compiled once per knowledge version."""
        if self._rules is None or self._rules[0] is not knowledge:
            self._rules = (knowledge, EmergencyRules.from_organisation(knowledge.organisation))
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
            values = _prefill(product, text, now, buildings, True, knowledge.organisation.places)
            values.setdefault("description", text)
            return Understanding(
                Act.EMERGENCY, rule.product_id, fields=values, priority=EMERGENCY_PRIORITY
            )
        intent = follow_up(text)
        if dialog.asks:
            if intent is not None and intent.kind in (FollowUp.LIST, FollowUp.STATUS):
                return Understanding(Act.FOLLOW_UP, follow_up=intent)
            choice = _switch_reply(text) if dialog.switching else None
            if choice is not None:  # the switch offer answered in words, not a click
                return Understanding(Act.REPLY, reply=choice)
            return self._answer(text, dialog, snapshot, now)
        if dialog.awaits_reply:
            reply = _reply(text, dialog)
            if reply is not None:
                return Understanding(Act.REPLY, reply=reply)
            if dialog.kind == "intake":
                amended = self._amend(text, dialog, snapshot, now)
                if amended is not None:
                    return amended
        fresh = self._fresh(text, intent, snapshot, now)
        if dialog.kind == "choose" and fresh.act in (Act.NONE, Act.CHOOSE) and dialog.text:
            # more words after a choice card: read them together with the first message
            together = self._fresh(f"{dialog.text}\n{text}", intent, snapshot, now)
            if together.act is Act.INTAKE:
                return together
        return fresh

    def _amend(
        self, text: str, dialog: DialogView, snapshot: Snapshot, now: datetime
    ) -> Understanding | None:
        """At the summary, a detail for a field ("kamer 3.08", "om 11 uur"): the summary
        again with it, unless the message is plainly something new."""
        product = snapshot.knowledge.products.get(dialog.product_id or "")
        if product is None:
            return None
        buildings = snapshot.knowledge.organisation.buildings
        places = snapshot.knowledge.organisation.places
        found = _prefill(product, text, now, buildings, False, places)
        if "location" in found:
            merged = intake.check("location", text, dict(dialog.values), now, buildings, 0, places)
            if merged.value is not None:
                found["location"] = merged.value
        if not found:
            return None
        fresh = self._fresh(text, None, snapshot, now, fields=False)
        if _is_new_topic(fresh, dialog, True, "", text):
            return None
        return Understanding(Act.FIELD, fields=found)

    # -- a message on its own ---------------------------------------------------------------

    def _fresh(
        self,
        text: str,
        intent: FollowUpIntent | None,
        snapshot: Snapshot,
        now: datetime,
        fields: bool = True,
    ) -> Understanding:
        """``text`` read as a message on its own; ``fields=False``: the decision only (the
        intake's values are not read; for a message that may not be acted on)."""
        knowledge = snapshot.knowledge
        match = self._match(text, snapshot)
        complaint = _complaint(text, intent, match)
        if complaint is None and _idea(text, match) and IDEA_PRODUCT in knowledge.products:
            idea = knowledge.products[IDEA_PRODUCT]
            return self._intake(idea, text, snapshot, now, match, fields, describes=True)
        complaints = knowledge.products.get(COMPLAINT_PRODUCT)
        if complaint is not None and complaints is not None:
            return self._intake(
                complaints, text, snapshot, now, match, fields, describes=True, linked=complaint
            )
        if intent is not None:
            # "cancel my booking for the council chamber": the product narrows the tickets
            about = match.candidates[0].product_id if match.decision is Decision.PRODUCT else None
            return Understanding(Act.FOLLOW_UP, about, follow_up=intent, match=match)
        small = _small_talk(text, match)
        if small is not None:
            return Understanding(small, match=match)
        return self._decide(text, match, snapshot, now, fields)

    def _intake(
        self,
        product: Product,
        text: str,
        snapshot: Snapshot,
        now: datetime,
        match: Match,
        fields: bool,
        describes: bool | None = None,
        linked: str | None = None,
    ) -> Understanding:
        """An intake of ``product`` with the values ``text`` already gives."""
        product = _group_if_large(product, text, snapshot)
        values: dict[str, Any] = {}
        if fields:
            if describes is None:
                describes = _describes(product, text, snapshot)
            organisation = snapshot.knowledge.organisation
            values = _prefill(
                product, text, now, organisation.buildings, describes, organisation.places
            )
        return Understanding(
            Act.INTAKE, product.id, fields=values, linked=linked or None, match=match
        )

    def _decide(
        self, text: str, match: Match, snapshot: Snapshot, now: datetime, fields: bool = True
    ) -> Understanding:
        knowledge = snapshot.knowledge
        buildings = knowledge.organisation.buildings
        if match.decision is Decision.ANSWER:
            ref = match.faq[0]
            product = knowledge.products[ref.product_id]
            if not product.is_redirect and _is_request(text, product, now, buildings):
                return self._intake(product, text, snapshot, now, match, fields)
            return Understanding(Act.ANSWER, ref.product_id, faq_id=ref.faq_id, match=match)
        if match.decision is Decision.PRODUCT:
            product = knowledge.products[match.candidates[0].product_id]
            if product.is_redirect:
                return Understanding(Act.REDIRECT, product.id, match=match)
            if _INFO_QUESTION.search(fold(text)):
                # "hoe vraag ik een sleutel aan?": a question about the product, answered
                found = _faq_for(match, product.id) or _faq_near(match)
                if found is not None:
                    return Understanding(Act.ANSWER, found[0], faq_id=found[1], match=match)
            return self._intake(product, text, snapshot, now, match, fields)
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
        product = snapshot.knowledge.products.get(dialog.product_id or "")
        date_only = product is not None and product.when == "date"
        places = snapshot.knowledge.organisation.places
        checked = intake.check(
            asking,
            text,
            dict(dialog.values),
            now,
            buildings,
            dialog.tries,
            places,
            date_only=date_only,
        )
        words = len(fold(text).split())
        if words >= SWITCH_MIN_WORDS or _NEW_TOPIC.search(fold(text)):
            # only a message of some length (or one that opens a new topic) can be new
            fresh = self._fresh(text, None, snapshot, now, fields=False)
            if _is_new_topic(fresh, dialog, checked.value is not None, asking, text):
                return Understanding(Act.SWITCH, new=fresh, match=fresh.match)
        values: dict[str, Any] = {}
        if product is not None and words >= EXTRA_MIN_WORDS:
            # what else the answer gives, for fields still empty ("12 people, cost centre 4")
            found = _prefill(product, text, now, buildings, False, places)
            values = {k: v for k, v in found.items() if k != asking and k not in dialog.values}
        if checked.value is not None:
            values[asking] = checked.value
        return Understanding(
            Act.FIELD, fields=values, hint=checked.hint, need_more=checked.need_more
        )


understand = Understander()


# -- the pieces ----------------------------------------------------------------------------------


GROUP_PRODUCTS = {"bezoek.aanmelden": "bezoek.groep"}  # one visitor or a few -> a group
GROUP_MIN_PERSONS = 10  # the catalogue's line: a group of visitors is 10 persons or more


def _group_if_large(product: Product, text: str, snapshot: Snapshot) -> Product:
    """A registration for a large number of people is the group product ("a study visit
    for a group of 11 people" is a group, whatever the matcher leaned to)."""
    group = snapshot.knowledge.products.get(GROUP_PRODUCTS.get(product.id, ""))
    if group is None:
        return product
    persons = extract.parse_persons(text)
    return group if persons is not None and persons >= GROUP_MIN_PERSONS else product


def _prefill(
    product: Product,
    text: str,
    now: datetime,
    buildings: Sequence[str],
    describes: bool,
    places: Places | None = None,
) -> dict[str, Any]:
    fields = [kind.value for kind in product.fields]
    return intake.prefill(fields, text, now, buildings, describes, places)


def intake_values(product: Product, text: str, now: datetime, snapshot: Snapshot) -> dict[str, Any]:
    """The values ``text`` gives for ``product``'s intake (for a text picked up later)."""
    organisation = snapshot.knowledge.organisation
    describes = _describes(product, text, snapshot)
    return _prefill(product, text, now, organisation.buildings, describes, organisation.places)


# Words of asking and of intake details: what is left of a message without them says what
# the employee needs ("broodjes en soep, twee vegetarisch").
# fmt: off
_ASKING_WORDS = frozenset([
    "wil", "willen", "wilt", "graag", "kan", "kun", "kunnen", "mag", "mogen", "zou", "zouden",
    "bestellen", "bestel", "reserveren", "reserveer", "aanvragen", "aanvraag", "regelen", "regel",
    "boeken", "laten", "verzorgen", "sturen", "maken", "hebben", "krijgen", "alsjeblieft", "aub",
    "svp", "bedankt", "dank", "alvast", "groet", "groeten", "hoi", "hallo", "beste", "personen",
    "persoon", "mensen", "man", "deelnemers", "gasten", "collega", "collegas", "kostenplaats",
    "kpl", "kamer", "zaal", "ruimte", "verdieping", "etage", "gebouw", "vandaag", "morgen",
    "overmorgen", "ochtend", "middag", "avond", "maandag", "dinsdag", "woensdag", "donderdag",
    "vrijdag", "zaterdag", "zondag", "week", "volgende", "komende", "uur", "januari", "februari",
    "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november",
    "december", "could", "can", "would", "please", "like", "want", "need", "order", "book",
    "reserve", "request", "arrange", "get", "have", "thanks", "thank", "hi", "hello", "dear",
    "regards", "people", "persons", "guests", "colleagues", "cost", "centre", "center", "room",
    "floor", "building", "today", "tomorrow", "morning", "afternoon", "evening", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "next", "week", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
])
# fmt: on
DESCRIPTION_MIN_WORDS = 2


def _describes(product: Product, text: str, snapshot: Snapshot) -> bool:
    """Is the message itself the description? For a fault or a complaint, yes; for an
    order, when it says more than the product and the details ("3 dozen A4-papier en 15
    ordners", "broodjes en soep, twee vegetarisch")."""
    if product.kwis in (Kwis.STORING, Kwis.KLACHT):
        return True
    analyzer = snapshot.matcher.analyzer
    named = {t for name in (product.name.nl, product.name.en) for t in analyzer.tokens(name)}
    rest = [
        token
        for token in analyzer.tokens(text)
        if analyzer.is_content(token)
        and token not in _ASKING_WORDS
        and token not in named
        and not any(ch.isdigit() for ch in token)
        and len(token) > 2
    ]
    return len(rest) >= DESCRIPTION_MIN_WORDS


_DETAIL_FIELDS = ("location", "when", "persons", "cost_centre", "visitors", "plate")


PLACE_SHARE = 0.6  # a product keeping this share of its score without the place words


def _place_decided(whole: Match, bare: Match) -> bool:
    """Did the place words decide the whole reading? Yes when the top product loses most
    of its score without them ("lights in the parking garage" is not about parking), or
    when the reading without them is clear where the whole one offered a choice."""
    if not whole.candidates:
        return True
    top = whole.candidates[0]
    if bare.candidates[0].product_id == top.product_id:
        return whole.decision is Decision.CHOOSE and bare.decision is Decision.PRODUCT
    kept = next((c.score for c in bare.candidates if c.product_id == top.product_id), 0.0)
    return kept < top.score * PLACE_SHARE


INFO_ANSWER_MIN = 2.5  # an FAQ entry this close answers a plain information question
FAQ_NEAR_MIN = 5.0  # ... or of another of the top three products, this close (answer_min)


def _faq_for(match: Match, product_id: str) -> tuple[str, str] | None:
    """The best FAQ entry of ``product_id`` among the matcher's, if it is close enough."""
    for entry in match.faq:
        if entry.product_id == product_id and entry.score >= INFO_ANSWER_MIN and entry.faq_id:
            return entry.product_id, entry.faq_id
    return None


def _faq_near(match: Match) -> tuple[str, str] | None:
    """The best FAQ entry overall, when it answers well and its product is among the top
    three ("hoeveel mensen passen er in de raadzaal?")."""
    if not match.faq:
        return None
    best = match.faq[0]
    near = {c.product_id for c in match.candidates[:3]}
    if best.faq_id and best.score >= FAQ_NEAR_MIN and best.product_id in near:
        return best.product_id, best.faq_id
    return None


def _is_request(text: str, product: Product, now: datetime, buildings: Sequence[str]) -> bool:
    """A question that asks for the service itself: a request form, or details to act on."""
    folded = fold(text)
    if _INFO_QUESTION.search(folded):
        return False
    if _REQUEST_FORM.search(folded):
        return True
    values = _prefill(product, text, now, buildings, describes=False)
    return any(name in values for name in _DETAIL_FIELDS)


def _complaint(text: str, intent: FollowUpIntent | None, match: Match) -> str | None:
    """A complaint about the handling of a request: the ticket number ('' when none)."""
    folded = fold(text)
    if _INFO_QUESTION.search(folded) or match.out_of_scope is not None:
        return None  # "how do I file a complaint?" asks how; the rubbish lorry is not ours
    if not _COMPLAINT.search(folded) and not _says_complaint(folded):
        return None
    numbers = ticket_numbers(text)
    if intent is not None and intent.kind in (FollowUp.CANCEL, FollowUp.REOPEN):
        return None  # they say what they want done with it
    top = (
        match.candidates[0].product_id
        if match.candidates and match.decision is not Decision.NONE
        else None
    )
    listed = intent is not None and intent.kind is FollowUp.LIST
    cues = {m.group(0) for m in _COMPLAINT.finditer(folded)}
    several = len(cues) >= COMPLAINT_MIN_CUES or _says_complaint(folded)
    if numbers or top == COMPLAINT_PRODUCT or listed or several:
        return numbers[0] if numbers else ""
    return None


_COMPLAINT_WORDS = ("klacht", "complaint")


def _says_complaint(folded: str) -> bool:
    """The word itself, or a slip of it that is no word of its own ("kalcht")."""
    for token in folded.split():
        for word in _COMPLAINT_WORDS:
            if token == word or (
                len(token) >= len(word) - 1
                and OSA.distance(token, word) <= 1
                and not is_ordinary_word(token)
            ):
                return True
    return False


def _idea(text: str, match: Match) -> bool:
    """A suggestion, said as one: labelled ("Idee: ...") or phrased ("it would be great
    if ..."; then not about something out of scope)."""
    folded = fold(text)
    if _IDEA_LABEL.search(folded):
        return True
    return bool(_IDEA.search(folded)) and match.out_of_scope is None


def _small_talk(text: str, match: Match) -> Act | None:
    tokens = fold(text).split()
    if 0 < len(tokens) <= SMALL_TALK_MAX_WORDS and match.decision is Decision.NONE:
        if tokens[0] in _THANKS or any(token in _THANKS for token in tokens[:3]):
            return Act.THANKS
        if tokens[0] in _GREETINGS:
            return Act.GREETING
    return None


_SWITCH_WORDS = frozenset(
    ["nieuw", "nieuwe", "new", "switch", "wissel", "wisselen", "beginnen", "overstappen", "andere"]
)
_KEEP_WORDS = frozenset(
    ["eerst", "afronden", "afmaken", "finish", "first", "continue", "doorgaan", "verder", "huidige"]
)


def _switch_reply(text: str) -> str | None:
    """A short answer to the switch offer: "de nieuwe" / "eerst afronden"; else None."""
    words = set(fold(text).split())
    if not words or len(words) > SWITCH_REPLY_MAX_WORDS:
        return None
    switch, keep = bool(words & _SWITCH_WORDS), bool(words & _KEEP_WORDS)
    if switch != keep:
        return "switch" if switch else "keep"
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


def _is_new_topic(
    fresh: Understanding, dialog: DialogView, valid: bool, asking: str, text: str
) -> bool:
    """Is a message typed at an intake question really a new request or a question?

    It must point at another product with some confidence. An answer that also fits the
    question ("trouwens, de koffieautomaat op de 2e is stuk" is a floor too) needs more
    confidence or a word that opens a new topic ("trouwens", "by the way"); a free-text
    description needs such a word, since descriptions name things all the time."""
    if fresh.act not in (Act.INTAKE, Act.ANSWER, Act.CHOOSE, Act.REDIRECT):
        return False
    if fresh.act is not Act.CHOOSE and fresh.product_id in (dialog.product_id, QUESTION_PRODUCT):
        return False
    match = fresh.match
    score = match.candidates[0].score if match is not None and match.candidates else 0.0
    opens = bool(_NEW_TOPIC.search(fold(text)))
    if opens:
        return score >= SWITCH_MIN_SCORE
    if asking == "description" or len(fold(text).split()) < SWITCH_MIN_WORDS:
        return False  # "geen idee" is no idea, not a suggestion
    return score >= SWITCH_MIN_SCORE * (2.0 if valid else 1.5)
