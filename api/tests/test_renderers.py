"""The API's JSON renderer writes the bytes DRF's own renderer writes; floats keep their value."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail

from api.renderers import JSONRenderer

UTC = dt.UTC
CASES = {
    "datetimes": {
        "utc": dt.datetime(2027, 3, 1, 8, 30, 5, 123456, tzinfo=UTC),
        "whole second": dt.datetime(2027, 3, 1, 8, 30, tzinfo=UTC),
        "offset": dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        "naive": dt.datetime(2027, 3, 1, 8, 30),
        "date": dt.date(2027, 3, 1),
        "time": dt.time(8, 30, 1, 500),
    },
    "text": ["plain", "Müller & Söhne", "日本語", "line\u2028separator\u2029para", 'quote " \\ \t\n', ""],
    "lazy and errors": [gettext_lazy("This field is required."), ErrorDetail("must be positive", code="min_value")],
    "numbers": [0, -1, 2**62, 1.5, 0.1, True, False, None],
    "int keys": {1: "one", 2: "two"},
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": {"a": [{"b": [1, {"c": None}]}], "empty": {}, "list": []},
    "tuple": (1, 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_bytes_as_drf(name):
    data = {"case": CASES[name]}
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_floats_keep_their_value_though_not_always_their_spelling():
    data = {"decimals": [Decimal("12.5000"), Decimal("0.000001"), Decimal("-3")], "floats": [1e-6, 1e22]}
    ours, drf = JSONRenderer().render(data), renderers.JSONRenderer().render(data)
    assert ours == b'{"decimals":[12.5,1e-6,-3.0],"floats":[1e-6,1e+22]}'
    assert json.loads(ours) == json.loads(drf)


def test_what_orjson_cannot_write_is_written_by_drf():
    data = {"huge": 2**70, "set": {3}}
    expected = b'{"huge":1180591620717411303424,"set":[3]}'
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data) == expected


def test_line_separators_are_escaped_as_drf_escapes_them():
    assert JSONRenderer().render({"t": "a\u2028b\u2029c"}) == b'{"t":"a\\u2028b\\u2029c"}'


def test_indent_requested_by_the_client_is_honoured():
    body = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert body == b'{\n  "a": [\n    1\n  ]\n}'


def test_no_data_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["api.renderers.JSONRenderer"]
