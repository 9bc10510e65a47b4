"""Streaming reader: the same reading as ``parse()``, whatever the chunk size; bounded state.

``parse_file`` must give a document equal to ``parse`` of the same bytes in every detail
(fields, segments, byte offsets, lines, issues in order, validation); ``stream`` hands out
each set as it ends and keeps nothing it does not need.
"""

from __future__ import annotations

import io
import random

import pytest

from edi import x12
from edi.x12 import engine
from edi.x12.engine import walker
from edi.x12.errors import X12SyntaxError

from .corpus import corpus_bytes, corpus_dir, manifest
from .samples import PO_BODY, interchange

CHUNKS = (1, 3, 7, 64, 1000, 1 << 20)


def _issue(issue: x12.Issue) -> tuple:
    return tuple(sorted(issue._asdict().items()))


def dump(doc: x12.Document) -> dict:
    """Everything a reader of a document can see, as plain data."""
    out: dict = {
        "errors": [_issue(i) for i in doc.errors],
        "encoding": doc.source.encoding,
        "bom": doc.source.bom_length,
        "interchanges": [],
    }
    for ic in doc.interchanges:
        entry = {k: getattr(ic, k) for k in [f"isa{n:02d}" for n in range(1, 17)]}
        entry |= {
            "iea": (ic.iea01, ic.iea02),
            "ta1": ic.ta1,
            "delimiters": ic.delimiters,
            "index": ic.index,
            "errors": [_issue(i) for i in ic.errors],
            "segment_count": ic.segment_count,
            "offset": ic.offset,
            "groups": [],
        }
        for group in ic.groups:
            g = {k: getattr(group, k) for k in ("gs01", "gs02", "gs03", "gs06", "gs08", "ge01", "ge02", "implicit")}
            g |= {"index": group.index, "start": group.start, "set_count": group.set_count}
            g["errors"] = [_issue(i) for i in group.errors]
            g["report"] = [_issue(i) for i in engine.validate_group(group).issues]
            g["sets"] = []
            for ts in group.sets:
                report = engine.validate_set(ts)
                g["sets"].append(
                    {
                        "head": (ts.st01, ts.st02, ts.st03, ts.start, ts.stop, ts.se01, ts.se02),
                        "errors": [_issue(i) for i in ts.errors],
                        "segments": [(s.elements, s.index, s.offset, s.line, s.interchange) for s in ts.segments],
                        "validation": [_issue(i) for i in report.issues],
                        "code": report.code,
                    }
                )
            entry["groups"].append(g)
        out["interchanges"].append(entry)
    return out


def reading(read, data) -> object:
    try:
        return dump(read(data))
    except X12SyntaxError as error:
        return ("X12SyntaxError", str(error), [_issue(i) for i in error.issues])


def assert_same(data: bytes, chunks=CHUNKS) -> None:
    expected = reading(x12.parse, data)
    for chunk in chunks:
        assert reading(lambda d, c=chunk: x12.parse_file(d, chunk_size=c), data) == expected, f"chunk_size={chunk}"


def corpus_rows() -> list:
    return [pytest.param(row["filename"], id=row["filename"]) for row in manifest()]


@pytest.mark.parametrize("name", corpus_rows())
def test_every_corpus_file_reads_the_same_streamed(name: str) -> None:
    assert_same(corpus_bytes(name))


@pytest.mark.parametrize("name", corpus_rows())
def test_parse_file_reads_a_path(name: str) -> None:
    path = corpus_dir() / name
    assert reading(x12.parse_file, path) == reading(x12.parse, path.read_bytes())
    assert reading(x12.parse_file, str(path)) == reading(x12.parse, path.read_bytes())


def test_a_multi_interchange_file_across_chunk_boundaries() -> None:
    parts = [
        interchange(isa13="000000001"),
        "\r\n",
        interchange(e="|", c="^", t="\n", suffix="", isa13="000000002"),
        "  \n",
        corpus_bytes("940_ediengine_multi_interchange.edi").decode("latin-1"),
        interchange(e="!", c=":", t="'", suffix="\r\n", isa13="000000003"),
        "stray text between interchanges\n",
        corpus_bytes("855_staedi_multi_tx.edi").decode("latin-1"),
        interchange(isa13="000000001"),  # repeated ISA13
    ]
    data = "".join(parts).encode("latin-1")
    doc = x12.parse(data)
    assert len(doc.interchanges) >= 6
    assert_same(data, chunks=(1, 2, 5, 13, 64, 100, 257, 4096))


