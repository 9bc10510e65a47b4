"""Chaos with a real worker: SIGKILLed twenty times at random moments while EDI files flow, it loses nothing."""

import random

import pytest

from tests import chaos

from .conftest import database_url

pytestmark = pytest.mark.worker


def test_a_worker_killed_twenty_times_while_files_flow_loses_nothing_and_doubles_nothing(
    transactional_db, tmp_path, settings
):
    from gateway.celery import app

    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    app.control.purge()
    seed = random.randrange(1_000_000)
    env = {"DATABASE_URL": database_url(), "GATEWAY_FILE_ROOT": str(settings.GATEWAY_FILE_ROOT)}

    tally = chaos.run(kills=20, files=40, seed=seed, env=env, workdir=tmp_path, out=lambda line: None)

    report = f"seed {seed} (python -m tests.chaos --kills 20 --files 40 --seed {seed})\n{tally.report()}"
    print(report)
    assert tally.problems == [], report
    assert (tally.kills, tally.dropped, tally.lost, tally.stored_twice, tally.moved_twice) == (20, 40, 0, 0, 0), report
    assert (tally.stored_once, tally.archived_or_rejected_once) == (40, 40), report
    assert (tally.effects_doubled, tally.effects_missing, tally.answers_doubled, tally.answers_missing) == (0, 0, 0, 0)
    # Four files are unreadable, eight hold two interchanges, twenty-eight one.
    assert (tally.interchanges, tally.effects_applied_once, tally.answers_once) == (44, 44, 44), report
    assert tally.answer_files_written_once == 44, report
