"""A generated, deterministic history of the front office: a few thousand tickets with
their trail, the questions the bot was asked, FAQ votes and satisfaction ratings.

For trying the reports (``frontoffice report --demo``) and for the tests, which check
the report's figures against values computed straight from this history. The same seed
gives the same history. Every name, e-mail address, phone number, plate and visitor in it
is made up, and listed in ``History.personal`` so that a test can prove a purge removes
them all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from knowledge.catalogue import sla_clock
from knowledge.loader import Knowledge
from servicedesk.persistence.database import (
    dialogs,
    faq_votes,
    outbox,
    questions,
    ticket_events,
    ticket_followers,
    tickets,
)
from servicedesk.persistence.ticket_store import SqlTicketStore
from servicedesk.reporting import QuestionFacts, Rating, TicketFacts, VoteFacts, Window
from servicedesk.tickets import Actor, Channel, Requester, Ticket

DEFAULT_SEED = 20261201
DEFAULT_END = date(2026, 11, 30)  # a Monday: the history ends on the Sunday before, midnight local

FIRST_NAMES = (
    "Ada", "Bram", "Carla", "Daan", "Eva", "Femke", "Gijs", "Hanna", "Ivo", "Joris",
    "Kim", "Lotte", "Mehmet", "Noor", "Olaf", "Priya", "Quinten", "Roos", "Said", "Tess",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Yilmaz", "el Amrani", "Kok",
)  # fmt: skip
COST_CENTRES = ("KP-1100", "KP-1200", "KP-2040", "KP-3100", "KP-3300", "KP-4711", "KP-5020")
STAFF = (Actor("aad-staff-01", "Sam Smit"), Actor("aad-staff-02", "Fatima Bouzid"),
         Actor("aad-staff-03", "Kees Post"), Actor("aad-staff-04", "Lin Chen"))  # fmt: skip
CHANNELS = ((Channel.CHAT, 60), (Channel.PHONE, 25), (Channel.COUNTER, 8), (Channel.EMAIL, 7))
# How often each product is asked for, relative to 1 (the rest).
WEIGHTS = {
    "storing.verwarming": 9, "catering.vergadering": 8, "catering.lunch": 7,
    "storing.verlichting": 5, "storing.sanitair": 5, "schoonmaak.extra": 5,
    "zaal.reserveren": 5, "toegang.pas": 4, "schoonmaak.afval": 4, "storing.deur": 3,
    "bezoek.aanmelden": 4, "kantoorartikelen": 3, "catering.koffieautomaat": 3,
    "repro.drukwerk": 2, "catering.borrel": 2, "storing.lekkage": 2, "post.koerier": 1.5,
}  # fmt: skip
# Questions nobody's product covered ("none") or that needed a choice ("choose"), as
# topics: (decision, phrasing, the product the matcher leaned to, how many times).
TOPICS = (
    ("none", "waar kan ik mijn elektrische auto opladen bij het stadskantoor", "parkeren", 70),
    ("none", "mag mijn hond mee naar kantoor op vrijdag", None, 45),
    ("none", "hoe laat gaat het gebouw op zaterdag open", "toegang.pas", 38),
    ("none", "kan ik een kerstpakket ophalen voor mijn collega", "post.ontvangen", 30),
    ("none", "wie geeft de planten op onze afdeling water", None, 22),
    ("choose", "pas", "toegang.pas", 40),
    ("choose", "iets met koffie", "catering.koffieautomaat", 25),
)
# FAQ answers people vote unhelpful, with the question they had asked.
UNHELPFUL = (
    ("catering.lunch", "hoeveel kost een werklunch voor twintig mensen met soep", 0.8, 60),
    ("parkeren", "krijg ik een parkeerplek als ik parttime werk", 0.6, 40),
    ("storing.verwarming", "het blijft koud ook na het bijstellen van de thermostaat", 0.5, 30),
)
COMMENTS = (
    "Snel en vriendelijk geholpen.", "Monteur kwam pas na drie dagen.",
    "Prima geregeld, dank!", "Niemand liet iets weten.", "Heel tevreden over de lunch.",
)  # fmt: skip


@dataclass
class History:
    window: Window
    tickets: list[Ticket] = field(default_factory=list)
    followers: dict[int, list[Requester]] = field(default_factory=dict)  # ticket index
    questions: list[QuestionFacts] = field(default_factory=list)
    topics: list[str | None] = field(default_factory=list)  # per question: its TOPICS phrasing
    votes: list[VoteFacts] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    dialogs: list[tuple[str, str, dict[str, Any], datetime]] = field(default_factory=list)
    personal: set[str] = field(default_factory=set)  # every made-up personal value planted

    def ratings_in(self, window: Window) -> list[Rating]:
        return [r for r in self.ratings if r.at in window]

    def tickets_facts(self) -> list[TicketFacts]:
        """The tickets as reporting reads them (without a database)."""
        return [
            TicketFacts(
                number=t.number,
                product_id=t.product_id,
                queue=t.queue,
                kwis=t.kwis,
                priority=t.priority,
                channel=t.channel.value,
                status=t.status.value,
                created_at=t.created_at,
                response_due=t.deadlines.response_due,
                resolve_due=t.deadlines.resolve_due,
                responded_at=t.responded_at,
                resolved_at=t.resolved_at,
                cost_centre=t.fields.get("cost_centre"),
                persons=t.fields.get("persons"),
            )
            for t in self.tickets
        ]


def _typo(rng: random.Random, text: str) -> str:
    """Now and then a letter pair swapped, as people type."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) > 5]
    if not long or rng.random() < 0.5:
        return text
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _phrase(rng: random.Random, base: str) -> str:
    text = _typo(rng, base)
    if len(base.split()) >= 4:
        text = rng.choice(("", "hoi ", "goedemorgen ", "vraagje: ")) + text
        text += rng.choice(("", "?", "??", " ?"))
    return text


