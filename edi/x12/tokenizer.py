"""Tolerant X12 tokenizer: bytes in, segments out, delimiters read from each ISA.

Rules, in the order they apply:

* **Decoding.** A UTF-8 byte-order mark is dropped (UTF-16/32 marks switch to that
  encoding). The rest is decoded as strict UTF-8; if that fails the whole input is
  decoded as latin-1, which maps every byte to one character and so never fails, and
  a warning is recorded. Offsets reported on segments and issues are byte offsets
  into the original input whichever decoding was used.
* **ISA.** The element separator is the character after ``ISA``. A fixed-width ISA
  (separators at their 106-character positions) gives ISA16 at 104 and the segment
  terminator at 105. Otherwise the ISA is split on the element separator: after 16
  elements come ISA16 and the terminator. A line break after the terminator is a
  suffix, not part of the next segment. ISA11 is the repetition separator from ISA12
  ``00402`` on when it is not alphanumeric.
* **Between segments** spaces, tabs, CR/LF, NBSP and blank lines are ignored; a
  newline can be the terminator itself. Several interchanges may follow each other,
  each with its own delimiters.
* **Wrapped files.** When the terminator is no line break and a line break falls inside
  the ISA, the text was wrapped at a fixed width (mainframes wrap at 80 columns): every
  CR and LF of the interchange is layout and dropped, inside segments too (``IE⏎A`` ends
  it). Otherwise a line break inside a segment is an error (terminators mixed).
* **Recoverable oddities** (latin-1 fallback, unpadded ISA, empty segments, trailing
  component separators, a line break inside a segment) become ``Issue`` records on
  the ``Tokenizer`` and never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain, count, repeat
from typing import BinaryIO

from edi.x12.errors import ERROR, KIND_SYNTAX, KIND_TA1, WARNING, Issue, X12SyntaxError
from edi.x12.source import Positions, Source

# Characters tolerated around segments (formatting, not data).
_WS = " \t\r\n\x0b\x0c\xa0\ufeff\u2028\u2029"
_LINE_BREAKS = "\r\n\u2028\u2029"
_ISA_SEPARATOR_POSITIONS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_ISA_FIXED_LENGTH = 106
_ISA_START = re.compile(r"ISA(?=[^A-Za-z0-9 \t\r\n\x0b\x0c])")


def is_digits(value: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``"²"``, which ``int`` rejects)."""
    return value.isascii() and value.isdigit()


# More digits than any count or control number in X12 has (N0 up to 10): such a value is only
# compared, never converted, so a value of thousands of digits costs no ``int()`` (which refuses
# strings over 4,300 digits).
_COUNT_DIGITS = 18


def count_value(value: str) -> int | None:
    """The number in a count or control number element (SE01, GE01, IEA01, ...), ``None`` when it
    is not ASCII digits or too long to be one."""
    if not is_digits(value):
        return None
    significant = value.lstrip("0")
    return int(significant or "0") if len(significant) <= _COUNT_DIGITS else None


@dataclass(frozen=True, slots=True)
class Delimiters:
    """Separators of one interchange: ISA element separator, ISA16, terminator, ISA11.

    ``suffix`` is what followed the terminator in the input (e.g. ``"\\n"``); writers
    use it to reproduce the partner's line layout. ``wrapped``: the text is broken into lines
    of a fixed width (a line break inside the ISA, the terminator no line break), so every
    CR and LF is layout, inside segments too.
    """

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str = ""
    suffix: str = ""
    wrapped: bool = False


@dataclass(slots=True)
class Context:
    """What the segments of one interchange share: its index, delimiters and source."""

    interchange: int
    delimiters: Delimiters
    source: Positions


