"""Finding and locking the PO lines a document refers to, refusing it whole when one is unknown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

from gateway.formatting import po_label
from procurement import inputs
from procurement.models import Company, POLine, ProcurementException
from suppliers.models import Supplier

from . import compiled
from .errors import DocumentRefused
from .locking import lock_po_lines, lock_po_lines_query
from .refusals import refusal_recorded
from .sources import WriteSource

Kind = ProcurementException.Kind


def supplier_lines(supplier: Supplier, company_code: str = "", source: WriteSource | None = None) -> QuerySet[POLine]:
    """The supplier's PO lines, narrowed to one buying company when the document names it, and to
    the company its payload was received for (an EDI partner's, a system key's): a supplier that
    sells to several companies reaches through that channel only that company's POs, and another
    company's PO is not known, exactly like a missing one."""
    query = POLine.objects.filter(po__supplier=supplier)
    if source is not None and source.document is not None and source.document.company_id is not None:
        query = query.filter(po__company_id=source.document.company_id)
    return query.filter(po__company__code=company_code) if company_code else query


def supplier_lines_shape(
    supplier: Supplier, company_code: str = "", source: WriteSource | None = None
) -> tuple[str, list[Any]]:
    """What names the shape of ``supplier_lines``'s query, and its filter values in SQL order
    (for ``lines_locked``, which compiles its lock once per shape: ``compiled.fetch``)."""
    company_id = source.document.company_id if source is not None and source.document is not None else None
    values = [supplier.pk, *([company_id] if company_id is not None else []), *([company_code] if company_code else [])]
    return f"{company_id is not None}:{bool(company_code)}", values


def refusal_company(*, supplier: Supplier, source: WriteSource, named: str = "") -> Company | None:
    """The company a refusal is filed under when a document names no known PO.

    The one its payload concerns (the EDI partner's or the sending system's company), else the one
    the document names, else the company of the supplier's first PO.
    """
    if source.document is not None and source.document.company_id is not None:
        return source.document.company
    if named and (company := Company.objects.filter(code=named).first()) is not None:
        return company
    first = supplier.orders.select_related("company").first()
    return first.company if first else None


def _value(number: str) -> int | None:
    """A line number's value when it is written in ASCII digits only (``²`` and ``１`` are no line 1)."""
    return int(number) if number.isascii() and number.isdigit() else None


class LineNumbers:
    """The lines of some POs by their own numbers and by the value of numeric ones, built once for
    the look-ups of a document's lines (a scan per look-up is quadratic in a long PO)."""

    def __init__(self, lines: Iterable[POLine]) -> None:
        self.exact: dict[tuple[str, str], POLine] = {}
        self.by_value: dict[tuple[str, int], list[POLine]] = {}
        for line in lines:
            self.exact[(line.po.number, line.line_no)] = line
            value = _value(line.line_no)
            if value is not None:
                self.by_value.setdefault((line.po.number, value), []).append(line)

    def find(self, po: str, number: str) -> POLine | None:
        line = self.exact.get((po, number))
        if line is not None:
            return line
        value = _value(number)
        same = self.by_value.get((po, value), []) if value is not None else []
        return same[0] if len(same) == 1 else None


def _named_as(found: dict[tuple[str, str], POLine], line: POLine) -> str:
    return next(no for (_, no), other in found.items() if other is line)


def lines_locked(
    *,
    query: QuerySet[POLine] | Callable[[], QuerySet[POLine]],
    wanted: list[tuple[str, str]],
    source: WriteSource,
    supplier: Supplier | None = None,
    company: Company | None = None,
    named_company: str = "",
    document: str,
    shape: tuple[str, list[Any]] | None = None,
) -> dict[tuple[str, str], POLine]:
    """The lines named by (PO number, line number) pairs, their POs locked; unknown ones refuse the document.

    ``shape``: ``query``'s (``supplier_lines_shape``), so the lock's SQL is compiled once per shape;
    ``query`` may then be a function that builds it, called only when the shape is compiled.
    """
    return lines_locked_with(
        query=query,
        wanted=wanted,
        source=source,
        supplier=supplier,
        company=company,
        named_company=named_company,
        document=document,
        shape=shape,
    )[0]


def lines_locked_with(
    *,
    query: QuerySet[POLine] | Callable[[], QuerySet[POLine]],
    wanted: list[tuple[str, str]],
    source: WriteSource,
    supplier: Supplier | None = None,
    company: Company | None = None,
    named_company: str = "",
    document: str,
    shape: tuple[str, list[Any]] | None = None,
    also: compiled.Query | None = None,
) -> tuple[dict[tuple[str, str], POLine], list[Any]]:
    """``lines_locked``, and the rows of ``also`` (a compiled read: the same document received
    before), read right after the lock is granted, in its own statement, but sent with the lock
    when ``shape`` is given: one round trip for both, as an acknowledgement's look-up is."""
    build = query if callable(query) else lambda: query
    numbers = sorted({po for po, _ in wanted})
    if shape is None:
        lines = lock_po_lines(build().filter(po__number__in=numbers))
        rows = compiled.fetch(*also) if also is not None else []
    else:
        lock = (
            f"lines_locked:{shape[0]}:{len(numbers)}",
            lambda: lock_po_lines_query(build().filter(po__number__in=numbers)),
            [*shape[1], *numbers],
        )
        lines, rows = compiled.fetch_together(lock, also) if also is not None else (compiled.fetch(*lock), [])
    return _lines_found(lines, wanted, source, supplier, company, named_company, document), rows


