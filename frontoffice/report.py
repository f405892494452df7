"""``frontoffice report`` and ``frontoffice purge``: the figures for the front-office lead,
as text, JSON or CSV, with PNG charts; and the retention purge.

The computations are the core's (``servicedesk.reporting``); this module reads the rows,
adds what the knowledge knows (prices, names, the matcher's suggestion for a question
nobody answered) and renders. Texts come from ``dialogs/locales/*.insight.yaml``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from dialogs.messages import t
from knowledge.catalogue import tariffs
from knowledge.reload import Snapshot
from servicedesk.errors import InputError
from servicedesk.persistence.insight_store import RatingReader, SqlInsightStore
from servicedesk.reporting import InsightData, Report, Window, build_report

CSV_FILE = "chargeback.csv"
CHARTS = ("volume.png", "sla.png", "satisfaction.png")
CSV_COLUMNS = ("cost_centre", "product", "product_name", "price", "count", "waived", "amount")


@dataclass(frozen=True)
class Names:
    """What the knowledge calls things, in one language."""

    products: dict[str, str]
    queues: dict[str, str]

    @classmethod
    def of(cls, snapshot: Snapshot, language: str) -> Names:
        knowledge = snapshot.knowledge
        return cls(
            products={p.id: p.name.in_language(language) for p in knowledge.products.values()},
            queues={q: c.name.in_language(language) for q, c in knowledge.queues.items()},
        )


def timezone_of(snapshot: Snapshot) -> ZoneInfo:
    return ZoneInfo(snapshot.knowledge.organisation.timezone)


def parse_window(start: str | None, end: str | None, today: date, timezone: ZoneInfo) -> Window:
    """``--from``/``--to`` as local dates, both included; by default the last four
    full ISO weeks (Monday to Sunday) before ``today``'s week."""
    try:
        last = date.fromisoformat(end) if end else today - timedelta(days=today.weekday() + 1)
        first = date.fromisoformat(start) if start else last - timedelta(days=27)
    except ValueError as exc:
        raise InputError(f"dates are YYYY-MM-DD: {exc}") from exc
    if first > last:
        raise InputError(f"--from {first} is after --to {last}")
    return Window(
        datetime.combine(first, time(0), timezone),
        datetime.combine(last + timedelta(days=1), time(0), timezone),
    )


def make_report(data: InsightData, window: Window, snapshot: Snapshot, now: datetime) -> Report:
    def suggest(text: str) -> str | None:
        match = snapshot.matcher.match(text)
        return match.candidates[0].product_id if match.candidates else None

    return build_report(
        data,
        window,
        now=now,
        timezone=timezone_of(snapshot),
        tariffs=tariffs(snapshot.knowledge),
        suggest=suggest,
    )


async def load_report(
    engine: Engine,
    window: Window,
    snapshot: Snapshot,
    now: datetime,
    ratings: RatingReader | None = None,
) -> Report:
    data = await SqlInsightStore(engine, ratings=ratings).facts(window)
    return make_report(data, window, snapshot, now)


# -- rendering ------------------------------------------------------------------------------


def euros(amount: Decimal | float, language: str) -> str:
    text = f"{Decimal(str(amount)):,.2f}"
    if language == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return f"€ {text}"
    return f"€{text}"


def _percent(value: float | None, language: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}%"
    return text.replace(".", ",") if language == "nl" else text


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _local_dates(window: Window, timezone: ZoneInfo) -> tuple[str, str]:
    last = (window.end - timedelta(microseconds=1)).astimezone(timezone).date()
    return window.start.astimezone(timezone).date().isoformat(), last.isoformat()