def test_mutated_inputs_read_the_same_streamed() -> None:
    """Truncations, doubled terminators, blank lines, stray bytes and concatenations (seeded)."""
    rows = manifest()
    files = [corpus_bytes(row["filename"]) for row in rows]
    rnd = random.Random(20270115)
    noise = [b"~", b"~~", b"\n\n", b"  ", b"\r\n", b"JUNK", b"\xe9", b"IEA*1*000000001~", b"ISA*", b"\xef\xbb\xbf"]
    for _ in range(60):
        parts = []
        for _ in range(rnd.randint(1, 3)):
            data = rnd.choice(files)
            if rnd.random() < 0.3:
                data = data[: rnd.randint(0, len(data))]
            if rnd.random() < 0.3:
                at = rnd.randint(0, len(data))
                data = data[:at] + rnd.choice(noise) + data[at:]
            parts += [data, rnd.choice([b"", b"\n", b"garbage", b"  \r\n"])]
        data = b"".join(parts)
        assert_same(data, chunks=(rnd.choice((1, 2, 3, 5, 16)), rnd.choice((100, 333, 4096))))


def test_decoding_across_chunk_boundaries() -> None:
    text = interchange([*PO_BODY[:4], "N1*ST*PLANT ÉTÉ 東京*92*P1", *PO_BODY[4:]]).replace("SE*9", "SE*10")
    assert_same(text.encode("utf-8"))  # multi-byte characters split between chunks
    assert_same(b"\xef\xbb\xbf" + text.encode("utf-8"))  # byte-order mark
    latin = text.replace("東京", "").replace("SE*10", "SE*10")
    assert_same(latin.encode("latin-1"))  # not UTF-8: latin-1 for the whole input, with a warning
    assert_same(text.encode("utf-8") + b"\xff")  # the bad byte only at the very end
    assert_same(b"\xff\xfe" + text.encode("utf-16-le"))


def test_no_interchange_raises_when_iterated() -> None:
    with pytest.raises(X12SyntaxError):
        x12.parse_file(b"hello, not X12\n")
    reader = x12.stream(b"")
    with pytest.raises(X12SyntaxError):
        list(reader)


def test_inputs_a_reader_accepts() -> None:
    data = interchange().encode()
    expected = reading(x12.parse, data)
    assert reading(x12.parse_file, io.BytesIO(data)) == expected

    class Pipe(io.RawIOBase):  # a stream that cannot seek: read into memory first
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    assert reading(x12.parse_file, io.BufferedReader(Pipe())) == expected
    with pytest.raises(X12SyntaxError):
        x12.parse_file(12345)  # type: ignore[arg-type]


def test_stream_hands_out_sets_groups_and_interchanges_as_they_end() -> None:
    body = ["GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010"]
    for n in range(1, 4):
        body += [f"ST*850*000{n}", f"BEG*00*SA*PO-{n}**20260102", "PO1*1*10*EA*2.5**BP*PART-1", "CTT*1", f"SE*5*000{n}"]
    body += ["GE*3*7", "IEA*1*000000001"]
    data = interchange(body).encode()
    reader = x12.stream(data, chunk_size=16)
    events = list(reader)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TransactionSet"] * 3 + ["Group", "Interchange"]
    sets = [e for e in events[:3] if isinstance(e, x12.TransactionSet)]
    assert len(sets) == 3
    # Each set is usable after the reader moved on: its own segments, positions and validation.
    assert [ts.st02 for ts in sets] == ["0001", "0002", "0003"]
    assert [s.id for s in sets[2].segments] == ["ST", "BEG", "PO1", "CTT", "SE"]
    assert sets[1].segments[1].offset == data.index(b"BEG*00*SA*PO-2")
    assert sets[1].segments[1].line == data[: data.index(b"BEG*00*SA*PO-2")].count(b"\n") + 1
    assert all(engine.validate_set(ts).code == "A" for ts in sets)
    assert x12.map_850(sets[0]).value.number == "PO-1"
    # Without keep_sets a group does not hold its sets; it counts them.
    group, ic = events[3], events[4]
    assert isinstance(group, x12.Group) and isinstance(ic, x12.Interchange)
    assert group.sets == [] and group.set_count == 3 and group.errors == []
    assert ic.segment_count == len(body) + 1
    assert list(x12.stream(data).sets()) != [] and reader.issues == []


