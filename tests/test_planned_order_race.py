"""Two buyers press "Create PO" on the same planned purchase at the same moment, on PostgreSQL: one PO
is published, the other is told it is already ordered, and nothing is sent twice."""

import pytest
from django.test import Client

from materials.models import PlannedPurchase
from notifications.models import OutboundMessage
from procurement import factories
from procurement.models import AuditEvent, PurchaseOrder
from tests.test_concurrency import run_together
from workbench.tests.requirement_data import requirements_world

pytestmark = pytest.mark.postgres


def test_two_create_po_clicks_at_once_publish_one_po(postgres, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME", name="Acme Manufacturing")
    requirements_world(company)
    buyers = []
    for name in ("buyer-a", "buyer-b"):
        user = factories.BuyerFactory(username=name, email=f"{name}@acme.example")
        factories.CompanyMembershipFactory(company=company, user=user)
        buyers.append(user)
    planned = PlannedPurchase.objects.get(item__part_number="CAST-210")
    url = f"/workbench/requirements/planned/{planned.pk}/order/"

    def press(user, number):
        def call():
            client = Client()
            client.force_login(user)
            return client.post(url, {"number": number}).status_code

        return call

    results = run_together(press(buyers[0], "PO-RACE-A"), press(buyers[1], "PO-RACE-B"))

    assert results == [302, 302]
    ours = PurchaseOrder.objects.filter(number__startswith="PO-RACE-")
    assert ours.count() == 1
    planned.refresh_from_db()
    assert (planned.state, planned.po_id) == ("ordered", ours.get().pk)
    assert AuditEvent.objects.filter(action="planned_purchase.ordered").count() == 1
    assert OutboundMessage.objects.filter(po__number__startswith="PO-RACE-", event="po.published").count() == 1
