"""The raising document's translation on the exception page: an EDI file as ``edi translate`` reads
it, an API body as the canonical input its endpoint makes of it, a portal form's fields; escaped,
and bounded in size."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from edi import services as edi_services
from edi.tests.test_filedrop import partner, partner_855  # noqa: F401  (the partner fixture)
from procurement import factories, inputs
from procurement.models import InboundDocument, ProcurementException, PurchaseOrder
from procurement.services import inbound_document_store
from workbench import translations
from workbench.translations import document_translation

ACK = {
    "document_id": "ACK-API-1",
    "po_number": "PO-4504",
    "header": "ACCEPTED",
    "note": "<script>alert(1)</script>",
    "lines": [{"line_no": "1", "response": "ACCEPT"}],
}


def stored(partner, channel: str, content: bytes, document_type: str) -> InboundDocument:  # noqa: F811
    return inbound_document_store(
        channel=channel,
        sender="CASTINGS",
        supplier=partner.supplier,
        company=partner.company,
        content=content,
        document_type=document_type,
    )


def raised_by(partner, document: InboundDocument) -> ProcurementException:  # noqa: F811
    now = timezone.now()
    return ProcurementException.objects.create(
        company=partner.company,
        supplier=partner.supplier,
        po=PurchaseOrder.objects.get(number="PO-4504"),
        inbound_document=document,
        kind=ProcurementException.Kind.PRICE_DEVIATION,
        severity=ProcurementException.Severity.FINANCIAL_MISMATCH,
        severity_rank=ProcurementException.SEVERITY_RANK[ProcurementException.Severity.FINANCIAL_MISMATCH],
        dedup_key="t",
        summary="price",
        due_at=now + dt.timedelta(days=1),
        raised_at=now,
    )


def test_an_edi_file_reads_as_edi_translate_prints_it(partner):  # noqa: F811
    content = partner_855((inputs.AckLineInput(line_no="1", response=inputs.LINE_ACCEPT),))
    document = stored(partner, "edi", content, "x12")

    translation = document_translation(document)

    assert translation is not None and translation.note == ""
    assert translation.lines == edi_services.translation_lines(edi_services.translate(content))
    assert translation.lines[0] == "interchange 000000017 CASTINGS → GATEWAY (ISA15 P)"
    assert "    855 0001: A" in translation.lines


def test_an_api_body_reads_as_its_canonical_input(partner):  # noqa: F811
    document = stored(partner, "api", json.dumps(ACK).encode(), "acknowledgement")

    translation = document_translation(document)

    assert translation is not None and translation.note == ""
    canonical = json.loads("\n".join(translation.lines))
    assert [canonical[k] for k in ("document_id", "po_number", "header")] == ["ACK-API-1", "PO-4504", "ACCEPTED"]
    assert [(line["line_no"], line["response"]) for line in canonical["lines"]] == [("1", "ACCEPT")]


def test_a_portal_form_reads_as_its_fields(partner):  # noqa: F811
    fields = {"line-1-response": ["ACCEPT"], "note": ["as agreed"]}
    document = stored(partner, "portal", json.dumps(fields, sort_keys=True).encode(), "acknowledgement")

    translation = document_translation(document)

    assert translation is not None
    assert translation.lines == ["line-1-response: ACCEPT", "note: as agreed"]


@pytest.mark.parametrize(
    ("content", "note"),
    [
        (b"{not json", "Could not be translated: The stored body is not readable JSON (JSONDecodeError)."),
        (b'{"document_id": 1}', "Could not be translated: The stored body is not a valid acknowledgement:"),
    ],
)
def test_an_api_body_that_cannot_be_read_says_why(partner, content, note):  # noqa: F811
    translation = document_translation(stored(partner, "api", content, "acknowledgement"))

    assert translation is not None and translation.lines == []
    assert translation.note.startswith(note)


def test_a_large_payload_is_not_translated_on_a_page_and_long_translations_are_cut(partner):  # noqa: F811
    large = stored(partner, "edi", b"ISA" + b" " * translations.TRANSLATE_BYTES, "x12")
    fields = {f"field-{n:03}": ["x"] for n in range(translations.MAX_LINES + 10)}
    long = stored(partner, "portal", json.dumps(fields).encode(), "acknowledgement")

    too_large = document_translation(large)
    cut = document_translation(long)

    assert too_large is not None and too_large.lines == []
    assert too_large.note == (
        f"Too large to translate on a page ({translations.TRANSLATE_BYTES + 3} bytes): "
        "run manage.py edi translate on the stored file, or read the raw payload."
    )
    assert cut is not None and len(cut.lines) == translations.MAX_LINES
    assert cut.note == f"The first {translations.MAX_LINES} of {translations.MAX_LINES + 10} lines."


def test_the_exception_page_shows_the_translation_escaped(client, partner):  # noqa: F811
    buyer = factories.BuyerFactory(username="buyer", email="buyer@acme.example")
    factories.CompanyMembershipFactory(company=partner.company, user=buyer)
    exc = raised_by(partner, stored(partner, "api", json.dumps(ACK).encode(), "acknowledgement"))
    client.force_login(buyer)

    page = client.get(f"/workbench/exceptions/{exc.pk}/").content.decode()

    assert "<summary>Translation</summary>" in page
    assert '"document_id": "ACK-API-1",' in page.replace("&quot;", '"')
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
