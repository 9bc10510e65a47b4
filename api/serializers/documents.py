"""Documents received, and what the API answers about one it was sent."""

from rest_framework import serializers

from procurement.models import InboundDocument

from .exceptions import ExceptionForSupplierOut


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


class DocumentResultOut(serializers.Serializer):
    """What happened to a document sent through the API."""

    outcome = serializers.ChoiceField(choices=["applied", "duplicate"])
    document = serializers.IntegerField(help_text="The stored payload's id (GET /api/v1/documents/{id}/).")
    record = serializers.IntegerField(help_text="The acknowledgement, shipment, invoice or receipt id.")
    exceptions = ExceptionForSupplierOut(many=True)
