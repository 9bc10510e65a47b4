"""The inventory ledger through the system API: events (one or a batch), snapshots, balances, history.

An event batch is read line by line (``materials.inventory_formats``), so one bad event is a
refused line with its reason, not a 400 for the batch: ``InventoryEventBatchIn`` documents the
shape, ``InventoryEventBatchRawIn`` checks only the envelope.
"""

from decimal import Decimal

from rest_framework import serializers

from materials.inputs import (
    INVENTORY_KINDS,
    POSTINGS,
    SNAPSHOT_SCOPES,
    STOCK_STATUSES,
    InventorySnapshotInput,
    InventorySnapshotLineInput,
)
from materials.services.inventory import MAX_EVENTS

from .fields import optional_text, text
from .fields import quantity as amount

EVENT_OUTCOMES = ("applied", "duplicate", "conflict", "refused")
MAX_SNAPSHOT_LINES = 10_000


class InventoryEventIn(serializers.Serializer):
    plant = text(32)
    part_number = text(64)
    kind = serializers.ChoiceField(choices=list(INVENTORY_KINDS))
    quantity = amount(
        help_text="In uom. Positive (the magnitude moved) except: adjustment and reservation signed "
        "(a reservation: + reserves, - releases), count absolute (>= 0)."
    )
    uom = optional_text(8)
    source_event_id = text(128, help_text="The sending system's id of the event: the idempotency key.")
    source_sequence = serializers.IntegerField(min_value=0, help_text="Orders the system's events of a plant and item.")
    occurred_at = serializers.DateTimeField()
    location = optional_text(64)
    to_location = optional_text(64)
    lot = optional_text(64)
    serial = optional_text(64)
    stock_status = serializers.ChoiceField(choices=list(STOCK_STATUSES), default="usable")
    to_status = serializers.ChoiceField(choices=list(STOCK_STATUSES), required=False)
    posting = serializers.ChoiceField(choices=list(POSTINGS), default="physical")


class InventoryEventBatchIn(serializers.Serializer):
    company = text(32)
    events = InventoryEventIn(many=True, min_length=1, max_length=MAX_EVENTS)  # type: ignore[call-arg]


class InventoryEventBatchRawIn(serializers.Serializer):
    """The envelope only: each event is read on its own, with its own outcome."""

    company = text(32)
    events = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=MAX_EVENTS)


def as_batch(data: object) -> object:
    """One event posted on its own (an object with ``source_event_id`` and ``company``) as a batch of one."""
    if isinstance(data, dict) and "events" not in data and "source_event_id" in data:
        event = dict(data)
        return {"company": event.pop("company", None), "events": [event]}
    return data


class EventOutcomeOut(serializers.Serializer):
    line = serializers.IntegerField(help_text="1-based position in the batch, or line number of the file.")
    source_event_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=list(EVENT_OUTCOMES))
    reason = serializers.CharField()


class InventoryEventResultOut(serializers.Serializer):
    document = serializers.IntegerField()
    applied = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    conflict = serializers.IntegerField()
    refused = serializers.IntegerField()
    events = EventOutcomeOut(many=True, help_text="Every event of the batch, in order.")


class InventoryBulkResultOut(serializers.Serializer):
    document = serializers.IntegerField()
    applied = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    conflict = serializers.IntegerField()
    refused = serializers.IntegerField()
    lines = EventOutcomeOut(many=True, help_text="Every line NOT applied, by line number; the others were applied.")


class SnapshotLineIn(serializers.Serializer):
    plant = text(32)
    part_number = text(64)
    quantity = amount(min_value=Decimal(0))
    uom = optional_text(8)
    location = optional_text(64)
    lot = optional_text(64)
    stock_status = serializers.ChoiceField(choices=list(STOCK_STATUSES), default="usable")


