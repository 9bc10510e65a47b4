"""GS1-128 shipping labels: one PDF page per pack, its SSCC as an (00) barcode.

Made with reportlab (its Code 128 writer takes FNC1 as ``\\xf1``, which is what turns Code 128
into GS1-128), so a label prints from any browser without fonts or a label printer driver.
The page is 4 × 6 inches, the size of the common thermal shipping label.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from .sscc import sscc_human, sscc_verify

FNC1 = "\xf1"
PAGE = (4 * inch, 6 * inch)


@dataclass(frozen=True)
class PackLabel:
    """What one pack's label says: who ships it where, which SSCC, and what is inside."""

    sscc: str
    ship_from: str
    ship_to: str
    shipment_id: str
    carrier: str = ""
    tracking_number: str = ""
    bill_of_lading: str = ""
    po_numbers: tuple[str, ...] = ()
    contents: tuple[str, ...] = field(default=())  # "PART-1 × 40 (lot L1)"
    position: int = 1
    count: int = 1


def gs1_128(sscc: str) -> Code128:
    """The (00) SSCC barcode: FNC1, then AI 00 and the 18 digits (verified, so a bad check digit never prints)."""
    return Code128(FNC1 + "00" + sscc_verify(sscc), barWidth=0.0135 * inch, barHeight=1.2 * inch, quiet=True)


def shipping_labels_pdf(labels: list[PackLabel]) -> bytes:
    """A PDF with one 4 × 6 inch page per label, in the order given."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=PAGE, pageCompression=0)
    pdf.setTitle("Shipping labels")
    pdf.setAuthor("Supplier portal")
    for label in labels:
        _page(pdf, label)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _page(pdf: canvas.Canvas, label: PackLabel) -> None:
    width, height = PAGE
    margin = 0.2 * inch
    y = height - margin - 10
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, y, "FROM")
    pdf.drawString(width / 2, y, "TO")
    pdf.setFont("Helvetica", 9)
    for n, (left, right) in enumerate(zip(_lines(label.ship_from, 3), _lines(label.ship_to, 3), strict=True), start=1):
        pdf.drawString(margin, y - 11 * n, left)
        pdf.drawString(width / 2, y - 11 * n, right)
    y -= 52
    pdf.line(margin, y, width - margin, y)
    pdf.setFont("Helvetica", 9)
    facts = [
        ("Ship notice", label.shipment_id),
        ("PO", ", ".join(label.po_numbers)),
        ("Carrier", label.carrier),
        ("Tracking", label.tracking_number),
        ("Bill of lading", label.bill_of_lading),
        ("Pack", f"{label.position} of {label.count}"),
    ]
    for n, (name, value) in enumerate(facts, start=1):
        pdf.drawString(margin, y - 12 * n, f"{name}: {value}"[:60])
    y -= 12 * len(facts) + 8
    pdf.line(margin, y, width - margin, y)
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(margin, y - 11, "CONTENTS")
    pdf.setFont("Helvetica", 8)
    for n, text in enumerate(label.contents[:6], start=1):
        pdf.drawString(margin, y - 11 - 10 * n, text[:70])
    if len(label.contents) > 6:
        pdf.drawString(margin, y - 11 - 70, f"… and {len(label.contents) - 6} more lines")
    barcode = gs1_128(label.sscc)
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, margin + 1.55 * inch, "SSCC")
    barcode.drawOn(pdf, (width - barcode.width) / 2, margin + 0.3 * inch)
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(width / 2, margin + 0.08 * inch, sscc_human(sscc_verify(label.sscc)))


def _lines(text: str, count: int) -> list[str]:
    lines = [line.strip()[:32] for line in text.splitlines() if line.strip()][:count]
    return lines + [""] * (count - len(lines))
