"""The portal's way into the write path: keep what the person sent, then apply it as one document.

Like the API and EDI channels, a form's submission is stored before anything reads it
(``inbound_document_store``), then turned into a canonical input and applied through
``inbound_document_apply`` with a ``portal`` channel source naming the person. A form that does
not validate is stored and recorded as rejected, so "My documents" shows every attempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from procurement.models import Company, InboundDocument
from procurement.services import (
    ProcurementError,
    RecordResult,
    WriteSource,
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_store,
)
from suppliers.models import Supplier

CHANNEL = "portal"


def may_submit(request: HttpRequest) -> bool:
    """Whether the person may send documents for the supplier the page acts for: not a read-only member.

    ``supplier_page`` has put the membership in force on the request.
    """
    membership = getattr(request, "supplier_membership", None)
    return membership is not None and membership.may_write


@dataclass
class Submission:
    """What became of one submitted form: its stored document, and the result or the refusal."""

    document: InboundDocument
    result: RecordResult | None = None
    refusal: str = ""


# The reserved key of a stored form under which ``form_store`` keeps what rebuilds the form for a
# replay (which form, the PO as the page looked it up, the person). A posted field of that name is
# dropped, so it can never clash with (or forge) the stored context.
FORM_KEY = "@portal"


def form_store(
    request: HttpRequest,
    supplier: Supplier,
    document_type: str,
    *,
    company: Company | None = None,
    form: str = "",
    **context: Any,
) -> InboundDocument:
    """The submitted form's fields (without the CSRF token) as a JSON document, stored first.

    ``form`` names the page's form and ``context`` what the page looked up to build it (the PO's
    company code and number, a ship notice's id, a ship-to plant's id); with the person who sent
    it they are kept under ``FORM_KEY`` so the buyer's console can rebuild the form and replay it.
    ``company`` (the buying company of the PO or plant the page showed) places the document with
    it, so that company's buyers see it, a refused one included, in their documents console.
    """
    fields: dict[str, Any] = {
        key: request.POST.getlist(key) for key in request.POST if key not in ("csrfmiddlewaretoken", FORM_KEY)
    }
    if form:
        person = request.user if request.user.is_authenticated else None
        fields[FORM_KEY] = {"form": form, "user": person.pk if person is not None else None, **context}
    return inbound_document_store(
        channel=CHANNEL,
        sender=supplier.code,
        content=json.dumps(fields, sort_keys=True).encode(),
        supplier=supplier,
        company=company,
        document_type=document_type,
        content_type="application/json",
        correlation_id=getattr(request, "correlation_id", ""),
    )


def form_rejected(document: InboundDocument, errors: Any) -> None:
    """Record that the stored form could not become a document, with the form's own error words."""
    inbound_document_reject(document=document, code="invalid", error=json.dumps(errors, default=str))


def submission_apply(
    request: HttpRequest, document: InboundDocument, apply: Callable[[WriteSource], RecordResult]
) -> Submission:
    """Apply a stored form through the write path as the signed-in person; a refusal comes back in words."""
    person = request.user if request.user.is_authenticated else None
    try:
        result = inbound_document_apply(
            document=document, label=f"user {request.user.get_username()}", actor=person, apply=apply
        )
    except ProcurementError as error:
        return Submission(document=document, refusal=error.message)
    return Submission(document=document, result=result)


def submitted(request: HttpRequest, submission: Submission) -> HttpResponse:
    """Redirect to the document that took effect (post/redirect/get, so a reload sends nothing).

    A form sent again (double click, second tab, back button) is a duplicate: the person lands on
    the document that was applied the first time, told that nothing changed.
    """
    assert submission.result is not None
    record = submission.result.record
    original = getattr(record, "inbound_document_id", None) or submission.document.pk
    if submission.result.duplicate:
        messages.info(request, "This was already received and applied once; sending it again changed nothing.")
    return redirect("portal:document_detail", document_id=original)
