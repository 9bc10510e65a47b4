"""The REST API under load: gunicorn on PostgreSQL (and Redis, when REDIS_URL names one), over loopback.

Latency, open loop (the figure that answers "how fast is the API for its users"): requests are sent at a
fixed offered rate (``rate``, 100 a second) by ``open_loop``, each timed from the moment it was due, so a
stall is counted for every request that arrives during it; p50/p99 and the rate actually achieved, median
of ``runs`` runs of ``open_seconds``. The same generator against a trivial HTTP server in a process of its
own shows what it resolves on this machine, and its CPU share is printed beside each case.

Throughput, closed loop (context, as ratios): wrk with ``connections`` connections that send again as soon
as an answer comes, ``seconds`` per run, median of ``runs`` runs. With 32 clients that never pause, the
mean latency is 32 / throughput (Little's law), so no latency target applies to these runs.

Cases:

- ceiling: a trivial DRF view (tests/benchmarks/ceiling_urls.py) with the gateway's settings, served by a
  second gunicorn: API-key authentication, throttle, JSON renderer, the same middleware. The application's
  routes are not touched.
- reference PO list: the same page written the textbook way, the nested ``PurchaseOrderOut`` ModelSerializer
  over model instances (ceiling_urls.py, on the second gunicorn).
- GET /api/v1/purchase-orders/: the first page (50) of ``orders`` POs of five lines each.
- POST /api/v1/acknowledgements/: a five-line acceptance per request, each with its own Idempotency-Key and
  document_id, cycling over the POs: stored first, idempotency record, write path, audit.

Both servers run gunicorn's sync workers, 2 × cores + 1 of them, production-like: DJANGO_DEBUG=0, outbox
rows written but not enqueued (no broker), a rate limit high enough never to throttle.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.test import Client, override_settings

from api.models import ApiKey
from procurement import factories
from procurement.services import WriteSource, purchase_order_publish
from tests.benchmarks import open_loop
from tests.benchmarks.acknowledgements import LINES, _reset
from tests.benchmarks.ceiling_urls import PATH as CEILING_PATH
from tests.benchmarks.ceiling_urls import REFERENCE_PO_LIST

BENCH_URLCONF = "tests.benchmarks.ceiling_urls"

ROOT = Path(__file__).resolve().parents[2]
PO_LIST = "/api/v1/purchase-orders/"
ACKS = "/api/v1/acknowledgements/"
TARGETS = {
    "po_list_ratio": 0.50,
    "ack_ratio": 0.25,
    "po_list_over_reference": 3.0,
    "p99_ms": 100.0,
    "achieved_share": 0.99,
    # What the generator must resolve for its figures to be the server's: a fifth of the latency target.
    "generator_p99_ms": 20.0,
}

# One Lua state per wrk thread: ``setup`` numbers the threads, ``request`` makes every request unique.
ACK_SCRIPT = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  nonce, orders, authorization, lines = args[1], tonumber(args[2]), args[3], tonumber(args[4])
  sent = 0
end

function request()
  sent = sent + 1
  local id = string.format("%s-%d-%d", nonce, thread_no, sent)
  local po = string.format("PO-%06d", (sent * 2 + thread_no) % orders)
  local answers = {}
  for n = 1, lines do
    answers[n] = string.format('{"line_no":"%d","response":"ACCEPT","raw_code":"IA"}', n)
  end
  local body = string.format(
    '{"document_id":"ACK-%s","po_number":"%s","header":"ACCEPTED","raw_code":"AC","lines":[%s]}',
    id, po, table.concat(answers, ","))
  return wrk.format("POST", nil, {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id,
  }, body)
end
"""


