"""The materials examples of the schema are real: sent in order, they get exactly the answers shown.

The story: ACME's ERP sends six items; revision A of the pump PMP-100 and of its impeller IMP-40
are released; then the example's revision B, from March at Detroit. Ids, instants and hashes
differ from run to run; every other value must be equal.
"""

import copy

import pytest

from procurement import factories

from .conftest import results
from .test_examples import request_example, response_example, steady

V1 = "/api/v1/"


@pytest.fixture
def schema(anonymous):
    return anonymous.get("/api/schema/", {"format": "json"}).json()


def revision_a(example: dict) -> dict:
    """The revision the example follows: one gasket, no alternate, in effect from January."""
    body = copy.deepcopy(example)
    body.update(release_id="ECN-2026-101", revision="A", previous_revision=None)
    body["effectivity"] = [{"plant_code": "DET", "valid_from": "2027-01-01"}]
    body["components"] = [
        {"position": "0010", "part_number": "HSG-2200", "quantity_per": "1", "uom": "EA"},
        {"position": "0020", "part_number": "IMP-40", "quantity_per": "1", "uom": "EA"},
        {
            "position": "0030",
            "part_number": "GSKT-310",
            "quantity_per": "1",
            "uom": "EA",
            "alternate_group": "G1",
            "alternate_priority": 0,
        },
    ]
    return body


def test_the_materials_story_told_by_the_examples_is_what_the_api_answers(schema, system, company, plant, supplier):
    factories.PlantFactory(company=company, code="MTY")

    def post(path: str, body=None, code: int = 201) -> dict:
        response = system.post(V1 + path, request_example(schema, V1 + path) if body is None else body)
        assert response.status_code == code, response.content
        return response.json()

    def answers(path: str, got, method: str = "get", code: str = "200", template: str | None = None) -> None:
        assert steady(got) == steady(response_example(schema, V1 + (template or path), method, code)), got

    answers("system/items/", post("system/items/", code=200), "post")
    release = request_example(schema, V1 + "system/bom-releases/")
    assert post("system/bom-releases/", revision_a(release))["state"] == "applied"
    impeller = {
        **revision_a(release),
        "release_id": "ECN-2026-102",
        "parent_part_number": "IMP-40",
        "effectivity": [],
        "components": [{"position": "0010", "part_number": "BLADE-7", "quantity_per": "6", "uom": "EA"}],
    }
    assert post("system/bom-releases/", impeller)["state"] == "applied"
    applied = post("system/bom-releases/")
    answers("system/bom-releases/", applied, "post", "201")

    answers("system/bom-releases/", results(system.get(V1 + "system/bom-releases/", {"part_number": "PMP-100"}))[0])
    detail = system.get(f"{V1}system/bom-releases/{applied['release']}/").json()
    answers(f"system/bom-releases/{applied['release']}/", detail, template="system/bom-releases/{id}/")
    bom = system.get(V1 + "system/boms/PMP-100/", {"plant": "DET", "on": "2027-03-15"}).json()
    answers("system/boms/PMP-100/", bom, template="system/boms/{part_number}/")
    used = system.get(V1 + "system/items/BLADE-7/where-used/", {"plant": "DET", "on": "2027-03-15"}).json()
    answers("system/items/BLADE-7/where-used/", used[0], template="system/items/{part_number}/where-used/")
    assert used[1] == {
        "parent_part_number": "PMP-100",
        "revision": "B",
        "plant_code": "DET",
        "quantity_per": "1.0000",
        "level": 2,
        "component_part_number": "IMP-40",
    }
