"""One-set files through the real receive path in this process, under cProfile: Python calls per file.

    python -m tests.benchmarks.edi_batch_profile [--files 200] [--dump PATH]

``--files`` one-set 856s (5 lines each) against as many published POs are dropped in a partner's
inbox (settled), claimed and stored by ``filedrop.scan``, then received a batch at a time by
``edi_files_receive`` (``GATEWAY_EDI_RECEIVE_BATCH`` files each) with their 997s delivered to the
outbox folder, as the worker does: the Python calls and SQL statements each file costs, by phase.
Runs on BENCH_DATABASE_URL (emptied first).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

from tests.benchmarks.__main__ import BENCH_URL, _prepare_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--dump", help="write the receive phase's profile here (pstats)")
    args = parser.parse_args()
    _prepare_database()
    os.environ["DATABASE_URL"] = BENCH_URL
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT"] = "1"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count

    from edi import filedrop, tasks
    from procurement.models import InboundDocument
    from tests.benchmarks import edi_data, edi_pipeline

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="edi-profile-") as folder:
        edi_pipeline._reset()
        settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False  # the setup's 850s are not delivered
        partner = edi_pipeline._setup(args.files, edi_pipeline.LINES, Path(folder))
        settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = True
        place = filedrop.folders(partner)
        old = time.time() - 60
        for n in range(args.files):
            number = f"PO-{n:06d}"
            body = edi_data.interchange("856", [edi_data.shipment(number, edi_pipeline.LINES, number)], 100 + n)
            path = place.inbox / f"856_{n:06d}.edi"
            path.write_bytes(body)
            os.utime(path, (old, old))
        with edi_pipeline._sql_timer() as sql_scan:
            scan_profile = cProfile.Profile()
            scan_profile.enable()
            claimed = list(filedrop.scan(limit=args.files))
            scan_profile.disable()
        size = max(settings.GATEWAY_EDI_RECEIVE_BATCH, 1)
        batches = [claimed[i : i + size] for i in range(0, len(claimed), size)]
        with edi_pipeline._sql_timer() as sql_receive:
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for batch in batches:
                tasks.edi_files_receive([[c.partner_id, c.document_id, c.path] for c in batch])
            profile.disable()
            seconds = time.perf_counter() - started
        files = len(claimed)
        outcomes = dict(InboundDocument.objects.values_list("outcome_code").annotate(n=Count("pk")))
        acks = len([p for p in place.outbox.iterdir() if p.name.startswith("997_")])
        print(f"{files} one-set files in {len(batches)} batches: outcomes {outcomes}, {acks} 997s in the outbox")
        for label, prof, sql in (("claim + store (scan)", scan_profile, sql_scan), ("receive", profile, sql_receive)):
            stats = pstats.Stats(prof)
            calls = stats.total_calls  # type: ignore[attr-defined]
            print(f"  {label:<22} {calls / files:8.0f} Python calls per file, {sql['n'] / files:5.1f} statements")
        print(f"  receive under the profiler: {seconds / files * 1000:.1f} ms per file")
        if args.dump:
            profile.dump_stats(args.dump)
            scan_profile.dump_stats(args.dump + ".scan")


if __name__ == "__main__":
    main()
