"""Synthetic X12 for the EDI benchmarks: realistic 850/856/810 interchanges, written by the library.

Every document is built from canonical inputs with ``edi.x12``'s own generators, so it is what a
partner following our layouts sends. No Django imports: the library benchmarks use this too.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal
from pathlib import Path

from edi import x12
from edi.tests.x12.corpus import corpus_dir
from edi.x12.generators import GroupBody, build_810, build_850, build_856
from procurement import inputs as ci

SUPPLIER = "BOLTS"
COMPANY = "ACME"
PLANT = "DET"
DAY = dt.date(2027, 1, 15)
WHEN = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)


def envelope(isa: int, gs: int, *, sender: str = SUPPLIER, receiver: str = "GATEWAY") -> x12.Envelope:
    return x12.Envelope(
        sender_id=sender,
        receiver_id=receiver,
        interchange_control=isa,
        group_control=gs,
        when=WHEN,
    )


def po(number: str, lines: int, *, rng: random.Random | None = None) -> ci.PurchaseOrderInput:
    """A PO like ``procurement.factories.po_input``: lines 1.., parts PART-00001…, 100 EA at 10.00."""
    rng = rng or random.Random(number)
    return ci.PurchaseOrderInput(
        company=COMPANY,
        number=number,
        supplier=SUPPLIER,
        ship_to=PLANT,
        currency="USD",
        order_date=DAY,
        lines=tuple(
            ci.POLineInput(
                line_no=str(n),
                part_number=f"PART-{n:05d}",
                quantity=Decimal("100"),
                uom="EA",
                unit_price=Decimal("10.00"),
                need_by=DAY + dt.timedelta(days=30 + rng.randint(0, 30)),
                supplier_part_number=f"S-{rng.randint(10000, 99999)}",
                description=f"Component {n} grade {rng.choice('ABC')}",
            )
            for n in range(1, lines + 1)
        ),
    )


def shipment(po_number: str, lines: int, tag: str) -> ci.ShipmentInput:
    """A full shipment of the PO's lines (100 EA each), four lines per pack, lots on every line."""
    return ci.ShipmentInput(
        shipment_id=f"ASN-{tag}",
        ship_date=DAY + dt.timedelta(days=20),
        expected_delivery=DAY + dt.timedelta(days=23),
        carrier="UPSN",
        tracking_number=f"1Z{tag}",
        company=COMPANY,
        lines=tuple(
            ci.ShipmentLineInput(
                po_number=po_number,
                line_no=str(n),
                quantity=Decimal("100"),
                uom="EA",
                part_number=f"PART-{n:05d}",
                pack_sscc=f"{zlib.crc32(f'{tag}:{(n - 1) // 4}'.encode()):018d}",
                lot=f"LOT{n:04d}",
            )
            for n in range(1, lines + 1)
        ),
    )


def invoice(po_number: str, lines: int, tag: str) -> ci.InvoiceInput:
    return ci.InvoiceInput(
        invoice_number=f"INV-{tag}",
        po_number=po_number,
        invoice_date=DAY + dt.timedelta(days=21),
        currency="USD",
        company=COMPANY,
        lines=tuple(
            ci.InvoiceLineInput(
                line_no=str(n), quantity=Decimal("100"), unit_price=Decimal("10.00"), part_number=f"PART-{n:05d}"
            )
            for n in range(1, lines + 1)
        ),
    )


def interchange(kind: str, bodies: list, isa: int, *, sender: str = SUPPLIER, receiver: str = "GATEWAY") -> bytes:
    """One interchange, one group of ``kind`` (850, 856, 810) holding a set per canonical input."""
    build, fid = {"850": (build_850, "PO"), "856": (build_856, "SH"), "810": (build_810, "IN")}[kind]
    sets = []
    for n, value in enumerate(bodies, 1):
        body = build(value, "004010", WHEN) if kind == "856" else build(value, "004010")
        sets.append(x12.SetBody(kind, f"{n:04d}", body))
    env = envelope(isa, isa, sender=sender, receiver=receiver)
    return x12.write_interchange(env, [GroupBody(fid, sets)])


def mix(sets_per_file: int = 50, lines: int = 12, files: int = 2) -> list[tuple[str, bytes]]:
    """``files`` interchanges each of 850s, 856s and 810s (``sets_per_file`` sets of ``lines`` lines)."""
    out = []
    isa = 1
    for f in range(files):
        numbers = [f"PO-{f:02d}{n:04d}" for n in range(sets_per_file)]
        pos = [po(number, lines) for number in numbers]
        out.append((f"850_{f}", interchange("850", pos, isa, sender="GATEWAY", receiver=SUPPLIER)))
        ships = [shipment(number, lines, f"{f}-{n}") for n, number in enumerate(numbers)]
        out.append((f"856_{f}", interchange("856", ships, isa + 1)))
        invs = [invoice(number, lines, f"{f}-{n}") for n, number in enumerate(numbers)]
        out.append((f"810_{f}", interchange("810", invs, isa + 2)))
        isa += 3
    return out


def corpus_files() -> list[tuple[str, bytes]]:
    """The real-sample corpus shipped with the tests (``edi/tests/x12/corpus/``)."""
    return [(p.name, p.read_bytes()) for p in sorted(corpus_dir().glob("*.edi"))]


def big_850_file(
    path: Path,
    target_bytes: int,
    lines_per_po: int = 40,
    *,
    sender: str = "GATEWAY",
    receiver: str = SUPPLIER,
    isa: int = 1,
) -> int:
    """Write one interchange of 850s of about ``target_bytes`` to ``path``, set by set; return its size."""
    env = envelope(isa, isa, sender=sender, receiver=receiver)
    head = x12.write_interchange(env, [GroupBody("PO", [])]).decode()
    isa_gs, _, _ = head.partition("GE*")  # ISA and GS with their terminators
    writer = x12.generators.writer.SegmentWriter(env.delimiters)
    template = build_850(po("PO-TEMPLATE", lines_per_po), "004010")
    rendered = "".join(writer.segment(seg) for seg in template)
    written = 0
    n = 0
    with path.open("w", encoding="ascii", newline="") as fh:
        fh.write(isa_gs)
        written += len(isa_gs)
        while written < target_bytes:
            n += 1
            st02 = f"{n:09d}"
            body = rendered.replace("PO-TEMPLATE", f"PO-{n:08d}")
            text = f"ST*850*{st02}~\n{body}SE*{len(template) + 2}*{st02}~\n"
            fh.write(text)
            written += len(text)
        tail = f"GE*{n}*{isa}~\nIEA*1*{isa:09d}~\n"
        fh.write(tail)
        written += len(tail)
    return written
