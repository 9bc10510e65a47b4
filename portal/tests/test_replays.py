"""A buyer replays a stored portal form from the documents console: the same form rebuilt for the
same supplier and PO, applied as the person who sent it, once; never another supplier's PO; an
invoice only with a second buyer's approval; an old or orphaned form refused with the reason."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from portal.submit import FORM_KEY, form_store
from portal.views.acknowledge import po_context
from procurement import factories
from procurement.models import (
    Acknowledgement,
    AuditEvent,
    DocumentReplayRequest,
    InboundDocument,
    Invoice,
    POLine,
    PurchaseOrder,
    Shipment,
)
from procurement.services import inbound_document_store, purchase_order_publish
from suppliers.models import SupplierMembership
from workbench.tests.html import text

from .helpers import TOKEN, ack_post, formset, written

pytestmark = pytest.mark.django_db

LINES: dict[str, dict] = {"1": {}, "2": {}, "3": {}}


def replay(client, document: InboundDocument, **data) -> str:
    response = client.post(reverse("workbench:inbound_replay", args=[document.pk]), data, follow=True)
    return text(response.content.decode())


def stored_form(user, supplier, po, document_type: str, data: dict, company) -> InboundDocument:
    """A form as the page stores it before anything reads it (``form_store``), never applied."""
    request = RequestFactory().post("/portal/", data)
    request.user = user
    return form_store(request, supplier, document_type, company=company, form=document_type, **po_context(po))


def audit(document: InboundDocument) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="InboundDocument", object_id=str(document.pk))
        .order_by("id")
        .values_list("action", "actor_label")
    )


@pytest.fixture
def second_buyer(company):
    user = factories.BuyerFactory(username="second-buyer", email="second@acme.example")
    factories.CompanyMembershipFactory(company=company, user=user)
    return user


def test_an_acknowledgement_refused_then_fixed_is_replayed_once_as_its_sender(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp
):
    client.force_login(supplier_user)
    url = f"/portal/orders/{published_po.pk}/acknowledge/"
    # The supplier answers revision 1, which the ERP has not yet sent: refused. Sent again, the same.
    client.post(url, ack_post(LINES, revision=1))
    client.post(url, ack_post(LINES, revision=1, **{FORM_KEY: '{"form": "invoice", "user": 1}'}))
    first, again = InboundDocument.objects.order_by("pk")
    assert [(d.state, d.outcome_code, d.company_id) for d in (first, again)] == [
        ("refused", "stale_revision", company.pk),
        ("refused", "stale_revision", company.pk),
    ]
    # A posted field named like the reserved key is dropped: the page's own context is what is kept.
    with again.open_payload() as payload:
        kept = json.loads(payload.read())[FORM_KEY]
    assert kept == {"form": "acknowledgement", "user": supplier_user.pk, "company_code": "ACME", "po_number": "PO-1000"}
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, revision=1)
    purchase_order_publish(po=po, source=erp)

    client.force_login(buyer)
    replayed = replay(client, first)
    twice = replay(client, first)
    duplicate = replay(client, again)

    first.refresh_from_db()
    again.refresh_from_db()
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.inbound_document_id, ack.po_revision) == (
        "portal",
        f"portal-{TOKEN}",
        first.pk,
        1,
    )
    assert (first.state, again.state) == ("processed", "duplicate")
    assert "Replayed: processed: applied." in replayed
    assert "Replayed: processed: already applied, nothing done again." in twice
    assert "Replayed: duplicate: duplicate." in duplicate
    assert PurchaseOrder.objects.get().status == "confirmed"
    befores = AuditEvent.objects.filter(action="document.replayed", object_id=str(first.pk)).order_by("id")
    assert [event.before for event in befores] == [
        {"state": "refused", "outcome": "stale_revision"},
        {"state": "processed", "outcome": "applied"},
    ]
    assert audit(first) == [("document.replayed", "buyer buyer"), ("document.replayed", "buyer buyer")]
    recorded = AuditEvent.objects.get(action="acknowledgement.recorded")
    assert (recorded.channel, recorded.actor_label, recorded.actor_id) == (
        "portal",
        "user bolts-user (replayed by buyer buyer)",
        supplier_user.pk,
    )


def test_a_form_naming_another_suppliers_po_reaches_nothing(
    client, buyer, published_po, company, other_supplier, other_supplier_user
):
    # A NUTS person's stored form that names BOLTS' PO-1000: looked up among NUTS' orders, not found.
    document = stored_form(
        other_supplier_user, other_supplier, published_po, "acknowledgement", ack_post(LINES), company
    )
    before = written()
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert "PO-1000 is not one of this supplier's orders." in said
    assert document.state == "received"
    assert written() | {"AuditEvent": before["AuditEvent"]} == before
    assert Acknowledgement.objects.count() == 0


@pytest.mark.parametrize("case", ["old", "left"])
def test_a_form_that_cannot_be_rebuilt_or_whose_sender_left_is_refused_with_the_reason(
    client, buyer, published_po, company, supplier, supplier_user, case
):
    if case == "old":  # stored before the portal kept which form and PO it was for
        fields = {key: [value] for key, value in ack_post(LINES).items()}
        document = inbound_document_store(
            channel="portal",
            sender=supplier.code,
            content=json.dumps(fields).encode(),
            supplier=supplier,
            company=company,
            document_type="acknowledgement",
            content_type="application/json",
        )
        why = "This form was stored before the portal kept which form and PO it was for"
    else:
        document = stored_form(supplier_user, supplier, published_po, "acknowledgement", ack_post(LINES), company)
        SupplierMembership.objects.filter(user=supplier_user).update(active=False)
        why = "The person who sent this form no longer acts for the supplier"
    before = written()
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert why in said
    assert (document.state, document.outcome_code) == ("received", "")
    assert written() == before


def test_a_portal_invoice_is_replayed_only_when_a_second_buyer_approves(
    client, buyer, second_buyer, published_po, company, supplier, supplier_user
):
    line = POLine.objects.get(po=published_po, line_no="1")
    data = {"invoice_number": "INV-1", "purpose": "invoice", "invoice_date": "2027-03-10"} | formset(
        "form", [{"line_id": line.pk, "include": "on", "quantity": "40", "unit_price": "10"}]
    )
    document = stored_form(supplier_user, supplier, published_po, "invoice", data, company)
    client.force_login(buyer)

    straight = replay(client, document)
    assert "This document would change financial state" in straight
    replay(client, document, reason="the page timed out")
    request = DocumentReplayRequest.objects.get()
    assert Invoice.objects.count() == 0
    client.force_login(second_buyer)
    approved = client.post(reverse("workbench:replay_approve", args=[request.pk]), follow=True)

    request.refresh_from_db()
    document.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (invoice.channel, invoice.invoice_number, invoice.inbound_document_id) == ("portal", "INV-1", document.pk)
    assert (request.state, document.state) == ("replayed", "processed")
    assert f"Replay approved and run: {request.outcome}." in text(approved.content.decode())
    assert audit(document) == [
        ("document.replay_requested", "buyer buyer"),
        ("document.replayed", "buyer second-buyer"),
    ]


def test_a_stored_ship_notice_is_rebuilt_for_its_ship_to_and_applied_once(
    client, buyer, published_po, company, plant, supplier, supplier_user
):
    line = POLine.objects.get(po=published_po, line_no="1")
    data = {
        "ship_to": str(plant.pk),
        "token": TOKEN,
        "shipment_id": "ASN-100",
        "ship_date": "2027-02-20",
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "action": "submit",
    } | formset("form", [{"line_id": line.pk, "ship": "on", "quantity": "40"}])
    request = RequestFactory().post("/portal/ship-notices/new/", data)
    request.user = supplier_user
    document = form_store(request, supplier, "shipment", company=company, form="shipment", ship_to=plant.pk)
    client.force_login(buyer)

    said = replay(client, document)
    again = replay(client, document)

    document.refresh_from_db()
    shipment = Shipment.objects.get()
    assert (shipment.shipment_id, shipment.channel, shipment.inbound_document_id) == ("ASN-100", "portal", document.pk)
    assert list(shipment.lines.values_list("po_line__line_no", "quantity")) == [("1", Decimal("40"))]
    assert document.state == "processed"
    assert "Replayed: processed: applied." in said
    assert "Replayed: processed: already applied, nothing done again." in again


# CSV uploads ---------------------------------------------------------------------------------------

ACK_HEADER = "po_number,line_no,response,quantity,unit_price,promised_date,deliveries,substitute_part_number,note\r\n"


def csv_applied(client, person, rows: str) -> InboundDocument:
    """``person`` uploads an acknowledgements file and applies it, as the portal's two buttons do."""
    client.force_login(person)
    upload = SimpleUploadedFile("acks.csv", (ACK_HEADER + rows).encode(), "text/csv")
    client.post("/portal/uploads/", {"kind": "acknowledgements", "file": upload})
    document = InboundDocument.objects.order_by("-pk").first()
    assert document is not None
    client.post(f"/portal/uploads/{document.pk}/apply/")
    document.refresh_from_db()
    return document


