"""855, 856 and 810 writers, laid out the way ``map_855``/``map_856``/``map_810`` read them.

The gateway receives these documents; the writers exist for round-trip tests, demo
partners and supplier-side tooling. Units the canonical inputs do not carry (ACK03,
IT103, SN103 when empty) default to ``EA``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from edi.x12.errors import GenerationError
from edi.x12.generators.writer import Envelope, SegmentData, SetBody, cents, date, number, write_set
from procurement import inputs as ci

HEADER_CODES = {
    ci.ACK_ACKNOWLEDGED: "AK",
    ci.ACK_ACCEPTED: "AD",
    ci.ACK_ACCEPTED_WITH_CHANGES: "AC",
    ci.ACK_REJECTED: "RD",
}
LINE_CODES = {
    ci.LINE_ACCEPT: "IA",
    ci.LINE_CHANGE_PRICE: "IP",
    ci.LINE_CHANGE_QTY: "IQ",
    ci.LINE_RESCHEDULE: "DR",
    ci.LINE_SUBSTITUTE: "IS",
    ci.LINE_BACKORDER: "IB",
    ci.LINE_PARTIAL_BACKORDER: "BP",
    ci.LINE_HOLD: "IH",
    ci.LINE_REJECT: "IR",
}


def _company(company: str) -> list[SegmentData]:
    return [["N1", "BY", "", "92", company]] if company else []


def build_855(
    ack: ci.AcknowledgementInput,
    version: str = "004010",
    po_date: dt.date | None = None,
    uoms: Mapping[str, str] | None = None,
) -> list[SegmentData]:
    """BAK (raw code or the header's default), REF*PP, notes, N1*BY, PO1 + ACK per line with an SCH
    (068 current schedule ship) per schedule line; a line accepted on a schedule alone, without a
    raw code, is written as its PO1 and SCH segments (no ACK), the way ``map_855`` reads that shape."""
    when = po_date or ack.acknowledged_on
    if when is None:
        raise GenerationError("BAK04 needs a PO date or acknowledged_on")
    if not ack.po_number:
        raise GenerationError("PO number is required")
    bak: SegmentData = [
        "BAK",
        "00",
        ack.raw_code or HEADER_CODES[ack.header],
        ack.po_number,
        date(when, version),
        "",
        "",
        "",
        ack.document_id,
        date(ack.acknowledged_on, version) if ack.acknowledged_on else "",
    ]
    segs: list[SegmentData] = [bak]
    if ack.currency:
        segs.append(["CUR", "SE", ack.currency])
    if ack.po_revision is not None:
        segs.append(["REF", "PP", str(ack.po_revision)])
    note_lines = [line for line in ack.note.splitlines() if line]
    if note_lines:
        segs.append(["N9", "L1", "NOTES"])
        segs.extend(["MSG", line] for line in note_lines)
    segs.extend(_company(ack.company))
    po1_count = 0
    for line in ack.lines:
        # Each answer is a line item of its own: the ACKs of one line item are read as one
        # answer (a split into deliveries), and a schedule is its line item's.
        price = number(line.unit_price) if line.unit_price is not None else ""
        # The line's part, when the answer names it: PO106/PO107 onwards (BP the buyer's, VP the vendor's).
        ids = [*(["BP", line.part_number] if line.part_number else [])]
        ids += ["VP", line.supplier_part_number] if line.supplier_part_number else []
        segs.append(["PO1", line.line_no, "", "", price, *(["", *ids] if ids else [])])
        po1_count += 1
        uom = (uoms or {}).get(line.line_no) or line.uom or "EA"
        scheduled_only = ci.AckLineInput(
            line.line_no,
            ci.LINE_ACCEPT,
            unit_price=line.unit_price,
            schedule=line.schedule,
            part_number=line.part_number,
            supplier_part_number=line.supplier_part_number,
        )
        # A line answered in parts carries its codes joined (``IA+IB``): its first is the
        # committed part's ACK01; a stated backorder is an IB of its own, as map_855 reads it.
        code = line.raw_code.split("+")[0] if line.raw_code else LINE_CODES[line.response]
        backorder = line.backordered_quantity
        if backorder is not None and line.response == ci.LINE_BACKORDER:
            code = ""  # nothing committed: the IB below is the whole answer
        if code and (not line.schedule or line != scheduled_only):
            row: SegmentData = ["ACK", code]
            row += [number(line.quantity), uom] if line.quantity is not None else ["", ""]
            row += ["068", date(line.promised_date, version)] if line.promised_date else ["", ""]
            if line.substitute_part_number:
                row += ["", "BP", line.substitute_part_number]
            segs.append(row)
        if backorder is not None:
            expected = ["068", date(line.backorder_date, version)] if line.backorder_date else []
            segs.append(["ACK", "IB", number(backorder), uom, *expected])
        if any(s.date is None for s in line.schedule):
            raise GenerationError(f"line {line.line_no}: SCH06 needs a date for every delivery")
        segs.extend(
            ["SCH", number(s.quantity), uom, "", "", "068", date(s.date, version)]
            for s in line.schedule
            if s.date is not None
        )
    segs.append(["CTT", str(po1_count)])
    return segs


def build_856(
    shipment: ci.ShipmentInput, version: str = "004010", created: dt.datetime | None = None
) -> list[SegmentData]:
    """BSN, DTM*017, HL S (TD5, REF*CN, REF*BM, N1*BY), HL O per PO run (PRF), HL P per pack (MAN*GM),
    HL I per line (LIN, SN1, REF*LT/SE), unreferenced packs under S, CTT."""
    if not shipment.shipment_id:
        raise GenerationError("shipment id is required")
    segs: list[SegmentData] = [
        [
            "BSN",
            "00",
            shipment.shipment_id,
            date(shipment.ship_date, version),
            (created or dt.datetime(2000, 1, 1)).strftime("%H%M"),
        ]
    ]
    if shipment.expected_delivery:
        segs.append(["DTM", "017", date(shipment.expected_delivery, version)])
    hl = 1
    segs.append(["HL", "1", "", "S"])
    carrier = shipment.carrier
    if carrier:
        scac = 2 <= len(carrier) <= 4 and carrier.isalnum()
        segs.append(["TD5", "", "2", carrier] if scac else ["TD5", "", "", "", "", carrier])
    if shipment.tracking_number:
        segs.append(["REF", "CN", shipment.tracking_number])
    if shipment.bill_of_lading:
        segs.append(["REF", "BM", shipment.bill_of_lading])
    segs.extend(_company(shipment.company))
    order_hl = pack_hl = 0
    current_po: str | None = None
    current_pack: str | None = None
    for line in shipment.lines:
        if not line.po_number:
            raise GenerationError(f"line {line.line_no!r} has no PO number (PRF01)")
        if line.po_number != current_po:
            hl += 1
            order_hl, current_po, current_pack = hl, line.po_number, None
            segs += [["HL", str(hl), "1", "O"], ["PRF", line.po_number]]
        parent = order_hl
        if line.pack_sscc:
            if line.pack_sscc != current_pack:
                hl += 1
                pack_hl, current_pack = hl, line.pack_sscc
                segs += [["HL", str(hl), str(order_hl), "P"], ["MAN", "GM", line.pack_sscc]]
            parent = pack_hl
        hl += 1
        segs.append(["HL", str(hl), str(parent), "I"])
        if line.part_number:
            segs += [
                ["LIN", line.line_no, "BP", line.part_number],
                ["SN1", "", number(line.quantity), line.uom or "EA"],
            ]
        else:
            segs.append(["SN1", line.line_no, number(line.quantity), line.uom or "EA"])
        if line.lot:
            segs.append(["REF", "LT", line.lot])
        if line.serial:
            segs.append(["REF", "SE", line.serial])
    used = {line.pack_sscc for line in shipment.lines}
    for sscc in shipment.packs:
        if sscc not in used:
            hl += 1
            segs += [["HL", str(hl), "1", "P"], ["MAN", "GM", sscc]]
    segs.append(["CTT", str(hl)])
    return segs


def build_810(invoice: ci.InvoiceInput, version: str = "004010", uom: str = "EA") -> list[SegmentData]:
    """BIG (BIG07 CR for a credit memo), CUR*SE, N1*BY, IT1 per line with its TXI and SAC, TDS, the
    invoice's own TXI and SAC, CTT."""
    if not invoice.invoice_number:
        raise GenerationError("invoice number is required")
    credit = invoice.purpose == ci.INVOICE_PURPOSE_CREDIT_MEMO
    segs: list[SegmentData] = [
        [
            "BIG",
            date(invoice.invoice_date, version),
            invoice.invoice_number,
            "",
            invoice.po_number,
            "",
            "",
            "CR" if credit else "",
        ]
    ]
    if invoice.currency:
        segs.append(["CUR", "SE", invoice.currency])
    segs.extend(_company(invoice.company))
    for line in invoice.lines:
        ids = ["BP", line.part_number] if line.part_number else []
        segs.append(["IT1", line.line_no, number(line.quantity), line.uom or uom, number(line.unit_price), "", *ids])
        segs.extend(_tax(tax) for tax in line.taxes)
        segs.extend(_charge(charge) for charge in line.charges)
    total = invoice.total if invoice.total is not None else invoice.sums().total
    segs.append(["TDS", cents(total)])
    # The invoice's own taxes and charges follow TDS in the summary (TXI before the SAC loop).
    segs.extend(_tax(tax) for tax in invoice.taxes)
    segs.extend(_charge(charge) for charge in invoice.charges)
    segs.append(["CTT", str(len(invoice.lines))])
    return segs


def _tax(tax: ci.InvoiceTaxInput) -> SegmentData:
    """TXI in the IT1 loop or the summary."""
    return [
        "TXI",
        tax.tax_type,
        number(tax.amount) if tax.amount is not None else "",
        number(tax.percent) if tax.percent is not None else "",
    ]


def _charge(charge: ci.InvoiceChargeInput) -> SegmentData:
    """SAC in the IT1 loop or the summary; a percent goes with SAC06 Z (mutually defined), which SAC07 needs (P0607)."""
    amount = cents(charge.amount) if charge.amount is not None else ""
    percent = ["Z", number(charge.percent)] if charge.percent is not None else ["", ""]
    return ["SAC", charge.indicator, charge.code, "", "", amount, *percent, *[""] * 7, charge.description]


def write_855(
    ack: ci.AcknowledgementInput,
    envelope: Envelope,
    st02: str | int,
    po_date: dt.date | None = None,
    uoms: Mapping[str, str] | None = None,
) -> bytes:
    body = build_855(ack, envelope.version, po_date, uoms)
    return write_set(envelope, "PR", SetBody("855", st02, body))


def write_856(shipment: ci.ShipmentInput, envelope: Envelope, st02: str | int) -> bytes:
    return write_set(envelope, "SH", SetBody("856", st02, build_856(shipment, envelope.version, envelope.when)))


def write_810(invoice: ci.InvoiceInput, envelope: Envelope, st02: str | int) -> bytes:
    return write_set(envelope, "IN", SetBody("810", st02, build_810(invoice, envelope.version)))
