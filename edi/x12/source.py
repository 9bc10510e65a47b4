"""The decoded input and the byte offsets and line numbers of positions in it.

Decoding rule: a UTF-8 byte-order mark is dropped (UTF-16/32 marks switch to that
encoding, with a warning); the rest is decoded as strict UTF-8, and if that fails the
whole input is decoded as latin-1, which maps every byte to one character and never
fails, with a warning naming the first bad byte. Positions inside the library are
character positions in the decoded text; ``byte_offset`` turns them back into offsets
in the original bytes.
"""

from __future__ import annotations

import bisect
import codecs
import re
from typing import BinaryIO, Protocol

from edi.x12.errors import KIND_SYNTAX, WARNING, Issue, X12SyntaxError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Positions(Protocol):
    """What a segment asks of the input it was read from: where a character position lies.

    ``Source`` answers for a whole input; a stream answers with the windows it still holds.
    """

    def byte_offset(self, pos: int) -> int: ...

    def line_at(self, pos: int) -> int: ...


class Source:
    """The decoded input, with byte-offset and line-number lookups for positions."""

    def __init__(self, data: bytes | bytearray | memoryview | str | BinaryIO) -> None:
        self.issues: list[Issue] = []
        if isinstance(data, str):
            raw = data.encode("utf-8", "surrogatepass")
        elif isinstance(data, bytes | bytearray | memoryview):
            raw = bytes(data)
        elif hasattr(data, "read"):
            raw = data.read()
            if isinstance(raw, str):
                raw = raw.encode("utf-8", "surrogatepass")
            raw = bytes(raw)
        else:
            raise X12SyntaxError(f"cannot read X12 from {type(data).__name__}")
        self.raw = raw
        self.bom_length = 0
        self.encoding = "utf-8"
        for bom, encoding in _BOMS:
            if raw.startswith(bom):
                self.bom_length, self.encoding = len(bom), encoding
                if encoding != "utf-8":
                    self._note(f"{encoding} byte-order mark: input decoded as {encoding}")
                break
        body = raw[self.bom_length :]
        try:
            self.text = body.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.encoding = "latin-1"
            self.text = body.decode("latin-1")
            self._note(f"input is not valid UTF-8 (byte {exc.start}); decoded as latin-1")
        self._ascii_like = self.encoding == "latin-1" or self.text.isascii()
        self._lines: list[int] | None = None
        self._wide: tuple[list[int], list[int]] | None = None

    def _note(self, message: str) -> None:
        self.issues.append(Issue(KIND_SYNTAX, "", message, WARNING, offset=0, line=1))

    def byte_offset(self, pos: int) -> int:
        """Byte offset in the original input of character ``pos`` of the decoded text."""
        if self._ascii_like:
            return pos + self.bom_length
        if self.encoding != "utf-8":
            return self.bom_length + len(self.text[:pos].encode(self.encoding))
        if self._wide is None:
            starts, extra, total = [], [], 0
            for m in re.finditer(r"[^\x00-\x7f]", self.text):
                total += len(m.group().encode("utf-8", "surrogatepass")) - 1
                starts.append(m.start())
                extra.append(total)
            self._wide = (starts, extra)
        starts, extra = self._wide
        i = bisect.bisect_left(starts, pos)
        return pos + self.bom_length + (extra[i - 1] if i else 0)

    def line_at(self, pos: int) -> int:
        """1-based line number of character ``pos``."""
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._lines, pos) + 1
