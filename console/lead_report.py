"""The report on the lead's view: the figures and charts of ``frontoffice report`` for a
window, and its charge-back CSV.

Everything comes from the CLI's code: ``frontoffice.report.parse_window`` (the same
default: the last four full ISO weeks), ``load_report`` (the same facts and Report),
``render_text`` (the same text), ``summary`` (the weekly card's key figures),
``chargeback_csv`` (the same CSV, cells made spreadsheet-safe) and
``frontoffice.charts`` (the same PNGs, embedded as ``data:`` images: the CSP allows them).
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.keys import CLOCK, KNOWLEDGE, STORE_ENGINE
from console.web import language, render, require
from frontoffice import report as reporting
from knowledge.reload import Snapshot
from servicedesk.errors import InputError
from servicedesk.persistence.insight_store import SqlInsightStore
from servicedesk.reporting import InsightData, Report, Window

_CHARTS = threading.Lock()  # pyplot keeps global state: one drawing at a time


@dataclass(frozen=True)
class Period:
    window: Window
    first: date  # local dates, both included
    last: date

    @property
    def query(self) -> str:
        return f"from={self.first.isoformat()}&to={self.last.isoformat()}"


def period_of(
    request: web.Request,
    snapshot: Snapshot,
    fields: Mapping[str, Any] | None = None,
    *,
    up_to_today: bool = False,
) -> Period:
    """The window of ``?from=&to=`` (or those ``fields`` of a form), YYYY-MM-DD, by
    default the last 4 full ISO weeks, as ``frontoffice report`` (``up_to_today``: this
    week so far and the three before it, for questions to teach while they are fresh);
    ``InputError`` for a bad date or a window that ends before it starts."""
    timezone = reporting.timezone_of(snapshot)
    today = request.config_dict[CLOCK].now().astimezone(timezone).date()
    given = request.query if fields is None else fields
    start = str(given.get("from", "")).strip() or None
    end = str(given.get("to", "")).strip() or None
    if up_to_today and start is None and end is None:
        start = (today - timedelta(days=today.weekday(), weeks=3)).isoformat()
        end = today.isoformat()
    window = reporting.parse_window(start, end, today, timezone)
    first = window.start.astimezone(timezone).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(timezone).date()
    return Period(window, first, last)


async def load(
    request: web.Request, snapshot: Snapshot, period: Period
) -> tuple[InsightData, Report]:
    """The window's facts and the Report built from them, as ``frontoffice report`` does
    (``load_report`` = these two steps)."""
    engine = request.config_dict[STORE_ENGINE]
    now = request.config_dict[CLOCK].now()
    data = await SqlInsightStore(engine).facts(period.window)
    report = await asyncio.to_thread(reporting.make_report, data, period.window, snapshot, now)
    return data, report


def local_time(snapshot: Snapshot, at: datetime | None) -> str:
    """A stored moment as the organisation's local "YYYY-MM-DD HH:MM"."""
    if at is None:
        return ""
    return at.astimezone(reporting.timezone_of(snapshot)).strftime("%Y-%m-%d %H:%M")


def _charts(report: Report, lang: str, snapshot: Snapshot) -> list[tuple[str, str]]:
    from frontoffice import charts

    names = reporting.Names.of(snapshot, lang)
    with _CHARTS:
        pictures = (
            ("volume", charts.volume_chart(report, lang, names.queues)),
            ("sla", charts.sla_chart(report, lang)),
            ("satisfaction", charts.satisfaction_chart(report, lang)),
        )
    return [
        (name, "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
        for name, data in pictures
    ]


def bad_window(request: web.Request, template: str, exc: InputError) -> web.Response:
    return render(
        request,
        template,
        {
            "bad_window": str(exc),
            "start": request.query.get("from", ""),
            "end": request.query.get("to", ""),
        },
        status=400,
    )


async def report_page(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    snapshot = request.config_dict[KNOWLEDGE].current()
    try:
        period = period_of(request, snapshot)
    except InputError as exc:
        return bad_window(request, "lead_report.html", exc)
    lang = language(request)
    _, report = await load(request, snapshot, period)
    text = reporting.render_text(report, lang, snapshot)
    charts = await asyncio.to_thread(_charts, report, lang, snapshot)
    figures = reporting.summary(report)
    return render(
        request,
        "lead_report.html",
        {
            "period": period,
            "start": period.first.isoformat(),
            "end": period.last.isoformat(),
            "figures": figures,
            "response": figures["response"].percent if figures["response"] else None,
            "resolution": figures["resolution"].percent if figures["resolution"] else None,
            "chargeback": reporting.euros(figures["chargeback"], lang),
            "text": text,
            "charts": charts,
        },
    )


async def chargeback_csv(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    snapshot = request.config_dict[KNOWLEDGE].current()
    try:
        period = period_of(request, snapshot)
    except InputError as exc:
        return bad_window(request, "lead_report.html", exc)
    _, report = await load(request, snapshot, period)
    body = reporting.chargeback_csv(report, snapshot)
    name = f"chargeback-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(console: web.Application) -> None:
    console.router.add_get("/lead/report", report_page)
    console.router.add_get("/lead/report/chargeback.csv", chargeback_csv)
