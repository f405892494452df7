"""The catalogue's charge texts as figures (``price``), for charge-back reports."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from pydantic import ValidationError

from knowledge.catalogue import tariffs
from knowledge.model import Price
from knowledge.reload import Snapshot
from servicedesk.reporting import PriceKind

AMOUNT = re.compile(r"€\s*(\d+),(\d{2})")


def test_every_charge_that_names_an_amount_has_that_price(snapshot: Snapshot) -> None:
    for product in snapshot.knowledge.products.values():
        if product.charge is None:
            assert product.price is None, product.id
            continue
        assert product.price is not None, f"{product.id}: charge without a price"
        match = AMOUNT.search(product.charge.nl)
        if match is None:
            assert product.price.kind == "quote", product.id
            continue
        assert product.price.amount == float(f"{match.group(1)}.{match.group(2)}"), product.id
        kind = "per_person" if "per persoon" in product.charge.nl else "fixed"
        assert product.price.kind == kind, product.id


def test_tariffs_waive_only_priced_products_with_a_charter(snapshot: Snapshot) -> None:
    table = tariffs(snapshot.knowledge)
    assert table["catering.lunch"].kind is PriceKind.PER_PERSON
    assert table["catering.lunch"].amount == Decimal("8.5") and table["catering.lunch"].charter
    assert table["catering.borrel"].kind is PriceKind.QUOTE and not table["catering.borrel"].charter
    assert not table["schoonmaak.glasbewassing"].charter  # a quote: nothing to waive
    assert table["catering.vergadering"].charge(12) == Decimal("21.00")


@pytest.mark.parametrize(
    "price",
    [
        {"kind": "fixed"},
        {"kind": "per_person", "amount": 0},
        {"kind": "quote", "amount": 10},
        {"kind": "per_unit", "amount": 2.5},
        {"kind": "fixed", "amount": 5, "unit": {"nl": "doos", "en": "box"}},
        {"kind": "per_hour", "amount": 5},
    ],
)
def test_a_price_that_does_not_add_up_is_refused(price: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Price.model_validate(price)
