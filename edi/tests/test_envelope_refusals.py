"""Envelopes and addressing of partners' files: what is refused whole, what only in part, and whose name we answer in.

An interchange whose own envelope is wrong (trailer numbers, counts, ISA fields, a receiver that
is not us) is refused whole with a TA1; a group whose GS/GE is wrong, or addressed to another
application, is rejected in the 997; a set with a bad trailer is rejected alone. Files are shaped
like partner CASTINGS' 855s (see the 855s in the X12 corpus).
"""

import pytest
from django.core.exceptions import ValidationError

from edi import filedrop, x12
from edi.models import EdiIdentity, FunctionalGroup, Interchange, TradingPartner
from edi.tests.test_filedrop import drop, filedrop_scan, partner  # noqa: F401  (partner is a fixture)
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement import factories
from procurement.models import Acknowledgement, InboundDocument, POLine, ProcurementException, PurchaseOrder
from procurement.services import WriteSource, purchase_order_publish


def ack_855(st02: str = "0001", *, po: str = "PO-4504", document_id: str = "855-000041", se01: str = "") -> list[str]:
    """CASTINGS accepting both lines of ``po`` as ordered (100 EA at 10.00, due 2027-03-01)."""
    body = [
        f"ST*855*{st02}",
        f"BAK*00*AC*{po}*20270120****{document_id}",
        "REF*VN*SO-5521",
        "N1*SE*CASTINGS FOUNDRY*92*CASTINGS",
        "N1*ST*ACME DETROIT*92*DET",
        "PO1*1*100*EA*10**BP*PART-00001",
        "PID*F****CAST HOUSING",
        "ACK*IA*100*EA*068*20270301",
        "PO1*2*100*EA*10**BP*PART-00002",
        "PID*F****CAST COVER",
        "ACK*IA*100*EA*068*20270301",
        "CTT*2",
    ]
    return [*body, f"SE*{se01 or len(body) + 1}*{st02}"]


def interchange(
    sets: list[list[str]],
    *,
    isa13: int = 41,
    receiver: tuple[str, str] = ("ZZ", "GATEWAY"),
    gs02: str = "CASTINGS",
    gs03: str = "GATEWAY",
    isa14: str = "0",
    isa15: str = "P",
    control: tuple[str, ...] = (),
    ge01: str = "",
    ge02: str = "",
    iea01: str = "",
    iea02: str = "",
) -> str:
    """One interchange from CASTINGS with one PR group; ``control`` goes between ISA and GS."""
    isa = "*".join(
        [
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CASTINGS".ljust(15), receiver[0], receiver[1].ljust(15),
            "270120", "1059", "U", "00401", f"{isa13:09d}", isa14, isa15, ">",
        ]
    )  # fmt: skip
    segments = [
        isa,
        *control,
        f"GS*PR*{gs02}*{gs03}*20270120*1059*{isa13}*X*004010",
        *(segment for body in sets for segment in body),
        f"GE*{ge01 or len(sets)}*{ge02 or isa13}",
        f"IEA*{iea01 or 1}*{iea02 or f'{isa13:09d}'}",
    ]
    return "".join(f"{s}~\n" for s in segments)


def receive(partner, name: str, *interchanges: str) -> InboundDocument:  # noqa: F811
    drop(partner, name, "".join(interchanges).encode())
    assert filedrop_scan() == 1
    return InboundDocument.objects.get(filename=name)


def answers(kind: str) -> list[x12.Interchange]:
    """Our answers of ``kind`` (TA1, 997), as the partner reads them once delivered."""
    found = []
    for message in OutboundMessage.objects.filter(event=f"x12.{kind.lower()}").order_by("pk"):
        assert outbox_message_deliver(message_id=message.pk) == "delivered"
        (ic,) = x12.parse(bytes(Interchange.objects.get(outbound_message=message).content)).interchanges
        found.append(ic)
    return found


def ta1(ic: x12.Interchange) -> list[str]:
    (segment,) = ic.ta1
    return [e.strip() for e in segment]


def ak_segments(ic: x12.Interchange) -> list[list[str]]:
    return [s.elements for s in ic.groups[0].sets[0].segments if s.elements[0].startswith("AK")]


def nothing_applied() -> None:
    assert Acknowledgement.objects.count() == 0
    assert list(POLine.objects.filter(po__number="PO-4504").values_list("ack_response", flat=True)) == ["", ""]


