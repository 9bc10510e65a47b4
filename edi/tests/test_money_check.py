"""The four-eyes check on replaying a stored X12 file: it reads the file in bounded chunks and,
in doubt, treats the file as moving money so a second buyer approves the replay."""

from __future__ import annotations

import io

import pytest

from edi import replays
from edi.replays import _scan_moves_money, interchange_file_moves_money
from edi.tests.test_invoice_810 import partner_810
from edi.tests.test_schedules import partner_855
from procurement.models import InboundDocument

ACK = partner_855(1, "855-000001", "PO1*1*100*EA*10**BP*PART-00001", "ACK*IA*100*EA")


class CountingReader(io.BytesIO):
    """A payload that records how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_an_acknowledgement_moves_no_money_and_an_invoice_does():
    assert _scan_moves_money(io.BytesIO(ACK)) is False
    assert _scan_moves_money(io.BytesIO(partner_810("247505"))) is True


def test_a_file_without_an_isa_near_its_start_is_treated_as_moving_money():
    assert _scan_moves_money(io.BytesIO(b"")) is True
    assert _scan_moves_money(io.BytesIO(b"not x12 at all ST*810*0001~")) is True
    assert _scan_moves_money(io.BytesIO(b" " * 2000 + ACK)) is True


def test_an_invoice_set_cut_by_a_chunk_boundary_is_found():
    isa_end = ACK.index(b"GS*")
    # Pad before the GS so that "~\nST*810*" straddles the first chunk's end.
    padding = b"\n" * (replays.CHUNK - isa_end - len(b"GS*IN*X~\n") - 3)
    data = ACK[:isa_end] + padding + b"GS*IN*X~\nST*810*0001~\nSE*2*0001~\n"
    start = data.index(b"ST*810*")
    assert start < replays.CHUNK < start + 7
    assert _scan_moves_money(io.BytesIO(data)) is True


def test_a_file_longer_than_the_scan_limit_is_read_no_further_and_treated_as_moving_money(monkeypatch):
    monkeypatch.setattr(replays, "SCAN_LIMIT", 4 * replays.CHUNK)
    big = CountingReader(ACK + b"\n" * (10 * replays.CHUNK))

    assert _scan_moves_money(big) is True
    assert big.taken == 4 * replays.CHUNK + 1

    whole = CountingReader(ACK + b"\n" * (2 * replays.CHUNK))
    assert _scan_moves_money(whole) is False


@pytest.mark.django_db
def test_a_document_whose_payload_file_is_gone_is_treated_as_moving_money():
    document = InboundDocument(channel="edi", sender="CASTINGS", store_path="store/00/gone")
    assert interchange_file_moves_money(document) is True


def test_a_utf16_file_is_read_as_its_text():
    assert _scan_moves_money(io.BytesIO(ACK.decode().encode("utf-16"))) is False
    assert _scan_moves_money(io.BytesIO(ACK.decode().encode("utf-16-be"))) is False
    assert _scan_moves_money(io.BytesIO(partner_810("247505").decode().encode("utf-16"))) is True


def test_a_file_that_only_starts_like_utf16_cannot_hide_a_plain_invoice():
    # "ISA*" in UTF-16 as bait, then a plain interchange with an 810, which the parser reads as UTF-8
    bait = "ISA*".encode("utf-16-be") * 40 + b"\n"
    assert _scan_moves_money(io.BytesIO(bait + partner_810("247505"))) is True
    # the same behind a byte order mark, with an odd byte at the end
    assert (
        _scan_moves_money(io.BytesIO(b"\xff\xfe" + "ISA*".encode("utf-16-le") * 40 + partner_810("247505") + b"x"))
        is True
    )
    # while a UTF-16 acknowledgement still needs one person
    assert _scan_moves_money(io.BytesIO(ACK.decode().encode("utf-16-le"))) is False
