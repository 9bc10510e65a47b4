"""The inventory ledger's write path: events in exactly once, balances projected per source system.

Events are appended with ``INSERT … ON CONFLICT DO NOTHING`` on (company, source system, source
event id), so a replay is a no-op decided by the database, not by a "select, then insert" race. A
large batch on PostgreSQL is COPYed into a staging table first and merged with one
``INSERT … SELECT … ON CONFLICT``. Balances are then brought forward per (plant, item, source):
events newer than the position's last sequence are folded in; an older one (late) re-projects the
(plant, item, source) from its events, read in chunks, so the work is bounded by that item's own
history at that plant and never spreads to other items (ERPNext's repost is the anti-pattern).
Writers of one plant are serialised by a transaction-scoped advisory lock on PostgreSQL, so
concurrent ingest gives the serial result (Odoo's quant races are the anchor).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from gateway.actors import Actor
from materials.inputs import (
    INVENTORY_KINDS,
    POSTINGS,
    STOCK_STATUSES,
    InventoryEventInput,
    InventorySnapshotInput,
    InventorySnapshotLineInput,
)
from materials.models import InventoryBalance, InventoryEvent, InventoryEventConflict
from materials.units import category_factors
from procurement.models import Company, InboundDocument, Item, Plant, UomConversion

from .access import company_for
from .results import EventOutcome

# Events per call of ``inventory_events_apply`` (the API's batch limit; the bulk ingest sends chunks).
MAX_EVENTS = 10_000
# From this many rows on PostgreSQL, COPY into staging beats a multi-row INSERT.
COPY_FROM = 500
# Events read per query when a (plant, item, source) is re-projected.
REPROJECT_CHUNK = 5_000
QUANTITY_LIMIT = Decimal(10) ** 12
# The first key of the advisory lock per plant; the second is the plant's id.
INVENTORY_LOCK_CLASS = 0x4D49  # "MI"
# What the procurement record's receipts post under: their own source, so they never collide with
# the ERP's or WMS's own event ids and sequences.
RECEIPT_SOURCE = "PROCUREMENT"

ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")

# Event columns written on insert, in COPY/INSERT order.
COLUMNS = (
    "company_id",
    "plant_id",
    "item_id",
    "kind",
    "location",
    "to_location",
    "lot",
    "serial",
    "quantity",
    "uom",
    "base_quantity",
    "stock_status",
    "to_status",
    "posting",
    "source_system",
    "source_event_id",
    "source_sequence",
    "occurred_at",
    "received_at",
    "content_hash",
    "document_id",
    "correlation_id",
)


def content_hash(event: InventoryEventInput) -> str:
    """sha256 of the event's normalised content: the same event re-exported (other field order,
    ``10`` vs ``10.000``, another time zone) has the same hash; the id and source are the key, not content."""
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat() if event.occurred_at.tzinfo else ""
    # Each field prefixed by its length: unambiguous whatever the fields hold, and cheaper than JSON.
    # A list comprehension, not a generator: this runs once per line of a bulk ingest.
    content = "".join(
        [
            f"{len(field)}:{field}"
            for field in (
                event.plant_code,
                event.part_number,
                event.kind,
                _decimal_text(event.quantity),
                event.uom,
                event.location,
                event.to_location,
                event.lot,
                event.serial,
                event.stock_status,
                event.to_status,
                event.posting,
                str(event.source_sequence),
                occurred,
            )
        ]
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _decimal_text(value: Decimal) -> str:
    text = format(value.quantize(FOUR_PLACES).normalize(), "f") if value.is_finite() else str(value)
    return "0" if text in ("-0", "0") else text


def inventory_events_apply(
    *,
    actor: Actor,
    company_code: str,
    source_system: str,
    events: Sequence[InventoryEventInput],
    document: InboundDocument | None = None,
    correlation_id: str = "",
) -> list[EventOutcome]:
    """Append ``events`` of ``source_system`` to the ledger and bring the balances forward; one outcome per event.

    ``applied``: new, appended, in the balances. ``duplicate``: the same content under an id
    already used (a replay): no effect. ``conflict``: other content under a used id: refused and
    kept as an ``InventoryEventConflict``. ``refused``: not valid (unknown plant or item, a unit
    with no conversion, a negative quantity where none is allowed …), ``reason`` says why; the
    others of the batch go ahead. Idempotent: the same batch again is all ``duplicate``.

    Raises ``NotFound`` when the actor does not act for ``company_code``; ``ValueError`` for more
    than ``MAX_EVENTS`` events.
    """
    company = company_for(actor, company_code)
    if len(events) > MAX_EVENTS:
        raise ValueError(f"at most {MAX_EVENTS} events per batch")
    with transaction.atomic():
        return events_append(
            company=company,
            source_system=source_system,
            events=events,
            document=document,
            correlation_id=correlation_id,
        )


class EventRow(NamedTuple):
    """An event about to be appended: the ledger's columns (``COLUMNS``), in their order, without a
    model instance per row (a bulk ingest builds a million of them). ``fold`` reads it like an event."""

    company_id: int
    plant_id: int
    item_id: int
    kind: str
    location: str
    to_location: str
    lot: str
    serial: str
    quantity: Decimal
    uom: str
    base_quantity: Decimal
    stock_status: str
    to_status: str
    posting: str
    source_system: str
    source_event_id: str
    source_sequence: int
    occurred_at: dt.datetime
    received_at: dt.datetime
    content_hash: str
    document_id: int | None
    correlation_id: str


@dataclass
class _Accepted:
    index: int
    given: InventoryEventInput
    row: EventRow


def events_append(
    *,
    company: Company,
    source_system: str,
    events: Sequence[InventoryEventInput],
    document: InboundDocument | None,
    correlation_id: str,
    lookups: Lookups | None = None,
) -> list[EventOutcome]:
    """``inventory_events_apply`` for a company already checked, inside the caller's transaction.

    ``lookups``: the company's plants, items and unit factors already read by an earlier chunk of
    the same stream (``inventory_stream_ingest``), so a million lines do not read them a hundred times.
    """
    now = timezone.now()
    source_system = source_system.strip().upper()
    if not source_system or len(source_system) > 40:
        return [EventOutcome(e.source_event_id, "refused", "a source system needs 1 to 40 characters") for e in events]
    if lookups is None:
        lookups = Lookups(company.pk)
    lookups.load({e.plant_code for e in events}, {e.part_number for e in events})
    plants, items, factors = lookups.plants, lookups.items, lookups.factors
    outcomes: list[EventOutcome | None] = [None] * len(events)
    accepted: dict[str, _Accepted] = {}
    conflicts: list[InventoryEventConflict] = []
    for index, given in enumerate(events):
        reason = _refusal(given, plants, items)
        base = None
        if not reason:
            item_id, base_uom = items[given.part_number]
            base = _to_base(given.quantity, given.uom, base_uom, factors.get(item_id, {}))
            if base is None:
                reason = f"no conversion of {given.uom!r} to {given.part_number}'s base unit {base_uom}"
        if reason:
            outcomes[index] = EventOutcome(given.source_event_id, "refused", reason)
            continue
        assert base is not None
        digest = content_hash(given)
        earlier = accepted.get(given.source_event_id)
        if earlier is not None:
            if earlier.row.content_hash == digest:
                outcomes[index] = EventOutcome(
                    given.source_event_id, "duplicate", "the same event is in the batch twice"
                )
            else:
                outcomes[index] = _conflict(given, digest, company, source_system, document, now, conflicts)
            continue
        item_id, _ = items[given.part_number]
        accepted[given.source_event_id] = _Accepted(
            index,
            given,
            EventRow(
                company.pk,
                plants[given.plant_code],
                item_id,
                given.kind,
                given.location,
                given.to_location,
                given.lot,
                given.serial,
                given.quantity,
                given.uom,
                base,
                given.stock_status,
                given.to_status,
                given.posting,
                source_system,
                given.source_event_id,
                given.source_sequence,
                given.occurred_at,
                now,
                digest,
                document.pk if document is not None else None,
                correlation_id[:64],
            ),
        )
    plants_lock({a.row.plant_id for a in accepted.values()})
    inserted = _insert([a.row for a in accepted.values()])
    existing = _stored_hashes(company.pk, source_system, [key for key in accepted if key not in inserted])
    for key, entry in accepted.items():
        if key in inserted:
            outcomes[entry.index] = EventOutcome(key, "applied")
        elif existing.get(key) == entry.row.content_hash:
            outcomes[entry.index] = EventOutcome(key, "duplicate", "already in the ledger: no effect")
        else:
            outcomes[entry.index] = _conflict(
                entry.given, entry.row.content_hash, company, source_system, document, now, conflicts
            )
    InventoryEventConflict.objects.bulk_create(conflicts)
    balances_project(
        company_id=company.pk,
        source_system=source_system,
        events=[accepted[key].row for key in accepted if key in inserted],
    )
    return [o for o in outcomes if o is not None]


class Lookups:
    """A company's plants (code → id), items (part number → (id, base unit)) and unit factors, read
    once per stream and added to as later chunks name more; what is not found is asked again next
    chunk (an item created midway is then known)."""

    def __init__(self, company_id: int) -> None:
        self.company_id = company_id
        self.plants: dict[str, int] = {}
        self.items: dict[str, tuple[int, str]] = {}
        self.factors: dict[int, dict[str, Decimal]] = {}

    def load(self, plant_codes: set[str], part_numbers: set[str]) -> None:
        plant_codes = plant_codes - self.plants.keys()
        if plant_codes:
            self.plants.update(
                Plant.objects.filter(company_id=self.company_id, code__in=plant_codes).values_list("code", "pk")
            )
        part_numbers = part_numbers - self.items.keys()
        if part_numbers:
            found = {
                part: (pk, base_uom)
                for part, pk, base_uom in Item.objects.filter(
                    company_id=self.company_id, part_number__in=part_numbers
                ).values_list("part_number", "pk", "base_uom")
            }
            self.items.update(found)
            self.factors.update(_factors(self.company_id, [pk for pk, _ in found.values()]))


def _stored_hashes(company_id: int, source_system: str, event_ids: list[str]) -> dict[str, str]:
    """Event id → content hash of those of ``event_ids`` already in the ledger.

    On PostgreSQL one array parameter, not an ``IN`` list of ten thousand placeholders that Django
    would build and adapt one by one.
    """
    if not event_ids:
        return {}
    if connection.vendor != "postgresql":
        return dict(
            InventoryEvent.objects.filter(
                company_id=company_id, source_system=source_system, source_event_id__in=event_ids
            ).values_list("source_event_id", "content_hash")
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source_event_id, content_hash FROM {InventoryEvent._meta.db_table} "  # noqa: S608
            "WHERE company_id = %s AND source_system = %s AND source_event_id = ANY(%s)",
            [company_id, source_system, event_ids],
        )
        return dict(cursor.fetchall())


def _refusal(given: InventoryEventInput, plants: dict[str, int], items: dict[str, tuple[int, str]]) -> str:
    """Why ``given`` cannot be taken, or empty."""
    if not given.source_event_id or len(given.source_event_id) > 128:
        return "a source event id needs 1 to 128 characters"
    if given.plant_code not in plants:
        return f"plant {given.plant_code!r} is not known"
    if given.part_number not in items:
        return f"item {given.part_number!r} is not known"
    if given.kind not in INVENTORY_KINDS:
        return f"kind must be one of {', '.join(INVENTORY_KINDS)}, not {given.kind!r}"
    if given.stock_status not in STOCK_STATUSES:
        return f"stock status must be one of {', '.join(STOCK_STATUSES)}, not {given.stock_status!r}"
    if given.posting not in POSTINGS:
        return f"posting must be one of {', '.join(POSTINGS)}, not {given.posting!r}"
    if not 0 <= given.source_sequence < 2**63:
        return "the source sequence must be a whole number from 0 to 2^63-1"
    if given.occurred_at.tzinfo is None:
        return "occurred_at needs a time zone"
    for name, limit in (("location", 64), ("to_location", 64), ("lot", 64), ("serial", 64), ("uom", 8)):
        if len(getattr(given, name)) > limit:
            return f"{name} has more than {limit} characters"
    q = given.quantity
    if not q.is_finite() or abs(q) >= QUANTITY_LIMIT:
        return "the quantity is out of range"
    if given.kind in ("adjustment", "reservation"):
        if q == 0:
            return f"a {given.kind} of 0 changes nothing"
    elif given.kind == "count":
        if q < 0:
            return "a count cannot be negative"
    elif q <= 0:
        return f"a {given.kind} needs a positive quantity (the magnitude moved)"
    if given.kind == "transfer" and (not given.to_location or given.to_location == given.location):
        return "a transfer needs a to_location other than its location"
    if given.kind == "status_change" and (
        given.to_status not in STOCK_STATUSES or given.to_status == given.stock_status
    ):
        return "a status change needs a to_status (usable, quarantine, blocked) other than its stock status"
    if given.kind != "status_change" and given.to_status:
        return "only a status change has a to_status"
    if given.kind != "transfer" and given.to_location:
        return "only a transfer has a to_location"
    return ""


def _factors(company_id: int, item_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Item → unit → factor: the item's own conversions over its category's."""
    factors = category_factors(company_id, item_ids)
    for item_id, uom, value in UomConversion.objects.filter(item_id__in=item_ids).values_list(
        "item_id", "uom", "factor"
    ):
        factors.setdefault(item_id, {})[uom] = value
    return factors


