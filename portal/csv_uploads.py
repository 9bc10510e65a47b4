"""CSV uploads of acknowledgements and ship notices: read, check every row, then group into documents.

A file is read whole before anything is applied: the person sees every row's error (or what a
row will do) first. Rows with the same PO number make one acknowledgement; rows with the same
ship notice number make one ship notice. Each row is checked by the same form as the portal's
pages, so a CSV row and a form row fail in the same words.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms

from gateway import text_encoding
from gateway.formatting import po_label
from procurement import inputs

from .acknowledge_forms import AckLineForm
from .sscc import SSCCError, sscc_verify

ACK_COLUMNS = (
    "po_number",
    "line_no",
    "response",
    "quantity",
    "unit_price",
    "promised_date",
    "deliveries",
    "substitute_part_number",
    "note",
)
SHIP_COLUMNS = (
    "shipment_id",
    "ship_date",
    "expected_delivery",
    "carrier",
    "tracking_number",
    "po_number",
    "line_no",
    "quantity",
    "uom",
    "sscc",
    "lot",
    "serial",
)
KINDS = {"acknowledgements": ACK_COLUMNS, "ship-notices": SHIP_COLUMNS}
TEMPLATE_ROWS: dict[str, list[tuple[str, ...]]] = {
    "acknowledgements": [
        ("PO-1000", "1", "ACCEPT", "", "", "", "", "", ""),
        ("PO-1000", "2", "CHANGE_QTY", "80", "", "", "", "", ""),
        ("PO-1000", "3", "RESCHEDULE", "", "", "", "40 2027-03-01, 60 2027-03-15", "", ""),
    ],
    "ship-notices": [
        (
            "ASN-1",
            "2027-02-20",
            "2027-02-23",
            "UPS",
            "1Z999",
            "PO-1000",
            "1",
            "40",
            "EA",
            "106141411234567897",
            "L1",
            "",
        ),
    ],
}
MAX_ROWS = 20_000


class FileRefused(ValueError):
    """The file as a whole cannot be read: its words say why and what to do."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass
class Row:
    number: int  # the line in the file (the header is line 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    note: str = ""  # what applying it will do (pre-flight), or did
    parsed: Any = None  # the row's canonical line (acknowledgements) or cleaned fields (ship notices)


@dataclass
class Group:
    """The rows that make one document, and the canonical input they make (None while any row has errors)."""

    key: str
    rows: list[Row]
    document: inputs.AcknowledgementInput | inputs.ShipmentInput | None = None
    refusal: str = ""


def template_csv(kind: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(KINDS[kind])
    writer.writerows(TEMPLATE_ROWS[kind])
    return out.getvalue()


def read_rows(content: bytes, kind: str) -> list[Row]:
    """The file's rows as dicts of its columns; ``FileRefused`` for binary content, an unknown encoding,
    the wrong columns, or too many rows."""
    if not content.removeprefix(codecs.BOM_UTF8).strip():
        raise FileRefused("The file is empty. Start from the template.", "empty")
    if text_encoding.looks_utf16(content[:256]):
        raise FileRefused("It is UTF-16: save it as UTF-8 (“CSV UTF-8”).", "encoding")
    if b"\x00" in content[:65536]:
        raise FileRefused("This is not a CSV text file (it holds binary data). Save it as CSV (UTF-8).", "binary")
    if problem := text_encoding.utf8_problem(content):
        raise FileRefused(f"{problem[0].upper()}{problem[1:]} (“CSV UTF-8”).", "encoding")
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        expected = list(KINDS[kind])
        if header != expected:
            missing = [name for name in expected if name not in header]
            extra = [name for name in header if name not in expected]
            details = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"not expected {', '.join(extra)}" if extra else "",
                    "columns out of order" if not missing and not extra else "",
                )
                if part
            )
            raise FileRefused(
                f"The columns must be exactly: {', '.join(expected)} ({details}). Start from the template.", "columns"
            )
        rows: list[Row] = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileRefused(f"The file has more than {MAX_ROWS} rows; split it into smaller files.", "too_many")
            row = Row(number, dict(zip(expected, (v.strip() for v in values), strict=False)))
            if len(values) != len(expected):
                row.errors.append(f"has {len(values)} values; the header has {len(expected)} columns")
            rows.append(row)
    except csv.Error as error:
        raise FileRefused(f"The file is not valid CSV: {error}.", "malformed") from None
    if not rows:
        raise FileRefused("The file has a header but no rows.", "empty")
    return rows


