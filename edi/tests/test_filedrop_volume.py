"""Large files: stored in the file store, read as a stream, each interchange judged again at its IEA."""

import hashlib
import os
import stat

from edi import services, x12
from edi.models import FunctionalGroup, Interchange
from edi.tests.test_filedrop import drop, filedrop_scan, partner, partner_855  # noqa: F401  (partner is a fixture)
from edi.tests.test_filedrop_batches import ORDERS, answered
from edi.tests.test_filedrop_batches import partner_855 as order_855
from procurement import factories, inputs
from procurement.models import Acknowledgement, InboundDocument, ProcurementException
from procurement.services import WriteSource, inbound_document_store, purchase_order_publish

ACCEPT = (inputs.AckLineInput(line_no="1", response="ACCEPT"),)


def interchanges(*parts: bytes) -> bytes:
    """Several partner interchanges in one file, one after another, as a partner batches them."""
    return b"".join(parts)


def publish_orders() -> None:
    for number in ORDERS:
        po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=number, lines=2)
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))


def test_a_file_larger_than_a_row_holds_is_kept_in_the_store_and_applied_from_it(partner, settings):  # noqa: F811
    settings.GATEWAY_INBOUND_ROW_MAX_BYTES = 200
    content = partner_855(ACCEPT, isa=90)
    assert len(content) > 200
    drop(partner, "big.edi", content)

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get()
    sha256 = hashlib.sha256(content).hexdigest()
    assert (document.state, document.outcome_code) == ("processed", "processed")
    assert (bytes(document.content), document.size, document.sha256) == (b"", len(content), sha256)
    assert document.store_path == f"store/{sha256[:2]}/{sha256}"
    kept = settings.GATEWAY_FILE_ROOT / document.store_path
    assert kept.read_bytes() == content
    assert stat.S_IMODE(kept.stat().st_mode) == 0o444  # read-only once written
    assert [p.name for p in kept.parent.iterdir()] == [sha256]  # no temporary file left beside it
    with document.open_payload() as payload:
        assert payload.read() == content
    assert Acknowledgement.objects.get().document_id == "855-000017"
    assert answered(partner) == ["000000090"]


def test_a_small_payload_stays_in_its_row_and_reads_the_same_way(partner, settings):  # noqa: F811
    content = partner_855(ACCEPT, isa=91)
    drop(partner, "small.edi", content)

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get()
    assert (bytes(document.content), document.store_path) == (content, "")
    with document.open_payload() as payload:
        assert payload.read() == content
    assert not (settings.GATEWAY_FILE_ROOT / "store").exists()


def test_the_same_large_content_stored_twice_is_one_file_in_the_store(partner, settings):  # noqa: F811
    settings.GATEWAY_INBOUND_ROW_MAX_BYTES = 10
    first = inbound_document_store(channel="api", sender="CASTINGS", content=b"X" * 50)
    second = inbound_document_store(channel="api", sender="CASTINGS", content=b"X" * 50)

    assert first.store_path == second.store_path != ""
    assert len(os.listdir(settings.GATEWAY_FILE_ROOT / first.store_path.rsplit("/", 1)[0])) == 1


def test_a_file_of_several_interchanges_is_read_as_a_stream_each_in_its_own_transaction(partner, settings):  # noqa: F811
    settings.GATEWAY_INBOUND_ROW_MAX_BYTES = 100
    publish_orders()
    drop(partner, "batch.edi", interchanges(*(order_855(number, 800 + n) for n, number in enumerate(ORDERS))))

    assert filedrop_scan() == 1

    document = InboundDocument.objects.get()
    assert document.store_path
    assert (document.state, document.outcome_code) == ("processed", "processed")
    assert sorted(Acknowledgement.objects.values_list("po__number", flat=True)) == list(ORDERS)
    assert list(Interchange.objects.filter(direction="in").values_list("position", "isa13")) == [
        (n, f"{800 + n:09d}") for n in range(4)
    ]
    assert answered(partner) == ["000000800", "000000801", "000000802", "000000803"]
    assert FunctionalGroup.objects.filter(interchange__direction="in").count() == 4


