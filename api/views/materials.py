"""Materials from the buyer's PLM and ERP: item masters, BOM releases, BOMs as of a date, where-used.

System keys only; a key sees and writes its own company's materials. A BOM release's body is kept
as sent by the materials services (``bom_release_receive`` takes the raw bytes), and a body that
cannot be read or is not valid is kept too, recorded as a refused release
(``bom_release_raw_refuse``), so every release sent has a row in the history with its outcome.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import serializers as s
from api.authentication import key_label, request_key
from api.filters import BomReleaseFilter, FilterBackend
from api.idempotency import idempotent
from api.permissions import SystemKey
from api.problems import exception_handler, problem
from materials import selectors as materials
from materials import services
from procurement.models import InboundDocument
from procurement.services import NotFound, RecordResult, WriteSource, inbound_document_apply

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, ETagMixin, actor_of, company_named, key_company
from .ingest import stored_first, stored_validated, too_large


@extend_schema(
    tags=["materials"],
    request=s.ItemBatchIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.ItemBatchResultOut, **ERRORS},
    examples=[ex.ITEM_BATCH, ex.ITEM_BATCH_RESULT],
)
class SystemItemBatch(APIView):
    """Create or update up to 1,000 items of the item master at once; each item has its own outcome.

    An item whose values are the same as the record's is ``unchanged``; a change is versioned. One
    item refused (an unknown plant or supplier, a UoM conversion that contradicts another) does not
    stop the others. Releases held for an item that now exists apply at once.
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return stored_first(request, document_type="items", handle=_items_stored)


def _items_stored(request: Request, document: InboundDocument) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    serializer = stored_validated(request, document, s.ItemBatchIn)
    key = request_key(request)
    outcomes: list[services.ItemOutcome] = []

    def apply(source: WriteSource) -> RecordResult:
        company_named(request, serializer.validated_data["company"])
        outcomes.extend(
            services.items_upsert(
                actor=actor_of(request),
                batch=serializer.to_input(key.system_name),
                correlation_id=document.correlation_id,
            )
        )
        return RecordResult(outcome="applied", record=None)

    inbound_document_apply(document=document, label=key_label(key), apply=apply)
    counted = {name: sum(1 for o in outcomes if o.outcome == name) for name in s.ITEM_OUTCOMES}
    body = {
        "document": document.pk,
        **counted,
        "items": [{"part_number": o.part_number, "outcome": o.outcome, "reason": o.reason} for o in outcomes],
    }
    return Response(body, status=status.HTTP_200_OK)


RELEASE_STATUS = {
    "applied": status.HTTP_201_CREATED,
    "held": status.HTTP_202_ACCEPTED,
    "superseded": status.HTTP_200_OK,
    "stale": status.HTTP_200_OK,
    "duplicate": status.HTTP_200_OK,
}


@extend_schema(tags=["materials"])
class SystemBomReleases(ETagMixin, generics.ListAPIView):
    """Send one BOM release; list the release history, newest first, with each release's state and why.

    A posted release is kept as sent, then sequenced: ``applied`` (201); ``held`` (202) until the
    revision it follows is applied, an unknown component item arrives or a UoM can be converted —
    ``waits_for`` says which; ``stale`` (older than the applied revision: recorded, not applied),
    ``superseded``, or ``duplicate`` (the same release again: no effect), 200. A release refused —
    a cycle (its path named), or other content under a revision already used — is a 422
    ``release_refused``. A body that cannot be read or is not valid is a 400, recorded as a refused
    release all the same.
    """

    permission_classes = [SystemKey]
    serializer_class = s.BomReleaseOut
    pagination_class = Cursor
    filter_backends = [FilterBackend]
    filterset_class = BomReleaseFilter

    def get_queryset(self):
        return materials.bom_releases_for(actor=actor_of(self.request), company_code=key_company(self.request).code)

    @extend_schema(responses={200: s.BomReleaseOut(many=True), **ERRORS}, examples=[ex.BOM_RELEASE_LISTED])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.BomReleaseIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.ReleaseOutcomeOut, 202: s.ReleaseOutcomeOut, 200: s.ReleaseOutcomeOut, **ERRORS},
        examples=[ex.BOM_RELEASE, ex.BOM_RELEASE_APPLIED],
    )
    def post(self, request):
        return idempotent(_release_post, request, store=lambda request: None)


def _release_post(request: Request, _stored: None) -> Response:
    company = key_company(request)
    key = request_key(request)

    def refuse(raw: bytes, reason: str) -> int:
        return services.bom_release_raw_refuse(
            actor=actor_of(request),
            company_code=company.code,
            source_system=key.system_name,
            raw=raw,
            reason=reason,
            correlation_id=request.correlation_id,  # type: ignore[attr-defined]  # set by gateway.middleware
        )

    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.GATEWAY_INBOUND_MAX_BYTES:
        reason = f"payload of {declared} bytes exceeds the limit of {settings.GATEWAY_INBOUND_MAX_BYTES} bytes"
        return problem(413, "Payload too large", reason, "too_large", release=refuse(b"", reason))
    raw = request.body
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as error:
        return _refused_answer(error, request, refuse(raw, f"{error.get_codes()}: {error.detail}"))
    serializer = s.BomReleaseIn(data=data)
    if not serializer.is_valid():
        reason = "not valid: " + json.dumps(serializer.errors, default=str)
        return _refused_answer(ValidationError(serializer.errors), request, refuse(raw, reason))
    try:
        company_named(request, serializer.validated_data["company"])
    except NotFound as error:
        return _refused_answer(error, request, refuse(raw, error.message))
    outcome = services.bom_release_receive(
        actor=actor_of(request),
        release=serializer.to_input(key.system_name),
        raw=raw,
        correlation_id=request.correlation_id,  # type: ignore[attr-defined]
    )
    body = {
        "release": outcome.release_pk,
        "state": outcome.state,
        "reason": outcome.reason,
        "waits_for": outcome.waits_for,
    }
    if outcome.state == "refused":
        return problem(422, "Release refused", outcome.reason, "release_refused", **body)
    return Response(body, status=RELEASE_STATUS[outcome.state])


