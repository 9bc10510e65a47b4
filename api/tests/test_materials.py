"""Materials through the system API: the item master in batches, BOM releases, BOMs as of a date, where-used,
the release history, and who may see and send what.

Personas: ``system`` is ACME's ERP key, ``plm`` ACME's PLM key, ``foreign`` GLOBEX's ERP key, ``owner`` a
supplier's key, ``system_reader`` a read-only key of ACME.
"""

import json

import pytest

from api.models import ApiKey, IdempotencyRecord
from materials.models import BomRelease, ItemVersion
from procurement import factories
from procurement.models import InboundDocument, Item

from .conftest import Api, results

ITEMS = "/api/v1/system/items/"
RELEASES = "/api/v1/system/bom-releases/"


@pytest.fixture
def plants(company, plant):
    factories.PlantFactory(company=company, code="MTY")
    return company


@pytest.fixture
def plm(company) -> Api:
    return Api(ApiKey.issue(kind="system", system_name="PLM", company=company, name="PLM", scope="write")[1])


def item(part_number: str, **fields) -> dict:
    return {"part_number": part_number, "description": f"Part {part_number}", **fields}


def items_body(*items: dict, company: str = "ACME") -> dict:
    return {"company": company, "items": list(items)}


def release_body(
    parent: str = "PMP-100",
    revision: str = "A",
    previous: str | None = None,
    components: list[dict] | None = None,
    *,
    release_id: str | None = None,
    bom_type: str = "manufacturing",
    plant: str = "DET",
    valid_from: str = "2027-01-01",
    company: str = "ACME",
) -> dict:
    return {
        "company": company,
        "bom_type": bom_type,
        "release_id": release_id or f"{parent}-{revision}",
        "parent_part_number": parent,
        "revision": revision,
        "previous_revision": previous,
        "status": "approved_for_production",
        "effectivity": [{"plant_code": plant, "valid_from": valid_from}],
        "components": components
        if components is not None
        else [
            {"position": "0010", "part_number": "HSG-2200", "quantity_per": "1"},
            {
                "position": "0020",
                "part_number": "GSKT-310",
                "quantity_per": "2",
                "scrap_factor": "0.05",
                "alternate_group": "G1",
            },
        ],
    }


@pytest.fixture
def master(plants, system):
    response = system.post(
        ITEMS, items_body(item("PMP-100", make_or_buy="make"), item("HSG-2200"), item("GSKT-310"), item("GSKT-311"))
    )
    assert response.status_code == 200, response.content
    return response.json()


# Items ---------------------------------------------------------------------------------------------


def test_a_batch_of_items_is_stored_applied_and_answered_item_by_item(plants, system):
    response = system.post(
        ITEMS,
        items_body(
            item("HSG-2200", lead_time_days=30, moq="50", order_multiple="10"),
            item("GSKT-310", plants=[{"plant_code": "DET", "safety_stock": "200"}]),
            item("BAD-1", plants=[{"plant_code": "NOWHERE"}]),
        ),
    )

    assert response.status_code == 200
    body = response.json()
    document = InboundDocument.objects.get()
    assert body == {
        "document": document.pk,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "refused": 1,
        "items": [
            {"part_number": "HSG-2200", "outcome": "created", "reason": ""},
            {"part_number": "GSKT-310", "outcome": "created", "reason": ""},
            {"part_number": "BAD-1", "outcome": "refused", "reason": body["items"][2]["reason"]},
        ],
    }
    assert "NOWHERE" in body["items"][2]["reason"]
    assert (document.channel, document.sender, document.document_type, document.state) == (
        "api",
        "ERP",
        "items",
        "processed",
    )
    assert json.loads(bytes(document.content))["items"][0]["part_number"] == "HSG-2200"
    assert sorted(Item.objects.values_list("part_number", flat=True)) == ["GSKT-310", "HSG-2200"]


