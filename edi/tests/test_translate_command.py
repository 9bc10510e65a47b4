"""``manage.py edi translate``: exit 0 clean / 1 errors / 2 unreadable, a one-line summary, 997/999/TA1
read in words, and never a traceback whatever the bytes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.tests.x12 import samples

ROOT = Path(__file__).resolve().parents[2]

# One 850 with two lines, the second without a need-by date (a mapping warning, not an error).
CLEAN = samples.interchange()

# The same group with a second set whose SE01 says 9 segments but it has 5: AK5 R 4, AK9 P.
BAD_SE = samples.interchange(
    [
        *samples.PO_BODY[:-2],
        "ST*850*0002",
        "BEG*00*SA*PO-1002**20260102",
        "PO1*1*10*EA*2.5**BP*PART-1",
        "CTT*1",
        "SE*9*0002",
        "GE*2*7",
        "IEA*1*000000001",
    ]
)

# An 850 carrying segments the gateway does not use: a reference, an address line, a line note.
WITH_UNUSED = samples.interchange(
    [
        "GS*PO*SENDER*RECEIVER*20260102*1200*7*X*004010",
        "ST*850*0001",
        "BEG*00*SA*PO-1001**20260102",
        "REF*IA*V-77",
        "N1*ST*PLANT ONE*92*P1",
        "N3*1 MAIN ST",
        "PO1*1*10*EA*2.5**BP*PART-1",
        "DTM*002*20260301",
        "MSG*HANDLE WITH CARE",
        "CTT*1",
        "SE*10*0001",
        "GE*1*7",
        "IEA*1*000000001",
    ]
)

# A partner's 997 for our PO group 7: set 0001 rejected (PO103 bad code), 0002 accepted.
PARTNER_997 = samples.interchange(
    [
        "GS*FA*SENDER*RECEIVER*20260102*1200*8*X*004010",
        "ST*997*0001",
        "AK1*PO*7",
        "AK2*850*0001",
        "AK3*PO1*5**8",
        "AK4*3*355*7*XX",
        "AK5*R*5",
        "AK2*850*0002",
        "AK5*A",
        "AK9*P*2*2*1",
        "SE*10*0001",
        "GE*1*8",
        "IEA*1*000000001",
    ]
)

# A partner's 999 for our 005010 PO group 12, accepting its one set.
PARTNER_999 = samples.interchange(
    [
        "GS*FA*SENDER*RECEIVER*20260102*1200*9*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*PO*12*005010",
        "AK2*850*0003",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0001",
        "GE*1*9",
        "IEA*1*000000001",
    ],
    isa12="00501",
)

# A partner's TA1 refusing our interchange 5 (ISA13 and IEA02 differed).
PARTNER_TA1 = samples.interchange(["TA1*000000005*260101*1200*R*001", "IEA*0*000000001"])


def translate(path: Path, *args: str) -> tuple[int, str]:
    """Exit code and stdout of the command, as ``manage.py`` would exit."""
    out = io.StringIO()
    try:
        call_command("edi", "translate", str(path), *args, stdout=out)
    except SystemExit as exc:
        assert isinstance(exc.code, int)
        return exc.code, out.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def write(tmp_path: Path, content: str | bytes, name: str = "in.edi") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_clean_file_exits_0_with_its_summary_last(tmp_path):
    code, out = translate(write(tmp_path, CLEAN))

    assert code == 0
    assert out.splitlines()[-1] == "1 interchange, 1 group, 1 set: 1 accepted, 0 rejected; 0 errors, 1 warning"


def test_a_file_with_errors_exits_1_and_counts_them(tmp_path):
    code, out = translate(write(tmp_path, BAD_SE))

    assert code == 1
    assert "    850 0002: R" in out.splitlines()
    assert out.splitlines()[-1] == "1 interchange, 1 group, 2 sets: 1 accepted, 1 rejected; 1 error, 2 warnings"


def test_json_carries_the_summary_and_the_exit_code(tmp_path):
    code, out = translate(write(tmp_path, BAD_SE), "--format", "json")

    assert code == 1
    assert json.loads(out)["summary"] == {
        "interchanges": 1,
        "groups": 1,
        "sets": 2,
        "accepted": 1,
        "rejected": 1,
        "errors": 1,
        "warnings": 2,
    }


def test_the_segments_not_used_are_listed_with_position_and_reason(tmp_path):
    path = write(tmp_path, WITH_UNUSED)

    code, out = translate(path)
    json_code, json_out = translate(path, "--format", "json")

    assert (code, json_code) == (0, 0)
    lines = out.splitlines()
    start = lines.index("      segments not used by the gateway:")
    assert lines[start + 1 : start + 5] == [
        "        3 REF: reference the gateway does not keep",
        "        5 N3: address the gateway does not keep",
        "        8 MSG: free-form message text of a line",
        "        9 CTT: line count the gateway does not check",
    ]
    (item,) = json.loads(json_out)["interchanges"][0]["groups"][0]["sets"]
    assert item["unused"] == [
        {"position": 3, "segment_id": "REF", "reason": "reference the gateway does not keep"},
        {"position": 5, "segment_id": "N3", "reason": "address the gateway does not keep"},
        {"position": 8, "segment_id": "MSG", "reason": "free-form message text of a line"},
        {"position": 9, "segment_id": "CTT", "reason": "line count the gateway does not check"},
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b" \r\n\n", "empty file"),
        (b"ISA\x00\x01\x02*00*" + bytes(range(256)), "binary content, not X12"),
        (b"Dear supplier,\nplease find our invoice attached.\n", "no readable interchange (ISA) in input"),
    ],
)
def test_an_unreadable_file_exits_2_saying_why(tmp_path, content, message):
    code, out = translate(write(tmp_path, content))

    assert code == 2
    assert message in out


def test_a_missing_file_exits_2(tmp_path):
    assert translate(tmp_path / "nowhere.edi") == (2, f"no such file: {tmp_path / 'nowhere.edi'}")


def test_a_partners_997_is_read_in_words(tmp_path):
    code, out = translate(write(tmp_path, PARTNER_997))

    assert code == 0
    assert out.splitlines() == [
        "interchange 000000001 SENDER → RECEIVER (ISA15 P)",
        "  group FA 8 004010: A",
        "    997 0001: A",
        "      997 answers our group PO 7: partially accepted (2 included, 2 received, 1 accepted sets)",
        "        our 850 0001: rejected",
        "          set error 5 One or more segments in error",
        "          segment PO1 at position 5: 8 Segment has data element errors",
        "            element 3 (data element 355): 7 Invalid code value, value 'XX'",
        "        our 850 0002: accepted",
        "1 interchange, 1 group, 1 set: 1 accepted, 0 rejected; 0 errors",
    ]


def test_our_own_997_is_read_from_the_partners_side(tmp_path):
    ours = PARTNER_997.replace("SENDER         ", "GATEWAY        ", 1)  # ISA06: the gateway's own id

    code, out = translate(write(tmp_path, ours))

    assert code == 0
    assert out.splitlines()[3:5] == [
        "      997 answers the partner's group PO 7: partially accepted (2 included, 2 received, 1 accepted sets)",
        "        their 850 0001: rejected",
    ]


def test_a_partners_999_is_read_in_words(tmp_path):
    code, out = translate(write(tmp_path, PARTNER_999), "--format", "json")

    assert code == 0
    (item,) = json.loads(out)["interchanges"][0]["groups"][0]["sets"]
    assert item["reading"] == [
        "999 answers our group PO 12 version 005010: accepted (1 included, 1 received, 1 accepted sets)",
        "  our 850 0003: accepted",
    ]


def test_a_partners_ta1_is_read_in_words(tmp_path):
    code, out = translate(write(tmp_path, PARTNER_TA1))

    assert code == 0
    assert out.splitlines() == [
        "interchange 000000001 SENDER → RECEIVER (ISA15 P)",
        "  TA1 answers our interchange 000000005 of 260101 1200: rejected, "
        "note 001 Interchange control number in header and trailer do not match",
        "1 interchange, 0 groups, 0 sets: 0 accepted, 0 rejected; 0 errors",
    ]


@pytest.mark.parametrize(
    ("content", "code", "last"),
    [
        (b"", 2, "CommandError: "),
        (BAD_SE.encode(), 1, "1 interchange, 1 group, 2 sets: 1 accepted, 1 rejected; 1 error, 2 warnings"),
    ],
)
def test_the_process_exit_code_is_what_manage_py_returns(tmp_path, content, code, last):
    path = write(tmp_path, content)
    done = subprocess.run(
        [sys.executable, "manage.py", "edi", "translate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == code
    assert "Traceback" not in done.stderr
    assert (done.stdout + done.stderr).strip().splitlines()[-1].startswith(last)


FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_give_0_1_or_2_and_no_traceback(tmp_path, data):
    code, _ = translate(write(tmp_path, data))

    assert code in (0, 1, 2)


@FUZZ
@given(
    base=st.sampled_from([CLEAN, BAD_SE, PARTNER_997, PARTNER_999, PARTNER_TA1]),
    cuts=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 40), st.binary(max_size=6)), max_size=4),
)
def test_mutated_files_give_0_1_or_2_and_no_traceback(tmp_path, base, cuts):
    data = bytearray(base.encode())
    for at, length, insert in cuts:
        at %= len(data) + 1
        data[at : at + length] = insert
    code, _ = translate(write(tmp_path, bytes(data)))

    assert code in (0, 1, 2)
