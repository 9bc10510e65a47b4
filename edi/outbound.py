"""What the gateway sends by EDI: 850/860 for published and changed POs, 997/999 and TA1 answers.

Control numbers come from per-partner counters taken under a row lock in the same transaction
that records the interchange, so they are unique, never reused and without gaps even with
several workers. An interchange is rendered once and kept: a retried delivery writes the same
bytes again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from edi import x12
from edi.models import ControlCounter, EdiIdentity, FunctionalGroup, Interchange, TradingPartner
from edi.x12.tokenizer import Delimiters
from notifications import registry
from notifications.models import OutboundMessage
from notifications.services import outbox_written
from notifications.transports import RenderedFile, render_json
from procurement import inputs
from procurement.models import POLine, PORevision
from procurement.services import compiled
from procurement.services.bulk import rows_insert
from procurement.services.notify import outbound_message
from procurement.services.sources import WriteSource

# Builds an interchange's bytes for the ISA13, GS06 and ST02 numbers it is given.
ContentFor = Callable[[int, int, int], bytes]


def envelope_numbers(partner: TradingPartner) -> tuple[int, int, int]:
    """Fresh ISA13, GS06 and ST02 numbers for one interchange of one group and one set."""
    taken = control_numbers_take(partner, {"isa": 1, "gs": 1, "st": 1})
    return taken["isa"], taken["gs"], taken["st"]


# An upsert with RETURNING: PostgreSQL, and SQLite 3.35 or later (Python 3.11 builds ship newer).
_TAKE = """
INSERT INTO {table} ({partner}, {level}, {last}) VALUES {rows}
ON CONFLICT ({partner}, {level}) DO UPDATE SET {last} = CASE
    WHEN {table}.{last} + excluded.{last} > 999999999 THEN excluded.{last}
    ELSE {table}.{last} + excluded.{last} END
RETURNING {level}, {last}
"""


def control_numbers_take(partner: TradingPartner, counts: dict[str, int]) -> dict[str, int]:
    """The first of ``counts[level]`` fresh control numbers for each level, in one statement.

    Must run inside the transaction that uses them: the counter rows stay locked until it ends,
    so two workers never take the same number, and a rollback gives them back, so none is
    skipped. Levels are taken in a fixed order (isa, gs, st), so two takers cannot deadlock.
    ISA13 and GS06 are nine digits: past 999,999,999 a counter starts again at 1 rather than fail.
    """
    levels = [level for level in ("isa", "gs", "st") if level in counts]
    rows = ", ".join(["(%s, %s, %s)"] * len(levels))
    params = [value for level in levels for value in (partner.pk, level, counts[level])]
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        sql = _TAKE.format(
            table=quote(ControlCounter._meta.db_table),
            partner=quote("partner_id"),
            level=quote("level"),
            last=quote("last"),
            rows=rows,
        )
        cursor.execute(sql, params)
        last = dict(cursor.fetchall())
    return {level: last[level] - counts[level] + 1 for level in levels}


def partner_envelope(partner: TradingPartner, *, isa: int, gs: int, version: str | None = None) -> x12.Envelope:
    """Our envelope towards ``partner``: its buying company's ids as sender (``EdiIdentity``), the
    partner's delimiters and version."""
    identity = EdiIdentity.of(partner.company_id)
    qualifier, isa_id = identity.isa_address
    return x12.Envelope(
        sender_id=isa_id,
        sender_qualifier=qualifier,
        receiver_id=partner.isa_id,
        receiver_qualifier=partner.isa_qualifier,
        application_sender=identity.gs_address,
        application_receiver=partner.gs_id,
        interchange_control=isa,
        group_control=gs,
        version=version or partner.version,
        test=partner.usage == TradingPartner.Usage.TEST,
        ack_requested=partner.ta1_requested,
        delimiters=Delimiters(
            element=partner.element_separator,
            component=partner.component_separator,
            segment=partner.segment_terminator,
            repetition=partner.repetition_separator,
            suffix="\n" if partner.line_break else "",
        ),
    )


def partner_outbox(partner: TradingPartner) -> str:
    """The partner's outbox, relative to GATEWAY_FILE_ROOT (the EDI root is its ``edi/`` folder)."""
    return f"edi/{partner.folder}/outbox"


