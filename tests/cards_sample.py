"""Named sample cards, built by the project's real card builders, for validation and screenshots.

``sample_cards()`` returns ``{name: card JSON}``; tests/test_card_rendering.py validates
every entry with the official Adaptive Cards library and renders it in Chromium.

To add a card: write a small function that builds it from the real builder (real
knowledge where the card shows knowledge) and put it in ``SAMPLES``. A builder from a
module that may not exist yet goes through ``_optional`` so a missing module skips
its samples instead of breaking the others. Names become file names: keep them
``[a-z0-9_-]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

from dialogs import cards
from dialogs.messages import t
from knowledge.loader import DEFAULT_DIR
from knowledge.reload import Snapshot, build_snapshot

Card = dict[str, Any]
Sample = Callable[[], Card]


@cache
def knowledge() -> Snapshot:
    """The shipped default knowledge (Gemeente Rivierstad)."""
    return build_snapshot(DEFAULT_DIR)


def _optional(module: str) -> ModuleType | None:
    """A module that may not exist (yet); None when it cannot be imported."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _duration(language: str, code: str) -> str:
    frontdesk = _optional("dialogs.frontdesk")
    describe = getattr(frontdesk, "describe_duration", None)
    return describe(language, code) if describe is not None else code


# -- the samples -------------------------------------------------------------------------


def summary_card(language: str = "nl") -> Card:
    """The intake's summary of a lunch order: fields, promise, charge with cost centre."""
    product = knowledge().knowledge.products["catering.lunch"]
    assert product.charge is not None and product.charter is not None
    facts = [
        (t(language, "field.location"), "Werf, 1e verdieping, kamer 1.03"),
        (
            t(language, "field.when"),
            t(language, "date.moment", day="woensdag 2 december", time="12:00"),
        ),
        (t(language, "field.persons"), "12"),
        (t(language, "field.cost_centre"), "4711"),
        (t(language, "field.description"), "Broodjes en soep, twee vegetarisch"),
    ]
    due = t(
        language,
        "summary.due",
        duration=_duration(language, "4bh"),
        moment="dinsdag 1 december om 14:00",
    )
    promise = [
        (t(language, "product.response"), due),
        (t(language, "product.resolution"), due),
        (
            t(language, "product.charge"),
            t(
                language,
                "summary.charge_to",
                charge=product.charge.in_language(language),
                cost_centre="4711",
            ),
        ),
        (t(language, "product.charter"), product.charter.in_language(language)),
    ]
    return cards.summary_card(
        language,
        title=t(language, "summary.title", product=product.name.in_language(language)),
        facts=facts,
        promise=promise,
        confirm={"token": "sample"},
    )


def answer_card(language: str = "nl") -> Card:
    """An FAQ answer with "was this helpful?" and the offer to order."""
    product = knowledge().knowledge.products["catering.restaurant"]
    entry = product.faq[0]
    return cards.answer_card(
        language,
        entry.answer.in_language(language),
        product_id=product.id,
        faq_id=entry.id,
        question=entry.questions.nl[0],
        offer=t(language, "answer.offer", product=product.name.in_language(language)),
    )


def my_tickets_card(language: str = "nl") -> Card:
    rows = [
        (
            "FM-2026-000123",
            "Lekkage of wateroverlast",
            t(language, "status.in_progress"),
            "ma 30 nov",
        ),
        ("FM-2026-000131", "Werklunch bestellen", t(language, "status.new"), "di 1 dec"),
    ]
    return cards.ticket_list_card(language, t(language, "mine.title"), rows)


def emergency_card(language: str = "nl") -> Card:
    organisation = knowledge().knowledge.organisation
    return cards.emergency_card(
        t(language, "emergency.title"), organisation.emergency.in_language(language)
    )


def duplicate_card(language: str = "nl") -> Card:
    text = t(
        language,
        "duplicate.found",
        number="FM-2026-000123",
        product="Lekkage of wateroverlast",
        location="Stadskantoor, 2e verdieping, kamer 2.14",
        since="dinsdag 1 december om 09:12",
        status=t(language, "status.accepted"),
    )
    return cards.offer_card(
        text,
        [
            (t(language, "duplicate.follow"), "duplicate.follow", {"token": "sample"}),
            (t(language, "duplicate.file"), "duplicate.file", {"token": "sample"}),
        ],
    )


