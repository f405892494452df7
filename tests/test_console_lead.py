"""The lead's view of the desk console: admins only; deliveries with retry (the CLI's
store calls), the report (the CLI's code) with its charge-back CSV, and teaching the bot
an unanswered question (validated, atomic, recorded, hot-reloaded)."""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine

from bot.keys import KNOWLEDGE
from frontoffice import history as generated
from frontoffice import report as reporting
from knowledge.loader import DEFAULT_DIR
from servicedesk.clock import FixedClock
from servicedesk.persistence.database import (
    create_engine,
    knowledge_edits,
    notifications,
    outbox,
    questions,
    tickets,
)
from servicedesk.persistence.privacy import ANONYMOUS, SqlPrivacy
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.reporting import ChargeRow
from servicedesk.tickets import Deadlines, Requester
from tests.chat import Chat
from tests.console_kit import console_client, console_settings, csrf_of, sign_in
from tests.factories import a_lift_ticket

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday: the default window is Nov 2 - 29
QUESTION = "de plantenbak is omgevallen"  # nothing in the shipped knowledge fits it
PRODUCT, PRODUCT_NAME = "onderhoud.klus", "Kleine klus"
PRODUCT_FILE = Path("products") / f"{PRODUCT}.yaml"


@dataclass
class Lead:
    client: TestClient
    engine: Engine
    knowledge: Path


@pytest.fixture
async def lead(db_url: str, tmp_path: Path) -> AsyncIterator[Lead]:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)  # never the shipped folder
    settings = console_settings(db_url, knowledge_dir=folder)
    async with console_client(settings, clock=FixedClock(NOW)) as client:
        engine = create_engine(db_url)
        try:
            yield Lead(client, engine, folder)
        finally:
            engine.dispose()


async def _ticket_with_jobs(engine: Engine) -> tuple[str, int, int]:
    """A ticket with a failed outbox job and a failed notification: (number, job, row)."""
    at = NOW - timedelta(days=1)
    ticket = await SqlTicketStore(engine).add(
        a_lift_ticket(at, requester=Requester("aad-1"), deadlines=Deadlines(at, at)), "builtin"
    )
    with engine.begin() as connection:
        job = connection.execute(
            sa.select(outbox.c.id, outbox.c.ticket_id)
            .join(tickets, tickets.c.id == outbox.c.ticket_id)
            .where(tickets.c.number == ticket.number)
        ).one()
        connection.execute(
            outbox.update()
            .where(outbox.c.id == job.id)
            .values(state="failed", attempts=5, last_error="rejected: 400: bad\nmore")
        )
        row = connection.execute(
            notifications.insert().values(
                ticket_id=job.ticket_id,
                recipient="aad-1",
                language="nl",
                kind="receipt",
                idempotency_key="receipt:test",
                due_at=at,
                state="failed",
                attempts=3,
                last_error="403 Forbidden",
                detail={},
                created_at=at,
            )
        ).inserted_primary_key[0]
    return ticket.number, int(job.id), int(row)


def _ask(engine: Engine, text: str, count: int = 3, language: str = "nl") -> None:
    with engine.begin() as connection:
        for n in range(count):
            connection.execute(
                questions.insert().values(
                    at=NOW - timedelta(days=3, minutes=n),
                    language=language,
                    decision="none",
                    score=0.1,
                    text=text,
                )
            )


