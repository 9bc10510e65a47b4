"""The raising document of an exception, translated for a buyer to read beside its raw payload.

EDI: the segment-by-segment reading ``manage.py edi translate`` prints (``edi.services.translate``
and ``translation_lines``, with the sending partner's code maps). API: the canonical input its
endpoint's serializer makes of the body (``api.replays.api_body_canonical``). Portal: the form's
fields as the person sent them. Bounded: a payload over ``TRANSLATE_BYTES`` is not translated on a
page, and at most ``MAX_LINES`` lines are shown. The template escapes every line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from api.replays import api_body_canonical
from edi import services as edi_services
from edi.models import TradingPartner
from procurement.models import InboundDocument
from procurement.services import InvalidAction

TRANSLATE_BYTES = 256 << 10  # a page translates what parses in milliseconds; the command reads any size
MAX_LINES = 400


@dataclass
class DocumentTranslation:
    """What a page shows: the lines of the translation, and a note when it is cut short or absent."""

    lines: list[str] = field(default_factory=list)
    note: str = ""


def document_translation(document: InboundDocument | None) -> DocumentTranslation | None:
    """The translation of a stored document (see the module docstring); None when there is none."""
    if document is None:
        return None
    stored = InboundDocument.objects.filter(pk=document.pk).first()  # ``content`` is deferred on the page's row
    if stored is None:
        return None
    if stored.size > TRANSLATE_BYTES:
        return DocumentTranslation(
            note=f"Too large to translate on a page ({stored.size} bytes): "
            f"run manage.py edi translate on the stored file, or read the raw payload."
        )
    try:
        lines = _lines(stored)
    except (InvalidAction, OSError, ValueError, RecursionError) as error:
        return DocumentTranslation(note=f"Could not be translated: {_reason(error)}")
    except Exception as error:  # any stored payload gets an answer on the page, never a 500
        return DocumentTranslation(note=f"Could not be translated ({type(error).__name__}).")
    if len(lines) > MAX_LINES:
        return DocumentTranslation(lines[:MAX_LINES], f"The first {MAX_LINES} of {len(lines)} lines.")
    return DocumentTranslation(lines)


def _reason(error: Exception) -> str:
    return error.message if isinstance(error, InvalidAction) else f"{type(error).__name__}: {error}"


def _lines(document: InboundDocument) -> list[str]:
    if document.channel == "edi":
        with document.open_payload() as payload:
            content = payload.read(TRANSLATE_BYTES)
        partner = TradingPartner.objects.filter(supplier__code=document.sender).first()
        reading = edi_services.translate(content, (partner.code_maps or None) if partner else None)
        return edi_services.translation_lines(reading)
    if document.channel == "api":
        return json.dumps(api_body_canonical(document), indent=2, ensure_ascii=False).splitlines()
    if document.channel == "portal":
        with document.open_payload() as payload:
            fields = json.loads(payload.read(TRANSLATE_BYTES))
        return [
            f"{name}: {', '.join(str(v) for v in values) if isinstance(values, list) else values}"
            for name, values in (fields.items() if isinstance(fields, dict) else [])
        ]
    return []