def _to_base(quantity: Decimal, uom: str, base_uom: str, factors: dict[str, Decimal]) -> Decimal | None:
    if not uom or uom == base_uom:
        return quantity.quantize(FOUR_PLACES)
    factor = factors.get(uom)
    return None if factor is None else (quantity * factor).quantize(FOUR_PLACES)


def _conflict(
    given: InventoryEventInput,
    digest: str,
    company: Company,
    source_system: str,
    document: InboundDocument | None,
    now: dt.datetime,
    conflicts: list[InventoryEventConflict],
) -> EventOutcome:
    conflicts.append(
        InventoryEventConflict(
            company=company,
            source_system=source_system,
            source_event_id=given.source_event_id,
            content_hash=digest,
            payload=event_json(given),
            document=document,
            received_at=now,
        )
    )
    return EventOutcome(
        given.source_event_id, "conflict", f"event id {given.source_event_id} was used for another event: refused"
    )


def event_json(given: InventoryEventInput) -> dict:
    """The event as JSON (what a conflict keeps)."""
    return {
        "plant": given.plant_code,
        "part_number": given.part_number,
        "kind": given.kind,
        "quantity": _decimal_text(given.quantity),
        "uom": given.uom,
        "location": given.location,
        "to_location": given.to_location,
        "lot": given.lot,
        "serial": given.serial,
        "stock_status": given.stock_status,
        "to_status": given.to_status,
        "posting": given.posting,
        "source_event_id": given.source_event_id,
        "source_sequence": given.source_sequence,
        "occurred_at": given.occurred_at.isoformat(),
    }


