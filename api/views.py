"""The REST channel: validate, store first, call the write path or a selector, respond."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import selectors
from procurement.models import OutboundMessage, ProcurementException
from procurement.services import (
    WriteSource,
    acknowledgement_record,
    address_is_public,
    inbound_document_apply,
    inbound_document_reject,
    inbound_document_store,
    invoice_record,
    outbox_message_retry,
    purchase_order_publish,
    receipt_record,
    shipment_record,
    url_port,
)

from . import examples as ex
from . import serializers as s
from .authentication import key_label
from .idempotency import idempotent
from .models import ApiKey, WebhookSubscription
from .permissions import AnyKey, SupplierKey, SystemKey
from .problems import problem

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
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Any unique string per logical request (a UUID). Retrying with the same key and body replays "
    "the first response; another body under the same key is refused.",
)


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        # DRF's own examples name an /accounts/ endpoint; show what a page of this API links to.
        paginated["properties"]["next"]["example"] = "https://gateway.example/api/v1/invoices/?cursor=cD0yMDI3"
        paginated["properties"]["previous"]["example"] = None
        return paginated


class UpdatedCursor(Cursor):
    ordering = ("updated_at", "id")


class ETagMixin:
    """ETag on every successful GET; If-None-Match naming it (or ``*``) answers 304 with no body.

    If-None-Match compares weakly (RFC 9110 §13.1.2): ``W/"tag"`` matches ``"tag"``. The answers
    are one key's view, so they are marked private and revalidated before any reuse.
    """

    def finalize_response(self, request, response, *args, **kwargs):
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


def _supplier(request):
    return request.auth.supplier if request.auth.kind == ApiKey.Kind.SUPPLIER else None


# Purchase orders ------------------------------------------------------------------------------

STATUS_PARAMETERS = [
    OpenApiParameter(
        dimension, OpenApiTypes.STR, enum=list(values), description=f"POs with a line whose {dimension} status is this"
    )
    for dimension, values in selectors.LINE_STATUS_CONDITIONS.items()
]


@extend_schema(
    tags=["purchase orders"],
    parameters=[
        *STATUS_PARAMETERS,
        OpenApiParameter("plant", OpenApiTypes.STR, description="Ship-to plant code"),
        OpenApiParameter("number", OpenApiTypes.STR, description="PO number"),
        OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Changed at or after this instant"),
    ],
    responses={200: s.PurchaseOrderOut(many=True), **ERRORS},
    examples=[ex.PURCHASE_ORDER],
)
class PurchaseOrderList(ETagMixin, generics.ListAPIView):
    """Your purchase orders with their lines and per-line status dimensions, oldest change first."""

    permission_classes = [SupplierKey]
    serializer_class = s.PurchaseOrderOut
    pagination_class = UpdatedCursor

    def get_queryset(self):
        orders = selectors.purchase_orders_for(supplier=_supplier(self.request))
        params = self.request.query_params
        for dimension, values in selectors.LINE_STATUS_CONDITIONS.items():
            value = params.get(dimension)
            if value is None:
                continue
            if value not in values:
                raise ValidationError({dimension: [f"must be one of {', '.join(values)}"]})
            orders = selectors.purchase_orders_with_line_status(orders, dimension, value)
        if params.get("plant"):
            orders = orders.filter(ship_to__code=params["plant"])
        if params.get("number"):
            orders = orders.filter(number=params["number"])
        if params.get("updated_since"):
            field = serializers.DateTimeField()
            try:
                since = field.to_internal_value(params["updated_since"])
            except ValidationError as error:
                raise ValidationError({"updated_since": error.detail}) from error
            orders = orders.filter(updated_at__gte=since)
        return orders

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.purchase_order_rows(self.get_queryset()))
        return self.get_paginated_response(s.purchase_orders_out(page))


@extend_schema(tags=["purchase orders"], responses={200: s.PurchaseOrderOut, **ERRORS}, examples=[ex.PURCHASE_ORDER])
class PurchaseOrderDetail(ETagMixin, generics.RetrieveAPIView):
    """One of your purchase orders."""

    permission_classes = [SupplierKey]
    serializer_class = s.PurchaseOrderOut

    def get_queryset(self):
        return selectors.purchase_orders_for(supplier=_supplier(self.request))

    def retrieve(self, request, *args, **kwargs):
        order = get_object_or_404(selectors.purchase_order_rows(self.get_queryset()), pk=self.kwargs["pk"])
        return Response(s.purchase_orders_out([order])[0])


@extend_schema(tags=["purchase orders"], responses={200: s.RevisionOut(many=True), **ERRORS}, examples=[ex.REVISION])
class RevisionList(ETagMixin, generics.ListAPIView):
    """Every published revision of a PO with its from/to diff against the one before."""

    permission_classes = [SupplierKey]
    serializer_class = s.RevisionOut
    pagination_class = None

    def get_queryset(self):
        revisions = selectors.purchase_order_revisions_for(supplier=_supplier(self.request), po_id=self.kwargs["pk"])
        if not revisions.exists():
            raise Http404
        return revisions.order_by("revision")


@extend_schema(tags=["purchase orders"], responses={200: s.RevisionOut, **ERRORS}, examples=[ex.REVISION])
class RevisionDetail(ETagMixin, generics.RetrieveAPIView):
    """One revision: its snapshot and what changed from the previous revision (field, from, to)."""

    permission_classes = [SupplierKey]
    serializer_class = s.RevisionOut

    def get_object(self):
        revisions = selectors.purchase_order_revisions_for(supplier=_supplier(self.request), po_id=self.kwargs["pk"])
        return get_object_or_404(revisions, revision=self.kwargs["revision"])


# Documents in ---------------------------------------------------------------------------------


def ingest(request, *, document_type: str, serializer_class, apply) -> Response:
    """Store the body first (committed with the Idempotency-Key's claim), then validate it, then apply it."""
    return idempotent(
        lambda request, document: _ingest_stored(request, document, serializer_class=serializer_class, apply=apply),
        request,
        store=lambda request: _document_store(request, document_type),
    )


def _document_store(request, document_type: str):
    """The body as received; an oversized one is recorded as rejected without being read."""
    key: ApiKey = request.auth
    supplier = key.supplier
    too_large = _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES
    return inbound_document_store(
        channel="api",
        sender=supplier.code if supplier else key.system_name,
        content=b"" if too_large else request.body,
        declared_size=_declared_size(request) if too_large else None,
        supplier=supplier,
        document_type=document_type,
        content_type=request.content_type,
        correlation_id=request.correlation_id,
    )


def _declared_size(request) -> int:
    return int(request.META.get("CONTENT_LENGTH") or 0)


def _ingest_stored(request, document, *, serializer_class, apply) -> Response:
    if _declared_size(request) > settings.GATEWAY_INBOUND_MAX_BYTES:
        return problem(413, "Payload too large", document.error, "too_large", document=document.pk)
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as error:
        inbound_document_reject(document=document, code="malformed", error=str(error.detail))
        raise
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        inbound_document_reject(document=document, code="invalid", error=json.dumps(serializer.errors, default=str))
        raise ValidationError(serializer.errors)
    result = inbound_document_apply(
        document=document,
        label=key_label(request.auth),
        apply=lambda source: apply(source, serializer.to_input()),
    )
    body = {
        "outcome": result.outcome,
        "document": document.pk,
        "record": result.record.pk,
        "exceptions": s.ExceptionForSupplierOut(result.exceptions, many=True).data,
    }
    return Response(body, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


class _DocumentPost(APIView):
    permission_classes = [SupplierKey]
    document_type = ""
    input_serializer = None

    def post(self, request):
        return ingest(
            request, document_type=self.document_type, serializer_class=self.input_serializer, apply=self.apply
        )


@extend_schema(
    tags=["documents in"],
    request=s.AcknowledgementIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.ACK, ex.ACK_RESULT],
)
class AcknowledgementCreate(_DocumentPost):
    """Acknowledge one of your POs: a header code and a response per line, in the canonical vocabulary.

    A response that changes the buyer's terms is a proposal until the buyer (or policy) accepts
    it. 201 when applied, 200 when the same document_id was already applied (no second effect).
    """

    document_type = "acknowledgement"
    input_serializer = s.AcknowledgementIn

    def apply(self, source: WriteSource, ack):
        return acknowledgement_record(supplier=self.request.auth.supplier, ack=ack, source=source)


@extend_schema(
    tags=["documents in"],
    request=s.ShipmentIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.SHIPMENT, ex.SHIPMENT_RESULT],
)
class ShipmentCreate(_DocumentPost):
    """Send an advance ship notice; its lines may reference several of your POs, packed by SSCC."""

    document_type = "shipment"
    input_serializer = s.ShipmentIn

    def apply(self, source: WriteSource, shipment):
        return shipment_record(supplier=self.request.auth.supplier, shipment=shipment, source=source)


