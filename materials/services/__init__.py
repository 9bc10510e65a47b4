"""The write path of materials: items' planning data and BOM releases.

Channels (the system API, the PLM/ERP file drop, the workbench) translate what they receive into
``materials.inputs`` and call these functions; nothing else writes materials' rows.
"""

from .demands import DemandOutcome, DemandsReceived, demands_receive, demands_upsert
from .errors import InvalidAction, NotFound
from .inventory import (
    balances_reproject,
    inventory_events_apply,
    inventory_snapshot_apply,
    inventory_stream_ingest,
)
from .inventory_bulk import inventory_csv_ingest, inventory_json_lines_ingest
from .items import category_conversions_set, items_upsert
from .planned import planned_purchase_order
from .receipt_stock import receipt_inventory_post
from .releases import bom_release_force, bom_release_raw_refuse, bom_release_receive, bom_release_settle
from .requirements import requirements_net_change, requirements_regenerate, requirements_replan
from .results import EventOutcome, ItemOutcome, ReleaseOutcome
from .runs import requirements_run_execute, requirements_run_request, requirements_runs_schedule

__all__ = [
    "DemandOutcome",
    "DemandsReceived",
    "EventOutcome",
    "InvalidAction",
    "ItemOutcome",
    "NotFound",
    "ReleaseOutcome",
    "balances_reproject",
    "bom_release_force",
    "bom_release_raw_refuse",
    "bom_release_receive",
    "bom_release_settle",
    "category_conversions_set",
    "demands_receive",
    "demands_upsert",
    "inventory_csv_ingest",
    "inventory_events_apply",
    "inventory_json_lines_ingest",
    "inventory_snapshot_apply",
    "inventory_stream_ingest",
    "items_upsert",
    "planned_purchase_order",
    "receipt_inventory_post",
    "requirements_net_change",
    "requirements_regenerate",
    "requirements_replan",
    "requirements_run_execute",
    "requirements_run_request",
    "requirements_runs_schedule",
]
