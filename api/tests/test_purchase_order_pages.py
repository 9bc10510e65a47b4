"""The PO list's pages are the ``PurchaseOrderOut`` serializer's bytes, whoever writes them.

On PostgreSQL the database writes a page's JSON (api/serializers/purchase_orders_sql.py); elsewhere it is
built from rows. Either way the body must be, byte for byte, what the serializer over model instances
renders: every field shape (nulls, decimals at their scale, dates, instants with and without
microseconds, escaped text, schedules, proposals), every line and PO status, and only the caller's POs.
"""

import dataclasses
import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.renderers import JSONRenderer, JSONText
from api.serializers import PurchaseOrderOut
from api.serializers.purchase_orders_sql import available, purchase_orders_json
from gateway.actors import Actor
from procurement import factories
from procurement.models import Item, POLine, PurchaseOrder, ScheduleLine
from procurement.selectors import purchase_orders_for
from procurement.services import purchase_order_change

from .conftest import Api
from .test_purchase_orders import POS, orders  # noqa: F401 - ``orders`` is a fixture used below

SYSTEM_POS = "/api/v1/system/purchase-orders/"
UTC = dt.UTC


def expected_page(actor: Actor, **render) -> bytes:
    """The page of every PO ``actor`` sees, in the list's order, as the serializer renders it."""
    ordered = purchase_orders_for(actor=actor).order_by("updated_at", "id")
    data = {"next": None, "previous": None, "results": PurchaseOrderOut(ordered, many=True).data}
    return JSONRenderer().render(data, **render)


