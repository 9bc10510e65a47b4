"""Recording invoices and matching them against the PO (2-way) and receipts (3-way).

An invoice line's amount is its quantity times its unit price; the allowances, charges and taxes
on the line (X12 SAC/TXI in the IT1 loop) are kept beside it, and those on the invoice as a whole
(SAC/TXI after TDS, or the API's invoice-level ``charges`` and ``taxes``) on the invoice. The
stated total must equal the lines' amounts plus all charges, minus all allowances, plus all
taxes, to the cent (``InvoiceInput.sums``). The
price match compares the unit price alone with the PO price: a line allowance or a freight
charge does not make the price look wrong, and an over-billed charge shows in the total instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone

from gateway.formatting import plain_number, po_label, price_text
from notifications.services import outbox_written
from procurement import inputs
from procurement.inputs import InvoiceInput
from procurement.models import (
    Invoice,
    InvoiceLine,
    POLine,
    ProcurementException,
    PurchaseOrder,
    UomConversion,
)
from procurement.models.fields import AMOUNT_LIMIT, PRICE_LIMIT, QUANTITY_LIMIT
from suppliers.models import Supplier

from . import tolerance
from .audit import audit_event
from .bulk import row_insert_with_children, rows_insert, rows_update, rows_update_statement
from .documents import document_replay, exceptions_audited, orders_touch_statement
from .errors import DocumentRefused
from .lines import lines_locked_with, lines_numbered, other_parts_refused, supplier_lines, supplier_lines_shape
from .notify import exception_notifications
from .raising import exception_draft
from .refusals import records_refusals, refusal_recorded, service_atomic
from .sources import RecordResult, WriteSource

Kind = ProcurementException.Kind
Severity = ProcurementException.Severity
CENT = Decimal("0.01")
_LINE_UPDATE_FIELDS = ["invoiced_quantity", "match_state"]


@records_refusals
def invoice_record(*, supplier: Supplier, invoice: InvoiceInput, source: WriteSource) -> RecordResult:
    """Record ``supplier``'s invoice (or credit memo) against one of its POs and match it.

    Each line's price is matched against the PO price (``invoice_price`` tolerance) and the
    quantity invoiced so far against what was ordered, or received when the company matches
    three ways (``invoice_quantity`` tolerance). A mismatch outside tolerance holds the invoice
    with a reason the supplier may see and raises an exception for the buyer.
    Idempotent on (supplier, invoice number) across channels: the same invoice again is a
    duplicate; another invoice under a used number is refused as a duplicate invoice.
    """
    _validate(invoice)
    with service_atomic():
        document = f"invoice {invoice.invoice_number}"
        numbered = lines_numbered(
            invoice,
            po_number=lambda line: invoice.po_number,
            prior=Invoice.objects.filter(supplier=supplier, invoice_number=invoice.invoice_number),
            document=document,
            supplier=supplier,
            source=source,
        )
        if numbered.same is not None:
            return RecordResult("duplicate", numbered.same)
        invoice, received = numbered.document, numbered.received
        # The look-up of the same document runs right after the lock is granted, as its own statement,
        # but is sent with it: one round trip for both.
        lines, found = lines_locked_with(
            # Built only when its shape is first compiled: the lock's SQL is kept per shape.
            query=lambda: supplier_lines(supplier, invoice.company, source),
            shape=supplier_lines_shape(supplier, invoice.company, source),
            wanted=[(invoice.po_number, line.line_no) for line in invoice.lines],
            source=source,
            supplier=supplier,
            named_company=invoice.company,
            document=document,
            also=(
                "invoice.existing",
                lambda: Invoice.objects.filter(supplier=supplier, invoice_number=invoice.invoice_number).order_by("pk")[
                    :1
                ],
                [invoice.invoice_number, supplier.pk],
            ),
        )
        order = next(iter(lines.values())).po
        company = order.company
        invoice = _units_as_said_by_po(invoice, lines)
        digest = inputs.fingerprint(invoice)
        existing = found[0] if found else None
        if received is not None and (existing is None or existing.fingerprint != digest):
            # Stored as received; one stored before, fingerprinted once numbered, is still compared so.
            digest = received
        if existing is not None:
            return document_replay(
                record=existing,
                stored_fingerprint=existing.fingerprint,
                digest=digest,
                refuse=lambda: refusal_recorded(
                    source=source,
                    company=company,
                    supplier=supplier,
                    po=order,
                    kind=Kind.DUPLICATE_INVOICE,
                    code="duplicate_invoice",
                    message=f"invoice number {invoice.invoice_number} was already used on another invoice",
                    supplier_message=(
                        f"Invoice number {invoice.invoice_number} has already been received with different content. "
                        "Send corrections as a credit memo and a new invoice."
                    ),
                    dedup_key=f"dup_invoice:{supplier.pk}:{invoice.invoice_number}:{digest}",
                    evidence={"invoice_number": invoice.invoice_number, "existing_invoice": existing.pk},
                ),
            )
        other_parts_refused(
            named=[(invoice.po_number, line.line_no, line.part_number) for line in invoice.lines],
            lines=lines,
            document=document,
            supplier=supplier,
            source=source,
        )
        units = _in_po_units(invoice, lines, order, supplier, source)
        now = timezone.now()
        credit = invoice.purpose == inputs.INVOICE_PURPOSE_CREDIT_MEMO
        sums = invoice.sums()
        computed = sums.total
        billed: dict[int, Decimal] = defaultdict(Decimal)
        for line, (quantity, _) in zip(invoice.lines, units, strict=True):
            billed[lines[(invoice.po_number, line.line_no)].pk] += -quantity if credit else quantity
        _refuse_unrecordable(invoice, lines, billed, sums)
        record = Invoice(
            supplier=supplier,
            company=company,
            po=order,
            invoice_number=invoice.invoice_number,
            purpose=invoice.purpose,
            invoice_date=invoice.invoice_date,
            currency=invoice.currency or order.currency,
            total=invoice.total if invoice.total is not None else computed,
            charges=[_charge_json(charge, sums.lines) for charge in invoice.charges],
            taxes=[_tax_json(tax, sums.lines) for tax in invoice.taxes],
            match_status=Invoice.MatchStatus.MATCHED,
            channel=source.channel,
            document_id=invoice.invoice_number,
            fingerprint=digest,
            inbound_document=source.document,
            correlation_id=source.correlation_id,
            received_at=now,
        )
        rules = tolerance.rules_for(company)
        invoice_lines, findings = _lines_match(invoice, units, record, lines, billed, rules, supplier, credit=credit)
        findings += _header_findings(invoice, order, sums)
        # A PO line billed on two invoice lines is matched once: one exception, one reason, per deviation.
        reasons = list(dict.fromkeys(f.reason for f in findings))
        findings = list({f.key: f for f in reversed(findings)}.values())[::-1]
        for po_line in {lines[(invoice.po_number, g.line_no)] for g in invoice.lines}:
            po_line.invoiced_quantity += billed[po_line.pk]
        statuses = {il.match_status for il in invoice_lines}
        # Matched before it is written: the invoice goes in with its verdict, not updated after.
        if reasons:
            record.match_status = Invoice.MatchStatus.ON_HOLD
            record.hold_reason = "; ".join(reasons)
        elif "within_tolerance" in statuses:
            record.match_status = Invoice.MatchStatus.WITHIN_TOLERANCE
        billed_lines = list({line.pk: line for line in lines.values()}.values())
        touch = orders_touch_statement([order.pk], now=now)
        keys: list[int] = []
        if connection.vendor == "postgresql":
            # The invoice, its lines, the PO lines' invoiced quantities, the PO's touch and the keys of
            # the exceptions it raises in one statement: one round trip, no INSERT query compiled.
            keys = row_insert_with_children(
                record,
                invoice_lines,
                link="invoice",
                alongside=[touch, rows_update_statement(billed_lines, _LINE_UPDATE_FIELDS)],
                reserve=(ProcurementException, len(findings)),
            )
        else:
            record.save(force_insert=True)
            InvoiceLine.objects.bulk_create(invoice_lines)
            rows_update(billed_lines, _LINE_UPDATE_FIELDS, alongside=touch)
        drafts = [_draft(f, invoice, record, order, supplier, source, now) for f in findings]
        if keys:
            # Written below, in the statement of the audit rows and the outbox that name them.
            for draft, pk in zip(drafts, keys, strict=True):
                draft.pk = pk
        else:
            rows_insert(drafts)  # as exceptions_create does, without compiling an INSERT query each time
        key = f"{source.channel}:{supplier.code}:{invoice.invoice_number}"
        events = [
            audit_event(
                source=source,
                action="invoice.recorded",
                obj=record,
                company=company,
                po=order,
                document_key=key,
                after={
                    "purpose": invoice.purpose,
                    "total": record.total,
                    "match": record.match_status,
                    "hold_reason": record.hold_reason,
                },
                now=now,
            ),
            *exceptions_audited(
                drafts, source=source, company=company, orders={order.pk: order}, document_key=key, now=now
            ),
        ]
        messages = exception_notifications(
            drafts=drafts,
            orders={order.pk: order},
            document=document,
            key=f"inv:{record.pk}",
            source=source,
            # Read with the PO's lock: a subscription changed since then has bumped it.
            versions={company.pk: company.webhooks_version},
        )
        # The exceptions, the audit trail and the outbox in one statement on PostgreSQL.
        rows_insert(drafts if keys else [], events, messages)
        outbox_written(messages)
    return RecordResult("applied", record, drafts)


@dataclass(frozen=True)
class _Finding:
    """A deviation an invoice shows: on one PO line (``line`` set) or on the invoice as a whole."""

    kind: str
    name: str  # what deviates: the exception kind on a line, ``invoice_<what>`` on the invoice
    text: str
    evidence: dict
    line: POLine | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        """The deviation, one per PO line (or per invoice) whatever number of lines bill it."""
        return self.name, self.line.pk if self.line is not None else None

    def dedup_key(self, invoice: Invoice) -> str:
        """The exception's dedup key, once the invoice has its id."""
        if self.line is not None:
            return f"{self.name}:{invoice.pk}:{self.line.pk}"
        return f"{self.name}:{invoice.pk}"

    @property
    def reason(self) -> str:
        """The hold reason the supplier sees."""
        return f"line {self.line.line_no}: {self.text}" if self.line is not None else self.text


