"""Schema building blocks: data elements, composites, segments, loops and sets.

The schemas themselves are data (``dictionary.py``, ``segments.py``, ``sets.py``);
this module only gives them shape and parses the compact notations they use:

* element uses: ``"353M 92M 324M 328O"`` — data element number and requirement
  (M mandatory, O optional, X relational); ``C040O`` is a composite; ``*10`` after
  the requirement is a repeat count; ``-`` is an element this library does not check;
  a trailing ``...`` allows further elements without checking them;
* syntax notes: ``"P0304 R0203 C0605 L03040513 E0110"`` — paired, required,
  conditional, list conditional and exclusion, with two-digit element positions;
* set tables: one line per segment, ``ID REQ MAX`` (``>1`` for unbounded), and
  ``ID loop MAX`` opening a loop whose lines are indented below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi.x12.tokenizer import is_digits

UNBOUNDED = 0


@dataclass(frozen=True, slots=True)
class ElementDef:
    """A simple data element: number, type (AN, ID, Nn, R, DT, TM), lengths, codes."""

    ref: str
    type: str
    min: int
    max: int
    name: str = ""
    codes: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class SyntaxNote:
    """An X12 relational condition over element positions (1-based) of one segment."""

    kind: str
    positions: tuple[int, ...]
    text: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.kind + "".join(f"{p:02d}" for p in self.positions))


@dataclass(frozen=True, slots=True)
class ElementUse:
    """An element or composite at one position of a segment or composite."""

    element: ElementDef | CompositeDef
    req: str
    repeat: int = 1

    @property
    def is_composite(self) -> bool:
        return isinstance(self.element, CompositeDef)


@dataclass(frozen=True, slots=True)
class CompositeDef:
    ref: str
    name: str
    elements: tuple[ElementUse, ...]
    notes: tuple[SyntaxNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """A segment: its elements (``None`` when they are not checked) and syntax notes."""

    id: str
    name: str
    elements: tuple[ElementUse, ...] | None
    notes: tuple[SyntaxNote, ...] = ()
    open_ended: bool = False


@dataclass(frozen=True, slots=True)
class SegmentUse:
    """A segment at one position of a set table: requirement and maximum use."""

    segment: SegmentDef
    req: str
    max_use: int

    @property
    def id(self) -> str:
        return self.segment.id


@dataclass(frozen=True, slots=True)
class LoopDef:
    """A loop; its first child is the segment that starts each iteration.

    ``starts`` maps each segment ID to the child positions it can match (a segment of
    that ID, or a loop it starts), so placing a segment needs no scan of the table.
    """

    id: str
    req: str
    max_repeat: int
    children: tuple[SegmentUse | LoopDef, ...]
    trigger: str = field(init=False, compare=False)
    starts: dict[str, tuple[int, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        first = self.children[0]
        object.__setattr__(self, "trigger", first.id if isinstance(first, SegmentUse) else first.trigger)
        starts: dict[str, list[int]] = {}
        for j, child in enumerate(self.children):
            key = child.id if isinstance(child, SegmentUse) else child.trigger
            starts.setdefault(key, []).append(j)
        object.__setattr__(self, "starts", {k: tuple(v) for k, v in starts.items()})

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True)
class SetSchema:
    """A transaction set (ST01) in one version: its table as a root loop of ST … SE."""

    set_id: str
    version: str
    functional_id: str
    name: str
    root: LoopDef
    hierarchical: bool = False
    segment_ids: frozenset[str] = field(default=frozenset())


def parse_notes(text: str) -> tuple[SyntaxNote, ...]:
    notes = []
    for word in text.split():
        kind, digits = word[0], word[1:]
        if kind not in "PRECL" or len(digits) % 2 or not is_digits(digits):
            raise ValueError(f"bad syntax note {word!r}")
        notes.append(SyntaxNote(kind, tuple(int(digits[i : i + 2]) for i in range(0, len(digits), 2))))
    return tuple(notes)


def parse_uses(
    text: str, elements: dict[str, ElementDef], composites: dict[str, CompositeDef]
) -> tuple[tuple[ElementUse, ...], bool]:
    """Element uses from ``"353M 92M C040O 718O*5 -"``; the flag says ``...`` ended the list."""
    uses, open_ended = [], False
    for word in text.split():
        if word == "...":
            open_ended = True
            continue
        if word == "-":
            uses.append(ElementUse(elements["-"], "O"))
            continue
        repeat = 1
        if "*" in word:
            word, count = word.split("*")
            repeat = int(count)
        ref, req = word[:-1], word[-1]
        if req not in "MOX":
            raise ValueError(f"bad requirement in {word!r}")
        target = composites[ref] if ref in composites else elements[ref]
        uses.append(ElementUse(target, req, repeat))
    return tuple(uses), open_ended


def parse_table(text: str, segments: dict[str, SegmentDef], name: str = "root") -> LoopDef:
    """A set table (indented ``ID REQ MAX`` / ``ID loop MAX`` lines) as a root loop."""
    root: list = []
    stack: list[tuple[int, list, tuple[str, int] | None]] = [(-1, root, None)]
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]

    def close(entry: tuple[int, list, tuple[str, int] | None]) -> LoopDef:
        _, children, head = entry
        assert head is not None
        first = children[0]
        return LoopDef(head[0], first.req, head[1], tuple(children))

    for line in lines:
        indent = len(line) - len(line.lstrip())
        parts = line.split()
        while indent <= stack[-1][0]:
            loop = close(stack.pop())
            stack[-1][1].append(loop)
        seg_id, second, third = parts[0], parts[1], parts[2]
        count = UNBOUNDED if third == ">1" else int(third)
        if second == "loop":
            stack.append((indent, [], (seg_id, count)))
        else:
            stack[-1][1].append(SegmentUse(segments[seg_id], second, count))
    while len(stack) > 1:
        loop = close(stack.pop())
        stack[-1][1].append(loop)
    return LoopDef(name, "M", 1, tuple(root))


def segment_ids(loop: LoopDef) -> frozenset[str]:
    out: set[str] = set()
    for child in loop.children:
        out |= segment_ids(child) if isinstance(child, LoopDef) else {child.id}
    return frozenset(out)
