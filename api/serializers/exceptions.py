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
    message = serializers.CharField(
        help_text="What the supplier is told; the summary for an exception no supplier is told of "
        "(a material shortage, an inventory variance, an invalid document from a system)."
    )

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


class ExceptionAssignIn(serializers.Serializer):
    owner = serializers.CharField(max_length=150, help_text="Username of a buyer of the exception's company")


class ExceptionAcceptIn(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ExceptionReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="For a rejection, the supplier is told this")


class ExceptionCommentIn(serializers.Serializer):
    body = serializers.CharField(max_length=4000, help_text="Internal: never shown to a supplier")


class ExceptionNoteOut(serializers.Serializer):
    id = serializers.IntegerField()
    exception = serializers.IntegerField(source="exception_id")
    kind = serializers.CharField()
    author = serializers.CharField(source="author_label")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
