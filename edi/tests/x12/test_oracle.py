"""pyx12 as the conformance oracle for what the generators write.

* Every 004010 997 and 005010 999 validates with pyx12's shipped 997/999 maps. Those
  maps list only HIPAA codes in AK101 (functional ID) and AK201 (set ID), so for the
  supply-chain groups a copy of the shipped map folder is used in which exactly those
  two code lists are widened; acknowledgements of HIPAA-coded groups are also checked
  against the untouched maps.
* Every interchange the generators write reads cleanly with pyx12's ``X12Reader``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pyx12
import pyx12.params
import pyx12.x12file
import pyx12.x12n_document

from edi.tests.x12.corpus import corpus_bytes, manifest
from edi.tests.x12.samples import interchange
from edi.tests.x12.test_generators import ENV, PO
from edi.x12 import (
    Envelope,
    GenerationError,
    parse,
    validate_group,
    write_810,
    write_850,
    write_855,
    write_856,
    write_860,
    write_ack,
    write_ta1,
)
from edi.x12.errors import KIND_GROUP, Issue, ak905_receiver_code
from edi.x12.mappers import MAPPERS
from edi.x12.schemas.dictionary import CODES
from edi.x12.schemas.sets import SETS
from edi.x12.tokenizer import Delimiters

WHEN = dt.datetime(2026, 1, 2, 12, 30)
ACK_MAPS = ("997.4010.xml", "999.5010.xml", "999.5010X231.A1.xml")


@pytest.fixture(scope="session")
def widened_maps(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped map folder with AK101/AK201 code lists widened to supply-chain codes."""
    shipped = Path(pyx12.__file__).parent / "map"
    target = tmp_path_factory.mktemp("pyx12maps")
    shutil.copytree(shipped, target, dirs_exist_ok=True)
    extra = {
        "AK101": sorted(CODES["479"]),
        "AK201": sorted({set_id for set_id, _ in SETS} | {"830", "940", "824", "846"}),
    }
    for name in ACK_MAPS:
        path = target / name
        text = path.read_text(encoding="utf-8")
        for xid, codes in extra.items():
            block = re.search(rf'<element xid="{xid}">.*?</valid_codes>', text, re.S)
            assert block is not None
            widened = block.group(0).replace(
                "</valid_codes>", "".join(f"<code>{c}</code>" for c in codes) + "</valid_codes>"
            )
            text = text.replace(block.group(0), widened)
        path.write_text(text, encoding="utf-8")
    return str(target)


def labelled_for_pyx12(data: bytes) -> bytes:
    """pyx12 ships 999 maps only for the HIPAA guide (005010X231, X231A1) and picks one by GS08.
    Our 999s claim no guide (GS08 plain 005010, no ST03), so for pyx12 to read one at all the
    guide's label is put on its GS08 and ST03; every other byte is checked as written."""
    text = data.decode()
    if "\nST*999*" not in text:
        return data
    text, groups = re.subn(r"^(GS\*FA\*(?:[^*~]*\*){6})005010~", r"\g<1>005010X231A1~", text, flags=re.M)
    text, sets = re.subn(r"^(ST\*999\*[0-9]+)~", r"\1*005010X231A1~", text, flags=re.M)
    assert groups == sets == text.count("\nST*999*"), "each 999 is written plain, without a guide"
    return text.encode()


def pyx12_errors(data: bytes, map_path: str | None) -> tuple[bool, list]:
    data = labelled_for_pyx12(data)
    out: list = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "errors" and value:
                    out.extend(value)
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    ack, errors_json = io.StringIO(), io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(data.decode()), ack, None, fd_json=errors_json, map_path=map_path
    )
    collect(json.loads(errors_json.getvalue() or "{}"))
    return ok, out


def reader_errors(data: bytes) -> list:
    reader = pyx12.x12file.X12Reader(io.StringIO(data.decode()))
    errors: list = []
    for _segment in reader:
        errors.extend(reader.pop_errors())
    reader.cleanup()
    errors.extend(reader.pop_errors())
    return errors


def ack_envelope(version: str, component: str = ":") -> Envelope:
    return Envelope(
        "GATEWAY", "PARTNER", 5, 7, version=version, when=WHEN, delimiters=Delimiters("*", component, "~", "^", "\n")
    )


def corpus_groups() -> list:
    params = []
    for row in manifest():
        for ic in parse(corpus_bytes(row["filename"])).interchanges:
            for group in ic.groups:
                params.append(
                    pytest.param(row["filename"], ic.index, group.index, id=f"{row['filename']}:{group.gs06}")
                )
    return params


def group_report(name: str, ic_index: int, group_index: int):
    doc = parse(corpus_bytes(name))
    return validate_group(doc.interchanges[ic_index].groups[group_index])


@pytest.mark.parametrize(("name", "ic_index", "group_index"), corpus_groups())
@pytest.mark.parametrize(("kind", "version"), [("997", "004010"), ("999", "005010")])
def test_acks_for_corpus_groups_validate(
    widened_maps: str, name: str, ic_index: int, group_index: int, kind: str, version: str
) -> None:
    data = write_ack([group_report(name, ic_index, group_index)], ack_envelope(version), 1, kind=kind)
    assert pyx12_errors(data, widened_maps) == (True, [])
    assert reader_errors(data) == []


