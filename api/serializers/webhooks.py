"""Webhook subscriptions, their deliveries, and the bulk redelivery after an outage."""

from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from api.models import ApiKey, WebhookSubscription
from notifications.models import OutboundMessage
from notifications.transports import address_is_public, url_port

from .fields import instant_out


class WebhookIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.EVENTS),
        min_length=1,
        max_length=len(WebhookSubscription.EVENTS),
    )

    def validate_url(self, url: str) -> str:
        """A supplier's URL must lead to the internet; the worker checks the address again at each delivery."""
        if self.context["kind"] != ApiKey.Kind.SUPPLIER or settings.GATEWAY_WEBHOOK_ALLOW_PRIVATE:
            return url
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        try:
            private = not address_is_public(host)
        except ValueError:  # a name, not an address: only the worker's lookup can tell where it leads
            private = host == "localhost" or host.endswith(".localhost")
        if private:
            raise ValidationError("must be a public internet address, not a loopback, private or reserved one")
        try:
            port = url_port(parts)
        except ValueError as error:  # a port past 65535
            raise ValidationError(str(error)) from error
        if port not in settings.GATEWAY_WEBHOOK_PORTS:
            ports = ", ".join(map(str, settings.GATEWAY_WEBHOOK_PORTS))
            raise ValidationError(f"port {port} is not open to webhooks; use one of {ports}")
        return url


class WebhookOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]


class WebhookCreatedOut(WebhookOut):
    signing_secret = serializers.CharField(
        allow_null=True,
        help_text="Shown once: keep it to verify Gateway-Signature. Null when the response is replayed "
        "under the same Idempotency-Key: the secret is never kept.",
    )

    class Meta(WebhookOut.Meta):
        fields = [*WebhookOut.Meta.fields, "signing_secret"]


class DeliveryOut(serializers.ModelSerializer):
    attempts_log = serializers.SerializerMethodField()

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "event",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "delivered_at",
            "idempotency_key",
            "attempts_log",
        ]

    def get_attempts_log(self, message) -> list[dict]:
        return [
            {
                "number": a.number,
                "at": instant_out(a.attempted_at),
                "succeeded": a.succeeded,
                "detail": a.detail,
            }
            for a in message.attempt_log.all()
        ]


class RedeliverIn(serializers.Serializer):
    event = serializers.ChoiceField(choices=WebhookSubscription.EVENTS, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class RedeliveredOut(serializers.Serializer):
    redelivered = serializers.ListField(child=serializers.IntegerField(), help_text="The deliveries queued again.")
    remaining = serializers.IntegerField(help_text="Dead-lettered deliveries that match, left for another call.")
