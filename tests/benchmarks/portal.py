"""An acknowledgement sent through the portal's form beside the same sent through the REST API, in one run.

Both go through the whole Django stack in this process (the test client: middleware, session or key,
CSRF, the form or the serializer, store first, the write path). Each request answers its own PO with
five accepted lines; the two channels alternate PO by PO so the database grows alike under both.
Reported per request: the median elapsed time, this process's CPU time, and the queries. Target:
the form costs at most 1.5x the API's (elapsed and CPU medians).

Then the PO inbox with ``INBOX_ORDERS`` (10,000) POs of five lines for the supplier: p95 elapsed and the
queries of its first page, a search, a status filter and a later page; then the PO page of a 50-line
PO beside a 5-line one. Targets: inbox p95 <= 50 ms server time and <= 15 queries; a page's queries
do not grow with its rows (page 200 as the first page, 50 lines as 5).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
import warnings

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from procurement import factories
from suppliers.models import Supplier
from tests.benchmarks.acknowledgements import LINES, counting
from tests.benchmarks.api import _seed

TARGET_RATIO = 1.5
INBOX_ORDERS = 10_000
INBOX_PAGES = {
    "first page": "/portal/orders/",
    "search by PO": "/portal/orders/?q=PO-009999",
    "awaiting answer": "/portal/orders/?status=ack:awaiting",
    "page 200": "/portal/orders/?page=200",
}


def run(*, rounds: int, acks: int) -> None:
    per_round = max(acks // 2, 10)
    secret = _seed(orders=per_round * 2 * rounds + 2)
    user = factories.SupplierUserFactory(username="bench-user", membership__supplier=Supplier.objects.get(code="BOLTS"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    portal = Client()
    portal.force_login(user)
    from procurement.models import PurchaseOrder

    ids = dict(PurchaseOrder.objects.values_list("number", "pk"))
    measured: dict[str, list[tuple[float, float, int]]] = {"api": [], "form": []}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: static files not collected
        n = 0
        _api(api, n, ids)  # warm both paths: URL resolver, prepared statements, the key's and session's actor
        _form(portal, n + 1, ids)
        n = 2
        for _ in range(rounds):
            for _ in range(per_round):
                measured["api"].append(_api(api, n, ids))
                measured["form"].append(_form(portal, n + 1, ids))
                n += 2
    _report(measured)
    _inbox(portal, already=len(ids))


def _inbox(client: Client, *, already: int, requests: int = 40) -> None:
    from procurement.models import Plant
    from procurement.services import WriteSource, purchase_order_publish

    erp = WriteSource(channel="system", label="ERP")
    plant = Plant.objects.get(code="DET")
    started = time.perf_counter()
    for n in range(already, INBOX_ORDERS):
        po = factories.po_input(
            company="ACME", supplier="BOLTS", plant=plant.code, number=f"PO-{n:06d}", lines=LINES, buyer="buyer"
        )
        purchase_order_publish(po=po, source=erp)
    print(f"inbox: {INBOX_ORDERS} POs of {LINES} lines for BOLTS (seeded in {time.perf_counter() - started:.0f} s)")
    # As autovacuum would after such a load: without statistics the planner takes the POs and their
    # lines for a few rows and joins "awaiting an answer" as a nested loop over every line (seconds).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # CPU time beside elapsed: on a shared, loaded machine the elapsed time is mostly waiting for a core.
    print(f"  {'page':<18}{'p50 ms':>9}{'p95 ms':>9}{'CPU p50':>9}{'CPU p95':>9}{'queries':>9}")
    # Pages name their static files; with DEBUG off the manifest storage wants collectstatic, which
    # has nothing to do with what is measured here.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        _inbox_pages(client, requests)
        po = factories.po_input(company="ACME", supplier="BOLTS", plant=plant.code, number="PO-LONG", lines=50)
        purchase_order_publish(po=po, source=erp)
        _po_pages(client, requests)


def _po_pages(client: Client, requests: int) -> None:
    from procurement.models import PurchaseOrder

    pages = {
        "PO page, 5 lines": f"/portal/orders/{PurchaseOrder.objects.get(number='PO-000000').pk}/",
        "PO page, 50 lines": f"/portal/orders/{PurchaseOrder.objects.get(number='PO-LONG').pk}/",
    }
    for name, path in pages.items():
        _page_figures(client, name, path, requests)


def _inbox_pages(client: Client, requests: int) -> None:
    for name, path in INBOX_PAGES.items():
        _page_figures(client, name, path, requests)


def _page_figures(client: Client, name: str, path: str, requests: int) -> None:
    for _ in range(3):
        client.get(path)  # warm
    samples = [_get(client, path) for _ in range(requests)]
    elapsed = sorted(ms for ms, _, _ in samples)
    cpu = sorted(ms for _, ms, _ in samples)
    at95 = min(len(elapsed) - 1, int(0.95 * len(elapsed)))
    print(
        f"  {name:<18}{statistics.median(elapsed):>9.1f}{elapsed[at95]:>9.1f}"
        f"{statistics.median(cpu):>9.1f}{cpu[at95]:>9.1f}{samples[-1][2]:>9}"
    )


def _get(client: Client, path: str) -> tuple[float, float, int]:
    with counting() as queries:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return elapsed, cpu, queries["n"]


def _timed(send) -> tuple[float, float, int]:
    with counting() as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        response = send()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code not in (201, 302):
        raise RuntimeError(f"answered {response.status_code}: {response.content[:300]!r}")
    return wall * 1000, cpu * 1000, queries["n"]


def _api(client: Client, n: int, ids: dict[str, int]) -> tuple[float, float, int]:
    body = {
        "document_id": f"ACK-{n}",
        "po_number": f"PO-{n:06d}",
        "header": "ACCEPTED",
        "raw_code": "AC",
        "lines": [{"line_no": str(k), "response": "ACCEPT", "raw_code": "IA"} for k in range(1, LINES + 1)],
    }
    return _timed(
        lambda: client.post(
            "/api/v1/acknowledgements/",
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"bench-{n}",
        )
    )


def _form(client: Client, n: int, ids: dict[str, int]) -> tuple[float, float, int]:
    data = {
        "token": uuid.uuid4().hex,
        "revision": "0",
        "action": "submit",
        "form-TOTAL_FORMS": str(LINES),
        "form-INITIAL_FORMS": str(LINES),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for k in range(LINES):
        data[f"form-{k}-line_no"] = str(k + 1)
        data[f"form-{k}-response"] = "ACCEPT"
    return _timed(lambda: client.post(f"/portal/orders/{ids[f'PO-{n:06d}']}/acknowledge/", data))


def _report(measured: dict[str, list[tuple[float, float, int]]]) -> None:
    def med(case: str, index: int) -> float:
        return statistics.median(m[index] for m in measured[case])

    print(f"portal: {len(measured['form'])} acknowledgements through each channel, 5 lines each (medians per request)")
    print(f"  {'channel':<8}{'elapsed ms':>12}{'CPU ms':>10}{'queries':>10}")
    for case in ("api", "form"):
        print(f"  {case:<8}{med(case, 0):>12.1f}{med(case, 1):>10.1f}{med(case, 2):>10.0f}")
    for index, name in ((0, "elapsed"), (1, "CPU")):
        ratio = med("form", index) / med("api", index)
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"  form / API {name}: {ratio:.2f}x  (target <= {TARGET_RATIO}x)  {verdict}")