def _refused_answer(error: Exception, request: Request, release: int) -> Response:
    """The API's usual problem for ``error``, naming the refused release it was recorded as."""
    response = exception_handler(error, {"request": request})
    assert response is not None, "the handler answers every error"
    response.data["release"] = release
    return response


@extend_schema(
    tags=["materials"],
    responses={200: s.BomReleaseDetailOut, **ERRORS},
    examples=[ex.BOM_RELEASE_DETAIL],
)
class SystemBomReleaseDetail(ETagMixin, generics.RetrieveAPIView):
    """One release: its components as sent, its state and why, and what it changes from the previous revision."""

    permission_classes = [SystemKey]
    serializer_class = s.BomReleaseDetailOut

    def get_queryset(self):
        return materials.bom_releases_for(actor=actor_of(self.request), company_code=key_company(self.request).code)

    def retrieve(self, request, *args, **kwargs):
        release = self.get_object()
        diff = materials.bom_release_diff(actor=actor_of(request), release_pk=release.pk)
        return Response(s.bom_release_detail_out(release, diff))


def _on(request: Request) -> dt.date:
    value = request.query_params.get("on")
    if value is None or value == "":
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"on": ["Not a date: give YYYY-MM-DD."]}) from None


PLANT_PARAMETER = OpenApiParameter("plant", OpenApiTypes.STR, description="Plant code")
ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="The date the structure is wanted for (effectivity); today by default"
)
TYPE_PARAMETER = OpenApiParameter(
    "type",
    OpenApiTypes.STR,
    enum=["manufacturing", "engineering"],
    description="Which BOM: ERP's manufacturing BOM (default) or PLM's engineering BOM",
)


@extend_schema(
    tags=["materials"],
    parameters=[
        OpenApiParameter("plant", OpenApiTypes.STR, required=True, description="Plant code"),
        ON_PARAMETER,
        TYPE_PARAMETER,
        OpenApiParameter(
            "serial",
            OpenApiTypes.STR,
            description=(
                "The serial (or lot) of the unit the structure is wanted for: where a plant's revisions have "
                "serial ranges, the one whose range holds it; by date otherwise"
            ),
        ),
    ],
    responses={200: s.BomOut, **ERRORS},
    examples=[ex.BOM],
)
class SystemBom(ETagMixin, APIView):
    """A BOM as it is in effect at a plant on a date: indented rows, depth first, alternates under their primary."""

    permission_classes = [SystemKey]

    def get(self, request: Request, part_number: str) -> Response:
        plant = request.query_params.get("plant", "")
        if not plant:
            raise ValidationError({"plant": ["Required: the plant whose BOM is wanted."]})
        on = _on(request)
        bom_type = request.query_params.get("type") or "manufacturing"
        if bom_type not in ("manufacturing", "engineering"):
            raise ValidationError({"type": ["must be one of manufacturing, engineering"]})
        serial = request.query_params.get("serial") or None
        if serial is not None and len(serial) > 64:
            raise ValidationError({"serial": ["At most 64 characters."]})
        tree = materials.bom_as_of(
            actor=actor_of(request),
            company_code=key_company(request).code,
            part_number=part_number,
            plant_code=plant,
            on=on,
            bom_type=bom_type,
            serial=serial,
        )
        if tree is None:
            raise Http404
        return Response(s.bom_out(tree, plant=plant, on=on, bom_type=bom_type))


@extend_schema(
    tags=["materials"],
    parameters=[PLANT_PARAMETER, ON_PARAMETER],
    responses={200: s.WhereUsedOut(many=True), **ERRORS},
    examples=[ex.WHERE_USED],
)
class SystemWhereUsed(ETagMixin, APIView):
    """Every assembly that uses an item, at every level up (level 1: directly), optionally at a plant and date."""

    permission_classes = [SystemKey]

    def get(self, request: Request, part_number: str) -> Response:
        on = _on(request) if request.query_params.get("on") else None
        actor, company_code = actor_of(request), key_company(request).code
        if not materials.part_known(actor=actor, company_code=company_code, part_number=part_number):
            raise NotFound(f"no item, component or BOM has part number {part_number!r}")
        rows = materials.where_used(
            actor=actor,
            company_code=company_code,
            part_number=part_number,
            plant_code=request.query_params.get("plant") or None,
            on=on,
        )
        return Response(s.WhereUsedOut(rows, many=True).data)
