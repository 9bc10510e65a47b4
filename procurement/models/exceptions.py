from django.conf import settings
from django.db import models


class ExceptionQuerySet(models.QuerySet):
    def open(self) -> "ExceptionQuerySet":
        return self.filter(state__in=ProcurementException.OPEN_STATES)

    def ranked(self) -> "ExceptionQuerySet":
        return self.order_by("severity_rank", "due_at", "id")


class ProcurementException(models.Model):
    """A deviation a buyer must look at, ranked by what it puts at risk.

    ``dedup_key`` names the deviation (kind, PO line, what deviated); while one is open, the
    same deviation is never raised twice.
    """

    class Kind(models.TextChoices):
        PRICE_DEVIATION = "price_deviation", "Price deviation"
        QUANTITY_DEVIATION = "quantity_deviation", "Quantity deviation"
        DATE_DEVIATION = "date_deviation", "Date deviation"
        REJECTED_LINE = "rejected_line", "Rejected line"
        SUBSTITUTION = "substitution", "Item substitution proposed"
        LINE_ON_HOLD = "line_on_hold", "Line on hold"
        BACKORDERED = "backordered", "Part of a line backordered"
        UNKNOWN_PO = "unknown_po", "Unknown PO"
        UNKNOWN_LINE = "unknown_line", "Unknown PO line"
        ACK_OVERDUE = "ack_overdue", "Acknowledgement overdue"
        ASN_OVER_SHIPMENT = "asn_over_shipment", "Ship notice over-ships"
        ASN_WITHOUT_ACK = "asn_without_ack", "Ship notice without acknowledgement"
        INVOICE_PRICE_MISMATCH = "invoice_price_mismatch", "Invoice price mismatch"
        INVOICE_QUANTITY_MISMATCH = "invoice_quantity_mismatch", "Invoice quantity mismatch"
        DUPLICATE_INVOICE = "duplicate_invoice", "Duplicate invoice number"
        DUPLICATE_DOCUMENT = "duplicate_document", "Conflicting document under a used key"
        INVALID_DOCUMENT = "invalid_document", "Document could not be applied"
        FA_OVERDUE = "fa_overdue", "Functional acknowledgement overdue"
        FA_REJECTED = "fa_rejected", "Functional acknowledgement rejected"
        EDI_SYNTAX = "edi_syntax", "EDI envelope or syntax error"
        BOM_REVISION_MISMATCH = "bom_revision_mismatch", "ERP and PLM BOM revisions differ"
        BOM_RELEASE_REFUSED = "bom_release_refused", "BOM release refused"
        INVENTORY_VARIANCE = "inventory_variance", "Inventory systems disagree"
        MATERIAL_SHORTAGE = "material_shortage", "Material shortage"

    class Severity(models.TextChoices):
        PRODUCTION_STOP = "production_stop", "Production stop"
        PROCUREMENT_DELAY = "procurement_delay", "Procurement delay"
        FINANCIAL_MISMATCH = "financial_mismatch", "Financial mismatch"
        DATA_QUALITY = "data_quality", "Data quality"

    SEVERITY_RANK = {
        Severity.PRODUCTION_STOP: 0,
        Severity.PROCUREMENT_DELAY: 1,
        Severity.FINANCIAL_MISMATCH: 2,
        Severity.DATA_QUALITY: 3,
    }

    class State(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "Assigned"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    OPEN_STATES = (State.OPEN, State.IN_PROGRESS)

    class Resolution(models.TextChoices):
        ACCEPTED = "accepted", "Supplier proposal accepted"
        REJECTED = "rejected", "Supplier proposal rejected"
        DISMISSED = "dismissed", "Dismissed"
        AUTO_CLEARED = "auto_cleared", "Cleared by a later document"
        SUPERSEDED = "superseded", "Superseded by a newer proposal"

    company = models.ForeignKey("procurement.Company", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    po = models.ForeignKey(
        "procurement.PurchaseOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    po_line = models.ForeignKey(
        "procurement.POLine", null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    change_request = models.ForeignKey(
        "procurement.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    invoice = models.ForeignKey(
        "procurement.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    shipment = models.ForeignKey(
        "procurement.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    inbound_document = models.ForeignKey(
        "procurement.InboundDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=24, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField()
    dedup_key = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    supplier_message = models.TextField(blank=True, help_text="What the supplier may see.")
    evidence = models.JSONField(default=dict, help_text="Expected against actual, and the tolerance applied.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField()
    raised_at = models.DateTimeField()
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True, help_text="Internal: never shown to the supplier.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    objects = ExceptionQuerySet.as_manager()

    class Meta:
        verbose_name = "exception"
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=models.Q(state__in=["open", "in_progress"]),
                name="exception_open_dedup_unique",
            )
        ]
        indexes = [
            models.Index(fields=["state", "severity_rank", "due_at"]),
            # The buyers' queue: a company's open exceptions in rank order, read a page at a time, and
            # counted per severity and SLA state from the index alone.
            models.Index(
                fields=["company", "severity_rank", "due_at", "id"],
                condition=models.Q(state__in=["open", "in_progress"]),
                name="exception_open_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def message(self) -> str:
        """What the exception says in a sentence: the supplier's message, or, for one no supplier is
        told of (a shortage, an inventory variance, a system's invalid document), its summary."""
        return self.supplier_message or self.summary

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES
