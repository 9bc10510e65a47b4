"""Inventory reconciliation on demand: a company's system starts a run, then reads what it found.

System keys only; a key starts and reads its own company's runs. The run itself is a task on the
``materials`` queue (``materials.tasks.inventory_reconciliation_run``): the POST answers at once.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import key_label, request_key
from api.idempotency import idempotent
from api.permissions import SystemKey
from materials import selectors
from materials.models import InventoryReconciliation
from materials.services.reconciliation import inventory_reconciliation_request
from materials.tasks import inventory_reconciliation_run

from .base import ERRORS, IDEMPOTENCY_PARAMETER, actor_of

# Variances listed with a run; the whole queue is GET /api/v1/system/exceptions/.
MAX_VARIANCES = 500

_QUEUED = {
    "id": 12,
    "state": "queued",
    "requested_by": "system WMS key 3f9a1c2e",
    "requested_at": "2027-01-10T12:00:00Z",
    "started_at": None,
    "finished_at": None,
    "positions": 0,
    "differing": 0,
    "variances": 0,
    "raised": 0,
    "cleared": 0,
    "error": "",
}
RECONCILIATION_QUEUED = OpenApiExample("Queued", response_only=True, status_codes=["202"], value=_QUEUED)
RECONCILIATION_DONE = OpenApiExample(
    "Done: one receipt in quality inspection that the ERP has not posted",
    response_only=True,
    status_codes=["200"],
    value=_QUEUED
    | {
        "state": "done",
        "started_at": "2027-01-10T12:00:01Z",
        "finished_at": "2027-01-10T12:00:02Z",
        "positions": 2,
        "differing": 1,
        "variances": 1,
        "raised": 1,
        "open_variances": [
            {
                "exception": 31,
                "severity": "financial_mismatch",
                "summary": "BRG-330 at DET lot L7 (quarantine): WMS received 400 EA on 2027-01-08 09:14; "
                "ERP has not posted: in quality inspection 2 days",
                "raised_at": "2027-01-10T12:00:02Z",
                "plant": "DET",
                "part_number": "BRG-330",
                "lot": "L7",
                "stock_status": "quarantine",
                "check": "physical_vs_posted",
                "deviation": "400",
            }
        ],
    },
)


class VarianceOut(serializers.Serializer):
    exception = serializers.IntegerField(source="pk")
    severity = serializers.CharField()
    summary = serializers.CharField()
    raised_at = serializers.DateTimeField()
    plant = serializers.CharField(source="evidence.plant")
    part_number = serializers.CharField(source="evidence.part_number")
    lot = serializers.CharField(source="evidence.lot")
    stock_status = serializers.CharField(source="evidence.stock_status")
    check = serializers.CharField(source="evidence.check")
    deviation = serializers.CharField(source="evidence.deviation")


class ReconciliationOut(serializers.ModelSerializer):
    id = serializers.IntegerField()

    class Meta:
        model = InventoryReconciliation
        fields = [
            "id", "state", "requested_by", "requested_at", "started_at", "finished_at", "positions", "differing",
            "variances", "raised", "cleared", "error",
        ]  # fmt: skip


class ReconciliationResultOut(ReconciliationOut):
    """A run, and the company's open variances now (at most ``MAX_VARIANCES``, most at risk first)."""

    open_variances = VarianceOut(many=True)

    class Meta(ReconciliationOut.Meta):
        fields = [*ReconciliationOut.Meta.fields, "open_variances"]


@extend_schema(tags=["materials"])
class SystemInventoryReconciliations(APIView):
    """Start a reconciliation of your company's inventory systems (ERP, WMS, MES).

    ``202``: a run was queued; ``200``: a run is already queued or running, and that one is
    answered (one at a time per company). Read its outcome at ``/api/v1/system/inventory-reconciliations/{id}/``.
    """

    permission_classes = [SystemKey]

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ReconciliationOut, 200: ReconciliationOut, **ERRORS},
        examples=[RECONCILIATION_QUEUED],
    )
    def post(self, request: Request) -> Response:
        return idempotent(_start, request, store=lambda request: None)


def _start(request: Request, _stored: None) -> Response:
    key = request_key(request)
    assert key.company_id is not None, "SystemKey admits only keys of a company"
    with transaction.atomic():
        run, created = inventory_reconciliation_request(
            company_id=key.company_id,
            requested_by=key_label(key),
            correlation_id=request.correlation_id,  # type: ignore[attr-defined]  # set by gateway.middleware
        )
        if created:
            transaction.on_commit(lambda: inventory_reconciliation_run.delay(run.pk))
    body = ReconciliationOut(run).data
    return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


@extend_schema(tags=["materials"], responses={200: ReconciliationResultOut, **ERRORS}, examples=[RECONCILIATION_DONE])
class SystemInventoryReconciliationDetail(APIView):
    """One run: its state, what it compared and found, and the variances open now."""

    permission_classes = [SystemKey]

    def get(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        run = selectors.inventory_reconciliations_for(actor=actor).filter(pk=pk).first()
        if run is None:
            raise Http404
        variances = selectors.inventory_variances_for(actor=actor).filter(company_id=run.company_id)
        body = {
            **ReconciliationOut(run).data,
            "open_variances": VarianceOut(variances[:MAX_VARIANCES], many=True).data,
        }
        return Response(body)