def acks() -> list[tuple[str, str, str]]:
    return sorted(Acknowledgement.objects.values_list("po__company__code", "po__number", "document_id"))


def test_a_csv_upload_refused_in_part_is_replayed_once_the_po_exists(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp
):
    # The ERP has not sent PO-2000 yet when BOLTS applies its file: that acknowledgement is refused.
    document = csv_applied(client, supplier_user, "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    why = f"PO-2000: PO-2000 is not one of {supplier.name}'s orders"
    assert (document.state, document.outcome_code, document.error, document.company_id) == (
        "refused",
        "partly_refused",
        why,
        company.pk,
    )
    applied = AuditEvent.objects.get(action="upload.applied")
    assert (applied.actor_id, applied.actor_label, applied.after["refused"]) == (
        supplier_user.pk,
        "user bolts-user",
        [why],
    )
    client.force_login(buyer)

    early = replay(client, document)  # before the cause is fixed: refused again, nothing new applied

    document.refresh_from_db()
    assert f"0 applied, 1 already applied; still refused: {why}" in early
    assert (document.state, document.error, document.attempts) == ("refused", why, 2)
    assert acks() == [("ACME", "PO-1000", f"csv-{document.pk}-PO-1000")]

    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, number="PO-2000")
    purchase_order_publish(po=po, source=erp)
    said = replay(client, document)
    document.refresh_from_db()
    before = written()
    twice = replay(client, document)

    assert "Replayed: processed: 1 applied, 1 already applied." in said
    assert "Replayed: processed: already applied, nothing done again." in twice
    assert written() == before | {"AuditEvent": before["AuditEvent"] + 1}  # the second replay's audit, only
    document.refresh_from_db()
    assert (document.state, document.outcome_code, document.error, document.attempts) == (
        "processed",
        "processed",
        "",
        3,
    )
    assert acks() == [
        ("ACME", "PO-1000", f"csv-{document.pk}-PO-1000"),
        ("ACME", "PO-2000", f"csv-{document.pk}-PO-2000"),
    ]
    recorded = AuditEvent.objects.filter(action="acknowledgement.recorded").order_by("id").last()
    assert (recorded.channel, recorded.actor_label, recorded.actor_id) == (
        "portal",
        "user bolts-user (replayed by buyer buyer)",
        supplier_user.pk,
    )
    replayed = AuditEvent.objects.filter(action="document.replayed", object_id=str(document.pk)).order_by("id")
    assert [(e.actor_label, e.before, e.after) for e in replayed] == [
        (
            "buyer buyer",
            {"state": "refused", "outcome": "partly_refused"},
            {
                "state": "refused",
                "outcome": "partly_refused",
                "error": f"0 applied, 1 already applied; still refused: {why}",
            },
        ),
        (
            "buyer buyer",
            {"state": "refused", "outcome": "partly_refused"},
            {"state": "processed", "outcome": "processed", "result": "processed: 1 applied, 1 already applied"},
        ),
        (
            "buyer buyer",
            {"state": "processed", "outcome": "processed"},
            {"state": "processed", "outcome": "processed", "result": "processed: already applied, nothing done again"},
        ),
    ]


