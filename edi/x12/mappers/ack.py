"""855 Purchase Order Acknowledgment and 865 Change Acknowledgment → ``AcknowledgementInput``.

* header: BAK02 / BCA02 through the ``bak02`` code map (raw code kept); ACCEPTED and
  ACCEPTED_WITH_CHANGES are then decided from the line responses;
* ``document_id``: BAK08 / BCA09 when present, else ``ISA13:GS06:ST02`` of the set;
* ``po_number`` BAK03 / BCA03, ``acknowledged_on`` BAK09, ``po_revision`` REF*PP
  (BCA05 change sequence for an 865), ``company`` N1*BY N104, ``note`` heading MSG lines,
  ``currency`` the heading CUR02 (none: the PO's);
* one line per line item's ACK segments: ACK01 through ``ack01`` (raw kept), ACK02 quantity in
  the ACK03 unit,
  ACK05 date when ACK04 qualifies it (else DTM02 of a DTM right after the ACK), the
  PO1 (POC) line's number, PO104 (POC06) price and the part it names (product ID
  qualified BP, the buyer's, and VP, the vendor's, checked against the PO line's),
  and the first ACK07…ACK26 product ID as the substitute part number;
* the line item's SCH segments are its schedule (SCH01 quantity, SCH06 date whatever
  SCH05 qualifies it), on its first ACK; a line item with SCH and no ACK is accepted
  on that schedule (raw code empty);
* several ACKs of one line item split the line into parts, read as one answer (``_split_answer``):
  the committed parts' quantities summed at their earliest date, a schedule line per part
  (unless SCH segments give the schedule), the backordered parts (IB) as the line's stated
  backorder, the rejected parts left out; codes joined as the raw code (``IA+IB``), or, when
  the joined form would not fit the record's 8 characters, the first code with every code in the note;
* an ACK inside a subline (SLN loop) answers that subline, not the line: it is listed as
  not used.

Segments the input does not carry are listed in ``Mapped.unused`` with the reason in ``UNUSED``.
"""

from __future__ import annotations

import dataclasses
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

# Why the segments an 855 or 865 may carry, beyond those mapped, are left out.
UNUSED = {
    **PARTIES_AND_REFERENCES_UNUSED,
    **OPTIONAL_LOOPS_UNUSED,
    "CSH": "sales requirement the gateway does not keep",
    "CUR": "currency of a line: the answer's currency is the heading CUR",
    "DTM": "date the gateway does not keep (a line's promised date is its ACK05, else a DTM right after its ACK)",
    "ITD": "payment terms the gateway does not keep",
    "FOB": "shipping terms the gateway does not keep",
    "TD1": "packaging and weight the gateway does not keep",
    "TD5": "carrier details the gateway does not keep",
    "TD3": "equipment the gateway does not keep",
    "TD4": "special handling the gateway does not keep",
    "PID": "item description the gateway does not keep",
    "PO4": "packaging the gateway does not keep",
    "CTP": "pricing detail the gateway does not keep (the price is the line's)",
    "SAC": "allowance or charge the gateway does not keep",
    "TXI": "tax the gateway does not keep",
    "MSG": "free-form message text of a line",
    "NTE": "free-form note text",
    "SCH": "schedule line without a readable quantity or date (reported as a problem)",
    "AMT": "amount the gateway does not keep",
    "MAN": "marks and numbers the gateway does not keep",
    "CTB": "restriction or condition the gateway does not keep",
    "PCT": "percent amount the gateway does not keep",
    "G53": "maintenance type the gateway does not keep",
    "PKG": "packaging description the gateway does not keep",
    "CTT": "line count the gateway does not check",
    "SLN": "subline the gateway does not keep",
    "LDT": "lead time the gateway does not keep",
    "PO1": "line without an ACK: the header's answer stands for it",
    "POC": "line without an ACK: the header's answer stands for it",
}

