"""What we send and what partners answer: 850/860 out, their 997/999 matched, overdue answers flagged."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from edi import filedrop, x12
from edi.models import FunctionalGroup, Interchange, TradingPartner
from edi.tasks import functional_acks_overdue_check
from edi.tests.test_filedrop import drop, filedrop_scan
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import factories
from procurement.models import AuditEvent, Company, ProcurementException
from procurement.services import WriteSource, purchase_order_change, purchase_order_publish, receipt_record
from procurement.tests import helpers as h
from suppliers.models import Supplier


@pytest.fixture
def sent_850(db, tmp_path, settings):
    """PO-5000 published to partner CASTINGS and its 850 delivered (ISA13 1, GS06 1)."""
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    settings.GATEWAY_EDI_SETTLE_SECONDS = 0
    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="CASTINGS", channel=Supplier.Channel.EDI, notify_email="")
    partner = TradingPartner.objects.create(
        supplier=supplier,
        company=company,
        isa_qualifier="ZZ",
        isa_id="CASTINGS",
        gs_id="CASTINGS",
        folder="castings",
        fa_due_hours=4,
    )
    po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number="PO-5000", lines=2)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
    outbox_message_deliver(message_id=OutboundMessage.objects.get(event="po.published").pk)
    return partner, po


def functional_ack(ak1_gs01: str, ak1_gs06: str, ak9: str, isa13: int = 777) -> bytes:
    isa = "*".join(
        [
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CASTINGS".ljust(15), "ZZ", "GATEWAY".ljust(15),
            "270120", "1200", "U", "00401", f"{isa13:09d}", "0", "P", ">",
        ]
    )  # fmt: skip
    segments = [
        isa,
        f"GS*FA*CASTINGS*GATEWAY*20270120*1200*{isa13}*X*004010",
        "ST*997*0001",
        f"AK1*{ak1_gs01}*{ak1_gs06}",
        f"AK9*{ak9}*1*1*{0 if ak9 == 'R' else 1}",
        "SE*4*0001",
        f"GE*1*{isa13}",
        f"IEA*1*{isa13:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def test_the_partners_997_accepting_our_850_is_matched_to_the_group_we_sent(sent_850):
    partner, _ = sent_850
    sent = FunctionalGroup.objects.get(interchange__direction="out")
    assert (sent.gs01, sent.gs06, sent.ack_state) == ("PO", "1", "awaited")

    drop(partner, "997-777.edi", functional_ack("PO", "1", "A"))
    filedrop_scan()

    sent.refresh_from_db()
    assert (sent.ack_state, sent.ack_code) == ("accepted", "A")
    assert sent.ack_interchange == Interchange.objects.get(direction="in")
    assert ProcurementException.objects.count() == 0
    assert not OutboundMessage.objects.filter(event__in=["x12.997", "x12.999"]).exists()  # no 997 for a 997


def test_a_rejecting_997_raises_an_exception_on_the_po(sent_850):
    partner, _ = sent_850

    drop(partner, "997-778.edi", functional_ack("PO", "1", "R", isa13=778))
    filedrop_scan()

    sent = FunctionalGroup.objects.get(interchange__direction="out")
    assert (sent.ack_state, sent.ack_code) == ("rejected", "R")
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.po.number) == ("fa_rejected", "PO-5000")


def test_a_997_for_a_group_never_sent_is_an_exception(sent_850):
    partner, _ = sent_850

    drop(partner, "997-779.edi", functional_ack("PO", "424242", "A", isa13=779))
    filedrop_scan()

    assert FunctionalGroup.objects.get(interchange__direction="out").ack_state == "awaited"
    assert ProcurementException.objects.get().kind == "invalid_document"


def test_a_997_that_never_comes_is_flagged_once_when_due(sent_850):
    sent = FunctionalGroup.objects.get(interchange__direction="out")
    assert sent.ack_due_at - sent.interchange.created_at == dt.timedelta(hours=4)

    assert functional_acks_overdue_check() == 0
    FunctionalGroup.objects.filter(pk=sent.pk).update(ack_due_at=timezone.now() - dt.timedelta(minutes=1))
    assert functional_acks_overdue_check() == 1
    assert functional_acks_overdue_check() == 0

    sent.refresh_from_db()
    assert sent.ack_state == "overdue"
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.severity, exception.po.number) == ("fa_overdue", "procurement_delay", "PO-5000")
    (audit,) = AuditEvent.objects.filter(action="exception.raised")
    assert (audit.object_id, audit.actor_label, audit.po.number) == (str(exception.pk), "scheduler", "PO-5000")


def test_a_po_change_goes_out_as_an_860_with_the_changed_lines_and_the_next_control_numbers(sent_850):
    partner, po = sent_850
    changed = po.__class__(
        **{
            **po.__dict__,
            "revision": 1,
            "lines": (po.lines[0].__class__(**{**po.lines[0].__dict__, "quantity": po.lines[0].quantity + 20}),),
        }
    )

    purchase_order_change(po=changed, source=WriteSource(channel="system", label="ERP"))
    message = OutboundMessage.objects.get(event="po.changed", kind="file")
    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (written,) = list(filedrop.folders(partner).outbox.glob("860_*.edi"))
    assert written.name == "860_PO-5000_r1_000000002.edi"
    (ic,) = x12.parse(written.read_bytes()).interchanges
    segments = [s.elements for s in ic.groups[0].sets[0].segments]
    bch = next(s for s in segments if s[0] == "BCH")
    assert bch[3] == "PO-5000" and bch[5] == "1"
    pocs = [s for s in segments if s[0] == "POC"]
    assert [(s[1], s[2], s[3]) for s in pocs] == [("1", "QI", "120"), ("2", "DI", "0")]
    assert ic.groups[0].gs06 == "2"


def test_a_heading_only_change_goes_out_as_an_860_without_lines(sent_850):
    partner, po = sent_850
    factories.PlantFactory(company=Company.objects.get(code="ACME"), code="MTY")
    changed = po.__class__(**{**po.__dict__, "revision": 1, "ship_to": "MTY", "notes": "Deliver to dock 4"})

    assert purchase_order_change(po=changed, source=WriteSource(channel="system", label="ERP")).outcome == "applied"
    message = OutboundMessage.objects.get(event="po.changed", kind="file")
    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (written,) = list(filedrop.folders(partner).outbox.glob("860_*.edi"))
    (ic,) = x12.parse(written.read_bytes()).interchanges
    segments = [s.elements for s in ic.groups[0].sets[0].segments]
    assert [s[0] for s in segments if s[0] in ("BCH", "POC", "CTT")] == ["BCH"]
    assert ["N1", "ST", "", "92", "MTY"] in segments
    assert ["MSG", "Deliver to dock 4"] in segments
    assert x12.validate(x12.parse(written.read_bytes()))[0].code == "A"


def test_control_numbers_are_taken_per_level_and_start_again_at_1_after_nine_digits(sent_850):
    from edi.models import ControlCounter
    from edi.outbound import control_numbers_take, envelope_numbers

    partner, _ = sent_850  # the 850 took ISA13 1, GS06 1, ST02 1

    assert control_numbers_take(partner, {"gs": 3, "st": 2}) == {"gs": 2, "st": 2}
    assert envelope_numbers(partner) == (2, 5, 4)
    ControlCounter.objects.filter(partner=partner, level="isa").update(last=999_999_998)
    assert control_numbers_take(partner, {"isa": 1}) == {"isa": 999_999_999}
    assert control_numbers_take(partner, {"isa": 1}) == {"isa": 1}
    assert dict(ControlCounter.objects.filter(partner=partner).values_list("level", "last")) == {
        "isa": 1,
        "gs": 5,
        "st": 4,
    }


def partner_ack(kind: str, body: list[str], isa13: int) -> bytes:
    """The partner's 997 or 999 with ``body`` between ST and SE, answering our group 1."""
    isa = "*".join(
        [
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CASTINGS".ljust(15), "ZZ", "GATEWAY".ljust(15),
            "270120", "1200", "^" if kind == "999" else "U", "00501" if kind == "999" else "00401",
            f"{isa13:09d}", "0", "P", ":",
        ]
    )  # fmt: skip
    version = "005010X231A1" if kind == "999" else "004010"
    st = f"ST*{kind}*0001" + ("*005010X231A1" if kind == "999" else "")
    segments = [
        isa,
        f"GS*FA*CASTINGS*GATEWAY*20270120*1200*{isa13}*X*{version}",
        st,
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{isa13}",
        f"IEA*1*{isa13:09d}",
    ]
    return ("~\n".join(segments) + "~\n").encode()