class Segment:
    """One segment: ``elements[0]`` is the segment ID, ``seg[1]`` the first element.

    Elements are split from the segment text on first use, components and repetitions
    only when asked (``composite()``, ``repeats()``). ``index`` counts segments within
    the interchange (ISA = 0); ``offset`` and ``line`` are worked out only when read.
    """

    __slots__ = ("_data", "block", "id", "index")

    def __init__(self, data: str | list[str], index: int, block: Block) -> None:
        # ``_data`` is the raw text until the elements are first needed, then the list.
        self._data = data
        self.index = index
        self.block = block
        self.id: str = data.partition(block.ctx.delimiters.element)[0] if data.__class__ is str else data[0]

    @property
    def elements(self) -> list[str]:
        data = self._data
        if data.__class__ is str:
            data = self._data = data.split(self.block.ctx.delimiters.element)
        return data  # type: ignore[return-value]  # a list here: `__class__ is str` narrows one side only

    @property
    def interchange(self) -> int:
        return self.block.index

    @property
    def delimiters(self) -> Delimiters:
        return self.block.ctx.delimiters

    @property
    def pos(self) -> int:
        """Character position in the decoded text."""
        return self.block.position(self.index)

    @property
    def offset(self) -> int:
        return self.block.ctx.source.byte_offset(self.pos)

    @property
    def line(self) -> int:
        return self.block.ctx.source.line_at(self.pos)

    def __len__(self) -> int:
        return len(self.elements) - 1

    def __getitem__(self, position: int) -> str:
        """Element at X12 position ``position`` (1-based), ``""`` when absent."""
        els = self._data
        if els.__class__ is str:
            els = self.elements
        return els[position] if 0 < position < len(els) else ""

    def get(self, position: int, default: str = "") -> str:
        value = self[position]
        return value if value else default

    def composite(self, position: int) -> list[str]:
        """Components of the element at ``position`` (one item for a simple element)."""
        value = self[position]
        sep = self.block.ctx.delimiters.component
        return value.split(sep) if sep else [value]

    def component(self, position: int, sub: int) -> str:
        parts = self.composite(position)
        return parts[sub - 1] if 0 < sub <= len(parts) else ""

    def repeats(self, position: int) -> list[str]:
        """Repetitions of the element at ``position`` (ISA11 separator, 00402 and later)."""
        value = self[position]
        sep = self.block.ctx.delimiters.repetition
        return value.split(sep) if sep and value else [value]

    def text(self) -> str:
        data = self._data
        return data if data.__class__ is str else self.block.ctx.delimiters.element.join(data)

    def __repr__(self) -> str:
        return f"<Segment {self.text()!r} @{self.interchange}:{self.index}>"


@dataclass(slots=True)
class Block:
    """One interchange as the tokenizer found it: its ISA and its other segments as text.

    Segments stay plain strings until asked for, which keeps the envelope pass cheap;
    ``texts[k]`` is the segment with interchange index ``k + 1``.
    """

    index: int
    ctx: Context
    isa: list[str]
    isa_pos: int
    isa_fixed_width: bool
    texts: list[str]
    end_pos: int
    issues: list[Issue] = field(default_factory=list)
    missing_iea: bool = False
    _positions: list[int] | None = None
    _stride: tuple[int, int] = (0, 0)
    # A streamed transaction set keeps only its own segments: ``texts[k]`` then has
    # interchange index ``base + k + 1``.
    base: int = 0

    def position(self, index: int) -> int:
        """Character position of the segment with interchange index ``index``."""
        if index == 0:
            return self.isa_pos
        if self._positions is None:
            start, step = self._stride
            sizes = map(step.__add__, map(len, self.texts))
            self._positions = list(accumulate(sizes, initial=start))
        return self._positions[index - 1 - self.base]

    def segment(self, index: int) -> Segment:
        """The segment with interchange index ``index`` (ISA = 0)."""
        if index == 0:
            return Segment(list(self.isa), 0, self)
        return Segment(self.texts[index - 1 - self.base], index, self)

    def segments(self, start: int = 0, stop: int | None = None) -> Iterator[Segment]:
        """Segments with interchange index in ``range(start, stop)``, ISA included."""
        base = self.base
        stop = len(self.texts) + 1 + base if stop is None else stop
        head: list[Segment] = []
        if start == 0:
            if not base:
                head.append(Segment(list(self.isa), 0, self))
            start = 1
        start = max(start, base + 1)
        body = map(Segment, self.texts[start - 1 - base : stop - 1 - base], count(start), repeat(self))
        return chain(head, body)