SUBLINE_ACK = "answer to a subline (SLN) the gateway does not keep: the line's own ACK answers it"


def map_855(ts: TransactionSet, code_maps: CodeMaps | None = None) -> Mapped[ci.AcknowledgementInput]:
    """Map an 855 set; ``code_maps`` overrides the default BAK02/ACK01 translations."""
    return _map(Reader(ts, "855", code_maps), "BAK", "PO1", price_at=4, document_at=8, ids_at=6)


def map_865(ts: TransactionSet, code_maps: CodeMaps | None = None) -> Mapped[ci.AcknowledgementInput]:
    """Map an 865 set (the supplier's answer to an 860) the same way as an 855."""
    return _map(Reader(ts, "865", code_maps), "BCA", "POC", price_at=6, document_at=9, ids_at=8)


def _map(
    r: Reader, begin: str, item: str, price_at: int, document_at: int, ids_at: int
) -> Mapped[ci.AcknowledgementInput]:
    ts = r.ts
    # AMT also closes each line item (its AMT loop): only CTT starts the summary.
    heading, items, _ = split(ts.segments, item, ("CTT",))
    head = first(heading, begin)
    if head is None:
        r.problem(f"{begin} segment missing")
        return r.result(ci.AcknowledgementInput(document_id="", po_number="", header=ci.ACK_ACKNOWLEDGED), UNUSED)
    r.use(head)
    if begin == "BAK":
        r.purpose(head, 1, f"the acknowledgement of {head[3].strip()}")
    lines = [line for group in items for line in _lines(r, group, price_at, ids_at)]
    raw_header = head[2].strip()
    header = r.code("bak02", raw_header, head, 2, ci.ACK_ACKNOWLEDGED)
    if header in (ci.ACK_ACCEPTED, ci.ACK_ACCEPTED_WITH_CHANGES) and lines:
        changed = any(line.response != ci.LINE_ACCEPT for line in lines)
        header = ci.ACK_ACCEPTED_WITH_CHANGES if changed else ci.ACK_ACCEPTED
    po_number = head[3].strip()
    if not po_number:
        r.problem(f"{begin}03 purchase order number missing", head, 3)
    document_id = head[document_at].strip() or f"{ts.group.interchange.isa13}:{ts.group.gs06}:{ts.st02}"
    revision = _revision(r, heading, head if begin == "BCA" else None)
    cur = first(heading, "CUR")
    r.use(cur)
    value = ci.AcknowledgementInput(
        document_id=document_id,
        po_number=po_number,
        header=header,
        lines=tuple(lines),
        raw_code=raw_header,
        po_revision=revision,
        company=r.party(heading, "BY"),
        acknowledged_on=r.date(head, 9) if begin == "BAK" else None,
        note=r.notes(heading),
        currency=cur[2].strip() if cur is not None else "",
    )
    return r.result(value, UNUSED)


# The product ID qualifiers of a line item (PO106/PO107 … or POC08/POC09 …) that name the line's part.
BUYER_PART, VENDOR_PART = "BP", "VP"


