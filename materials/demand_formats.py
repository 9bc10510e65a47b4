"""Demand as an ERP or MES exports it to the file drop: CSV with a header row, or JSON Lines.

Plain Python, no Django: each row or line becomes a ``DemandInput`` or the reason it cannot. The
fields are the system API's (``POST /api/v1/system/demands/``), so one export feeds either channel:

    source_id,kind,part_number,plant_code,quantity,need_date,reference,cancelled
    MO-2027-0412,production_order,PUMP-100,DET,30,2027-03-15,MO-2027-0412,false

``source_id``, ``kind`` (``production_order``, ``master_schedule``, ``independent``),
``part_number``, ``plant_code``, ``quantity`` (in the item's base unit, at most 4 decimals) and
``need_date`` (YYYY-MM-DD) are required; ``reference`` and ``cancelled`` (``true``/``false``,
``1``/``0``, empty for false) are optional. The columns may come in any order; an unknown or
missing column makes the file malformed (nothing in it is read), while a bad value refuses its
row only. Unknown fields of a JSON line are refused rather than ignored, so a typo is a refusal
with its name, not a demand without that value. Whether the item, plant and kind exist is the
service's to say (``demands_upsert``), as for the API.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from gateway import text_encoding
from materials.inputs import DemandInput

REQUIRED = ("source_id", "kind", "part_number", "plant_code", "quantity", "need_date")
OPTIONAL = ("reference", "cancelled")
KNOWN = frozenset(REQUIRED + OPTIONAL)
# As the API's serializer: the longest text each field may hold.
LENGTHS = {"source_id": 128, "kind": 20, "part_number": 64, "plant_code": 32, "reference": 80}
MAX_LINE_BYTES = 64 * 1024
# The API's quantity: at most 16 digits, 4 of them after the point.
QUANTITY = re.compile(r"[0-9]{1,12}(\.[0-9]{1,4})?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")

Parsed = DemandInput | str


@dataclass(frozen=True)
class Row:
    """One row or line of a demand file: where it is, the source id it names (for the outcome, even
    when it is refused) and the demand, or why it is not one."""

    line: int
    source_id: str
    demand: Parsed


class Malformed(Exception):
    """The file as a whole cannot be read as demand (a CSV's header): nothing in it is applied."""


def demand_from(data: Any) -> Parsed:
    """The demand an object or a CSV row describes, or why it does not describe one."""
    if not isinstance(data, Mapping):
        return "a demand must be an object"
    if not KNOWN.issuperset(data):
        return f"unknown field {sorted(set(data) - KNOWN)[0]!r}"
    texts: dict[str, str] = {}
    for name in (*REQUIRED, "reference"):
        value = data.get(name)
        if value is None or value == "":
            if name in REQUIRED:
                return f"{name} is required"
            texts[name] = ""
            continue
        if name == "quantity" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return f"{name} must be text"
        if "\x00" in value:  # the database cannot store it
            return f"{name} cannot hold a NUL character"
        value = value.strip()
        if name in LENGTHS and len(value) > LENGTHS[name]:
            return f"{name} has more than {LENGTHS[name]} characters"
        texts[name] = value
    if not QUANTITY.fullmatch(texts["quantity"]):
        return f"quantity {texts['quantity'][:40]!r} is not a number of at most 12 digits and 4 decimals"
    try:
        quantity = Decimal(texts["quantity"])
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return f"quantity {texts['quantity']!r} is not a number"
    if not DATE.fullmatch(texts["need_date"]):
        return f"need_date {texts['need_date'][:40]!r} is not a date (YYYY-MM-DD)"
    try:
        need_date = dt.date.fromisoformat(texts["need_date"])
    except ValueError:
        return f"need_date {texts['need_date']!r} is not a date that exists"
    cancelled = data.get("cancelled", False)
    if isinstance(cancelled, str):
        flag = cancelled.strip().lower()
        if flag not in TRUE + FALSE:
            return f"cancelled must be true or false, not {cancelled[:20]!r}"
        cancelled = flag in TRUE
    elif cancelled is None:
        cancelled = False
    elif not isinstance(cancelled, bool):
        return "cancelled must be true or false"
    return DemandInput(
        source_id=texts["source_id"],
        kind=texts["kind"],
        part_number=texts["part_number"],
        plant_code=texts["plant_code"],
        quantity=quantity,
        need_date=need_date,
        reference=texts["reference"],
        cancelled=cancelled,
    )


def source_id_of(data: Any) -> str:
    """The source id an object names, for its outcome even when it is refused (no NUL: the outcome is stored)."""
    value = data.get("source_id") if isinstance(data, Mapping) else None
    return value.strip()[:128].replace("\x00", "") if isinstance(value, str) else ""


def json_lines(stream: BinaryIO) -> Iterator[Row]:
    """A row per non-blank line of JSON Lines; a line that is not JSON is refused, not the file."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            yield Row(number, "", f"line longer than {MAX_LINE_BYTES} bytes")
            continue
        try:
            data = json.loads(raw)
        except ValueError as error:
            yield Row(number, "", f"not JSON: {error}")
            continue
        except RecursionError:
            yield Row(number, "", "not JSON: nested too deeply")
            continue
        yield Row(number, source_id_of(data), demand_from(data))


def csv_rows(stream: BinaryIO) -> Iterator[Row]:
    """A row per non-blank data row of a CSV with a header row.

    Raises ``Malformed`` (before yielding anything) when there is no header, or it names an unknown
    column, misses a required one or names one twice: the file, not a row, is wrong. A row the
    reader cannot read (a cell over ``csv.field_size_limit()``) ends the file: where the next row
    starts is no longer known, so the rest is refused as one row.
    """
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise Malformed(f"the header row cannot be read: {error}") from error
    if not any(header):
        raise Malformed(f"no header row: the first line must name the columns ({', '.join(REQUIRED)}, …)")
    unknown = sorted(set(header) - KNOWN)
    missing = [name for name in REQUIRED if name not in header]
    twice = sorted({name for name in header if header.count(name) > 1})
    if unknown:
        raise Malformed(f"unknown column {unknown[0]!r} in the header; columns are {', '.join(sorted(KNOWN))}")
    if missing:
        raise Malformed(f"column {missing[0]!r} is missing from the header")
    if twice:
        raise Malformed(f"column {twice[0]!r} is in the header twice")
    return _csv_data(reader, header)


def _csv_data(reader: Any, header: list[str]) -> Iterator[Row]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(reader.line_num, "", f"this row and the rest of the file cannot be read: {error}")
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield Row(reader.line_num, "", f"{len(cells)} cells where the header has {len(header)}")
            continue
        data = dict(zip(header, cells, strict=True))
        yield Row(reader.line_num, source_id_of(data), demand_from(data))


def unreadable(stream: BinaryIO, chunk: int = 1 << 20) -> str:
    """Why the bytes of ``stream`` are not demand text (NUL bytes, not UTF-8), or "" when they are.

    Read in chunks, never whole, before anything is applied: a binary or mis-encoded upload is
    rejected as a file, not half-read.
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0
    while block := stream.read(chunk):
        if not offset and text_encoding.looks_utf16(block[:256]):
            return text_encoding.UTF16
        if b"\x00" in block:
            return "a binary file (it holds NUL bytes); demand files are CSV or JSON Lines text in UTF-8"
        pending = len(utf8.getstate()[0])  # the start of a character the last block ended inside
        try:
            utf8.decode(block)
        except UnicodeDecodeError as error:
            read = error.object[: error.start]  # the pending bytes, then this block's up to the bad byte
            at = offset - pending + error.start
            return text_encoding.bad_byte(error.object[error.start], at + 1, lines + read.count(b"\n") + 1)
        offset += len(block)
        lines += block.count(b"\n")
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        return f"it is not UTF-8: the file ends inside a character (byte {offset}); save it as UTF-8"
    return ""
