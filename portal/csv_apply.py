"""A stored CSV upload applied through the write path: the supplier's "Apply" button, and a buyer's
replay of it from the documents console (``portal.replays``).

Each document the file holds (an acknowledgement per PO, a ship notice per notice number) is
applied on its own, as the person who applies the file; one refused does not stop the others.
The file is then settled with what its documents did, and who applied it is audited
(``upload.applied``): a replay applies it again in that person's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from gateway.actors import Actor
from portal import csv_uploads as c
from portal.submit import CHANNEL
from procurement.models import AuditEvent, InboundDocument
from procurement.selectors import purchase_orders_for
from procurement.services import (
    ProcurementError,
    WriteSource,
    acknowledgement_record,
    inbound_document_settle,
    shipment_record,
)
from procurement.services.audit import audit_event, audit_write
from suppliers.models import Supplier

TYPES = {f"csv_{kind}": kind for kind in c.KINDS}
APPLIED = "upload.applied"


@dataclass
class UploadApplied:
    """What applying a file did: its documents with a note per row (or their refusal), and counts."""

    groups: list[c.Group]
    applied: int
    duplicates: int

    @property
    def refused(self) -> list[str]:
        return [f"{group.key}: {group.refusal}" for group in self.groups if group.refusal]


def upload_groups(document: InboundDocument) -> list[c.Group]:
    """The stored file read again and grouped into its documents (``FileRefused`` if unreadable)."""
    kind = TYPES[document.document_type]
    with document.open_payload() as payload:
        rows = c.read_rows(payload.read(), kind)
    return c.acknowledgement_groups(rows) if kind == "acknowledgements" else c.shipment_groups(rows)


def upload_company_id(supplier: Supplier, groups: list[c.Group]) -> int | None:
    """The buying company the file concerns: the one company of all the supplier's POs it names.

    None when it names POs of several companies (no one company's buyers may read it whole) or
    none the supplier has (a file concerns no company until it reaches a PO). One query.
    """
    numbers = sorted({row.values.get("po_number", "") for group in groups for row in group.rows} - {""})
    actor = Actor.for_supplier(supplier_id=supplier.pk, label=f"supplier {supplier.code}")
    companies = set(
        purchase_orders_for(actor=actor)
        .prefetch_related(None)
        .filter(number__in=numbers)
        .values_list("company_id", flat=True)
        .distinct()
    )
    return companies.pop() if len(companies) == 1 else None


def upload_applied_by(document: InboundDocument) -> int | None:
    """The person who last applied the upload (its latest ``upload.applied``), None if no one did.

    An upload applied before that audit was written has none; the person is then the one the
    write path's own audit names for what applying it did (each document applied or refused was
    written under the upload's correlation id, through the portal, in that person's name). A file
    stored without a correlation id, or whose documents wrote nothing, names no one. The first such
    entry is taken: a caller may choose a request's correlation id, and a later request reusing the
    upload's must not become the person it is replayed as.
    """
    applied = (
        AuditEvent.objects.filter(action=APPLIED, object_type="InboundDocument", object_id=str(document.pk))
        .order_by("-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    if applied is not None or not document.correlation_id:
        return applied
    return (
        AuditEvent.objects.filter(
            correlation_id=document.correlation_id,
            channel=CHANNEL,
            actor__isnull=False,
            occurred_at__gte=document.received_at,
        )
        .order_by("id")
        .values_list("actor_id", flat=True)
        .first()
    )


def csv_upload_apply(
    *,
    document: InboundDocument,
    groups: list[c.Group],
    supplier: Supplier,
    person: AbstractBaseUser,
    label: str,
    replayed: bool = False,
) -> UploadApplied:
    """Apply each document of a stored upload whose rows are all valid, as ``person``.

    Each group goes through ``acknowledgement_record`` or ``shipment_record`` under its own key
    (an acknowledgement's id is derived from the file and the PO), so applying the file again
    changes nothing already applied. A refused group keeps its refusal on ``group.refusal`` and
    its siblings still apply. Rows get a note of what was done. The document is then settled:
    ``processed``, or ``refused`` (``partly_refused``, naming each refused document), placed with
    the one buying company it concerns (``upload_company_id``); ``replayed`` lets a replay settle
    it again (``inbound_document_settle``). Audited: ``upload.applied``, naming the person.
    """
    kind = TYPES[document.document_type]
    source = WriteSource(
        channel=CHANNEL, label=label, actor=person, correlation_id=document.correlation_id, document=document
    )
    applied = duplicates = 0
    for group in groups:
        try:
            if kind == "acknowledgements":
                ack = c.acknowledgement_input(group, f"csv-{document.pk}-{group.key}")
                result = acknowledgement_record(supplier=supplier, ack=ack, source=source)
            else:
                result = shipment_record(supplier=supplier, shipment=c.shipment_input(group), source=source)
        except ProcurementError as error:
            group.refusal = error.message
            continue
        duplicates += result.duplicate
        applied += not result.duplicate
        raised: dict[tuple[str, str], list[str]] = {}
        for exception in result.exceptions:
            if exception.po_line is not None:
                key = (exception.po_line.po.number, exception.po_line.line_no)
                raised.setdefault(key, []).append(exception.supplier_message)
        note = "already received: nothing changed" if result.duplicate else "applied"
        for row in group.rows:
            found = raised.get((row.values.get("po_number", ""), row.values.get("line_no", "")), [])
            row.note = note + (f"; the buyer will look at: {'; '.join(found)}" if found else "")
    outcome = UploadApplied(groups=groups, applied=applied, duplicates=duplicates)
    before = {"state": document.state, "outcome": document.outcome_code}
    with transaction.atomic():
        _settle(document, outcome, supplier=supplier, source=source, before=before, replayed=replayed)
    return outcome


def _settle(
    document: InboundDocument,
    outcome: UploadApplied,
    *,
    supplier: Supplier,
    source: WriteSource,
    before: dict[str, str],
    replayed: bool,
) -> None:
    inbound_document_settle(
        document=document,
        state=InboundDocument.State.REFUSED if outcome.refused else InboundDocument.State.PROCESSED,
        code="partly_refused" if outcome.refused else "processed",
        error="; ".join(outcome.refused),
        company_id=upload_company_id(supplier, outcome.groups),
        replayed=replayed,
    )
    audit_write(
        [
            audit_event(
                source=source,
                action=APPLIED,
                obj=document,
                company=document.company,
                before=before,
                after={
                    "state": document.state,
                    "outcome": document.outcome_code,
                    "applied": outcome.applied,
                    "duplicates": outcome.duplicates,
                    "refused": outcome.refused,
                },
            )
        ]
    )
