"""Pure-Python X12 library: tokenizer, envelopes, schemas as data, one validation
engine, mappers to the canonical procurement inputs, and generators. No Django imports.

    doc = parse(data)                         # Document → Interchange → Group → TransactionSet
    for item in stream(path): ...             # big files: each set, group, interchange as it ends
    doc = parse_file(path)                    # parse(), reading the file in chunks
    reports = validate(doc)                   # GroupReport per group (AK5/AK9 material)
    value, errors = map_transaction_set(ts)   # canonical input + mapping issues
    write_ack(reports, envelope, st02_start)  # 997 / 999 bytes
"""

from edi.x12.engine import GroupReport, SetReport, SetReports, validate, validate_group, validate_set
from edi.x12.envelope import Document, Group, Interchange, TransactionSet, parse
from edi.x12.errors import (
    GenerationError,
    Issue,
    MappingError,
    SchemaNotFoundError,
    X12Error,
    X12SyntaxError,
)
from edi.x12.generators import (
    Envelope,
    SetBody,
    ack_kind,
    reply_envelope,
    write_810,
    write_850,
    write_855,
    write_856,
    write_860,
    write_ack,
    write_interchange,
    write_ta1,
)
from edi.x12.mappers import DEFAULT_CODE_MAPS, Mapped, map_810, map_850, map_855, map_856, map_transaction_set
from edi.x12.schemas import get_schema
from edi.x12.stream import StreamReader, parse_file, stream
from edi.x12.tokenizer import Delimiters, Segment, Tokenizer, tokenize

__all__ = [
    "DEFAULT_CODE_MAPS",
    "Delimiters",
    "Document",
    "Envelope",
    "GenerationError",
    "Group",
    "GroupReport",
    "Interchange",
    "Issue",
    "Mapped",
    "MappingError",
    "SchemaNotFoundError",
    "Segment",
    "SetBody",
    "SetReport",
    "SetReports",
    "StreamReader",
    "Tokenizer",
    "TransactionSet",
    "X12Error",
    "X12SyntaxError",
    "ack_kind",
    "get_schema",
    "map_810",
    "map_850",
    "map_855",
    "map_856",
    "map_transaction_set",
    "parse",
    "parse_file",
    "reply_envelope",
    "stream",
    "tokenize",
    "validate",
    "validate_group",
    "validate_set",
    "write_810",
    "write_850",
    "write_855",
    "write_856",
    "write_860",
    "write_ack",
    "write_interchange",
    "write_ta1",
]
