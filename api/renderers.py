"""The API's JSON renderer: DRF's output, encoded by orjson.

A page of purchase orders is some 170 KB of JSON; the standard library's encoder spends longer on
it than the database does on its query. orjson writes the same compact UTF-8. Everything it does
not encode natively the way DRF does (datetimes, decimals, lazy strings, querysets) goes to DRF's
own encoder, so the output does not change. Only a float may be spelled differently, with the same
value (``1e-6`` for ``1e-06``); the API writes quantities and prices as strings.

A view may hand over JSON it has already written (``JSONText``, as the PO list does with the page
PostgreSQL writes): it goes into the body as it is, or, when indentation is asked for, is read back
and indented like the rest.
"""

from __future__ import annotations

import json

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder


class JSONText:
    """JSON already written (UTF-8, compact, as this renderer writes it): put into the body as it is."""

    __slots__ = ("content",)

    def __init__(self, content: bytes) -> None:
        self.content = content


class _Encoder(JSONEncoder):
    def default(self, obj):
        if isinstance(obj, JSONText):
            return json.loads(obj.content)
        return super().default(obj)


_drf_default = JSONEncoder().default


def _default(obj):
    if isinstance(obj, JSONText):
        return orjson.Fragment(obj.content)
    return _drf_default(obj)


# Dates and times go to DRF's encoder as well, so their text is exactly DRF's ("Z" for UTC).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = _Encoder

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            # What orjson refuses and the standard library writes (an integer past 64 bits).
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: U+2028 and U+2029 are valid JSON but end a line in JavaScript.
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
