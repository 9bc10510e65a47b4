"""Severity of a supplier deviation from the projection: does it stop production, or only delay it?

For an exception on a PO line (or, for an overdue acknowledgement, on a PO's lines) at plant P for
item I, two firm projections of (P, I) are compared over the requirements of the latest run (the
``demand`` column and its pegs of the stored projection rows):

- **as it stands**: stock available for planning (allocations taken off) plus the firm receipts as
  the record holds them now (the promised date and confirmed quantity the supplier just gave; a
  rejected line brings nothing; a line on hold or not acknowledged in time is counted as not
  coming) and stock in quality inspection at its release date, against what the run left due on
  each date (after what alternates covered, with what the item gives as an alternate);
- **as ordered**: the same, with those lines delivering what the buyer ordered on the need-by date.

**production_stop** when as it stands the projection goes negative on a date a demand needs the
item and as ordered it does not (or is less short): the evidence names the orders due that date,
the date, how short, and the days of cover lost. **procurement_delay** when it stays non-negative
but falls below safety stock where as ordered it would not. Otherwise the rule's severity stands
(kept in the evidence as ``rule_severity`` so a later re-assessment can return to it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from gateway.correlation import get_correlation_id, new_correlation_id
from materials import requirements as engine
from materials.models import ProjectionRow
from procurement.inputs import decimal_identity, decimal_text
from procurement.models import POLine, ProcurementException
from procurement.services import WriteSource
from procurement.services.compiled import rows_together
from procurement.services.severity import exception_severity_set

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
ZERO = Decimal(0)

# The supplier deviations whose severity the projection decides.
DEVIATION_KINDS = frozenset(
    {
        Kind.DATE_DEVIATION,
        Kind.QUANTITY_DEVIATION,
        Kind.REJECTED_LINE,
        Kind.LINE_ON_HOLD,
        Kind.ACK_OVERDUE,
        Kind.ASN_WITHOUT_ACK,
    }
)
# Kinds under which the line is counted as not coming at all as things stand.
NOT_COMING = frozenset({Kind.LINE_ON_HOLD, Kind.ACK_OVERDUE})


def drafts_assess(drafts: list[ProcurementException]) -> None:
    """The assessor procurement calls before saving exceptions: sets severity and evidence in place.

    One query when no deviation is among them or no run has planned the company: rules stand.
    """
    wanted = [d for d in drafts if d.kind in DEVIATION_KINDS and (d.po_line_id is not None or d.po_id is not None)]
    if not wanted or not ProjectionRow.objects.filter(company_id__in={d.company_id for d in wanted}).exists():
        return
    for draft in wanted:
        verdict = assess(draft)
        if verdict is not None:
            draft.severity, draft.evidence = verdict
            draft.severity_rank = ProcurementException.SEVERITY_RANK[Severity(draft.severity)]


def assess(exception: ProcurementException) -> tuple[str, dict] | None:
    """(severity, evidence) for ``exception`` from the stored projection; None if no run knows its item."""
    lines = _lines(exception)
    if not lines:
        return None
    evidence = dict(exception.evidence)
    rule = evidence.get("rule_severity", exception.severity)
    worst: tuple[str, dict] | None = None
    for (plant, item), own in lines.items():
        found = _compare(exception.company_id, plant, item, own, drop=exception.kind in NOT_COMING)
        if found is None:
            continue
        if worst is None or _rank(found[0]) < _rank(worst[0]):
            worst = found
    if worst is None:
        return None
    evidence["rule_severity"] = rule
    severity, finding = worst
    evidence.pop("requirements", None)
    if severity is None:
        return rule, evidence
    evidence["requirements"] = finding
    return severity, evidence


def _rank(severity: str | None) -> int:
    return ProcurementException.SEVERITY_RANK[Severity(severity)] if severity else 9


def _lines(exception: ProcurementException) -> dict[tuple[int, int], list[tuple]]:
    """The PO lines an exception is about, grouped by (plant, item), as ``values_list`` rows."""
    qs = POLine.objects.filter(cancelled=False)
    qs = qs.filter(pk=exception.po_line_id) if exception.po_line_id else qs.filter(po_id=exception.po_id)
    grouped: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for row in qs.values_list("pk", "po__ship_to_id", "item_id", "quantity", "shipped_quantity", "need_by"):
        grouped[(row[1], row[2])].append(row)
    return grouped


def _compare(company_id: int, plant: int, item: int, own: list[tuple], *, drop: bool) -> tuple | None:
    """(severity or None, evidence) for the lines ``own`` of (plant, item); None if no run planned it."""
    stored = list(
        ProjectionRow.objects.filter(company_id=company_id, plant_id=plant, item_id=item)
        .order_by("date")
        .values_list("date", "demand", "pegs", "safety_stock", "run_id", "for_primaries", "by_alternates")
    )
    if not stored:
        return None
    # What is due on each date as the run netted it: what alternates take from it or give to it stays as planned.
    rows = [
        (date, demand + given - covered, pegs, safety, run)
        for date, demand, pegs, safety, run, given, covered in stored
    ]
    key = (plant, item)
    stock, _, inspection = engine.stock_terms_load(company_id=company_id, keys=[key])
    supplies = engine.supplies_load(company_id=company_id, keys=[key]).get(key, [])
    today = timezone.localdate()
    params = engine.params_load(company_id=company_id, item_ids={item}, plant_ids={plant})
    supplies += engine.inspection_supplies(inspection.get(key, ()), params[key], today)
    ids = {row[0] for row in own}
    now_supplies = [s for s in supplies if not (drop and s.kind == "po" and s.po_line_id in ids)]
    ordered = [s for s in supplies if not (s.kind == "po" and s.po_line_id in ids)]
    ordered += [
        engine.Supply(need_by, quantity - shipped, "po", pk)
        for pk, _, _, quantity, shipped, need_by in own
        if quantity > shipped
    ]
    current = _series(stock.get(key, ZERO), now_supplies, rows)
    baseline = _series(stock.get(key, ZERO), ordered, rows)
    safety = rows[0][3]
    short_now = _first_short(current)
    short_before = _first_short(baseline)
    if short_now is not None and (
        short_before is None or short_now[0] < short_before[0] or short_now[2] > short_before[2]
    ):
        date, pegs, short = short_now
        # Never short as ordered: covered through the last date anything is needed.
        horizon = max(d for d, _, _, due in baseline if due > ZERO) + dt.timedelta(days=1)
        cover_before = (short_before[0] if short_before else horizon) - today
        return Severity.PRODUCTION_STOP, {
            "plant_id": plant,
            "item_id": item,
            "date": date.isoformat(),
            "orders": [p["reference"] for p in pegs],
            "short": decimal_text(short),
            "days_of_cover_lost": max((cover_before - (date - today)).days, 0),
        }
    if safety > ZERO:
        low_now = next(((d, p) for d, p, projected, _ in current if projected < safety), None)
        low_before = next(((d, p) for d, p, projected, _ in baseline if projected < safety), None)
        if low_now is not None and (low_before is None or low_now[0] < low_before[0]):
            return Severity.PROCUREMENT_DELAY, {
                "plant_id": plant,
                "item_id": item,
                "date": low_now[0].isoformat(),
                "below_safety_stock": decimal_text(safety),
            }
    return None, {}


def _series(stock: Decimal, supplies: list, rows: list[tuple]) -> list[tuple[dt.date, list, Decimal, Decimal]]:
    """(date, pegs due, projected, demand) per date of the stored rows and of the supplies."""
    arriving: dict[dt.date, Decimal] = defaultdict(Decimal)
    for s in supplies:
        arriving[s.date] += s.quantity
    demand = {date: (quantity, pegs) for date, quantity, pegs, _, _ in rows}
    projected = stock
    series = []
    for date in sorted(set(arriving) | set(demand)):
        due, pegs = demand.get(date, (ZERO, []))
        projected += arriving.get(date, ZERO) - due
        series.append((date, pegs, projected, due))
    return series


def _first_short(series: list) -> tuple[dt.date, list, Decimal] | None:
    for date, pegs, projected, due in series:
        if projected < ZERO and due > ZERO:
            return date, pegs, -projected
    return None


def deviations_reads(*, company, keys: set[tuple[int, int]]) -> list[QuerySet]:
    """The reads ``deviations_reassess`` of ``keys`` (not empty) starts with, to send with other statements
    (``found``). Two plain reads of ids rather than one OR across four joins, whose planning alone cost
    more than a net change's other reads; most items have no open deviation at all."""
    open_ones = ProcurementException.objects.open().filter(company=company, kind__in=DEVIATION_KINDS)
    items = {i for _, i in keys}
    return [
        open_ones.filter(po_line__item_id__in=items, po_line__po__ship_to_id__in={p for p, _ in keys}).values_list(
            "pk", flat=True
        ),
        open_ones.filter(po_line__isnull=True, po__lines__item_id__in=items).values_list("pk", flat=True),
    ]


