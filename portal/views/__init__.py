from .home import home, switch_supplier
from .orders import inbox, order_detail
from .people import invitation_accept, invitation_revoke, invite, membership_update, people

__all__ = [
    "home",
    "inbox",
    "invitation_accept",
    "invitation_revoke",
    "invite",
    "membership_update",
    "order_detail",
    "people",
    "switch_supplier",
]