QUANTITY_STEP = Decimal("0.0001")  # the quantity columns' precision
PRICE_STEP = Decimal("0.000001")  # the price columns'


def _units_as_said_by_po(invoice: InvoiceInput, lines: dict[tuple[str, str], POLine]) -> InvoiceInput:
    """The invoice without the unit a line states when it is its PO line's own: said or not, it means
    the same, and an invoice received before units were read (the fingerprint it was stored with) is
    the same invoice when it is sent again."""
    given = tuple(
        dataclasses.replace(line, uom="")
        if line.uom and line.uom.strip().upper() == lines[(invoice.po_number, line.line_no)].uom.upper()
        else line
        for line in invoice.lines
    )
    if all(a is b for a, b in zip(given, invoice.lines, strict=True)):
        return invoice
    return dataclasses.replace(invoice, lines=given)


def _in_po_units(
    invoice: InvoiceInput,
    lines: dict[tuple[str, str], POLine],
    order: PurchaseOrder,
    supplier: Supplier,
    source: WriteSource,
) -> list[tuple[Decimal, Decimal]]:
    """Each invoice line's quantity and unit price in its PO line's unit (10 CA at 120.00 billed on a
    line in EA of an item whose case is 12 EA: 120 EA at 10.00), the amount billed unchanged.

    Both are converted as themselves through the base unit, not by the factor of one unit: 3 EA on a
    line in packs of 3 is 1 pack, where 3 times a third of a pack would not be. A line billed in a unit
    its item has no conversion for, whose quantity does not convert exactly, or whose price per the
    line's unit is too large to record refuses the invoice naming both units: read in the line's unit,
    it would bill 10 each for 10 cases.

    A price that is no exact price per the line's unit (1 CA of 12 at 10.00 is 0.8333… per EA) is
    rounded to the price columns' precision rather than refused: the supplier cannot state it
    exactly in the line's unit either, it is only matched against the PO price (within a tolerance
    far coarser than a millionth), and the amount stored is the one billed, to the cent.
    """
    foreign = {
        lines[(invoice.po_number, given.line_no)].item_id
        for given in invoice.lines
        if given.uom.strip() and given.uom.strip().upper() != lines[(invoice.po_number, given.line_no)].uom.upper()
    }
    if not foreign:
        return [(given.quantity, given.unit_price) for given in invoice.lines]
    factors: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for conversion in UomConversion.objects.filter(item_id__in=foreign):
        factors[conversion.item_id][conversion.uom] = conversion.factor
    converted: list[tuple[Decimal, Decimal]] = []
    said: list[str] = []
    for given in invoice.lines:
        line = lines[(invoice.po_number, given.line_no)]
        uom = given.uom.strip() or line.uom
        where = f"{po_label(order.number)} line {line.line_no} is in {line.uom}, the invoice bills it in {uom}"
        try:
            quantity = line.item.convert(given.quantity, uom, line.uom, factors[line.item_id])
            # The price per line unit is the price per billed unit times the billed units in one line unit.
            price = line.item.convert(given.unit_price, line.uom, uom, factors[line.item_id])
        except LookupError:
            said.append(f"{where} and part {line.item.part_number} has no conversion between them")
            continue
        if quantity >= QUANTITY_LIMIT:
            said.append(
                f"{where}, and {plain_number(given.quantity)} {uom} is a quantity in {line.uom} too large to record"
            )
            continue
        if quantity != quantity.quantize(QUANTITY_STEP):
            said.append(f"{where}, and {plain_number(given.quantity)} {uom} is no exact quantity in {line.uom}")
            continue
        if price >= PRICE_LIMIT:
            said.append(
                f"{where}, and {plain_number(given.unit_price)} per {uom} is a price per {line.uom} too large to record"
            )
            continue
        converted.append((quantity, price.quantize(PRICE_STEP, ROUND_HALF_UP)))
    if said:
        differences = "; ".join(dict.fromkeys(said))
        raise refusal_recorded(
            source=source,
            company=order.company,
            supplier=supplier,
            po=order,
            kind=Kind.INVALID_DOCUMENT,
            code="unit_mismatch",
            message=f"invoice {invoice.invoice_number}: {differences}; nothing was applied",
            evidence={"refused": f"invoice {invoice.invoice_number} in other units", "differences": said},
            dedup_key=f"unit_mismatch:{order.pk}:{supplier.pk}:invoice {invoice.invoice_number}",
        )
    return converted


