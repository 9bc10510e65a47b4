from .home import home, sign_in, sign_out, start
from .materials import bom_tree, held_list, release_detail, release_force, release_list, where_used
from .suppliers import supplier_invitations

__all__ = [
    "bom_tree",
    "held_list",
    "home",
    "release_detail",
    "release_force",
    "release_list",
    "sign_in",
    "sign_out",
    "start",
    "supplier_invitations",
    "where_used",
]
