"""Tokenizer: delimiters from the ISA, layout tolerance, decoding rule, positions."""

from __future__ import annotations

import io

import pytest

from edi.tests.x12.samples import PO_BODY, interchange, isa
from edi.x12 import X12SyntaxError, tokenize


def ids(data: bytes | str) -> list[str]:
    return [s.id for s in tokenize(data)]


EXPECTED_IDS = ["ISA", *[s.split("*")[0] for s in PO_BODY]]


@pytest.mark.parametrize(
    ("e", "c", "t", "suffix"),
    [
        ("*", ">", "~", "\n"),
        ("*", ":", "~", ""),
        ("|", ">", "~", "\r\n"),
        ("^", "\\", "'", ""),
        ("\x1d", "\x1f", "\x1c", ""),
        ("*", ">", "\n", ""),
        ("*", ">", "\r", "\n"),
    ],
)
def test_delimiters_come_from_the_isa(e: str, c: str, t: str, suffix: str) -> None:
    tok = tokenize(interchange(e=e, c=c, t=t, suffix=suffix).encode("latin-1"))
    segs = list(tok)
    assert [s.id for s in segs] == EXPECTED_IDS
    d = segs[0].delimiters
    assert (d.element, d.component, d.segment, d.suffix) == (e, c, t, suffix)
    assert segs[6].elements == ["PO1", "1", "10", "EA", "2.5", "", "BP", "PART-1"]
    assert tok.issues == []


def test_bom_crlf_blank_lines_and_indentation_are_layout() -> None:
    lines = interchange(suffix="\r\n").split("\r\n")
    pretty = "\r\n\r\n".join("\t \xa0" * (i % 3) + line for i, line in enumerate(lines))
    data = b"\xef\xbb\xbf" + pretty.encode("utf-8")
    segs = list(tokenize(data))
    assert [s.id for s in segs] == EXPECTED_IDS
    assert segs[3].elements == ["BEG", "00", "SA", "PO-1001", "", "20260102"]


def test_newline_is_the_only_terminator_and_crlf_mixes_are_tolerated() -> None:
    text = interchange(t="\n", suffix="")
    mixed = text.replace("\nCUR", "\r\nCUR").replace("\nN1", "\r\n\r\n  N1")
    segs = list(tokenize(mixed))
    assert [s.id for s in segs] == EXPECTED_IDS
    assert segs[4].elements == ["CUR", "BY", "USD"]


def test_unpadded_isa_is_split_on_the_element_separator() -> None:
    head = "ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*260102*1200*U*00401*000000001*0*P*>~"
    body = "".join(s + "~" for s in PO_BODY)
    tok = tokenize(head + body)
    blocks = list(tok.blocks())
    assert not blocks[0].isa_fixed_width
    assert [m.message for m in blocks[0].issues] == ["ISA is not the fixed 106 characters; split on separators"]
    assert [s.id for s in tok] == EXPECTED_IDS


def test_several_interchanges_each_with_their_own_delimiters() -> None:
    first = interchange(isa13="000000001")
    second = interchange(e="|", c="^", t="\n", suffix="", isa13="000000002")
    third = interchange(e="!", c=":", t="'", suffix="", isa13="000000003")
    blocks = list(tokenize(first + second + "\n\n" + third).blocks())
    assert [b.ctx.delimiters.element for b in blocks] == ["*", "|", "!"]
    assert [len(b.texts) + 1 for b in blocks] == [13, 13, 13]
    assert [b.isa[13] for b in blocks] == ["000000001", "000000002", "000000003"]


def test_repetition_separator_from_isa11_in_5010() -> None:
    body = [*PO_BODY]
    body[4] = "N1*ST*PLANT ONE*92*P1^P2"
    segs = list(tokenize(interchange(body, isa11="^", isa12="00501")))
    assert segs[0].delimiters.repetition == "^"
    assert segs[5].repeats(4) == ["P1", "P2"]
    segs4010 = list(tokenize(interchange(body, isa11="U", isa12="00401")))
    assert segs4010[0].delimiters.repetition == ""
    assert segs4010[5].repeats(4) == ["P1^P2"]


def test_alphanumeric_isa11_in_5010_is_not_a_repetition_separator() -> None:
    tok = tokenize(interchange(isa11="U", isa12="00501"))
    block = next(tok.blocks())
    assert block.ctx.delimiters.repetition == ""
    assert [m.message for m in block.issues] == ["ISA11 'U' cannot be a repetition separator; repetitions not split"]


def test_composites_split_on_demand() -> None:
    body = [*PO_BODY]
    body[5] = "PO1*1*10*EA*2.5**BP*PART-1>REV-A"
    seg = list(tokenize(interchange(body)))[6]
    assert seg[7] == "PART-1>REV-A"
    assert seg.composite(7) == ["PART-1", "REV-A"]
    assert seg.component(7, 2) == "REV-A"
    assert seg.component(7, 3) == ""
    assert seg[99] == ""