@pytest.mark.parametrize("isa14", ["0", "1"])
def test_an_interchange_whose_iea02_is_not_its_isa13_is_refused_whole_with_one_ta1(partner, isa14):  # noqa: F811
    document = receive(partner, "ack-41.edi", interchange([ack_855()], isa14=isa14, iea02="000000099"))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer) == ["TA1", "000000041", "270120", "1059", "R", "001"]
    assert (answer.isa05, answer.isa06, answer.isa07, answer.isa08) == ("ZZ", "GATEWAY", "ZZ", "CASTINGS")
    assert answers("997") == [] and answers("999") == []
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code) == ("edi_syntax", "ACME")
    assert exception.summary == (
        "interchange 000000041 rejected, TA1 001 (Interchange control number in header and trailer do not match): "
        "IEA02 '000000099' does not match ISA13 '000000041'"
    )
    assert (document.state, document.outcome_code) == ("rejected", "envelope_rejected")
    assert document.error == (
        "interchange 000000041 rejected, TA1 001 (Interchange control number in header and trailer do not match): "
        "IEA02 '000000099' does not match ISA13 '000000041'"
    )
    place = filedrop.folders(partner)
    assert (place.rejected / "ack-41.edi").read_bytes() == bytes(document.content)
    assert (place.rejected / "ack-41.edi.reason.txt").read_text() == document.error + "\n"
    assert list(place.archive.rglob("*.edi")) == []
    inbound = Interchange.objects.get(direction="in")
    assert inbound.rejected and not FunctionalGroup.objects.filter(interchange=inbound).exists()


def test_an_iea01_that_miscounts_the_groups_is_refused_with_ta1_021(partner):  # noqa: F811
    document = receive(partner, "ack-42.edi", interchange([ack_855()], isa13=42, iea01="2"))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["R", "021"]
    assert answers("997") == []
    assert ProcurementException.objects.get().kind == "edi_syntax"
    assert (document.state, document.outcome_code) == ("rejected", "envelope_rejected")


def test_a_corrected_interchange_sent_again_under_the_refused_number_is_applied(partner):  # noqa: F811
    receive(partner, "ack-41.edi", interchange([ack_855()], iea02="000000099"))

    document = receive(partner, "ack-41-fixed.edi", interchange([ack_855()]))

    assert (document.state, document.outcome_code) == ("processed", "processed")
    assert Acknowledgement.objects.get().header == "ACCEPTED"
    assert Interchange.objects.get(direction="in", inbound_document=document).duplicate == ""


def test_isb_and_ise_are_interchange_control_segments_read_without_complaint(partner):  # noqa: F811
    control = ("ISB*1", "ISE*270121*0800")

    document = receive(partner, "ack-43.edi", interchange([ack_855()], isa13=43, isa14="1", control=control))

    assert (document.state, document.outcome_code, document.error) == ("processed", "processed", "855 0001: applied")
    assert Acknowledgement.objects.get().header == "ACCEPTED"
    assert Interchange.objects.get(direction="in").envelope_errors == []
    assert ProcurementException.objects.count() == 0
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["A", "000"]
    (reply,) = answers("997")
    assert ["AK9", "A", "1", "1", "1"] in ak_segments(reply)


def test_an_interchange_addressed_to_another_company_is_refused_and_answered_under_our_own_id(partner):  # noqa: F811
    document = receive(partner, "ack-44.edi", interchange([ack_855()], isa13=44, receiver=("ZZ", "OTHERBUYER")))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["R", "008"]
    assert (answer.isa05, answer.isa06) == ("ZZ", "GATEWAY")  # never OTHERBUYER
    assert answers("997") == []
    exception = ProcurementException.objects.get()
    assert exception.summary == (
        "interchange 000000044 rejected, TA1 008 (Invalid interchange receiver ID): "
        "ISA08 ZZ:OTHERBUYER is not ACME's (ZZ:GATEWAY)"
    )
    assert exception.get_kind_display() == "EDI envelope or syntax error"  # the buyer's queue's title
    assert (document.state, document.outcome_code) == ("rejected", "envelope_rejected")


def test_our_id_under_another_qualifier_is_refused_with_ta1_007(partner):  # noqa: F811
    receive(partner, "ack-45.edi", interchange([ack_855()], isa13=45, receiver=("01", "GATEWAY")))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["R", "007"]


def test_a_test_interchange_from_a_production_partner_is_refused_with_ta1_020(partner):  # noqa: F811
    document = receive(partner, "ack-55.edi", interchange([ack_855()], isa13=55, isa15="T"))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["R", "020"]
    assert answers("997") == []
    assert document.error == (
        "interchange 000000055 rejected, TA1 020 (Invalid test indicator value): "
        "ISA15 is 'T' but the partner is set up for Production"
    )


