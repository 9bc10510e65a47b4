"""Purchase orders: a supplier reads its POs and their revisions; the buyer's systems publish them."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response

from api import examples as ex
from api import serializers as s
from api.filters import FilterBackend, PurchaseOrderFilter, SystemPurchaseOrderFilter
from api.permissions import SupplierKey, SystemKey
from api.serializers import purchase_orders_sql
from procurement import selectors
from procurement.services import purchase_order_publish

from .base import ERRORS, IDEMPOTENCY_PARAMETER, ETagMixin, UpdatedCursor, actor_of, own_company
from .ingest import ingest


class PurchaseOrderPages(generics.ListAPIView):
    """A cursor page of POs as ``PurchaseOrderOut`` shows them: written by PostgreSQL where it can, from rows
    otherwise (the same bytes; api/tests/test_purchase_order_pages.py holds them equal)."""

    def list(self, request, *args, **kwargs):
        orders = self.filter_queryset(self.get_queryset())
        if purchase_orders_sql.available():
            page = self.paginate_queryset(selectors.purchase_order_positions(orders))
            assert page is not None, "the list is paginated (pagination_class), so a page it is"
            body = purchase_orders_sql.purchase_orders_json([row["id"] for row in page])
            if body is not None:
                return self.get_paginated_response(body)
        page = self.paginate_queryset(selectors.purchase_order_rows(orders))
        assert page is not None, "the list is paginated (pagination_class), so a page it is"
        return self.get_paginated_response(s.purchase_orders_out(page))


@extend_schema(
    tags=["purchase orders"],
    responses={200: s.PurchaseOrderOut(many=True), **ERRORS},
    examples=[ex.PURCHASE_ORDER],
)
class PurchaseOrderList(ETagMixin, PurchaseOrderPages):
    """Your purchase orders with their lines and per-line status dimensions, oldest change first."""

    permission_classes = [SupplierKey]
    serializer_class = s.PurchaseOrderOut
    pagination_class = UpdatedCursor
    filter_backends = [FilterBackend]
    filterset_class = PurchaseOrderFilter

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))


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


@extend_schema_view(
    get=extend_schema(
        tags=["system"],
        summary="The company's purchase orders with what suppliers answered",
        description="Every PO of the calling system's company with its lines and per-line status dimensions, "
        "oldest change first; the same filters as a supplier's list (plus ``supplier``).",
        responses={200: s.PurchaseOrderOut(many=True), **ERRORS},
        examples=[ex.PURCHASE_ORDER],
    ),
    post=extend_schema(
        tags=["system"],
        request=s.PurchaseOrderIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
        examples=[ex.PO_PUBLISH, ex.PO_PUBLISHED],
    ),
)
class SystemPurchaseOrders(ETagMixin, PurchaseOrderPages):
    """Read the company's POs back (GET), or publish a PO or a new revision of one (POST: the whole new
    picture, missing lines are cancelled)."""

    permission_classes = [SystemKey]
    serializer_class = s.PurchaseOrderOut
    pagination_class = UpdatedCursor
    filter_backends = [FilterBackend]
    filterset_class = SystemPurchaseOrderFilter

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))

    def post(self, request):
        return ingest(
            request,
            document_type="purchase_order",
            serializer_class=s.PurchaseOrderIn,
            apply=lambda source, po: purchase_order_publish(po=own_company(request, po), source=source),
        )


@extend_schema(tags=["system"], responses={200: s.PurchaseOrderOut, **ERRORS}, examples=[ex.PURCHASE_ORDER])
class SystemPurchaseOrderDetail(ETagMixin, generics.RetrieveAPIView):
    """One of the company's purchase orders, as its supplier answered it."""

    permission_classes = [SystemKey]
    serializer_class = s.PurchaseOrderOut

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))

    def retrieve(self, request, *args, **kwargs):
        order = get_object_or_404(selectors.purchase_order_rows(self.get_queryset()), pk=self.kwargs["pk"])
        return Response(s.purchase_orders_out([order])[0])
