"""Acknowledge per line in the portal: the exact effect, pre-flight, double submission, isolation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F

from procurement import inputs
from procurement.models import Acknowledgement, ChangeRequest, InboundDocument, POLine, ProcurementException

from .helpers import TOKEN, ack_post, written

pytestmark = pytest.mark.django_db

LINES: dict[str, dict] = {"1": {}, "2": {}, "3": {}}


def url(po) -> str:
    return f"/portal/orders/{po.pk}/acknowledge/"


def test_form_lists_each_line_with_a_fresh_token(member, published_po):
    response = member.get(url(published_po))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('name="form-0-response"') == 1
    assert 'name="form-TOTAL_FORMS" value="3"' in page
    assert response.context["header"].initial["revision"] == 0
    assert len(response.context["header"].initial["token"]) == 32


def test_submit_with_changes_records_them_through_the_write_path(member, published_po, supplier):
    post = ack_post(
        {
            "1": {},
            "2": {"response": "CHANGE_PRICE", "unit_price": "11.50"},
            "3": {"response": "RESCHEDULE", "deliveries": "40 2027-03-01, 60 2027-03-20"},
        }
    )

    response = member.post(url(published_po), post)

    document = InboundDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/documents/{document.pk}/"
    assert (document.channel, document.document_type, document.state) == ("portal", "acknowledgement", "processed")
    ack = Acknowledgement.objects.get()
    assert (ack.channel, ack.document_id, ack.header, ack.inbound_document_id) == (
        "portal",
        f"portal-{TOKEN}",
        inputs.ACK_ACCEPTED_WITH_CHANGES,
        document.pk,
    )
    lines = {line.line_no: line for line in POLine.objects.filter(po=published_po)}
    assert (lines["1"].ack_response, lines["1"].confirmed_price) == ("ACCEPT", Decimal("10"))
    assert (lines["2"].change_state, lines["2"].proposal) == ("proposed", {"unit_price": "11.50"})
    assert lines["3"].proposal == {
        "schedule": [{"quantity": "40", "date": "2027-03-01"}, {"quantity": "60", "date": "2027-03-20"}]
    }
    assert sorted(ProcurementException.objects.values_list("supplier_message", flat=True)) == [
        "price 11.50 instead of 10.00",
        "promised 60 on 2027-03-20 for need-by 2027-03-01",
    ]
    page = member.get(response["Location"]).content.decode()
    assert "Applied" in page
    assert "Line 2: price 11.50 instead of 10.00" in page
    assert f"<strong>{published_po.number}</strong>, revision 0: Accepted with changes.</p>" in page
    assert "accepted_with_changes" not in page
    assert f"<h1>Document {document.pk}: Acknowledgement through the portal</h1>" in page


def test_preflight_shows_what_goes_to_the_buyer_and_writes_nothing(member, published_po):
    before = written()

    response = member.post(
        url(published_po),
        ack_post({"1": {"response": "CHANGE_QTY", "quantity": "90"}, "2": {}, "3": {}}, action="preflight"),
    )

    assert response.status_code == 200
    assert written() == before
    page = response.content.decode()
    assert "1 line will go to the buyer for a decision" in page
    assert "Line 1: quantity 90 instead of 100 (outside tolerance)" in page


def test_the_same_form_sent_twice_is_applied_once(member, published_po):
    post = ack_post({"1": {"response": "CHANGE_QTY", "quantity": "90"}, "2": {}, "3": {}})

    first = member.post(url(published_po), post)
    second = member.post(url(published_po), post)

    assert first["Location"] == second["Location"]
    assert Acknowledgement.objects.count() == 1
    assert ChangeRequest.objects.count() == 1
    assert ProcurementException.objects.count() == 1
    assert sorted(InboundDocument.objects.values_list("state", flat=True)) == ["duplicate", "processed"]
    assert "sending it again changed nothing" in member.get(second["Location"]).content.decode()


def test_received_will_confirm_later_acknowledges_only(member, published_po):
    response = member.post(url(published_po), ack_post(LINES, action="later"))

    assert response.status_code == 302
    assert Acknowledgement.objects.get().header == inputs.ACK_ACKNOWLEDGED
    assert set(POLine.objects.values_list("ack_response", flat=True)) == {"ACKNOWLEDGED"}
    assert ProcurementException.objects.count() == 0


def test_missing_change_values_are_shown_and_recorded_as_rejected(member, published_po):
    response = member.post(
        url(published_po), ack_post({"1": {"response": "CHANGE_PRICE"}, "2": {"response": "REJECT"}, "3": {}})
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Give the price you propose." in page
    assert "Say why you reject the line; the buyer sees it." in page
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code) == ("rejected", "invalid")
    assert Acknowledgement.objects.count() == 0


def test_a_form_answering_an_old_revision_is_refused_in_words(member, published_po):
    response = member.post(url(published_po), ack_post(LINES, revision=4))

    assert response.status_code == 200
    assert "answers revision 4 of PO-1000, which is at revision 0" in response.content.decode()
    assert InboundDocument.objects.get().state == "refused"
    assert Acknowledgement.objects.count() == 0


def test_a_tampered_form_with_another_line_is_refused(member, published_po):
    response = member.post(url(published_po), ack_post({"1": {}, "2": {}, "9": {}}))

    assert response.status_code == 200
    assert "does not match the PO&#x27;s lines" in response.content.decode()
    assert Acknowledgement.objects.count() == 0


def test_another_suppliers_po_is_not_found_and_nothing_written(outsider, published_po):
    before = written()

    assert outsider.get(url(published_po)).status_code == 404
    assert outsider.post(url(published_po), ack_post(LINES)).status_code == 404
    assert written() == before


def test_read_only_person_sees_the_form_but_cannot_submit(read_only, published_po):
    before = written()

    page = read_only.get(url(published_po))
    response = read_only.post(url(published_po), ack_post(LINES))

    assert "Your role lets you read this PO, not answer it." in page.content.decode()
    assert 'value="submit"' not in page.content.decode()
    assert response.status_code == 403
    assert written() == before


def test_buyer_and_anonymous_cannot_acknowledge(client, buyer, published_po):
    assert client.post(url(published_po), ack_post(LINES)).status_code == 302
    client.force_login(buyer)
    assert client.post(url(published_po), ack_post(LINES)).status_code == 403
    assert Acknowledgement.objects.count() == 0


def test_need_by_shown(member, published_po):
    assert dt.date(2027, 3, 1).isoformat() in member.get(url(published_po)).content.decode()


def test_an_edited_answer_sent_again_under_the_same_token_is_refused_then_sent_under_a_new_one(member, published_po):
    member.post(url(published_po), ack_post(LINES))
    changed = ack_post({"1": {"response": "CHANGE_QTY", "quantity": "90"}, "2": {}, "3": {}})

    refused = member.post(url(published_po), changed)

    assert "was already received with different content" in refused.content.decode()
    token = refused.context["header"]["token"].value()
    assert token != TOKEN
    again = member.post(url(published_po), changed | {"token": token})
    assert again.status_code == 302
    assert list(Acknowledgement.objects.order_by("pk").values_list("document_id", flat=True)) == [
        f"portal-{TOKEN}",
        f"portal-{token}",
    ]
    assert POLine.objects.get(po=published_po, line_no="1").proposal == {"quantity": "90"}


def _closed(po) -> None:
    """Every line accepted, shipped, received and invoiced in full: the PO is closed."""
    POLine.objects.filter(po=po).update(
        ack_response="ACCEPT",
        confirmed_quantity=F("quantity"),
        shipped_quantity=F("quantity"),
        received_quantity=F("quantity"),
        invoiced_quantity=F("quantity"),
        match_state="matched",
    )


def test_a_closed_po_shows_why_instead_of_the_form_and_its_actions(member, published_po):
    _closed(published_po)

    form = member.get(url(published_po)).content.decode()
    page = member.get(f"/portal/orders/{published_po.pk}/").content.decode()

    reason = "This order is closed: every line is received and invoiced in full."
    assert reason in form
    assert 'name="form-0-response"' not in form
    assert f"{reason} Nothing is left to acknowledge, ship or invoice." in page
    assert url(published_po) not in page
    assert f"/portal/orders/{published_po.pk}/invoice/" not in page


def test_an_acknowledgement_of_a_closed_po_sent_anyway_is_refused_in_words(member, published_po):
    _closed(published_po)
    before = list(POLine.objects.filter(po=published_po).values_list("ack_response", "confirmed_quantity"))

    response = member.post(
        url(published_po), ack_post({"1": {"response": "REJECT", "note": "no longer made"}, "2": {}, "3": {}})
    )

    assert response.status_code == 200
    assert (
        "PO-1000 is closed (every line is received and invoiced in full): "
        "it can no longer be acknowledged or changed" in response.content.decode()
    )
    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code) == ("refused", "po_closed")
    assert Acknowledgement.objects.count() == 0
    assert list(POLine.objects.filter(po=published_po).values_list("ack_response", "confirmed_quantity")) == before
    assert list(ProcurementException.objects.values_list("kind", "inbound_document")) == [
        ("invalid_document", document.pk)
    ]


@pytest.mark.parametrize("action", ["preflight", "submit"])
def test_a_promise_before_the_po_is_refused_with_the_form(member, published_po, action):
    import html

    post = ack_post({"1": {"response": "RESCHEDULE", "promised_date": "0001-01-01"}, "2": {}, "3": {}}, action=action)

    response = member.post(url(published_po), post)

    assert response.status_code == 200
    said = "line 1: promised date 0001-01-01 is before the PO's order date 2027-01-15; nothing was applied"
    assert response.context["refusal"].endswith(said)
    assert said in html.unescape(response.content.decode())
    assert Acknowledgement.objects.count() == 0
    assert set(POLine.objects.filter(po=published_po).values_list("change_state", flat=True)) == {"none"}
    stored = list(InboundDocument.objects.values_list("state", "outcome_code"))
    assert stored == ([("refused", "date_out_of_range")] if action == "submit" else [])
