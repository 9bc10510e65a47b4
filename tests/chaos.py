"""Chaos: a real Celery worker SIGKILLed at random moments while partners' EDI files flow in.

Each round drops a few files into the partner's inbox, starts a worker (with its scheduler), lets
it work for a random moment and kills it with SIGKILL: mid-claim, mid-transaction, mid-delivery,
mid-rename, wherever it happens to be. After the last kill a worker runs until everything is
settled, and the tally says what became of every file: stored once, archived or rejected
exactly once, each interchange's effect applied once, each 997 written once.

    python -m tests.chaos [--kills 100] [--seed N]      # make chaos: a database and broker of its own
    tests/test_edi_chaos.py                             # 20 kills, on the test database

Run as a module it makes its own SQLite database, on-disk broker and file root in a temporary
folder (DATABASE_URL and REDIS_URL are ignored), so it never touches anyone's data.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.workers import worker_command, worker_wait_ready

ROOT = Path(__file__).resolve().parent.parent

# Short bounds, so what a killed worker left is taken up within the run; the logic is the production one.
WORKER_ENV = {
    "GATEWAY_EDI_SETTLE_SECONDS": "0.2",
    "GATEWAY_EDI_SCAN_SECONDS": "0.5",
    "GATEWAY_EDI_STALE_CLAIM_SECONDS": "2",
    "GATEWAY_EDI_RECEIVE_SWEEP_SECONDS": "1",
    "GATEWAY_OUTBOX_SWEEP_SECONDS": "1",
    "GATEWAY_OUTBOX_BACKOFF_SECONDS": "0.2",
    # A file caught in flight by several kills would be set aside as a file that kills its worker
    # (GATEWAY_EDI_MAX_ATTEMPTS); here the kills are the test's, not the file's doing.
    "GATEWAY_EDI_MAX_ATTEMPTS": "1000",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


@dataclass(frozen=True)
class Planned:
    """One file to drop: the 855 interchanges in it (ISA13, PO number, BAK document id), or none if garbage."""

    name: str
    interchanges: tuple[tuple[int, str, str], ...]

    @property
    def garbage(self) -> bool:
        return not self.interchanges


@dataclass
class Tally:
    kills: int = 0
    dropped: int = 0
    stored_once: int = 0
    stored_twice: int = 0
    lost: int = 0
    archived_or_rejected_once: int = 0
    moved_twice: int = 0
    interchanges: int = 0
    effects_applied_once: int = 0
    effects_doubled: int = 0
    effects_missing: int = 0
    answers_once: int = 0
    answers_doubled: int = 0
    answers_missing: int = 0
    answer_files_written_once: int = 0
    interrupted_tasks: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return (
            self.lost == 0
            and self.stored_twice == 0
            and self.moved_twice == 0
            and self.effects_doubled == 0
            and self.effects_missing == 0
            and self.answers_doubled == 0
            and self.answers_missing == 0
            and self.stored_once == self.dropped
            and self.archived_or_rejected_once == self.dropped
            and self.effects_applied_once == self.interchanges
            and self.answers_once == self.interchanges
            and self.answer_files_written_once == self.interchanges
        )

    def report(self) -> str:
        return "\n".join(
            [
                f"chaos: {self.kills} SIGKILLs of the worker while {self.dropped} files flowed ({self.seconds:.0f} s);"
                f" {self.interrupted_tasks} tasks were killed midway",
                f"  files lost                        {self.lost}",
                f"  files stored once / twice         {self.stored_once} / {self.stored_twice}",
                f"  archived or rejected exactly once {self.archived_or_rejected_once} of {self.dropped}"
                f" (moved twice: {self.moved_twice})",
                f"  effects applied once              {self.effects_applied_once} of {self.interchanges}"
                f" (doubled: {self.effects_doubled}, missing: {self.effects_missing})",
                f"  997 rows once                     {self.answers_once} of {self.interchanges}"
                f" (doubled: {self.answers_doubled}, missing: {self.answers_missing})",
                f"  997 files written once            {self.answer_files_written_once} of {self.interchanges}",
                *(f"  ! {problem}" for problem in self.problems[:20]),
                "  verdict: " + ("clean" if self.clean else "NOT CLEAN"),
            ]
        )


def plan(count: int) -> list[Planned]:
    """``count`` files: one in ten unreadable, one in five with two interchanges, the rest one 855 each."""
    files, isa = [], 1000
    for n in range(count):
        if n % 10 == 9:
            files.append(Planned(f"garbage-{n:03d}.edi", ()))
            continue
        interchanges = []
        for _ in range(2 if n % 5 == 2 else 1):
            isa += 1
            interchanges.append((isa, f"PO-C{isa}", f"855-C{isa}"))
        files.append(Planned(f"file-{n:03d}.edi", tuple(interchanges)))
    return files


def setup(files: list[Planned]):
    """The partner CASTINGS and one published PO per planned interchange. Returns the partner."""
    from edi.models import TradingPartner
    from procurement import factories
    from procurement.services import WriteSource, purchase_order_publish
    from suppliers.models import Supplier

    company = factories.CompanyFactory(code="ACME")
    factories.PlantFactory(company=company, code="DET")
    supplier = factories.SupplierFactory(code="CASTINGS", channel=Supplier.Channel.EDI, notify_email="")
    partner = TradingPartner.objects.create(
        supplier=supplier, company=company, isa_qualifier="ZZ", isa_id="CASTINGS", gs_id="CASTINGS", folder="castings"
    )
    erp = WriteSource(channel="system", label="ERP")
    for planned in files:
        for _, po_number, _ in planned.interchanges:
            po = factories.po_input(company="ACME", supplier="CASTINGS", plant="DET", number=po_number, lines=1)
            purchase_order_publish(po=po, source=erp)
    return partner


def content(planned: Planned) -> bytes:
    import datetime as dt

    from edi import x12
    from procurement import inputs

    if planned.garbage:
        return f"not X12 at all: {planned.name}\n".encode()
    out = b""
    for isa, po_number, document_id in planned.interchanges:
        ack = inputs.AcknowledgementInput(
            document_id=document_id,
            po_number=po_number,
            header=inputs.ACK_ACCEPTED,
            acknowledged_on=dt.date(2027, 1, 20),
            lines=(inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),),
        )
        envelope = x12.Envelope(sender_id="CASTINGS", receiver_id="GATEWAY", interchange_control=isa, group_control=isa)
        out += x12.write_855(ack, envelope, "0001")
    return out


def drop(inbox: Path, planned: Planned) -> None:
    """As partners do: written under a temporary name, then renamed."""
    temporary = inbox / f"{planned.name}.part"
    temporary.write_bytes(content(planned))
    os.rename(temporary, inbox / planned.name)


class Worker:
    """A worker process with its scheduler, on the given database, broker and file root."""

    def __init__(self, env: dict[str, str], logs: Path, schedule: Path) -> None:
        self.env, self.logs, self.schedule, self.started = env, logs, schedule, 0

    def start(self) -> tuple[subprocess.Popen, Path]:
        self.started += 1
        log = self.logs / f"worker-{self.started:03d}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                worker_command(f"chaos-{os.getpid()}-{self.started}@%h", beat_schedule=self.schedule),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes its scheduler too
            )
        return process, log

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the worker and every process it started, as when its machine or container dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run(*, kills: int, files: int, seed: int, env: dict[str, str], workdir: Path, out=print) -> Tally:
    """Drop ``files`` files over ``kills`` rounds, each ended by a SIGKILL; then drain and tally.

    Needs Django set up on the database ``env["DATABASE_URL"]`` names, with the broker purged.
    """
    from django.utils import timezone

    from edi import filedrop
    from notifications.models import OutboundMessage

    rng = random.Random(seed)
    planned = plan(files)
    partner = setup(planned)
    inbox = filedrop.folders(partner).inbox
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    worker = Worker({**os.environ, **WORKER_ENV, **env}, workdir / "logs", workdir / "beat-schedule")
    started = time.monotonic()
    queue = list(planned)
    per_round = max(1, -(-len(queue) // max(kills, 1)))
    for round_ in range(kills):
        for item in queue[:per_round]:
            drop(inbox, item)
        del queue[:per_round]
        process, log = worker.start()
        worker_wait_ready(process, log, interval=0.05)
        time.sleep(rng.uniform(0, 1.2))
        worker.kill(process)
        if (round_ + 1) % 10 == 0:
            out(f"  {round_ + 1} kills, {len(planned) - len(queue)} files dropped")
    for item in queue:
        drop(inbox, item)
    # A delivery the last kills interrupted is taken over when its lease (five minutes) runs out:
    # here the clock is moved past it rather than waited for.
    OutboundMessage.objects.filter(state=OutboundMessage.State.SENDING).update(locked_until=timezone.now())
    process, log = worker.start()
    try:
        worker_wait_ready(process, log, interval=0.05)
        drained = _wait(lambda: _drained(partner, len(planned)), timeout=90)
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        worker.kill(process)
    tally = count(partner, planned)
    tally.kills, tally.seconds = kills, time.monotonic() - started
    tally.interrupted_tasks = interrupted(workdir / "logs")
    if not drained:
        tally.problems.insert(0, "the last worker did not settle everything within 90 s")
    return tally


def _wait(predicate, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return bool(predicate())


def _drained(partner, dropped: int) -> bool:
    from edi import filedrop
    from notifications.models import OutboundMessage
    from procurement.models import InboundDocument

    place = filedrop.folders(partner)
    return (
        not [p for p in place.inbox.iterdir() if p.is_file()]
        and not list(place.claimed.iterdir())
        and InboundDocument.objects.filter(channel="edi").count() >= dropped
        and not InboundDocument.objects.filter(channel="edi", state__in=["received", "failed"]).exists()
        and not OutboundMessage.objects.filter(kind="file", state__in=["pending", "sending"]).exists()
    )


def interrupted(logs: Path) -> int:
    """Tasks a worker log shows started and never finished: the kills that landed mid-task."""
    started, finished = set(), set()
    for log in logs.glob("worker-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            found = re.search(r"Task [\w.]+\[([0-9a-f-]+)\] (received|succeeded|raised|retry)", line)
            if found:
                (started if found[2] == "received" else finished).add(found[1])
    return len(started - finished)


def count(partner, planned: list[Planned]) -> Tally:
    """What became of every planned file, interchange and answer."""
    from edi import filedrop
    from edi.models import Interchange
    from notifications.models import OutboundMessage
    from procurement.models import Acknowledgement, InboundDocument

    place = filedrop.folders(partner)
    tally = Tally(dropped=len(planned))
    stored: dict[str, int] = {}
    for name in InboundDocument.objects.filter(channel="edi").values_list("filename", flat=True):
        stored[name] = stored.get(name, 0) + 1
    archived = [p.name.split("__", 1)[1] for p in place.archive.rglob("*") if p.is_file()]
    rejected = [p.name for p in place.rejected.iterdir() if not p.name.endswith(".reason.txt")]
    moved = archived + rejected
    for item in planned:
        times = stored.get(item.name, 0)
        if times == 0:
            tally.lost += 1
            tally.problems.append(f"{item.name} was never stored")
        elif times == 1:
            tally.stored_once += 1
        else:
            tally.stored_twice += 1
            tally.problems.append(f"{item.name} was stored {times} times")
        where = moved.count(item.name)
        if where == 1 and (item.name in rejected) == item.garbage:
            tally.archived_or_rejected_once += 1
        elif where > 1:
            tally.moved_twice += 1
            tally.problems.append(f"{item.name} was archived or rejected {where} times")
        else:
            tally.problems.append(
                f"{item.name}: archived {archived.count(item.name)}, rejected {rejected.count(item.name)}"
            )
    acks = list(Acknowledgement.objects.values_list("document_id", flat=True))
    answers = list(OutboundMessage.objects.filter(event="x12.997").values_list("payload__answers_isa13", "state"))
    received = list(Interchange.objects.filter(direction="in").values_list("isa13", flat=True))
    written = {p.name for p in place.outbox.glob("997_*.edi")}
    answer_files = dict(
        Interchange.objects.filter(direction="out", outbound_message__event="x12.997").values_list(
            "outbound_message__payload__answers_isa13", "isa13"
        )
    )
    expected = sum(len(item.interchanges) for item in planned)
    if len(written) != expected:
        tally.problems.append(f"{len(written)} 997 files in the outbox for {expected} interchanges")
    for item in planned:
        for isa, _, document_id in item.interchanges:
            tally.interchanges += 1
            isa13 = f"{isa:09d}"
            effect = acks.count(document_id)
            if effect == 1 and received.count(isa13) == 1:
                tally.effects_applied_once += 1
            elif effect > 1 or received.count(isa13) > 1:
                tally.effects_doubled += 1
                tally.problems.append(f"{document_id}: {effect} acknowledgements, {received.count(isa13)} records")
            else:
                tally.effects_missing += 1
                tally.problems.append(f"{document_id}: not applied")
            rows = [state for answered, state in answers if answered == isa13]
            if len(rows) == 1:
                tally.answers_once += 1
            elif len(rows) > 1:
                tally.answers_doubled += 1
                tally.problems.append(f"interchange {isa13} answered {len(rows)} times")
            else:
                tally.answers_missing += 1
                tally.problems.append(f"interchange {isa13} not answered")
            if rows == ["delivered"] and f"997_{answer_files.get(isa13)}.edi" in written:
                tally.answer_files_written_once += 1
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--files", type=int, default=0, help="files to drop (default: three per kill)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gateway-chaos-"))
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'chaos.sqlite3'}",
        "GATEWAY_VAR_DIR": str(workdir / "var"),
        "GATEWAY_FILE_ROOT": str(workdir / "files"),
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "gateway.settings",
    }
    os.environ.update(env)
    os.environ.update(WORKER_ENV)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    print(f"chaos: seed {options.seed}, working in {workdir}")
    tally = run(
        kills=options.kills, files=options.files or 3 * options.kills, seed=options.seed, env=env, workdir=workdir
    )
    print(tally.report())
    if tally.clean:
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    print(f"chaos: logs, database and files kept in {workdir}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
