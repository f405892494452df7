"""Figures for the front-office lead: pure computations over plain rows, no I/O.

``build_report(data, window, ...)`` turns the tickets, matched questions, FAQ votes and
satisfaction ratings of a period into a ``Report`` (``Report.as_dict()`` is what
``frontoffice report --format json`` prints). The rules, in one place:

Window
    ``[start, end)``. A ticket belongs to the period it was *created* in (volumes, SLA,
    lead times, ``total``); charge-back counts what was *delivered* in the period
    (resolved or closed, ``resolved_at`` inside the window), because that is when a
    cost centre is charged. Weeks are ISO weeks in the organisation's time zone.
SLA compliance
    Response is met when ``responded_at <= response_due``; resolution when
    ``resolved_at <= resolve_due``. A ticket not responded to (or not resolved) whose
    deadline has passed at ``now`` is missed too (a breach in progress); one whose
    deadline is still ahead, or that was cancelled without a response, is not judged.
    Compliance = met / (met + missed), as a percentage with one decimal.
Lead times
    Elapsed hours from creation to first response and to resolution, of the tickets that
    have one; median and p90 (nearest rank: the value at rank ceil(0.9 * n)).
Charge-back
    Per (cost centre, product): ``count`` delivered, ``waived`` (a product with a charter
    whose resolution deadline was missed: "anders brengen we niets in rekening") and
    ``amount`` in euros for the rest: a fixed amount per ticket, or the amount times the
    ticket's ``persons`` (the intake's count; 1 when missing) for per-person and per-unit
    prices. Quote products are listed by count with amount 0. Tickets without a cost
    centre are charged to ``"-"``.
Questions
    The texts kept for admins (nothing fitted, a choice was needed, an answer did not
    help) grouped by similarity (rapidfuzz ``token_sort_ratio`` against each group's
    first, most frequent phrasing), biggest group first, with the product the matcher
    leaned to most often (or ``suggest(text)`` when it leaned to none).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from servicedesk.tickets import Status

GROUP_THRESHOLD = 70.0  # token_sort_ratio at or above which two questions are "the same"
NO_COST_CENTRE = "-"
CENT = Decimal("0.01")
_PUNCTUATION = re.compile(r"[^\w\s-]+")


class PriceKind(StrEnum):
    FIXED = "fixed"
    PER_PERSON = "per_person"
    PER_UNIT = "per_unit"
    QUOTE = "quote"


@dataclass(frozen=True, slots=True)
class Tariff:
    """What a product costs its requester's cost centre (the knowledge's ``price``)."""

    kind: PriceKind
    amount: Decimal | None = None  # euros; None for a quote
    charter: bool = False  # the product has a quality promise: a late delivery is free

    def charge(self, persons: int | None) -> Decimal:
        if self.kind is PriceKind.QUOTE or self.amount is None:
            return Decimal(0)
        if self.kind is PriceKind.FIXED:
            return self.amount
        return self.amount * max(1, persons or 1)


# -- the rows the report is made of ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What reporting needs of a ticket (no names, no free text)."""

    number: str
    product_id: str
    queue: str
    kwis: str
    priority: str
    channel: str
    status: str
    created_at: datetime
    response_due: datetime
    resolve_due: datetime
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    cost_centre: str | None = None
    persons: int | None = None


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    at: datetime
    language: str
    decision: str  # what the bot did: answer, intake, choose, redirect, none, emergency, ...
    product_id: str | None
    faq_id: str | None
    score: float
    text: str | None  # kept only for none / choose


@dataclass(frozen=True, slots=True)
class VoteFacts:
    at: datetime
    product_id: str
    faq_id: str
    helpful: bool
    text: str | None  # the question, only for an unhelpful answer


@dataclass(frozen=True, slots=True)
class Rating:
    """A requester's satisfaction with a resolved ticket (1 = very unhappy .. 5)."""

    at: datetime
    score: int
    comment: str | None = None
    ticket: str | None = None


