"""Acknowledgements in: a supplier answers a PO, line by line."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from api import examples as ex
from api import serializers as s
from procurement import inputs
from procurement.services import RecordResult, WriteSource, acknowledgement_record

from .base import ERRORS, IDEMPOTENCY_PARAMETER, supplier_of
from .ingest import DocumentPost


@extend_schema(
    tags=["documents in"],
    request=s.AcknowledgementIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.ACK, ex.ACK_RESULT],
)
class AcknowledgementCreate(DocumentPost):
    """Acknowledge one of your POs: a header code and a response per line, in the canonical vocabulary.

    A response that changes the buyer's terms is a proposal until the buyer (or policy) accepts
    it. 201 when applied, 200 when the same document_id was already applied (no second effect).
    """

    document_type = "acknowledgement"
    input_serializer = s.AcknowledgementIn

    def apply(self, source: WriteSource, ack: inputs.AcknowledgementInput) -> RecordResult:
        return acknowledgement_record(supplier=supplier_of(self.request), ack=ack, source=source)
