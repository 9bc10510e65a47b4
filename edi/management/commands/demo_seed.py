"""Demo data: a company with two plants, buyers, a supplier on each channel, and POs in every state.

Everything goes through the write path, which is idempotent, so running this again changes nothing.
CASTINGS is an X12 trading partner with its folders under ``GATEWAY_FILE_ROOT/edi/castings/``, set
up before any PO is published, so its POs go out as 850s and its inbox is there from the first run.
The command lives with the EDI channel because it sets up that partner: the record's apps below
may not import a channel.
"""

import datetime as dt
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from edi import filedrop
from edi.models import TradingPartner
from materials.demo import inventory_demo_seed, materials_demo_seed, requirements_demo_seed
from procurement import inputs
from procurement.inputs import AckLineInput as AL
from procurement.models import Company, CompanyMembership, Plant, ProcurementException, ToleranceRule
from procurement.services import (
    WriteSource,
    acknowledgement_record,
    invoice_record,
    purchase_order_publish,
    receipt_record,
    shipment_record,
)
from suppliers.models import Supplier, SupplierMembership

BUYER_PASSWORD = "buyer-demo-pass"
SUPPLIER_PASSWORD = "supplier-demo-pass"
TODAY = dt.date.today()
# The demo partner's identifiers: ISA06/GS02 on what CASTINGS sends, ISA08/GS03 on what we send it.
CASTINGS_ISA_ID = "CASTINGS"
CASTINGS_GS_ID = "CASTINGS"
CASTINGS_FOLDER = "castings"


