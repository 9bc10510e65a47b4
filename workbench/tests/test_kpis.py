"""The KPI figures on a hand-built record: each value worked out from the rows in ``kpi_data``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from edi.kpis import functional_ack_kpis
from gateway.actors import Actor
from procurement import kpis
from procurement.kpis import KpiQuery
from procurement.models import POLine, Receipt, ReceiptLine
from workbench.scorecards import dashboard_charts, scorecard_headlines, supplier_scorecard

from .kpi_data import END, NOW, START, kpi_dataset


@pytest.fixture
def data(company):
    return kpi_dataset(company)


@pytest.fixture
def acme(company, buyer):
    return Actor.for_buyer(company_ids={company.pk}, label="buyer", user_id=buyer.pk)


def period(**slices) -> KpiQuery:
    return KpiQuery(start=START, end=END, **slices)


def rows(chart) -> list[dict]:
    return chart.rows


def test_acknowledgement_cycle_time_and_on_time_rate_by_month(data, acme):
    chart = kpis.acknowledgement_kpis(actor=acme, q=period(), now=NOW)

    assert rows(chart) == [
        # P1 6 h and P2 20 h, both within 24 h.
        {"group": "2027-01", "published": 2, "cycle_hours": 13.0, "on_time_rate": 100.0},
        # P3 12 h on time; P4 unacknowledged past due; P5 not due yet.
        {"group": "2027-02", "published": 3, "cycle_hours": 12.0, "on_time_rate": 50.0},
    ]


def test_acknowledgements_by_supplier_tier_plant_and_channel(data, acme):
    by_supplier = kpis.acknowledgement_kpis(actor=acme, q=period(group="supplier"), now=NOW)
    by_tier = kpis.acknowledgement_kpis(actor=acme, q=period(group="tier"), now=NOW)
    at_mty = kpis.acknowledgement_kpis(actor=acme, q=period(group="all", plant="MTY"), now=NOW)
    by_edi = kpis.acknowledgement_kpis(actor=acme, q=period(group="all", channel="edi"), now=NOW)

    assert rows(by_supplier) == [
        {"group": "BOLTS", "published": 3, "cycle_hours": 13.0, "on_time_rate": 100.0},
        {"group": "CAST", "published": 2, "cycle_hours": 12.0, "on_time_rate": 50.0},
    ]
    assert [r["group"] for r in rows(by_tier)] == ["standard", "strategic"]
    assert rows(at_mty) == [{"group": "all", "published": 2, "cycle_hours": 12.0, "on_time_rate": 50.0}]
    assert rows(by_edi) == rows(at_mty)


def test_promise_date_changes(data, acme):
    chart = kpis.promise_date_kpis(actor=acme, q=period(group="supplier"))

    assert rows(chart) == [
        {"group": "BOLTS", "changes": 1, "accepted": 1},
        {"group": "CAST", "changes": 1, "accepted": 0},
    ]


def test_asn_accuracy_and_latency(data, acme):
    overall = kpis.asn_kpis(actor=acme, q=period(group="all"))
    by_supplier = kpis.asn_kpis(actor=acme, q=period(group="supplier"))

    assert rows(overall) == [{"group": "all", "receipts": 2, "accuracy": 50.0, "latency_hours": 15.0}]
    assert rows(by_supplier) == [
        {"group": "BOLTS", "receipts": 1, "accuracy": 100.0, "latency_hours": 24.0},
        {"group": "CAST", "receipts": 1, "accuracy": 0.0, "latency_hours": 6.0},
    ]


def test_asn_accuracy_at_a_plant_on_a_channel_and_for_a_supplier(data, acme):
    # R1 (BOLTS, DET, portal): 10 received of 10 announced, 24 h after. R2 (CAST, MTY, EDI): 4 of the
    # 3 + 2 announced, 6 h after. Each slice judges its own receipts only.
    det = kpis.asn_kpis(actor=acme, q=period(group="all", plant="DET"))
    mty_edi = kpis.asn_kpis(actor=acme, q=period(group="month", plant="MTY", channel="edi"))
    strategic = kpis.asn_kpis(actor=acme, q=period(group="all", tier="strategic"))
    cast = kpis.asn_kpis(actor=Actor.for_supplier(supplier_id=data["cast"].pk, label="CAST"), q=period(group="all"))

    assert rows(det) == [{"group": "all", "receipts": 1, "accuracy": 100.0, "latency_hours": 24.0}]
    assert rows(mty_edi) == [{"group": "2027-02", "receipts": 1, "accuracy": 0.0, "latency_hours": 6.0}]
    assert rows(strategic) == [{"group": "all", "receipts": 1, "accuracy": 0.0, "latency_hours": 6.0}]
    assert rows(cast) == [{"group": "all", "receipts": 1, "accuracy": 0.0, "latency_hours": 6.0}]
    assert rows(kpis.asn_kpis(actor=acme, q=period(group="all", plant="DET", channel="edi"))) == []


def test_asn_accuracy_judges_each_receipt_on_the_lines_its_notice_named(data, acme, company):
    # R1 also takes in 7 of P2's line, which S1 never named: not judged (the over-shipment exception
    # speaks for it), R1 stays accurate. R4, a second receipt against S2, takes in the 3 + 2
    # announced: accurate on its own, while R2 against the same notice is not.
    r1 = Receipt.objects.get(receipt_number="R1")
    p2_line = POLine.objects.get(po__number="P2", po__company=company)
    ReceiptLine.objects.create(receipt=r1, po_line=p2_line, quantity_received=Decimal(7), quantity_rejected=0)
    r2 = Receipt.objects.get(receipt_number="R2")
    r4 = Receipt.objects.create(
        company=company,
        po=r2.po,
        shipment=r2.shipment,
        receipt_number="R4",
        received_on=dt.date(2027, 2, 6),
        physical_status="received",
        posting_status="posted",
        channel="portal",
        document_id="R4",
        fingerprint="R4",
        received_at=dt.datetime(2027, 2, 6, 6, tzinfo=dt.UTC),  # 30 h after S2
    )
    ReceiptLine.objects.create(
        receipt=r4, po_line=r2.lines.get().po_line, quantity_received=Decimal(4), quantity_rejected=Decimal(1)
    )

    overall = kpis.asn_kpis(actor=acme, q=period(group="all"))
    by_supplier = kpis.asn_kpis(actor=acme, q=period(group="supplier"))

    assert rows(overall) == [{"group": "all", "receipts": 3, "accuracy": 66.7, "latency_hours": 20.0}]
    assert rows(by_supplier) == [
        {"group": "BOLTS", "receipts": 1, "accuracy": 100.0, "latency_hours": 24.0},
        {"group": "CAST", "receipts": 2, "accuracy": 50.0, "latency_hours": 18.0},
    ]


def test_invoice_first_pass_match_rate(data, acme):
    overall = kpis.invoice_kpis(actor=acme, q=period(group="all"))
    by_supplier = kpis.invoice_kpis(actor=acme, q=period(group="supplier"))

    assert rows(overall) == [{"group": "all", "invoices": 5, "first_pass_rate": 60.0}]
    assert rows(by_supplier) == [
        {"group": "BOLTS", "invoices": 3, "first_pass_rate": 66.7},
        {"group": "CAST", "invoices": 2, "first_pass_rate": 50.0},
    ]


def test_exceptions_by_severity(data, acme):
    chart = kpis.exception_kpis(actor=acme, q=period(), now=NOW)

    assert rows(chart) == [
        {"group": "Production stop", "raised": 2, "open": 1, "age_hours": 24.0, "resolution_hours": 24.0},
        {"group": "Financial mismatch", "raised": 3, "open": 1, "age_hours": 48.0, "resolution_hours": 18.0},
    ]


def test_integration_failure_rate_by_channel(data, acme):
    chart = kpis.integration_kpis(actor=acme, q=period())

    assert rows(chart) == [
        {"group": "api", "documents": 2, "failure_rate": 50.0},
        {"group": "edi", "documents": 3, "failure_rate": 33.3},
        {"group": "portal", "documents": 1, "failure_rate": 0.0},
    ]


def test_997_latency_by_partner(data, acme):
    chart = functional_ack_kpis(actor=acme, q=period())

    assert rows(chart) == [{"group": "CAST", "sent": 2, "answered_rate": 50.0, "latency_hours": 3.0, "overdue": 1}]


def test_another_companys_buyer_and_nobody_count_none_of_acmes_rows(data, acme):
    other = Actor.for_buyer(company_ids={data["other"].pk}, label="other", user_id=999)

    theirs = dashboard_charts(actor=other, q=period(group="all"), now=NOW)
    nobody = dashboard_charts(actor=Actor.nobody(), q=period(group="all"), now=NOW)

    # OTHER allows the default 48 hours: X1, acknowledged after exactly 48, is on time.
    assert {c.key: c.rows for c in theirs} == {
        "acknowledgements": [{"group": "all", "published": 1, "cycle_hours": 48.0, "on_time_rate": 100.0}],
        "promise_dates": [{"group": "all", "changes": 1, "accepted": 0}],
        "asn": [],
        "asn_packs": [],
        "invoices": [{"group": "all", "invoices": 1, "first_pass_rate": 0.0}],
        "exceptions": [
            {"group": "Production stop", "raised": 1, "open": 1, "age_hours": 1200.0, "resolution_hours": None}
        ],
        "integration": [{"group": "api", "documents": 1, "failure_rate": 100.0}],
        "functional_acks": [],
        "sync": [
            # X1 acknowledged in 48 h, within OTHER's 48; its change proposal unanswered past 48 h.
            {
                "group": "PO → acknowledgement",
                "objects": 1,
                "met": 1,
                "met_rate": 100.0,
                "p50_hours": 48.0,
                "p95_hours": 48.0,
            },
            {"group": "Change → answer", "objects": 1, "met": 0, "met_rate": 0.0, "p50_hours": None, "p95_hours": None},
        ],
    }
    assert all(chart.rows == [] for chart in nobody)


def test_a_supplier_reads_its_own_scorecard_over_every_buyer(data):
    bolts = Actor.for_supplier(supplier_id=data["bolts"].pk, label="BOLTS")

    totals, monthly = supplier_scorecard(actor=bolts, supplier_code="BOLTS", start=START, end=END, now=NOW)

    by_key = {c.key: c.rows for c in totals}
    # BOLTS' own view counts OTHER's PO X1 too (48 h, within OTHER's 48): its business with both buyers.
    assert by_key["acknowledgements"] == [{"group": "all", "published": 4, "cycle_hours": 24.67, "on_time_rate": 100.0}]
    assert by_key["invoices"] == [{"group": "all", "invoices": 4, "first_pass_rate": 50.0}]
    assert [r["group"] for r in {c.key: c.rows for c in monthly}["acknowledgements"]] == ["2027-01", "2027-02"]
    headline = scorecard_headlines(totals)[0]
    assert (headline.figure, headline.measure, headline.value, headline.unit) == (
        "Acknowledgements: cycle time and on-time rate",
        "POs published",
        4,
        "",
    )


def test_the_csv_table_of_a_chart(data, acme):
    chart = kpis.invoice_kpis(actor=acme, q=period(group="supplier"))

    assert chart.table() == [
        ["Supplier", "Invoices (count)", "Matched first time (percent)"],
        ["BOLTS", 3, 66.7],
        ["CAST", 2, 50.0],
    ]
