"""Our 997/999 carry the partner's version as a plain release and claim no implementation guide."""

from __future__ import annotations

import datetime as dt

from edi.tests.x12.samples import interchange
from edi.x12 import parse, reply_envelope, validate_group, write_ack
from edi.x12.generators.acks import ack_version

WHEN = dt.datetime(2026, 1, 2, 12, 30)

# A 005010 invoice as a partner sends it: GS01 IN, GS08 plain 005010.
INVOICE_5010 = [
    "GS*IN*SENDER*RECEIVER*20260102*1200*41*X*005010",
    "ST*810*0001",
    "BIG*20260102*INV-77*20251220*PO-1001",
    "IT1*1*10*EA*2.5**BP*PART-1",
    "TDS*2500",
    "CTT*1",
    "SE*6*0001",
    "GE*1*41",
    "IEA*1*000000001",
]


def answer(body: list[str], isa12: str, kind: str | None = None) -> list[str]:
    ic = parse(interchange(body, isa12=isa12)).interchanges[0]
    report = validate_group(ic.groups[0])
    env = reply_envelope(ic, ic.groups[0], interchange_control=5, group_control=6, when=WHEN)
    return [line.rstrip("~") for line in write_ack([report], env, 1, kind=kind).decode().splitlines()]


def test_our_999_for_an_810_claims_no_hipaa_guide():
    lines = answer(INVOICE_5010, "00501")

    assert lines[1] == "GS*FA*RECEIVER*SENDER*20260102*1230*6*X*005010"
    assert lines[2:6] == ["ST*999*0001", "AK1*IN*41*005010", "AK2*810*0001", "IK5*A"]


def test_a_guide_suffix_on_the_partners_gs08_is_not_carried_into_our_answer():
    body = [INVOICE_5010[0].replace("*005010", "*005010X999A1"), *INVOICE_5010[1:]]
    lines = answer(body, "00501")

    assert lines[1] == "GS*FA*RECEIVER*SENDER*20260102*1230*6*X*005010"
    assert lines[2] == "ST*999*0001"
    # AK103 echoes the partner's own GS08 as received.
    assert lines[3] == "AK1*IN*41*005010X999A1"


def test_a_997_for_a_vics_group_carries_the_plain_release():
    body = [INVOICE_5010[0].replace("*005010", "*004010VICS"), *INVOICE_5010[1:]]
    lines = answer(body, "00401", kind="997")

    assert lines[1] == "GS*FA*RECEIVER*SENDER*20260102*1230*6*X*004010"
    assert lines[2:4] == ["ST*997*0001", "AK1*IN*41"]


def test_ack_version_drops_any_suffix_and_falls_back_on_a_non_release():
    assert ack_version("005010X231A1") == "005010"
    assert ack_version("004010VICS") == "004010"
    assert ack_version("BAD", "005010X222") == "005010"
    assert ack_version("", "") == "004010"
