"""The bulk ingest of JSON Lines or CSV merged in SQL gives what the line-by-line path gives, line for line.

Same outcomes and reasons, same ledger rows (content hashes included: an event sent through the
API and through the bulk ingest is the same event), same conflicts kept, same balances. Streams
mix chunks SQL takes (decimals as numbers and text, offsets and fractions of seconds, replays, a
different event under a used id) with chunks it hands to Python (an unknown item, a unit to
convert, a line that is not JSON, a date that does not exist).
"""

import csv
import io
import json
import random
from unittest import mock

import pytest

from gateway.actors import Actor
from materials import inventory_formats
from materials.models import InventoryBalance, InventoryEvent, InventoryEventConflict
from materials.services import (
    inventory_bulk,
    inventory_csv_ingest,
    inventory_json_lines_ingest,
    inventory_stream_ingest,
)
from procurement import factories
from procurement.models import UomConversion

pytestmark = pytest.mark.postgres

PARTS = ("BOLT", "NUT", "WASHER")
OFFSETS = ("Z", "+02:00", "-05:30", ".250000Z", ".5+01:00")


def _line(rng: random.Random, n: int) -> dict:
    kind = rng.choice(
        ["receipt", "receipt", "issue", "transfer", "adjustment", "count", "status_change", "scrap", "reservation"]
    )
    location = rng.choice(["A", "B"])
    status = rng.choice(["usable", "quarantine"])
    amount = rng.choice([rng.randint(1, 90), rng.randint(1, 9000) / 100, rng.randint(1, 900) / 8])
    if kind in ("adjustment", "reservation"):
        amount *= rng.choice([1, -1])
    data = {
        "plant": rng.choice(["DET", "MTY"]),
        "part_number": rng.choice(PARTS),
        "kind": kind,
        # A JSON number, or text with trailing zeros: the same quantity, the same hash.
        "quantity": amount if rng.random() < 0.5 else f"{amount:.4f}",
        "source_event_id": f"WMS-{n}",
        "source_sequence": n if rng.random() < 0.7 else str(n),
        "occurred_at": f"2026-12-03T{n % 24:02d}:{n % 60:02d}:07{rng.choice(OFFSETS)}",
        "location": location,
        "stock_status": status,
    }
    if rng.random() < 0.3:
        data["lot"] = f"L{rng.randint(1, 3)}"
    if rng.random() < 0.2:
        data["posting"] = "posted"
    if rng.random() < 0.2:
        data["uom"] = "EA"
    if kind == "transfer":
        data["to_location"] = "B" if location == "A" else "A"
    if kind == "status_change":
        data["to_status"] = "blocked" if status != "blocked" else "usable"
    return data


def _stream(seed: int, size: int, odd: dict[int, bytes]) -> bytes:
    rng = random.Random(seed)
    lines: list[bytes] = []
    sent: list[dict] = []
    for n in range(size):
        if n in odd:
            lines.append(odd[n])
            continue
        roll = rng.random()
        if sent and roll < 0.12:
            data = rng.choice(sent)  # a replay
        elif sent and roll < 0.16:
            data = {**rng.choice(sent), "quantity": "777"}  # another event under a used id
        else:
            data = _line(rng, n)
            sent.append(data)
        separators = (",", ":") if rng.random() < 0.5 else (", ", ": ")
        lines.append(json.dumps(data, separators=separators).encode())
        if rng.random() < 0.03:
            lines.append(b"   ")  # a blank line: no outcome, but it counts in the line numbers
    return b"\n".join(lines) + b"\n"


def _state():
    events = sorted(
        InventoryEvent.objects.values_list(
            "plant__code",
            "item__part_number",
            "kind",
            "location",
            "to_location",
            "lot",
            "serial",
            "quantity",
            "uom",
            "base_quantity",
            "stock_status",
            "to_status",
            "posting",
            "source_system",
            "source_event_id",
            "source_sequence",
            "occurred_at",
            "content_hash",
            "correlation_id",
        )
    )
    conflicts = sorted(
        (c.source_event_id, c.content_hash, json.dumps(c.payload, sort_keys=True))
        for c in InventoryEventConflict.objects.all()
    )
    balances = sorted(
        InventoryBalance.objects.values_list(
            "plant__code",
            "item__part_number",
            "location",
            "lot",
            "stock_status",
            "source_system",
            "physical",
            "posted",
            "reserved",
            "last_sequence",
        )
    )
    return events, conflicts, balances


def _wipe() -> None:
    InventoryEventConflict.objects.all().delete()
    InventoryBalance.objects.all().delete()
    InventoryEvent.objects.all().delete()


