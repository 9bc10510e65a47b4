"""Pages that answer htmx with the part it swaps, and the whole page to everyone else.

A page is whole without JavaScript: the same view renders the same partial template inside the page,
so what htmx swaps in is exactly what a full reload would show. Both answers vary on ``HX-Request``,
so a cache never hands the partial to a plain request. A history restore (going back to a URL htmx
pushed, with nothing cached) asks with ``HX-Request`` too and must get the whole page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def partial_wanted(request: HttpRequest) -> bool:
    """Whether htmx asked for this page to swap a part of it (not to restore a page from history)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def partial_render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The part of a page htmx swaps in; ``partial`` tells the template it stands alone."""
    response = render(request, template, context | {"partial": True})
    patch_vary_headers(response, ["HX-Request"])
    return response


def full_render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, varying on ``HX-Request`` as its partial answer does."""
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
