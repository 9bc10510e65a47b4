"""Demand dropped as files by an ERP or MES: stored, read row by row through the same service as the
API's demand batches, every row's outcome beside the archived file; a file that is not demand at all
goes to ``rejected/`` with its reason, and the buyers are told.

ACME builds PUMP at Detroit from 4 BOLT (bought from BOLTS, 7 days, MOQ 100); nothing is in stock.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from gateway.actors import Actor
from materials import inputs
from materials.models import Demand, ProjectionRow, RequirementRun
from materials.services import demands_receive, requirements_regenerate
from procurement import factories
from procurement.models import InboundDocument, ProcurementException

from .helpers import items, line, receive, release
from .test_filedrop import archived, drop, place, rejected, scan_and_receive

KINDS = "production_order, master_schedule, independent"
HEADER = b"source_id,kind,part_number,plant_code,quantity,need_date,reference,cancelled\n"


@pytest.fixture
def files(db, tmp_path, settings):
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_MATERIALS_SETTLE_SECONDS = 0
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    factories.SupplierFactory(code="BOLTS")
    erp = Actor.for_system(company_ids={company.pk}, label="system ERP")
    items(
        erp,
        PUMP={"make_or_buy": "make"},
        BOLT={"moq": Decimal(100), "approved_suppliers": (inputs.ApprovedSupplierInput("BOLTS", lead_time_days=7),)},
    )
    receive(erp, release("PUMP", "A", None, [line("10", "BOLT", "4")], plants=["DET"]))
    return company


def report(system: str = "ERP") -> dict:
    (_, outcome) = archived(system)
    return json.loads(outcome.read_text())


def demands():
    return [
        (d.source_id, d.kind, d.item.part_number, d.plant.code, d.quantity, d.need_date, d.reference, d.cancelled)
        for d in Demand.objects.order_by("source_id")
    ]


def test_a_csv_of_demand_is_applied_row_by_row_and_every_rows_outcome_recorded(files):
    csv = HEADER + (
        b"MO-1,production_order,PUMP,DET,10,2027-03-10,MO-2027-0412,\n"
        b"SP-1,independent,BOLT,DET,5.5,2027-03-12,,false\n"
        b"MO-2,production_order,NOPE,DET,1,2027-03-10,,\n"
        b"MO-3,production_order,PUMP,XX,1,2027-03-10,,\n"
        b"MO-4,production_order,PUMP,DET,-3,2027-03-10,,\n"
        b"MO-5,production_order,PUMP,DET,3,2027-02-30,,\n"
        b"MO-6,forecast,PUMP,DET,3,2027-03-10,,\n"
        b"MO-1,production_order,PUMP,DET,12,2027-03-10,,\n"
        b"MO-7,production_order,PUMP,DET,1,2027-03-10,,maybe\n"
        b"MO-8,production_order,PUMP,DET\n"
        b"\n"
    )
    drop("demand-2027-02-22.csv", csv, system="ERP")

    assert scan_and_receive() == ["partly_refused"]

    assert demands() == [
        ("MO-1", "production_order", "PUMP", "DET", Decimal("10.0000"), dt.date(2027, 3, 10), "MO-2027-0412", False),
        ("SP-1", "independent", "BOLT", "DET", Decimal("5.5000"), dt.date(2027, 3, 12), "", False),
    ]
    document = InboundDocument.objects.get()
    assert (document.document_type, document.sender, document.state, document.outcome_code) == (
        "demands_csv",
        "ERP",
        "processed",
        "partly_refused",
    )
    body = report()
    assert [(o["where"], o["key"], o["outcome"], o["reason"]) for o in body["outcomes"]] == [
        ("line 2", "MO-1", "created", ""),
        ("line 3", "SP-1", "created", ""),
        ("line 4", "MO-2", "refused", "item 'NOPE' is not known"),
        ("line 5", "MO-3", "refused", "plant 'XX' is not known"),
        ("line 6", "MO-4", "refused", "quantity '-3' is not a number of at most 12 digits and 4 decimals"),
        ("line 7", "MO-5", "refused", "need_date '2027-02-30' is not a date that exists"),
        ("line 8", "MO-6", "refused", f"kind must be one of {KINDS}, not 'forecast'"),
        ("line 9", "MO-1", "refused", "source id MO-1 is in the file twice (first on line 2)"),
        ("line 10", "MO-7", "refused", "cancelled must be true or false, not 'maybe'"),
        ("line 11", "", "refused", "4 cells where the header has 8"),
    ]  # fmt: skip
    assert (body["code"], body["runs"], body["counts"]) == (
        "partly_refused",
        [],  # never planned in full: nothing to re-plan yet
        {"created": 2, "updated": 0, "cancelled": 0, "unchanged": 0, "refused": 8},
    )
    assert document.error.splitlines()[0] == "line 4 (demand MO-2): item 'NOPE' is not known"
    assert len(document.error.splitlines()) == 8


def test_json_lines_change_and_cancel_demand_and_re_plan_it_as_the_api_does(files):
    first = (
        b'{"source_id":"MO-1","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"10","need_date":"2027-03-10"}\n'
        b'{"source_id":"MO-2","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":5,"need_date":"2027-03-20"}\n'
    )
    drop("demand-1.jsonl", first, system="MES")
    assert scan_and_receive() == ["processed"]
    full = requirements_regenerate(company=files)
    assert [r.demand for r in ProjectionRow.objects.filter(run=full).order_by("date")] == [Decimal(40), Decimal(20)]

    second = (
        b'{"source_id":"MO-1","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"25","need_date":"2027-03-10"}\n'
        b'{"source_id":"MO-2","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":5,"need_date":"2027-03-20","cancelled":true}\n'
        b'{"source_id":"MO-3","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"1","need_date":"2027-03-20","priority":"high"}\n'
        b"not json\n"
    )
    drop("demand-2.jsonl", second, system="MES")
    assert scan_and_receive() == ["partly_refused"]

    assert [(d.source_id, d.quantity, d.cancelled, d.version) for d in Demand.objects.order_by("source_id")] == [
        ("MO-1", Decimal("25.0000"), False, 2),
        ("MO-2", Decimal("5.0000"), True, 2),
    ]
    document = InboundDocument.objects.order_by("pk").last()
    net = RequirementRun.objects.get(mode="net_change")
    assert (net.reason, net.state) == (f"demand file {document.pk}", "done")
    # BOLT re-planned at once: 25 pumps need 100 bolts on 10 March; the cancelled order needs none.
    assert [(r.date, r.demand) for r in ProjectionRow.objects.filter(item__part_number="BOLT")] == [
        (dt.date(2027, 3, 10), Decimal("100.0000"))
    ]
    (_, second_report) = [p for p in archived("MES") if p.name.endswith(".outcome.json")]
    body = json.loads(second_report.read_text())
    assert body["runs"] == [net.pk]
    assert [(o["where"], o["key"], o["outcome"], o["reason"]) for o in body["outcomes"]] == [
        ("line 1", "MO-1", "updated", ""),
        ("line 2", "MO-2", "cancelled", ""),
        ("line 3", "MO-3", "refused", "unknown field 'priority'"),
        ("line 4", "", "refused", "not JSON: Expecting value: line 1 column 1 (char 0)"),
    ]


def test_the_same_demand_by_the_api_and_by_file_is_one_demand(files):
    erp = Actor.for_system(company_ids={files.pk}, label="system ERP")
    sent = inputs.DemandInput("MO-1", "production_order", "PUMP", "DET", Decimal(10), dt.date(2027, 3, 10), "MO-1")
    received = demands_receive(actor=erp, batch=inputs.DemandBatchInput("ACME", "ERP", (sent,)))
    assert [o.outcome for o in received.outcomes] == ["created"]

    drop("demand.csv", HEADER + b"MO-1,production_order,PUMP,DET,10.000,2027-03-10,MO-1,false\n", system="ERP")
    assert scan_and_receive() == ["processed"]

    assert [o["outcome"] for o in report()["outcomes"]] == ["unchanged"]
    assert Demand.objects.get().version == 1


def test_a_file_dropped_again_is_a_duplicate_that_changes_nothing_but_an_older_file_again_still_applies(files):
    ten = HEADER + b"MO-1,production_order,PUMP,DET,10,2027-03-10,,\n"
    twenty = HEADER + b"MO-1,production_order,PUMP,DET,20,2027-03-10,,\n"
    drop("demand-a.csv", ten, system="ERP")
    assert scan_and_receive() == ["processed"]
    drop("demand-a-again.csv", ten, system="ERP")
    assert scan_and_receive() == ["duplicate"]

    first, again = InboundDocument.objects.order_by("pk")
    assert (again.state, again.outcome_code, again.error) == (
        "processed",
        "duplicate",
        f"the same file as document {first.pk} (demand-a.csv): it changed nothing",
    )
    assert Demand.objects.get().version == 1

    drop("demand-b.csv", twenty, system="ERP")
    drop("demand-c.csv", ten, system="ERP")  # the ERP takes the change back by sending the first file again
    assert scan_and_receive() == ["processed", "processed"]
    assert [(d.quantity, d.version) for d in Demand.objects.all()] == [(Decimal("10.0000"), 3)]


@pytest.mark.parametrize(
    "content, reason",
    [
        (
            b"source_id,kind,part,plant_code,quantity,need_date\nMO-1,production_order,PUMP,DET,1,2027-03-10\n",
            "unknown column 'part' in the header; columns are cancelled, kind, need_date, part_number, plant_code, "
            "quantity, reference, source_id",
        ),
        (
            b"source_id,kind,part_number,plant_code,quantity\nMO-1,production_order,PUMP,DET,1\n",
            "column 'need_date' is missing from the header",
        ),
        (
            b"source_id,kind,part_number,plant_code,quantity,need_date,quantity\n",
            "column 'quantity' is in the header twice",
        ),
        (b"", "no header row: the first line must name the columns (source_id, kind, part_number, plant_code, "
              "quantity, need_date, …)"),
    ],
)  # fmt: skip
def test_a_csv_that_is_not_demand_is_rejected_whole_with_the_reason_and_the_buyers_told(files, content, reason):
    drop("demand.csv", content, system="ERP")

    assert scan_and_receive() == ["settled"]

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error) == ("rejected", "malformed", reason)
    assert rejected("ERP") == {"demand.csv": reason + "\n"}
    assert Demand.objects.count() == 0
    assert list(ProcurementException.objects.values_list("kind", "summary")) == [
        ("invalid_document", f"ERP file demand.csv in the materials inbox was not read: {reason}")
    ]


@pytest.mark.parametrize(
    "content, reason",
    [
        (
            HEADER + b"MO-1,production_order,PUMP,DET,10,2027-03-10,,\n" + b"PK\x03\x04\x00\x00",
            "a binary file (it holds NUL bytes); demand files are CSV or JSON Lines text in UTF-8",
        ),
        (
            HEADER + "MO-1,production_order,PUMP,DET,10,2027-03-10,Stückliste,\n".encode("latin-1"),
            "it is not UTF-8: byte 0xFC at position 125 (line 2) cannot be read; save it as UTF-8",
        ),
        (HEADER.decode().encode("utf-16"), "it is UTF-16: save it as UTF-8"),
    ],
)
def test_a_binary_or_non_utf8_demand_file_is_stored_then_rejected_and_nothing_in_it_applied(files, content, reason):
    drop("demand.csv", content, system="ERP")

    assert scan_and_receive() == ["settled"]

    document = InboundDocument.objects.get()
    assert (document.state, document.outcome_code, document.error) == ("rejected", "unreadable", reason)
    assert bytes(document.content) == content  # stored as it came, before it was read
    assert rejected("ERP") == {"demand.csv": reason + "\n"}
    assert Demand.objects.count() == 0  # not even the good row before the bad bytes
    assert ProcurementException.objects.get().evidence["reason"] == reason


def test_an_oversized_demand_file_is_rejected_unread(files, settings):
    settings.GATEWAY_MATERIALS_MAX_FILE_BYTES = 100
    drop("demand.csv", HEADER + b"MO-1,production_order,PUMP,DET,10,2027-03-10,,\n" * 3, system="ERP")

    assert scan_and_receive() == []

    document = InboundDocument.objects.get()
    assert (document.document_type, document.state, document.outcome_code, bytes(document.content)) == (
        "demands_csv",
        "rejected",
        "too_large",
        b"",
    )
    assert rejected("ERP") == {"demand.csv": "payload of 218 bytes exceeds the limit of 100 bytes\n"}
    assert Demand.objects.count() == 0
    assert list(place("ERP").inbox.iterdir()) == [place("ERP").claimed]


def test_hostile_rows_are_refused_one_by_one_and_recorded_once(files):
    jsonl = (
        b"[" * 60_000 + b"\n"
        b'{"source_id":"MO-\\u0000","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"1","need_date":"2027-03-10"}\n'
        b'{"source_id":"MO-2","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"\xd9\xa3","need_date":"2027-03-10"}\n'
        b'["MO-3"]\n'
        b'{"source_id":"MO-4","kind":"production_order","part_number":"PUMP","plant_code":"DET",'
        b'"quantity":"1","need_date":"2027-03-10"}\n'
    )
    drop("demand-hostile.jsonl", jsonl, system="MES")
    csv = (
        HEADER
        + b"MO-5,production_order,PUMP,DET,1,"
        + b"9" * 140_000
        + b",,\nMO-6,production_order,PUMP,DET,1,2027-03-10,,\n"
    )
    drop("demand-hostile.csv", csv, system="ERP")

    assert scan_and_receive() == ["partly_refused", "partly_refused"]
    assert scan_and_receive() == []

    assert [o["reason"] for o in report("MES")["outcomes"]] == [
        "not JSON: nested too deeply",
        "source_id cannot hold a NUL character",
        "quantity '\u0663' is not a number of at most 12 digits and 4 decimals",
        "a demand must be an object",
        "",
    ]
    assert [(o["where"], o["outcome"], o["reason"]) for o in report("ERP")["outcomes"]] == [
        (
            "line 2",
            "refused",
            "this row and the rest of the file cannot be read: field larger than field limit (131072)",
        )
    ]
    assert list(Demand.objects.values_list("source_id", flat=True)) == ["MO-4"]


def test_a_large_file_goes_in_batches_each_re_planned_and_its_outcomes_stay_in_the_files_order(files, monkeypatch):
    from materials import filedrop

    monkeypatch.setattr(filedrop, "DEMAND_BATCH", 2)
    requirements_regenerate(company=files)
    rows = [f"MO-{n},production_order,PUMP,DET,{n},2027-03-1{n},,\n".encode() for n in range(1, 6)]
    rows.insert(2, b"MO-1,production_order,PUMP,DET,9,2027-03-19,,\n")
    drop("demand-big.csv", HEADER + b"".join(rows), system="ERP")

    assert scan_and_receive() == ["partly_refused"]

    body = report()
    assert [(o["where"], o["key"], o["outcome"]) for o in body["outcomes"]] == [
        ("line 2", "MO-1", "created"),
        ("line 3", "MO-2", "created"),
        ("line 4", "MO-1", "refused"),
        ("line 5", "MO-3", "created"),
        ("line 6", "MO-4", "created"),
        ("line 7", "MO-5", "created"),
    ]
    assert body["runs"] == list(
        RequirementRun.objects.filter(mode="net_change").order_by("pk").values_list("pk", flat=True)
    )
    assert len(body["runs"]) == 3
    assert ProjectionRow.objects.filter(item__part_number="BOLT").count() == 5


def test_utf8_split_across_the_blocks_it_is_read_in_is_text():
    import io

    from materials.demand_formats import unreadable

    assert unreadable(io.BytesIO("Stückliste für Montage".encode()), chunk=3) == ""
    assert unreadable(io.BytesIO("Stück".encode()[:3]), chunk=3) == (
        "it is not UTF-8: the file ends inside a character (byte 3); save it as UTF-8"
    )
