"""Envelope writer: ISA (fixed 106 characters), GS/GE and ST/SE with correct counts.

Control numbers are parameters: the caller (the Django side) allocates ISA13, GS06
and ST02. A segment is a list of elements; an element that is a tuple is a composite
and is joined with the component separator. Values containing a delimiter or a
control character raise ``GenerationError`` instead of corrupting the output.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from edi.x12.envelope import Group, Interchange
from edi.x12.errors import GenerationError
from edi.x12.schemas import base_version
from edi.x12.tokenizer import Delimiters, is_digits

Element = str | tuple[str, ...]
SegmentData = list[Element]

DEFAULT_DELIMITERS = Delimiters(element="*", component=">", segment="~", repetition="^", suffix="\n")


@dataclass(frozen=True)
class Envelope:
    """ISA/GS values for one outbound interchange (ISA05–ISA08, ISA13–ISA15, GS02/GS03/GS06/GS08)."""

    sender_id: str
    receiver_id: str
    interchange_control: int
    group_control: int
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender: str = ""
    application_receiver: str = ""
    version: str = "004010"
    test: bool = False
    ack_requested: bool = False
    when: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    delimiters: Delimiters = DEFAULT_DELIMITERS
    interchange_version: str = ""

    @property
    def isa12(self) -> str:
        """ISA12: ``interchange_version`` when given, else derived from GS08 (004010 → 00401)."""
        if self.interchange_version:
            return self.interchange_version
        base = base_version(self.version) or "004010"
        return base[:5]


@dataclass(frozen=True)
class SetBody:
    """One transaction set to envelope: ST01, ST02 and the segments between ST and SE."""

    st01: str
    st02: str | int
    segments: Sequence[SegmentData]
    st03: str = ""


def reply_envelope(
    interchange: Interchange,
    group: Group | None,
    *,
    interchange_control: int,
    group_control: int,
    version: str | None = None,
    when: dt.datetime | None = None,
) -> Envelope:
    """An envelope answering ``interchange``: sender and receiver swapped (ISA and GS),
    the partner's delimiters, ISA12, test indicator and, unless given, GS08 version."""
    d = interchange.delimiters
    delimiters = Delimiters(d.element, d.component or ">", d.segment, d.repetition, d.suffix)
    return Envelope(
        sender_id=interchange.isa08,
        receiver_id=interchange.isa06,
        interchange_control=interchange_control,
        group_control=group_control,
        sender_qualifier=interchange.isa07,
        receiver_qualifier=interchange.isa05,
        application_sender=group.gs03 if group else "",
        application_receiver=group.gs02 if group else "",
        version=version or (group.gs08 if group and group.gs08 else "004010"),
        test=interchange.isa15 == "T",
        when=when or dt.datetime.now(dt.UTC),
        delimiters=delimiters,
        interchange_version=interchange.isa12 if len(interchange.isa12) == 5 and is_digits(interchange.isa12) else "",
    )


class SegmentWriter:
    """Renders segments with one set of delimiters, checking every value."""

    def __init__(self, delimiters: Delimiters) -> None:
        d = delimiters
        if not d.element or not d.segment or len({d.element, d.component, d.segment} - {""}) < 3:
            raise GenerationError("element, component and segment separators must be distinct")
        if d.repetition and d.repetition in (d.element, d.component, d.segment):
            raise GenerationError("repetition separator clashes with another separator")
        self.d = d
        self._end = d.segment + d.suffix
        forbidden = "".join(re.escape(ch) for ch in (d.element, d.component, d.segment, d.repetition) if ch)
        self._unsafe = re.compile(f"[\\x00-\\x1f\\x7f{forbidden}]")

    def value(self, value: str) -> str:
        if self._unsafe.search(value):
            raise GenerationError(f"value {value!r} contains a delimiter or control character")
        return value

    def element(self, element: Element) -> str:
        if isinstance(element, tuple):
            parts = [self.value(p) for p in element]
            while parts and not parts[-1]:
                parts.pop()
            return self.d.component.join(parts)
        return self.value(element)

    def segment(self, data: SegmentData) -> str:
        try:
            # Plain values are checked at once (an answer to a file dense with errors writes a few
            # hundred thousand of them); a composite or any unsafe value is checked value by value.
            plain = not self._unsafe.search("".join(data))  # type: ignore[arg-type]
        except TypeError:
            plain = False
        parts: list[str] = data if plain else [self.element(e) for e in data]  # type: ignore[assignment]
        if len(parts) <= 1 or parts[-1]:  # most segments end in a value
            return self.d.element.join(parts) + self._end
        end = len(parts)
        while end > 1 and not parts[end - 1]:
            end -= 1
        return self.d.element.join(parts[:end]) + self._end