def listed(api, path: str = POS, **headers):
    """The list's whole first page (up to 200 POs), and whether the database wrote it."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, {"page_size": 200}, headers=headers or None)
    assert response.status_code == 200, response.content
    written = any("WITH page AS" in query["sql"] for query in queries.captured_queries)
    assert written == (connection.vendor == "postgresql")
    return response


def make_po(company, supplier, plant, number: str, *, lines: list[dict], **fields) -> PurchaseOrder:
    """A PO written as the services leave one, with ``lines`` (each: POLine fields, ``schedule``)."""
    instants = {"published_at": dt.datetime(2027, 1, 4, 8, 30, tzinfo=UTC)} | fields
    updated_at = instants.pop("updated_at", instants["published_at"])
    order = PurchaseOrder.objects.create(
        company=company,
        supplier=supplier,
        ship_to=plant,
        number=number,
        currency="USD",
        order_date=dt.date(2027, 1, 4),
        updated_at=updated_at,
        **instants,
    )
    for n, line in enumerate(lines, start=1):
        schedule = line.pop("schedule", [])
        item = Item.objects.get_or_create(company=company, part_number=line.pop("part_number", f"PART-{n:05d}"))[0]
        made = POLine.objects.create(
            po=order,
            item=item,
            line_no=str(n),
            quantity=line.pop("quantity", Decimal("100")),
            uom=line.pop("uom", "EA"),
            unit_price=line.pop("unit_price", Decimal("10")),
            need_by=line.pop("need_by", dt.date(2027, 3, 1)),
            **line,
        )
        ScheduleLine.objects.bulk_create(
            ScheduleLine(po_line=made, position=p, quantity=q, date=d) for p, (q, d) in enumerate(schedule, start=1)
        )
    return order


@pytest.fixture
def shapes(orders, company, plant, supplier, other_supplier, foreign_company, erp):  # noqa: F811
    """Besides ``orders`` (answers, shipments, receipts, invoices, buyer decisions through the API): POs made
    with every shape a field can take, for BOLTS, NUTS and another buying company."""
    text = 'He said "ok" \\ then\ttab\nline \x01\x1f \x7f Zürich 😀 \u2028\u2029 </script>'
    make_po(
        company,
        supplier,
        plant,
        "PO-SHAPES",
        notes=text,
        revision=3,
        published_at=dt.datetime(2027, 1, 4, 8, 30, 0, 1, tzinfo=UTC),
        updated_at=dt.datetime(2030, 1, 1, 0, 0, tzinfo=UTC),
        lines=[
            # Nothing answered: every answer field empty or null.
            {"supplier_part_number": "", "description": ""},
            # Answered, partly shipped: the promised date is the next one.
            {
                "description": text,
                "supplier_part_number": 'SP/1 "x"',
                "quantity": Decimal("0.0001"),
                "unit_price": Decimal("0.000001"),
                "ack_response": "ACCEPT",
                "ack_raw_code": "IA",
                "confirmed_quantity": Decimal("9999999999.9999"),
                "confirmed_price": Decimal("12345.678901"),
                "promised_date": dt.date(2027, 3, 5),
                "shipped_quantity": Decimal("12.5"),
                "revision": 2,
            },
            # A schedule, sent out of date order with two deliveries on one day: shipments fill it by date,
            # then in the order sent; 30 shipped fills the 10 of 03-01 and 15 of the first 03-02 delivery.
            {
                "ack_response": "ACCEPT",
                "confirmed_quantity": Decimal("100"),
                "promised_date": dt.date(2027, 3, 1),
                "shipped_quantity": Decimal("30"),
                "schedule": [
                    (Decimal("50"), dt.date(2027, 3, 9)),
                    (Decimal("15"), dt.date(2027, 3, 2)),
                    (Decimal("10"), dt.date(2027, 3, 1)),
                    (Decimal("25"), dt.date(2027, 3, 2)),
                ],
            },
            # A schedule shipped in full: no next date.
            {
                "ack_response": "ACCEPT",
                "shipped_quantity": Decimal("100"),
                "received_quantity": Decimal("100"),
                "schedule": [(Decimal("60"), dt.date(2027, 2, 1)), (Decimal("40"), dt.date(999, 12, 31))],
            },
            # A pending proposal of every kind of value, on a cancelled line.
            {
                "cancelled": True,
                "ack_response": "CHANGE_QTY",
                "change_state": "proposed",
                "need_by": dt.date(1, 1, 1),
                "proposal": {
                    "quantity": "80.0000",
                    "cancel": True,
                    "note": None,
                    "ratio": 1.5,
                    "tiny": 1e-7,
                    "count": 3,
                    "schedule": [{"quantity": "40", "date": "2027-03-02"}, {"text": text}],
                },
            },
        ],
    )
    if connection.vendor == "postgresql":
        # The columns' extremes (SQLite keeps decimals as floats of 15 digits, so only where they fit).
        extremes = {"quantity": Decimal("99999999999999.9999"), "unit_price": Decimal("999999999999.999999")}
        make_po(company, supplier, plant, "PO-HUGE", lines=[extremes | {"backordered_quantity": Decimal("-1.5")}])
    # Every line cancelled: the PO is cancelled. Microseconds present and absent.
    make_po(
        company,
        supplier,
        plant,
        "PO-GONE",
        published_at=dt.datetime(2027, 2, 1, 0, 0, tzinfo=UTC),
        updated_at=dt.datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        lines=[{"cancelled": True}, {"cancelled": True, "ack_response": "ACKNOWLEDGED"}],
    )
    # A PO without lines (none is published so, but the page must hold one).
    make_po(company, supplier, plant, "PO-EMPTY", lines=[], updated_at=dt.datetime(2030, 1, 3, tzinfo=UTC))
    # A new revision through the service: line 3 dropped (cancelled), revision 1.
    revised = dataclasses.replace(
        factories.po_input(company="ACME", supplier="BOLTS", plant="DET", number="PO-1001"), revision=1
    )
    assert purchase_order_change(po=dataclasses.replace(revised, lines=revised.lines[:2]), source=erp).outcome == (
        "applied"
    )
    # Other callers' POs, which BOLTS must never see.
    make_po(company, other_supplier, plant, "PO-NUTS-2", lines=[{"description": "NUTS only"}])
    foreign_plant = factories.PlantFactory(company=foreign_company, code="SPR")
    make_po(foreign_company, supplier, foreign_plant, "GLOBEX-1", lines=[{"description": "GLOBEX only"}])


def test_a_page_is_the_serializers_bytes_for_every_field_shape(shapes, owner, owner_key):
    response = listed(owner)

    assert response.content == expected_page(owner_key[0].actor)
    numbers = {po["number"] for po in response.json()["results"]} - {"PO-HUGE"}
    assert numbers == {f"PO-{n}" for n in range(1000, 1006)} | {"PO-SHAPES", "PO-GONE", "PO-EMPTY", "GLOBEX-1"}
    page = {po["number"]: po for po in response.json()["results"]}
    assert page["PO-SHAPES"]["published_at"] == "2027-01-04T08:30:00.000001Z"
    assert page["PO-SHAPES"]["updated_at"] == "2030-01-01T00:00:00Z"
    lines = page["PO-SHAPES"]["lines"]
    assert [line["next_promised_date"] for line in lines] == [None, "2027-03-05", "2027-03-02", None, None]
    assert lines[1]["confirmed_quantity"] == "9999999999.9999" and lines[1]["unit_price"] == "0.000001"
    assert [s["date"] for s in lines[3]["schedule"]] == ["2027-02-01", "0999-12-31"]
    assert lines[4]["need_by"] == "0001-01-01"
    assert lines[4]["proposal"]["schedule"][1]["text"] == page["PO-SHAPES"]["notes"]
    assert b"\\u2028\\u2029" in response.content and "\u2028".encode() not in response.content
    assert (page["PO-GONE"]["status"], page["PO-GONE"]["updated_at"]) == ("cancelled", "2030-01-02T03:04:05.600000Z")
    assert (page["PO-EMPTY"]["status"], page["PO-EMPTY"]["lines"]) == ("cancelled", [])
    assert page["PO-1001"]["revision"] == 1


def test_each_caller_gets_its_own_pos_and_nothing_else(shapes, owner, outsider, system, foreign, owner_key):
    """BOLTS never sees NUTS's POs nor NUTS BOLTS's; ACME's system sees ACME's of both, GLOBEX's only GLOBEX's."""
    pages = {name: listed(api) for name, api in (("BOLTS", owner), ("NUTS", outsider))}
    pages |= {name: listed(api, SYSTEM_POS) for name, api in (("ACME", system), ("GLOBEX", foreign))}

    def numbers(name: str) -> set[tuple[str, str, str]]:
        return {(po["supplier"], po["company"], po["number"]) for po in pages[name].json()["results"]}

    bolts = {("BOLTS", "ACME", f"PO-{n}") for n in range(1000, 1006)}
    bolts |= {("BOLTS", "ACME", n) for n in ("PO-SHAPES", "PO-GONE", "PO-EMPTY")} | {("BOLTS", "GLOBEX", "GLOBEX-1")}
    if connection.vendor == "postgresql":
        bolts.add(("BOLTS", "ACME", "PO-HUGE"))
    nuts = {("NUTS", "ACME", "PO-9000"), ("NUTS", "ACME", "PO-NUTS-2")}
    assert numbers("BOLTS") == bolts
    assert numbers("NUTS") == nuts
    assert numbers("ACME") == {po for po in bolts | nuts if po[1] == "ACME"}
    assert numbers("GLOBEX") == {("BOLTS", "GLOBEX", "GLOBEX-1")}
    assert pages["BOLTS"].content == expected_page(owner_key[0].actor)
    # A filter for another supplier's PO finds nothing, and says so the same way as for no PO at all.
    for number in ("PO-NUTS-2", "PO-9000", "PO-NOPE"):
        assert owner.get(POS, {"number": number}).json()["results"] == []


@pytest.mark.parametrize("caller", ["outsider_key", "system_key", "foreign_key"])
def test_every_callers_page_is_the_serializers_bytes(shapes, caller, request):
    key, secret = request.getfixturevalue(caller)

    path = POS if key.kind == "supplier" else SYSTEM_POS
    assert listed(Api(secret), path).content == expected_page(key.actor)


def test_line_and_po_statuses_in_every_combination_are_the_models(company, plant, supplier, owner, owner_key):
    """Random lines (seeded) over every boundary of every status dimension, one to four to a PO: each line's
    statuses and next promised date, and each PO's status, are what the model's properties say."""
    rng = random.Random(16)
    quantity = Decimal("100")
    around = [Decimal("0"), Decimal("0.0001"), Decimal("40"), Decimal("99.9999"), quantity, Decimal("100.0001")]
    choices = {
        "cancelled": [False] * 6 + [True],
        # Weighted towards answered lines, which the deeper PO statuses need on every live line.
        "ack_response": ["", "ACKNOWLEDGED", "REJECT", "HOLD", "CHANGE_PRICE"] + ["ACCEPT"] * 5,
        "change_state": POLine.ChangeState.values + ["none"] * 4,
        "match_state": POLine.MatchState.values,
        "confirmed_quantity": [None, Decimal("80"), quantity],
        "promised_date": [None, dt.date(2027, 3, 3)],
        "shipped_quantity": [*around, Decimal("80"), Decimal("0")],
        "received_quantity": [*around, quantity],
        "rejected_quantity": [Decimal("0"), Decimal("0"), Decimal("40")],
        "invoiced_quantity": [*around, quantity],
        "schedule": [
            [],
            [(Decimal("60"), dt.date(2027, 3, 2)), (Decimal("40"), dt.date(2027, 3, 1))],
            [(Decimal("50"), dt.date(2027, 3, 4)), (Decimal("50"), dt.date(2027, 3, 4))],
        ],
    }
    for n in range(150):
        # Lines of one PO mostly alike, so that "every live line …" cases are reached as often as "any line …".
        alike = {field: rng.choice(values) for field, values in choices.items()}
        lines = [
            {"quantity": quantity}
            | {field: alike[field] if rng.random() < 0.8 else rng.choice(values) for field, values in choices.items()}
            for _ in range(rng.randint(1, 4))
        ]
        make_po(company, supplier, plant, f"PO-R{n:03d}", lines=lines)

    response = listed(owner)

    assert response.content == expected_page(owner_key[0].actor)
    results = response.json()["results"]
    assert len(results) == 150
    # The combinations reached every PO status (so each case of the SQL was compared).
    assert {po["status"] for po in results} == {
        "cancelled", "rejected", "changes_proposed", "awaiting_acknowledgement", "invoice_on_hold", "closed",
        "to_invoice", "confirmed", "in_transit", "partially_received", "partially_shipped",
    }  # fmt: skip
    reached = {(d, line["statuses"][d]) for po in results for line in po["lines"] for d in ("ack", "ship", "receipt")}
    assert len(reached) == 6 + 4 + 4


def test_a_proposal_orjson_cannot_write_is_written_as_the_renderer_does(company, plant, supplier, owner, owner_key):
    """A proposal with an integer past 64 bits: the renderer writes such a page with the standard library
    (and so, for this page, the list builds it from rows)."""
    make_po(company, supplier, plant, "PO-BIG", lines=[{"proposal": {"n": 2**70, "ratio": 1e-7}}])

    response = owner.get(POS)

    assert response.status_code == 200
    assert response.content == expected_page(owner_key[0].actor)
    assert b'"n":1180591620717411303424' in response.content and b'"ratio":1e-07' in response.content
    if connection.vendor == "postgresql":
        assert purchase_orders_json([PurchaseOrder.objects.get().pk]) is None


def test_an_indented_page_is_the_serializers_indented_page(shapes, owner, owner_key):
    media_type = "application/json; indent=2"

    response = owner.get(POS, {"page_size": 200}, headers={"Accept": media_type})

    assert response.status_code == 200
    assert response.content == expected_page(owner_key[0].actor, accepted_media_type=media_type)
    assert response.content.startswith(b'{\n  "next": null,\n  "previous": null,\n  "results": [\n    {\n')


def test_pages_walked_by_cursor_are_the_serializers_bytes(shapes, owner, owner_key):
    """Three POs a page, forwards to the end and back again: each page the serializer's, cursors included."""
    ordered = list(purchase_orders_for(actor=owner_key[0].actor).order_by("updated_at", "id"))
    seen, response = [], owner.get(POS, {"page_size": 3})
    while True:
        body = response.json()
        chunk = ordered[len(seen) : len(seen) + 3]
        expected = {"next": body["next"], "previous": body["previous"]}
        expected["results"] = PurchaseOrderOut(chunk, many=True).data
        assert response.content == JSONRenderer().render(expected)
        seen += chunk
        if body["next"] is None:
            break
        response = owner.get(body["next"].removeprefix("http://testserver"))
    assert len(seen) == len(ordered) == 10 + (connection.vendor == "postgresql")  # PO-HUGE
    back = owner.get(response.json()["previous"].removeprefix("http://testserver")).json()
    assert [po["number"] for po in back["results"]] == [po.number for po in ordered[6:9]]


def test_the_database_writes_pages_only_where_it_can():
    assert available() == (connection.vendor == "postgresql")


def test_rendered_text_reads_back_as_json():
    assert json.loads(JSONRenderer().render({"a": JSONText(b'[1,"\\u2028"]')})) == {"a": [1, "\u2028"]}
