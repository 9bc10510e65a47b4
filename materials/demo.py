"""Demo materials for ACME: a pump with a three-level BOM, alternates, an engineering change that
Monterrey takes next month while Detroit stays on the current revision, and two held releases — one
waiting for an item the ERP has not sent, one waiting for a revision that never came. Then stock:
what the WMS, the ERP and the MES reported at both plants, with two variances (a receipt still in
quality inspection, not posted; a cycle count short of what the ERP posted) and one difference
within tolerance.

Everything goes through the materials services. A release already received (same source system
and release id) is not sent again, so loading the demo twice changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from gateway.actors import Actor
from materials import inputs
from materials.models import InventoryTolerance
from materials.selectors import bom_releases_for
from materials.services import bom_release_receive, inventory_events_apply, items_upsert
from materials.services.reconciliation import inventory_reconcile
from procurement.models import Company
from procurement.services import WriteSource
from suppliers.models import Supplier

PRODUCT = "PUMP-100"
ITEMS = (
    # part number, description, base unit, make or buy
    ("PUMP-100", "Centrifugal pump assembly", "EA", inputs.MAKE),
    ("HSG-200", "Pump housing subassembly", "EA", inputs.MAKE),
    ("IMP-300", "Impeller subassembly", "EA", inputs.MAKE),
    ("SHF-320", "Pump shaft, machined", "EA", inputs.MAKE),
    ("CAST-210", "Housing casting, grey iron", "EA", inputs.BUY),
    ("GSK-220", "Housing gasket, NBR", "EA", inputs.BUY),
    ("GSK-221", "Housing gasket, Viton", "EA", inputs.BUY),
    ("BLT-M8", "Hex bolt M8x25, zinc plated", "EA", inputs.BUY),
    ("BLT-M8-SS", "Hex bolt M8x25, stainless", "EA", inputs.BUY),
    ("IMP-310", "Impeller blank, bronze", "EA", inputs.BUY),
    ("BAR-321", "Steel bar 20 mm, 1045", "M", inputs.BUY),
    ("BRG-330", "Ball bearing 6204-2RS", "EA", inputs.BUY),
    ("BRG-331", "Ball bearing 6204-ZZ", "EA", inputs.BUY),
    ("MTR-400", "Motor 2 kW, IE2", "EA", inputs.BUY),
    ("MTR-410", "Motor 2.2 kW, IE3", "EA", inputs.BUY),
    ("LBL-900", "Nameplate label", "EA", inputs.BUY),
)
# The suppliers approved for bought parts (supplier, its part number), when the supplier is known: the
# plan's purchases of these parts name them, and a buyer can turn each into a PO from the workbench.
APPROVED = {
    "CAST-210": ("CASTINGS", "MC-210"),
    "IMP-310": ("CASTINGS", "MC-310"),
    "GSK-220": ("BOLTS", "BF-220"),
    "BLT-M8": ("BOLTS", "BF-M8-25"),
    "BAR-321": ("GEARS", "PG-1045-20"),
}
# Named in a release, never sent by the ERP: that release is held until it is.
MISSING_ITEM = "SEAL-340"


def _line(position: str, part: str, quantity: str, **kwargs) -> inputs.BomComponentInput:
    return inputs.BomComponentInput(position=position, part_number=part, quantity_per=Decimal(quantity), **kwargs)


def _release(
    parent: str,
    revision: str,
    previous: str | None,
    components: tuple[inputs.BomComponentInput, ...],
    effectivity: tuple[inputs.EffectivityInput, ...],
) -> inputs.BomReleaseInput:
    return inputs.BomReleaseInput(
        company_code="ACME",
        source_system="ERP",
        bom_type=inputs.BOM_MANUFACTURING,
        release_id=f"DEMO-{parent}-{revision}",
        parent_part_number=parent,
        revision=revision,
        previous_revision=previous,
        status=inputs.STATUS_APPROVED_FOR_PRODUCTION,
        effectivity=effectivity,
        components=components,
    )


def next_month(today: dt.date) -> dt.date:
    """The first day of the month after ``today``'s."""
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def releases(today: dt.date) -> list[inputs.BomReleaseInput]:
    """The demo's releases in the order they are sent (the held ones last)."""
    both = (inputs.EffectivityInput("DET"), inputs.EffectivityInput("MTY"))
    change_from = next_month(today)
    pump_a = (
        _line("10", "HSG-200", "1"),
        _line("20", "IMP-300", "1"),
        _line("30", "MTR-400", "1"),
        _line("40", "BLT-M8", "8", alternate_group="BOLT", alternate_priority=0),
        _line("41", "BLT-M8-SS", "8", alternate_group="BOLT", alternate_priority=1),
        _line("50", "LBL-900", "1"),
    )
    return [
        _release("SHF-320", "A", None, (_line("10", "BAR-321", "0.35", scrap_factor=Decimal("0.05")),), both),
        _release(
            "HSG-200",
            "A",
            None,
            (
                _line("10", "CAST-210", "1"),
                _line("20", "GSK-220", "1", alternate_group="GASKET", alternate_priority=0),
                _line("21", "GSK-221", "1", alternate_group="GASKET", alternate_priority=1),
                _line("30", "BLT-M8", "6"),
            ),
            both,
        ),
        _release(
            "IMP-300",
            "A",
            None,
            (
                _line("10", "IMP-310", "1"),
                _line("20", "SHF-320", "1"),
                _line("30", "BRG-330", "2", alternate_group="BEARING", alternate_priority=0),
                _line("31", "BRG-331", "2", alternate_group="BEARING", alternate_priority=1),
            ),
            both,
        ),
        _release(PRODUCT, "A", None, pump_a, both),
        # The engineering change: the IE3 motor, at Monterrey only, from the first of next month.
        _release(
            PRODUCT,
            "B",
            "A",
            tuple(_line("30", "MTR-410", "1") if line.position == "30" else line for line in pump_a),
            (inputs.EffectivityInput("MTY", valid_from=change_from),),
        ),
        # Held: adds a mechanical seal the item master does not have yet.
        _release(
            "IMP-300",
            "B",
            "A",
            (
                _line("10", "IMP-310", "1"),
                _line("20", "SHF-320", "1"),
                _line("30", "BRG-330", "2", alternate_group="BEARING", alternate_priority=0),
                _line("31", "BRG-331", "2", alternate_group="BEARING", alternate_priority=1),
                _line("40", MISSING_ITEM, "1"),
            ),
            both,
        ),
        # Held: follows revision B of the housing, which PLM released but the ERP never sent.
        _release(
            "HSG-200",
            "C",
            "B",
            (
                _line("10", "CAST-210", "1"),
                _line("20", "GSK-221", "1"),
                _line("30", "BLT-M8", "6"),
            ),
            both,
        ),
    ]


