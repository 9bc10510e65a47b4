"""Notifications for a supplier's people: the in-portal inbox and the e-mails, immediate or daily.

Nothing here runs in a request. A sweep (a Celery task every minute) reads the audit trail — the
record every channel's writes already leave, in their own transaction — and turns what concerns a
supplier into one inbox line per active person of that supplier:

- ``po.published`` / ``po.changed``: a PO (or a new revision of it) was sent to the supplier;
- ``ack.overdue``: a PO is still waiting for the supplier's acknowledgement;
- ``exception.raised`` / ``exception.resolved``: a deviation on one of the supplier's POs, in the
  words the supplier may see (never the buyer's summary or notes);
- ``invoice.held`` / ``invoice.released``: payment of an invoice is held, or no longer.

Each person chooses per event how to hear of it by e-mail (``NotificationPreference``): at once (an
outbox e-mail written with the inbox line, delivered by the outbox worker with its retries), in a
daily digest (``digests_send``, on the scheduler), or not at all; the inbox lists it either way.
Reading the trail leaves the write paths as they are: no extra statement in an acknowledgement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from gateway.formatting import po_label
from notifications.models import Notification, NotificationPreference, OutboundMessage
from notifications.services import outbox_write
from procurement.models import AuditEvent, Invoice, POLine, ProcurementException, PurchaseOrder
from suppliers.models import Supplier, SupplierMembership

from .models import NotifiedEvent

# What a person can choose about, in the order the settings page lists them.
EVENTS: dict[str, str] = {
    "po.published": "A new purchase order",
    "po.changed": "A purchase order changed",
    "ack.overdue": "An acknowledgement is overdue",
    "exception.raised": "An exception raised on our lines",
    "exception.resolved": "An exception resolved",
    "invoice.held": "An invoice held",
    "invoice.released": "An invoice released",
}

# How far back the sweep looks: a write that committed later than this after it began is missed.
LOOKBACK = dt.timedelta(hours=1)
BATCH = 2000

RESOLUTION_WORDS = {
    ProcurementException.Resolution.ACCEPTED: "the buyer accepted it",
    ProcurementException.Resolution.REJECTED: "the buyer declined it",
    ProcurementException.Resolution.DISMISSED: "the buyer closed it",
    ProcurementException.Resolution.AUTO_CLEARED: "a later document cleared it",
    ProcurementException.Resolution.SUPERSEDED: "a newer proposal replaced it",
}
INVOICE_KINDS = frozenset(
    {
        ProcurementException.Kind.INVOICE_PRICE_MISMATCH,
        ProcurementException.Kind.INVOICE_QUANTITY_MISMATCH,
        ProcurementException.Kind.DUPLICATE_INVOICE,
    }
)
SWEPT_ACTIONS = ("po.published", "po.changed", "exception.raised", *(f"exception.{r}" for r in RESOLUTION_WORDS))


@dataclass(frozen=True)
class Happening:
    """What one audit event means to a supplier's people."""

    supplier_id: int
    event: str
    key: str
    title: str
    text: str
    link: str


def preference(person_id: int, event: str) -> str:
    row = NotificationPreference.objects.filter(person_id=person_id, event=event).values_list("email", flat=True)
    return row.first() or Notification.Email.IMMEDIATE


def preferences_set(*, person, choices: dict[str, str]) -> None:
    """Keep ``person``'s e-mail choice for each event in ``choices`` (unknown events are ignored)."""
    with transaction.atomic():
        for event, email in choices.items():
            if event in EVENTS and email in Notification.Email.values:
                NotificationPreference.objects.update_or_create(person=person, event=event, defaults={"email": email})


