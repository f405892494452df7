"""The `frontoffice` command: every subcommand has --help; serve, chat, migrate, eval work."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from frontoffice import __version__
from tests.chat import said
from tests.conftest import DATA, teams_message

CLI = [sys.executable, "-m", "frontoffice.cli"]


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"frontoffice {__version__}"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["chat"],
        ["migrate"],
        ["knowledge"],
        ["knowledge", "check"],
        ["eval"],
        ["outbox"],
        ["manifest"],
        ["manifest", "build"],
    ],
)
def test_every_subcommand_has_help(command: list[str]) -> None:
    result = _run(*command, "--help")
    assert result.returncode == 0
    assert "usage: frontoffice" in result.stdout


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    database = tmp_path / "sub" / "fo.db"
    result = _run("migrate", "--db", f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    assert "revision 0009" in result.stdout
    assert database.exists()


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("migrate", "--db", "mysql://nobody@nowhere/db")
    assert result.returncode == 2
    assert "unsupported database" in result.stderr


def test_chat_answers_in_the_terminal_and_buttons_work(tmp_path: Path) -> None:
    """A newcomer reports a leak, orders a lunch and asks the restaurant's hours."""
    lines = (
        "Er lekt water uit het plafond in kamer 2.14 van het Stadskantoor\n"
        "ja\n"
        "Ik wil een werklunch bestellen voor 8 personen morgen om 12 uur in de Werf, zaal 1.03\n"
        "kostenplaats 4711\n"
        "broodjes en soep, een vegetarisch\n"
        "1\n"
        "Hoe laat gaat het bedrijfsrestaurant open?\n"
        "pas\n"
        "1\n"
        "stop\n"
        "mijn laptop start niet op\n"
    )
    result = _run("chat", "--db", f"sqlite:///{tmp_path / 'chat.db'}", input=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "digitale frontoffice" in out  # the welcome
    assert "Plek: Stadskantoor, 2e verdieping, kamer 2.14" in out  # the leak's summary
    assert "FM-" in out and "-000001" in out and "-000002" in out  # two tickets made
    assert "Personen: 8" in out and "kostenplaats 4711" in out  # the lunch's summary
    assert "08.00" in out  # the FAQ answer
    assert "[1] Toegangspas" in out  # a choice offered as numbered buttons
    assert "Ik help je met **Toegangspas" in out  # pressing 1 starts that intake
    assert "ICT-servicedesk" in out  # the redirect


def test_eval_json_prints_one_object_with_the_figures() -> None:
    result = _run("eval", str(DATA / "queries.jsonl"), "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert set(summary) >= {
        "accuracy",
        "top3",
        "none_precision",
        "none_recall",
        "n",
        "by_kind",
        "by_lang",
    }
    assert summary["n"] == 170


def test_eval_text_lists_the_misses() -> None:
    result = _run("eval", str(DATA / "queries.jsonl"))
    assert result.returncode == 0
    assert "accuracy" in result.stdout
    assert "misses (" in result.stdout


def test_eval_plays_conversations_through_the_running_app(tmp_path: Path) -> None:
    """A conversations file is played against the app: a right one, one whose field the
    employee never gives (the runner cannot answer), and one expecting another product."""
    lines = [
        {
            "id": "ok",
            "lang": "nl",
            "turns": ["De verwarming doet het niet in kamer 2.20 van het Stadskantoor"],
            "answers": {},
            "expect": {
                "product": "storing.verwarming",
                "fields": {"location": {"building": "Stadskantoor", "room": "2.20"}},
            },
        },
        {
            "id": "unanswered",
            "lang": "nl",
            "turns": ["Ik wil een werklunch bestellen"],
            "answers": {},
            "expect": {"product": "catering.lunch", "fields": {}},
        },
        {
            "id": "wrong",
            "lang": "en",
            "turns": ["The lights in room 1.10 of the Werf keep flickering"],
            "answers": {},
            "expect": {"product": "storing.verwarming", "fields": {}},
        },
    ]
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    result = _run("eval", str(path), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["conversations"], summary["right"]) == (3, 1), summary
    assert (summary["fields"], summary["fields_right"]) == (1, 1), summary
    text = _run("eval", str(path)).stdout
    assert "unanswered: asked for location" in text, text
    assert "wrong: ticket for storing.verlichting, not storing.verwarming" in text, text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_flags_override_the_environment_and_the_bot_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "FRONTOFFICE_PORT": "1",
        "FRONTOFFICE_DB_URL": "sqlite:////nonexistent/x.db",
    }
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'serve.db'}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not start")
        body = json.dumps(
            teams_message("wat kost een werklunch?", deliveryMode="expectReplies")
        ).encode()
        request = urllib.request.Request(
            f"{base}/api/messages", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            replies = json.loads(response.read())
        assert "8,50" in said(replies["activities"])
        bad = urllib.request.Request(
            f"{base}/api/messages", data=b"{not json", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(bad, timeout=10)
        error.value.close()
        assert error.value.code == 400
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    assert '"msg": "activity"' in log
    assert "werklunch" not in log  # message text never reaches the log


def test_outbox_lists_failed_deliveries_and_puts_them_back(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from servicedesk.persistence.database import create_engine, migrate
    from servicedesk.persistence.ticket_store import SqlTicketStore
    from servicedesk.tickets import Requester
    from tests.factories import a_lift_ticket

    url = f"sqlite:///{tmp_path / 'fo.db'}"
    migrate(url)
    engine = create_engine(url)
    store = SqlTicketStore(engine)
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    ticket = a_lift_ticket(at, requester=Requester("aad-1"), fields={})

    async def prepare() -> None:
        await store.add(ticket, "topdesk")
        job = (await store.claim_due(at))[0]
        await store.fail(job, "rejected: 401 wrong password")

    asyncio.run(prepare())
    engine.dispose()
    listed = _run("outbox", "--db", url, "--state", "failed")
    assert listed.returncode == 0
    assert "FM-2026-000001" in listed.stdout and "401 wrong password" in listed.stdout
    assert _run("outbox", "--db", url, "--retry", "1").returncode == 0
    assert "pending" in _run("outbox", "--db", url).stdout
    assert _run("outbox", "--db", url, "--retry", "1").returncode == 1  # not failed any more