@dataclass(frozen=True)
class InsightData:
    tickets: Sequence[TicketFacts] = ()
    questions: Sequence[QuestionFacts] = ()
    votes: Sequence[VoteFacts] = ()
    ratings: Sequence[Rating] = ()


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    def __contains__(self, at: object) -> bool:
        return isinstance(at, datetime) and self.start <= at < self.end


# -- the report ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compliance:
    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def percent(self) -> float | None:
        judged = self.met + self.missed
        return None if judged == 0 else round(100.0 * self.met / judged, 1)

    def add(self, verdict: str) -> Compliance:
        return Compliance(
            self.met + (verdict == "met"),
            self.missed + (verdict == "missed"),
            self.pending + (verdict == "pending"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "missed": self.missed,
            "pending": self.pending,
            "percent": self.percent,
        }


@dataclass(frozen=True, slots=True)
class Breach:
    number: str
    product_id: str
    queue: str
    priority: str
    kind: str  # response or resolution
    due: datetime
    late_hours: float
    still_open: bool


@dataclass(frozen=True, slots=True)
class LeadTimes:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    count: int
    example: str
    texts: tuple[str, ...]  # distinct phrasings, most frequent first (at most 5)
    decisions: dict[str, int]
    suggested_product: str | None


@dataclass(frozen=True, slots=True)
class FaqVotes:
    product_id: str
    faq_id: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class ChargeRow:
    cost_centre: str
    product: str
    kind: str
    count: int
    waived: int
    amount: Decimal


@dataclass
class Report:
    window: Window
    now: datetime
    total: int
    volume: dict[str, dict[str, dict[str, int]]]  # dimension -> week -> key -> count
    weeks: list[str]
    response: dict[
        str, dict[str, Compliance]
    ]  # "overall" | "queue" | "priority" | "queue/priority"
    resolution: dict[str, dict[str, Compliance]]
    trend: dict[str, dict[str, float | None]]  # week -> {"response": %, "resolution": %}
    breaches: list[Breach]
    response_times: dict[str, LeadTimes]  # "all" and per queue
    lead_times: dict[str, LeadTimes]
    satisfaction: dict[str, Any]
    questions: dict[str, int]  # decision -> count
    unanswered: list[QuestionGroup]
    faq_unhelpful: list[FaqVotes]
    chargeback: list[ChargeRow]
    status: dict[str, int] = field(default_factory=dict)

    @property
    def chargeback_total(self) -> Decimal:
        return sum((row.amount for row in self.chargeback), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        def compliance(table: dict[str, dict[str, Compliance]]) -> dict[str, Any]:
            return {
                scope: {key: value.as_dict() for key, value in values.items()}
                for scope, values in table.items()
            }

        def times(table: dict[str, LeadTimes]) -> dict[str, Any]:
            return {
                key: {"count": v.count, "median_hours": v.median_hours, "p90_hours": v.p90_hours}
                for key, v in table.items()
            }

        return {
            "from": self.window.start.isoformat(),
            "to": self.window.end.isoformat(),
            "as_of": self.now.isoformat(),
            "total": self.total,
            "status": self.status,
            "weeks": self.weeks,
            "volume": self.volume,
            "sla": {
                "response": compliance(self.response),
                "resolution": compliance(self.resolution),
                "trend": self.trend,
            },
            "breaches": {
                "count": len(self.breaches),
                "response": sum(b.kind == "response" for b in self.breaches),
                "resolution": sum(b.kind == "resolution" for b in self.breaches),
                "worst": [
                    {
                        "number": b.number,
                        "product": b.product_id,
                        "queue": b.queue,
                        "priority": b.priority,
                        "kind": b.kind,
                        "due": b.due.isoformat(),
                        "late_hours": b.late_hours,
                        "open": b.still_open,
                    }
                    for b in self.breaches[:25]
                ],
            },
            "response_times": times(self.response_times),
            "lead_times": times(self.lead_times),
            "satisfaction": self.satisfaction,
            "questions": self.questions,
            "unanswered": [
                {
                    "count": g.count,
                    "example": g.example,
                    "texts": list(g.texts),
                    "decisions": g.decisions,
                    "suggested_product": g.suggested_product,
                }
                for g in self.unanswered
            ],
            "faq_unhelpful": [
                {
                    "product": v.product_id,
                    "faq": v.faq_id,
                    "helpful": v.helpful,
                    "unhelpful": v.unhelpful,
                }
                for v in self.faq_unhelpful
            ],
            "chargeback": [
                {
                    "cost_centre": r.cost_centre,
                    "product": r.product,
                    "kind": r.kind,
                    "count": r.count,
                    "waived": r.waived,
                    "amount": float(r.amount),
                }
                for r in self.chargeback
            ],
            "chargeback_total": float(self.chargeback_total),
        }


# -- building it --------------------------------------------------------------------------


def build_report(
    data: InsightData,
    window: Window,
    *,
    now: datetime,
    timezone: ZoneInfo,
    tariffs: Mapping[str, Tariff],
    suggest: Callable[[str], str | None] | None = None,
) -> Report:
    created = sorted(
        (t for t in data.tickets if t.created_at in window), key=lambda t: t.created_at
    )
    weeks = iso_weeks(window, timezone)
    response, resolution, breaches = sla_compliance(created, now)
    return Report(
        window=window,
        now=now,
        total=len(created),
        volume=volumes(created, timezone),
        weeks=weeks,
        response=response,
        resolution=resolution,
        trend=sla_trend(created, now, timezone),
        breaches=breaches,
        response_times=lead_times(created, "response"),
        lead_times=lead_times(created, "resolution"),
        satisfaction=satisfaction([r for r in data.ratings if r.at in window]),
        questions=dict(Counter(q.decision for q in data.questions if q.at in window)),
        unanswered=group_questions(
            [q for q in data.questions if q.at in window],
            [v for v in data.votes if v.at in window],
            suggest,
        ),
        faq_unhelpful=unhelpful_faq([v for v in data.votes if v.at in window]),
        chargeback=chargeback(data.tickets, window, tariffs),
        status=dict(Counter(t.status for t in created)),
    )


def week_of(at: datetime, timezone: ZoneInfo) -> str:
    year, week, _ = at.astimezone(timezone).isocalendar()
    return f"{year}-W{week:02d}"


def iso_weeks(window: Window, timezone: ZoneInfo) -> list[str]:
    """Every ISO week the window touches, in order."""
    weeks: list[str] = []
    at = window.start
    while at < window.end:
        week = week_of(at, timezone)
        if not weeks or weeks[-1] != week:
            weeks.append(week)
        at += timedelta(days=1)
    last = week_of(window.end - timedelta(microseconds=1), timezone)
    if window.end > window.start and weeks[-1] != last:
        weeks.append(last)
    return weeks


def volumes(
    tickets: Iterable[TicketFacts], timezone: ZoneInfo
) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {
        dimension: defaultdict(dict) for dimension in ("product", "queue", "kwis", "channel")
    }
    for ticket in tickets:
        week = week_of(ticket.created_at, timezone)
        for dimension, key in (
            ("product", ticket.product_id),
            ("queue", ticket.queue),
            ("kwis", ticket.kwis),
            ("channel", ticket.channel),
        ):
            counts = out[dimension][week]
            counts[key] = counts.get(key, 0) + 1
    return {dimension: dict(sorted(weeks.items())) for dimension, weeks in out.items()}


def verdict(done: datetime | None, due: datetime, now: datetime, cancelled: bool) -> str:
    """met, missed or pending (see the module docstring)."""
    if done is not None:
        return "met" if done <= due else "missed"
    if cancelled:
        return "pending"  # cancelled without it: not judged
    return "missed" if now > due else "pending"


def _verdicts(ticket: TicketFacts, now: datetime) -> tuple[str, str]:
    cancelled = ticket.status == Status.CANCELLED.value
    return (
        verdict(ticket.responded_at, ticket.response_due, now, cancelled),
        verdict(ticket.resolved_at, ticket.resolve_due, now, cancelled),
    )


def sla_compliance(
    tickets: Iterable[TicketFacts], now: datetime
) -> tuple[dict[str, dict[str, Compliance]], dict[str, dict[str, Compliance]], list[Breach]]:
    scopes = ("overall", "queue", "priority", "queue/priority")
    response: dict[str, dict[str, Compliance]] = {s: {} for s in scopes}
    resolution: dict[str, dict[str, Compliance]] = {s: {} for s in scopes}
    breaches: list[Breach] = []
    for ticket in tickets:
        keys = {
            "overall": "all",
            "queue": ticket.queue,
            "priority": ticket.priority,
            "queue/priority": f"{ticket.queue}/{ticket.priority}",
        }
        for table, kind, result, done, due in zip(
            (response, resolution),
            ("response", "resolution"),
            _verdicts(ticket, now),
            (ticket.responded_at, ticket.resolved_at),
            (ticket.response_due, ticket.resolve_due),
            strict=True,
        ):
            for scope, key in keys.items():
                table[scope][key] = table[scope].get(key, Compliance()).add(result)
            if result == "missed":
                late = (done or now) - due
                breaches.append(
                    Breach(
                        ticket.number,
                        ticket.product_id,
                        ticket.queue,
                        ticket.priority,
                        kind,
                        due,
                        round(late.total_seconds() / 3600, 1),
                        done is None,
                    )
                )
    for table in (response, resolution):
        for scope in scopes:
            table[scope] = dict(sorted(table[scope].items()))
    breaches.sort(key=lambda b: (-b.late_hours, b.number, b.kind))
    return response, resolution, breaches


def sla_trend(
    tickets: Iterable[TicketFacts], now: datetime, timezone: ZoneInfo
) -> dict[str, dict[str, float | None]]:
    """Per ISO week of creation: response and resolution compliance in percent."""
    weekly: dict[str, list[Compliance]] = {}
    for ticket in tickets:
        week = week_of(ticket.created_at, timezone)
        pair = weekly.setdefault(week, [Compliance(), Compliance()])
        response, resolution = _verdicts(ticket, now)
        pair[0], pair[1] = pair[0].add(response), pair[1].add(resolution)
    return {
        week: {"response": pair[0].percent, "resolution": pair[1].percent}
        for week, pair in sorted(weekly.items())
    }


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the value at rank ceil(share * n) of the sorted values."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _times(hours: list[float]) -> LeadTimes:
    if not hours:
        return LeadTimes(0, None, None)
    return LeadTimes(
        len(hours), round(statistics.median(hours), 1), round(percentile(hours, 0.9), 1)
    )


def lead_times(tickets: Iterable[TicketFacts], kind: str) -> dict[str, LeadTimes]:
    by_queue: dict[str, list[float]] = defaultdict(list)
    every: list[float] = []
    for ticket in tickets:
        done = ticket.responded_at if kind == "response" else ticket.resolved_at
        if done is None:
            continue
        hours = (done - ticket.created_at).total_seconds() / 3600
        every.append(hours)
        by_queue[ticket.queue].append(hours)
    result = {"all": _times(every)}
    result.update({queue: _times(values) for queue, values in sorted(by_queue.items())})
    return result


def satisfaction(ratings: Sequence[Rating]) -> dict[str, Any]:
    distribution = {str(score): 0 for score in range(1, 6)}
    for rating in ratings:
        key = str(min(5, max(1, rating.score)))
        distribution[key] += 1
    comments = [
        {"at": r.at.isoformat(), "score": r.score, "comment": r.comment}
        for r in sorted(ratings, key=lambda r: r.at, reverse=True)
        if r.comment
    ]
    average = round(sum(r.score for r in ratings) / len(ratings), 2) if ratings else None
    return {
        "count": len(ratings),
        "average": average,
        "distribution": distribution,
        "comments": comments,
    }


def normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def group_questions(
    questions: Sequence[QuestionFacts],
    votes: Sequence[VoteFacts],
    suggest: Callable[[str], str | None] | None = None,
    threshold: float = GROUP_THRESHOLD,
) -> list[QuestionGroup]:
    """The texts admins should read, grouped by similarity (see the module docstring)."""
    items: list[tuple[str, str, str | None]] = [  # (normalised text, decision, product)
        (normalise(q.text), q.decision, q.product_id)
        for q in questions
        if q.text and q.decision in ("none", "choose")
    ]
    items += [
        (normalise(v.text), "unhelpful", v.product_id) for v in votes if v.text and not v.helpful
    ]
    items = [item for item in items if item[0]]
    frequency = Counter(text for text, _, _ in items)
    first_seen = {text: index for index, (text, _, _) in reversed(list(enumerate(items)))}
    order = sorted(frequency, key=lambda text: (-frequency[text], first_seen[text]))
    representatives: list[str] = []
    group_of: dict[str, int] = {}
    for text in order:
        match = (
            process.extractOne(
                text, representatives, scorer=fuzz.token_sort_ratio, score_cutoff=threshold
            )
            if representatives
            else None
        )
        if match is None:
            group_of[text] = len(representatives)
            representatives.append(text)
        else:
            group_of[text] = int(match[2])
    members: dict[int, list[tuple[str, str, str | None]]] = defaultdict(list)
    for item in items:
        members[group_of[item[0]]].append(item)
    groups: list[QuestionGroup] = []
    for index, rows in members.items():
        texts = Counter(text for text, _, _ in rows)
        products = Counter(product for _, _, product in rows if product)
        suggested = products.most_common(1)[0][0] if products else None
        if suggested is None and suggest is not None:
            suggested = suggest(representatives[index])
        groups.append(
            QuestionGroup(
                count=len(rows),
                example=representatives[index],
                texts=tuple(text for text, _ in texts.most_common(5)),
                decisions=dict(sorted(Counter(decision for _, decision, _ in rows).items())),
                suggested_product=suggested,
            )
        )
    groups.sort(key=lambda g: (-g.count, g.example))
    return groups


def unhelpful_faq(votes: Iterable[VoteFacts]) -> list[FaqVotes]:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for vote in votes:
        tally[(vote.product_id, vote.faq_id)][0 if vote.helpful else 1] += 1
    rows = [FaqVotes(p, f, counts[0], counts[1]) for (p, f), counts in tally.items() if counts[1]]
    rows.sort(key=lambda v: (-v.unhelpful, v.helpful, v.product_id, v.faq_id))
    return rows


def chargeback(
    tickets: Iterable[TicketFacts], window: Window, tariffs: Mapping[str, Tariff]
) -> list[ChargeRow]:
    """Charges for what was delivered in the window (see the module docstring)."""
    rows: dict[tuple[str, str], list[Any]] = {}
    delivered = (Status.RESOLVED.value, Status.CLOSED.value)
    for ticket in tickets:
        tariff = tariffs.get(ticket.product_id)
        if tariff is None or ticket.status not in delivered or ticket.resolved_at not in window:
            continue
        assert ticket.resolved_at is not None
        cost_centre = (ticket.cost_centre or "").strip() or NO_COST_CENTRE
        row = rows.setdefault((cost_centre, ticket.product_id), [0, 0, Decimal(0)])
        row[0] += 1
        if tariff.charter and ticket.resolved_at > ticket.resolve_due:
            row[1] += 1
            continue
        row[2] += tariff.charge(ticket.persons)
    return [
        ChargeRow(
            cost_centre,
            product,
            tariffs[product].kind.value,
            count,
            waived,
            amount.quantize(CENT, ROUND_HALF_UP),
        )
        for (cost_centre, product), (count, waived, amount) in sorted(rows.items())
    ]
