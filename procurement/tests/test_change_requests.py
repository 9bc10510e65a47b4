"""Proposals within tolerance raise no exception; the buyer decides on them directly."""

from decimal import Decimal as D

import pytest

from notifications.models import OutboundMessage
from procurement.models import ChangeRequest, PORevision, ProcurementException
from procurement.services import (
    InvalidAction,
    WriteSource,
    change_request_accept,
    change_request_decline,
    invoice_record,
)
from procurement.tests import helpers as h


@pytest.fixture
def within_tolerance(published_po, supplier, company):
    """Line 1 proposed at 10.40 against 10.00 with a 5 % price tolerance: no exception, a proposal."""
    h.rule(company, "price", over_percent=D("5"))
    h.record_ack(supplier, "ACK-1", h.price("1", "10.40"))
    assert ProcurementException.objects.count() == 0
    return ChangeRequest.objects.get()


def test_the_buyer_accepts_a_proposal_within_tolerance(within_tolerance, published_po, buyer):
    outbox_before = OutboundMessage.objects.count()

    cr = change_request_accept(
        change_request_id=within_tolerance.pk, source=WriteSource(channel="admin", label="buyer", actor=buyer)
    )

    assert (cr.state, cr.resulting_revision, cr.decided_by) == ("accepted", 1, buyer)
    line = h.po_line(published_po, "1")
    assert (line.unit_price, line.ack_status, line.proposal) == (D("10.40"), "accepted", {})
    assert PORevision.objects.filter(po=published_po).latest("revision").source == "supplier_proposal"
    assert OutboundMessage.objects.filter(event="po.changed").count() == 1
    assert OutboundMessage.objects.count() > outbox_before


def test_the_buyer_declines_a_proposal_and_the_supplier_is_told_why(within_tolerance, published_po, buyer):
    cr = change_request_decline(
        change_request_id=within_tolerance.pk,
        source=WriteSource(channel="admin", label="buyer", actor=buyer),
        reason="Contract price until June",
    )

    assert cr.state == "declined"
    line = h.po_line(published_po, "1")
    assert (line.unit_price, line.change_state, line.confirmed_price, line.ack_status) == (
        D("10.00"),
        "declined",
        None,
        "awaiting",
    )
    told = OutboundMessage.objects.get(event="proposal.rejected")
    assert (told.payload["reason"], told.payload["line"], told.payload["proposed"]) == (
        "Contract price until June",
        "1",
        {"unit_price": "10.40"},
    )


def test_a_decided_proposal_cannot_be_decided_again(within_tolerance, buyer):
    source = WriteSource(channel="admin", label="buyer", actor=buyer)
    change_request_accept(change_request_id=within_tolerance.pk, source=source)

    with pytest.raises(InvalidAction):
        change_request_decline(change_request_id=within_tolerance.pk, source=source, reason="too late")


def test_declining_needs_a_reason(within_tolerance, buyer):
    with pytest.raises(InvalidAction):
        change_request_decline(
            change_request_id=within_tolerance.pk, source=WriteSource(channel="admin", label="buyer"), reason=" "
        )
    assert ChangeRequest.objects.get().state == "proposed"


def test_a_credit_memo_cannot_credit_more_than_was_invoiced(published_po, supplier):
    h.accept_all(supplier)
    invoice_record(supplier=supplier, invoice=h.invoice("INV-1", ("1", "10", "10.00")), source=h.source())
    before = h.counts()

    error = h.refused(
        invoice_record,
        supplier=supplier,
        invoice=h.invoice("CM-1", ("1", "11", "10.00"), purpose="credit_memo"),
        source=h.source(),
    )

    assert (error.code, error.message) == ("invalid", "credit memo CM-1 credits more than was invoiced on line 1")
    assert h.counts() == before