def raw_of(release: inputs.BomReleaseInput) -> bytes:
    """The release as the ERP would have sent it: JSON."""
    return json.dumps(dataclasses.asdict(release), default=str, sort_keys=True).encode()


def materials_demo_seed(*, company: Company, today: dt.date) -> dict[str, int]:
    """Send ACME's demo items and BOM releases through the services; returns how many releases it sent."""
    actor = Actor.for_system(company_ids={company.pk}, label="system ERP (demo)")
    known = set(Supplier.objects.filter(code__in={s for s, _ in APPROVED.values()}).values_list("code", flat=True))
    items = tuple(
        inputs.ItemInput(
            part_number=part,
            description=description,
            base_uom=uom,
            make_or_buy=make_or_buy,
            approved_suppliers=tuple(
                inputs.ApprovedSupplierInput(supplier_code=code, supplier_part_number=theirs)
                for code, theirs in ([APPROVED[part]] if part in APPROVED else [])
                if code in known
            ),
        )
        for part, description, uom, make_or_buy in ITEMS
    )
    items_upsert(
        actor=actor,
        batch=inputs.ItemBatchInput(company_code=company.code, source_system="ERP", items=items),
        correlation_id="demo-materials-items",
    )
    known = set(
        bom_releases_for(actor=actor, company_code=company.code)
        .filter(source_system="ERP")
        .values_list("release_id", flat=True)
    )
    sent = 0
    for release in releases(today):
        if release.release_id in known:
            continue
        bom_release_receive(
            actor=actor, release=release, raw=raw_of(release), correlation_id=release.release_id.lower()
        )
        sent += 1
    return {"sent": sent, "held": bom_releases_for(actor=actor, company_code=company.code, state="held").count()}