def generate(
    knowledge: Knowledge,
    *,
    count: int = 3000,
    weeks: int = 26,
    seed: int = DEFAULT_SEED,
    end: date = DEFAULT_END,
) -> History:
    """``count`` tickets over the ``weeks`` weeks before ``end`` (local midnight)."""
    rng = random.Random(seed)
    clock = sla_clock(knowledge)
    timezone = ZoneInfo(knowledge.organisation.timezone)
    start = datetime.combine(end - timedelta(weeks=weeks), time(0), timezone)
    until = datetime.combine(end, time(0), timezone)
    history = History(Window(start, until))
    products = [p for p in knowledge.products.values() if not p.is_redirect]
    weights = [WEIGHTS.get(p.id, 1.0) for p in products]
    buildings = knowledge.organisation.buildings
    channels, channel_weights = zip(*CHANNELS, strict=True)

    def person(i: int) -> Requester:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.replace(' ', '').lower()}.{i}@rivierstad.example"
        requester = Requester(f"aad-{seed % 1000:03d}-{i:05d}", name, email, "nl")
        history.personal.update({requester.id, email, f"{name} #{i}"})
        return Requester(requester.id, f"{name} #{i}", email, "nl")

    for i in range(count):
        product = rng.choices(products, weights)[0]
        assert product.queue and product.kwis and product.priority
        day = start + timedelta(days=rng.randrange(weeks * 7))
        if day.weekday() >= 5 and product.priority != "P1" and rng.random() < 0.85:
            day -= timedelta(days=day.weekday() - 4)  # most weekend wishes wait for Friday
        created = (day + timedelta(hours=rng.uniform(7.5, 17.0))).astimezone(UTC)  # 07:30-17:00
        requester = person(i)
        phone = f"06-{rng.randrange(10_000_000, 99_999_999)}"
        history.personal.add(phone)
        fields: dict[str, Any] = {}
        for kind in product.fields:
            if kind == "location":
                fields["location"] = (
                    f"{rng.choice(buildings)}, kamer {rng.randrange(1, 6)}.{rng.randrange(1, 40):02d}"
                )
            elif kind == "when":
                fields["when"] = (created + timedelta(days=rng.randrange(1, 10))).date().isoformat()
            elif kind == "persons":
                fields["persons"] = rng.randrange(2, 31)
            elif kind == "cost_centre":
                fields["cost_centre"] = rng.choice(COST_CENTRES)
            elif kind == "visitors":
                visitor = f"Bezoeker {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} #{i}"
                fields["visitors"] = visitor
                history.personal.add(visitor)
            elif kind == "plate":
                plate = f"{rng.choice('GHJKLNPRSTXZ')}{rng.choice('BDFGHJ')}-{i:03d}-X"
                fields["plate"] = plate
                history.personal.add(plate)
            elif kind == "description":
                fields["description"] = f"Graag snel, bel {requester.name} op {phone}"
        deadlines = clock.deadlines(product.priority, created)
        ticket = Ticket.open(
            number=f"FM-{created.year}-{i + 1:06d}",
            requester=requester,
            product_id=product.id,
            queue=product.queue,
            kwis=product.kwis.value,
            priority=product.priority,
            channel=rng.choices(channels, channel_weights)[0],
            fields=fields,
            charge=product.charge.nl if product.charge else None,
            at=created,
            deadlines=deadlines,
        )
        staff = rng.choice(STAFF)
        response_at = created + (deadlines.response_due - created) * rng.lognormvariate(-0.9, 0.7)
        resolve_at = created + (deadlines.resolve_due - created) * rng.lognormvariate(-0.5, 0.5)
        resolve_at = max(resolve_at, response_at + timedelta(minutes=10))
        if rng.random() < 0.04:  # cancelled by the requester, answered or not
            at = created + timedelta(minutes=rng.randrange(5, 600))
            if at < until:
                if response_at < at:
                    ticket.take(staff, response_at)
                ticket.cancel(
                    Actor(requester.id, requester.name), at, f"Toch niet nodig, {requester.name}"
                )
        else:
            if response_at < until:
                ticket.take(staff, response_at)
                progress = response_at + (resolve_at - response_at) / 3
                if progress < until:
                    ticket.progress(staff, progress, f"{staff.name} is ermee bezig")
                if rng.random() < 0.05 and progress + timedelta(hours=1) < until:
                    ticket.delay(
                        staff,
                        progress + timedelta(hours=1),
                        "Onderdeel besteld",
                        resolve_at + timedelta(days=1),
                    )
            if resolve_at < until and ticket.responded_at is not None:
                ticket.resolve(staff, resolve_at, f"Opgelost door {staff.name}")
                closed = resolve_at + timedelta(days=rng.uniform(0.5, 4))
                if closed < until and rng.random() < 0.8:
                    ticket.close(Actor.system("frontoffice"), closed, "Bevestigd door aanvrager")
                if rng.random() < 0.35:
                    met = resolve_at <= deadlines.resolve_due
                    score = rng.choices(
                        (1, 2, 3, 4, 5), (2, 3, 10, 40, 45) if met else (15, 25, 30, 20, 10)
                    )[0]
                    comment = rng.choice(COMMENTS) if rng.random() < 0.3 else None
                    history.ratings.append(
                        Rating(resolve_at + timedelta(hours=20), score, comment, ticket.number)
                    )
        if rng.random() < 0.05:
            history.followers[i] = [person(count + i)]
        history.tickets.append(ticket)

    _questions(history, knowledge, rng, count)
    for n in range(12):
        user = person(10 * count + n)
        at = (start + timedelta(days=rng.randrange(weeks * 7))).astimezone(UTC)
        state = {"kind": "intake", "fields": {"description": f"Voor {user.name}, {user.email}"}}
        history.dialogs.append((f"a:conversation-{n}", user.id, state, at))
    return history


