"""Shapes of the API: inputs become the write path's canonical inputs; outputs show the record."""

from decimal import Decimal

from rest_framework import serializers

from procurement import inputs, selectors
from procurement.models import (
    InboundDocument,
    Invoice,
    InvoiceLine,
    POLine,
    PORevision,
    ProcurementException,
    PurchaseOrder,
)

MAX_LINES = 2000


def quantity(**kwargs) -> serializers.DecimalField:
    # Up to 10^12 - 0.0001 (procurement.models.fields.QUANTITY_LIMIT).
    return serializers.DecimalField(max_digits=16, decimal_places=4, **kwargs)


def price(**kwargs) -> serializers.DecimalField:
    # Up to 10^10 - 0.000001 (PRICE_LIMIT).
    return serializers.DecimalField(max_digits=16, decimal_places=6, min_value=Decimal("0"), **kwargs)


def text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, **kwargs)


def optional_text(max_length: int) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="")


# Inputs ---------------------------------------------------------------------------------------


class AckLineIn(serializers.Serializer):
    line_no = text(16)
    response = serializers.ChoiceField(choices=inputs.LINE_RESPONSE_CODES)
    raw_code = optional_text(8)
    quantity = quantity(required=False, allow_null=True, default=None, min_value=Decimal("0"))
    unit_price = price(required=False, allow_null=True, default=None)
    promised_date = serializers.DateField(required=False, allow_null=True, default=None)
    substitute_part_number = optional_text(64)
    note = optional_text(1000)


class AcknowledgementIn(serializers.Serializer):
    document_id = text(80, help_text="Your own id for this acknowledgement; sending it again is a duplicate.")
    po_number = text(40)
    company = optional_text(32)
    po_revision = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=2_147_483_647
    )
    header = serializers.ChoiceField(choices=inputs.ACK_HEADER_CODES)
    raw_code = optional_text(8)
    acknowledged_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = optional_text(2000)
    lines = AckLineIn(many=True, required=False, default=list, max_length=MAX_LINES)

    def to_input(self) -> inputs.AcknowledgementInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.AckLineInput(**line) for line in data.pop("lines"))
        return inputs.AcknowledgementInput(lines=lines, **data)


class ShipmentLineIn(serializers.Serializer):
    po_number = text(40)
    line_no = text(16)
    quantity = quantity(min_value=Decimal("0.0001"))
    uom = optional_text(8)
    part_number = optional_text(64)
    pack_sscc = serializers.RegexField(r"^\d{18}$", required=False, allow_blank=True, default="")
    lot = optional_text(40)
    serial = optional_text(40)


class ShipmentIn(serializers.Serializer):
    shipment_id = text(80)
    ship_date = serializers.DateField()
    expected_delivery = serializers.DateField(required=False, allow_null=True, default=None)
    carrier = optional_text(80)
    tracking_number = optional_text(80)
    company = optional_text(32)
    packs = serializers.ListField(
        child=serializers.RegexField(r"^\d{18}$"), required=False, default=list, max_length=MAX_LINES
    )
    lines = ShipmentLineIn(many=True, min_length=1, max_length=MAX_LINES)

    def to_input(self) -> inputs.ShipmentInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.ShipmentLineInput(**line) for line in data.pop("lines"))
        return inputs.ShipmentInput(lines=lines, packs=tuple(data.pop("packs")), **data)


class InvoiceLineIn(serializers.Serializer):
    line_no = text(16)
    quantity = quantity(min_value=Decimal("0.0001"))
    unit_price = price()
    part_number = optional_text(64)


class InvoiceIn(serializers.Serializer):
    invoice_number = text(80)
    po_number = text(40)
    company = optional_text(32)
    invoice_date = serializers.DateField()
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    purpose = serializers.ChoiceField(
        choices=(inputs.INVOICE_PURPOSE_INVOICE, inputs.INVOICE_PURPOSE_CREDIT_MEMO), default="invoice"
    )
    total = serializers.DecimalField(max_digits=17, decimal_places=2, required=False, allow_null=True, default=None)
    lines = InvoiceLineIn(many=True, min_length=1, max_length=MAX_LINES)

    def to_input(self) -> inputs.InvoiceInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.InvoiceLineInput(**line) for line in data.pop("lines"))
        return inputs.InvoiceInput(lines=lines, **data)


