"""The KPI and documents pages × who asks: ACME's buyer, OTHER's buyer, a supplier's person and
nobody signed in — exact statuses, and a refused action writes nothing. Then the dashboard's own
content: its charts' data blocks and each chart's CSV."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.utils import timezone
from freezegun import freeze_time

from notifications.models import OutboundMessage
from procurement.models import AuditEvent, DocumentReplayRequest, InboundDocument

from .html import table_rows, text
from .kpi_data import kpi_dataset

PERIOD = "start=2027-01-01&end=2027-02-28"


@pytest.fixture
def world(company, buyer, other_buyer):
    data = kpi_dataset(company)
    document = InboundDocument.objects.filter(company=company, channel="edi").order_by("pk").first()
    now = timezone.now()
    message = OutboundMessage.objects.create(
        kind="file",
        event="po.published",
        destination="cast",
        payload={},
        idempotency_key="k1",
        supplier=data["cast"],
        po=data["p3"],
        state="dead",
        attempts=3,
        max_attempts=3,
        next_attempt_at=now,
        created_at=now,
    )
    request = DocumentReplayRequest.objects.create(
        document=document, company=company, reason="r", requested_by=buyer, requested_at=now
    )
    return {"document": document, "message": message, "request": request, **data}


def gets(w) -> list[str]:
    return [
        f"/workbench/kpis/?{PERIOD}",
        f"/workbench/kpis/acknowledgements.csv?{PERIOD}",
        f"/workbench/suppliers/CAST/scorecard/?{PERIOD}",
        "/workbench/documents/",
        "/workbench/documents/?direction=out",
        f"/workbench/documents/in/{w['document'].pk}/",
        f"/workbench/documents/out/{w['message'].pk}/",
    ]


def posts(w) -> list[str]:
    return [
        f"/workbench/documents/in/{w['document'].pk}/replay/",
        f"/workbench/documents/replay-requests/{w['request'].pk}/approve/",
        f"/workbench/documents/out/{w['message'].pk}/resend/",
    ]


def snapshot(w) -> tuple:
    w["document"].refresh_from_db()
    w["message"].refresh_from_db()
    w["request"].refresh_from_db()
    return (
        AuditEvent.objects.count(),
        DocumentReplayRequest.objects.count(),
        OutboundMessage.objects.count(),
        (w["document"].state, w["document"].attempts),
        (w["message"].state, w["message"].max_attempts),
        (w["request"].state, w["request"].approved_by_id),
    )


def test_acmes_buyer_opens_every_page(client, buyer, world):
    client.force_login(buyer)

    statuses = [client.get(url).status_code for url in gets(world)]

    assert statuses == [200] * 7


def test_another_companys_buyer_sees_none_of_acmes_documents_and_changes_nothing(client, other_buyer, world):
    client.force_login(other_buyer)
    before = snapshot(world)

    statuses = [client.get(url).status_code for url in gets(world)]
    post_statuses = [client.post(url, {"reason": "x"}).status_code for url in posts(world)]

    # The dashboard and the lists open (with OTHER's rows only); ACME's supplier CAST and ACME's documents do not.
    assert statuses == [200, 200, 404, 200, 200, 404, 404]
    assert post_statuses == [404, 404, 404]
    assert snapshot(world) == before
    listed = table_rows(client.get("/workbench/documents/").content.decode())
    # OTHER's own failed API document, then BOLTS's refused one placed in no company (BOLTS serves OTHER too).
    unplaced = InboundDocument.objects.filter(supplier__code="BOLTS", company=None).get()
    own = InboundDocument.objects.filter(company__code="OTHER").get()
    assert [(row[0], row[2]) for row in listed] == [(str(own.pk), "BOLTS"), (str(unplaced.pk), "BOLTS")]


def test_a_supplier_person_gets_403_and_changes_nothing(client, supplier_user, world):
    client.force_login(supplier_user)
    before = snapshot(world)

    assert [client.get(url).status_code for url in gets(world)] == [403] * 7
    assert [client.post(url, {"reason": "x"}).status_code for url in posts(world)] == [403] * 3
    assert snapshot(world) == before


def test_nobody_signed_in_is_sent_to_sign_in_and_changes_nothing(client, world):
    before = snapshot(world)

    for url in gets(world) + posts(world):
        response = client.post(url) if url in posts(world) else client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/workbench/sign-in/?next={quote(url, safe='/')}"
    assert snapshot(world) == before


def test_the_dashboard_carries_every_charts_numbers_and_a_csv_link(client, buyer, world):
    client.force_login(buyer)

    page = client.get(f"/workbench/kpis/?{PERIOD}&group=supplier").content.decode()

    blocks = dict(re.findall(r'<script id="chart-([a-z_]+)-data" type="application/json">(.*?)</script>', page))
    assert list(blocks) == [
        "acknowledgements",
        "promise_dates",
        "asn",
        "invoices",
        "exceptions",
        "integration",
        "functional_acks",
        "sync",
    ]
    invoices = json.loads(blocks["invoices"])
    assert invoices["labels"] == ["BOLTS", "CAST"]
    assert invoices["datasets"] == [
        {"label": "Invoices", "unit": "count", "data": [3, 2]},
        {"label": "Matched first time", "unit": "percent", "data": [66.7, 50.0]},
    ]
    assert page.count("<canvas data-chart=") == 8
    assert 'href="/workbench/kpis/invoices.csv?start=2027-01-01&amp;end=2027-02-28&amp;group=supplier"' in page
    assert "<script>" not in page  # no inline script: only src= and json blocks


def test_a_charts_csv(client, buyer, world):
    client.force_login(buyer)

    response = client.get(f"/workbench/kpis/invoices.csv?{PERIOD}&group=supplier")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="invoices-2027-01-01-2027-02-28.csv"'
    assert response.content.decode() == (
        "Supplier,Invoices (count),Matched first time (percent)\r\nBOLTS,3,66.7\r\nCAST,2,50.0\r\n"
    )


def test_a_csv_of_no_chart_or_a_bad_period(client, buyer, world):
    client.force_login(buyer)

    assert client.get(f"/workbench/kpis/nothing.csv?{PERIOD}").status_code == 404
    bad = client.get("/workbench/kpis/invoices.csv?start=2027-03-01&end=2027-01-01")
    assert (bad.status_code, bad.content.decode()) == (400, "start: The period must start on or before its end.")


def test_the_scorecard_sums_up_the_supplier(client, buyer, world):
    client.force_login(buyer)

    page = client.get(f"/workbench/suppliers/CAST/scorecard/?{PERIOD}").content.decode()

    lines = {row[0]: row[1] for row in table_rows(page, "scorecard")}
    assert lines["Acknowledgements: cycle time and on-time rate: Mean cycle time"] == "12.0 h"
    assert lines["Invoices: first-pass match rate: Matched first time"] == "50.0 %"
    assert lines["997/999 latency by EDI partner (CAST): Mean 997 latency"] == "3.0 h"
    assert "Scorecard: CAST" in text(page)


def test_a_period_at_the_end_of_the_calendar_is_refused_not_a_500(client, buyer, world):
    client.force_login(buyer)

    bad = client.get("/workbench/kpis/invoices.csv?start=9999-12-01&end=9999-12-31")

    assert (bad.status_code, bad.content.decode()) == (400, "end: A period ends by 9999-12-30.")


@pytest.mark.parametrize(
    "asked, shown",
    [
        ("", ("2026-03-02", "2027-03-01")),
        ("?end=2027-02-28", ("2026-03-01", "2027-02-28")),
        ("?start=2027-01-01", ("2027-01-01", "2027-03-01")),
        (f"?{PERIOD}", ("2027-01-01", "2027-02-28")),
    ],
)
def test_the_form_shows_the_period_the_charts_cover(client, buyer, world, asked, shown):
    with freeze_time("2027-03-01 12:00:00"):  # "today", the default end, in the dataset's time
        client.force_login(buyer)
        page = client.get(f"/workbench/kpis/{asked}").content.decode()

    values = tuple(
        re.search(rf'<input type="date" name="{name}" value="([^"]*)"', page)[1] for name in ("start", "end")
    )
    assert values == shown
