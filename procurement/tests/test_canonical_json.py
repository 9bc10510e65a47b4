"""One JSON spelling for what the record keeps: a Decimal keeps its scale; fingerprints count by value."""

import datetime as dt
import hashlib
from decimal import Decimal as D

from procurement import factories, inputs
from procurement.services.values import jsonable


def test_a_decimal_keeps_its_scale_and_a_whole_number_is_plain():
    assert inputs.canonical_json([D("10.50"), D("18.500000"), D("0.85"), D("60"), D("60.00"), D("6E+1")]) == [
        "10.50",
        "18.500000",
        "0.85",
        "60",
        "60",
        "60",
    ]


def test_the_services_write_the_same_spelling_as_the_inputs():
    po = factories.po_input(company="ACME", supplier="BOLTS", plant="DET", price=D("10.50"))
    value = {"po": po, "when": dt.date(2027, 3, 1), "prices": (D("10.50"), D("7"))}

    assert jsonable(value) == inputs.canonical_json(value)
    assert jsonable(value)["prices"] == ["10.50", "7"]
    assert jsonable(value)["when"] == "2027-03-01"
    assert (jsonable(value)["po"]["lines"][0]["quantity"], jsonable(value)["po"]["lines"][0]["unit_price"]) == (
        "100",
        "10.50",
    )


def test_a_fingerprint_counts_numbers_by_value_as_stored_fingerprints_do():
    same = hashlib.sha256(b'{"price":"10.5","quantity":"100"}').hexdigest()

    assert inputs.fingerprint({"price": D("10.50"), "quantity": D("100.0000")}) == same
    assert inputs.fingerprint({"price": D("10.5"), "quantity": D("100")}) == same
    assert inputs.fingerprint({"price": D("10.51"), "quantity": D("100")}) != same
