"""Streaming reader: a file of any size read in chunks, handed out one transaction set at a time.

``parse()`` decodes the whole input and keeps every segment; that is right for the files
partners send every day, not for a 100 MB interchange. ``StreamReader`` gives the same
reading with memory bounded by the chunk size and the largest transaction set:

    reader = StreamReader(path)                 # a path, a binary file, or bytes
    for item in reader:                         # in input order:
        if isinstance(item, TransactionSet):    #   each set as soon as it ends (SE, or broken off)
            report = validate_set(item)
            if report.code == "R":              #   past a group's 1,000th rejected set, the rest
                reader.set_rejected(item)       #   of the group is counted, not read
        elif isinstance(item, Group): ...       #   each group once its GE (or its end) is read
        elif isinstance(item, Interchange): ... #   each interchange once its IEA (or its end) is read
    reader.issues                               # file-level issues, as ``Document.errors``

``parse_file(path)`` reads the same way and returns a ``Document`` equal to what ``parse()``
returns for the same bytes (every field, segment, position and issue; tests check it).

How it stays equal to the whole-file reading:

* The decoding rule is the same (byte-order mark, strict UTF-8, else latin-1 for the whole
  input): a first pass over the input checks it, so a seekable input is read twice; a stream
  that cannot seek is read into memory first.
* The text is split into windows that end after a segment terminator (and the layout
  whitespace after it) and before the first character of a segment, so every segment lies
  whole in one window and each window splits exactly as the whole body would there.
* The envelope walker is the one ``parse()`` uses, fed segment by segment; positions that are
  reported later (where an interchange or a run of stray segments began) are pinned while
  their text is still in memory.

While streaming, a group's or interchange's issues are complete only when that group or
interchange has been handed out, and ``Group.sets`` stays empty unless ``keep_sets=True``
(``Group.set_count`` counts the sets). Each set's segments, offsets and lines are its own: a
set stays usable after the reader has moved on.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import os
import re
from collections.abc import Generator, Iterator
from itertools import accumulate
from typing import BinaryIO

from edi.x12.envelope import (
    _ENVELOPE_HEADS,
    Document,
    Group,
    Interchange,
    TransactionSet,
    _check_isa,
    _new_interchange,
    _Walker,
)
from edi.x12.errors import ERROR, KIND_SYNTAX, KIND_TA1, WARNING, Issue, X12SyntaxError
from edi.x12.source import _BOMS
from edi.x12.tokenizer import (
    _ISA_START,
    _WS,
    Block,
    Context,
    Delimiters,
    Tokenizer,
    _segment_at,
    layout_ws,
    split_body,
)

CHUNK_SIZE = 1 << 20
# Characters an ISA may need beyond its start to be read (``Tokenizer._sniff`` looks at 1024).
_ISA_LOOKAHEAD = 1030

Event = TransactionSet | Group | Interchange


class StreamInfo:
    """What ``Document.source`` offers for a streamed input: the encoding and the byte-order mark."""

    def __init__(self, encoding: str, bom_length: int, issues: list[Issue]) -> None:
        self.encoding = encoding
        self.bom_length = bom_length
        self.issues = issues


class _Window:
    """One stretch of decoded text that whole segments were split from, and its place in the input."""

    __slots__ = ("_lines", "ascii", "byte_start", "encoding", "line_start", "start", "text")

    def __init__(self, text: str, start: int, byte_start: int, line_start: int, encoding: str, ascii_like: bool):
        self.text = text
        self.start = start
        self.byte_start = byte_start
        self.line_start = line_start
        self.encoding = encoding
        self.ascii = ascii_like or (encoding == "utf-8" and text.isascii())
        self._lines: list[int] | None = None

    def byte_offset(self, pos: int) -> int:
        k = pos - self.start
        if self.ascii:
            return self.byte_start + k
        return self.byte_start + len(self.text[:k].encode(self.encoding, "surrogatepass"))

    def line_at(self, pos: int) -> int:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self.text)]
        return self.line_start + bisect.bisect_left(self._lines, pos - self.start)


class _SetSource:
    """Offsets and lines for the segments of one streamed set (the windows it spans)."""

    __slots__ = ("starts", "windows")

    def __init__(self, windows: tuple[_Window, ...]) -> None:
        self.windows = windows
        # Found by bisection: a set of a few megabytes spans hundreds of windows and each of its
        # issues asks for its segment's offset and line.
        self.starts = [window.start for window in windows]

    def _window(self, pos: int) -> _Window:
        k = bisect.bisect_right(self.starts, pos) - 1
        return self.windows[k] if k >= 0 else self.windows[0]

    def byte_offset(self, pos: int) -> int:
        return self._window(pos).byte_offset(pos)

    def line_at(self, pos: int) -> int:
        return self._window(pos).line_at(pos)


class _Pinned:
    """Offsets and lines of positions resolved while their text was still read (an ISA's)."""

    __slots__ = ("at",)

    def __init__(self, at: dict[int, tuple[int, int]]) -> None:
        self.at = at

    def byte_offset(self, pos: int) -> int:
        return self.at[pos][0]

    def line_at(self, pos: int) -> int:
        return self.at[pos][1]


class _Text:
    """Decoded text read chunk by chunk: ``buf`` holds characters ``base`` … ``base + len(buf)``.

    A cursor (position, line, byte offset) moves forward through the text, so the line and
    byte offset of any position still in ``buf`` cost only the text between it and the cursor.
    """

    def __init__(self, raw: BinaryIO, encoding: str, bom_length: int, ascii_like: bool, chunk_size: int) -> None:
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.encoding = encoding
        self.ascii_like = ascii_like
        self.bom_length = bom_length
        self.chunk_size = chunk_size
        self.buf = ""
        self.base = 0
        self.eof = False
        self.cur_pos, self.cur_line, self.cur_byte = 0, 1, bom_length
        self.pins: dict[int, tuple[int, int]] = {}

    @property
    def end(self) -> int:
        return self.base + len(self.buf)

    def read(self) -> bool:
        """Append one more chunk; False at the end of the input."""
        if self.eof:
            return False
        chunk = self.raw.read(self.chunk_size)
        if not chunk:
            self.eof = True
            self.buf += self.decoder.decode(b"", final=True)
            return False
        self.buf += self.decoder.decode(chunk)
        return True

    def ensure(self, pos: int) -> None:
        """Read until ``buf`` reaches ``pos`` or the input ends."""
        while self.end < pos and self.read():
            pass

    def discard(self, pos: int) -> None:
        """Forget the text before ``pos`` (the cursor moves there first if it was behind)."""
        if pos <= self.base:
            return
        if self.cur_pos < pos:
            self.resolve(pos)
        self.buf = self.buf[pos - self.base :]
        self.base = pos

    def _bytes(self, a: int, b: int) -> int:
        return len(self.buf[a:b].encode(self.encoding, "surrogatepass"))

    def resolve(self, pos: int) -> tuple[int, int]:
        """(byte offset, line) of character ``pos``, which must be pinned or still in ``buf``."""
        pinned = self.pins.get(pos)
        if pinned is not None:
            return pinned
        buf, base = self.buf, self.base
        rel = min(max(pos - base, 0), len(buf))
        cur = self.cur_pos - base
        if rel >= cur:
            line = self.cur_line + buf.count("\n", cur, rel)
            byte = (pos + self.bom_length) if self.ascii_like else self.cur_byte + self._bytes(cur, rel)
            self.cur_pos, self.cur_line, self.cur_byte = base + rel, line, byte
        else:
            line = self.cur_line - buf.count("\n", rel, cur)
            byte = (pos + self.bom_length) if self.ascii_like else self.cur_byte - self._bytes(rel, cur)
        return byte, line

    def pin(self, pos: int) -> tuple[int, int]:
        at = self.pins[pos] = self.resolve(pos)
        return at

    def window(self, start: int, stop: int) -> _Window:
        byte, line = self.resolve(start)
        text = self.buf[start - self.base : stop - self.base]
        return _Window(text, start, byte, line, self.encoding, self.ascii_like)


class _Issues(Tokenizer):
    """The tokenizer's ISA reading and issue wording, over the stream's buffer.

    ``_issue`` positions are relative to ``rel`` (the buffer's base while an ISA is read,
    0 when given as positions in the whole text).
    """

    def __init__(self, text: _Text, issues: list[Issue]) -> None:  # no Source: nothing is decoded here
        self.text = text
        self.issues = issues
        self.rel = 0

    def _issue(self, code: str, message: str, pos: int, severity: str = ERROR, kind: str = KIND_TA1) -> Issue:
        offset, line = self.text.resolve(pos + self.rel)
        return Issue(kind, code, message, severity, offset=offset, line=line)


def _open(data: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO) -> tuple[BinaryIO, bool]:
    """A seekable binary reader over ``data`` (a path, bytes, or a binary file) and whether to close it."""
    if isinstance(data, str | os.PathLike):
        return open(data, "rb"), True
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data)), True
    if hasattr(data, "read"):
        seekable = getattr(data, "seekable", None)
        if seekable is not None and seekable():
            return data, False
        raw = data.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        return io.BytesIO(bytes(raw)), True
    raise X12SyntaxError(f"cannot read X12 from {type(data).__name__}")


