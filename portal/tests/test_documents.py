"""My documents: what became of each file, in words a supplier's person can act on."""

import html
import re

from edi.tests.test_envelope_refusals import ack_855, interchange, receive
from edi.tests.test_filedrop import partner  # noqa: F401  (a fixture)
from suppliers.models import SupplierMembership

from .conftest import person


def test_an_edi_file_reusing_a_control_number_for_other_content_reads_as_refused(client, partner):  # noqa: F811
    first = receive(partner, "ack-41.edi", interchange([ack_855()]))
    document = receive(partner, "ack-41-b.edi", interchange([ack_855(document_id="855-000099")]))
    client.force_login(person("castings-user", partner.supplier, SupplierMembership.Role.MEMBER))

    detail = html.unescape(client.get(f"/portal/documents/{document.pk}/").content.decode())

    assert re.search(r'id="document-state">(.*?)</dd>', detail)[1] == "Refused: its control number was already used"
    assert (
        "interchange 000000041 rejected, TA1 025 (Duplicate interchange control number): "
        "control number 000000041 from CASTINGS was used by "
        f"document {first.pk} (ack-41.edi, received {first.received_at:%Y-%m-%d}) for other content"
    ) in detail


def test_an_edi_file_addressed_to_another_company_reads_as_refused_with_its_reason(client, partner):  # noqa: F811
    document = receive(partner, "ack-44.edi", interchange([ack_855()], isa13=44, receiver=("ZZ", "OTHERBUYER")))
    client.force_login(person("castings-user", partner.supplier, SupplierMembership.Role.MEMBER))
    reason = (
        "interchange 000000044 rejected, TA1 008 (Invalid interchange receiver ID): "
        "ISA08 ZZ:OTHERBUYER is not ACME's (ZZ:GATEWAY)"
    )

    listing = html.unescape(client.get("/portal/documents/").content.decode())
    detail = html.unescape(client.get(f"/portal/documents/{document.pk}/").content.decode())

    (row,) = re.findall(r'<td class="state-rejected">(.*?)</td>\s*<td>(.*?)</td>', listing)
    assert row == ("Refused: addressed to another company", reason)
    assert re.search(r'id="document-state">(.*?)</dd>', detail)[1] == "Refused: addressed to another company"
    assert "Could not be read" not in listing + detail
    assert re.findall(r'<td>(EDI[^<]*)<br><span class="muted">(.*?)</span></td>', listing) == [
        ("EDI (X12) file", "ack-44.edi")
    ]
    assert f"<h1>Document {document.pk}: EDI (X12) file</h1>" in detail
    assert re.search(r"<dt>Received</dt><dd>[^<]* through (.*?)</dd>", detail)[1] == "EDI"
    assert reason in detail


def test_an_edi_file_whose_sets_were_refused_does_not_read_as_applied(client, partner):  # noqa: F811
    refused = receive(partner, "ack-45.edi", interchange([ack_855(po="PO-NOPE")], isa13=45))
    partly = receive(
        partner,
        "ack-46.edi",
        interchange([ack_855("0001"), ack_855("0002", po="PO-NOPE", document_id="855-000046")], isa13=46),
    )
    client.force_login(person("castings-user", partner.supplier, SupplierMembership.Role.MEMBER))

    listing = html.unescape(client.get("/portal/documents/").content.decode())
    pages = [html.unescape(client.get(f"/portal/documents/{d.pk}/").content.decode()) for d in (refused, partly)]
    details = [re.search(r'<dd class="(.*?)" id="document-state">(.*?)</dd>', page).groups() for page in pages]

    assert [(refused.state, refused.outcome_code), (partly.state, partly.outcome_code)] == [
        ("processed", "refused"),
        ("processed", "partly_applied"),
    ]
    assert re.findall(r'<td class="(state-[a-z]+)">(.*?)</td>', listing) == [
        ("state-refused", "Partly applied: some of its sets were refused"),
        ("state-refused", "Refused: nothing in it was applied"),
    ]
    assert details == [
        ("state-refused", "Refused: nothing in it was applied"),
        ("state-refused", "Partly applied: some of its sets were refused"),
    ]
    assert "Applied" not in re.sub(r"Partly applied", "", listing)
    assert re.findall(r'<ul class="errors"><li>(.*?)</li>', pages[0]) == [
        "855 0001: refused (Unknown PO: PO-NOPE is not one of Supplier CASTINGS's orders)"
    ]
    assert "unknown_po" not in listing + pages[0] + pages[1]
    # Our 997 accepted each group: the refusals are the write path's, not the syntax's.
    assert [re.findall(r'<h2 id="fa-title">.*?<ul>(.*?)</ul>', page, re.S) for page in pages] == [
        ["<li>Group 45 (PR): Answered: accepted (AK9 A)</li>"],
        ["<li>Group 46 (PR): Answered: accepted (AK9 A)</li>"],
    ]


def test_every_refusal_code_a_service_records_reads_in_words():
    """A supplier reads each set's refusal by its code's words: every code the write path can record
    has them (``code="..."`` in procurement's services, and a finished PO's ``po_<status>``)."""
    import re
    from pathlib import Path

    from gateway.formatting import OUTCOME_WORDS
    from procurement.models import PurchaseOrder

    services = Path(__file__).resolve().parents[2] / "procurement" / "services"
    codes = {code for path in services.glob("*.py") for code in re.findall(r'code="(\w+)"', path.read_text())}
    codes |= {f"po_{status}" for status in PurchaseOrder.FINISHED}
    assert {"unknown_po", "line_received", "unknown_uom", "po_closed", "date_out_of_range"} <= codes
    assert sorted(codes - set(OUTCOME_WORDS)) == []