def acknowledgement_groups(rows: list[Row]) -> list[Group]:
    groups: dict[str, Group] = {}
    for row in rows:
        po = row.values.get("po_number", "")
        if not po:
            row.errors.append("po_number is empty")
        form = AckLineForm({**row.values, "response": row.values.get("response", "").upper()})
        if form.is_valid():
            row.parsed = form.to_input()
        else:
            row.errors += [
                f"{name}: {' '.join(map(str, e))}" if name != "__all__" else " ".join(map(str, e))
                for name, e in form.errors.items()
            ]
        groups.setdefault(po, Group(key=po, rows=[])).rows.append(row)
    for group in groups.values():
        seen: dict[str, int] = {}
        for row in group.rows:
            line_no = row.values.get("line_no", "")
            if line_no in seen:
                row.errors.append(f"line {line_no} of {po_label(group.key)} is already answered on row {seen[line_no]}")
            seen.setdefault(line_no, row.number)
    return list(groups.values())


def acknowledgement_input(group: Group, document_id: str) -> inputs.AcknowledgementInput:
    lines: tuple[inputs.AckLineInput, ...] = tuple(row.parsed for row in group.rows)
    changes = any(line.response != inputs.LINE_ACCEPT for line in lines)
    header = inputs.ACK_ACCEPTED_WITH_CHANGES if changes else inputs.ACK_ACCEPTED
    return inputs.AcknowledgementInput(
        document_id=document_id, po_number=group.key, header=header, lines=lines, raw_code="csv"
    )


class ShipRowForm(forms.Form):
    shipment_id = forms.RegexField(regex=r"^[A-Za-z0-9._/-]{1,30}$")
    ship_date = forms.DateField(input_formats=["%Y-%m-%d"])
    expected_delivery = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    carrier = forms.CharField(required=False, max_length=80)
    tracking_number = forms.CharField(required=False, max_length=80)
    po_number = forms.CharField(max_length=40)
    line_no = forms.CharField(max_length=20)
    quantity = forms.DecimalField(min_value=Decimal("0.000001"), max_digits=24, decimal_places=6)
    uom = forms.CharField(required=False, max_length=8)
    sscc = forms.CharField(required=False, max_length=40)
    lot = forms.CharField(required=False, max_length=40)
    serial = forms.CharField(required=False, max_length=40)

    def clean_sscc(self) -> str:
        text = self.cleaned_data["sscc"]
        if not text:
            return ""
        try:
            return sscc_verify(text)
        except SSCCError as error:
            raise forms.ValidationError(str(error)) from None


HEADER_FIELDS = ("ship_date", "expected_delivery", "carrier", "tracking_number")


def shipment_groups(rows: list[Row]) -> list[Group]:
    groups: dict[str, Group] = {}
    for row in rows:
        form = ShipRowForm(row.values)
        if form.is_valid():
            row.parsed = form.cleaned_data
        else:
            row.errors += [f"{name}: {' '.join(map(str, e))}" for name, e in form.errors.items()]
        groups.setdefault(
            row.values.get("shipment_id", ""), Group(key=row.values.get("shipment_id", ""), rows=[])
        ).rows.append(row)
    for group in groups.values():
        first = group.rows[0]
        for row in group.rows[1:]:
            differing = [name for name in HEADER_FIELDS if row.values.get(name) != first.values.get(name)]
            if differing:
                row.errors.append(
                    f"{', '.join(differing)} differ from row {first.number} of ship notice {group.key}; "
                    "a ship notice's rows must agree on them"
                )
    return list(groups.values())


def shipment_input(group: Group) -> inputs.ShipmentInput:
    cleaned: list[dict[str, Any]] = [row.parsed for row in group.rows]
    first = cleaned[0]
    return inputs.ShipmentInput(
        shipment_id=group.key,
        ship_date=first["ship_date"],
        expected_delivery=first["expected_delivery"],
        carrier=first["carrier"],
        tracking_number=first["tracking_number"],
        packs=tuple(dict.fromkeys(c["sscc"] for c in cleaned if c["sscc"])),
        lines=tuple(
            inputs.ShipmentLineInput(
                po_number=c["po_number"],
                line_no=c["line_no"],
                quantity=c["quantity"],
                uom=c["uom"],
                pack_sscc=c["sscc"],
                lot=c["lot"],
                serial=c["serial"],
            )
            for c in cleaned
        ),
    )
