"""The ship notice builder's forms: open lines to one ship-to, packs with SSCC-18, lots and serials."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils import timezone

from gateway.formatting import po_label
from procurement import inputs
from procurement.models import POLine
from procurement.models.fields import QUANTITY_LIMIT

from .sscc import SSCCError, sscc_make, sscc_verify

MAX_PACKS = 6
PACK_FIELDS = [f"pack_{n}" for n in range(1, MAX_PACKS + 1)]
PACK_NUMBERS = {str(n) for n in range(1, MAX_PACKS + 1)}


class ShipHeaderForm(forms.Form):
    """The notice's header and its packs: an SSCC per pack slot, typed or generated from a GS1 prefix."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    shipment_id = forms.RegexField(
        regex=r"^[A-Za-z0-9._/-]{1,30}$",
        label="Ship notice number",
        error_messages={"invalid": "Use up to 30 letters, digits and . _ / -"},
    )
    ship_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    expected_delivery = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    carrier = forms.CharField(required=False, max_length=80)
    tracking_number = forms.CharField(required=False, max_length=80)
    bill_of_lading = forms.CharField(required=False, max_length=30, label="Bill of lading")
    company_prefix = forms.RegexField(
        required=False,
        regex=r"^\d{7,10}$",
        label="GS1 company prefix",
        error_messages={"invalid": "A GS1 company prefix is 7 to 10 digits."},
    )
    next_serial = forms.IntegerField(required=False, min_value=0, max_value=10**9 - 1, label="Next SSCC serial")
    pack_count = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(n, str(n)) for n in range(1, MAX_PACKS + 1)],
        label="Packs to generate",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for n, name in enumerate(PACK_FIELDS, start=1):
            self.fields[name] = forms.CharField(required=False, max_length=40, label=f"Pack {n} SSCC")

    def clean(self) -> dict:
        data = super().clean() or {}
        seen: dict[str, str] = {}
        for name in PACK_FIELDS:
            text = (data.get(name) or "").strip()
            if not text:
                data[name] = ""
                continue
            try:
                code = sscc_verify(text)
            except SSCCError as error:
                self.add_error(name, str(error))
                continue
            if code in seen:
                self.add_error(name, f"The same SSCC is already on {self.fields[seen[code]].label}.")
                continue
            data[name], seen[code] = code, name
        return data

    def generated(self) -> dict[str, str]:
        """The form's data with each empty pack slot given the next SSCC under the company prefix."""
        data = {key: self.data.get(key, "") for key in self.data}
        prefix = self.cleaned_data.get("company_prefix")
        serial = self.cleaned_data.get("next_serial")
        if not prefix or serial is None:
            return data
        for name in PACK_FIELDS[: self.cleaned_data.get("pack_count") or 1]:
            if not (self.data.get(name) or "").strip():
                try:
                    data[name] = sscc_make(extension=0, company_prefix=prefix, serial=serial)
                except SSCCError:
                    break
                serial += 1
        data["next_serial"] = str(serial)
        return data


class ShipLineForm(forms.Form):
    """One open PO line: ship it or not, how much, in which pack, with which lot and serials."""

    line_id = forms.IntegerField(widget=forms.HiddenInput)
    ship = forms.BooleanField(required=False)
    quantity = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_value=QUANTITY_LIMIT - 1, max_digits=24, decimal_places=6
    )
    pack = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "No pack")] + [(n, f"Pack {n}") for n in range(1, MAX_PACKS + 1)],
    )
    lot = forms.CharField(required=False, max_length=40)
    serials = forms.CharField(required=False, max_length=4000, help_text="Serial numbers, separated by commas")

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("ship"):
            return data
        quantity = data.get("quantity")
        if quantity is None or quantity <= 0:
            self.add_error("quantity", "Give the quantity you ship.")
            return data
        serials = [s.strip() for s in (data.get("serials") or "").split(",") if s.strip()]
        if any(len(s) > 40 for s in serials):
            self.add_error("serials", "A serial number has at most 40 characters.")
        elif serials and Decimal(len(serials)) != quantity:
            self.add_error("serials", f"{len(serials)} serial numbers for a quantity of {quantity.normalize():f}.")
        elif len(set(serials)) != len(serials):
            self.add_error("serials", "A serial number is listed twice.")
        data["serial_list"] = serials
        return data


ShipLineFormSet = forms.formset_factory(ShipLineForm, extra=0, max_num=500, absolute_max=500, validate_max=True)
ROW_FIELDS = ("line_id", "ship", "quantity", "pack", "lot", "serials")


def row_number(text: object) -> int | None:
    """A row index or a line id as posted: plain ASCII digits, at most 18 of them; else None."""
    value = str(text or "")
    if not (0 < len(value) <= 18 and value.isascii() and value.isdigit()):
        return None
    return int(value)


