"""Purchase orders: a supplier reads its POs and their revisions; the buyer's systems publish them."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import serializers as s
from api.filters import FilterBackend, PurchaseOrderFilter
from api.permissions import SupplierKey, SystemKey
from procurement import selectors
from procurement.services import purchase_order_publish

from .base import ERRORS, IDEMPOTENCY_PARAMETER, ETagMixin, UpdatedCursor, actor_of, own_company
from .ingest import ingest


@extend_schema(
    tags=["purchase orders"],
    responses={200: s.PurchaseOrderOut(many=True), **ERRORS},
    examples=[ex.PURCHASE_ORDER],
)
class PurchaseOrderList(ETagMixin, generics.ListAPIView):
    """Your purchase orders with their lines and per-line status dimensions, oldest change first."""

    permission_classes = [SupplierKey]
    serializer_class = s.PurchaseOrderOut
    pagination_class = UpdatedCursor
    filter_backends = [FilterBackend]
    filterset_class = PurchaseOrderFilter

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.purchase_order_rows(self.filter_queryset(self.get_queryset())))
        assert page is not None, "the list is paginated (pagination_class), so a page it is"
        return self.get_paginated_response(s.purchase_orders_out(page))


@extend_schema(tags=["purchase orders"], responses={200: s.PurchaseOrderOut, **ERRORS}, examples=[ex.PURCHASE_ORDER])
class PurchaseOrderDetail(ETagMixin, generics.RetrieveAPIView):
    """One of your purchase orders."""

    permission_classes = [SupplierKey]
    serializer_class = s.PurchaseOrderOut

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))

    def retrieve(self, request, *args, **kwargs):
        order = get_object_or_404(selectors.purchase_order_rows(self.get_queryset()), pk=self.kwargs["pk"])
        return Response(s.purchase_orders_out([order])[0])


@extend_schema(tags=["purchase orders"], responses={200: s.RevisionOut(many=True), **ERRORS}, examples=[ex.REVISION])
class RevisionList(ETagMixin, generics.ListAPIView):
    """Every published revision of a PO with its from/to diff against the one before."""

    permission_classes = [SupplierKey]
    serializer_class = s.RevisionOut
    pagination_class = None

    def get_queryset(self):
        revisions = selectors.purchase_order_revisions_for(actor=actor_of(self.request), po_id=self.kwargs["pk"])
        if not revisions.exists():
            raise Http404
        return revisions.order_by("revision")


@extend_schema(tags=["purchase orders"], responses={200: s.RevisionOut, **ERRORS}, examples=[ex.REVISION])
class RevisionDetail(ETagMixin, generics.RetrieveAPIView):
    """One revision: its snapshot and what changed from the previous revision (field, from, to)."""

    permission_classes = [SupplierKey]
    serializer_class = s.RevisionOut

    def get_object(self):
        revisions = selectors.purchase_order_revisions_for(actor=actor_of(self.request), po_id=self.kwargs["pk"])
        return get_object_or_404(revisions, revision=self.kwargs["revision"])


@extend_schema(
    tags=["system"],
    request=s.PurchaseOrderIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.PO_PUBLISH, ex.PO_PUBLISHED],
)
class SystemPurchaseOrderCreate(APIView):
    """Publish a PO, or a new revision of one (the whole new picture: missing lines are cancelled)."""

    permission_classes = [SystemKey]

    def post(self, request):
        return ingest(
            request,
            document_type="purchase_order",
            serializer_class=s.PurchaseOrderIn,
            apply=lambda source, po: purchase_order_publish(po=own_company(request, po), source=source),
        )