def test_a_rejecting_997_keeps_its_segment_and_element_notes_in_words(sent_850):
    partner, _ = sent_850
    sent = FunctionalGroup.objects.get(interchange__direction="out")
    (st01, st02) = sent.set_ids[0]
    body = [
        "AK1*PO*1",
        f"AK2*{st01}*{st02}",
        "AK3*PO1*6*PO1*8",
        "AK4*4*212*6*12,50",
        "AK3*ZZZ*9**1",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]

    drop(partner, "997-780.edi", partner_ack("997", body, 780))
    filedrop_scan()

    sent.refresh_from_db()
    assert (sent.ack_state, sent.ack_code) == ("rejected", "R")
    (answered,) = sent.ack_detail
    assert answered["segments"] == [
        {
            "segment_id": "PO1",
            "position": 6,
            "loop_id": "PO1",
            "code": "8",
            "meaning": "Segment has data element errors",
            "context": [],
            "elements": [
                {
                    "position": 4,
                    "component": None,
                    "repetition": None,
                    "element_ref": "212",
                    "code": "6",
                    "meaning": "Invalid character in data element",
                    "value": "12,50",
                    "context": [],
                }
            ],
        },
        {
            "segment_id": "ZZZ",
            "position": 9,
            "loop_id": "",
            "code": "1",
            "meaning": "Unrecognized segment ID",
            "context": [],
            "elements": [],
        },
    ]
    exception = ProcurementException.objects.get()
    assert exception.kind == "fa_rejected"
    reading = [
        "997 answers our group PO 1: rejected (1 included, 1 received, 0 accepted sets)",
        f"  our 850 {st02}: rejected",
        "    set error 5 One or more segments in error",
        "    segment PO1 at position 6 in loop PO1: 8 Segment has data element errors",
        "      element 4 (data element 212): 6 Invalid character in data element, value '12,50'",
        "    segment ZZZ at position 9: 1 Unrecognized segment ID",
    ]
    assert exception.evidence["reading"] == reading
    assert exception.evidence["sets"] == sent.ack_detail
    # The PO's timeline (its audit trail) shows the same words.
    (audit,) = AuditEvent.objects.filter(action="exception.raised", po__number="PO-5000")
    assert audit.after["evidence"]["reading"] == reading