def _questions(history: History, knowledge: Knowledge, rng: random.Random, count: int) -> None:
    start, end = history.window.start, history.window.end
    span = (end - start).total_seconds()

    def moment() -> datetime:
        return (start + timedelta(seconds=rng.uniform(0, span))).astimezone(UTC)

    answered = [(p.id, e.id) for p in knowledge.products.values() for e in p.faq]
    orderable = [p.id for p in knowledge.products.values() if not p.is_redirect]
    for _ in range(count):  # answered questions and product matches: no text kept
        if rng.random() < 0.55:
            product_id, faq_id = rng.choice(answered)
            decision, score = "answer", rng.uniform(0.6, 1.0)
        else:
            product_id, faq_id = rng.choice(orderable), None
            decision, score = "product", rng.uniform(0.5, 1.0)
        history.questions.append(
            QuestionFacts(moment(), "nl", decision, product_id, faq_id, score, None)
        )
        history.topics.append(None)
    for decision, base, product_id, times in TOPICS:
        for _ in range(times):
            leaned = product_id if rng.random() < 0.7 else None
            history.questions.append(
                QuestionFacts(
                    moment(),
                    "nl",
                    decision,
                    leaned,
                    None,
                    rng.uniform(0.1, 0.4),
                    _phrase(rng, base),
                )
            )
            history.topics.append(base)
    for n in range(15):  # people who tell the bot more than it needs
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} #q{n}"
        history.personal.add(name)
        text = f"dit is {name}, bel me terug over mijn contract nummer {n}"
        history.questions.append(QuestionFacts(moment(), "nl", "none", None, None, 0.1, text))
        history.topics.append(None)
    for product_id, text, share, times in UNHELPFUL:
        faq_id = knowledge.products[product_id].faq[0].id
        for _ in range(times):
            helpful = rng.random() >= share
            history.votes.append(
                VoteFacts(
                    moment(), product_id, faq_id, helpful, None if helpful else _phrase(rng, text)
                )
            )
    for _ in range(count // 5):
        product_id, faq_id = rng.choice(answered)
        helpful = rng.random() < 0.97
        history.votes.append(
            VoteFacts(
                moment(), product_id, faq_id, helpful, None if helpful else "dit helpt me niet"
            )
        )
    pairs = sorted(zip(history.questions, history.topics, strict=True), key=lambda p: p[0].at)
    history.questions = [q for q, _ in pairs]
    history.topics = [topic for _, topic in pairs]


def write(engine: Engine, history: History, backoffice: str = "builtin") -> None:
    """Store the history in a migrated database (one transaction)."""
    with engine.begin() as connection:
        rows = []
        for ticket in history.tickets:
            row = SqlTicketStore._row(ticket, backoffice)
            rows.append({**row, "number": ticket.number, "version": len(ticket.events)})
        connection.execute(tickets.insert(), rows)
        ids = dict(connection.execute(sa.select(tickets.c.number, tickets.c.id)).all())
        events = [
            {
                "ticket_id": ids[ticket.number],
                "seq": seq,
                "type": event.type.value,
                "at": event.at,
                "actor_id": event.actor.id,
                "actor_name": event.actor.name,
                "note": event.note,
                "data": event.data,
            }
            for ticket in history.tickets
            for seq, event in enumerate(ticket.events)
        ]
        seqs = {t.number: len(t.events) for t in history.tickets}
        requesters = {t.number: t.requester.id for t in history.tickets}
        for rating in history.ratings:  # the follow-up card's answer: a feedback event
            assert rating.ticket is not None
            events.append(
                {
                    "ticket_id": ids[rating.ticket],
                    "seq": seqs[rating.ticket],
                    "type": "feedback",
                    "at": rating.at,
                    "actor_id": requesters[rating.ticket],
                    "actor_name": "",
                    "note": "",
                    "data": {"rating": rating.score, "comment": rating.comment or ""},
                }
            )
            seqs[rating.ticket] += 1
        connection.execute(ticket_events.insert(), events)
        followers = [
            {
                "ticket_id": ids[history.tickets[index].number],
                "follower_id": f.id,
                "name": f.name,
                "email": f.email,
                "language": f.language,
                "added_at": history.tickets[index].created_at,
            }
            for index, people in history.followers.items()
            for f in people
        ]
        if followers:
            connection.execute(ticket_followers.insert(), followers)
        jobs = [
            {
                "kind": "deliver",
                "ticket_id": ids[ticket.number],
                "idempotency_key": f"deliver:{ticket.number}",
                "state": "done",
                "attempts": 2 if n % 50 == 0 else 1,
                "next_attempt_at": ticket.created_at,
                "created_at": ticket.created_at,
                "done_at": ticket.created_at,
                "last_error": f"503 for {ticket.requester.email}" if n % 50 == 0 else None,
            }
            for n, ticket in enumerate(history.tickets)
        ]
        connection.execute(outbox.insert(), jobs)
        connection.execute(
            questions.insert(),
            [
                {
                    "at": q.at,
                    "language": q.language,
                    "decision": q.decision,
                    "product_id": q.product_id,
                    "faq_id": q.faq_id,
                    "score": q.score,
                    "text": q.text,
                }
                for q in history.questions
            ],
        )
        connection.execute(
            faq_votes.insert(),
            [
                {
                    "at": v.at,
                    "product_id": v.product_id,
                    "faq_id": v.faq_id,
                    "helpful": v.helpful,
                    "text": v.text,
                }
                for v in history.votes
            ],
        )
        for conversation_id, user_id, state, at in history.dialogs:
            connection.execute(
                dialogs.insert().values(
                    conversation_id=conversation_id,
                    user_id=user_id,
                    state=state,
                    version=1,
                    updated_at=at,
                )
            )


def statuses(history: History) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ticket in history.tickets:
        counts[ticket.status.value] = counts.get(ticket.status.value, 0) + 1
    return counts