def test_an_interchange_its_iea_refuses_is_rolled_back_whole_and_its_refusal_recorded(
    partner,  # noqa: F811
    settings,
    monkeypatch,
):
    publish_orders()
    judge = services.interchange_envelope_verdict
    asked = []

    def refused_at_the_trailer(ic: x12.Interchange, partner, identity=None):
        asked.append(ic.isa13)
        if asked.count("000000801") == 2:  # once its sets are applied: what a trailer check finds late
            return [("001", "the control number in IEA02 does not match ISA13")]
        return judge(ic, partner, identity)

    monkeypatch.setattr(services, "interchange_envelope_verdict", refused_at_the_trailer)
    drop(partner, "batch.edi", interchanges(order_855("PO-7001", 800), order_855("PO-7002", 801)))

    assert filedrop_scan() == 1

    # Asked at the ISA and again after the IEA, for each interchange.
    assert asked == ["000000800", "000000800", "000000801", "000000801"]
    assert list(Acknowledgement.objects.values_list("po__number", flat=True)) == ["PO-7001"]
    refused = Interchange.objects.get(direction="in", position=1)
    assert refused.envelope_errors[-1] == {
        "code": "001",
        "message": "the control number in IEA02 does not match ISA13",
    }
    assert not FunctionalGroup.objects.filter(interchange=refused).exists()
    assert refused.receipt["sets"] == [
        {
            "st01": "ISA",
            "st02": "000000801",
            "syntax": "R",
            "outcome": "rejected",
            "detail": "TA1 001 (Interchange control number in header and trailer do not match): "
            "the control number in IEA02 does not match ISA13",
            "record": None,
            "unused": [],
        }
    ]
    assert refused.receipt["acks"][0].startswith("TA1 ")
    assert answered(partner) == ["000000800"]
    assert ProcurementException.objects.get(dedup_key=f"edi_envelope:{refused.pk}").summary == (
        "interchange 000000801 rejected, TA1 001 (Interchange control number in header and trailer do not match): "
        "the control number in IEA02 does not match ISA13"
    )
    assert InboundDocument.objects.get().outcome_code == "partly_applied"


def test_a_huge_interchange_keeps_the_first_set_outcomes_and_counts_all(partner, settings, monkeypatch):  # noqa: F811
    monkeypatch.setattr(services, "SET_OUTCOMES_KEPT", 2)
    publish_orders()
    drop(partner, "four.edi", one_interchange([order_855(number, 900 + n) for n, number in enumerate(ORDERS)]))

    assert filedrop_scan() == 1

    record = Interchange.objects.get(direction="in")
    assert [s["st02"] for s in record.receipt["sets"]] == ["0001", "0002"]
    assert record.receipt["counts"] == {"applied": 4}
    assert Acknowledgement.objects.count() == 4
    document = InboundDocument.objects.get()
    assert (document.outcome_code, document.error) == (
        "processed",
        "855 0001: applied; 855 0002: applied; and 2 more (4 applied in all)",
    )
    assert answered(partner) == ["000000900"]


def one_interchange(files: list[bytes]) -> bytes:
    """The sets of several one-set files in one interchange and group (the first file's envelope)."""
    lines = [f.decode().splitlines() for f in files]
    sets = []
    for n, segments in enumerate(lines, start=1):
        for segment in segments[2:-2]:
            if segment.startswith(("ST*", "SE*")):
                segment = segment.replace("*0001~", f"*{n:04d}~")
            sets.append(segment)
    head, (ge, iea) = lines[0][:2], lines[0][-2:]
    return "\n".join([*head, *sets, ge.replace("GE*1*", f"GE*{len(files)}*"), iea, ""]).encode()


def test_a_group_records_its_sets_as_runs_and_details_only_those_not_accepted(partner):  # noqa: F811
    one = partner_855(ACCEPT, isa=92).decode()
    head, rest = one.split("ST*855*0001~", 1)
    body, tail = rest.split("SE*6*0001~", 1)
    sets = []
    for n in range(1, 6):
        text = body.replace("*20270120****", "*20271399****") if n in (3, 5) else body
        sets.append(f"ST*855*{n:04d}~{text}SE*6*{n:04d}~")
    drop(partner, "five.edi", (head + "".join(sets) + tail.replace("GE*1*", "GE*5*")).encode())

    assert filedrop_scan() == 1

    group = FunctionalGroup.objects.get(interchange__direction="in")
    assert group.ack_code == "P"
    assert group.set_ids == [["855", "0001", "0005"]]
    assert group.ack_detail == [
        {"st02": "0003", "code": "R"},
        {"st02": "0005", "code": "R"},
        {"sets": {"A": 3, "R": 2}, "listed": 2},
    ]
    answer = bytes(Interchange.objects.get(direction="out").content).decode()
    assert [s.strip() for s in answer.split("~") if s.strip().startswith(("AK2", "AK5"))] == [
        "AK2*855*0001",
        "AK5*A",
        "AK2*855*0002",
        "AK5*A",
        "AK2*855*0003",
        "AK5*R*5",
        "AK2*855*0004",
        "AK5*A",
        "AK2*855*0005",
        "AK5*R*5",
    ]
