"""What the parts of the front desk share.

The ports the desk works through (``KnowledgeSource``, ``DialogStore``, ``Insight``), a
``Turn`` (one message in, with its uploads), the ``_Context`` of one turn (the state,
the replies so far), and ``DeskBase``: the ticket service and the small look-ups and steps
that every part of ``FrontDesk`` uses (``dialogs/frontdesk.py``, ``desk_intake.py``,
``desk_filing.py``, ``desk_tickets.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dialogs import cards, extract
from dialogs.messages import t
from dialogs.replies import CardUpdate, Reply
from knowledge.catalogue import QUESTION_PRODUCT
from knowledge.model import DURATION, Product
from knowledge.reload import Snapshot
from servicedesk.persistence.dialog_store import StoredDialog
from servicedesk.service import Step, TicketService
from servicedesk.tickets import Actor, Requester, Ticket

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
    loaded: str = ""  # the state as read, as canonical JSON (to skip writing a no-op)

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


class DeskBase:
    """What every part of the front desk has: the ticket service (``FrontDesk`` sets it) and
    the look-ups and steps they all use."""

    _tickets: TicketService

    # -- look-ups on a turn -----------------------------------------------------------------

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

    def _fields_of(self, c: _Context, product_id: str) -> list[str]:
        if product_id == QUESTION_PRODUCT:
            return ["description"]
        product = c.snapshot.knowledge.products[product_id]
        return [kind.value for kind in product.fields]

    # -- steps every part takes -------------------------------------------------------------

    @staticmethod
    def _redirect(c: _Context, product: Product) -> None:
        assert product.redirect is not None
        pointer = product.redirect.in_language(c.language)
        c.say("redirect", desk=pointer.split(":")[0], pointer=pointer)
        c.state = {}

    def _same_intake(self, c: _Context, data: dict[str, Any]) -> bool:
        return c.state.get("kind") == "intake" and data.get("token") in (None, c.state.get("token"))

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

    async def _add_note(
        self, number: str, requester: Requester, note: str, upload: dict[str, Any] | None = None
    ) -> Ticket:
        if upload:
            note = f"{note} {upload.get('name', '')}: {upload.get('url', '')}".strip()
        return await self._tickets.act(
            number, Step("note", Actor(requester.id, requester.name), note=note[:4000])
        )