def _refuse_unrecordable(
    invoice: InvoiceInput, lines: dict[tuple[str, str], POLine], billed: dict[int, Decimal], sums: inputs.InvoiceSums
) -> None:
    """Refuse amounts too large for the columns, and a credit memo crediting more than was invoiced."""
    computed = sums.total
    over_credited = [
        line.line_no for line in lines.values() if line.pk in billed and line.invoiced_quantity + billed[line.pk] < 0
    ]
    too_large = [
        line.line_no
        for line in invoice.lines
        if line.quantity * line.unit_price >= AMOUNT_LIMIT or line.unit_price >= PRICE_LIMIT
    ]
    if (
        too_large
        or any(abs(value) >= AMOUNT_LIMIT for value in (computed, sums.charges, sums.allowances, sums.taxes))
        or any(
            line.invoiced_quantity + billed[line.pk] >= QUANTITY_LIMIT for line in lines.values() if line.pk in billed
        )
    ):
        raise DocumentRefused(
            f"invoice {invoice.invoice_number}: amounts too large to record"
            + (f" on line {', '.join(too_large)}" if too_large else ""),
            code="invalid",
        )
    if over_credited:
        raise DocumentRefused(
            f"credit memo {invoice.invoice_number} credits more than was invoiced on line {', '.join(over_credited)}",
            code="invalid",
        )