@extend_schema(tags=["documents in"])
class Invoices(_DocumentPost, generics.ListAPIView):
    """Send an invoice or credit memo against one of your POs; list your invoices and why any is held."""

    document_type = "invoice"
    input_serializer = s.InvoiceIn
    serializer_class = s.InvoiceOut
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.invoices_for(supplier=_supplier(self.request))

    @extend_schema(responses={200: s.InvoiceOut(many=True), **ERRORS}, examples=[ex.INVOICE_HELD])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.InvoiceIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
        examples=[ex.INVOICE, ex.INVOICE_RESULT],
    )
    def post(self, request):
        return super().post(request)

    def apply(self, source: WriteSource, invoice):
        return invoice_record(supplier=self.request.auth.supplier, invoice=invoice, source=source)


@extend_schema(tags=["documents in"], responses={200: s.InvoiceOut, **ERRORS}, examples=[ex.INVOICE_HELD])
class InvoiceDetail(ETagMixin, generics.RetrieveAPIView):
    """One of your invoices, with its match status and, when held, the reason."""

    permission_classes = [SupplierKey]
    serializer_class = s.InvoiceOut

    def get_queryset(self):
        return selectors.invoices_for(supplier=_supplier(self.request))


@extend_schema(tags=["documents in"], responses={200: s.DocumentOut(many=True), **ERRORS}, examples=[ex.DOCUMENT])
class DocumentList(ETagMixin, generics.ListAPIView):
    """Everything you sent, through any channel, with its processing state and the exceptions it raised."""

    permission_classes = [SupplierKey]
    serializer_class = s.DocumentOut
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.inbound_documents_for(supplier=_supplier(self.request)).prefetch_related(
            "exceptions__po", "exceptions__po_line"
        )