def _lines_found(
    lines: list[POLine],
    wanted: list[tuple[str, str]],
    source: WriteSource,
    supplier: Supplier | None,
    company: Company | None,
    named_company: str,
    document: str,
) -> dict[tuple[str, str], POLine]:
    companies = {line.po.company_id for line in lines}
    if len(companies) > 1:
        raise DocumentRefused(
            f"{document}: its PO numbers exist for several companies; name the company", code="ambiguous_po"
        )
    found = {(line.po.number, line.line_no): line for line in lines}
    # A line the document names by the same number written otherwise (``0001`` for ``1``) is found
    # under the document's number instead of its own: each line is under one key, whatever it is.
    by_number, named = LineNumbers(lines), set(wanted)
    for po, no in sorted(named):
        if (po, no) not in found and (same := by_number.find(po, no)) is not None:
            if (po, same.line_no) in named or found.pop((po, same.line_no), None) is None:
                raise DocumentRefused(
                    f"{document}: {po_label(po)} line {same.line_no} is named in two ways "
                    f"({same.line_no if (po, same.line_no) in named else _named_as(found, same)} and {no})",
                    code="invalid",
                )
            found[(po, no)] = same
    known_pos = {line.po.number for line in lines}
    missing_pos = sorted({po for po, _ in wanted if po not in known_pos})
    missing_lines = sorted(f"{po}/{no}" for po, no in wanted if po in known_pos and (po, no) not in found)
    if not missing_pos and not missing_lines:
        return found
    company = lines[0].po.company if lines else company
    if company is None and supplier is not None:
        company = refusal_company(supplier=supplier, source=source, named=named_company)
    if missing_pos:
        message = f"{document}: {', '.join(po_label(po) for po in missing_pos)} is not known"
        kind, code = Kind.UNKNOWN_PO, "unknown_po"
    else:
        message = f"{document}: no such PO line {', '.join(missing_lines)}"
        kind, code = Kind.UNKNOWN_LINE, "unknown_line"
    if company is None:
        raise DocumentRefused(message, code=code)
    lacking = None
    if not missing_pos:
        first_missing = next(po for po, no in wanted if (po, no) not in found)
        lacking = next(line.po for line in lines if line.po.number == first_missing)
    if missing_pos and supplier is not None:
        # One open exception per supplier and company, whichever PO numbers its documents name.
        evidence: dict | None = {"refused": message, "po_numbers": missing_pos}
        dedup_key = unknown_po_key(company, supplier)
    else:
        # The same notice sent again must not raise the same exception again.
        # A system's document (a receipt) naming an unknown PO is one exception of its own.
        missing = ",".join(missing_pos or missing_lines)
        evidence, dedup_key = None, f"{code}:{(supplier or company).pk}:{document}:{missing}"
    raise refusal_recorded(
        source=source,
        company=company,
        supplier=supplier,
        po=lacking,
        kind=kind,
        code=code,
        message=message,
        evidence=evidence,
        dedup_key=dedup_key,
    )


def unknown_po_key(company: Company, supplier: Supplier) -> str:
    """The dedup key of the one open exception a supplier's documents naming unknown POs join.

    Per supplier and buying company rather than per PO number or document: a supplier repeating a
    wrong number, or trying many, is one line in the buyer's queue, counted
    (in its evidence); each document keeps its own refusal and audit row.
    Once the buyer resolves it, the next such document opens a new one.
    """
    return f"unknown_po:{company.pk}:supplier:{supplier.pk}"


D = TypeVar("D", inputs.InvoiceInput, inputs.ShipmentInput)


@dataclass(frozen=True)
class Numbered(Generic[D]):
    """A document with every line numbered (``lines_numbered``); ``received``: its fingerprint as it came,
    when some line named its PO line by part alone; ``same``: the record it already made as it came."""

    document: D
    received: str | None = None
    same: Model | None = None


def lines_numbered(
    given: D,
    *,
    po_number: Callable[[Any], str],
    prior: QuerySet,
    document: str,
    supplier: Supplier,
    source: WriteSource,
) -> Numbered[D]:
    """``given`` (an invoice or a ship notice) with each line that names its PO line by the buyer's part
    alone given that line's number, among ``supplier``'s lines at the company it names
    (``numbered_by_part``; ``po_number``: the PO a line is on).

    Such a document is fingerprinted as received: sent again once the PO has gained a second line for a
    part, it is still the same document, a duplicate, though its parts no longer name one line each. So
    the record ``prior`` holds under its number is looked up first, once, before the lines are numbered:
    with the fingerprint as received it is ``same``, and nothing is numbered.
    """
    unnumbered = [(po_number(line), line.part_number) for line in given.lines if not line.line_no.strip()]
    if not unnumbered:
        return Numbered(given)
    received = inputs.fingerprint(given)
    same = prior.order_by("pk").first()
    if same is not None and same.fingerprint == received:
        return Numbered(given, received, same)
    numbers = numbered_by_part(
        query=lambda: supplier_lines(supplier, given.company, source),
        unnumbered=unnumbered,
        document=document,
        supplier=supplier,
        source=source,
    )
    lines = tuple(
        dataclasses.replace(line, line_no=numbers.get((po_number(line), line.part_number.strip()), ""))
        if not line.line_no.strip()
        else line
        for line in given.lines
    )
    return Numbered(dataclasses.replace(given, lines=lines), received)


