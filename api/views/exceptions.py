"""Exceptions: what a supplier may see of its own, and the buyer's queue for the buyer's systems."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from api import examples as ex
from api import serializers as s
from api.permissions import SupplierKey, SystemKey
from procurement import selectors
from procurement.models import ProcurementException

from .base import ERRORS, Cursor, ETagMixin, supplier_of

EXCEPTION_FILTERS = {
    "state": ProcurementException.State.values,
    "severity": ProcurementException.Severity.values,
}


def exceptions_filtered(request, exceptions, names: tuple[str, ...]):
    """``exceptions`` narrowed by the query's ``names`` filters; a value outside its choices is a 400."""
    for name in names:
        value = request.query_params.get(name)
        if not value:
            continue
        if value not in EXCEPTION_FILTERS[name]:
            raise ValidationError({name: [f"must be one of {', '.join(EXCEPTION_FILTERS[name])}"]})
        exceptions = exceptions.filter(**{name: value})
    return exceptions


def exception_filter_parameters(*names: str) -> list[OpenApiParameter]:
    return [OpenApiParameter(name, OpenApiTypes.STR, enum=EXCEPTION_FILTERS[name]) for name in names]


@extend_schema(
    tags=["exceptions"],
    parameters=exception_filter_parameters("state"),
    responses={200: s.ExceptionForSupplierOut(many=True), **ERRORS},
    examples=[ex.SUPPLIER_EXCEPTION],
)
class SupplierExceptionList(ETagMixin, generics.ListAPIView):
    """Exceptions raised on your documents and POs, as you may see them; ``state=open`` for those still open."""

    permission_classes = [SupplierKey]
    serializer_class = s.ExceptionForSupplierOut
    pagination_class = Cursor

    def get_queryset(self):
        exceptions = selectors.exceptions_for(supplier=supplier_of(self.request))
        return exceptions_filtered(self.request, exceptions, ("state",))


@extend_schema(
    tags=["system"],
    parameters=exception_filter_parameters("state", "severity"),
    responses={200: s.ExceptionOut(many=True), **ERRORS},
    examples=[ex.SYSTEM_EXCEPTION],
)
class SystemExceptionList(ETagMixin, generics.ListAPIView):
    """The exception queue, most at risk first."""

    permission_classes = [SystemKey]
    serializer_class = s.ExceptionOut
    pagination_class = Cursor

    def get_queryset(self):
        return exceptions_filtered(self.request, selectors.exceptions_for(supplier=None), ("state", "severity"))
