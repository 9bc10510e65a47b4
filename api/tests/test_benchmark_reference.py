"""The benchmark's reference PO list (the nested ModelSerializer, tests/benchmarks/ceiling_urls.py) answers
exactly what the API's own list answers, so the throughput ratio `make bench` prints compares like with like."""

from django.test import override_settings

from .test_purchase_orders import POS, orders  # noqa: F401 - ``orders`` is a fixture used below

REFERENCE = "/api/v1/reference/purchase-orders/"


def test_the_reference_list_answers_the_same_page_as_the_api(orders, owner):  # noqa: F811
    ours = owner.get(POS, {"page_size": 200})
    with override_settings(ROOT_URLCONF="tests.benchmarks.ceiling_urls"):
        reference = owner.get(REFERENCE, {"page_size": 200})
        not_there = owner.get(POS)

    assert (ours.status_code, reference.status_code, not_there.status_code) == (200, 200, 404)
    assert len(ours.json()["results"]) == 6
    assert reference.json()["results"] == ours.json()["results"]


def test_the_reference_list_is_served_only_by_the_benchmark(owner):
    assert owner.get(REFERENCE).status_code == 404
