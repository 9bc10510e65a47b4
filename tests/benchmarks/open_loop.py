"""An open-loop load generator: requests leave on a fixed clock, whatever the server's answers are doing.

A closed-loop tool (wrk, or N clients that send again as soon as an answer comes) slows down with the
server it measures: while the server stalls, nobody sends, so the stall is recorded once instead of for
every request that would have arrived during it (coordinated omission). Here request ``i`` is due at
``start + i / rate``; it is sent then on a fresh connection, however many earlier requests are still
waiting, and its latency runs from that due time to the last byte of the answer. Anything the generator
itself loses (a late wake-up, a slow connect) is therefore counted against the server, never hidden.

The generator is asyncio on raw sockets (HTTP/1.1, ``Connection: close``, as gunicorn's sync workers
answer), so one process keeps a few hundred requests a second in flight with little CPU. Its own share
is reported: the CPU it used, how late it sent (due time to send), and its figures against a trivial
HTTP server (``trivial_server``), which is what the measurement can resolve on this machine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# A request: (method, path, headers, body); the body factory gets the request's number.
RequestFor = Callable[[int], tuple[str, str, dict[str, str], bytes]]


@dataclass
class OpenLoopResult:
    offered: float  # requests per second the clock sent
    achieved: float  # successful answers per second, over the time from the first due time to the last answer
    sent: int
    ok: int
    errors: int  # non-2xx answers, refused or reset connections, timeouts
    p50_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float  # how late the generator sent, due time to the request's first byte written
    cpu_percent: float  # the generator's CPU over the run, in % of one core
    failures: dict[str, int]  # errors by kind: "HTTP 429", "timeout", "ConnectionResetError", ...


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def run(
    *, host: str, port: int, rate: float, seconds: float, request_for: RequestFor, timeout: float = 10.0
) -> OpenLoopResult:
    """Send ``rate`` requests a second for ``seconds`` to ``host:port``; every request is timed from its due time."""
    return asyncio.run(_run(host, port, rate, seconds, request_for, timeout))


async def _run(
    host: str, port: int, rate: float, seconds: float, request_for: RequestFor, timeout: float
) -> OpenLoopResult:
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    # Built before the clock starts: making a body is the client's work, not the server's wait.
    raw = [_encode(host, port, *request_for(n)) for n in range(total)]
    latencies: list[float] = []
    lags: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    last_answer = 0.0

    async def one(payload: bytes, due: float) -> None:
        nonlocal last_answer
        writer = None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(payload)
                lags.append(loop.time() - due)
                answer = await reader.read()
            finished = loop.time()
            status = int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0
            if 200 <= status < 300:
                latencies.append(finished - due)
                last_answer = max(last_answer, finished)
            else:
                failures[f"HTTP {status}"] += 1
        except TimeoutError:
            failures["timeout"] += 1
        except (OSError, ValueError) as error:
            failures[type(error).__name__] += 1
        finally:
            if writer is not None:
                writer.close()

    cpu_started = time.process_time()
    start = loop.time() + 0.05
    tasks = []
    for n, payload in enumerate(raw):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(payload, due)))
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu_started
    window = max(last_answer - start, total / rate)
    return OpenLoopResult(
        offered=rate,
        achieved=len(latencies) / window,
        sent=total,
        ok=len(latencies),
        errors=sum(failures.values()),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=max(latencies, default=math.nan) * 1000,
        lag_p99_ms=percentile(lags, 0.99) * 1000,
        cpu_percent=100 * cpu / window,
        failures=dict(failures),
    )


def _encode(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# The least a server can do: answer every request at once with a small JSON body, in a process of its own.
_TRIVIAL_SERVER = """
import asyncio, sys

BODY = b'{"ok":true}'
HEAD = b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: 11\\r\\nConnection: close\\r\\n"
ANSWER = HEAD + b"\\r\\n" + BODY

async def answer(reader, writer):
    try:
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(ANSWER)
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass  # a readiness probe connects and leaves without a request
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


@contextlib.contextmanager
def trivial_server() -> Iterator[int]:
    """A trivial HTTP server on a free loopback port (its own process); yields the port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", _TRIVIAL_SERVER, str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the trivial HTTP server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
