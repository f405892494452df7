"""The knowledge seen through the core's ports: the catalogue and the SLA policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from knowledge.loader import Knowledge
from servicedesk.errors import ConfigurationError, InputError
from servicedesk.reporting import PriceKind, Tariff
from servicedesk.service import Offering
from servicedesk.sla import Duration, SlaClock
from servicedesk.tickets import Deadlines


class _Source(Protocol):
    def current(self) -> _Snapshot: ...


class _Snapshot(Protocol):
    @property
    def knowledge(self) -> Knowledge: ...


# A question nobody's product covers, sent on to a front-office colleague (the
# "none" decision's offer). Not a catalogue product: the front office's own intake.
QUESTION_PRODUCT = "frontoffice.vraag"
QUESTION_QUEUE = "frontoffice"


class KnowledgeCatalogue:
    """``servicedesk.service.Catalogue`` over the current (hot-reloaded) knowledge."""

    def __init__(self, source: _Source) -> None:
        self._source = source

    def offering(self, product_id: str) -> Offering | None:
        knowledge = self._source.current().knowledge
        product = knowledge.products.get(product_id)
        if (
            product is None
            and product_id == QUESTION_PRODUCT
            and QUESTION_QUEUE in knowledge.queues
        ):
            lowest = (
                sorted(knowledge.sla_classes)[-1] if "P3" not in knowledge.sla_classes else "P3"
            )
            return Offering(
                product_id=QUESTION_PRODUCT,
                queue=QUESTION_QUEUE,
                kwis="informatie",
                priority=lowest,
                charge=None,
                required_fields=("description",),
                backoffice=knowledge.queues[QUESTION_QUEUE].backoffice,
            )
        if product is None:
            return None
        if product.redirect is not None:
            raise InputError(
                f"product {product_id!r} is not delivered by facilities: {product.redirect.en}"
            )
        assert product.queue and product.kwis and product.priority
        return Offering(
            product_id=product.id,
            queue=product.queue,
            kwis=product.kwis.value,
            priority=product.priority,
            charge=product.charge.nl if product.charge else None,
            required_fields=tuple(kind.value for kind in product.fields),
            backoffice=knowledge.queues[product.queue].backoffice,
        )


def tariffs(knowledge: Knowledge) -> dict[str, Tariff]:
    """The products that are charged to a cost centre, with their price as figures."""
    return {
        product.id: Tariff(
            kind=PriceKind(product.price.kind),
            amount=None if product.price.amount is None else Decimal(str(product.price.amount)),
            # a charter's promise is "late, then free": only a priced product has a charge to drop
            charter=product.charter is not None and product.price.kind != "quote",
        )
        for product in knowledge.products.values()
        if product.price is not None
    }


def sla_clock(knowledge: Knowledge) -> SlaClock:
    """The SLA clock for this organisation's business hours, holidays and classes."""
    organisation = knowledge.organisation
    hours = organisation.business_hours
    return SlaClock.from_config(
        timezone=organisation.timezone,
        days=list(hours.days),
        open=hours.open,
        close=hours.close,
        holidays=organisation.holidays,
        classes={
            name: (sla.response, sla.resolution, sla.clock)
            for name, sla in knowledge.sla_classes.items()
        },
    )


class KnowledgeSla:
    """``servicedesk.service.SlaPolicy`` that follows knowledge reloads."""

    def __init__(self, source: _Source) -> None:
        self._source = source
        self._built_for: Knowledge | None = None
        self._clock: SlaClock | None = None

    def clock(self) -> SlaClock:
        knowledge = self._source.current().knowledge
        if self._clock is None or self._built_for is not knowledge:
            self._clock, self._built_for = sla_clock(knowledge), knowledge
        return self._clock

    def deadlines(self, priority: str, start: datetime) -> Deadlines:
        return self.clock().deadlines(priority, start)

    def state(self, priority: str, start: datetime, due: datetime, now: datetime) -> str:
        clock = self.clock()
        return clock.state(start, due, now, clock.sla_class(priority).clock).value


class KnowledgeCalendar:
    """``servicedesk.notifications.NotifyCalendar`` and ``Contacts`` over the current
    knowledge: business hours, holidays, SLA classes and queue leads."""

    def __init__(self, source: _Source, sla: KnowledgeSla | None = None) -> None:
        self._source = source
        self._sla = sla or KnowledgeSla(source)

    def is_urgent(self, priority: str) -> bool:
        sla = self._source.current().knowledge.sla_classes.get(priority)
        return sla is not None and sla.clock == "24x7"

    def is_business_time(self, at: datetime) -> bool:
        return self._sla.clock().calendar.is_business_time(at)

    def next_business_start(self, at: datetime) -> datetime:
        return self._sla.clock().calendar.next_business_start(at)

    def after(self, start: datetime, delay: str) -> datetime:
        """``start`` plus ``45s`` (elapsed seconds) or an SLA duration (``8bh``, ``2bd``)."""
        text = delay.strip()
        if text.endswith("s") and text[:-1].isdigit():
            return start + timedelta(seconds=int(text[:-1]))
        return self._sla.clock().calendar.add(start, Duration.parse(text))

    def at_risk_moment(
        self, priority: str, start: datetime, due: datetime, share: float
    ) -> datetime:
        clock = self._sla.clock()
        try:
            kind = clock.sla_class(priority).clock
        except ConfigurationError:  # an unknown class: count elapsed time
            kind = "24x7"
        if kind == "business":
            allowed = clock.calendar.business_time_between(start, due)
            return clock.calendar.add_business_time(start, allowed * share)
        return start + (due - start) * share

    def lead_id(self, queue: str) -> str | None:
        found = self._source.current().knowledge.queues.get(queue)
        return found.lead_id if found is not None else None
