"""Applying BOM releases: sequencing by revision, holds, stale, duplicate, refusals, plants, mismatches."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from materials.models import BomPlantRevision, BomRelease
from materials.selectors import bom_as_of, held_releases_for
from materials.services import bom_release_force, bom_release_raw_refuse
from materials.services.errors import InvalidAction, NotFound
from procurement import factories
from procurement.models import AuditEvent, ProcurementException
from procurement.services import WriteSource, purchase_order_publish

from .helpers import D, items, line, receive, release, window

State = BomRelease.State


def states():
    return {
        (r.parent_part_number, r.revision, r.bom_type): r.state for r in BomRelease.objects.exclude(state="duplicate")
    }


def chain(parent="A", plant=""):
    return list(
        BomPlantRevision.objects.filter(parent_part_number=parent, plant_code=plant)
        .order_by("sequence")
        .values_list("revision", "sequence", "valid_from", "effective_to")
    )


@pytest.fixture
def parts(system):
    items(system, "A", "B", "C", "X", "Y", "Z")


def test_a_first_revision_applies_and_is_audited(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X", "2"), line("20", "Y")]))

    assert (outcome.state, outcome.reason, outcome.waits_for) == ("applied", "", "")
    row = BomRelease.objects.get(pk=outcome.release_pk)
    assert row.parent_item.part_number == "A"
    assert row.correlation_id == "corr-bom-1"
    assert len(row.sha256) == 64
    assert [c.item.part_number for c in row.components.order_by("position")] == ["X", "Y"]
    assert chain() == [("1", 1, D(1, 1, 1), D(9999, 12, 31))]
    assert AuditEvent.objects.filter(action="bom_release.applied", object_id=str(row.pk)).count() == 1


def test_releases_out_of_order_wait_for_their_predecessor_then_apply_in_turn(system, parts):
    third = receive(system, release("A", "3", "2", [line("10", "Z")]))
    second = receive(system, release("A", "2", "1", [line("10", "Y")]))

    assert (third.state, third.waits_for, third.reason) == ("held", "2", "waits for revision 2 of A")
    assert (second.state, second.waits_for) == ("held", "1")
    assert [r.pk for r in held_releases_for(actor=system)] == [third.release_pk, second.release_pk]

    first = receive(system, release("A", "1", None, [line("10", "X")]))

    assert first.state == "applied"
    assert states() == {
        ("A", "1", "manufacturing"): "superseded",
        ("A", "2", "manufacturing"): "superseded",
        ("A", "3", "manufacturing"): "applied",
    }
    assert [r[0:2] for r in chain()] == [("1", 1), ("2", 2), ("3", 3)]
    assert list(held_releases_for(actor=system)) == []


def test_the_same_release_again_is_a_duplicate_with_no_effect(system, parts):
    rel = release("A", "1", None, [line("10", "X")])
    first = receive(system, rel)
    again = receive(system, rel)

    assert (again.state, again.reason) == ("duplicate", f"the same release as #{first.release_pk}: no effect")
    assert BomRelease.objects.get(pk=again.release_pk).duplicate_of_id == first.release_pk
    assert BomPlantRevision.objects.count() == 1
    assert ProcurementException.objects.count() == 0


def test_other_components_under_a_used_revision_are_refused_with_an_exception(system, parts):
    first = receive(system, release("A", "1", None, [line("10", "X")]))
    other = receive(system, release("A", "1", None, [line("10", "Y")], release_id="A-1-again"))

    assert other.state == "refused"
    assert other.reason == f"revision 1 of A is already used by release #{first.release_pk} with other components"
    exception = ProcurementException.objects.get()
    assert exception.kind == "bom_release_refused"
    assert exception.severity == "data_quality"
    assert exception.evidence["conflicts_with"] == first.release_pk
    assert exception.evidence["release"] == other.release_pk
    assert chain() == [("1", 1, D(1, 1, 1), D(9999, 12, 31))]


def test_a_release_id_sent_again_with_other_content_is_refused(system, parts):
    first = receive(system, release("A", "1", None, [line("10", "X")], release_id="R-1"))
    other = receive(system, release("A", "2", "1", [line("10", "Y")], release_id="R-1"))

    assert other.state == "refused"
    assert other.reason == f"release R-1 from ERP was received before (#{first.release_pk}) with other content"
    assert ProcurementException.objects.filter(kind="bom_release_refused").count() == 1


def test_a_release_older_than_the_one_in_effect_is_stale(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")]))
    held = receive(system, release("A", "3", "2", [line("10", "Z")]))
    forced = bom_release_force(actor=system, release_pk=held.release_pk)
    late = receive(system, release("A", "2", "1", [line("10", "Y")]))

    assert forced.state == "applied"
    assert forced.reason == "released by system ERP without revision 2"
    assert (late.state, late.reason) == ("stale", "older than revision 3 in effect: recorded, not applied")
    assert [r[0] for r in chain()] == ["1", "3"]
    assert AuditEvent.objects.filter(action="bom_release.forced").count() == 1


def test_forcing_a_release_that_waits_for_nothing_is_refused(system, parts):
    applied = receive(system, release("A", "1", None, [line("10", "X")]))

    with pytest.raises(InvalidAction) as error:
        bom_release_force(actor=system, release_pk=applied.release_pk)

    assert error.value.code == "not_waiting"
    assert BomRelease.objects.get(pk=applied.release_pk).forced_by == ""


def test_an_unknown_component_holds_the_release_until_the_item_arrives(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X"), line("20", "NEW-1"), line("30", "NEW-2")]))

    assert (outcome.state, outcome.waits_for) == ("held", "")
    assert outcome.reason == "item NEW-1 is not known; item NEW-2 is not known"
    assert BomRelease.objects.get(pk=outcome.release_pk).waits_for_items == ["NEW-1", "NEW-2"]
    assert BomPlantRevision.objects.count() == 0

    items(system, "NEW-1")
    still = BomRelease.objects.get(pk=outcome.release_pk)
    assert (still.state, still.state_reason, still.waits_for_items) == ("held", "item NEW-2 is not known", ["NEW-2"])

    items(system, "NEW-2")
    assert BomRelease.objects.get(pk=outcome.release_pk).state == "applied"
    assert chain() == [("1", 1, D(1, 1, 1), D(9999, 12, 31))]


def test_a_po_that_orders_the_missing_item_first_lets_the_held_release_apply(system, parts, company, supplier):
    """The ERP ordered the new part before its item master record went out: the PO creates the item."""
    held = receive(system, release("A", "1", None, [line("10", "X"), line("20", "PART-00001")]))
    assert (held.state, held.reason) == ("held", "item PART-00001 is not known")

    published = purchase_order_publish(
        po=factories.po_input(company=company.code, supplier=supplier.code, plant="DET", lines=1),
        source=WriteSource(channel="system", label="ERP"),
    )

    assert published.outcome == "applied"
    release_row = BomRelease.objects.get(pk=held.release_pk)
    assert (release_row.state, release_row.waits_for_items) == ("applied", [])
    assert chain() == [("1", 1, D(1, 1, 1), D(9999, 12, 31))]


def test_a_po_of_items_no_release_waits_for_leaves_held_releases_alone(system, parts, company, supplier):
    held = receive(system, release("A", "1", None, [line("10", "X"), line("20", "NEW-1")]))

    purchase_order_publish(
        po=factories.po_input(company=company.code, supplier=supplier.code, plant="DET", lines=1),
        source=WriteSource(channel="system", label="ERP"),
    )

    assert BomRelease.objects.get(pk=held.release_pk).state == "held"


def test_a_unit_that_does_not_convert_holds_the_release_until_a_conversion_arrives(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X", "2", uom="BOX")]))

    assert outcome.state == "held"
    assert outcome.reason == "unit BOX of X does not convert to EA"

    from materials.inputs import UomConversionInput

    items(system, X={"description": "part X", "conversions": (UomConversionInput("BOX", Decimal(12)),)})
    assert BomRelease.objects.get(pk=outcome.release_pk).state == "applied"


def test_a_category_conversion_completes_a_release_too(system, parts):
    from materials.inputs import UomConversionInput
    from materials.services import category_conversions_set

    items(system, X={"category": "fasteners"})
    outcome = receive(system, release("A", "1", None, [line("10", "X", "2", uom="BOX")]))
    assert outcome.state == "held"

    count = category_conversions_set(
        actor=system,
        company_code="ACME",
        category="fasteners",
        base_uom="EA",
        conversions=(UomConversionInput("BOX", Decimal(100)),),
    )

    assert count == 1
    assert BomRelease.objects.get(pk=outcome.release_pk).state == "applied"


def test_a_release_that_closes_a_cycle_is_refused_naming_the_path(system, parts):
    receive(system, release("A", "1", None, [line("10", "B")]))
    receive(system, release("B", "1", None, [line("10", "C")]))
    outcome = receive(system, release("C", "1", None, [line("10", "X"), line("20", "A")]))

    assert outcome.state == "refused"
    assert outcome.reason == "it would make a cycle: C > A > B > C"
    exception = ProcurementException.objects.get(kind="bom_release_refused")
    assert exception.evidence["cycle"] == ["C", "A", "B", "C"]
    assert chain("C") == []


def test_a_release_containing_its_own_parent_is_refused(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "A")]))

    assert (outcome.state, outcome.reason) == ("refused", "it would make a cycle: A > A")


def test_a_release_breaking_the_input_rules_is_stored_refused(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X")], plants=["NOPE"]), raw=b"payload")

    assert (outcome.state, outcome.reason) == ("refused", "plant 'NOPE' is not known")
    row = BomRelease.objects.get(pk=outcome.release_pk)
    assert bytes(row.raw) == b"payload"
    assert row.components.count() == 0
    assert ProcurementException.objects.get().kind == "bom_release_refused"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bom_type": "costing"}, "the BOM type must be one of engineering, manufacturing, not 'costing'"),
        ({"status": "draft"}, "the status must be one of engineering_released, approved_for_production, not 'draft'"),
        ({"base_quantity": Decimal(0)}, "the base quantity must be positive"),
    ],
)
def test_each_input_rule_has_its_reason(system, parts, change, reason):
    from dataclasses import replace

    outcome = receive(system, replace(release("A", "1", None, [line("10", "X")]), **change))

    assert (outcome.state, outcome.reason) == ("refused", reason)


def test_a_line_with_a_quantity_that_is_not_positive_is_refused(system, parts):
    outcome = receive(system, release("A", "1", None, [line("10", "X", "0")]))

    assert (outcome.state, outcome.reason) == ("refused", "line '10' (X): the quantity per must be positive")


def test_a_payload_that_cannot_be_read_is_stored_refused(system):
    pk = bom_release_raw_refuse(
        actor=system, company_code="ACME", source_system="PLM", raw=b"{not json", reason="not JSON: line 1"
    )

    row = BomRelease.objects.get(pk=pk)
    assert (row.state, row.state_reason, bytes(row.raw), row.source_system) == (
        "refused",
        "not JSON: line 1",
        b"{not json",
        "PLM",
    )
    assert ProcurementException.objects.get().evidence["reason"] == "not JSON: line 1"


def test_a_supplier_or_another_company_cannot_send_releases(system, parts, supplier_actor, other_company):
    from gateway.actors import Actor

    outsider = Actor.for_system(company_ids={other_company.pk}, label="system OTHER")
    for actor in (supplier_actor, outsider):
        with pytest.raises(NotFound):
            receive(actor, release("A", "1", None, [line("10", "X")]))
        with pytest.raises(NotFound):
            bom_release_raw_refuse(actor=actor, company_code="ACME", source_system="PLM", raw=b"x", reason="x")
    assert BomRelease.objects.count() == 0
    applied = receive(system, release("A", "1", None, [line("10", "X")]))
    held = receive(system, release("A", "3", "2", [line("10", "X")]))
    with pytest.raises(NotFound):
        bom_release_force(actor=outsider, release_pk=held.release_pk)
    assert BomRelease.objects.get(pk=held.release_pk).state == "held"
    assert applied.state == "applied"


def test_plants_move_to_a_new_revision_on_their_own_dates(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET", "MTY"]))
    receive(
        system,
        release("A", "2", "1", [line("10", "Y")], plants=[window("DET", D(2027, 3, 1)), window("MTY", D(2027, 6, 1))]),
    )

    def built(plant, on):
        return [
            (r.part_number, r.revision)
            for r in bom_as_of(actor=system, company_code="ACME", part_number="A", plant_code=plant, on=on).rows
        ]

    assert built("DET", D(2027, 2, 28)) == [("X", "1")]
    assert built("DET", D(2027, 3, 1)) == [("Y", "2")]
    assert built("MTY", D(2027, 5, 31)) == [("X", "1")]
    assert built("MTY", D(2027, 6, 1)) == [("Y", "2")]
    assert chain(plant="DET") == [("1", 1, D(1, 1, 1), D(2027, 2, 28)), ("2", 2, D(2027, 3, 1), D(9999, 12, 31))]
    assert states()[("A", "1", "manufacturing")] == "superseded"


def test_a_plant_can_join_a_revision_another_plant_already_has(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET", "MTY"]))
    receive(system, release("A", "2", "1", [line("10", "Y")], plants=["DET"], release_id="A-2-DET"))
    outcome = receive(system, release("A", "2", "1", [line("10", "Y")], plants=["MTY"], release_id="A-2-MTY"))

    assert outcome.state == "applied"
    assert [r[0] for r in chain(plant="MTY")] == ["1", "2"]


def test_manufacturing_behind_engineering_raises_a_revision_mismatch(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(system, release("A", "2", None, [line("10", "X"), line("20", "Y", "3")], bom_type="engineering"))

    exception = ProcurementException.objects.get(kind="bom_revision_mismatch")
    assert exception.summary == "A at plant DET: manufacturing BOM revision 1 against engineering revision 2"
    assert exception.evidence["plant"] == "DET"
    assert exception.evidence["manufacturing"]["revision"] == "1"
    assert exception.evidence["engineering"]["revision"] == "2"
    assert exception.evidence["diff"]["removed"] == [
        {
            "position": "20",
            "part_number": "Y",
            "quantity_per": "3",
            "uom": "",
            "scrap_factor": "0",
            "phantom": "false",
            "alternate_group": "",
            "alternate_priority": "0",
            "valid_from": "",
            "valid_to": "",
        }
    ]
    assert exception.evidence["diff"]["added"] == []


def test_the_same_revision_with_other_lines_is_a_mismatch_too(system, parts):
    receive(system, release("A", "1", None, [line("10", "X", "2")], bom_type="engineering"))
    receive(system, release("A", "1", None, [line("10", "X", "3")], plants=["DET"]))

    exception = ProcurementException.objects.get(kind="bom_revision_mismatch")
    assert exception.summary == (
        "A at plant DET: manufacturing BOM revision 1 against engineering revision 1 with different components"
    )
    assert exception.evidence["diff"]["changed"] == [
        {"position": "10", "part_number": "X", "changes": {"quantity_per": ["2", "3"]}}
    ]


def test_matching_revisions_raise_nothing(system, parts):
    receive(system, release("A", "1", None, [line("10", "X", "2")], bom_type="engineering"))
    receive(system, release("A", "1", None, [line("10", "X", "2.000")], plants=["DET"]))

    assert ProcurementException.objects.count() == 0


def test_a_mismatch_that_clears_closes_its_exception_audited(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET", "MTY"]))
    receive(system, release("A", "2", None, [line("10", "Y")], bom_type="engineering"))
    det, mty = (
        ProcurementException.objects.get(kind="bom_revision_mismatch", evidence__plant=plant)
        for plant in ("DET", "MTY")
    )

    receive(system, release("A", "2", "1", [line("10", "Y")], plants=["DET"], release_id="A-2-DET"))

    det.refresh_from_db()
    mty.refresh_from_db()
    assert (det.state, det.resolution) == ("resolved", "auto_cleared")
    assert det.resolution_note == "manufacturing and engineering BOM agree again on revision 2 at plant DET"
    assert det.resolved_at is not None
    assert (mty.state, mty.resolution) == ("open", "")
    event = AuditEvent.objects.get(action="exception.auto_cleared")
    assert (event.object_id, event.before, event.after["state"]) == (str(det.pk), {"state": "open"}, "resolved")
    assert ProcurementException.objects.filter(kind="bom_revision_mismatch").count() == 2


def test_a_mismatch_of_the_every_plant_chains_clears_too(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")]))
    receive(system, release("A", "2", None, [line("10", "Y")], bom_type="engineering"))
    mismatch = ProcurementException.objects.get(kind="bom_revision_mismatch")
    assert (mismatch.evidence["plant"], mismatch.state) == ("", "open")

    receive(system, release("A", "2", "1", [line("10", "Y")]))

    mismatch.refresh_from_db()
    assert (mismatch.state, mismatch.resolution) == ("resolved", "auto_cleared")
    assert mismatch.resolution_note == "manufacturing and engineering BOM agree again on revision 2"


def test_a_mismatch_that_changes_supersedes_the_one_before(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET", "MTY"]))
    receive(system, release("A", "1", None, [line("10", "X", "2")], bom_type="engineering"))
    first_det, first_mty = (
        ProcurementException.objects.get(kind="bom_revision_mismatch", evidence__plant=plant)
        for plant in ("DET", "MTY")
    )

    receive(system, release("A", "2", "1", [line("10", "X", "2")], bom_type="engineering"))

    current = ProcurementException.objects.open().filter(kind="bom_revision_mismatch").order_by("evidence__plant")
    assert [(e.evidence["plant"], e.summary) for e in current] == [
        ("DET", "A at plant DET: manufacturing BOM revision 1 against engineering revision 2"),
        ("MTY", "A at plant MTY: manufacturing BOM revision 1 against engineering revision 2"),
    ]
    for first, plant in ((first_det, "DET"), (first_mty, "MTY")):
        first.refresh_from_db()
        successor = current.get(evidence__plant=plant)
        assert (first.state, first.resolution) == ("resolved", "superseded")
        assert first.resolution_note == (
            f"superseded by exception {successor.pk}: A at plant {plant}: manufacturing BOM revision 1 "
            "against engineering revision 2"
        )
    assert AuditEvent.objects.filter(action="exception.superseded").count() == 2


def test_a_mismatch_that_comes_back_is_raised_again_after_it_cleared(system, parts):
    receive(system, release("A", "1", None, [line("10", "X")], plants=["DET"]))
    receive(system, release("A", "1", None, [line("10", "X", "2")], bom_type="engineering"))
    receive(system, release("A", "2", "1", [line("10", "X", "2")], bom_type="engineering"))
    receive(system, release("A", "2", "1", [line("10", "X", "2")], plants=["DET"]))

    assert list(ProcurementException.objects.open().filter(kind="bom_revision_mismatch")) == []
    assert ProcurementException.objects.filter(kind="bom_revision_mismatch", resolution="superseded").count() == 1
    assert ProcurementException.objects.filter(kind="bom_revision_mismatch", resolution="auto_cleared").count() == 1

    receive(system, release("A", "3", "2", [line("10", "Z")], bom_type="engineering"))

    reopened = ProcurementException.objects.open().get(kind="bom_revision_mismatch")
    assert reopened.summary == "A at plant DET: manufacturing BOM revision 2 against engineering revision 3"


def test_a_release_is_kept_when_applying_it_fails_and_settles_on_a_retry(system, parts, monkeypatch):
    from materials.services import bom_release_settle, releases

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(releases, "release_settle", broken)
    with pytest.raises(RuntimeError):
        receive(system, release("A", "1", None, [line("10", "X")]), raw=b"kept")
    stored = BomRelease.objects.get()
    assert (stored.state, bytes(stored.raw), stored.components.count()) == ("received", b"kept", 1)
    assert BomPlantRevision.objects.count() == 0

    monkeypatch.undo()
    outcome = bom_release_settle(release_pk=stored.pk)

    assert (outcome.release_pk, outcome.state) == (stored.pk, "applied")
    assert bom_release_settle(release_pk=stored.pk).state == "applied"
    assert chain() == [("1", 1, D(1, 1, 1), D(9999, 12, 31))]


def test_a_next_revision_of_fifty_lines_applies_in_a_fixed_number_of_queries(system, parts):
    components = [f"C{n:02}" for n in range(50)]
    items(system, *components)
    receive(system, release("A", "1", None, [line(str(n), c, "1", uom="EA") for n, c in enumerate(components)]))
    following = release("A", "2", "1", [line(str(n), c, "2", uom="EA") for n, c in enumerate(components)])

    with CaptureQueriesContext(connection) as queries:
        outcome = receive(system, following)

    assert outcome.state == "applied"
    assert states()[("A", "1", "manufacturing")] == "superseded"
    # The company, the release with its lines and items (in their base unit: no conversions read),
    # earlier twins, both BOM types' chain heads, the cycle check, the chain's cut and new row, the
    # release's state, the superseded one, the audit event, whether requirements were ever planned (to
    # re-plan the parent) and the held releases it frees; on PostgreSQL also the company's advisory lock
    # and its planning lock (shared, taken before asking whether requirements were planned).
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 14 + 2 * (connection.vendor == "postgresql"), [s[:60] for s in statements]
