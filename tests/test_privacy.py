"""Retention (AVG/GDPR): after a purge nothing personal of a finished ticket is left in
any table, and every figure of the report is the same as before."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from frontoffice import history as generated
from frontoffice.cli import main
from frontoffice.report import load_report
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import Snapshot, build_snapshot
from servicedesk.persistence.database import create_engine, migrate
from servicedesk.persistence.privacy import ANONYMOUS, SqlPrivacy, anonymous_fields
from servicedesk.tickets import Status

FINISHED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
TOKENS = re.compile(r"[^\s,:]+")


@pytest.fixture(scope="module")
def snapshot_module() -> Snapshot:
    return build_snapshot(DEFAULT_DIR)


@pytest.fixture(scope="module")
def history(snapshot_module: Snapshot) -> generated.History:
    return generated.generate(snapshot_module.knowledge, count=2000, seed=7)


@pytest.fixture
def engine(db_url: str, history: generated.History) -> Any:
    migrate(db_url)
    engine = create_engine(db_url)
    generated.write(engine, history)
    yield engine
    engine.dispose()


def planted(history: generated.History) -> set[str]:
    """The one-of-a-kind token of every personal value of a finished ticket (its id,
    e-mail, "#n" name mark, phone, plate), of followers, questions and dialogs."""
    tokens: set[str] = set()
    for index, ticket in enumerate(history.tickets):
        if ticket.status not in FINISHED:
            continue
        people = [ticket.requester, *history.followers.get(index, [])]
        for person in people:
            tokens.update({person.id, person.email, person.name.split()[-1]})
        for key in ("description", "visitors", "plate"):
            if key in ticket.fields:
                tokens.update(
                    t for t in TOKENS.findall(ticket.fields[key]) if t[:1] in "#0" or "-" in t
                )
    for question in history.questions:
        if question.text and "#q" in question.text:
            tokens.add(next(t for t in question.text.split() if t.startswith("#q")).rstrip(","))
    for _, user_id, state, _ in history.dialogs:
        tokens.add(user_id)
        tokens.update(t for t in TOKENS.findall(json.dumps(state)) if "@" in t or t.startswith("#"))
    return {t for t in tokens if len(t) > 2}


def every_token(engine: Any) -> set[str]:
    """Every word of every text or JSON value in every table of the database."""
    reflected = sa.MetaData()
    reflected.reflect(engine)
    words: set[str] = set()
    with engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, str):
                        words.update(TOKENS.findall(value))
                    elif isinstance(value, dict | list):
                        words.update(TOKENS.findall(json.dumps(value, ensure_ascii=False)))
    return {w.strip("\"'{}[]().") for w in words}


def _purge(engine: Any, history: generated.History, dry_run: bool = False) -> Any:
    cutoff = history.window.end + timedelta(days=30)
    buildings = build_snapshot(DEFAULT_DIR).knowledge.organisation.buildings
    return asyncio.run(SqlPrivacy(engine).purge(cutoff, buildings=buildings, dry_run=dry_run))


def test_nothing_personal_of_a_finished_ticket_remains_after_a_purge(
    engine: Any, history: generated.History
) -> None:
    personal = planted(history)
    assert len(personal) > 5000
    before = every_token(engine)
    assert len(personal & before) > 0.9 * len(personal)  # the check can see them
    done = _purge(engine, history)
    assert done.tickets == sum(t.status in FINISHED for t in history.tickets)
    assert done.dialogs == len(history.dialogs) and done.question_texts > 0
    leaked = personal & every_token(engine)
    assert leaked == set()
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT requester_id, status FROM tickets")).all()
        notes = connection.execute(
            sa.text("SELECT count(*) FROM ticket_events WHERE note != ''")
        ).scalar()
        texts = connection.execute(
            sa.text("SELECT count(*) FROM questions WHERE text IS NOT NULL")
        ).scalar()
    finished = [r for r in rows if r.status in {s.value for s in FINISHED}]
    assert {r.requester_id for r in finished} == {ANONYMOUS}
    assert all(r.requester_id != ANONYMOUS for r in rows if r not in finished)
    assert notes and texts == 0  # open tickets keep their trail; question texts are gone
    assert _purge(engine, history).tickets == 0  # once is enough


def test_the_figures_stay_the_same_after_a_purge(
    engine: Any, history: generated.History, snapshot_module: Snapshot
) -> None:
    def figures() -> dict[str, Any]:
        report = asyncio.run(
            load_report(engine, history.window, snapshot_module, history.window.end)
        ).as_dict()
        report.pop("unanswered")  # the texts for admins: gone after the retention period
        report["satisfaction"].pop("comments")  # free text too; the ratings stay
        return report

    before = figures()
    _purge(engine, history)
    assert figures() == before


def test_a_dry_run_counts_and_changes_nothing(engine: Any, history: generated.History) -> None:
    before = every_token(engine)
    counted = _purge(engine, history, dry_run=True)
    assert every_token(engine) == before
    assert counted == _purge(engine, history)


def test_the_building_of_a_location_is_kept_the_rest_goes() -> None:
    fields = {
        "location": "Stadskantoor, 3e verdieping, kamer van Jan",
        "description": "bel Jan",
        "persons": 12,
        "cost_centre": "KP-4711",
        "visitors": "Piet",
    }
    assert anonymous_fields(fields, ["Stadskantoor", "Werf"]) == {
        "location": "Stadskantoor",
        "persons": 12,
        "cost_centre": "KP-4711",
    }
    assert anonymous_fields({"location": "bij Jan thuis"}, ["Werf"]) == {}


def test_purge_command_dry_run_lists_what_would_go(
    tmp_path: Path, history: generated.History, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fo.db'}"
    migrate(url)
    engine = create_engine(url)
    generated.write(engine, history)
    engine.dispose()
    assert main(["purge", "--db", url, "--dry-run", "--days", "1"]) == 0
    out = capsys.readouterr().out
    finished = sum(t.status in FINISHED for t in history.tickets)
    assert "Proefdraai" in out and f"tickets: {finished}" in out
    assert main(["purge", "--db", url, "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "Geanonimiseerd" in out and f"tickets: {finished}" in out
    assert main(["purge", "--db", url, "--dry-run", "--days", "1"]) == 0
    assert "tickets: 0" in capsys.readouterr().out