class POLineIn(serializers.Serializer):
    line_no = text(16)
    part_number = text(64)
    quantity = quantity(min_value=Decimal("0.0001"))
    uom = text(8)
    unit_price = price()
    need_by = serializers.DateField()
    supplier_part_number = optional_text(64)
    description = optional_text(300)


class PurchaseOrderIn(serializers.Serializer):
    company = text(32)
    number = text(40)
    supplier = text(32)
    ship_to = text(32)
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    order_date = serializers.DateField()
    revision = serializers.IntegerField(min_value=0, max_value=2_147_483_647, default=0)
    buyer = optional_text(150)
    notes = optional_text(4000)
    lines = POLineIn(many=True, min_length=1, max_length=MAX_LINES)

    def to_input(self) -> inputs.PurchaseOrderInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.POLineInput(**line) for line in data.pop("lines"))
        return inputs.PurchaseOrderInput(lines=lines, **data)


class ReceiptLineIn(serializers.Serializer):
    line_no = text(16)
    quantity_received = quantity(min_value=Decimal("0"))
    quantity_rejected = quantity(min_value=Decimal("0"), default=Decimal("0"))
    lot = optional_text(40)


class ReceiptIn(serializers.Serializer):
    receipt_number = text(80)
    company = text(32)
    po_number = text(40)
    received_on = serializers.DateField()
    posted = serializers.BooleanField(default=False)
    shipment_id = optional_text(80)
    lines = ReceiptLineIn(many=True, min_length=1, max_length=MAX_LINES)

    def to_input(self) -> inputs.ReceiptInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.ReceiptLineInput(**line) for line in data.pop("lines"))
        return inputs.ReceiptInput(lines=lines, **data)


# Outputs --------------------------------------------------------------------------------------


class StatusesOut(serializers.Serializer):
    ack = serializers.CharField()
    change = serializers.CharField()
    ship = serializers.CharField()
    receipt = serializers.CharField()
    invoice = serializers.CharField()
    match = serializers.CharField()


class POLineOut(serializers.ModelSerializer):
    part_number = serializers.CharField(source="item.part_number")
    statuses = StatusesOut()

    class Meta:
        model = POLine
        fields = [
            "line_no", "part_number", "supplier_part_number", "description", "quantity", "uom", "unit_price",
            "need_by", "cancelled", "revision", "ack_response", "ack_raw_code", "confirmed_quantity",
            "confirmed_price", "promised_date", "backordered_quantity", "proposal", "shipped_quantity",
            "received_quantity", "rejected_quantity", "invoiced_quantity", "statuses",
        ]  # fmt: skip


class PurchaseOrderOut(serializers.ModelSerializer):
    """The shape of a PO in the API; pages are built by ``purchase_orders_out`` (same output, from rows)."""

    company = serializers.CharField(source="company.code")
    supplier = serializers.CharField(source="supplier.code")
    ship_to = serializers.CharField(source="ship_to.code")
    status = serializers.SerializerMethodField()
    lines = POLineOut(many=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "revision",
            "company",
            "supplier",
            "ship_to",
            "currency",
            "order_date",
            "notes",
            "status",
            "published_at",
            "updated_at",
            "lines",
        ]

    def get_status(self, order: PurchaseOrder) -> str:
        return order.status_for(list(order.lines.all()))


def _decimal_out(places: int):
    exponent = Decimal(1).scaleb(-places)

    def out(value: Decimal | None) -> str | None:
        return None if value is None else f"{value.quantize(exponent):f}"

    return out


_quantity_out, _price_out = _decimal_out(4), _decimal_out(6)


# An instant as every DateTimeField of the API writes it (ISO 8601, "Z" for UTC).
instant_out = serializers.DateTimeField().to_representation