def _lines_match(
    invoice: InvoiceInput,
    units: list[tuple[Decimal, Decimal]],
    record: Invoice,
    lines: dict[tuple[str, str], POLine],
    billed: dict[int, Decimal],
    rules: tolerance.RuleSet,
    supplier: Supplier,
    *,
    credit: bool,
) -> tuple[list[InvoiceLine], list[_Finding]]:
    """The invoice's lines, each matched against its PO line (a credit memo's always match), and what deviates.

    ``units``: each line's quantity and unit price in its PO line's unit (``_in_po_units``), which
    are matched and stored; the amount is the line's as billed.
    """
    invoice_lines: list[InvoiceLine] = []
    findings: list[_Finding] = []
    for given, (quantity, price) in zip(invoice.lines, units, strict=True):
        line = lines[(invoice.po_number, given.line_no)]
        status, found = ("matched", []) if credit else _match(line, price, billed[line.pk], rules, supplier)
        invoice_lines.append(
            InvoiceLine(
                invoice=record,
                po_line=line,
                quantity=quantity,
                unit_price=price,
                amount=(given.quantity * given.unit_price).quantize(CENT, ROUND_HALF_UP),
                charges=[_charge_json(charge, given.quantity * given.unit_price) for charge in given.charges],
                taxes=[_tax_json(tax, given.quantity * given.unit_price) for tax in given.taxes],
                match_status=status,
            )
        )
        findings += [
            _Finding(kind=kind, name=kind, text=text, evidence=evidence, line=line) for kind, text, evidence in found
        ]
        line.match_state = _worst(line.match_state, status)
    return invoice_lines, findings


