"""Tolerance policy, exercised through acknowledgement_record with ToleranceRule rows."""

import datetime as dt

import pytest

from notifications.models import OutboundMessage
from procurement.models import ChangeRequest, Company, PORevision, ProcurementException

from . import helpers as h
from .helpers import D


def _price_exception(supplier, value: str, line_no: str = "1") -> bool:
    """Answer one line with a new price; whether it raised a price exception."""
    result = h.record_ack(supplier, f"ACK-{line_no}-{value}", h.price(line_no, value))
    return [e.kind for e in result.exceptions] == ["price_deviation"]


@pytest.mark.parametrize(
    ("limits", "value", "exception"),
    [
        ({"over_percent": D("5")}, "10.50", False),  # exactly at the limit
        ({"over_percent": D("5")}, "10.51", True),  # just over
        ({"over_amount": D("0.50")}, "10.50", False),
        ({"over_amount": D("0.50")}, "10.51", True),
        ({"over_percent": D("0"), "over_amount": D("0")}, "10.01", True),  # zero allows nothing
        ({"under_percent": D("0"), "under_amount": D("0")}, "9.99", True),
        ({"over_percent": D("10"), "over_amount": D("0.50")}, "10.60", True),  # within %, over amount
        ({"over_percent": D("2"), "over_amount": D("1.00")}, "10.30", True),  # within amount, over %
        ({"over_percent": D("10"), "over_amount": D("1.00")}, "10.60", False),  # both hold
        ({"over_percent": D("5"), "under_percent": D("0")}, "10.40", False),  # over and under apart
        ({"over_percent": D("5"), "under_percent": D("0")}, "9.90", True),
        ({"over_percent": D("0"), "under_percent": D("5")}, "9.50", False),
        ({"over_percent": D("0"), "under_percent": D("5")}, "10.10", True),
        ({"under_amount": D("0")}, "25.00", False),  # an empty limit does not constrain
    ],
)
def test_price_tolerance_edges(published_po, supplier, company, limits, value, exception):
    h.rule(company, "price", **limits)

    assert _price_exception(supplier, value) is exception
    line = h.po_line(published_po, "1")
    assert line.unit_price == D("10")
    assert line.change_state == "proposed"  # within tolerance without auto-accept still waits for the buyer


@pytest.mark.parametrize(("value", "exception"), [("10.01", True), ("9.99", True), ("10.00", False)])
def test_without_a_rule_no_deviation_is_allowed(published_po, supplier, value, exception):
    assert _price_exception(supplier, value) is exception


def test_the_exception_shows_the_rule_that_was_applied(published_po, supplier, company):
    applied = h.rule(company, "price", over_percent=D("5"), over_amount=D("1"))
    h.record_ack(supplier, "ACK-1", h.price("1", "10.60"))

    exc = ProcurementException.objects.get()
    assert h.num(exc.evidence) == h.num(
        {
            "expected": "10",
            "actual": "10.60",
            "deviation": "0.60",
            "deviation_percent": "6.00",
            "tolerance": {
                "rule": applied.pk,
                "over_percent": "5",
                "over_amount": "1",
                "under_percent": None,
                "under_amount": None,
            },
        }
    )


@pytest.mark.parametrize(
    ("limits", "value", "exception"),
    [
        ({"under_percent": D("10")}, "90", False),
        ({"under_percent": D("10")}, "89", True),
        ({"under_percent": D("10")}, "150", False),  # over has no limit set: it does not constrain
        ({"under_percent": D("10"), "over_percent": D("0")}, "101", True),  # over is checked on its own
        ({"over_amount": D("5"), "under_amount": D("0")}, "105", False),
        ({"over_amount": D("5"), "under_amount": D("0")}, "106", True),
    ],
)
def test_quantity_tolerance(published_po, supplier, company, limits, value, exception):
    h.rule(company, "quantity", **limits)
    result = h.record_ack(supplier, "ACK-1", h.quantity("1", value))

    assert ([e.kind for e in result.exceptions] == ["quantity_deviation"]) is exception


@pytest.mark.parametrize(
    ("promised", "exception"),
    [
        (dt.date(2027, 3, 4), False),  # three days late: at the limit
        (dt.date(2027, 3, 5), True),  # four days late
        (dt.date(2027, 2, 28), True),  # one day early: under allows none
    ],
)
def test_date_tolerance_is_in_days(published_po, supplier, company, promised, exception):
    # A percentage means nothing for dates; it must not turn three days into a deviation.
    h.rule(company, "date", over_amount=D("3"), over_percent=D("0"), under_amount=D("0"))
    result = h.record_ack(supplier, "ACK-1", h.reschedule("1", promised))

    assert ([e.kind for e in result.exceptions] == ["date_deviation"]) is exception
    if exception:
        evidence = result.exceptions[0].evidence
        assert evidence["deviation_days"] == str((promised - dt.date(2027, 3, 1)).days)
        assert evidence["deviation_percent"] is None


def test_an_early_date_is_data_quality_and_a_late_one_a_delay(published_po, supplier):
    h.record_ack(supplier, "ACK-1", h.reschedule("1", dt.date(2027, 2, 20)), h.reschedule("2", dt.date(2027, 3, 2)))

    assert h.kinds(severity="data_quality") == ["date_deviation"]
    assert h.kinds(severity="procurement_delay") == ["date_deviation"]
    assert ProcurementException.objects.get(severity="data_quality").po_line.line_no == "1"