def deviations_reassess(
    *,
    company,
    keys: set[tuple[int, int]] | None,
    ids: Iterable[int] | None = None,
    wait: bool = False,
    found: list[list] | None = None,
) -> int:
    """Re-assess the open deviations of ``company`` on the (plant, item) pairs ``keys`` (None: all), or
    only those of ``ids``.

    Each change of severity goes through ``exception_severity_set`` (audited, with the reason).
    Returns how many changed. A deviation whose severity moves is locked (in id order, the last lock
    of a net change, see ``materials.services.requirements``); one another transaction holds (an
    acknowledgement superseding it, which then waits for this net change's result rows) is skipped
    rather than waited for, which would close a circle, and re-assessed by
    ``materials.tasks.deviations_reassess`` once this transaction commits. ``wait``: wait for such
    locks instead (that task, which holds no other). ``found``: the rows of ``deviations_reads`` of
    ``keys``, read already.
    """
    open_ones = ProcurementException.objects.open().filter(company=company, kind__in=DEVIATION_KINDS)
    if ids is not None:
        open_ones = open_ones.filter(pk__in=list(ids))
    elif keys is not None:
        if not keys:
            return 0
        on_lines, on_orders = (
            found if found is not None else rows_together(*deviations_reads(company=company, keys=keys))
        )
        ids = set(on_lines) | set(on_orders)
        if not ids:
            return 0
        open_ones = ProcurementException.objects.filter(pk__in=ids).order_by("pk")
    source = WriteSource(
        channel="system", label="material requirements", correlation_id=get_correlation_id() or new_correlation_id()
    )
    lockable = ProcurementException.objects.open().select_related("company", "po")
    changed, skipped = 0, []
    for exception in open_ones.select_related("company", "po").distinct().order_by("pk"):
        verdict = assess(exception)
        if verdict is None or verdict == (exception.severity, exception.evidence):
            continue
        # Only a deviation whose severity moves is locked, and read again under the lock.
        locked = lockable.select_for_update(of=("self",), skip_locked=not wait).filter(pk=exception.pk).first()
        if locked is None:
            skipped.append(exception.pk)
            continue
        verdict = assess(locked)
        if verdict is None:
            continue
        severity, evidence = verdict
        changed += exception_severity_set(
            exception=locked, severity=severity, evidence=evidence, source=source, reason="projection changed"
        )
    if skipped:
        from materials.tasks import deviations_reassess_enqueue

        deviations_reassess_enqueue(company_id=company.pk, exception_ids=skipped)
    return changed


