"""Reads scoped to an actor: each persona sees exactly its own tenant's rows, and an unknown actor nothing."""

import pytest

from gateway.actors import Actor, ActorKind
from procurement import factories, selectors
from procurement.models import ProcurementException
from procurement.services import purchase_order_publish
from procurement.services.raising import exception_draft, exception_raise


@pytest.fixture
def globex_po(other_supplier, erp):
    """PO-7000 of another buying company, GLOBEX, from NUTS."""
    globex = factories.CompanyFactory(code="GLOBEX", name="Globex Corporation")
    factories.PlantFactory(company=globex, code="SPR", name="Springfield")
    po = factories.po_input(company="GLOBEX", supplier=other_supplier.code, plant="SPR", number="PO-7000")
    return purchase_order_publish(po=po, source=erp).record


@pytest.fixture
def raised(published_po, globex_po, erp):
    """One open exception on each company's PO."""
    for po in (published_po, globex_po):
        draft = exception_draft(
            company=po.company,
            kind=ProcurementException.Kind.ACK_OVERDUE,
            severity=ProcurementException.Severity.PROCUREMENT_DELAY,
            dedup_key=f"test:{po.number}",
            summary=f"{po.number} overdue",
            evidence={},
            supplier_message="",
            source=erp,
            supplier=po.supplier,
            po=po,
        )
        exception_raise(draft, source=erp)


def numbers(queryset) -> list[str]:
    return sorted(queryset.values_list("number", flat=True))


def exception_pos(queryset) -> list[str]:
    return sorted(queryset.values_list("po__number", flat=True))


def test_a_supplier_person_acts_for_its_supplier(supplier_user, supplier):
    actor = selectors.actor_for_user(supplier_user)

    assert (actor.kind, actor.supplier_id, actor.company_ids, actor.user_id) == (
        ActorKind.SUPPLIER,
        supplier.pk,
        frozenset(),
        supplier_user.pk,
    )
    assert actor.label == "user bolts-user"


def test_a_buyer_acts_for_the_companies_it_belongs_to(buyer, company):
    actor = selectors.actor_for_user(buyer)

    assert (actor.kind, actor.supplier_id, actor.company_ids) == (ActorKind.BUYER, None, frozenset({company.pk}))


def test_staff_of_no_company_and_anonymous_people_act_for_nobody(db):
    from django.contrib.auth.models import AnonymousUser

    staff = factories.BuyerFactory(username="admin-only")
    inactive = factories.SupplierUserFactory(username="gone", is_active=False)

    assert selectors.actor_for_user(staff).kind == ActorKind.NOBODY
    assert selectors.actor_for_user(inactive).kind == ActorKind.NOBODY
    assert selectors.actor_for_user(AnonymousUser()).kind == ActorKind.NOBODY


def test_a_person_of_an_inactive_supplier_acts_for_nobody(supplier_user, supplier):
    supplier.active = False
    supplier.save()

    assert selectors.actor_for_user(supplier_user).kind == ActorKind.NOBODY


def test_each_actor_reads_exactly_its_own_tenants_rows(raised, supplier, other_supplier, company, globex_po):
    bolts = Actor.for_supplier(supplier_id=supplier.pk, label="BOLTS")
    nuts = Actor.for_supplier(supplier_id=other_supplier.pk, label="NUTS")
    acme_buyer = Actor.for_buyer(company_ids={company.pk}, label="ACME buyer", user_id=1)
    globex_erp = Actor.for_system(company_ids={globex_po.company_id}, label="GLOBEX ERP")
    both = Actor.for_buyer(company_ids={company.pk, globex_po.company_id}, label="group buyer", user_id=2)

    assert numbers(selectors.purchase_orders_for(actor=bolts)) == ["PO-1000"]
    assert numbers(selectors.purchase_orders_for(actor=nuts)) == ["PO-7000"]
    assert numbers(selectors.purchase_orders_for(actor=acme_buyer)) == ["PO-1000"]
    assert numbers(selectors.purchase_orders_for(actor=globex_erp)) == ["PO-7000"]
    assert numbers(selectors.purchase_orders_for(actor=both)) == ["PO-1000", "PO-7000"]
    assert exception_pos(selectors.exceptions_for(actor=acme_buyer)) == ["PO-1000"]
    assert exception_pos(selectors.exceptions_for(actor=globex_erp)) == ["PO-7000"]
    assert exception_pos(selectors.exceptions_for(actor=nuts)) == ["PO-7000"]
    assert selectors.company_get_for(actor=acme_buyer, code="ACME") == company
    assert selectors.company_get_for(actor=globex_erp, code="ACME") is None
    assert selectors.company_get_for(actor=bolts, code="ACME") is None