def test_an_interchange_addressed_to_one_of_our_aliases_is_applied_and_answered_under_that_alias(partner):  # noqa: F811
    """Answered under the id the partner addressed (as translators do: they file answers under the
    id they sent to), which is ours; the company's own id otherwise, never one that is not ours."""
    EdiIdentity.objects.create(
        company=partner.company, isa_id="ACMEBUY", gs_id="ACMEBUY", isa_aliases=["01:123456789"], gs_aliases=["ACME"]
    )

    document = receive(
        partner, "ack-46.edi", interchange([ack_855()], isa13=46, receiver=("01", "123456789"), gs03="ACME")
    )

    assert (document.state, document.outcome_code) == ("processed", "processed")
    assert Acknowledgement.objects.get().header == "ACCEPTED"
    (reply,) = answers("997")
    assert (reply.isa05, reply.isa06, reply.isa07, reply.isa08) == ("01", "123456789", "ZZ", "CASTINGS")
    assert (reply.groups[0].gs02, reply.groups[0].gs03) == ("ACME", "CASTINGS")
    assert ["AK9", "A", "1", "1", "1"] in ak_segments(reply)
    assert ProcurementException.objects.count() == 0


def test_the_gateway_default_id_is_not_ours_once_the_company_has_its_own(partner):  # noqa: F811
    EdiIdentity.objects.create(company=partner.company, isa_id="ACMEBUY", gs_id="ACMEBUY")

    receive(partner, "ack-47.edi", interchange([ack_855()], isa13=47))

    nothing_applied()
    (answer,) = answers("TA1")
    assert ta1(answer)[4:] == ["R", "008"]
    assert (answer.isa05, answer.isa06) == ("ZZ", "ACMEBUY")


def test_a_group_for_another_application_receiver_is_rejected_in_the_997_and_not_applied(partner):  # noqa: F811
    document = receive(partner, "ack-48.edi", interchange([ack_855()], isa13=48, gs03="OTHERBUYER"))

    nothing_applied()
    (reply,) = answers("997")
    # 004010 has no AK905 code for a wrong application receiver (8 comes with 006050): 1, not supported.
    assert ["AK9", "R", "1", "1", "0", "1"] in ak_segments(reply)
    assert (reply.isa06, reply.groups[0].gs02) == ("GATEWAY", "GATEWAY")  # never OTHERBUYER
    assert answers("TA1") == []
    exception = ProcurementException.objects.get()
    assert exception.summary == (
        "group PR 48 of interchange 000000048 rejected (AK905 1): GS03 'OTHERBUYER' is not one of ours (GATEWAY)"
    )
    assert (document.state, document.outcome_code) == ("processed", "refused")
    assert FunctionalGroup.objects.get(interchange__direction="in").ack_code == "R"


def test_a_group_from_an_application_sender_the_partner_is_not_known_by_is_rejected_and_not_applied(partner):  # noqa: F811
    # The ISA is CASTINGS', but the group comes from its warehouse system, which is not set up.
    document = receive(partner, "ack-51.edi", interchange([ack_855()], isa13=51, gs02="CASTINGSWMS"))

    nothing_applied()
    (reply,) = answers("997")
    # 004010 has no AK905 code for a wrong application sender (7 comes with 006050): 1, not supported.
    assert ak_segments(reply) == [
        ["AK1", "PR", "51"],
        ["AK2", "855", "0001"],
        ["AK5", "A"],
        ["AK9", "R", "1", "1", "0", "1"],
    ]
    assert (reply.groups[0].gs02, reply.groups[0].gs03) == ("GATEWAY", "CASTINGSWMS")
    assert answers("TA1") == []
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.summary) == (
        "edi_syntax",
        "group PR 51 of interchange 000000051 rejected (AK905 1): GS02 'CASTINGSWMS' is not partner CASTINGS's "
        "(CASTINGS)",
    )
    assert (document.state, document.outcome_code) == ("processed", "refused")
    assert FunctionalGroup.objects.get(interchange__direction="in").ack_code == "R"


def test_a_group_from_one_of_the_partners_gs_aliases_is_applied(partner):  # noqa: F811
    partner.gs_aliases = ["CASTINGSWMS"]
    partner.save()

    document = receive(partner, "ack-52.edi", interchange([ack_855()], isa13=52, gs02="CASTINGSWMS"))

    assert Acknowledgement.objects.count() == 1
    (reply,) = answers("997")
    assert ["AK9", "A", "1", "1", "1"] in ak_segments(reply)
    assert ProcurementException.objects.count() == 0
    assert (document.state, document.outcome_code) == ("processed", "processed")


