"""The EDI channel's own records: trading partners, the buying companies' EDI identities,
interchanges in and out, their groups, and control numbers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class ControlCounter(models.Model):
    """The last control number used per partner and level (ISA13, GS06, ST02). Taken under a row lock."""

    class Level(models.TextChoices):
        INTERCHANGE = "isa", "Interchange (ISA13)"
        GROUP = "gs", "Group (GS06)"
        SET = "st", "Transaction set (ST02)"

    partner = models.ForeignKey("edi.TradingPartner", on_delete=models.CASCADE, related_name="counters")
    level = models.CharField(max_length=3, choices=Level.choices)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "level"], name="control_counter_unique")]


class Interchange(models.Model):
    """One ISA…IEA envelope, received or sent, and the verdicts reached on it."""

    class Direction(models.TextChoices):
        INBOUND = "in", "Received"
        OUTBOUND = "out", "Sent"

    class Duplicate(models.TextChoices):
        NONE = "", "Not a duplicate"
        CONTROL_NUMBER = "control_number", "Same sender and ISA13 within the window"
        CONTENT = "content", "Same content as an earlier file"

    direction = models.CharField(max_length=3, choices=Direction.choices)
    partner = models.ForeignKey(
        "edi.TradingPartner", null=True, blank=True, on_delete=models.PROTECT, related_name="interchanges"
    )
    sender_qualifier = models.CharField(max_length=2)
    sender_id = models.CharField(max_length=15)
    receiver_id = models.CharField(max_length=15)
    isa13 = models.CharField(max_length=9)
    isa15 = models.CharField(max_length=1)
    version = models.CharField(max_length=12, blank=True)
    inbound_document = models.ForeignKey(
        "procurement.InboundDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="interchanges"
    )
    outbound_message = models.OneToOneField(
        "notifications.OutboundMessage", null=True, blank=True, on_delete=models.PROTECT, related_name="interchange"
    )
    po = models.ForeignKey(
        "procurement.PurchaseOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="interchanges"
    )
    content = models.BinaryField(blank=True, help_text="Outbound: the interchange exactly as written.")
    duplicate = models.CharField(max_length=16, choices=Duplicate.choices, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    envelope_errors = models.JSONField(default=list, blank=True)
    digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="Received: SHA-256 of what the interchange says, layout aside; the same ISA13 again with "
        "another digest is other content under a used control number.",
    )
    position = models.PositiveIntegerField(
        null=True, blank=True, help_text="Received: the interchange's place in its file, from 0."
    )
    receipt = models.JSONField(
        default=dict,
        blank=True,
        help_text="Received: what receiving it did, set by set, and the answers written; a retry of its file "
        "reads this back rather than doing it again.",
    )
    rejected = models.BooleanField(
        default=False,
        help_text="Received: refused at its envelope (a TA1 with R): nothing in it was applied, and the partner "
        "may send it again, corrected, under the same ISA13.",
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["direction", "sender_qualifier", "sender_id", "isa13"])]
        constraints = [
            # Each interchange of a stored file is received once, however many times the file is run.
            models.UniqueConstraint(
                fields=["inbound_document", "position"],
                condition=models.Q(direction="in"),
                name="interchange_received_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} ISA13 {self.isa13} ({self.sender_id} → {self.receiver_id})"


# A 997/999's AK901 (IK9 01) in words.
ACK_CODE_WORDS = {
    "A": "accepted",
    "E": "accepted, with errors noted",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected: message authentication code failed",
    "W": "rejected: assurance failed validity tests",
    "X": "rejected: content could not be analysed",
}


class FunctionalGroup(models.Model):
    """One GS…GE group with its functional acknowledgement: the one we sent back, or the one we await."""

    class AckState(models.TextChoices):
        AWAITED = "awaited", "Awaiting the partner's 997/999"
        ACCEPTED = "accepted", "Accepted"
        ACCEPTED_WITH_ERRORS = "accepted_with_errors", "Accepted with errors"
        PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
        REJECTED = "rejected", "Rejected"
        OVERDUE = "overdue", "997/999 overdue"
        NOT_EXPECTED = "not_expected", "No acknowledgement expected"

    interchange = models.ForeignKey(Interchange, on_delete=models.CASCADE, related_name="groups")
    gs01 = models.CharField(max_length=2)
    gs06 = models.CharField(max_length=9)
    gs08 = models.CharField(max_length=12)
    set_ids = models.JSONField(default=list, help_text="ST01/ST02 pairs in the group.")
    ack_state = models.CharField(max_length=24, choices=AckState.choices)
    ack_code = models.CharField(max_length=1, blank=True, help_text="AK901 / the code we answered with.")
    ack_due_at = models.DateTimeField(null=True, blank=True)
    ack_interchange = models.ForeignKey(
        Interchange, null=True, blank=True, on_delete=models.SET_NULL, related_name="acknowledged_groups"
    )
    ack_detail = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ack_state", "ack_due_at"])]

    @property
    def ack_words(self) -> str:
        """The acknowledgement in words: for a group a partner sent, what our 997/999 answered it (``Answered:
        accepted``); for one we sent, its state (``Awaiting the partner's 997/999``)."""
        if self.interchange.direction == "in" and self.ack_code:
            return f"Answered: {ACK_CODE_WORDS.get(self.ack_code, self.ack_code)}"
        return self.get_ack_state_display()


class TradingPartner(models.Model):
    """How a supplier trades by X12: its identifiers, version, delimiters, acknowledgements and folders."""

    class AckKind(models.TextChoices):
        AUTO = "auto", "997 for 004010, 999 for 005010 and later"
        FA997 = "997", "Always 997"
        FA999 = "999", "Always 999"

    class Usage(models.TextChoices):
        PRODUCTION = "P", "Production"
        TEST = "T", "Test"

    supplier = models.OneToOneField("suppliers.Supplier", on_delete=models.CASCADE, related_name="trading_partner")
    company = models.ForeignKey(
        "procurement.Company",
        on_delete=models.PROTECT,
        related_name="trading_partners",
        help_text="The buying company this partner trades with: its exceptions are filed there.",
    )
    isa_qualifier = models.CharField("ISA qualifier", max_length=2, default="ZZ")
    isa_id = models.CharField("ISA id", max_length=15, help_text="ISA06 on what the partner sends, ISA08 on ours.")
    gs_id = models.CharField("GS id", max_length=15, help_text="GS02 on what the partner sends.")
    gs_aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other GS02 ids the partner sends from (another application, a division), e.g. ["CASTINGSAP"].',
    )
    version = models.CharField(max_length=12, default="004010", help_text="GS08 of what we send: 004010, 005010, …")
    element_separator = models.CharField(max_length=1, default="*")
    component_separator = models.CharField(max_length=1, default=">")
    segment_terminator = models.CharField(max_length=1, default="~")
    repetition_separator = models.CharField(max_length=1, default="^")
    line_break = models.BooleanField(default=True, help_text="A line break after each segment we send.")
    ack_kind = models.CharField(max_length=4, choices=AckKind.choices, default=AckKind.AUTO)
    ta1_requested = models.BooleanField(default=False, help_text="Answer every interchange with a TA1.")
    expects_997 = models.BooleanField(default=True, help_text="The partner answers what we send with a 997/999.")
    fa_due_hours = models.PositiveIntegerField(default=24, help_text="Hours within which the partner's 997 is due.")
    usage = models.CharField(
        max_length=1,
        choices=Usage.choices,
        default=Usage.PRODUCTION,
        help_text="Checked against ISA15 of every interchange.",
    )
    code_maps = models.JSONField(
        default=dict,
        blank=True,
        help_text='The partner\'s own code habits, e.g. {"BAK02": {"AP": "ACCEPTED"}, "ACK01": {"IW": "HOLD"}}.',
    )
    folder = models.SlugField(max_length=40, unique=True, help_text="Folder name under the EDI root.")
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "suppliers_tradingpartner"  # the model moved here from suppliers; its table kept its name
        constraints = [
            models.UniqueConstraint(fields=["isa_qualifier", "isa_id"], name="partner_isa_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} ({self.isa_qualifier}:{self.isa_id})"

    def gs_addresses(self) -> list[str]:
        """Every GS02 the partner's groups may come from: its GS id first, then the aliases."""
        return [self.gs_id, *gs_aliases(self.gs_aliases)]

    def clean(self) -> None:
        if not gs_aliases_valid(self.gs_aliases):
            raise ValidationError({"gs_aliases": GS_ALIASES_HELP})


class EdiIdentity(models.Model):
    """A buying company's own X12 identity: what partners address it by, and what it signs with.

    Partners send to ``isa_qualifier``:``isa_id`` (ISA07/ISA08) and ``gs_id`` (GS03), or to one of
    the aliases (a DUNS beside a mailbox id, the id of a company merged in, …). Everything the
    gateway writes for the company (850, 860, 997, 999, TA1) carries these ids as its sender and
    never an id taken from a file. An empty field takes the gateway's default
    (``GATEWAY_EDI_ISA_QUALIFIER``, ``GATEWAY_EDI_ISA_ID``, ``GATEWAY_EDI_GS_ID``); a company with
    no identity row trades under those defaults (``EdiIdentity.of``).
    """

    company = models.OneToOneField("procurement.Company", on_delete=models.CASCADE, related_name="edi_identity")
    isa_qualifier = models.CharField(
        "ISA qualifier", max_length=2, blank=True, help_text="Empty: GATEWAY_EDI_ISA_QUALIFIER."
    )
    isa_id = models.CharField(
        "ISA id",
        max_length=15,
        blank=True,
        help_text="ISA06 on what we send, ISA08 on what partners send; empty: GATEWAY_EDI_ISA_ID.",
    )
    gs_id = models.CharField(
        "GS id",
        max_length=15,
        blank=True,
        help_text="GS02 on what we send, GS03 on what partners send; empty: GATEWAY_EDI_GS_ID.",
    )
    isa_aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other ISA07:ISA08 pairs partners may address the company by, e.g. ["01:123456789", "ZZ:ACMEOLD"].',
    )
    gs_aliases = models.JSONField(
        default=list, blank=True, help_text='Other GS03 ids partners may address the company by, e.g. ["ACMEOLD"].'
    )

    class Meta:
        verbose_name = "EDI identity"
        verbose_name_plural = "EDI identities"

    def __str__(self) -> str:
        qualifier, isa_id = self.isa_address
        return f"{self.company} ({qualifier}:{isa_id}, GS {self.gs_address})"

    @classmethod
    def of(cls, company_id: int) -> EdiIdentity:
        """The company's identity: its own row, or (unsaved) the gateway's defaults."""
        return cls.objects.filter(company_id=company_id).first() or cls(company_id=company_id)

    @property
    def isa_address(self) -> tuple[str, str]:
        """(ISA qualifier, ISA id) the company signs with."""
        return (
            self.isa_qualifier or settings.GATEWAY_EDI_ISA_QUALIFIER,
            self.isa_id or settings.GATEWAY_EDI_ISA_ID,
        )

    @property
    def gs_address(self) -> str:
        """The GS application id the company signs with."""
        return self.gs_id or settings.GATEWAY_EDI_GS_ID

    def isa_addresses(self) -> list[tuple[str, str]]:
        """Every (ISA07, ISA08) pair that reaches the company: its own first, then the aliases."""
        aliases = [parse_isa_alias(a) for a in self.isa_aliases or []]
        return [self.isa_address, *(a for a in aliases if a is not None)]

    def gs_addresses(self) -> list[str]:
        """Every GS03 that reaches the company: its own first, then the aliases."""
        return [self.gs_address, *gs_aliases(self.gs_aliases)]

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.isa_aliases, list) or any(parse_isa_alias(a) is None for a in self.isa_aliases):
            errors["isa_aliases"] = 'A list of "qualifier:id" strings, e.g. ["01:123456789"].'
        if not gs_aliases_valid(self.gs_aliases):
            errors["gs_aliases"] = GS_ALIASES_HELP
        if errors:
            raise ValidationError(errors)


GS_ALIASES_HELP = "A list of ids of 1 to 15 characters."


def gs_aliases(aliases: object) -> list[str]:
    """The GS ids of an aliases field (blank entries and anything not a list left out)."""
    if not isinstance(aliases, list):
        return []
    return [str(a).strip() for a in aliases if str(a).strip()]


def gs_aliases_valid(aliases: object) -> bool:
    return isinstance(aliases, list) and all(isinstance(a, str) and 0 < len(a.strip()) <= 15 for a in aliases)


def parse_isa_alias(alias: object) -> tuple[str, str] | None:
    """``"01:123456789"`` as ``("01", "123456789")``; None for anything else."""
    if not isinstance(alias, str):
        return None
    qualifier, colon, isa_id = alias.strip().partition(":")
    if not colon or len(qualifier) != 2 or not 0 < len(isa_id.strip()) <= 15:
        return None
    return qualifier, isa_id.strip()
