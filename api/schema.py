"""Teach the OpenAPI generator how API keys authenticate and which query parameters a list's FilterSet reads."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiFilterExtension
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.filters import InstantFilter


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gw_<prefix>_<secret>",
            "description": "An API key issued by the buyer: a supplier key or a system key.",
        }


class FilterSetParameters(OpenApiFilterExtension):
    """Each filter of the view's FilterSet as a query parameter: its type, its choices, its help text.

    Written here rather than left to drf-spectacular's django-filter support, which needs a model
    to guess types from and lists choices twice (as an enum and again in the description).
    """

    target_class = "api.filters.FilterBackend"

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        return [
            build_parameter_type(
                name=name,
                schema=_basic_type(OpenApiTypes.DATETIME if isinstance(f, InstantFilter) else OpenApiTypes.STR),
                location=OpenApiParameter.QUERY,
                description=f.extra.get("help_text"),
                enum=getattr(f, "choices", None),
            )
            for name, f in auto_schema.view.filterset_class.base_filters.items()
        ]


def _basic_type(kind: OpenApiTypes) -> dict[str, Any]:
    schema = build_basic_type(kind)
    assert schema is not None, f"{kind} has a schema of its own"  # only OpenApiTypes.NONE has none
    return schema
