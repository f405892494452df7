"""Adaptive Card builders: pure functions from data to card JSON (schema 1.5)."""

from __future__ import annotations

from typing import Any

from dialogs.messages import t

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        out["actions"] = actions
    return out


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def execute(title: str, verb: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data or {}}


def choose_card(language: str, choices: list[tuple[str, str]]) -> dict[str, Any]:
    """Two or three products to pick from, plus 'something else'."""
    actions = [
        execute(name, "product.pick", {"product": product_id}) for product_id, name in choices
    ]
    actions.append(execute(t(language, "choose.other"), "product.other"))
    return card([text_block(t(language, "choose.prompt"))], actions)


def notice_card(text: str) -> dict[str, Any]:
    return card([text_block(text)])


def container(items: list[dict[str, Any]], **style: Any) -> dict[str, Any]:
    return {"type": "Container", "items": items, **style}


def fact_set(facts: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]}


def _buttons(actions: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [execute(title, verb, data) for title, verb, data in actions]


def offer_card(
    text: str,
    actions: list[tuple[str, str, dict[str, Any]]],
    preamble: str | None = None,
) -> dict[str, Any]:
    """A short text with buttons (title, verb, data)."""
    body = [text_block(preamble)] if preamble else []
    body.append(text_block(text))
    return card(body, _buttons(actions))


def answer_card(
    language: str,
    answer: str,
    *,
    product_id: str,
    faq_id: str,
    question: str,
    offer: str | None,
) -> dict[str, Any]:
    """An FAQ answer with "was this helpful?" and, for an orderable product, the offer."""
    vote = {"product": product_id, "faq": faq_id, "question": question}
    body = [text_block(answer)]
    actions = [
        execute(t(language, "faq.yes"), "faq.vote", {**vote, "helpful": True}),
        execute(t(language, "faq.no"), "faq.vote", {**vote, "helpful": False}),
    ]
    if offer:
        body.append(text_block(offer, isSubtle=True))
        actions.append(
            execute(t(language, "answer.order"), "product.pick", {"product": product_id})
        )
    body.append(text_block(t(language, "faq.question"), size="Small", isSubtle=True))
    return card(body, actions)


def answered_card(answer: str, thanks: str) -> dict[str, Any]:
    return card([text_block(answer), text_block(thanks, isSubtle=True, size="Small")])


def summary_card(
    language: str,
    *,
    title: str,
    facts: list[tuple[str, str]],
    promise: list[tuple[str, str]],
    confirm: dict[str, Any],
) -> dict[str, Any]:
    """The intake's summary: what was asked, what we promise and charge; confirm or stop."""
    body: list[dict[str, Any]] = [
        text_block(title, size="Medium", weight="Bolder"),
        fact_set(facts),
        container(
            [text_block(t(language, "summary.promise"), weight="Bolder"), fact_set(promise)],
            separator=True,
            spacing="Medium",
        ),
        text_block(t(language, "summary.hint"), isSubtle=True, size="Small"),
    ]
    actions = [
        {**execute(t(language, "summary.confirm"), "intake.confirm", confirm), "style": "positive"},
        execute(t(language, "summary.cancel"), "intake.cancel", confirm),
    ]
    return card(body, actions)


def facts_card(
    title: str, facts: list[tuple[str, str]], actions: list[tuple[str, str, dict[str, Any]]]
) -> dict[str, Any]:
    return card([text_block(title, weight="Bolder"), fact_set(facts)], _buttons(actions))


def ticket_list_card(
    language: str, title: str, rows: list[tuple[str, str, str, str]]
) -> dict[str, Any]:
    """A compact list of tickets: number, product, status, since; each opens its status."""
    body: list[dict[str, Any]] = [text_block(title, weight="Bolder")]
    for number, product, status, since in rows:
        body.append(
            container(
                [
                    text_block(f"**{number}** · {product}"),
                    text_block(f"{status} · {since}", isSubtle=True, spacing="None"),
                ],
                separator=True,
                selectAction=execute(number, "mine.status", {"ticket": number}),
            )
        )
    return card(body)


def emergency_card(title: str, instruction: str) -> dict[str, Any]:
    return card(
        [
            container(
                [
                    text_block(title, weight="Bolder", color="Attention", size="Medium"),
                    text_block(instruction, weight="Bolder"),
                ],
                style="attention",
            )
        ]
    )


def with_preamble(existing: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    """The card with texts put above its body (for a card that replaces a clicked one)."""
    return {**existing, "body": [text_block(text) for text in texts] + list(existing["body"])}


def form_card(
    title: str,
    inputs: list[dict[str, Any]],
    submit: tuple[str, str, dict[str, Any]],
    problems: list[str] | None = None,
) -> dict[str, Any]:
    """A form: inputs and one Action.Execute that sends them (``associatedInputs: auto``)."""
    body: list[dict[str, Any]] = [text_block(title, weight="Bolder")]
    body.extend(text_block(problem, color="Attention") for problem in problems or [])
    body.extend(inputs)
    title_, verb, data = submit
    action = {**execute(title_, verb, data), "associatedInputs": "auto", "style": "positive"}
    return card(body, [action])