def render_po(message: OutboundMessage) -> RenderedFile:
    """The file renderer for po.published / po.changed: an 850 or 860 in the partner's own terms."""
    existing = Interchange.objects.filter(outbound_message=message).first()
    if existing is None:
        existing = _po_interchange(message)
    kind = "850" if message.event == "po.published" else "860"
    partner = existing.partner
    assert partner is not None, "an interchange we send is recorded with its partner"
    return RenderedFile(
        bytes(existing.content),
        name=f"{kind}_{message.payload['po']['number']}_r{message.payload['po']['revision']}_{existing.isa13}.edi",
        folder=partner_outbox(partner),
    )


@transaction.atomic
def _po_interchange(message: OutboundMessage) -> Interchange:
    partner = TradingPartner.objects.select_related("supplier").get(supplier=message.supplier)
    po = inputs.purchase_order_from_json(message.payload["po"])
    isa, gs, st = envelope_numbers(partner)
    envelope = partner_envelope(partner, isa=isa, gs=gs)
    if message.event == "po.published":
        content = x12.write_850(po, envelope, st)
    else:
        snapshot = (
            PORevision.objects.filter(po=message.po, revision=message.payload.get("previous_revision", po.revision - 1))
            .values_list("snapshot", flat=True)
            .first()
        )
        previous = inputs.purchase_order_from_json(snapshot) if snapshot else None
        # POC04 is the quantity left to receive: what was accepted so far comes off each line.
        received = {
            line_no: accepted - rejected
            for line_no, accepted, rejected in POLine.objects.filter(po=message.po).values_list(
                "line_no", "received_quantity", "rejected_quantity"
            )
        }
        content = x12.write_860(po, envelope, st, previous=previous, received=received)
    now = timezone.now()
    interchange = Interchange.objects.create(
        direction=Interchange.Direction.OUTBOUND,
        partner=partner,
        sender_qualifier=envelope.sender_qualifier,
        sender_id=envelope.sender_id,
        receiver_id=envelope.receiver_id,
        isa13=f"{isa:09d}",
        isa15=partner.usage,
        version=envelope.version,
        outbound_message=message,
        po=message.po,
        content=content,
        created_at=now,
    )
    FunctionalGroup.objects.create(
        interchange=interchange,
        gs01="PO" if message.event == "po.published" else "PC",
        gs06=str(gs),
        gs08=envelope.version,
        set_ids=[["850" if message.event == "po.published" else "860", f"{st:04d}"]],
        ack_state=FunctionalGroup.AckState.AWAITED if partner.expects_997 else FunctionalGroup.AckState.NOT_EXPECTED,
        ack_due_at=now + dt.timedelta(hours=partner.fa_due_hours) if partner.expects_997 else None,
    )
    return interchange


# Answers this process wrote, by outbox message, once their transaction committed and until their
# first delivery, made right after it in this process (``deliver_here``): rendered from here rather
# than read back one by one. Bounded: forgotten whole past this many (delivered elsewhere, or not yet).
_committed_replies: dict[int, Interchange] = {}
_COMMITTED_REPLIES_KEPT = 1000


def _replies_committed(written: dict[int, Interchange]) -> None:
    if len(_committed_replies) + len(written) > _COMMITTED_REPLIES_KEPT:
        _committed_replies.clear()
    _committed_replies.update(written)


def render_stored(message: OutboundMessage) -> RenderedFile:
    """The file renderer for acknowledgements the gateway wrote itself (997, 999, TA1)."""
    interchange = _committed_replies.pop(message.pk, None)
    if interchange is None:
        # Compiled once (``compiled.fetch``): a batch of one-set files delivers one of these per file.
        found = compiled.fetch(
            "edi.stored_answer",
            lambda: Interchange.objects.select_related("partner").filter(outbound_message=message).order_by("pk")[:2],
            [message.pk],
        )
        if len(found) != 1:
            raise Interchange.DoesNotExist(f"no single interchange for outbox message {message.pk}")
        interchange = found[0]
    partner = interchange.partner
    assert partner is not None, "an interchange we send is recorded with its partner"
    return RenderedFile(
        bytes(interchange.content),
        name=f"{message.payload['kind']}_{interchange.isa13}.edi",
        folder=partner_outbox(partner),
    )


@dataclass
class Reply:
    """One 997/999/TA1 answer to write: ``content_for(isa, gs, st)`` returns its bytes for the
    numbers given, sent as ``sender`` (our ISA qualifier and id, one of the buying company's).
    ``groups``: the GS06 and ST02 numbers it uses, one per group it answers, from ``gs`` and ``st`` on."""

    partner: TradingPartner
    kind: str
    content_for: ContentFor
    source: WriteSource
    answering: Interchange
    sender: tuple[str, str]
    groups: int = 1


