"""The dashboard's figures against a plain reckoning over the rows, on generated records.

Each seed builds a small random record (two companies, plants, suppliers of every tier and
channel, POs, change requests, ship notices and receipts, invoices, exceptions, stored documents,
EDI groups) with times spread across and around the period. The reference here reads the rows
back one by one and works each figure out in Python, the way the module docstring of
``procurement.kpis`` defines it; every grouping and every slice must give exactly the rows the
dashboard shows. Whatever makes the figures faster must keep these equal. (The ASN-by-SSCC figure
is held to worked examples in ``test_kpi_packs``.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection

from edi.kpis import functional_ack_kpis
from edi.models import FunctionalGroup, Interchange, TradingPartner
from gateway.actors import Actor
from procurement import factories, kpis
from procurement.kpis import FIRST_PASS, GROUPS, KpiQuery
from procurement.models import (
    ChangeRequest,
    Company,
    InboundDocument,
    Invoice,
    Item,
    POLine,
    ProcurementException,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
)
from suppliers.models import Supplier
from workbench.scorecards import sync_kpis

START, END = dt.date(2027, 1, 1), dt.date(2027, 3, 31)
SINCE = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
SEEDS = (1, 2, 3)


def _when(rng: random.Random) -> dt.datetime:
    """A time from three weeks before the period to ten days after it, to the second."""
    return SINCE - dt.timedelta(days=21) + dt.timedelta(seconds=rng.randrange(0, 120 * 86400))


def _later(rng: random.Random, start: dt.datetime, hours: int) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randrange(0, hours * 3600))


def generate(seed: int) -> dict[str, Any]:
    """A random record; returns the buying company, its buyer actor and the slices' values."""
    rng = random.Random(seed)
    acme: Company = cast(
        Company,
        factories.CompanyFactory(
            code=f"ACME{seed}", ack_due_hours=rng.choice((12, 24, 48)), sla_hours={"sync.invoice": rng.choice((1, 2))}
        ),
    )
    other: Company = cast(Company, factories.CompanyFactory(code=f"OTHER{seed}"))
    plants: dict[int, list[Any]] = {acme.pk: [factories.PlantFactory(company=acme, code=c) for c in ("DET", "MTY")]}
    plants[other.pk] = [factories.PlantFactory(company=other, code="OTP")]
    suppliers = [
        Supplier.objects.update_or_create(
            code=f"S{n}", defaults={"name": f"Supplier {n}", "tier": tier, "channel": channel}
        )[0]
        for n, (tier, channel) in enumerate(
            zip(
                [*Supplier.Tier.values, *Supplier.Tier.values],
                [*Supplier.Channel.values, *reversed(Supplier.Channel.values)],
                strict=True,
            )
        )
    ]
    pos, lines = [], {}
    for n in range(60):
        company = acme if n % 5 else other
        published = _when(rng)
        po = PurchaseOrder.objects.create(
            company=company,
            supplier=rng.choice(suppliers),
            ship_to=rng.choice(plants[company.pk]),
            number=f"P{n}",
            currency="USD",
            order_date=published.date(),
            published_at=published,
            first_ack_at=_later(rng, published, 96) if rng.random() < 0.7 else None,
            updated_at=published,
        )
        item, _ = Item.objects.get_or_create(company=company, part_number=f"PART-{n}")
        lines[po.pk] = [
            POLine.objects.create(
                po=po, line_no=str(k + 1), item=item, quantity=Decimal(10), uom="EA", unit_price=1, need_by=START
            )
            for k in range(rng.choice((1, 2)))
        ]
        pos.append(po)
    for n in range(25):
        po = rng.choice(pos)
        ChangeRequest.objects.create(
            po=po,
            po_line=lines[po.pk][0],
            response="RESCHEDULE",
            proposed=rng.choice(({"need_by": "2027-06-01"}, {"unit_price": "1.5"})),
            current={},
            state=rng.choice(ChangeRequest.State.values),
            created_at=_when(rng),
        )
    documents = []
    for n in range(40):
        received = _when(rng)
        content = f"{seed}-{n}".encode()
        documents.append(
            InboundDocument.objects.create(
                channel=rng.choice(Supplier.Channel.values),
                sender="X",
                supplier=rng.choice([None, *suppliers]),
                company=rng.choice((acme, acme, other, None)),
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                correlation_id=f"c{n}",
                received_at=received,
                state=rng.choice(InboundDocument.State.values),
                processed_at=_later(rng, received, 3) if rng.random() < 0.8 else None,
            )
        )
    shipments = []
    for n in range(30):
        po = rng.choice(pos)
        received = _when(rng)
        shipment = Shipment.objects.create(
            supplier=po.supplier,
            company=po.company,
            shipment_id=f"ASN{n}",
            ship_date=received.date(),
            channel="edi",
            document_id=f"ASN{n}",
            fingerprint=f"ASN{n}",
            received_at=received,
            inbound_document=rng.choice([None, *documents]),
        )
        for line in lines[po.pk]:
            for _ in range(rng.choice((1, 1, 2))):
                ShipmentLine.objects.create(shipment=shipment, po_line=line, quantity=rng.randint(1, 3), uom="EA")
        shipments.append((shipment, po))
    for n in range(40):
        noticed, po = rng.choice(shipments)
        against: Shipment | None = None if rng.random() < 0.2 else noticed
        received = _when(rng)
        receipt = Receipt.objects.create(
            company=po.company,
            po=po,
            shipment=against,
            receipt_number=f"R{n}",
            received_on=received.date(),
            physical_status="received",
            posting_status="posted",
            channel="system",
            document_id=f"R{n}",
            fingerprint=f"R{n}",
            received_at=received,
        )
        for line in lines[po.pk]:
            ReceiptLine.objects.create(
                receipt=receipt,
                po_line=line,
                quantity_received=rng.randint(0, 4),
                quantity_rejected=rng.choice((0, 0, 1)),
            )
    for n in range(40):
        po = rng.choice(pos)
        received = _when(rng)
        Invoice.objects.create(
            supplier=po.supplier,
            company=po.company,
            po=po,
            invoice_number=f"I{n}",
            purpose=rng.choice(Invoice.Purpose.values),
            invoice_date=received.date(),
            currency="USD",
            total=Decimal(20),
            match_status=rng.choice(Invoice.MatchStatus.values),
            channel="edi",
            document_id=f"I{n}",
            fingerprint=f"I{n}",
            received_at=received,
            inbound_document=rng.choice([None, *documents]),
        )
    severities = ProcurementException.Severity.values
    for n in range(60):
        about: PurchaseOrder | None = rng.choice([None, *pos])
        raised = _when(rng)
        state = rng.choice(ProcurementException.State.values)
        closed = state not in ProcurementException.OPEN_STATES
        severity = ProcurementException.Severity(rng.choice(severities))
        ProcurementException.objects.create(
            company=about.company if about else rng.choice((acme, other)),
            supplier=about.supplier if about else rng.choice([None, *suppliers]),
            po=about,
            kind=ProcurementException.Kind.PRICE_DEVIATION,
            severity=severity,
            severity_rank=ProcurementException.SEVERITY_RANK[severity],
            dedup_key=f"E{n}",
            summary="generated",
            state=state,
            due_at=raised + dt.timedelta(days=1),
            raised_at=raised,
            resolved_at=_later(rng, raised, 200) if closed and rng.random() < 0.9 else None,
        )
    # A supplier trades EDI with one company: most with ACME, a third with OTHER.
    for k, supplier in enumerate(suppliers):
        for company in (other if k % 3 == 2 else acme,):
            partner = TradingPartner.objects.create(
                supplier=supplier,
                company=company,
                isa_id=f"{supplier.code}{company.pk}",
                gs_id=f"{supplier.code}{company.pk}",
                folder=f"{supplier.code}{company.pk}".lower(),
            )
            for n in range(3):
                sent = _when(rng)
                ours = [po for po in pos if po.company_id == company.pk]

                def interchange(direction: str, created: dt.datetime, number: str) -> Interchange:
                    return Interchange.objects.create(
                        direction=direction,
                        partner=partner,
                        sender_qualifier="ZZ",
                        sender_id="X",
                        receiver_id="Y",
                        isa13=number,
                        isa15="P",
                        po=rng.choice([None, *ours]),
                        created_at=created,
                    )

                answered = rng.random() < 0.6
                FunctionalGroup.objects.create(
                    interchange=interchange("out", sent, f"{n:09d}"),
                    gs01="PO",
                    gs06=str(n),
                    gs08="004010",
                    ack_state="accepted" if answered else rng.choice(("awaited", "overdue")),
                    ack_interchange=interchange("in", _later(rng, sent, 30), f"{n + 100:09d}") if answered else None,
                )
    return {"acme": acme, "suppliers": suppliers}


