"""Exceptions as a supplier may see them, and as the buyer's queue shows them."""

from rest_framework import serializers

from procurement.models import ProcurementException


class ExceptionForSupplierOut(serializers.ModelSerializer):
    """What a supplier may see of an exception: never the buyer's internal notes or evidence."""

    po_number = serializers.CharField(source="po.number", default=None, allow_null=True)
    line_no = serializers.CharField(source="po_line.line_no", default=None, allow_null=True)
    message = serializers.CharField(source="supplier_message")

    class Meta:
        model = ProcurementException
        fields = ["id", "kind", "state", "po_number", "line_no", "message", "raised_at", "resolved_at"]


class ExceptionOut(ExceptionForSupplierOut):
    # Empty for an exception no supplier caused (a refused publish from the buyer's own systems).
    supplier = serializers.CharField(source="supplier.code", default=None, allow_null=True)

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
