"""People's notifications: inbox lines and e-mails (immediate, daily digest or none) from the trail."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification, NotificationPreference, OutboundMessage
from notifications.services import outbox_due_ids, outbox_message_deliver
from portal.models import NotifiedEvent
from portal.notices import digests_send, notifications_sweep
from procurement import factories
from procurement.models import AuditEvent, Invoice, ProcurementException
from procurement.services import (
    exception_accept,
    exception_reject,
    invoice_record,
    purchase_order_change,
    receipt_record,
    shipment_record,
)
from procurement.tests import helpers as h
from suppliers.models import SupplierMembership

from .conftest import person, sign_in_with_mfa

pytestmark = pytest.mark.django_db


def deliver_all() -> None:
    for pk in outbox_due_ids():
        outbox_message_deliver(message_id=pk)


def portal_mails() -> list[tuple[str, str]]:
    prefixes = ("BOLTS:", "NUTS:", "Supplier portal")
    return [(m.to[0], str(m.subject)) for m in mail.outbox if str(m.subject).startswith(prefixes)]


def inbox(user) -> list[tuple[str, str, str, str]]:
    return list(
        Notification.objects.filter(person=user).order_by("pk").values_list("supplier__code", "event", "title", "email")
    )


@pytest.fixture
def people(supplier, other_supplier):
    """BOLTS' admin and member, NUTS' admin."""
    return (
        person("bolts-admin", supplier, SupplierMembership.Role.ADMIN),
        person("bolts-member", supplier, SupplierMembership.Role.MEMBER),
        person("nuts-admin", other_supplier, SupplierMembership.Role.ADMIN),
    )


def test_a_po_answered_before_the_sweep_is_not_one_to_acknowledge(people, published_po, supplier):
    h.accept_all(supplier)

    notifications_sweep()

    said = set(Notification.objects.filter(person=people[0], event="po.published").values_list("title", "text"))
    assert said == {
        (
            "New purchase order PO-1000",
            "Purchase order PO-1000 was published to you. "
            "It has been answered since; the order's page shows where it stands.",
        )
    }


def test_a_published_po_reaches_each_person_of_its_supplier_and_no_one_else(people, published_po):
    admin, member, nuts = people

    assert notifications_sweep() == 2
    deliver_all()

    line = ("BOLTS", "po.published", "New purchase order PO-1000", "immediate")
    assert inbox(admin) == [line]
    assert inbox(member) == [line]
    assert inbox(nuts) == []
    mails = [m for m in mail.outbox if m.subject.startswith("BOLTS:")]
    assert sorted(m.to[0] for m in mails) == ["bolts-admin@example.com", "bolts-member@example.com"]
    first = next(m for m in mails if m.to == ["bolts-member@example.com"])
    assert first.subject == "BOLTS: New purchase order PO-1000"
    assert first.body == (
        "New purchase order PO-1000\n\n"
        "Purchase order PO-1000 was published to you. Please acknowledge it.\n\n"
        f"Open it in the supplier portal: http://localhost:8000/portal/orders/{published_po.pk}/\n\n"
        "You receive this because you act for Bolts Inc (BOLTS) in the supplier portal.\n"
        "Choose how you hear of each kind of event: http://localhost:8000/portal/notifications/settings/\n"
    )


def test_a_second_sweep_writes_nothing_again(people, published_po):
    notifications_sweep()
    assert notifications_sweep() == 0
    assert Notification.objects.count() == 2
    assert OutboundMessage.objects.filter(event__startswith="portal.").count() == 2


def test_an_event_committed_late_is_still_found(people, company, plant, supplier, published_po):
    """A sweep that saw a later event (its transaction committed first) still finds the earlier one:
    it reads a window of the trail, not "after the last id"."""
    h.publish(company, plant, supplier, number="PO-LATE")
    later = AuditEvent.objects.get(action="po.published", po__number="PO-LATE")
    assert later.pk > AuditEvent.objects.get(action="po.published", po__number="PO-1000").pk
    NotifiedEvent.objects.create(audit_event_id=later.pk, handled_at=timezone.now())

    assert notifications_sweep() == 2
    assert [t for _, _, t, _ in inbox(people[0])] == ["New purchase order PO-1000"]


def test_off_keeps_the_inbox_line_and_sends_no_mail(people, published_po):
    _admin, member, _ = people
    NotificationPreference.objects.create(person=member, event="po.published", email="off")

    notifications_sweep()
    deliver_all()

    assert inbox(member) == [("BOLTS", "po.published", "New purchase order PO-1000", "off")]
    assert portal_mails() == [("bolts-admin@example.com", "BOLTS: New purchase order PO-1000")]


def test_daily_digest_gathers_the_days_lines_in_one_mail_once(people, company, plant, supplier, published_po, erp):
    _admin, member, _ = people
    for event in ("po.published", "po.changed"):
        NotificationPreference.objects.create(person=member, event=event, email="digest")
    changed = factories.po_input(
        company=company.code, supplier=supplier.code, plant=plant.code, revision=1, quantity=120
    )
    purchase_order_change(po=changed, source=erp)

    notifications_sweep()
    deliver_all()
    assert [s for to, s in portal_mails() if to == "bolts-member@example.com"] == []

    now = timezone.now()
    assert digests_send(now=now) == 1
    assert digests_send(now=now) == 0
    deliver_all()

    digest = [m for m in mail.outbox if m.to == ["bolts-member@example.com"]]
    assert [m.subject for m in digest] == [f"Supplier portal: 2 updates for {now:%Y-%m-%d}"]
    link = f"http://localhost:8000/portal/orders/{published_po.pk}/"
    assert digest[0].body == (
        f"Your supplier portal updates for {now:%Y-%m-%d}:\n\n"
        "- BOLTS: New purchase order PO-1000\n"
        "  Purchase order PO-1000 was published to you. Please acknowledge it.\n"
        f"  {link}\n\n"
        "- BOLTS: Purchase order PO-1000 changed (revision 1)\n"
        "  The buyer published revision 1 of purchase order PO-1000. The order's page shows what changed.\n"
        f"  {link}\n\n"
        "Choose how you hear of each kind of event: http://localhost:8000/portal/notifications/settings/\n"
    )
    assert sorted(s for to, s in portal_mails() if to == "bolts-admin@example.com") == [
        "BOLTS: New purchase order PO-1000",
        "BOLTS: Purchase order PO-1000 changed (revision 1)",
    ]


def test_a_deactivated_person_hears_nothing_more(people, published_po):
    admin, member, _ = people
    SupplierMembership.objects.filter(user=member).update(active=False)

    notifications_sweep()

    assert inbox(member) == []
    assert len(inbox(admin)) == 1


def test_exception_raised_and_resolved_on_the_suppliers_line(people, supplier, published_po, buyer):
    admin, _, nuts = people
    notifications_sweep()
    h.record_ack(supplier, "ACK-1", h.price("1", "12.00"), h.answer("2"), h.answer("3"))
    exc = ProcurementException.objects.get(kind="price_deviation")
    notifications_sweep()
    exception_reject(exception_id=exc.pk, source=h.source(channel="workbench", actor=buyer), reason="Keep 10.00")
    notifications_sweep()

    assert [(e, t) for _, e, t, _ in inbox(admin)][1:] == [
        ("exception.raised", "Exception on PO-1000 line 1: Price deviation"),
        ("exception.resolved", "Exception resolved on PO-1000 line 1: Price deviation"),
    ]
    resolved = Notification.objects.get(person=admin, event="exception.resolved")
    assert resolved.text.endswith("Resolved: the buyer declined it.")
    assert "Keep 10.00" not in resolved.text  # the buyer's note stays internal
    assert inbox(nuts) == []


def test_acknowledgement_overdue(people, supplier, published_po):
    from procurement.services import acknowledgements_overdue_raise

    ProcurementException.objects.all().delete()
    long_ago = timezone.now() - dt.timedelta(days=30)
    published_po.__class__.objects.filter(pk=published_po.pk).update(published_at=long_ago)
    published_po.revisions.update(created_at=long_ago)
    raised = acknowledgements_overdue_raise(source=h.source(channel="system", label="ack monitor"))
    assert len(raised) == 1

    notifications_sweep()

    assert [(e, t) for _, e, t, _ in inbox(people[1])] == [
        ("po.published", "New purchase order PO-1000"),
        ("ack.overdue", "Acknowledgement overdue: PO-1000"),
    ]


def test_invoice_held_then_released(people, supplier, published_po, buyer, erp):
    admin = people[0]
    h.accept_all(supplier)
    shipment_record(supplier=supplier, shipment=h.asn("ASN-1", ("PO-1000", "1", "40")), source=h.source())
    receipt_record(receipt=h.receipt("GR-1", ("1", "40")), source=erp)
    invoice_record(supplier=supplier, invoice=h.invoice("INV-9", ("1", "40", "12.50")), source=h.source())
    invoice = Invoice.objects.get()
    assert invoice.match_status == "on_hold"
    notifications_sweep()
    for exc in ProcurementException.objects.open().filter(invoice=invoice):
        exception_accept(exception_id=exc.pk, source=h.source(channel="workbench", actor=buyer))
    notifications_sweep()
    deliver_all()

    assert [(e, t) for _, e, t, _ in inbox(admin)][1:] == [
        ("invoice.held", "Invoice INV-9 is on hold"),
        ("invoice.released", "Invoice INV-9 is released"),
    ]
    held = Notification.objects.get(person=admin, event="invoice.held")
    assert held.link == f"/portal/invoices/{invoice.pk}/"
    assert ("bolts-admin@example.com", "BOLTS: Invoice INV-9 is released") in portal_mails()


def test_the_inbox_lists_only_my_lines_for_the_supplier_i_act_for(client, people, published_po, other_supplier):
    admin, member, nuts = people
    notifications_sweep()
    client.force_login(member)

    page = client.get("/portal/notifications/")

    assert page.status_code == 200
    assert [n.title for n in page.context["page"]] == ["New purchase order PO-1000"]
    mine = Notification.objects.get(person=member)
    admins = Notification.objects.get(person=admin)
    assert client.post(f"/portal/notifications/{admins.pk}/open/").status_code == 404
    opened = client.post(f"/portal/notifications/{mine.pk}/open/")
    assert opened["Location"] == f"/portal/orders/{published_po.pk}/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    admins.refresh_from_db()
    assert admins.read_at is None

    client.force_login(nuts)  # no authenticator: NUTS' admin is sent to set one up first
    assert client.get("/portal/notifications/").status_code == 302


def test_other_suppliers_person_sees_an_empty_inbox(client, other_supplier_user, people, published_po):
    notifications_sweep()
    client.force_login(other_supplier_user)
    page = client.get("/portal/notifications/")
    assert page.status_code == 200
    assert list(page.context["page"]) == []
    assert client.post(f"/portal/notifications/{Notification.objects.first().pk}/open/").status_code == 404


def test_mark_all_read_touches_only_mine(client, people, published_po):
    _admin, member, _ = people
    notifications_sweep()
    client.force_login(member)
    client.post("/portal/notifications/read/")
    assert list(Notification.objects.filter(read_at__isnull=False).values_list("person__username", flat=True)) == [
        "bolts-member"
    ]


def test_settings_are_saved_per_person_and_bad_choices_refused(client, people):
    admin, member, _ = people
    client.force_login(member)
    choices = {
        "po.published": "digest",
        "po.changed": "immediate",
        "ack.overdue": "immediate",
        "exception.raised": "off",
        "exception.resolved": "off",
        "invoice.held": "immediate",
        "invoice.released": "digest",
    }

    assert client.post("/portal/notifications/settings/", choices).status_code == 302
    bad = client.post("/portal/notifications/settings/", choices | {"invoice.held": "hourly"})

    assert bad.status_code == 400
    assert dict(NotificationPreference.objects.filter(person=member).values_list("event", "email")) == choices
    assert NotificationPreference.objects.filter(person=admin).count() == 0


def test_anonymous_and_buyer_are_kept_out(client, buyer):
    assert client.get("/portal/notifications/").status_code == 302
    client.force_login(buyer)
    assert client.get("/portal/notifications/").status_code == 403
    assert client.post("/portal/notifications/settings/", {"po.published": "off"}).status_code == 403
    assert NotificationPreference.objects.count() == 0


def test_admin_with_mfa_reads_the_inbox(client, supplier, published_po):
    admin = person("bolts-mfa", supplier, SupplierMembership.Role.ADMIN, totp=True)
    notifications_sweep()
    sign_in_with_mfa(client, admin)
    page = client.get("/portal/notifications/")
    assert [n.title for n in page.context["page"]] == ["New purchase order PO-1000"]


def badge(response) -> str | None:
    found = re.search(
        r'<span class="nav-badge" id="unread-badge">(\d+)<span class="visually-hidden"> unread</span>',
        response.content.decode(),
    )
    return found.group(1) if found else None


def test_the_badge_counts_my_unread_lines_for_the_supplier_i_act_for(
    client, supplier_user, other_supplier, published_po, company, plant, supplier
):
    h.publish(company, plant, supplier, number="PO-2000", lines=1)
    notifications_sweep()
    Notification.objects.create(
        person=supplier_user,
        supplier=other_supplier,
        event="po_published",
        key="other",
        title="Another supplier's order",
        link="/portal/",
        email="off",
        created_at=timezone.now(),
    )
    client.force_login(supplier_user)

    assert badge(client.get("/portal/")) == "2"
    client.post(f"/portal/notifications/{Notification.objects.filter(supplier=supplier).first().pk}/open/")
    assert badge(client.get("/portal/orders/")) == "1"
    client.post("/portal/notifications/read/")
    assert badge(client.get("/portal/")) is None
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