def numbered_by_part(
    *,
    query: Callable[[], QuerySet[POLine]],
    unnumbered: list[tuple[str, str]],
    document: str,
    supplier: Supplier,
    source: WriteSource,
) -> dict[tuple[str, str], str]:
    """The PO line numbers of the lines a document names by the buyer's part alone (``unnumbered``:
    PO number and part, as partners' invoices and retail ship notices name a line without its number).

    A part must be on exactly one live line of its PO: on none, or on several (the same part needed
    on two dates), which line the sender meant is not known and the document is refused saying so.
    A cancelled line is no line the sender can mean: a part cancelled on line 1 and ordered again on
    line 3 is line 3's. A PO that is not known is left to ``lines_locked``, which refuses it as for
    any document.
    """
    if any(not part.strip() for _, part in unnumbered):
        raise DocumentRefused(f"{document}: a line names neither a line number nor a part", code="invalid")
    pos = sorted({po for po, _ in unnumbered})
    on: dict[tuple[str, str], list[str]] = {}
    known: set[str] = set()
    for po, part, line_no, cancelled in (
        query()
        .filter(po__number__in=pos)
        .order_by("pk")
        .values_list("po__number", "item__part_number", "line_no", "cancelled")
    ):
        known.add(po)
        if not cancelled:
            on.setdefault((po, part), []).append(line_no)
    unknown: list[tuple[str, str]] = []
    ambiguous: list[tuple[str, str]] = []
    refused: list[str] = []
    for po, part in dict.fromkeys((po, part.strip()) for po, part in unnumbered):
        found = on.get((po, part), [])
        if po not in known or len(found) == 1:
            continue
        refused.append(f"{po}/{part}")
        if found:
            ambiguous.append((po, f"{po_label(po)} has lines {', '.join(found)} for part {part}"))
        else:
            unknown.append((po, f"{po_label(po)} has no line for part {part}"))
    if not unknown and not ambiguous:
        return {(po, part): lines[0] for (po, part), lines in on.items() if len(lines) == 1}
    said = "; ".join(text for _, text in [*unknown, *ambiguous])
    order = query().filter(po__number=[*unknown, *ambiguous][0][0]).select_related("po__company").first()
    assert order is not None  # a known PO has lines
    kind, code = (Kind.UNKNOWN_LINE, "unknown_line") if unknown else (Kind.INVALID_DOCUMENT, "ambiguous_line")
    raise refusal_recorded(
        source=source,
        company=order.po.company,
        supplier=supplier,
        po=order.po,
        kind=kind,
        code=code,
        message=f"{document}: {said}, and it names no line number; nothing was applied",
        evidence={"refused": f"{document} names lines by part", "unnumbered": [[po, part] for po, part in unnumbered]},
        # Per PO and parts named, as for a line number not on the PO: two companies' refusals (or two
        # POs') are two exceptions, each for its own buyer.
        dedup_key=f"{code}:{order.po.pk}:{supplier.pk}:{document}:{','.join(sorted(refused))}",
    )


def other_parts_refused(
    *,
    named: list[tuple[str, str, str]],
    lines: dict[tuple[str, str], POLine],
    document: str,
    supplier: Supplier,
    source: WriteSource,
) -> None:
    """Refuse a document that names, on a line, a part other than the line's (``named``: PO number,
    line number, part as the document names it; an empty part names none).

    Lines are matched by number; a part that differs says the document was written for another
    line, so applying it to the line of that number would ship or bill what was not meant.
    """
    wrong = list(
        dict.fromkeys(
            (po, no, part.strip())
            for po, no, part in named
            if part.strip() and part.strip() != lines[(po, no)].item.part_number
        )
    )
    if not wrong:
        return
    order = lines[(wrong[0][0], wrong[0][1])].po
    said = "; ".join(
        f"{po_label(po)} line {no} is part {lines[(po, no)].item.part_number}, the document names {part}"
        for po, no, part in wrong
    )
    raise refusal_recorded(
        source=source,
        company=order.company,
        supplier=supplier,
        po=order,
        kind=Kind.INVALID_DOCUMENT,
        code="part_mismatch",
        message=f"{document}: {said}; nothing was applied",
        evidence={
            "refused": f"{document} names other parts",
            "lines": [
                {"po": po, "line": no, "expected": lines[(po, no)].item.part_number, "actual": part}
                for po, no, part in wrong
            ],
        },
        dedup_key=f"part_mismatch:{order.pk}:{supplier.pk}:{document}",
    )