def test_positions_give_interchange_segment_index_byte_offset_and_line() -> None:
    text = interchange() + interchange(isa13="000000002")
    segs = list(tokenize(text.encode()))
    beg = segs[3]
    assert (beg.interchange, beg.index, beg.line) == (0, 3, 4)
    assert beg.offset == text.index("BEG*")
    second_isa = segs[13]
    assert (second_isa.id, second_isa.interchange, second_isa.index) == ("ISA", 1, 0)
    assert second_isa.offset == text.index("ISA", 10)
    assert second_isa.line == 14


def test_byte_offsets_count_utf8_bytes_and_the_bom() -> None:
    body = [*PO_BODY]
    body[4] = "N1*ST*USINE DE CHÂTEAU*92*P1"
    text = interchange(body)
    data = b"\xef\xbb\xbf" + text.encode("utf-8")
    segs = list(tokenize(data))
    assert segs[5][2] == "USINE DE CHÂTEAU"
    po1 = segs[6]
    assert po1.offset == data.index(b"PO1*")


def test_invalid_utf8_falls_back_to_latin1_with_a_warning() -> None:
    body = [*PO_BODY]
    body[4] = "N1*ST*PLANT\xe9*92*P1"
    data = interchange(body).encode("latin-1")
    tok = tokenize(data)
    segs = list(tok)
    assert segs[5][2] == "PLANT\xe9"
    bad_at = data.index(b"\xe9")
    assert [(i.severity, i.message) for i in tok.issues] == [
        ("warning", f"input is not valid UTF-8 (byte {bad_at}); decoded as latin-1")
    ]
    assert segs[6].offset == data.index(b"PO1*")


def test_file_objects_and_str_are_accepted() -> None:
    text = interchange()
    assert ids(text) == EXPECTED_IDS
    assert [s.id for s in tokenize(io.BytesIO(text.encode()))] == EXPECTED_IDS


def test_trailing_component_separator_before_a_newline_terminator_is_dropped() -> None:
    head = isa(c="~") + "\n"
    body = "".join(s + "~\n" for s in PO_BODY)
    tok = tokenize(head + body)
    segs = list(tok)
    assert segs[1].elements[-1] == "004010"
    assert segs[-1].elements == ["IEA", "1", "000000001"]
    assert [i.message for i in next(tok.blocks()).issues] == ["trailing component separator removed from 12 segment(s)"]


def test_line_break_inside_a_segment_is_an_error() -> None:
    text = interchange().replace("CUR*BY*USD~\n", "CUR*BY*USD\n")
    block = next(tokenize(text).blocks())
    assert [(i.severity, i.line) for i in block.issues] == [("error", 5)]


def test_missing_iea_and_an_isa_without_terminator_are_reported() -> None:
    text = interchange(PO_BODY[:-1])
    block = next(tokenize(text).blocks())
    assert [(i.code, i.message) for i in block.issues] == [("023", "interchange ends without IEA")]


@pytest.mark.parametrize("data", [b"", b"hello world", b"ISA", b"ISA*00*", "\ufeff".encode(), b"\x00" * 50])
def test_input_without_an_interchange_raises_the_library_error(data: bytes) -> None:
    with pytest.raises(X12SyntaxError) as exc:
        list(tokenize(data))
    assert exc.value.issues


def wrapped(text: str, width: int, newline: str) -> str:
    """``text`` broken into lines of ``width`` characters, as a mainframe writes a file."""
    return newline.join(text[i : i + width] for i in range(0, len(text), width)) + newline


@pytest.mark.parametrize(("width", "newline"), [(80, "\r\n"), (80, "\n"), (64, "\r"), (9, "\r\n")])
def test_a_file_wrapped_at_a_fixed_width_reads_as_the_unwrapped_one(width: int, newline: str) -> None:
    flat = interchange(suffix="")
    text = wrapped(flat, width, newline)
    assert not text.splitlines()[0].endswith("~")  # a line break falls inside the ISA
    assert any(not line.endswith("~") for line in text.splitlines()[1:-1])  # and inside other segments
    tok = tokenize(text)
    segs = list(tok)
    assert [s.text() for s in segs] == [s.text() for s in tokenize(flat)]
    assert next(tokenize(text).blocks()).isa_fixed_width
    assert segs[6].elements == ["PO1", "1", "10", "EA", "2.5", "", "BP", "PART-1"]
    assert (tok.issues, [i.message for i in next(tokenize(text).blocks()).issues]) == ([], [])


def test_a_line_break_inside_a_segment_of_an_unwrapped_file_still_means_mixed_terminators() -> None:
    # The ISA is whole on its line, so the file is not wrapped: a line break ends CUR.
    text = interchange(suffix="").replace("CUR*BY*USD~", "CUR*BY*USD\r\n")
    block = next(tokenize(text).blocks())
    assert [(i.message, i.line) for i in block.issues] == [
        ("line break inside a segment: terminator probably mixed", 1)
    ]
    assert [s.id for s in block.segments()][3:6] == ["BEG", "CUR", "PO1"]
