"""The weekly summary card for the front office's admin channel (Adaptive Cards 1.5).

A pure function from the week's key figures and one chart (PNG bytes, sent as a
``data:`` URI: an Adaptive Card image needs a URL, and the chart must not be public).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dialogs.cards import card, fact_set, text_block
from dialogs.messages import t

MAX_CHART_BYTES = 60_000


@dataclass(frozen=True)
class WeekFigures:
    week: str  # "2026-W48"
    start: str  # local dates, as shown
    end: str
    total: int
    response_percent: float | None
    resolution_percent: float | None
    breaches: int
    satisfaction: float | None
    ratings: int
    unanswered: int
    top_question: str | None
    chargeback: Decimal


def _percent(value: float | None, language: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}%"
    return text.replace(".", ",") if language == "nl" else text


def _euros(amount: Decimal, language: str) -> str:
    text = f"{amount:,.2f}"
    if language == "nl":
        return "€ " + text.replace(",", "_").replace(".", ",").replace("_", ".")
    return "€" + text


def _column(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "Column",
        "width": "stretch",
        "items": [
            text_block(value, size="ExtraLarge", weight="Bolder", color="Accent", spacing="None"),
            text_block(label, size="Small", isSubtle=True, spacing="None"),
        ],
    }


def weekly_card(language: str, figures: WeekFigures, chart: bytes | None) -> dict[str, Any]:
    satisfaction = (
        "–"
        if figures.satisfaction is None
        else f"{figures.satisfaction:.1f}".replace(".", "," if language == "nl" else ".")
        + f"/5 ({figures.ratings})"
    )
    body: list[dict[str, Any]] = [
        text_block(
            t(language, "insight.card.title", week=figures.week), size="Large", weight="Bolder"
        ),
        text_block(
            t(language, "insight.card.subtitle", start=figures.start, end=figures.end),
            isSubtle=True,
            spacing="None",
        ),
        {
            "type": "ColumnSet",
            "columns": [
                _column(t(language, "insight.card.tickets"), str(figures.total)),
                _column(
                    t(language, "insight.card.response"),
                    _percent(figures.response_percent, language),
                ),
                _column(
                    t(language, "insight.card.resolution"),
                    _percent(figures.resolution_percent, language),
                ),
            ],
        },
        fact_set(
            [
                (t(language, "insight.card.breaches"), str(figures.breaches)),
                (t(language, "insight.card.satisfaction"), satisfaction),
                (t(language, "insight.card.unanswered"), str(figures.unanswered)),
                (t(language, "insight.card.chargeback"), _euros(figures.chargeback, language)),
            ]
        ),
    ]
    if figures.top_question:
        body.append(
            text_block(
                f"{t(language, 'insight.card.top_question')}: “{figures.top_question}”",
                size="Small",
            )
        )
    if chart is not None and len(chart) <= MAX_CHART_BYTES:
        body.append(
            {
                "type": "Image",
                "url": "data:image/png;base64," + base64.b64encode(chart).decode("ascii"),
                "altText": t(language, "insight.card.chart_alt"),
                "size": "Stretch",
            }
        )
    body.append(text_block(t(language, "insight.card.footer"), size="Small", isSubtle=True))
    return card(body)