# Inventory: what each of ACME's systems reported, days before ``today``, at a time of day.
# (source, event id, plant, part, kind, quantity, days before, "HH:MM", extra fields)
INVENTORY_EVENTS: tuple[tuple[str, str, str, str, str, str, int, str, dict], ...] = (
    # Bearings, lot L2411: received, inspected, posted, partly picked for the line — all agree.
    ("WMS", "W-1001", "DET", "BRG-330", "receipt", "600", 10, "08:05", {"lot": "L2411", "location": "R-12"}),
    ("ERP", "E-5001", "DET", "BRG-330", "receipt", "600", 9, "16:30", {"lot": "L2411", "posting": "posted"}),
    ("WMS", "W-1002", "DET", "BRG-330", "issue", "150", 2, "07:40", {"lot": "L2411", "location": "R-12"}),
    ("ERP", "E-5002", "DET", "BRG-330", "issue", "150", 2, "08:10", {"lot": "L2411", "posting": "posted"}),
    # Bearings, lot L2412: on the dock in quality inspection; the ERP posts after inspection (a variance).
    (
        "WMS",
        "W-1003",
        "DET",
        "BRG-330",
        "receipt",
        "400",
        2,
        "09:14",
        {"lot": "L2412", "location": "QI-1", "stock_status": "quarantine"},
    ),
    # Motors: received and posted the same day.
    ("WMS", "W-1004", "DET", "MTR-400", "receipt", "40", 5, "10:20", {"location": "R-30"}),
    ("ERP", "E-5003", "DET", "MTR-400", "receipt", "40", 5, "15:00", {"posting": "posted"}),
    # Bolts at the Monterrey line: the MES counts 10 fewer than the WMS put there — within tolerance.
    ("WMS", "W-2001", "MTY", "BLT-M8", "receipt", "5000", 6, "06:30", {"location": "LINE-2"}),
    ("ERP", "E-6001", "MTY", "BLT-M8", "receipt", "5000", 6, "12:00", {"posting": "posted"}),
    ("MES", "M-9001", "MTY", "BLT-M8", "count", "4990", 1, "22:00", {"location": "LINE-2"}),
    # Castings: a cycle count found 8 fewer than the ERP has posted (a variance: 6.7 % against 1 %).
    ("WMS", "W-2002", "MTY", "CAST-210", "receipt", "120", 8, "09:00", {"location": "R-02"}),
    ("ERP", "E-6002", "MTY", "CAST-210", "receipt", "120", 8, "14:45", {"posting": "posted"}),
    ("WMS", "W-2003", "MTY", "CAST-210", "count", "112", 1, "17:25", {"location": "R-02"}),
)
# Differences the demo company accepts between its systems: 25 units and 1 % (both must hold).
INVENTORY_TOLERANCE = {"amount": Decimal(25), "percent": Decimal(1)}


def inventory_events(today: dt.date) -> dict[str, list[inputs.InventoryEventInput]]:
    """The demo's inventory events per source system, in each source's order."""
    by_source: dict[str, list[inputs.InventoryEventInput]] = {}
    for number, (source, event_id, plant, part, kind, quantity, days, at, extra) in enumerate(INVENTORY_EVENTS, 1):
        hour, minute = (int(x) for x in at.split(":"))
        occurred = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour, minute), tzinfo=dt.UTC)
        by_source.setdefault(source, []).append(
            inputs.InventoryEventInput(
                plant_code=plant,
                part_number=part,
                kind=kind,
                quantity=Decimal(quantity),
                source_event_id=event_id,
                source_sequence=number,
                occurred_at=occurred,
                **extra,
            )
        )
    return by_source


