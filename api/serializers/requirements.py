"""Material requirements for the ERP/MES: demand in batches; runs, shortages, planned purchases and an
item's projection out."""

from decimal import Decimal

from rest_framework import serializers

from materials import inputs
from materials.models import PlannedPurchase, ProjectionRow, RequirementRun, Shortage

from .fields import optional_text, quantity, text

# Demands per POST of /api/v1/system/demands/.
MAX_DEMANDS = 10_000
DEMAND_OUTCOMES = ("created", "updated", "cancelled", "unchanged", "refused")


class DemandIn(serializers.Serializer):
    source_id = text(128, help_text="The sending system's id of the demand: sending it again changes or cancels it.")
    kind = serializers.ChoiceField(choices=list(inputs.DEMAND_KINDS))
    part_number = text(64)
    plant_code = text(32)
    quantity = quantity(min_value=Decimal("0.0001"), help_text="In the item's base unit.")
    need_date = serializers.DateField()
    reference = optional_text(80)
    cancelled = serializers.BooleanField(default=False)

    def to_internal_value(self, data):
        # DRF reads "٣" as 3 and "２０２７-03-10" as 2027-03-10 (Unicode digits): a planning system sends
        # ASCII, so other digits are a garbled export, refused rather than planned from.
        if isinstance(data, dict):
            garbled = {
                name: ["Use the digits 0-9."]
                for name in ("quantity", "need_date")
                if isinstance(data.get(name), str) and not data[name].isascii()
            }
            if garbled:
                raise serializers.ValidationError(garbled)
        return super().to_internal_value(data)


class DemandBatchIn(serializers.Serializer):
    company = text(32)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    demands = DemandIn(many=True, min_length=1, max_length=MAX_DEMANDS)  # type: ignore[call-arg]

    def to_input(self, source_system: str) -> inputs.DemandBatchInput:
        data = self.validated_data
        return inputs.DemandBatchInput(
            company_code=data["company"],
            source_system=source_system,
            demands=tuple(inputs.DemandInput(**d) for d in data["demands"]),
        )


class DemandOutcomeOut(serializers.Serializer):
    source_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=DEMAND_OUTCOMES)
    reason = serializers.CharField(help_text="Why a demand was refused; empty otherwise.")


class DemandBatchResultOut(serializers.Serializer):
    document = serializers.IntegerField(help_text="The stored batch's id.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.IntegerField()
    run = serializers.IntegerField(allow_null=True, help_text="The net change run that re-planned the items.")
    demands = DemandOutcomeOut(many=True, help_text="One outcome per demand, in the order sent.")


class RequirementRunOut(serializers.ModelSerializer):
    class Meta:
        model = RequirementRun
        fields = [
            "id", "mode", "state", "reason", "horizon_start", "counts", "error", "requested_at", "started_at",
            "finished_at",
        ]  # fmt: skip


class Pegged(serializers.Serializer):
    demand = serializers.IntegerField()
    reference = serializers.CharField()
    quantity = serializers.CharField()


class PlannedPurchaseOut(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code")
    part_number = serializers.CharField(source="item.part_number")
    supplier = serializers.CharField(source="supplier.code", allow_null=True, default=None)
    po = serializers.CharField(source="po.number", allow_null=True, default=None)
    pegs = Pegged(many=True)

    class Meta:
        model = PlannedPurchase
        fields = [
            "id",
            "plant",
            "part_number",
            "make",
            "supplier",
            "quantity",
            "net_quantity",
            "need_date",
            "release_date",
            "late",
            "state",
            "po",
            "pegs",
        ]


class ShortageOut(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code")
    part_number = serializers.CharField(source="item.part_number")
    pegs = Pegged(many=True)
    po_lines = serializers.ListField(child=serializers.IntegerField(), help_text="Open PO lines arriving after it.")
    planned_purchase = serializers.IntegerField(source="planned_purchase_id", allow_null=True)

    class Meta:
        model = Shortage
        fields = ["id", "plant", "part_number", "kind", "date", "quantity", "pegs", "po_lines", "planned_purchase"]


class SubstitutionOut(serializers.Serializer):
    primary = serializers.CharField(help_text="The primary component's part number.")
    alternate = serializers.CharField(help_text="The alternate that stood in for it.")
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4, help_text="Of the primary, covered.")
    alternate_quantity = serializers.DecimalField(max_digits=18, decimal_places=4, help_text="Of the alternate, taken.")
    demand = serializers.IntegerField()
    reference = serializers.CharField()


class ProjectionRowOut(serializers.ModelSerializer):
    pegs = Pegged(many=True)
    substitutions = SubstitutionOut(many=True)

    class Meta:
        model = ProjectionRow
        fields = [
            "date",
            "opening",
            "allocated",
            "receipts",
            "in_transit",
            "quality_inspection",
            "demand",
            "for_primaries",
            "by_alternates",
            "planned",
            "safety_stock",
            "projected",
            "pegs",
            "substitutions",
        ]


class PlannedPurchaseOrderIn(serializers.Serializer):
    number = text(40, help_text="The new PO's number.")


class PlannedPurchaseOrderedOut(serializers.Serializer):
    """What ordering a planned purchase answers: the PO it published (not the whole PO: read it by id)."""

    po = serializers.IntegerField(help_text="The new PO's id.")
    number = serializers.CharField()