def control(value: str | int, width: int, name: str) -> str:
    """A control number as digits, zero-padded to ``width`` (ISA13 9, ST02 4)."""
    text = str(value)
    if isinstance(value, int):
        if not 0 < value < 10**9:
            raise GenerationError(f"{name} {value} is out of range")
        text = str(value).zfill(width)
    if not text.isalnum() or not 1 <= len(text) <= 9:
        raise GenerationError(f"{name} {value!r} is not a control number")
    return text


def _isa13(value: int) -> str:
    text = control(value, 9, "ISA13").zfill(9)
    if not is_digits(text):
        raise GenerationError(f"ISA13 {value!r} must be digits")
    return text


def isa_segment(env: Envelope, writer: SegmentWriter) -> str:
    d = env.delimiters
    isa11 = d.repetition if env.isa12 >= "00402" and d.repetition else "U"
    fields = [
        ("ISA05", env.sender_qualifier, 2),
        ("ISA06", env.sender_id, 15),
        ("ISA07", env.receiver_qualifier, 2),
        ("ISA08", env.receiver_id, 15),
    ]
    for name, value, width in fields:
        if not value or len(value) > width:
            raise GenerationError(f"{name} {value!r} does not fit {width} characters")
        writer.value(value)
    return (
        d.element.join(
            [
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                env.sender_qualifier.ljust(2),
                env.sender_id.ljust(15),
                env.receiver_qualifier.ljust(2),
                env.receiver_id.ljust(15),
                env.when.strftime("%y%m%d"),
                env.when.strftime("%H%M"),
                isa11,
                env.isa12,
                _isa13(env.interchange_control),
                "1" if env.ack_requested else "0",
                "T" if env.test else "P",
                d.component,
            ]
        )
        + d.segment
        + d.suffix
    )


@dataclass(frozen=True)
class GroupBody:
    """One functional group to write: GS01, its sets, and optionally its own GS06/GS08."""

    functional_id: str
    sets: Sequence[SetBody]
    group_control: int | None = None
    version: str | None = None


def write_interchange(env: Envelope, groups: Sequence[GroupBody], *, ta1: Sequence[SegmentData] = ()) -> bytes:
    """ISA, optional TA1 segments, each group (GS, ST…SE, GE) and IEA, as bytes."""
    w = SegmentWriter(env.delimiters)
    out = [isa_segment(env, w)]
    out.extend(w.segment(seg) for seg in ta1)
    # The same for every group: an answer to a file of thousands of groups writes a GS for each.
    app_sender = env.application_sender or env.sender_id
    app_receiver = env.application_receiver or env.receiver_id
    gs04, gs05 = env.when.strftime("%Y%m%d"), env.when.strftime("%H%M")
    for n, group in enumerate(groups):
        gs06 = group.group_control if group.group_control is not None else env.group_control + n
        gs06_text = control(gs06, 1, "GS06")
        version = group.version or env.version
        out.append(
            w.segment(
                [
                    "GS",
                    group.functional_id,
                    app_sender,
                    app_receiver,
                    gs04,
                    gs05,
                    gs06_text,
                    "X",
                    version,
                ]
            )
        )
        for body in group.sets:
            st02 = control(body.st02, 4, "ST02")
            if len(st02) < 4:
                raise GenerationError(f"ST02 {st02!r} is shorter than 4 characters")
            head: SegmentData = ["ST", body.st01, st02, *([body.st03] if body.st03 else [])]
            segs = [head, *body.segments]
            out.extend(w.segment(seg) for seg in segs)
            out.append(w.segment(["SE", str(len(segs) + 1), st02]))
        out.append(w.segment(["GE", str(len(group.sets)), gs06_text]))
    out.append(w.segment(["IEA", str(len(groups)), _isa13(env.interchange_control)]))
    text = "".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise GenerationError(f"text cannot be encoded: {exc}") from exc


def write_set(env: Envelope, functional_id: str, body: SetBody) -> bytes:
    """One set in its own group and interchange."""
    return write_interchange(env, [GroupBody(functional_id, [body])])


def number(value: Decimal | int) -> str:
    """A decimal (R) value without exponent or trailing zeros: ``Decimal("10.50")`` → ``10.5``."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise GenerationError(f"{value} is not a finite number")
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cents(value: Decimal) -> str:
    """An N2 value (implied two decimals): ``Decimal("365.96")`` → ``36596``."""
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise GenerationError(f"{value} has more than two decimals")
    return str(int(scaled))


def date(value: dt.date, version: str = "004010") -> str:
    """CCYYMMDD (YYMMDD before 004010)."""
    base = base_version(version) or "004010"
    return value.strftime("%y%m%d" if base < "004010" else "%Y%m%d")


def with_version(env: Envelope, version: str) -> Envelope:
    return replace(env, version=version)