def reply_write(reply: Reply) -> Interchange:
    """Allocate control numbers, write a 997/999/TA1 answer, record it and deliver it to the partner's outbox.

    The answer is delivered by the task that processed the file, once its transaction commits.
    """
    return replies_write([reply])[0]


def replies_write(replies: list[Reply], *, alongside: Sequence[models.Model] = ()) -> list[Interchange]:
    """Write several answers (``reply_write``) together, in order: each partner's control numbers
    taken in one statement and handed out in turn, as one take per answer would have; their outbox
    rows inserted in one statement and their interchanges in another. Returns the interchanges
    recorded, in the order of ``replies``.

    ``alongside``: new rows of one other model, inserted in the same statement as the outbox rows."""
    if not replies:
        rows_insert(alongside)
        return []
    totals: dict[int, dict[str, int]] = {}
    partners: dict[int, TradingPartner] = {}
    for reply in replies:
        partners[reply.partner.pk] = reply.partner
        total = totals.setdefault(reply.partner.pk, {"isa": 0, "gs": 0, "st": 0})
        total["isa"] += 1
        total["gs"] += reply.groups
        total["st"] += reply.groups
    # Partners in a fixed order, so two batches of several partners cannot deadlock on their counters.
    taken = {pk: control_numbers_take(partners[pk], totals[pk]) for pk in sorted(totals)}
    messages: list[OutboundMessage] = []
    interchanges: list[Interchange] = []
    for reply in replies:
        numbers = taken[reply.partner.pk]
        isa, gs, st = numbers["isa"], numbers["gs"], numbers["st"]
        numbers["isa"], numbers["gs"], numbers["st"] = isa + 1, gs + reply.groups, st + reply.groups
        content = reply.content_for(isa, gs, st)
        partner, kind, source, answering = reply.partner, reply.kind, reply.source, reply.answering
        messages.append(
            outbound_message(
                kind=OutboundMessage.Kind.FILE,
                event=f"x12.{kind.lower()}",
                destination=partner_outbox(partner),
                payload={
                    "kind": kind,
                    "answers_isa13": answering.isa13,
                    "interchange": f"{isa:09d}",
                    # When the answered file was stored: the outbox times file → answer from it.
                    **({"answers_received_at": source.document.received_at.isoformat()} if source.document else {}),
                },
                idempotency_key=f"x12.{kind.lower()}:{partner.pk}:{isa:09d}",
                source=source,
                supplier=partner.supplier,
            )
        )
        interchanges.append(
            Interchange(
                direction=Interchange.Direction.OUTBOUND,
                partner=partner,
                sender_qualifier=reply.sender[0],
                sender_id=reply.sender[1],
                receiver_id=partner.isa_id,
                isa13=f"{isa:09d}",
                isa15=answering.isa15,
                version=answering.version,
                content=content,
                created_at=timezone.now(),
            )
        )
    written: dict[int, Interchange] = {}
    if settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT:
        # Registered before the delivery outbox_written registers, so it runs first once committed.
        transaction.on_commit(lambda: _replies_committed(written))
    # Prepared inserts (``rows_insert``): one statement for the outbox rows and those alongside.
    rows_insert(messages, alongside)
    outbox_written(messages, deliver_here=True)
    for interchange, message in zip(interchanges, messages, strict=True):
        interchange.outbound_message = message
    rows_insert(interchanges)
    written.update((message.pk, interchange) for interchange, message in zip(interchanges, messages, strict=True))
    return interchanges


def render_po_or_json(message: OutboundMessage) -> RenderedFile:
    """X12 for a supplier with an active partner profile; the canonical JSON otherwise."""
    # A message for no supplier has no partner (the lookup would match none either).
    supplier_id = message.supplier_id
    if supplier_id is not None and TradingPartner.objects.filter(supplier_id=supplier_id, active=True).exists():
        return render_po(message)
    return render_json(message)


def file_renderers_register() -> None:
    """Render the outbox's EDI files: 850/860 for POs, the stored 997/999/TA1 answers (from ``EdiConfig.ready()``)."""
    for event in ("po.published", "po.changed"):
        registry.file_renderer_register(event, render_po_or_json)
    for event in ("x12.997", "x12.999", "x12.ta1"):
        registry.file_renderer_register(event, render_stored)
