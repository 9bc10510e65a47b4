"""850 Purchase Order → ``PurchaseOrderInput``.

* ``number`` BEG03, ``order_date`` BEG05, ``revision`` REF*PP (0 when absent),
  ``currency`` CUR02 (else the caller's default), ``buyer`` PER*BD name;
* parties: ``company`` N1*BY, ``supplier`` N1*SU (else VN/SE), ``ship_to`` N1*ST, each
  N104 (else N102);
* lines from the PO1 loop: PO101 line number, PO102 quantity, PO103 unit, PO104 price,
  buyer and supplier parts from the PO1 pairs, PID05 description, and the need-by
  date from the line's DTM (002 first), else its SCH, else the heading DTM;
* ``notes``: heading MSG lines (MSG02 ``LC`` continues a line).

Segments the input does not carry are listed in ``Mapped.unused`` with the reason in ``UNUSED``.
"""

from __future__ import annotations

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
from edi.x12.tokenizer import Segment, count_value
from procurement import inputs as ci

NEED_BY_QUALIFIERS = ("002", "106", "074", "010", "067", "068", "038", "037")

# Why the segments an 850 may carry, beyond those mapped, are left out.
UNUSED = {
    **PARTIES_AND_REFERENCES_UNUSED,
    **OPTIONAL_LOOPS_UNUSED,
    "TC2": "commodity code the gateway does not keep",
    "IT8": "conditions of sale the gateway does not keep",
    "ITD": "payment terms the gateway does not keep",
    "DTM": "date the gateway does not keep (the need-by date is the line's, else the first heading one)",
    "SCH": "schedule line the gateway does not keep (the need-by date is the first one's)",
    "FOB": "shipping terms the gateway does not keep",
    "TD1": "carrier details the gateway does not keep",
    "TD5": "carrier details the gateway does not keep",
    "TD4": "carrier details the gateway does not keep",
    "PID": "item description the gateway does not keep",
    "PO4": "packaging the gateway does not keep",
    "MEA": "measurement the gateway does not keep",
    "SAC": "allowance or charge the gateway does not keep",
    "TXI": "tax the gateway does not keep",
    "CTP": "pricing detail the gateway does not keep (the price is PO104)",
    "CUR": "currency of a line: the order's currency is the heading CUR (else the first line's)",
    "MSG": "free-form message text of a line",
    "NTE": "free-form note text",
    "AMT": "amount the gateway computes itself from the lines",
    "CTT": "line count the gateway does not check",
    "CSH": "sales requirement the gateway does not keep",
    "TAX": "tax exemption the gateway does not keep",
    "PKG": "packaging the gateway does not keep",
    "SLN": "subline the gateway does not keep",
    "QTY": "quantity detail the gateway does not keep (the ordered quantity is PO102)",
}


def map_850(
    ts: TransactionSet, code_maps: CodeMaps | None = None, default_currency: str = ""
) -> Mapped[ci.PurchaseOrderInput]:
    """Map an 850 set; ``default_currency`` applies when there is no CUR segment."""
    r = Reader(ts, "850", code_maps)
    # AMT also closes each line item (its AMT loop): only CTT starts the summary.
    heading, items, _ = split(ts.segments, "PO1", ("CTT",))
    beg = first(heading, "BEG")
    number, order_date = "", None
    if beg is None:
        r.problem("BEG segment missing")
    else:
        number = beg[3].strip()
        if not number:
            r.problem("BEG03 purchase order number missing", beg, 3)
        order_date = r.date(beg, 5, required=True)
        r.use(beg)
    header_dtm = _need_by_dtm(heading)
    header_need_by = r.date(header_dtm, 2) if header_dtm is not None else None
    lines = [_line(r, group, index, header_dtm, header_need_by, order_date) for index, group in enumerate(items, 1)]
    revision = 0
    ref_pp = first(heading, "REF", "PP")
    r.use(ref_pp)
    if ref_pp is not None:
        declared = count_value(ref_pp[2].strip())
        if declared is not None:
            revision = declared
        else:
            r.problem(f"REF*PP revision {ref_pp[2]!r} is not a number", ref_pp, 2)
    # Some partners send CUR per line only; the first one then stands for the order.
    cur = first(heading, "CUR") or first((s for g in items for s in g), "CUR")
    per = first(heading, "PER", "BD")
    r.use(cur, per)
    supplier = r.party(heading, "SU") or r.party(heading, "VN") or r.party(heading, "SE")
    value = ci.PurchaseOrderInput(
        company=r.party(heading, "BY"),
        number=number,
        supplier=supplier,
        ship_to=r.party(heading, "ST"),
        currency=cur[2].strip() if cur is not None else default_currency,
        order_date=order_date or dt.date.min,
        lines=tuple(lines),
        revision=revision,
        buyer=per[2].strip() if per is not None else "",
        notes=r.notes(heading),
    )
    return r.result(value, UNUSED)


def _need_by_dtm(segments: list[Segment]) -> Segment | None:
    """The DTM giving the need-by date: the first with a date, by ``NEED_BY_QUALIFIERS`` rank."""
    for qualifier in NEED_BY_QUALIFIERS:
        dtm = first(segments, "DTM", qualifier)
        if dtm is not None and dtm[2]:
            return dtm
    return None


def _line(
    r: Reader,
    group: list[Segment],
    index: int,
    heading_dtm: Segment | None,
    heading_date: dt.date | None,
    order_date: dt.date | None,
) -> ci.POLineInput:
    po1 = group[0]
    line_no = po1[1].strip()
    if not line_no:
        r.warn(f"PO101 missing: line {index} numbered by position", po1, 1)
        line_no = str(index)
    quantity = r.decimal(po1, 2, required=True)
    price = r.decimal(po1, 4)
    if price is None and not po1[4]:
        r.warn("PO104 unit price missing: 0 used", po1, 4)
    part, supplier_part = r.part_numbers(po1, 6)
    dtm = _need_by_dtm(group)
    need_by = r.date(dtm, 2) if dtm is not None else None
    r.use(po1, dtm)
    if need_by is None:
        sch = first(group, "SCH")
        need_by = r.date(sch, 6) if sch is not None else None
        r.use(sch if need_by is not None else None)
    if need_by is None:
        need_by = heading_date
        r.use(heading_dtm if need_by is not None else None)
    if need_by is None:
        need_by = order_date
        r.warn(f"line {line_no}: no need-by date; order date used", po1)
    pid = next((s for s in group if s.id == "PID" and s[5]), None)
    r.use(pid)
    return ci.POLineInput(
        line_no=line_no,
        part_number=part,
        quantity=quantity if quantity is not None else Decimal(0),
        uom=po1[3].strip(),
        unit_price=price if price is not None else Decimal(0),
        need_by=need_by or dt.date.min,
        supplier_part_number=supplier_part,
        description=pid[5].strip() if pid is not None else "",
    )
