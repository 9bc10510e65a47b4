"""factory-boy factories for the procurement record (used by tests, the demo data and benchmarks)."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from procurement import models
from suppliers.models import Supplier, SupplierMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class BuyerFactory(UserFactory):
    is_staff = True
    is_superuser = True


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Company
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CO{n}")
    name = factory.LazyAttribute(lambda c: f"Company {c.code}")


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Plant
        django_get_or_create = ("company", "code")

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.LazyAttribute(lambda p: f"Plant {p.code}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SUP{n}")
    name = factory.LazyAttribute(lambda s: f"Supplier {s.code}")
    channel = Supplier.Channel.PORTAL


class CompanyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CompanyMembership

    company = factory.SubFactory(CompanyFactory)
    user = factory.SubFactory(BuyerFactory)


class SupplierUserFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    membership = factory.RelatedFactory("procurement.factories.MembershipFactory", factory_related_name="user")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierMembership

    supplier = factory.SubFactory(SupplierFactory)
    user = factory.SubFactory(UserFactory)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Item
        django_get_or_create = ("company", "part_number")

    company = factory.SubFactory(CompanyFactory)
    part_number = factory.Sequence(lambda n: f"PART-{n:05d}")
    description = factory.LazyAttribute(lambda i: f"Part {i.part_number}")


def po_input(
    *,
    company: str,
    supplier: str,
    plant: str,
    number: str = "PO-1000",
    lines: int = 3,
    quantity: Decimal = Decimal("100"),
    price: Decimal = Decimal("10.00"),
    need_by: dt.date = dt.date(2027, 3, 1),
    revision: int = 0,
    buyer: str = "",
):
    """A canonical PO with ``lines`` lines numbered 1.. (parts PART-00001 …)."""
    from procurement.inputs import POLineInput, PurchaseOrderInput

    return PurchaseOrderInput(
        company=company,
        number=number,
        supplier=supplier,
        ship_to=plant,
        currency="USD",
        order_date=dt.date(2027, 1, 15),
        revision=revision,
        buyer=buyer,
        lines=tuple(
            POLineInput(
                line_no=str(n),
                part_number=f"PART-{n:05d}",
                quantity=quantity,
                uom="EA",
                unit_price=price,
                need_by=need_by,
                description=f"Component {n}",
            )
            for n in range(1, lines + 1)
        ),
    )