class InventorySnapshotIn(serializers.Serializer):
    company = text(32)
    snapshot_id = text(60)
    sequence = serializers.IntegerField(min_value=0, help_text="Where the snapshot falls among the system's events.")
    taken_at = serializers.DateTimeField()
    posting = serializers.ChoiceField(choices=list(POSTINGS), default="physical")
    scope = serializers.ChoiceField(
        choices=list(SNAPSHOT_SCOPES),
        help_text="full: every position of the system at the plants (and locations) covered that the snapshot "
        "does not list is counted as zero, each by an event of its own; partial: positions not listed keep "
        "their balances.",
    )
    plants = serializers.ListField(
        child=text(32),
        required=False,
        max_length=1000,
        help_text="Full snapshots: plants covered besides those the balances name (an empty plant is all zero).",
    )
    locations = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=True),
        required=False,
        max_length=1000,
        help_text='Full snapshots: cover only these locations of the plants ("" is stock without a location).',
    )
    balances = SnapshotLineIn(many=True, max_length=MAX_SNAPSHOT_LINES)  # type: ignore[call-arg]

    def validate(self, attrs: dict) -> dict:
        if attrs["scope"] != "full":
            for name in ("plants", "locations"):
                if attrs.get(name):
                    raise serializers.ValidationError({name: ["Only a full snapshot covers plants or locations."]})
            if not attrs["balances"]:
                raise serializers.ValidationError({"balances": ["A partial snapshot lists at least one balance."]})
        elif not attrs["balances"] and not attrs.get("plants"):
            raise serializers.ValidationError(
                {"plants": ["A full snapshot without balances names the plants it covers."]}
            )
        return attrs

    def to_input(self) -> InventorySnapshotInput:
        data = self.validated_data
        return InventorySnapshotInput(
            snapshot_id=data["snapshot_id"],
            sequence=data["sequence"],
            taken_at=data["taken_at"],
            posting=data["posting"],
            scope=data["scope"],
            plants=tuple(data.get("plants", ())),
            locations=tuple(data.get("locations", ())),
            lines=tuple(
                InventorySnapshotLineInput(
                    plant_code=line["plant"],
                    part_number=line["part_number"],
                    quantity=line["quantity"],
                    uom=line["uom"],
                    location=line["location"],
                    lot=line["lot"],
                    stock_status=line["stock_status"],
                )
                for line in data["balances"]
            ),
        )


class ZeroedPositionOut(serializers.Serializer):
    plant = serializers.CharField()
    part_number = serializers.CharField()
    location = serializers.CharField()
    lot = serializers.CharField()
    stock_status = serializers.CharField()
    source_event_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=list(EVENT_OUTCOMES))
    reason = serializers.CharField()


class InventorySnapshotResultOut(serializers.Serializer):
    document = serializers.IntegerField()
    applied = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    conflict = serializers.IntegerField()
    refused = serializers.IntegerField()
    events = EventOutcomeOut(many=True, help_text="Every balance of the snapshot, in order.")
    zeroed = ZeroedPositionOut(
        many=True, help_text="Full snapshots: each position not listed, counted as zero (not in the counts above)."
    )


class InventoryBalanceOut(serializers.Serializer):
    plant = serializers.CharField()
    part_number = serializers.CharField()
    location = serializers.CharField()
    lot = serializers.CharField()
    stock_status = serializers.CharField()
    source_system = serializers.CharField()
    physical = amount()
    posted = amount()
    reserved = amount(help_text="Set aside for orders by the source's reservation events (included in physical).")
    last_sequence = serializers.IntegerField()


class InventoryEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    plant = serializers.CharField(source="plant.code")
    part_number = serializers.CharField(source="item.part_number")
    kind = serializers.CharField()
    quantity = amount()
    uom = serializers.CharField()
    base_quantity = amount()
    location = serializers.CharField()
    to_location = serializers.CharField()
    lot = serializers.CharField()
    serial = serializers.CharField()
    stock_status = serializers.CharField()
    to_status = serializers.CharField()
    posting = serializers.CharField()
    source_system = serializers.CharField()
    source_event_id = serializers.CharField()
    source_sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    correlation_id = serializers.CharField()
