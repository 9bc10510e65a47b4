"""Every portal form, fed arbitrary values: a page or a redirect, never a server error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procurement.models import POLine

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text a browser could send: any Unicode but surrogates and NUL (which no form field can carry).
value = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40),
    st.sampled_from(["", "0", "-1", "1e999", "NaN", "Infinity", "99999999999999999999", "2027-02-30", "1.0000001"]),
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
ACK_FIELDS = ["line_no", "response", "quantity", "unit_price", "promised_date", "deliveries", "substitute_part_number"]
SHIP_HEADER = ["shipment_id", "ship_date", "expected_delivery", "pack_1", "pack_2", "company_prefix", "next_serial"]
SHIP_ROW = ["line_id", "ship", "quantity", "pack", "lot", "serials"]
INVOICE_HEADER = ["invoice_number", "purpose", "invoice_date", "freight", "tax_type", "tax_percent"]
INVOICE_ROW = ["line_id", "include", "quantity", "unit_price"]
OK = {200, 302}


def rows(prefix, total, fields):
    return st.fixed_dictionaries(
        {f"{prefix}-TOTAL_FORMS": st.sampled_from(["1", "2", "-1", "x", "5000"]), f"{prefix}-INITIAL_FORMS": value}
        | {f"{prefix}-{n}-{name}": value for n in range(total) for name in fields}
    )


@FUZZ
@given(
    header=st.fixed_dictionaries({"token": value, "revision": value, "note": value, "action": value}),
    lines=rows("form", 2, ACK_FIELDS),
)
def test_acknowledge_form(member, published_po, header, lines):
    response = member.post(f"/portal/orders/{published_po.pk}/acknowledge/", header | lines)
    assert response.status_code in OK


@FUZZ
@given(
    header=st.fixed_dictionaries({name: value for name in SHIP_HEADER} | {"action": value, "token": value}),
    lines=rows("form", 2, SHIP_ROW),
)
def test_ship_notice_form(member, published_po, plant, header, lines):
    line = POLine.objects.filter(po=published_po).first()
    data = header | lines | {"ship_to": str(plant.pk), "form-0-line_id": str(line.pk)}
    response = member.post("/portal/ship-notices/new/", data)
    assert response.status_code in OK


@FUZZ
@given(header=st.fixed_dictionaries({name: value for name in INVOICE_HEADER}), lines=rows("form", 2, INVOICE_ROW))
def test_invoice_form(member, published_po, header, lines):
    response = member.post(f"/portal/orders/{published_po.pk}/invoice/", header | lines)
    assert response.status_code in OK


@FUZZ
@given(content=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_csv_upload(member, published_po, content):
    for kind, header in (
        (
            "acknowledgements",
            b"po_number,line_no,response,quantity,unit_price,promised_date,deliveries,substitute_part_number,note\r\n",
        ),
        ("ship-notices", b""),
    ):
        response = member.post(
            "/portal/uploads/", {"kind": kind, "file": SimpleUploadedFile("f.csv", header + content, "text/csv")}
        )
        assert response.status_code == 302
        assert member.get(response["Location"]).status_code == 200
        assert member.post(response["Location"] + "apply/").status_code in OK


NOTIFICATION_EVENTS = [
    "po.published",
    "po.changed",
    "ack.overdue",
    "exception.raised",
    "exception.resolved",
    "invoice.held",
    "invoice.released",
]


@FUZZ
@given(choices=st.fixed_dictionaries({event: value for event in NOTIFICATION_EVENTS}))
def test_notification_settings_form(member, choices):
    response = member.post("/portal/notifications/settings/", choices)
    assert response.status_code in {302, 400}


@FUZZ
@given(name=value, scope=value, url=value, events=st.lists(value, max_size=3))
def test_integration_forms(client, bolts_admin, name, scope, url, events):
    from .conftest import sign_in_with_mfa

    sign_in_with_mfa(client, bolts_admin)
    keys = client.post("/portal/integrations/keys/", {"name": name, "scope": scope})
    hooks = client.post("/portal/integrations/webhooks/", {"url": url, "events": events})
    assert keys.status_code in {200, 400}
    assert hooks.status_code in {200, 400}


@FUZZ
@given(start=value, end=value, page=value)
def test_scorecard_and_inbox_queries(member, start, end, page):
    assert member.get("/portal/scorecard/", {"start": start, "end": end}).status_code in {200, 400}
    assert member.get("/portal/notifications/", {"page": page, "show": start}).status_code == 200
    assert member.get("/portal/activity/", {"page": page}).status_code == 403  # members: admins only