def form_card(language: str = "nl") -> Card:
    """The intake's form for a lunch order with everything still to fill in."""
    from datetime import date

    from dialogs import intake

    fields = ["location", "when", "persons", "cost_centre", "description"]
    buildings = knowledge().knowledge.organisation.buildings
    inputs = intake.form_inputs(fields, language, buildings, date(2026, 12, 1))
    product = knowledge().knowledge.products["catering.lunch"].name.in_language(language)
    return cards.form_card(
        t(language, "form.title", product=product),
        inputs,
        (t(language, "form.send"), "intake.form", {"token": "sample"}),
        [f"{t(language, 'field.persons')}: {t(language, 'intake.hint.persons')}"],
    )


def choose_card(text: str = "pas", language: str = "nl") -> Card:
    """The short choice the matcher offers for a vague message."""
    snapshot = knowledge()
    match = snapshot.matcher.match(text)
    choices = [
        (c.product_id, snapshot.knowledge.products[c.product_id].name.in_language(language))
        for c in match.choices
    ]
    assert choices, f"{text!r} no longer gives a choice; pick another vague message"
    return cards.choose_card(language, choices)


def notice_card(language: str = "nl") -> Card:
    return cards.notice_card(t(language, "choose.other_reply"))


def assignment_card(state: str = "new", language: str = "nl") -> Card:
    """The back-office assignment card (dialogs/queue_cards.py) for a heating fault in a
    given state: new (as posted in the channel), taken, delayed and at risk, resolved,
    or as seen by someone outside the queue."""
    from datetime import UTC, datetime, timedelta

    from servicedesk.tickets import Actor, Channel, Deadlines, Requester, Ticket

    queue_cards: Any = _optional("dialogs.queue_cards")
    snapshot = knowledge().knowledge
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    ticket = Ticket.open(
        number="FM-2026-000123",
        requester=Requester("aad-1", "Ada de Vries", "ada@rivierstad.example", language),
        product_id="storing.verwarming",
        queue="technische-dienst",
        kwis="storing",
        priority="P3",
        channel=Channel.CHAT,
        fields={
            "location": "Stadskantoor, 2e verdieping, kamer 2.14",
            "description": "Het is 16 graden in de kamer en de radiator blijft koud.",
            "cost_centre": "KP-4711",
        },
        charge=None,
        at=at,
        deadlines=Deadlines(at + timedelta(hours=4), at + timedelta(days=3)),
    )
    ticket.version = 2
    staff = Actor("aad-staff-1", "Sam Smit")
    sla = {"response": "ok", "resolution": "ok"}
    if state in ("taken", "delayed", "resolved"):
        ticket.take(staff, at + timedelta(minutes=20))
        ticket.progress(staff, at + timedelta(minutes=30), "Monteur is onderweg.")
        sla = {"response": "met", "resolution": "ok"}
    if state == "delayed":
        ticket.delay(
            staff, at + timedelta(hours=2), "Thermostaatkraan besteld", at + timedelta(days=5)
        )
        sla = {"response": "met", "resolution": "at_risk"}
    if state == "resolved":
        ticket.resolve(staff, at + timedelta(hours=3), "Thermostaatkraan vervangen.")
        sla = {"response": "met", "resolution": "met"}
    names = {q: c.name.in_language(language) for q, c in snapshot.queues.items()}
    viewer = None
    notice = None
    if state == "outsider":
        viewer = queue_cards.Viewer(may_act=False, actor_id="aad-someone")
        notice = t(language, "queue.notice.not_your_queue", queue=names["technische-dienst"])
    context = queue_cards.CardContext(
        product=snapshot.products["storing.verwarming"].name.in_language(language),
        queue=names["technische-dienst"],
        other_queues=[(q, n) for q, n in names.items() if q != "technische-dienst"],
        sla=sla,
        staff_ids=["8:orgid:00000000-0000-0000-0000-000000000001"],
        viewer=viewer,
        notice=notice,
        notice_style="attention",
    )
    card: Card = queue_cards.assignment_card(ticket, context, language)
    return card