class Command(BaseCommand):
    help = "Load demo data (safe to run again)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            company, plants, buyers, suppliers = self._parties()
            partner = self._partner(company, suppliers["CASTINGS"])
        place = filedrop.folders(partner)
        erp = WriteSource(channel="system", label="system ERP (demo)", correlation_id="demo-erp")
        for number, supplier, plant, lines in self._orders(suppliers, plants):
            po = inputs.PurchaseOrderInput(
                company=company.code,
                number=number,
                supplier=supplier.code,
                ship_to=plant.code,
                currency="USD",
                order_date=TODAY - dt.timedelta(days=10),
                buyer=buyers[0].username,
                lines=lines,
            )
            purchase_order_publish(po=po, source=erp)
        self._answers(suppliers)
        bom = materials_demo_seed(company=company, today=TODAY)
        stock = inventory_demo_seed(company=company, today=TODAY)
        stop = requirements_demo_seed(company=company, today=TODAY)
        open_exceptions = ProcurementException.objects.open().count()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {open_exceptions} open exceptions."))
        self.stdout.write(f"Materials: {bom['sent']} BOM releases sent, {bom['held']} held (workbench: /workbench/).")
        self.stdout.write(
            f"Inventory: {stock['applied']} events applied, {stock['variances']} variances "
            "(workbench: /workbench/inventory/variances/)."
        )
        self.stdout.write(f"Requirements: CASTINGS' 855 on PO-REQ-1 is a {stop['severity']} exception (MO-DEMO-1).")
        self.stdout.write(f"EDI partner CASTINGS: drop its files in {place.inbox}, our files appear in {place.outbox}")

    def _parties(self):
        company, _ = Company.objects.get_or_create(code="ACME", defaults={"name": "Acme Manufacturing"})
        plants = [
            Plant.objects.get_or_create(company=company, code="DET", defaults={"name": "Detroit assembly"})[0],
            Plant.objects.get_or_create(company=company, code="MTY", defaults={"name": "Monterrey machining"})[0],
        ]
        user_model = get_user_model()
        buyers_group = _buyers_group()
        buyers = []
        for username, name, role in (
            ("buyer", "Bea Buyer", CompanyMembership.Role.BUYER),
            ("planner", "Pat Planner", CompanyMembership.Role.PLANNER),
        ):
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@acme.example",
                    "first_name": name,
                    "is_staff": True,
                },
            )
            if created:
                user.set_password(BUYER_PASSWORD)
                user.save()
            user.groups.add(buyers_group)
            CompanyMembership.objects.get_or_create(company=company, user=user, defaults={"role": role})
            buyers.append(user)
        suppliers = {}
        for code, name, tier, channel, login, person in (
            (
                "BOLTS",
                "Bolts & Fasteners Co",
                Supplier.Tier.LONG_TAIL,
                Supplier.Channel.PORTAL,
                "bolts-user",
                "Ben Bolt",
            ),
            ("GEARS", "Precision Gears Inc", Supplier.Tier.STRATEGIC, Supplier.Channel.API, "gears-user", "Gina Gear"),
            (
                "CASTINGS",
                "Midwest Castings",
                Supplier.Tier.STANDARD,
                Supplier.Channel.EDI,
                "castings-user",
                "Carl Cast",
            ),
        ):
            supplier, _ = Supplier.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "tier": tier,
                    "channel": channel,
                    "notify_email": f"orders@{code.lower()}.example",
                },
            )
            first_name, last_name = person.split()
            user, created = user_model.objects.get_or_create(
                username=login,
                defaults={"email": f"{login}@example.com", "first_name": first_name, "last_name": last_name},
            )
            if created:
                user.set_password(SUPPLIER_PASSWORD)
                user.save()
            SupplierMembership.objects.get_or_create(user=user, supplier=supplier)
            # The portal signs people in by verified e-mail address (django-allauth).
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            suppliers[code] = supplier
        # BOLTS' portal administrator, who must set up an authenticator app at first sign-in.
        admin, created = user_model.objects.get_or_create(
            username="bolts-admin",
            defaults={"email": "bolts-admin@example.com", "first_name": "Bea", "last_name": "Bolt"},
        )
        if created:
            admin.set_password(SUPPLIER_PASSWORD)
            admin.save()
        SupplierMembership.objects.get_or_create(
            user=admin, supplier=suppliers["BOLTS"], defaults={"role": SupplierMembership.Role.ADMIN}
        )
        EmailAddress.objects.get_or_create(user=admin, email=admin.email, defaults={"verified": True, "primary": True})
        for check, over_pct, over_abs in (
            (ToleranceRule.Check.PRICE, Decimal("2"), Decimal("0.50")),
            (ToleranceRule.Check.QUANTITY, Decimal("5"), None),
            (ToleranceRule.Check.DATE, None, Decimal("2")),
            (ToleranceRule.Check.ASN_QUANTITY, Decimal("5"), None),
            (ToleranceRule.Check.INVOICE_PRICE, Decimal("1"), Decimal("0.25")),
            (ToleranceRule.Check.INVOICE_QUANTITY, Decimal("0"), Decimal("0")),
        ):
            ToleranceRule.objects.get_or_create(
                company=company,
                supplier=None,
                item=None,
                check_kind=check,
                defaults={
                    "over_percent": over_pct,
                    "over_amount": over_abs,
                    "under_percent": None,
                    "under_amount": None,
                },
            )
        return company, plants, buyers, suppliers

    def _partner(self, company, castings):
        """CASTINGS trades X12 004010 by file drop, with a 997 for each group it sends us."""
        partner, _ = TradingPartner.objects.get_or_create(
            supplier=castings,
            defaults={
                "company": company,
                "isa_qualifier": "ZZ",
                "isa_id": CASTINGS_ISA_ID,
                "gs_id": CASTINGS_GS_ID,
                "version": "004010",
                "usage": TradingPartner.Usage.PRODUCTION,
                # It does not answer our 850s, so the demo raises no "997 overdue" exception a day later.
                "expects_997": False,
                "folder": CASTINGS_FOLDER,
            },
        )
        return partner

    def _orders(self, suppliers, plants):
        det, mty = plants

        def lines(*specs):
            return tuple(
                inputs.POLineInput(
                    line_no=str(n),
                    part_number=part,
                    quantity=Decimal(qty),
                    uom="EA",
                    unit_price=Decimal(price),
                    need_by=TODAY + dt.timedelta(days=days),
                    description=desc,
                )
                for n, (part, desc, qty, price, days) in enumerate(specs, start=1)
            )

        return [
            ("PO-4500", suppliers["BOLTS"], det, lines(("B-M8-30", "Hex bolt M8x30", "5000", "0.12", 14))),
            (
                "PO-4501",
                suppliers["BOLTS"],
                det,
                lines(
                    ("B-M10-40", "Hex bolt M10x40", "2000", "0.21", 10),
                    ("N-M10", "Hex nut M10", "2000", "0.05", 10),
                ),
            ),
            (
                "PO-4502",
                suppliers["GEARS"],
                mty,
                lines(
                    ("G-SPUR-24", "Spur gear 24T", "300", "18.50", 21),
                    ("G-BEVEL-16", "Bevel gear 16T", "120", "42.00", 21),
                ),
            ),
            ("PO-4503", suppliers["GEARS"], det, lines(("G-SPUR-24", "Spur gear 24T", "150", "18.50", 5))),
            (
                "PO-4504",
                suppliers["CASTINGS"],
                mty,
                lines(
                    ("C-HOUSING-A", "Gearbox housing A", "80", "310.00", 30),
                    ("C-COVER-A", "Housing cover A", "80", "95.00", 30),
                ),
            ),
            (
                "PO-4505",
                suppliers["CASTINGS"],
                det,
                lines(("C-BRACKET", "Mounting bracket", "400", "12.75", 7)),
            ),
            # PO-4506 stays unanswered for the README's walk-through: CASTINGS answers it by 855 file
            # (docs/examples/855-castings.edi).
            (
                "PO-4506",
                suppliers["CASTINGS"],
                det,
                lines(
                    ("C-HOUSING-B", "Gearbox housing B", "40", "325.00", 28),
                    ("C-COVER-B", "Housing cover B", "40", "98.00", 28),
                ),
            ),
        ]

    def _answers(self, suppliers):
        bolts, gears, castings = suppliers["BOLTS"], suppliers["GEARS"], suppliers["CASTINGS"]
        portal = WriteSource(channel="portal", label="supplier BOLTS (demo)", correlation_id="demo-portal")
        api = WriteSource(channel="api", label="supplier GEARS (demo)", correlation_id="demo-api")
        edi = WriteSource(channel="edi", label="partner CASTINGS (demo)", correlation_id="demo-edi")
        wms = WriteSource(channel="system", label="system WMS (demo)", correlation_id="demo-wms")
        # PO-4500 and PO-4506 stay unanswered: awaiting acknowledgement.
        # PO-4501: accepted as is, shipped, received and invoiced: closed.
        acknowledgement_record(
            supplier=bolts,
            source=portal,
            ack=inputs.AcknowledgementInput(
                document_id="portal-4501-1", po_number="PO-4501", header=inputs.ACK_ACCEPTED
            ),
        )
        shipment_record(
            supplier=bolts,
            source=portal,
            shipment=inputs.ShipmentInput(
                shipment_id="ASN-BOLTS-1",
                ship_date=TODAY - dt.timedelta(days=3),
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
                lines=(
                    inputs.ShipmentLineInput(po_number="PO-4501", line_no="1", quantity=Decimal("2000")),
                    inputs.ShipmentLineInput(po_number="PO-4501", line_no="2", quantity=Decimal("2000")),
                ),
            ),
        )
        receipt_record(
            source=wms,
            receipt=inputs.ReceiptInput(
                receipt_number="GR-9001",
                company="ACME",
                po_number="PO-4501",
                received_on=TODAY - dt.timedelta(days=1),
                posted=True,
                shipment_id="ASN-BOLTS-1",
                lines=(
                    inputs.ReceiptLineInput(line_no="1", quantity_received=Decimal("2000")),
                    inputs.ReceiptLineInput(line_no="2", quantity_received=Decimal("2000")),
                ),
            ),
        )
        invoice_record(
            supplier=bolts,
            source=portal,
            invoice=inputs.InvoiceInput(
                invoice_number="INV-B-7001",
                po_number="PO-4501",
                invoice_date=TODAY,
                currency="USD",
                lines=(
                    inputs.InvoiceLineInput(line_no="1", quantity=Decimal("2000"), unit_price=Decimal("0.21")),
                    inputs.InvoiceLineInput(line_no="2", quantity=Decimal("2000"), unit_price=Decimal("0.05")),
                ),
            ),
        )
        # PO-4502: a price rise beyond tolerance and a late date: changes proposed, two exceptions.
        acknowledgement_record(
            supplier=gears,
            source=api,
            ack=inputs.AcknowledgementInput(
                document_id="GEARS-ACK-88",
                po_number="PO-4502",
                header=inputs.ACK_ACCEPTED_WITH_CHANGES,
                lines=(
                    AL(line_no="1", response=inputs.LINE_CHANGE_PRICE, unit_price=Decimal("19.90")),
                    AL(
                        line_no="2",
                        response=inputs.LINE_RESCHEDULE,
                        promised_date=TODAY + dt.timedelta(days=35),
                    ),
                ),
            ),
        )
        # PO-4503: accepted, partly shipped, in transit.
        acknowledgement_record(
            supplier=gears,
            source=api,
            ack=inputs.AcknowledgementInput(
                document_id="GEARS-ACK-89", po_number="PO-4503", header=inputs.ACK_ACCEPTED
            ),
        )
        shipment_record(
            supplier=gears,
            source=api,
            shipment=inputs.ShipmentInput(
                shipment_id="GEARS-ASN-501",
                ship_date=TODAY,
                packs=("003456789012345675",),
                lines=(
                    inputs.ShipmentLineInput(
                        po_number="PO-4503",
                        line_no="1",
                        quantity=Decimal("100"),
                        pack_sscc="003456789012345675",
                        lot="L2611",
                    ),
                ),
            ),
        )
        # PO-4504: EDI partner rejects one line.
        acknowledgement_record(
            supplier=castings,
            source=edi,
            ack=inputs.AcknowledgementInput(
                document_id="855-000000417",
                po_number="PO-4504",
                header=inputs.ACK_ACCEPTED_WITH_CHANGES,
                raw_code="AC",
                lines=(
                    AL(line_no="1", response=inputs.LINE_ACCEPT, raw_code="IA"),
                    AL(line_no="2", response=inputs.LINE_REJECT, raw_code="IR"),
                ),
            ),
        )
        # PO-4505: accepted, received in full, invoiced above the PO price: invoice on hold.
        acknowledgement_record(
            supplier=castings,
            source=edi,
            ack=inputs.AcknowledgementInput(
                document_id="855-000000418", po_number="PO-4505", header=inputs.ACK_ACCEPTED, raw_code="AT"
            ),
        )
        receipt_record(
            source=wms,
            receipt=inputs.ReceiptInput(
                receipt_number="GR-9002",
                company="ACME",
                po_number="PO-4505",
                received_on=TODAY,
                lines=(inputs.ReceiptLineInput(line_no="1", quantity_received=Decimal("400")),),
            ),
        )
        invoice_record(
            supplier=castings,
            source=edi,
            invoice=inputs.InvoiceInput(
                invoice_number="810-55120",
                po_number="PO-4505",
                invoice_date=TODAY,
                currency="USD",
                lines=(inputs.InvoiceLineInput(line_no="1", quantity=Decimal("400"), unit_price=Decimal("13.40")),),
            ),
        )


# What a buyer or planner works with in the admin: the gateway's own records. People, groups and
# deletions stay with an administrator.
BUYER_APPS = ("procurement", "suppliers", "materials", "edi", "notifications", "workbench", "api")


def _buyers_group() -> Group:
    """The demo's "Buyers" group: view, add and change on the gateway's records, nothing on people."""
    group, _ = Group.objects.get_or_create(name="Buyers")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=BUYER_APPS).exclude(codename__startswith="delete_")
    )
    return group