@pytest.mark.parametrize("aliases", [[""], "CASTINGSWMS", ["X" * 16]])
def test_a_partner_gs_alias_that_is_not_an_id_is_refused_when_saved_in_the_admin(partner, aliases):  # noqa: F811
    partner.gs_aliases = aliases

    with pytest.raises(ValidationError) as refused:
        partner.full_clean()
    assert list(refused.value.message_dict) == ["gs_aliases"]
    assert TradingPartner.objects.get().gs_aliases == []


def test_the_ak905_code_for_an_unknown_application_sender_is_the_answers_releases():
    releases = ["003010", "004010", "004010VICS", "005010", "005010X231A1", "006040", "006050", "007030"]
    assert [x12.errors.ak905_sender_code(r) for r in releases] == ["1", "1", "1", "1", "1", "1", "7", "7"]


@pytest.mark.parametrize(("trailer", "ak905"), [({"ge02": "77"}, "4"), ({"ge01": "3"}, "5")])
def test_a_group_whose_trailer_is_wrong_is_rejected_in_the_997_and_not_applied(partner, trailer, ak905):  # noqa: F811
    receive(partner, "ack-49.edi", interchange([ack_855()], isa13=49, **trailer))

    nothing_applied()
    (reply,) = answers("997")
    assert ["AK9", "R", trailer.get("ge01", "1"), "1", "0", ak905] in ak_segments(reply)
    assert answers("TA1") == []
    assert ProcurementException.objects.get().kind == "edi_syntax"


def test_a_set_with_a_wrong_segment_count_is_rejected_alone_and_its_sibling_applied(partner):  # noqa: F811
    sets = [ack_855("0001", se01="99"), ack_855("0002", document_id="855-000050")]

    document = receive(partner, "ack-50.edi", interchange(sets, isa13=50))

    assert Acknowledgement.objects.get().document_id == "855-000050"
    (reply,) = answers("997")
    segments = ak_segments(reply)
    assert ["AK5", "R", "4"] in segments and ["AK5", "A"] in segments
    assert ["AK9", "P", "2", "2", "1"] in segments
    assert answers("TA1") == []
    assert (document.state, document.outcome_code) == ("processed", "partly_applied")


def test_of_two_interchanges_in_one_file_the_bad_one_is_refused_and_the_good_one_applied(partner):  # noqa: F811
    bad = interchange([ack_855(document_id="855-000051")], isa13=51, iea02="000000015")
    good = interchange([ack_855(document_id="855-000052")], isa13=52)

    document = receive(partner, "acks.edi", bad, good)

    assert Acknowledgement.objects.get().document_id == "855-000052"
    (answer,) = answers("TA1")
    assert ta1(answer)[1:2] + ta1(answer)[4:] == ["000000051", "R", "001"]
    (reply,) = answers("997")
    assert (reply.groups[0].sets[0].segments[1].elements, reply.isa06) == (["AK1", "PR", "52"], "GATEWAY")
    assert (document.state, document.outcome_code) == ("processed", "partly_applied")
    assert list(Interchange.objects.filter(direction="in").order_by("position").values_list("rejected", flat=True)) == [
        True,
        False,
    ]
    assert ProcurementException.objects.get().summary.startswith(
        "interchange 000000051 rejected, TA1 001 (Interchange control number in header and trailer do not match)"
    )


def test_an_855_for_a_po_of_another_company_is_refused_exactly_like_an_unknown_po(partner):  # noqa: F811
    """CASTINGS also sells to BETA, but its partner profile trades with ACME: BETA's PO is not known there."""
    beta = factories.CompanyFactory(code="BETA")
    factories.PlantFactory(company=beta, code="MTY")
    po = factories.po_input(company="BETA", supplier="CASTINGS", plant="MTY", number="PO-7001", lines=2)
    purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))

    foreign = receive(partner, "ack-53.edi", interchange([ack_855(po="PO-7001", document_id="855-53")], isa13=53))
    missing = receive(partner, "ack-54.edi", interchange([ack_855(po="PO-9999", document_id="855-54")], isa13=54))

    assert Acknowledgement.objects.count() == 0
    assert list(POLine.objects.filter(po__number="PO-7001").values_list("ack_response", flat=True)) == ["", ""]
    assert (foreign.state, foreign.outcome_code) == (missing.state, missing.outcome_code) == ("processed", "refused")
    assert foreign.error == "855 0001: refused (unknown_po: PO-7001 is not one of Supplier CASTINGS's orders)"
    assert foreign.error.replace("PO-7001", "PO-9999") == missing.error
    # Both join the one open exception for CASTINGS' unknown POs at ACME, naming each number.
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code, exception.po, exception.evidence["documents"]) == (
        "unknown_po",
        "ACME",
        None,
        2,
    )
    assert exception.evidence["po_numbers"] == ["PO-7001", "PO-9999"]
    assert not ProcurementException.objects.filter(company=beta).exists()
    assert PurchaseOrder.objects.get(number="PO-7001").company == beta


