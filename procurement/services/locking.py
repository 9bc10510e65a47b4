"""Row locks on purchase orders, taken the same way by every write so two writers never deadlock.

A write that touches a PO locks its row (``select_for_update`` on the PO, with its lines) before it
reads anything it will decide on; two documents for the same PO then run one after the other.
"""

from __future__ import annotations

from django.db.models import QuerySet

from procurement.models import POLine


def lock_po_lines(query: QuerySet[POLine]) -> list[POLine]:
    """Lines with their PO, company and buyer, locking the PO rows in one query, in a fixed order.

    The fixed order (PO, then line) keeps two documents touching the same POs from deadlocking.
    """
    return list(lock_po_lines_query(query))


def lock_po_lines_query(query: QuerySet[POLine]) -> QuerySet[POLine]:
    """``lock_po_lines``'s query, not yet run (for ``compiled.fetch``)."""
    return (
        query.select_related("po", "po__company", "po__buyer", "item")
        .select_for_update(of=("self", "po"))
        .order_by("po_id", "id")
    )


def lock_po_for_revision(query: QuerySet[POLine]) -> list[POLine]:
    """Every line of one PO with all the PO itself needs to be issued again (supplier, ship-to, buyer), locked.

    Used where a new revision is built from the PO as it stands: ``query`` names one PO. The lock is
    taken as in ``lock_po_lines`` (PO row and lines, lines in id order).
    """
    return list(
        query.select_related("po", "po__company", "po__supplier", "po__ship_to", "po__buyer", "item")
        .select_for_update(of=("self", "po"))
        .order_by("id")
    )