def test_a_set_broken_off_at_the_end_is_handed_out() -> None:
    data = interchange(PO_BODY[:6]).encode()
    (ts,) = list(x12.stream(data, chunk_size=5).sets())
    assert [i.code for i in ts.errors] == ["2"]
    assert [s.id for s in ts.segments] == ["ST", "BEG", "CUR", "N1", "PO1"]


def test_many_sets_in_one_group_are_not_quadratic() -> None:
    """100,000 ST02s in one group: duplicates found with a set, not by scanning the group."""
    body = ["GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010"]
    for n in range(100_000):
        body += [f"ST*997*{n:09d}", "AK1*PO*1", "AK9*A*1*1*1", f"SE*4*{n:09d}"]
    body += ["ST*997*000000005", "AK1*PO*1", "AK9*A*1*1*1", "SE*4*000000005", "GE*100001*7", "IEA*1*000000001"]
    data = interchange(body).encode()
    counts = [0, 0]
    for item in x12.stream(data):
        if isinstance(item, x12.TransactionSet):
            counts[0] += 1
            counts[1] += any(i.code == "23" for i in item.errors)
    assert counts == [100_001, 1]


# -- the engine's fast path ---------------------------------------------------------------


def full_path_only(monkeypatch) -> None:
    monkeypatch.setattr(walker, "_clean", lambda *args: False)


def validation(data: bytes) -> list:
    try:
        doc = x12.parse(data)
    except X12SyntaxError:
        return []
    return [
        (report.code, [_issue(i) for i in report.issues])
        for group in (g for ic in doc.interchanges for g in ic.groups)
        for report in engine.validate_group(group).sets
    ]


def test_the_fast_path_finds_what_the_full_checks_find(monkeypatch) -> None:
    """Every corpus file, and each with values broken in many ways: same issues either way."""
    rnd = random.Random(7)
    inputs = []
    for row in manifest():
        data = corpus_bytes(row["filename"])
        inputs.append(data)
        for _ in range(15):
            at = rnd.randint(0, len(data) - 1)
            junk = rnd.choice(
                [b"", b"X", b"9", b"-1", b".", b"20261340", b"\x01", b"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"]
            )
            inputs.append(data[:at] + junk + data[at + rnd.randint(0, 3) :])
    fast = [validation(data) for data in inputs]
    full_path_only(monkeypatch)
    assert [validation(data) for data in inputs] == fast


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_a_file_wrapped_at_80_columns_reads_the_same_streamed(newline: str) -> None:
    """A line break of the wrapping (a CRLF too) may fall at any chunk boundary."""
    flat = interchange(suffix="")
    data = newline.join(flat[i : i + 80] for i in range(0, len(flat), 80)).encode() + newline.encode()
    assert_same(data, chunks=(1, 2, 3, 79, 80, 81, 4096))
    doc = x12.parse_file(data, chunk_size=2)
    (ts,) = doc.interchanges[0].groups[0].sets
    (flat_ts,) = x12.parse(flat).interchanges[0].groups[0].sets
    assert [s.text() for s in ts.segments] == [s.text() for s in flat_ts.segments]
    assert ts.segments[4].elements == ["PO1", "1", "10", "EA", "2.5", "", "BP", "PART-1"]
    assert (doc.errors, doc.interchanges[0].errors) == ([], [])


def test_an_interchanges_digest_is_its_content_layout_aside() -> None:
    def digests(data: str, chunk: int) -> list[str]:
        return [ic.digest for ic in x12.parse_file(data.encode(), chunk_size=chunk).interchanges]

    text = interchange(suffix="")
    (digest,) = digests(text, 1 << 20)
    assert len(digest) == 64
    laid_out = interchange(suffix="\r\n")
    wrapped = "\r\n".join(text[i : i + 80] for i in range(0, len(text), 80))
    assert {d for data in (text, laid_out, wrapped) for c in (1, 7, 64, 4096) for d in digests(data, c)} == {digest}
    assert "*260102*" in text
    enveloped_again = text.replace("*260102*1200*", "*260301*0815*", 1)
    assert enveloped_again != text
    assert digests(enveloped_again, 7) == [digest]
    grouped_again = text.replace("*20260102*1200*7*", "*20260301*081530*7*", 1)
    assert grouped_again != text
    assert digests(grouped_again, 7) == [digest]
    assert digests(text.replace("*20260102*1200*7*", "*20260102*1200*8*", 1), 7) != [digest]
    assert digests(text.replace("PO1*2*4*EA", "PO1*2*5*EA"), 7) != [digest]
    assert digests(interchange(suffix="", sender="OTHER"), 7) != [digest]