def _charge_json(charge: inputs.InvoiceChargeInput, base: Decimal) -> dict:
    """An allowance or charge as stored: as sent, with the amount it counts for (a percent of ``base``)."""
    return {
        "indicator": charge.indicator,
        "code": charge.code,
        "amount": str(inputs.charge_amount(charge, base)),
        "percent": str(charge.percent) if charge.percent is not None else None,
        "description": charge.description,
    }


def _tax_json(tax: inputs.InvoiceTaxInput, base: Decimal) -> dict:
    """A tax as stored: as sent, with the amount it counts for (a percent of ``base``)."""
    return {
        "tax_type": tax.tax_type,
        "amount": str(inputs.charge_amount(tax, base)),
        "percent": str(tax.percent) if tax.percent is not None else None,
    }


def _header_findings(invoice: InvoiceInput, order: PurchaseOrder, sums: inputs.InvoiceSums) -> list[_Finding]:
    """Deviations of the invoice as a whole: its currency, and a total that is not what its lines add up to."""
    computed = sums.total
    found: list[tuple[str, str, dict]] = []
    # No currency on the invoice (an 810 without CUR) means the PO's: only a named one can differ.
    if invoice.currency and invoice.currency != order.currency:
        text = f"currency {invoice.currency} differs from the PO's {order.currency}"
        found.append(("currency", text, {"expected": order.currency, "actual": invoice.currency}))
    if invoice.total is not None and invoice.total != computed:
        if sums.adjusted:
            text = (
                f"total {price_text(invoice.total)} does not equal the lines with the charges, allowances and taxes "
                f"{price_text(computed)} (lines {price_text(sums.lines)} + charges {price_text(sums.charges)} "
                f"- allowances {price_text(sums.allowances)} + taxes {price_text(sums.taxes)})"
            )
        else:
            text = f"total {price_text(invoice.total)} does not equal the sum of the lines {price_text(computed)}"
        evidence = {"expected": computed, "actual": invoice.total}
        if sums.adjusted:
            evidence |= {
                "lines": sums.lines,
                "charges": sums.charges,
                "allowances": sums.allowances,
                "taxes": sums.taxes,
            }
        found.append(("total", text, evidence))
    return [
        _Finding(kind=Kind.INVOICE_PRICE_MISMATCH, name=f"invoice_{name}", text=text, evidence=evidence)
        for name, text, evidence in found
    ]


