"""No segment vanishes: every segment of a mapped set is either carried by the canonical input or
listed as not used, with its position and a reason.

The count: the segments between ST and SE as received (SE01 minus 2 when SE01 is right; ST and
SE are the envelope, neither used nor unused). Each such position is in exactly one of
``Mapped.used`` and ``Mapped.unused``; every unused one has a reason its set's table gives (a
segment falling to the default "not used by the gateway" is one the mapper dropped without
knowing); and the segments that carry a document's header and lines are never unused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from edi.tests.x12.corpus import corpus_bytes, manifest
from edi.tests.x12.samples import interchange
from edi.tests.x12.test_generators import ENV, corpus_values
from edi.x12 import parse
from edi.x12.envelope import TransactionSet
from edi.x12.generators import write_810, write_850, write_855, write_856
from edi.x12.mappers import MAPPERS, NOT_USED, Mapped, Unused, map_810, map_850, map_855, map_856, map_transaction_set
from edi.x12.mappers.invoice import UNUSED as UNUSED_810
from edi.x12.tokenizer import is_digits
from procurement import inputs as ci

MAPPED = [
    row["filename"]
    for row in manifest()
    if any(kind.split("x")[0] in MAPPERS for kind in row["transaction_sets"].split(";"))
]

# Segments whose content is the document itself: never left out by a mapper that reads the set right.
# (An 855/865 line item is carried by its ACK answers; one without any is listed, with its reason.)
CARRIERS = {
    "850": {"BEG", "PO1"},
    "855": {"BAK", "ACK"},
    "865": {"BCA", "ACK"},
    "856": {"BSN", "HL", "LIN", "SN1"},
    "810": {"BIG", "IT1", "TDS"},
}


def account_problems(ts: TransactionSet, mapped: Mapped) -> list[str]:
    """What is wrong with ``mapped``'s account of ``ts`` (empty when every segment is accounted once)."""
    body = [ts.position(seg) for seg in ts.segments if seg.id not in ("ST", "SE")]
    unused = [u.position for u in mapped.unused]
    problems = []
    if len(mapped.used) + len(unused) != len(body):
        problems.append(f"{len(mapped.used)} used + {len(unused)} unused != {len(body)} segments")
    if sorted([*mapped.used, *unused]) != body:
        problems.append(f"positions used {mapped.used} and unused {unused} do not cover {body} once each")
    problems += [f"{u.position} {u.segment_id} dropped without a reason" for u in mapped.unused if u.reason == NOT_USED]
    problems += [f"{u.position} {u.segment_id} is left out" for u in mapped.unused if u.segment_id in CARRIERS[ts.st01]]
    return problems


@pytest.mark.parametrize("name", MAPPED)
def test_every_segment_of_a_corpus_set_is_used_or_listed_unused(name: str) -> None:
    checked = 0
    for ts in parse(corpus_bytes(name)).transaction_sets():
        if ts.st01 not in MAPPERS:
            continue
        se = ts.segments[-1]
        if se.id == "SE" and is_digits(se[1]) and int(se[1]) == len(ts.segments):
            assert int(se[1]) - 2 == len(ts.segments) - 2  # the count is SE01's when SE01 is right
        mapped = map_transaction_set(ts)
        assert account_problems(ts, mapped) == [], f"{ts.st01} {ts.st02}"
        checked += 1
    assert checked > 0


def one(body: str) -> TransactionSet:
    """The set ``body`` (segments ending in ``~``) in an interchange of its own."""
    gs = (
        "GS*"
        + {"810": "IN", "850": "PO", "855": "PR", "856": "SH", "865": "CA"}[body[3:6]]
        + "*S*R*20260102*1200*5*X*004010"
    )
    text = interchange([gs, *body.rstrip("~").split("~"), "GE*1*5", "IEA*1*000000001"])
    return next(parse(text.encode()).transaction_sets())


def test_810_line_charges_and_taxes_are_used_and_a_summary_repeat_of_them_listed() -> None:
    # Lines 20 + 5, freight 3, allowance 1, tax 1.60: TDS 28.60 counts the freight once.
    body = (
        "ST*810*0001~BIG*20260105*INV-9*20260101*PO-7~REF*VN*99~N1*BY*ACME*92*ACME~"
        "IT1*1*2*EA*10**BP*P-1~PID*F****Bolt~SAC*C*G830***300~TXI*ST*1.60*8~SAC*A*C310***100~"
        "IT1*2*1*EA*5**BP*P-2~TDS*2860~SAC*C*G830***300~CTT*2~SE*14*0001~"
    )
    mapped = map_810(one(body))
    assert mapped.used == (2, 4, 5, 7, 8, 9, 10, 11)
    assert mapped.unused == (
        Unused(3, "REF", "reference the gateway does not keep"),
        Unused(6, "PID", "item description the gateway does not keep"),
        Unused(12, "SAC", "summary SAC C G830 repeats the sum of the lines' SAC C G830, which the total counts once"),
        Unused(13, "CTT", UNUSED_810["CTT"]),
    )
    assert [len(line.charges) for line in mapped.value.lines] == [2, 0]
    assert mapped.value.charges == ()
    ts = one(body)
    assert account_problems(ts, map_810(ts)) == []
    # The same summary SAC when TDS counts it (31.60) is a charge of the invoice's own, and used.
    charged = map_810(one(body.replace("TDS*2860", "TDS*3160")))
    assert charged.used == (2, 4, 5, 7, 8, 9, 10, 11, 12)
    assert charged.value.charges == (ci.InvoiceChargeInput("C", "G830", Decimal("3.00")),)
    assert charged.errors == []


