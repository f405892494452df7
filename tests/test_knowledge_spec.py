"""The shipped knowledge holds exactly the catalogue of the sample organisation.

tests/data/catalogue.yaml is a copy of the organisation's specification.
"""

from __future__ import annotations

import pytest
import yaml

from knowledge.reload import Snapshot
from tests.conftest import DATA

SPEC = yaml.safe_load((DATA / "catalogue.yaml").read_text("utf-8"))
SPEC_PRODUCTS = {p["id"]: p for p in SPEC["products"]}


def test_every_catalogue_id_and_nothing_else(snapshot: Snapshot) -> None:
    assert set(snapshot.knowledge.products) == set(SPEC_PRODUCTS)


@pytest.mark.parametrize("product_id", sorted(SPEC_PRODUCTS))
def test_product_matches_the_catalogue(snapshot: Snapshot, product_id: str) -> None:
    spec = SPEC_PRODUCTS[product_id]
    product = snapshot.knowledge.products[product_id]
    if "redirect" in spec:
        assert product.redirect is not None and product.redirect.nl == spec["redirect"]
        assert product.faq == [] and product.queue is None
        return
    assert product.queue == spec["queue"]
    assert product.kwis is not None and product.kwis.value == spec["kwis"]
    assert product.priority == spec["priority"]
    assert [f.value for f in product.fields] == spec["fields"]
    assert (product.charge.nl if product.charge else None) == spec.get("charge")
    assert (product.charter.nl if product.charter else None) == spec.get("charter")
    assert product.description.nl == spec["description"]
    assert 5 <= len(product.faq) <= 10


def test_organisation_sla_and_queues_match_the_catalogue(snapshot: Snapshot) -> None:
    knowledge = snapshot.knowledge
    organisation = SPEC["organisation"]
    assert knowledge.organisation.name == organisation["name"]
    assert knowledge.organisation.timezone == organisation["timezone"]
    hours = knowledge.organisation.business_hours
    assert (hours.days, hours.open, hours.close) == (
        organisation["business_hours"]["days"],
        organisation["business_hours"]["open"],
        organisation["business_hours"]["close"],
    )
    assert knowledge.organisation.buildings == organisation["buildings"]
    assert knowledge.organisation.emergency.nl == organisation["emergency"]
    for name, spec in SPEC["sla_classes"].items():
        sla = knowledge.sla_classes[name]
        assert (sla.label.nl, sla.response, sla.resolution, sla.clock) == (
            spec["label"],
            spec["response"],
            spec["resolution"],
            spec["clock"],
        )
    assert set(knowledge.queues) == set(SPEC["queues"])
    for queue_id, spec in SPEC["queues"].items():
        assert knowledge.queues[queue_id].lead.nl == spec["lead"]


def test_answers_quote_the_catalogue_charges(snapshot: Snapshot) -> None:
    """Where an FAQ answer states a per-person price, it is the catalogue's price."""
    for product_id in ("catering.vergadering", "catering.lunch"):
        price = SPEC_PRODUCTS[product_id]["charge"].split(" per")[0]
        answers = " ".join(e.answer.nl for e in snapshot.knowledge.products[product_id].faq)
        assert price in answers, product_id
