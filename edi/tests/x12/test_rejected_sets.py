"""A group is read up to its 1,000th rejected set (``envelope.MAX_REJECTED_SETS``): past it, the rest
of the group is counted, not read, and the group is rejected whole with one issue saying where reading
stopped and how many sets were left. Sets rejected by their envelope (no SE) and by their content (an
850 without its BEG) count alike; a stream's caller says which sets its validation rejected, as the
gateway's worker does, and gets the reading ``validate(parse())`` gives.
"""

from __future__ import annotations

import pytest

from edi import x12
from edi.x12 import envelope

from .samples import isa
from .test_stream import assert_same

K = envelope.MAX_REJECTED_SETS


def bad(n: int) -> str:
    """An 850 without its BEG and PO1: rejected by validation (AK5 R 5), its envelope sound."""
    return f"ST*850*{n:04d}~SE*2*{n:04d}~"


def no_se(n: int) -> str:
    """An 850 broken off before its SE: rejected by its envelope (AK5 R 2)."""
    return f"ST*850*{n:04d}~BEG*00*SA*PO-{n}**20260102~"


def good(n: int) -> str:
    return f"ST*850*{n:04d}~BEG*00*SA*PO-{n}**20260102~PO1*1*1*EA*1**BP*X~CTT*1~SE*5*{n:04d}~"


def file(*groups: list[str], isa12: str = "00401", gs08: str = "004010") -> bytes:
    """One interchange; each group (GS06 7, 8, …) holds the given sets, GE01 their count."""
    head = isa(isa12=isa12, isa11="^" if isa12 >= "00402" else "U") + "~"
    body = "".join(
        f"GS*PO*SENDER*RECEIVER*20260102*1200*{7 + k}*X*{gs08}~" + "".join(sets) + f"GE*{len(sets)}*{7 + k}~"
        for k, sets in enumerate(groups)
    )
    return (head + body + f"IEA*{len(groups)}*000000001~").encode()


def streamed(data: bytes, chunk_size: int = 4096) -> list[x12.GroupReport]:
    """The worker's reading: each set validated as it ends, a rejected one told to the reader."""
    out: list[x12.GroupReport] = []
    reports = x12.SetReports()
    reader = x12.stream(data, chunk_size=chunk_size)
    for item in reader:
        if isinstance(item, x12.TransactionSet):
            report = x12.validate_set(item)
            reports.append(report)
            if report.code == "R":
                reader.set_rejected(item)
        elif isinstance(item, x12.Group):
            out.append(x12.GroupReport(item, reports, list(item.errors)))
            reports = x12.SetReports()
    return out


def outcome(report: x12.GroupReport) -> tuple:
    """AK9 (code, included, received, accepted), the group's issues and the sets answered with their AK5 codes."""
    codes = [s.code for s in report.sets]
    return (
        (report.code, report.included, report.received, report.accepted),
        [(i.severity, i.code, i.message, i.offset, i.line) for i in report.issues],
        (len(codes), codes.count("R")),
    )


def readings(data: bytes) -> list[tuple]:
    """The outcome of every group, the same streamed at any chunk size and parsed whole."""
    parsed = [outcome(r) for r in x12.validate(x12.parse(data))]
    for chunk in (256, 4096, 1 << 20):
        assert [outcome(r) for r in streamed(data, chunk)] == parsed, chunk
    return parsed


def stopped(number: int, st02: str, unread: int) -> str:
    return (
        f"1000 transaction sets rejected: checking stopped at set {number} (ST02 {st02}), "
        f"the {unread} set(s) after it not read"
    )


def ak_segments(data: bytes, reports: list[x12.GroupReport]) -> list[list[str]]:
    ic = x12.parse(data).interchanges[0]
    reply = x12.reply_envelope(ic, reports[0].group, interchange_control=1, group_control=1)
    (answer,) = x12.parse(x12.write_ack(reports, reply, 1)).interchanges
    return [s.elements for g in answer.groups for s in g.sets[0].segments if s.id.startswith(("AK", "IK"))]


def test_the_limit_is_a_thousand_rejected_sets():
    assert K == 1000


def test_a_group_one_rejected_set_short_of_the_limit_is_read_whole():
    data = file([*(bad(n) for n in range(1, K)), good(K), good(K + 1)])

    ((ak9, issues, sets),) = readings(data)

    assert (ak9, issues, sets) == (("P", K + 1, K + 1, 2), [], (K + 1, K - 1))


