"""Clicks on notification cards in the personal chat (``bot.teams_bot.CardActionHandler``):
``notify.solved``, ``notify.unsolved`` and ``notify.rate`` (``servicedesk.feedback``).

The clicker must be the ticket's requester or a follower (their Entra object id);
anyone else gets a polite card and nothing changes. A double click finds the answer
already recorded and gets the same thanks.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse

from dialogs.language import from_locale
from dialogs.messages import t
from dialogs.notify_cards import RATE, SOLVED, UNSOLVED, VERBS, answer_card
from servicedesk.feedback import Answer, Feedback
from servicedesk.service import UnknownTicket
from servicedesk.tickets import Actor, IllegalTransition

log = logging.getLogger(__name__)
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_RECORDED = {
    SOLVED: "notify.answer.solved",
    UNSOLVED: "notify.answer.unsolved",
    RATE: "notify.answer.rated",
}


class NotificationActions:
    def __init__(self, feedback: Feedback, default_language: str = "nl") -> None:
        self._feedback = feedback
        self._default_language = default_language

    def handles(self, verb: str) -> bool:
        return verb in VERBS

    async def on_card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any]
    ) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        language = from_locale(activity.locale) or self._default_language
        sender = activity.from_property
        person = Actor(
            (sender.aad_object_id or sender.id or "") if sender else "",
            (sender.name or "") if sender else "",
        )
        number = str(data.get("ticket") or "")[:32]
        if verb == RATE:
            rating = _rating(data.get("rating"))
            if rating is None:
                return AdaptiveCardInvokeResponse(
                    status_code=400,
                    type="application/vnd.microsoft.error",
                    value={
                        "code": "BadRequest",
                        "message": t(language, "notify.answer.rating_missing"),
                    },
                )
        try:
            if not person.id or not number:
                raise UnknownTicket("no ticket or no person")
            if verb == SOLVED:
                answer = await self._feedback.solved(number, person)
            elif verb == UNSOLVED:
                note = t(language, "notify.answer.unsolved_note")
                answer = await self._feedback.unsolved(number, person, note)
            else:
                comment = str(data.get("comment") or "")
                answer = await self._feedback.rate(number, person, rating or 0, comment)
        except (UnknownTicket, IllegalTransition):
            log.info("notification card action refused", extra={"verb": verb})
            return _card(answer_card(language, "notify.answer.not_yours"))
        log.info("notification card action", extra={"verb": verb, "answer": answer.value})
        if answer is Answer.RECORDED:
            return _card(answer_card(language, _RECORDED[verb], number=number))
        if answer is Answer.ALREADY:
            return _card(answer_card(language, "notify.answer.already", number=number))
        ticket = await self._feedback.status_of(number)
        status = t(language, f"status.{ticket}").lower()
        return _card(answer_card(language, "notify.answer.too_late", number=number, status=status))


def _rating(value: object) -> int | None:
    try:
        rating = int(str(value))
    except ValueError:
        return None
    return rating if 1 <= rating <= 5 else None


def _card(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card)
