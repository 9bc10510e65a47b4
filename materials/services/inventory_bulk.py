"""The bulk ingest of JSON Lines on PostgreSQL: raw lines COPYed in, parsed, checked and hashed in SQL.

Profiling the line-by-line path (``inventory_stream_ingest``) showed Python's per-line work (JSON
parse, an ``InventoryEventInput`` per line, validation, the content hash, COPY of typed rows) as
most of the time: a few thousand lines a second, under 1 % of a bare COPY. Here a chunk of raw
lines is COPYed as text into a temporary table and one ``INSERT … SELECT`` parses them (``jsonb``),
checks them, converts and hashes them with the same canonical form as ``content_hash``; the
ledger merge is one ``INSERT … SELECT … ON CONFLICT DO NOTHING``; duplicates and conflicts are
found by one join. Balances are folded as before, from the rows the merge returns.

Same outcomes as the line-by-line path, by construction: a chunk goes through SQL only when every
line passes the SQL checks (which are stricter than Python's: printable ASCII without escapes, no
exponents, quantities with at most four decimals, the item's base unit). Any other chunk (a refused
line, a unit conversion, a JSON error, a date PostgreSQL will not read) is handed whole to the
line-by-line path, which gives every reason exactly as before. Exports are uniform, so in practice
a system's stream takes one path throughout.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from django.db import DataError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from gateway.actors import Actor
from materials import inventory_formats
from materials.inputs import INVENTORY_KINDS, POSTINGS, STOCK_STATUSES, InventoryEventInput
from materials.models import InventoryEvent, InventoryEventConflict
from procurement.models import Company, InboundDocument, Item, Plant

from .access import company_for
from .inventory import (
    COLUMNS,
    MAX_EVENTS,
    LineOutcome,
    Lookups,
    StreamResult,
    _conflict,
    _ingest_parsed,
    balances_project,
    inventory_stream_ingest,
    plants_lock,
)

# Lines per chunk (one transaction each): large enough that the per-statement costs vanish,
# small enough that a chunk's staging rows and its balances stay in memory.
BULK_CHUNK = 50_000
RAW_STAGING = "materials_inventory_raw_staging"
PARSED_STAGING = "materials_inventory_parsed_staging"
CSV_STAGING = "materials_inventory_csv_staging"


class FoldRow(NamedTuple):
    """What ``fold`` and ``balances_project`` read of an appended event (returned by the merge)."""

    plant_id: int
    item_id: int
    kind: str
    location: str
    to_location: str
    lot: str
    stock_status: str
    to_status: str
    posting: str
    base_quantity: object
    source_sequence: int
    source_event_id: str


def inventory_json_lines_ingest(
    *,
    actor: Actor,
    company_code: str,
    source_system: str,
    stream: Iterable[bytes],
    document: InboundDocument | None = None,
    correlation_id: str = "",
    chunk: int = BULK_CHUNK,
) -> StreamResult:
    """``inventory_stream_ingest`` of a JSON Lines stream, merged in SQL on PostgreSQL (same outcomes).

    Elsewhere (SQLite) the stream goes line by line. Raises ``NotFound`` for another company.
    """
    if connection.vendor != "postgresql":
        return inventory_stream_ingest(
            actor=actor,
            company_code=company_code,
            source_system=source_system,
            lines=inventory_formats.json_lines(stream),
            document=document,
            correlation_id=correlation_id,
            chunk=min(chunk, MAX_EVENTS),
        )
    company = company_for(actor, company_code)
    system = source_system.strip().upper()
    counts = dict.fromkeys(("applied", "duplicate", "conflict", "refused"), 0)
    result = StreamResult(counts, [])
    lookups = Lookups(company.pk)
    for lines in _chunks(stream, chunk):
        done = None
        if system and len(system) <= 40 and all(_clean(raw) for _, raw in lines):
            done = _sql_chunk(company, system, _JsonLines(lines), document, correlation_id)
        if done is None:
            _python_chunk(company, source_system, lines, document, correlation_id, lookups, result)
            continue
        for line in done:
            counts[line.outcome] += 1
            if line.outcome != "applied":
                result.lines.append(line)
    result.lines.sort(key=lambda line: line.line)
    return result


def inventory_csv_ingest(
    *,
    actor: Actor,
    company_code: str,
    source_system: str,
    stream: BinaryIO,
    document: InboundDocument | None = None,
    correlation_id: str = "",
    chunk: int = BULK_CHUNK,
) -> StreamResult:
    """``inventory_stream_ingest`` of a CSV with a header row, merged in SQL on PostgreSQL (same outcomes).

    Python's reader splits the rows (``inventory_formats.csv_table``: the same line numbers, blank
    rows and unreadable rows as the line-by-line path); a chunk whose rows all have the header's
    width and only plain cells (printable ASCII, no backslash) is COPYed one column per field and
    merged in SQL like JSON Lines; any other chunk, or every chunk of a file whose header is wrong,
    goes line by line. Elsewhere (SQLite) the file goes line by line. Raises ``NotFound`` for
    another company.
    """
    if connection.vendor != "postgresql":
        return inventory_stream_ingest(
            actor=actor,
            company_code=company_code,
            source_system=source_system,
            lines=inventory_formats.csv_rows(stream),
            document=document,
            correlation_id=correlation_id,
            chunk=min(chunk, MAX_EVENTS),
        )
    company = company_for(actor, company_code)
    system = source_system.strip().upper()
    counts = dict.fromkeys(("applied", "duplicate", "conflict", "refused"), 0)
    result = StreamResult(counts, [])
    lookups = Lookups(company.pk)
    table = inventory_formats.csv_table(stream)
    width = len(table.header)
    # Each column COPYed into its own: a file naming one twice goes line by line (the last one wins there).
    sql_able = bool(system) and len(system) <= 40 and not table.problem and len(set(table.header)) == width
    for rows in _row_chunks(table.rows, chunk):
        done = None
        if sql_able and all(not isinstance(cells, str) and _plain(cells, width) for _, cells in rows):
            done = _sql_chunk(company, system, _CsvRows(table, rows), document, correlation_id)  # type: ignore[arg-type]
        if done is None:
            _ingest_parsed(
                company=company,
                source_system=source_system,
                lines=(inventory_formats.csv_event(table, number, cells) for number, cells in rows),
                document=document,
                correlation_id=correlation_id,
                lookups=lookups,
                result=result,
            )
            continue
        for line in done:
            counts[line.outcome] += 1
            if line.outcome != "applied":
                result.lines.append(line)
    result.lines.sort(key=lambda line: line.line)
    return result


def _row_chunks(rows: Iterator[tuple[int, list[str] | str]], size: int) -> Iterator[list[tuple[int, list[str] | str]]]:
    chunk: list[tuple[int, list[str] | str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plain(cells: list[str], width: int) -> bool:
    """A row SQL can take as it is: the header's width, printable ASCII cells without a backslash
    (so COPY needs no escaping, and SQL's trim of spaces is Python's strip)."""
    if len(cells) != width:
        return False
    flat = "".join(cells)
    return flat.isascii() and flat.isprintable() and "\\" not in flat and len(flat) <= inventory_formats.MAX_LINE_BYTES


def _chunks(stream: Iterable[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    """(line number, raw line) of non-blank lines, ``size`` at a time."""
    lines: list[tuple[int, bytes]] = []
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        lines.append((number, raw))
        if len(lines) >= size:
            yield lines
            lines = []
    if lines:
        yield lines


# Printable ASCII but the backslash: a line of these needs no escaping for COPY, and its JSON
# strings hold no escapes (so SQL and Python read the same text, and trim the same spaces).
_PLAIN = bytes(range(0x20, 0x7F)).replace(b"\\", b"")


def _clean(raw: bytes) -> bool:
    """A line SQL can take as it is: plain characters only (``_PLAIN``), not too long."""
    return (
        len(raw) <= inventory_formats.MAX_LINE_BYTES
        and raw.lstrip().startswith(b"{")
        and not raw.rstrip(b"\r\n").translate(None, _PLAIN)
        and _ODD.search(raw) is None
    )


def _python_chunk(
    company: Company,
    source_system: str,
    lines: list[tuple[int, bytes]],
    document: InboundDocument | None,
    correlation_id: str,
    lookups: Lookups,
    result: StreamResult,
) -> None:
    """The line-by-line path for one chunk, adding to ``result``."""
    _ingest_parsed(
        company=company,
        source_system=source_system,
        lines=inventory_formats.json_lines_numbered(lines),
        document=document,
        correlation_id=correlation_id,
        lookups=lookups,
        result=result,
    )


# The fields as the line-by-line path reads them: text trimmed; the default for a field missing or
# empty as sent (one of spaces only is empty once trimmed, not missing: no default, as in Python).
def _text(name: str) -> str:
    default = inventory_formats.DEFAULTS.get(name, "")
    if default:
        return f"CASE WHEN coalesce(r.{name}, '') = '' THEN '{default}' ELSE btrim(r.{name}) END"
    return f"coalesce(btrim(r.{name}), '')"


# Lines SQL leaves to Python: a text field that is not a string (or null), a quantity or sequence
# that is not a number or string, an occurred_at that is not a string, a number with an exponent
# (Python reads ``1e2`` as a float: not a sequence). Plain lines have no escaped quotes, so a
# quoted name followed by a colon is always a key.
_TEXT_KEYS = "|".join(("plant", "part_number", "kind", "source_event_id", *inventory_formats.OPTIONAL))
_ODD = re.compile(
    rb'"(?:' + _TEXT_KEYS.encode() + rb')" *: *[^" n]|"(?:quantity|source_sequence)" *: *[^" 0-9-]'
    rb'|"occurred_at" *: *[^" ]|[0-9.][eE][-+0-9]'
)
_QUANTITY = r"^-?[0-9]{1,11}(\.[0-9]{1,4})?$"
_SEQUENCE = r"^[0-9]{1,18}$"
_TIMESTAMP = (
    # Years 1000 to 9998: 9999 with a negative offset is past the last year Python can hold in UTC.
    r"^([1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-[0-9]{2}-[0-9]{2}"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


class _JsonLines:
    """A chunk of raw JSON Lines, COPYed as text and read by ``jsonb_to_record``."""

    def __init__(self, lines: list[tuple[int, bytes]]) -> None:
        self.lines = lines
        self.numbers = [number for number, _ in lines]
        self.table = RAW_STAGING

    def load(self, cursor: CursorWrapper) -> None:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {RAW_STAGING} (line bigint, raw text) ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {RAW_STAGING}")
        with cursor.cursor.copy(f"COPY {RAW_STAGING} (line, raw) FROM STDIN") as copy:
            # Clean lines hold no tab, backslash or newline: COPY's text format takes them as they are.
            copy.write(b"".join(b"%d\t%s\n" % (number, raw.rstrip(b"\r\n")) for number, raw in self.lines))

    def rows_sql(self) -> tuple[str, str]:
        """line, known_only and the fields as text (``r.<field>``); ``%(known)s`` is the field list."""
        record = ", ".join(f"{name} text" for name in inventory_formats.FIELDS)
        return (
            "(j - %(known)s::text[]) = '{}'::jsonb AS known_only",
            f"(SELECT line, raw::jsonb AS j FROM {RAW_STAGING}) parsed_json "  # noqa: S608
            f"CROSS JOIN LATERAL jsonb_to_record(j) AS r({record})",
        )

    def given(self, number: int) -> InventoryEventInput:
        parsed = inventory_formats.event_from(json.loads(dict(self.lines)[number]))
        assert isinstance(parsed, InventoryEventInput)
        return parsed


class _CsvRows:
    """A chunk of CSV rows (cells already split by Python's reader), COPYed one column per field."""

    def __init__(self, table: inventory_formats.CsvTable, rows: list[tuple[int, list[str]]]) -> None:
        self.header, self.csv, self.rows = table.header, table, rows
        self.numbers = [number for number, _ in rows]
        self.table = CSV_STAGING

    def load(self, cursor: CursorWrapper) -> None:
        columns = ", ".join(f"{name} text" for name in inventory_formats.FIELDS)
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {CSV_STAGING} (line bigint, {columns}) ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {CSV_STAGING}")
        with cursor.cursor.copy(f"COPY {CSV_STAGING} (line, {', '.join(self.header)}) FROM STDIN") as copy:
            # Clean cells hold no tab, backslash or newline: COPY's text format takes them as they are.
            tab = "\t"
            copy.write("".join(f"{number}{tab}{tab.join(cells)}\n" for number, cells in self.rows).encode())

    def rows_sql(self) -> tuple[str, str]:
        return "true AS known_only", f"{CSV_STAGING} r"

    def given(self, number: int) -> InventoryEventInput:
        cells = dict(self.rows)[number]
        parsed = inventory_formats.csv_event(self.csv, number, cells)[2]
        assert isinstance(parsed, InventoryEventInput)
        return parsed


def _sql_chunk(
    company: Company,
    source_system: str,
    source: _JsonLines | _CsvRows,
    document: InboundDocument | None,
    correlation_id: str,
) -> list[LineOutcome] | None:
    """One chunk through SQL in its own transaction; None (nothing written) when a line needs the
    line-by-line path."""
    now = timezone.now()
    text_fields = ("plant", "part_number", "kind", "source_event_id", *inventory_formats.OPTIONAL)
    kinds = ", ".join(f"'{k}'" for k in INVENTORY_KINDS)
    statuses = ", ".join(f"'{k}'" for k in STOCK_STATUSES)
    postings = ", ".join(f"'{k}'" for k in POSTINGS)
    known = "{" + ",".join(inventory_formats.FIELDS) + "}"
    known_only, rows_from = source.rows_sql()
    event_table, plant_table, item_table = (
        InventoryEvent._meta.db_table,
        Plant._meta.db_table,
        Item._meta.db_table,
    )
    # Canonical content as in ``content_hash``: each field prefixed by its length.
    hashed = " || ".join(
        f"length({v}) || ':' || {v}"
        for v in (
            "plant",
            "part_number",
            "kind",
            "quantity_text",
            "uom",
            "location",
            "to_location",
            "lot",
            "serial",
            "stock_status",
            "to_status",
            "posting",
            "sequence_text",
            "occurred_text",
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {PARSED_STAGING} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT 0::bigint AS line, {', '.join(COLUMNS)} FROM {event_table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {PARSED_STAGING}")
        source.load(cursor)
        # Only our own names and fixed lists are formatted in; the lines and values are parameters.
        parse = f"""
            WITH f AS MATERIALIZED (
                SELECT line, {known_only},
                    {", ".join(f"{_text(name)} AS {name}" for name in text_fields)},
                    r.quantity AS quantity_raw, r.source_sequence AS sequence_raw, r.occurred_at AS occurred_raw
                FROM {rows_from}
            ),
            v AS (
                SELECT f.*, p.id AS plant_id, i.id AS item_id, i.base_uom,
                    quantity_raw::numeric AS q, sequence_raw::bigint AS seq,
                    occurred_raw::timestamptz AS occurred
                FROM f
                JOIN {plant_table} p ON p.company_id = %(company)s AND p.code = f.plant
                JOIN {item_table} i ON i.company_id = %(company)s AND i.part_number = f.part_number
                WHERE known_only AND quantity_raw ~ %(quantity)s AND sequence_raw ~ %(sequence)s
                    AND occurred_raw ~ %(timestamp)s
                    AND source_event_id <> '' AND length(source_event_id) <= 128
                    AND kind IN ({kinds}) AND stock_status IN ({statuses}) AND posting IN ({postings})
                    AND length(location) <= 64 AND length(to_location) <= 64 AND length(lot) <= 64
                    AND length(serial) <= 64 AND length(uom) <= 8
                    AND (uom = '' OR uom = i.base_uom)
                    AND CASE WHEN kind = 'transfer' THEN to_location <> '' AND to_location <> location
                        ELSE to_location = '' END
                    AND CASE WHEN kind = 'status_change' THEN to_status IN ({statuses}) AND to_status <> stock_status
                        ELSE to_status = '' END
            )
            INSERT INTO {PARSED_STAGING} (line, {", ".join(COLUMNS)})
            SELECT line, %(company)s, plant_id, item_id, kind, location, to_location, lot, serial, q, uom, q,
                stock_status, to_status, posting, %(system)s, source_event_id, seq, occurred, %(now)s,
                encode(sha256(convert_to({hashed}, 'UTF8')), 'hex'), %(document)s, %(correlation)s
            FROM (
                SELECT v.*, CASE WHEN trim_scale(q) = 0 THEN '0' ELSE trim_scale(q)::text END AS quantity_text,
                    seq::text AS sequence_text,
                    to_char(occurred AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                        || CASE WHEN date_trunc('second', occurred) = occurred THEN ''
                            ELSE to_char(occurred AT TIME ZONE 'UTC', '.US') END || '+00:00' AS occurred_text
                FROM v
                WHERE CASE WHEN kind IN ('adjustment', 'reservation') THEN q <> 0
                    WHEN kind = 'count' THEN q >= 0 ELSE q > 0 END
            ) x
        """  # noqa: S608
        # Statistics for the planner: without them it guesses a handful of rows and loops over them.
        cursor.execute(f"ANALYZE {source.table}")
        # It still cannot estimate how many lines pass the checks (it guesses one, then loops over
        # every item per line): hash joins are right for a chunk of thousands of lines.
        cursor.execute("SET LOCAL enable_nestloop = off")
        # That makes the plan look costly enough to compile: half a second of JIT for a 50 ms scan.
        cursor.execute("SET LOCAL jit = off")
        try:
            with transaction.atomic():
                cursor.execute(
                    parse,
                    {
                        "known": known,
                        "company": company.pk,
                        "quantity": _QUANTITY,
                        "sequence": _SEQUENCE,
                        "timestamp": _TIMESTAMP,
                        "system": source_system,
                        "now": now,
                        "document": document.pk if document is not None else None,
                        "correlation": correlation_id[:64],
                    },
                )
        except DataError:  # a line PostgreSQL cannot read (JSON, a date): the line-by-line path decides
            transaction.set_rollback(True)
            return None
        parsed = cursor.rowcount
        cursor.execute("RESET enable_nestloop")  # the merge looks up a few ids in the ledger: loops are right
        cursor.execute("RESET jit")
        if parsed != len(source.numbers):
            transaction.set_rollback(True)
            return None
        return _merge(cursor, company, source_system, source, document, now)


def _merge(
    cursor: CursorWrapper,
    company: Company,
    source_system: str,
    source: _JsonLines | _CsvRows,
    document: InboundDocument | None,
    now: dt.datetime,
) -> list[LineOutcome]:
    """Append the chunk's first line of each event id, then sort out the others: same as the
    line-by-line path's outcomes and reasons."""
    cursor.execute(f"ANALYZE {PARSED_STAGING}")
    cursor.execute(f"SELECT DISTINCT plant_id FROM {PARSED_STAGING}")  # noqa: S608
    plants_lock(plant_id for (plant_id,) in cursor.fetchall())
    columns = ", ".join(COLUMNS)
    fold_columns = ", ".join(FoldRow._fields)
    cursor.execute(
        f"INSERT INTO {InventoryEvent._meta.db_table} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM (SELECT DISTINCT ON (source_event_id) * FROM {PARSED_STAGING} "
        "ORDER BY source_event_id, line) first "
        "ORDER BY source_event_id "
        "ON CONFLICT (company_id, source_system, source_event_id) DO NOTHING "
        f"RETURNING {fold_columns}"
    )
    appended = [FoldRow(*row) for row in cursor.fetchall()]
    # Every line not appended: a later line of an id in this chunk, or an id already in the ledger.
    # Window functions, not a self-join: the staging table has no statistics to plan a join by.
    cursor.execute(
        f"""
        WITH ranked AS MATERIALIZED (
            SELECT line, source_event_id, content_hash,
                first_value(line) OVER w AS first_line, first_value(content_hash) OVER w AS first_hash
            FROM {PARSED_STAGING} WINDOW w AS (PARTITION BY source_event_id ORDER BY line)
        ),
        left_out AS MATERIALIZED (
            SELECT * FROM ranked WHERE line <> first_line
                OR source_event_id NOT IN (SELECT unnest(%s::text[]))
        )
        SELECT o.line, o.source_event_id, o.content_hash, o.first_line, o.first_hash, e.content_hash
        FROM left_out o
        LEFT JOIN {InventoryEvent._meta.db_table} e ON o.line = o.first_line AND e.company_id = %s
            AND e.source_system = %s AND e.source_event_id = o.source_event_id
        ORDER BY o.line
        """,  # noqa: S608
        [[row.source_event_id for row in appended], company.pk, source_system],
    )
    outcomes: list[LineOutcome] = []
    in_batch: list[InventoryEventConflict] = []
    in_ledger: list[InventoryEventConflict] = []
    for line, event_id, digest, first_line, first_hash, stored_hash in cursor.fetchall():
        if line != first_line:
            if digest == first_hash:
                outcomes.append(LineOutcome(line, event_id, "duplicate", "the same event is in the batch twice"))
                continue
            conflicts = in_batch
        elif stored_hash == digest:
            outcomes.append(LineOutcome(line, event_id, "duplicate", "already in the ledger: no effect"))
            continue
        else:
            conflicts = in_ledger
        outcome = _conflict(source.given(line), digest, company, source_system, document, now, conflicts)
        outcomes.append(LineOutcome(line, event_id, outcome.outcome, outcome.reason))
    InventoryEventConflict.objects.bulk_create(in_batch + in_ledger)
    balances_project(company_id=company.pk, source_system=source_system, events=appended)  # type: ignore[arg-type]
    not_applied = {o.line for o in outcomes}
    applied = [LineOutcome(number, "", "applied") for number in source.numbers if number not in not_applied]
    return outcomes + applied
