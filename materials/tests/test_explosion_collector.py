"""An explosion pauses Python's cyclic garbage collector, and every way out of it resumes it once."""

from __future__ import annotations

import gc

import pytest

from materials.explosion import no_cycle_collection


def test_overlapping_explosions_resume_the_collector_when_the_last_one_ends():
    assert gc.isenabled()
    first, second = no_cycle_collection(), no_cycle_collection()
    first.__enter__()
    second.__enter__()  # another thread's explosion starts while the first runs
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_an_explosion_that_fails_resumes_the_collector():
    with pytest.raises(ZeroDivisionError), no_cycle_collection():
        assert not gc.isenabled()
        1 / 0
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused():
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
