"""Demand from the ERP/MES: production orders, the master schedule and independent demand."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import DEMAND_KINDS, DemandBatchInput, DemandInput
from materials.models import Demand, RequirementRun
from procurement.inputs import canonical_json
from procurement.models import InboundDocument, Item, Plant
from procurement.services.audit import audit_event, audit_write

from .access import company_for, write_source
from .requirements import requirements_replan

QUANTITY_LIMIT = Decimal(10) ** 12


@dataclass(frozen=True)
class DemandOutcome:
    """One demand of a batch: ``created``, ``updated``, ``cancelled``, ``unchanged`` or ``refused``."""

    source_id: str
    outcome: str
    reason: str = ""
    demand_pk: int | None = None


@dataclass(frozen=True)
class DemandsReceived:
    """A batch's outcomes, and the net change that re-planned its items (None: never planned in full yet)."""

    outcomes: list[DemandOutcome]
    run: RequirementRun | None


@transaction.atomic
def demands_receive(
    *,
    actor: Actor,
    batch: DemandBatchInput,
    document: InboundDocument | None = None,
    correlation_id: str = "",
    reason: str = "",
) -> DemandsReceived:
    """The write path of demand for every channel (the system API, the file drop): the batch applied
    (``demands_upsert``), then the (plant, item) pairs whose demand was created, changed or cancelled
    re-planned in the same transaction (``requirements_replan``: a net change once the company has
    had a full run). ``reason`` names the net change's cause (default: the stored document).

    Idempotent as ``demands_upsert``: a batch again changes nothing and re-plans nothing.
    Raises ``NotFound`` when the actor does not act for ``batch.company_code``.
    """
    outcomes = demands_upsert(actor=actor, batch=batch, document=document, correlation_id=correlation_id)
    changed = [o.demand_pk for o in outcomes if o.outcome in ("created", "updated", "cancelled") and o.demand_pk]
    keys = set(Demand.objects.filter(pk__in=changed).values_list("plant_id", "item_id"))
    company = company_for(actor, batch.company_code)
    cause = reason or (f"demands {document.pk}" if document is not None else "demands")
    return DemandsReceived(outcomes, requirements_replan(company=company, keys=keys, reason=cause))


@transaction.atomic
def demands_upsert(
    *,
    actor: Actor,
    batch: DemandBatchInput,
    document: InboundDocument | None = None,
    correlation_id: str = "",
) -> list[DemandOutcome]:
    """Create, change or cancel the batch's demands; one outcome per demand, in the batch's order.

    Idempotent on (company, source system, source id): the same demand again is ``unchanged`` and
    writes nothing; other values under the id replace the demand (``updated``, version + 1); a
    demand sent with ``cancelled`` is kept, marked cancelled (``cancelled``), so what pegged it
    still names it. A demand that names an unknown item or plant, a kind that does not exist or a
    quantity that is not positive is ``refused`` with the reason; the others go ahead. A source id
    twice in a batch: the second is refused. Each change is audited. The items whose demand changed
    are re-planned by ``demands_receive``, the channels' entry, once the batch is written.

    Raises ``NotFound`` when the actor does not act for ``batch.company_code``.
    """
    company = company_for(actor, batch.company_code)
    source = write_source(actor, correlation_id)
    system = batch.source_system[:40]
    parts = {d.part_number for d in batch.demands}
    items = dict(Item.objects.filter(company=company, part_number__in=parts).values_list("part_number", "pk"))
    plants = dict(Plant.objects.filter(company=company).values_list("code", "pk"))
    existing = {
        d.source_id: d
        for d in Demand.objects.select_for_update().filter(
            company=company, source_system=system, source_id__in=[d.source_id for d in batch.demands]
        )
    }
    now = timezone.now()
    outcomes: list[DemandOutcome] = []
    seen: set[str] = set()
    audits = []
    for given in batch.demands:
        reason = _refusal(given, items, plants, seen)
        seen.add(given.source_id)
        if reason:
            outcomes.append(DemandOutcome(given.source_id, "refused", reason))
            continue
        digest = hashlib.sha256(json.dumps(canonical_json(given), sort_keys=True).encode()).hexdigest()
        demand = existing.get(given.source_id)
        if demand is not None and demand.content_hash == digest:
            outcomes.append(DemandOutcome(given.source_id, "unchanged", demand_pk=demand.pk))
            continue
        before = _values(demand) if demand is not None else None
        if demand is None:
            demand = Demand(company=company, source_system=system, source_id=given.source_id, version=0)
        demand.plant_id, demand.item_id = plants[given.plant_code], items[given.part_number]
        demand.kind, demand.reference = given.kind, given.reference[:80]
        demand.quantity, demand.need_date, demand.cancelled = given.quantity, given.need_date, given.cancelled
        demand.version += 1
        demand.content_hash, demand.document = digest, document
        demand.correlation_id, demand.updated_at = source.correlation_id, now
        outcome = "cancelled" if given.cancelled else ("created" if before is None else "updated")
        demand.save()
        existing[given.source_id] = demand
        outcomes.append(DemandOutcome(given.source_id, outcome, demand_pk=demand.pk))
        audits.append(
            audit_event(
                source=source,
                action=f"demand.{outcome}",
                obj=demand,
                company=company,
                document_key=f"{system}:{given.source_id}",
                before=before,
                after=_values(demand),
                now=now,
            )
        )
    audit_write(audits)
    return outcomes


def _refusal(given: DemandInput, items: dict[str, int], plants: dict[str, int], seen: set[str]) -> str:
    if not given.source_id.strip() or len(given.source_id) > 128:
        return "a source id must have 1 to 128 characters"
    if given.source_id in seen:
        return f"source id {given.source_id} is in the batch twice"
    if given.kind not in DEMAND_KINDS:
        return f"kind must be one of {', '.join(DEMAND_KINDS)}, not {given.kind!r}"
    if given.part_number not in items:
        return f"item {given.part_number!r} is not known"
    if given.plant_code not in plants:
        return f"plant {given.plant_code!r} is not known"
    if not Decimal(0) < given.quantity < QUANTITY_LIMIT:
        return "quantity must be positive"
    return ""


def _values(demand: Demand) -> dict:
    return {
        "kind": demand.kind,
        "item": demand.item_id,
        "plant": demand.plant_id,
        "quantity": str(demand.quantity),
        "need_date": demand.need_date.isoformat(),
        "reference": demand.reference,
        "cancelled": demand.cancelled,
    }
