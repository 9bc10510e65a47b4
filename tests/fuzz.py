"""Fuzz the X12 reading with mutated partner files: ``python -m tests.fuzz --inputs 1000000`` (``make fuzz``).

Seeds are the real-sample corpus (``edi/tests/x12/corpus.py`` finds it), the hand-written samples
and every input committed under ``edi/tests/x12/fuzz_cases/``. Each input is a seed mutated a few
times (bytes flipped or inserted, segments duplicated, deleted or swapped, delimiters swapped,
a segment or a value repeated into a huge one, cut short, two files spliced) and run through
``x12.parse``, ``x12.validate``, the stream reader, ``edi.services.translate`` (the reading of
``manage.py edi translate``, which touches no database) and a worker's receipt without its
database (the stream, each set validated as it ends, the 997/999 written).

What it checks, as the library promises: no exception but the library's own (``X12Error``) comes
out, and reading takes time linear in the input: each reading is timed on its own, and the
slowest rate (an input under 100 KB counted as 100 KB, so a small file's fixed cost is not taken
for a rate) must stay under ``--max-seconds-per-mb`` (1 s/MB). A check that backtracks or rescans
shows as a rate that grows with the input (a 16 KB value took seconds before the decimal check was
made linear: some 30 s/MB; the fuzzer grows values to tens of kilobytes). Prints the count of
inputs, of uncaught errors (distinct by where they were raised) and the slowest rate with its
input; each crashing input and the slowest one are saved under ``var/fuzz/``. Exits 1 if any
error was uncaught or the rate was over the bound.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "edi" / "tests" / "x12" / "fuzz_cases"
OUT_DIR = ROOT / "var" / "fuzz"
RATE_FLOOR_BYTES = 100_000  # an input smaller than this is timed as if it were this large
MB = 1_000_000


def seeds() -> list[bytes]:
    """The corpus files, the unit tests' samples and the committed fuzz cases."""
    from edi.tests.x12 import samples
    from edi.tests.x12.corpus import corpus_dir

    found = [samples.interchange().encode(), samples.interchange(e="|", c="^", t="\n", suffix="").encode()]
    for folder in (corpus_dir(), CASES_DIR):
        if folder.is_dir():
            found += [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in (".edi", ".x12")]
    return found


# Mutations: each takes the input and the random source, and returns a new input.


def _terminator(data: bytes) -> bytes:
    """The segment terminator of the first ISA (byte 105 of a fixed-width one), else ``~``."""
    start = data.find(b"ISA")
    if start >= 0 and len(data) > start + 105:
        return data[start + 105 : start + 106]
    return b"~"


def _segments(data: bytes) -> tuple[list[bytes], bytes]:
    term = _terminator(data)
    return data.split(term), term


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randint(0, len(data))
    alphabet = b"*~>|^:\r\n \x00\xff\xe2\x80\xa8ISAGSTE0123456789.-E"
    chunk = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 16)))
    return data[:at] + chunk + data[at:]


def duplicate_segment(data: bytes, rng: random.Random) -> bytes:
    segs, term = _segments(data)
    i = rng.randrange(len(segs))
    segs[i:i] = [segs[i]] * rng.randint(1, 5)
    return term.join(segs)


def delete_segment(data: bytes, rng: random.Random) -> bytes:
    segs, term = _segments(data)
    if len(segs) > 1:
        del segs[rng.randrange(len(segs))]
    return term.join(segs)


def swap_segments(data: bytes, rng: random.Random) -> bytes:
    segs, term = _segments(data)
    i, j = rng.randrange(len(segs)), rng.randrange(len(segs))
    segs[i], segs[j] = segs[j], segs[i]
    return term.join(segs)


def swap_delimiters(data: bytes, rng: random.Random) -> bytes:
    """Replace one delimiter (all of it, or from some point on) with another character."""
    start = data.find(b"ISA")
    options = [b"*", b"~", b">", b"|", b"^", b":", b"\n"]
    if start >= 0 and len(data) > start + 105:
        options += [data[start + 3 : start + 4], data[start + 104 : start + 105]]
    old, new = rng.choice(options), rng.choice([b"*", b"~", b">", b"|", b"^", b":", b"\n", b"\r\n", b"", b"\x1d"])
    if rng.random() < 0.5:
        return data.replace(old, new)
    at = rng.randint(0, len(data))
    return data[:at] + data[at:].replace(old, new)


