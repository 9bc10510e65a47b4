"""Exceptions: what a supplier may see of its own, and the buyer's queue for the buyer's systems."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api import examples as ex
from api import serializers as s
from api.filters import ExceptionQueueFilter, FilterBackend, SupplierExceptionFilter
from api.permissions import SupplierKey, SystemKey
from procurement import selectors

from .base import ERRORS, Cursor, ETagMixin, actor_of


@extend_schema(
    tags=["exceptions"],
    responses={200: s.ExceptionForSupplierOut(many=True), **ERRORS},
    examples=[ex.SUPPLIER_EXCEPTION],
)
class SupplierExceptionList(ETagMixin, generics.ListAPIView):
    """Exceptions raised on your documents and POs, as you may see them; ``state=open`` for those still open."""

    permission_classes = [SupplierKey]
    serializer_class = s.ExceptionForSupplierOut
    pagination_class = Cursor
    filter_backends = [FilterBackend]
    filterset_class = SupplierExceptionFilter

    def get_queryset(self):
        return selectors.exceptions_for(actor=actor_of(self.request))


@extend_schema(
    tags=["system"],
    responses={200: s.ExceptionOut(many=True), **ERRORS},
    examples=[ex.SYSTEM_EXCEPTION],
)
class SystemExceptionList(ETagMixin, generics.ListAPIView):
    """The exception queue, most at risk first."""

    permission_classes = [SystemKey]
    serializer_class = s.ExceptionOut
    pagination_class = Cursor
    filter_backends = [FilterBackend]
    filterset_class = ExceptionQueueFilter

    def get_queryset(self):
        return selectors.exceptions_for(actor=actor_of(self.request))
