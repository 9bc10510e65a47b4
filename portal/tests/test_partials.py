"""The pages htmx updates in part: the same view answers htmx (HX-Request) with the part it swaps and a
plain request (no JavaScript) with the whole page, both with the same content."""

import re
from decimal import Decimal

import pytest

from procurement import factories
from procurement.models import InboundDocument, POLine, Shipment, ShipmentLine
from procurement.services import purchase_order_publish

from .helpers import TOKEN, ack_post, formset, written
from .test_ship_notices import SSCC_1, SSCC_2, URL, lines_of, post

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
    assert ids_of(part) == ["order-results", "order-status"]
    assert "1 purchase order</caption>" in part
    # Screen readers hear the new count: the page's polite region gets this text out of band.
    assert '<div id="order-status" hx-swap-oob="innerHTML">1 purchase order.</div>' in part
    assert "site-nav" not in part and 'id="order-filters"' not in part
    assert whole_page(whole)
    page = whole.content.decode()
    assert ids_of(page, "div")[-2:] == ["order-results", "order-status"]
    assert (
        '<div id="order-status" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"></div>'
        in page
    )
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
    assert '<div id="order-status" hx-swap-oob="innerHTML">27 purchase orders, page 2 of 2.</div>' in (
        second.content.decode()
    )
    assert whole_page(restored) and "Page 2 of 2" in restored.content.decode()
    assert '<a href="?page=2" hx-get="?page=2">Next</a>' in first.content.decode()


def test_a_bad_filter_under_htmx_brings_the_filters_back_with_the_error(client, bolts_member, published_po):
    client.force_login(bolts_member)

    response = client.get("/portal/orders/?need_by_from=2027-05-01&need_by_to=2027-03-01", **HTMX)

    part = response.content.decode()
    assert response.status_code == 200
    assert ids_of(part, "div") == ["order-results", "order-status"]
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
    assert ids_of(swapped.content.decode()) == ["ack-body", "ack-status"]
    assert (
        '<div id="ack-status" hx-swap-oob="innerHTML">1 line will go to the buyer for a decision.</div>'
        in swapped.content.decode()
    )
    assert '<div id="ack-status" class="visually-hidden" role="status"' in whole.content.decode()
    assert "<h1>" not in swapped.content.decode()


def test_acknowledgement_sent_under_htmx_header_is_still_applied_once(member, published_po):
    fields = ack_post({"1": {}, "2": {}, "3": {}})
    url = f"/portal/orders/{published_po.pk}/acknowledge/"

    first = member.post(url, fields, **HTMX)
    second = member.post(url, fields)

    assert first.status_code == 302 and first["Location"] == second["Location"]
    assert sorted(InboundDocument.objects.values_list("state", flat=True)) == ["duplicate", "processed"]


# The ship notice builder: one line's quantity over several packs, a row per pack.


