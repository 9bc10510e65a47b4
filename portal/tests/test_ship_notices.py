"""The ship notice builder: open lines to one ship-to, packs with SSCC-18, labels; isolation."""

import re
from decimal import Decimal

import pytest

from procurement.models import InboundDocument, POLine, ProcurementException, Shipment, ShipmentLine
from procurement.tests import helpers as h

from .helpers import TOKEN, formset, written

pytestmark = pytest.mark.django_db

URL = "/portal/ship-notices/new/"
SSCC_1 = "106141411234567897"
SSCC_2 = "006141410000000425"


def lines_of(*pos):
    return {(line.po.number, line.line_no): line for line in POLine.objects.filter(po__in=pos).select_related("po")}


def post(plant, rows, *, action="submit", **header):
    data = {
        "ship_to": str(plant.pk),
        "token": TOKEN,
        "shipment_id": "ASN-100",
        "ship_date": "2027-02-20",
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "bill_of_lading": "BOL-77",
        "pack_1": SSCC_1,
        "pack_2": SSCC_2,
        "action": action,
        **header,
    }
    return data | formset("form", rows)


@pytest.fixture
def two_pos(published_po, company, plant, supplier):
    return published_po, h.publish(company, plant, supplier, number="PO-2000", lines=1)


def test_builder_lists_open_lines_across_pos_to_the_one_ship_to(member, two_pos):
    response = member.get(URL)

    assert response.status_code == 200
    assert [(line.po.number, line.line_no) for line, _, _ in response.context["rows"]] == [
        ("PO-1000", "1"),
        ("PO-1000", "2"),
        ("PO-1000", "3"),
        ("PO-2000", "1"),
    ]
    assert response.context["rows"][0][1].initial["quantity"] == "100"


def test_two_packs_across_two_pos_with_lots_and_serials(member, two_pos, plant, supplier):
    lines = lines_of(*two_pos)
    rows = [
        {"line_id": lines[("PO-1000", "1")].pk, "ship": "on", "quantity": "40", "pack": "1", "lot": "L-1"},
        {"line_id": lines[("PO-1000", "2")].pk, "quantity": "100"},
        {"line_id": lines[("PO-1000", "3")].pk, "quantity": "100"},
        {"line_id": lines[("PO-2000", "1")].pk, "ship": "on", "quantity": "2", "pack": "2", "serials": "S1, S2"},
    ]

    response = member.post(URL, post(plant, rows))

    document = InboundDocument.objects.get()
    assert response["Location"] == f"/portal/documents/{document.pk}/"
    shipment = Shipment.objects.get()
    assert (
        shipment.shipment_id,
        shipment.channel,
        shipment.carrier,
        shipment.tracking_number,
        shipment.bill_of_lading,
    ) == ("ASN-100", "portal", "UPS", "1Z999", "BOL-77")
    rows_written = ShipmentLine.objects.values_list(
        "pack__sscc", "po_line__po__number", "po_line__line_no", "quantity", "lot", "serial"
    )
    assert sorted(rows_written) == [
        (SSCC_2, "PO-2000", "1", Decimal("1"), "", "S1"),
        (SSCC_2, "PO-2000", "1", Decimal("1"), "", "S2"),
        (SSCC_1, "PO-1000", "1", Decimal("40"), "L-1", ""),
    ]
    shipped = {key: line.shipped_quantity for key, line in lines_of(*two_pos).items()}
    assert shipped == {
        ("PO-1000", "1"): Decimal("40"),
        ("PO-1000", "2"): Decimal("0"),
        ("PO-1000", "3"): Decimal("0"),
        ("PO-2000", "1"): Decimal("2"),
    }
    labels = member.get(f"/portal/ship-notices/{shipment.pk}/labels.pdf")
    assert labels["Content-Type"] == "application/pdf"
    assert len(re.findall(rb"/Type /Page\b(?!s)", labels.content)) == 2
    assert rb"Bill of lading: BOL-77" in labels.content
    assert rb"\(00\) 1 0614141 123456789 7" in labels.content
    assert "Print shipping labels" in member.get(response["Location"]).content.decode()


def test_over_shipping_beyond_tolerance_is_warned_before_submitting(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    before = written()

    response = member.post(
        URL, post(plant, [{"line_id": line.pk, "ship": "on", "quantity": "130", "pack": "1"}], action="preflight")
    )

    assert response.status_code == 200
    assert "PO-1000 line 1: shipped 130 in all against 100 confirmed" in response.content.decode()
    assert written() == before


def test_generate_fills_empty_packs_with_valid_ssccs(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    data = post(plant, [{"line_id": line.pk}], action="generate", pack_1="", pack_2="")
    data |= {"company_prefix": "0614141000", "next_serial": "42", "pack_count": "2"}

    response = member.post(URL, data)

    header = response.context["header"]
    assert header.data["pack_1"] == SSCC_2
    assert header.data["pack_2"] == "006141410000000432"
    assert header.data.get("pack_3", "") == ""
    assert header.data["next_serial"] == "44"
    assert InboundDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "row", "message"),
    [
        ({"pack_1": "106141411234567890"}, {"pack": "1"}, "ends in check digit 0; for these digits it must be 7"),
        ({"pack_2": SSCC_1}, {"pack": "1"}, "The same SSCC is already on Pack 1 SSCC."),
        ({"pack_2": ""}, {"pack": "2"}, "is in pack 2, which has no SSCC."),
        ({}, {"serials": "S1"}, "1 serial numbers for a quantity of 40."),
        ({}, {"quantity": ""}, "Give the quantity you ship."),
    ],
)
def test_a_bad_notice_is_explained_and_stored_as_rejected(member, published_po, plant, fields, row, message):
    line = lines_of(published_po)[("PO-1000", "1")]
    rows = [{"line_id": line.pk, "ship": "on", "quantity": "40"} | row]

    response = member.post(URL, post(plant, rows, **fields))

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert InboundDocument.objects.get().state == "rejected"
    assert Shipment.objects.count() == 0


def test_the_same_notice_sent_twice_ships_once(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    data = post(plant, [{"line_id": line.pk, "ship": "on", "quantity": "40", "pack": "1"}])

    first, second = member.post(URL, data), member.post(URL, data)

    assert first["Location"] == second["Location"]
    assert Shipment.objects.count() == 1
    assert POLine.objects.get(pk=line.pk).shipped_quantity == Decimal("40")


def test_another_suppliers_lines_and_labels_are_not_found(
    client, supplier_user, other_supplier_user, published_po, plant
):
    line = lines_of(published_po)[("PO-1000", "1")]
    data = post(plant, [{"line_id": line.pk, "ship": "on", "quantity": "40", "pack": "1"}])
    client.force_login(other_supplier_user)
    before = written()

    assert client.get(URL + f"?ship_to={plant.pk}").status_code == 404
    assert client.post(URL, data).status_code == 404
    assert written() == before

    client.force_login(supplier_user)
    client.post(URL, data)
    shipment = Shipment.objects.get()
    client.force_login(other_supplier_user)
    assert client.get(f"/portal/ship-notices/{shipment.pk}/labels.pdf").status_code == 404
    assert client.get(f"/portal/ship-notices/{shipment.pk}/invoice/").status_code == 404
    assert client.get(f"/portal/documents/{shipment.inbound_document_id}/").status_code == 404


def test_read_only_person_cannot_send_a_notice(read_only, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    before = written()

    response = read_only.post(URL, post(plant, [{"line_id": line.pk, "ship": "on", "quantity": "40", "pack": "1"}]))

    assert response.status_code == 403
    assert written() == before
    assert ProcurementException.objects.count() == 0
