"""A bounded fuzzing run of the X12 reading (``make fuzz`` runs a million inputs), and every input
fuzzing or a report found, kept under ``edi/tests/x12/fuzz_cases/``."""

import os
from pathlib import Path

import pytest

from tests import fuzz

CASES = sorted(fuzz.CASES_DIR.glob("*.x12"))


@pytest.mark.fuzz
def test_mutated_partner_files_raise_only_the_librarys_errors_in_linear_time():
    seconds = float(os.environ.get("GATEWAY_FUZZ_SECONDS", "45"))

    result = fuzz.fuzz(inputs=10**9, seed=0, seconds=seconds)

    crashes = {where: trace for where, (_, trace) in result.crashes.items()}
    assert (result.errors, crashes) == (0, {})
    assert result.inputs > 100  # the run did fuzz, not only read its seeds
    # Linear, with room for a loaded machine: the densest inputs (thousands of one-segment sets,
    # each with its errors) read at some 10-15 s/MB here; a check that backtracked over a value of
    # tens of kilobytes (the fuzzer grows them) reads at hundreds.
    assert fuzz.rate(result.slowest) < 60, len(result.slowest)


def test_the_kept_cases_are_there():
    assert [p.name for p in CASES] == [
        "control-counts-of-5000-digits.x12",
        "decimal-digit-run-with-stray-points.x12",
        "found-thousands-of-997-st-without-se.x12",
        "thousands-of-005010-997-st-without-se.x12",
        "thousands-of-st-without-se.x12",
    ]


@pytest.mark.fuzz
@pytest.mark.parametrize("case", CASES, ids=lambda p: Path(p).stem)
def test_each_kept_case_is_read_in_linear_time_without_a_foreign_error(case: Path):
    data = case.read_bytes()

    assert fuzz.rate(data) < 60  # s/MB, as in the run above


@pytest.mark.fuzz
@pytest.mark.parametrize("shape", sorted(fuzz.SHAPES))
def test_each_pathological_shape_is_read_without_a_foreign_error_in_linear_time(shape: str):
    make = fuzz.SHAPES[shape]
    small, large = make(25_000), make(100_000)

    fuzz.reading_seconds(small)  # raises whatever is not the library's own error
    # Four times the input, not sixteen times the time (with room for a busy machine, and for the
    # timer's noise on readings of a few milliseconds); the rate within the kept cases' bound.
    large_rate = fuzz.rate(large, floor=0)
    assert large_rate < max(3 * fuzz.rate(small, floor=0), 0.5), shape
    assert large_rate < 60


@pytest.mark.fuzz
@pytest.mark.parametrize("shape", sorted(fuzz.SHAPES))
def test_each_pathological_shape_costs_work_in_proportion_to_its_size(shape: str):
    """Counted in lines run, not timed: four times the input runs at most 4.5 times the lines in a
    worker's reading (stream, validation, the 997/999). Found over it before: thousands of groups in
    one interchange (each GS06 compared with every earlier one) and one set dense with errors over
    many read windows (each issue's offset searched window by window)."""
    make = fuzz.SHAPES[shape]

    def receive(data: bytes) -> int:
        # Small windows, so a set spans hundreds of them as a set of megabytes does at the usual size.
        return fuzz.lines_run(lambda: fuzz.receive(data, chunk_size=256))

    small, large = receive(make(20_000)), receive(make(80_000))

    assert large / small < 4.5, (small, large)


@pytest.mark.fuzz
@pytest.mark.parametrize("shape", ["a bad segment repeated", "errors per segment", "unknown segments"])
def test_a_set_dense_with_errors_costs_work_in_proportion_to_them_past_the_detail_limit(
    shape: str, monkeypatch: pytest.MonkeyPatch
):
    """The engine stops detailing a set at its 1,000th segment in error; with that limit lifted, the
    issues of tens of thousands of bad segments still cost lines in proportion to their count."""
    from edi.x12.engine import walker

    monkeypatch.setattr(walker, "MAX_SEGMENTS_IN_ERROR", 10**9)
    make = fuzz.SHAPES[shape]

    def receive(data: bytes) -> int:
        return fuzz.lines_run(lambda: fuzz.receive(data, chunk_size=256))

    small, large = receive(make(20_000)), receive(make(80_000))

    assert large / small < 4.5, (small, large)


@pytest.mark.fuzz
@pytest.mark.parametrize(
    ("shape", "set_bytes"), [("sets without SE", 12), ("997 sets without SE", 12), ("tiny sets", 24)]
)
def test_the_sets_past_a_groups_thousandth_rejected_one_are_counted_not_read(shape: str, set_bytes: int):
    """Counted in lines run, as above: a group of 1,000 rejected sets read in a worker's reading, then
    one of 3,000. A set read costs some 500 lines (the set, its validation, its AK2 loop); each of
    the 2,000 sets past the 1,000th rejected one is only counted, at under a tenth of that. Before
    the limit (``envelope.MAX_REJECTED_SETS``) these shapes read at 2.5 to 5 s/MB."""
    make = fuzz.SHAPES[shape]

    def receive(sets: int) -> int:
        data = make(sets * set_bytes)
        return fuzz.lines_run(lambda: fuzz.receive(data, chunk_size=256))

    read, with_more = receive(1000), receive(3000)

    assert (with_more - read) / 2000 < read / 1000 / 10, (read, with_more)
