"""Proactive notifications, end to end with a fake Bot Connector and a clock that stands
still until moved: the receipt, progress, both kinds of delay notice, completion with
"solved / not solved", the follow-up and its rating, the automatic close, escalations to
the queue channel and lead, followers, business hours, dialogs, and people the bot
cannot reach (no chat, blocked, removed, Teams saying 429)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.keys import OUTBOX, TICKETS
from bot.notify_scheduler import NOTIFICATIONS
from frontoffice.settings import Settings
from knowledge.loader import DEFAULT_DIR
from servicedesk.clock import FixedClock
from servicedesk.notifications import NotificationPlanner
from servicedesk.persistence.notification_store import SqlNotificationStore
from servicedesk.tickets import EventType, Requester, Status
from tests.chat import Chat, buttons, said
from tests.conftest import FakeConnector, teams_message

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
CHANNEL = "19:td-channel@thread.tacv2"
STAFF, LEAD = "aad-staff", "aad-lead"
REQUESTER, FOLLOWER, STRANGER = "aad-req", "aad-fol", "aad-stranger"


@dataclass
class Desk:
    client: TestClient
    fake: FakeConnector
    url: str
    clock: FixedClock

    async def run(self) -> int:
        return await self.client.server.app[NOTIFICATIONS].run_once()

    @property
    def store(self) -> SqlNotificationStore:
        return self.client.server.app[NOTIFICATIONS].store

    def chat(self, user: str = REQUESTER, locale: str = "nl-NL") -> Chat:
        return Chat(
            self.client, user=user, name=f"Name {user}", conversation=f"a:{user}", locale=locale
        )

    async def hello(self, user: str = REQUESTER, locale: str = "nl-NL") -> Chat:
        """The person chats once, so the bot has a reference to write to them later."""
        chat = self.chat(user, locale)
        await chat.say("hallo", serviceUrl=self.url)
        return chat

    def to(self, user: str) -> list[dict[str, Any]]:
        return [a for a in self.fake.posts if a["_conversation"] == f"a:{user}"]

    def in_channel(self) -> list[dict[str, Any]]:
        return [a for a in self.fake.posts if a["_conversation"] == CHANNEL]

    async def ticket(
        self, product: str = "storing.verwarming", requester: str = REQUESTER, language: str = "nl"
    ) -> str:
        body = {
            "product": product,
            "requester": {"id": requester, "name": "Ada", "language": language},
            "channel": "phone",
            "fields": {"location": "Stadskantoor 2.14", "cost_centre": "4711"},
            "description": "Het is koud",
        }
        response = await self.client.post("/api/v1/tickets", json=body, headers=AUTH)
        assert response.status == 201, await response.text()
        return str((await response.json())["number"])

    async def step(self, number: str, kind: str, **extra: Any) -> None:
        body = {"type": kind, "actor": {"id": STAFF, "name": "Monteur"}, **extra}
        response = await self.client.post(
            f"/api/v1/tickets/{number}/events", json=body, headers=AUTH
        )
        assert response.status == 200, await response.text()

    async def status(self, number: str) -> Status:
        return (await self.client.server.app[TICKETS].get(number)).status

    async def link_channel(self) -> None:
        message_id = "1700000000000"
        activity = teams_message(
            "<at>Frontoffice</at> koppel technische-dienst",
            self.url,
            id=message_id,
            deliveryMode="expectReplies",
            **{
                "from": {"id": f"29:{STAFF}", "name": "Staff", "aadObjectId": STAFF},
                "conversation": {
                    "id": f"{CHANNEL};messageid={message_id}",
                    "conversationType": "channel",
                    "tenantId": "tenant-1",
                },
                "entities": [
                    {
                        "type": "mention",
                        "text": "<at>Frontoffice</at>",
                        "mentioned": {"id": "28:bot-1", "name": "Frontoffice"},
                    }
                ],
                "channelData": {
                    "tenant": {"id": "tenant-1"},
                    "team": {"id": "19:team@thread.tacv2"},
                    "channel": {"id": CHANNEL},
                },
            },
        )
        response = await self.client.post("/api/messages", json=activity)
        assert response.status == 200
        await self.client.server.app[OUTBOX].run_once()


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    queues_file = folder / "queues.yaml"
    queues = yaml.safe_load(queues_file.read_text("utf-8"))
    queues["technische-dienst"]["staff"] = [STAFF]
    queues["technische-dienst"]["lead_id"] = LEAD
    queues_file.write_text(yaml.safe_dump(queues, allow_unicode=True), "utf-8")
    return folder


@pytest.fixture
async def desk(
    db_url: str, knowledge_dir: Path, connector: tuple[FakeConnector, str]
) -> AsyncIterator[Desk]:
    fake, url = connector
    settings = Settings(
        db_url=db_url,
        knowledge_dir=knowledge_dir,
        knowledge_reload_seconds=0,
        api_token=TOKEN,
        outbox_seconds=0,
        poll_seconds=0,
        notify_seconds=0,  # the test drives the scheduler's work itself
        followup_delay="30s",
        followup_close_days=5,
        notify_retry_seconds=2,
        notify_max_attempts=3,
        log_format="text",
    )
    clock = FixedClock(MONDAY_10)
    app = create_app(settings, clock=clock)
    async with TestClient(TestServer(app)) as client:
        yield Desk(client, fake, url, clock)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    return dict(activity["attachments"][0]["content"])


# -- the receipt ---------------------------------------------------------------------------


async def test_a_phone_ticket_gets_a_receipt_in_the_requesters_chat_within_a_tick(
    desk: Desk,
) -> None:
    await desk.hello()
    number = await desk.ticket("kantoorartikelen")
    await desk.run()
    [receipt] = desk.to(REQUESTER)
    text = said([receipt])
    assert "We hebben je melding ontvangen" in text
    assert number in text and "Kantoorartikelen" in text
    assert "Eerste reactie: binnen 1 werkdag (uiterlijk dinsdag 24 november om 10:00)" in text
    assert "Afgehandeld: binnen 10 werkdagen" in text
    assert "Onze belofte" in text
    assert receipt["conversation"]["tenantId"] == "tenant-1"
    await desk.run()
    assert len(desk.to(REQUESTER)) == 1  # sent once
    [row] = [r for r in await desk.store.rows(state="sent", number=number) if r["activity_id"]]
    assert row["activity_id"] == "sent-1" and row["kind"] == "confirmation"
    assert row["recipient"] == f"user:{REQUESTER}" and row["conversation_id"] == f"a:{REQUESTER}"


async def test_the_receipt_is_in_the_requesters_language(desk: Desk) -> None:
    await desk.hello(locale="en-US")
    number = await desk.ticket("kantoorartikelen", language="en")
    await desk.run()
    text = said(desk.to(REQUESTER))
    assert "We received your request" in text and number in text
    assert "within 1 business day" in text


async def test_a_chat_ticket_gets_no_second_receipt(desk: Desk) -> None:
    chat = await desk.hello()
    await chat.say("De lamp in kamer 2.14 van het Stadskantoor is kapot", serviceUrl=desk.url)
    await chat.press("Bevestigen")
    await desk.run()
    assert desk.to(REQUESTER) == []


# -- progress and delays -------------------------------------------------------------------


async def test_a_back_office_note_reaches_the_requester_and_followers(desk: Desk) -> None:
    await desk.hello()
    await desk.hello(FOLLOWER, "en-US")
    number = await desk.ticket()
    await desk.client.server.app[TICKETS].follow(number, Requester(FOLLOWER, "Bob", language="en"))
    await desk.run()
    await desk.step(number, "progress", note="Monteur is onderweg")
    await desk.run()
    assert "Nieuws over je melding" in said(desk.to(REQUESTER))
    assert "Monteur is onderweg" in said(desk.to(REQUESTER))
    follower_text = said(desk.to(FOLLOWER))
    assert "You follow this request" in follower_text and "Monteur is onderweg" in follower_text


async def test_a_reported_delay_tells_the_reason_and_the_new_date(desk: Desk) -> None:
    await desk.hello()
    number = await desk.ticket()
    await desk.step(
        number, "delay", reason="Onderdeel besteld", expected="2026-11-27T14:00:00+01:00"
    )
    await desk.run()
    text = said(desk.to(REQUESTER))
    assert "loopt vertraging op" in text and "Onderdeel besteld" in text
    assert "vrijdag 27 november om 14:00" in text


async def test_an_automatic_delay_notice_when_the_deadline_is_at_risk_and_nobody_spoke(
    desk: Desk,
) -> None:
    await desk.hello()
    number = await desk.ticket("storing.verwarming")
    await desk.run()
    ticket = await desk.client.server.app[TICKETS].get(number)
    start, due = ticket.created_at, ticket.deadlines.resolve_due
    desk.clock.move_to(start + (due - start) * 0.2)
    await desk.run()
    assert "lukt misschien niet" not in said(desk.to(REQUESTER))
    desk.clock.move_to(due - timedelta(minutes=5))
    await desk.run()
    assert "lukt misschien niet" in said(desk.to(REQUESTER))
    await desk.run()
    assert said(desk.to(REQUESTER)).count("lukt misschien niet") == 1


async def test_no_automatic_delay_notice_when_the_back_office_reported_one(desk: Desk) -> None:
    await desk.hello()
    number = await desk.ticket("storing.verwarming")
    await desk.step(
        number, "delay", reason="Onderdeel besteld", expected="2026-11-30T14:00:00+01:00"
    )
    ticket = await desk.client.server.app[TICKETS].get(number)
    desk.clock.move_to(ticket.deadlines.resolve_due - timedelta(minutes=5))
    await desk.run()
    assert "lukt misschien niet" not in said(desk.to(REQUESTER))
    rows = await desk.store.rows(number=number)
    assert any(r["kind"] == "at_risk" and r["state"] == "skipped" for r in rows)


# -- completion, reopening, follow-up ------------------------------------------------------


async def test_completion_solved_closes_the_ticket_and_a_double_click_does_nothing_more(
    desk: Desk,
) -> None:
    chat = await desk.hello()
    number = await desk.ticket()
    await desk.step(number, "resolve", note="Thermostaat vervangen")
    await desk.run()
    completion = card_of(desk.to(REQUESTER)[-1])
    assert "Thermostaat vervangen" in said(desk.to(REQUESTER)[-1:])
    verb, data = buttons(completion)["Ja, opgelost"]
    first = await chat.click(verb, data)
    assert "Fijn dat het is opgelost" in str(first)
    second = await chat.click(verb, data)
    assert "had ik al" in str(second)
    ticket = await desk.client.server.app[TICKETS].get(number)
    assert ticket.status is Status.CLOSED
    assert [e.data for e in ticket.events if e.type is EventType.FEEDBACK] == [{"solved": True}]


async def test_not_solved_reopens_the_ticket_and_tells_the_queue_channel(desk: Desk) -> None:
    await desk.link_channel()
    chat = await desk.hello()
    number = await desk.ticket()
    await desk.client.server.app[OUTBOX].run_once()
    await desk.step(number, "resolve", note="Thermostaat vervangen")
    await desk.run()
    verb, data = buttons(card_of(desk.to(REQUESTER)[-1]))["Nee, niet opgelost"]
    answer = await chat.click(verb, data)
    assert "heropend" in str(answer)
    assert await desk.status(number) is Status.REOPENED
    again = await chat.click(verb, data)
    assert "had ik al" in str(again)
    await desk.run()
    posts = said(desk.in_channel())
    assert f"**{number}**" in posts and "niet is opgelost" in posts
    assert said(desk.in_channel()).count("niet is opgelost") == 1


async def test_only_the_requester_or_a_follower_may_answer(desk: Desk) -> None:
    await desk.hello()
    number = await desk.ticket()
    await desk.step(number, "resolve", note="Klaar")
    stranger = desk.chat(STRANGER)
    answer = await stranger.click("notify.unsolved", {"ticket": number})
    assert "hoort niet bij jou" in str(answer)
    assert await desk.status(number) is Status.RESOLVED


async def test_the_follow_up_comes_once_after_the_delay_and_a_rating_closes_the_ticket(
    desk: Desk,
) -> None:
    chat = await desk.hello()
    number = await desk.ticket()
    await desk.step(number, "resolve", note="Klaar")
    await desk.run()
    assert "Hoe tevreden" not in said(desk.to(REQUESTER))
    desk.clock.move_to(MONDAY_10 + timedelta(seconds=31))
    await desk.run()
    await desk.run()
    followups = [a for a in desk.to(REQUESTER) if "Hoe tevreden" in said([a])]
    assert len(followups) == 1
    card = card_of(followups[0])
    assert {b["id"] for b in card["body"] if "id" in b} == {"rating", "comment"}
    verb, data = buttons(card)["Versturen"]
    answer = await chat.click(verb, {**data, "rating": "4", "comment": "Snel geholpen"})
    assert "Bedankt voor je beoordeling" in str(answer)
    again = await chat.click(verb, {**data, "rating": "1"})
    assert "had ik al" in str(again)
    ticket = await desk.client.server.app[TICKETS].get(number)
    feedback = [e.data for e in ticket.events if e.type is EventType.FEEDBACK]
    assert feedback == [{"rating": 4, "comment": "Snel geholpen"}]
    assert ticket.status is Status.CLOSED


async def test_a_rating_without_a_score_is_refused_and_the_card_stays(desk: Desk) -> None:
    await desk.hello()
    number = await desk.ticket()
    await desk.step(number, "resolve", note="Klaar")
    activity = teams_message("", desk.url)
    activity.pop("text")
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": "notify.rate", "data": {"ticket": number}}
        },
    )
    activity["from"] = {"id": f"29:{REQUESTER}", "aadObjectId": REQUESTER}
    response = await desk.client.post("/api/messages", json=activity)
    body = await response.json()
    assert body["statusCode"] == 400 and body["type"] == "application/vnd.microsoft.error"


async def test_a_resolved_ticket_nobody_answers_is_closed_after_the_configured_days(
    desk: Desk,
) -> None:
    await desk.hello()
    number = await desk.ticket()
    await desk.step(number, "resolve", note="Klaar")
    await desk.run()
    desk.clock.move_to(MONDAY_10 + timedelta(days=4))
    await desk.run()
    assert await desk.status(number) is Status.RESOLVED
    desk.clock.move_to(MONDAY_10 + timedelta(days=5, minutes=1))
    await desk.run()
    assert await desk.status(number) is Status.CLOSED


# -- escalation ----------------------------------------------------------------------------


async def test_a_breached_response_deadline_is_escalated_to_the_channel_and_the_lead(
    desk: Desk,
) -> None:
    await desk.link_channel()
    await desk.hello(LEAD)
    number = await desk.ticket("storing.verwarming")
    ticket = await desk.client.server.app[TICKETS].get(number)
    desk.clock.move_to(ticket.deadlines.response_due - timedelta(minutes=1))
    await desk.run()
    assert "reactietermijn" not in said(desk.in_channel())
    desk.clock.move_to(ticket.deadlines.response_due + timedelta(minutes=1))
    await desk.run()
    assert "reactietermijn is verstreken" in said(desk.in_channel())
    assert "reactietermijn is verstreken" in said(desk.to(LEAD))
    await desk.run()
    assert said(desk.in_channel()).count("reactietermijn") == 1


async def test_no_escalation_when_the_team_responded_in_time(desk: Desk) -> None:
    await desk.link_channel()
    number = await desk.ticket("storing.verwarming")
    await desk.step(number, "accept")
    ticket = await desk.client.server.app[TICKETS].get(number)
    desk.clock.move_to(ticket.deadlines.response_due + timedelta(minutes=1))
    await desk.run()
    assert "reactietermijn" not in said(desk.in_channel())


# -- when to send, and to whom not ---------------------------------------------------------


async def test_non_urgent_messages_wait_for_business_hours_and_p1_does_not(desk: Desk) -> None:
    await desk.hello()
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    desk.clock.move_to(friday_evening)
    normal = await desk.ticket("kantoorartikelen")
    urgent = await desk.ticket("storing.lekkage")
    await desk.run()
    text = said(desk.to(REQUESTER))
    assert urgent in text and normal not in text
    desk.clock.move_to(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # Monday 08:00 local
    await desk.run()
    assert normal in said(desk.to(REQUESTER))


async def test_a_notification_waits_while_the_employee_is_in_a_dialog(desk: Desk) -> None:
    chat = await desk.hello()
    number = await desk.ticket("kantoorartikelen")
    await chat.say("de verwarming doet het niet", serviceUrl=desk.url)  # an intake begins
    await desk.run()
    assert number not in said(desk.to(REQUESTER))
    await chat.say("stop", serviceUrl=desk.url)
    desk.clock.move_to(MONDAY_10 + timedelta(seconds=61))
    await desk.run()
    assert number in said(desk.to(REQUESTER))


async def test_someone_who_never_chatted_is_recorded_as_not_notifiable(desk: Desk) -> None:
    number = await desk.ticket("kantoorartikelen", requester="aad-phone-only")
    await desk.run()
    await desk.run()
    assert desk.fake.posts == []
    [row] = [r for r in await desk.store.rows(number=number) if r["recipient"].startswith("user:")]
    assert row["state"] == "unreachable" and row["attempts"] == 0
    people = await desk.store.unreachable_people()
    assert [(p["recipient_id"], p["reason"]) for p in people] == [
        ("aad-phone-only", "no_conversation")
    ]


async def test_a_person_who_blocked_the_bot_is_not_retried(desk: Desk) -> None:
    await desk.hello()
    desk.fake.fail_posts(1, 403, "MessageWritesBlocked")
    number = await desk.ticket("kantoorartikelen")
    await desk.run()
    rows = await desk.store.rows(number=number)
    assert [r["state"] for r in rows if r["recipient"].startswith("user:")] == ["unreachable"]
    await desk.step(number, "progress", note="Besteld")
    await desk.run()
    assert desk.to(REQUESTER) == []
    assert [p["reason"] for p in await desk.store.unreachable_people()] == ["blocked"]


async def test_an_uninstalled_bot_sends_nothing_more(desk: Desk) -> None:
    chat = await desk.hello()
    activity = teams_message("", desk.url, type="installationUpdate", action="remove")
    activity.update(
        {
            "from": {"id": f"29:{REQUESTER}", "aadObjectId": REQUESTER},
            "conversation": {"id": chat.conversation, "conversationType": "personal"},
        }
    )
    activity.pop("text")
    assert (await desk.client.post("/api/messages", json=activity)).status in (200, 201)
    await desk.ticket("kantoorartikelen")
    await desk.run()
    assert desk.to(REQUESTER) == []
    assert [p["reason"] for p in await desk.store.unreachable_people()] == ["removed"]


async def test_429_is_retried_after_retry_after_and_sent_once(desk: Desk) -> None:
    await desk.hello()
    desk.fake.fail_posts(1, 429, headers={"Retry-After": "7"})
    number = await desk.ticket("kantoorartikelen")
    await desk.run()
    assert desk.to(REQUESTER) == []
    [row] = [r for r in await desk.store.rows(number=number) if r["recipient"].startswith("user:")]
    assert row["state"] == "pending" and row["attempts"] == 1
    assert row["due_at"] >= MONDAY_10 + timedelta(seconds=7)
    desk.clock.move_to(MONDAY_10 + timedelta(seconds=8))
    await desk.run()
    assert len(desk.to(REQUESTER)) == 1


async def test_a_send_that_keeps_failing_ends_failed_for_admins(desk: Desk) -> None:
    await desk.hello()
    desk.fake.fail_posts(3, 502)
    number = await desk.ticket("kantoorartikelen")
    for minute in range(1, 4):
        await desk.run()
        desk.clock.move_to(MONDAY_10 + timedelta(minutes=minute))
    [row] = await desk.store.rows(state="failed", number=number)
    assert row["attempts"] == 3 and "502" in row["last_error"]
    assert await desk.store.requeue(row["id"])
    await desk.run()
    assert len(desk.to(REQUESTER)) == 1


# -- the admin view ------------------------------------------------------------------------


async def test_admins_see_who_cannot_be_notified_and_can_put_a_notification_back(
    desk: Desk, db_url: str
) -> None:
    number = await desk.ticket("kantoorartikelen", requester="aad-phone-only")
    await desk.run()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "frontoffice.cli", "notifications", "--db", db_url, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    people = await asyncio.to_thread(cli, "--people")
    assert people.returncode == 0, people.stderr
    assert "aad-phone-only" in people.stdout and "no_conversation" in people.stdout
    listed = await asyncio.to_thread(cli, "--state", "unreachable")
    assert number in listed.stdout and "no personal conversation" in listed.stdout
    [row] = await desk.store.rows(state="unreachable")
    assert (await asyncio.to_thread(cli, "--retry", str(row["id"]))).returncode == 0
    assert (await asyncio.to_thread(cli, "--retry", str(row["id"]))).returncode == 1
    assert (await asyncio.to_thread(cli, "--help")).returncode == 0


# -- the pieces on their own ---------------------------------------------------------------


async def test_planning_the_same_events_again_adds_no_rows(desk: Desk) -> None:
    await desk.ticket("kantoorartikelen")
    planner = desk.client.server.app[NOTIFICATIONS].planner
    assert await planner.run_once() == 4  # receipt, at risk, two escalations
    fresh = NotificationPlanner(desk.store, planner._tickets, planner._calendar, planner._policy)
    await fresh.run_once()  # a restarted process re-reads its window
    rows = await desk.store.rows()
    assert len(rows) == 4 and {r["state"] for r in rows} == {"pending"}
