"""CSV uploads: template, preview with per-row errors (nothing applied), apply with a result per row, bad files."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from procurement.models import Acknowledgement, InboundDocument, POLine, Shipment

from .helpers import written

pytestmark = pytest.mark.django_db

ACK_HEADER = "po_number,line_no,response,quantity,unit_price,promised_date,deliveries,substitute_part_number,note\r\n"
SHIP_HEADER = (
    "shipment_id,ship_date,expected_delivery,carrier,tracking_number,po_number,line_no,quantity,uom,sscc,lot,serial\r\n"
)


def upload(client, content: bytes, kind: str = "acknowledgements", name: str = "acks.csv"):
    return client.post("/portal/uploads/", {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")})


def test_templates_download_with_the_exact_columns(member):
    response = member.get("/portal/uploads/template/acknowledgements.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().startswith(ACK_HEADER)
    assert member.get("/portal/uploads/template/ship-notices.csv").content.decode().startswith(SHIP_HEADER)
    assert member.get("/portal/uploads/template/invoices.csv").status_code == 404


def test_a_good_file_is_stored_previewed_then_applied_row_by_row(member, published_po):
    content = (ACK_HEADER + "PO-1000,1,ACCEPT,,,,,,\r\nPO-1000,2,change_qty,80,,,,,\r\n").encode()

    response = upload(member, content)

    document = InboundDocument.objects.get()
    assert response["Location"] == f"/portal/uploads/{document.pk}/"
    assert (document.channel, document.document_type, document.filename, document.state) == (
        "portal",
        "csv_acknowledgements",
        "acks.csv",
        "received",
    )
    preview = member.get(response["Location"])
    assert [(row.number, row.errors, row.note) for row, _, _ in preview.context["rows"]] == [
        (2, [], "ok"),
        (3, [], "goes to the buyer: quantity 80 instead of 100"),
    ]
    assert Acknowledgement.objects.count() == 0

    result = member.post(f"/portal/uploads/{document.pk}/apply/")

    assert [row.note for row, _, _ in result.context["rows"]] == [
        "applied",
        "applied; the buyer will look at: quantity 80 instead of 100",
    ]
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.inbound_document_id) == (
        "portal",
        f"csv-{document.pk}-PO-1000",
        document.pk,
    )
    assert POLine.objects.get(po=published_po, line_no="2").proposal == {"quantity": "80"}
    document.refresh_from_db()
    assert document.state == "processed"
    again = member.post(f"/portal/uploads/{document.pk}/apply/")
    assert again.status_code == 302
    assert Acknowledgement.objects.count() == 1


def test_row_errors_are_listed_and_nothing_can_be_applied(member, published_po):
    content = (
        ACK_HEADER
        + "PO-1000,1,MAYBE,,,,,,\r\n"
        + "PO-1000,2,CHANGE_PRICE,,,,,,\r\n"
        + "PO-1000,2,ACCEPT,,,,,,\r\n"
        + "PO-1000,3,RESCHEDULE,,,,40 tomorrow,,\r\n"
    ).encode()
    document_url = upload(member, content)["Location"]
    before = written()

    preview = member.get(document_url)

    assert [(row.number, row.errors) for row, _, _ in preview.context["rows"]] == [
        (2, ["response: Select a valid choice. MAYBE is not one of the available choices."]),
        (3, ["unit_price: Give the price you propose."]),
        (4, ["line 2 of PO-1000 is already answered on row 3"]),
        (
            5,
            [
                "deliveries: “40 tomorrow” is not a quantity and a date, like 40 2027-03-01.",
                "promised_date: Give the date you promise, or split the line into deliveries.",
            ],
        ),
    ]
    assert "4 rows have errors. Nothing was applied" in preview.content.decode()
    assert member.post(document_url + "apply/").status_code == 302
    assert written() == before


def test_a_row_on_another_suppliers_po_is_an_error_in_the_preview(client, other_supplier_user, published_po):
    client.force_login(other_supplier_user)

    preview = client.get(upload(client, (ACK_HEADER + "PO-1000,1,ACCEPT,,,,,,\r\n").encode())["Location"])

    assert [row.errors for row, _, _ in preview.context["rows"]] == [["PO-1000 is not known"]]


def test_ship_notice_rows_make_one_notice_per_number(member, published_po):
    content = (
        SHIP_HEADER
        + "ASN-9,2027-02-20,,UPS,1Z1,PO-1000,1,40,EA,106141411234567897,L1,\r\n"
        + "ASN-9,2027-02-20,,UPS,1Z1,PO-1000,2,10,EA,106141411234567897,,\r\n"
    ).encode()
    document_url = upload(member, content, kind="ship-notices")["Location"]

    member.post(document_url + "apply/")

    shipment = Shipment.objects.get()
    assert (shipment.shipment_id, shipment.carrier, shipment.packs.count()) == ("ASN-9", "UPS", 1)
    assert sorted(POLine.objects.filter(po=published_po).values_list("line_no", "shipped_quantity")) == [
        ("1", Decimal("40")),
        ("2", Decimal("10")),
        ("3", Decimal("0")),
    ]


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary", "This is not a CSV text file (it holds binary data)."),
        (
            ACK_HEADER.encode() + "PO-1000,1,ACCEPT,,,,,,Stra\xdfe\r\n".encode("latin-1"),
            "encoding",
            "It is not UTF-8: byte 0xDF at position 128 (line 2) cannot be read; save it as UTF-8 (“CSV UTF-8”).",
        ),
        (ACK_HEADER.encode("utf-16"), "encoding", "It is UTF-16: save it as UTF-8 (“CSV UTF-8”)."),
        (ACK_HEADER.encode("utf-16-le"), "encoding", "It is UTF-16: save it as UTF-8 (“CSV UTF-8”)."),
        (b"", "empty", "The file is empty. Start from the template."),
        (b"\xef\xbb\xbf\r\n", "empty", "The file is empty. Start from the template."),
        (b"po,line\r\nPO-1000,1\r\n", "columns", "missing po_number, line_no, response"),
        (ACK_HEADER.encode(), "empty", "The file has a header but no rows."),
    ],
)
def test_bad_files_get_a_clear_message(member, published_po, content, code, message):
    preview = member.get(upload(member, content)["Location"])

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code) == ("rejected", code)
    assert message in preview.content.decode()
    assert Acknowledgement.objects.count() == 0


def test_a_file_over_the_limit_is_refused_unread(member, settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = 100

    preview = member.get(upload(member, ACK_HEADER.encode() + b"x" * 200)["Location"])

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, bytes(document.content)) == ("rejected", "too_large", b"")
    assert "The file is too large" in preview.content.decode()


def test_another_suppliers_upload_is_not_found(client, supplier_user, other_supplier_user, published_po):
    client.force_login(supplier_user)
    document_url = upload(client, (ACK_HEADER + "PO-1000,1,ACCEPT,,,,,,\r\n").encode())["Location"]
    client.force_login(other_supplier_user)

    assert client.get(document_url).status_code == 404
    assert client.post(document_url + "apply/").status_code == 404
    assert Acknowledgement.objects.count() == 0


def test_read_only_person_cannot_upload(read_only, published_po):
    before = written()

    assert upload(read_only, (ACK_HEADER + "PO-1000,1,ACCEPT,,,,,,\r\n").encode()).status_code == 403
    assert written() == before