def render_text(report: Report, language: str, snapshot: Snapshot) -> str:
    names = Names.of(snapshot, language)
    first, last = _local_dates(report.window, timezone_of(snapshot))
    lines = [t(language, "insight.title", start=first, end=last), ""]
    lines.append(t(language, "insight.total", total=report.total))
    status = ", ".join(f"{k} {v}" for k, v in sorted(report.status.items()))
    lines.append(f"{t(language, 'insight.status')}: {status}")
    for dimension in ("queue", "kwis", "channel", "product"):
        by_week = report.volume[dimension]
        keys = sorted({k for week in by_week.values() for k in week})
        if dimension == "product":
            totals = {k: sum(w.get(k, 0) for w in by_week.values()) for k in keys}
            keys = sorted(keys, key=lambda k: -totals[k])[:10]
        label = {"queue": names.queues, "product": names.products}.get(dimension, {})
        lines += [
            "",
            f"{t(language, 'insight.volume')} {t(language, 'insight.volume.by', dimension=t(language, f'insight.dimension.{dimension}'))}",
        ]
        header = f"  {'':28}" + "".join(f"{w.split('-')[-1]:>5}" for w in report.weeks)
        lines.append(header + "  Σ")
        for key in keys:
            counts = [by_week.get(w, {}).get(key, 0) for w in report.weeks]
            name = label.get(key, key)[:28]
            lines.append(f"  {name:28}" + "".join(f"{c:>5}" for c in counts) + f"  {sum(counts)}")
    lines += ["", t(language, "insight.sla")]
    overall_r, overall_s = report.response["overall"], report.resolution["overall"]
    if "all" in overall_r:
        lines.append(
            f"  {t(language, 'insight.sla.overall'):28} {_percent(overall_r['all'].percent, language):>7} / "
            f"{_percent(overall_s['all'].percent, language):>7}"
        )
    for key in report.response["queue/priority"]:
        queue, priority = key.split("/")
        name = f"{names.queues.get(queue, queue)} {priority}"[:28]
        lines.append(
            f"  {name:28} {_percent(report.response['queue/priority'][key].percent, language):>7} / "
            f"{_percent(report.resolution['queue/priority'][key].percent, language):>7}"
        )
    response = sum(b.kind == "response" for b in report.breaches)
    lines += [
        "",
        t(
            language,
            "insight.breaches",
            count=len(report.breaches),
            response=response,
            resolution=len(report.breaches) - response,
        ),
    ]
    for breach in report.breaches[:10]:
        lines.append(
            "  "
            + t(
                language,
                "insight.breach.line",
                number=breach.number,
                product=names.products.get(breach.product_id, breach.product_id),
                queue=names.queues.get(breach.queue, breach.queue),
                priority=breach.priority,
                kind=t(language, f"insight.kind.{breach.kind}"),
                late=f"{breach.late_hours:g}",
                open=t(language, "insight.breach.open") if breach.still_open else "",
            )
        )
    lines += ["", t(language, "insight.lead_times")]
    for scope, resolution in report.lead_times.items():
        response_times = report.response_times.get(scope)
        lines.append(
            "  "
            + t(
                language,
                "insight.lead_times.line",
                scope=t(language, "insight.sla.overall")
                if scope == "all"
                else names.queues.get(scope, scope),
                response_median=_hours(response_times.median_hours if response_times else None),
                response_p90=_hours(response_times.p90_hours if response_times else None),
                resolution_median=_hours(resolution.median_hours),
                resolution_p90=_hours(resolution.p90_hours),
                count=resolution.count,
            )
        )
    lines += ["", t(language, "insight.satisfaction")]
    satisfaction = report.satisfaction
    if satisfaction["count"]:
        average = f"{satisfaction['average']:.2f}"
        lines.append(
            "  "
            + t(
                language,
                "insight.satisfaction.line",
                count=satisfaction["count"],
                average=average.replace(".", ",") if language == "nl" else average,
            )
        )
        distribution = "  ".join(f"{k}★ {v}" for k, v in satisfaction["distribution"].items())
        lines.append(
            "  " + t(language, "insight.satisfaction.distribution", distribution=distribution)
        )
        if satisfaction["comments"]:
            lines.append("  " + t(language, "insight.satisfaction.comments"))
            for comment in satisfaction["comments"][:5]:
                lines.append(f"    {comment['score']}★ {comment['comment']}")
    else:
        lines.append("  " + t(language, "insight.satisfaction.none"))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.questions.items()))
    lines += ["", t(language, "insight.questions", counts=counts or "0")]
    lines += ["", t(language, "insight.unanswered")]
    for group in report.unanswered[:10]:
        product = group.suggested_product
        lines.append(
            "  "
            + t(
                language,
                "insight.unanswered.line",
                count=group.count,
                example=group.example,
                product=names.products.get(product, product)
                if product
                else t(language, "insight.unanswered.no_product"),
            )
        )
    if not report.unanswered:
        lines.append("  " + t(language, "insight.unanswered.none"))
    lines += ["", t(language, "insight.faq")]
    for votes in report.faq_unhelpful[:10]:
        lines.append(
            "  "
            + t(
                language,
                "insight.faq.line",
                product=names.products.get(votes.product_id, votes.product_id),
                faq=votes.faq_id,
                unhelpful=votes.unhelpful,
                helpful=votes.helpful,
            )
        )
    if not report.faq_unhelpful:
        lines.append("  " + t(language, "insight.unanswered.none"))
    lines += ["", t(language, "insight.chargeback")]
    for row in report.chargeback:
        amount = (
            t(language, "insight.chargeback.quote")
            if row.kind == "quote"
            else euros(row.amount, language)
        )
        lines.append(
            "  "
            + t(
                language,
                "insight.chargeback.line",
                cost_centre=row.cost_centre,
                product=names.products.get(row.product, row.product),
                count=row.count,
                amount=amount,
                waived=t(language, "insight.chargeback.waived", waived=row.waived)
                if row.waived
                else "",
            )
        )
    lines.append(
        "  "
        + t(language, "insight.chargeback.total", amount=euros(report.chargeback_total, language))
    )
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection): a cell that
    starts with =, +, -, @, a tab or a line break (or their full-width forms) gets a
    leading apostrophe, as OWASP advises. A lone "-" (no cost centre) is no formula and
    stays. Numbers we compute are written as they are."""
    return "'" + text if text.startswith(FORMULA_STARTS) and text != "-" else text


def chargeback_csv(report: Report, snapshot: Snapshot) -> str:
    """For finance: one row per cost centre and product; amounts in euros with a point.
    Text cells (cost centres come from employees and the ticket API) are made
    spreadsheet-safe."""
    names = Names.of(snapshot, "nl")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.chargeback:
        writer.writerow(
            (
                spreadsheet_safe(row.cost_centre),
                spreadsheet_safe(row.product),
                spreadsheet_safe(names.products.get(row.product, row.product)),
                spreadsheet_safe(row.kind),
                row.count,
                row.waived,
                f"{row.amount:.2f}",
            )
        )
    return buffer.getvalue()


def write_files(report: Report, out: Path, language: str, snapshot: Snapshot) -> list[Path]:
    from frontoffice import charts

    out.mkdir(parents=True, exist_ok=True)
    names = Names.of(snapshot, language)
    pictures: dict[str, bytes] = {
        CHARTS[0]: charts.volume_chart(report, language, names.queues),
        CHARTS[1]: charts.sla_chart(report, language),
        CHARTS[2]: charts.satisfaction_chart(report, language),
    }
    written = [out / CSV_FILE]
    written[0].write_text(chargeback_csv(report, snapshot), "utf-8")
    for name, data in pictures.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written


def summary(report: Report) -> dict[str, Any]:
    """The key figures of the weekly card."""
    top = report.unanswered[0] if report.unanswered else None
    return {
        "total": report.total,
        "response": report.response["overall"].get("all"),
        "resolution": report.resolution["overall"].get("all"),
        "breaches": len(report.breaches),
        "satisfaction": report.satisfaction.get("average"),
        "ratings": report.satisfaction.get("count", 0),
        "unanswered": sum(g.count for g in report.unanswered),
        "top_question": top.example if top else None,
        "chargeback": report.chargeback_total,
    }
