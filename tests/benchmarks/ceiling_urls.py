"""The benchmark's own server: the framework's ceiling and a reference PO list, served beside the gateway.

Neither route exists in the gateway's URLconf; ``ceiling_settings`` points a second gunicorn here.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import FilterBackend, PurchaseOrderFilter
from api.permissions import SupplierKey
from api.serializers import PurchaseOrderOut
from api.views.base import ETagMixin, UpdatedCursor, actor_of
from procurement import selectors

PATH = "/api/v1/ping/"
REFERENCE_PO_LIST = "/api/v1/reference/purchase-orders/"


class Ping(APIView):
    """Authenticate the API key, check its rate, answer a small JSON: the project's defaults, nothing else."""

    def get(self, request):
        return Response({"ok": True, "supplier": request.auth.supplier.code})


class ReferencePurchaseOrderList(ETagMixin, generics.ListAPIView):
    """The PO list as DRF's documentation would write it: the nested ``PurchaseOrderOut`` ModelSerializer over
    model instances (lines and schedule lines prefetched), with the gateway's selector, permission, filters,
    cursor pagination and ETag. Only the serialization differs from ``api.views.purchase_orders``, whose
    output it equals (api/tests/test_purchase_orders.py holds the two equal).
    """

    permission_classes = [SupplierKey]
    serializer_class = PurchaseOrderOut
    pagination_class = UpdatedCursor
    filter_backends = [FilterBackend]
    filterset_class = PurchaseOrderFilter

    def get_queryset(self):
        return selectors.purchase_orders_for(actor=actor_of(self.request))


urlpatterns = [
    path(PATH.lstrip("/"), login_not_required(Ping.as_view())),
    path(REFERENCE_PO_LIST.lstrip("/"), login_not_required(ReferencePurchaseOrderList.as_view())),
]
