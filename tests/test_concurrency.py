"""Two documents for one PO at the same moment, from two connections, on PostgreSQL."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from procurement import factories, inputs
from procurement.models import Acknowledgement, AuditEvent, POLine, ProcurementException
from procurement.services import WriteSource, acknowledgement_record, purchase_order_publish

pytestmark = pytest.mark.postgres


def run_together(*calls):
    """Run each call in its own thread (so its own database connection), released at the same instant."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def po(postgres, settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME")
    plant = factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="BOLTS")
    po = factories.po_input(company="ACME", supplier="BOLTS", plant=plant.code)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    return supplier


def test_two_acknowledgements_at_once_serialise_into_one_consistent_record(po):
    supplier = po
    price = inputs.AcknowledgementInput(
        document_id="A-1",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_CHANGE_PRICE, unit_price=Decimal("12")),),
    )
    date = inputs.AcknowledgementInput(
        document_id="A-2",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(inputs.AckLineInput(line_no="2", response=inputs.LINE_RESCHEDULE, promised_date=dt.date(2027, 3, 20)),),
    )

    results = run_together(
        lambda: acknowledgement_record(supplier=supplier, ack=price, source=WriteSource(channel="api", label="one")),
        lambda: acknowledgement_record(supplier=supplier, ack=date, source=WriteSource(channel="edi", label="two")),
    )

    assert [r.outcome for r in results] == ["applied", "applied"]
    lines = {line.line_no: line for line in POLine.objects.all()}
    # Whichever came first, the record ends the same: no answer overwrote the other.
    assert lines["1"].proposal == {"unit_price": "12"}
    assert lines["1"].ack_status == "changes_proposed"
    assert lines["2"].proposal == {"need_by": "2027-03-20"}
    assert lines["2"].ack_status == "changes_proposed"
    assert lines["3"].ack_status == "accepted"
    assert sorted(ProcurementException.objects.values_list("kind", flat=True)) == ["date_deviation", "price_deviation"]
    assert Acknowledgement.objects.count() == 2
    assert AuditEvent.objects.filter(action="acknowledgement.recorded").count() == 2


def test_the_same_acknowledgement_twice_at_once_has_one_effect(po):
    supplier = po
    ack = inputs.AcknowledgementInput(
        document_id="A-9",
        po_number="PO-1000",
        header=inputs.ACK_ACCEPTED_WITH_CHANGES,
        lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_CHANGE_QTY, quantity=Decimal("80")),),
    )
    source = WriteSource(channel="api", label="supplier")

    results = run_together(
        lambda: acknowledgement_record(supplier=supplier, ack=ack, source=source),
        lambda: acknowledgement_record(supplier=supplier, ack=ack, source=source),
    )

    assert sorted(r.outcome for r in results) == ["applied", "duplicate"]
    assert Acknowledgement.objects.count() == 1
    assert ProcurementException.objects.filter(kind="quantity_deviation").count() == 1
    assert AuditEvent.objects.filter(action="acknowledgement.recorded").count() == 1


def test_control_numbers_taken_at_once_are_unique_and_without_gaps(postgres):
    from django.db import transaction

    from edi.models import TradingPartner
    from edi.outbound import control_numbers_take

    supplier = factories.SupplierFactory(code="EDI1")
    partner = TradingPartner.objects.create(
        supplier=supplier, company=factories.CompanyFactory(), isa_id="EDI1", gs_id="EDI1", folder="edi1"
    )

    def take_ten():
        taken = []
        for _ in range(10):
            with transaction.atomic():
                taken.append(control_numbers_take(partner, {"isa": 1})["isa"])
        return taken

    results = run_together(take_ten, take_ten, take_ten, take_ten)

    numbers = sorted(n for taken in results for n in taken)
    assert numbers == list(range(1, 41))


def test_two_first_admin_invitations_at_once_leave_one_pending(postgres, settings):
    """Two buyers invite a supplier's first admin at the same instant: the supplier row lock lets one
    through and the other sees its pending invitation."""
    from suppliers import services
    from suppliers.models import SupplierInvitation

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    supplier = factories.SupplierFactory(code="BOLTS", name="Bolts Inc")

    def invite(email):
        return lambda: services.invitation_create(
            supplier=supplier,
            email=email,
            role="admin",
            source=WriteSource(channel="workbench", label="buyer"),
            link=lambda token: f"/accept/{token}/",
            first_admin=True,
        )

    results = run_together(invite("one@bolts.example"), invite("two@bolts.example"))

    assert sorted(type(r).__name__ for r in results) == ["PeopleError", "SupplierInvitation"]
    assert SupplierInvitation.objects.filter(state="pending").count() == 1