@pytest.fixture
def acme(postgres):
    company = factories.CompanyFactory(code="ACME")
    for code in ("DET", "MTY"):
        factories.PlantFactory(company=company, code=code)
    for part in PARTS:
        item = factories.ItemFactory(company=company, part_number=part, base_uom="EA")
    UomConversion.objects.create(item=item, uom="BOX", factor=12)
    return Actor.for_system(company_ids={company.pk}, label="WMS")


def _both(actor: Actor, payload: bytes, chunk: int) -> tuple:
    """(result, state) of the SQL path, then of the line-by-line path on an empty ledger."""
    python_chunks = mock.Mock(wraps=inventory_bulk._python_chunk)
    with mock.patch.object(inventory_bulk, "_python_chunk", python_chunks):
        fast = inventory_json_lines_ingest(
            actor=actor,
            company_code="ACME",
            source_system="wms",
            stream=payload.splitlines(keepends=True),
            correlation_id="c-1",
            chunk=chunk,
        )
    fast_state = _state()
    _wipe()
    slow = inventory_stream_ingest(
        actor=actor,
        company_code="ACME",
        source_system="wms",
        lines=inventory_formats.json_lines(payload.splitlines(keepends=True)),
        correlation_id="c-1",
        chunk=chunk,
    )
    return fast, fast_state, slow, _state(), python_chunks.call_count


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_merge_equals_the_line_by_line_path(acme, seed):
    payload = _stream(seed, 300, odd={})
    fast, fast_state, slow, slow_state, handed_over = _both(acme, payload, chunk=40)

    assert handed_over == 0  # every chunk went through SQL
    assert fast.counts == slow.counts
    assert fast.lines == slow.lines
    assert fast_state == slow_state
    assert fast.counts["conflict"] > 0 and fast.counts["duplicate"] > 0
    assert {r.reason for r in fast.lines if r.outcome == "duplicate"} == {
        "the same event is in the batch twice",
        "already in the ledger: no effect",
    }
    events, conflicts, balances = fast_state
    assert len(events) == fast.counts["applied"] and len(conflicts) == fast.counts["conflict"]
    assert balances


def _receipt(event_id: str, **fields) -> bytes:
    data = {"plant": "DET", "part_number": "BOLT", "kind": "receipt", "quantity": 1, "source_event_id": event_id}
    return json.dumps({**data, "source_sequence": 1, "occurred_at": "2026-12-03T00:00:00Z", **fields}).encode()


def test_chunks_sql_cannot_take_go_line_by_line_with_the_same_outcomes(acme):
    odd = {
        5: _receipt("X-1", part_number="GHOST"),
        70: _receipt("X-2", part_number="WASHER", quantity="2", uom="BOX"),
        130: b'{"plant": "DET", "part_number": ',
        190: _receipt("X-3", occurred_at="2026-02-30T00:00:00Z"),
        250: _receipt("X-4", quantity=1e2, source_sequence=4.0),
    }
    payload = _stream(7, 320, odd=odd)
    fast, fast_state, slow, slow_state, handed_over = _both(acme, payload, chunk=60)

    assert handed_over == 5  # one chunk per odd line; the other chunks went through SQL
    assert fast.counts == slow.counts
    assert fast.lines == slow.lines
    assert fast_state == slow_state
    refused = {r.source_event_id: r.reason for r in fast.lines if r.outcome == "refused"}
    assert refused["X-1"] == "item 'GHOST' is not known"
    assert refused["X-4"] == "source_sequence must be a whole number"
    assert any(e[14] == "X-2" and e[9] == 24 for e in fast_state[0])  # 2 BOX = 24 EA, converted in Python


# --- CSV: the same SQL path, Python's reader splitting the rows -------------------------------------


def _csv_stream(seed: int, size: int, odd: dict[int, list[str] | str]) -> tuple[list[str], bytes]:
    """A CSV export of the same kind of events, its columns in an order of the seed's; ``odd`` rows
    (cells, or a raw text line) are put in at their positions."""
    rng = random.Random(seed)
    header = list(inventory_formats.FIELDS)
    rng.shuffle(header)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if seed % 2 else "\n")
    writer.writerow(header)
    sent: list[dict] = []
    for n in range(size):
        if n in odd:
            if isinstance(odd[n], str):
                out.write(odd[n])
            else:
                writer.writerow(odd[n])
            continue
        roll = rng.random()
        if sent and roll < 0.12:
            data = rng.choice(sent)
        elif sent and roll < 0.16:
            data = {**rng.choice(sent), "quantity": "777"}
        else:
            data = _line(rng, n)
            sent.append(data)
        writer.writerow([str(data.get(name, "")) for name in header])
        if rng.random() < 0.03:
            writer.writerow(["", " "] + [""] * (len(header) - 2))  # a blank row: no outcome
    return header, out.getvalue().encode()