def test_an_items_inspection_days_are_stored_with_each_plants_own(plants, system):
    body = items_body(item("BOLT", inspection_days=5, plants=[{"plant_code": "DET", "inspection_days": 2}]))
    response = system.post(ITEMS, body)

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    bolt = Item.objects.get(part_number="BOLT")
    assert bolt.planning.inspection_days == 5
    assert list(bolt.plant_planning.values_list("plant__code", "inspection_days")) == [("DET", 2)]


def test_the_same_batch_again_is_unchanged_and_a_replayed_key_answers_as_before(plants, system):
    batch = items_body(item("HSG-2200"), item("GSKT-310"))
    first = system.post(ITEMS, batch, key="batch-1")
    replay = system.post(ITEMS, batch, key="batch-1")
    again = system.post(ITEMS, batch)

    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (200, first.json(), "true")
    assert [i["outcome"] for i in again.json()["items"]] == ["unchanged", "unchanged"]
    assert InboundDocument.objects.count() == 2  # the replay stored nothing
    assert ItemVersion.objects.count() == 2  # one version per item: nothing changed the second time


def test_a_changed_item_is_updated_and_versioned(plants, system):
    system.post(ITEMS, items_body(item("HSG-2200", lead_time_days=30)))

    response = system.post(ITEMS, items_body(item("HSG-2200", lead_time_days=45)))

    assert response.json()["items"] == [{"part_number": "HSG-2200", "outcome": "updated", "reason": ""}]
    assert list(ItemVersion.objects.order_by("version").values_list("version", "data__lead_time_days")) == [
        (1, 30),
        (2, 45),
    ]


def test_an_invalid_batch_is_stored_rejected_and_answered_with_each_field(plants, system):
    response = system.post(
        ITEMS,
        items_body(item("A", moq="-1"), {"description": "no number"}, item("A", make_or_buy="lease")),
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "items[0].moq", "message": "Ensure this value is greater than or equal to 0.", "code": "min_value"},
        {"field": "items[1].part_number", "message": "This field is required.", "code": "required"},
        {"field": "items[2].make_or_buy", "message": '"lease" is not a valid choice.', "code": "invalid_choice"},
    ]
    document = InboundDocument.objects.get()
    assert (document.document_type, document.state, document.outcome_code) == ("items", "rejected", "invalid")
    assert Item.objects.count() == 0


def test_a_batch_is_bounded_and_a_part_number_is_given_once(plants, system):
    too_many = system.post(ITEMS, items_body(*[item(f"P-{n}") for n in range(1001)]))
    twice = system.post(ITEMS, items_body(item("A"), item("B"), item("A")))

    assert (too_many.status_code, too_many.json()["errors"]) == (
        400,
        [{"field": "items", "message": "Ensure this field has no more than 1000 elements.", "code": "max_length"}],
    )
    assert (twice.status_code, twice.json()["errors"]) == (
        400,
        [{"field": "items", "message": "Part number A is given twice in one batch.", "code": "invalid"}],
    )
    assert Item.objects.count() == 0


def test_another_companys_items_are_refused_as_an_unknown_company(plants, foreign, foreign_company):
    response = foreign.post(ITEMS, items_body(item("HSG-2200")))

    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        404,
        "unknown_company",
        "company 'ACME' is not known",
    )
    assert Item.objects.count() == 0
    document = InboundDocument.objects.get()
    assert (document.company_id, document.state, document.outcome_code) == (
        foreign_company.pk,
        "refused",
        "unknown_company",
    )


# Releases ------------------------------------------------------------------------------------------


def test_a_release_is_stored_as_sent_and_applied(master, system):
    body = release_body()
    response = system.post(RELEASES, body)

    assert response.status_code == 201
    release = BomRelease.objects.get()
    assert response.json() == {"release": release.pk, "state": "applied", "reason": "", "waits_for": ""}
    assert json.loads(bytes(release.raw)) == body
    assert (release.source_system, release.release_id, release.state) == ("ERP", "PMP-100-A", "applied")