class Tokenizer:
    """Iterate over the interchanges (``blocks()``) or segments (``iter()``) of an input.

    ``issues`` collects decoding and formatting observations; problems that belong
    to one interchange are on its ``Block.issues``.
    """

    def __init__(self, data: bytes | bytearray | memoryview | str | BinaryIO) -> None:
        self.source = Source(data)
        self.issues: list[Issue] = list(self.source.issues)

    def __iter__(self) -> Iterator[Segment]:
        for block in self.blocks():
            yield from block.segments()

    def _issue(self, code: str, message: str, pos: int, severity: str = ERROR, kind: str = KIND_TA1) -> Issue:
        src = self.source
        return Issue(kind, code, message, severity, offset=src.byte_offset(pos), line=src.line_at(pos))

    def blocks(self) -> Iterator[Block]:
        """Yield one ``Block`` per ISA found; raise ``X12SyntaxError`` if there is none."""
        text = self.source.text
        pos, index, found = 0, 0, False
        n = len(text)
        while pos < n:
            m = _ISA_START.search(text, pos)
            if m is None:
                if text[pos:].strip(_WS):
                    self.issues.append(
                        self._issue("", "data after the last interchange ignored", pos, WARNING, KIND_SYNTAX)
                    )
                break
            start = m.start()
            if text[pos:start].strip(_WS):
                self.issues.append(self._issue("", "data outside an interchange ignored", pos, WARNING, KIND_SYNTAX))
            block = self._block(text, start, index)
            if block is None:
                pos = start + 3
                continue
            found = True
            index += 1
            pos = block.end_pos
            yield block
        if not found:
            if not self.issues or all(i.severity != ERROR for i in self.issues):
                self.issues.append(self._issue("", "no ISA segment found", 0, ERROR, KIND_SYNTAX))
            raise X12SyntaxError("no readable interchange (ISA) in input", self.issues)

    def _sniff(self, text: str, p: int) -> tuple[list[str], str, str, int, bool] | None:
        """ISA fields, component separator, terminator, end position, fixed width."""
        e = text[p + 3]
        if e in _WS:
            self.issues.append(self._issue("026", "ISA element separator is whitespace", p))
            return None
        if len(text) >= p + _ISA_FIXED_LENGTH and all(text[p + i] == e for i in _ISA_SEPARATOR_POSITIONS):
            fields = text[p : p + 103].split(e)
            comp, term, end, fixed = text[p + 104], text[p + 105], p + 106, True
        else:
            parts = text[p : p + 1024].split(e, 16)
            if len(parts) < 17 or len(parts[16]) < 1:
                self.issues.append(self._issue("023", "ISA segment is incomplete", p))
                return None
            fields, rest = parts[:16], parts[16]
            end = p + sum(map(len, fields)) + 16
            wrap = len(rest) - len(rest.lstrip("\r\n"))
            if wrap and rest[wrap : wrap + 1] and not rest[wrap].isalnum():
                # A line break before ISA16 (never one itself) wraps the ISA at a fixed width.
                rest, end = rest[wrap:], end + wrap
            comp, term = rest[0], rest[1:2]
            end += 2
            fixed = False
        if not term or term.isalnum():
            # ISA16 missing: the character after ISA15 is the terminator itself.
            term, comp, end = comp, "", end - 1
        if not fixed and term not in "\r\n" and any("\r" in f or "\n" in f for f in fields):
            # Wrapped at a fixed width (mainframes wrap at 80 columns): the line breaks are layout.
            fields = [f.replace("\r", "").replace("\n", "") for f in fields]
            line = e.join(fields) + e
            fixed = len(line) == _ISA_FIXED_LENGTH - 2 and all(line[i] == e for i in _ISA_SEPARATOR_POSITIONS)
        return fields, comp, term, end, fixed

    def _block(self, text: str, p: int, index: int) -> Block | None:
        head = self._head(text, p)
        if head is None:
            return None
        fields, delimiters, isa_end, fixed, issues = head
        ctx = Context(index, delimiters, self.source)
        region_end, missing_iea = _region(text, isa_end, delimiters)
        if missing_iea:
            issues.append(self._issue("023", "interchange ends without IEA", max(region_end - 1, 0)))
        isa = ["ISA", *fields[1:], delimiters.component]
        block = Block(index, ctx, isa, p, fixed, [], region_end, issues, missing_iea)
        self._split(text, isa_end, region_end, block)
        return block

    def _head(self, text: str, p: int) -> tuple[list[str], Delimiters, int, bool, list[Issue]] | None:
        """ISA fields, delimiters, end of the ISA (its terminator and suffix not skipped),
        fixed width, and the ISA's own issues; ``None`` when the ISA is unusable."""
        sniffed = self._sniff(text, p)
        if sniffed is None:
            return None
        fields, comp, term, isa_end, fixed = sniffed
        e = text[p + 3]
        issues: list[Issue] = []
        if term == e or term in (comp, "") or term.isalnum():
            self.issues.append(self._issue("004", f"segment terminator {term!r} is unusable", p))
            return None
        if not comp or comp == e or comp.isalnum() or comp in _WS:
            issues.append(self._issue("027", f"component separator {comp!r} is unusable", p))
            comp = ""
        suffix = ""
        if term == "\r" and text.startswith("\n", isa_end):
            suffix = "\n"
        elif term not in "\r\n":
            for candidate in ("\r\n", "\n", "\r"):
                if text.startswith(candidate, isa_end):
                    suffix = candidate
                    break
        version = fields[12].strip(_WS)
        rep = fields[11].strip(_WS) if len(fields[11].strip(_WS)) == 1 else ""
        if version >= "00402" and rep and (rep.isalnum() or rep in (e, comp, term)):
            issues.append(
                self._issue(
                    "",
                    f"ISA11 {rep!r} cannot be a repetition separator; repetitions not split",
                    p,
                    WARNING,
                    KIND_SYNTAX,
                )
            )
            rep = ""
        elif version < "00402":
            rep = ""
        isa_text = text[p:isa_end]
        wrapped = term not in "\r\n" and ("\n" in isa_text or "\r" in isa_text)
        delimiters = Delimiters(e, comp, term, rep, suffix, wrapped)
        if not fixed:
            issues.append(
                self._issue("", "ISA is not the fixed 106 characters; split on separators", p, WARNING, KIND_SYNTAX)
            )
        return fields, delimiters, isa_end, fixed, issues

    def _split(self, text: str, start: int, end: int, block: Block) -> None:
        d = block.ctx.delimiters
        if d.suffix and text.startswith(d.suffix, start):
            start += len(d.suffix)
        piece = split_body(text, start, end, d, layout_ws(d))
        block.texts = piece.texts
        if piece.positions is None:
            block._stride = (start, piece.step)
        else:
            block._positions = piece.positions
        block.issues.extend(self._piece_issues(piece, start, [], 0, 0))

    def _piece_issues(self, piece: Piece, start: int, broken: list[int], empty: int, trailing: int) -> list[Issue]:
        """The issues ``_split`` reports, in its order: no final terminator, line breaks inside
        segments, then the counts of empty segments and trailing component separators (at ``start``).
        ``broken``, ``empty`` and ``trailing`` add what earlier pieces of the same body found."""
        out = []
        if piece.unterminated is not None:
            out.append(self._issue("", "last segment has no terminator", piece.unterminated, WARNING, KIND_SYNTAX))
        for at in (*broken, *piece.broken):
            out.append(
                self._issue("", "line break inside a segment: terminator probably mixed", at, ERROR, KIND_SYNTAX)
            )
        empty += piece.empty
        trailing += piece.trailing
        if empty:
            out.append(self._issue("", f"{empty} empty segment(s) skipped", start, WARNING, KIND_SYNTAX))
        if trailing:
            out.append(
                self._issue(
                    "",
                    f"trailing component separator removed from {trailing} segment(s)",
                    start,
                    WARNING,
                    KIND_SYNTAX,
                )
            )
        return out


