"""Charts of a report, as PNG bytes (matplotlib, Agg: no display, no network).

Three pictures where people would rather look than read: weekly volume by queue
(stacked bars), SLA compliance per week (two lines), and the satisfaction distribution
(bars 1-5). ``volume_chart(..., small=True)`` is the weekly card's picture: the last
eight weeks, small enough (well under 60 KB) to travel as a data URI.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dialogs.messages import t  # noqa: E402
from servicedesk.reporting import Report  # noqa: E402

# Colour-blind safe (Okabe-Ito), in a fixed order so that a queue keeps its colour.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)  # fmt: skip
ACCENT = "#1E6F5C"


def _png(figure: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _short(week: str) -> str:
    return week.split("-")[-1]  # "2026-W48" -> "W48"


def volume_chart(
    report: Report, language: str, queue_names: dict[str, str], *, small: bool = False
) -> bytes:
    weeks = report.weeks[-8:] if small else report.weeks
    by_week: dict[str, dict[str, int]] = report.volume["queue"]
    queues = sorted({q for w in weeks for q in by_week.get(w, {})})
    figure, axes = plt.subplots(figsize=(5.2, 2.6) if small else (10, 4.8))
    bottom = [0] * len(weeks)
    labels = [_short(w) for w in weeks]
    for index, queue in enumerate(queues):
        counts = [by_week.get(w, {}).get(queue, 0) for w in weeks]
        axes.bar(
            labels,
            counts,
            bottom=bottom,
            label=queue_names.get(queue, queue),
            color=PALETTE[index % len(PALETTE)],
            width=0.75,
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_title(t(language, "insight.chart.volume"), fontsize=10 if small else 13)
    axes.set_ylabel(t(language, "insight.chart.count"))
    if not small:
        axes.set_xlabel(t(language, "insight.chart.week"))
        axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    else:
        axes.tick_params(labelsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    if queues:
        axes.legend(
            fontsize=6 if small else 8,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
        )
    return _png(figure, 110 if small else 120)


def sla_chart(report: Report, language: str) -> bytes:
    weeks = [w for w in report.weeks if w in report.trend]
    figure, axes = plt.subplots(figsize=(10, 4.2))
    labels = [_short(w) for w in weeks]
    for kind, colour, marker in (("response", PALETTE[0], "o"), ("resolution", PALETTE[1], "s")):
        values: list[Any] = [report.trend[w][kind] for w in weeks]
        axes.plot(
            labels,
            [v if v is not None else float("nan") for v in values],
            label=t(language, f"insight.kind.{kind}"),
            color=colour,
            marker=marker,
            markersize=4,
        )
    axes.axhline(90, color="#888888", linestyle="--", linewidth=0.8)
    axes.set_ylim(0, 100)
    axes.set_title(t(language, "insight.chart.sla"), fontsize=13)
    axes.set_ylabel(t(language, "insight.chart.percent"))
    axes.set_xlabel(t(language, "insight.chart.week"))
    axes.tick_params(axis="x", labelrotation=60, labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, loc="lower left")
    return _png(figure, 120)


def satisfaction_chart(report: Report, language: str) -> bytes:
    distribution: dict[str, int] = report.satisfaction["distribution"]
    scores = sorted(distribution)
    figure, axes = plt.subplots(figsize=(6, 3.6))
    colours = ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#009E73"]
    bars = axes.bar(scores, [distribution[s] for s in scores], color=colours[: len(scores)])
    axes.bar_label(bars, fontsize=9)
    average = report.satisfaction.get("average")
    title = t(language, "insight.chart.satisfaction")
    if average is not None:
        title += f" · Ø {average}"
    axes.set_title(title, fontsize=12)
    axes.set_xlabel(t(language, "insight.chart.score"))
    axes.set_ylabel(t(language, "insight.chart.count"))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure, 120)