def inventory_demo_seed(*, company: Company, today: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """Send ACME's demo inventory events through the ledger's ingest, set its tolerance, and reconcile.

    Needs the demo items (``materials_demo_seed``) and plants DET and MTY. Events already in the
    ledger come back as duplicates, and an open variance is not raised again: running it twice
    changes nothing. ``now`` dates the variances' explanations (default: the clock). Returns how many
    events were applied and how many variances there are.
    """
    actor = Actor.for_system(company_ids={company.pk}, label="system WMS/ERP/MES (demo)")
    applied = 0
    for source, events in inventory_events(today).items():
        outcomes = inventory_events_apply(
            actor=actor, company_code=company.code, source_system=source, events=events, correlation_id="demo-inventory"
        )
        applied += sum(1 for o in outcomes if o.outcome == "applied")
    InventoryTolerance.objects.get_or_create(company=company, category="", defaults=INVENTORY_TOLERANCE)
    result = inventory_reconcile(
        company_id=company.pk,
        source=WriteSource(channel="system", label="inventory reconciliation (demo)", correlation_id="demo-inventory"),
        now=now,
    )
    return {"applied": applied, "variances": len(result.variances)}


# Requirements: an 855 that stops production --------------------------------------------------

DEMO_ORDER = "MO-DEMO-1"
DEMO_PO = "PO-REQ-1"


def _planned_once(company: Company, today: dt.date) -> None:
    """A full run for the demo unless one is done (a second seed changes nothing). A full run already
    queued (the nightly schedule's, asked for before the worker started) is run here; one a worker is
    running is left to it."""
    from materials.models import RequirementRun
    from materials.services import requirements_regenerate
    from materials.services.runs import requirements_run_execute

    State = RequirementRun.State
    full = RequirementRun.objects.filter(company=company, mode=RequirementRun.Mode.FULL)
    if full.filter(state__in=(State.DONE, State.RUNNING)).exists():
        return
    queued = full.filter(state=State.QUEUED).first()
    if queued is not None:
        requirements_run_execute(run_id=queued.pk, today=today)
    else:
        requirements_regenerate(company=company, reason="demo", today=today)


def requirements_demo_seed(*, company: Company, today: dt.date, supplier_code: str = "CASTINGS") -> dict:
    """A production order for 20 pumps at Detroit in 10 days, the castings for it on order for day 5, a
    full run; then the supplier's 855 pushes the castings to day 21. The date deviation it raises is a
    production stop naming the order. Safe to run again (every step is idempotent on its key).
    Returns the exception's id and severity.
    """
    from materials.services import demands_upsert
    from procurement import inputs as p
    from procurement.models import ProcurementException
    from procurement.services import WriteSource, acknowledgement_record, purchase_order_publish

    actor = Actor.for_system(company_ids={company.pk}, label="system ERP (demo)")
    demands_upsert(
        actor=actor,
        batch=inputs.DemandBatchInput(
            company.code,
            "ERP",
            (
                inputs.DemandInput(
                    DEMO_ORDER,
                    "production_order",
                    PRODUCT,
                    "DET",
                    Decimal(20),
                    today + dt.timedelta(days=10),
                    DEMO_ORDER,
                ),
            ),
        ),
        correlation_id="demo-requirements-demand",
    )
    purchase_order_publish(
        po=p.PurchaseOrderInput(
            company=company.code,
            number=DEMO_PO,
            supplier=supplier_code,
            ship_to="DET",
            currency="USD",
            order_date=today - dt.timedelta(days=3),
            lines=(p.POLineInput("1", "CAST-210", Decimal(20), "EA", Decimal("42.00"), today + dt.timedelta(days=5)),),
        ),
        source=WriteSource(channel="system", label="system ERP (demo)", correlation_id="demo-requirements-po"),
    )
    _planned_once(company, today)
    acknowledgement_record(
        supplier=Supplier.objects.get(code=supplier_code),
        ack=p.AcknowledgementInput(
            document_id="855-DEMO-REQ-1",
            po_number=DEMO_PO,
            header=p.ACK_ACCEPTED_WITH_CHANGES,
            raw_code="AC",
            lines=(p.AckLineInput("1", p.LINE_RESCHEDULE, raw_code="DR", promised_date=today + dt.timedelta(days=21)),),
        ),
        source=WriteSource(
            channel="edi", label=f"supplier {supplier_code} (855)", correlation_id="demo-requirements-855"
        ),
    )
    exception = ProcurementException.objects.filter(po__number=DEMO_PO, kind="date_deviation").latest("pk")
    return {"exception": exception.pk, "severity": exception.severity, "evidence": exception.evidence}
