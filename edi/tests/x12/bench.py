"""Throughput benchmark (not a test): ``python -m edi.tests.x12.bench [lines]``.

Builds a synthetic 004010 850 (ISA/GS/ST, 12 heading segments, ``lines`` × PO1/PID/
PO4/REF/DTM, CTT, SE/GE/IEA; about 32 bytes per segment, the layout of
research/x12.md §6) and reports segments per second, best of five runs, for:

* tokenizer: every segment as a ``Segment`` (elements split on first use), then with
  ``.elements`` read so that every segment is split;
* tokenizer + envelope: ``parse()`` with ISA/GS/ST pairing, counts, control numbers;
* pyx12 ``X12Reader`` over the same text (its tokenizer + envelope checks);
* envelope + segment objects, the engine (``validate``), and the 850 mapper.
"""

from __future__ import annotations

import gc
import io
import sys
import time
from collections.abc import Callable

from edi.x12 import map_850, parse, tokenize, validate


def synthetic_850(lines: int) -> bytes:
    head = [
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *260101*1200*U*00401*000000001*0*P*>",
        "GS*PO*BUYER*SUPPLIER*20260101*1200*1*X*004010",
        "ST*850*0001",
        "BEG*00*SA*PO123**20260101",
        "CUR*BY*USD",
        "REF*DP*038",
        "PER*BD*JOHN*TE*5551212",
        "DTM*002*20260201",
        "N1*BY**92*ACME",
        "N1*ST*PLANT 1*92*P1",
        "N3*1 MAIN ST",
        "N4*CITY*OH*44139",
        "N1*BT*HQ*92*HQ",
        "N3*2 MAIN ST",
        "N4*CITY*OH*44139",
    ]
    body = []
    for i in range(1, lines + 1):
        body += [
            f"PO1*{i}*10*EA*9.25**BP*PART{i}*VP*SUP{i}",
            f"PID*F****WIDGET {i}",
            "PO4*4*4*EA",
            f"REF*L1*NOTE{i}",
            "DTM*002*20260301",
        ]
    tail = [f"CTT*{lines}"]
    count = len(head) - 2 + len(body) + len(tail) + 1
    segs = [*head, *body, *tail, f"SE*{count}*0001", "GE*1*1", "IEA*1*000000001"]
    return ("~\n".join(segs) + "~\n").encode()


def best(fn: Callable[[], int], runs: int = 5) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - start)
    return min(times), count


def main(lines: int = 10_000) -> None:
    data = synthetic_850(lines)
    text = data.decode()

    def tokenizer() -> int:
        return sum(1 for _ in tokenize(data))

    def tokenizer_elements() -> int:
        return sum(1 for seg in tokenize(data) if seg.elements)

    def envelope() -> int:
        doc = parse(data)
        return sum(ic.segment_count for ic in doc.interchanges)

    def envelope_segments() -> int:
        doc = parse(data)
        return sum(len(ts.segments) + 4 for ts in doc.transaction_sets())

    def engine() -> int:
        doc = parse(data)
        validate(doc)
        return sum(ic.segment_count for ic in doc.interchanges)

    def mapper() -> int:
        doc = parse(data)
        ts = next(doc.transaction_sets())
        map_850(ts)
        return len(ts.segments) + 4

    def pyx12_reader() -> int:
        import pyx12.x12file

        reader = pyx12.x12file.X12Reader(io.StringIO(text))
        n = sum(1 for _ in reader)
        reader.cleanup()
        return n

    print(f"synthetic 850: {lines} lines, {len(data):,} bytes")
    results = {}
    for name, fn in [
        ("tokenizer (Segment objects)", tokenizer),
        ("tokenizer + element split", tokenizer_elements),
        ("tokenizer + envelope", envelope),
        ("pyx12 X12Reader", pyx12_reader),
        ("envelope + Segment objects", envelope_segments),
        ("engine (validate)", engine),
        ("850 mapper", mapper),
    ]:
        seconds, count = best(fn, 5 if name != "engine (validate)" else 3)
        results[name] = count / seconds
        print(f"  {name:30s} {count:>9,} segments  {seconds * 1000:8.1f} ms  {count / seconds / 1e6:6.2f} M seg/s")
    ratio = results["tokenizer + envelope"] / results["pyx12 X12Reader"]
    print(f"  tokenizer + envelope vs pyx12 X12Reader: {ratio:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