def test_a_release_before_its_predecessor_is_held_then_applied_when_the_gap_closes(master, system):
    held = system.post(RELEASES, release_body(revision="B", previous="A"))
    first = system.post(RELEASES, release_body())

    assert held.status_code == 202
    assert (held.json()["state"], held.json()["waits_for"]) == ("held", "A")
    assert first.json()["state"] == "applied"
    states = dict(BomRelease.objects.values_list("revision", "state"))
    assert states["B"] == "applied"


def test_a_release_with_an_unknown_item_is_held_until_the_item_arrives(master, system):
    components = [{"position": "0010", "part_number": "IMP-40", "quantity_per": "1"}]
    held = system.post(RELEASES, release_body(components=components))

    assert (held.status_code, held.json()["state"]) == (202, "held")
    assert "IMP-40" in held.json()["reason"]
    system.post(ITEMS, items_body(item("IMP-40")))
    assert BomRelease.objects.get().state == "applied"


def test_the_same_release_again_is_a_duplicate_with_no_effect(master, system):
    first = system.post(RELEASES, release_body())
    again = system.post(RELEASES, release_body())

    assert (again.status_code, again.json()["state"]) == (200, "duplicate")
    assert again.json()["release"] != first.json()["release"]
    assert list(BomRelease.objects.order_by("id").values_list("state", flat=True)) == ["applied", "duplicate"]


def test_a_cycle_is_refused_with_its_path(master, system):
    system.post(
        RELEASES,
        release_body("HSG-2200", components=[{"position": "10", "part_number": "GSKT-310", "quantity_per": "1"}]),
    )
    response = system.post(
        RELEASES,
        release_body("GSKT-310", components=[{"position": "10", "part_number": "HSG-2200", "quantity_per": "1"}]),
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["state"], problem["release"]) == (
        "release_refused",
        "refused",
        BomRelease.objects.latest("id").pk,
    )
    assert "GSKT-310" in problem["detail"] and "HSG-2200" in problem["detail"]


def test_an_invalid_release_is_recorded_as_refused_and_answered_400(master, system):
    body = release_body(components=[{"position": "0010", "part_number": "HSG-2200", "quantity_per": "0"}])
    response = system.post(RELEASES, body)

    assert response.status_code == 400
    release = BomRelease.objects.get()
    assert response.json() == {
        "type": "https://gateway.example/problems/invalid",
        "title": "Invalid request",
        "status": 400,
        "detail": "The request body or parameters are not valid.",
        "code": "invalid",
        "errors": [{"field": "components[0].quantity_per", "message": "Must be greater than 0.", "code": "invalid"}],
        "release": release.pk,
    }
    assert (release.state, release.source_system, json.loads(bytes(release.raw))) == ("refused", "ERP", body)
    assert "quantity_per" in release.state_reason


def test_a_body_that_is_not_json_is_kept_as_a_refused_release(master, system):
    response = system.post(RELEASES, raw=b'{"parent_part_number": ')

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    release = BomRelease.objects.get()
    assert response.json()["release"] == release.pk
    assert (release.state, bytes(release.raw)) == ("refused", b'{"parent_part_number": ')


def test_a_release_replayed_under_its_key_answers_as_before_and_stores_nothing(master, system):
    first = system.post(RELEASES, release_body(), key="rel-1")
    replay = system.post(RELEASES, release_body(), key="rel-1")
    other = system.post(RELEASES, release_body(revision="B", previous="A"), key="rel-1")

    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (201, first.json(), "true")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert BomRelease.objects.count() == 1


def test_another_companys_release_is_refused_as_unknown_and_kept_under_the_sender(master, foreign, foreign_company):
    response = foreign.post(RELEASES, release_body())

    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        404,
        "unknown_company",
        "company 'ACME' is not known",
    )
    release = BomRelease.objects.get()
    assert (release.company_id, release.state, release.state_reason) == (
        foreign_company.pk,
        "refused",
        "company 'ACME' is not known",
    )
    assert response.json()["release"] == release.pk


