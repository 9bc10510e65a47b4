"""Who may write for which company, who a write comes from, and one writer at a time per company."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from gateway.actors import Actor, ActorKind
from gateway.correlation import get_correlation_id, new_correlation_id
from procurement.models import Company
from procurement.selectors import company_get_for
from procurement.services import WriteSource

from .errors import NotFound

# The first key of PostgreSQL's two-key advisory locks taken by materials; the second is the company.
BOM_LOCK_CLASS = 0x4D41  # "MA"


def company_for(actor: Actor, code: str) -> Company:
    """The company ``code`` if ``actor`` acts for it; ``NotFound`` otherwise, the same for missing and foreign."""
    company = company_get_for(actor=actor, code=code)
    if company is None:
        raise NotFound(f"company {code!r} is not known", code="unknown_company")
    return company


def write_source(actor: Actor, correlation_id: str) -> WriteSource:
    """The ``WriteSource`` audit rows and exceptions name: the actor's channel, label and person."""
    user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.user_id is not None else None
    return WriteSource(
        channel="system" if actor.kind == ActorKind.SYSTEM else "workbench",
        label=actor.label,
        actor=user,
        correlation_id=correlation_id or get_correlation_id() or new_correlation_id(),
    )


def company_bom_lock(company: Company) -> None:
    """Serialise BOM release writes of one company until the transaction ends.

    A cycle can be formed by two releases that each look fine alone (A gains B while B gains A),
    so the check and the apply must not interleave across parents of a company. SQLite already
    lets one writer at a time in; on PostgreSQL a transaction-scoped advisory lock does it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOM_LOCK_CLASS, company.pk])
