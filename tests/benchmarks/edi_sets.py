"""What one 856 or 810 set costs the pipeline, apart from its file: mapped and applied in this process.

    python -m tests.benchmarks.edi_sets [--orders 500] [--profile 100] [--json]

Against ``--orders`` published and acknowledged POs of five lines (the pipeline benchmark's data,
``edi_pipeline._setup``), each 856 and then each 810 of the pipeline benchmark is mapped from its
parsed set (``x12.map_transaction_set``) and applied through the write path
(``shipment_record`` / ``invoice_record``) as a batched file's set is: in the file's transaction,
the services taking no savepoint of their own. Printed per set: SQL statements, the CPU of this
process and of its PostgreSQL backend (``/proc``), and, for ``--profile`` further sets run under
cProfile, Python function calls. Statements and calls do not depend on the machine's load.

Runs on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gateway_bench), emptied first.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=500, help="sets of each kind measured")
    parser.add_argument("--profile", type=int, default=100, help="sets of each kind run under cProfile")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gateway_bench"
    )
    os.environ["GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT"] = "0"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from edi import x12
    from procurement.services import inbound_document_store
    from procurement.services.refusals import service_savepoints_left_to_caller
    from procurement.services.sources import WriteSource
    from tests.benchmarks import edi_data, edi_pipeline

    call_command("migrate", verbosity=0)
    edi_pipeline._reset()
    total = args.orders + args.profile
    with tempfile.TemporaryDirectory(prefix="edi-sets-") as folder:
        partner = edi_pipeline._setup(total, edi_pipeline.LINES, Path(folder))
        supplier = partner.supplier
        code_maps = partner.code_maps or None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        results: dict[str, dict[str, float]] = {}
        for kind in ("856", "810"):
            build = edi_data.shipment if kind == "856" else edi_data.invoice
            numbers = [f"PO-{n:06d}" for n in range(total)]
            content = edi_data.interchange(kind, [build(n, edi_pipeline.LINES, n) for n in numbers], 100)
            sets = [ts for group in x12.parse(content).interchanges[0].groups for ts in group.sets]
            document = inbound_document_store(
                channel="edi",
                sender=supplier.code,
                content=content,
                supplier=supplier,
                company=partner.company,
                document_type="x12",
                filename=f"{kind}.edi",
            )
            source = WriteSource(channel="edi", label=f"partner {supplier.code}", document=document)
            apply = _applier(kind)
            statements = {"n": 0}

            def count(execute, sql, params, many, context, statements=statements):
                statements["n"] += 1
                return execute(sql, params, many, context)

            def one(ts, source=source, apply=apply) -> None:
                with transaction.atomic(), service_savepoints_left_to_caller():
                    mapped = x12.map_transaction_set(ts, code_maps)
                    result = apply(supplier, mapped.value, source)
                    assert result.outcome == "applied", result.outcome

            measured, profiled = sets[: args.orders], sets[args.orders :]
            with connection.execute_wrapper(count):
                cpu, database = time.process_time(), _backend_cpu(backend)
                for ts in measured:
                    one(ts)
                cpu, database = time.process_time() - cpu, _backend_cpu(backend) - database
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
            if profiled:
                profiler.enable()
                for ts in profiled:
                    one(ts)
                profiler.disable()
                calls = pstats.Stats(profiler).total_calls / len(profiled)  # type: ignore[attr-defined]
            else:
                calls = 0.0
            results[kind] = {
                "statements": statements["n"] / len(measured),
                "calls": calls,
                "cpu_ms": cpu * 1000 / len(measured),
                "pg_ms": database * 1000 / len(measured),
            }
            if os.environ.get("EDI_SETS_PROFILE_DUMP") and profiled:
                profiler.dump_stats(f"{os.environ['EDI_SETS_PROFILE_DUMP']}.{kind}")
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"load": load, **results}))
        return
    print(f"Per set, {args.orders} sets of each kind ({args.profile} more under cProfile), load {load:.2f}:")
    for kind, r in results.items():
        print(
            f"  {kind}: {r['statements']:.1f} statements, {r['calls']:.0f} Python calls, "
            f"CPU {r['cpu_ms']:.2f} ms here + {r['pg_ms']:.2f} ms PostgreSQL"
        )


def _applier(kind: str):
    from procurement.services import invoice_record, shipment_record

    if kind == "856":
        return lambda supplier, value, source: shipment_record(supplier=supplier, shipment=value, source=source)
    return lambda supplier, value, source: invoice_record(supplier=supplier, invoice=value, source=source)


if __name__ == "__main__":
    sys.exit(main())