# Reads ---------------------------------------------------------------------------------------------


@pytest.fixture
def pump(master, system):
    assert system.post(RELEASES, release_body()).status_code == 201
    revision_b = release_body(
        revision="B",
        previous="A",
        valid_from="2027-03-01",
        components=[
            {"position": "0010", "part_number": "HSG-2200", "quantity_per": "1"},
            {
                "position": "0020",
                "part_number": "GSKT-310",
                "quantity_per": "3",
                "alternate_group": "G1",
                "alternate_priority": 0,
            },
            {
                "position": "0021",
                "part_number": "GSKT-311",
                "quantity_per": "3",
                "alternate_group": "G1",
                "alternate_priority": 1,
            },
        ],
    )
    assert system.post(RELEASES, revision_b).status_code == 201
    return BomRelease.objects.get(revision="B")


def test_a_bom_is_read_as_of_a_date_at_a_plant(pump, system):
    before = system.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2027-02-28"})
    after = system.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2027-03-01"})

    assert before.status_code == 200
    assert before.json()["revision"] == "A"
    assert [(r["level"], r["position"], r["part_number"], r["is_alternate"]) for r in before.json()["rows"]] == [
        (1, "0010", "HSG-2200", False),
        (1, "0020", "GSKT-310", False),
    ]
    assert (after.json()["revision"], after.json()["plant"], after.json()["on"], after.json()["type"]) == (
        "B",
        "DET",
        "2027-03-01",
        "manufacturing",
    )
    assert [(r["position"], r["part_number"], r["quantity_per"], r["is_alternate"]) for r in after.json()["rows"]] == [
        ("0010", "HSG-2200", "1.0000", False),
        ("0020", "GSKT-310", "3.0000", False),
        ("0021", "GSKT-311", "3.0000", True),
    ]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({}, "plant", "Required: the plant whose BOM is wanted."),
        ({"plant": "DET", "on": "2027-13-01"}, "on", "Not a date: give YYYY-MM-DD."),
        ({"plant": "DET", "type": "costing"}, "type", "must be one of manufacturing, engineering"),
        ({"plant": "DET", "serial": "9" * 65}, "serial", "At most 64 characters."),
    ],
)
def test_a_bom_query_that_is_wrong_is_a_400_naming_the_parameter(pump, system, params, field, message):
    response = system.get("/api/v1/system/boms/PMP-100/", params)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": message, "code": "invalid"}]


def test_a_bom_for_a_serial_is_the_revision_whose_serial_range_holds_it(pump, system):
    revision_c = release_body(revision="C", previous="B")
    revision_c["effectivity"] = [{"plant_code": "DET", "serial_from": "1001"}]
    assert system.post(RELEASES, revision_c).status_code == 201

    def revision(serial):
        response = system.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2027-03-01", "serial": serial})
        return response.status_code, response.json()["revision"]

    assert revision("1000") == (200, "B")  # C is for serials from 1001: B still builds the ones before
    assert revision("1001") == (200, "C")
    assert system.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2027-03-01"}).json()["revision"] == "C"


def test_no_bom_in_effect_and_another_companys_bom_are_both_not_found(pump, system, foreign):
    early = system.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2026-12-31"})
    elsewhere = system.get("/api/v1/system/boms/PMP-100/", {"plant": "MTY", "on": "2027-03-01"})
    theirs = foreign.get("/api/v1/system/boms/PMP-100/", {"plant": "DET", "on": "2027-03-01"})
    unknown = system.get("/api/v1/system/boms/NOPE/", {"plant": "DET"})

    for response in (early, elsewhere, theirs, unknown):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert theirs.json() == unknown.json()


