"""A buyer presses "Create PO" on a planned purchase (which re-plans its item at once) while a stock
event re-plans the same item, on PostgreSQL: both finish; neither is killed as a deadlock."""

import threading
import time

import pytest
from django.db import transaction

from gateway.actors import Actor
from materials.models import PlannedPurchase
from materials.services import planned as planned_service
from materials.services import requirements
from procurement import factories
from procurement.models import Company
from tests.test_concurrency import run_together
from workbench.tests.requirement_data import requirements_world

pytestmark = pytest.mark.postgres


def test_create_po_and_a_net_change_of_the_same_item_do_not_deadlock(postgres, settings, monkeypatch):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME", name="Acme Manufacturing")
    requirements_world(company)
    user = factories.BuyerFactory(username="buyer-a", email="a@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    planned = PlannedPurchase.objects.get(item__part_number="CAST-210")
    keys = {(planned.plant_id, planned.item_id)}
    row_locked, net_change_started = threading.Event(), threading.Event()
    publish = planned_service.purchase_order_publish

    def slow_publish(**kwargs):
        row_locked.set()  # the planned purchase's row is locked by now
        net_change_started.wait(10)
        time.sleep(1.5)  # the net change deletes its pegs and shortages, then waits on the planned row
        return publish(**kwargs)

    monkeypatch.setattr(planned_service, "purchase_order_publish", slow_publish)

    def order():
        actor = Actor.for_buyer(company_ids={company.pk}, label="buyer-a", user_id=user.pk)
        return planned_service.planned_purchase_order(
            actor=actor, company_code="ACME", planned_pk=planned.pk, number="PO-DL-1"
        )

    def net_change():
        row_locked.wait(10)
        net_change_started.set()
        with transaction.atomic():
            return requirements.requirements_net_change(
                company=Company.objects.get(code="ACME"), keys=keys, reason="stock changed"
            )

    results = run_together(order, net_change)

    assert [type(r).__name__ for r in results] == ["PlannedOrdered", "RequirementRun"], results
    planned.refresh_from_db()
    assert (planned.state, planned.po.number) == (PlannedPurchase.State.ORDERED, "PO-DL-1")