@extend_schema(tags=["documents in"], responses={200: s.DocumentOut, **ERRORS}, examples=[ex.DOCUMENT])
class DocumentDetail(ETagMixin, generics.RetrieveAPIView):
    """One document you sent."""

    permission_classes = [SupplierKey]
    serializer_class = s.DocumentOut

    def get_queryset(self):
        return selectors.inbound_documents_for(supplier=_supplier(self.request))


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
        exceptions = selectors.exceptions_for(supplier=_supplier(self.request))
        return exceptions_filtered(self.request, exceptions, ("state",))


# System channel (ERP, WMS, MES) ---------------------------------------------------------------


@extend_schema(
    tags=["system"],
    request=s.PurchaseOrderIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.PO_PUBLISH, ex.PO_PUBLISHED],
)
class SystemPurchaseOrderCreate(APIView):
    """Publish a PO, or a new revision of one (the whole new picture: missing lines are cancelled)."""

    permission_classes = [SystemKey]

    def post(self, request):
        return ingest(
            request,
            document_type="purchase_order",
            serializer_class=s.PurchaseOrderIn,
            apply=lambda source, po: purchase_order_publish(po=po, source=source),
        )


@extend_schema(
    tags=["system"],
    request=s.ReceiptIn,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.DocumentResultOut, 200: s.DocumentResultOut, **ERRORS},
    examples=[ex.RECEIPT, ex.RECEIPT_RESULT],
)
class SystemReceiptCreate(APIView):
    """Post a goods receipt; send it again with posted=true when it is posted financially."""

    permission_classes = [SystemKey]

    def post(self, request):
        return ingest(
            request,
            document_type="receipt",
            serializer_class=s.ReceiptIn,
            apply=lambda source, receipt: receipt_record(receipt=receipt, source=source),
        )


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


# Webhooks -------------------------------------------------------------------------------------


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
                "at": s.instant_out(a.attempted_at),
                "succeeded": a.succeeded,
                "detail": a.detail,
            }
            for a in message.attempt_log.all()
        ]


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
            source = WriteSource(channel="api", label=key_label(request.auth), correlation_id=request.correlation_id)
            message = outbox_message_retry(message_id=message.pk, source=source, redeliver=True)
            return Response(DeliveryOut(message).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)


REDELIVER_BATCH = 500


class RedeliverIn(serializers.Serializer):
    event = serializers.ChoiceField(choices=WebhookSubscription.EVENTS, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class RedeliveredOut(serializers.Serializer):
    redelivered = serializers.ListField(child=serializers.IntegerField(), help_text="The deliveries queued again.")
    remaining = serializers.IntegerField(help_text="Dead-lettered deliveries that match, left for another call.")


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
            source = WriteSource(channel="api", label=key_label(request.auth), correlation_id=request.correlation_id)
            with transaction.atomic():
                # Locked and still dead: one another call or the worker is busy with is left to it.
                batch = matching.select_for_update(skip_locked=True).order_by("created_at", "id")[:REDELIVER_BATCH]
                ids = list(batch.values_list("id", flat=True))
                for message_id in ids:
                    outbox_message_retry(message_id=message_id, source=source)
            body = {"redelivered": ids, "remaining": matching.count()}
            return Response(body, status=status.HTTP_202_ACCEPTED)

        return idempotent(redeliver, request)
