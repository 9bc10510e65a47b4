"""Webhook subscriptions: subscribe, read, rotate the secret, enable, delete; deliveries and redelivery.

Reads go through ``webhooks_for`` (a key sees its owner's subscriptions only; another's is a 404),
writes through the audited services of ``api.services``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.authentication import request_key
from api.idempotency import idempotent
from api.models import ApiKey, WebhookSubscription
from api.permissions import AnyKey
from api.serializers import DeliveryOut, RedeliveredOut, RedeliverIn, WebhookCreatedOut, WebhookIn, WebhookOut
from api.services import (
    webhook_deliveries_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_enable,
    webhook_subscription_secret_rotate,
)
from notifications.models import OutboundMessage
from procurement.services import outbox_message_retry

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, ETagMixin, source_of


def webhooks_for(key: ApiKey) -> QuerySet[WebhookSubscription]:
    """The subscriptions of ``key``'s owner: its supplier's, or its system's within its company."""
    if key.kind == ApiKey.Kind.SUPPLIER:
        return WebhookSubscription.objects.filter(api_key_kind="supplier", supplier=key.supplier)
    if key.company_id is None:
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.filter(api_key_kind="system", system_name=key.system_name, company=key.company)


def deliveries_of(subscription: WebhookSubscription) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(subscription_ref=subscription.pk)


@extend_schema(tags=["webhooks"])
@extend_schema_view(get=extend_schema(examples=[ex.WEBHOOK_SUBSCRIPTION]))
class Webhooks(ETagMixin, generics.ListAPIView):
    """Your webhook subscriptions. Deliveries are signed: see the README for verifying Gateway-Signature."""

    permission_classes = [AnyKey]
    serializer_class = WebhookOut
    pagination_class = None

    def get_queryset(self):
        return webhooks_for(request_key(self.request)).order_by("id")

    @extend_schema(
        request=WebhookIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: WebhookCreatedOut, **ERRORS},
        examples=[ex.WEBHOOK, ex.WEBHOOK_CREATED],
    )
    def post(self, request):
        return idempotent(self._create, request, secret_fields=("signing_secret",))

    def _create(self, request: Request) -> Response:
        key = request_key(request)
        given = WebhookIn(data=request.data, context={"kind": key.kind})
        given.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(key=key, **given.validated_data, source=source_of(request))
        body = WebhookOut(subscription).data | {"signing_secret": subscription.signing_secret}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(tags=["webhooks"], responses={200: WebhookOut, **ERRORS}, examples=[ex.WEBHOOK_SUBSCRIPTION]),
    delete=extend_schema(tags=["webhooks"], responses={204: None, **ERRORS}),
)
class WebhookDetail(ETagMixin, generics.RetrieveDestroyAPIView):
    """One subscription; DELETE removes it (deliveries still queued for it are not sent)."""

    permission_classes = [AnyKey]
    serializer_class = WebhookOut

    def get_queryset(self):
        return webhooks_for(request_key(self.request))

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhook_subscription_delete(subscription=instance, source=source_of(self.request))


class _WebhookAction(APIView):
    permission_classes = [AnyKey]

    def subscription(self, request: Request, pk: int) -> WebhookSubscription:
        return get_object_or_404(webhooks_for(request_key(request)), pk=pk)


@extend_schema(
    tags=["webhooks"],
    request=None,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: WebhookCreatedOut, **ERRORS},
    examples=[ex.WEBHOOK_SECRET_ROTATED],
)
class WebhookRotateSecret(_WebhookAction):
    """A new signing secret, shown once; the old one stops working at once."""

    def post(self, request, pk):
        def rotate(request):
            subscription = webhook_subscription_secret_rotate(
                subscription=self.subscription(request, pk), source=source_of(request)
            )
            return Response(WebhookOut(subscription).data | {"signing_secret": subscription.signing_secret})

        return idempotent(rotate, request, secret_fields=("signing_secret",))


@extend_schema(
    tags=["webhooks"],
    request=None,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={200: WebhookOut, **ERRORS},
    examples=[ex.WEBHOOK_ENABLED],
)
class WebhookEnable(_WebhookAction):
    """Turn a subscription that was disabled after failures back on."""

    def post(self, request, pk):
        def enable(request):
            subscription = webhook_subscription_enable(
                subscription=self.subscription(request, pk), source=source_of(request)
            )
            return Response(WebhookOut(subscription).data)

        return idempotent(enable, request)


@extend_schema(tags=["webhooks"], responses={200: DeliveryOut(many=True), **ERRORS}, examples=[ex.DELIVERY])
class WebhookDeliveries(ETagMixin, generics.ListAPIView):
    """Deliveries to one subscription, newest first, each with its log of attempts."""

    permission_classes = [AnyKey]
    serializer_class = DeliveryOut
    pagination_class = Cursor

    def get_queryset(self):
        subscription = get_object_or_404(webhooks_for(request_key(self.request)), pk=self.kwargs["pk"])
        return deliveries_of(subscription).prefetch_related("attempt_log")


@extend_schema(
    tags=["webhooks"],
    request=None,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={202: DeliveryOut, **ERRORS},
    examples=[ex.DELIVERY],
)
class WebhookRedeliver(_WebhookAction):
    """Send a delivery again (delivered or dead); it keeps its Idempotency-Key."""

    def post(self, request, pk, delivery_id):
        def redeliver(request):
            message = get_object_or_404(deliveries_of(self.subscription(request, pk)), pk=delivery_id)
            message = outbox_message_retry(message_id=message.pk, source=source_of(request), redeliver=True)
            return Response(DeliveryOut(message).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)


@extend_schema(
    tags=["webhooks"],
    request=RedeliverIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={202: RedeliveredOut, **ERRORS},
    examples=[ex.REDELIVER, ex.REDELIVERED],
)
class WebhookRedeliverMatching(_WebhookAction):
    """Send again every dead-lettered delivery that matches: after an outage, replay them in one call.

    Oldest first, 500 per call; ``remaining`` says how many more are dead-lettered and match.
    Each keeps its Idempotency-Key, so a receiver that already applied one applies it once. (A
    delivered message is sent again one at a time, with the redeliver of that delivery.)
    """

    @extend_schema(operation_id="v1_webhooks_deliveries_redeliver_matching")
    def post(self, request, pk):
        def redeliver(request):
            subscription = self.subscription(request, pk)
            given = RedeliverIn(data=request.data)
            given.is_valid(raise_exception=True)
            done = webhook_deliveries_redeliver(
                subscription=subscription, **given.validated_data, source=source_of(request)
            )
            body = {"redelivered": done.ids, "remaining": done.remaining}
            return Response(body, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)