def test_a_replayed_upload_reaches_only_its_own_companys_and_suppliers_pos(
    client, supplier_user, other_supplier_user, buyer, published_po, company, plant, supplier, other_supplier, erp
):
    other = factories.CompanyFactory(code="OTHER", name="Other Manufacturing")
    other_plant = factories.PlantFactory(company=other, code="OTP")
    # NUTS also sells to ACME (PO-3000); its file names BOLTS' PO-1000 too, refused as unknown to NUTS.
    nuts_po = factories.po_input(company=company.code, supplier=other_supplier.code, plant=plant.code, number="PO-3000")
    purchase_order_publish(po=nuts_po, source=erp)
    nuts = csv_applied(client, other_supplier_user, "PO-3000,1,ACCEPT,,,,,,\r\nPO-1000,1,ACCEPT,,,,,,\r\n")
    bolts = csv_applied(client, supplier_user, "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    assert [(d.state, d.company_id) for d in (nuts, bolts)] == [("refused", company.pk), ("refused", company.pk)]
    # PO-2000 then comes from OTHER's ERP, not ACME's: the file was applied for ACME, and stays ACME's.
    other_po = factories.po_input(company=other.code, supplier=supplier.code, plant=other_plant.code, number="PO-2000")
    purchase_order_publish(po=other_po, source=erp)
    client.force_login(buyer)

    said_nuts = replay(client, nuts)
    said_bolts = replay(client, bolts)

    assert "still refused: PO-1000: PO-1000 is not one of Nuts Ltd's orders" in said_nuts
    assert "still refused: PO-2000: PO-2000 is not one of Bolts Inc's orders" in said_bolts
    assert acks() == [
        ("ACME", "PO-1000", f"csv-{bolts.pk}-PO-1000"),
        ("ACME", "PO-3000", f"csv-{nuts.pk}-PO-3000"),
    ]
    assert POLine.objects.filter(po__number="PO-2000", ack_response="").count() == 3


def test_an_upload_only_previewed_or_naming_two_companies_is_no_buyers_to_replay(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp
):
    other = factories.CompanyFactory(code="OTHER", name="Other Manufacturing")
    other_plant = factories.PlantFactory(company=other, code="OTP")
    other_po = factories.po_input(company=other.code, supplier=supplier.code, plant=other_plant.code, number="PO-2000")
    purchase_order_publish(po=other_po, source=erp)
    client.force_login(supplier_user)
    file = SimpleUploadedFile("acks.csv", (ACK_HEADER + "PO-1000,1,ACCEPT,,,,,,\r\n").encode(), "text/csv")
    client.post("/portal/uploads/", {"kind": "acknowledgements", "file": file})
    previewed = InboundDocument.objects.get()
    # Both companies' POs in one file: neither company's buyers may read it whole.
    both = csv_applied(client, supplier_user, "PO-1000,2,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    assert [(d.state, d.company_id) for d in (previewed, both)] == [("received", None), ("processed", None)]
    client.force_login(buyer)
    before = written()

    statuses = [client.post(reverse("workbench:inbound_replay", args=[d.pk])).status_code for d in (previewed, both)]

    assert statuses == [404, 404]
    assert written() == before
    # Its outcome is listed for ACME's buyer (BOLTS serves ACME), not the other company's lines in it.
    page = client.get(reverse("workbench:inbound_detail", args=[both.pk])).content.decode()
    assert "The payload is not shown: it could not be placed with one company" in page
    assert "PO-2000" not in page


def test_an_upload_whose_applier_left_is_refused_with_the_reason(
    client, supplier_user, buyer, published_po, company, supplier
):
    document = csv_applied(client, supplier_user, "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    SupplierMembership.objects.filter(user=supplier_user).update(active=False)
    client.force_login(buyer)
    before = written()

    said = replay(client, document)

    document.refresh_from_db()
    assert "The person who sent this upload no longer acts for the supplier" in said
    assert (document.state, document.attempts) == ("refused", 1)
    assert written() == before


def test_an_upload_applied_before_its_audit_was_kept_replays_as_the_person_its_records_name(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp, monkeypatch
):
    # Applied before ``upload.applied`` was written: only the write path's own audit names the person.
    with monkeypatch.context() as old_portal:
        old_portal.setattr("portal.csv_apply.audit_write", lambda events: None)
        document = csv_applied(client, supplier_user, "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    assert (document.state, AuditEvent.objects.filter(action="upload.applied").count()) == ("refused", 0)
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, number="PO-2000")
    purchase_order_publish(po=po, source=erp)
    client.force_login(buyer)

    said = replay(client, document)

    document.refresh_from_db()
    assert "Replayed: processed: 1 applied, 1 already applied." in said
    assert (document.state, document.attempts) == ("processed", 2)
    assert acks() == [
        ("ACME", "PO-1000", f"csv-{document.pk}-PO-1000"),
        ("ACME", "PO-2000", f"csv-{document.pk}-PO-2000"),
    ]
    applied = AuditEvent.objects.get(action="upload.applied")
    assert (applied.actor_id, applied.actor_label) == (supplier_user.pk, "user bolts-user (replayed by buyer buyer)")


def test_an_upload_applied_before_its_audit_was_kept_whose_applier_left_is_refused(
    client, supplier_user, buyer, published_po, company, supplier, monkeypatch
):
    with monkeypatch.context() as old_portal:
        old_portal.setattr("portal.csv_apply.audit_write", lambda events: None)
        document = csv_applied(client, supplier_user, "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n")
    SupplierMembership.objects.filter(user=supplier_user).update(active=False)
    client.force_login(buyer)
    before = written()

    said = replay(client, document)

    document.refresh_from_db()
    assert "The person who sent this upload no longer acts for the supplier" in said
    assert (document.state, document.attempts) == ("refused", 1)
    assert written() == before


SHIP_HEADER = (
    "shipment_id,ship_date,expected_delivery,carrier,tracking_number,po_number,line_no,quantity,uom,sscc,lot,serial\r\n"
)


def test_a_ship_notice_upload_refused_in_part_is_replayed_once(
    client, supplier_user, buyer, published_po, company, plant, supplier, erp
):
    client.force_login(supplier_user)
    rows = "ASN-1,2027-02-20,,UPS,1Z1,PO-1000,1,40,EA,,,\r\nASN-2,2027-02-20,,UPS,1Z2,PO-2000,1,10,EA,,,\r\n"
    upload = SimpleUploadedFile("asn.csv", (SHIP_HEADER + rows).encode(), "text/csv")
    client.post("/portal/uploads/", {"kind": "ship-notices", "file": upload})
    document = InboundDocument.objects.get()
    client.post(f"/portal/uploads/{document.pk}/apply/")
    document.refresh_from_db()
    assert (document.state, document.company_id) == ("refused", company.pk)
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, number="PO-2000")
    purchase_order_publish(po=po, source=erp)
    client.force_login(buyer)

    said = replay(client, document)
    twice = replay(client, document)

    document.refresh_from_db()
    assert "Replayed: processed: 1 applied, 1 already applied." in said
    assert "Replayed: processed: already applied, nothing done again." in twice
    assert (document.state, document.outcome_code, document.attempts) == ("processed", "processed", 2)
    assert sorted(
        Shipment.objects.values_list("shipment_id", "lines__po_line__po__number", "lines__quantity", "channel")
    ) == [("ASN-1", "PO-1000", Decimal("40"), "portal"), ("ASN-2", "PO-2000", Decimal("10"), "portal")]
