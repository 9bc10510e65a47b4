"""ACME's requirements story for page tests: the demo's pump order MO-DEMO-1 (20 pumps at Detroit on
2027-01-20), its BOM and stock, the castings on PO-REQ-1 promised for 2027-01-15 until CASTINGS' 855
pushes them to 2027-01-31: a production stop. Suppliers CASTINGS, BOLTS and GEARS are approved for the
bought parts, so the plan's purchases name them."""

import datetime as dt

from materials.demo import inventory_demo_seed, materials_demo_seed, requirements_demo_seed
from procurement import factories
from suppliers.models import Supplier

TODAY = dt.date(2027, 1, 10)
NOW = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)


def requirements_world(company) -> dict:
    """Seed the story for ``company`` (ACME); returns what ``requirements_demo_seed`` returns."""
    factories.PlantFactory(company=company, code="DET", name="Detroit assembly")
    factories.PlantFactory(company=company, code="MTY", name="Monterrey machining")
    factories.SupplierFactory(code="CASTINGS", name="Midwest Castings", channel=Supplier.Channel.EDI)
    factories.SupplierFactory(code="BOLTS", name="Bolts & Fasteners Co", channel=Supplier.Channel.PORTAL)
    factories.SupplierFactory(code="GEARS", name="Precision Gears Inc", channel=Supplier.Channel.API)
    materials_demo_seed(company=company, today=TODAY)
    inventory_demo_seed(company=company, today=TODAY, now=NOW)
    return requirements_demo_seed(company=company, today=TODAY)
