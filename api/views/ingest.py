"""Documents in: store the body first, then validate it, then apply it through the write path."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.authentication import key_label, request_key
from api.idempotency import idempotent
from api.parsers import TooDeep
from api.permissions import SupplierKey
from api.problems import problem
from procurement.models import InboundDocument
from procurement.services import (
    RecordResult,
    WriteSource,
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_store,
)


class Validating(Protocol):
    """An input serializer: it validates a body and says what is wrong with it."""

    @property
    def errors(self) -> Any: ...

    def is_valid(self, *, raise_exception: bool = ...) -> bool: ...


class DocumentIn(Validating, Protocol):
    """An input serializer of one document: it validates the body, then gives its canonical input."""

    def to_input(self) -> Any: ...


V = TypeVar("V", bound=Validating)


DocumentInClass = Callable[..., DocumentIn]
# Hands a document's canonical input (what ``to_input()`` gave) to a write-path service.
Apply = Callable[[WriteSource, Any], RecordResult]


def ingest(request: Request, *, document_type: str, serializer_class: DocumentInClass, apply: Apply) -> Response:
    """Store the body first (committed with the Idempotency-Key's claim), then validate it, then apply it."""
    return stored_first(
        request,
        document_type=document_type,
        handle=lambda request, document: _ingest_stored(
            request, document, serializer_class=serializer_class, apply=apply
        ),
    )


def stored_first(
    request: Request, *, document_type: str, handle: Callable[[Request, InboundDocument], Response]
) -> Response:
    """Store the body (committed with the Idempotency-Key's claim), then ``handle(request, document)`` once per key.

    For a document whose answer is not one record (a batch): ``stored_validated`` reads it.
    """
    _chunked_body_read(request)
    return idempotent(handle, request, store=lambda request: _document_store(request, document_type))


def _chunked_body_read(request: Request) -> None:
    """Read a body sent without ``Content-Length`` (``Transfer-Encoding: chunked``) up front.

    The WSGI server (gunicorn) decodes the chunks but can give no ``CONTENT_LENGTH``, and Django
    reads no byte of a body whose length it does not know. It is read here, one byte past
    ``GATEWAY_INBOUND_MAX_BYTES`` at most, and from then on it is a body of that length like any
    other: the size check, the Idempotency-Key's hash, the store and the parsers all see it.
    """
    http_request = request._request
    meta = http_request.META
    if meta.get("CONTENT_LENGTH") or "chunked" not in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    stream, wanted, parts = meta["wsgi.input"], settings.GATEWAY_INBOUND_MAX_BYTES + 1, []
    while wanted > 0:
        part = stream.read(min(wanted, 64 * 1024))
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    content = b"".join(parts)
    meta["CONTENT_LENGTH"] = str(len(content))
    http_request._body = content  # what ``HttpRequest.body`` keeps once it has read the stream
    http_request._stream = io.BytesIO(content)
    http_request._read_started = False  # type: ignore[attr-defined]  # not in django-stubs; set by read()


def _document_store(request: Request, document_type: str) -> InboundDocument:
    """The body as received; an oversized one is recorded as rejected without being read."""
    key = request_key(request)
    supplier = key.supplier
    too_large = _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES
    return inbound_document_store(
        channel="api",
        sender=supplier.code if supplier else key.system_name,
        content=b"" if too_large else request.body,
        declared_size=_declared_size(request) if too_large else None,
        supplier=supplier,
        company=key.company,  # a system key's; a supplier's payload is placed when it is applied
        document_type=document_type,
        content_type=request.content_type,
        correlation_id=request.correlation_id,  # type: ignore[attr-defined]  # set by gateway.middleware
    )


def _declared_size(request: Request) -> int:
    return int(request.META.get("CONTENT_LENGTH") or 0)


def too_large(request: Request, document: InboundDocument) -> Response | None:
    """413 for a body over ``GATEWAY_INBOUND_MAX_BYTES`` (stored as rejected, unread); None for any other."""
    if _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES:
        return problem(413, "Payload too large", document.error, "too_large", document=document.pk)
    return None


def stored_validated(request: Request, document: InboundDocument, serializer_class: Callable[..., V]) -> V:
    """The stored body parsed and validated by ``serializer_class``. A body that cannot be parsed or is
    not valid is recorded as rejected on its document, and refused (400, kept for the key's replays)."""
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as error:
        code = TooDeep.default_code if isinstance(error, TooDeep) else "malformed"
        inbound_document_reject(document=document, code=code, error=str(error.detail))
        raise
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        inbound_document_reject(document=document, code="invalid", error=json.dumps(serializer.errors, default=str))
        raise ValidationError(serializer.errors)
    return serializer


def _ingest_stored(
    request: Request, document: InboundDocument, *, serializer_class: DocumentInClass, apply: Apply
) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    serializer = stored_validated(request, document, serializer_class)
    result = inbound_document_apply(
        document=document,
        label=key_label(request_key(request)),
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
    input_serializer: DocumentInClass  # each document's view names its serializer

    def post(self, request):
        return ingest(
            request, document_type=self.document_type, serializer_class=self.input_serializer, apply=self.apply
        )

    def apply(self, source: WriteSource, document: Any) -> RecordResult:
        """Record ``document`` (the serializer's canonical input) through the write path."""
        raise NotImplementedError
