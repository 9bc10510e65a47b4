"""The pages htmx updates in part: the same view answers htmx (HX-Request) with the part it swaps and a
plain request (no JavaScript) with the whole page, both with the same content."""

import re

import pytest

from procurement import factories
from procurement.models import InboundDocument
from procurement.services import purchase_order_publish

from .helpers import TOKEN, ack_post, written

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def whole_page(response) -> bool:
    return response.content.decode().lstrip().startswith("<!doctype html>")


def ids_of(html: str, tag: str = "div") -> list[str]:
    return re.findall(rf'<{tag} id="([^"]+)"', html)


# The PO inbox: filters and pages swap the list alone.


def test_inbox_filter_answers_htmx_with_the_list_alone_and_a_plain_request_with_the_page(
    client, company, plant, supplier, erp, bolts_member
):
    for number in ("PO-1", "PO-2"):
        po = factories.po_input(company=company.code, supplier=supplier.code, plant=plant.code, number=number)
        purchase_order_publish(po=po, source=erp)
    client.force_login(bolts_member)

    swapped = client.get("/portal/orders/?q=PO-2", **HTMX)
    whole = client.get("/portal/orders/?q=PO-2")

    assert [po.number for po in swapped.context["orders"]] == ["PO-2"]
    assert [po.number for po in whole.context["orders"]] == ["PO-2"]
    part = swapped.content.decode()
    assert not whole_page(swapped)
    assert ids_of(part) == ["order-results"]
    assert "1 purchase order</caption>" in part
    assert "site-nav" not in part and 'id="order-filters"' not in part
    assert whole_page(whole)
    page = whole.content.decode()
    assert ids_of(page, "div")[-1] == "order-results"
    assert 'id="order-filters"' in page
    assert 'hx-get="/portal/orders/"' in page
    assert swapped["Vary"] == whole["Vary"] == "HX-Request, Cookie"


def test_inbox_pages_through_htmx_and_going_back_gets_the_whole_page(
    client, company, plant, supplier, erp, bolts_member
):
    for n in range(27):
        po = factories.po_input(
            company=company.code, supplier=supplier.code, plant=plant.code, number=f"PO-{n:03d}", lines=1
        )
        purchase_order_publish(po=po, source=erp)
    client.force_login(bolts_member)

    second = client.get("/portal/orders/?page=2", **HTMX)
    restored = client.get("/portal/orders/?page=2", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    first = client.get("/portal/orders/")

    assert len(second.context["orders"]) == 2
    assert "Page 2 of 2" in second.content.decode() and not whole_page(second)
    assert whole_page(restored) and "Page 2 of 2" in restored.content.decode()
    assert '<a href="?page=2" hx-get="?page=2">Next</a>' in first.content.decode()


def test_a_bad_filter_under_htmx_brings_the_filters_back_with_the_error(client, bolts_member, published_po):
    client.force_login(bolts_member)

    response = client.get("/portal/orders/?need_by_from=2027-05-01&need_by_to=2027-03-01", **HTMX)

    part = response.content.decode()
    assert response.status_code == 200
    assert ids_of(part, "div") == ["order-results"]
    assert (
        '<form id="order-filters" class="query panel" method="get" action="/portal/orders/" hx-swap-oob="true"' in part
    )
    assert "“Needed from” is after “Needed by”." in part


# The acknowledgement's pre-flight: the verdicts shown in place, nothing written.


def test_acknowledgement_preflight_under_htmx_swaps_the_form_alone_and_writes_nothing(member, published_po):
    before = written()
    fields = ack_post({"1": {"response": "CHANGE_QTY", "quantity": "90"}, "2": {}, "3": {}}, action="preflight")
    url = f"/portal/orders/{published_po.pk}/acknowledge/"

    swapped = member.post(url, fields, **HTMX)
    whole = member.post(url, fields)

    assert written() == before
    for response in (swapped, whole):
        assert response.status_code == 200
        text = response.content.decode()
        assert "1 line will go to the buyer for a decision" in text
        assert "Line 1: quantity 90 instead of 100 (outside tolerance)" in text
        assert f'name="token" value="{TOKEN}"' in text
    assert not whole_page(swapped) and whole_page(whole)
    assert ids_of(swapped.content.decode()) == ["ack-body"]
    assert "<h1>" not in swapped.content.decode()


def test_acknowledgement_sent_under_htmx_header_is_still_applied_once(member, published_po):
    fields = ack_post({"1": {}, "2": {}, "3": {}})
    url = f"/portal/orders/{published_po.pk}/acknowledge/"

    first = member.post(url, fields, **HTMX)
    second = member.post(url, fields)

    assert first.status_code == 302 and first["Location"] == second["Location"]
    assert sorted(InboundDocument.objects.values_list("state", flat=True)) == ["duplicate", "processed"]
