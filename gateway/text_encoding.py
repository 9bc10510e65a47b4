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


def utf16_encoding(head: bytes) -> str:
    """The UTF-16 codec a file starting with ``head`` is in ("" when it is not UTF-16): ``utf-16``
    after a byte order mark; without one, ``utf-16-le`` or ``utf-16-be`` when a NUL sits at every
    odd or every even position of its first bytes, as ASCII text in UTF-16 has."""
    if head.startswith(_UTF16_BOMS) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16"
    sample = head[:_SAMPLE]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return ""
    even, odd = sample[0::2].strip(b"\x00"), sample[1::2].strip(b"\x00")
    if not even and odd:
        return "utf-16-be"
    if not odd and even:
        return "utf-16-le"
    return ""


def looks_utf16(head: bytes) -> bool:
    """Whether a file starting with ``head`` is UTF-16 (``utf16_encoding``)."""
    return bool(utf16_encoding(head))


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


def preview(head: bytes) -> tuple[str, str]:
    """The start of a stored file as text to show, and how it was read ("" for plain UTF-8).

    A byte order mark is not shown as text: it is named, and a UTF-16 file is shown decoded as
    UTF-16. A cut character at the end of ``head`` and any unreadable byte show as U+FFFD."""
    for bom, encoding, name in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        # UTF-32 before UTF-16: the little-endian UTF-32 mark starts with UTF-16's
        (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, errors="replace")
            return text, f"{name} byte order mark: shown decoded as {name}, without the mark."
    if encoding := utf16_encoding(head):
        return head.decode(encoding, errors="replace"), "UTF-16 without a byte order mark: shown decoded as UTF-16."
    return head.decode("utf-8", errors="replace"), ""
