"""EDI support commands.

manage.py edi translate FILE [--partner CODE] [--format json|text]
    The canonical reading of FILE and every error with its position. Touches no database
    (a partner's code maps are read when --partner is given).
manage.py edi replay DOCUMENT_ID
    Receive a stored file again. Idempotent and audited: what committed before is not done again
    (an interchange received whole is read back, a set applied by another file is a duplicate);
    what did not — a ``failed`` document's rest — is applied now, with the 997 it owes, once.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from edi import filedrop, services
from edi.models import TradingPartner
from procurement.models import InboundDocument
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
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"no such file: {path}")
        code_maps = None
        if partner_code:
            partner = TradingPartner.objects.filter(supplier__code=partner_code).first()
            if partner is None:
                raise CommandError(f"no trading partner for supplier {partner_code!r}")
            code_maps = partner.code_maps or None
        reading = services.translate(file.read_bytes(), code_maps)
        if fmt == "json":
            self.stdout.write(json.dumps(reading, indent=2, default=str))
            return
        for issue in reading["issues"]:
            self.stdout.write(f"file: [{issue.get('code', '')}] {issue['message']}")
        for ic in reading["interchanges"]:
            self.stdout.write(f"interchange {ic['isa13']} {ic['isa06']} → {ic['isa08']} (ISA15 {ic['isa15']})")
            for issue in ic["issues"]:
                self.stdout.write(f"  ! [{issue.get('code', '')}] {issue['message']}")
            for group in ic["groups"]:
                self.stdout.write(f"  group {group['gs01']} {group['gs06']} {group['gs08']}: {group['ack_code']}")
                for s in group["sets"]:
                    self.stdout.write(f"    {s['st01']} {s['st02']}: {s['ack_code']}")
                    for issue in s["issues"]:
                        where = ", ".join(
                            f"{k} {issue[k]}"
                            for k in ("segment_id", "segment_position", "element_position")
                            if k in issue
                        )
                        self.stdout.write(f"      ! [{issue.get('code', '')}] {issue['message']} ({where})")
                    if s.get("canonical") is not None:
                        self.stdout.write("      " + json.dumps(s["canonical"], default=str))

    def _replay(self, document_id: int) -> None:
        document = InboundDocument.objects.filter(pk=document_id, channel="edi").first()
        if document is None:
            raise CommandError(f"no stored EDI document {document_id}")
        partner = TradingPartner.objects.select_related("supplier").filter(supplier=document.supplier).first()
        if partner is None:
            raise CommandError(f"document {document_id} has no trading partner")
        before = {"state": document.state, "outcome": document.outcome_code}
        # A settled document keeps its state; a received or failed one is settled now.
        outcome = services.interchange_file_receive(document=document, partner=partner)
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
