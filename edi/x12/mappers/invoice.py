"""810 Invoice → ``InvoiceInput``.

* ``invoice_date`` BIG01, ``invoice_number`` BIG02, ``po_number`` BIG04 (else REF*PO);
* ``purpose`` credit memo when BIG07 is in the ``big07_credit`` code map (CR, CN) or
  the TDS total is negative;
* ``currency`` CUR02, else the caller's default, else empty: an 810 without CUR is in the
  PO's currency, which the write path supplies (the mapper never invents one); ``total`` TDS01 (implied cents),
  ``company`` N1*BY N104;
* lines from IT1: IT101 line number (else none: the write path finds the PO line whose part is
  the line's buyer part, and a line with neither is a problem),
  IT102 quantity, IT103 unit (the write path converts it to the PO line's), IT104 unit price,
  buyer part from the IT1 pairs qualified as the buyer's (BP, IN …: the write path checks it
  against the PO line's); the line's allowances and
  charges from the SAC in its loop (SAC01 indicator, SAC02 code, SAC05 amount in cents, SAC07
  percent, SAC15 description) and its taxes from the TXI (TXI01 type, TXI02 amount, TXI03 percent).

The summary's SAC and TXI (after TDS) are the invoice's own ``charges`` and ``taxes``: freight
billed once, a tax computed on the whole invoice. Partners also use them to *repeat* the sum of
the line ones (a summary ``SAC*C*G830`` of 6.00 after two lines each charging 3.00 freight, as in
a public 810 of the corpus), and such a file's TDS counts the freight once. TDS01 is the
authority: a summary SAC whose indicator and code, and amount, equal the sum of the line SACs
with that indicator and code (a summary TXI: the sum of the line taxes of its type, or of all
of them) is a repetition, left out with a warning and listed unused with that reason, *unless*
only counting it makes the invoice add up to TDS01, in which case it is a charge of its own.
Whatever is counted, the write path checks the total against TDS01 and holds the invoice with an
exception when they differ: a discrepancy is never absorbed here.

Segments the input does not carry are listed in ``Mapped.unused`` with the reason in ``UNUSED``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from edi.x12.envelope import TransactionSet
from edi.x12.mappers.common import (
    OPTIONAL_LOOPS_UNUSED,
    PARTIES_AND_REFERENCES_UNUSED,
    CodeMaps,
    Mapped,
    Reader,
    first,
    split,
)
from edi.x12.tokenizer import Segment
from procurement import inputs as ci

# Why the segments an 810 may carry, beyond those mapped, are left out.
UNUSED = {
    **PARTIES_AND_REFERENCES_UNUSED,
    **OPTIONAL_LOOPS_UNUSED,
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
        r.purpose(big, 8, f"invoice {number}")
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
        quantity = r.decimal(it1, 2, required=True)
        price = r.decimal(it1, 4, required=True)
        part, _ = r.part_numbers(it1, 6, buyer_only=True)
        if not line_no and not part:
            # Numbered by its position it could bill another line than the one meant.
            r.problem(f"IT1 {index} names its PO line by neither IT101 nor {r.unnumbered(it1, 6)}", it1, 1)
        r.use(it1, *(seg for seg in group if seg.id in ("SAC", "TXI")))
        lines.append(
            ci.InvoiceLineInput(
                line_no=line_no,
                quantity=quantity if quantity is not None else Decimal(0),
                unit_price=price if price is not None else Decimal(0),
                part_number=part,
                uom=it1[3].strip(),
                charges=tuple(_charge(r, seg) for seg in group if seg.id == "SAC"),
                taxes=tuple(_tax(r, seg) for seg in group if seg.id == "TXI"),
            )
        )
    tds = first(summary, "TDS")
    r.use(tds)
    total = r.implied(tds, 1) if tds is not None else None
    if tds is None:
        r.problem("TDS total missing")
    charges = [(seg, _charge(r, seg)) for seg in summary if seg.id == "SAC"]
    taxes = [(seg, _tax(r, seg)) for seg in summary if seg.id == "TXI"]
    r.use(*(seg for seg, _ in charges), *(seg for seg, _ in taxes))
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
    return r.result(_without_repeats(r, value, charges, taxes), UNUSED)


def _without_repeats(
    r: Reader,
    invoice: ci.InvoiceInput,
    charges: list[tuple[Segment, ci.InvoiceChargeInput]],
    taxes: list[tuple[Segment, ci.InvoiceTaxInput]],
) -> ci.InvoiceInput:
    """``invoice`` with the summary's charges and taxes, less those that repeat the lines' sums
    (module docstring): each one left out is listed unused and warned about."""
    line_charges: dict[tuple[str, str], Decimal] = {}
    line_taxes: dict[str, Decimal] = {}
    for line in invoice.lines:
        base = line.quantity * line.unit_price
        for charge in line.charges:
            key = (charge.indicator, charge.code)
            line_charges[key] = line_charges.get(key, Decimal(0)) + ci.charge_amount(charge, base)
        for tax in line.taxes:
            line_taxes[tax.tax_type] = line_taxes.get(tax.tax_type, Decimal(0)) + ci.charge_amount(tax, base)
    base = sum((line.quantity * line.unit_price for line in invoice.lines), Decimal(0))
    repeats: dict[int, str] = {}
    for seg, charge in charges:
        key = (charge.indicator, charge.code)
        if key in line_charges and ci.charge_amount(charge, base) == line_charges[key]:
            repeats[id(seg)] = f"SAC {charge.indicator} {charge.code}"
    for seg, tax in taxes:
        amount = ci.charge_amount(tax, base)
        if line_taxes and amount in (line_taxes.get(tax.tax_type), sum(line_taxes.values(), Decimal(0))):
            repeats[id(seg)] = f"TXI {tax.tax_type}"
    whole = dataclasses.replace(invoice, charges=tuple(c for _, c in charges), taxes=tuple(t for _, t in taxes))
    if not repeats or (invoice.total is not None and whole.sums().total == invoice.total):
        return whole
    for seg, _ in [*charges, *taxes]:
        if id(seg) in repeats:
            what = repeats[id(seg)]
            r.leave(seg, f"summary {what} repeats the sum of the lines' {what}, which the total counts once")
            r.warn(f"summary {what} repeats the sum of the lines' {what} and is not counted again", seg)
    return dataclasses.replace(
        invoice,
        charges=tuple(c for seg, c in charges if id(seg) not in repeats),
        taxes=tuple(t for seg, t in taxes if id(seg) not in repeats),
    )


def _charge(r: Reader, sac: Segment) -> ci.InvoiceChargeInput:
    """SAC inside an IT1 loop (an allowance or charge on that line) or in the summary (on the invoice)."""
    return ci.InvoiceChargeInput(
        indicator=sac[1].strip(),
        code=sac[2].strip(),
        amount=r.implied(sac, 5),
        percent=r.decimal(sac, 7),
        description=sac[15].strip(),
    )


def _tax(r: Reader, txi: Segment) -> ci.InvoiceTaxInput:
    """TXI inside an IT1 loop (a tax on that line) or in the summary (on the invoice)."""
    return ci.InvoiceTaxInput(tax_type=txi[1].strip(), amount=r.decimal(txi, 2), percent=r.decimal(txi, 3))
