"""Why an uploaded or dropped text file is not UTF-8, in the words every reader of CSV and JSON Lines uses.

A file saved as UTF-16 (Excel's "Unicode Text", a BOM or a NUL beside every ASCII character) is
named as such rather than called binary; any other file that is not UTF-8 is named by the first
byte that cannot be read: its value, its position (the first byte is position 1) and its line.
"""

from __future__ import annotations

import codecs

UTF16 = "it is UTF-16: save it as UTF-8"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SAMPLE = 256  # how many bytes the NUL-every-other-byte pattern is looked for in


def looks_utf16(head: bytes) -> bool:
    """Whether a file starting with ``head`` is UTF-16: a UTF-16 byte order mark, or (without one)
    a NUL at every even or every odd position of its first bytes, as ASCII text in UTF-16 has."""
    if head.startswith(_UTF16_BOMS) and not head.startswith(codecs.BOM_UTF32_LE):
        return True
    sample = head[:_SAMPLE]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (not even.strip(b"\x00") and bool(odd.strip(b"\x00"))) or (
        not odd.strip(b"\x00") and bool(even.strip(b"\x00"))
    )


def bad_byte(value: int, position: int, line: int) -> str:
    """The words for the first byte that is not UTF-8: ``position`` counts from 1, ``line`` too."""
    return f"it is not UTF-8: byte 0x{value:02X} at position {position} (line {line}) cannot be read; save it as UTF-8"


def utf8_problem(content: bytes) -> str:
    """Why ``content`` is not UTF-8 text (a UTF-8 BOM is allowed), or "" when it is."""
    if looks_utf16(content[:_SAMPLE]):
        return UTF16
    start = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    try:
        content[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = start + error.start
        return bad_byte(content[at], at + 1, content.count(b"\n", 0, at) + 1)
    return ""
