"""Who is asking: one ``Actor`` per request or task, built once and handed to every selector.

An actor is plain values (ids and a label), so every floor of the house can take one without
importing the models it was built from. The channels build them — ``api`` from an API key, the
pages from the signed-in person, ``edi`` from a trading partner — and the selectors of the domain
apps turn them into filters. An actor a selector does not know sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    SUPPLIER = "supplier"  # a supplier's person or its integration's API key: that supplier's rows only
    BUYER = "buyer"  # a buyer or planner of one or more companies: those companies' rows
    SYSTEM = "system"  # one of a company's systems (ERP, WMS, MES, PLM) or the gateway's own scheduler
    NOBODY = "nobody"  # anonymous, or signed in but acting for no supplier and no company


@dataclass(frozen=True)
class Actor:
    """Whose rows a read may return.

    ``supplier_id`` is set for supplier actors, ``company_ids`` for buyers and systems. ``user_id``
    is the person behind it, if any; ``label`` names the actor in audit trails and logs.
    """

    kind: ActorKind
    label: str
    supplier_id: int | None = None
    company_ids: frozenset[int] = frozenset()
    user_id: int | None = None

    @classmethod
    def for_supplier(cls, *, supplier_id: int, label: str, user_id: int | None = None) -> Actor:
        return cls(ActorKind.SUPPLIER, label, supplier_id=supplier_id, user_id=user_id)

    @classmethod
    def for_buyer(cls, *, company_ids: frozenset[int] | set[int], label: str, user_id: int) -> Actor:
        return cls(ActorKind.BUYER, label, company_ids=frozenset(company_ids), user_id=user_id)

    @classmethod
    def for_system(cls, *, company_ids: frozenset[int] | set[int], label: str) -> Actor:
        return cls(ActorKind.SYSTEM, label, company_ids=frozenset(company_ids))

    @classmethod
    def nobody(cls, label: str = "anonymous") -> Actor:
        return cls(ActorKind.NOBODY, label)

    @property
    def is_supplier(self) -> bool:
        return self.kind == ActorKind.SUPPLIER and self.supplier_id is not None

    @property
    def is_buyer_side(self) -> bool:
        """A buyer or one of the buying company's systems, acting for at least one company."""
        return self.kind in (ActorKind.BUYER, ActorKind.SYSTEM) and bool(self.company_ids)

    def acts_for_company(self, company_id: int | None) -> bool:
        return self.is_buyer_side and company_id in self.company_ids
