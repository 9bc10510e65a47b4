"""Key figures of the EDI channel: how fast partners answer what the gateway sends with a 997/999.

One grouped aggregate over the functional groups the gateway sent, read like ``procurement.kpis``
(same ``KpiQuery``, same ``Chart``): a buyer sees their companies' partners, a supplier its own.
"""

from __future__ import annotations

from django.db.models import Avg, Count, Q

from edi.models import FunctionalGroup, Interchange
from gateway.actors import Actor
from procurement.kpis import Chart, KpiQuery, Measure, duration, hours, percent

ANSWERED = Q(ack_interchange__isnull=False)


def functional_ack_kpis(*, actor: Actor, q: KpiQuery) -> Chart:
    """Per partner: groups sent in the period, the share answered, the mean 997/999 latency (hours) and
    how many went overdue. Latency runs from our interchange's writing to the partner's answer's arrival."""
    qs = FunctionalGroup.objects.filter(
        interchange__direction=Interchange.Direction.OUTBOUND,
        interchange__created_at__gte=q.since,
        interchange__created_at__lt=q.until,
    )
    if actor.is_supplier and actor.supplier_id is not None:
        qs = qs.filter(interchange__partner__supplier_id=actor.supplier_id)
    elif actor.is_buyer_side:
        qs = qs.filter(interchange__partner__company_id__in=actor.company_ids)
    else:
        qs = qs.none()
    if q.plant:
        qs = qs.filter(interchange__po__ship_to__code=q.plant)
    if q.supplier:
        qs = qs.filter(interchange__partner__supplier__code=q.supplier)
    if q.tier:
        qs = qs.filter(interchange__partner__supplier__tier=q.tier)
    if q.channel and q.channel != "edi":
        qs = qs.none()
    rows = (
        qs.values("interchange__partner__supplier__code")
        .annotate(
            sent=Count("id"),
            answered=Count("id", filter=ANSWERED),
            overdue=Count("id", filter=Q(ack_state=FunctionalGroup.AckState.OVERDUE)),
            latency=Avg(duration("ack_interchange__created_at", "interchange__created_at"), filter=ANSWERED),
        )
        .order_by("interchange__partner__supplier__code")
    )
    return Chart(
        "functional_acks",
        "997/999 latency by EDI partner",
        "Partner",
        [
            Measure("sent", "Groups sent", "count"),
            Measure("answered_rate", "Answered", "percent"),
            Measure("latency_hours", "Mean 997 latency", "hours"),
            Measure("overdue", "Overdue", "count"),
        ],
        [
            {
                "group": r["interchange__partner__supplier__code"] or "—",
                "sent": r["sent"],
                "answered_rate": percent(r["answered"], r["sent"]),
                "latency_hours": hours(r["latency"]),
                "overdue": r["overdue"],
            }
            for r in rows
        ],
    )
