"""Materials from the buyer's PLM and ERP: item masters in batches, BOM releases one at a time, and how a
BOM, its where-used list and its release history show."""

import datetime as dt
from decimal import Decimal

from rest_framework import serializers

from materials import inputs
from materials.models import BomComponent, BomRelease, BomReleaseEffectivity
from materials.selectors import BomTree, ReleaseDiff

from .fields import optional_text, quantity, text

# Items per POST of /api/v1/system/items/; a larger master is sent in several batches.
MAX_ITEMS = 1000
MAX_COMPONENTS = 2000


def amount(**kwargs) -> serializers.DecimalField:
    """A quantity (per, base, MOQ, stock): up to 10^12, four decimal places, as the record keeps it."""
    return quantity(min_value=Decimal("0"), **kwargs)


def factor(**kwargs) -> serializers.DecimalField:
    """A conversion factor or scrap factor: six decimal places, as the record keeps it."""
    return serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0"), **kwargs)


def optional_amount() -> serializers.DecimalField:
    return amount(required=False, allow_null=True, default=None)


class UomConversionIn(serializers.Serializer):
    uom = text(8)
    factor = factor(help_text="How many of the base unit one of this unit is.")

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
    max_lot = optional_amount()
    inspection_days = serializers.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        allow_null=True,
        help_text="Days stock stays in quality inspection at this plant; empty: the item's.",
    )


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
    max_lot = optional_amount()
    inspection_days = serializers.IntegerField(
        min_value=0, max_value=100_000, default=0, help_text="Days stock stays in quality inspection."
    )
    conversions = UomConversionIn(many=True, required=False, default=list)
    plants = ItemPlantIn(many=True, required=False, default=list)
    approved_suppliers = ApprovedSupplierIn(many=True, required=False, default=list)


def _item_input(validated: dict) -> inputs.ItemInput:
    data = dict(validated)
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
            items=tuple(_item_input(item) for item in data["items"]),
        )


class EffectivityIn(serializers.Serializer):
    plant_code = text(32)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    serial_from = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)
    serial_to = serializers.CharField(max_length=64, required=False, allow_null=True, default=None)

    def validate(self, data: dict) -> dict:
        if data["valid_from"] and data["valid_to"] and data["valid_to"] < data["valid_from"]:
            raise serializers.ValidationError({"valid_to": "Ends before it starts (valid_from)."})
        return data


class BomComponentIn(serializers.Serializer):
    position = text(32)
    part_number = text(64)
    quantity_per = amount()
    uom = optional_text(8)
    scrap_factor = factor(default=Decimal(0), help_text="0.05 is 5 % scrap: quantity × (1 + scrap_factor).")
    phantom = serializers.BooleanField(default=False)
    alternate_group = optional_text(32)
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
    release_id = text(120, help_text="The sending system's id of this release; the same id again is a duplicate.")
    parent_part_number = text(64)
    revision = text(40)
    previous_revision = serializers.CharField(
        max_length=40,
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


ITEM_OUTCOMES = ("created", "updated", "unchanged", "refused")


class ItemOutcomeOut(serializers.Serializer):
    part_number = serializers.CharField()
    outcome = serializers.ChoiceField(choices=ITEM_OUTCOMES)
    reason = serializers.CharField(help_text="Why an item was refused; empty otherwise.")


class ItemBatchResultOut(serializers.Serializer):
    document = serializers.IntegerField(help_text="The stored batch's id.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = ItemOutcomeOut(many=True, help_text="One outcome per item, in the order sent.")


RELEASE_STATES = [state for state in BomRelease.State.values if state != BomRelease.State.RECEIVED]


class ReleaseOutcomeOut(serializers.Serializer):
    release = serializers.IntegerField(help_text="The stored release's id (GET /api/v1/system/bom-releases/{id}/).")
    state = serializers.ChoiceField(choices=RELEASE_STATES)
    reason = serializers.CharField(help_text="Why it is held, stale, a duplicate or refused; empty when applied.")
    waits_for = serializers.CharField(help_text="The revision a held release waits for; empty otherwise.")


class BomReleaseOut(serializers.ModelSerializer):
    reason = serializers.CharField(source="state_reason")
    waits_for_items = serializers.ListField(
        child=serializers.CharField(), help_text="Part numbers whose item or unit conversion a held release waits for."
    )

    class Meta:
        model = BomRelease
        fields = [
            "id", "release_id", "source_system", "bom_type", "parent_part_number", "revision", "previous_revision",
            "status", "state", "reason", "waits_for", "waits_for_items", "duplicate_of", "forced_by", "sha256",
            "correlation_id", "received_at", "applied_at",
        ]  # fmt: skip


class EffectivityOut(serializers.ModelSerializer):
    class Meta:
        model = BomReleaseEffectivity
        fields = ["plant_code", "valid_from", "valid_to", "serial_from", "serial_to"]


class BomComponentOut(serializers.ModelSerializer):
    class Meta:
        model = BomComponent
        fields = [
            "position", "part_number", "quantity_per", "uom", "scrap_factor", "phantom", "alternate_group",
            "alternate_priority", "valid_from", "valid_to",
        ]  # fmt: skip


class ComponentChangeOut(serializers.Serializer):
    position = serializers.CharField()
    part_number = serializers.CharField()
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_null=True)),
        help_text="Each field that differs: [before, after].",
    )


