"""A supplier's own API keys and webhook subscriptions, managed by its admins in the portal.

Keys are issued by ``ApiKey.issue`` (the secret is shown once and only its hash is kept), exactly as
the buyer's admin issues them; webhook subscriptions go through ``api.services`` and their URLs
through the API's own validation (``WebhookIn``: a public internet address on an allowed port).
Every change is audited with the person who made it. Everything here takes the acting supplier:
another supplier's key or subscription is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from api import services as api_services
from api.models import ApiKey, WebhookSubscription
from api.serializers.webhooks import WebhookIn
from procurement.models import AuditEvent, Invoice, Shipment
from procurement.services.audit import audit_event, audit_write
from procurement.services.sources import WriteSource
from suppliers.models import Supplier, SupplierInvitation, SupplierMembership


class NotFound(Exception):
    """No such key or subscription for this supplier."""


class Invalid(Exception):
    """The input cannot be accepted; ``errors`` maps field → messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def keys_for(supplier: Supplier) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(kind=ApiKey.Kind.SUPPLIER, supplier=supplier).order_by("-created_at", "-pk")


def subscriptions_for(supplier: Supplier) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(api_key_kind=ApiKey.Kind.SUPPLIER, supplier=supplier).order_by("pk")


def _key_state(key: ApiKey) -> dict[str, Any]:
    return {"name": key.name, "prefix": key.prefix, "scope": key.scope, "revoked_at": key.revoked_at}


@transaction.atomic
def api_key_issue(*, supplier: Supplier, name: str, scope: str, source: WriteSource) -> tuple[ApiKey, str]:
    """A new key for ``supplier`` and its secret (to show once). Audited (never the secret)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid({"name": ["Give the key a name of at most 100 characters (e.g. the system that uses it)."]})
    if not name.isprintable():  # a NUL cannot even be stored
        raise Invalid({"name": ["A key's name cannot hold control characters."]})
    if scope not in ApiKey.Scope.values:
        raise Invalid({"scope": ["Choose read, or read and write."]})
    key, secret = ApiKey.issue(
        kind=ApiKey.Kind.SUPPLIER, supplier=supplier, name=name, scope=scope, created_by=source.user
    )
    audit_write([audit_event(source=source, action="api_key.issued", obj=key, after=_key_state(key))])
    return key, secret


@transaction.atomic
def api_key_revoke(*, supplier: Supplier, key_id: int, source: WriteSource) -> ApiKey:
    """Revoke one of ``supplier``'s keys now; a key already revoked is left as it is (no event)."""
    key = keys_for(supplier).select_for_update().filter(pk=key_id).first()
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        before = _key_state(key)
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_write(
            [audit_event(source=source, action="api_key.revoked", obj=key, before=before, after=_key_state(key))]
        )
    return key


def _owner(supplier: Supplier) -> ApiKey:
    """Who a subscription belongs to, in the shape ``api.services`` takes (the owner fields of a
    supplier key; never saved)."""
    return ApiKey(kind=ApiKey.Kind.SUPPLIER, supplier=supplier, system_name="", company=None)


def webhook_create(*, supplier: Supplier, url: str, events: list[str], source: WriteSource) -> WebhookSubscription:
    """Subscribe ``supplier`` to ``events`` at ``url`` after the API's own checks of both."""
    checked = WebhookIn(data={"url": url, "events": events}, context={"kind": ApiKey.Kind.SUPPLIER})
    if not checked.is_valid():
        raise Invalid({field: _messages(errors) for field, errors in checked.errors.items()})
    data = checked.validated_data
    return api_services.webhook_subscription_create(
        key=_owner(supplier), url=data["url"], events=data["events"], source=source
    )


def _messages(errors: Any) -> list[str]:
    """A field's error messages; a list field's come per item (``{0: [...]}``)."""
    if isinstance(errors, dict):
        return [message for item in errors.values() for message in _messages(item)]
    return [str(e) for e in errors]


def _subscription(supplier: Supplier, subscription_id: int) -> WebhookSubscription:
    found = subscriptions_for(supplier).filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return found


def webhook_secret_rotate(*, supplier: Supplier, subscription_id: int, source: WriteSource) -> WebhookSubscription:
    return api_services.webhook_subscription_secret_rotate(
        subscription=_subscription(supplier, subscription_id), source=source
    )


def webhook_enable(*, supplier: Supplier, subscription_id: int, source: WriteSource) -> WebhookSubscription:
    return api_services.webhook_subscription_enable(
        subscription=_subscription(supplier, subscription_id), source=source
    )


def webhook_delete(*, supplier: Supplier, subscription_id: int, source: WriteSource) -> None:
    api_services.webhook_subscription_delete(subscription=_subscription(supplier, subscription_id), source=source)


@dataclass(frozen=True)
class Activity:
    at: Any
    who: str
    channel: str
    action: str
    what: str


def _ids_as_text(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(text_id=Cast("pk", CharField())).values("text_id")


def people_activity(supplier: Supplier) -> QuerySet[AuditEvent]:
    """What this supplier's people (and its API keys) did to this supplier's records, newest first.

    Only events about this supplier: its POs, shipments and invoices, its people and invitations,
    its keys and webhook subscriptions. A person who also acts for another supplier does not bring
    that supplier's events here.
    """
    people = SupplierMembership.objects.filter(supplier=supplier).values("user_id")
    about_us = (
        Q(po__supplier=supplier)
        | Q(object_type="Shipment", object_id__in=_ids_as_text(Shipment.objects.filter(supplier=supplier)))
        | Q(object_type="Invoice", object_id__in=_ids_as_text(Invoice.objects.filter(supplier=supplier)))
        | Q(
            object_type="SupplierMembership",
            object_id__in=_ids_as_text(SupplierMembership.objects.filter(supplier=supplier)),
        )
        | Q(
            object_type="SupplierInvitation",
            object_id__in=_ids_as_text(SupplierInvitation.objects.filter(supplier=supplier)),
        )
        | Q(object_type="ApiKey", object_id__in=_ids_as_text(keys_for(supplier)))
        | Q(object_type="WebhookSubscription", object_id__in=_ids_as_text(subscriptions_for(supplier)))
    )
    by_us = Q(actor_id__in=people) | Q(actor_label__startswith=f"supplier {supplier.code} key ")
    return AuditEvent.objects.filter(by_us & about_us).order_by("-occurred_at", "-pk")
