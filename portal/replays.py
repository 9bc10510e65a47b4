"""Replaying a stored portal submission from the workbench: the same form rebuilt for the same
supplier and PO from its stored fields, validated again, and applied through the same write path
(``inbound_document_apply``) as the portal's, as the person who sent it; or a CSV upload read
again and applied as the person who applied it (``portal.csv_apply``).

Registered with ``procurement.services.document_replayer_register`` from ``PortalConfig.ready()``.
What rebuilds the form is kept by ``portal.submit.form_store`` under ``FORM_KEY``; a submission
stored before it was kept is refused with the reason and nothing is written. The PO is looked up
again among the supplier's own (company code and number), so a stored form never reaches another
supplier's order; an upload's documents reach only its supplier's POs of the company it was placed
with. An invoice moves money: a second buyer approves its replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.http import QueryDict

from gateway.actors import Actor
from gateway.formatting import po_label
from portal.acknowledge_forms import AckHeaderForm, ack_line_formset, acknowledgement_input
from portal.csv_apply import TYPES, csv_upload_apply, upload_applied_by, upload_groups
from portal.csv_uploads import FileRefused
from portal.invoice_forms import InvoiceHeaderForm, InvoiceLineFormSet, invoice_input
from portal.ship_forms import ShipHeaderForm, ShipLineFormSet, shipment_input
from portal.submit import FORM_KEY
from procurement.models import InboundDocument, PurchaseOrder
from procurement.selectors import lines_to_ship_for, purchase_orders_for, ship_tos_for, shipments_for
from procurement.services import (
    InvalidAction,
    ProcurementError,
    RecordResult,
    Replayer,
    WriteSource,
    acknowledgement_record,
    inbound_document_apply,
    invoice_record,
    shipment_record,
)
from suppliers.models import Supplier, SupplierMembership

MONEY_TYPES = frozenset({"invoice"})
SETTLED = (InboundDocument.State.PROCESSED, InboundDocument.State.DUPLICATE)
UPLOADS = frozenset(TYPES)
Apply = Callable[[WriteSource], RecordResult]


def _stored(document: InboundDocument) -> tuple[QueryDict, dict[str, Any]]:
    """The stored fields as the page received them, and the form's context (``FORM_KEY``)."""
    try:
        with document.open_payload() as payload:
            stored = json.loads(payload.read())
    except (OSError, ValueError, RecursionError) as error:
        raise InvalidAction(f"The stored form is not readable JSON ({type(error).__name__}).") from error
    context = stored.get(FORM_KEY) if isinstance(stored, dict) else None
    if not isinstance(context, dict) or not context.get("form"):
        raise InvalidAction(
            "This form was stored before the portal kept which form and PO it was for; "
            "it cannot be rebuilt. Ask the supplier to send it again."
        )
    data = QueryDict(mutable=True)
    for key, values in stored.items():
        if key != FORM_KEY and isinstance(values, list):
            data.setlist(str(key), [str(value) for value in values])
    return data, context


def _person(supplier: Supplier, user_id: Any, *, what: str) -> Any:
    """The person who sent ``what``, if still an active member of the supplier who may send documents."""
    user = get_user_model().objects.filter(pk=user_id or 0, is_active=True).first()
    membership = (
        SupplierMembership.objects.filter(supplier=supplier, user=user, active=True).first()
        if user is not None
        else None
    )
    if membership is None or not membership.may_write:
        raise InvalidAction(
            f"The person who sent this {what} no longer acts for the supplier (or may only read); "
            "it is not replayed in anyone else's name. Ask the supplier to send it again."
        )
    return user


def _order(actor: Actor, context: dict[str, Any]) -> PurchaseOrder:
    order = (
        purchase_orders_for(actor=actor)
        .filter(company__code=str(context.get("company_code", "")), number=str(context.get("po_number", "")))
        .first()
    )
    if order is None:
        raise InvalidAction(f"{po_label(context.get('po_number', '?'))} is not one of this supplier's orders.")
    return order


def _refused(kind: str, errors: Any) -> InvalidAction:
    return InvalidAction(f"The stored form is not a valid {kind}: {json.dumps(errors, default=str)}")


def _acknowledgement(supplier: Supplier, actor: Actor, data: QueryDict, context: dict[str, Any]) -> Apply:
    order = _order(actor, context)
    line_nos = [line.line_no for line in order.lines.all() if not line.cancelled]
    header, formset = AckHeaderForm(data), ack_line_formset(data, line_nos=line_nos)
    later = data.get("action") == "later"
    if not (header.is_valid() and (later or formset.is_valid())):
        raise _refused("acknowledgement", {"header": header.errors, "lines": formset.errors})
    ack = acknowledgement_input(
        po_number=order.number,
        company=order.company.code,
        header=header,
        lines=None if later else [form.to_input() for form in formset.forms],
    )
    return lambda source: acknowledgement_record(supplier=supplier, ack=ack, source=source)