def huge_repeat(data: bytes, rng: random.Random) -> bytes:
    """A segment repeated thousands of times, or one element grown to tens of kilobytes."""
    segs, term = _segments(data)
    i = rng.randrange(len(segs))
    if rng.random() < 0.5:
        segs[i:i] = [segs[i]] * rng.randint(100, 3000)
        return term.join(segs)
    unit = rng.choice([b"1", b"9.", b"1.1", b"0", b"E", b"-", b"A", b" ", b"*", b">", b"\xc3\xa9"])
    grown = unit * rng.randint(1_000, 60_000)
    if b"*" in segs[i]:
        parts = segs[i].split(b"*")
        parts[rng.randrange(1, len(parts)) if len(parts) > 1 else 0] = grown
        segs[i] = b"*".join(parts)
    else:
        segs[i] += grown
    return term.join(segs)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(0, len(data))]


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    flip_bytes,
    insert_bytes,
    duplicate_segment,
    delete_segment,
    swap_segments,
    swap_delimiters,
    huge_repeat,
    truncate,
]


def mutants(pool: list[bytes], rng: random.Random) -> Iterator[bytes]:
    """Endless inputs: a seed (sometimes two spliced) mutated one to four times."""
    while True:
        data = rng.choice(pool)
        if rng.random() < 0.05:
            other = rng.choice(pool)
            data = data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other)) :]
        for _ in range(rng.randint(1, 4)):
            data = rng.choice(MUTATIONS)(data, rng)
            if len(data) > 4 * MB:  # the gateway takes files up to 20 MB; keep each input quick
                data = data[: 4 * MB]
        yield data


# Running one input.


def _parse_and_validate(data: bytes) -> None:
    from edi import x12

    x12.validate(x12.parse(data))


def _stream(data: bytes, chunk_size: int = 4096) -> None:
    from edi import x12

    for _ in x12.stream(data, chunk_size=chunk_size):
        pass


def _translate(data: bytes) -> None:
    from edi.services import translate

    translate(data)


def receive(data: bytes, chunk_size: int = 4096) -> None:
    """A worker's reading of a file without its database: the stream, each set validated as it
    ends (``x12.validate_set``, kept in ``x12.SetReports``, a rejected one told to the reader), each
    group reported at its GE, and the
    997/999 written for the groups at the end of their interchange."""
    from edi import x12

    answered: list[x12.GroupReport] = []
    reports = x12.SetReports()
    reader = x12.stream(data, chunk_size=chunk_size)
    for item in reader:
        if isinstance(item, x12.TransactionSet):
            report = x12.validate_set(item)
            reports.append(report)
            if report.code == "R":
                reader.set_rejected(item)  # past a group's 1,000th, the rest of it is not read
        elif isinstance(item, x12.Group):
            answered.append(x12.GroupReport(item, reports, list(item.errors)))
            reports = x12.SetReports()
        elif answered:
            envelope = x12.reply_envelope(item, answered[0].group, interchange_control=1, group_control=1)
            x12.write_ack(answered, envelope, 1)
            answered = []


# Every reading a partner's file gets, each timed on its own (the gateway gives a file one of them).
READINGS: list[tuple[str, Callable[[bytes], None]]] = [
    ("parse+validate", _parse_and_validate),
    ("stream", _stream),
    ("translate", _translate),
    ("receive", receive),
]


def reading_seconds(data: bytes) -> float:
    """The longest any one reading of ``data`` takes, in this process's CPU time (what the input costs,
    not how busy the machine is); raises what a reading let out but ``X12Error``."""
    from edi import x12

    longest = 0.0
    for _, read in READINGS:
        start = time.process_time()
        with contextlib.suppress(x12.X12Error):
            read(data)
        longest = max(longest, time.process_time() - start)
    return longest


def lines_run(read: Callable[[], object]) -> int:
    """How many lines of the gateway's own code (``edi/``, ``procurement/``) ``read()`` runs: a count
    of the work, as steady on a busy machine as on an idle one. Linear reading runs some four times
    the lines for four times the input; a rescan runs sixteen times."""
    from edi import x12

    ours = (str(ROOT / "edi") + os.sep, str(ROOT / "procurement") + os.sep)
    count = 0

    def line(frame: FrameType, event: str, arg: object) -> Callable | None:
        nonlocal count
        if event == "line":
            count += 1
        return line

    def call(frame: FrameType, event: str, arg: object) -> Callable | None:
        return line if frame.f_code.co_filename.startswith(ours) else None

    sys.settrace(call)
    try:
        with contextlib.suppress(x12.X12Error):
            read()
    finally:
        sys.settrace(None)
    return count


