"""The front desk: one message in, the replies out.

Free text goes through the matcher and the decision drives the reply (an FAQ
answer, a product with its promise, a short choice, a pointer elsewhere, or a
plain no). Greetings, thanks and "help" get a short answer of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from dialogs import cards
from dialogs.commands import command_for
from dialogs.language import choose as choose_language
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from knowledge.matcher import Decision, Match
from knowledge.model import DURATION, Product
from knowledge.reload import Snapshot
from knowledge.text import fold

MAX_TEXT = 2000
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


class KnowledgeSource(Protocol):
    def current(self) -> Snapshot: ...


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
    def __init__(self, knowledge: KnowledgeSource, default_language: str = "nl") -> None:
        self._knowledge = knowledge
        self.default_language = default_language
        self._verbs: dict[str, Callable[[Snapshot, dict[str, Any], str], CardUpdate]] = {
            "product.pick": self._pick_product,
            "product.other": self._other_product,
        }

    @property
    def verbs(self) -> frozenset[str]:
        return frozenset(self._verbs)

    def language_for(self, text: str, locale: str | None) -> str:
        return choose_language(text, locale, self.default_language)

    def welcome(self, language: str) -> list[Reply]:
        organisation = self._knowledge.current().knowledge.organisation.name
        return [Reply(text=t(language, "welcome", organisation=organisation))]

    def respond(self, text: str, language: str) -> list[Reply]:
        snapshot = self._knowledge.current()
        text = (text or "").strip()
        if not text:
            return [Reply(text=t(language, "empty"))]
        replies: list[Reply] = []
        if len(text) > MAX_TEXT:
            replies.append(Reply(text=t(language, "too_long", limit=MAX_TEXT)))
            text = text[:MAX_TEXT]
        small_talk = self._small_talk(snapshot, text, language)
        if small_talk is not None:
            return replies + small_talk
        match = snapshot.matcher.match(text)
        return replies + self._replies_for(snapshot, match, language)

    def card_action(self, verb: str, data: dict[str, Any], language: str) -> CardUpdate:
        handler = self._verbs.get(verb)
        if handler is None:
            return CardUpdate(cards.notice_card(t(language, "card.unknown_action")), status=400)
        return handler(self._knowledge.current(), data, language)

    # -- decisions ------------------------------------------------------------------

    def _small_talk(self, snapshot: Snapshot, text: str, language: str) -> list[Reply] | None:
        tokens = fold(text).split()
        command = command_for(text)
        if command is not None and command.title == "help":
            emergency = snapshot.knowledge.organisation.emergency.in_language(language)
            return [Reply(text=t(language, "help", emergency=emergency))]
        if 0 < len(tokens) <= 6 and snapshot.matcher.match(text).decision is Decision.NONE:
            if tokens[0] in _THANKS or any(token in _THANKS for token in tokens[:3]):
                return [Reply(text=t(language, "thanks"))]
            if tokens[0] in _GREETINGS:
                return [Reply(text=t(language, "greeting"))]
        return None

    def _replies_for(self, snapshot: Snapshot, match: Match, language: str) -> list[Reply]:
        knowledge = snapshot.knowledge
        contact = knowledge.organisation.frontoffice_contact.in_language(language)
        if match.decision is Decision.ANSWER:
            entry_ref = match.faq[0]
            product = knowledge.products[entry_ref.product_id]
            entry = next(e for e in product.faq if e.id == entry_ref.faq_id)
            replies = [Reply(text=entry.answer.in_language(language))]
            if product.queue is not None and product.kwis is not None:
                queue = knowledge.queues[product.queue].name.in_language(language)
                replies.append(Reply(text=t(language, "answer.orderable", queue=queue)))
            return replies
        if match.decision is Decision.PRODUCT:
            product = knowledge.products[match.candidates[0].product_id]
            return [Reply(card=self._product_card(snapshot, product, language))]
        if match.decision is Decision.CHOOSE:
            choices = [
                (c.product_id, knowledge.products[c.product_id].name.in_language(language))
                for c in match.choices
            ]
            return [Reply(card=cards.choose_card(language, choices))]
        if match.decision is Decision.REDIRECT:
            product = knowledge.products[match.candidates[0].product_id]
            assert product.redirect is not None
            pointer = product.redirect.in_language(language)
            desk = pointer.split(":")[0]
            return [Reply(text=t(language, "redirect", desk=desk, pointer=pointer))]
        return [Reply(text=t(language, "none", contact=contact))]

    def _product_card(self, snapshot: Snapshot, product: Product, language: str) -> dict[str, Any]:
        knowledge = snapshot.knowledge
        assert product.queue is not None and product.priority is not None
        sla = knowledge.sla_classes[product.priority]
        queue = knowledge.queues[product.queue].name.in_language(language)
        name = product.name.in_language(language)
        within = "product.within"
        facts = [
            (
                t(language, "product.response"),
                t(language, within, duration=describe_duration(language, sla.response)),
            ),
            (
                t(language, "product.resolution"),
                t(language, within, duration=describe_duration(language, sla.resolution)),
            ),
            (
                t(language, "product.charge"),
                product.charge.in_language(language)
                if product.charge
                else t(language, "product.charge_none"),
            ),
        ]
        if product.charter:
            facts.append((t(language, "product.charter"), product.charter.in_language(language)))
        contact = knowledge.organisation.frontoffice_contact.in_language(language)
        return cards.product_card(
            language,
            title=t(language, "product.title", product=name),
            intro=t(language, "product.intro", product=name, queue=queue),
            facts=facts,
            footer=t(language, "product.next", contact=contact),
        )

    # -- card verbs ---------------------------------------------------------------------

    def _pick_product(self, snapshot: Snapshot, data: dict[str, Any], language: str) -> CardUpdate:
        product = snapshot.knowledge.products.get(str(data.get("product", "")))
        if product is None:
            return CardUpdate(cards.notice_card(t(language, "card.unknown_product")), status=400)
        if product.is_redirect:
            assert product.redirect is not None
            pointer = product.redirect.in_language(language)
            text = t(language, "redirect", desk=pointer.split(":")[0], pointer=pointer)
            return CardUpdate(cards.notice_card(text))
        return CardUpdate(self._product_card(snapshot, product, language))

    def _other_product(self, snapshot: Snapshot, data: dict[str, Any], language: str) -> CardUpdate:
        return CardUpdate(cards.notice_card(t(language, "choose.other_reply")))
