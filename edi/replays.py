"""Replaying a stored X12 file from the workbench: the file-drop's receive path run again.

Registered with ``procurement.services.document_replayer_register`` from ``EdiConfig.ready()``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import BinaryIO

from edi import filedrop, services
from edi.models import TradingPartner
from gateway import text_encoding
from procurement.models import InboundDocument
from procurement.services import InvalidAction, Replayer, WriteSource

# ST01 of the sets that change financial state: an invoice (810) or a credit/debit adjustment (812).
MONEY_SETS = ("810", "812")


# How much of a file the four-eyes check reads: the ISA must sit in its first bytes, and the sets
# are looked for in bounded chunks up to a cap; a file longer than the cap whose scanned part holds
# no invoice is treated as moving money (an EDI file may be up to 1 GB; a page view must not read it).
ISA_WITHIN = 1024
CHUNK = 1 << 16
SCAN_LIMIT = 8 << 20


def replay_partner_for(document: InboundDocument) -> TradingPartner:
    """The trading partner that sent the file: the one whose supplier code the file drop recorded
    as the file's sender (the folder it came from), which must also be the document's supplier.
    Anything else is refused with the reason rather than replayed for a partner that did not send it."""
    if document.supplier_id is None or not document.sender:
        raise InvalidAction(f"Document {document.pk} has no trading partner to replay it for.")
    partners = list(TradingPartner.objects.select_related("supplier").filter(supplier__code=document.sender)[:2])
    if not partners:
        raise InvalidAction(
            f"Document {document.pk} has no trading partner to replay it for: no partner sends as {document.sender!r}."
        )
    if len(partners) > 1 or partners[0].supplier_id != document.supplier_id:
        raise InvalidAction(
            f"Document {document.pk} was sent as {document.sender!r} but is filed under another supplier: "
            "which trading partner to replay it for is unclear."
        )
    return partners[0]


def interchange_file_replay(document: InboundDocument, source: WriteSource) -> str:
    """Run a stored file through the receive path again. Each of its interchanges is received once,
    so a second replay has no effect; an applied file keeps its state, one rejected when it came in
    takes what this run did. Returns the outcome in words."""
    partner = replay_partner_for(document)
    outcome = services.interchange_file_receive(document=document, partner=partner, replayed=True)
    document.refresh_from_db()
    if document.state != InboundDocument.State.FAILED:
        # The file may still sit in the inbox's claims, where a failed attempt left it.
        filedrop.claimed_file_finish(partner, "", document)
    return f"{outcome.state}: {outcome.summary or outcome.code}"


def interchange_file_moves_money(document: InboundDocument) -> bool:
    """Whether the file holds an invoice-like set (ST01 810 or 812), read in bounded chunks.

    The element separator is the ISA's fourth byte. In doubt the answer is yes, so a second person
    approves: no ISA near the start, a payload that cannot be read, or a file longer than
    ``SCAN_LIMIT`` whose scanned part shows no such set.
    """
    try:
        with document.open_payload() as payload:
            return _scan_moves_money(payload)
    except OSError:
        return True


def _scan_moves_money(payload: BinaryIO) -> bool:
    read, decoded = _utf8_reader(payload)
    if decoded:
        # A UTF-16 file is read as its text; its bytes are searched too, with any separator, so a file
        # that only starts like UTF-16 cannot hide a plain invoice from the check that the parser
        # (which reads a file without a byte order mark as UTF-8) would find.
        return _scan_text(read, payload) or _money_set_in_bytes(payload)
    return _scan_text(read, payload)


def _money_set_in_bytes(payload: BinaryIO) -> bool:
    """Whether the raw bytes hold ``ST<sep>810<sep>`` (or 812) with any separator; in doubt (a file
    longer than ``SCAN_LIMIT``) yes."""
    payload.seek(0)
    sets = b"|".join(s.encode() for s in MONEY_SETS)
    pattern = re.compile(rb"ST([^A-Za-z0-9])(?:" + sets + rb")\1")
    window, scanned = b"", 0
    while chunk := payload.read(CHUNK):
        window = window[-8:] + chunk
        if pattern.search(window):
            return True
        scanned += len(chunk)
        if scanned >= SCAN_LIMIT:
            return bool(payload.read(1))
    return False


def _scan_text(read: Callable[[int], bytes], payload: BinaryIO) -> bool:
    """The scan of a file's text (its bytes, or a UTF-16 file's text as UTF-8) from its ISA."""
    head = read(CHUNK)
    start = head.find(b"ISA", 0, ISA_WITHIN)
    if start < 0 or len(head) < start + 4:
        return True
    separator = re.escape(head[start + 3 : start + 4])
    sets = b"|".join(s.encode() for s in MONEY_SETS)
    pattern = re.compile(rb"(?:^|[^A-Z0-9])ST" + separator + rb"(?:" + sets + rb")" + separator)
    keep = 8  # a set header cut by a chunk's end is found with the start of the next
    window, scanned = head, len(head)
    while window:
        if pattern.search(window):
            return True
        if scanned >= SCAN_LIMIT:
            return bool(payload.read(1))  # more left unread: in doubt
        chunk = read(CHUNK)
        if not chunk:
            return False
        scanned += len(chunk)
        window = window[-keep:] + chunk
    return False


def _utf8_reader(payload: BinaryIO) -> tuple[Callable[[int], bytes], bool]:
    """(``payload.read``, False), or for a UTF-16 file (an 855 saved as "Unicode Text") a read that
    gives its text as UTF-8, so the ISA and the sets are found in it as in any other file, and True."""
    first = payload.read(CHUNK)
    encoding = text_encoding.utf16_encoding(first)
    pending = [first]
    if not encoding:
        return (lambda size: pending.pop() if pending else payload.read(size)), False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def read(size: int) -> bytes:
        raw = pending.pop() if pending else payload.read(size)
        return decoder.decode(raw, final=not raw).encode("utf-8")

    return read, True


EDI_REPLAYER = Replayer(replay=interchange_file_replay, moves_money=interchange_file_moves_money)
