"""Material requirements over the system API: demand in; runs, shortages, planned purchases, projections out.

System keys only; a key sees and writes its own company's requirements. A demand batch is stored as
sent before it is read (an inbound document), answered demand by demand, and the items whose demand
changed are re-planned at once (a net change) when the company has been planned before.
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.authentication import key_label, request_key
from api.idempotency import idempotent
from api.permissions import SystemKey
from api.problems import problem
from api.serializers import requirements as r
from materials import selectors as materials
from materials import services
from materials.models import RequirementRun
from materials.tasks import requirements_run_enqueue
from procurement.models import InboundDocument
from procurement.services import RecordResult, WriteSource, inbound_document_apply

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, actor_of, company_named, key_company
from .ingest import stored_first, stored_validated, too_large


@extend_schema(
    tags=["requirements"],
    request=r.DemandBatchIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: r.DemandBatchResultOut, **ERRORS},
    examples=[ex.DEMANDS, ex.DEMANDS_RESULT],
)
class SystemDemands(APIView):
    """Send up to 10,000 demands (production orders, master schedule, independent demand) at once.

    Each demand is idempotent on its ``source_id``: the same again is ``unchanged``, other values
    ``updated``, ``cancelled: true`` withdraws it (``cancelled``). A demand naming an unknown item or
    plant is ``refused`` with the reason; the others go ahead.
    """

    permission_classes = [SystemKey]

    def post(self, request):
        return stored_first(request, document_type="demands", handle=_demands_stored)


def _demands_stored(request: Request, document: InboundDocument) -> Response:
    refused = too_large(request, document)
    if refused is not None:
        return refused
    serializer = stored_validated(request, document, r.DemandBatchIn)
    key = request_key(request)
    outcomes: list[services.DemandOutcome] = []
    runs: list[RequirementRun | None] = []

    def apply(source: WriteSource) -> RecordResult:
        company_named(request, serializer.validated_data["company"])
        received = services.demands_receive(
            actor=actor_of(request),
            batch=serializer.to_input(key.system_name),
            document=document,
            correlation_id=document.correlation_id,
        )
        outcomes.extend(received.outcomes)
        runs.append(received.run)
        return RecordResult(outcome="applied", record=None)

    inbound_document_apply(document=document, label=key_label(key), apply=apply)
    counted = {name: sum(1 for o in outcomes if o.outcome == name) for name in r.DEMAND_OUTCOMES}
    run = runs[0] if runs else None
    body = {
        "document": document.pk,
        **counted,
        "run": run.pk if run is not None else None,
        "demands": [{"source_id": o.source_id, "outcome": o.outcome, "reason": o.reason} for o in outcomes],
    }
    return Response(body, status=status.HTTP_200_OK)


@extend_schema(tags=["requirements"])
class SystemRequirementRuns(generics.ListAPIView):
    """Ask for a full regeneration (queued, run by a worker: poll the run for its state); list the runs,
    newest first."""

    permission_classes = [SystemKey]
    serializer_class = r.RequirementRunOut
    pagination_class = Cursor

    def get_queryset(self):
        return materials.requirement_runs_for(actor=actor_of(self.request), company_code=key_company(self.request).code)

    @extend_schema(responses={200: r.RequirementRunOut(many=True), **ERRORS}, examples=[ex.REQUIREMENT_RUN])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: r.RequirementRunOut, 200: r.RequirementRunOut, **ERRORS},
        examples=[ex.REQUIREMENT_RUN_QUEUED, ex.REQUIREMENT_RUN_ALREADY],
    )
    def post(self, request):
        """``202``: a full run was queued; ``200``: the company's full run already queued or running is
        answered instead (one at a time per company). Poll ``/api/v1/system/requirement-runs/{id}/``
        until its ``state`` is ``done`` (with its counts) or ``failed`` (with its error)."""
        return idempotent(_run_post, request)


def _run_post(request: Request) -> Response:
    with transaction.atomic():
        run, created = services.requirements_run_request(
            company=key_company(request), requested_by=f"API key {key_label(request_key(request))}"
        )
        if created:
            requirements_run_enqueue(run.pk)
    code = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
    return Response(r.RequirementRunOut(run).data, status=code)


@extend_schema(tags=["requirements"], responses={200: r.RequirementRunOut, **ERRORS}, examples=[ex.REQUIREMENT_RUN])
class SystemRequirementRunDetail(generics.RetrieveAPIView):
    """One run: its mode, state and counts."""

    permission_classes = [SystemKey]
    serializer_class = r.RequirementRunOut

    def get_queryset(self):
        return materials.requirement_runs_for(actor=actor_of(self.request), company_code=key_company(self.request).code)


@extend_schema(tags=["requirements"], responses={200: r.ShortageOut(many=True), **ERRORS}, examples=[ex.SHORTAGE])
class SystemShortages(generics.ListAPIView):
    """Where projected stock goes negative, by plant and date: the demands short, the PO lines arriving after."""

    permission_classes = [SystemKey]
    serializer_class = r.ShortageOut
    pagination_class = Cursor

    def get_queryset(self):
        return materials.shortages_for(actor=actor_of(self.request), company_code=key_company(self.request).code)


@extend_schema(
    tags=["requirements"],
    responses={200: r.PlannedPurchaseOut(many=True), **ERRORS},
    examples=[ex.PLANNED_PURCHASE],
)
class SystemPlannedPurchases(generics.ListAPIView):
    """The purchases (and make orders) the current plan proposes, with the demands each serves."""

    permission_classes = [SystemKey]
    serializer_class = r.PlannedPurchaseOut
    pagination_class = Cursor

    def get_queryset(self):
        return materials.planned_purchases_for(
            actor=actor_of(self.request), company_code=key_company(self.request).code
        )


@extend_schema(
    tags=["requirements"],
    request=r.PlannedPurchaseOrderIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: r.PlannedPurchaseOrderedOut, **ERRORS},
    examples=[ex.PLANNED_PURCHASE_ORDER, ex.PLANNED_PURCHASE_ORDERED],
)
class SystemPlannedPurchaseOrder(APIView):
    """Turn a planned purchase into a PO, published to the supplier by its channel."""

    permission_classes = [SystemKey]

    def post(self, request: Request, pk: int) -> Response:
        return idempotent(lambda request: _order_post(request, pk), request)


def _order_post(request: Request, pk: int) -> Response:
    # Another company's planned purchase is not found, like a missing one: nothing done, nothing to replay.
    planned = get_object_or_404(
        materials.planned_purchases_for(actor=actor_of(request), company_code=key_company(request).code), pk=pk
    )
    body = r.PlannedPurchaseOrderIn(data=request.data)
    body.is_valid(raise_exception=True)
    order = services.planned_purchase_order(
        actor=actor_of(request),
        company_code=key_company(request).code,
        planned_pk=planned.pk,
        number=body.validated_data["number"],
        correlation_id=request.correlation_id,  # type: ignore[attr-defined]  # set by gateway.middleware
    ).po
    return Response({"po": order.pk, "number": order.number}, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["requirements"],
    parameters=[OpenApiParameter("plant", OpenApiTypes.STR, required=True)],
    responses={200: r.ProjectionRowOut(many=True), **ERRORS},
    examples=[ex.PROJECTION],
)
class SystemItemProjection(APIView):
    """One item's projected availability at a plant: every term a column, by date, with the demands due."""

    permission_classes = [SystemKey]

    def get(self, request: Request, part_number: str) -> Response:
        plant = request.query_params.get("plant", "")
        if not plant:
            return problem(400, "Invalid query", "plant: this parameter is required.", "invalid")
        rows = materials.projection_for(
            actor=actor_of(request), company_code=key_company(request).code, part_number=part_number, plant_code=plant
        )
        return Response(r.ProjectionRowOut(rows, many=True).data)