def rows_shown(response) -> list[tuple[str, str, bool, object]]:
    return [
        (line.po.number, line.line_no, continued, form["pack"].value())
        for line, form, continued in response.context["rows"]
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_add_a_pack_puts_a_row_for_the_same_line_under_it(member, published_po, plant, htmx):
    lines = lines_of(published_po)
    rows = [
        {"line_id": lines[("PO-1000", "1")].pk, "ship": "on", "quantity": "60", "pack": "1", "lot": "L-1"},
        {"line_id": lines[("PO-1000", "2")].pk, "quantity": "100"},
        {"line_id": lines[("PO-1000", "3")].pk, "quantity": "100"},
    ]
    before = written()

    response = member.post(URL, post(plant, rows, action="split-0"), **(HTMX if htmx else {}))

    assert response.status_code == 200
    assert written() == before
    assert rows_shown(response) == [
        ("PO-1000", "1", False, "1"),
        ("PO-1000", "1", True, "2"),
        ("PO-1000", "2", False, ""),
        ("PO-1000", "3", False, ""),
    ]
    added = response.context["rows"][1][1]
    assert (added["ship"].value(), added["quantity"].value(), added["lot"].value()) == ("on", "", "")
    text = response.content.decode()
    assert 'name="form-TOTAL_FORMS" value="4"' in text
    assert re.findall(r'<input [^>]*name="(form-\d-quantity)"[^>]* autofocus', text) == ["form-1-quantity"]
    assert "Ship more of PO-1000 line 1 in another pack" in text
    # Nothing was checked yet: no error for the quantity still to type.
    assert 'role="alert"' not in text
    assert whole_page(response) is not htmx
    if htmx:
        assert ids_of(text) == ["ship-builder", "ship-status"]
        assert '<div id="ship-status" hx-swap-oob="innerHTML">A pack row was added; type its quantity.</div>' in text


def test_a_line_split_over_two_packs_is_sent_as_two_pack_lines(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    rows = [
        {"line_id": line.pk, "ship": "on", "quantity": "60", "pack": "1", "lot": "L-1"},
        {"line_id": line.pk, "ship": "on", "quantity": "40", "pack": "2", "lot": "L-2"},
    ]

    response = member.post(URL, post(plant, rows))

    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert sorted(shipment.packs.values_list("sscc", flat=True)) == sorted([SSCC_1, SSCC_2])
    assert sorted(
        ShipmentLine.objects.values_list("pack__sscc", "po_line__line_no", "quantity", "lot").order_by("pk")
    ) == sorted([(SSCC_1, "1", Decimal("60"), "L-1"), (SSCC_2, "1", Decimal("40"), "L-2")])
    assert POLine.objects.get(pk=line.pk).shipped_quantity == Decimal("100")
    labels = member.get(f"/portal/ship-notices/{shipment.pk}/labels.pdf")
    assert len(re.findall(rb"/Type /Page\b(?!s)", labels.content)) == 2


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_over_shipping_is_counted_over_all_the_packs_of_a_line(member, published_po, plant, htmx):
    line = lines_of(published_po)[("PO-1000", "1")]
    rows = [
        {"line_id": line.pk, "ship": "on", "quantity": "60", "pack": "1"},
        {"line_id": line.pk, "ship": "on", "quantity": "70", "pack": "2"},
    ]
    before = written()

    response = member.post(URL, post(plant, rows, action="preflight"), **(HTMX if htmx else {}))

    assert written() == before
    text = response.content.decode()
    assert "PO-1000 line 1: shipped 130 in all against 100 confirmed" in text
    assert whole_page(response) is not htmx


def test_a_line_is_split_over_six_packs_at_most(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    rows = [{"line_id": line.pk, "ship": "on", "quantity": "10", "pack": str(n)} for n in range(1, 7)]

    response = member.post(URL, post(plant, rows, action="split-5"))

    assert response.context["errors"] == ["A line can be split over at most 6 packs."]
    assert len(response.context["rows"]) == 6


def test_add_a_pack_for_a_row_that_is_not_there_changes_nothing(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]

    response = member.post(URL, post(plant, [{"line_id": line.pk, "quantity": "10"}], action="split-7"))

    assert response.context["errors"] == ["That line is not in the builder any more; open the builder again."]
    assert rows_shown(response) == [("PO-1000", "1", False, "")]


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("split-²", {}),
        ("split-" + "9" * 5000, {}),
        ("split--1", {}),
        ("split-0", {"form-TOTAL_FORMS": "x"}),
        ("split-0", {"form-0-line_id": "²"}),
    ],
    ids=["superscript", "5000-digits", "negative", "bad-total", "bad-line-id"],
)
def test_add_a_pack_with_mangled_fields_is_a_message_not_an_error(member, published_po, plant, action, fields):
    line = lines_of(published_po)[("PO-1000", "1")]
    before = written()

    response = member.post(URL, post(plant, [{"line_id": line.pk, "quantity": "10"}], action=action) | fields)

    assert response.status_code == 200
    assert response.context["errors"] == ["That line is not in the builder any more; open the builder again."]
    assert written() == before


def test_a_read_only_person_cannot_add_a_pack_row(read_only, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    data = {"ship_to": str(plant.pk), "token": TOKEN, "action": "split-0"} | formset(
        "form", [{"line_id": line.pk, "quantity": "10"}]
    )

    assert read_only.post(URL, data, **HTMX).status_code == 403
    page = read_only.get(URL).content.decode()
    assert ("Add a pack" in page, 'value="split-' in page) == (False, False)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_remove_takes_out_an_added_pack_row_and_keeps_the_others(member, published_po, plant, htmx):
    lines = lines_of(published_po)
    one, two = lines[("PO-1000", "1")].pk, lines[("PO-1000", "2")].pk
    rows = [
        {"line_id": one, "ship": "on", "quantity": "60", "pack": "1", "lot": "L-1"},
        {"line_id": one, "ship": "on", "quantity": "30", "pack": "2", "lot": "L-2"},
        {"line_id": one, "ship": "on", "quantity": "10", "pack": "3", "lot": "L-3"},
        {"line_id": two, "quantity": "100"},
    ]
    before = written()

    response = member.post(URL, post(plant, rows, action="remove-1"), **(HTMX if htmx else {}))

    assert response.status_code == 200
    assert written() == before
    assert rows_shown(response) == [
        ("PO-1000", "1", False, "1"),
        ("PO-1000", "1", True, "3"),
        ("PO-1000", "2", False, ""),
    ]
    kept = response.context["rows"][1][1]
    assert (kept["quantity"].value(), kept["lot"].value()) == ("10", "L-3")
    text = response.content.decode()
    assert 'name="form-TOTAL_FORMS" value="3"' in text
    assert re.findall(r'value="(remove-\d)"', text) == ["remove-1"]
    assert 'role="alert"' not in text
    assert whole_page(response) is not htmx
    if htmx:
        assert ids_of(text) == ["ship-builder", "ship-status"]
        assert '<div id="ship-status" hx-swap-oob="innerHTML">The pack row was removed.</div>' in text


@pytest.mark.parametrize("action", ["remove-0", "remove-1", "remove-9", "remove-x"])
def test_remove_keeps_a_lines_first_row_and_rows_not_there(member, published_po, plant, action):
    lines = lines_of(published_po)
    rows = [
        {"line_id": lines[("PO-1000", "1")].pk, "ship": "on", "quantity": "60", "pack": "1"},
        {"line_id": lines[("PO-1000", "2")].pk, "quantity": "100"},
    ]

    response = member.post(URL, post(plant, rows, action=action))

    assert response.context["errors"] == ["That pack row is not in the builder any more; open the builder again."]
    assert rows_shown(response) == [("PO-1000", "1", False, "1"), ("PO-1000", "2", False, "")]


def test_generate_under_htmx_swaps_the_builder_with_the_ssccs(member, published_po, plant):
    line = lines_of(published_po)[("PO-1000", "1")]
    data = post(plant, [{"line_id": line.pk}], action="generate", pack_1="", pack_2="")
    data |= {"company_prefix": "0614141000", "next_serial": "42", "pack_count": "2"}

    response = member.post(URL, data, **HTMX)

    text = response.content.decode()
    assert not whole_page(response)
    assert ids_of(text) == ["ship-builder", "ship-status"]
    assert f'value="{SSCC_2}"' in text and 'value="006141410000000432"' in text
    assert '<div id="ship-status" hx-swap-oob="innerHTML">2 SSCCs generated.</div>' in text
    assert InboundDocument.objects.count() == 0
