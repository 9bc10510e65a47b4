"""The benchmark's open-loop load generator: every request it was due to send is sent and accounted for."""

from tests.benchmarks import open_loop


def test_every_due_request_is_sent_and_answered_by_a_live_server():
    with open_loop.trivial_server() as port:
        result = open_loop.run(
            host="127.0.0.1", port=port, rate=40, seconds=1, request_for=lambda n: ("GET", f"/{n}", {}, b"")
        )

    assert (result.offered, result.sent, result.ok, result.errors, result.failures) == (40, 40, 40, 0, {})
    assert result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.achieved > 0


def test_a_request_that_fails_is_counted_by_kind_never_dropped():
    port = open_loop.free_port()  # nothing listens on it

    result = open_loop.run(
        host="127.0.0.1", port=port, rate=20, seconds=0.5, request_for=lambda n: ("POST", "/", {}, b"{}")
    )

    assert (result.sent, result.ok, result.errors, result.failures) == (10, 0, 10, {"ConnectionRefusedError": 10})


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]

    assert [open_loop.percentile(values, p) for p in (0.5, 0.99, 1.0)] == [50.0, 99.0, 100.0]
    assert open_loop.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
