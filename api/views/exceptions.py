"""Exceptions: what a supplier may see of its own, and the buyer's queue for the buyer's systems."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import serializers as s
from api.filters import ExceptionQueueFilter, FilterBackend, SupplierExceptionFilter
from api.idempotency import idempotent
from api.permissions import SupplierKey, SystemKey
from gateway.actors import Actor
from procurement import queue, selectors, services
from procurement.models import CompanyMembership, ProcurementException
from procurement.services import InvalidAction, WriteSource

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, ETagMixin, actor_of, source_of


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


class _SystemExceptionAction(APIView):
    """One decision on one exception of the calling system's company, through its service (audited there).

    An exception of another company is answered as one that does not exist.
    """

    permission_classes = [SystemKey]
    input_class: type[serializers.Serializer]

    def post(self, request: Request, pk: int) -> Response:
        def handle(request: Request) -> Response:
            actor = actor_of(request)
            if queue.exception_get_for(actor=actor, exception_id=pk) is None:
                raise Http404  # not kept by the idempotency store, unlike a refusal
            data = self.input_class(data=request.data)
            data.is_valid(raise_exception=True)
            return self.act(pk, data.validated_data, source_of(request), actor)

        # A retry with the same key replays the answer instead of deciding twice.
        return idempotent(handle, request)

    def act(self, pk: int, data: dict, source: WriteSource, actor: Actor) -> Response:
        raise NotImplementedError

    @staticmethod
    def answer(actor: Actor, exc: ProcurementException) -> Response:
        """The exception as the queue lists it, read back through the caller's selector."""
        return Response(s.ExceptionOut(selectors.exceptions_for(actor=actor).get(pk=exc.pk)).data)


@extend_schema(
    tags=["system"],
    request=s.ExceptionAssignIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.ExceptionOut, **ERRORS},
    examples=[ex.EXCEPTION_ASSIGN, ex.EXCEPTION_ASSIGNED],
)
class SystemExceptionAssign(_SystemExceptionAction):
    """Give an open exception to a buyer of its company (by username); it is then in progress."""

    input_class = s.ExceptionAssignIn

    def act(self, pk, data, source, actor):
        exc = queue.exception_get_for(actor=actor, exception_id=pk)
        assert exc is not None
        owner = (
            get_user_model()
            .objects.filter(
                username=data["owner"],
                is_active=True,
                pk__in=CompanyMembership.objects.filter(company_id=exc.company_id).values("user_id"),
            )
            .first()
        )
        if owner is None:
            raise InvalidAction(f"{data['owner']!r} is not a buyer of the exception's company", code="unknown_owner")
        return self.answer(actor, services.exception_assign(exception_id=pk, owner=owner, source=source))


@extend_schema(
    tags=["system"],
    request=s.ExceptionAcceptIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.ExceptionOut, **ERRORS},
    examples=[ex.EXCEPTION_ACCEPT, ex.EXCEPTION_ACCEPTED],
)
class SystemExceptionAccept(_SystemExceptionAction):
    """Accept: a supplier's proposal becomes a new PO revision sent to the supplier; an invoice variance
    is accepted and the invoice released once nothing else holds it; any other deviation stands."""

    input_class = s.ExceptionAcceptIn

    def act(self, pk, data, source, actor):
        return self.answer(actor, services.exception_accept(exception_id=pk, source=source, note=data["note"]))


@extend_schema(
    tags=["system"],
    request=s.ExceptionReasonIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.ExceptionOut, **ERRORS},
    examples=[ex.EXCEPTION_REJECT, ex.EXCEPTION_REJECTED],
)
class SystemExceptionReject(_SystemExceptionAction):
    """Reject with a reason the supplier is told; a proposal is declined and the buyer's terms stand."""

    input_class = s.ExceptionReasonIn

    def act(self, pk, data, source, actor):
        return self.answer(actor, services.exception_reject(exception_id=pk, source=source, reason=data["reason"]))


@extend_schema(
    tags=["system"],
    request=s.ExceptionReasonIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: s.ExceptionOut, **ERRORS},
    examples=[ex.EXCEPTION_DISMISS, ex.EXCEPTION_DISMISSED],
)
class SystemExceptionDismiss(_SystemExceptionAction):
    """Close without acting, with an internal reason (never shown to the supplier)."""

    input_class = s.ExceptionReasonIn

    def act(self, pk, data, source, actor):
        return self.answer(actor, services.exception_dismiss(exception_id=pk, source=source, reason=data["reason"]))


@extend_schema(
    tags=["system"],
    request=s.ExceptionCommentIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.ExceptionNoteOut, **ERRORS},
    examples=[ex.EXCEPTION_COMMENT, ex.EXCEPTION_COMMENTED],
)
class SystemExceptionComment(_SystemExceptionAction):
    """Add an internal note for the buyers; no supplier ever sees it."""

    input_class = s.ExceptionCommentIn

    def act(self, pk, data, source, actor):
        note = services.exception_comment(exception_id=pk, body=data["body"], source=source)
        return Response(s.ExceptionNoteOut(note).data, status=201)
