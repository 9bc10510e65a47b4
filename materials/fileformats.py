"""PLM and ERP exports as the file drop reads them: JSON Lines (items and releases) and CSV (releases).

Plain Python, no Django: each line or group of rows becomes the same canonical input
(``materials.inputs``) the system API gives the services, or a ``FormatError`` that says which
field is wrong and why. Unknown fields are refused rather than ignored, so a typo in an export
(``quantiy_per``) is a refused line with its name, not a component quietly taken at a default.

JSON Lines: one object per line with ``kind`` ``"item"`` or ``"release"``; the other fields are
those of the system API's item and release bodies, without ``company`` (the folder says whose).

CSV: one row per component, the release's own columns repeated on each of its rows, rows of one
release sharing a ``release_id`` (they need not be adjacent). See ``CSV_COLUMNS``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from materials import inputs

BOM_TYPES = ("engineering", "manufacturing")
STATUSES = ("engineering_released", "approved_for_production")
MAKE_OR_BUY = ("make", "buy")
# The largest quantity the record keeps (procurement's QUANTITY_LIMIT): 10^12.
QUANTITY_LIMIT = Decimal(10) ** 12
MAX_COMPONENTS = 2000
MAX_JSON_LINE_BYTES = 1024 * 1024

# The CSV columns, in the order an export usually writes them; the header row names them (any order).
RELEASE_COLUMNS = (
    "release_id",
    "bom_type",
    "parent_part_number",
    "revision",
    "previous_revision",
    "status",
    "base_quantity",
    "plants",
)
COMPONENT_COLUMNS = (
    "position",
    "part_number",
    "quantity_per",
    "uom",
    "scrap_factor",
    "phantom",
    "alternate_group",
    "alternate_priority",
    "valid_from",
    "valid_to",
)
CSV_COLUMNS = RELEASE_COLUMNS + COMPONENT_COLUMNS
CSV_REQUIRED = ("release_id", "bom_type", "parent_part_number", "revision", "status", "position", "part_number")


class FormatError(ValueError):
    """A line or release that cannot be read: ``field`` names where (``components[2].quantity_per``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Unit:
    """One thing an export carries: an item, a release, or what could not be read of one.

    ``raw`` is its bytes as exported (a JSON line; a release's CSV rows under the header), kept
    with it whatever becomes of it. ``where`` says where it was in the file (``line 4``, ``rows 2-51``).
    """

    kind: str  # "item" | "release"
    where: str
    key: str  # the part number or release id, as far as it could be read
    raw: bytes
    item: inputs.ItemInput | None = None
    release: inputs.BomReleaseInput | None = None
    error: str = ""


# Fields --------------------------------------------------------------------------------------


def _text(obj: dict, name: str, max_length: int, *, required: bool = True, prefix: str = "") -> str:
    """Text as the record keeps it: trimmed, at most ``max_length``; required unless said otherwise."""
    value = obj.get(name)
    if value is None or value == "":
        if required:
            raise FormatError(prefix + name, "is required")
        return ""
    if not isinstance(value, str):
        raise FormatError(prefix + name, f"must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise FormatError(prefix + name, "is required")
    if len(value) > max_length:
        raise FormatError(prefix + name, f"is longer than {max_length} characters")
    return value


def _choice(obj: dict, name: str, choices: tuple[str, ...], *, default: str | None = None, prefix: str = "") -> str:
    value = _text(obj, name, 40, required=default is None, prefix=prefix) or default
    if value not in choices:
        raise FormatError(prefix + name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _decimal(
    obj: dict, name: str, *, default: Decimal | None = None, positive: bool = False, places: int = 4, prefix: str = ""
) -> Decimal | None:
    """A quantity (four decimal places, as the record keeps it) or, with ``places=6``, a factor."""
    value = obj.get(name)
    if value is None or value == "":
        if default is None and positive:
            raise FormatError(prefix + name, "is required")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FormatError(prefix + name, f"must be a number, not {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise FormatError(prefix + name, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise FormatError(prefix + name, f"{value!r} is not a number")
    if number < 0 or (positive and number == 0):
        raise FormatError(prefix + name, f"must be {'greater than' if positive else 'at least'} 0, not {value}")
    if number >= QUANTITY_LIMIT:
        raise FormatError(prefix + name, f"{value} is larger than the record keeps")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]  # finite: an int exponent
        raise FormatError(prefix + name, f"{value} has more than {places} decimal places")
    return number


def _int(obj: dict, name: str, *, default: int | None = None, prefix: str = "") -> int | None:
    value = obj.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise FormatError(prefix + name, "must be a whole number")
    if isinstance(value, str):
        value = value.strip()
        # str.isdigit() also accepts "²", which int() refuses, and int() refuses over 4,300 digits.
        if not re.fullmatch(r"-?[0-9]+", value):
            raise FormatError(prefix + name, f"{value!r} is not a whole number")
        if len(value) > 7:
            raise FormatError(prefix + name, f"must be a whole number from 0 to 100000, not {value!r}")
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= 100_000:
        raise FormatError(prefix + name, f"must be a whole number from 0 to 100000, not {value!r}")
    return value


def _date(obj: dict, name: str, *, prefix: str = "") -> dt.date | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FormatError(prefix + name, f"must be a date (YYYY-MM-DD), not {type(value).__name__}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FormatError(prefix + name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _bool(obj: dict, name: str, *, prefix: str = "") -> bool:
    value = obj.get(name)
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "y", "x"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "n"):
        return False
    raise FormatError(prefix + name, f"{value!r} is not true or false")


def _list(obj: dict, name: str, *, prefix: str = "", max_length: int = MAX_COMPONENTS) -> list[dict]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(prefix + name, "must be a list")
    if len(value) > max_length:
        raise FormatError(prefix + name, f"has {len(value)} entries; at most {max_length} are taken")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise FormatError(f"{prefix}{name}[{index}]", "must be an object")
    return value


def _no_unknown(obj: dict, known: set[str], prefix: str = "") -> None:
    unknown = sorted(set(obj) - known)
    if unknown:
        raise FormatError(prefix + unknown[0], "is not a known field")


def _window(start: dt.date | None, end: dt.date | None, field: str) -> None:
    if start is not None and end is not None and end < start:
        raise FormatError(field, f"ends ({end}) before it starts ({start})")


# Items -------------------------------------------------------------------------------------------

ITEM_FIELDS = {
    "part_number",
    "description",
    "base_uom",
    "category",
    "make_or_buy",
    "lead_time_days",
    "moq",
    "order_multiple",
    "safety_stock",
    "max_lot",
    "inspection_days",
    "conversions",
    "plants",
    "approved_suppliers",
}
ITEM_PLANT_FIELDS = {
    "plant_code",
    "lead_time_days",
    "safety_stock",
    "moq",
    "order_multiple",
    "max_lot",
    "inspection_days",
}


def item_from(obj: dict) -> inputs.ItemInput:
    """An item master record as ``ItemInput``; ``FormatError`` names the first field that is wrong."""
    _no_unknown(obj, ITEM_FIELDS)
    conversions = []
    for index, entry in enumerate(_list(obj, "conversions", max_length=100)):
        at = f"conversions[{index}]."
        _no_unknown(entry, {"uom", "factor"}, at)
        factor = _decimal(entry, "factor", positive=True, places=6, prefix=at)
        assert factor is not None
        conversions.append(inputs.UomConversionInput(uom=_text(entry, "uom", 8, prefix=at), factor=factor))
    plants = []
    for index, entry in enumerate(_list(obj, "plants", max_length=200)):
        at = f"plants[{index}]."
        _no_unknown(entry, ITEM_PLANT_FIELDS, at)
        plants.append(
            inputs.ItemPlantInput(
                plant_code=_text(entry, "plant_code", 32, prefix=at),
                lead_time_days=_int(entry, "lead_time_days", prefix=at),
                safety_stock=_decimal(entry, "safety_stock", prefix=at),
                moq=_decimal(entry, "moq", prefix=at),
                order_multiple=_decimal(entry, "order_multiple", prefix=at),
                max_lot=_decimal(entry, "max_lot", prefix=at),
                inspection_days=_int(entry, "inspection_days", prefix=at),
            )
        )
    suppliers = []
    for index, entry in enumerate(_list(obj, "approved_suppliers", max_length=200)):
        at = f"approved_suppliers[{index}]."
        _no_unknown(entry, {"supplier_code", "supplier_part_number", "priority", "lead_time_days", "moq"}, at)
        suppliers.append(
            inputs.ApprovedSupplierInput(
                supplier_code=_text(entry, "supplier_code", 32, prefix=at),
                supplier_part_number=_text(entry, "supplier_part_number", 64, required=False, prefix=at),
                priority=_int(entry, "priority", default=1, prefix=at) or 0,
                lead_time_days=_int(entry, "lead_time_days", prefix=at),
                moq=_decimal(entry, "moq", prefix=at),
            )
        )
    return inputs.ItemInput(
        part_number=_text(obj, "part_number", 64),
        description=_text(obj, "description", 300, required=False),
        base_uom=_text(obj, "base_uom", 8, required=False) or "EA",
        category=_text(obj, "category", 64, required=False),
        make_or_buy=_choice(obj, "make_or_buy", MAKE_OR_BUY, default="buy"),
        lead_time_days=_int(obj, "lead_time_days", default=0) or 0,
        moq=_decimal(obj, "moq", default=Decimal(1)) or Decimal(1),
        order_multiple=_decimal(obj, "order_multiple", default=Decimal(1)) or Decimal(1),
        safety_stock=_decimal(obj, "safety_stock", default=Decimal(0)) or Decimal(0),
        max_lot=_decimal(obj, "max_lot"),
        inspection_days=_int(obj, "inspection_days", default=0) or 0,
        conversions=tuple(conversions),
        plants=tuple(plants),
        approved_suppliers=tuple(suppliers),
    )


# Releases ---------------------------------------------------------------------------------------

RELEASE_FIELDS = {
    "bom_type",
    "release_id",
    "parent_part_number",
    "revision",
    "previous_revision",
    "status",
    "base_quantity",
    "effectivity",
    "components",
}
EFFECTIVITY_FIELDS = {"plant_code", "valid_from", "valid_to", "serial_from", "serial_to"}
COMPONENT_FIELDS = set(COMPONENT_COLUMNS)


def effectivity_from(entry: dict, at: str = "") -> inputs.EffectivityInput:
    _no_unknown(entry, EFFECTIVITY_FIELDS, at)
    valid_from, valid_to = _date(entry, "valid_from", prefix=at), _date(entry, "valid_to", prefix=at)
    _window(valid_from, valid_to, at + "valid_to")
    return inputs.EffectivityInput(
        plant_code=_text(entry, "plant_code", 32, prefix=at),
        valid_from=valid_from,
        valid_to=valid_to,
        serial_from=_text(entry, "serial_from", 64, required=False, prefix=at) or None,
        serial_to=_text(entry, "serial_to", 64, required=False, prefix=at) or None,
    )


def component_from(entry: dict, at: str = "") -> inputs.BomComponentInput:
    _no_unknown(entry, COMPONENT_FIELDS, at)
    valid_from, valid_to = _date(entry, "valid_from", prefix=at), _date(entry, "valid_to", prefix=at)
    _window(valid_from, valid_to, at + "valid_to")
    quantity_per = _decimal(entry, "quantity_per", positive=True, prefix=at)
    assert quantity_per is not None
    return inputs.BomComponentInput(
        position=_text(entry, "position", 32, prefix=at),
        part_number=_text(entry, "part_number", 64, prefix=at),
        quantity_per=quantity_per,
        uom=_text(entry, "uom", 8, required=False, prefix=at),
        scrap_factor=_decimal(entry, "scrap_factor", default=Decimal(0), places=6, prefix=at) or Decimal(0),
        phantom=_bool(entry, "phantom", prefix=at),
        alternate_group=_text(entry, "alternate_group", 32, required=False, prefix=at),
        alternate_priority=_int(entry, "alternate_priority", default=0, prefix=at) or 0,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def release_from(obj: dict, *, company_code: str, source_system: str) -> inputs.BomReleaseInput:
    """A BOM release as ``BomReleaseInput``; ``FormatError`` names the first field that is wrong."""
    _no_unknown(obj, RELEASE_FIELDS)
    effectivity = tuple(
        effectivity_from(entry, f"effectivity[{index}].")
        for index, entry in enumerate(_list(obj, "effectivity", max_length=200))
    )
    components = tuple(
        component_from(entry, f"components[{index}].") for index, entry in enumerate(_list(obj, "components"))
    )
    positions = [c.position for c in components]
    duplicated = sorted({p for p in positions if positions.count(p) > 1})
    if duplicated:
        raise FormatError("components", f"position {duplicated[0]} is given twice")
    base_quantity = _decimal(obj, "base_quantity", default=Decimal(1), positive=True)
    assert base_quantity is not None
    return inputs.BomReleaseInput(
        company_code=company_code,
        source_system=source_system,
        bom_type=_choice(obj, "bom_type", BOM_TYPES),
        release_id=_text(obj, "release_id", 120),
        parent_part_number=_text(obj, "parent_part_number", 64),
        revision=_text(obj, "revision", 40),
        previous_revision=_text(obj, "previous_revision", 40, required=False) or None,
        status=_choice(obj, "status", STATUSES),
        base_quantity=base_quantity,
        effectivity=effectivity,
        components=components,
    )


# Files ------------------------------------------------------------------------------------------


def json_lines(text: str, *, company_code: str, source_system: str) -> Iterator[Unit]:
    """Each non-blank line of a JSON Lines export as a ``Unit``, in file order."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where, raw = f"line {number}", line.encode()
        if len(raw) > MAX_JSON_LINE_BYTES:
            yield Unit("unknown", where, "", raw[:1024], error=f"the line is over {MAX_JSON_LINE_BYTES} bytes")
            continue
        try:
            obj = json.loads(line, parse_float=str, parse_int=str)
        except (ValueError, RecursionError) as error:
            yield Unit("unknown", where, "", raw, error=f"not JSON: {error}")
            continue
        if not isinstance(obj, dict):
            yield Unit("unknown", where, "", raw, error="not a JSON object")
            continue
        kind = obj.pop("kind", None)
        if kind == "item":
            key = str(obj.get("part_number", ""))[:64]
            try:
                yield Unit("item", where, key, raw, item=item_from(obj))
            except FormatError as error:
                yield Unit("item", where, key, raw, error=str(error))
        elif kind == "release":
            key = str(obj.get("release_id", ""))[:120]
            try:
                release = release_from(obj, company_code=company_code, source_system=source_system)
            except FormatError as error:
                yield Unit("release", where, key, raw, error=str(error))
            else:
                yield Unit("release", where, key, raw, release=release)
        else:
            yield Unit("unknown", where, "", raw, error=f"kind {kind!r} is not item or release")


def _plants(value: str) -> list[dict]:
    """``DET:2027-01-01:2027-06-30 MTY`` → effectivity entries (plant, optional from and to)."""
    out = []
    for part in value.split():
        plant, _, window = part.partition(":")
        start, _, end = window.partition(":")
        out.append({"plant_code": plant, "valid_from": start, "valid_to": end})
    return out


def csv_releases(text: str, *, company_code: str, source_system: str) -> Iterator[Unit]:
    """The releases of a CSV export (one row per component), in the order each first appears."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as error:
        yield Unit("unknown", "row 1", "", text[:1024].encode(), error=f"not CSV: {error}")
        return
    header_raw = _csv_line(header)
    unknown = [name for name in header if name not in CSV_COLUMNS]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        reason = (
            f"column {unknown[0]!r} is not a known column"
            if unknown
            else f"column {missing[0]!r} is missing"
            if missing
            else "a column is named twice"
        )
        yield Unit("unknown", "row 1", "", header_raw, error=f"header: {reason}")
        return
    groups: dict[str, list[tuple[int, dict[str, str], list[str]]]] = {}
    row_number = 1
    try:
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield Unit(
                    "unknown",
                    f"row {row_number}",
                    "",
                    header_raw + _csv_line(row),
                    error=f"{len(row)} cells where the header has {len(header)}",
                )
                continue
            values = dict(zip(header, (cell.strip() for cell in row), strict=True))
            groups.setdefault(values["release_id"], []).append((row_number, values, row))
    except csv.Error as error:
        yield Unit("unknown", f"row {row_number + 1}", "", b"", error=f"not CSV: {error}")
    for release_id, rows in groups.items():
        yield _csv_release(release_id, rows, header, header_raw, company_code, source_system)


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().encode()


def _csv_release(
    release_id: str,
    rows: list[tuple[int, dict[str, str], list[str]]],
    header: list[str],
    header_raw: bytes,
    company_code: str,
    source_system: str,
) -> Unit:
    numbers = [number for number, _, _ in rows]
    where = f"rows {numbers[0]}-{numbers[-1]}" if len(numbers) > 1 else f"row {numbers[0]}"
    if len(numbers) > 1 and numbers[-1] - numbers[0] + 1 != len(numbers):
        where = "rows " + ", ".join(str(n) for n in numbers)
    raw = header_raw + b"".join(_csv_line(row) for _, _, row in rows)
    first = rows[0][1]
    for number, values, _ in rows[1:]:
        for column in RELEASE_COLUMNS:
            if column in header and values[column] != first[column]:
                return Unit(
                    "release",
                    where,
                    release_id,
                    raw,
                    error=f"row {number}: {column} is {values[column]!r} where row {numbers[0]} has "
                    f"{first[column]!r}; a release's columns must be the same on each of its rows",
                )
    obj: dict[str, Any] = {column: first[column] for column in RELEASE_COLUMNS if column in header}
    obj["effectivity"] = _plants(obj.pop("plants", ""))
    obj["components"] = [{c: values[c] for c in COMPONENT_COLUMNS if c in header} for _, values, _ in rows]
    try:
        release = release_from(obj, company_code=company_code, source_system=source_system)
    except FormatError as error:
        message = str(error)
        if error.field.startswith("components["):
            index = int(error.field[len("components[") : error.field.index("]")])
            message = f"row {numbers[index]}: {error.field.split('.', 1)[-1]}: {error.message}"
        return Unit("release", where, release_id, raw, error=message)
    return Unit("release", where, release_id, raw, release=release)