@pytest.mark.parametrize(
    "actor",
    [
        Actor.nobody(),
        Actor.for_system(company_ids=set(), label="a system key of no company"),
        Actor.for_buyer(company_ids=set(), label="a buyer of no company", user_id=3),
        Actor(ActorKind.SUPPLIER, "a supplier actor without a supplier"),
    ],
    ids=["nobody", "system-of-no-company", "buyer-of-no-company", "supplier-of-no-supplier"],
)
def test_an_actor_the_selectors_do_not_know_sees_nothing(raised, actor, published_po):
    assert selectors.purchase_orders_for(actor=actor).count() == 0
    assert selectors.purchase_order_revisions_for(actor=actor, po_id=published_po.pk).count() == 0
    assert selectors.exceptions_for(actor=actor).count() == 0
    assert selectors.invoices_for(actor=actor).count() == 0
    assert selectors.inbound_documents_for(actor=actor).count() == 0
    assert selectors.company_get_for(actor=actor, code="ACME") is None


def test_a_suppliers_document_belongs_to_the_company_it_was_applied_to(published_po, supplier, company, erp):
    """GLOBEX buys from BOLTS too, yet BOLTS's acknowledgement of ACME's PO is ACME's alone."""
    from procurement.services import acknowledgement_record, inbound_document_apply, inbound_document_store
    from procurement.tests import helpers as h

    globex = factories.CompanyFactory(code="GLOBEX")
    factories.PlantFactory(company=globex, code="SPR")
    purchase_order_publish(
        po=factories.po_input(company="GLOBEX", supplier=supplier.code, plant="SPR", number="PO-7000"), source=erp
    )
    stored = inbound_document_store(channel="api", sender="BOLTS", content=b"{}", supplier=supplier)
    unplaced = inbound_document_store(channel="api", sender="BOLTS", content=b"[", supplier=supplier)
    ack = h.ack("ACK-SEL", h.answer("1"))
    inbound_document_apply(
        document=stored,
        label="BOLTS",
        apply=lambda source: acknowledgement_record(supplier=supplier, ack=ack, source=source),
    )
    acme_buyer = Actor.for_buyer(company_ids={company.pk}, label="ACME buyer", user_id=1)
    globex_erp = Actor.for_system(company_ids={globex.pk}, label="GLOBEX ERP")
    bolts = Actor.for_supplier(supplier_id=supplier.pk, label="BOLTS")

    assert sorted(selectors.inbound_documents_for(actor=acme_buyer).values_list("pk", flat=True)) == [
        stored.pk,
        unplaced.pk,
    ]
    # GLOBEX buys from BOLTS: it sees the body nobody could place, not the one applied to ACME's PO.
    assert list(selectors.inbound_documents_for(actor=globex_erp).values_list("pk", flat=True)) == [unplaced.pk]
    assert sorted(selectors.inbound_documents_for(actor=bolts).values_list("pk", flat=True)) == [
        stored.pk,
        unplaced.pk,
    ]


def test_a_body_placed_with_no_company_is_seen_by_the_buyers_its_supplier_serves_only(
    published_po, supplier, other_supplier, company, erp
):
    """A refused body names no PO: the buyers of BOLTS's companies see it; INITECH, which buys only
    from NUTS, sees neither it nor NUTS's own unplaced body unless it orders from NUTS."""
    from procurement.services import inbound_document_store

    initech = factories.CompanyFactory(code="INITECH")
    factories.PlantFactory(company=initech, code="AUS")
    purchase_order_publish(
        po=factories.po_input(company="INITECH", supplier=other_supplier.code, plant="AUS", number="PO-9000"),
        source=erp,
    )
    bolts_body = inbound_document_store(channel="api", sender="BOLTS", content=b"[", supplier=supplier)
    nuts_body = inbound_document_store(channel="api", sender="NUTS", content=b"\x00", supplier=other_supplier)
    nobodys = inbound_document_store(channel="api", sender="someone", content=b"{")
    acme_buyer = Actor.for_buyer(company_ids={company.pk}, label="ACME buyer", user_id=1)
    initech_buyer = Actor.for_buyer(company_ids={initech.pk}, label="INITECH buyer", user_id=2)
    both = Actor.for_buyer(company_ids={company.pk, initech.pk}, label="buyer of both", user_id=3)

    assert list(selectors.inbound_documents_for(actor=acme_buyer).values_list("pk", flat=True)) == [bolts_body.pk]
    assert list(selectors.inbound_documents_for(actor=initech_buyer).values_list("pk", flat=True)) == [nuts_body.pk]
    assert list(selectors.inbound_documents_for(actor=both).values_list("pk", flat=True)) == [
        nuts_body.pk,
        bolts_body.pk,
    ]
    assert nobodys.pk not in selectors.inbound_documents_for(actor=both).values_list("pk", flat=True)