async def _page(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return await response.text()


# -- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["desk", "queue"])
async def test_only_admins_see_or_change_anything_on_the_lead_s_view(lead: Lead, role: str) -> None:
    number, job, row = await _ticket_with_jobs(lead.engine)
    token = await sign_in(lead.client, role, queues=["technische-dienst"])
    for path in (
        "/desk/lead",
        "/desk/lead/deliveries",
        "/desk/lead/report",
        "/desk/lead/report/chargeback.csv",
        "/desk/lead/questions",
    ):
        response = await lead.client.get(path)
        assert response.status == 403, path
    before = (PRODUCT_FILE, (lead.knowledge / PRODUCT_FILE).read_bytes())
    posts = [
        ("/desk/lead/deliveries/retry", {"what": "outbox", "retry": str(job)}),
        ("/desk/lead/deliveries/retry", {"what": "notification", "retry": str(row)}),
        ("/desk/lead/questions", {"action": "phrasing", "text": QUESTION, "language": "nl",
                                  "product": PRODUCT}),
    ]  # fmt: skip
    for path, data in posts:
        response = await lead.client.post(path, data={"_csrf": token, **data})
        assert response.status == 403, path
    assert (lead.knowledge / before[0]).read_bytes() == before[1]
    assert (await SqlTicketStore(lead.engine).outbox_rows("failed"))[0]["id"] == job


async def test_signed_out_visitors_are_sent_to_sign_in(lead: Lead) -> None:
    response = await lead.client.get("/desk/lead/report", allow_redirects=False)
    assert response.status == 303 and "/desk/signin" in response.headers["Location"]


# -- deliveries ----------------------------------------------------------------------------


async def test_a_failed_delivery_is_retried_as_the_cli_does(lead: Lead) -> None:
    number, job, row = await _ticket_with_jobs(lead.engine)
    with lead.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO unreachable_recipients (recipient_id, reason, detail, since,"
                " last_seen) VALUES ('aad-9', 'removed', '', :at, :at)"
            ),
            {"at": NOW},
        )
    await sign_in(lead.client, "admin", "Lena Lead")
    overview = await _page(lead.client, "/desk/lead")
    assert "/desk/lead/deliveries" in overview and "/desk/lead/questions" in overview
    page = await _page(lead.client, "/desk/lead/deliveries")
    assert number in page and "rejected: 400: bad" in page and "more" not in page
    assert f'name="retry" value="{job}"' in page and f'name="retry" value="{row}"' in page
    assert "aad-9" in page and "verwijderd" in page  # removed the bot, in Dutch
    assert "aad-1" not in page  # no recipient on a notification row
    token = csrf_of(page)

    done = await lead.client.post(
        "/desk/lead/deliveries/retry",
        data={"_csrf": token, "what": "outbox", "retry": str(job)},
        allow_redirects=False,
    )
    assert done.status == 303
    job_row = (await SqlTicketStore(lead.engine).outbox_rows())[0]
    assert (job_row["state"], job_row["attempts"]) == ("pending", 0)
    again = await lead.client.post(
        "/desk/lead/deliveries/retry", data={"_csrf": token, "what": "outbox", "retry": str(job)}
    )
    assert again.status == 409  # not failed any more: nothing done twice

    sent = await lead.client.post(
        "/desk/lead/deliveries/retry",
        data={"_csrf": token, "what": "notification", "retry": str(row)},
        allow_redirects=False,
    )
    assert sent.status == 303
    with lead.engine.connect() as connection:
        state = connection.execute(
            sa.select(notifications.c.state).where(notifications.c.id == row)
        ).scalar_one()
    assert state == "pending"
    bad = await lead.client.post(
        "/desk/lead/deliveries/retry", data={"_csrf": token, "what": "x", "retry": "abc"}
    )
    assert bad.status == 400


async def test_a_retry_without_the_csrf_token_is_refused(lead: Lead) -> None:
    _, job, _ = await _ticket_with_jobs(lead.engine)
    await sign_in(lead.client, "admin")
    response = await lead.client.post(
        "/desk/lead/deliveries/retry", data={"what": "outbox", "retry": str(job)}
    )
    assert response.status == 403
    assert (await SqlTicketStore(lead.engine).outbox_rows())[0]["state"] == "failed"


# -- the report ----------------------------------------------------------------------------