@dataclass
class Measure:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def run(
    *,
    runs: int = 3,
    seconds: int = 15,
    connections: int = 32,
    orders: int = 200,
    rate: float = 100.0,
    open_seconds: int = 20,
) -> None:
    wrk = _wrk()
    if wrk is None:
        return
    secret = _seed(orders)
    workers = 2 * (os.cpu_count() or 1) + 1
    threads = max(1, min(4, os.cpu_count() or 1))
    cache = "Redis" if os.environ.get("REDIS_URL") else "an in-process cache (no REDIS_URL)"
    print(
        f"\nREST API on PostgreSQL, rate limits in {cache}: gunicorn, {workers} sync workers "
        f"(2 x {os.cpu_count()} cores + 1) per server; {orders} POs of {LINES} lines for the key's supplier; "
        f"medians of {runs} runs; load average before: {os.getloadavg()[0]:.1f} (the machine's other work competes)\n"
    )
    authorization = f"Bearer {secret}"
    # Before any server starts: this process alone, so its CPU figures are the requests' own.
    cpu_ms = {
        "ceiling": _cpu_per_request(CEILING_PATH, authorization, urlconf=BENCH_URLCONF),
        "reference": _cpu_per_request(REFERENCE_PO_LIST, authorization, urlconf=BENCH_URLCONF),
        "list": _cpu_per_request(PO_LIST, authorization, urlconf=None),
    }
    closed: dict[str, list[Measure]] = {"ceiling": [], "reference": [], "list": [], "ack": []}
    opened: dict[str, list[open_loop.OpenLoopResult]] = {"trivial": [], "list": [], "ack": []}
    with (
        tempfile.TemporaryDirectory() as folder,
        _gunicorn("tests.benchmarks.ceiling_settings", workers, CEILING_PATH, authorization) as ceiling,
        _gunicorn("gateway.settings", workers, PO_LIST, authorization) as gateway,
        open_loop.trivial_server() as trivial_port,
    ):
        script = Path(folder) / "ack.lua"
        script.write_text(ACK_SCRIPT)
        common = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        auth = ["-H", f"Authorization: {authorization}"]
        for n in range(runs):
            closed["ceiling"].append(_wrk_run([*common, *auth, ceiling + CEILING_PATH]))
            closed["reference"].append(_wrk_run([*common, *auth, ceiling + REFERENCE_PO_LIST]))
            closed["list"].append(_wrk_run([*common, *auth, gateway + PO_LIST]))
            nonce = f"r{n}x{int(time.time())}"
            closed["ack"].append(
                _wrk_run(
                    [*common, "-s", str(script), gateway + ACKS, "--", nonce, str(orders), authorization, str(LINES)]
                )
            )
        port = int(gateway.rsplit(":", 1)[1])
        for n in range(runs):
            timed = {"rate": rate, "seconds": open_seconds}
            opened["trivial"].append(
                open_loop.run(host="127.0.0.1", port=trivial_port, request_for=lambda i: ("GET", "/", {}, b""), **timed)
            )
            get_list = ("GET", PO_LIST, {"Authorization": authorization}, b"")
            opened["list"].append(open_loop.run(host="127.0.0.1", port=port, request_for=lambda i: get_list, **timed))
            nonce = f"o{n}x{int(time.time())}"
            opened["ack"].append(
                open_loop.run(
                    host="127.0.0.1",
                    port=port,
                    request_for=functools.partial(_ack_request, nonce, orders=orders, authorization=authorization),
                    **timed,
                )
            )
    _report(closed, opened, cpu_ms, rate=rate, open_seconds=open_seconds)
    print(f"Load average after: {os.getloadavg()[0]:.1f}")


def _cpu_per_request(path: str, authorization: str, *, urlconf: str | None, requests: int = 30) -> float:
    """This process's CPU in ms per GET of ``path`` through the whole Django stack (the test client, no server).

    What a request costs in Python, without PostgreSQL's share and with little of the machine's other work
    (CPU time, not elapsed time): the steadier figure when the machine is busy.
    """
    with override_settings(ROOT_URLCONF=urlconf) if urlconf else contextlib.nullcontext(), warnings.catch_warnings():
        # whitenoise warns that static files were never collected: the API serves none.
        warnings.filterwarnings("ignore", message="No directory at")
        client = Client(HTTP_AUTHORIZATION=authorization)
        for _ in range(3):  # warm: URL resolver, prepared statements, the key's cached actor
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code} in process")
        started = time.process_time()
        for _ in range(requests):
            client.get(path)
        return (time.process_time() - started) / requests * 1000


def _ack_request(nonce: str, n: int, *, orders: int, authorization: str) -> tuple[str, str, dict[str, str], bytes]:
    """The n-th acknowledgement of an open-loop run: its own document id and Idempotency-Key, POs in turn."""
    document = f"{nonce}-{n}"
    body = {
        "document_id": f"ACK-{document}",
        "po_number": f"PO-{n % orders:06d}",
        "header": "ACCEPTED",
        "raw_code": "AC",
        "lines": [{"line_no": str(k), "response": "ACCEPT", "raw_code": "IA"} for k in range(1, LINES + 1)],
    }
    headers = {"Authorization": authorization, "Content-Type": "application/json", "Idempotency-Key": document}
    return "POST", ACKS, headers, json.dumps(body).encode()


