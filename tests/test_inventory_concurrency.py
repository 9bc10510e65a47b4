"""Concurrent inventory ingest from 8 threads (8 connections) on PostgreSQL gives the serial result.

The anchor is Odoo's quant corruption under concurrent reservation: here each thread sends an
overlapping, shuffled share of one stream (replays, late events, counts, two plants), some large
enough for the COPY path; the ledger must hold every event once and the balances must equal
those of the same stream applied once, in order, by one writer.
"""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest

from gateway.actors import Actor
from materials.inputs import InventoryEventInput
from materials.models import InventoryBalance, InventoryEvent
from materials.services import inventory_events_apply
from procurement import factories

from .test_concurrency import run_together

pytestmark = pytest.mark.postgres

T0 = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
PARTS = ("BOLT", "NUT", "WASHER")


def stream(size: int, seed: int) -> list[InventoryEventInput]:
    rng = random.Random(seed)
    events = []
    for n in range(size):
        kind = rng.choice(["receipt", "receipt", "issue", "transfer", "adjustment", "count", "status_change"])
        quantity = Decimal(rng.randint(1, 50))
        extra = {}
        location = rng.choice(["A", "B"])
        if kind == "transfer":
            extra["to_location"] = "B" if location == "A" else "A"
        if kind == "status_change":
            extra["to_status"] = "quarantine"
        if kind == "adjustment" and rng.random() < 0.5:
            quantity = -quantity
        events.append(
            InventoryEventInput(
                plant_code=rng.choice(["DET", "MTY"]),
                part_number=rng.choice(PARTS),
                kind=kind,
                quantity=quantity,
                source_event_id=f"ev-{n}",
                source_sequence=n,
                occurred_at=T0 + dt.timedelta(seconds=n),
                location=location,
                posting=rng.choice(["physical", "posted"]),
                **extra,
            )
        )
    return events


def table(source: str) -> dict:
    return {
        (b.plant_id, b.item_id, b.location, b.lot, b.stock_status): (b.physical, b.posted)
        for b in InventoryBalance.objects.filter(source_system=source)
        if b.physical or b.posted
    }


def test_eight_threads_ingesting_overlapping_shuffled_shares_equal_one_serial_ingest(postgres, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME")
    for code in ("DET", "MTY"):
        factories.PlantFactory(company=company, code=code)
    for part in PARTS:
        factories.ItemFactory(company=company, part_number=part)
    actor = Actor.for_system(company_ids={company.pk}, label="system WMS")
    events = stream(1200, seed=14)
    rng = random.Random(7)
    shares = []
    for thread in range(8):
        share = [e for e in events if rng.random() < 0.4]
        rng.shuffle(share)
        shares.append(share)
    # Every event reaches the ledger at least once, in some share.
    shares[0] = shares[0] + [e for e in events if not any(e in s for s in shares)]

    def send(share, batch):
        def call():
            outcomes = Counter()
            for start in range(0, len(share), batch):
                for o in inventory_events_apply(
                    actor=actor, company_code="ACME", source_system="WMS", events=share[start : start + batch]
                ):
                    outcomes[o.outcome] += 1
            return outcomes

        return call

    results = run_together(*(send(share, 600 if n % 2 else 37) for n, share in enumerate(shares)))
    assert not [r for r in results if isinstance(r, Exception)], results
    total = sum(results, Counter())
    assert total == Counter({"applied": len(events), "duplicate": sum(map(len, shares)) - len(events)})
    assert InventoryEvent.objects.filter(source_system="WMS").count() == len(events)

    inventory_events_apply(actor=actor, company_code="ACME", source_system="SERIAL", events=events)
    assert table("WMS") == table("SERIAL")
    assert len(table("SERIAL")) > 10
