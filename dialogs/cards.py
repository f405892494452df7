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


def product_card(
    language: str,
    *,
    title: str,
    intro: str,
    facts: list[tuple[str, str]],
    footer: str | None,
) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        text_block(title, size="Medium", weight="Bolder"),
        text_block(intro),
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]},
    ]
    if footer:
        body.append(text_block(footer, isSubtle=True))
    return card(body)


def choose_card(language: str, choices: list[tuple[str, str]]) -> dict[str, Any]:
    """Two or three products to pick from, plus 'something else'."""
    actions = [
        execute(name, "product.pick", {"product": product_id}) for product_id, name in choices
    ]
    actions.append(execute(t(language, "choose.other"), "product.other"))
    return card([text_block(t(language, "choose.prompt"))], actions)


def notice_card(text: str) -> dict[str, Any]:
    return card([text_block(text)])