def _invoice(supplier: Supplier, actor: Actor, data: QueryDict, context: dict[str, Any]) -> Apply:
    order = _order(actor, context)
    lines = [line for line in order.lines.all() if not line.cancelled]
    if context.get("shipment") is not None:  # invoiced from a ship notice: that notice's lines only
        shipment = shipments_for(actor=actor).filter(pk=context["shipment"]).first()
        if shipment is None:
            raise InvalidAction("The ship notice this invoice was for is not one of this supplier's.")
        shipped = set(shipment.lines.values_list("po_line_id", flat=True))
        lines = [line for line in order.lines.all() if line.pk in shipped]
    header, rows = InvoiceHeaderForm(data), InvoiceLineFormSet(data)
    invoice, errors = None, list[str]()
    if header.is_valid() and rows.is_valid():
        invoice, errors = invoice_input(
            header=header,
            rows=rows.forms,
            lines={line.pk: line for line in lines},
            po_number=order.number,
            company=order.company.code,
        )
    if invoice is None:
        raise _refused("invoice", {"header": header.errors, "lines": rows.errors, "invoice": errors})
    value = invoice
    return lambda source: invoice_record(supplier=supplier, invoice=value, source=source)


def _shipment(supplier: Supplier, actor: Actor, data: QueryDict, context: dict[str, Any]) -> Apply:
    plant = ship_tos_for(actor=actor).filter(pk=context.get("ship_to") or 0).first()
    if plant is None:
        raise InvalidAction("The supplier has no open lines left to ship to the place this notice was for.")
    by_id = {line.pk: line for line in lines_to_ship_for(actor=actor, ship_to_id=plant.pk)}
    header, rows = ShipHeaderForm(data), ShipLineFormSet(data)
    valid = header.is_valid() and rows.is_valid()
    notice, errors = shipment_input(header, rows.forms, by_id) if valid else (None, [])
    if notice is None:
        raise _refused("ship notice", {"header": header.errors, "lines": rows.errors, "notice": errors})
    return lambda source: shipment_record(supplier=supplier, shipment=notice, source=source)


FORMS: dict[str, Callable[[Supplier, Actor, QueryDict, dict[str, Any]], Apply]] = {
    "acknowledgement": _acknowledgement,
    "invoice": _invoice,
    "shipment": _shipment,
}


def portal_form_replay(document: InboundDocument, source: WriteSource) -> str:
    """Rebuild a stored form (or read a stored upload) and apply it again as the person who sent it.
    Idempotent: a document already applied (``processed`` or ``duplicate``) is left as it is; the
    form's token makes any other copy a duplicate once it has taken effect. A form refused when it
    came in takes this run's outcome. Returns what happened, in words; raises ``InvalidAction``
    (nothing written) when it cannot be rebuilt or no longer validates, and the write path's
    refusal (recorded on the document) when it is refused again."""
    if document.state in SETTLED:
        return f"{document.state}: already applied, nothing done again"
    supplier = Supplier.objects.filter(pk=document.supplier_id).first() if document.supplier_id is not None else None
    if supplier is None:
        raise InvalidAction(f"Document {document.pk} names no supplier to replay it for.")
    if document.document_type in UPLOADS:
        return _upload_replay(document, supplier, source)
    data, context = _stored(document)
    rebuild = FORMS.get(str(context["form"]))
    if rebuild is None or context["form"] != document.document_type:
        raise InvalidAction(f"A {document.document_type or 'untyped'} form cannot be replayed from the workbench.")
    person = _person(supplier, context.get("user"), what="form")
    actor = Actor.for_supplier(supplier_id=supplier.pk, label=f"user {person.get_username()}", user_id=person.pk)
    apply = rebuild(supplier, actor, data, context)
    result = inbound_document_apply(
        document=document,
        label=f"user {person.get_username()} (replayed by {source.label})",
        actor=person,
        apply=apply,
        replayed=True,
    )
    return f"{'duplicate' if result.duplicate else 'processed'}: {result.outcome}"


def _upload_replay(document: InboundDocument, supplier: Supplier, source: WriteSource) -> str:
    """Apply a stored upload's documents again, as the person who applied it. Only an upload that
    was applied and refused in part replays: one the supplier only previewed is theirs to apply,
    and one that could not be read was never applied by anyone (neither is placed with a company,
    so no buyer sees them). What was applied before is a duplicate with no effect."""
    if document.state != InboundDocument.State.REFUSED:
        raise InvalidAction(
            "The supplier has not applied this upload (it was only previewed, or could not be read); "
            "it is theirs to apply or upload again."
        )
    person = _person(supplier, upload_applied_by(document), what="upload")
    try:
        groups = upload_groups(document)
    except FileRefused as error:
        raise InvalidAction(f"The stored file cannot be read again: {error.message}") from error
    except OSError as error:
        raise InvalidAction(f"The stored file cannot be read ({error.strerror or error}).") from error
    invalid = [f"row {row.number}: {'; '.join(row.errors)}" for group in groups for row in group.rows if row.errors]
    if invalid:
        raise InvalidAction(f"The stored file no longer reads cleanly: {'; '.join(invalid[:5])}")
    done = csv_upload_apply(
        document=document,
        groups=groups,
        supplier=supplier,
        person=person,
        label=f"user {person.get_username()} (replayed by {source.label})",
        replayed=True,
    )
    counts = f"{done.applied} applied, {done.duplicates} already applied"
    if done.refused:
        raise ProcurementError(f"{counts}; still refused: {'; '.join(done.refused)}", code="partly_refused")
    return f"processed: {counts}"


def portal_form_moves_money(document: InboundDocument) -> bool:
    return document.document_type in MONEY_TYPES


PORTAL_REPLAYER = Replayer(replay=portal_form_replay, moves_money=portal_form_moves_money)
