from .home import home, sign_in, sign_out, start
from .inventory import inventory_item, inventory_list, reconciliation_start, variance_list
from .materials import bom_tree, held_list, release_detail, release_force, release_list, where_used

__all__ = [
    "bom_tree",
    "held_list",
    "home",
    "inventory_item",
    "inventory_list",
    "reconciliation_start",
    "release_detail",
    "release_force",
    "release_list",
    "sign_in",
    "sign_out",
    "start",
    "variance_list",
    "where_used",
]