def _report(
    closed: dict[str, list[Measure]],
    opened: dict[str, list[open_loop.OpenLoopResult]],
    cpu_ms: dict[str, float],
    *,
    rate: float,
    open_seconds: int,
) -> None:
    def mid(values) -> float:
        return statistics.median(values)

    # Latency first: it is what the targets are about.
    print(
        f"Open loop: {rate:.0f} requests/s offered for {open_seconds} s per run, each request timed from when it was "
        "due (no coordinated omission); a new connection per request, as gunicorn's sync workers answer"
    )
    header = (
        f"{'case':<46}{'offered':>9}{'achieved':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        f"{'send lag p99':>14}{'gen CPU':>9}"
    )
    print(header)
    print("-" * len(header))
    open_labels = {
        "trivial": "load generator alone: trivial HTTP server",
        "list": f"GET {PO_LIST} (page of 50)",
        "ack": f"POST {ACKS} ({LINES} lines)",
    }
    summary = {}
    for case, results in opened.items():
        m = summary[case] = open_loop.OpenLoopResult(
            offered=rate,
            achieved=mid(r.achieved for r in results),
            sent=sum(r.sent for r in results),
            ok=sum(r.ok for r in results),
            errors=sum(r.errors for r in results),
            p50_ms=mid(r.p50_ms for r in results),
            p99_ms=mid(r.p99_ms for r in results),
            max_ms=mid(r.max_ms for r in results),
            lag_p99_ms=mid(r.lag_p99_ms for r in results),
            cpu_percent=mid(r.cpu_percent for r in results),
            failures=dict(sum((collections.Counter(r.failures) for r in results), collections.Counter())),
        )
        print(
            f"{open_labels[case]:<46}{m.offered:>9.0f}{m.achieved:>10.1f}{m.p50_ms:>9.1f}{m.p99_ms:>9.1f}"
            f"{m.max_ms:>9.1f}{m.errors:>8}{m.lag_p99_ms:>11.1f} ms{m.cpu_percent:>8.1f}%"
        )
        if m.failures:
            print(f"  errors: {', '.join(f'{kind} x {n}' for kind, n in sorted(m.failures.items()))}")
    print(
        "  (achieved: 2xx answers/s; send lag: due time to request written, counted in the latency; gen CPU: the\n"
        "   generator's CPU in % of one core; medians of the runs, errors summed)"
    )

    median = {
        case: Measure(
            rate=mid(m.rate for m in measures),
            p50_ms=mid(m.p50_ms for m in measures),
            p99_ms=mid(m.p99_ms for m in measures),
            requests=sum(m.requests for m in measures),
            errors=sum(m.errors for m in measures),
        )
        for case, measures in closed.items()
    }
    ceiling = median["ceiling"].rate
    labels = {
        "ceiling": f"ceiling: trivial DRF view (GET {CEILING_PATH})",
        "reference": "reference: nested ModelSerializer PO list",
        "list": f"GET {PO_LIST} (page of 50)",
        "ack": f"POST {ACKS} ({LINES} lines)",
    }
    print(
        "\nClosed loop (context: throughput; wrk's clients send again as soon as an answer comes, so latency here is "
        "clients / throughput)"
    )
    header = f"{'case':<46}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}{'non-2xx':>10}{'CPU ms/req':>12}"
    print(header)
    print("-" * len(header))
    for case, c in median.items():
        cpu = f"{cpu_ms[case]:>12.1f}" if case in cpu_ms else f"{'':>12}"
        print(
            f"{labels[case]:<46}{c.rate:>10.0f}{c.p50_ms:>10.1f}{c.p99_ms:>10.1f}{c.rate / ceiling:>8.2f}{c.errors:>10}"
            + cpu
        )
    print(
        "  (ratio: to the ceiling's req/s; req/s and latencies: medians of the runs; non-2xx: total over the runs;\n"
        "   CPU ms/req: one process's CPU per GET through the whole Django stack, in process, before the servers ran)"
    )
    list_ratio, ack_ratio = median["list"].rate / ceiling, median["ack"].rate / ceiling
    over_reference = median["list"].rate / median["reference"].rate
    p99 = TARGETS["p99_ms"]
    errors = sum(c.errors for c in median.values()) + sum(r.errors for r in summary.values())
    share = TARGETS["achieved_share"]

    def kept_up(case: str) -> bool:
        return summary[case].achieved >= share * rate

    checks = [
        (
            f"open loop, {rate:.0f}/s: PO list p99 <= {p99:.0f} ms, achieved >= {share:.0%}",
            summary["list"].p99_ms <= p99 and kept_up("list"),
            f"{summary['list'].p99_ms:.1f} ms",
        ),
        (
            f"open loop, {rate:.0f}/s: acknowledgement POST p99 <= {p99:.0f} ms, achieved >= {share:.0%}",
            summary["ack"].p99_ms <= p99 and kept_up("ack"),
            f"{summary['ack'].p99_ms:.1f} ms",
        ),
        (
            f"load generator resolves: trivial server p99 <= {TARGETS['generator_p99_ms']:.0f} ms",
            summary["trivial"].p99_ms <= TARGETS["generator_p99_ms"] and kept_up("trivial"),
            f"{summary['trivial'].p99_ms:.1f} ms",
        ),
        (
            f"PO list >= {TARGETS['po_list_over_reference']:.0f}x the nested-ModelSerializer reference",
            over_reference >= TARGETS["po_list_over_reference"],
            f"{over_reference:.2f}x",
        ),
        (
            "  the same in CPU per request, in process (reference / ours)",
            cpu_ms["reference"] / cpu_ms["list"] >= TARGETS["po_list_over_reference"],
            f"{cpu_ms['reference'] / cpu_ms['list']:.2f}x",
        ),
        (
            f"PO list >= {TARGETS['po_list_ratio']:.0%} of the ceiling's throughput",
            list_ratio >= TARGETS["po_list_ratio"],
            f"{list_ratio:.0%}",
        ),
        (
            f"acknowledgement POST >= {TARGETS['ack_ratio']:.0%} of the ceiling's throughput",
            ack_ratio >= TARGETS["ack_ratio"],
            f"{ack_ratio:.0%}",
        ),
        ("no error responses", errors == 0, str(errors)),
    ]
    print("\nTargets:")
    for label, met, measured in checks:
        print(f"  {label:<72} {measured:>10}  {'met' if met else 'NOT met'}")
    if any(math.isnan(m.p99_ms) for m in summary.values()):
        print("  (a case with no successful answer has no latency: nan)")


