"""A streamed group's set reports in memory that does not grow with its accepted sets, and the
997 written from them the same as from every report kept."""

from __future__ import annotations

import tracemalloc

from edi import x12
from edi.tests.x12.samples import isa

REJECTED_EVERY = 1000


def _file(sets: int) -> bytes:
    """One group of ``sets`` 855s numbered 0001 on; every 1,000th has a BAK04 that is no date."""
    body = []
    for n in range(1, sets + 1):
        bak04 = "20261399" if n % REJECTED_EVERY == 0 else "20260102"
        body.append(f"ST*855*{n:04d}~BAK*00*AC*PO-1*{bak04}~SE*3*{n:04d}~")
    head = f"{isa()}~GS*PR*SENDER*RECEIVER*20260102*1200*7*X*004010~"
    return (head + "".join(body) + f"GE*{sets}*7~IEA*1*000000001~").encode()


def _streamed(content: bytes, chunk_size: int = 1 << 20) -> list[x12.GroupReport]:
    reports, out = x12.SetReports(), []
    for item in x12.stream(content, chunk_size=chunk_size):
        if isinstance(item, x12.TransactionSet):
            reports.append(x12.validate_set(item))
        elif isinstance(item, x12.Group):
            out.append(x12.GroupReport(item, reports, list(item.errors)))
            reports = x12.SetReports()
    return out


def _peak_while_streamed(content: bytes) -> tuple[int, x12.GroupReport]:
    tracemalloc.start()
    try:
        # A window of 64 KB: what a reading holds at once is one window's sets, whatever the file.
        (report,) = _streamed(content, chunk_size=1 << 16)
        return tracemalloc.get_traced_memory()[1], report
    finally:
        tracemalloc.stop()


def test_a_group_four_times_as_large_is_read_in_about_the_same_memory() -> None:
    small, large = _file(50_000), _file(200_000)

    small_peak, small_report = _peak_while_streamed(small)
    large_peak, large_report = _peak_while_streamed(large)

    assert (len(large_report.sets), large_report.accepted, large_report.code) == (200_000, 199_800, "P")
    assert (len(small_report.sets), small_report.accepted) == (50_000, 49_950)
    # Four times the sets (and the file), not four times the memory: what grows is the 150 rejected
    # sets' reports more (some 5 MB here for either; a list of every set's report grew by 40 MB).
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < 10_000_000, large_peak


def test_the_997_from_the_compact_reports_is_the_997_from_every_report() -> None:
    content = _file(3_500)
    (ic,) = x12.parse(content).interchanges
    envelope = x12.reply_envelope(ic, ic.groups[0], interchange_control=1, group_control=1)

    compact = x12.write_ack(_streamed(content), envelope, 1)
    every = x12.write_ack(x12.validate(x12.parse(content)), envelope, 1)

    assert compact == every
    text = compact.decode()
    assert text.count("AK2*855*") == 3_500
    rejected = [s.split("*")[2] for s in text.split("~") if s.startswith("AK2*")]
    assert [
        st02
        for st02, ak5 in zip(rejected, [s for s in text.split("~") if s.startswith("AK5*")], strict=True)
        if ak5 != "AK5*A"
    ] == ["1000", "2000", "3000"]
    assert "AK9*P*3500*3500*3497" in text


def test_repeated_and_scattered_control_numbers_are_still_found_repeated() -> None:
    numbers = ["0001", "0002", "0001", "001", "4097", "999999999", "4097", "A001", "A001", "0002"]
    body = "".join(f"ST*855*{n}~BAK*00*AC*PO-1*20260102~SE*3*{n}~" for n in numbers)
    content = f"{isa()}~GS*PR*SENDER*RECEIVER*20260102*1200*7*X*004010~{body}GE*10*7~IEA*1*000000001~"

    (group,) = x12.parse(content.encode()).interchanges[0].groups

    assert [[e.code for e in ts.errors] for ts in group.sets] == [
        [],
        [],
        ["23"],
        ["7"],
        [],
        [],
        ["23"],
        [],
        ["23"],
        ["23"],
    ]
