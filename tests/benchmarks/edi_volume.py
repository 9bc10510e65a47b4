"""A 500 MB file from a partner, received by the gateway's own code in a fresh process: its peak RSS.

6. One interchange of 850s from partner BOLTS (2,000 lines each, written set by set, never held
   in memory), stored as the file drop stores it (in the file store: GATEWAY_FILE_ROOT/store/),
   then received by ``edi.services.interchange_file_receive`` in a child process on this run's
   PostgreSQL database: every set read, validated and answered (an 850 is not a document a
   supplier sends: each is recorded as not applicable, with its exception), one 997 at the end.

Beside it, at 20 MB (the former limit of the file drop, the largest file the whole-file path
took): the same receive streamed, and the whole-file reading receiving did before streaming
(``bytes(document.content)`` from the row, ``x12.parse``, ``x12.validate``, all held while the
sets were applied; the applying itself is the same either way and not repeated there). The
whole-file figure at 500 MB is extrapolated from it, linearly above the child's baseline (the
process after Django has started and before it reads the file): that path could not take it.

Peak RSS is the child's VmHWM (its own high-water mark; ``ru_maxrss`` is printed beside it, and
Linux may carry a parent's into a child, see edi_library.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from edi.models import TradingPartner
from procurement import factories
from procurement.models import InboundDocument
from procurement.services import inbound_document_store
from suppliers.models import Supplier
from tests.benchmarks import edi_data
from tests.benchmarks.edi_pipeline import ROOT, _reset

MB = 1024 * 1024
BIG = int(os.environ.get("EDI_BENCH_VOLUME_BYTES", str(500 * MB)))
SMALL = int(os.environ.get("EDI_BENCH_VOLUME_SMALL_BYTES", str(20 * MB)))  # the file drop's former limit
LINES_PER_PO = 2000
TARGET_MB = 200

_CHILD = """
import json, os, resource, sys, time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
import django

django.setup()
from edi import services, x12
from edi.models import TradingPartner
from procurement.models import InboundDocument


def hwm():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


mode, document_id, partner_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
partner = TradingPartner.objects.select_related("supplier", "company").get(pk=partner_id)
base = hwm()
started = time.perf_counter()
document = InboundDocument.objects.get(pk=document_id)
if mode == "stream":
    outcome = services.interchange_file_receive(document=document, partner=partner)
    result = {"code": outcome.code, "sets": outcome.sets.total, "acks": outcome.acks_written}
else:
    parsed = x12.parse(bytes(document.content))
    reports = x12.validate(parsed)
    result = {"sets": sum(len(r.sets) for r in reports)}
print(json.dumps({
    "hwm_kb": hwm(),
    "base_kb": base,
    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "seconds": time.perf_counter() - started,
    "result": result,
}))
"""


def _setup(files: Path) -> TradingPartner:
    settings.GATEWAY_FILE_ROOT = files
    company = factories.CompanyFactory(code=edi_data.COMPANY)
    supplier = factories.SupplierFactory(code=edi_data.SUPPLIER, channel=Supplier.Channel.EDI, notify_email="")
    return TradingPartner.objects.create(
        supplier=supplier,
        company=company,
        isa_qualifier="ZZ",
        isa_id=edi_data.SUPPLIER,
        gs_id=edi_data.SUPPLIER,
        folder="bolts",
    )


def _store(partner: TradingPartner, path: Path, *, in_row: bool) -> tuple[InboundDocument, float]:
    """Store ``path`` as the file drop does (in the file store), or in the row as before."""
    started = time.perf_counter()
    settings.GATEWAY_INBOUND_ROW_MAX_BYTES = 2**62 if in_row else 1 * MB
    document = inbound_document_store(
        channel="edi",
        sender=partner.supplier.code,
        content=b"",
        path=path,
        max_bytes=settings.GATEWAY_EDI_MAX_FILE_BYTES,
        supplier=partner.supplier,
        company=partner.company,
        document_type="x12",
        filename=path.name,
        content_type="application/edi-x12",
    )
    return document, time.perf_counter() - started


def _child(mode: str, document: InboundDocument, partner: TradingPartner, files: Path) -> dict:
    env = {**os.environ, "GATEWAY_FILE_ROOT": str(files), "DJANGO_DEBUG": "0", "GATEWAY_LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(document.pk), str(partner.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the receiving process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(results: list) -> None:
    print(
        f"\n6. Peak RSS of a fresh process receiving a {BIG / MB:.0f} MiB file of 850s from the file store "
        f"(edi.services.interchange_file_receive, PostgreSQL), beside the whole-file reading of before at "
        f"{SMALL / MB:.0f} MiB, extrapolated"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="edi-volume-") as folder:
        files = Path(folder) / "files"
        _reset()
        partner = _setup(files)
        rows = []
        small = Path(folder) / "small.edi"
        edi_data.big_850_file(small, SMALL, LINES_PER_PO, sender=edi_data.SUPPLIER, receiver="GATEWAY", isa=1)
        before, _ = _store(partner, small, in_row=True)
        whole = _child("whole", before, partner, files)
        rows.append((f"whole file, as before ({SMALL / MB:.0f} MiB, in the row)", whole, small.stat().st_size))
        stored, _ = _store(partner, small, in_row=False)
        # The same content again: judged on its own, not as a copy of the first (that one stays unsettled).
        streamed_small = _child("stream", stored, partner, files)
        rows.append((f"streamed ({SMALL / MB:.0f} MiB, in the store)", streamed_small, small.stat().st_size))
        small.unlink()
        big = Path(folder) / "big.edi"
        written = time.perf_counter()
        edi_data.big_850_file(big, BIG, LINES_PER_PO, sender=edi_data.SUPPLIER, receiver="GATEWAY", isa=2)
        written = time.perf_counter() - written
        document, storing = _store(partner, big, in_row=False)
        size = big.stat().st_size
        big.unlink()
        streamed = _child("stream", document, partner, files)
        rows.append((f"streamed ({size / MB:.0f} MiB, in the store)", streamed, size))
    print(f"   written in {written:.0f} s, stored (copied into the store, hashed, fsync) in {storing:.0f} s")
    print(f"  {'receive':<44}{'peak RSS':>10}{'ru_maxrss':>11}{'baseline':>10}{'seconds':>9}  sets / outcome")
    for label, figure, _size in rows:
        print(
            f"  {label:<44}{figure['hwm_kb'] / 1024:>7.0f} MB{figure['maxrss_kb'] / 1024:>8.0f} MB"
            f"{figure['base_kb'] / 1024:>7.0f} MB{figure['seconds']:>9.1f}  {figure['result']}"
        )
    base = whole["base_kb"] / 1024
    extrapolated = base + (whole["hwm_kb"] / 1024 - base) * size / rows[0][2]
    print(f"  {'whole file at ' + f'{size / MB:.0f} MiB (extrapolated)':<44}{extrapolated:>7.0f} MB")
    peak = streamed["hwm_kb"] / 1024
    results.append(
        (
            f"6. peak RSS receiving a {size / MB:.0f} MiB file",
            f"{peak:.0f} MB (whole file: ~{extrapolated:.0f} MB)",
            f"<= {TARGET_MB} MB",
            peak <= TARGET_MB,
        )
    )
    print(f"\n   (volume benchmark took {time.monotonic() - started:.0f} s)")
