"""The demo: CASTINGS is an X12 partner from the first run, and the README's 855 walk-through works as written."""

import io
import os
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from edi import filedrop, x12
from edi.models import FunctionalGroup, Interchange, TradingPartner
from edi.tasks import edi_file_receive
from notifications.models import OutboundMessage
from notifications.services import outbox_message_deliver
from procurement.models import Acknowledgement, InboundDocument, POLine, ProcurementException, PurchaseOrder

EXAMPLE_855 = Path(__file__).resolve().parents[2] / "docs" / "examples" / "855-castings.edi"


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    settings.GATEWAY_EDI_SETTLE_SECONDS = 0
    call_command("demo_seed", stdout=io.StringIO())
    return TradingPartner.objects.select_related("supplier", "company").get(supplier__code="CASTINGS")


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def deliver(messages) -> None:
    for message in messages:
        assert outbox_message_deliver(message_id=message.pk) == "delivered"


def test_castings_is_an_x12_partner_with_its_folders(demo, settings):
    assert (demo.company.code, demo.isa_qualifier, demo.isa_id, demo.gs_id, demo.version, demo.folder) == (
        "ACME",
        "ZZ",
        "CASTINGS",
        "CASTINGS",
        "004010",
        "castings",
    )
    assert demo.active and demo.usage == "P"
    root = Path(settings.GATEWAY_FILE_ROOT) / "edi" / "castings"
    assert all((root / name).is_dir() for name in ("inbox", "outbox", "archive", "rejected"))


def test_castings_pos_go_out_as_850s(demo):
    published = OutboundMessage.objects.filter(supplier=demo.supplier, kind="file", event="po.published")
    # PO-REQ-1 carries the castings of the requirements story (materials.demo.requirements_demo_seed).
    assert sorted(published.values_list("po__number", flat=True)) == ["PO-4504", "PO-4505", "PO-4506", "PO-REQ-1"]
    deliver(published)
    outbox = filedrop.folders(demo).outbox
    numbers = []
    for path in outbox.glob("850_*.edi"):
        (ts,) = x12.parse(path.read_bytes()).transaction_sets()
        numbers += [s.elements[3] for s in ts.segments if s.elements[0] == "BEG"]  # BEG03: the PO number
    assert sorted(numbers) == ["PO-4504", "PO-4505", "PO-4506", "PO-REQ-1"]
    assert list(outbox.glob("*.json")) == []


def test_running_the_demo_again_changes_nothing(demo, settings):
    before = row_counts()
    root = Path(settings.GATEWAY_FILE_ROOT)
    files = files_under(root)

    call_command("demo_seed", stdout=io.StringIO())

    assert row_counts() == before
    assert files_under(root) == files


def test_the_readme_855_walk_through(demo, capsys):
    """The example file, dropped as it is: the acknowledgement, the price exception and our 997."""
    po = PurchaseOrder.objects.get(number="PO-4506")
    assert not Acknowledgement.objects.filter(po=po).exists()
    inbox = filedrop.folders(demo).inbox
    content = EXAMPLE_855.read_bytes()
    (inbox / "855-castings.edi").write_bytes(content)
    past = time.time() - 5
    os.utime(inbox / "855-castings.edi", (past, past))

    claimed = list(filedrop.scan())
    assert len(claimed) == 1
    for item in claimed:  # what the scan task queues, run here
        edi_file_receive(item.partner_id, item.document_id, item.path)

    document = InboundDocument.objects.get(channel="edi", filename="855-castings.edi")
    assert (document.state, document.outcome_code) == ("processed", "processed")
    assert bytes(document.content) == content
    ack = Acknowledgement.objects.get(po=po)
    assert (ack.channel, ack.header, ack.document_id) == ("edi", "ACCEPTED_WITH_CHANGES", "855-000000431")
    assert POLine.objects.get(po=po, line_no="1").proposal == {}
    assert POLine.objects.get(po=po, line_no="2").proposal == {"unit_price": "104.5"}
    assert po.status == "changes_proposed"
    (exception,) = ProcurementException.objects.filter(po=po)
    assert (exception.kind, exception.po_line.line_no, exception.state, exception.inbound_document) == (
        "price_deviation",
        "2",
        "open",
        document,
    )
    assert (exception.evidence["expected"], exception.evidence["actual"]) == ("98", "104.5")
    inbound = Interchange.objects.get(direction="in", inbound_document=document)
    assert (inbound.isa13, inbound.sender_id, inbound.receiver_id) == ("000000431", "CASTINGS", "GATEWAY")
    assert FunctionalGroup.objects.get(interchange=inbound).ack_code == "A"

    deliver(OutboundMessage.objects.filter(event="x12.997"))
    (written,) = filedrop.folders(demo).outbox.glob("997_*.edi")
    (reply,) = x12.parse(written.read_bytes()).interchanges
    assert (reply.isa06.strip(), reply.isa08.strip()) == ("GATEWAY", "CASTINGS")
    segments = [s.elements for s in reply.groups[0].sets[0].segments]
    assert ["AK1", "PR", "431"] in segments
    assert ["AK9", "A", "1", "1", "1"] in segments
    call_command("edi", "translate", str(written))  # exit 0: read clean
    assert "997 answers the partner's group PR 431: accepted" in capsys.readouterr().out

    # The same file again is recognised and changes nothing.
    (inbox / "855-castings.edi").write_bytes(content)
    os.utime(inbox / "855-castings.edi", (past, past))
    for item in filedrop.scan():
        edi_file_receive(item.partner_id, item.document_id, item.path)
    again = InboundDocument.objects.exclude(pk=document.pk).get(filename="855-castings.edi")
    assert (again.state, again.outcome_code) == ("duplicate", "duplicate_content")
    assert Acknowledgement.objects.filter(po=po).count() == 1
    assert ProcurementException.objects.filter(po=po).count() == 1


def test_the_demo_buyer_and_planner_are_staff_buyers_not_superusers(demo, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__in=["buyer", "planner"]).order_by("username")
    assert [(u.username, u.is_staff, u.is_superuser, [g.name for g in u.groups.all()]) for u in users] == [
        ("buyer", True, False, ["Buyers"]),
        ("planner", True, False, ["Buyers"]),
    ]
    buyer = users[0]
    assert buyer.has_perm("procurement.change_procurementexception")
    assert buyer.has_perm("procurement.view_tolerancerule")
    assert not buyer.has_perm("procurement.delete_purchaseorder")
    assert not buyer.has_perm("auth.change_user")
    client.force_login(buyer)
    assert client.get("/workbench/exceptions/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/procurement/procurementexception/").status_code == 200
    assert client.get("/admin/procurement/tolerancerule/").status_code == 200
    assert client.get("/admin/api/apikey/add/").status_code == 200  # buyers issue API keys in the admin
    assert client.get("/admin/auth/user/").status_code == 403
    from django.contrib import admin

    from edi.management.commands.demo_seed import BUYER_APPS

    lists = {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
        if model._meta.app_label in BUYER_APPS
    }
    assert len(lists) >= 10
    assert {url: client.get(url).status_code for url in sorted(lists)} == dict.fromkeys(sorted(lists), 200)