async def test_the_report_page_shows_the_cli_s_figures_text_and_charts(lead: Lead) -> None:
    snapshot = lead.client.app[KNOWLEDGE].current()
    history = generated.generate(snapshot.knowledge, count=300, weeks=6, seed=3)
    generated.write(lead.engine, history)
    await sign_in(lead.client, "admin")
    page = await _page(lead.client, "/desk/lead/report?from=2026-11-02&to=2026-11-29")
    window = reporting.parse_window(
        "2026-11-02", "2026-11-29", NOW.date(), reporting.timezone_of(snapshot)
    )
    report = await reporting.load_report(lead.engine, window, snapshot, NOW)
    assert report.total > 0
    assert str(escape(reporting.render_text(report, "nl", snapshot))) in page  # the same text
    assert f"<dd>{report.total}</dd>" in page
    assert page.count('src="data:image/png;base64,') == 3
    default = await _page(lead.client, "/desk/lead/report")  # the last 4 ISO weeks
    assert 'value="2026-11-02"' in default and 'value="2026-11-29"' in default


@pytest.mark.parametrize(
    "query", ["from=2026-13-01", "from=yesterday", "from=2026-11-20&to=2026-11-01"]
)
async def test_bad_dates_get_a_400_page_with_a_message(lead: Lead, query: str) -> None:
    await sign_in(lead.client, "admin")
    for path in ("/desk/lead/report", "/desk/lead/report/chargeback.csv", "/desk/lead/questions"):
        response = await lead.client.get(f"{path}?{query}")
        assert response.status == 400, path
        assert 'role="alert"' in await response.text()


async def test_the_charge_back_csv_is_the_cli_s_with_formulas_neutralised(
    lead: Lead, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = lead.client.app[KNOWLEDGE].current()
    generated.write(lead.engine, generated.generate(snapshot.knowledge, count=300, weeks=6))
    real = reporting.build_report

    def with_a_formula(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        formula = ChargeRow('=HYPERLINK("x")', "catering.lunch", "fixed", 1, 0, Decimal("5.00"))
        report.chargeback.append(formula)
        return report

    monkeypatch.setattr(reporting, "build_report", with_a_formula)
    await sign_in(lead.client, "admin")
    response = await lead.client.get(
        "/desk/lead/report/chargeback.csv?from=2026-10-20&to=2026-11-29"
    )
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert tuple(rows[0]) == reporting.CSV_COLUMNS
    assert len(rows) > 2
    assert [r[0] for r in rows if "HYPERLINK" in r[0]] == ['\'=HYPERLINK("x")']


# -- teaching the bot ----------------------------------------------------------------------


async def test_an_unanswered_question_becomes_a_phrasing_and_the_bot_answers_it(
    lead: Lead,
) -> None:
    _ask(lead.engine, QUESTION)
    chat = Chat(lead.client)
    before = json.dumps(await chat.say(QUESTION), ensure_ascii=False)
    assert PRODUCT_NAME not in before
    token = await sign_in(lead.client, "admin", "Lena Lead")
    page = await _page(lead.client, "/desk/lead/questions")
    assert 'class="card question-group"' in page and QUESTION in page
    assert 'name="action" value="phrasing"' in page and 'name="action" value="faq"' in page
    file = lead.knowledge / PRODUCT_FILE
    comment = "# Edit the texts freely; keep `id`, `queue`, `kwis`, `priority` and `fields`"
    assert comment in file.read_text("utf-8")

    response = await lead.client.post(
        "/desk/lead/questions",
        data={"_csrf": token, "from": "", "to": "", "action": "phrasing", "text": QUESTION,
              "language": "nl", "product": PRODUCT, "faq": ""},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303, await response.text()
    text = file.read_text("utf-8")
    assert comment in text  # comments and layout kept
    assert f'"{QUESTION}"]' in text
    snapshot = lead.client.app[KNOWLEDGE].current()  # reloaded at once
    assert snapshot.matcher.match(QUESTION).predicted_id == PRODUCT
    after = json.dumps(await chat.say("De plantenbak is omgevallen!"), ensure_ascii=False)
    assert PRODUCT_NAME in after

    done = await _page(lead.client, response.headers["Location"])
    assert "Lena Lead" in done and html.escape(QUESTION) in done
    with lead.engine.connect() as connection:
        edit = connection.execute(sa.select(knowledge_edits)).one()
    assert (edit.actor_name, edit.kind, edit.product, edit.text) == (
        "Lena Lead", "phrasing", PRODUCT, QUESTION,
    )  # fmt: skip
    assert edit.file == "products/onderhoud.klus.yaml"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "phrasing", "text": "   "}, "at least 1 character"),
        ({"action": "phrasing", "text": "Lekkage!"}, "storing.lekkage"),  # a collision
        ({"action": "faq", "faq": "", "answer_nl": ""}, "answer: required"),
        ({"action": "faq", "faq": "", "answer_nl": "Ja.", "answer_en": "Yes."},
         "missing translation (en)"),
        ({"action": "faq", "faq": "onderhoud.klus/nope"}, "FAQ"),
    ],
)  # fmt: skip
async def test_an_invalid_edit_is_refused_with_the_message_and_nothing_is_written(
    lead: Lead, fields: dict[str, str], message: str
) -> None:
    _ask(lead.engine, QUESTION)
    token = await sign_in(lead.client, "admin")
    file = lead.knowledge / PRODUCT_FILE
    before = file.read_bytes()
    listing = sorted(p.name for p in file.parent.iterdir())
    data = {"_csrf": token, "text": QUESTION, "language": "nl", "product": PRODUCT, **fields}
    response = await lead.client.post("/desk/lead/questions", data=data)
    assert response.status == 422
    page = await response.text()
    assert html.escape(message) in page and 'role="alert"' in page
    assert file.read_bytes() == before  # byte for byte
    assert sorted(p.name for p in file.parent.iterdir()) == listing  # no temporary left
    with lead.engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(knowledge_edits)).scalar()
            == 0
        )


