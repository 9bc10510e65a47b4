"""Advance ship notices in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from api import examples as ex
from api import serializers as s
from procurement import inputs
from procurement.services import RecordResult, WriteSource, shipment_record

from .base import ERRORS, IDEMPOTENCY_PARAMETER, supplier_of
from .ingest import DocumentPost


@extend_schema(
    tags=["documents in"],
    request=s.ShipmentIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.SHIPMENT, ex.SHIPMENT_RESULT],
)
class ShipmentCreate(DocumentPost):
    """Send an advance ship notice; its lines may reference several of your POs, packed by SSCC."""

    document_type = "shipment"
    input_serializer = s.ShipmentIn

    def apply(self, source: WriteSource, shipment: inputs.ShipmentInput) -> RecordResult:
        return shipment_record(supplier=supplier_of(self.request), shipment=shipment, source=source)
