"""Writers: envelopes, 850/860 out, 855/856/810 (round trips, demo partners), 997/999/TA1."""

from edi.x12.generators.acks import ack_kind, build_997, build_999, ta1_segment, write_ack, write_ta1
from edi.x12.generators.orders import build_850, build_860, changed_lines, write_850, write_860
from edi.x12.generators.supplier import build_810, build_855, build_856, write_810, write_855, write_856
from edi.x12.generators.writer import (
    DEFAULT_DELIMITERS,
    Envelope,
    GroupBody,
    SetBody,
    reply_envelope,
    write_interchange,
    write_set,
)

__all__ = [
    "DEFAULT_DELIMITERS",
    "Envelope",
    "GroupBody",
    "SetBody",
    "ack_kind",
    "build_810",
    "build_850",
    "build_855",
    "build_856",
    "build_860",
    "build_997",
    "build_999",
    "changed_lines",
    "reply_envelope",
    "ta1_segment",
    "write_810",
    "write_850",
    "write_855",
    "write_856",
    "write_860",
    "write_ack",
    "write_interchange",
    "write_set",
    "write_ta1",
]