def _decoding(raw: BinaryIO, chunk_size: int, issues: list[Issue]) -> tuple[str, int, bool]:
    """(encoding, byte-order mark length, every character ASCII or latin-1) by ``Source``'s rule.

    Leaves ``raw`` positioned just after the byte-order mark.
    """
    origin = raw.tell()
    head = raw.read(4)
    encoding, bom_length = "utf-8", 0
    for bom, name in _BOMS:
        if head.startswith(bom):
            encoding, bom_length = name, len(bom)
            if name != "utf-8":
                issues.append(
                    Issue(
                        KIND_SYNTAX, "", f"{name} byte-order mark: input decoded as {name}", WARNING, offset=0, line=1
                    )
                )
            break
    body_start = origin + bom_length
    raw.seek(body_start)
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    ascii_only = True  # every decoded character is ASCII (``Source``'s shortcut for offsets)
    bad = None
    while bad is None:
        chunk = raw.read(chunk_size)
        pending = len(decoder.getstate()[0])
        try:
            if not chunk:
                ascii_only = decoder.decode(b"", final=True).isascii() and ascii_only
                break
            if not (encoding == "utf-8" and not pending and chunk.isascii()):
                ascii_only = decoder.decode(chunk).isascii() and ascii_only
        except UnicodeDecodeError as exc:
            bad = consumed - pending + exc.start
        consumed += len(chunk)
    raw.seek(body_start)
    if bad is not None:
        issues.append(
            Issue(
                KIND_SYNTAX,
                "",
                f"input is not valid UTF-8 (byte {bad}); decoded as latin-1",
                WARNING,
                offset=0,
                line=1,
            )
        )
        return "latin-1", bom_length, True
    return encoding, bom_length, ascii_only


