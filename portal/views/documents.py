"""My documents: everything this supplier sent, by any channel, with what became of it."""

from __future__ import annotations

import json
import re

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from edi.models import FunctionalGroup
from gateway.actors import Actor
from gateway.formatting import OUTCOME_WORDS, sets_refused_words
from portal.access import acting_supplier_id, supplier_page
from procurement.models import InboundDocument
from procurement.selectors import (
    acknowledgements_for,
    exceptions_for,
    inbound_documents_for,
    invoices_for,
    shipments_for,
)
from suppliers.models import Supplier

STATE_WORDS: dict[str, str] = {
    InboundDocument.State.RECEIVED: "Received, being processed",
    InboundDocument.State.PROCESSED: "Applied",
    InboundDocument.State.DUPLICATE: "Already received: applied once, nothing changed",
    InboundDocument.State.REFUSED: "Refused",
    InboundDocument.State.REJECTED: "Could not be read",
    InboundDocument.State.FAILED: "Failed, will be retried",
}
# An EDI file read and refused at its envelope (ISA/IEA): it was read, but is not ours to apply.
ENVELOPE_REFUSED = "Refused at the envelope"
# TA1 008: the interchange's receiver (ISA07/ISA08) is none of the buying company's ids.
MISADDRESSED = "Refused: addressed to another company"
# TA1 025: other content under an interchange control number (ISA13) already received.
CONTROL_NUMBER_REUSED = "Refused: its control number was already used"


def state_words(document: InboundDocument) -> str:
    """What became of a document, in a sentence; an EDI envelope refusal says why (see error_words)."""
    if document.outcome_code == "envelope_rejected":
        if "TA1 008" in document.error:
            return MISADDRESSED
        return CONTROL_NUMBER_REUSED if "TA1 025" in document.error else ENVELOPE_REFUSED
    return sets_refused_words(document.state, document.outcome_code) or STATE_WORDS.get(document.state, document.state)


def state_class(document: InboundDocument) -> str:
    """The state a document is drawn as (``state-<this>``): a file whose sets were refused is not drawn as applied."""
    refused = sets_refused_words(document.state, document.outcome_code)
    return InboundDocument.State.REFUSED if refused else document.state


@require_GET
@supplier_page
def document_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    documents = inbound_documents_for(actor=actor).only(
        "id", "channel", "document_type", "filename", "state", "outcome_code", "error", "received_at", "size"
    )
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/document_list.html",
        {
            "supplier": Supplier.objects.get(pk=acting_supplier_id(actor)),
            "page": page,
            "rows": [(d, state_words(d), state_class(d), error_words(d)) for d in page],
            "section": "documents",
        },
    )


@require_GET
@supplier_page
def document_detail(request: HttpRequest, actor: Actor, document_id: int) -> HttpResponse:
    document = inbound_documents_for(actor=actor).filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document.")
    return render(
        request,
        "portal/document_detail.html",
        {
            "supplier": Supplier.objects.get(pk=acting_supplier_id(actor)),
            "document": document,
            "state_words": state_words(document),
            "state_class": state_class(document),
            "error_words": error_words(document),
            "acknowledgement": acknowledgements_for(actor=actor).filter(inbound_document=document).first(),
            "shipment": shipments_for(actor=actor).filter(inbound_document=document).first(),
            "invoice": invoices_for(actor=actor).filter(inbound_document=document).first(),
            "exceptions": exceptions_for(actor=actor).filter(correlation_id=document.correlation_id)
            if document.correlation_id
            else [],
            # The 997/999 we answered an EDI file with, group by group.
            "groups": FunctionalGroup.objects.filter(
                interchange__inbound_document=document, interchange__direction="in"
            )
            .select_related("interchange")
            .order_by("pk"),
            "section": "documents",
        },
    )


def error_words(document: InboundDocument) -> list[str]:
    """A document's error as sentences: a portal form's field errors one per line, anything else as recorded."""
    if not document.error:
        return []
    if document.channel == "portal" and document.outcome_code == "invalid":
        try:
            errors = json.loads(document.error)
        except ValueError:
            return [document.error]
        return list(_flatten(errors))
    if document.channel == "edi":
        # Each set's refusal is recorded as ``(code: reason)``: the code in words.
        return [_REFUSAL_CODE.sub(lambda m: f"({OUTCOME_WORDS[m[1]]}: ", document.error)]
    return [document.error]


_REFUSAL_CODE = re.compile(r"\((" + "|".join(sorted(OUTCOME_WORDS, key=len, reverse=True)) + r"): ")


def _flatten(errors: object, where: str = ""):
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, f"{where} {key}".strip() if key != "__all__" else where)
    elif isinstance(errors, list):
        for n, value in enumerate(errors, start=1):
            yield from _flatten(value, f"{where} row {n}".strip() if isinstance(value, dict) else where)
    elif errors:
        yield f"{where}: {errors}" if where else str(errors)
