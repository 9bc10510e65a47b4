"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

Python's JSON decoder recurses once per level, so a body of a thousand ``[`` raised
``RecursionError`` — a 500, and the stored document left ``received``. No document the API takes
nests deeper than a few levels; a body deeper than ``MAX_DEPTH`` is a 400 ``json_too_deep``,
whether the decoder got that far or not, and the view records the stored document as rejected.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Containers inside containers: ``{"lines": [{...}]}`` is 3. Far above any document, far below the
# decoder's recursion limit.
MAX_DEPTH = 32


class TooDeep(ParseError):
    default_code = "json_too_deep"

    def __init__(self) -> None:
        super().__init__(f"JSON nested more than {MAX_DEPTH} levels deep", code=self.default_code)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder ran out of stack on nesting (its only recursion): deeper than any bound.
            raise TooDeep() from None
        if depth_exceeds(data, MAX_DEPTH):
            raise TooDeep()
        return data


def depth_exceeds(value: Any, bound: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``bound`` deep; without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > bound:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