def test_the_850_goes_out_under_the_buying_companys_own_ids(partner):  # noqa: F811
    EdiIdentity.objects.create(company=partner.company, isa_qualifier="01", isa_id="123456789", gs_id="ACMEBUY")

    message = OutboundMessage.objects.get(event="po.published", kind="file")
    assert outbox_message_deliver(message_id=message.pk) == "delivered"

    (written,) = filedrop.folders(partner).outbox.glob("850_*.edi")
    (ic,) = x12.parse(written.read_bytes()).interchanges
    assert (ic.isa05, ic.isa06, ic.isa07, ic.isa08) == ("01", "123456789", "ZZ", "CASTINGS")
    assert (ic.groups[0].gs02, ic.groups[0].gs03) == ("ACMEBUY", "CASTINGS")
    sent = Interchange.objects.get(direction="out")
    assert (sent.sender_qualifier, sent.sender_id) == ("01", "123456789")


@pytest.mark.parametrize(
    ("field", "aliases"),
    [("isa_aliases", ["123456789"]), ("isa_aliases", ["001:123"]), ("gs_aliases", [""]), ("gs_aliases", "ACME")],
)
def test_an_alias_that_is_not_an_id_is_refused_when_the_identity_is_saved_in_the_admin(partner, field, aliases):  # noqa: F811
    identity = EdiIdentity(company=partner.company, **{field: aliases})

    with pytest.raises(ValidationError) as refused:
        identity.full_clean()
    assert list(refused.value.message_dict) == [field]
    assert EdiIdentity(company=partner.company, isa_aliases=["01:123456789"], gs_aliases=["ACME"]).full_clean() is None


# A control number (ISA13) used again by the same sender: the same content again is a quiet
# duplicate, other content is refused with a TA1 R 025 and an exception for the buyer.


@pytest.mark.parametrize("isa14", ["0", "1"])
def test_other_content_under_a_used_control_number_is_refused_with_a_ta1_and_an_exception(partner, isa14):  # noqa: F811
    first = receive(partner, "ack-41.edi", interchange([ack_855()]))
    later = ack_855(document_id="855-000099")
    later[5] = "PO1*1*100*EA*9.5**BP*PART-00001"  # another price: another document, same ISA13

    document = receive(partner, "ack-41-again.edi", interchange([later], isa14=isa14))

    assert Acknowledgement.objects.get().document_id == "855-000041"
    (answer,) = answers("TA1")
    assert ta1(answer) == ["TA1", "000000041", "270120", "1059", "R", "025"]
    assert (answer.isa06, answer.isa08) == ("GATEWAY", "CASTINGS")
    assert [ak_segments(ic)[0] for ic in answers("997")] == [["AK1", "PR", "41"]]  # the first file's only
    received = f"{first.received_at:%Y-%m-%d}"
    reason = (
        f"control number 000000041 from CASTINGS was used by document {first.pk} "
        f"(ack-41.edi, received {received}) for other content"
    )
    exception = ProcurementException.objects.get()
    assert (exception.kind, exception.company.code) == ("duplicate_document", "ACME")
    assert exception.summary == f"interchange 000000041 in file ack-41-again.edi refused (TA1 025): {reason}"
    assert exception.evidence == {
        "sender": "ZZ/CASTINGS",
        "isa13": "000000041",
        "first_document": first.pk,
        "first_filename": "ack-41.edi",
        "first_received_at": first.received_at.isoformat(),
        "file": "ack-41-again.edi",
    }
    assert (document.state, document.outcome_code) == ("rejected", "envelope_rejected")
    assert document.error == f"interchange 000000041 rejected, TA1 025 (Duplicate interchange control number): {reason}"
    assert (filedrop.folders(partner).rejected / "ack-41-again.edi.reason.txt").read_text() == document.error + "\n"
    record = Interchange.objects.get(inbound_document=document)
    assert (record.duplicate, record.duplicate_of.inbound_document, record.rejected) == ("control_number", first, True)
    assert record.envelope_errors == [{"code": "025", "message": reason}]