def _line_out(line: POLine) -> dict:
    row = line.__dict__
    promised = row["promised_date"]
    return {
        "line_no": row["line_no"],
        "part_number": row["part_number"],
        "supplier_part_number": row["supplier_part_number"],
        "description": row["description"],
        "quantity": _quantity_out(row["quantity"]),
        "uom": row["uom"],
        "unit_price": _price_out(row["unit_price"]),
        "need_by": row["need_by"].isoformat(),
        "cancelled": row["cancelled"],
        "revision": row["revision"],
        "ack_response": row["ack_response"],
        "ack_raw_code": row["ack_raw_code"],
        "confirmed_quantity": _quantity_out(row["confirmed_quantity"]),
        "confirmed_price": _price_out(row["confirmed_price"]),
        "promised_date": None if promised is None else promised.isoformat(),
        "backordered_quantity": _quantity_out(row["backordered_quantity"]),
        "proposal": row["proposal"],
        "shipped_quantity": _quantity_out(row["shipped_quantity"]),
        "received_quantity": _quantity_out(row["received_quantity"]),
        "rejected_quantity": _quantity_out(row["rejected_quantity"]),
        "invoiced_quantity": _quantity_out(row["invoiced_quantity"]),
        "statuses": line.statuses(),
    }


def purchase_orders_out(orders: list[dict]) -> list[dict]:
    """``PurchaseOrderOut`` for rows from ``selectors.purchase_order_rows``, without a serializer per field.

    A page of 50 POs holds hundreds of lines; building them from rows is several times faster than
    field-by-field serialization of model instances, and the output is the same (a test holds them equal).
    """
    lines = selectors.purchase_order_line_rows([order["id"] for order in orders])
    out = []
    for order in orders:
        po_lines = lines[order["id"]]
        out.append(
            {
                "id": order["id"],
                "number": order["number"],
                "revision": order["revision"],
                "company": order["company_code"],
                "supplier": order["supplier_code"],
                "ship_to": order["ship_to_code"],
                "currency": order["currency"],
                "order_date": order["order_date"].isoformat(),
                "notes": order["notes"],
                "status": PurchaseOrder.status_for(po_lines),
                "published_at": instant_out(order["published_at"]),
                "updated_at": instant_out(order["updated_at"]),
                "lines": [_line_out(line) for line in po_lines],
            }
        )
    return out


class RevisionOut(serializers.ModelSerializer):
    class Meta:
        model = PORevision
        fields = ["revision", "source", "channel", "created_at", "diff", "snapshot"]


class ExceptionForSupplierOut(serializers.ModelSerializer):
    """What a supplier may see of an exception: never the buyer's internal notes or evidence."""

    po_number = serializers.CharField(source="po.number", default=None, allow_null=True)
    line_no = serializers.CharField(source="po_line.line_no", default=None, allow_null=True)
    message = serializers.CharField(source="supplier_message")

    class Meta:
        model = ProcurementException
        fields = ["id", "kind", "state", "po_number", "line_no", "message", "raised_at", "resolved_at"]


class ExceptionOut(ExceptionForSupplierOut):
    supplier = serializers.CharField(source="supplier.code", default=None)

    class Meta:
        model = ProcurementException
        fields = [
            "id",
            "kind",
            "severity",
            "state",
            "supplier",
            "po_number",
            "line_no",
            "summary",
            "message",
            "evidence",
            "due_at",
            "raised_at",
            "resolution",
            "resolved_at",
        ]


class DocumentOut(serializers.ModelSerializer):
    exceptions = ExceptionForSupplierOut(many=True, read_only=True)

    class Meta:
        model = InboundDocument
        fields = [
            "id",
            "channel",
            "document_type",
            "filename",
            "size",
            "sha256",
            "correlation_id",
            "received_at",
            "state",
            "outcome_code",
            "error",
            "processed_at",
            "exceptions",
        ]


class InvoiceLineOut(serializers.ModelSerializer):
    line_no = serializers.CharField(source="po_line.line_no")

    class Meta:
        model = InvoiceLine
        fields = ["line_no", "quantity", "unit_price", "amount", "match_status"]


class InvoiceOut(serializers.ModelSerializer):
    po_number = serializers.CharField(source="po.number")
    lines = InvoiceLineOut(many=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "invoice_number",
            "po_number",
            "purpose",
            "invoice_date",
            "currency",
            "total",
            "match_status",
            "hold_reason",
            "received_at",
            "lines",
        ]


class DocumentResultOut(serializers.Serializer):
    """What happened to a document sent through the API."""

    outcome = serializers.ChoiceField(choices=["applied", "duplicate"])
    document = serializers.IntegerField(help_text="The stored payload's id (GET /api/v1/documents/{id}/).")
    record = serializers.IntegerField(help_text="The acknowledgement, shipment, invoice or receipt id.")
    exceptions = ExceptionForSupplierOut(many=True)
