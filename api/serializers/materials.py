"""Materials from the buyer's PLM and ERP: item masters in batches, BOM releases one at a time, and how a
BOM, its where-used list and its release history show."""

from decimal import Decimal

from rest_framework import serializers

from materials import inputs

from .fields import optional_text, text

# Items per POST of /api/v1/system/items/; a larger master is sent in several batches.
MAX_ITEMS = 1000
MAX_COMPONENTS = 2000


def amount(**kwargs) -> serializers.DecimalField:
    """A quantity per, factor or stock figure: up to 10^12, six decimal places (a BOM's 0.000125 kg per)."""
    return serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0"), **kwargs)


def optional_amount() -> serializers.DecimalField:
    return amount(required=False, allow_null=True, default=None)


class UomConversionIn(serializers.Serializer):
    uom = text(8)
    factor = amount(help_text="How many of the base unit one of this unit is.")

    def validate_factor(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value


class ItemPlantIn(serializers.Serializer):
    plant_code = text(32)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    safety_stock = optional_amount()
    moq = optional_amount()
    order_multiple = optional_amount()


class ApprovedSupplierIn(serializers.Serializer):
    supplier_code = text(32)
    supplier_part_number = optional_text(64)
    priority = serializers.IntegerField(min_value=0, max_value=100_000, default=1)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    moq = optional_amount()


class ItemIn(serializers.Serializer):
    part_number = text(64)
    description = optional_text(300)
    base_uom = text(8, default="EA")
    category = optional_text(64)
    make_or_buy = serializers.ChoiceField(choices=["make", "buy"], default="buy")
    lead_time_days = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    moq = amount(default=Decimal(1))
    order_multiple = amount(default=Decimal(1))
    safety_stock = amount(default=Decimal(0))
    conversions = UomConversionIn(many=True, required=False, default=list)
    plants = ItemPlantIn(many=True, required=False, default=list)
    approved_suppliers = ApprovedSupplierIn(many=True, required=False, default=list)

    def to_input(self, data: dict) -> inputs.ItemInput:
        data = dict(data)
        return inputs.ItemInput(
            conversions=tuple(inputs.UomConversionInput(**c) for c in data.pop("conversions")),
            plants=tuple(inputs.ItemPlantInput(**p) for p in data.pop("plants")),
            approved_suppliers=tuple(inputs.ApprovedSupplierInput(**a) for a in data.pop("approved_suppliers")),
            **data,
        )


class ItemBatchIn(serializers.Serializer):
    company = text(32)
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ omits them.
    items = ItemIn(many=True, min_length=1, max_length=MAX_ITEMS)  # type: ignore[call-arg]

    def validate_items(self, items: list[dict]) -> list[dict]:
        numbers = [item["part_number"] for item in items]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise serializers.ValidationError(f"Part number {twice[0]} is given twice in one batch.")
        return items

    def to_input(self, source_system: str) -> inputs.ItemBatchInput:
        data = self.validated_data
        return inputs.ItemBatchInput(
            company_code=data["company"],
            source_system=source_system,
            items=tuple(ItemIn().to_input(item) for item in data["items"]),
        )


class EffectivityIn(serializers.Serializer):
    plant_code = text(32)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    serial_from = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)
    serial_to = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)

    def validate(self, data: dict) -> dict:
        if data["valid_from"] and data["valid_to"] and data["valid_to"] < data["valid_from"]:
            raise serializers.ValidationError({"valid_to": "Ends before it starts (valid_from)."})
        return data


class BomComponentIn(serializers.Serializer):
    position = text(16)
    part_number = text(64)
    quantity_per = amount()
    uom = optional_text(8)
    scrap_factor = amount(default=Decimal(0), help_text="0.05 is 5 % scrap: quantity × (1 + scrap_factor).")
    phantom = serializers.BooleanField(default=False)
    alternate_group = optional_text(16)
    alternate_priority = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_quantity_per(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value

    def validate(self, data: dict) -> dict:
        if data["valid_from"] and data["valid_to"] and data["valid_to"] < data["valid_from"]:
            raise serializers.ValidationError({"valid_to": "Ends before it starts (valid_from)."})
        return data


class BomReleaseIn(serializers.Serializer):
    company = text(32)
    bom_type = serializers.ChoiceField(choices=["engineering", "manufacturing"])
    release_id = text(80, help_text="The sending system's id of this release; the same id again is a duplicate.")
    parent_part_number = text(64)
    revision = text(16)
    previous_revision = serializers.CharField(
        max_length=16,
        required=False,
        allow_null=True,
        default=None,
        help_text="The revision this one follows; null for the first. A release waits until it is applied.",
    )
    status = serializers.ChoiceField(choices=["engineering_released", "approved_for_production"])
    base_quantity = amount(default=Decimal(1))
    effectivity = EffectivityIn(many=True, required=False, default=list, max_length=200)  # type: ignore[call-arg]
    components = BomComponentIn(many=True, required=False, default=list, max_length=MAX_COMPONENTS)  # type: ignore[call-arg]

    def validate_base_quantity(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("Must be greater than 0.")
        return value

    def validate_components(self, components: list[dict]) -> list[dict]:
        positions = [c["position"] for c in components]
        twice = sorted({p for p in positions if positions.count(p) > 1})
        if twice:
            raise serializers.ValidationError(f"Position {twice[0]} is given twice.")
        return components

    def to_input(self, source_system: str) -> inputs.BomReleaseInput:
        data = dict(self.validated_data)
        return inputs.BomReleaseInput(
            company_code=data.pop("company"),
            source_system=source_system,
            effectivity=tuple(inputs.EffectivityInput(**e) for e in data.pop("effectivity")),
            components=tuple(inputs.BomComponentInput(**c) for c in data.pop("components")),
            **data,
        )


class ItemOutcomeOut(serializers.Serializer):
    part_number = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "refused"])
    reason = serializers.CharField(help_text="Why an item was refused; empty otherwise.")


class ItemBatchResultOut(serializers.Serializer):
    document = serializers.IntegerField(help_text="The stored batch's id.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = ItemOutcomeOut(many=True, help_text="One outcome per item, in the order sent.")


RELEASE_STATES = ["applied", "held", "superseded", "stale", "duplicate", "refused"]


class ReleaseOutcomeOut(serializers.Serializer):
    release = serializers.IntegerField(help_text="The stored release's id (GET /api/v1/system/bom-releases/{id}/).")
    state = serializers.ChoiceField(choices=RELEASE_STATES)
    reason = serializers.CharField(help_text="Why it is held, stale, a duplicate or refused; empty when applied.")
    waits_for = serializers.CharField(help_text="What a held release waits for: a revision, an item or a UoM.")
