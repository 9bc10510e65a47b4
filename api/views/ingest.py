"""Documents in: store the body first, then validate it, then apply it through the write path."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.authentication import key_label
from api.idempotency import idempotent
from api.models import ApiKey
from api.permissions import SupplierKey
from api.problems import problem
from procurement.services import inbound_document_apply, inbound_document_reject, inbound_document_store


def ingest(request, *, document_type: str, serializer_class, apply) -> Response:
    """Store the body first (committed with the Idempotency-Key's claim), then validate it, then apply it."""
    return idempotent(
        lambda request, document: _ingest_stored(request, document, serializer_class=serializer_class, apply=apply),
        request,
        store=lambda request: _document_store(request, document_type),
    )


def _document_store(request, document_type: str):
    """The body as received; an oversized one is recorded as rejected without being read."""
    key: ApiKey = request.auth
    supplier = key.supplier
    too_large = _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES
    return inbound_document_store(
        channel="api",
        sender=supplier.code if supplier else key.system_name,
        content=b"" if too_large else request.body,
        declared_size=_declared_size(request) if too_large else None,
        supplier=supplier,
        document_type=document_type,
        content_type=request.content_type,
        correlation_id=request.correlation_id,
    )


def _declared_size(request) -> int:
    return int(request.META.get("CONTENT_LENGTH") or 0)


def _ingest_stored(request, document, *, serializer_class, apply) -> Response:
    if _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES:
        return problem(413, "Payload too large", document.error, "too_large", document=document.pk)
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as error:
        inbound_document_reject(document=document, code="malformed", error=str(error.detail))
        raise
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        inbound_document_reject(document=document, code="invalid", error=json.dumps(serializer.errors, default=str))
        raise ValidationError(serializer.errors)
    result = inbound_document_apply(
        document=document,
        label=key_label(request.auth),
        apply=lambda source: apply(source, serializer.to_input()),
    )
    body = {
        "outcome": result.outcome,
        "document": document.pk,
        "record": result.record.pk,
        "exceptions": s.ExceptionForSupplierOut(result.exceptions, many=True).data,
    }
    return Response(body, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


class DocumentPost(APIView):
    """POST of one supplier document: ``apply`` hands its canonical input to the write path."""

    permission_classes = [SupplierKey]
    document_type = ""
    input_serializer = None

    def post(self, request):
        return ingest(
            request, document_type=self.document_type, serializer_class=self.input_serializer, apply=self.apply
        )
