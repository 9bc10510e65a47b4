"""810 Invoice → ``InvoiceInput``.

* ``invoice_date`` BIG01, ``invoice_number`` BIG02, ``po_number`` BIG04 (else REF*PO);
* ``purpose`` credit memo when BIG07 is in the ``big07_credit`` code map (CR, CN) or
  the TDS total is negative;
* ``currency`` CUR02, else the caller's default, else empty: an 810 without CUR is in the
  PO's currency, which the write path supplies (the mapper never invents one); ``total`` TDS01 (implied cents),
  ``company`` N1*BY N104;
* lines from IT1: IT101 line number (else the line's position, with a warning),
  IT102 quantity, IT104 unit price, buyer part from the IT1 pairs; the line's allowances and
  charges from the SAC in its loop (SAC01 indicator, SAC02 code, SAC05 amount in cents, SAC07
  percent, SAC15 description) and its taxes from the TXI (TXI01 type, TXI02 amount, TXI03 percent).

Segments the input does not carry are listed in ``Mapped.unused`` with the reason in ``UNUSED``.
Summary SAC/TXI are among them: partners use them both for charges on the invoice as a whole
and to repeat the sum of the line charges (the TDS of such a file counts them once), so the
gateway keeps only the line ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from edi.x12.envelope import TransactionSet
from edi.x12.mappers.common import PARTIES_AND_REFERENCES_UNUSED, CodeMaps, Mapped, Reader, first, split
from edi.x12.tokenizer import Segment
from procurement import inputs as ci

# Why the segments an 810 may carry, beyond those mapped, are left out.
UNUSED = {
    **PARTIES_AND_REFERENCES_UNUSED,
    "ITD": "payment terms the gateway does not keep",
    "DTM": "date the gateway does not keep",
    "FOB": "shipping terms the gateway does not keep",
    "PID": "item description the gateway does not keep",
    "MSG": "free-form message text",
    "NTE": "free-form note text",
    "CAD": "carrier details the gateway does not keep",
    "AMT": "amount the gateway computes itself from the lines",
    "ISS": "shipped quantities the gateway takes from ship notices",
    "CTT": "line count the gateway does not check",
    "SAC": "summary allowance or charge: the gateway checks TDS against the lines and their own charges",
    "TXI": "summary tax: the gateway checks TDS against the lines and their own taxes",
    "CUR": "currency of a line: the invoice's currency is the heading CUR",
}


def map_810(
    ts: TransactionSet, code_maps: CodeMaps | None = None, default_currency: str = ""
) -> Mapped[ci.InvoiceInput]:
    """Map an 810 set; ``default_currency`` applies when there is no CUR segment."""
    r = Reader(ts, "810", code_maps)
    # SAC, TXI and CAD occur both inside the IT1 loop (for that line) and in the summary: only
    # TDS (mandatory) or a segment that is summary-only ends the last line.
    heading, items, summary = split(ts.segments, "IT1", ("TDS", "AMT", "ISS", "CTT"))
    big = first(heading, "BIG")
    if big is None:
        r.problem("BIG segment missing")
        big_date, number, po_number, type_code = None, "", "", ""
    else:
        big_date = r.date(big, 1, required=True)
        number = big[2].strip()
        if not number:
            r.problem("BIG02 invoice number missing", big, 2)
        po_number = big[4].strip()
        type_code = big[7].strip()
        r.use(big)
    if not po_number:
        ref = first(heading, "REF", "PO")
        po_number = ref[2].strip() if ref is not None else ""
        r.use(ref)
    if not po_number:
        r.problem("no purchase order number (BIG04 or REF*PO)", big)
    cur = first(heading, "CUR")
    r.use(cur)
    currency = cur[2].strip() if cur is not None else default_currency
    lines = []
    for index, group in enumerate(items, 1):
        it1 = group[0]
        line_no = it1[1].strip()
        if not line_no:
            r.warn(f"IT101 missing: line {index} numbered by position", it1, 1)
            line_no = str(index)
        quantity = r.decimal(it1, 2, required=True)
        price = r.decimal(it1, 4, required=True)
        part, _ = r.part_numbers(it1, 6)
        r.use(it1, *(seg for seg in group if seg.id in ("SAC", "TXI")))
        lines.append(
            ci.InvoiceLineInput(
                line_no=line_no,
                quantity=quantity if quantity is not None else Decimal(0),
                unit_price=price if price is not None else Decimal(0),
                part_number=part,
                charges=tuple(_charge(r, seg) for seg in group if seg.id == "SAC"),
                taxes=tuple(_tax(r, seg) for seg in group if seg.id == "TXI"),
            )
        )
    tds = first(summary, "TDS")
    r.use(tds)
    total = r.implied(tds, 1) if tds is not None else None
    if tds is None:
        r.problem("TDS total missing")
    credit = r.maps["big07_credit"].get(type_code) if type_code else None
    purpose = credit or ci.INVOICE_PURPOSE_INVOICE
    if total is not None and total < 0:
        purpose = ci.INVOICE_PURPOSE_CREDIT_MEMO
    value = ci.InvoiceInput(
        invoice_number=number,
        po_number=po_number,
        invoice_date=big_date or dt.date.min,
        currency=currency,
        lines=tuple(lines),
        purpose=purpose,
        total=total,
        company=r.party(heading, "BY"),
    )
    return r.result(value, UNUSED)


def _charge(r: Reader, sac: Segment) -> ci.InvoiceChargeInput:
    """SAC inside an IT1 loop: an allowance or charge on that line."""
    return ci.InvoiceChargeInput(
        indicator=sac[1].strip(),
        code=sac[2].strip(),
        amount=r.implied(sac, 5),
        percent=r.decimal(sac, 7),
        description=sac[15].strip(),
    )


def _tax(r: Reader, txi: Segment) -> ci.InvoiceTaxInput:
    """TXI inside an IT1 loop: a tax on that line."""
    return ci.InvoiceTaxInput(tax_type=txi[1].strip(), amount=r.decimal(txi, 2), percent=r.decimal(txi, 3))
