from django.conf import settings
from django.db import models

from .fields import amount_field, price_field, quantity_field


class DocumentKeyFields(models.Model):
    """Who sent a document, through which channel, under which id; and where its raw bytes are."""

    channel = models.CharField(max_length=16)
    document_id = models.CharField(max_length=80)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the canonical input")
    inbound_document = models.ForeignKey(
        "procurement.InboundDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correlation_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        abstract = True


class Acknowledgement(DocumentKeyFields):
    """A supplier's acknowledgement of one PO revision (855, API, portal)."""

    po = models.ForeignKey("procurement.PurchaseOrder", on_delete=models.PROTECT, related_name="acks")
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="+")
    po_revision = models.PositiveIntegerField()
    header = models.CharField(max_length=24, help_text="Canonical header code, decided from the lines.")
    header_sent = models.CharField(max_length=24, help_text="Canonical code of the header the sender used.")
    raw_code = models.CharField(max_length=8, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "supplier", "document_id"], name="ack_document_key_unique")
        ]


class AcknowledgementLine(models.Model):
    ack = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey("procurement.POLine", on_delete=models.PROTECT, related_name="ack_lines")
    response = models.CharField(max_length=24)
    raw_code = models.CharField(max_length=8, blank=True)
    quantity = quantity_field(null=True, blank=True)
    unit_price = price_field(null=True, blank=True)
    promised_date = models.DateField(null=True, blank=True)
    substitute_part_number = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    schedule = models.JSONField(
        default=list, blank=True, help_text="The schedule lines as sent: [{quantity, date}, …] in sent order."
    )


class ChangeRequest(models.Model):
    """A proposed change to one PO line; never applied until policy or a buyer accepts it."""

    class Initiator(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        BUYER = "buyer", "Buyer"

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Superseded"

    po = models.ForeignKey("procurement.PurchaseOrder", on_delete=models.PROTECT, related_name="changes")
    po_line = models.ForeignKey("procurement.POLine", on_delete=models.PROTECT, related_name="changes")
    ack = models.ForeignKey(Acknowledgement, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    initiator = models.CharField(max_length=16, choices=Initiator.choices, default=Initiator.SUPPLIER)
    response = models.CharField(max_length=24)
    proposed = models.JSONField(help_text="Field → proposed value (quantity, unit_price, need_by, …).")
    current = models.JSONField(help_text="Field → the buyer's value when proposed.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    resulting_revision = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()


class Shipment(DocumentKeyFields):
    """An advance ship notice. Its lines may reference several POs of the same supplier."""

    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="shipments")
    # The buying company its lines' POs belong to (the write path refuses lines of several companies):
    # kept here so that reports filter a year of notices by company without joining their POs. Empty
    # only while a notice has no line yet.
    company = models.ForeignKey(
        "procurement.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment_id = models.CharField(max_length=80)
    ship_date = models.DateField()
    expected_delivery = models.DateField(null=True, blank=True)
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    bill_of_lading = models.CharField(max_length=80, blank=True, help_text="The carrier's bill of lading number.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "shipment_id"], name="shipment_id_unique"),
        ]
        indexes = [models.Index(fields=["company", "received_at"], name="shipment_company_received")]


class ShipmentPack(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="packs")
    sscc = models.CharField(max_length=20, help_text="Serial Shipping Container Code (18 digits).")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contents",
        help_text="The pallet (tare) this pack travels on, when the notice names one.",
    )


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    pack = models.ForeignKey(ShipmentPack, null=True, blank=True, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey("procurement.POLine", on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = quantity_field()
    uom = models.CharField(max_length=8)
    lot = models.CharField(max_length=40, blank=True)
    serial = models.CharField(max_length=40, blank=True)

    def save(self, *args, **kwargs):
        """Saved one by one (the write path creates lines in bulk and sets the company itself), the
        notice's first line gives it its company."""
        super().save(*args, **kwargs)
        if self.shipment.company_id is None:
            company = self.po_line.po.company_id
            Shipment.objects.filter(pk=self.shipment_id, company__isnull=True).update(company_id=company)
            self.shipment.company_id = company


class Receipt(DocumentKeyFields):
    """Goods received at a plant. Physical status and financial posting are separate facts."""

    class PhysicalStatus(models.TextChoices):
        RECEIVED = "received", "Received"
        PARTLY_REJECTED = "partly_rejected", "Received, part rejected"
        REJECTED = "rejected", "Rejected"

    class PostingStatus(models.TextChoices):
        UNPOSTED = "unposted", "Not posted"
        POSTED = "posted", "Posted"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    po = models.ForeignKey("procurement.PurchaseOrder", on_delete=models.PROTECT, related_name="receipts")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    receipt_number = models.CharField(max_length=80)
    received_on = models.DateField()
    physical_status = models.CharField(max_length=20, choices=PhysicalStatus.choices)
    posting_status = models.CharField(max_length=12, choices=PostingStatus.choices)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "receipt_number"], name="receipt_number_unique"),
        ]


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey("procurement.POLine", on_delete=models.PROTECT, related_name="receipt_lines")
    quantity_received = quantity_field()
    quantity_rejected = quantity_field()
    lot = models.CharField(max_length=40, blank=True)
    # A database default too: a writer that names no pack (raw SQL, an older release mid-deploy) stays valid.
    sscc = models.CharField(
        max_length=20, blank=True, db_default="", help_text="The pack (SSCC-18) it was received in, if scanned."
    )


class Invoice(DocumentKeyFields):
    """A supplier invoice (or credit memo) against one PO, with its match verdict."""

    class Purpose(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_MEMO = "credit_memo", "Credit memo"

    class MatchStatus(models.TextChoices):
        MATCHED = "matched", "Matched"
        WITHIN_TOLERANCE = "within_tolerance", "Within tolerance"
        ON_HOLD = "on_hold", "On hold"
        RELEASED = "released", "Released by buyer"

    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="invoices")
    # Its PO's company, kept here so that reports filter a year of invoices by company without
    # joining their POs; taken from the PO when not given.
    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    po = models.ForeignKey("procurement.PurchaseOrder", on_delete=models.PROTECT, related_name="invoices")
    invoice_number = models.CharField(max_length=80)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.INVOICE)
    invoice_date = models.DateField()
    currency = models.CharField(max_length=3)
    total = amount_field()
    match_status = models.CharField(max_length=20, choices=MatchStatus.choices)
    hold_reason = models.TextField(blank=True, help_text="Why payment is held, as the supplier may see it.")
    charges = models.JSONField(
        default=list,
        blank=True,
        help_text="Allowances and charges on the invoice as a whole (indicator A, C or N, code, amount, percent, "
        "description); each line's are on the line.",
    )
    taxes = models.JSONField(
        default=list, blank=True, help_text="Taxes on the invoice as a whole as sent (type, amount, percent)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "invoice_number"], name="invoice_number_unique"),
        ]
        indexes = [models.Index(fields=["company", "received_at"], name="invoice_company_received")]

    def save(self, *args, **kwargs):
        if self.company_id is None and self.po_id is not None:
            self.company_id = self.po.company_id
        super().save(*args, **kwargs)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey("procurement.POLine", on_delete=models.PROTECT, related_name="invoice_lines")
    quantity = quantity_field()
    unit_price = price_field()
    amount = amount_field()
    charges = models.JSONField(
        default=list,
        blank=True,
        help_text="The line's allowances and charges (indicator A, C or N, code, amount, percent, description).",
    )
    taxes = models.JSONField(default=list, blank=True, help_text="The line's taxes as sent (type, amount, percent).")
    match_status = models.CharField(max_length=20)
