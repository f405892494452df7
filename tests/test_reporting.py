"""The report's figures on a generated history of 3,000 tickets (deterministic seed),
read back from the database, against values computed here straight from the history
with plain loops (not the reporting code).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frontoffice import history as generated
from frontoffice.cli import main
from frontoffice.report import load_report, render_text
from knowledge.reload import Snapshot
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.reporting import Report
from servicedesk.tickets import Status, Ticket

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PER_PERSON = {"catering.lunch": Decimal("8.50"), "catering.vergadering": Decimal("1.75")}
QUOTE = {
    "catering.borrel",
    "evenement",
    "huisvesting.aanpassing",
    "post.koerier",
    "schoonmaak.glasbewassing",
    "repro.drukwerk",
}


@pytest.fixture(scope="module")
def history(snapshot_module: Snapshot) -> generated.History:
    return generated.generate(snapshot_module.knowledge, count=3000)


@pytest.fixture(scope="module")
def snapshot_module() -> Snapshot:
    from knowledge.loader import DEFAULT_DIR
    from knowledge.reload import build_snapshot

    return build_snapshot(DEFAULT_DIR)


@pytest.fixture
def report(db_url: str, history: generated.History, snapshot_module: Snapshot) -> Iterator[Report]:
    migrate(db_url)
    engine = create_engine(db_url)
    generated.write(engine, history)
    try:
        import asyncio

        yield asyncio.run(
            load_report(
                engine,
                history.window,
                snapshot_module,
                history.window.end,
            )
        )
    finally:
        engine.dispose()


# -- independent computations --------------------------------------------------------------


def _judge(done: datetime | None, due: datetime, now: datetime, ticket: Ticket) -> str | None:
    if done is not None:
        return "met" if done <= due else "missed"
    if ticket.status is Status.CANCELLED:
        return None
    return "missed" if now > due else None


def _percent(verdicts: list[str | None]) -> float | None:
    met = verdicts.count("met")
    missed = verdicts.count("missed")
    return None if met + missed == 0 else round(100 * met / (met + missed), 1)


def _nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# -- the tests ---------------------------------------------------------------------------------


def test_the_history_is_a_few_thousand_tickets_and_the_same_for_the_same_seed(
    history: generated.History, snapshot_module: Snapshot
) -> None:
    again = generated.generate(snapshot_module.knowledge, count=3000)
    assert len(history.tickets) == 3000
    assert [t.number for t in again.tickets[:50]] == [t.number for t in history.tickets[:50]]
    assert [t.created_at for t in again.tickets] == [t.created_at for t in history.tickets]
    assert {t.status for t in history.tickets} >= {Status.CLOSED, Status.CANCELLED, Status.RESOLVED}


def test_total_and_weekly_volume_by_queue_kwis_and_channel(
    report: Report, history: generated.History
) -> None:
    created = [
        t for t in history.tickets if history.window.start <= t.created_at < history.window.end
    ]
    assert report.total == len(created) == 3000
    for dimension, key in (
        ("queue", lambda t: t.queue),
        ("kwis", lambda t: t.kwis),
        ("channel", lambda t: t.channel.value),
        ("product", lambda t: t.product_id),
    ):
        expected: dict[str, dict[str, int]] = defaultdict(dict)
        for ticket in created:
            year, week, _ = ticket.created_at.astimezone(AMSTERDAM).isocalendar()
            counts = expected[f"{year}-W{week:02d}"]
            counts[key(ticket)] = counts.get(key(ticket), 0) + 1
        assert report.volume[dimension] == dict(expected), dimension
    assert len(report.weeks) == 26 and report.weeks[0] == "2026-W23"


def test_sla_compliance_per_queue_and_priority(report: Report, history: generated.History) -> None:
    now = history.window.end
    response: dict[str, list[str | None]] = defaultdict(list)
    resolution: dict[str, list[str | None]] = defaultdict(list)
    for ticket in history.tickets:
        for key in ("all", f"{ticket.queue}/{ticket.priority}"):
            response[key].append(
                _judge(ticket.responded_at, ticket.deadlines.response_due, now, ticket)
            )
            resolution[key].append(
                _judge(ticket.resolved_at, ticket.deadlines.resolve_due, now, ticket)
            )
    assert report.response["overall"]["all"].percent == _percent(response["all"])
    assert report.resolution["overall"]["all"].percent == _percent(resolution["all"])
    for key, verdicts in response.items():
        if key == "all":
            continue
        assert report.response["queue/priority"][key].percent == _percent(verdicts), key
        assert report.resolution["queue/priority"][key].percent == _percent(resolution[key]), key
    missed = sum(v == "missed" for v in response["all"]) + sum(
        v == "missed" for v in resolution["all"]
    )
    assert len(report.breaches) == missed
    assert 80 < (report.response["overall"]["all"].percent or 0) < 95  # a believable desk


def test_median_and_p90_lead_times(report: Report, history: generated.History) -> None:
    hours = [
        (t.resolved_at - t.created_at).total_seconds() / 3600
        for t in history.tickets
        if t.resolved_at is not None
    ]
    lead = report.lead_times["all"]
    assert lead.count == len(hours)
    assert lead.median_hours == round(_median(hours), 1)
    assert lead.p90_hours == round(_nearest_rank(hours, 0.9), 1)
    catering = [
        (t.resolved_at - t.created_at).total_seconds() / 3600
        for t in history.tickets
        if t.resolved_at is not None and t.queue == "catering"
    ]
    assert report.lead_times["catering"].p90_hours == round(_nearest_rank(catering, 0.9), 1)


def test_chargeback_per_cost_centre_leaves_out_charter_misses_and_counts_quotes(
    report: Report, history: generated.History
) -> None:
    expected: dict[tuple[str, str], list[Any]] = {}
    for ticket in history.tickets:
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            continue
        if ticket.product_id not in PER_PERSON and ticket.product_id not in QUOTE:
            continue
        assert ticket.resolved_at is not None
        row = expected.setdefault(
            (ticket.fields.get("cost_centre", "-"), ticket.product_id), [0, 0, Decimal(0)]
        )
        row[0] += 1
        if ticket.product_id in PER_PERSON:
            if ticket.resolved_at > ticket.deadlines.resolve_due:  # the charter: then free
                row[1] += 1
            else:
                row[2] += PER_PERSON[ticket.product_id] * ticket.fields["persons"]
    got = {(r.cost_centre, r.product): [r.count, r.waived, r.amount] for r in report.chargeback}
    assert got == expected
    assert any(waived for _, waived, _ in expected.values())
    assert all(r.amount == 0 for r in report.chargeback if r.kind == "quote")
    assert report.chargeback_total == sum(row[2] for row in expected.values())


def test_satisfaction_average_distribution_and_comments(
    report: Report, history: generated.History
) -> None:
    ratings = [r for r in history.ratings if history.window.start <= r.at < history.window.end]
    assert report.satisfaction["count"] == len(ratings) > 500
    assert report.satisfaction["average"] == round(sum(r.score for r in ratings) / len(ratings), 2)
    counts = Counter(r.score for r in ratings)
    assert report.satisfaction["distribution"] == {str(s): counts[s] for s in range(1, 6)}
    assert len(report.satisfaction["comments"]) == sum(1 for r in ratings if r.comment)


def test_unanswered_questions_are_grouped_by_topic_with_a_suggested_product(
    report: Report, history: generated.History
) -> None:
    by_topic = Counter(topic for topic in history.topics if topic is not None)
    groups = {g.example: g for g in report.unanswered}
    for decision, base, product, _ in generated.TOPICS:
        group = next(g for g in report.unanswered if base in {_plain(x) for x in g.texts})
        assert group.count == by_topic[base], base
        assert set(group.decisions) == {decision}
        if product is not None:
            assert group.suggested_product == product
    lunch = next(g for g in report.unanswered if "werklunch" in g.example)
    unhelpful = sum(1 for v in history.votes if not v.helpful and v.product_id == "catering.lunch")
    assert lunch.count == unhelpful and lunch.decisions == {"unhelpful": unhelpful}
    assert report.unanswered[0].count == max(g.count for g in groups.values())


def _plain(text: str) -> str:
    for prefix in ("hoi ", "goedemorgen ", "vraagje "):
        text = text.removeprefix(prefix)
    return text


def test_faq_entries_voted_unhelpful(report: Report, history: generated.History) -> None:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for vote in history.votes:
        tally[(vote.product_id, vote.faq_id)][0 if vote.helpful else 1] += 1
    expected = {key: counts for key, counts in tally.items() if counts[1]}
    got = {(v.product_id, v.faq_id): [v.helpful, v.unhelpful] for v in report.faq_unhelpful}
    assert got == expected
    assert report.faq_unhelpful[0].product_id == "catering.lunch"


def test_the_text_report_names_things_as_the_lead_knows_them(
    report: Report, snapshot_module: Snapshot
) -> None:
    text = render_text(report, "nl", snapshot_module)
    assert "Meldingen aangemaakt: 3000" in text
    assert "Technische dienst" in text and "Werklunch bestellen" in text
    assert "€" in text and "niet in rekening gebracht" in text
    english = render_text(report, "en", snapshot_module)
    assert "Tickets created: 3000" in english


def test_report_command_prints_json_and_writes_csv_and_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--demo", "400", "--format", "json", "--out", str(tmp_path)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["total"] == 400
    assert figures["chargeback"] and set(figures["chargeback"][0]) >= {
        "cost_centre",
        "product",
        "count",
        "amount",
    }
    assert all(isinstance(row["amount"], float) for row in figures["chargeback"])
    csv_text = (tmp_path / "chargeback.csv").read_text("utf-8").splitlines()
    assert csv_text[0].startswith("cost_centre,product,")
    assert len(csv_text) == len(figures["chargeback"]) + 1
    for name in ("volume.png", "sla.png", "satisfaction.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_report_command_reads_a_database_for_a_date_range(
    tmp_path: Path, history: generated.History, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fo.db'}"
    migrate(url)
    engine = create_engine(url)
    generated.write(engine, history)
    engine.dispose()
    assert (
        main(
            [
                "report",
                "--db",
                url,
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-08",
                "--format",
                "json",
            ]
        )
        == 0
    )
    figures = json.loads(capsys.readouterr().out)
    week = [
        t
        for t in history.tickets
        if t.created_at.astimezone(AMSTERDAM).isocalendar()[:2] == (2026, 45)
    ]
    assert figures["total"] == len(week) and figures["weeks"] == ["2026-W45"]
    assert main(["report", "--db", url, "--from", "2026-11-09", "--to", "2026-11-01"]) == 2
