"""What every API view shares: documented error answers, cursor pages, ETags, who the caller is and speaks for."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Protocol, TypeVar

from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiClient, key_label, request_key
from api.idempotency import KEY_MAX_LENGTH, KEY_PATTERN
from gateway.actors import Actor
from procurement import selectors
from procurement.models import Company
from procurement.services import NotFound, WriteSource
from suppliers.models import Supplier

PROBLEM = OpenApiResponse(
    response=inline_serializer(
        "Problem",
        {
            "type": serializers.URLField(),
            "title": serializers.CharField(),
            "status": serializers.IntegerField(),
            "detail": serializers.CharField(),
            "code": serializers.CharField(),
            "errors": serializers.ListField(child=serializers.DictField(), required=False),
        },
    ),
    description="RFC 9457 problem details (application/problem+json).",
)
ERRORS = {(code, "application/problem+json"): PROBLEM for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": KEY_PATTERN.pattern},
    OpenApiParameter.HEADER,
    required=True,
    description="Any unique string per logical request (a UUID): printable ASCII, at most "
    f"{KEY_MAX_LENGTH} characters. Retrying with the same key and body replays the first response; another "
    "body under the same key is refused.",
)


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering: str | tuple[str, ...] = "-id"

    def get_page_size(self, request: Request) -> int:
        """``page_size`` when given must be a whole number from 1 to ``max_page_size``: a client that asked
        for another size is told so, rather than quietly getting the default or the cap."""
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        # str.isdigit() also accepts "²", which int() refuses: only ASCII digits are a size.
        if not re.fullmatch(r"[0-9]{1,4}", given) or not 1 <= int(given) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return int(given)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        # DRF's own examples name an /accounts/ endpoint; show what a page of this API links to.
        paginated["properties"]["next"]["example"] = "https://gateway.example/api/v1/invoices/?cursor=cD0yMDI3"
        paginated["properties"]["previous"]["example"] = None
        return paginated


class UpdatedCursor(Cursor):
    ordering = ("updated_at", "id")


class ETagMixin(APIView):
    """ETag on every successful GET; If-None-Match naming it (or ``*``) answers 304 with no body.

    If-None-Match compares weakly (RFC 9110 §13.1.2): ``W/"tag"`` matches ``"tag"``. The answers
    are one key's view, so they are marked private and revalidated before any reuse.
    """

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and getattr(response, "data", None) is not None:
            # The tag is the rendered body's hash: rendering is needed anyway, and nothing is encoded twice.
            digest = hashlib.sha256(response.render().content).hexdigest()
            etag = f'"{digest[:32]}"'
            wanted = [tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))]
            if etag in wanted or wanted == ["*"]:
                response = super().finalize_response(
                    request, Response(status=status.HTTP_304_NOT_MODIFIED), *args, **kwargs
                )
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
        return response


def key_company(request: Request) -> Company:
    """The company a system key acts for (SystemKey lets no key without one in)."""
    company = request_key(request).company
    assert company is not None, "SystemKey admits only keys of a company"
    return company


def company_named(request: Request, code: str) -> Company:
    """The company named in a body, if the calling key acts for it; otherwise refused as unknown.

    Another company's code is answered exactly like a code that does not exist.
    """
    company = selectors.company_get_for(actor=actor_of(request), code=code)
    if company is None:
        raise NotFound(f"company {code!r} is not known", code="unknown_company")
    return company


def actor_of(request: Request) -> Actor:
    """Who is calling: the actor of the request's API key, built once when the key was checked.

    A request without a key (the views' permission classes let none through) is nobody.
    """
    user = request.user
    if not isinstance(user, ApiClient):
        return Actor.nobody()
    return user.actor


class NamesACompany(Protocol):
    @property
    def company(self) -> str: ...


D = TypeVar("D", bound=NamesACompany)


def own_company(request: Request, document: D) -> D:
    """``document`` if it names a company the calling system acts for; otherwise refused as an unknown company.

    Another company's code is answered exactly like a code that does not exist, so a key cannot learn
    which companies share the gateway.
    """
    if selectors.company_get_for(actor=actor_of(request), code=document.company) is None:
        raise NotFound(f"company {document.company!r} is not known", code="unknown_company")
    return document


def supplier_of(request: Request) -> Supplier:
    """The supplier a supplier key acts for (the views that ask let only supplier keys in)."""
    supplier = request_key(request).supplier
    if supplier is None:
        raise exceptions.PermissionDenied("This endpoint is for supplier API keys.")
    return supplier


def source_of(request: Request) -> WriteSource:
    """Where a write through the API comes from: the key (by its label) and the request's correlation id."""
    # gateway.middleware sets correlation_id on every request; no stub can know of it.
    correlation_id: str = request.correlation_id  # type: ignore[attr-defined]
    return WriteSource(channel="api", label=key_label(request_key(request)), correlation_id=correlation_id)
