"""Webhook subscriptions: subscribe, read, rotate the secret, enable, delete; deliveries and redelivery."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.authentication import key_label
from api.idempotency import idempotent
from api.models import ApiKey, WebhookSubscription
from api.permissions import AnyKey
from api.serializers import DeliveryOut, RedeliveredOut, RedeliverIn, WebhookCreatedOut, WebhookIn, WebhookOut
from procurement.models import OutboundMessage
from procurement.services import Source, outbox_message_retry

from .base import ERRORS, IDEMPOTENCY_PARAMETER, Cursor, ETagMixin


def webhooks_for(request):
    key: ApiKey = request.auth
    if key.kind == ApiKey.Kind.SUPPLIER:
        return WebhookSubscription.objects.filter(api_key_kind="supplier", supplier=key.supplier)
    return WebhookSubscription.objects.filter(api_key_kind="system", system_name=key.system_name)


@extend_schema(tags=["webhooks"])
@extend_schema_view(get=extend_schema(examples=[ex.WEBHOOK_SUBSCRIPTION]))
class Webhooks(ETagMixin, generics.ListAPIView):
    """Your webhook subscriptions. Deliveries are signed: see the README for verifying Gateway-Signature."""

    permission_classes = [AnyKey]
    serializer_class = WebhookOut
    pagination_class = None

    def get_queryset(self):
        return webhooks_for(self.request).order_by("id")

    @extend_schema(
        request=WebhookIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: WebhookCreatedOut, **ERRORS},
        examples=[ex.WEBHOOK, ex.WEBHOOK_CREATED],
    )
    def post(self, request):
        return idempotent(self._create, request, secret_fields=("signing_secret",))

    def _create(self, request) -> Response:
        given = WebhookIn(data=request.data, context={"kind": request.auth.kind})
        given.is_valid(raise_exception=True)
        key: ApiKey = request.auth
        subscription = WebhookSubscription.objects.create(
            api_key_kind=key.kind,
            supplier=key.supplier,
            system_name=key.system_name,
            url=given.validated_data["url"],
            events=sorted(set(given.validated_data["events"])),
        )
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
        return webhooks_for(self.request)


class _WebhookAction(APIView):
    permission_classes = [AnyKey]

    def subscription(self, request, pk) -> WebhookSubscription:
        return get_object_or_404(webhooks_for(request), pk=pk)


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
            subscription = self.subscription(request, pk)
            subscription.salt = ""
            subscription.save()
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
            subscription = self.subscription(request, pk)
            subscription.active, subscription.consecutive_failures = True, 0
            subscription.disabled_at, subscription.disabled_reason = None, ""
            subscription.save()
            return Response(WebhookOut(subscription).data)

        return idempotent(enable, request)


@extend_schema(tags=["webhooks"], responses={200: DeliveryOut(many=True), **ERRORS}, examples=[ex.DELIVERY])
class WebhookDeliveries(ETagMixin, generics.ListAPIView):
    """Deliveries to one subscription, newest first, each with its log of attempts."""

    permission_classes = [AnyKey]
    serializer_class = DeliveryOut
    pagination_class = Cursor

    def get_queryset(self):
        subscription = get_object_or_404(webhooks_for(self.request), pk=self.kwargs["pk"])
        return OutboundMessage.objects.filter(subscription_ref=subscription.pk).prefetch_related("attempt_log")


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
            subscription = self.subscription(request, pk)
            message = get_object_or_404(OutboundMessage, pk=delivery_id, subscription_ref=subscription.pk)
            source = Source(channel="api", label=key_label(request.auth), correlation_id=request.correlation_id)
            message = outbox_message_retry(message_id=message.pk, source=source, redeliver=True)
            return Response(DeliveryOut(message).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)


REDELIVER_BATCH = 500


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
            wanted = given.validated_data
            matching = OutboundMessage.objects.filter(
                subscription_ref=subscription.pk, state=OutboundMessage.State.DEAD
            )
            if "event" in wanted:
                matching = matching.filter(event=wanted["event"])
            if "created_after" in wanted:
                matching = matching.filter(created_at__gte=wanted["created_after"])
            if "created_before" in wanted:
                matching = matching.filter(created_at__lt=wanted["created_before"])
            source = Source(channel="api", label=key_label(request.auth), correlation_id=request.correlation_id)
            with transaction.atomic():
                # Locked and still dead: one another call or the worker is busy with is left to it.
                batch = matching.select_for_update(skip_locked=True).order_by("created_at", "id")[:REDELIVER_BATCH]
                ids = list(batch.values_list("id", flat=True))
                for message_id in ids:
                    outbox_message_retry(message_id=message_id, source=source)
            body = {"redelivered": ids, "remaining": matching.count()}
            return Response(body, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)