def rows_with_pack_added(data: QueryDict, index: int, open_ids: set[int]) -> tuple[list[dict[str, str]], str]:
    """The builder's rows as posted, with one more row for the line of row ``index`` right after that
    line's rows: the same line shipped in one more pack (its own quantity, pack, lot and serials).

    The new row is ticked and set to the next pack after the ones that line's rows use. Returns the
    rows as initial data and, when nothing could be added, why (the line is already in every pack,
    or the row is unknown or not one of ``open_ids``, the lines the person may ship).
    """
    rows = _posted_rows(data)
    if not 0 <= index < len(rows) or row_number(rows[index]["line_id"]) not in open_ids:
        return rows, "That line is not in the builder any more; open the builder again."
    line_id = rows[index]["line_id"]
    own = [n for n, row in enumerate(rows) if row["line_id"] == line_id]
    if len(own) >= MAX_PACKS:
        return rows, f"A line can be split over at most {MAX_PACKS} packs."
    if len(rows) >= ShipLineFormSet.absolute_max:
        return rows, "The builder has as many rows as it can take."
    packs = [int(row["pack"]) for n, row in enumerate(rows) if n in own and row["pack"] in PACK_NUMBERS]
    following = max(packs) + 1 if packs else None
    pack = str(following) if following is not None and following <= MAX_PACKS else ""
    if not rows[index]["ship"]:
        rows[index]["ship"] = "on"
    rows.insert(own[-1] + 1, {"line_id": line_id, "ship": "on", "quantity": "", "pack": pack, "lot": "", "serials": ""})
    return rows, ""


def rows_with_pack_removed(data: QueryDict, index: int) -> tuple[list[dict[str, str]], str]:
    """The builder's rows as posted, without row ``index``: a row added for one more pack of a line.

    A line's first row stays (unticking it leaves the line out). Returns the rows as initial data and,
    when nothing was removed, why.
    """
    rows = _posted_rows(data)
    if not 0 <= index < len(rows) or rows[index]["line_id"] not in {row["line_id"] for row in rows[:index]}:
        return rows, "That pack row is not in the builder any more; open the builder again."
    del rows[index]
    return rows, ""


def _posted_rows(data: QueryDict) -> list[dict[str, str]]:
    prefix = ShipLineFormSet().prefix
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", "0")), ShipLineFormSet.absolute_max)
    except ValueError:
        total = 0
    return [{name: data.get(f"{prefix}-{n}-{name}", "") for name in ROW_FIELDS} for n in range(total)]


def shipment_input(
    header: ShipHeaderForm, rows: list[ShipLineForm], lines: dict[int, POLine]
) -> tuple[inputs.ShipmentInput | None, list[str]]:
    """The canonical ship notice from valid forms, or the reasons it cannot be one.

    ``lines`` are the open lines the person may ship (by id): a row naming any other is refused.
    """
    data, errors = header.cleaned_data, []
    slots = {n: data[name] for n, name in enumerate(PACK_FIELDS, start=1) if data.get(name)}
    # A slot no chosen line is packed in is not a pack of this shipment.
    used = {row.cleaned_data.get("pack") for row in rows if row.cleaned_data.get("ship")}
    packs = {n: sscc for n, sscc in slots.items() if n in used}
    built: list[inputs.ShipmentLineInput] = []
    company = ""
    for row in rows:
        given = row.cleaned_data
        if not given.get("ship"):
            continue
        line = lines.get(given["line_id"])
        if line is None:
            errors.append("A chosen line is not open for shipping to this ship-to any more; open the builder again.")
            continue
        company = line.po.company.code
        pack = given.get("pack")
        if pack is not None and pack not in slots:
            errors.append(f"{po_label(line.po.number)} line {line.line_no} is in pack {pack}, which has no SSCC.")
            continue
        common = {
            "po_number": line.po.number,
            "line_no": line.line_no,
            "uom": line.uom,
            "part_number": line.item.part_number,
            "pack_sscc": packs.get(pack, "") if pack is not None else "",
            "lot": given.get("lot", ""),
        }
        serials = given.get("serial_list") or []
        if serials:
            built += [inputs.ShipmentLineInput(quantity=Decimal("1"), serial=s, **common) for s in serials]
        else:
            built.append(inputs.ShipmentLineInput(quantity=given["quantity"], **common))
    if not built and not errors:
        errors.append("Choose at least one line to ship.")
    if errors:
        return None, errors
    return (
        inputs.ShipmentInput(
            shipment_id=data["shipment_id"],
            ship_date=data["ship_date"],
            expected_delivery=data.get("expected_delivery"),
            carrier=data.get("carrier", ""),
            tracking_number=data.get("tracking_number", ""),
            bill_of_lading=data.get("bill_of_lading", ""),
            packs=tuple(packs.values()),
            company=company,
            lines=tuple(built),
        ),
        [],
    )


def today() -> str:
    return timezone.localdate().isoformat()
