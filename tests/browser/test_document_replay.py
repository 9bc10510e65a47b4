"""A buyer replays a supplier's CSV upload, applied in part, from the documents console in a real
browser once the missing PO exists: the page says what the replay did, the document shows
processed, and its timeline shows the change; nothing is blocked or failing on the page."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from procurement import factories
from procurement.models import InboundDocument
from procurement.services import purchase_order_publish
from tests.browser.conftest import sign_in

ACK_HEADER = "po_number,line_no,response,quantity,unit_price,promised_date,deliveries,substitute_part_number,note\r\n"


def test_a_buyer_replays_an_upload_applied_in_part(page, buyer, supplier_user, published_po, company, plant, erp):
    supplier = Client()
    supplier.force_login(supplier_user)
    rows = "PO-1000,1,ACCEPT,,,,,,\r\nPO-2000,1,ACCEPT,,,,,,\r\n"
    supplier.post(
        "/portal/uploads/",
        {"kind": "acknowledgements", "file": SimpleUploadedFile("acks.csv", (ACK_HEADER + rows).encode(), "text/csv")},
    )
    document = InboundDocument.objects.get()
    supplier.post(f"/portal/uploads/{document.pk}/apply/")
    po = factories.po_input(company=company.code, supplier="BOLTS", plant=plant.code, number="PO-2000")
    purchase_order_publish(po=po, source=erp)
    sign_in(page, buyer)

    assert page.open(f"/workbench/documents/in/{document.pk}/").status == 200
    page.page.get_by_role("button", name="Replay").click()
    page.page.wait_for_load_state("load")

    body = page.page.locator("body").inner_text()
    assert "Replayed: processed: 1 applied, 1 already applied." in body
    assert "Applied (processed)" not in body
    assert "Was refused (partly refused: some lines were not applied); now applied" in body
    assert "partly_refused" not in body and "document.replayed" not in body
    page.screenshot("document-replayed-upload")
    assert page.problems() == []
