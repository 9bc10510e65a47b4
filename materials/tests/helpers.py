"""Building items and BOM releases for ACME in one line each."""

import datetime as dt
from decimal import Decimal

from materials import inputs
from materials.services import bom_release_receive, items_upsert


def items(actor, *parts, **by_part):
    """Upsert items ``parts`` (EA) and ``by_part`` (part → ItemInput kwargs) for ACME."""
    batch = [inputs.ItemInput(part_number=p, description=f"part {p}") for p in parts]
    batch += [inputs.ItemInput(part_number=p, **kwargs) for p, kwargs in by_part.items()]
    return items_upsert(actor=actor, batch=inputs.ItemBatchInput("ACME", "ERP", tuple(batch)))


def line(position, part, quantity="1", **kwargs):
    return inputs.BomComponentInput(position=position, part_number=part, quantity_per=Decimal(quantity), **kwargs)


def release(parent, revision, previous, components, *, plants=(), bom_type="manufacturing", release_id=None, **kwargs):
    """A release of ``parent`` at ``revision`` following ``previous``; ``plants`` are EffectivityInputs or codes."""
    windows = tuple(p if isinstance(p, inputs.EffectivityInput) else inputs.EffectivityInput(p) for p in plants)
    return inputs.BomReleaseInput(
        company_code="ACME",
        source_system="PLM" if bom_type == "engineering" else "ERP",
        bom_type=bom_type,
        release_id=release_id or f"{parent}-{revision}-{bom_type[:3]}",
        parent_part_number=parent,
        revision=revision,
        previous_revision=previous,
        status="approved_for_production" if bom_type == "manufacturing" else "engineering_released",
        effectivity=windows,
        components=tuple(components),
        **kwargs,
    )


def receive(actor, rel, raw=None):
    return bom_release_receive(actor=actor, release=rel, raw=raw or repr(rel).encode(), correlation_id="corr-bom-1")


def window(plant, start=None, end=None):
    return inputs.EffectivityInput(plant, valid_from=start, valid_to=end)


D = dt.date