def test_where_used_lists_the_assemblies_using_an_item(pump, system, foreign):
    response = system.get("/api/v1/system/items/GSKT-311/where-used/", {"plant": "DET", "on": "2027-03-15"})

    assert response.status_code == 200
    assert response.json() == [
        {
            "parent_part_number": "PMP-100",
            "revision": "B",
            "plant_code": "DET",
            "quantity_per": "3.0000",
            "level": 1,
            "component_part_number": "GSKT-311",
        }
    ]
    theirs = foreign.get("/api/v1/system/items/GSKT-311/where-used/")
    unknown = system.get("/api/v1/system/items/NOPE-1/where-used/")
    for response in (theirs, unknown):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert unknown.json()["detail"] == "no item, component or BOM has part number 'NOPE-1'"


def test_a_known_part_used_nowhere_is_an_empty_list(pump, system):
    response = system.get("/api/v1/system/items/PMP-100/where-used/")

    assert (response.status_code, response.json()) == (200, [])


def test_the_release_history_lists_states_newest_first_and_filters(pump, system, foreign):
    system.post(RELEASES, release_body(revision="D", previous="C"))

    listed = results(system.get(RELEASES))
    held = results(system.get(RELEASES, {"state": "held"}))
    by_part = results(system.get(RELEASES, {"part_number": "HSG-2200"}))
    wrong = system.get(RELEASES, {"state": "lost"})

    assert [(r["revision"], r["state"], r["waits_for"]) for r in listed] == [
        ("D", "held", "C"),
        ("B", "applied", ""),
        ("A", "superseded", ""),
    ]
    assert [r["revision"] for r in held] == ["D"]
    assert by_part == []
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (400, "state")
    assert results(foreign.get(RELEASES)) == []


def test_a_release_shows_its_components_and_its_diff_against_the_previous_revision(pump, system, foreign):
    response = system.get(f"{RELEASES}{pump.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["revision"], body["previous_revision"], body["state"]) == (pump.pk, "B", "A", "applied")
    assert [c["position"] for c in body["components"]] == ["0010", "0020", "0021"]
    assert body["effectivity"] == [
        {"plant_code": "DET", "valid_from": "2027-03-01", "valid_to": None, "serial_from": "", "serial_to": ""}
    ]
    assert body["diff"]["against_revision"] == "A"
    assert [a["position"] for a in body["diff"]["added"]] == ["0021"]
    assert body["diff"]["removed"] == []
    assert [(c["position"], sorted(c["changes"])) for c in body["diff"]["changed"]] == [
        ("0020", ["quantity_per", "scrap_factor"])
    ]
    theirs = foreign.get(f"{RELEASES}{pump.pk}/")
    missing = system.get(f"{RELEASES}987654/")
    assert (theirs.status_code, theirs.json()) == (404, missing.json())


# Who may -------------------------------------------------------------------------------------------

ENDPOINTS = [
    ("POST", ITEMS, items_body(item("X"))),
    ("POST", RELEASES, release_body()),
    ("GET", RELEASES, None),
    ("GET", f"{RELEASES}1/", None),
    ("GET", "/api/v1/system/boms/PMP-100/?plant=DET", None),
    ("GET", "/api/v1/system/items/GSKT-310/where-used/", None),
]


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_a_supplier_key_is_refused_and_nothing_changes(pump, owner, method, path, body):
    before = (Item.objects.count(), BomRelease.objects.count(), InboundDocument.objects.count())

    response = owner.get(path) if method == "GET" else owner.post(path, body)

    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert response.json()["detail"] == "This endpoint is for system API keys (ERP, WMS, MES)."
    assert (Item.objects.count(), BomRelease.objects.count(), InboundDocument.objects.count()) == before
    assert IdempotencyRecord.objects.filter(api_key__kind="supplier").count() == 0


@pytest.mark.parametrize("method, path, body", [e for e in ENDPOINTS if e[0] == "POST"])
def test_a_read_only_system_key_may_not_send(pump, system_reader, method, path, body):
    before = (Item.objects.count(), BomRelease.objects.count())

    response = system_reader.post(path, body)

    assert (response.status_code, response.json()["detail"]) == (403, "This API key may only read.")
    assert (Item.objects.count(), BomRelease.objects.count()) == before