class StreamReader:
    """Iterate over an input's transaction sets, groups and interchanges as they end.

    ``data`` is a path, bytes, or a binary file (read from its current position); a ``str``
    is a path here, not X12 text. ``keep_sets`` keeps each set in its ``Group.sets`` (and so
    in memory). Raises ``X12SyntaxError``, when iterated, if the input holds no usable ISA.
    """

    def __init__(
        self,
        data: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO,
        *,
        chunk_size: int = CHUNK_SIZE,
        keep_sets: bool = False,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self._data = data
        self.chunk_size = chunk_size
        self.keep_sets = keep_sets
        self.issues: list[Issue] = []
        self.interchanges: list[Interchange] = []
        self.info: StreamInfo | None = None
        self._walker: _Walker | None = None

    def set_rejected(self, ts: TransactionSet) -> None:
        """Say the caller rejected ``ts`` (its validation: AK5 R), as it is handed out: it counts
        towards its group's ``MAX_REJECTED_SETS``, past which the rest of the group is not read (the
        group then carries the issue saying so). Sets their envelope rejected are counted already;
        call it at most once per set, before reading on."""
        if self._walker is not None:
            self._walker.set_rejected(ts)

    def __iter__(self) -> Iterator[Event]:
        raw, close = _open(self._data)
        try:
            encoding, bom_length, ascii_like = _decoding(raw, self.chunk_size, self.issues)
            self.info = StreamInfo(encoding, bom_length, self.issues)
            text = _Text(raw, encoding, bom_length, ascii_like, self.chunk_size)
            yield from self._read(text)
        finally:
            if close:
                raw.close()

    def sets(self) -> Iterator[TransactionSet]:
        """Only the transaction sets."""
        return (item for item in self if isinstance(item, TransactionSet))

    def document(self) -> Document:
        """Read everything (if not done yet) and return it as a ``Document``."""
        if self.info is None:
            for _ in self:
                pass
        assert self.info is not None
        return Document(self.interchanges, self.issues, self.info)  # type: ignore[arg-type]

    # -- the interchanges ---------------------------------------------------------------

    def _read(self, text: _Text) -> Iterator[Event]:
        tok = _Issues(text, self.issues)
        text.pin(0)
        pos, index, found = 0, 0, False
        seen: set[str] = set()
        while True:
            text.ensure(pos + 4)
            gap_start, gap_data = pos, False
            text.pin(gap_start)
            while True:
                m = _ISA_START.search(text.buf, pos - text.base)
                if m is not None or text.eof:
                    break
                # No ISA yet: what lies before the last three characters is outside any interchange.
                keep = max(pos, text.end - 3)
                gap_data = gap_data or bool(text.buf[pos - text.base : keep - text.base].strip(_WS))
                pos = keep
                text.discard(pos)
                text.read()
            if m is None:
                if gap_data or text.buf[pos - text.base :].strip(_WS):
                    self.issues.append(
                        tok._issue("", "data after the last interchange ignored", gap_start, WARNING, KIND_SYNTAX)
                    )
                break
            start = text.base + m.start()
            if gap_data or text.buf[pos - text.base : m.start()].strip(_WS):
                self.issues.append(
                    tok._issue("", "data outside an interchange ignored", gap_start, WARNING, KIND_SYNTAX)
                )
            text.discard(start)
            text.ensure(start + _ISA_LOOKAHEAD)
            tok.rel = text.base
            head = tok._head(text.buf, start - text.base)
            tok.rel = 0
            if head is None:
                pos = start + 3
                continue
            found = True
            fields, d, isa_end_rel, fixed, head_issues = head
            isa_end = text.base + isa_end_rel
            ic, end = yield from self._interchange(text, tok, index, start, fields, d, isa_end, fixed, head_issues)
            if ic.isa13 in seen:
                ic.errors.append(_issue_at(ic.block, text.pins[start], "025", f"ISA13 {ic.isa13} repeated in file"))
            seen.add(ic.isa13)
            self.interchanges.append(ic)
            yield ic
            index += 1
            pos = end
        if not found:
            if not self.issues or all(i.severity != ERROR for i in self.issues):
                self.issues.append(tok._issue("", "no ISA segment found", 0, ERROR, KIND_SYNTAX))
            raise X12SyntaxError("no readable interchange (ISA) in input", self.issues)

    def _interchange(
        self,
        text: _Text,
        tok: _Issues,
        index: int,
        start: int,
        fields: list[str],
        d: Delimiters,
        isa_end: int,
        fixed: bool,
        head_issues: list[Issue],
    ):
        """Read one interchange's body window by window, yielding its sets and groups as they end.

        Returns (the interchange, the position where it ended).
        """
        isa_at = text.pin(start)
        body = isa_end + (len(d.suffix) if d.suffix and text.buf.startswith(d.suffix, isa_end - text.base) else 0)
        body_at = text.pin(body)
        isa = ["ISA", *fields[1:], d.component]
        block = Block(index, Context(index, d, _Pinned({start: isa_at})), isa, start, fixed, [], body, [])
        ic = _new_interchange(block)
        # What the interchange says, layout aside: one resent as it was has the same digest, and so
        # does one resent with its envelope written again at another date and time (ISA09, ISA10).
        # The same goes for each group's date and time (GS04, GS05).
        said = [*isa[:9], "", "", *isa[11:]]
        digest = hashlib.sha256(d.element.join(said).encode("utf-8", "surrogatepass"))
        group_time = _group_time(d.element)
        isa_issues = _check_isa(block, block.isa)
        state = _BodyState(self, text, block, ic, d)
        self._walker = state.walker
        ws = layout_ws(d)
        t = d.segment
        cursor = body
        broken: list[int] = []
        empty = trailing = 0
        unterminated = None
        missing_iea = False
        ended = False
        while True:
            if not text.eof and text.end - cursor < self.chunk_size:
                text.read()
            cut = _cut(text, cursor, t, ws)
            if cut is None:
                text.read()
                continue
            region_end = None
            window_text = text.buf[cursor - text.base : cut - text.base]
            rel_from, rel_to = cursor - text.base, cut - text.base
            iea = _segment_at(text.buf, "IEA", rel_from, rel_to, d) if d.wrapped or "IEA" in window_text else -1
            nxt = -1
            if "ISA" in window_text:
                nxt = _segment_at(text.buf, "ISA", rel_from, rel_to if iea < 0 else iea, d)
            if nxt >= 0:
                region_end, missing_iea = text.base + nxt, True
            elif iea >= 0:
                stop = text.buf.find(t, iea)
                region_end = text.end if stop < 0 else text.base + stop + len(t)
            elif text.eof and cut == text.end:
                region_end, missing_iea = cut, True
            if region_end is not None and region_end != cut:
                cut = region_end
            window = text.window(cursor, cut)
            piece = split_body(window.text, 0, len(window.text), d, ws)
            if piece.unterminated is not None:
                unterminated = cursor + piece.unterminated
            for at in piece.broken:
                broken.append(cursor + at)
                text.pin(cursor + at)
            empty += piece.empty
            trailing += piece.trailing
            if piece.texts:
                said_text = group_time.sub(r"\1", "\n" + "\n".join(piece.texts))
                digest.update(said_text.encode("utf-8", "surrogatepass"))
            ended = (yield from state.feed(window, piece)) or ended
            cursor = cut
            if region_end is not None:
                break
            yield from state.drain()
            # One character stays: an issue may point just before the next window.
            text.discard(cursor - 1)
        block.end_pos = region_end
        block.missing_iea = missing_iea
        state.finish(ended)
        issues = list(head_issues)
        if missing_iea:
            issues.append(tok._issue("023", "interchange ends without IEA", max(region_end - 1, 0)))
        if unterminated is not None:
            issues.append(tok._issue("", "last segment has no terminator", unterminated, WARNING, KIND_SYNTAX))
        issues += [
            tok._issue("", "line break inside a segment: terminator probably mixed", at, ERROR, KIND_SYNTAX)
            for at in broken
        ]
        text.pins[body] = body_at
        if empty:
            issues.append(tok._issue("", f"{empty} empty segment(s) skipped", body, WARNING, KIND_SYNTAX))
        if trailing:
            issues.append(
                tok._issue(
                    "", f"trailing component separator removed from {trailing} segment(s)", body, WARNING, KIND_SYNTAX
                )
            )
        block.issues = issues
        ic.errors[:0] = issues + isa_issues
        ic.counted = state.next_index
        ic.digest = digest.hexdigest()
        yield from state.drain()
        text.discard(region_end)
        return ic, region_end


def _issue_at(block: Block, at: tuple[int, int], code: str, message: str) -> Issue:
    return Issue(KIND_TA1, code, message, WARNING, interchange=block.index, offset=at[0], line=at[1])


def _cut(text: _Text, cursor: int, t: str, ws: str) -> int | None:
    """Where the window starting at ``cursor`` may end: just before the first character of a
    segment that follows a terminator and layout whitespace. At the end of the input, the end.
    ``None`` when the buffer holds no such place yet."""
    buf, base = text.buf, text.base
    lo = cursor - base
    hi = len(buf)
    k = buf.rfind(t, lo, hi)
    while k >= 0:
        c = k + len(t)
        while c < len(buf) and buf[c] in ws:
            c += 1
        if c < len(buf) and buf[c] != t:
            return base + c
        k = buf.rfind(t, lo, k)
    if text.eof:
        return text.end
    return None


class _BodyState:
    """The walker over one streamed interchange, and the segments of the set it has open."""

    def __init__(self, reader: StreamReader, text: _Text, block: Block, ic: Interchange, d: Delimiters) -> None:
        self.text = text
        self.block = block
        self.d = d
        self.walker = _Walker(block, ic, keep_sets=reader.keep_sets)
        self.walker.locate = self.locate
        self.walker.pin = self.pin
        self.walker.on_set = self.set_closed
        self.walker.on_group = self.events_append
        self.events: list[Event] = []
        self.next_index = 1  # interchange index of the next segment (ISA = 0)
        self.first = 1  # index of the current window's first segment
        self.texts: list[str] = []
        self.positions: list[int] = []
        self.window: _Window | None = None
        self.pinned: dict[int, tuple[int, int]] = {}
        # Segments of the open set read in earlier windows.
        self.carry_texts: list[str] = []
        self.carry_positions: list[int] = []
        self.carry_windows: list[_Window] = []
        self.end_index = -1

    def events_append(self, item: Event) -> None:
        self.events.append(item)

    def drain(self) -> Iterator[Event]:
        # Each event is let go as it is handed out: a window of a megabyte may close tens of
        # thousands of tiny sets, and a set the reader has validated holds its segments and elements.
        events, self.events = self.events, []
        events.reverse()
        while events:
            yield events.pop()

    def locate(self, index: int) -> tuple[int, int]:
        at = self.pinned.get(index)
        if at is not None:
            return at
        if index == self.end_index or index >= self.first + len(self.texts):
            return self.text.resolve(self.block.end_pos)
        return self.text.resolve(self.positions[index - self.first])

    def pin(self, index: int) -> None:
        self.pinned[index] = self.locate(index)

    def feed(self, window: _Window, piece) -> Generator[Event, None, bool]:
        """Feed a window's segments to the walker, handing out each set and group as it ends (the
        caller may ask, as a set is handed out, for the rest of its group to be skimmed); returns
        True when the window held the IEA."""
        texts = piece.texts
        if piece.positions is None:
            positions = list(accumulate(map(piece.step.__add__, map(len, texts)), initial=window.start))
            positions.pop()
        else:
            positions = [window.start + p for p in piece.positions]
        self.window, self.texts, self.positions = window, texts, positions
        self.first = first = self.next_index
        self.next_index += len(texts)
        walker = self.walker
        heads = _ENVELOPE_HEADS
        ended = False
        for k, s in enumerate(texts):
            if s[:2] not in heads:
                if walker.tset is None and not walker.stray_from:
                    walker.stray(first + k, s)
                continue
            ended = walker.feed(first + k, s) or ended
            if self.events:
                yield from self.drain()
        ts = walker.tset
        if ts is not None:
            if ts.start >= first:
                self.carry_texts = texts[ts.start - first :]
                self.carry_positions = positions[ts.start - first :]
                self.carry_windows = [window]
            else:
                self.carry_texts += texts
                self.carry_positions += positions
                self.carry_windows.append(window)
        return ended

    def finish(self, ended: bool) -> None:
        self.end_index = self.next_index
        self.walker.finish(self.next_index, ended)

    def set_closed(self, ts: TransactionSet) -> None:
        first = self.first
        stop = ts.stop - first
        window = self.window
        assert window is not None, "a set opens in a window that feed() has read"
        if ts.start >= first:
            texts = self.texts[ts.start - first : stop]
            positions = self.positions[ts.start - first : stop]
            windows: tuple[_Window, ...] = (window,)
        else:
            texts = self.carry_texts + self.texts[: max(stop, 0)]
            positions = self.carry_positions + self.positions[: max(stop, 0)]
            windows = (*self.carry_windows, window)
        b = self.block
        ctx = Context(b.index, self.d, _SetSource(windows))
        end = positions[-1] if positions else b.isa_pos
        ts._block = Block(b.index, ctx, b.isa, b.isa_pos, b.isa_fixed_width, texts, end, base=ts.start - 1)
        ts._block._positions = positions
        self.events.append(ts)


def stream(
    data: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO,
    *,
    chunk_size: int = CHUNK_SIZE,
    keep_sets: bool = False,
) -> StreamReader:
    """A ``StreamReader`` over ``data`` (a path, bytes or a binary file)."""
    return StreamReader(data, chunk_size=chunk_size, keep_sets=keep_sets)


def parse_file(
    data: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO, *, chunk_size: int = CHUNK_SIZE
) -> Document:
    """Read ``data`` in chunks into a ``Document`` equal to ``parse()`` of the same bytes.

    The document keeps every set (and so the whole input's segments); use ``stream()`` to
    handle one set at a time in bounded memory.
    """
    return StreamReader(data, chunk_size=chunk_size, keep_sets=True).document()


_GROUP_TIMES: dict[str, re.Pattern[str]] = {}


def _group_time(element: str) -> re.Pattern[str]:
    """A pattern of each GS segment's date and time (GS04, GS05) in a run of segments, each after a
    line break: replaced by its first group, a GS reads as if written at no date and time."""
    found = _GROUP_TIMES.get(element)
    if found is None:
        e = re.escape(element)
        field = f"[^{e}\n]*"
        found = re.compile(f"(\nGS{e}(?:{field}{e}){{3}}){field}{e}{field}")
        _GROUP_TIMES[element] = found
    return found
