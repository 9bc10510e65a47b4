"""Invoices: a supplier sends them and sees whether each matched or why it is held."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api import examples as ex
from api import serializers as s
from api.permissions import SupplierKey
from procurement import inputs, selectors
from procurement.services import RecordResult, WriteSource, invoice_record

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, ETagMixin, actor_of, supplier_of
from .ingest import DocumentPost


@extend_schema(tags=["documents in"])
class Invoices(DocumentPost, generics.ListAPIView):
    """Send an invoice or credit memo against one of your POs; list your invoices and why any is held."""

    document_type = "invoice"
    input_serializer = s.InvoiceIn
    serializer_class = s.InvoiceOut
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.invoices_for(actor=actor_of(self.request))

    @extend_schema(responses={200: s.InvoiceOut(many=True), **ERRORS}, examples=[ex.INVOICE_HELD])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.InvoiceIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
        examples=[ex.INVOICE, ex.INVOICE_RESULT],
    )
    def post(self, request):
        return super().post(request)

    def apply(self, source: WriteSource, invoice: inputs.InvoiceInput) -> RecordResult:
        return invoice_record(supplier=supplier_of(self.request), invoice=invoice, source=source)


@extend_schema(tags=["documents in"], responses={200: s.InvoiceOut, **ERRORS}, examples=[ex.INVOICE_HELD])
class InvoiceDetail(ETagMixin, generics.RetrieveAPIView):
    """One of your invoices, with its match status and, when held, the reason."""

    permission_classes = [SupplierKey]
    serializer_class = s.InvoiceOut

    def get_queryset(self):
        return selectors.invoices_for(actor=actor_of(self.request))