def _raise_all(drafts: list[ProcurementException], *, source: WriteSource, one) -> int:
    """Save and audit ``drafts`` in two statements (a first run may raise thousands); should another
    run have raised one of them meanwhile, one by one (``one``: ``exception_raise``, which yields to it)."""
    from procurement.services.audit import audit_event, audit_write

    if not drafts:
        return 0
    try:
        with transaction.atomic():
            ProcurementException.objects.bulk_create(drafts)
    except IntegrityError:
        for draft in drafts:
            draft.pk = None
            one(draft, source=source, action="material_shortage.raised")
        return len(drafts)
    now = timezone.now()
    audit_write(
        [
            audit_event(
                source=source,
                action="material_shortage.raised",
                obj=draft,
                company=draft.company,
                after={"kind": draft.kind, "evidence": draft.evidence},
                now=now,
            )
            for draft in drafts
        ]
    )
    return len(drafts)


# Shortages with no supplier deviation behind them ------------------------------------------------

# A shortage becomes an exception when the purchase that would cover it must be released within this
# many days (or is already late): beyond that, the planned purchase is the ordinary course of planning.
ACTION_DAYS = 14


def shortage_key(company_id: int, plant_id: int, item_id: int) -> str:
    """One open shortage exception per (plant, item): later runs refresh it, never raise a second."""
    return f"{Kind.MATERIAL_SHORTAGE}:{company_id}:{plant_id}:{item_id}"