def layout_ws(d: Delimiters) -> str:
    """Whitespace that is layout between the segments of an interchange with delimiters ``d``."""
    return "".join(ch for ch in _WS if ch not in (d.element, d.component, d.repetition, d.segment))


@dataclass(slots=True)
class Piece:
    """Segments split from one stretch of an interchange body (the whole body, or a streamed window).

    ``positions`` is ``None`` when the stretch was clean: then segment ``k`` starts at
    ``start + sum(len(texts[i]) + step for i < k)``. ``unterminated`` is the position after
    the last segment when it had no terminator; ``broken`` the positions of segments with a
    line break inside.
    """

    texts: list[str]
    positions: list[int] | None
    step: int
    unterminated: int | None = None
    broken: list[int] = field(default_factory=list)
    empty: int = 0
    trailing: int = 0


def split_body(text: str, start: int, end: int, d: Delimiters, ws: str) -> Piece:
    """Split ``text[start:end]`` into segment texts (layout whitespace and empty segments dropped)."""
    t, term = d.segment, d.segment + d.suffix
    stripped = text[start:end].rstrip(ws)
    unterminated = None
    if stripped.endswith(t):
        stripped = stripped[: -len(t)]
    elif stripped:
        unterminated = start + len(stripped)
    if _clean(stripped, term, ws, d):
        return Piece(stripped.split(term) if stripped else [], None, len(term), unterminated)
    if t in "\r\n":
        # A line-break terminator: accept CR, LF and CRLF alike.
        parts = re.split(r"(\r\n|\r|\n)", stripped)
        pieces = [(parts[i], len(parts[i + 1]) if i + 1 < len(parts) else 0) for i in range(0, len(parts), 2)]
    else:
        pieces = [(raw, len(t)) for raw in stripped.split(t)]
    texts: list[str] = []
    positions: list[int] = []
    out = Piece(texts, positions, len(term), unterminated)
    cur = start
    for raw, sep_len in pieces:
        at = cur
        cur += len(raw) + sep_len
        # Leading whitespace is layout; trailing spaces stay (they may be data).
        s = raw.lstrip(ws).rstrip(_LINE_BREAKS)
        if not s:
            out.empty += not raw and t not in "\r\n"
            continue
        at += len(raw) - len(raw.lstrip(ws))
        if d.component and s.endswith(d.component):
            s = s.rstrip(d.component)
            out.trailing += 1
        if "\n" in s or "\r" in s:
            if d.wrapped:
                s = s.replace("\r", "").replace("\n", "")
            else:
                out.broken.append(at)
        texts.append(s)
        positions.append(at)
    return out