def _lines(r: Reader, group: list[Segment], price_at: int, ids_at: int) -> list[ci.AckLineInput]:
    item = group[0]
    line_no = item[1].strip()
    if not line_no:
        r.problem(f"{item.id}01 line number missing", item, 1)
    price = r.decimal(item, price_at)
    ids = {item[i].strip(): item[i + 1].strip() for i in range(ids_at, ids_at + 20, 2) if item[i] and item[i + 1]}
    part, supplier_part = ids.get(BUYER_PART, ""), ids.get(VENDOR_PART, "")
    out = []
    in_subline = False
    for index, ack in enumerate(group):
        in_subline = in_subline or ack.id == "SLN"
        if ack.id != "ACK":
            continue
        if in_subline:
            r.leave(ack, SUBLINE_ACK)
            continue
        r.use(ack)
        raw = ack[1].strip()
        dtm = group[index + 1] if index + 1 < len(group) and group[index + 1].id == "DTM" else None
        if dtm is not None and not ack[4]:
            r.use(dtm)  # it dates the ACK
        out.append(
            ci.AckLineInput(
                line_no=line_no,
                response=r.code("ack01", raw, ack, 1, ci.LINE_HOLD),
                raw_code=raw,
                quantity=r.decimal(ack, 2),
                unit_price=price,
                promised_date=r.date(ack, 5) if ack[4] else r.date(dtm, 2) if dtm is not None else None,
                substitute_part_number=next((ack[i + 1] for i in range(7, 26, 2) if ack[i + 1]), ""),
                part_number=part,
                supplier_part_number=supplier_part,
                uom=ack[3].strip(),
            )
        )
    schedule = _schedule(r, group)
    if out or schedule:  # the line's number and price are carried by its answers
        r.use(item)
    if not out:
        if not schedule:
            return []
        return [
            ci.AckLineInput(
                line_no=line_no,
                response=ci.LINE_ACCEPT,
                unit_price=price,
                schedule=schedule,
                part_number=part,
                supplier_part_number=supplier_part,
            )
        ]
    if len(out) == 1:
        return [dataclasses.replace(out[0], schedule=schedule)] if schedule else out
    return _split_answer(r, item, out, schedule)


# How the ACKs of one line item combine when their codes differ (``_split_answer``): parts the
# supplier commits to ship (a BP's quantity is what it ships now), parts it backorders, parts it
# rejects. A hold or a substitute covers the whole line in the record, so with another code it is reported.
_COMMITTED = (ci.LINE_ACCEPT, ci.LINE_CHANGE_QTY, ci.LINE_CHANGE_PRICE, ci.LINE_RESCHEDULE, ci.LINE_PARTIAL_BACKORDER)
_BACKORDERED = (ci.LINE_BACKORDER,)
_REJECTED = (ci.LINE_REJECT,)
_RAW_CODE_MAX = 8  # the record's raw code column


