"""API keys, idempotency records and webhook subscriptions: the REST channel's own state."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from gateway.actors import Actor

KEY_PREFIX = "gw"


def _digest(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> "ApiKeyQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A machine credential: a supplier's integration or one of the buyer's systems (ERP, WMS, …).

    Only a hash of the secret is kept; the full key is shown once, when it is made. The visible
    prefix identifies a key in logs and screens without revealing it.
    """

    class Kind(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        SYSTEM = "system", "System (ERP, WMS, MES, PLM)"

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    system_name = models.CharField(max_length=40, blank=True, help_text="For system keys: ERP, WMS, MES, …")
    company = models.ForeignKey(
        "procurement.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text="For system keys: the company whose system this is. A system key reads and writes its data only.",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Set when the key is rotated out.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="supplier", supplier__isnull=False, company__isnull=True)
                    | models.Q(kind="system", supplier__isnull=True)
                ),
                name="api_key_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        owner = self.supplier.code if self.supplier is not None else self.system_name
        return f"{self.prefix}… {owner} ({self.name})"

    @property
    def owner_label(self) -> str:
        if self.kind != self.Kind.SUPPLIER:
            return f"system {self.system_name}"
        assert self.supplier is not None, "api_key_owner_matches_kind: a supplier key has its supplier"
        return f"supplier {self.supplier.code}"

    @property
    def label(self) -> str:
        """How the key is named in audit trails and logs: its owner and visible prefix, never the secret."""
        return f"{self.owner_label} key {self.prefix}"

    @property
    def actor(self) -> Actor:
        """Whose data this key reads: its supplier's, or its company's for a system key (none without one)."""
        if self.kind == self.Kind.SUPPLIER:
            if self.supplier_id is None:  # ruled out by api_key_owner_matches_kind; should it happen, it sees nothing
                return Actor.nobody(self.label)
            return Actor.for_supplier(supplier_id=self.supplier_id, label=self.label)
        return Actor.for_system(company_ids={self.company_id} if self.company_id else set(), label=self.label)

    @classmethod
    def issue(cls, **fields) -> tuple["ApiKey", str]:
        """A new key and its full secret, which is never stored and cannot be shown again."""
        prefix = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(prefix=prefix, secret_hash=_digest(secret), **fields)
        return key, secret

    @classmethod
    def authenticate(cls, presented: str) -> "ApiKey | None":
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        # The prefix is unique: the key is read by it alone and checked here, which costs every request
        # less than building the usable() query's conditions (what it decides is the same).
        key = next(iter(cls.objects.select_related("supplier").filter(prefix=parts[1])[:1]), None)
        if key is None or not hmac.compare_digest(key.secret_hash, _digest(presented)):
            return None
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= timezone.now()):
            return None
        if key.supplier is not None and not key.supplier.active:
            return None  # a supplier the buyer stopped trading with: its people and its keys alike
        return key


class IdempotencyRecord(models.Model):
    """The response a POST gave under a client's Idempotency-Key, replayed when the key comes again."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique")]


class WebhookSubscriptionQuerySet(models.QuerySet):
    """Bulk edits of what decides who hears an event bump the webhooks version too."""

    def delete(self):
        result = super().delete()
        webhooks_version_bump()
        return result

    def update(self, **kwargs) -> int:
        count = super().update(**kwargs)
        if FANOUT_FIELDS & set(kwargs):
            webhooks_version_bump()
        return count


# What the event fan-out reads from a subscription; a failure count or a secret is not among them.
FANOUT_FIELDS = frozenset(
    {"api_key_kind", "supplier", "supplier_id", "company", "company_id", "url", "events", "active"}
)


def webhooks_version_bump() -> None:
    """Mark every company's cached webhook subscriptions stale, in the caller's transaction.

    Every company, because a supplier's subscription hears that supplier's events from any
    company it trades with. Subscriptions change rarely; events are announced on every document.
    """
    from procurement.models import Company

    Company.objects.update(webhooks_version=models.F("webhooks_version") + 1)


class WebhookSubscription(models.Model):
    """Where a supplier or system wants events posted, signed with a secret only it and we know.

    The signing secret is derived from the server's secret key and this subscription's salt, so
    it is never stored; rotating it changes the salt.
    """

    EVENTS = ("po.published", "po.changed", "document.processed", "exception.raised", "exception.resolved")

    api_key_kind = models.CharField(max_length=16, choices=ApiKey.Kind.choices)
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    system_name = models.CharField(max_length=40, blank=True)
    company = models.ForeignKey(
        "procurement.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="For a system's subscription: the company whose events it receives.",
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(help_text="Event names this subscription receives.")
    salt = models.CharField(max_length=32, editable=False)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"

    def save(self, *args, **kwargs) -> None:
        if not self.salt:
            self.salt = secrets.token_hex(16)
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or FANOUT_FIELDS & set(update_fields):
            webhooks_version_bump()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        webhooks_version_bump()
        return result

    @property
    def signing_secret(self) -> str:
        material = f"webhook:{self.pk}:{self.salt}".encode()
        return "whsec_" + hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).hexdigest()