def test_850_heading_date_is_used_only_when_a_line_takes_it() -> None:
    body = (
        "ST*850*0001~BEG*00*SA*PO-7**20260101~DTM*002*20260301~PO1*1*5*EA*2**BP*P-1~DTM*002*20260215~CTT*1~SE*7*0001~"
    )
    mapped = map_850(one(body))
    assert mapped.value.lines[0].need_by.isoformat() == "2026-02-15"
    assert [(u.position, u.segment_id) for u in mapped.unused] == [(3, "DTM"), (6, "CTT")]
    no_line_date = body.replace("DTM*002*20260215~", "").replace("SE*7", "SE*6")
    assert map_850(one(no_line_date)).used == (2, 3, 4)


def test_an_855_line_without_an_ack_is_listed_not_counted_as_mapped() -> None:
    body = "ST*855*0001~BAK*00*AT*PO-7*20260101~PO1*1*5*EA*2**BP*P-1~PO1*2*3*EA*4**BP*P-2~ACK*IA*3*EA~SE*6*0001~"
    mapped = map_855(one(body))
    assert [line.line_no for line in mapped.value.lines] == ["2"]
    assert mapped.used == (2, 4, 5)
    assert mapped.unused == (Unused(3, "PO1", "line without an ACK: the header's answer stands for it"),)


def test_855_schedule_and_notes_are_accounted() -> None:
    body = (
        "ST*855*0001~BAK*00*AC*PO-7*20260101~MSG*Partial this week~N1*BY*ACME~N3*1 Main St~"
        "PO1*1*5*EA*2**BP*P-1~ACK*IA*3*EA~ACK*IB*2*EA~DTM*067*20260301~CTT*1~SE*11*0001~"
    )
    mapped = map_855(one(body))
    # The DTM dates the ACK before it (its ACK05 is empty).
    assert [(u.position, u.segment_id) for u in mapped.unused] == [(5, "N3"), (10, "CTT")]
    assert mapped.used == (2, 3, 4, 6, 7, 8, 9)


def test_856_second_item_detail_in_one_item_level_is_reported_dropped() -> None:
    # One item level carrying two SN1: the shipment takes the first; the second is not silently lost.
    body = (
        "ST*856*0001~BSN*00*SH-1*20260105*1200~HL*1**S~TD5**2*UPSN~HL*2*1*O~PRF*PO-7~"
        "HL*3*2*I~LIN*1*BP*P-1~SN1*1*5*EA~SN1*2*3*EA~CTT*3~SE*12*0001~"
    )
    ts = one(body)
    mapped = map_856(ts)
    assert Unused(10, "SN1", NOT_USED) in mapped.unused
    assert account_problems(ts, mapped) == ["10 SN1 dropped without a reason", "10 SN1 is left out"]


def test_865_change_acknowledgment_is_accounted() -> None:
    body = (
        "ST*865*0001~BCA*01*AC*PO-1001**2*20260102*****CHG-ACK-9~REF*PP*7~N1*BY**92*ACME-US~"
        "POC*1*QI*12*12*EA*2.5~ACK*IA*12*EA*068*20260210~POC*3*AI*1*1*EA*99~ACK*IR*0*EA~CTT*2~SE*10*0001~"
    )
    ts = one(body)
    mapped = map_transaction_set(ts)
    # BCA05 gives the change sequence, so REF*PP is left out; the rest is the acknowledgement.
    assert [(u.position, u.segment_id) for u in mapped.unused] == [(3, "REF"), (9, "CTT")]
    assert account_problems(ts, mapped) == []


def writable(st01: str, value: object) -> bool:
    """Whether the gateway writes ``value`` (an 856 needs a PO number on every line)."""
    return st01 != "856" or all(line.po_number for line in value.lines)  # type: ignore[attr-defined]


WRITERS = {
    "850": lambda value: write_850(value, ENV, 1),
    "855": lambda value: write_855(value, ENV, 1, po_date=dt.date(2026, 1, 1)),
    "856": lambda value: write_856(value, ENV, 1),
    "810": lambda value: write_810(value, ENV, 1),
}


@pytest.mark.parametrize(
    ("st01", "value"),
    [
        pytest.param(st01, p.values[0], id=p.id)
        for st01 in WRITERS
        for p in corpus_values(st01)
        if writable(st01, p.values[0])
    ],
)
def test_what_the_gateway_writes_it_reads_back_whole(st01: str, value: object) -> None:
    ts = next(parse(WRITERS[st01](value)).transaction_sets())
    mapped = MAPPERS[st01](ts)
    assert account_problems(ts, mapped) == []
    # Only the line count, and the N9 heading the notes are written under, are not read back.
    assert {u.segment_id for u in mapped.unused} <= {"CTT", "N9"}