def _split_answer(
    r: Reader, item: Segment, answers: list[ci.AckLineInput], schedule: tuple[ci.ScheduleLineInput, ...]
) -> list[ci.AckLineInput]:
    """Several ACKs of one line item: the line split into parts, read as the one answer the record holds.

    * Parts committed (IA, IQ, DR, IP, BP …): the line commits to their quantities' sum, at the
      earliest of their dates; its schedule is its SCH segments, else one delivery per part when
      there are several and one of them is dated (an undated part is due on the need-by date).
    * Parts backordered (IB): their sum is the line's stated backorder, dated by the earliest of
      their dates; the answer is a partial backorder (or a backorder, with nothing committed).
    * Parts rejected (IR …): they are not committed; beside committed parts the answer changes the quantity.

    ACKs whose codes put part of the line on hold, offer a substitute beside another code, or
    leave a part without a quantity cannot be recorded as one answer: that is reported, not guessed.
    """
    first_answer = answers[0]
    line_no = first_answer.line_no
    codes = list(dict.fromkeys(a.raw_code for a in answers))
    responses = {a.response for a in answers}
    substitutes = list(dict.fromkeys(a.substitute_part_number for a in answers if a.substitute_part_number))
    if len(substitutes) > 1:
        r.problem(f"line {line_no}: its ACKs offer different substitute parts ({', '.join(substitutes)})", item, 1)
    units = list(dict.fromkeys(a.uom for a in answers if a.uom))
    if len(units) > 1:
        r.problem(f"line {line_no}: its ACKs give quantities in different units ({', '.join(units)})", item, 1)
        return [first_answer]
    if len(responses) > 1:
        unsplittable = sorted(responses - {*_COMMITTED, *_BACKORDERED, *_REJECTED})
        missing = [a.raw_code for a in answers if a.quantity is None]
        if unsplittable or missing or len("+".join(codes)) > _RAW_CODE_MAX:
            reason = (
                f"{', '.join(unsplittable).lower().replace('_', ' ')} covers a whole line"
                if unsplittable
                else f"an ACK ({', '.join(missing)}) gives no quantity"
                if missing
                else "too many different codes"
            )
            r.problem(
                f"line {line_no}: its ACKs answer with codes ({', '.join(codes)}) that cannot split one line: {reason}",
                item,
                1,
            )
            return [first_answer]
    committed = [a for a in answers if a.response in _COMMITTED]
    backordered = [a for a in answers if a.response in _BACKORDERED]
    rejected = [a for a in answers if a.response in _REJECTED]
    if len(responses) == 1 or not committed:
        response = (
            first_answer.response if len(responses) == 1 else ci.LINE_BACKORDER if backordered else ci.LINE_REJECT
        )
        parts = answers if len(responses) == 1 or not backordered else []
    elif backordered:
        response, parts = ci.LINE_PARTIAL_BACKORDER, committed
    elif rejected:
        response, parts = ci.LINE_CHANGE_QTY, committed
    else:  # committed parts only: the part that changes the most names the answer
        response = next((a.response for a in committed if a.response != ci.LINE_ACCEPT), ci.LINE_ACCEPT)
        parts = committed
    quantities = [a.quantity for a in parts if a.quantity is not None]
    dates = [a.promised_date for a in parts if a.promised_date is not None]
    whole = len(quantities) == len(parts)
    # Parts of one code are deliveries only when each is dated; beside another code, an undated part
    # is due on the need-by date (the record dates it), so the dated part's date stays its own.
    if not schedule and whole and len(parts) > 1 and dates and (len(dates) == len(parts) or len(responses) > 1):
        schedule = tuple(
            ci.ScheduleLineInput(quantity=q, date=a.promised_date) for q, a in zip(quantities, parts, strict=True)
        )
    raw_code, note = "+".join(codes), first_answer.note
    if len(raw_code) > _RAW_CODE_MAX:
        # One answer written with more codes than the record's column holds (AC, AR, IA, IE all
        # accept): the first code is kept as the raw code and every code is said in the line's note.
        raw_code = codes[0]
        note = "; ".join(filter(None, (note, f"answered with ACK codes {', '.join(codes)}")))
    answer = dataclasses.replace(
        first_answer,
        response=response,
        raw_code=raw_code,
        note=note,
        quantity=sum(quantities, Decimal(0)) if whole and parts else None,
        promised_date=min(dates) if dates else None,
        substitute_part_number=substitutes[0] if substitutes else "",
        schedule=schedule,
    )
    if backordered and len(responses) > 1:
        late = [a.promised_date for a in backordered if a.promised_date is not None]
        answer = dataclasses.replace(
            answer,
            backordered_quantity=sum((a.quantity or Decimal(0) for a in backordered), Decimal(0)),
            backorder_date=min(late) if late else None,
        )
    return [answer]


def _schedule(r: Reader, group: list[Segment]) -> tuple[ci.ScheduleLineInput, ...]:
    """SCH segments of a line item: SCH01 quantity, SCH06 date (SCH05 says which date; all are promises)."""
    out = []
    for sch in (s for s in group if s.id == "SCH"):
        quantity, date = r.decimal(sch, 1, required=True), r.date(sch, 6, required=True)
        if quantity is not None and date is not None:
            r.use(sch)
            out.append(ci.ScheduleLineInput(quantity=quantity, date=date))
    return tuple(out)


def _revision(r: Reader, heading: list[Segment], bca: Segment | None) -> int | None:
    source, position = (bca, 5) if bca is not None and bca[5] else (first(heading, "REF", "PP"), 2)
    if source is None:
        return None
    r.use(source)
    raw = source[position].strip()
    revision = count_value(raw)
    if revision is not None:
        return revision
    r.problem(f"revision {raw!r} is not a number", source, position)
    return None
