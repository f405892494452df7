"""What a notification says: pure functions from a ``NoticeView`` (strings already in the
reader's language) to a ``Reply`` — plain text, or an Adaptive Card 1.5 with
``Action.Execute`` verbs ``notify.solved``, ``notify.unsolved`` and ``notify.rate``.
Texts: ``locales/<lang>.notify.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs.cards import card, container, execute, fact_set, text_block
from dialogs.messages import t
from dialogs.replies import Reply

SOLVED, UNSOLVED, RATE = "notify.solved", "notify.unsolved", "notify.rate"
VERBS = (SOLVED, UNSOLVED, RATE)


@dataclass(frozen=True, slots=True)
class NoticeView:
    kind: str  # servicedesk.notifications.NotificationKind value
    language: str
    role: str  # requester | follower | queue | lead
    number: str
    product: str
    queue: str = ""
    note: str = ""
    response: str = ""  # "binnen 4 kantooruren (uiterlijk dinsdag 1 december om 14:00)"
    resolution: str = ""
    charter: str = ""
    moment: str = ""  # the moment the message is about (new date, deadline)
    status: str = ""
    assignee: str = ""
    deadline: str = ""  # for escalations: response | resolution


def render(view: NoticeView) -> Reply:
    """The message for one notification."""
    builder = _BUILDERS.get(view.kind)
    if builder is None:
        raise ValueError(f"no message for notifications of kind {view.kind!r}")
    return builder(view)


def _follower_line(view: NoticeView) -> list[dict[str, Any]]:
    if view.role != "follower":
        return []
    return [text_block(t(view.language, "notify.follower"), isSubtle=True, size="Small")]


def _prefixed(view: NoticeView, text: str) -> Reply:
    if view.role == "follower":
        return Reply(text=f"{t(view.language, 'notify.follower')}\n\n{text}")
    return Reply(text=text)


def confirmation_card(view: NoticeView) -> dict[str, Any]:
    language = view.language
    facts = [
        (t(language, "notify.fact.number"), view.number),
        (t(language, "notify.fact.product"), view.product),
        (t(language, "notify.fact.response"), view.response),
        (t(language, "notify.fact.resolution"), view.resolution),
    ]
    if view.charter:
        facts.append((t(language, "notify.fact.charter"), view.charter))
    return card(
        [
            text_block(t(language, "notify.confirmation.title"), weight="Bolder", size="Medium"),
            text_block(
                t(
                    language,
                    "notify.confirmation.intro",
                    number=view.number,
                    product=view.product,
                    queue=view.queue,
                )
            ),
            fact_set(facts),
            text_block(t(language, "notify.confirmation.next")),
        ]
    )


def completion_card(view: NoticeView) -> dict[str, Any]:
    language = view.language
    body = [
        *_follower_line(view),
        text_block(t(language, "notify.completion.title"), weight="Bolder", size="Medium"),
        text_block(t(language, "notify.completion.text", number=view.number, product=view.product)),
    ]
    if view.note:
        body.append(text_block(t(language, "notify.completion.note", note=view.note)))
    body.append(text_block(t(language, "notify.completion.question"), weight="Bolder"))
    data = {"ticket": view.number}
    return card(
        body,
        [
            execute(t(language, "notify.completion.solved"), SOLVED, data),
            execute(t(language, "notify.completion.unsolved"), UNSOLVED, data),
        ],
    )


def followup_card(view: NoticeView) -> dict[str, Any]:
    language = view.language
    choices = [
        {"title": t(language, f"notify.followup.rating.{n}"), "value": str(n)} for n in range(1, 6)
    ]
    body = [
        *_follower_line(view),
        text_block(t(language, "notify.followup.title"), weight="Bolder", size="Medium"),
        text_block(t(language, "notify.followup.text", number=view.number, product=view.product)),
        {
            "type": "Input.ChoiceSet",
            "id": "rating",
            "label": t(language, "notify.followup.rating"),
            "style": "expanded",
            "isRequired": True,
            "errorMessage": t(language, "notify.answer.rating_missing"),
            "choices": choices,
        },
        {
            "type": "Input.Text",
            "id": "comment",
            "label": t(language, "notify.followup.comment"),
            "isMultiline": True,
            "maxLength": 1000,
        },
    ]
    action = execute(t(language, "notify.followup.send"), RATE, {"ticket": view.number})
    action["associatedInputs"] = "auto"
    return card(body, [action])


def answer_card(language: str, key: str, **values: object) -> dict[str, Any]:
    """The card that replaces a clicked notification card."""
    return card([container([text_block(t(language, key, **values))], style="emphasis")])


def _confirmation(view: NoticeView) -> Reply:
    return Reply(card=confirmation_card(view))


def _progress(view: NoticeView) -> Reply:
    text = t(
        view.language, "notify.progress", number=view.number, product=view.product, note=view.note
    )
    return _prefixed(view, text)


def _delay(view: NoticeView) -> Reply:
    text = t(
        view.language,
        "notify.delay",
        number=view.number,
        product=view.product,
        reason=view.note,
        moment=view.moment,
    )
    return _prefixed(view, text)


def _at_risk(view: NoticeView) -> Reply:
    text = t(
        view.language,
        "notify.at_risk",
        number=view.number,
        product=view.product,
        moment=view.moment,
    )
    return _prefixed(view, text)


def _completion(view: NoticeView) -> Reply:
    return Reply(card=completion_card(view))


def _followup(view: NoticeView) -> Reply:
    return Reply(card=followup_card(view))


def _escalation(view: NoticeView) -> Reply:
    key = (
        "notify.escalation.response"
        if view.deadline == "response"
        else "notify.escalation.resolution"
    )
    return Reply(
        text=t(
            view.language,
            key,
            number=view.number,
            product=view.product,
            moment=view.moment,
            status=view.status,
            assignee=view.assignee or t(view.language, "notify.escalation.nobody"),
        )
    )


def _reopened(view: NoticeView) -> Reply:
    return Reply(text=t(view.language, "notify.reopened", number=view.number, product=view.product))


_BUILDERS = {
    "confirmation": _confirmation,
    "progress": _progress,
    "delay": _delay,
    "at_risk": _at_risk,
    "completion": _completion,
    "followup": _followup,
    "escalation": _escalation,
    "reopened": _reopened,
}
