"""850 Purchase Order → ``PurchaseOrderInput``.

* ``number`` BEG03, ``order_date`` BEG05, ``revision`` REF*PP (0 when absent),
  ``currency`` CUR02 (else the caller's default), ``buyer`` PER*BD name;
* parties: ``company`` N1*BY, ``supplier`` N1*SU (else VN/SE), ``ship_to`` N1*ST, each
  N104 (else N102);
* lines from the PO1 loop: PO101 line number, PO102 quantity, PO103 unit, PO104 price,
  buyer and supplier parts from the PO1 pairs, PID05 description, and the need-by
  date from the line's DTM (002 first), else its SCH, else the heading DTM;
* ``notes``: heading MSG lines (MSG02 ``LC`` continues a line).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from edi.x12.envelope import TransactionSet
from edi.x12.mappers.common import CodeMaps, Mapped, Reader, first, notes, party, split
from edi.x12.tokenizer import Segment, count_value
from procurement import inputs as ci

NEED_BY_QUALIFIERS = ("002", "106", "074", "010", "067", "068", "038", "037")


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
    header_need_by = _need_by(r, heading)
    lines = [_line(r, group, index, header_need_by, order_date) for index, group in enumerate(items, 1)]
    revision = 0
    ref_pp = first(heading, "REF", "PP")
    if ref_pp is not None:
        declared = count_value(ref_pp[2].strip())
        if declared is not None:
            revision = declared
        else:
            r.problem(f"REF*PP revision {ref_pp[2]!r} is not a number", ref_pp, 2)
    # Some partners send CUR per line only; the first one then stands for the order.
    cur = first(heading, "CUR") or first((s for g in items for s in g), "CUR")
    per = first(heading, "PER", "BD")
    supplier = party(heading, "SU") or party(heading, "VN") or party(heading, "SE")
    value = ci.PurchaseOrderInput(
        company=party(heading, "BY"),
        number=number,
        supplier=supplier,
        ship_to=party(heading, "ST"),
        currency=cur[2].strip() if cur is not None else default_currency,
        order_date=order_date or dt.date.min,
        lines=tuple(lines),
        revision=revision,
        buyer=per[2].strip() if per is not None else "",
        notes=notes(heading),
    )
    return Mapped(value, r.errors)


def _need_by(r: Reader, segments: list[Segment]) -> dt.date | None:
    for qualifier in NEED_BY_QUALIFIERS:
        dtm = first(segments, "DTM", qualifier)
        if dtm is not None and dtm[2]:
            return r.date(dtm, 2)
    return None


def _line(
    r: Reader, group: list[Segment], index: int, heading_date: dt.date | None, order_date: dt.date | None
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
    need_by = _need_by(r, group)
    if need_by is None:
        sch = first(group, "SCH")
        need_by = r.date(sch, 6) if sch is not None else None
    if need_by is None:
        need_by = heading_date
    if need_by is None:
        need_by = order_date
        r.warn(f"line {line_no}: no need-by date; order date used", po1)
    pid = next((s for s in group if s.id == "PID" and s[5]), None)
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