def test_the_same_interchange_again_in_another_layout_is_a_quiet_duplicate(partner):  # noqa: F811
    text = interchange([ack_855()])
    receive(partner, "ack-41.edi", text)

    document = receive(partner, "ack-41-crlf.edi", text.replace("~\n", "~\r\n"))  # other bytes, same content

    assert (document.state, document.outcome_code) == ("duplicate", "duplicate_interchange")
    assert document.error == "ISA 000000041: duplicate (interchange 000000041 from CASTINGS was received before)"
    assert answers("TA1") == []
    assert ProcurementException.objects.count() == 0
    assert Acknowledgement.objects.count() == 1


def test_a_file_holding_one_interchange_twice_and_another_under_its_number_refuses_only_the_other(partner):  # noqa: F811
    first = interchange([ack_855()])
    other = interchange([ack_855("0002", document_id="855-000099")])

    document = receive(partner, "ack-41-thrice.edi", first, first, other)

    received = Interchange.objects.filter(inbound_document=document).order_by("position")
    assert list(received.values_list("position", "duplicate", "rejected")) == [
        (0, "", False),
        (1, "control_number", False),
        (2, "control_number", True),
    ]
    assert Acknowledgement.objects.get().document_id == "855-000041"
    assert [ta1(answer)[4:] for answer in answers("TA1")] == [["R", "025"]]
    assert ProcurementException.objects.get().kind == "duplicate_document"
    assert (document.state, document.outcome_code) == ("processed", "partly_applied")


def test_an_855_wrapped_at_80_columns_is_applied_as_if_unwrapped(partner):  # noqa: F811
    """A mainframe's file: CRLF every 80 characters, inside the ISA, inside PO1 and so on."""
    text = interchange([ack_855()]).replace("~\n", "~")
    wrapped = "\r\n".join(text[i : i + 80] for i in range(0, len(text), 80)) + "\r\n"
    # Line breaks inside the ISA (its ISA10), inside PID and inside IEA.
    assert ["*105\r\n9*" in wrapped, "PID*F\r\n****CAST" in wrapped, "IEA*1*0000000\r\n41~" in wrapped] == [True] * 3

    document = receive(partner, "ack-41-wrapped.edi", wrapped)

    assert (document.state, document.outcome_code, document.error) == ("processed", "processed", "855 0001: applied")
    assert Acknowledgement.objects.get().document_id == "855-000041"
    (answer,) = answers("997")
    assert ak_segments(answer) == [
        ["AK1", "PR", "41"],
        ["AK2", "855", "0001"],
        ["AK5", "A"],
        ["AK9", "A", "1", "1", "1"],
    ]


def test_a_group_past_its_limit_of_rejected_sets_is_refused_with_the_count_of_sets_not_read(partner, monkeypatch):  # noqa: F811
    # The limit is 1,000 (``envelope.MAX_REJECTED_SETS``, its edges tested in edi/tests/x12); three here.
    monkeypatch.setattr(x12.envelope, "MAX_REJECTED_SETS", 3)
    without_bak = [[f"ST*855*000{n}", f"SE*2*000{n}"] for n in (1, 2, 3)]

    document = receive(partner, "ack-61.edi", interchange([*without_bak, ack_855("0004")], isa13=61))

    nothing_applied()
    (reply,) = answers("997")
    assert ak_segments(reply) == [
        ["AK1", "PR", "61"],
        *(
            segment
            for n in (1, 2, 3)
            for segment in (["AK2", "855", f"000{n}"], ["AK3", "BAK", "2", "", "3"], ["AK5", "R", "5"])
        ),
        ["AK9", "R", "4", "4", "0"],  # the fourth set counted, not read
    ]
    exception = ProcurementException.objects.get()  # the sets' own exceptions went with the group
    assert (exception.kind, exception.summary) == (
        "edi_syntax",
        "group PR 61 of interchange 000000061 rejected: 3 transaction sets rejected: checking stopped at set 3 "
        "(ST02 0003), the 1 set(s) after it not read",
    )
    assert (document.state, document.outcome_code) == ("processed", "refused")
    group = FunctionalGroup.objects.get(interchange__direction="in")
    assert (group.ack_code, group.ack_detail[-1]) == ("R", {"sets": {"R": 3}, "listed": 3})
