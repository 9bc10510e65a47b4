"""The inventory ledger through the system API: stock events from ERP, WMS and MES, balances, history.

System keys only; a key writes under its own system name (the source system: ``ERP``, ``WMS``,
``MES``) and sees its own company's stock. Every body is stored as received before it is read
(``stored_first``), and every event has its own outcome: ``applied``, ``duplicate`` (a replay: no
effect), ``conflict`` (other content under a used event id: refused, kept) or ``refused`` (why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import serializers as s
from api.authentication import key_label, request_key
from api.permissions import SystemKey
from api.problems import problem
from materials import inventory_formats
from materials.inventory import inventory_balances_for, inventory_events_for
from materials.services import (
    inventory_csv_ingest,
    inventory_json_lines_ingest,
    inventory_snapshot_apply,
    inventory_stream_ingest,
)
from materials.services.inventory import SnapshotResult, StreamResult
from procurement.models import Company, InboundDocument
from procurement.services import (
    RecordResult,
    WriteSource,
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_stream,
)

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, actor_of, company_named, key_company
from .ingest import stored_first, stored_validated, too_large

BULK_TYPES = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "text/csv": "csv"}


def _counted(result: StreamResult) -> dict[str, int]:
    return {name: result.counts[name] for name in s.inventory.EVENT_OUTCOMES}


def _apply(request: Request, document: InboundDocument, run: Callable[[], StreamResult]) -> StreamResult:
    """Run an ingest for a stored document through ``inbound_document_stream``, so its outcome is on the row.

    Not in one transaction: each chunk of the ingest commits on its own, and a document that
    failed midway, sent again, applies only the rest.
    """
    results: list[StreamResult] = []

    def apply(source: WriteSource) -> RecordResult:
        results.append(run())
        return RecordResult(outcome="applied", record=None)

    inbound_document_stream(
        document=document, label=key_label(request_key(request)), apply=apply, company_id=key_company(request).pk
    )
    return results[0]


@extend_schema(
    tags=["inventory"],
    request=s.InventoryEventBatchIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.InventoryEventResultOut, **ERRORS},
    examples=[ex.INVENTORY_EVENTS, ex.INVENTORY_EVENTS_RESULT],
)
class SystemInventoryEvents(APIView):
    """Send stock events: one (an event object with ``company``) or a batch of up to 10,000.

    Each event has its own outcome, in the batch's order; one refused event does not stop the
    others. Ordering is the system's ``source_sequence`` per plant and item, not arrival: a late
    event corrects the balances; a ``count`` is absolute and later events apply relative to it.
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return stored_first(request, document_type="inventory_events", handle=_events_stored)


def _events_stored(request: Request, document: InboundDocument) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    serializer = stored_validated(request, document, lambda data: s.InventoryEventBatchRawIn(data=s.as_batch(data)))
    events = serializer.validated_data["events"]
    company_code = serializer.validated_data["company"]
    lines = [
        (n, inventory_formats.event_id_of(e), inventory_formats.event_from(e)) for n, e in enumerate(events, start=1)
    ]

    def run() -> StreamResult:
        company_named(request, company_code)
        return inventory_stream_ingest(
            actor=actor_of(request),
            company_code=company_code,
            source_system=request_key(request).system_name,
            lines=lines,
            document=document,
            correlation_id=document.correlation_id,
        )

    result = _apply(request, document, run)
    not_applied = {line.line: line for line in result.lines}
    body = {
        "document": document.pk,
        **_counted(result),
        "events": [
            {"line": n, "source_event_id": event_id, "outcome": "applied", "reason": ""}
            if n not in not_applied
            else {
                "line": n,
                "source_event_id": not_applied[n].source_event_id,
                "outcome": not_applied[n].outcome,
                "reason": not_applied[n].reason,
            }
            for n, event_id, _ in lines
        ],
    }
    return Response(body, status=status.HTTP_200_OK)


