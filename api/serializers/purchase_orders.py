"""Purchase orders: one published by the buyer's systems, and how POs and their revisions show."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procurement import inputs, selectors
from procurement.models import POLine, PORevision, PurchaseOrder, ScheduleLine

from .fields import MAX_LINES, instant_out, optional_text, price, quantity, text


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
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    lines = POLineIn(many=True, min_length=1, max_length=MAX_LINES)  # type: ignore[call-arg]

    def to_input(self) -> inputs.PurchaseOrderInput:
        data = dict(self.validated_data)
        lines = tuple(inputs.POLineInput(**line) for line in data.pop("lines"))
        return inputs.PurchaseOrderInput(lines=lines, **data)


class StatusesOut(serializers.Serializer):
    ack = serializers.CharField()
    change = serializers.CharField()
    ship = serializers.CharField()
    receipt = serializers.CharField()
    invoice = serializers.CharField()
    match = serializers.CharField()


class ScheduleLineOut(serializers.ModelSerializer):
    class Meta:
        model = ScheduleLine
        fields = ["quantity", "date"]


class POLineOut(serializers.ModelSerializer):
    part_number = serializers.CharField(source="item.part_number")
    statuses = StatusesOut()
    schedule = ScheduleLineOut(
        source="schedule_lines",
        many=True,
        help_text="The deliveries the supplier confirmed (its latest answer), in the order sent; "
        "empty when it answered the line as one delivery.",
    )
    next_promised_date = serializers.SerializerMethodField(
        help_text="When the next delivery still to ship is promised (shipments fill the schedule in date order)."
    )

    class Meta:
        model = POLine
        fields = [
            "line_no", "part_number", "supplier_part_number", "description", "quantity", "uom", "unit_price",
            "need_by", "cancelled", "revision", "ack_response", "ack_raw_code", "confirmed_quantity",
            "confirmed_price", "promised_date", "next_promised_date", "schedule", "backordered_quantity", "proposal",
            "shipped_quantity", "received_quantity", "rejected_quantity", "invoiced_quantity", "statuses",
        ]  # fmt: skip

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_next_promised_date(self, line: POLine) -> str | None:
        following = line.next_promised_date([(s.quantity, s.date) for s in line.schedule_lines.all()])
        return None if following is None else following.isoformat()


class PurchaseOrderOut(serializers.ModelSerializer):
    """The shape of a PO in the API. Lists are written by PostgreSQL (``purchase_orders_sql``) or built from
    rows by ``purchase_orders_out``, details from rows: the same bytes (api/tests/test_purchase_order_pages.py)."""

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


def _line_out(line: POLine) -> dict:
    row = line.__dict__
    promised = row["promised_date"]
    following = line.next_promised_date(row["schedule"])
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
        "next_promised_date": None if following is None else following.isoformat(),
        "schedule": [{"quantity": _quantity_out(q), "date": d.isoformat()} for q, d in row["schedule"]],
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
