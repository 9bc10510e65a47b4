"""Query filters of the list endpoints, as FilterSets; ``api.schema`` documents them from the same classes.

The answers are the API's own, not django-filter's: a value outside a filter's choices is a 400
saying ``must be one of …`` (code ``invalid``), an instant is read as every DateTimeField of the
API reads it (DRF's formats and messages), and only the first invalid parameter, in the order the
FilterSet declares them, is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django_filters import CharFilter, Filter, FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from materials.models import BomRelease
from procurement import selectors
from procurement.models import ProcurementException


class ChoiceValueField(forms.Field):
    """One of ``choices``, compared as sent. An empty value is refused unless ``allow_empty``."""

    def __init__(self, *, choices: Sequence[str], allow_empty: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices, self.allow_empty = tuple(choices), allow_empty

    def validate(self, value: str | None) -> None:
        if value is None or (value == "" and self.allow_empty):
            return
        if value not in self.choices:
            raise DjangoValidationError(f"must be one of {', '.join(self.choices)}", code="invalid")


class ChoiceValueFilter(Filter):
    field_class = ChoiceValueField

    def __init__(self, *, choices: Sequence[str], allow_empty: bool = False, **kwargs: Any) -> None:
        self.choices = tuple(choices)
        super().__init__(choices=self.choices, allow_empty=allow_empty, **kwargs)


class InstantField(forms.Field):
    """An ISO 8601 instant, read (and refused) exactly as the API's serializers read one."""

    def to_python(self, value: str | None) -> Any:
        if value is None or value in self.empty_values:
            return None
        try:
            return serializers.DateTimeField().to_internal_value(value)
        except ValidationError as error:
            # A field's own failure (Field.fail) carries a list of ErrorDetail, never a dict.
            details = cast(list[ErrorDetail], error.detail)
            raise DjangoValidationError([DjangoValidationError(str(d), code=d.code) for d in details]) from error


class InstantFilter(Filter):
    field_class = InstantField


def _line_status(dimension: str) -> ChoiceValueFilter:
    return ChoiceValueFilter(
        choices=list(selectors.LINE_STATUS_CONDITIONS[dimension]),
        method="with_line_status",
        help_text=f"POs with a line whose {dimension} status is this",
    )


class PurchaseOrderFilter(FilterSet):
    """A supplier's PO list. An empty status value is refused: no line has an empty status."""

    ack = _line_status("ack")
    change = _line_status("change")
    ship = _line_status("ship")
    receipt = _line_status("receipt")
    invoice = _line_status("invoice")
    match = _line_status("match")
    # Compared as sent, spaces included: a PO number or plant code is an identifier, not text to tidy.
    plant = CharFilter(field_name="ship_to__code", strip=False, help_text="Ship-to plant code")
    number = CharFilter(strip=False, help_text="PO number")
    updated_since = InstantFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Changed at or after this instant"
    )

    def with_line_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.purchase_orders_with_line_status(queryset, name, value)


class SystemPurchaseOrderFilter(PurchaseOrderFilter):
    """The company's PO list for its systems: the supplier's filters, and which supplier."""

    supplier = CharFilter(field_name="supplier__code", strip=False, help_text="Supplier code")


class SupplierExceptionFilter(FilterSet):
    """A supplier's exceptions. An empty state is no filter at all (unlike the PO list's statuses; both as before)."""

    state = ChoiceValueFilter(choices=ProcurementException.State.values, allow_empty=True)


class ExceptionQueueFilter(SupplierExceptionFilter):
    """The buyer's exception queue, for the buyer's systems: by state and by what is at risk."""

    severity = ChoiceValueFilter(choices=ProcurementException.Severity.values, allow_empty=True)


class BomReleaseFilter(FilterSet):
    """The release history: one parent item's releases, releases in one state (``held``: what waits)."""

    # Compared as sent: a part number is an identifier.
    part_number = CharFilter(field_name="parent_part_number", strip=False, help_text="The parent item's part number")
    state = ChoiceValueFilter(
        choices=[s for s in BomRelease.State.values if s != BomRelease.State.RECEIVED], allow_empty=True
    )
    bom_type = ChoiceValueFilter(choices=BomRelease.BomType.values, allow_empty=True)


class FilterBackend(DjangoFilterBackend):
    """The view's ``filterset_class`` applied to its queryset; an invalid parameter is a 400 problem."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not _names_any(request.query_params, filterset_class.base_filters):
            # Nothing to filter by (the common first page): a FilterSet would build a form only to filter nothing.
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            # One parameter at a time, the first in declaration order, as the API has always answered.
            name, errors = next(iter(filterset.form.errors.as_data().items()))
            raise ValidationError({name: [ErrorDetail(message, code=e.code) for e in errors for message in e.messages]})
        return filterset.qs


def _names_any(parameters, filters) -> bool:
    """Whether a query parameter names one of ``filters`` (or a part of one: ``<name>_min`` and the like)."""
    return any(parameter.startswith(name) for parameter in parameters for name in filters)