# --- the reference: rows read one by one, figures reckoned in Python -----------------------------


def hours(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def mean(values: list[dt.timedelta]) -> dt.timedelta | None:
    if not values:
        return None
    total = sum(values, dt.timedelta())
    return dt.timedelta(microseconds=round(total / dt.timedelta(microseconds=1) / len(values)))


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def group_key(group: str, when: dt.datetime, plant: str | None, supplier: Supplier | None) -> Any:
    return {
        "month": when.strftime("%Y-%m"),
        "plant": plant,
        "supplier": supplier.code if supplier else None,
        "tier": supplier.tier if supplier else None,
        "channel": supplier.channel if supplier else None,
        "all": "all",
    }[group]


def ordered(groups: Iterable[Any]) -> list[Any]:
    # The database orders the groups: a group with no value (NULL) last on PostgreSQL, first on SQLite.
    nulls_last = connection.vendor == "postgresql"
    present = sorted(g for g in groups if g is not None)
    missing = [None] if None in groups else []
    return present + missing if nulls_last else missing + present


def label(value: Any) -> str:
    return str(value) if value not in (None, "") else "—"


def kept(
    q: KpiQuery, company_ids: set[int], company_id: int, when: dt.datetime, plant: str | None, supplier, channel=None
) -> bool:
    """The slices, as ``procurement.kpis._sliced`` reads them (``channel``: the row's own, if it has one)."""
    if company_id not in company_ids or not SINCE <= when < UNTIL:
        return False
    if q.plant and plant != q.plant:
        return False
    if q.supplier and (supplier is None or supplier.code != q.supplier):
        return False
    if q.tier and (supplier is None or supplier.tier != q.tier):
        return False
    return not q.channel or (channel or (supplier.channel if supplier else None)) == q.channel


def grouped(items: list[tuple[Any, Any]], shape: Callable[[list[Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    by_group: dict[Any, list[Any]] = defaultdict(list)
    for key, item in items:
        by_group[key].append(item)
    return [{"group": label(key), **shape(by_group[key])} for key in ordered(by_group)]


def reference_acknowledgements(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    allowance = {c.pk: dt.timedelta(hours=c.ack_due_hours) for c in Company.objects.filter(pk__in=company_ids)}
    items = [
        (group_key(q.group, po.published_at, po.ship_to.code, po.supplier), po)
        for po in PurchaseOrder.objects.select_related("ship_to", "supplier")
        if kept(q, company_ids, po.company_id, po.published_at, po.ship_to.code, po.supplier)
    ]

    def shape(found: list[PurchaseOrder]) -> dict[str, Any]:
        acked = [(po, po.first_ack_at) for po in found if po.first_ack_at is not None]
        on_time = [po for po, ack in acked if ack <= po.published_at + allowance[po.company_id]]
        due = [po for po in found if po.first_ack_at or po.published_at + allowance[po.company_id] < NOW]
        return {
            "published": len(found),
            "cycle_hours": hours(mean([ack - po.published_at for po, ack in acked])),
            "on_time_rate": percent(len(on_time), len(due)),
        }

    return grouped(items, shape)


def reference_promise_dates(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    items = [
        (group_key(q.group, c.created_at, c.po.ship_to.code, c.po.supplier), c)
        for c in ChangeRequest.objects.select_related("po__ship_to", "po__supplier")
        if "need_by" in c.proposed
        and kept(q, company_ids, c.po.company_id, c.created_at, c.po.ship_to.code, c.po.supplier)
    ]
    return grouped(
        items,
        lambda found: {
            "changes": len(found),
            "accepted": sum(c.state == ChangeRequest.State.ACCEPTED for c in found),
        },
    )


def reference_asn(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    announced: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for line in ShipmentLine.objects.all():
        announced[(line.shipment_id, line.po_line_id)] += line.quantity
    items = []
    for receipt in Receipt.objects.select_related("po__ship_to", "po__supplier", "shipment"):
        if receipt.shipment is None or not kept(
            q, company_ids, receipt.company_id, receipt.received_at, receipt.po.ship_to.code, receipt.po.supplier
        ):
            continue
        notice = receipt.shipment.pk
        accurate = all(
            announced[(notice, line.po_line_id)] == line.quantity_received + line.quantity_rejected
            for line in receipt.lines.all()
            if (notice, line.po_line_id) in announced
        )
        key = group_key(q.group, receipt.received_at, receipt.po.ship_to.code, receipt.po.supplier)
        items.append((key, (accurate, receipt.received_at - receipt.shipment.received_at)))
    return grouped(
        items,
        lambda found: {
            "receipts": len(found),
            "accuracy": percent(sum(a for a, _ in found), len(found)),
            "latency_hours": hours(mean([latency for _, latency in found])),
        },
    )


def reference_invoices(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    items = [
        (group_key(q.group, i.received_at, i.po.ship_to.code, i.supplier), i)
        for i in Invoice.objects.select_related("po__ship_to", "supplier")
        if i.purpose == Invoice.Purpose.INVOICE
        and kept(q, company_ids, i.company_id, i.received_at, i.po.ship_to.code, i.supplier)
    ]
    return grouped(
        items,
        lambda found: {
            "invoices": len(found),
            "first_pass_rate": percent(sum(i.match_status in FIRST_PASS for i in found), len(found)),
        },
    )


def reference_exceptions(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    by_severity: dict[str, list[ProcurementException]] = defaultdict(list)
    for e in ProcurementException.objects.select_related("po__ship_to", "supplier"):
        plant = e.po.ship_to.code if e.po else None
        if kept(q, company_ids, e.company_id, e.raised_at, plant, e.supplier):
            by_severity[e.severity].append(e)
    labels = dict(ProcurementException.Severity.choices)
    rows = []
    for severity in sorted(
        by_severity, key=lambda s: ProcurementException.SEVERITY_RANK[ProcurementException.Severity(s)]
    ):
        found = by_severity[severity]
        still_open = [e for e in found if e.state in ProcurementException.OPEN_STATES]
        closed = [
            (e, e.resolved_at)
            for e in found
            if e.state not in ProcurementException.OPEN_STATES and e.resolved_at is not None
        ]
        rows.append(
            {
                "group": labels[severity],
                "raised": len(found),
                "open": len(still_open),
                "age_hours": hours(mean([NOW - e.raised_at for e in still_open])),
                "resolution_hours": hours(mean([resolved - e.raised_at for e, resolved in closed])),
            }
        )
    return rows


def reference_integration(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    by_channel: dict[str, list[InboundDocument]] = defaultdict(list)
    for d in InboundDocument.objects.select_related("supplier"):
        if d.company_id is not None and kept(
            replace_plant(q), company_ids, d.company_id, d.received_at, None, d.supplier, d.channel
        ):
            by_channel[d.channel].append(d)
    return [
        {
            "group": channel,
            "documents": len(by_channel[channel]),
            "failure_rate": percent(
                sum(d.state in kpis.FAILED_DOCUMENT_STATES for d in by_channel[channel]), len(by_channel[channel])
            ),
        }
        for channel in sorted(by_channel)
    ]


def replace_plant(q: KpiQuery) -> KpiQuery:
    # A stored document is placed at no plant: the plant slice does not apply to it.
    return KpiQuery(start=q.start, end=q.end, supplier=q.supplier, tier=q.tier, channel=q.channel, group=q.group)


def reference_functional_acks(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    by_partner: dict[str, list[FunctionalGroup]] = defaultdict(list)
    groups = FunctionalGroup.objects.select_related(
        "interchange__partner__supplier", "interchange__po__ship_to", "ack_interchange"
    )
    for g in groups:
        sent, partner = g.interchange, g.interchange.partner
        if partner is None or sent.direction != Interchange.Direction.OUTBOUND:
            continue
        supplier = partner.supplier
        if partner.company_id not in company_ids:
            continue
        if not SINCE <= sent.created_at < UNTIL or (q.channel and q.channel != "edi"):
            continue
        if q.plant and (sent.po is None or sent.po.ship_to.code != q.plant):
            continue
        if (q.supplier and supplier.code != q.supplier) or (q.tier and supplier.tier != q.tier):
            continue
        by_partner[supplier.code].append(g)
    rows = []
    for code in sorted(by_partner):
        found = by_partner[code]
        answered = [(g, g.ack_interchange) for g in found if g.ack_interchange is not None]
        rows.append(
            {
                "group": code,
                "sent": len(found),
                "answered_rate": percent(len(answered), len(found)),
                "latency_hours": hours(mean([answer.created_at - g.interchange.created_at for g, answer in answered])),
                "overdue": sum(g.ack_state == FunctionalGroup.AckState.OVERDUE for g in found),
            }
        )
    return rows


def reference_sync(q: KpiQuery, company_ids: set[int]) -> list[dict[str, Any]]:
    """Per object type, in the chart's order: started in the period and synced, or unsynced past the SLA."""
    companies = {c.pk: c for c in Company.objects.filter(pk__in=company_ids)}

    def allowed(object_type: str, company_id: int) -> dt.timedelta:
        company = companies[company_id]
        if object_type == "po_ack":
            return dt.timedelta(hours=company.ack_due_hours)
        default = kpis.SYNC_SLA_HOURS[object_type]
        return dt.timedelta(hours=float((company.sla_hours or {}).get(f"sync.{object_type}", default)))

    group = q.group if q.group in kpis.SYNC_GROUPS else "all"
    # (type, company, start, end, plant, supplier)
    objects: list[tuple[str, int, dt.datetime, dt.datetime | None, str | None, Supplier | None]] = [
        ("po_ack", po.company_id, po.published_at, po.first_ack_at, po.ship_to.code, po.supplier)
        for po in PurchaseOrder.objects.select_related("ship_to", "supplier")
    ]
    objects += [
        ("change_answer", c.po.company_id, c.created_at, c.decided_at, c.po.ship_to.code, c.po.supplier)
        for c in ChangeRequest.objects.select_related("po__ship_to", "po__supplier")
        if not (c.state == ChangeRequest.State.SUPERSEDED and c.decided_at is None)
    ]
    for shipment in Shipment.objects.select_related("supplier", "inbound_document").order_by("pk"):
        notice_lines = list(shipment.lines.select_related("po_line__po__ship_to").order_by("pk"))
        if shipment.inbound_document is None or shipment.company_id is None or not notice_lines:
            continue
        at_plant = {line.po_line.po.ship_to.code for line in notice_lines}
        if q.plant and q.plant not in at_plant:
            continue
        first_plant = notice_lines[0].po_line.po.ship_to.code
        processed = shipment.inbound_document.processed_at
        objects.append(("asn", shipment.company_id, shipment.received_at, processed, first_plant, shipment.supplier))
    objects += [
        ("invoice", i.company_id, i.received_at, i.inbound_document.processed_at, i.po.ship_to.code, i.supplier)
        for i in Invoice.objects.select_related("po__ship_to", "supplier", "inbound_document")
        if i.inbound_document is not None
    ]
    rows = []
    for object_type in ("po_ack", "change_answer", "asn", "invoice"):
        items = []
        for kind, company_id, start, end, plant, supplier in objects:
            # A ship notice is sliced by plant above: any of its lines may be at the plant.
            sliced = KpiQuery(
                start=q.start,
                end=q.end,
                plant="" if kind == "asn" else q.plant,
                supplier=q.supplier,
                tier=q.tier,
                channel=q.channel,
                group=q.group,
            )
            if kind != object_type or not kept(sliced, company_ids, company_id, start, plant, supplier):
                continue
            due = start + allowed(kind, company_id)
            if end is None and not due < NOW:
                continue
            items.append((group_key(group, start, plant, supplier), (start, end, due)))
        name = kpis.SYNC_LABELS[object_type]

        def shape(found: list[tuple[dt.datetime, dt.datetime | None, dt.datetime]]) -> dict[str, Any]:
            took = sorted((end - start) / dt.timedelta(microseconds=1) for start, end, _ in found if end)
            met = sum(1 for _, end, due in found if end and end <= due)
            return {
                "objects": len(found),
                "met": met,
                "met_rate": percent(met, len(found)),
                "p50_hours": hours_of(kpis.percentile_cont(took, 0.5, ordered=True)),
                "p95_hours": hours_of(kpis.percentile_cont(took, 0.95, ordered=True)),
            }

        for row in grouped(items, shape):
            rows.append({**row, "group": name if group == "all" else f"{name} · {row['group']}"})
    return rows


def hours_of(microseconds: float | None) -> float | None:
    return None if microseconds is None else round(microseconds / 1_000_000 / 3600, 2)


FIGURES: dict[str, tuple[Callable[..., Any], Callable[[KpiQuery, set[int]], list[dict[str, Any]]]]] = {
    "acknowledgements": (
        lambda actor, q: kpis.acknowledgement_kpis(actor=actor, q=q, now=NOW),
        reference_acknowledgements,
    ),
    "promise_dates": (lambda actor, q: kpis.promise_date_kpis(actor=actor, q=q), reference_promise_dates),
    "asn": (lambda actor, q: kpis.asn_kpis(actor=actor, q=q), reference_asn),
    "invoices": (lambda actor, q: kpis.invoice_kpis(actor=actor, q=q), reference_invoices),
    "exceptions": (lambda actor, q: kpis.exception_kpis(actor=actor, q=q, now=NOW), reference_exceptions),
    "integration": (lambda actor, q: kpis.integration_kpis(actor=actor, q=q), reference_integration),
    "functional_acks": (lambda actor, q: functional_ack_kpis(actor=actor, q=q), reference_functional_acks),
    "sync": (lambda actor, q: sync_kpis(actor=actor, q=q, now=NOW), reference_sync),
}


def slices(record: dict[str, Any]) -> list[dict[str, str]]:
    """No slice, each value of each slice alone, and a few combined."""
    codes = [s.code for s in record["suppliers"]]
    return [
        {},
        *({"plant": p} for p in ("DET", "MTY")),
        *({"supplier": c} for c in codes[:3]),
        *({"tier": t} for t in Supplier.Tier.values),
        *({"channel": c} for c in Supplier.Channel.values),
        {"plant": "DET", "channel": "edi"},
        {"plant": "MTY", "tier": "strategic"},
    ]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("figure", list(FIGURES))
def test_every_figure_equals_the_reference_for_every_grouping_and_slice(db, seed, figure):
    record = generate(seed)
    acme = record["acme"]
    actor = Actor.for_buyer(company_ids={acme.pk}, label="buyer", user_id=1)
    compute, reference = FIGURES[figure]
    compared = 0
    for group in GROUPS:
        for chosen in slices(record):
            q = KpiQuery(start=START, end=END, group=group, **chosen)
            expected = reference(q, {acme.pk})
            assert compute(actor, q).rows == expected, (group, chosen)
            compared += bool(expected)
    # The generated record gives most combinations something to count.
    assert compared >= len(GROUPS) * len(slices(record)) // 2
