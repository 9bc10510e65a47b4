from .documents import (
    document_list,
    inbound_detail,
    inbound_replay,
    outbound_detail,
    outbound_resend,
    replay_approve,
)
from .home import home, sign_in, sign_out, start
from .inventory import inventory_item, inventory_list, reconciliation_start, variance_list
from .kpis import kpi_csv, kpi_dashboard, scorecard
from .materials import bom_tree, held_list, release_detail, release_force, release_list, where_used
from .suppliers import supplier_invitations

__all__ = [
    "bom_tree",
    "document_list",
    "held_list",
    "home",
    "inbound_detail",
    "inbound_replay",
    "inventory_item",
    "inventory_list",
    "kpi_csv",
    "kpi_dashboard",
    "outbound_detail",
    "outbound_resend",
    "reconciliation_start",
    "release_detail",
    "release_force",
    "release_list",
    "replay_approve",
    "scorecard",
    "sign_in",
    "sign_out",
    "start",
    "supplier_invitations",
    "variance_list",
    "where_used",
]