def _both_csv(actor: Actor, payload: bytes, chunk: int) -> tuple:
    """(result, state) of the CSV SQL path, then of the line-by-line path on an empty ledger."""
    python_chunks = mock.Mock(wraps=inventory_bulk._ingest_parsed)
    with mock.patch.object(inventory_bulk, "_ingest_parsed", python_chunks):
        fast = inventory_csv_ingest(
            actor=actor,
            company_code="ACME",
            source_system="wms",
            stream=io.BytesIO(payload),
            correlation_id="c-1",
            chunk=chunk,
        )
    fast_state = _state()
    _wipe()
    slow = inventory_stream_ingest(
        actor=actor,
        company_code="ACME",
        source_system="wms",
        lines=inventory_formats.csv_rows(io.BytesIO(payload)),
        correlation_id="c-1",
        chunk=chunk,
    )
    return fast, fast_state, slow, _state(), python_chunks.call_count


@pytest.mark.parametrize("seed", [1, 2])
def test_csv_through_sql_equals_the_line_by_line_path(acme, seed):
    _, payload = _csv_stream(seed, 300, odd={})
    fast, fast_state, slow, slow_state, handed_over = _both_csv(acme, payload, chunk=40)

    assert handed_over == 0  # every chunk went through SQL
    assert fast.counts == slow.counts
    assert fast.lines == slow.lines
    assert fast_state == slow_state
    assert fast.counts["conflict"] > 0 and fast.counts["duplicate"] > 0
    events, conflicts, balances = fast_state
    assert len(events) == fast.counts["applied"] and len(conflicts) == fast.counts["conflict"]
    assert balances


def test_csv_chunks_sql_cannot_take_go_line_by_line_with_the_same_outcomes(acme):
    header, _ = _csv_stream(5, 0, odd={})

    def row(event_id: str, **fields) -> list[str]:
        data = {
            "plant": "DET",
            "part_number": "BOLT",
            "kind": "receipt",
            "quantity": "1",
            "source_event_id": event_id,
            "source_sequence": "1",
            "occurred_at": "2026-12-03T00:00:00Z",
            **fields,
        }
        return [data.get(name, "") for name in header]

    odd: dict[int, list[str] | str] = {
        5: row("X-1", part_number="GHOST"),
        50: row("X-2", part_number="WASHER", quantity="2", uom="BOX"),
        100: row("X-3", occurred_at="2026-02-30T00:00:00Z"),
        150: row("X-4", location="Lager-Ä"),
        200: row("X-5", stock_status=" "),  # spaces are not "missing": no default, refused
        230: row("X-6", lot="A\\B"),
        260: row("X-7")[:-1],
    }
    _, payload = _csv_stream(5, 300, odd=odd)
    fast, fast_state, slow, slow_state, handed_over = _both_csv(acme, payload, chunk=50)

    assert handed_over == 6  # one chunk per odd row (X-5 and X-6 share one); the others went through SQL
    assert fast.counts == slow.counts
    assert fast.lines == slow.lines
    assert fast_state == slow_state
    refused = {r.source_event_id or r.line: r.reason for r in fast.lines if r.outcome == "refused"}
    assert refused["X-1"] == "item 'GHOST' is not known"
    assert refused["X-5"] == "stock status must be one of usable, quarantine, blocked, not ''"
    assert f"{len(header) - 1} cells where the header has {len(header)}" in refused.values()
    assert any(e[14] == "X-2" and e[9] == 24 for e in fast_state[0])  # 2 BOX = 24 EA, converted in Python
    assert any(e[14] == "X-4" and e[3] == "Lager-Ä" for e in fast_state[0])


def test_a_csv_with_a_wrong_header_is_refused_row_by_row_on_both_paths(acme):
    payload = b"plant,part_number,kind,quantiy\nDET,BOLT,receipt,1\n\nDET,BOLT,receipt,2\n"
    fast, fast_state, slow, slow_state, _ = _both_csv(acme, payload, chunk=10)
    assert fast.lines == slow.lines
    assert [(r.line, r.reason) for r in fast.lines] == [
        (2, "unknown column 'quantiy'"),
        (4, "unknown column 'quantiy'"),
    ]
    assert fast_state == slow_state == ([], [], [])


def test_a_json_line_whose_status_is_only_spaces_is_refused_as_in_python(acme):
    payload = _receipt("S-1", stock_status=" ") + b"\n" + _receipt("S-2", posting="") + b"\n"
    fast, fast_state, slow, slow_state, _ = _both(acme, payload, chunk=10)
    assert fast.lines == slow.lines
    assert [(r.source_event_id, r.reason) for r in fast.lines] == [
        ("S-1", "stock status must be one of usable, quarantine, blocked, not ''")
    ]
    assert fast_state == slow_state