def test_a_group_ending_at_its_thousandth_rejected_set_is_answered_set_by_set():
    # Nothing was left unread: no group issue, each set answered as it is.
    data = file([*(bad(n) for n in range(1, K + 1))])

    ((ak9, issues, sets),) = readings(data)

    assert (ak9, issues, sets) == (("R", K, K, 0), [], (K, K))


def test_a_good_set_after_the_thousandth_rejected_one_is_not_read_and_the_group_is_rejected():
    data = file([*(bad(n) for n in range(1, K + 1)), good(K + 1)])

    ((ak9, issues, sets),) = readings(data)

    assert ak9 == ("R", K + 1, K + 1, 0)
    # Placed at the SE of set 1000: after the ISA (line 1) and GS (line 2), sets of two segments.
    offset = len(data.decode().rsplit(f"SE*2*{K:04d}~", 1)[0])
    assert issues == [("error", "", stopped(K, "1000", 1), offset, 1)]
    assert sets == (K, K)


def test_sets_past_the_limit_are_counted_not_read_whatever_they_hold():
    data = file([*(bad(n) for n in range(1, K + 2)), good(K + 2), no_se(K + 3)])

    ((ak9, issues, sets),) = readings(data)

    assert ak9 == ("R", K + 3, K + 3, 0)
    assert [message for _, _, message, _, _ in issues] == [stopped(K, "1000", 3)]
    assert sets == (K, K)


def test_sets_without_se_count_with_sets_rejected_for_their_content():
    sets = [no_se(n) if n % 2 else bad(n) for n in range(1, K + 1)] + [good(n) for n in range(K + 1, K + 11)]
    data = file(sets)

    ((ak9, issues, answered),) = readings(data)

    assert ak9 == ("R", K + 10, K + 10, 0)
    assert [message for _, _, message, _, _ in issues] == [stopped(K, "1000", 10)]
    assert answered == (K, K)


def test_a_stream_read_without_validation_stops_at_the_thousandth_set_without_se():
    data = file([*(no_se(n) for n in range(1, K + 6))])
    reader = x12.stream(data)

    sets = [item for item in reader if isinstance(item, x12.TransactionSet)]

    assert len(sets) == K
    (group,) = reader.interchanges[0].groups
    assert (group.set_count, group.unread) == (K + 5, 5)
    assert [i.message for i in group.errors] == [stopped(K, "1000", 5)]
    # GE01 5 would be the count of sets read; the group's own count of its STs, read or not, is K + 5.
    assert all(i.code != "5" for i in group.errors)


def test_the_group_after_a_refused_one_is_read_as_usual():
    data = file([*(bad(n) for n in range(1, K + 3))], [good(1), bad(2)])

    (first, second) = readings(data)

    assert first[0] == ("R", K + 2, K + 2, 0)
    assert second == (("P", 2, 2, 1), [], (2, 1))


@pytest.mark.parametrize("chunk_size", [64, 4096, 1 << 20])
def test_parse_file_reads_a_refused_group_as_parse_does(chunk_size: int):
    data = file([*(no_se(n) for n in range(1, K + 3)), good(K + 3)], [bad(1), good(2)])

    assert_same(data, chunks=(chunk_size,))


def test_the_997_answers_the_sets_read_and_counts_every_set():
    data = file([*(bad(n) for n in range(1, K + 1)), good(K + 1), good(K + 2)])
    reports = streamed(data)

    segments = ak_segments(data, reports)

    assert segments[0] == ["AK1", "PO", "7"]
    assert sum(1 for s in segments if s[0] == "AK2") == K
    assert segments[-5:] == [
        ["AK2", "850", "1000"],
        ["AK3", "BEG", "2", "", "3"],
        ["AK3", "PO1", "2", "", "3"],
        ["AK5", "R", "5"],
        ["AK9", "R", str(K + 2), str(K + 2), "0"],  # all 1,002 sets received, none accepted
    ]


def test_the_999_answers_a_005010_group_alike():
    data = file([*(no_se(n) for n in range(1, K + 2))], isa12="00501", gs08="005010")
    reports = streamed(data)

    segments = ak_segments(data, reports)

    assert segments[0] == ["AK1", "PO", "7", "005010"]
    assert sum(1 for s in segments if s[0] == "AK2") == K
    assert segments[-4:] == [
        ["AK2", "850", "1000"],
        ["IK3", "PO1", "2", "", "3"],
        ["IK5", "R", "2", "5"],
        ["AK9", "R", str(K + 1), str(K + 1), "0"],
    ]
