"""Goods receipts in, from the buyer's systems."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from api import examples as ex
from api import serializers as s
from api.permissions import SystemKey
from materials.services import receipt_inventory_post
from procurement.inputs import ReceiptInput
from procurement.services import RecordResult, WriteSource, receipt_record

from .base import ERRORS, IDEMPOTENCY_PARAMETER, own_company
from .ingest import ingest


@extend_schema(
    tags=["system"],
    request=s.ReceiptIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.RECEIPT, ex.RECEIPT_RESULT],
)
class SystemReceiptCreate(APIView):
    """Post a goods receipt; send it again with posted=true when it is posted financially.

    The receipt's stock goes into the inventory ledger under source ``PROCUREMENT``: physical when
    received (rejected quantities as blocked), posted once posted.
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return ingest(
            request,
            document_type="receipt",
            serializer_class=s.ReceiptIn,
            apply=lambda source, receipt: _receipt_record(request, source, receipt),
        )


def _receipt_record(request: Request, source: WriteSource, receipt: ReceiptInput) -> RecordResult:
    """Record the receipt, then its stock in the inventory ledger, in one transaction: they agree by construction."""
    result = receipt_record(receipt=own_company(request, receipt), source=source)
    if result.record is not None:
        receipt_inventory_post(receipt_id=result.record.pk)
    return result
