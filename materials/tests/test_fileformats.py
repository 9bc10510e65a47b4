"""PLM and ERP exports read into the canonical inputs: real-looking files, and every way a line can be wrong."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from materials import fileformats, inputs

EXPORTS = Path(__file__).parent / "exports"


def read_jsonl(text: str) -> list[fileformats.Unit]:
    return list(fileformats.json_lines(text, company_code="ACME", source_system="PLM"))


def read_csv(text: str) -> list[fileformats.Unit]:
    return list(fileformats.csv_releases(text, company_code="ACME", source_system="ERP"))


def test_a_plm_export_in_json_lines_gives_its_items_and_releases_in_file_order():
    units = read_jsonl((EXPORTS / "plm-ecn-2027-014.jsonl").read_text())

    assert [(u.kind, u.where, u.key, u.error) for u in units] == [
        ("item", "line 1", "PMP-100", ""),
        ("item", "line 2", "IMP-40", ""),
        ("item", "line 3", "BLADE-7", ""),
        ("item", "line 4", "SEAL-9", ""),
        ("release", "line 6", "ECN-2027-013", ""),
        ("release", "line 7", "ECN-2027-014", ""),
    ]
    assert units[2].item == inputs.ItemInput(
        part_number="BLADE-7",
        description="Impeller blade, bronze",
        lead_time_days=14,
        moq=Decimal("100"),
        order_multiple=Decimal("50"),
        approved_suppliers=(inputs.ApprovedSupplierInput(supplier_code="BOLTS", supplier_part_number="BI-BL7"),),
    )
    assert units[3].item is not None
    assert units[3].item.conversions == (inputs.UomConversionInput(uom="BOX", factor=Decimal("25")),)
    assert units[3].item.plants == (
        inputs.ItemPlantInput(plant_code="DET", lead_time_days=10, safety_stock=Decimal("40")),
    )
    assert units[5].release == inputs.BomReleaseInput(
        company_code="ACME",
        source_system="PLM",
        bom_type="engineering",
        release_id="ECN-2027-014",
        parent_part_number="PMP-100",
        revision="A",
        previous_revision=None,
        status="engineering_released",
        effectivity=(
            inputs.EffectivityInput(plant_code="DET", valid_from=dt.date(2027, 3, 1)),
            inputs.EffectivityInput(plant_code="MTY", valid_from=dt.date(2027, 4, 15), valid_to=dt.date(2027, 12, 31)),
        ),
        components=(
            inputs.BomComponentInput(position="0010", part_number="IMP-40", quantity_per=Decimal("1")),
            inputs.BomComponentInput(position="0020", part_number="SEAL-9", quantity_per=Decimal("1"), phantom=True),
            inputs.BomComponentInput(
                position="0030",
                part_number="BOX-SEAL",
                quantity_per=Decimal("0.04"),
                uom="BOX",
                alternate_group="S1",
                alternate_priority=1,
            ),
        ),
    )
    # Each unit keeps its own line as exported: a release's bytes are stored as they came.
    assert units[4].raw == (EXPORTS / "plm-ecn-2027-014.jsonl").read_bytes().splitlines()[5]


def test_an_erp_export_in_csv_gives_one_release_per_release_id():
    units = read_csv((EXPORTS / "erp-cs11-export.csv").read_text())

    assert [(u.kind, u.where, u.key, u.error) for u in units] == [
        ("release", "rows 2-5", "MBOM-PMP-100-B", ""),
        ("release", "row 6", "MBOM-IMP-40-A", ""),
    ]
    pump, impeller = units[0].release, units[1].release
    assert pump is not None and impeller is not None
    assert (pump.bom_type, pump.revision, pump.previous_revision, pump.status, pump.source_system) == (
        "manufacturing",
        "B",
        "A",
        "approved_for_production",
        "ERP",
    )
    assert pump.effectivity == (inputs.EffectivityInput(plant_code="DET", valid_from=dt.date(2027, 3, 1)),)
    assert [
        (c.position, c.part_number, c.quantity_per, c.scrap_factor, c.alternate_group) for c in pump.components
    ] == [
        ("0010", "HSG-2200", Decimal("1"), Decimal("0"), ""),
        ("0020", "IMP-40", Decimal("1"), Decimal("0"), ""),
        ("0030", "GSKT-310", Decimal("2"), Decimal("0.05"), "G1"),
        ("0031", "GSKT-311", Decimal("2"), Decimal("0"), "G1"),
    ]
    assert (pump.components[3].alternate_priority, pump.components[3].valid_to) == (1, dt.date(2027, 6, 30))
    assert impeller.previous_revision is None
    assert impeller.effectivity == (
        inputs.EffectivityInput(plant_code="DET"),
        inputs.EffectivityInput(plant_code="MTY", valid_from=dt.date(2027, 4, 15), valid_to=dt.date(2027, 12, 31)),
    )
    header = (EXPORTS / "erp-cs11-export.csv").read_bytes().splitlines()[0]
    assert units[1].raw.splitlines()[0] == header
    assert len(units[0].raw.splitlines()) == 5  # the header and the release's four rows


def test_rows_of_one_release_need_not_be_adjacent():
    rows = (EXPORTS / "erp-cs11-export.csv").read_text().splitlines()
    shuffled = "\n".join([rows[0], rows[1], rows[5], rows[2], rows[3], rows[4]]) + "\n"

    units = read_csv(shuffled)

    assert [(u.key, u.where, u.error) for u in units] == [
        ("MBOM-PMP-100-B", "rows 2, 4, 5, 6", ""),
        ("MBOM-IMP-40-A", "row 3", ""),
    ]


RELEASE = (
    '{"kind": "release", "bom_type": "manufacturing", "release_id": "R-1", "parent_part_number": "P", '
    '"revision": "A", "status": "approved_for_production", "components": [%s]}'
)


@pytest.mark.parametrize(
    "line, error",
    [
        ('{"kind": "item", "part_number": "X", "leadtime": 3}', "leadtime: is not a known field"),
        ('{"kind": "item", "description": "no number"}', "part_number: is required"),
        ('{"kind": "item", "part_number": "X", "moq": "-5"}', "moq: must be at least 0, not -5"),
        ('{"kind": "item", "part_number": "X", "moq": "1e400000"}', "moq: 1e400000 is larger than the record keeps"),
        ('{"kind": "item", "part_number": "X", "moq": "NaN"}', "moq: 'NaN' is not a number"),
        (
            '{"kind": "item", "part_number": "X", "lead_time_days": "\u00b2"}',
            "lead_time_days: '\u00b2' is not a whole number",
        ),
        (
            '{"kind": "item", "part_number": "X", "lead_time_days": "%s"}' % ("9" * 5000),
            "lead_time_days: must be a whole number from 0 to 100000, not '%s'" % ("9" * 5000),
        ),
        ('{"kind": "item", "part_number": "X", "moq": "0.00001"}', "moq: 0.00001 has more than 4 decimal places"),
        (
            '{"kind": "item", "part_number": "X", "make_or_buy": "lease"}',
            "make_or_buy: 'lease' is not one of make, buy",
        ),
        (
            '{"kind": "item", "part_number": "X", "conversions": [{"uom": "BOX", "factor": "0"}]}',
            "conversions[0].factor: must be greater than 0, not 0",
        ),
        ('{"kind": "item", "part_number": "X", "plants": {"DET": 1}}', "plants: must be a list"),
        (
            RELEASE % '{"position": "10", "part_number": "C", "quantity_per": "0"}',
            "components[0].quantity_per: must be greater than 0, not 0",
        ),
        (
            RELEASE % '{"position": "10", "part_number": "C", "quantity_per": "1", "valid_from": "2027-02-30"}',
            "components[0].valid_from: '2027-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            RELEASE % '{"position": "10", "part_number": "C", "quantity_per": "1", "valid_from": "2027-03-01", '
            '"valid_to": "2027-02-01"}',
            "components[0].valid_to: ends (2027-02-01) before it starts (2027-03-01)",
        ),
        (
            RELEASE % '{"position": "10", "part_number": "C", "quantity_per": "1"}, '
            '{"position": "10", "part_number": "D", "quantity_per": "1"}',
            "components: position 10 is given twice",
        ),
        (
            RELEASE % '{"position": "10", "part_number": "C", "quantity_per": "1", "phantom": "maybe"}',
            "components[0].phantom: 'maybe' is not true or false",
        ),
        (RELEASE.replace('"A"', '""') % "", "revision: is required"),
        (
            RELEASE.replace('"manufacturing"', '"costing"') % "",
            "bom_type: 'costing' is not one of engineering, manufacturing",
        ),
    ],
)
def test_a_line_that_is_wrong_is_refused_with_the_field_and_why(line, error):
    (unit,) = read_jsonl(line)

    assert (unit.item, unit.release, unit.error) == (None, None, error)
    assert unit.raw == line.encode()


def test_an_item_gives_its_inspection_days_and_each_plants_own():
    line = (
        '{"kind": "item", "part_number": "BOLT", "inspection_days": 5, '
        '"plants": [{"plant_code": "DET", "inspection_days": 2}, {"plant_code": "MTY"}]}'
    )
    (unit,) = read_jsonl(line)
    assert unit.error == ""
    assert unit.item is not None
    assert unit.item.inspection_days == 5
    assert unit.item.plants == (
        inputs.ItemPlantInput(plant_code="DET", inspection_days=2),
        inputs.ItemPlantInput(plant_code="MTY"),
    )


@pytest.mark.parametrize(
    "line, error",
    [
        ('{"kind": "item", "part_number": ', "not JSON: Expecting value: line 1 column 33 (char 32)"),
        ('["item", "X"]', "not a JSON object"),
        ('{"part_number": "X"}', "kind None is not item or release"),
        ('{"kind": "routing"}', "kind 'routing' is not item or release"),
        ("[" * 100_000, "not JSON: maximum recursion depth exceeded while decoding a JSON array from a unicode string"),
    ],
)
def test_a_line_that_is_no_item_or_release_is_refused_as_unknown(line, error):
    (unit,) = read_jsonl(line)

    assert (unit.kind, unit.where, unit.error) == ("unknown", "line 1", error)


def test_blank_lines_are_skipped_and_the_lines_around_a_bad_one_are_still_read():
    text = '{"kind": "item", "part_number": "A"}\n\n   \nnot json\n{"kind": "item", "part_number": "B"}\n'

    units = read_jsonl(text)

    assert [(u.where, u.key, bool(u.error)) for u in units] == [
        ("line 1", "A", False),
        ("line 4", "", True),
        ("line 5", "B", False),
    ]


def test_a_csv_header_must_name_known_columns_and_the_required_ones():
    assert [u.error for u in read_csv("release_id,bom_type,parent,revision\nR,manufacturing,P,A\n")] == [
        "header: column 'parent' is not a known column"
    ]
    assert [u.error for u in read_csv("release_id,bom_type,parent_part_number,revision,status,position\n")] == [
        "header: column 'part_number' is missing"
    ]
    assert read_csv("") == []


def test_a_csv_release_whose_rows_disagree_is_refused_naming_the_row():
    text = (
        "release_id,bom_type,parent_part_number,revision,status,position,part_number,quantity_per\n"
        "R-1,manufacturing,P,A,approved_for_production,10,C,1\n"
        "R-1,manufacturing,P,B,approved_for_production,20,D,1\n"
        "R-2,manufacturing,Q,A,approved_for_production,10,C,x\n"
        "R-3,manufacturing,Q,A,approved_for_production\n"
    )

    units = read_csv(text)

    assert [(u.kind, u.where, u.key, u.error) for u in units] == [
        ("unknown", "row 5", "", "5 cells where the header has 8"),
        (
            "release",
            "rows 2-3",
            "R-1",
            "row 3: revision is 'B' where row 2 has 'A'; a release's columns must be the same on each of its rows",
        ),
        ("release", "row 4", "R-2", "row 4: quantity_per: 'x' is not a number"),
    ]