def insight_weekly_card(language: str = "nl") -> Card:
    """The weekly summary for the admin channel: key figures and the volume chart of a
    small generated history."""
    from datetime import date, timedelta

    from frontoffice import charts, history
    from frontoffice.report import Names, make_report, summary
    from servicedesk.reporting import InsightData, Window

    insight_cards: Any = _optional("dialogs.insight_cards")
    snapshot = knowledge()
    past = history.generate(snapshot.knowledge, count=500, weeks=8, end=date(2026, 11, 30))
    data = InsightData(past.tickets_facts(), past.questions, past.votes, past.ratings)
    end = past.window.end
    week = Window(end - timedelta(days=7), end)
    figures = summary(make_report(data, week, snapshot, end))
    chart = charts.volume_chart(
        make_report(data, past.window, snapshot, end),
        language,
        Names.of(snapshot, language).queues,
        small=True,
    )
    card: Card = insight_cards.weekly_card(
        language,
        insight_cards.WeekFigures(
            week="2026-W48",
            start="2026-11-23",
            end="2026-11-29",
            total=figures["total"],
            response_percent=figures["response"].percent,
            resolution_percent=figures["resolution"].percent,
            breaches=figures["breaches"],
            satisfaction=figures["satisfaction"],
            ratings=figures["ratings"],
            unanswered=figures["unanswered"],
            top_question=figures["top_question"],
            chargeback=figures["chargeback"],
        ),
        chart,
    )
    return card


SAMPLES: dict[str, Sample] = {
    "choose_nl": choose_card,
    "notice_nl": notice_card,
}
for _name, _build in (
    ("summary", summary_card),
    ("answer", answer_card),
    ("my_tickets", my_tickets_card),
    ("emergency", emergency_card),
    ("duplicate", duplicate_card),
    ("form", form_card),
):
    SAMPLES[f"{_name}_nl"] = _build
    SAMPLES[f"{_name}_en"] = lambda build=_build: build("en")


if _optional("dialogs.queue_cards") is not None:
    for _state in ("new", "taken", "delayed", "resolved", "outsider"):
        SAMPLES[f"assignment_{_state}_nl"] = lambda state=_state: assignment_card(state)
    SAMPLES["assignment_taken_en"] = lambda: assignment_card("taken", "en")


if _optional("dialogs.insight_cards") is not None:
    SAMPLES["insight_weekly_nl"] = insight_weekly_card
    SAMPLES["insight_weekly_en"] = lambda: insight_weekly_card("en")



def notify_card(kind: str, language: str = "nl", role: str = "requester") -> Card:
    """A notification card to the requester (receipt, completion, follow-up) for an office
    supplies order, with the shipped knowledge's names, SLA and charter."""
    from dialogs.notify_cards import NoticeView, completion_card, confirmation_card, followup_card

    snapshot = knowledge().knowledge
    product = snapshot.products["kantoorartikelen"]
    view = NoticeView(
        kind=kind,
        language=language,
        role=role,
        number="FM-2026-000123",
        product=product.name.in_language(language),
        queue=snapshot.queues["huisvesting"].name.in_language(language),
        note="Geleverd op je werkplek." if language == "nl" else "Delivered to your desk.",
        response=t(
            language,
            "notify.due",
            duration=_duration(language, "1bd"),
            moment=t(language, "date.moment", day="dinsdag 24 november", time="10:00"),
        ),
        resolution=t(
            language,
            "notify.due",
            duration=_duration(language, "10bd"),
            moment=t(language, "date.moment", day="maandag 7 december", time="10:00"),
        ),
        charter=product.charter.in_language(language) if product.charter else "",
    )
    builders = {
        "confirmation": confirmation_card,
        "completion": completion_card,
        "followup": followup_card,
    }
    return builders[kind](view)


if _optional("dialogs.notify_cards") is not None:
    for _kind in ("confirmation", "completion", "followup"):
        SAMPLES[f"notify_{_kind}_nl"] = lambda kind=_kind: notify_card(kind)
        SAMPLES[f"notify_{_kind}_en"] = lambda kind=_kind: notify_card(kind, "en")
    SAMPLES["notify_completion_follower_nl"] = lambda: notify_card("completion", role="follower")


def sample_cards() -> dict[str, Card]:
    """Every sample card by name."""
    return {name: build() for name, build in SAMPLES.items()}