def shortage_summary(evidence: dict, *, make: bool) -> str:
    """A material shortage's summary from its evidence: ``BAR-321 at DET: 7.35 short on 2027-01-20, not
    enough ordered; a planned purchase of 8 due 2027-01-20 would cover it, released 2027-01-06 (late)``.

    A make item is built, not bought: what covers it is a planned make order, and what it lacks is
    planned, not ordered. The numbers are read, never compared: 7.35 short, not the stored scale's 7.3500.
    """
    planned = evidence["planned_purchase"]
    if planned is None:
        cover = "nothing planned covers it"
    else:
        release = planned["release_date"]
        cover = (
            f"{'a planned make order' if make else 'a planned purchase'} of "
            f"{decimal_identity(Decimal(planned['quantity']))} due {planned['need_date']} would cover it"
            + (f", released {release} (late)" if planned["late"] else f", to release by {release}")
        )
    return (
        f"{evidence['part_number']} at {evidence['plant']}: {decimal_identity(Decimal(evidence['short']))} short "
        f"on {evidence['date']}, not enough {'planned' if make else 'ordered'}; {cover}"
    )


def shortages_reads(*, company, keys: set[tuple[int, int]], today: dt.date, named: bool = False) -> list[QuerySet]:
    """The reads ``shortages_raise`` of ``keys`` (not empty) starts with, to send with other statements
    (``found``): every read by what ``keys`` name. ``named``: without the last two, the part numbers of
    the items and the codes of the plants, which the caller knows (and puts in ``found`` as rows)."""
    from procurement.models import Item

    first_rows, deviations, open_ones, plants_read = _shortage_querysets(company, keys, today)
    items = {i for _, i in keys}
    reads = [
        first_rows,
        deviations.filter(po_line__item_id__in=items).values_list("po_line__po__ship_to_id", "po_line__item_id"),
        open_ones,
    ]
    if not named:
        reads += [Item.objects.filter(pk__in=items).values_list("pk", "part_number"), plants_read]
    return reads


def _shortage_querysets(company, keys: set[tuple[int, int]] | None, today: dt.date) -> tuple[QuerySet, ...]:
    """``shortages_raise``'s reads: the first shortage of each item to act on, the open deviations, the
    open shortage exceptions, the plants."""
    from materials.models import Shortage
    from procurement.models import Plant

    shortages = Shortage.objects.filter(company=company, kind=Shortage.Kind.SHORT).filter(
        Q(planned_purchase__isnull=True) | Q(planned_purchase__release_date__lte=today + dt.timedelta(days=ACTION_DAYS))
    )
    open_ones = ProcurementException.objects.open().filter(company=company, kind=Kind.MATERIAL_SHORTAGE)
    if keys is not None:
        items = {i for _, i in keys}
        shortages = shortages.filter(item_id__in=items, plant_id__in={p for p, _ in keys})
        # By the dedup key's index, not by reading the evidence of every open one.
        open_ones = open_ones.filter(dedup_key__in=sorted(shortage_key(company.pk, p, i) for p, i in keys))
    shortages = shortages.order_by("plant_id", "item_id", "date")
    if connection.vendor == "postgresql":
        # The first of each item only: a full run has hundreds of thousands, each with its pegs.
        shortages = shortages.distinct("plant_id", "item_id")
    first_rows = shortages.values_list(
        "plant_id",
        "item_id",
        "date",
        "quantity",
        "pegs",
        "planned_purchase_id",
        "planned_purchase__quantity",
        "planned_purchase__need_date",
        "planned_purchase__release_date",
        "planned_purchase__supplier_id",
        "planned_purchase__make",
    )
    deviations = ProcurementException.objects.open().filter(company=company, kind__in=DEVIATION_KINDS)
    plants_read = Plant.objects.filter(company=company).values_list("pk", "code")
    return first_rows, deviations, open_ones.select_related("company", "po"), plants_read