async def test_a_question_joins_an_faq_entry_or_becomes_a_new_one(lead: Lead) -> None:
    token = await sign_in(lead.client, "admin", "Lena Lead")
    snapshot = lead.client.app[KNOWLEDGE].current()
    entry = next(e for e in snapshot.knowledge.products[PRODUCT].faq if len(e.questions.nl) < 3)
    asked = "hoe lang duurt een kleine klus ongeveer"
    response = await lead.client.post(
        "/desk/lead/questions",
        data={"_csrf": token, "action": "faq", "text": asked, "language": "nl",
              "product": PRODUCT, "faq": f"{PRODUCT}/{entry.id}"},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303, await response.text()
    updated = lead.client.app[KNOWLEDGE].current().knowledge.products[PRODUCT]
    assert asked in next(e for e in updated.faq if e.id == entry.id).questions.nl

    response = await lead.client.post(
        "/desk/lead/questions",
        data={"_csrf": token, "action": "faq", "text": "Mag ik zelf een schilderij ophangen?",
              "language": "nl", "product": PRODUCT, "faq": "",
              "other_question": "May I hang a painting myself?",
              "answer_nl": "Nee, de technische dienst doet dat: meld het hier.",
              "answer_en": "No, the technical service does that: report it here."},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303, await response.text()
    product = lead.client.app[KNOWLEDGE].current().knowledge.products[PRODUCT]
    new = product.faq[-1]
    assert new.id == "mag-ik-zelf-een-schilderij-ophangen"
    assert new.answer.en == "No, the technical service does that: report it here."
    with lead.engine.connect() as connection:
        kinds = connection.execute(sa.select(knowledge_edits.c.kind)).scalars().all()
    assert sorted(kinds) == ["faq_new", "faq_question"]


async def test_the_retention_purge_empties_old_knowledge_edits(lead: Lead) -> None:
    with lead.engine.begin() as connection:
        connection.execute(
            knowledge_edits.insert().values(
                at=NOW - timedelta(days=400), actor_id="aad-lena", actor_name="Lena Lead",
                file="products/x.yaml", kind="phrasing", product="x", text="vraag",
            )
        )  # fmt: skip
    done = await SqlPrivacy(lead.engine).purge(NOW - timedelta(days=365))
    assert done.knowledge_edits == 1
    with lead.engine.connect() as connection:
        row = connection.execute(sa.select(knowledge_edits)).one()
    assert (row.actor_id, row.actor_name, row.text, row.product) == (ANONYMOUS, "", None, "x")
