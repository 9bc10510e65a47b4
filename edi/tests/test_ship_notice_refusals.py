"""A ship notice refused for its HL tree says what is wrong with it, in words."""

from edi import filedrop, tasks
from edi.tests.test_file_statements import orders  # noqa: F401  (a fixture)
from edi.tests.test_filedrop import drop, partner  # noqa: F401  (a fixture)
from procurement.models import InboundDocument, Shipment
from tests.benchmarks import edi_data


def test_an_hl_naming_a_parent_not_in_the_ship_notice_is_refused_in_words(orders, partner):  # noqa: F811
    good = edi_data.interchange("856", [edi_data.shipment("PO-000000", 5, "PO-000000")], 500, sender="CASTINGS")
    assert b"\nHL*4*3*I~" in good
    drop(partner, "asn-500.edi", good.replace(b"\nHL*4*3*I~", b"\nHL*4*12*I~"))
    (item,) = filedrop.scan()

    assert tasks.edi_files_receive([[item.partner_id, item.document_id, item.path]]) == ["refused"]

    document = InboundDocument.objects.get()
    assert (document.outcome_code, document.error) == (
        "refused",
        "856 0001: rejected (HL 4 names parent 12, which is not an earlier HL in this ship notice)",
    )
    assert Shipment.objects.count() == 0
