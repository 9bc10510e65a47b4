"""EDI support commands.

manage.py edi translate FILE [--partner CODE] [--format json|text]
    The canonical reading of FILE and every error with its position, the segments of each set
    the gateway does not use (position, ID and why), a partner's 997/999/TA1 in words, and a
    one-line summary last. Exit 0 when clean, 1 when there are errors, 2 when the
    file cannot be read as X12 (missing, empty, binary, no ISA). Touches no database (a
    partner's code maps are read when --partner is given).
manage.py edi replay DOCUMENT_ID
    Receive a stored file again. Idempotent and audited: what committed before is not done again
    (an interchange received whole is read back, a set applied by another file is a duplicate);
    what did not — a ``failed`` document's rest — is applied now, with the 997 it owes, once.
"""

import json
import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand, CommandError

from edi import filedrop, services
from edi.models import EdiIdentity, TradingPartner
from edi.replays import replay_partner_for
from edi.x12.errors import ERROR, WARNING, X12Error
from procurement.models import InboundDocument
from procurement.services import ProcurementError
from procurement.services.audit import audit_event, audit_write
from procurement.services.sources import WriteSource


class Command(BaseCommand):
    help = "EDI support: translate a file without touching the database, or replay a stored one."

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        translate = commands.add_parser("translate", help="print the canonical reading and every error")
        translate.add_argument("file")
        translate.add_argument("--partner", help="supplier code whose code maps apply")
        translate.add_argument("--format", choices=["json", "text"], default="text")
        replay = commands.add_parser("replay", help="run a stored document through translation again")
        replay.add_argument("document_id", type=int)

    def handle(self, *args, command: str, **options) -> None:
        if command == "translate":
            self._translate(options["file"], options.get("partner"), options["format"])
        else:
            self._replay(options["document_id"])

    def _translate(self, path: str, partner_code: str | None, fmt: str) -> None:
        code_maps, identity = None, None
        if partner_code:
            partner = TradingPartner.objects.filter(supplier__code=partner_code).first()
            if partner is None:
                raise CommandError(f"no trading partner for supplier {partner_code!r}")
            code_maps = partner.code_maps or None
            identity = EdiIdentity.of(partner.company_id)
        content = _readable(path)
        try:
            reading = services.translate(content, code_maps, identity)
        except X12Error as exc:
            _unreadable(f"{path}: not readable as X12 ({type(exc).__name__}: {exc})")
        except Exception as exc:  # any input gets an answer, never a traceback
            _unreadable(f"{path}: could not be translated ({type(exc).__name__}: {exc}); please report this file")
        if not reading["interchanges"]:
            why = "; ".join(i["message"] for i in reading["issues"]) or "no ISA segment"
            _unreadable(f"{path}: no X12 interchange found ({why})")
        totals = translation_totals(reading)
        if fmt == "json":
            self.stdout.write(json.dumps({**reading, "summary": totals}, indent=2, default=str))
        else:
            self._translate_text(reading)
            self.stdout.write(summary_line(totals))
        if totals["errors"]:
            sys.exit(EXIT_ERRORS)

    def _translate_text(self, reading: services.Translation) -> None:
        for line in services.translation_lines(reading):
            self.stdout.write(line)

    def _replay(self, document_id: int) -> None:
        document = InboundDocument.objects.filter(pk=document_id, channel="edi").first()
        if document is None:
            raise CommandError(f"no stored EDI document {document_id}")
        try:
            partner = replay_partner_for(document)  # the partner that sent it, as the workbench replays it
        except ProcurementError as error:
            raise CommandError(error.message) from error
        before = {"state": document.state, "outcome": document.outcome_code}
        # An applied document keeps its state; a received, failed or rejected one is settled now.
        outcome = services.interchange_file_receive(document=document, partner=partner, replayed=True)
        audit_write(
            [
                audit_event(
                    source=WriteSource(
                        channel="edi", label="support: edi replay", correlation_id=document.correlation_id
                    ),
                    action="document.replayed",
                    obj=document,
                    before=before,
                    after={"state": outcome.state, "outcome": outcome.code, "sets": [s.__dict__ for s in outcome.sets]},
                )
            ]
        )
        document.refresh_from_db()
        if document.state != InboundDocument.State.FAILED:
            # The file may still sit in the inbox's claims, where the failed attempt left it.
            filedrop.claimed_file_finish(partner, "", document)
        self.stdout.write(f"document {document_id}: {outcome.state} ({outcome.code})")
        for s in outcome.sets:
            self.stdout.write(f"  {s.st01} {s.st02}: {s.outcome} {s.detail}".rstrip())


# Exit codes of ``edi translate``: clean, errors found, file unreadable.
EXIT_CLEAN, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def _unreadable(message: str) -> NoReturn:
    raise CommandError(message, returncode=EXIT_UNREADABLE)


def _readable(path: str) -> bytes:
    """The bytes of ``path``, or exit 2: missing, not a file, unreadable, empty or binary."""
    file = Path(path)
    try:
        if not file.is_file():
            _unreadable(f"no such file: {path}")
        content = file.read_bytes()
    except OSError as exc:
        _unreadable(f"{path}: cannot be read ({exc.strerror or exc})")
    if problem := services.file_content_problem(content):
        _unreadable(f"{path}: {problem}")
    return content


def translation_totals(reading: services.Translation) -> dict[str, int]:
    """Counts for the summary: interchanges, groups, sets by verdict, and issues of error severity."""
    groups = [g for ic in reading["interchanges"] for g in ic["groups"]]
    sets = [s for g in groups for s in g["sets"]]
    issues = [
        *reading["issues"],
        *(i for ic in reading["interchanges"] for i in ic["issues"]),
        *(i for g in groups for i in g["issues"]),
        *(i for s in sets for i in s["issues"]),
    ]
    return {
        "interchanges": len(reading["interchanges"]),
        "groups": len(groups),
        "sets": len(sets),
        "accepted": sum(1 for s in sets if s["ack_code"] in ("A", "E")),
        "rejected": sum(1 for s in sets if s["ack_code"] not in ("A", "E")),
        "errors": sum(1 for i in issues if i.get("severity", ERROR) == ERROR),
        "warnings": sum(1 for i in issues if i.get("severity") == WARNING),
    }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(t: dict[str, int]) -> str:
    """e.g. ``2 interchanges, 3 groups, 5 sets: 4 accepted, 1 rejected; 2 errors``."""
    line = (
        f"{_n(t['interchanges'], 'interchange')}, {_n(t['groups'], 'group')}, {_n(t['sets'], 'set')}: "
        f"{t['accepted']} accepted, {t['rejected']} rejected; {_n(t['errors'], 'error')}"
    )
    return line + (f", {_n(t['warnings'], 'warning')}" if t["warnings"] else "")