def _seed(orders: int) -> str:
    """An empty database with ``orders`` published POs for BOLTS and a write key for BOLTS; returns the key."""
    _reset()
    company = factories.CompanyFactory(code="ACME")
    plant = factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="BOLTS")
    factories.BuyerFactory(username="buyer", email="buyer@acme.example")
    erp = WriteSource(channel="system", label="ERP")
    for n in range(orders):
        po = factories.po_input(
            company="ACME", supplier="BOLTS", plant=plant.code, number=f"PO-{n:06d}", lines=LINES, buyer="buyer"
        )
        purchase_order_publish(po=po, source=erp)
    _key, secret = ApiKey.issue(kind="supplier", supplier=supplier, name="benchmark")
    return secret


@contextlib.contextmanager
def _gunicorn(settings_module: str, workers: int, probe: str, authorization: str) -> Iterator[str]:
    """A gunicorn serving gateway.wsgi with ``settings_module`` on a free loopback port; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback: no redirect to https
        "GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT": "0",
        "GATEWAY_API_RATE": "100000000/min",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open while gunicorn writes to it, closed below
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "gateway.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url + probe, authorization, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(url: str, authorization: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            request = urllib.request.Request(url, headers={"Authorization": authorization})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not serving yet: workers still booting on a busy machine
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"gunicorn did not serve {url}:\n{log.read().decode(errors='replace')}")
        time.sleep(0.2)


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_run(command: list[str]) -> Measure:
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if rate is None or total is None or set(latency) != {50, 99}:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Measure(
        rate=float(rate.group(1)), p50_ms=latency[50], p99_ms=latency[99], requests=int(total.group(1)), errors=errors
    )


def _wrk() -> str | None:
    """wrk's path; installed with apt-get when missing and we are root, otherwise say how to get it."""
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is not installed: installing it with apt-get ...")
        for attempt in (
            ["apt-get", "install", "-y", "wrk"],
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "wrk"],
        ):
            done = subprocess.run(
                attempt, capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            )
            if attempt[1] == "install" and done.returncode == 0:
                return shutil.which("wrk")
    print(
        "\nSkipping the API benchmark: it needs wrk (https://github.com/wg/wrk). Install it with\n"
        "    sudo apt-get install -y wrk        (Debian/Ubuntu)     or     brew install wrk        (macOS)\n"
        "and run `make bench` (or python -m tests.benchmarks --only api) again."
    )
    return None