def rate(data: bytes, tries: int = 3, floor: int = RATE_FLOOR_BYTES) -> float:
    """Seconds per MB to read ``data`` (an input under ``floor`` bytes counted as that many), the best
    of a few tries: a moment of a busy machine is not taken for the input's own cost."""
    return min(reading_seconds(data) for _ in range(tries)) / (max(len(data), floor, 1) / MB)


def _quiet_collector() -> None:
    """Move what the process holds so far out of the garbage collector's sight: a full collection
    over a test run's objects would otherwise land in some reading's time (tens of milliseconds)."""
    gc.collect()
    gc.freeze()


# Shapes: the pathological families a partner's file can take, built on purpose (the mutations find
# them only by chance). Each maker returns an input of about ``size`` bytes.


def _envelope(body: str, *, isa12: str = "00401", gs01: str = "PO", gs08: str | None = "004010") -> bytes:
    from edi.tests.x12 import samples

    head = samples.isa(isa12=isa12, isa11="^" if isa12 >= "00402" else "U") + "~"
    group = gs08 is not None
    if group:
        head += f"GS*{gs01}*SENDER*RECEIVER*20260102*1200*7*X*{gs08}~"
    return (head + body + ("GE*1*7~" if group else "") + "IEA*1*000000001~").encode()


def _isa_run(size: int) -> bytes:
    from edi.tests.x12 import samples

    return _runs(samples.isa(isa12="00501", isa11="\r\n"), size).encode()