def plants_lock(plant_ids: Iterable[int]) -> None:
    """One writer per plant until the transaction ends (PostgreSQL; SQLite has one writer anyway).

    Taken in id order, so two batches naming the same plants never wait on each other in a circle.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for plant_id in sorted(set(plant_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [INVENTORY_LOCK_CLASS, plant_id])


def _insert(rows: list[EventRow]) -> set[str]:
    """Insert ``rows``, skipping any whose (company, source, id) is in the ledger; the ids inserted."""
    if not rows:
        return set()
    table = InventoryEvent._meta.db_table
    conflict = "ON CONFLICT (company_id, source_system, source_event_id) DO NOTHING RETURNING source_event_id"
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        return _insert_copied(rows, table, conflict)
    inserted: set[str] = set()
    columns = ", ".join(COLUMNS)
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 400):
            chunk = rows[start : start + 400]
            params = [connection.ops.adapt_unknown_value(v) for row in chunk for v in row]
            cursor.execute(
                # Only our own column names and placeholders are formatted in; values are parameters.
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} {conflict}",  # noqa: S608
                params,
            )
            inserted.update(r[0] for r in cursor.fetchall())
    return inserted


STAGING = "materials_inventory_event_staging"


def _insert_copied(rows: list[EventRow], table: str, conflict: str) -> set[str]:
    """COPY ``rows`` into a session's staging table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``.

    Sorted by key, so two batches inserting the same ids take their row locks in the same order.
    """
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            # The event columns' types without their constraints or indexes: a bare heap for COPY.
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {STAGING}")
        with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGING} ORDER BY source_event_id {conflict}"  # noqa: S608
        )
        return {r[0] for r in cursor.fetchall()}


# --- Projection ---------------------------------------------------------------------------------

Position = tuple[str, str, str]  # (location, lot, stock status)


def fold(positions: dict[Position, list[Decimal]], event: InventoryEvent | EventRow) -> None:
    """Apply one event to a source's positions of one (plant, item): ``[physical, posted, reserved]``
    per position."""
    side = 0 if event.posting == InventoryEvent.Posting.PHYSICAL else 1
    q = event.base_quantity
    here = (event.location, event.lot, event.stock_status)

    def add(key: Position, delta: Decimal) -> None:
        positions.setdefault(key, [ZERO, ZERO, ZERO])[side] += delta

    kind = event.kind
    if kind == "reservation":  # neither side: only what is promised of the position
        positions.setdefault(here, [ZERO, ZERO, ZERO])[2] += q
    elif kind in ("receipt", "adjustment"):
        add(here, q)
    elif kind in ("issue", "scrap"):
        add(here, -q)
    elif kind == "transfer":
        add(here, -q)
        add((event.to_location, event.lot, event.stock_status), q)
    elif kind == "status_change":
        add(here, -q)
        add((event.location, event.lot, event.to_status), q)
    elif kind == "count":
        positions.setdefault(here, [ZERO, ZERO, ZERO])[side] = q


def balances_project(*, company_id: int, source_system: str, events: Sequence[InventoryEvent | EventRow]) -> None:
    """Bring the balances of ``source_system`` forward by ``events`` (just appended), per (plant, item).

    A (plant, item) whose new events all come after its last folded sequence is folded forward from
    its balances; one with a late event is re-projected from its events (``balances_reproject``).
    Order within a (plant, item, source) is (source sequence, source event id), never arrival.
    """
    if not events:
        return
    groups: dict[tuple[int, int], list[InventoryEvent | EventRow]] = defaultdict(list)
    for event in events:
        groups[(event.plant_id, event.item_id)].append(event)
    current: dict[tuple[int, int], dict[Position, list[Decimal]]] = defaultdict(dict)
    last: dict[tuple[int, int], int] = {}
    # Per plant, so the query stays one index range (plant, item) however many items a batch has.
    by_plant: dict[int, set[int]] = defaultdict(set)
    for plant_id, item_id in groups:
        by_plant[plant_id].add(item_id)
    for plant_id, item_ids in by_plant.items():
        for row in _balances_read(plant_id, item_ids, source_system):
            item_id, location, lot, status, physical, posted, reserved, sequence = row
            key = (plant_id, item_id)
            current[key][(location, lot, status)] = [physical, posted, reserved]
            last[key] = max(last.get(key, sequence), sequence)
    now = timezone.now()
    rows: list[tuple] = []
    for key, new in groups.items():
        new.sort(key=lambda e: (e.source_sequence, e.source_event_id))
        if key in last and new[0].source_sequence <= last[key]:
            _late(company_id, key, source_system)
            continue
        positions = current[key]
        for event in new:
            fold(positions, event)
        rows.extend(_balance_rows(company_id, key, source_system, positions, new[-1].source_sequence, now))
    _balances_write(rows)
    _stock_replan(company_id, set(groups))


def _balances_read(plant_id: int, item_ids: set[int], source_system: str) -> Iterable[tuple]:
    """(item, location, lot, status, physical, posted, reserved, last sequence) of a source's balances
    of ``item_ids`` at a plant; on PostgreSQL with one array parameter (a chunk names a thousand items)."""
    columns = ("item_id", "location", "lot", "stock_status", "physical", "posted", "reserved", "last_sequence")
    if connection.vendor != "postgresql":
        return InventoryBalance.objects.filter(
            plant_id=plant_id, item_id__in=item_ids, source_system=source_system
        ).values_list(*columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {InventoryBalance._meta.db_table} "  # noqa: S608
            "WHERE plant_id = %s AND item_id = ANY(%s) AND source_system = %s",
            [plant_id, sorted(item_ids), source_system],
        )
        return cursor.fetchall()


def _late(company_id: int, key: tuple[int, int], source_system: str) -> None:
    """A late event: re-project now, or on the plant's queue when the history is longer than
    ``GATEWAY_INVENTORY_INLINE_REPROJECT_EVENTS`` (the balances of that item wait until it has run)."""
    plant_id, item_id = key
    limit = settings.GATEWAY_INVENTORY_INLINE_REPROJECT_EVENTS
    history = InventoryEvent.objects.filter(plant_id=plant_id, item_id=item_id, source_system=source_system)
    if history[: limit + 1].count() <= limit:
        balances_reproject(company_id=company_id, plant_id=plant_id, item_id=item_id, source_system=source_system)
        return
    # Deferred import: the tasks module reads the file drop, which calls these services.
    from materials.tasks import inventory_reproject_enqueue

    inventory_reproject_enqueue(
        company_id=company_id,
        plant_id=plant_id,
        plant_code=Plant.objects.values_list("code", flat=True).get(pk=plant_id),
        item_id=item_id,
        source_system=source_system,
    )


def balances_reproject(*, company_id: int, plant_id: int, item_id: int, source_system: str) -> int:
    """Rebuild one (plant, item, source)'s balances from its events, read ``REPROJECT_CHUNK`` at a time.

    The work is bounded by that one item's history at that plant for that source. Idempotent:
    running it again gives the same rows. Returns the number of events folded.
    """
    positions: dict[Position, list[Decimal]] = {}
    folded, sequence = 0, 0
    events = (
        InventoryEvent.objects.filter(plant_id=plant_id, item_id=item_id, source_system=source_system)
        .order_by("source_sequence", "source_event_id")
        .only(
            "kind",
            "location",
            "to_location",
            "lot",
            "stock_status",
            "to_status",
            "posting",
            "base_quantity",
            "source_sequence",
        )
    )
    for event in events.iterator(chunk_size=REPROJECT_CHUNK):
        fold(positions, event)
        folded, sequence = folded + 1, event.source_sequence
    now = timezone.now()
    InventoryBalance.objects.filter(plant_id=plant_id, item_id=item_id, source_system=source_system).delete()
    _balances_write(_balance_rows(company_id, (plant_id, item_id), source_system, positions, sequence, now))
    _stock_replan(company_id, {(plant_id, item_id)})
    return folded


def _stock_replan(company_id: int, keys: set[tuple[int, int]]) -> None:
    """Re-plan the material requirements of the items whose stock just moved, in the same transaction."""
    # Deferred import: requirements read stock through materials.inventory, which reads these balances.
    from materials.services.requirements import stock_replan

    stock_replan(company_id, keys)


BALANCE_COLUMNS = (
    "company_id",
    "plant_id",
    "item_id",
    "location",
    "lot",
    "stock_status",
    "source_system",
    "physical",
    "posted",
    "reserved",
    "last_sequence",
    "updated_at",
)
BALANCE_STAGING = "materials_inventory_balance_staging"


def _balance_rows(
    company_id: int,
    key: tuple[int, int],
    source_system: str,
    positions: dict[Position, list[Decimal]],
    sequence: int,
    now: dt.datetime,
) -> list[tuple]:
    """Balance rows in ``BALANCE_COLUMNS`` order."""
    return [
        (company_id, key[0], key[1], location, lot, status, source_system, physical, posted, reserved, sequence, now)
        for (location, lot, status), (physical, posted, reserved) in positions.items()
    ]


def _balances_write(rows: list[tuple]) -> None:
    """Insert or update balance rows; on PostgreSQL many at once are COPYed and merged in one statement."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        InventoryBalance.objects.bulk_create(
            [InventoryBalance(**dict(zip(BALANCE_COLUMNS, row, strict=True))) for row in rows],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["plant", "item", "location", "lot", "stock_status", "source_system"],
            update_fields=["physical", "posted", "reserved", "last_sequence", "updated_at"],
        )
        return
    table, columns = InventoryBalance._meta.db_table, ", ".join(BALANCE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {BALANCE_STAGING} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {BALANCE_STAGING}")
        with cursor.cursor.copy(f"COPY {BALANCE_STAGING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {BALANCE_STAGING} "  # noqa: S608
            "ON CONFLICT (plant_id, item_id, location, lot, stock_status, source_system) DO UPDATE SET "
            "physical = EXCLUDED.physical, posted = EXCLUDED.posted, reserved = EXCLUDED.reserved, "
            "last_sequence = EXCLUDED.last_sequence, updated_at = EXCLUDED.updated_at"
        )


# --- Streams (bulk ingest, file drop) --------------------------------------------------------------


@dataclass
class LineOutcome:
    """One line of a stream that was not simply applied: its number, event id, outcome and reason."""

    line: int
    source_event_id: str
    outcome: str
    reason: str = ""


@dataclass
class StreamResult:
    """What became of a stream: counts per outcome, and every line not applied."""

    counts: dict[str, int]
    lines: list[LineOutcome]


def inventory_stream_ingest(
    *,
    actor: Actor,
    company_code: str,
    source_system: str,
    lines: Iterable[tuple[int, str, InventoryEventInput | str]],
    document: InboundDocument | None = None,
    correlation_id: str = "",
    chunk: int = MAX_EVENTS,
) -> StreamResult:
    """Append a stream of parsed lines (``materials.inventory_formats``) in chunks of ``chunk`` events.

    Each chunk is its own transaction (through ``events_append``: COPY into staging, one merge), so
    memory and lock time stay bounded however long the stream; a stream sent again after a failure
    midway only adds what the first attempt had not (the rest are ``duplicate``). Lines that could
    not be read are ``refused`` with their reason. Raises ``NotFound`` for another company.
    """
    company = company_for(actor, company_code)
    result = StreamResult(dict.fromkeys(("applied", "duplicate", "conflict", "refused"), 0), [])
    _ingest_parsed(
        company=company,
        source_system=source_system,
        lines=lines,
        document=document,
        correlation_id=correlation_id,
        lookups=Lookups(company.pk),
        result=result,
        chunk=chunk,
    )
    result.lines.sort(key=lambda line: line.line)
    return result


def _ingest_parsed(
    *,
    company: Company,
    source_system: str,
    lines: Iterable[tuple[int, str, InventoryEventInput | str]],
    document: InboundDocument | None,
    correlation_id: str,
    lookups: Lookups,
    result: StreamResult,
    chunk: int = MAX_EVENTS,
) -> None:
    """``inventory_stream_ingest`` for a company already checked, adding to ``result`` (unsorted)."""
    counts = result.counts
    pending: list[tuple[int, InventoryEventInput]] = []

    def flush() -> None:
        if not pending:
            return
        with transaction.atomic():
            outcomes = events_append(
                company=company,
                source_system=source_system,
                events=[event for _, event in pending],
                document=document,
                correlation_id=correlation_id,
                lookups=lookups,
            )
        for (number, _), outcome in zip(pending, outcomes, strict=True):
            counts[outcome.outcome] += 1
            if outcome.outcome != "applied":
                result.lines.append(LineOutcome(number, outcome.source_event_id, outcome.outcome, outcome.reason))
        pending.clear()

    for number, event_id, parsed in lines:
        if isinstance(parsed, str):
            counts["refused"] += 1
            result.lines.append(LineOutcome(number, event_id, "refused", parsed))
            continue
        pending.append((number, parsed))
        if len(pending) >= chunk:
            flush()
    flush()


@dataclass(frozen=True)
class ZeroedPosition:
    """A position a full snapshot did not list: counted as zero by the event ``outcome`` names."""

    plant_code: str
    part_number: str
    location: str
    lot: str
    stock_status: str
    outcome: EventOutcome


@dataclass(frozen=True)
class SnapshotResult:
    """One outcome per line of the snapshot, in order; and, for a full one, the positions it zeroed."""

    lines: list[EventOutcome]
    zeroed: list[ZeroedPosition]


def inventory_snapshot_apply(
    *,
    actor: Actor,
    company_code: str,
    source_system: str,
    snapshot: InventorySnapshotInput,
    document: InboundDocument | None = None,
    correlation_id: str = "",
) -> SnapshotResult:
    """Record a snapshot of absolute balances as one ``count`` event per line; one outcome per line.

    Each line's event id is derived from the snapshot id and the position, so the same snapshot
    sent again is all ``duplicate``. ``partial``: positions the snapshot does not list keep their
    balances. ``full``: each position of the system at the plants (and locations) the snapshot
    covers that it does not list, and that holds something on the snapshot's side, is counted as
    zero by a recorded ``count`` event of its own (id derived the same way, so a replay is
    ``duplicate`` too); when the snapshot is late (the position's last sequence is not before the
    snapshot's), every such position is counted, since it may have held stock at the snapshot's
    point. Reservations are not stock on a side: a snapshot leaves them. One transaction.
    Raises ``NotFound`` for another company.
    """
    company = company_for(actor, company_code)
    events = [
        _snapshot_count(snapshot, line.plant_code, line.part_number, line.location, line.lot, line.stock_status, line)
        for line in snapshot.lines
    ]
    zeroed: list[tuple[str, str, str, str, str]] = []
    with transaction.atomic():
        if snapshot.scope == "full":
            listed = {(e.plant_code, e.part_number, e.location, e.lot, e.stock_status) for e in events}
            zeroed = [p for p in _covered(company.pk, source_system, snapshot, listed) if p not in listed]
            events += [_snapshot_count(snapshot, *position) for position in zeroed]
        outcomes = events_append(
            company=company,
            source_system=source_system,
            events=events,
            document=document,
            correlation_id=correlation_id,
        )
    count = len(snapshot.lines)
    return SnapshotResult(
        outcomes[:count],
        [ZeroedPosition(*position, outcome) for position, outcome in zip(zeroed, outcomes[count:], strict=True)],
    )


def _snapshot_count(
    snapshot: InventorySnapshotInput,
    plant: str,
    part: str,
    location: str,
    lot: str,
    status: str,
    line: InventorySnapshotLineInput | None = None,
) -> InventoryEventInput:
    """The count a snapshot makes of one position: the line's quantity, or zero for one it does not list."""
    position = json.dumps([plant, part, location, lot, status])
    return InventoryEventInput(
        plant_code=plant,
        part_number=part,
        kind=InventoryEvent.Kind.COUNT.value,
        quantity=line.quantity if line is not None else ZERO,
        uom=line.uom if line is not None else "",
        location=location,
        lot=lot,
        stock_status=status,
        posting=snapshot.posting,
        source_event_id=f"snapshot:{snapshot.snapshot_id[:60]}:{hashlib.sha256(position.encode()).hexdigest()[:40]}",
        source_sequence=snapshot.sequence,
        occurred_at=snapshot.taken_at,
    )


def _covered(
    company_id: int, source_system: str, snapshot: InventorySnapshotInput, listed: set[tuple[str, str, str, str, str]]
) -> list[tuple[str, str, str, str, str]]:
    """(plant, part, location, lot, status) of the system's positions a full snapshot covers that may
    hold something on its side: non-zero now, or last folded at or after the snapshot's sequence."""
    plants = set(snapshot.plants) | {p[0] for p in listed}
    side = "posted" if snapshot.posting == InventoryEvent.Posting.POSTED else "physical"
    rows = InventoryBalance.objects.filter(
        company_id=company_id, source_system=source_system.strip().upper(), plant__code__in=plants
    ).filter(~Q(**{side: 0}) | Q(last_sequence__gte=snapshot.sequence))
    if snapshot.locations:
        rows = rows.filter(location__in=snapshot.locations)
    return sorted(
        set(rows.values_list("plant__code", "item__part_number", "location", "lot", "stock_status").order_by())
    )
