"""An 856 and an 810 received through the file drop carry their PO's buying company."""

from edi.tests.test_file_statements import _receive_one, orders  # noqa: F401  (orders is a fixture)
from edi.tests.test_filedrop import partner  # noqa: F401  (the partner fixture)
from procurement.models import Invoice, PurchaseOrder, Shipment


def test_a_ship_notice_and_an_invoice_file_carry_their_pos_company(orders, partner):  # noqa: F811
    _receive_one(partner, "856", 0)
    _receive_one(partner, "810", 1)

    po = PurchaseOrder.objects.get(number="PO-000000")
    assert (po.company.code, partner.company.code) == ("ACME", "ACME")
    assert list(Shipment.objects.values_list("company_id", flat=True)) == [po.company_id]
    assert list(Invoice.objects.values_list("po__number", "company_id")) == [("PO-000001", po.company_id)]
