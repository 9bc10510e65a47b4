"""Inventory events as systems send them: a JSON object (API), JSON Lines or CSV (bulk ingest, file drop).

Plain Python, no Django: each object or row becomes an ``InventoryEventInput`` or the reason it
cannot (a field missing, not a number, unknown). Unknown fields are refused rather than ignored,
so a typo in an export (``quantiy``) is a refused line with its name, not a quantity of zero.

Fields (CSV: the header row names them, any order): ``plant``, ``part_number``, ``kind``,
``quantity``, ``source_event_id``, ``source_sequence``, ``occurred_at`` (ISO 8601 with a time
zone) are required; ``uom``, ``location``, ``to_location``, ``lot``, ``serial``, ``stock_status``
(default usable), ``to_status``, ``posting`` (default physical) are optional.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from materials.inputs import InventoryEventInput

REQUIRED = ("plant", "part_number", "kind", "quantity", "source_event_id", "source_sequence", "occurred_at")
OPTIONAL = ("uom", "location", "to_location", "lot", "serial", "stock_status", "to_status", "posting")
FIELDS = REQUIRED + OPTIONAL
KNOWN = frozenset(FIELDS)
DEFAULTS = {"stock_status": "usable", "posting": "physical"}
MAX_LINE_BYTES = 64 * 1024
# source_sequence is stored in a BigIntegerField (a signed 64-bit integer on every database).
MAX_SEQUENCE = 2**63 - 1

Parsed = InventoryEventInput | str


def event_from(data: Any) -> Parsed:
    """The event an object describes, or why it does not describe one."""
    if not isinstance(data, Mapping):
        return "an event must be an object"
    if not KNOWN.issuperset(data):
        return f"unknown field {sorted(set(data) - KNOWN)[0]!r}"
    for name in REQUIRED:
        if data.get(name) in (None, ""):
            return f"{name} is required"
    texts = {}
    for name in ("plant", "part_number", "kind", "source_event_id", *OPTIONAL):
        value = data.get(name)
        if value is None or value == "":
            texts[name] = DEFAULTS.get(name, "")
        elif not isinstance(value, str):
            return f"{name} must be text"
        elif "\x00" in value:  # the database cannot store it
            return f"{name} cannot hold a NUL character"
        else:
            texts[name] = value.strip()
    quantity = data["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, (str, int, float)):
        return "quantity must be a number"
    try:
        amount = Decimal(str(quantity).strip())
    except InvalidOperation:
        return f"quantity {quantity!r} is not a number"
    if not amount.is_finite():
        return "quantity must be a finite number"
    sequence = data["source_sequence"]
    # str.isdigit() also accepts "²" and other digits int() refuses: only ASCII 0-9 is a sequence.
    if isinstance(sequence, str) and re.fullmatch(r"[0-9]{1,19}", sequence.strip()):
        sequence = int(sequence.strip())
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        return "source_sequence must be a whole number"
    if not 0 <= sequence <= MAX_SEQUENCE:
        return f"source_sequence must be between 0 and {MAX_SEQUENCE}"
    occurred = data["occurred_at"]
    if not isinstance(occurred, str):
        return "occurred_at must be an ISO 8601 timestamp"
    try:
        when = dt.datetime.fromisoformat(occurred.strip())
    except ValueError:
        return f"occurred_at {occurred!r} is not an ISO 8601 timestamp"
    if when.tzinfo is None:
        return "occurred_at needs a time zone (Z or +hh:mm)"
    return InventoryEventInput(
        plant_code=texts["plant"],
        part_number=texts["part_number"],
        kind=texts["kind"],
        quantity=amount,
        source_event_id=texts["source_event_id"],
        source_sequence=sequence,
        occurred_at=when,
        uom=texts["uom"],
        location=texts["location"],
        to_location=texts["to_location"],
        lot=texts["lot"],
        serial=texts["serial"],
        stock_status=texts["stock_status"],
        to_status=texts["to_status"],
        posting=texts["posting"],
    )


def event_id_of(data: Any) -> str:
    """The source event id an object names, for an outcome even when the object is refused (without
    any NUL character: the answer is stored, and the database cannot store one)."""
    value = data.get("source_event_id") if isinstance(data, Mapping) else None
    return value[:128].replace("\x00", "") if isinstance(value, str) else ""


def json_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, str, Parsed]]:
    """(line number, source event id, event or reason) per non-blank line of JSON Lines."""
    return json_lines_numbered(enumerate(stream, start=1))


def json_lines_numbered(lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, str, Parsed]]:
    """``json_lines`` of lines already numbered (a chunk of a stream read ahead)."""
    for number, raw in lines:
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            yield number, "", f"line longer than {MAX_LINE_BYTES} bytes"
            continue
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            yield number, "", f"not JSON: {error}"
            continue
        except RecursionError:
            # A line of thousands of "[" exhausts the parser's stack: the line is refused, not the file.
            yield number, "", "not JSON: nested too deeply"
            continue
        yield number, event_id_of(data), event_from(data)


@dataclass
class CsvTable:
    """A CSV read with its header: ``problem`` (an unknown or missing column) refuses every row;
    ``rows`` gives (line number, cells) per non-blank data row, or (line number, reason) for a
    row the reader cannot read, after which it ends."""

    header: list[str]
    problem: str
    rows: Iterator[tuple[int, list[str] | str]]


def csv_table(stream: BinaryIO) -> CsvTable:
    """The header and the rows of a CSV, not yet parsed into events (``csv_event`` does that)."""
    # Bytes that are not UTF-8 become U+FFFD: their row is refused (no such item or plant), not the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", errors="replace")
    reader = csv.reader(text)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        failed = (reader.line_num, f"the header cannot be read ({error}): the file is refused")
        return CsvTable([], "", iter([failed]))
    unknown = sorted(set(header) - KNOWN)
    missing = [name for name in REQUIRED if name not in header]
    problem = f"unknown column {unknown[0]!r}" if unknown else f"column {missing[0]!r} is missing" if missing else ""

    def rows() -> Iterator[tuple[int, list[str] | str]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield reader.line_num, f"this row and the rest of the file cannot be read: {error}"
                return
            if any(cell.strip() for cell in cells):
                yield reader.line_num, cells

    return CsvTable(header, problem, rows())


def csv_event(table: CsvTable, number: int, cells: list[str] | str) -> tuple[int, str, Parsed]:
    """(line number, source event id, event or reason) of one row of ``table``."""
    if isinstance(cells, str):
        return number, "", cells
    if table.problem:
        return number, "", table.problem
    if len(cells) != len(table.header):
        return number, "", f"{len(cells)} cells where the header has {len(table.header)}"
    data = dict(zip(table.header, cells, strict=True))
    return number, event_id_of(data), event_from(data)


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, str, Parsed]]:
    """(line number, source event id, event or reason) per data row of a CSV with a header row.

    A header naming an unknown column, or missing a required one, refuses every row: the file,
    not a row, is wrong. A row the reader cannot read (a cell over ``csv.field_size_limit()``, 128 KB)
    ends the file: where the next row starts is no longer known, so the rest is refused as one line.
    """
    table = csv_table(stream)
    for number, cells in table.rows:
        yield csv_event(table, number, cells)