class ReleaseDiffOut(serializers.Serializer):
    against = serializers.IntegerField(allow_null=True, help_text="The release compared with; null for a first one.")
    against_revision = serializers.CharField()
    added = serializers.ListField(child=serializers.DictField())
    removed = serializers.ListField(child=serializers.DictField())
    changed = ComponentChangeOut(many=True)


class BomReleaseDetailOut(BomReleaseOut):
    effectivity = EffectivityOut(many=True)
    components = BomComponentOut(many=True)
    diff = ReleaseDiffOut(help_text="What this release changes from the revision it follows.")

    class Meta(BomReleaseOut.Meta):
        fields = [*BomReleaseOut.Meta.fields, "base_quantity", "effectivity", "components", "diff"]


def _plain(value: object) -> object:
    """A diff's value as JSON shows it: decimals and dates as text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    return str(value)


def bom_release_detail_out(release: BomRelease, diff: ReleaseDiff) -> dict:
    body = dict(BomReleaseOut(release).data)
    body["base_quantity"] = f"{release.base_quantity:f}"
    body["effectivity"] = EffectivityOut(release.effectivity.order_by("id"), many=True).data
    body["components"] = BomComponentOut(release.components.order_by("id"), many=True).data
    body["diff"] = {
        "against": diff.against_pk,
        "against_revision": diff.against_revision,
        "added": [{k: _plain(v) for k, v in row.items()} for row in diff.added],
        "removed": [{k: _plain(v) for k, v in row.items()} for row in diff.removed],
        "changed": [
            {
                "position": change.position,
                "part_number": change.part_number,
                "changes": {name: [_plain(a), _plain(b)] for name, (a, b) in change.changes.items()},
            }
            for change in diff.changed
        ],
    }
    return body


class BomRowOut(serializers.Serializer):
    level = serializers.IntegerField(help_text="1: a component of the root; 2: of that component; …")
    position = serializers.CharField()
    part_number = serializers.CharField()
    description = serializers.CharField()
    quantity_per = serializers.DecimalField(max_digits=18, decimal_places=4)
    uom = serializers.CharField()
    extended_quantity = serializers.DecimalField(
        max_digits=24, decimal_places=6, help_text="Per one of the root, through every level above, scrap included."
    )
    scrap_factor = serializers.DecimalField(max_digits=18, decimal_places=6)
    phantom = serializers.BooleanField()
    alternate_group = serializers.CharField()
    alternate_priority = serializers.IntegerField()
    is_alternate = serializers.BooleanField(help_text="An alternate listed under its primary (priority 0).")
    revision = serializers.CharField(help_text="The revision of the assembly this row belongs to.")


class BomOut(serializers.Serializer):
    part_number = serializers.CharField()
    revision = serializers.CharField()
    plant = serializers.CharField()
    on = serializers.DateField()
    type = serializers.ChoiceField(choices=inputs.BOM_TYPES)
    rows = BomRowOut(many=True, help_text="Depth first, each assembly's components in position order.")


def bom_out(tree: BomTree, *, plant: str, on: dt.date, bom_type: str) -> dict:
    return BomOut(
        {
            "part_number": tree.root,
            "revision": tree.revision,
            "plant": plant,
            "on": on,
            "type": bom_type,
            "rows": tree.rows,
        }
    ).data


class WhereUsedOut(serializers.Serializer):
    parent_part_number = serializers.CharField()
    revision = serializers.CharField()
    plant_code = serializers.CharField(help_text="Empty: the revision is in effect at every plant.")
    quantity_per = serializers.DecimalField(max_digits=18, decimal_places=4)
    level = serializers.IntegerField(help_text="1: uses the item directly; 2: through one assembly; …")
    component_part_number = serializers.CharField(
        help_text="What the parent uses: the item itself at level 1, the assembly it goes into higher up."
    )