def test_a_rejecting_999_keeps_its_ik3_ik4_and_ctx_notes_in_words(sent_850):
    partner, _ = sent_850
    sent = FunctionalGroup.objects.get(interchange__direction="out")
    (st01, st02) = sent.set_ids[0]
    body = [
        "AK1*PO*1*004010",
        f"AK2*{st01}*{st02}",
        "IK3*N1*5*N1*I6",
        "CTX*SITUATIONAL TRIGGER*N1*4*N1*1",
        "IK3*PO1*7*PO1*8",
        "CTX*PO101:2",
        "IK4*7*234*I12*PART 2",
        "CTX*SITUATIONAL TRIGGER^LINE:2*PO1*7**6*235",
        "IK5*R*I5",
        "AK9*R*1*1*0",
    ]

    drop(partner, "999-781.edi", partner_ack("999", body, 781))
    filedrop_scan()

    sent.refresh_from_db()
    assert (sent.ack_state, sent.ack_code) == ("rejected", "R")
    (answered,) = sent.ack_detail
    assert (answered["errors"], answered["error_meanings"]) == (
        ["I5"],
        ["Implementation one or more segments in error"],
    )
    first, second = answered["segments"]
    assert (first["code"], first["meaning"], first["context"]) == (
        "I6",
        "Implementation dependent segment missing",
        ["context SITUATIONAL TRIGGER: segment N1 at position 4 in loop N1 element 1"],
    )
    assert second["context"] == ["context PO101 2"]
    (element,) = second["elements"]
    assert element == {
        "position": 7,
        "component": None,
        "repetition": None,
        "element_ref": "234",
        "code": "I12",
        "meaning": "Implementation pattern match failure",
        "value": "PART 2",
        "context": ["context SITUATIONAL TRIGGER, LINE 2: segment PO1 at position 7 element 6 (data element 235)"],
    }
    exception = ProcurementException.objects.get()
    assert exception.evidence["reading"] == [
        "999 answers our group PO 1 version 004010: rejected (1 included, 1 received, 0 accepted sets)",
        f"  our 850 {st02}: rejected",
        "    set error I5 Implementation one or more segments in error",
        "    segment N1 at position 5 in loop N1: I6 Implementation dependent segment missing",
        "      context SITUATIONAL TRIGGER: segment N1 at position 4 in loop N1 element 1",
        "    segment PO1 at position 7 in loop PO1: 8 Segment has data element errors",
        "      context PO101 2",
        "      element 7 (data element 234): I12 Implementation pattern match failure, value 'PART 2'",
        "        context SITUATIONAL TRIGGER, LINE 2: segment PO1 at position 7 element 6 (data element 235)",
    ]


def test_an_860_line_says_how_much_is_left_to_receive_after_what_was_accepted(sent_850):
    partner, po = sent_850
    # 30 of line 1 arrived, 5 of them rejected: 25 accepted, so 95 of the new 120 are left.
    receipt_record(
        receipt=h.receipt("GR-5000", ("1", "30", "5"), po="PO-5000"),
        source=WriteSource(channel="system", label="WMS"),
    )
    changed = dataclasses.replace(po, revision=1, lines=(dataclasses.replace(po.lines[0], quantity=Decimal(120)),))

    purchase_order_change(po=changed, source=WriteSource(channel="system", label="ERP"))
    message = OutboundMessage.objects.get(event="po.changed", kind="file")
    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (written,) = list(filedrop.folders(partner).outbox.glob("860_*.edi"))
    (group,) = x12.validate(x12.parse(written.read_bytes()))
    pocs = [s.elements[1:6] for s in group.sets[0].transaction_set.segments if s.id == "POC"]
    assert pocs == [["1", "QI", "120", "95", "EA"], ["2", "DI", "0", "0", "EA"]]
    assert group.code == "A"
