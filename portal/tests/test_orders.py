"""The PO inbox (badges, filters, search, pages, fixed query count) and the PO page."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import selectors as portal_selectors
from procurement import factories
from procurement.models import POLine, ProcurementException
from procurement.services import purchase_order_publish
from procurement.tests import helpers as h

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return [po.number for po in response.context["orders"]]


def publish(company, plant, supplier, erp, number: str, **kwargs):
    po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, number=number, **kwargs)
    return purchase_order_publish(po=po, source=erp).record


def test_inbox_badges_new_then_seen_then_changed(client, company, plant, supplier, erp, bolts_member, published_po):
    client.force_login(bolts_member)
    row = client.get("/portal/orders/").context["orders"][0]
    assert (row.number, row.is_new, row.is_changed, row.is_awaiting) == ("PO-1000", True, False, True)

    client.get(f"/portal/orders/{published_po.pk}/")
    row = client.get("/portal/orders/").context["orders"][0]
    assert (row.is_new, row.is_changed) == (False, False)

    changed = factories.po_input(
        company=company.code, supplier=supplier.code, plant=plant.code, revision=1, quantity=Decimal("120")
    )
    purchase_order_publish(po=changed, source=erp)
    row = client.get("/portal/orders/").context["orders"][0]
    assert (row.revision, row.is_new, row.is_changed) == (1, False, True)
    assert numbers(client.get("/portal/orders/?badge=changed")) == ["PO-1000"]
    assert numbers(client.get("/portal/orders/?badge=new")) == []


def test_inbox_filters_and_search(client, company, plant, supplier, erp, bolts_member):
    other_plant = factories.PlantFactory(company=company, code="MTY", name="Monterrey")
    publish(company, plant, supplier, erp, "PO-1", need_by=dt.date(2027, 3, 1))
    publish(company, other_plant, supplier, erp, "PO-2", need_by=dt.date(2027, 5, 1))
    h.accept_all(supplier, po="PO-2")
    client.force_login(bolts_member)

    assert numbers(client.get("/portal/orders/?plant=MTY")) == ["PO-2"]
    assert numbers(client.get("/portal/orders/?need_by_from=2027-04-01&need_by_to=2027-06-01")) == ["PO-2"]
    assert numbers(client.get("/portal/orders/?status=ack:acknowledged")) == []
    assert sorted(numbers(client.get("/portal/orders/?status=ack:accepted"))) == ["PO-2"]
    assert numbers(client.get("/portal/orders/?badge=awaiting")) == ["PO-1"]
    assert numbers(client.get("/portal/orders/?q=po-1")) == ["PO-1"]
    assert sorted(numbers(client.get("/portal/orders/?q=PART-00002"))) == ["PO-1", "PO-2"]
    bad = client.get("/portal/orders/?need_by_from=2027-06-01&need_by_to=2027-04-01")
    assert bad.status_code == 200
    assert "“Needed from” is after “Needed by”." in bad.content.decode()


@pytest.mark.parametrize("listed", [500, 1], ids=["matches listed", "more matches than listed"])
def test_inbox_search_matches_number_part_and_supplier_part_in_any_case(
    client, company, plant, supplier, other_supplier, erp, bolts_member, monkeypatch, listed
):
    monkeypatch.setattr(portal_selectors, "SEARCH_IDS_LISTED", listed)
    publish(company, plant, supplier, erp, "PO-7701", lines=1)
    by_supplier_part = publish(company, plant, supplier, erp, "PO-2", lines=1)
    POLine.objects.filter(po=by_supplier_part).update(supplier_part_number="bx-7702")
    publish(company, plant, supplier, erp, "PO-3", lines=2)
    publish(company, plant, supplier, erp, "PO-4", lines=1)
    nuts = publish(company, plant, other_supplier, erp, "PO-7703", lines=1)
    POLine.objects.filter(po=nuts).update(supplier_part_number="BX-7704")
    client.force_login(bolts_member)

    assert numbers(client.get("/portal/orders/?q=770")) == ["PO-2", "PO-7701"]
    assert numbers(client.get("/portal/orders/?q=Bx-77")) == ["PO-2"]
    assert numbers(client.get("/portal/orders/?q=part-00002")) == ["PO-3"]
    assert numbers(client.get("/portal/orders/?q=PO-770")) == ["PO-7701"]
    assert numbers(client.get("/portal/orders/?q=nothing-like-it")) == []


def test_inbox_never_lists_another_suppliers_orders(client, company, plant, other_supplier, erp, bolts_member):
    publish(company, plant, other_supplier, erp, "PO-NUTS")
    client.force_login(bolts_member)

    response = client.get("/portal/orders/")

    assert numbers(response) == []
    assert "PO-NUTS" not in response.content.decode()
    assert numbers(client.get("/portal/orders/?q=PO-NUTS")) == []


def test_inbox_query_count_does_not_grow_with_rows(client, company, plant, supplier, erp, bolts_member):
    client.force_login(bolts_member)
    publish(company, plant, supplier, erp, "PO-A")
    client.get("/portal/orders/")  # the session and the first-use caches
    with CaptureQueriesContext(connection) as one:
        assert client.get("/portal/orders/").status_code == 200
    for n in range(12):
        publish(company, plant, supplier, erp, f"PO-B{n:02d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/portal/orders/")

    assert len(response.context["orders"]) == 13
    assert len(many) == len(one)


def test_inbox_pages_by_25(client, company, plant, supplier, erp, bolts_member):
    for n in range(27):
        publish(company, plant, supplier, erp, f"PO-{n:03d}", lines=1)
    client.force_login(bolts_member)

    first, second = client.get("/portal/orders/"), client.get("/portal/orders/?page=2")

    assert (len(first.context["orders"]), len(second.context["orders"])) == (25, 2)
    assert "Page 1 of 2" in first.content.decode()


def test_order_page_shows_lines_revision_diff_documents_and_supplier_words(
    client, company, plant, supplier, erp, bolts_member, published_po
):
    changed = factories.po_input(
        company=company.code, supplier=supplier.code, plant=plant.code, revision=1, quantity=Decimal("120")
    )
    purchase_order_publish(po=changed, source=erp)
    h.record_ack(supplier, "ACK-1", h.answer("1"), h.price("2", "12.00"), h.answer("3"), src=h.source(channel="edi"))
    exc = ProcurementException.objects.get(po=published_po, kind=ProcurementException.Kind.PRICE_DEVIATION)
    ProcurementException.objects.filter(pk=exc.pk).update(resolution_note="INTERNAL: push back hard")
    client.force_login(bolts_member)

    response = client.get(f"/portal/orders/{published_po.pk}/")
    page = response.content.decode()

    assert response.status_code == 200
    revisions = response.context["revisions"]
    assert [r.revision for r in revisions] == [1, 0]
    quantities = [(c["line"], c["from"], c["to"]) for c in revisions[0].diff if c["field"] == "quantity"]
    assert quantities == [("1", "100", "120"), ("2", "100", "120"), ("3", "100", "120")]
    assert "<td>quantity</td><td>100</td><td>120</td>" in page
    assert [dataclasses.astuple(d)[:3] for d in response.context["documents"]] == [
        ("Acknowledgement", "ACK-1", "edi"),
        ("Change request (proposed)", "line 2", ""),
    ]
    assert exc.supplier_message and exc.supplier_message in page
    assert "INTERNAL" not in page
    assert [line.line_no for line in response.context["lines"]] == ["1", "2", "3"]


def test_order_of_another_supplier_is_not_found(client, company, plant, other_supplier, erp, bolts_member):
    po = publish(company, plant, other_supplier, erp, "PO-NUTS")
    client.force_login(bolts_member)

    assert client.get(f"/portal/orders/{po.pk}/").status_code == 404
    assert client.get("/portal/orders/999999/").status_code == 404


def test_numbers_read_as_written_and_a_po_number_says_po_once(client, company, plant, supplier, erp, bolts_member):
    bare = publish(company, plant, supplier, erp, "4500123", lines=1, price=Decimal("0.12"))
    named = publish(company, plant, supplier, erp, "PO-4500", lines=1, price=Decimal("13.40"))
    client.force_login(bolts_member)

    order = client.get(f"/portal/orders/{bare.pk}/").content.decode()
    bare_ack = client.get(f"/portal/orders/{bare.pk}/acknowledge/").content.decode()
    named_ack = client.get(f"/portal/orders/{named.pk}/acknowledge/").content.decode()

    assert '<td class="num">100 EA</td>' in order  # not 1E+2
    assert '<td class="num">0.12</td>' in order
    assert "<h1>Acknowledge PO 4500123 <small>" in bare_ack
    assert "100 EA at 0.12<br>" in bare_ack
    assert "<h1>Acknowledge PO-4500 <small>" in named_ack
    assert "100 EA at 13.4<br>" in named_ack
    assert "0.120000" not in order + bare_ack and "PO PO-" not in named_ack
