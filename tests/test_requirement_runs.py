"""Full regenerations with real components: two requests at the same moment on PostgreSQL, and a run
asked for through the system API and carried out by a real Celery worker."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from api.models import ApiKey
from gateway.actors import Actor
from materials import inputs
from materials.models import PlannedPurchase, ProjectionRow, RequirementRun
from materials.services import (
    bom_release_receive,
    demands_upsert,
    items_upsert,
    requirements_regenerate,
    requirements_run_request,
)
from procurement import factories

from .conftest import wait_for
from .test_concurrency import run_together


def pump_company():
    """ACME builds PUMP at Detroit from 4 BOLT (BOLTS, 7 days, MOQ 100); MO-1 needs 10 pumps on 10 March."""
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    factories.SupplierFactory(code="BOLTS")
    erp = Actor.for_system(company_ids={company.pk}, label="system ERP")
    bolt = inputs.ItemInput(
        part_number="BOLT",
        moq=Decimal(100),
        approved_suppliers=(inputs.ApprovedSupplierInput("BOLTS", lead_time_days=7),),
    )
    pump = inputs.ItemInput(part_number="PUMP", make_or_buy="make")
    items_upsert(actor=erp, batch=inputs.ItemBatchInput("ACME", "ERP", (pump, bolt)))
    release = inputs.BomReleaseInput(
        company_code="ACME",
        source_system="ERP",
        bom_type="manufacturing",
        release_id="PUMP-A",
        parent_part_number="PUMP",
        revision="A",
        previous_revision=None,
        status="approved_for_production",
        effectivity=(inputs.EffectivityInput("DET"),),
        components=(inputs.BomComponentInput(position="10", part_number="BOLT", quantity_per=Decimal(4)),),
    )
    bom_release_receive(actor=erp, release=release, raw=b"PUMP-A", correlation_id="corr-pump")
    demand = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(10), dt.date(2027, 3, 10))
    demands_upsert(actor=erp, batch=inputs.DemandBatchInput("ACME", "ERP", (demand,)))
    return company


@pytest.mark.postgres
def test_two_requests_at_the_same_moment_queue_one_run(postgres, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = pump_company()

    answers = run_together(
        lambda: requirements_run_request(company=company, requested_by="API key ERP"),
        lambda: requirements_run_request(company=company, requested_by="nightly schedule"),
    )

    (first, first_created), (second, second_created) = answers
    assert sorted([first_created, second_created]) == [False, True]
    assert first.pk == second.pk
    assert list(RequirementRun.objects.values_list("mode", "state")) == [("full", "queued")]


@pytest.mark.worker
def test_a_run_asked_for_through_the_api_is_carried_out_by_the_worker(worker):
    company = pump_company()
    client = APIClient()
    secret = ApiKey.issue(kind="system", system_name="ERP", company=company, name="ERP planner", scope="write")[1]
    headers = {"Authorization": f"Bearer {secret}"}

    def ask():
        return client.post("/api/v1/system/requirement-runs/", headers=headers | {"Idempotency-Key": str(uuid.uuid4())})

    queued = ask()
    assert queued.status_code in (200, 202), queued.content
    run_id = queued.json()["id"]

    def finished():
        body = client.get(f"/api/v1/system/requirement-runs/{run_id}/", headers=headers).json()
        return body if body["state"] in ("done", "failed") else None

    body = wait_for(finished, timeout=60)
    assert body is not None, RequirementRun.objects.values("state", "error").get(pk=run_id)
    assert (body["state"], body["error"], body["counts"]) == (
        "done",
        "",
        {"item_locations": 2, "projection_rows": 1, "planned_purchases": 1, "shortages": 1},
    )
    assert list(PlannedPurchase.objects.values_list("run_id", "item__part_number", "quantity")) == [
        (run_id, "BOLT", Decimal("100.0000"))
    ]
    again = ask()
    assert (again.status_code, again.json()["state"]) == (202, "queued")


@pytest.mark.postgres
def test_a_net_change_rewrites_only_the_projection_rows_a_moved_date_changes(postgres, settings):
    """BOLT: 50 on PO-1 due 5 March, 40 for MO-1 on 10 March, 5 for SP-1 on 20 April. The supplier
    moves PO-1 to 25 March: the rows of 5 March (gone), 10 and 25 March change; 20 April does not, and
    keeps the full run that wrote it."""
    from procurement import inputs as p_inputs
    from procurement.services import WriteSource, acknowledgement_record, purchase_order_publish
    from suppliers.models import Supplier

    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = pump_company()
    erp = Actor.for_system(company_ids={company.pk}, label="system ERP")
    spare = inputs.DemandInput("SP-1", "independent", "BOLT", "DET", Decimal(5), dt.date(2027, 4, 20))
    demands_upsert(actor=erp, batch=inputs.DemandBatchInput("ACME", "ERP", (spare,)))
    purchase_order_publish(
        po=p_inputs.PurchaseOrderInput(
            company="ACME",
            number="PO-1",
            supplier="BOLTS",
            ship_to="DET",
            currency="USD",
            order_date=dt.date(2027, 2, 1),
            lines=(p_inputs.POLineInput("1", "BOLT", Decimal(50), "EA", Decimal("1.00"), dt.date(2027, 3, 5)),),
        ),
        source=WriteSource(channel="system", label="system ERP", correlation_id="corr-po"),
    )
    full = requirements_regenerate(company=company, today=dt.date(2027, 3, 1))

    def bolt_rows():
        return list(
            ProjectionRow.objects.filter(item__part_number="BOLT")
            .order_by("date")
            .values_list("date", "receipts", "demand", "projected", "run_id")
        )

    assert bolt_rows() == [
        (dt.date(2027, 3, 5), Decimal(50), Decimal(0), Decimal(50), full.pk),
        (dt.date(2027, 3, 10), Decimal(0), Decimal(40), Decimal(10), full.pk),
        (dt.date(2027, 4, 20), Decimal(0), Decimal(5), Decimal(5), full.pk),
    ]

    acknowledgement_record(
        supplier=Supplier.objects.get(code="BOLTS"),
        ack=p_inputs.AcknowledgementInput(
            document_id="ACK-1",
            po_number="PO-1",
            header=p_inputs.ACK_ACCEPTED_WITH_CHANGES,
            lines=(p_inputs.AckLineInput("1", p_inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 25)),),
        ),
        source=WriteSource(channel="api", label="supplier BOLTS", correlation_id="corr-ack"),
    )
    net = RequirementRun.objects.latest("pk")
    assert net.mode == RequirementRun.Mode.NET_CHANGE
    assert bolt_rows() == [
        (dt.date(2027, 3, 10), Decimal(0), Decimal(40), Decimal(-40), net.pk),
        (dt.date(2027, 3, 25), Decimal(50), Decimal(0), Decimal(10), net.pk),
        (dt.date(2027, 4, 20), Decimal(0), Decimal(5), Decimal(5), full.pk),
    ]