@extend_schema(
    tags=["inventory"],
    request={"application/x-ndjson": OpenApiTypes.BINARY, "text/csv": OpenApiTypes.BINARY},
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.InventoryBulkResultOut, **ERRORS},
    examples=[ex.INVENTORY_BULK_RESULT],
)
class SystemInventoryBulk(APIView):
    """Bulk ingest: JSON Lines (``application/x-ndjson``) or CSV (``text/csv``, a header row) of stock events.

    The body is stored as received, read as a stream and appended in chunks (on PostgreSQL each
    chunk of either format is COPYed into a staging table and merged with one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``). The answer counts each outcome and lists every
    line that was not applied, by line number, with its reason. Fields: see
    ``materials.inventory_formats`` (the same as one event of ``inventory-events/``, without company).
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return stored_first(request, document_type="inventory_bulk", handle=_bulk_stored)


def _bulk_stored(request: Request, document: InboundDocument) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    kind = BULK_TYPES.get(request.content_type.split(";")[0].strip().lower())
    if kind is None:
        detail = f"send {' or '.join(BULK_TYPES)}, not {request.content_type or 'no content type'}"
        inbound_document_reject(document=document, code="unsupported_media_type", error=detail)
        return problem(415, "Unsupported media type", detail, "unsupported_media_type", document=document.pk)
    company: Company = key_company(request)

    def run() -> StreamResult:
        with document.open_payload() as payload:
            if kind != "csv":  # JSON Lines: merged in SQL on PostgreSQL (``inventory_bulk``)
                return inventory_json_lines_ingest(
                    actor=actor_of(request),
                    company_code=company.code,
                    source_system=request_key(request).system_name,
                    stream=payload,
                    document=document,
                    correlation_id=document.correlation_id,
                )
            return inventory_csv_ingest(  # CSV: the same SQL path, Python's reader splitting the rows
                actor=actor_of(request),
                company_code=company.code,
                source_system=request_key(request).system_name,
                stream=payload,
                document=document,
                correlation_id=document.correlation_id,
            )

    result = _apply(request, document, run)
    body = {
        "document": document.pk,
        **_counted(result),
        "lines": [
            {"line": o.line, "source_event_id": o.source_event_id, "outcome": o.outcome, "reason": o.reason}
            for o in result.lines
        ],
    }
    return Response(body, status=status.HTTP_200_OK)


@extend_schema(
    tags=["inventory"],
    request=s.InventorySnapshotIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.InventorySnapshotResultOut, **ERRORS},
    examples=[ex.INVENTORY_SNAPSHOT, ex.INVENTORY_SNAPSHOT_RESULT],
)
class SystemInventorySnapshots(APIView):
    """Absolute balances from a system that only exports balances: each line is a count at its position.

    ``sequence`` places the snapshot among the system's events. ``scope`` says what a position the
    snapshot does not list means: ``full`` — the system holds nothing there: each such position of
    the system at the plants covered (``plants`` and those the balances name; only ``locations``
    when given) that holds stock on the snapshot's side is counted as zero by an event of its own,
    listed under ``zeroed``; ``partial`` — not known: it keeps its balance. The same snapshot
    again is all ``duplicate``, its zeroed positions included.
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return stored_first(request, document_type="inventory_snapshot", handle=_snapshot_stored)