def _runs(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


_BEG = "ST*850*0001~BEG*00*SA*PO-1**20260102~"


def _sets(make: Callable[[int], str], size: int, unit: int) -> str:
    return "".join(make(n) for n in range(max(1, size // unit)))


SHAPES: dict[str, Callable[[int], bytes]] = {
    # Thousands of sets, each a line or two: the per-set cost (the 850's missing segments, mapping).
    "tiny sets": lambda size: _envelope(_sets(lambda n: f"ST*850*{n % 10**9:04d}~SE*2*{n % 10**9:04d}~", size, 24)),
    "sets without SE": lambda size: _envelope(_runs("ST*850*0001~", size)),
    "997 sets without SE": lambda size: _envelope(_runs("ST*997*0001~", size), gs01="FA"),
    "many groups": lambda size: _envelope(
        _sets(lambda n: f"GS*PO*S*R*20260102*1200*{n}*X*004010~ST*850*0001~SE*2*0001~GE*1*{n}~", size, 70),
        gs08=None,
    ),
    "many interchanges": lambda size: b"".join(_envelope("ST*850*0001~SE*2*0001~") for _ in range(max(1, size // 200))),
    # ISAs one after another, each without a terminator or an IEA (found by fuzzing: each was searched
    # for its IEA to the end of the file).
    "ISAs without IEA": lambda size: _isa_run(size),
    # Errors dense in one set: every element of every segment wrong, or a segment over its maximum use.
    "errors per segment": lambda size: _envelope(_BEG + _runs("DTM*1*1*1*1*1*1~", size) + "SE*2*0001~"),
    "a bad segment repeated": lambda size: _envelope(_BEG + _runs("DTM*X*X~", size) + "SE*2*0001~"),
    "unknown segments": lambda size: _envelope(_BEG + _runs("ZZZ*1~", size) + "SE*2*0001~"),
    # One segment grown huge: elements, repetitions, components.
    "huge element count": lambda size: _envelope(_BEG[:-1] + "*1" * (size // 2) + "~SE*3*0001~"),
    "huge repetition count": lambda size: _envelope(
        _BEG + "REF*ZZ*" + "1^" * (size // 2) + "~SE*3*0001~", isa12="00501", gs08="005010"
    ),
    "huge component count": lambda size: _envelope(_BEG + "REF*ZZ*1**X" + ">X" * (size // 2) + "~SE*3*0001~"),
    # Loops entered and left over and over; an 856's hierarchy thousands of levels deep.
    "loops in and out": lambda size: _envelope(
        _BEG + _runs("PO1*1*1*EA*1**BP*X~SCH*1*EA~N1*ST*X~N9*ZZ*1~", size) + "CTT*1~SE*2*0001~"
    ),
    "deep HL hierarchy": lambda size: _envelope(
        "ST*856*0001~BSN*00*1*20260102*1200~"
        + "".join(f"HL*{n}*{n - 1 or ''}*I~" for n in range(1, max(2, size // 16)))
        + "SE*2*0001~",
        gs01="SH",
    ),
}


def shapes_table(*, size: int = 300_000, tries: int = 3) -> list[tuple[str, int, float]]:
    """(family, bytes, s/MB) for each shape and for the corpus's median file, best of ``tries``.

    Shapes are timed at their own size (``size`` is over the 100 KB floor), the corpus files too.
    """
    rows = [(name, len(data := make(size)), rate(data, tries)) for name, make in SHAPES.items()]
    corpus = [rate(data, tries, floor=0) for data in seeds()]  # real partners' files, at their own sizes
    corpus.sort()
    rows.append(("corpus median (seeds)", 0, corpus[len(corpus) // 2]))
    return rows


@dataclass
class Result:
    inputs: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: int = 0
    crashes: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # where raised → (input, traceback)
    slowest_rate: float = 0.0  # seconds per MB
    slowest: bytes = b""
    slowest_seconds: float = 0.0


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    return f"{type(error).__name__} at {Path(last.filename).name}:{last.lineno}" if last else type(error).__name__


def run_one(data: bytes, result: Result) -> None:
    elapsed = 0.0
    try:
        elapsed = reading_seconds(data)
    except Exception as error:  # anything that is not the library's own error is a finding
        result.errors += 1
        where = _where(error)
        if where not in result.crashes or len(data) < len(result.crashes[where][0]):
            result.crashes[where] = (data, traceback.format_exc())
    rate = elapsed / (max(len(data), RATE_FLOOR_BYTES) / MB)
    result.inputs += 1
    result.bytes += len(data)
    result.seconds += elapsed
    if rate > result.slowest_rate:
        result.slowest_rate, result.slowest, result.slowest_seconds = rate, data, elapsed


def fuzz(*, inputs: int, seed: int, seconds: float | None = None) -> Result:
    """Run ``inputs`` mutated inputs (or as many as fit in ``seconds``), then the seeds themselves."""
    rng = random.Random(seed)
    pool = seeds()
    result = Result()
    _quiet_collector()
    deadline = time.monotonic() + seconds if seconds is not None else None
    for data in pool:
        run_one(data, result)
    for n, data in enumerate(mutants(pool, rng)):
        if n >= inputs or (deadline is not None and time.monotonic() > deadline):
            break
        run_one(data, result)
    return result


def save(result: Result, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for where, (data, trace) in result.crashes.items():
        name = f"crash-{hashlib.sha256(data).hexdigest()[:12]}"
        (out / f"{name}.x12").write_bytes(data)
        (out / f"{name}.txt").write_text(f"{where}\n\n{trace}")
        written.append(out / f"{name}.x12")
    if result.slowest:
        (out / "slowest.x12").write_bytes(result.slowest)
        written.append(out / "slowest.x12")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds-per-mb", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, help="stop after this long, however many inputs were read")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--shapes", action="store_true", help="time each pathological shape family (s/MB) instead of fuzzing"
    )
    parser.add_argument("--shape-size", type=int, default=300_000, help="bytes per shape input")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings")
    import django

    django.setup()
    if args.shapes:
        _quiet_collector()
        rows = shapes_table(size=args.shape_size)
        median = rows[-1][2]
        print(f"{'shape':26} {'bytes':>9} {'s/MB':>7} {'x corpus median':>16}")
        for name, size, seconds in rows:
            print(f"{name:26} {size or '':>9} {seconds:7.3f} {seconds / median if median else 0:16.1f}")
        worst = max(rows[:-1], key=lambda row: row[2])
        print(f"slowest shape: {worst[0]} at {worst[2]:.3f} s/MB (bound {args.max_seconds_per_mb} s/MB)")
        return 1 if worst[2] > args.max_seconds_per_mb else 0
    started = time.perf_counter()
    result = fuzz(inputs=args.inputs, seed=args.seed, seconds=args.seconds)
    wall = time.perf_counter() - started
    written = save(result, args.out)
    print(f"inputs: {result.inputs} ({result.bytes / MB:.1f} MB) in {wall:.0f} s, seed {args.seed}")
    print(f"uncaught errors: {result.errors} ({len(result.crashes)} distinct)")
    for where in sorted(result.crashes):
        print(f"  {where}")
    retimed = rate(result.slowest) if result.slowest and not result.errors else 0.0
    print(
        f"slowest: {retimed:.3f} s/MB timed again, best of 3 ({result.slowest_rate:.3f} s/MB in the run: "
        f"{result.slowest_seconds:.3f} s for {len(result.slowest)} bytes; "
        f"under {RATE_FLOOR_BYTES // 1000} KB counted as {RATE_FLOOR_BYTES // 1000} KB)"
    )
    print(f"saved: {', '.join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in written)}")
    return 1 if result.errors or retimed > args.max_seconds_per_mb else 0


if __name__ == "__main__":
    sys.exit(main())