def _draft(
    finding: _Finding,
    invoice: InvoiceInput,
    record: Invoice,
    order: PurchaseOrder,
    supplier: Supplier,
    source: WriteSource,
    now: dt.datetime,
) -> ProcurementException:
    """The buyer's exception for one deviation; the supplier sees the deviation as it is worded on the hold."""
    where = po_label(order.number) + (f" line {finding.line.line_no}" if finding.line is not None else "")
    return exception_draft(
        company=order.company,
        kind=finding.kind,
        severity=Severity.FINANCIAL_MISMATCH,
        dedup_key=finding.dedup_key(record),
        summary=f"Invoice {invoice.invoice_number}, {where}: {finding.text}",
        evidence=finding.evidence | {"invoice": invoice.invoice_number},
        supplier_message=finding.text,
        source=source,
        now=now,
        supplier=supplier,
        po=order,
        po_line=finding.line,
        invoice=record,
    )


def quantity_reference(line: POLine, three_way: bool) -> Decimal:
    """What a line may be invoiced up to: the accepted receipts (3-way) or the ordered quantity (2-way)."""
    if three_way:
        return line.received_quantity - line.rejected_quantity
    return line.quantity


def _match(
    line: POLine, unit_price: Decimal, billed: Decimal, rules: tolerance.RuleSet, supplier: Supplier
) -> tuple[str, list[tuple[str, str, dict]]]:
    company = line.po.company
    found: list[tuple[str, str, dict]] = []
    status = "matched"
    price = tolerance.evaluate(
        rules.limits("invoice_price", supplier_id=supplier.pk, item_id=line.item_id),
        expected=line.unit_price,
        actual=unit_price,
    )
    if price.deviation != 0:
        if price.within:
            status = "within_tolerance"
        else:
            found.append(
                (
                    Kind.INVOICE_PRICE_MISMATCH,
                    f"price {price_text(unit_price)} against PO price {price_text(line.unit_price)}",
                    price.evidence(),
                )
            )
    reference = quantity_reference(line, company.three_way_match)
    total = line.invoiced_quantity + billed
    if total > reference:
        quantity = tolerance.evaluate(
            rules.limits("invoice_quantity", supplier_id=supplier.pk, item_id=line.item_id),
            expected=reference,
            actual=total,
        )
        basis = "received" if company.three_way_match else "ordered"
        if quantity.within:
            status = "within_tolerance"
        else:
            found.append(
                (
                    Kind.INVOICE_QUANTITY_MISMATCH,
                    f"{plain_number(total)} invoiced in all against {plain_number(reference)} {basis}",
                    quantity.evidence() | {"basis": basis},
                )
            )
    return ("exception" if found else status), found


_RANK = {"not_invoiced": 0, "matched": 1, "overridden": 1, "within_tolerance": 2, "exception": 3}


def _worst(current: str, new: str) -> str:
    return max(current, new, key=lambda state: _RANK.get(state, 0))


def _validate(invoice: InvoiceInput) -> None:
    if not invoice.invoice_number:
        raise DocumentRefused("an invoice needs an invoice number", code="invalid")
    if not invoice.lines:
        raise DocumentRefused(f"invoice {invoice.invoice_number} has no lines", code="invalid")
    if invoice.purpose not in (inputs.INVOICE_PURPOSE_INVOICE, inputs.INVOICE_PURPOSE_CREDIT_MEMO):
        raise DocumentRefused(f"invoice {invoice.invoice_number}: unknown purpose {invoice.purpose!r}", code="invalid")
    for line in invoice.lines:
        if line.quantity <= 0 or line.unit_price < 0:
            raise DocumentRefused(
                f"invoice {invoice.invoice_number} line {line.line_no}: "
                "quantity must be positive and price not negative",
                code="invalid",
            )