def _snapshot_stored(request: Request, document: InboundDocument) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    serializer = stored_validated(request, document, s.InventorySnapshotIn)
    snapshot = serializer.to_input()
    company_code = serializer.validated_data["company"]
    results: list[SnapshotResult] = []

    def apply(source: WriteSource) -> RecordResult:
        company_named(request, company_code)
        results.append(
            inventory_snapshot_apply(
                actor=actor_of(request),
                company_code=company_code,
                source_system=request_key(request).system_name,
                snapshot=snapshot,
                document=document,
                correlation_id=document.correlation_id,
            )
        )
        return RecordResult(outcome="applied", record=None)

    inbound_document_apply(document=document, label=key_label(request_key(request)), apply=apply)
    outcomes = results[0].lines if results else []
    counted = {name: sum(1 for o in outcomes if o.outcome == name) for name in s.inventory.EVENT_OUTCOMES}
    body = {
        "document": document.pk,
        **counted,
        "events": [
            {"line": n, "source_event_id": o.source_event_id, "outcome": o.outcome, "reason": o.reason}
            for n, o in enumerate(outcomes, start=1)
        ],
        "zeroed": [
            {
                "plant": z.plant_code,
                "part_number": z.part_number,
                "location": z.location,
                "lot": z.lot,
                "stock_status": z.stock_status,
                "source_event_id": z.outcome.source_event_id,
                "outcome": z.outcome.outcome,
                "reason": z.outcome.reason,
            }
            for z in (results[0].zeroed if results else [])
        ],
    }
    return Response(body, status=status.HTTP_200_OK)


def _text_param(request: Request, name: str, max_length: int = 64) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > max_length:
        raise ValidationError({name: [f"At most {max_length} characters."]})
    return value


def _as_of(request: Request) -> dt.datetime | None:
    value = request.query_params.get("as_of")
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but not a date, e.g. month 13
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({"as_of": ["Not a timestamp with a time zone: give e.g. 2026-12-03T09:00:00Z."]})
    return parsed


@extend_schema(
    tags=["inventory"],
    parameters=[
        OpenApiParameter("plant", OpenApiTypes.STR, required=True, description="Plant code"),
        OpenApiParameter("part_number", OpenApiTypes.STR, description="One item"),
        OpenApiParameter("location", OpenApiTypes.STR, description="One location (bin); empty string: none"),
        OpenApiParameter("lot", OpenApiTypes.STR, description="One lot"),
        OpenApiParameter("source", OpenApiTypes.STR, description="One source system (ERP, WMS, MES …)"),
        OpenApiParameter(
            "as_of", OpenApiTypes.DATETIME, description="Balances from the events that occurred up to then"
        ),
    ],
    responses={200: s.InventoryBalanceOut(many=True), **ERRORS},
    examples=[ex.INVENTORY_BALANCES],
)
class SystemInventoryBalances(APIView):
    """Balances at a plant per item, location, lot, status and source, physical and posted side by side."""

    permission_classes = [SystemKey]

    def get(self, request: Request) -> Response:
        plant = _text_param(request, "plant", 32)
        if not plant:
            raise ValidationError({"plant": ["Required: the plant whose balances are wanted."]})
        rows = inventory_balances_for(
            actor=actor_of(request),
            company_code=key_company(request).code,
            plant_code=plant,
            part_number=_text_param(request, "part_number"),
            location=_text_param(request, "location"),
            lot=_text_param(request, "lot"),
            source_system=_text_param(request, "source", 40),
            as_of=_as_of(request),
        )
        return Response(s.InventoryBalanceOut(rows, many=True).data)


class EventCursor(Cursor):
    ordering = ("-occurred_at", "-id")


@extend_schema(
    tags=["inventory"],
    parameters=[
        OpenApiParameter("plant", OpenApiTypes.STR, description="Plant code"),
        OpenApiParameter("source", OpenApiTypes.STR, description="One source system"),
    ],
    responses={200: s.InventoryEventOut(many=True), **ERRORS},
    examples=[ex.INVENTORY_HISTORY],
)
class SystemInventoryHistory(generics.ListAPIView):
    """An item's ledger events, newest occurrence first, across plants and sources unless narrowed."""

    permission_classes = [SystemKey]
    serializer_class = s.InventoryEventOut
    pagination_class = EventCursor

    def get_queryset(self):
        return inventory_events_for(
            actor=actor_of(self.request),
            company_code=key_company(self.request).code,
            part_number=self.kwargs["part_number"],
            plant_code=_text_param(self.request, "plant", 32),
            source_system=_text_param(self.request, "source", 40),
        )