def notifications_sweep(*, now: dt.datetime | None = None) -> int:
    """Turn the audit events of the last ``LOOKBACK`` not handled yet into inbox lines and e-mails.

    One sweep at a time (a transaction-level advisory lock on PostgreSQL); returns how many inbox
    lines were written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('portal.notifications_sweep'))")
        handled = NotifiedEvent.objects.filter(handled_at__gte=now - 2 * LOOKBACK).values("audit_event_id")
        events = list(
            AuditEvent.objects.filter(occurred_at__gte=now - LOOKBACK, action__in=SWEPT_ACTIONS)
            .exclude(pk__in=handled)
            .order_by("pk")[:BATCH]
        )
        if not events:
            NotifiedEvent.objects.filter(handled_at__lt=now - 2 * LOOKBACK).delete()
            return 0
        happenings = _happenings(events)
        written = _notify(happenings, now)
        NotifiedEvent.objects.bulk_create(
            [NotifiedEvent(audit_event_id=e.pk, handled_at=now) for e in events], ignore_conflicts=True
        )
        NotifiedEvent.objects.filter(handled_at__lt=now - 2 * LOOKBACK).delete()
    return written


def _happenings(events: list[AuditEvent]) -> list[Happening]:
    po_ids = {e.po_id for e in events if e.action.startswith("po.") and e.po_id}
    # Whether a PO still awaits an answer is read when the sweep runs: a PO answered (or closed) since it
    # was published is not one to ask the supplier to acknowledge.
    awaiting = POLine.objects.filter(po=OuterRef("pk"), ack_response="", cancelled=False)
    orders = {
        o.pk: o
        for o in PurchaseOrder.objects.filter(pk__in=po_ids)
        .only("pk", "number", "revision", "supplier")
        .annotate(awaiting=Exists(awaiting))
    }
    exception_ids = {int(e.object_id) for e in events if e.action.startswith("exception.") and e.object_id.isdigit()}
    exceptions = {
        x.pk: x
        for x in ProcurementException.objects.filter(
            pk__in=exception_ids, supplier__isnull=False, po__isnull=False
        ).select_related("po", "po_line", "invoice")
    }
    still_held = set(
        ProcurementException.objects.open()
        .filter(invoice_id__in={x.invoice_id for x in exceptions.values() if x.invoice_id})
        .values_list("invoice_id", flat=True)
    )
    found = []
    for event in events:
        if event.action.startswith("po."):
            order = orders.get(event.po_id or 0)
            happening = _po_happening(event, order) if order is not None else None
        else:
            exc = exceptions.get(int(event.object_id)) if event.object_id.isdigit() else None
            happening = _exception_happening(event, exc, still_held) if exc is not None else None
        if happening is not None:
            found.append(happening)
    return found


def _po_happening(event: AuditEvent, order: PurchaseOrder) -> Happening:
    revision = (event.after or {}).get("revision", order.revision) if isinstance(event.after, dict) else order.revision
    link = reverse("portal:order_detail", args=[order.pk])
    if event.action == "po.published":
        return Happening(
            order.supplier_id,
            "po.published",
            f"audit:{event.pk}",
            f"New purchase order {order.number}",
            f"Purchase order {order.number} was published to you. "
            + (
                "Please acknowledge it."
                if getattr(order, "awaiting", True)
                else "It has been answered since; the order's page shows where it stands."
            ),
            link,
        )
    return Happening(
        order.supplier_id,
        "po.changed",
        f"audit:{event.pk}",
        f"Purchase order {order.number} changed (revision {revision})",
        f"The buyer published revision {revision} of purchase order {order.number}. "
        "The order's page shows what changed.",
        link,
    )


def _exception_happening(event: AuditEvent, exc: ProcurementException, still_held: set[int]) -> Happening | None:
    assert exc.po is not None and exc.supplier_id is not None
    where = po_label(exc.po.number) + (f" line {exc.po_line.line_no}" if exc.po_line is not None else "")
    order_link = reverse("portal:order_detail", args=[exc.po_id])
    said = exc.supplier_message or exc.get_kind_display()
    invoice = exc.invoice if exc.kind in INVOICE_KINDS else None
    if event.action == "exception.raised":
        if exc.kind == ProcurementException.Kind.ACK_OVERDUE:
            return Happening(
                exc.supplier_id,
                "ack.overdue",
                f"audit:{event.pk}",
                f"Acknowledgement overdue: {po_label(exc.po.number)}",
                f"{po_label(exc.po.number)} is still waiting for your acknowledgement. {said}",
                order_link,
            )
        if invoice is not None:
            return Happening(
                exc.supplier_id,
                "invoice.held",
                f"invoice.held:{invoice.pk}",
                f"Invoice {invoice.invoice_number} is on hold",
                f"Payment of invoice {invoice.invoice_number} ({where}) is held. "
                "The invoice's page says why and what fixes it.",
                reverse("portal:invoice_detail", args=[invoice.pk]),
            )
        return Happening(
            exc.supplier_id,
            "exception.raised",
            f"audit:{event.pk}",
            f"Exception on {where}: {exc.get_kind_display()}",
            said,
            order_link,
        )
    if exc.kind == ProcurementException.Kind.ACK_OVERDUE:
        return None  # answered: the acknowledgement itself is the news
    if invoice is not None:
        released = invoice.pk not in still_held and invoice.match_status != Invoice.MatchStatus.ON_HOLD
        if not released:
            return None  # another rule still holds it
        return Happening(
            exc.supplier_id,
            "invoice.released",
            f"invoice.released:{invoice.pk}",
            f"Invoice {invoice.invoice_number} is released",
            f"Invoice {invoice.invoice_number} is no longer on hold.",
            reverse("portal:invoice_detail", args=[invoice.pk]),
        )
    words = RESOLUTION_WORDS.get(exc.resolution, "it was closed")  # type: ignore[call-overload]
    return Happening(
        exc.supplier_id,
        "exception.resolved",
        f"audit:{event.pk}",
        f"Exception resolved on {where}: {exc.get_kind_display()}",
        f"{said} Resolved: {words}.",
        order_link,
    )


def _notify(happenings: list[Happening], now: dt.datetime) -> int:
    """One inbox line per active person of each happening's supplier (once per person and key), and
    the immediate e-mails of those who want them, in the outbox, in this transaction."""
    if not happenings:
        return 0
    supplier_ids = {h.supplier_id for h in happenings}
    people: dict[int, list[tuple[int, str]]] = {}
    for supplier_id, user_id, email in SupplierMembership.objects.filter(
        supplier_id__in=supplier_ids, active=True, user__is_active=True
    ).values_list("supplier_id", "user_id", "user__email"):
        people.setdefault(supplier_id, []).append((user_id, email))
    user_ids = {u for members in people.values() for u, _ in members}
    chosen = {
        (p, e): m
        for p, e, m in NotificationPreference.objects.filter(person_id__in=user_ids).values_list(
            "person_id", "event", "email"
        )
    }
    keys = {h.key for h in happenings}
    already = set(Notification.objects.filter(person_id__in=user_ids, key__in=keys).values_list("person_id", "key"))
    suppliers = {s.pk: s for s in Supplier.objects.filter(pk__in=supplier_ids)}
    rows, mails = [], []
    for h in happenings:
        for user_id, address in people.get(h.supplier_id, []):
            if (user_id, h.key) in already:
                continue
            already.add((user_id, h.key))
            email = chosen.get((user_id, h.event), Notification.Email.IMMEDIATE)
            if not address:
                email = Notification.Email.OFF
            rows.append(
                Notification(
                    person_id=user_id,
                    supplier_id=h.supplier_id,
                    event=h.event,
                    key=h.key,
                    title=h.title[:200],
                    text=h.text,
                    link=h.link,
                    email=email,
                    created_at=now,
                )
            )
            if email == Notification.Email.IMMEDIATE:
                mails.append(_immediate_mail(h, suppliers[h.supplier_id], user_id, address, now))
    Notification.objects.bulk_create(rows)
    outbox_write(mails)
    return len(rows)


def absolute(path: str) -> str:
    return settings.GATEWAY_PORTAL_BASE_URL.rstrip("/") + path


def _immediate_mail(h: Happening, supplier: Supplier, user_id: int, address: str, now: dt.datetime) -> OutboundMessage:
    context = {"happening": h, "supplier": supplier, "link": absolute(h.link), "settings_link": _settings_link()}
    return _mail(
        event=f"portal.{h.event}",
        address=address,
        supplier=supplier,
        subject=f"{supplier.code}: {h.title}",
        text=render_to_string("portal/emails/notification.txt", context),
        key=f"portal:{h.key}:{user_id}",
        now=now,
    )


def _settings_link() -> str:
    return absolute(reverse("portal:notification_settings"))


def _mail(
    *, event: str, address: str, supplier: Supplier | None, subject: str, text: str, key: str, now: dt.datetime
) -> OutboundMessage:
    return OutboundMessage(
        kind=OutboundMessage.Kind.EMAIL,
        event=event,
        destination=address,
        payload={"subject": subject, "text": text},
        idempotency_key=key[:120],
        supplier=supplier,
        max_attempts=settings.GATEWAY_OUTBOX_MAX_ATTEMPTS,
        next_attempt_at=now,
        created_at=now,
    )


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Write one digest e-mail per person listing every inbox line they chose to hear of daily and
    not yet digested, into the outbox; returns how many e-mails. Run once a day by the scheduler;
    running it twice sends nothing twice (the lines are marked in the same transaction)."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=connection.vendor == "postgresql")
            .filter(email=Notification.Email.DIGEST, digested_at__isnull=True)
            .filter(
                # Only while the person still acts for the supplier: a deactivated membership hears nothing more.
                Exists(
                    SupplierMembership.objects.filter(
                        user_id=OuterRef("person_id"), supplier_id=OuterRef("supplier_id"), active=True
                    )
                )
            )
            .select_related("person", "supplier")
            .order_by("person_id", "supplier__code", "created_at", "pk")
        )
        by_person: dict[int, list[Notification]] = {}
        for row in pending:
            by_person.setdefault(row.person_id, []).append(row)
        mails = []
        for rows in by_person.values():
            person = rows[0].person
            if not person.email:
                continue
            ids = ",".join(str(r.pk) for r in rows)
            context = {
                "rows": [(r, absolute(r.link)) for r in rows],
                "settings_link": _settings_link(),
                "day": now.date(),
            }
            mails.append(
                _mail(
                    event="portal.digest",
                    address=person.email,
                    supplier=None,
                    subject=f"Supplier portal: {len(rows)} update{'s' if len(rows) != 1 else ''} for {now:%Y-%m-%d}",
                    text=render_to_string("portal/emails/digest.txt", context),
                    key=f"portal.digest:{person.pk}:{hashlib.sha256(ids.encode()).hexdigest()[:40]}",
                    now=now,
                )
            )
        Notification.objects.filter(pk__in=[r.pk for r in pending]).update(digested_at=now)
        outbox_write(mails)
    return len(mails)