def _clean(stripped: str, term: str, ws: str, d: Delimiters) -> bool:
    """True when ``stripped.split(term)`` gives exact segments, checked in bulk (C speed).

    Single-character ``in`` tests are nearly free, so each costlier scan is guarded by one.
    """
    if not stripped:
        return True
    t = d.segment
    # Layout around the body, or a terminator at either end (an empty segment there).
    if stripped[0] in ws or stripped[-1] in ws or stripped[0] == t or stripped[-1] == t:
        return False
    n = stripped.count(term)
    if d.suffix and stripped.count(d.segment) != n:
        return False
    for ch in "\r\n":
        expected = n * term.count(ch)
        if (stripped.count(ch) if expected else (ch in stripped)) != expected:
            return False
    if term + term in stripped:
        return False
    comp = d.component
    if comp and comp in stripped and (comp + term in stripped or stripped.endswith(comp)):
        return False
    candidates = " \t\x0b\x0c" if stripped.isascii() else " \t\x0b\x0c\xa0\ufeff\u2028\u2029"
    return not any(ch in ws and ch in stripped and term + ch in stripped for ch in candidates)


def _segment_at(text: str, tag: str, start: int, stop: int, d: Delimiters) -> int:
    """Position of the first segment ``tag`` in ``text[start:stop]`` that begins a segment."""
    t, ws = d.segment, _WS
    i = text.find(tag, start, stop)
    while i >= 0:
        k = i - 1
        while k >= start and text[k] in ws and text[k] != t:
            k -= 1
        nxt = text[i + 3 : i + 4]
        if tag == "ISA":
            follows = bool(nxt) and not nxt.isalnum() and nxt not in ws
        else:
            follows = nxt in ("", d.element, t) or nxt in ws
        if (k < start or text[k] == t) and follows:
            return i
        i = text.find(tag, i + 1, stop)
    if tag in _WRAPPED_TAGS and d.wrapped:
        return _wrapped_segment_at(text, tag, start, stop, d)
    return -1


_WRAPPED_TAGS = {tag: re.compile(r"[\r\n]*".join(tag)) for tag in ("IEA",)}


def _wrapped_segment_at(text: str, tag: str, start: int, stop: int, d: Delimiters) -> int:
    """``_segment_at`` for a terminator that is no line break: a line break inside ``tag`` is
    layout (the file is wrapped at a fixed width), so ``I\r\nEA`` is an ``IEA`` too."""
    t, ws = d.segment, _WS
    pattern = _WRAPPED_TAGS[tag]
    m = pattern.search(text, start, stop)
    while m is not None:
        i = m.start()
        k = i - 1
        while k >= start and text[k] in ws and text[k] != t:
            k -= 1
        nxt = text[m.end() : m.end() + 1]
        if (k < start or text[k] == t) and (nxt in ("", d.element, t) or nxt in ws):
            return i
        m = pattern.search(text, i + 1, stop)
    return -1


def _region(text: str, start: int, d: Delimiters) -> tuple[int, bool]:
    """(end of the interchange whose body starts at ``start``, IEA missing).

    The interchange ends after its IEA, or just before the next ISA when the IEA is
    missing (``start`` is just after the ISA's terminator, so an ISA directly followed
    by its IEA is found too).
    """
    n = len(text)
    # The IEA is looked for only up to the next ISA: a file of thousands of interchanges without
    # their IEAs (or their terminators) is not searched to its end at each of them.
    nxt = _segment_at(text, "ISA", start, n, d)
    iea = _segment_at(text, "IEA", start, n if nxt < 0 else nxt, d)
    if iea < 0:
        return (n, True) if nxt < 0 else (nxt, True)
    stop = text.find(d.segment, iea)
    return (n if stop < 0 else stop + len(d.segment)), False


def tokenize(data: bytes | bytearray | memoryview | str | BinaryIO) -> Tokenizer:
    """A ``Tokenizer`` over ``data``; iterate it for ``Segment`` objects (ISA to IEA).

    Raises ``X12SyntaxError`` (only when iterated) if the input holds no usable ISA.
    """
    return Tokenizer(data)