# Narrowest rule wins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "within", "over"),
    [
        (("company", "supplier", "item", "supplier_item"), "10.40", "10.41"),
        (("company", "supplier", "item"), "10.30", "10.31"),
        (("company", "supplier"), "10.20", "10.21"),
        (("company",), "10.10", "10.11"),
        (("company", "item", "other_supplier_item", "other_item"), "10.30", "10.31"),
        (("company", "supplier_item"), "10.40", "10.41"),
    ],
)
def test_the_narrowest_rule_wins(published_po, supplier, other_supplier, company, scopes, within, over):
    part1, part2 = h.item(company, "PART-00001"), h.item(company, "PART-00002")
    percent = {"company": 1, "supplier": 2, "item": 3, "supplier_item": 4, "other_supplier_item": 9, "other_item": 9}
    scope = {
        "company": {},
        "supplier": {"supplier": supplier},
        "item": {"item": part1},
        "supplier_item": {"supplier": supplier, "item": part1},
        "other_supplier_item": {"supplier": other_supplier, "item": part1},
        "other_item": {"item": part2},
    }
    rules = {name: h.rule(company, "price", over_percent=D(percent[name]), **scope[name]) for name in scopes}

    assert _price_exception(supplier, within) is False
    assert _price_exception(supplier, over) is True
    applied = ProcurementException.objects.get().evidence["tolerance"]["rule"]
    narrowest = next(name for name in ("supplier_item", "item", "supplier", "company") if name in scopes)
    assert applied == rules[narrowest].pk


def test_editing_a_rule_takes_effect_at_once(published_po, supplier, company):
    assert Company.objects.get(pk=company.pk).policy_version == 1
    loose = h.rule(company, "price", over_percent=D("5"))
    assert Company.objects.get(pk=company.pk).policy_version == 2
    assert _price_exception(supplier, "10.40", line_no="1") is False

    loose.over_percent = D("1")
    loose.save()
    assert Company.objects.get(pk=company.pk).policy_version == 3
    assert _price_exception(supplier, "10.40", line_no="2") is True

    loose.delete()
    assert Company.objects.get(pk=company.pk).policy_version == 4
    h.rule(company, "quantity", under_percent=D("50"))  # another check's rule does not loosen price
    assert _price_exception(supplier, "10.01", line_no="3") is True


def test_deleting_rules_from_the_admin_list_takes_effect_at_once(
    published_po, supplier, company, admin_client, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path
    loose = h.rule(company, "price", over_percent=D("5"))
    assert _price_exception(supplier, "10.40", line_no="1") is False

    response = admin_client.post(
        "/admin/procurement/tolerancerule/",
        {"action": "delete_selected", "_selected_action": [loose.pk], "post": "yes"},
    )
    assert response.status_code == 302

    assert not company.tolerances.exists()
    assert _price_exception(supplier, "10.40", line_no="2") is True


# Auto-accept ----------------------------------------------------------------------------------


def test_a_proposal_within_an_auto_accept_tolerance_becomes_a_new_revision(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    result = h.record_ack(supplier, "ACK-1", h.price("1", "10.40"), h.answer("2"), h.answer("3"))

    assert result.exceptions == []
    assert ProcurementException.objects.count() == 0
    revision = PORevision.objects.get(po=published_po, revision=1)
    assert revision.source == "policy"
    assert revision.channel == "api"
    assert revision.correlation_id == "corr-sup-0001"
    assert h.num(revision.diff) == h.num([{"line": "1", "field": "unit_price", "from": "10", "to": "10.40"}])
    assert revision.snapshot["lines"][0]["unit_price"] == "10.40"  # as the diff beside it says
    published_po.refresh_from_db()
    assert published_po.revision == 1
    line = h.po_line(published_po, "1")
    assert (line.unit_price, line.revision, line.ack_status, line.change_state, line.proposal) == (
        D("10.40"),
        1,
        "accepted",
        "accepted",
        {},
    )
    assert line.confirmed_price == D("10.40")
    cr = ChangeRequest.objects.get()
    assert (cr.state, cr.proposed) == ("accepted", {"unit_price": "10.40"})
    changed = OutboundMessage.objects.get(event="po.changed")
    assert (changed.kind, changed.destination, changed.idempotency_key) == (
        "email",
        "orders@bolts.example",
        "po.changed:ACME:PO-1000:1:email",
    )
    assert changed.payload["previous_revision"] == 0
    assert changed.payload["po"]["revision"] == 1
    assert published_po.status == "confirmed"


def test_a_change_request_accepted_by_policy_names_the_revision_it_produced(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    h.record_ack(supplier, "ACK-1", h.price("1", "10.40"))

    assert ChangeRequest.objects.get().resulting_revision == 1


def test_auto_accept_needs_every_proposed_change_within_tolerance(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    h.record_ack(
        supplier,
        "ACK-1",
        h.answer("1", "CHANGE_PRICE", unit_price=D("10.40"), promised_date=dt.date(2027, 3, 3)),
    )

    assert PORevision.objects.filter(po=published_po).count() == 1
    assert h.kinds() == ["date_deviation"]
    line = h.po_line(published_po, "1")
    assert (line.unit_price, line.change_state) == (D("10"), "proposed")
    assert line.proposal == {"unit_price": "10.40", "need_by": "2027-03-03"}
    assert ChangeRequest.objects.get().state == "proposed"


def test_over_an_auto_accept_tolerance_is_an_exception_and_no_revision(published_po, supplier, company):
    h.rule(company, "price", over_percent=D("5"), auto_accept=True)
    h.record_ack(supplier, "ACK-1", h.price("1", "10.51"))

    assert PORevision.objects.filter(po=published_po).count() == 1
    assert h.kinds() == ["price_deviation"]
    assert h.po_line(published_po, "1").unit_price == D("10")