def shortages_raise(
    *,
    company,
    keys: set[tuple[int, int]] | None,
    today: dt.date,
    covered: dict[tuple[int, int], str] | None = None,
    found: list[list] | None = None,
) -> tuple[int, int]:
    """Raise, refresh or clear the ``material_shortage`` exceptions of ``company`` after a run.

    For each (plant, item) (of ``keys``; None: all), the first stored shortage whose planned purchase
    is to be released by ``today + ACTION_DAYS`` (or that none covers) is the buyer's to act on —
    unless an open supplier deviation on the item's PO lines already carries it. Severity: production
    stop when the purchase that would cover it is already late to release (or there is none), else
    procurement delay. The evidence names the orders short, the date, how short and the planned
    purchase. An open one whose shortage is gone (covered by a PO, stock, or a supplier's deviation
    now) is resolved ``auto_cleared``, its note what ``covered`` says covered its (plant, item) when
    the caller knows (``Covered by PO-1234 (Create PO by buyer-a)``). ``found``: the rows of
    ``shortages_reads`` of ``keys``, read already. Returns (raised or changed, cleared).
    """
    from procurement.models import Item
    from procurement.services import exceptions_clear
    from procurement.services.raising import exception_draft, exception_raise

    if keys is not None and not keys:
        return 0, 0
    first: dict[tuple[int, int], tuple] = {}
    parts: dict[int, str]
    if keys is not None:
        # A few items: every read by what ``keys`` name, in one round trip on PostgreSQL.
        first_found, deviated_rows, existing_ones, part_rows, plant_rows = (
            found if found is not None else rows_together(*shortages_reads(company=company, keys=keys, today=today))
        )
        for row in first_found:
            if (row[0], row[1]) in keys and (row[0], row[1]) not in first:
                first[(row[0], row[1])] = row
        deviated = set(deviated_rows)
        parts = dict(part_rows)
    else:
        first_rows, deviations, open_ones, plants_read = _shortage_querysets(company, None, today)
        for row in first_rows:
            if (row[0], row[1]) not in first:
                first[(row[0], row[1])] = row
        deviated = (
            set(
                deviations.filter(po_line__item_id__in={i for _, i in first}).values_list(
                    "po_line__po__ship_to_id", "po_line__item_id"
                )
            )
            if first
            else set()
        )
        existing_ones = list(open_ones)
    wanted = {key: row for key, row in first.items() if key not in deviated}
    existing = {
        (e.evidence.get("plant_id"), e.evidence.get("item_id")): e
        for e in existing_ones
        if keys is None or (e.evidence.get("plant_id"), e.evidence.get("item_id")) in keys
    }
    if not wanted and not existing:
        return 0, 0
    source = WriteSource(
        channel="system", label="material requirements", correlation_id=get_correlation_id() or new_correlation_id()
    )
    if keys is None:
        parts = dict(Item.objects.filter(pk__in={i for _, i in wanted}).values_list("pk", "part_number"))
        plant_rows = list(plants_read)
    plants = dict(plant_rows)
    changed = 0
    drafts: list[ProcurementException] = []
    for (plant, item), row in sorted(wanted.items()):
        _, _, date, short, pegs, planned_id, quantity, need, release, supplier, make = row
        late = planned_id is None or release < today
        severity = Severity.PRODUCTION_STOP if late else Severity.PROCUREMENT_DELAY
        evidence = {
            "plant_id": plant,
            "plant": plants[plant],
            "item_id": item,
            "part_number": parts[item],
            "date": date.isoformat(),
            "short": decimal_text(short),
            "orders": [p["reference"] for p in pegs],
            # By what it is, not by row: every run writes its planned purchases anew.
            "planned_purchase": None
            if planned_id is None
            else {
                "quantity": decimal_text(quantity),
                "need_date": need.isoformat(),
                "release_date": release.isoformat(),
                "supplier_id": supplier,
                "late": release < today,
            },
        }
        summary = shortage_summary(evidence, make=make)
        current = existing.get((plant, item))
        if current is not None:
            # The summary is told again with the evidence: an open one never keeps a stale date or quantity.
            changed += exception_severity_set(
                exception=current,
                severity=severity,
                evidence=evidence,
                source=source,
                reason="projection changed",
                summary=summary,
            )
            continue
        draft = exception_draft(
            company=company,
            kind=Kind.MATERIAL_SHORTAGE,
            severity=severity,
            dedup_key=shortage_key(company.pk, plant, item),
            summary=summary,
            evidence=evidence,
            source=source,
        )
        drafts.append(draft)
    changed += _raise_all(drafts, source=source, one=exception_raise)
    cleared = 0
    for (plant, item), exception in existing.items():
        if (plant, item) in wanted:
            continue
        cleared += len(
            exceptions_clear(
                company_id=company.pk,
                kind=Kind.MATERIAL_SHORTAGE,
                dedup_key_prefix=exception.dedup_key,
                evidence={"plant_id": plant, "item_id": item},  # a key is the start of longer ones
                reason=(covered or {}).get((plant, item))
                or "the shortage is covered, or a supplier's deviation now carries it",
                source=source,
            )
        )
    return changed, cleared