KITCHEN_SINK = [
    "GS*PO*S*R*20260102*1200*7*X*004010",
    "ST*850*0001",
    "BEG*00*XX*PO-1**20261399",
    "CUR*BY*USD",
    "CUR*BY*EUR",
    "XQ*1",
    "BSN*00*1*20260101*1200",
    "REF*ZZ",
    "N1*ST*PLANT*92",
    "N3",
    "N4*AKRON*OH*44139***9",
    "PO1*1*1O*EA*2.5**BP",
    "MEA*PD*WD*61.5*INX****AA",
    "DTM*002*20260301*2561",
    "CTT*X",
    "SE*15*0001",
    "ST*850*0002",
    "BEG*00*SA*PO-2**20260102",
    "PO1*1*10*EA*2.5**BP*P1",
    "CTT*1",
    "SE*5*0002",
    "GE*2*7",
    "IEA*1*000000001",
]


@pytest.mark.parametrize(("kind", "version"), [("997", "004010"), ("999", "005010")])
def test_acks_with_every_error_kind_validate(widened_maps: str, kind: str, version: str) -> None:
    report = validate_group(parse(interchange(KITCHEN_SINK)).interchanges[0].groups[0])
    assert (report.code, [s.code for s in report.sets]) == ("P", ["R", "A"])
    codes = {(i.kind, i.code) for s in report.sets for i in s.issues}
    assert {("AK3", c) for c in "1258"} | {("AK4", c) for c in ("1", "2", "5", "6", "7", "8", "9", "10")} <= codes
    data = write_ack([report], ack_envelope(version), 1, kind=kind)
    assert pyx12_errors(data, widened_maps) == (True, [])


def test_999_repetition_positions_validate(widened_maps: str) -> None:
    body = [
        "GS*FA*S*R*20260102*1200*9*X*005010X231",
        "ST*999*0001*005010X231",
        "AK1*HC*7*005010X222A1",
        "AK2*837*0001",
        "IK3*CLM*3**8",
        "CTX*A^B^C^D^E^F^G^H^I^J^K*CLM*3",
        "IK4*2:1:1:9*330*1",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
        "GE*1*9",
        "IEA*1*000000001",
    ]
    report = validate_group(parse(interchange(body, c=":", isa11="^", isa12="00501")).interchanges[0].groups[0])
    assert [(i.element_position, i.repetition, i.code) for s in report.sets for i in s.issues if i.kind == "AK4"] == [
        (1, None, "12"),
        (1, None, "13"),
    ]
    data = write_ack([report], ack_envelope("005010", ">"), 1, kind="999")
    assert pyx12_errors(data, widened_maps) == (True, [])


@pytest.mark.parametrize(("kind", "version"), [("997", "004010"), ("999", "005010")])
def test_acks_rejecting_a_group_addressed_to_another_receiver_validate(
    widened_maps: str, kind: str, version: str
) -> None:
    report = validate_group(parse(interchange()).interchanges[0].groups[0])
    report.issues.append(Issue(KIND_GROUP, ak905_receiver_code(version), "GS03 'RECEIVER' is not ours"))
    assert (report.code, report.accepted, report.group_codes, [s.code for s in report.sets]) == ("R", 0, ["1"], ["A"])
    data = write_ack([report], ack_envelope(version), 1, kind=kind)
    assert pyx12_errors(data, widened_maps) == (True, [])


def test_the_receiver_code_of_a_rejected_group_is_one_its_release_defines() -> None:
    releases = ["003040", "004010", "004010VICS", "005010X231", "006040", "006050", "008010", ""]
    assert [ak905_receiver_code(r) for r in releases] == ["1", "1", "1", "1", "1", "8", "8", "1"]


HIPAA_GROUP = [
    "GS*HC*S*R*20260102*1200*11*X*004010X098A1",
    "ST*837*0001",
    "BHT*0019*00*1*20260102*1200*CH",
    "SE*3*0001",
    "GE*1*11",
    "IEA*1*000000001",
]


@pytest.mark.parametrize(("kind", "version"), [("997", "004010"), ("999", "005010")])
def test_acks_validate_with_the_untouched_shipped_maps(kind: str, version: str) -> None:
    report = validate_group(parse(interchange(HIPAA_GROUP)).interchanges[0].groups[0])
    assert [s.set_codes for s in report.sets] == [["1"]]
    data = write_ack([report], ack_envelope(version), 1, kind=kind)
    assert pyx12_errors(data, None) == (True, [])


def written_interchanges() -> list:
    env5010 = dataclasses.replace(ENV, version="005010", delimiters=Delimiters("*", ":", "~", "^", "\r\n"))
    out = [
        pytest.param(write_850(PO, ENV, 1), id="850"),
        pytest.param(write_850(PO, env5010, 1), id="850-5010"),
        pytest.param(write_860(dataclasses.replace(PO, revision=1), ENV, 2), id="860"),
        pytest.param(write_ta1(parse(write_850(PO, ENV, 1)).interchanges[0], ENV), id="TA1"),
    ]
    # Each writer takes the canonical input its set maps to.
    writers: dict[str, Callable[[Any, Envelope, int], bytes]] = {"855": write_855, "856": write_856, "810": write_810}
    for row in manifest():
        for ts in parse(corpus_bytes(row["filename"])).transaction_sets():
            if ts.st01 in writers:
                value = MAPPERS[ts.st01](ts).value
                if ts.st01 == "855" and value.acknowledged_on is None:
                    value = dataclasses.replace(value, acknowledged_on=dt.date(2026, 1, 1))
                try:
                    data = writers[ts.st01](value, ENV, 1)
                except GenerationError:
                    continue  # an invalid sample (856 without PRF) cannot be written: tested elsewhere
                out.append(pytest.param(data, id=f"{ts.st01}-{row['filename']}"))
    return out


@pytest.mark.parametrize("data", written_interchanges())
def test_written_interchanges_read_cleanly_with_x12reader(data: bytes) -> None:
    assert reader_errors(data) == []
