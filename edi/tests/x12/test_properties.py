"""Property tests: layout never changes meaning, canonical inputs round-trip, and no
byte sequence makes the library raise anything but its own error types."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from edi.tests.x12.corpus import corpus_bytes, manifest
from edi.tests.x12.test_generators import ENV
from edi.x12 import (
    X12Error,
    parse,
    reply_envelope,
    validate_group,
    write_810,
    write_850,
    write_855,
    write_856,
    write_ack,
    write_ta1,
)
from edi.x12.mappers import MAPPERS, map_810, map_850, map_855, map_856
from edi.x12.mappers.common import DEFAULT_CODE_MAPS
from edi.x12.tokenizer import Block
from procurement import inputs as ci

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DELIMITER_POOL = "*|^~!`{}:;<>\\+=@$%\x1c\x1d\x1e\x1f"
SUFFIXES = ["", "\n", "\r\n", "\n\t", "\n    ", "\n\xa0\xa0", "\n\n", " \n", "\r\n\r\n\t"]
CORPUS = [row["filename"] for row in manifest()]

text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -/.#", min_size=1, max_size=20).filter(
    lambda s: s == s.strip()
)
optional_text = st.one_of(st.just(""), text)
code = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
quantities = st.decimals(min_value=0, max_value=999999, places=3, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=99999, places=4, allow_nan=False, allow_infinity=False)
uoms = st.sampled_from(["EA", "KG", "BX", "CA", "FT", "LB"])


@st.composite
def purchase_orders(draw: st.DrawFn) -> ci.PurchaseOrderInput:
    numbers = draw(st.lists(code, min_size=1, max_size=6, unique=True))
    lines = tuple(
        ci.POLineInput(
            line_no=n,
            part_number=draw(optional_text),
            quantity=draw(quantities),
            uom=draw(uoms),
            unit_price=draw(prices),
            need_by=draw(dates),
            supplier_part_number=draw(optional_text),
            description=draw(optional_text),
        )
        for n in numbers
    )
    return ci.PurchaseOrderInput(
        company=draw(optional_text),
        number=draw(code),
        supplier=draw(optional_text),
        ship_to=draw(optional_text),
        currency=draw(st.sampled_from(["", "USD", "EUR"])),
        order_date=draw(dates),
        lines=lines,
        revision=draw(st.integers(0, 99)),
        buyer=draw(optional_text),
        notes="\n".join(draw(st.lists(text, max_size=3))),
    )


@st.composite
def acknowledgements(draw: st.DrawFn) -> ci.AcknowledgementInput:
    responses = {
        v: k
        for k, v in DEFAULT_CODE_MAPS["ack01"].items()
        if k in ("IA", "IP", "IQ", "DR", "IS", "IB", "BP", "IH", "IR")
    }
    lines = []
    for n in draw(st.lists(code, min_size=0, max_size=5)):
        response = draw(st.sampled_from(sorted(responses)))
        quantity = draw(st.one_of(st.none(), quantities))
        lines.append(
            ci.AckLineInput(
                line_no=n,
                response=response,
                raw_code=responses[response],
                quantity=quantity,
                uom="EA" if quantity is not None else "",
                unit_price=draw(st.one_of(st.none(), prices)),
                promised_date=draw(st.one_of(st.none(), dates)),
                substitute_part_number=draw(optional_text),
                schedule=tuple(
                    ci.ScheduleLineInput(quantity=q, date=d)
                    for q, d in draw(st.lists(st.tuples(quantities, dates), max_size=3))
                ),
            )
        )
    raw = draw(st.sampled_from(["AD", "AC", "AK", "RD"]))
    header = DEFAULT_CODE_MAPS["bak02"][raw]
    if header in (ci.ACK_ACCEPTED, ci.ACK_ACCEPTED_WITH_CHANGES) and lines:
        changed = any(line.response != ci.LINE_ACCEPT for line in lines)
        header = ci.ACK_ACCEPTED_WITH_CHANGES if changed else ci.ACK_ACCEPTED
    return ci.AcknowledgementInput(
        document_id=draw(code),
        po_number=draw(code),
        header=header,
        lines=tuple(lines),
        raw_code=raw,
        po_revision=draw(st.one_of(st.none(), st.integers(0, 99))),
        company=draw(optional_text),
        acknowledged_on=draw(dates),
        note="\n".join(draw(st.lists(text, max_size=2))),
    )


@st.composite
def shipments(draw: st.DrawFn) -> ci.ShipmentInput:
    ssccs = draw(st.lists(st.from_regex(r"\A[0-9]{18}\Z"), max_size=4, unique=True))
    lines = tuple(
        ci.ShipmentLineInput(
            po_number=draw(code),
            line_no=draw(code),
            quantity=draw(quantities),
            uom=draw(uoms),
            part_number=draw(optional_text),
            pack_sscc=draw(st.sampled_from(["", *ssccs])),
            lot=draw(optional_text),
            serial=draw(optional_text),
        )
        for _ in range(draw(st.integers(1, 5)))
    )
    seen = [line.pack_sscc for line in lines if line.pack_sscc]
    packs = list(dict.fromkeys(seen)) + [s for s in ssccs if s not in seen]
    return ci.ShipmentInput(
        shipment_id=draw(code),
        ship_date=draw(dates),
        lines=lines,
        expected_delivery=draw(st.one_of(st.none(), dates)),
        carrier=draw(optional_text),
        tracking_number=draw(optional_text),
        packs=tuple(packs),
        company=draw(optional_text),
    )


@st.composite
def invoices(draw: st.DrawFn) -> ci.InvoiceInput:
    credit = draw(st.booleans())
    total = draw(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
    return ci.InvoiceInput(
        invoice_number=draw(code),
        po_number=draw(code),
        invoice_date=draw(dates),
        currency=draw(st.sampled_from(["", "USD", "CAD"])),
        lines=tuple(
            ci.InvoiceLineInput(n, draw(quantities), draw(prices), draw(optional_text), uom=draw(uoms))
            for n in draw(st.lists(code, min_size=1, max_size=5))
        ),
        purpose=ci.INVOICE_PURPOSE_CREDIT_MEMO if credit else ci.INVOICE_PURPOSE_INVOICE,
        total=-total if credit else total,
        company=draw(optional_text),
    )


@SETTINGS
@given(purchase_orders())
def test_850_round_trip(po: ci.PurchaseOrderInput) -> None:
    assert map_850(next(parse(write_850(po, ENV, 1)).transaction_sets())).value == po


@SETTINGS
@given(acknowledgements())
def test_855_round_trip(ack: ci.AcknowledgementInput) -> None:
    assert map_855(next(parse(write_855(ack, ENV, 1)).transaction_sets())).value == ack


@SETTINGS
@given(shipments())
def test_856_round_trip(shipment: ci.ShipmentInput) -> None:
    assert map_856(next(parse(write_856(shipment, ENV, 1)).transaction_sets())).value == shipment


@SETTINGS
@given(invoices())
def test_810_round_trip(invoice: ci.InvoiceInput) -> None:
    assert map_810(next(parse(write_810(invoice, ENV, 1)).transaction_sets())).value == invoice


def relayout(data: bytes, rnd: random.Random, pool: str) -> bytes:
    """``data`` re-written with other delimiters, whitespace between segments, an
    unpadded ISA half the time, and maybe a byte-order mark."""
    out = []
    for block in parse(data).interchanges:
        b: Block = block.block
        old = b.ctx.delimiters
        # The repetition separator stays: where an element does not repeat, the
        # character is data (856_nodex12 uses "-" in 00406), so swapping it would not
        # be a pure layout change.
        e, c, t = rnd.sample(pool, 3)

        def swap(value: str) -> str:
            return value.replace(old.component, c) if old.component else value

        isa = list(b.isa[:16])
        if rnd.random() < 0.5:
            isa = [f.strip() for f in isa]
        segs = [e.join(isa) + e + c]
        segs += [e.join(swap(x) for x in seg.elements) for seg in b.segments(1)]
        out.append(rnd.choice(["", " ", "\n", "\r\n\t"]))
        out.extend(seg + t + rnd.choice(SUFFIXES) for seg in segs)
    text = "".join(out)
    bom = b"\xef\xbb\xbf" if rnd.random() < 0.5 else b""
    return bom + text.encode("utf-8")


def meaning(data: bytes) -> list:
    doc = parse(data)
    found = []
    for ic in doc.interchanges:
        for group in ic.groups:
            report = validate_group(group)
            found.append((group.gs06, report.code, [(s.code, s.set_codes) for s in report.sets]))
            for ts in group.sets:
                if ts.st01 in MAPPERS:
                    found.append(ci.canonical_json(MAPPERS[ts.st01](ts).value))
    return found


STABLE = [
    n
    for n in CORPUS
    if n
    not in (
        # Both interpret whitespace or a delimiter as data, so another layout changes them.
        "850_edinet_issue135.edi",
        "856_stupidedi_fail_mixed_terms.edi",
        "855_stupidedi_fail_broken_isa.edi",
    )
]


@SETTINGS
@given(name=st.sampled_from(STABLE), seed=st.integers(0, 2**32))
def test_layout_and_delimiters_do_not_change_meaning(name: str, seed: int) -> None:
    data = corpus_bytes(name)
    text = data.decode("utf-8", "replace")
    pool = "".join(ch for ch in DELIMITER_POOL if ch not in text)
    assume(len(pool) >= 3)
    assert meaning(relayout(data, random.Random(seed), pool)) == meaning(data)


@SETTINGS
@given(po=purchase_orders(), seed=st.integers(0, 2**32))
def test_layout_of_generated_850s_does_not_change_meaning(po: ci.PurchaseOrderInput, seed: int) -> None:
    data = write_850(po, ENV, 1)
    assert map_850(next(parse(relayout(data, random.Random(seed), DELIMITER_POOL)).transaction_sets())).value == po


def exercise(data: bytes) -> None:
    """Everything a gateway does with inbound bytes; only library errors may escape."""
    try:
        doc = parse(data)
    except X12Error:
        return
    reports = []
    for ic in doc.interchanges:
        for group in ic.groups:
            reports.append(validate_group(group))
            for ts in group.sets:
                if ts.st01 in MAPPERS:
                    with contextlib.suppress(X12Error):
                        MAPPERS[ts.st01](ts)
        try:
            env = reply_envelope(ic, ic.groups[0] if ic.groups else None, interchange_control=1, group_control=1)
            write_ta1(ic, env)
            if reports:
                write_ack(reports, env, 1)
        except X12Error:
            pass
    for issue in doc.all_issues():
        assert issue.offset is None or 0 <= issue.offset <= len(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(CORPUS),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["replace", "insert", "delete", "cut", "repeat"]),
            st.floats(0, 1),
            st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_byte_mutations_raise_only_library_errors(name: str, edits: list) -> None:
    data = bytearray(corpus_bytes(name))
    for kind, where, payload in edits:
        at = int(where * len(data))
        if kind == "replace":
            data[at : at + len(payload)] = payload
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "cut":
            del data[at:]
        else:
            data[at:at] = data[at : at + 40]
    exercise(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_library_errors(data: bytes) -> None:
    exercise(data)
    exercise(b"ISA*00*" + data)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ISAGETN*~>:^|\n\r 0123456789", max_size=300))
def test_envelope_shaped_noise_raises_only_library_errors(noise: str) -> None:
    exercise(
        (
            "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260101*1200*^*00501*000000001*0*P*:~"
            + noise
        ).encode()
    )
