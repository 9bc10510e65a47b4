"""A PO's timeline as a buyer reads it: every event of its life in words, oldest first.

Each kind of event is told in a sentence (``Supplier proposed price 12.50 (was 11.00) on line 2``)
rather than its stored codes and JSON: the response codes, revision diffs, header codes and
outbound events below each have their words here, and a code this module does not know yet is
still shown as words (``some_code`` → ``some code``), never as a dump. The audit trail's actions,
records and document states are worded here too (``audit_action_words``, ``audit_state_words``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from gateway.actors import Actor
from gateway.formatting import outcome_words, plain_number, price_text, sets_refused_words
from notifications.models import OutboundMessage
from procurement import inputs
from procurement.models import (
    Acknowledgement,
    AuditEvent,
    ChangeRequest,
    Invoice,
    PORevision,
    PurchaseOrder,
    Receipt,
    Shipment,
)


@dataclass
class TimelineEntry:
    """One event in a PO's life as the timeline shows it."""

    at: dt.datetime
    what: str
    detail: str
    channel: str = ""
    sender: str = ""
    correlation_id: str = ""
    attempts: list[Any] = field(default_factory=list)


def purchase_order_timeline(*, actor: Actor, po: PurchaseOrder) -> list[TimelineEntry]:
    """Every revision, acknowledgement, change request, ship notice, receipt, invoice and outbound message
    of one of ``actor``'s POs, oldest first, each with channel, sender, correlation id and time.

    A fixed number of queries whatever the PO's history: one per kind of event. Events at the same
    time keep the order they were written in (a PO's two proposals from one acknowledgement by line),
    on every database.
    """
    if not actor.acts_for_company(po.company_id):
        return []
    supplier = po.supplier.code
    entries: list[TimelineEntry] = []
    for rev in PORevision.objects.filter(po=po).order_by("revision"):
        entries.append(
            TimelineEntry(
                rev.created_at,
                f"Revision {rev.revision}",
                revision_words(rev),
                rev.channel,
                po.company.code,
                rev.correlation_id,
            )
        )
    for ack in Acknowledgement.objects.filter(po=po).order_by("received_at", "id"):
        entries.append(
            TimelineEntry(
                ack.received_at,
                f"Acknowledgement {ack.document_id}",
                acknowledgement_words(ack),
                ack.channel,
                supplier,
                ack.correlation_id,
            )
        )
    for cr in ChangeRequest.objects.filter(po=po).select_related("po_line", "ack").order_by("created_at", "id"):
        entries.append(
            TimelineEntry(
                cr.created_at,
                "Change request",
                change_request_words(cr),
                cr.ack.channel if cr.ack else "",
                supplier if cr.initiator == ChangeRequest.Initiator.SUPPLIER else po.company.code,
                cr.ack.correlation_id if cr.ack else "",
            )
        )
    for ship in Shipment.objects.filter(lines__po_line__po=po).distinct().order_by("received_at", "id"):
        entries.append(
            TimelineEntry(
                ship.received_at,
                f"Ship notice {ship.shipment_id}",
                shipment_words(ship),
                ship.channel,
                supplier,
                ship.correlation_id,
            )
        )
    for receipt in Receipt.objects.filter(po=po).order_by("received_at", "id"):
        entries.append(
            TimelineEntry(
                receipt.received_at,
                f"Receipt {receipt.receipt_number}",
                receipt_words(receipt),
                receipt.channel,
                po.company.code,
                receipt.correlation_id,
            )
        )
    for invoice in Invoice.objects.filter(po=po).order_by("received_at", "id"):
        entries.append(
            TimelineEntry(
                invoice.received_at,
                f"{invoice.get_purpose_display()} {invoice.invoice_number}",
                invoice_words(invoice),
                invoice.channel,
                supplier,
                invoice.correlation_id,
            )
        )
    messages = OutboundMessage.objects.filter(po=po).prefetch_related("attempt_log").order_by("created_at", "id")
    for message in messages:
        entries.append(
            TimelineEntry(
                message.created_at,
                outbound_what(message),
                outbound_words(message),
                "outbox",
                po.company.code,
                message.correlation_id,
                attempts=list(message.attempt_log.all()),
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


# Revisions --------------------------------------------------------------------------------------

REVISION_SOURCES: dict[str, str] = {
    PORevision.Source.BUYER: "Buyer changed the PO",
    PORevision.Source.SUPPLIER_PROPOSAL: "Buyer accepted the supplier's proposal",
    PORevision.Source.POLICY: "Supplier's proposal accepted automatically, within tolerance",
}
# The fields of a revision's diff (``procurement.services.orders``), as a buyer names them.
FIELD_NAMES = {
    "part_number": "part",
    "quantity": "quantity",
    "uom": "unit",
    "unit_price": "price",
    "need_by": "need-by date",
    "supplier_part_number": "supplier part",
    "description": "description",
    "ship_to": "ship-to plant",
    "currency": "currency",
    "order_date": "order date",
    "buyer": "buyer",
    "notes": "notes",
}


def revision_words(rev: PORevision) -> str:
    """``Buyer changed the PO: line 2 price 12.00 (was 10.00); line 4 added; line 3 cancelled``."""
    if rev.revision == 0 and not rev.diff:
        return "Buyer published the PO"
    source = REVISION_SOURCES.get(rev.source, _words(rev.source).capitalize())
    changes = [_diff_words(change) for change in rev.diff or []]
    return f"{source}: {'; '.join(changes)}" if changes else f"{source}, with no change to its terms"


def _diff_words(change: dict) -> str:
    line = change.get("line")
    where = f"line {line} " if line else ""
    name = change.get("field", "")
    if name == "line":
        return f"{where}{_words(str(change.get('to')))}"
    old, new = change.get("from"), change.get("to")
    return f"{where}{FIELD_NAMES.get(name, _words(name))} {_value(name, new)} (was {_value(name, old)})"


# Acknowledgements ------------------------------------------------------------------------------

ACK_HEADERS: dict[str, str] = {
    inputs.ACK_ACKNOWLEDGED: "acknowledged receipt of revision {revision}, without answering its terms yet",
    inputs.ACK_ACCEPTED: "accepted revision {revision}",
    inputs.ACK_ACCEPTED_WITH_CHANGES: "accepted revision {revision} with changes",
    inputs.ACK_REJECTED: "rejected revision {revision}",
}


def acknowledgement_words(ack: Acknowledgement) -> str:
    """``Supplier accepted revision 0 with changes``."""
    said = ACK_HEADERS.get(ack.header, f"answered revision {{revision}}: {_words(ack.header)}")
    return "Supplier " + said.format(revision=ack.po_revision)


# Change requests -------------------------------------------------------------------------------

CHANGE_STATES: dict[str, str] = {
    ChangeRequest.State.PROPOSED: "awaiting the buyer's decision",
    ChangeRequest.State.DECLINED: "declined by the buyer",
    ChangeRequest.State.SUPERSEDED: "replaced by a later answer",
}


def change_request_words(cr: ChangeRequest) -> str:
    """``Supplier proposed price 12.50 (was 11.00) on line 2 — awaiting the buyer's decision``.

    A proposal names each term it changes (price, quantity, date, part, delivery schedule) with the
    buyer's value it would replace; a rejected line is a proposal to cancel it.
    """
    who = "Supplier" if cr.initiator == ChangeRequest.Initiator.SUPPLIER else "Buyer"
    line = cr.po_line.line_no
    proposed, current = cr.proposed or {}, cr.current or {}
    if proposed.get("cancel"):
        quantity = current.get("quantity")
        ordered = f" (ordered {plain_number(quantity)} {cr.po_line.uom})" if quantity is not None else ""
        said = f"{who} rejected line {line}{ordered}, asking to cancel it"
    else:
        terms = [_term_words(name, value, current, uom=cr.po_line.uom) for name, value in proposed.items()]
        said = f"{who} proposed {', '.join(terms) or 'no change'} on line {line}"
    return f"{said} — {_change_state_words(cr)}"


def _term_words(name: str, value: object, current: dict, *, uom: str) -> str:
    if name == "schedule" and isinstance(value, list):
        deliveries = " and ".join(
            f"{plain_number(s.get('quantity'))} {uom} on {s.get('date')}" for s in value if isinstance(s, dict)
        )
        need_by = current.get("need_by")
        return f"deliveries of {deliveries}" + (f" (need-by date {need_by})" if need_by else "")
    old = current.get(name)
    unit = f" {uom}" if name == "quantity" else ""
    was = f" (was {_value(name, old)}{unit})" if old is not None else ""
    return f"{FIELD_NAMES.get(name, _words(name))} {_value(name, value)}{unit}{was}"


def _change_state_words(cr: ChangeRequest) -> str:
    if cr.state == ChangeRequest.State.ACCEPTED:
        if cr.resulting_revision:
            return f"accepted into revision {cr.resulting_revision}"
        return "accepted; the PO keeps its revision"
    return CHANGE_STATES.get(cr.state, _words(cr.state))


# Ship notices, receipts, invoices --------------------------------------------------------------


def shipment_words(ship: Shipment) -> str:
    """``Supplier shipped on 2027-02-20, expected 2027-02-25, by UPS (tracking 1Z999)``."""
    words = f"Supplier shipped on {ship.ship_date}"
    if ship.expected_delivery:
        words += f", expected {ship.expected_delivery}"
    if ship.carrier:
        words += f", by {ship.carrier}"
        if ship.tracking_number:
            words += f" (tracking {ship.tracking_number})"
    return words


RECEIPT_PHYSICAL: dict[str, str] = {
    Receipt.PhysicalStatus.RECEIVED: "Goods received on {date}",
    Receipt.PhysicalStatus.PARTLY_REJECTED: "Goods received on {date}, part of them rejected",
    Receipt.PhysicalStatus.REJECTED: "Goods rejected on {date}",
}


def receipt_words(receipt: Receipt) -> str:
    """``Goods received on 2027-03-01; posted``."""
    physical = RECEIPT_PHYSICAL.get(receipt.physical_status, f"{_words(receipt.physical_status)} on {{date}}")
    physical = physical.format(date=receipt.received_on)
    return f"{physical[:1].upper()}{physical[1:]}; {receipt.get_posting_status_display().lower()}"


def invoice_words(invoice: Invoice) -> str:
    """``Supplier invoiced 1100.00 USD: on hold``."""
    verb = "credited" if invoice.purpose == Invoice.Purpose.CREDIT_MEMO else "invoiced"
    status = invoice.get_match_status_display().lower()
    return f"Supplier {verb} {price_text(invoice.total)} {invoice.currency}: {status}"


# Outbound messages -----------------------------------------------------------------------------

OUTBOUND_EVENTS: dict[str, str] = {
    "po.published": "PO sent to the supplier",
    "po.changed": "PO revision sent to the supplier",
    "proposal.rejected": "Rejection of the proposal sent to the supplier",
    "exception.rejected": "Rejection of the answer sent to the supplier",
    "exception.raised": "Buyer alerted to new exceptions",
    "exception.escalated": "Escalation sent to the supervisor",
}
OUTBOUND_KINDS: dict[str, str] = {
    OutboundMessage.Kind.FILE: "as an EDI file",
    OutboundMessage.Kind.HTTP: "by webhook",
    OutboundMessage.Kind.EMAIL: "by e-mail",
}


def outbound_what(message: OutboundMessage) -> str:
    """``PO sent to the supplier by e-mail``."""
    event = OUTBOUND_EVENTS.get(message.event) or f"Message about {_words(message.event.replace('.', ' '))}"
    return f"{event} {OUTBOUND_KINDS.get(message.kind, _words(message.kind))}"


def outbound_words(message: OutboundMessage) -> str:
    """``to bolts@example.com: delivered after 1 attempt``."""
    tries = f"{message.attempts} attempt{'' if message.attempts == 1 else 's'}"
    if message.state == OutboundMessage.State.DELIVERED:
        state = f"delivered after {tries}"
    elif message.state == OutboundMessage.State.DEAD:
        state = f"given up after {tries}"
    elif message.attempts:
        state = f"{message.get_state_display().lower()}, {tries} so far"
    else:
        state = f"{message.get_state_display().lower()}, not tried yet"
    return f"to {message.destination}: {state}"


# Audit trail ------------------------------------------------------------------------------------

AUDIT_ACTIONS: dict[str, str] = {
    "po.published": "PO published",
    "po.changed": "PO changed",
    "acknowledgement.recorded": "Acknowledgement recorded",
    "shipment.recorded": "Ship notice recorded",
    "receipt.recorded": "Receipt recorded",
    "receipt.posted": "Receipt posted",
    "invoice.recorded": "Invoice recorded",
    "upload.applied": "Upload applied",
    "document.recorded": "Document recorded",
    "document.refused": "Document refused",
    "document.replay_requested": "Replay asked for",
    "document.replayed": "Document replayed",
    "document.replay_failed": "Replay failed",
    "change_request.accepted": "Proposal accepted",
    "change_request.declined": "Proposal declined",
    "planned_purchase.ordered": "Planned purchase ordered",
    "outbox.retried": "Delivery tried again",
    "exception.raised": "Exception raised",
    "material_shortage.raised": "Shortage raised by the requirements run",
    "inventory_variance.raised": "Inventory variance raised",
    "bom_revision_mismatch.raised": "BOM revision mismatch raised",
    "exception.assigned": "Assigned",
    "exception.commented": "Note added",
    "exception.escalated": "Escalated",
    "exception.severity_changed": "Severity changed",
    "exception.accepted": "Accepted",
    "exception.rejected": "Rejected",
    "exception.dismissed": "Dismissed",
    "exception.auto_cleared": "Cleared automatically",
    "exception.superseded": "Superseded by a newer proposal",
    # A supplier's own administration, on the portal's Activity page.
    "api_key.issued": "API key issued",
    "api_key.revoked": "API key revoked",
    "webhook_subscription.created": "Webhook added",
    "webhook_subscription.deleted": "Webhook removed",
    "webhook_subscription.enabled": "Webhook turned on again",
    "webhook_subscription.redelivered": "Webhook delivery sent again",
    "webhook_subscription.secret_rotated": "Webhook secret changed",
    "supplier.invitation_created": "Person invited",
    "supplier.invitation_accepted": "Invitation accepted",
    "supplier.invitation_revoked": "Invitation withdrawn",
    "supplier.membership_joined": "Person joined",
    "supplier.membership_changed": "Person's role or access changed",
}
# The records audit rows name (``AuditEvent.object_type``, a model's class name), as a buyer names them.
AUDIT_RECORDS: dict[str, str] = {
    "InboundDocument": "Document",
    "PurchaseOrder": "PO",
    "POLine": "PO line",
    "Shipment": "Ship notice",
    "ProcurementException": "Exception",
    "ChangeRequest": "Change request",
    "OutboundMessage": "Message",
    "PlannedPurchase": "Planned purchase",
    "ApiKey": "API key",
    "WebhookSubscription": "Webhook",
    "SupplierMembership": "Membership",
    "SupplierInvitation": "Invitation",
}
# A received document's states (``InboundDocument.State``) inside a sentence.
DOCUMENT_STATES: dict[str, str] = {
    "received": "received, not yet applied",
    "processed": "applied",
    "duplicate": "a duplicate",
    "refused": "refused",
    "rejected": "rejected as unreadable",
    "failed": "failed",
}


def audit_action_words(action: str) -> str:
    """``exception.severity_changed`` → ``Severity changed``; an action not worded yet still reads as words."""
    return AUDIT_ACTIONS.get(action) or _words(action.replace(".", " ")).capitalize()


def audit_record_words(event: AuditEvent) -> str:
    """``InboundDocument`` 7 → ``Document 7``; ``BomRelease`` → ``Bom release``."""
    name = AUDIT_RECORDS.get(event.object_type) or re.sub(r"(?<!^)(?=[A-Z])", " ", event.object_type).capitalize()
    return f"{name} {event.object_id}"


def audit_state_words(event: AuditEvent) -> str:
    """A document's state before and after an event that records them (a replay), in words: ``Was
    refused (partly refused: some lines were not applied); now applied``; empty for any other event."""
    before, after = event.before, event.after
    if not (isinstance(before, dict) and isinstance(after, dict) and "state" in before and "state" in after):
        return ""

    def said(side: dict) -> str:
        state = str(side["state"])
        outcome = str(side.get("outcome") or "")
        refused = sets_refused_words(state, outcome)
        if refused:  # a file read whose sets were refused: not "applied"
            return refused[:1].lower() + refused[1:]
        if state == "rejected" and outcome == "envelope_rejected":
            return "refused at the envelope"
        words = DOCUMENT_STATES.get(state, _words(state))
        # An outcome that only repeats the state ("processed" for applied) is not said again.
        if outcome and outcome_words(outcome).lower() != words:
            words += f" ({outcome_words(outcome)[:1].lower()}{outcome_words(outcome)[1:]})"
        return words

    return f"Was {said(before)}; now {said(after)}"


def _value(name: str, value: object) -> str:
    if value is None or value == "":
        return "none"
    if name == "unit_price":
        return price_text(value)
    if name == "quantity":
        return plain_number(value)
    return str(value)


def _words(code: str) -> str:
    return code.replace("_", " ").lower()
