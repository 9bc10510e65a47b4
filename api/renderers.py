"""The API's JSON renderer: DRF's output, encoded by orjson.

A page of purchase orders is some 170 KB of JSON; the standard library's encoder spends longer on
it than the database does on its query. orjson writes the same compact UTF-8. Everything it does
not encode natively the way DRF does (datetimes, decimals, lazy strings, querysets) goes to DRF's
own encoder, so the output does not change. Only a float may be spelled differently, with the same
value (``1e-6`` for ``1e-06``); the API writes quantities and prices as strings.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_default = JSONEncoder().default
# Dates and times go to DRF's encoder as well, so their text is exactly DRF's ("Z" for UTC).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class JSONRenderer(renderers.JSONRenderer):
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
