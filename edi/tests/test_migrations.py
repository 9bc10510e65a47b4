"""TradingPartner moved from suppliers to edi without losing a row, and partners made before got a company."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from edi.models import TradingPartner
from procurement import factories
from procurement.services import WriteSource, purchase_order_publish

BEFORE_THE_MOVE = [("edi", "0002_outbound_message_in_notifications"), ("suppliers", "0002_tradingpartner")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_partners_made_before_the_move_are_edis_with_the_company_their_exceptions_went_to():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate(BEFORE_THE_MOVE)
        old = executor.loader.project_state(BEFORE_THE_MOVE).apps.get_model("suppliers", "TradingPartner")
        acme = factories.CompanyFactory(code="ACME")
        globex = factories.CompanyFactory(code="GLOBEX")
        factories.PlantFactory(company=globex, code="SPR")
        castings = factories.SupplierFactory(code="CASTINGS")
        forge = factories.SupplierFactory(code="FORGE")
        po = factories.po_input(company="GLOBEX", supplier="CASTINGS", plant="SPR", number="PO-M2")
        purchase_order_publish(po=po, source=WriteSource(channel="system", label="ERP"))
        # The old rule: the company of the supplier's latest PO, else the first company there is.
        ordered = old.objects.create(supplier_id=castings.pk, isa_id="CASTINGS", gs_id="CASTINGS", folder="castings")
        unordered = old.objects.create(supplier_id=forge.pk, isa_id="FORGE", gs_id="FORGE", folder="forge")
        ContentType.objects.get_or_create(app_label="suppliers", model="tradingpartner")
        ContentType.objects.filter(app_label="edi", model="tradingpartner").delete()

        _migrate(latest)

        assert list(TradingPartner.objects.order_by("pk").values_list("pk", "isa_id", "folder", "company__code")) == [
            (ordered.pk, "CASTINGS", "castings", "GLOBEX"),
            (unordered.pk, "FORGE", "forge", "ACME"),
        ]
        assert acme.pk < globex.pk
        assert list(ContentType.objects.filter(model="tradingpartner").values_list("app_label", flat=True)) == ["edi"]
    finally:
        _migrate(latest)
