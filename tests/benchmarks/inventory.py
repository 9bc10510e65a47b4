"""Inventory events: bulk ingest beside a bare PostgreSQL COPY of the same rows, and single-event API POSTs.

Bulk ingest: N events (default 1,000,000; ``--inventory-events``) as JSON Lines, 10 % of the lines
replays of earlier ones, over 1,000 items at two plants, streamed from a file through
``inventory_stream_ingest`` (what the bulk endpoint and the file drop run): parsing, validation,
unit conversion, content hashes, COPY into staging, the ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` merge, conflict checks and the balances. The reference is COPY of the same N rows
(the fields as text) into an unindexed table: the floor of getting those rows into PostgreSQL.
Target: ingest ≥ 20 % of COPY's rate. A second reference, COPY of the distinct rows into a table
with only the unique key and the ordering index the ledger needs, shows how much of that rate any
ingest with those guarantees can keep.

Single-event POSTs: ``POST /api/v1/system/inventory-events/`` with one event each through the
whole Django stack in this process (the test client, no HTTP server): store first, idempotency
key, ingest, balance.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
import warnings

from django.db import connection
from django.test import Client

from api.models import ApiKey
from gateway.actors import Actor
from materials.models import InventoryBalance, InventoryEvent, InventoryEventConflict
from materials.services import inventory_csv_ingest, inventory_json_lines_ingest
from procurement import factories

ITEMS = 1000
PLANTS = ("DET", "MTY")
KINDS = ("receipt", "receipt", "issue", "issue", "transfer", "adjustment", "count")
COLUMNS = (
    "plant text, part_number text, kind text, quantity text, source_event_id text, source_sequence bigint, "
    "occurred_at text, location text, to_location text"
)


def _reset() -> None:
    tables = ", ".join(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _setup() -> tuple[Actor, str]:
    company = factories.CompanyFactory(code="ACME")
    for code in PLANTS:
        factories.PlantFactory(company=company, code=code)
    factories.ItemFactory._meta.model.objects.bulk_create(
        [factories.ItemFactory.build(company=company, part_number=f"P{n:05d}", base_uom="EA") for n in range(ITEMS)]
    )
    _, secret = ApiKey.issue(kind="system", system_name="WMS", company=company, name="bench WMS", scope="write")
    return Actor.for_system(company_ids={company.pk}, label="bench WMS"), secret


def _rows(count: int, seed: int) -> list[tuple]:
    """``count`` lines: 90 % distinct events, 10 % replays of earlier ones, shuffled in small windows
    (a WMS's export is mostly in order; a replay comes later)."""
    rng = random.Random(seed)
    unique = count - count // 10
    rows = []
    for n in range(unique):
        kind = rng.choice(KINDS)
        location = rng.choice(("A", "B"))
        quantity = rng.randint(1, 500) if kind != "adjustment" else rng.choice((-1, 1)) * rng.randint(1, 50)
        rows.append(
            (
                rng.choice(PLANTS),
                f"P{rng.randrange(ITEMS):05d}",
                kind,
                str(quantity),
                f"WMS-{n}",
                n,
                f"2026-12-03T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}Z",
                location,
                ("B" if location == "A" else "A") if kind == "transfer" else "",
            )
        )
    for _ in range(count - unique):
        rows.insert(rng.randrange(len(rows) // 2, len(rows) + 1), rows[rng.randrange(len(rows) // 2)])
    return rows


FIELDS = ("plant", "part_number", "kind", "quantity", "source_event_id", "source_sequence", "occurred_at", "location")


def _json_lines(rows: list[tuple], path: str) -> None:
    with open(path, "w") as out:
        for row in rows:
            data = dict(zip(FIELDS, row[:8], strict=True))
            if row[8]:
                data["to_location"] = row[8]
            out.write(json.dumps(data, separators=(",", ":")) + "\n")


def _csv(rows: list[tuple], path: str) -> None:
    """The same rows as a CSV export with a header row (empty cells where JSON Lines leave a field out)."""
    with open(path, "w") as out:
        out.write(",".join((*FIELDS, "to_location")) + "\n")
        for row in rows:
            out.write(",".join(str(v) for v in row) + "\n")


def _ledger_empty() -> None:
    tables = ", ".join(m._meta.db_table for m in (InventoryEventConflict, InventoryBalance, InventoryEvent))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}")


def _copy_seconds(rows: list[tuple]) -> float:
    """Seconds to COPY ``rows`` into a fresh unindexed table (created and dropped outside the timing)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_inventory_events")
        cursor.execute(f"CREATE TABLE bench_inventory_events ({COLUMNS})")
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(str(v) for v in row) + "\n")
        text = buffer.getvalue()
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_inventory_events FROM STDIN") as copy:
            copy.write(text)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_inventory_events")
    return seconds


def _indexed_copy_seconds(rows: list[tuple]) -> float:
    """Seconds to COPY the distinct events of ``rows`` into a table with only what exactly-once and
    source order need: a unique key on the event id and the (plant, item, sequence) index. No
    conflict handling (replays are left out beforehand), no foreign keys, no balances: a floor under
    any ingest that keeps the ledger's guarantees."""
    distinct = list({row[4]: row for row in rows}.values())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_inventory_keyed")
        cursor.execute(f"CREATE TABLE bench_inventory_keyed (id bigserial PRIMARY KEY, {COLUMNS})")
        cursor.execute("CREATE UNIQUE INDEX bench_inventory_keyed_event ON bench_inventory_keyed (source_event_id)")
        cursor.execute(
            "CREATE INDEX bench_inventory_keyed_order ON bench_inventory_keyed (plant, part_number, source_sequence)"
        )
        buffer = io.StringIO()
        for row in distinct:
            buffer.write("\t".join(str(v) for v in row) + "\n")
        text = buffer.getvalue()
        names = (
            "plant, part_number, kind, quantity, source_event_id, source_sequence, occurred_at, location, to_location"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_inventory_keyed ({names}) FROM STDIN") as copy:
            copy.write(text)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_inventory_keyed")
    return seconds * len(rows) / len(distinct)  # per line sent, like the other two


def _ingest_seconds(actor: Actor, path: str, ingest=inventory_json_lines_ingest) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    with open(path, "rb") as stream:
        result = ingest(actor=actor, company_code="ACME", source_system="WMS", stream=stream)
    return time.perf_counter() - started, result.counts


def _posts_per_second(secret: str, count: int) -> float:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No directory at")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        started = None
        for n in range(count + 5):
            if n == 5:  # after warming: URL resolver, prepared statements, the key's cached actor
                started = time.perf_counter()
            body = {
                "company": "ACME",
                "plant": "DET",
                "part_number": f"P{n % ITEMS:05d}",
                "kind": "receipt",
                "quantity": "5",
                "source_event_id": f"API-{uuid.uuid4().hex}",
                "source_sequence": 10**9 + n,
                "occurred_at": "2026-12-04T09:00:00Z",
            }
            response = client.post(
                "/api/v1/system/inventory-events/",
                json.dumps(body),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
            if response.status_code != 200 or response.json()["applied"] != 1:
                raise RuntimeError(f"POST answered {response.status_code}: {response.content[:300]!r}")
        assert started is not None
        return count / (time.perf_counter() - started)


def run(*, events: int = 1_000_000, posts: int = 300) -> None:
    _reset()
    actor, secret = _setup()
    rows = _rows(events, seed=14)
    handle, path = tempfile.mkstemp(suffix=".jsonl")
    os.close(handle)
    unique = events - events // 10
    expected = {"applied": unique, "duplicate": events - unique, "conflict": 0, "refused": 0}
    try:
        _json_lines(rows, path)
        copy_seconds = _copy_seconds(rows)
        keyed_seconds = _indexed_copy_seconds(rows)
        print(f"  … COPY of {events:,} rows: {copy_seconds:.2f} s; ingesting …", file=sys.stderr)
        ingest_seconds, counts = _ingest_seconds(actor, path)
        assert counts == expected, counts
        assert InventoryEvent.objects.count() == unique
        balances = InventoryBalance.objects.count()
        # The same rows as CSV, on an empty ledger again: the SQL path too since this stop.
        _ledger_empty()
        _csv(rows, path)
        print("  … CSV …", file=sys.stderr)
        csv_seconds, csv_counts = _ingest_seconds(actor, path, inventory_csv_ingest)
        assert csv_counts == expected, csv_counts
        assert InventoryBalance.objects.count() == balances
    finally:
        os.unlink(path)
    post_rate = _posts_per_second(secret, posts)

    copy_rate, ingest_rate = events / copy_seconds, events / ingest_seconds
    ratio = ingest_rate / copy_rate
    print("\nInventory events on PostgreSQL (one run; the machine is shared: figures under load)")
    print(f"{'  bulk ingest, ' + format(events, ',') + ' lines (10 % replays): s':<60}{ingest_seconds:>14.2f}")
    print(f"{'    lines/s':<60}{ingest_rate:>14,.0f}")
    print(f"{'    ledger rows, balance rows':<60}{unique:>14,} {balances:,}")
    csv_rate = events / csv_seconds
    print(f"{'  the same lines as CSV: s':<60}{csv_seconds:>14.2f}")
    print(f"{'    lines/s; its rate / COPY rate':<60}{csv_rate:>14,.0f} {csv_rate / copy_rate:>8.1%}")
    print(f"{'  COPY of the same rows into an unindexed table: s':<60}{copy_seconds:>14.2f}")
    print(f"{'    rows/s':<60}{copy_rate:>14,.0f}")
    print(f"{'  ingest rate / COPY rate (target >= 20 %)':<60}{ratio:>13.1%}  {'met' if ratio >= 0.2 else 'NOT met'}")
    keyed = copy_seconds / keyed_seconds
    print(f"{'  COPY of the distinct rows into a table keyed on event id':<60}{keyed_seconds:>14.2f}")
    print(f"{'    and indexed on (plant, item, sequence), per line sent: s':<60}")
    print(f"{'    its rate / unindexed COPY rate (a floor for any ingest)':<60}{keyed:>13.1%}")
    print(f"{'  ingest rate / keyed COPY rate':<60}{ingest_rate * keyed_seconds / events:>13.1%}")
    print(f"{'  single-event POSTs, in process: /s':<60}{post_rate:>14.1f}")
